-- Purges for a cache or CDN in front (issue 12; src/cdn/purge.c). The
-- page changes (0005) are the durable queue: each configured purger keeps
-- here the id of the last page change it has delivered, so a purge is
-- sent at least once even across a crash or a restart, and the server
-- keeps the page changes no purger has delivered yet (within a bound:
-- a purger that stays down too long gets one purge of everything when it
-- comes back). A purger is named by its kind and address
-- ("varnish http://127.0.0.1:6081").
CREATE TABLE purge_cursors (
    purger     TEXT PRIMARY KEY,
    after      INTEGER NOT NULL,          -- page_changes.id delivered
    sent       INTEGER NOT NULL DEFAULT 0, -- purge requests delivered
    failures   INTEGER NOT NULL DEFAULT 0, -- failed attempts
    last_error TEXT,
    updated_at INTEGER NOT NULL DEFAULT (unixepoch())
);

-- A story's edit that no list shows (its body past the card's excerpt,
-- its caption, whether it takes comments) changes its own page and the feeds (which carry whole
-- bodies), and no longer every list: every story page shows the newest
-- stories, so before this a correction to one story made every story
-- page stale, in Gazette's cache and in every cache in front. The lists
-- (home, tag and author pages, and the "more stories" box) show the
-- columns compared below.
DROP TRIGGER pc_articles_u;
CREATE TRIGGER pc_articles_u AFTER UPDATE OF
    status, author_id, published_at, updated_at, reading_time,
    comments_open, image_width, image_height, slug, title, image_url,
    image_alt, image_caption, excerpt, markdown, html ON articles
BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || new.id);
    -- the old address, for caches purged by URL (slug-SLUG: no page
    -- depends on it by name; src/cdn/purge.c turns it into the URLs)
    INSERT INTO page_changes(key)
        SELECT 'slug-' || old.slug WHERE old.slug IS NOT new.slug;
    INSERT INTO page_changes(key)
        SELECT 'feeds'
            WHERE old.status = 'published' OR new.status = 'published';
    INSERT INTO page_changes(key)
        SELECT key FROM (
            SELECT 'home' AS key
            UNION ALL SELECT 'author-' || slug FROM users
                WHERE id IN (old.author_id, new.author_id)
            UNION ALL SELECT 'tag-' || t.slug
                FROM article_tags x JOIN tags t ON t.id = x.tag_id
                WHERE x.article_id = new.id)
        -- the lists show only published stories, and these columns
        WHERE (old.status = 'published' OR new.status = 'published')
          AND (old.status IS NOT new.status
               OR old.author_id IS NOT new.author_id
               OR old.published_at IS NOT new.published_at
               OR old.slug IS NOT new.slug
               OR old.title IS NOT new.title
               OR old.excerpt IS NOT new.excerpt
               -- without its own excerpt, a card shows the body's start
               OR (new.excerpt = '' AND substr(old.plain, 1, 600)
                                        IS NOT substr(new.plain, 1, 600))
               OR old.reading_time IS NOT new.reading_time
               OR old.image_url IS NOT new.image_url
               OR old.image_alt IS NOT new.image_alt
               OR old.image_width IS NOT new.image_width
               OR old.image_height IS NOT new.image_height);
END;

-- A deleted story's address, for caches purged by URL, as above.
DROP TRIGGER pc_articles_d;
CREATE TRIGGER pc_articles_d AFTER DELETE ON articles BEGIN
    INSERT INTO page_changes(key) VALUES ('story-' || old.id);
    INSERT INTO page_changes(key) VALUES ('slug-' || old.slug);
    INSERT INTO page_changes(key)
        SELECT 'home' WHERE old.status = 'published'
        UNION ALL SELECT 'feeds' WHERE old.status = 'published'
        UNION ALL SELECT 'author-' || slug FROM users
            WHERE id = old.author_id AND old.status = 'published';
END;
