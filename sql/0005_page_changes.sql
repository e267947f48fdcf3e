-- Invalidation by dependency (issue 8; docs/ARCHITECTURE.md, "The page
-- cache"). Every write that changes what an anonymous reader sees logs
-- the keys of what changed; a cached page lists the keys it was built
-- from and stays fresh while none of them is logged after it was built,
-- so approving a comment re-renders that story's page and not the other
-- 99,999. The keys (the same list a CDN purge will use):
--
--   story-ID     the story's own page: its row, its tags, its comments
--   home         lists of the newest stories: the home page, and every
--                story page's "more stories" box
--   feeds        the RSS feeds and the sitemap
--   tag-SLUG     the tag's page: its name and its stories
--   author-SLUG  the author's page: name, bio and stories
--   nav          the navigation on every page: the five tags with the
--                most stories, and the names of tags and authors wherever
--                they show (rare writes, so every page depends on it)
--   settings     the site settings, on every page
--
-- The server reads the rows after the last one it read (ids only grow:
-- AUTOINCREMENT) and prunes the ones it has read; a gap in the ids means
-- rows were pruned before the server read them (an import run while the
-- server was down, say), and it then treats every page as stale.
CREATE TABLE page_changes (
    id  INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL
);

-- ---- stories -------------------------------------------------------------
-- The columns a page shows (not `notified`, which the mail outbox sets).
CREATE TRIGGER pc_articles_i AFTER INSERT ON articles BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.id);
    INSERT INTO page_changes(key)
        SELECT 'home' WHERE new.status = 'published'
        UNION ALL SELECT 'feeds' WHERE new.status = 'published'
        UNION ALL SELECT 'author-' || slug FROM users
            WHERE id = new.author_id AND new.status = 'published';
END;
CREATE TRIGGER pc_articles_u AFTER UPDATE OF
    status, author_id, published_at, updated_at, reading_time,
    comments_open, image_width, image_height, slug, title, image_url,
    image_alt, image_caption, excerpt, markdown, html ON articles
BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.id);
    INSERT INTO page_changes(key)
        SELECT 'home'
            WHERE old.status = 'published' OR new.status = 'published'
        UNION ALL SELECT 'feeds'
            WHERE old.status = 'published' OR new.status = 'published'
        UNION ALL SELECT 'author-' || slug FROM users
            WHERE id IN (old.author_id, new.author_id)
              AND (old.status = 'published' OR new.status = 'published')
        UNION ALL SELECT 'tag-' || t.slug
            FROM article_tags x JOIN tags t ON t.id = x.tag_id
            WHERE x.article_id = new.id
              AND (old.status = 'published' OR new.status = 'published');
END;
-- Its tag links go by cascade, and log their tags themselves.
CREATE TRIGGER pc_articles_d AFTER DELETE ON articles BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || old.id);
    INSERT INTO page_changes(key)
        SELECT 'home' WHERE old.status = 'published'
        UNION ALL SELECT 'feeds' WHERE old.status = 'published'
        UNION ALL SELECT 'author-' || slug FROM users
            WHERE id = old.author_id AND old.status = 'published';
END;

-- A tag put on or taken off a story: the story, the tag's page, and the
-- lists whose cards show the story's tags.
CREATE TRIGGER pc_article_tags_i AFTER INSERT ON article_tags BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.article_id);
    INSERT INTO page_changes(key)
        SELECT 'tag-' || slug FROM tags WHERE id = new.tag_id;
    INSERT INTO page_changes(key)
        SELECT 'home' FROM articles
            WHERE id = new.article_id AND status = 'published'
        UNION ALL SELECT 'feeds' FROM articles
            WHERE id = new.article_id AND status = 'published'
        UNION ALL SELECT 'author-' || u.slug
            FROM articles a JOIN users u ON u.id = a.author_id
            WHERE a.id = new.article_id AND a.status = 'published';
