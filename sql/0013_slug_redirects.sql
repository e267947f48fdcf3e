-- A published story's old addresses keep working (issue 10, item 4): when
-- its slug changes, /articles/OLD answers 301 to its current address
-- (the redirects table of 0008 names the story by id, so a chain of
-- renames leads to the newest slug). A story that takes a slug over
-- takes its address back from any redirect.
CREATE TRIGGER redirect_old_slug AFTER UPDATE OF slug ON articles
WHEN old.slug IS NOT new.slug AND old.status = 'published'
BEGIN
    INSERT OR REPLACE INTO redirects(path, article_id, created_at)
        VALUES ('/articles/' || old.slug, new.id, unixepoch());
    DELETE FROM redirects WHERE path = '/articles/' || new.slug;
END;
CREATE TRIGGER redirect_slug_taken AFTER INSERT ON articles BEGIN
    DELETE FROM redirects WHERE path = '/articles/' || new.slug;
END;
