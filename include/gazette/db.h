/*
 * db.h - the SQLite store: opening, migrations, statements, transactions,
 * backups. Only src/store/ includes sqlite3.h; the rest of Gazette sees the
 * store through store.h and these few calls.
 *
 * Threads: a struct gz_db is one SQLite connection and belongs to one thread
 * at a time. The server gives each worker thread its own (see http.h), and
 * the background thread has its own.
 */
#ifndef GAZETTE_DB_H
#define GAZETTE_DB_H

#include "gazette/util.h"

struct gz_db;

struct gz_migration {
    int version;
    const char *name;
    const char *sql;
};
/* Embedded from sql/ at build time; ends with a {0, 0, 0} entry. */
extern const struct gz_migration gz_migrations[];

enum gz_db_mode { GZ_DB_READWRITE = 0, GZ_DB_READONLY = 1 };

/*
 * Opens (creating when needed, unless read-only) the database at `path`
 * with WAL, foreign_keys=ON, busy_timeout and the given synchronous level
 * ("FULL" or "NORMAL"). Returns NULL and logs on failure.
 */
struct gz_db *gz_db_open(const char *path, enum gz_db_mode mode,
                         const char *synchronous);
void gz_db_close(struct gz_db *db);

/* Applies every migration not yet in schema_migrations, each in its own
 * transaction. Returns the number applied (>= 0) or GZ_EDB. */
int gz_db_migrate(struct gz_db *db);

int gz_db_tx_begin(struct gz_db *db); /* BEGIN IMMEDIATE */
int gz_db_tx_commit(struct gz_db *db);
void gz_db_tx_rollback(struct gz_db *db);

/* 1 when the connection answers a trivial query. */
int gz_db_ping(struct gz_db *db);

/* Online backup (SQLite backup API) of the live database into `dest`. */
int gz_db_backup(struct gz_db *db, const char *dest);


#endif
