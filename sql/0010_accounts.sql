-- 0010_accounts: what accounts need beyond 0001 (issue 10, item 6;
-- docs/NEWSROOM.md, "Your profile and password").
--
-- avatar_url: the URL path of the user's avatar in the media store
-- ("/media/<sha256>.<ext>"), '' for none (pages then show initials).
-- last_login_at: the last sign-in, for `gazette user list` (NULL: none
-- since this migration).
ALTER TABLE users ADD COLUMN avatar_url TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_login_at INTEGER;

-- Password reset links: the database keeps only the SHA-256 of the
-- token a mail carried (as for sessions and API tokens). A link works
-- until expires_at, once (used_at).
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);

-- An avatar shows on the author's page and beside their byline on every
-- story and card, like their name: the same keys as a name change
-- (sql/0005_page_changes.sql, pc_users_u) and a new content version.
CREATE TRIGGER pc_users_avatar AFTER UPDATE OF avatar_url ON users
WHEN old.avatar_url IS NOT new.avatar_url BEGIN
    INSERT INTO page_changes(key) VALUES ('author-' || new.slug), ('nav');
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
