/*
 * dbpool.c - the per-thread SQLite connections of the HTTP workers.
 *
 * Each MHD worker thread opens, on first use, its own read-only connection
 * (GET and HEAD) and its own read-write connection (everything else), kept
 * in thread-local storage, so a connection and its cached prepared
 * statements are only ever used by one thread. Every connection opened is
 * also recorded in one list, under a mutex, so that the server can close
 * them all once the daemon (and so every worker) has stopped.
 */
#include <pthread.h>

#include "internal.h"

#define MAX_DBS 512

static pthread_mutex_t dbs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gz_db *all_dbs[MAX_DBS];
static int n_dbs;
static _Thread_local struct gz_db *tls_ro, *tls_rw;
/* Set before the daemon starts, read-only while it runs. */
static struct gz_app *pool_app;

void gz_http_dbpool_start(struct gz_app *app)
{
    pool_app = app;
}

struct gz_db *gz_http_thread_db(struct gz_app *app, int write)
{
    struct gz_db **slot = write ? &tls_rw : &tls_ro;
    if (*slot)
        return *slot;
    struct gz_db *db =
        gz_db_open(app->cfg.db_path, write ? GZ_DB_READWRITE : GZ_DB_READONLY,
                   app->cfg.synchronous);
    if (!db)
        return NULL;
    pthread_mutex_lock(&dbs_lock);
    if (n_dbs < MAX_DBS)
        all_dbs[n_dbs++] = db;
    pthread_mutex_unlock(&dbs_lock);
    *slot = db;
    return db;
}

struct gz_db *gz_http_thread_db_current(int write)
{
    return pool_app ? gz_http_thread_db(pool_app, write) : NULL;
}

void gz_http_dbpool_close_all(void)
{
    pthread_mutex_lock(&dbs_lock);
    for (int i = 0; i < n_dbs; i++)
        gz_db_close(all_dbs[i]);
    n_dbs = 0;
    pthread_mutex_unlock(&dbs_lock);
    pool_app = NULL;
}
