-- Revisions and the trash (issue 10, item 2).
--
-- Every save of a story keeps a revision: what the writer typed (title,
-- excerpt, Markdown body, tags, feature image) and who saved it when.
-- Revision numbers count from 1 per story and are never reused.
CREATE TABLE story_revisions (
    id         INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    n          INTEGER NOT NULL,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    image_url  TEXT,
    image_alt  TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT '[]',   -- JSON array of tag names
    title      TEXT NOT NULL,
    excerpt    TEXT NOT NULL DEFAULT '',
    markdown   TEXT NOT NULL DEFAULT '',
    UNIQUE (article_id, n)
);

-- Every story there is today starts its history with what it is now,
-- saved by its author when it was last updated.
INSERT INTO story_revisions (article_id, n, user_id, created_at, image_url,
                             image_alt, tags, title, excerpt, markdown)
SELECT a.id, 1, a.author_id, a.updated_at, a.image_url, a.image_alt,
       (SELECT json_group_array(name) FROM (SELECT t.name
            FROM article_tags x JOIN tags t ON t.id = x.tag_id
            WHERE x.article_id = a.id ORDER BY x.position, t.name)),
       a.title, a.excerpt, a.markdown
FROM articles a;

-- The trash. Deleting a story sets deleted_at and makes it a draft,
-- keeping the status it had in trashed_status (its published_at stays), so
-- every public page, feed, sitemap, search and count, and the triggers of
-- 0004 (tag counts), 0005/0009 (page changes) and 0006 (story count),
-- treat it as unpublished at once; restoring puts the status back. The
-- background thread or `gazette trash purge` deletes it for good after
-- 30 days.
ALTER TABLE articles ADD COLUMN deleted_at INTEGER;
ALTER TABLE articles ADD COLUMN trashed_status TEXT;
ALTER TABLE articles ADD COLUMN deleted_by INTEGER;
CREATE INDEX articles_trash ON articles(deleted_at)
    WHERE deleted_at IS NOT NULL;

-- Going to or coming back from the trash logs what a delete logs: the
-- story, and its address for caches purged by URL (the status change
-- itself logs home, feeds, the author's and the tags' pages through
-- pc_articles_u when the story was published).
CREATE TRIGGER pc_articles_trash AFTER UPDATE OF deleted_at ON articles
WHEN old.deleted_at IS NOT new.deleted_at
BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.id);
    INSERT INTO page_changes(key) VALUES ('slug-' || new.slug);
END;

-- Story ids are never reused. `articles` has no AUTOINCREMENT (0001), so
-- SQLite would give a new story max(id) + 1, the id of the newest story
-- after that one was purged. Rebuilding the table would mean recreating
-- every trigger and index of 0001-0013 on it; instead the highest id ever
-- deleted is kept here, and the two INSERTs into articles (src/store/
-- stories.c, import.c) name the id max(highest, max(id)) + 1 themselves.
CREATE TABLE article_id_high (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    high INTEGER NOT NULL
);
INSERT INTO article_id_high VALUES (1, (SELECT coalesce(max(id), 0)
                                        FROM articles));
CREATE TRIGGER article_id_high_d AFTER DELETE ON articles
WHEN old.id > (SELECT high FROM article_id_high WHERE id = 1)
BEGIN
    UPDATE article_id_high SET high = old.id WHERE id = 1;
END;
-- A safety net: an INSERT that let SQLite choose an old id fails loudly.
CREATE TRIGGER article_id_high_i AFTER INSERT ON articles
WHEN new.id <= (SELECT high FROM article_id_high WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'story ids are never reused');
END;
