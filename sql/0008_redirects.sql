-- 0008_redirects: old URLs of a site moved in from Ghost or WordPress
-- (gazette import --from ...). Each path names a story, tag or author by
-- id, so the 301 goes to the current URL even after a slug changes; the
-- row goes with what it names. Paths are stored decoded, without a
-- trailing slash ("/2024/05/01/hello", "/?p=12").
CREATE TABLE redirects (
    path       TEXT PRIMARY KEY,
    article_id INTEGER REFERENCES articles(id) ON DELETE CASCADE,
    tag_id     INTEGER REFERENCES tags(id) ON DELETE CASCADE,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    CHECK ((article_id IS NOT NULL) + (tag_id IS NOT NULL) +
           (user_id IS NOT NULL) = 1)
) WITHOUT ROWID;
CREATE INDEX redirects_article ON redirects(article_id);