END;
CREATE TRIGGER pc_article_tags_d AFTER DELETE ON article_tags BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || old.article_id);
    INSERT INTO page_changes(key)
        SELECT 'tag-' || slug FROM tags WHERE id = old.tag_id;
    INSERT INTO page_changes(key)
        SELECT 'home' FROM articles
            WHERE id = old.article_id AND status = 'published'
        UNION ALL SELECT 'feeds' FROM articles
            WHERE id = old.article_id AND status = 'published'
        UNION ALL SELECT 'author-' || u.slug
            FROM articles a JOIN users u ON u.id = a.author_id
            WHERE a.id = old.article_id AND a.status = 'published';
END;

-- ---- comments: the story's page alone --------------------------------------
CREATE TRIGGER pc_comments_i AFTER INSERT ON comments
WHEN new.status = 'approved' BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.article_id);
END;
CREATE TRIGGER pc_comments_u AFTER UPDATE ON comments
WHEN old.status = 'approved' OR new.status = 'approved' BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.article_id);
END;
CREATE TRIGGER pc_comments_d AFTER DELETE ON comments
WHEN old.status = 'approved' BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || old.article_id);
END;

-- ---- tags, authors, settings ----------------------------------------------
-- A tag's name shows on every page of its stories and in the navigation:
-- a rename is `nav` (rare). Its page too, under the old and the new slug.
CREATE TRIGGER pc_tags_i AFTER INSERT ON tags BEGIN
    INSERT INTO page_changes(key) VALUES ('tag-' || new.slug), ('nav');
END;
CREATE TRIGGER pc_tags_u AFTER UPDATE OF slug, name, description ON tags
BEGIN
    INSERT INTO page_changes(key)
        VALUES ('tag-' || old.slug), ('tag-' || new.slug), ('nav');
END;
CREATE TRIGGER pc_tags_d AFTER DELETE ON tags BEGIN
    INSERT INTO page_changes(key) VALUES ('tag-' || old.slug), ('nav');
END;
-- A count changes (0004's triggers): `nav` only when the navigation does,
-- that is when the tag enters, leaves or moves within the five it shows
-- (store.c gz_store_nav_tags: published_count > 0, by published_count
-- descending, then name). The other tags' counts are as they were, so
-- the tag's place before and after is the number of tags ahead of it.
CREATE TRIGGER pc_tags_count AFTER UPDATE OF published_count ON tags
WHEN (
    SELECT CASE WHEN old.published_count > 0 AND b.n < 5 THEN b.n ELSE -1 END
        != CASE WHEN new.published_count > 0 AND a.n < 5 THEN a.n ELSE -1 END
    FROM (SELECT count(*) AS n FROM tags t WHERE t.id != new.id
            AND (t.published_count > old.published_count
                 OR (t.published_count = old.published_count
                     AND t.name < new.name))) b,
         (SELECT count(*) AS n FROM tags t WHERE t.id != new.id
            AND (t.published_count > new.published_count
                 OR (t.published_count = new.published_count
                     AND t.name < new.name))) a
) BEGIN
    INSERT INTO page_changes(key) VALUES ('nav');
END;
CREATE TRIGGER pc_users_u AFTER UPDATE OF name, slug, bio, disabled ON users
BEGIN
    INSERT INTO page_changes(key)
        VALUES ('author-' || old.slug), ('author-' || new.slug), ('nav');
END;
-- A new or removed author: the lists of authors (the API's, the sitemap).
CREATE TRIGGER pc_users_i AFTER INSERT ON users BEGIN
    INSERT INTO page_changes(key) VALUES ('author-' || new.slug), ('nav');
END;
CREATE TRIGGER pc_users_d AFTER DELETE ON users BEGIN
    INSERT INTO page_changes(key) VALUES ('author-' || old.slug), ('nav');
END;
CREATE TRIGGER pc_settings_i AFTER INSERT ON settings BEGIN
    INSERT INTO page_changes(key) VALUES ('settings');
END;
CREATE TRIGGER pc_settings_u AFTER UPDATE ON settings BEGIN
    INSERT INTO page_changes(key) VALUES ('settings');
END;
