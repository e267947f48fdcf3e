/*
 * revisions.h - story revisions and the trash (issue 10, item 2;
 * sql/0012_revisions.sql).
 *
 * Every save of a story (gz_store_story_save, which calls
 * gz_store_revision_record in its transaction) keeps a revision: title,
 * excerpt, Markdown body, tags, feature image, who and when. Deleting a
 * story moves it to the trash (gz_store_story_trash); an editor restores
 * it from there; after GZ_TRASH_DAYS the purge deletes it for good.
 *
 * Threads: every function uses only the connection it is given.
 */
#ifndef GAZETTE_REVISIONS_H
#define GAZETTE_REVISIONS_H

#include <jansson.h>

#include "gazette/db.h"

/* Days a story stays in the trash before the purge deletes it. */
#define GZ_TRASH_DAYS 30

/*
 * Records story_id's content as it is now as its next revision, saved by
 * user_id (0: unknown) at `now`, unless it is the same as the story's
 * latest revision (a save that changed only the status or the caption).
 * Runs inside the caller's transaction. 0 or GZ_EDB.
 */
int gz_store_revision_record(struct gz_db *db, long long story_id,
                             long long user_id, long long now);

/*
 * The revisions of a story, newest first: [{n, created_at, user_name
 * ("" when the user is gone), title, excerpt, markdown, tags (array of
 * names), image_url ("" none), image_alt}]. Owned by the caller; NULL on
 * a database error.
 */
json_t *gz_store_revisions_list(struct gz_db *db, long long story_id);

/* One revision, as an element of the list. NULL with *err GZ_ENOTFOUND
 * or GZ_EDB. Owned by the caller. */
json_t *gz_store_revision_load(struct gz_db *db, long long story_id,
                               long long n, int *err);

/*
 * The trash, the most recently deleted first: [{id, title, slug, status
 * (what it was before), author_id, author_name, deleted_at, deleted_by
 * ("" when unknown)}]. Owned by the caller; NULL on a database error.
 */
json_t *gz_store_trash_list(struct gz_db *db);

/* Takes story id out of the trash with the status it had (a scheduled
 * story whose time has passed is then published by the scheduler).
 * 0, GZ_ENOTFOUND (not in the trash) or GZ_EDB. */
int gz_store_trash_restore(struct gz_db *db, long long id);

/* Deletes for good the stories deleted at or before `before` (epoch
 * seconds), with their tags links, comments and revisions; *count (may be
 * NULL) gets how many. 0 or GZ_EDB. */
int gz_store_trash_purge(struct gz_db *db, long long before, long long *count);

#endif
