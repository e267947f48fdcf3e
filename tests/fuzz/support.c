/*
 * support.c - the set-up every harness shares (fuzz.h): where the
 * repository is, a temporary folder removed at exit, quiet logging, and
 * database snapshots restored after each input.
 *
 * NOTE: this is test code, so it may use SQLite directly (the lint's
 * "only src/store includes sqlite3.h" rule covers src/ and include/):
 * restoring a database that Gazette's own connections keep open needs
 * the backup API on a connection of our own.
 *
 * Threads: none; everything here runs on the fuzzer's one thread.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fuzz.h"
#include "gazette/db.h"
#include "gazette/store.h"
#include "gazette/util.h"

#ifndef GZ_FUZZ_SOURCE_ROOT
#define GZ_FUZZ_SOURCE_ROOT "."
#endif

void fz_die(const char *what)
{
    /* Straight to the descriptor: stderr may be fz_quiet's filter. */
    dprintf(2, "fuzz: %s\n", what);
    abort();
}

const char *fz_source_root(void)
{
    const char *env = getenv("GZ_SOURCE_ROOT");
    return env && *env ? env : GZ_FUZZ_SOURCE_ROOT;
}

const char *fz_source_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", fz_source_root(), rel);
    return path;
}

/* ---- the temporary folder ------------------------------------------------ */

static char temp_dir[512];
static pid_t temp_owner; /* a fork of the fuzzer must not remove it */

static int remove_one(const char *path, const struct stat *st, int flag,
                      struct FTW *ftw)
{
    return remove(path);
}

static void remove_temp_dir(void)
{
    if (temp_dir[0] && temp_owner == getpid())
        nftw(temp_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Removes the folders of fuzz processes that are gone: a crash, a
 * timeout or -minimize_crash (which crashes on purpose, again and again)
 * ends a process without its atexit handlers. */
static void remove_stale(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int pid;
        char rest[8];
        if (sscanf(e->d_name, "gz-fuzz-%d-%7s", &pid, rest) != 2 || pid <= 0 ||
            kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", base, e->d_name);
        nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    }
    closedir(d);
}

const char *fz_temp_dir(void)
{
    if (temp_dir[0])
        return temp_dir;
    const char *base = "/dev/shm";
    if (access(base, W_OK) != 0) {
        base = getenv("TMPDIR");
        if (!base || !*base)
            base = "/tmp";
    }
    remove_stale(base);
    snprintf(temp_dir, sizeof temp_dir, "%s/gz-fuzz-%d-XXXXXX", base,
             (int)getpid());
    if (!mkdtemp(temp_dir))
        fz_die("cannot make a temporary folder");
    temp_owner = getpid();
    atexit(remove_temp_dir);
    return temp_dir;
}

/* ---- quiet logging ------------------------------------------------------- */

/* stderr for Gazette's code: drops the numbered log lines, keeps lines
 * starting "gazette:" (an assertion's message) and everything when
 * $GZ_FUZZ_VERBOSE is set. Sanitizers and libFuzzer write to file
 * descriptor 2 (or their own copy of the stream) and are not affected. */
static ssize_t filter_write(void *cookie, const char *buf, size_t n)
{
    if (n >= 8 && memcmp(buf, "gazette:", 8) == 0) {
        ssize_t w = write(2, buf, n);
        (void)w;
    }
    return (ssize_t)n;
}

void fz_quiet(void)
{
    static int done;
    if (done || getenv("GZ_FUZZ_VERBOSE"))
        return;
    done = 1;
    gz_log_set_quiet(1);
    cookie_io_functions_t io = {NULL, filter_write, NULL, NULL};
    FILE *f = fopencookie(NULL, "w", io);
    if (f) {
        setvbuf(f, NULL, _IOLBF, 0);
        stderr = f;
    }
}

/* ---- the seeded database ------------------------------------------------ */

static void import_file(struct gz_db *db, const char *rel)
{
    json_error_t jerr;
    json_t *doc =
        json_load_file(fz_source_path(rel), JSON_REJECT_DUPLICATES, &jerr);
    char err[512] = "";
    if (!doc || gz_store_import(db, doc, err, sizeof err) != 0) {
        dprintf(2, "fuzz: %s: %s%s\n", rel, doc ? "" : jerr.text, err);
        fz_die("cannot import the seed content");
    }
    json_decref(doc);
}

void fz_seed_demo(const char *path)
{
    struct gz_db *db = gz_db_open(path, GZ_DB_READWRITE, "NORMAL");
    if (!db || gz_db_migrate(db) < 0)
        fz_die("cannot create the database");
    import_file(db, "demo/demo.json");
    import_file(db, "tests/http/fixtures/hostile.json");
    gz_db_close(db);
}

/* ---- database snapshots -------------------------------------------------- */

static sqlite3 *snap; /* the snapshot, in memory */
static sqlite3 *live; /* our own connection to the live file */
static long long live_version;

static long long data_version(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, NULL) ==
            SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void copy_db(sqlite3 *to, sqlite3 *from)
{
    sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
    if (!b)
        fz_die(sqlite3_errmsg(to));
    int rc = sqlite3_backup_step(b, -1);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        fz_die("database snapshot: the backup did not complete");
}

void fz_db_snapshot(const char *path)
{
    if (snap)
        fz_die("one database snapshot per process");
    if (sqlite3_open_v2(path, &live, SQLITE_OPEN_READWRITE, NULL) !=
            SQLITE_OK ||
        sqlite3_open(":memory:", &snap) != SQLITE_OK)
        fz_die("database snapshot: cannot open the databases");
    sqlite3_busy_timeout(live, 5000);
    copy_db(snap, live);
    live_version = data_version(live);
}

void fz_db_restore(void)
{
    if (!snap || data_version(live) == live_version)
        return;
    copy_db(live, snap);
    live_version = data_version(live);
}
