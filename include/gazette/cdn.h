/*
 * cdn.h - telling a cache or CDN in front when pages change (issue 12;
 * src/cdn/purge.c; docs/OPERATIONS.md, "Behind Varnish or a CDN").
 *
 * Every public answer carries its dependency keys (Surrogate-Key and
 * Cache-Tag: story-ID, tag-SLUG, author-SLUG, home, feeds, plus `all`;
 * `any` for an answer that depends on every change). Every write logs the
 * keys it changed in page_changes (sql/0005_page_changes.sql); a thread
 * reads them after each purger's cursor (sql/0009_purges.sql) and sends
 * purges for exactly those keys to the configured purgers:
 *
 *   varnish   BAN / with X-Purge-Keys: the keys (config/varnish.vcl bans
 *             the objects whose Surrogate-Key holds one of them)
 *   nginx     PURGE of each URL the keys name (ngx_cache_purge)
 *   webhook   POST {"keys": [...], "urls": [...], "everything": bool}
 *
 * The cursor moves only after a purger accepted a batch, so a purge is
 * sent at least once, across crashes and restarts too; failures are
 * retried with growing waits. A write request waits (cdn.purge_wait_ms at
 * most) until its purges are delivered, so the editor who publishes sees
 * the change through the cache on the next request.
 */
#ifndef GAZETTE_CDN_H
#define GAZETTE_CDN_H

#include "gazette/db.h"
#include "gazette/http.h"
#include "gazette/util.h"

/* Starts the purge thread when any purger is configured (its own database
 * connection). 0, or GZ_EIO / GZ_ENOMEM when it could not start. */
int gz_cdn_start(struct gz_app *app);
/* Stops it (a batch in flight is finished or times out first). */
void gz_cdn_stop(void);
/* Wakes it now (after a write). Thread-safe; nothing when not running. */
void gz_cdn_wake(void);
/* Before a write: the last page change now (-1 when not running). After
 * it: gz_cdn_flush waits, at most timeout_ms, until every purger that is
 * not failing has delivered the changes db can see now, when there are
 * any after mark (a write that changed no page waits for nothing). */
long long gz_cdn_mark(struct gz_db *db);
void gz_cdn_flush(struct gz_db *db, long long mark, int timeout_ms);
/* The page changes the purgers still need start after this id: the
 * server prunes none above it (LLONG_MAX when not running). A purger more
 * than GZ_CDN_MAX_LAG changes behind last does not hold them back: it is
 * sent one purge of everything when it comes back. */
#define GZ_CDN_MAX_LAG 100000
long long gz_cdn_prune_floor(long long last);
/* Appends the purgers' Prometheus metrics to out. */
void gz_cdn_metrics(struct gz_buf *out);

/* The Surrogate-Key value of an answer built from deps ("\n"-separated
 * keys; NULL or "": depends on every change), into out. */
void gz_cdn_surrogate_keys(const char *deps, char *out, size_t size);

#endif
