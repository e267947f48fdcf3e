-- Each tag's number of published stories, kept by triggers, so the
-- navigation (the tags with the most stories) and the tag resources read
-- one indexed column instead of counting every article_tags row after
-- each write (issue 8: at 100,000 stories that count cost tens of ms on
-- every cache miss after a write).
ALTER TABLE tags ADD COLUMN published_count INTEGER NOT NULL DEFAULT 0;
UPDATE tags SET published_count = (
    SELECT count(*) FROM article_tags x JOIN articles a ON a.id = x.article_id
    WHERE x.tag_id = tags.id AND a.status = 'published');
CREATE INDEX tags_by_count ON tags(published_count DESC, name);

-- A story becomes or stops being published: its tags count it or not.
CREATE TRIGGER tc_articles_publish AFTER UPDATE OF status ON articles
WHEN (old.status = 'published') != (new.status = 'published') BEGIN
    UPDATE tags SET published_count = published_count +
        CASE WHEN new.status = 'published' THEN 1 ELSE -1 END
    WHERE id IN (SELECT tag_id FROM article_tags WHERE article_id = new.id);
END;
-- A published story is deleted: before its tag links go (by cascade).
CREATE TRIGGER tc_articles_delete BEFORE DELETE ON articles
WHEN old.status = 'published' BEGIN
    UPDATE tags SET published_count = published_count - 1
    WHERE id IN (SELECT tag_id FROM article_tags WHERE article_id = old.id);
END;
-- Tags added to or taken from a published story.
CREATE TRIGGER tc_article_tags_i AFTER INSERT ON article_tags
WHEN (SELECT status FROM articles WHERE id = new.article_id) = 'published'
BEGIN
    UPDATE tags SET published_count = published_count + 1
    WHERE id = new.tag_id;
END;
CREATE TRIGGER tc_article_tags_d AFTER DELETE ON article_tags
WHEN (SELECT status FROM articles WHERE id = old.article_id) = 'published'
BEGIN
    UPDATE tags SET published_count = published_count - 1
    WHERE id = old.tag_id;
END;
