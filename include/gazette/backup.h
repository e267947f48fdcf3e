/*
 * backup.h - online backups and restore (issue 12; src/store/backup.c;
 * docs/OPERATIONS.md, "Backups").
 *
 * A backup is a copy made with SQLite's backup API from a read-only
 * connection that holds one read snapshot for the whole copy: in WAL mode
 * writers go on (they never wait for it) and the copy never restarts,
 * however busy the site. The copy is written to a temporary file, switched
 * to a single-file (rollback journal) database, checked with PRAGMA
 * integrity_check and for Gazette's schema_migrations table, and only then
 * renamed (atomically) to its final name. A failure removes the temporary
 * file and leaves every earlier backup alone.
 *
 * The server runs them unattended ([backup] dir, interval, keep) on a
 * thread of its own (gz_backup_start); `gazette backup FILE` and
 * `gazette restore FILE` are the command line's.
 *
 * `gazette serve` holds a shared lock (fcntl, F_RDLCK) on the sidecar file
 * DB.lock for its whole life (gz_backup_serve_lock); restore takes it
 * exclusively, so it refuses while any server uses the database, and a
 * server does not start during a restore.
 */
#ifndef GAZETTE_BACKUP_H
#define GAZETTE_BACKUP_H

#include <jansson.h>

#include "gazette/config.h"
#include "gazette/db.h"
#include "gazette/util.h"

/*
 * Takes the shared lock on cfg->db_path + ".lock" (created 0644 if
 * missing) for the life of the process. 0, or GZ_EIO / GZ_ECONFLICT
 * (a restore holds it) with one line in err. Call once, from the main
 * thread, before any database is opened.
 */
int gz_backup_serve_lock(const char *db_path, char *err, size_t errlen);

/*
 * Starts the backup thread when cfg->backup_dir is set (it keeps a copy of
 * the three [backup] values and the database path). The first backup is
 * due one interval after the newest backup already in the directory, so
 * at once when there is none or it is older than the interval. 0, or
 * GZ_EIO when the thread could not start. Does nothing when off.
 */
int gz_backup_start(const struct gz_config *cfg);
/* Stops the thread; a backup in progress is abandoned (its temporary file
 * removed) within a fraction of a second. Safe when not started. */
void gz_backup_stop(void);

/* Appends the gazette_backup_* Prometheus metrics to out. Thread-safe. */
void gz_backup_metrics(struct gz_buf *out);

/*
 * The state of unattended backups for the newsroom, owned by the caller:
 * {"on": bool, "dir", "every" (e.g. "6 hours"), "keep", "kept",
 *  "last_at" (RFC 3339 or ""), "last_when" ("2026-12-02 14:00 UTC"),
 *  "last_size" ("1.2 MB"), "last_bytes", "summary" (one line: "Last
 *  backup: <when>, <size>, <n> kept in <dir>", or "No backup yet"),
 *  "failures", "last_error" ("" when the last attempt succeeded),
 *  "last_error_when"}. Thread-safe.
 */
json_t *gz_backup_status(void);

/*
 * Copies the database of connection src into the new file dest (which
 * must not exist, or be empty) with one read snapshot, pages in steps so
 * progress(cls, done, total) can be shown (progress may be NULL). 0, or
 * a negative gz_err with the reason in err. On failure dest may be left
 * partly written: the caller removes it.
 */
int gz_backup_copy(struct gz_db *src, const char *dest,
                   void (*progress)(void *cls, long long done, long long total),
                   void *cls, char *err, size_t errlen);

/* `gazette backup FILE [--force]`: see main.c's usage. Prints progress
 * (on a terminal) and the result; returns the exit status. */
int gz_backup_cli(const struct gz_config *cfg, const char *file, int force);
/* `gazette restore FILE`: checks FILE, keeps the current database as
 * DB.before-restore-STAMP, copies FILE in, migrates. Exit status. */
int gz_restore_cli(const struct gz_config *cfg, const char *file);

#endif
