-- 0001_init: the whole data model of SPEC section 8.
-- Times are INTEGER seconds since the epoch (UTC); the API prints RFC 3339.

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL,
    slug          TEXT NOT NULL UNIQUE,
    bio           TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'author')),
    password_hash TEXT,                -- NULL: cannot log in (demo authors)
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,       -- SHA-256 hex of the cookie value
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE media (
    id         INTEGER PRIMARY KEY,
    sha256     TEXT NOT NULL UNIQUE,
    path       TEXT NOT NULL,           -- URL path, "/media/<sha>.png"
    mime       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    width      INTEGER,
    height     INTEGER,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE articles (
    -- Small columns first, the three large texts last: SQLite reads a row
    -- only up to the last column a query needs, so lists, counts and
    -- joins never touch the overflow pages of the bodies.
    id             INTEGER PRIMARY KEY,
    status         TEXT NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'scheduled', 'published')),
    author_id      INTEGER NOT NULL REFERENCES users(id),
    published_at   INTEGER,                    -- or the scheduled time
    updated_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    reading_time   INTEGER NOT NULL DEFAULT 1, -- minutes
    comments_open  INTEGER NOT NULL DEFAULT 1,
    notified       INTEGER NOT NULL DEFAULT 0, -- subscribers told of it
    image_width    INTEGER,
    image_height   INTEGER,
    slug           TEXT NOT NULL UNIQUE,
    title          TEXT NOT NULL,
    image_url      TEXT,
    image_alt      TEXT NOT NULL DEFAULT '',
    image_caption  TEXT NOT NULL DEFAULT '',
    excerpt        TEXT NOT NULL DEFAULT '',
    markdown       TEXT NOT NULL DEFAULT '',
    html           TEXT NOT NULL DEFAULT '',   -- rendered at save time
    plain          TEXT NOT NULL DEFAULT '',   -- body as text, for search
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE INDEX articles_published ON articles(status, published_at DESC);
CREATE INDEX articles_author ON articles(author_id, status, published_at);

CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);

CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    position   INTEGER NOT NULL DEFAULT 0,  -- 0 is the primary tag
    PRIMARY KEY (article_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX article_tags_tag ON article_tags(tag_id, article_id);

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    parent_id  INTEGER REFERENCES comments(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    email      TEXT,
    body       TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'approved', 'spam')),
    client     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
CREATE INDEX comments_article ON comments(article_id, status, created_at);
CREATE INDEX comments_status ON comments(status, created_at);

CREATE TABLE subscribers (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'active', 'unsubscribed')),
    confirm_hash  TEXT UNIQUE,        -- SHA-256 hex of the confirm token
    unsub_hash    TEXT UNIQUE,        -- SHA-256 hex of the unsubscribe token
    confirm_sent_at INTEGER,
    created_at    INTEGER NOT NULL,
    confirmed_at  INTEGER
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,         -- 'confirm', 'notify', ...
    recipient   TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body_text   TEXT NOT NULL,
    body_html   TEXT NOT NULL DEFAULT '',
    headers     TEXT NOT NULL DEFAULT '', -- extra header lines, CRLF-joined
    article_id  INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    status      TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_try_at INTEGER NOT NULL,
    last_error  TEXT,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER
);
CREATE INDEX outbox_due ON outbox(status, next_try_at);

-- Full-text index over title, excerpt and body text, kept in step by
-- triggers. External content: the text lives once, in articles.
CREATE VIRTUAL TABLE articles_fts USING fts5(
    title, excerpt, plain,
    content = 'articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN
    INSERT INTO articles_fts(rowid, title, excerpt, plain)
    VALUES (new.id, new.title, new.excerpt, new.plain);
END;
CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, excerpt, plain)
    VALUES ('delete', old.id, old.title, old.excerpt, old.plain);
END;
CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, excerpt, plain
ON articles BEGIN
    INSERT INTO articles_fts(articles_fts, rowid, title, excerpt, plain)
    VALUES ('delete', old.id, old.title, old.excerpt, old.plain);
    INSERT INTO articles_fts(rowid, title, excerpt, plain)
    VALUES (new.id, new.title, new.excerpt, new.plain);
END;

-- One row that changes whenever anything a reader sees changes. The page
-- cache and the ETag/Last-Modified of public pages key on it, so a write by
-- any connection or process (server, `gazette import`, the scheduler)
-- invalidates cached pages at once.
CREATE TABLE content_version (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    n          INTEGER NOT NULL,
    changed_at INTEGER NOT NULL
);
INSERT INTO content_version VALUES (1, 1, unixepoch());

CREATE TRIGGER cv_articles_i AFTER INSERT ON articles BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_articles_u AFTER UPDATE ON articles BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_articles_d AFTER DELETE ON articles BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_tags_i AFTER INSERT ON tags BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_tags_u AFTER UPDATE ON tags BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_tags_d AFTER DELETE ON tags BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_article_tags_i AFTER INSERT ON article_tags BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_article_tags_d AFTER DELETE ON article_tags BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_comments_i AFTER INSERT ON comments
WHEN new.status = 'approved' BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_comments_u AFTER UPDATE ON comments BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_comments_d AFTER DELETE ON comments BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_users_u AFTER UPDATE OF name, slug, bio ON users BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_settings_i AFTER INSERT ON settings BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
CREATE TRIGGER cv_settings_u AFTER UPDATE ON settings BEGIN
    UPDATE content_version SET n = n + 1, changed_at = unixepoch();
END;
