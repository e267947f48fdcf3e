/*
 * backup.c - online backups, their schedule and rotation, the lock that
 * tells `gazette restore` a server is running, and restore itself (issue
 * 12; backup.h; docs/OPERATIONS.md, "Backups").
 *
 * The copy: SQLite's backup API from a connection that first opens a read
 * transaction and holds it until the copy is done. In WAL mode that is one
 * read snapshot: writers append to the WAL and never wait for it, and the
 * backup never restarts (the backup API restarts a copy when another
 * connection writes between two steps only when each step takes a new
 * snapshot, which is what it does when the source has no transaction
 * open). The copy goes in steps of STEP_PAGES pages so that progress can
 * be shown and a stopping server can abandon it between two steps. The
 * price of the long snapshot is that checkpoints cannot pass it: the WAL
 * grows by what is written during the copy and is checkpointed after.
 *
 * Each copy is made in a temporary file, switched to a rollback journal
 * (one self-contained file), checked (PRAGMA integrity_check, Gazette's
 * schema_migrations table, a schema version this binary knows) and only
 * then renamed to its final name, so a file with a final name is always a
 * verified backup.
 *
 * Threads: the scheduled backups run on one thread of their own with a
 * connection opened per backup; the status the metrics and the newsroom
 * read is under one mutex. The command-line functions run alone in their
 * process.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gazette/backup.h"
#include "internal.h"

#define STEP_PAGES 1024 /* 4 MiB of 4 KiB pages between two stop checks */
#define NAME_PREFIX "gazette-"
#define NAME_LEN 27 /* gazette-20261202T140000Z.db */
#define TMP_PREFIX ".gazette-"
#define TMP_SUFFIX ".db.tmp"
#define RETRY_AFTER_FAILURE 600 /* seconds, at most, after a failure */

/* ---- small helpers ------------------------------------------------------ */

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "20261202T140000Z" (UTC) into out. */
static void stamp(time_t t, char out[static 20])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 20, "%Y%m%dT%H%M%SZ", &tm);
}

/* The time a backup's name says, or -1 when it is not one of ours:
 * exactly gazette-YYYYMMDDTHHMMSSZ.db. */
static long long backup_name_time(const char *name)
{
    if (strlen(name) != NAME_LEN || strncmp(name, NAME_PREFIX, 8) != 0 ||
        strcmp(name + 24, ".db") != 0 || name[16] != 'T' || name[23] != 'Z')
        return -1;
    for (int i = 8; i < 23; i++)
        if (i != 16 && (name[i] < '0' || name[i] > '9'))
            return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int d[6] = {0};
    static const int at[6] = {8, 12, 14, 17, 19, 21},
                     len[6] = {4, 2, 2, 2, 2, 2};
    for (int f = 0; f < 6; f++)
        for (int i = 0; i < len[f]; i++)
            d[f] = d[f] * 10 + (name[at[f] + i] - '0');
    tm.tm_year = d[0] - 1900;
    tm.tm_mon = d[1] - 1;
    tm.tm_mday = d[2];
    tm.tm_hour = d[3];
    tm.tm_min = d[4];
    tm.tm_sec = d[5];
    return (long long)timegm(&tm);
}

/* fsync of a directory, so a rename in it survives a power loss. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* The folder part of path into out ("." when none). */
static void dir_of(const char *path, char *out, size_t outlen)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(out, outlen, ".");
    else if (slash == path)
        snprintf(out, outlen, "/");
    else
        snprintf(out, outlen, "%.*s", (int)(slash - path), path);
}

/* "1.2 MB" */
static void human_size(long long n, char *out, size_t outlen)
{
    if (n < 1000)
        snprintf(out, outlen, "%lld bytes", n);
    else if (n < 1000 * 1000)
        snprintf(out, outlen, "%.1f kB", n / 1e3);
    else if (n < 1000LL * 1000 * 1000)
        snprintf(out, outlen, "%.1f MB", n / 1e6);
    else
        snprintf(out, outlen, "%.2f GB", n / 1e9);
}

/* "6 hours", "90 seconds", "1 day" */
static void human_interval(int s, char *out, size_t outlen)
{
    static const struct {
        int secs;
        const char *one, *many;
    } units[] = {{86400, "day", "days"},
                 {3600, "hour", "hours"},
                 {60, "minute", "minutes"},
                 {1, "second", "seconds"}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (s % units[i].secs == 0) {
            int n = s / units[i].secs;
            snprintf(out, outlen, "%d %s", n,
                     n == 1 ? units[i].one : units[i].many);
            return;
        }
}

/* The newest schema version this binary's migrations reach. */
static int known_version(void)
{
    int v = 0;
    for (const struct gz_migration *m = gz_migrations; m->version; m++)
        if (m->version > v)
            v = m->version;
    return v;
}

/* ---- the copy and its check --------------------------------------------- */

/* The progress handler of a verification: non-zero interrupts it. */
static int stop_requested_cb(void *cls)
{
    const atomic_int *stop = cls;
    return atomic_load(stop) != 0;
}

/*
 * Copies src's main database into dest (an empty or new file) under one
 * read snapshot, STEP_PAGES at a time, then makes dest a rollback-journal
 * database (one file). stop (may be NULL) abandons it between steps.
 */
static int copy_core(sqlite3 *src, const char *dest,
                     void (*progress)(void *, long long, long long), void *cls,
                     const atomic_int *stop, char *err, size_t errlen)
{
    sqlite3 *out = NULL;
    sqlite3_backup *b = NULL;
    char *msg = NULL;
    int rc = GZ_EDB, began = 0;
    /* NOTE: the read transaction held across the steps is what makes the
     * copy one snapshot that other connections' writes cannot restart. */
    if (sqlite3_get_autocommit(src)) {
        if (sqlite3_exec(src, "BEGIN; SELECT count(*) FROM sqlite_schema;",
                         NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "cannot read the database: %s",
                     msg ? msg : sqlite3_errmsg(src));
            goto out;
        }
        began = 1;
    }
    if (sqlite3_open_v2(dest, &out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", dest,
                 out ? sqlite3_errmsg(out) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(out, 5000);
    b = sqlite3_backup_init(out, "main", src, "main");
    if (!b) {
        snprintf(err, errlen, "cannot start the copy: %s", sqlite3_errmsg(out));
        goto out;
    }
    int busy = 0;
    for (;;) {
        int s = sqlite3_backup_step(b, STEP_PAGES);
        long long total = sqlite3_backup_pagecount(b);
        if (progress && (s == SQLITE_OK || s == SQLITE_DONE))
            progress(cls, total - sqlite3_backup_remaining(b), total);
        if (s == SQLITE_DONE)
            break;
        if (s == SQLITE_OK) {
            busy = 0;
        } else if ((s == SQLITE_BUSY || s == SQLITE_LOCKED) && busy < 250) {
            busy++;
            sqlite3_sleep(20);
        } else {
            snprintf(err, errlen, "copy into %s failed: %s", dest,
                     sqlite3_errstr(s));
            rc = (s & 0xff) == SQLITE_FULL ? GZ_EIO : GZ_EDB;
            goto out;
        }
        if (stop && atomic_load(stop)) {
            snprintf(err, errlen, "abandoned: the server is stopping");
            rc = GZ_EIO;
            goto out;
        }
    }
    int s = sqlite3_backup_finish(b);
    b = NULL;
    if (s != SQLITE_OK) {
        snprintf(err, errlen, "copy into %s failed: %s", dest,
                 sqlite3_errmsg(out));
        goto out;
    }
    /* The pages copied carry the source's WAL flag: back to a rollback
     * journal, so a backup is one file that opens anywhere, read-only
     * too. */
    sqlite3_free(msg);
    msg = NULL;
    if (sqlite3_exec(out, "PRAGMA journal_mode=DELETE;", NULL, NULL, &msg) !=
        SQLITE_OK) {
        snprintf(err, errlen, "copy into %s failed: %s", dest,
                 msg ? msg : sqlite3_errmsg(out));
        goto out;
    }
    rc = 0;
out:
    sqlite3_free(msg);
    if (b)
        sqlite3_backup_finish(b);
    if (out && sqlite3_close(out) != SQLITE_OK && rc == 0) {
        snprintf(err, errlen, "cannot close %s", dest);
        rc = GZ_EIO;
    }
    if (began)
        sqlite3_exec(src, "ROLLBACK;", NULL, NULL, NULL);
    return rc;
}

/* First column of the first row of a fixed statement into out. An SQLite
 * result code (SQLITE_ROW when there was a row). */
static int first_text(sqlite3 *h, const char *sql, char *out, size_t outlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, outlen, "%s", t ? t : "");
    } else if (rc == SQLITE_DONE) {
        snprintf(out, outlen, "%s", "");
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * Checks the database file at path: it opens as SQLite, PRAGMA
 * integrity_check says ok, it has Gazette's schema_migrations table and
 * its schema version is one this binary knows. 0 with *version set, or
 * GZ_EINVAL with a sentence naming path in err. stop (may be NULL)
 * interrupts the check.
 */
static int verify_path(const char *path, const atomic_int *stop, int *version,
                       char *err, size_t errlen)
{
    sqlite3 *h = NULL;
    int rc = GZ_EINVAL;
    char text[300];
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s cannot be opened: %s", path,
                 h ? sqlite3_errmsg(h) : "out of memory");
        goto out;
    }
    if (stop)
        sqlite3_progress_handler(h, 10000, stop_requested_cb, (void *)stop);
    int s = first_text(h, GZ_SQL("PRAGMA integrity_check"), text, sizeof text);
    if ((s & 0xff) == SQLITE_NOTADB) {
        snprintf(err, errlen, "%s is not an SQLite database", path);
        goto out;
    }
    if (s == SQLITE_INTERRUPT) {
        snprintf(err, errlen, "abandoned: the server is stopping");
        rc = GZ_EIO;
        goto out;
    }
    if (s != SQLITE_ROW || strcmp(text, "ok") != 0) {
        const char *why = s == SQLITE_ROW ? text : sqlite3_errmsg(h);
        snprintf(err, errlen,
                 "%s is damaged: PRAGMA integrity_check says \"%.*s\"", path,
                 (int)strcspn(why, "\n"), why);
        goto out;
    }
    s = first_text(h,
                   GZ_SQL("SELECT count(*) FROM sqlite_schema"
                          " WHERE type = 'table'"
                          " AND name = 'schema_migrations'"),
                   text, sizeof text);
    if (s != SQLITE_ROW || strcmp(text, "1") != 0) {
        snprintf(err, errlen,
                 "%s is an SQLite database but not a Gazette one (it has no "
                 "schema_migrations table)",
                 path);
        goto out;
    }
    s = first_text(h,
                   GZ_SQL("SELECT coalesce(max(version), 0)"
                          " FROM schema_migrations"),
                   text, sizeof text);
    long long v = 0;
    if (s != SQLITE_ROW || gz_parse_int(text, 0, 1 << 30, &v) != 0) {
        snprintf(err, errlen, "%s: cannot read its schema version: %s", path,
                 sqlite3_errmsg(h));
        goto out;
    }
    if (v > known_version()) {
        snprintf(err, errlen,
                 "%s was made by a newer Gazette (schema version %lld; this "
                 "gazette knows up to %d)",
                 path, v, known_version());
        goto out;
    }
    *version = (int)v;
    rc = 0;
out:
    sqlite3_close(h);
    return rc;
}

int gz_backup_copy(struct gz_db *src, const char *dest,
                   void (*progress)(void *cls, long long done, long long total),
                   void *cls, char *err, size_t errlen)
{
    return copy_core(src->h, dest, progress, cls, NULL, err, errlen);
}

/* Creates path (0600: a backup holds password and session hashes), which
 * must not exist. 0, or GZ_EIO with the reason in err. */
static int create_new(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return GZ_EIO;
    }
    close(fd);
    return 0;
}

/* ---- the schedule ---------------------------------------------------------
 */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int started;
    atomic_int stop;
    /* copied at start, read-only after */
    char db_path[GZ_PATH_MAX];
    char dir[GZ_PATH_MAX];
    int interval, keep;
    /* the status, under lock */
    int on;
    long long last_at, last_bytes, failures, last_error_at;
    double last_duration;
    int kept;
    char last_error[4 * GZ_PATH_MAX];
} bk = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Deletes temporary files of backups whose process is gone (a crash or a
 * kill during a copy): .gazette-STAMP-PID.db.tmp and its -journal. */
static void remove_stale_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *n = e->d_name;
        const char *suffix = strstr(n, TMP_SUFFIX);
        if (strncmp(n, TMP_PREFIX, strlen(TMP_PREFIX)) != 0 || !suffix)
            continue;
        const char *dash = suffix;
        while (dash > n && dash[-1] != '-')
            dash--;
        char pid_text[16];
        long long pid;
        snprintf(pid_text, sizeof pid_text, "%.*s", (int)(suffix - dash), dash);
        if (gz_parse_int(pid_text, 1, 1 << 30, &pid) != 0)
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[GZ_PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, n);
        if (unlink(path) == 0)
            gz_log_info(4200, "removed %s, left by an interrupted backup",
                        path);
    }
    closedir(d);
}

static int name_cmp_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

/*
 * The backups in dir (names of the one pattern), newest first: keeps the
 * newest `keep` (all when keep is 0) and deletes the rest. Returns how many
 * are left (-1 when dir cannot be read); the newest one's time and size go
 * to *newest_at / *newest_bytes (0 when none). Never touches other files.
 */
static int rotate(const char *dir, int keep, long long *newest_at,
                  long long *newest_bytes)
{
    *newest_at = 0;
    *newest_bytes = 0;
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (backup_name_time(e->d_name) < 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            char **more = realloc(names, cap * sizeof *names);
            if (!more)
                break;
            names = more;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, name_cmp_desc);
    int left = 0;
    for (size_t i = 0; i < n; i++) {
        char path[GZ_PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (i == 0) {
            struct stat sb;
            *newest_at = backup_name_time(names[i]);
            if (stat(path, &sb) == 0)
                *newest_bytes = (long long)sb.st_size;
        }
        if (keep > 0 && i >= (size_t)keep) {
            if (unlink(path) == 0)
                gz_log_info(4201, "backup %s deleted (keeping the newest %d)",
                            path, keep);
            else {
                gz_log_err(4202, "cannot delete the old backup %s: %s", path,
                           strerror(errno));
                left++;
            }
        } else {
            left++;
        }
        free(names[i]);
    }
    free(names);
    return left;
}

static void record_failure(const char *why)
{
    pthread_mutex_lock(&bk.lock);
    bk.failures++;
    bk.last_error_at = gz_now();
    snprintf(bk.last_error, sizeof bk.last_error, "%s", why);
    pthread_mutex_unlock(&bk.lock);
}

/* One scheduled backup into bk.dir, checked, renamed, rotated. 0 when it
 * was written, else GZ_* (logged and counted, unless abandoned). */
static int run_once(void)
{
    double t0 = mono_now();
    char st[20], final[GZ_PATH_MAX + 64], tmp[GZ_PATH_MAX + 64];
    char err[4 * GZ_PATH_MAX] = "";
    int rc = GZ_EIO, version = 0;
    stamp(time(NULL), st);
    snprintf(final, sizeof final, "%s/" NAME_PREFIX "%s.db", bk.dir, st);
    snprintf(tmp, sizeof tmp, "%s/" TMP_PREFIX "%s-%ld" TMP_SUFFIX, bk.dir, st,
             (long)getpid());
    struct stat sb;
    if (stat(bk.dir, &sb) != 0) {
        snprintf(err, sizeof err, "the backup directory %s: %s", bk.dir,
                 errno == ENOENT ? "does not exist" : strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(sb.st_mode)) {
        snprintf(err, sizeof err, "the backup directory %s is not a directory",
                 bk.dir);
        goto fail;
    }
    if (create_new(tmp, err, sizeof err) != 0)
        goto fail;
    struct gz_db *db = gz_db_open(bk.db_path, GZ_DB_READONLY, NULL);
    if (!db) {
        snprintf(err, sizeof err, "cannot open the database %s", bk.db_path);
        goto fail_tmp;
    }
    rc = copy_core(db->h, tmp, NULL, NULL, &bk.stop, err, sizeof err);
    gz_db_close(db);
    if (rc == 0)
        rc = verify_path(tmp, &bk.stop, &version, err, sizeof err);
    if (rc != 0)
        goto fail_tmp;
    if (rename(tmp, final) != 0) {
        snprintf(err, sizeof err, "cannot rename %s to %s: %s", tmp, final,
                 strerror(errno));
        rc = GZ_EIO;
        goto fail_tmp;
    }
    sync_dir(bk.dir);
    long long bytes = stat(final, &sb) == 0 ? (long long)sb.st_size : 0;
    long long newest_at, newest_bytes;
    int kept = rotate(bk.dir, bk.keep, &newest_at, &newest_bytes);
    double took = mono_now() - t0;
    pthread_mutex_lock(&bk.lock);
    bk.last_at = backup_name_time(final + strlen(final) - NAME_LEN);
    bk.last_bytes = bytes;
    bk.last_duration = took;
    bk.kept = kept;
    bk.last_error[0] = '\0';
    pthread_mutex_unlock(&bk.lock);
    gz_log_info(4203,
                "backup %s written and verified: %lld bytes, schema version "
                "%d, in %.2f s; %d kept",
                final, bytes, version, took, kept);
    return 0;
fail_tmp:
    unlink(tmp);
    {
        /* A copy's journal, if it died mid-write. */
        char journal[sizeof tmp + 8];
        snprintf(journal, sizeof journal, "%s-journal", tmp);
        unlink(journal);
    }
fail:
    if (atomic_load(&bk.stop)) {
        gz_log_info(4204, "backup into %s abandoned: the server is stopping",
                    bk.dir);
        return GZ_EIO;
    }
    gz_log_err(4205, "backup into %s failed: %s (earlier backups are kept)",
               bk.dir, err);
    record_failure(err);
    return rc ? rc : GZ_EIO;
}

static void *backup_thread(void *arg)
{
    (void)arg;
    remove_stale_tmp(bk.dir);
    long long newest_at, newest_bytes;
    int kept = rotate(bk.dir, 0, &newest_at, &newest_bytes);
    pthread_mutex_lock(&bk.lock);
    bk.kept = kept > 0 ? kept : 0;
    if (newest_at > 0) {
        /* Metrics keep telling the last success across a restart. */
        bk.last_at = newest_at;
        bk.last_bytes = newest_bytes;
    }
    pthread_mutex_unlock(&bk.lock);
    long long wait = 0;
    if (newest_at > 0 && newest_at + bk.interval > gz_now())
        wait = newest_at + bk.interval - gz_now();
    char every[40], when[32];
    human_interval(bk.interval, every, sizeof every);
    gz_time_rfc3339(gz_now() + wait, when);
    gz_log_info(4206, "backups every %s into %s, keeping %d; the next %s%s",
                every, bk.dir, bk.keep, wait ? "at " : "now", wait ? when : "");
    double due = mono_now() + (double)wait;
    pthread_mutex_lock(&bk.lock);
    while (!atomic_load(&bk.stop)) {
        double now = mono_now();
        if (now >= due) {
            pthread_mutex_unlock(&bk.lock);
            int rc = run_once();
            int next = bk.interval;
            if (rc != 0 && next > RETRY_AFTER_FAILURE)
                next = RETRY_AFTER_FAILURE;
            due = now + next;
            pthread_mutex_lock(&bk.lock);
            continue;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        double left = due - now;
        until.tv_sec += (time_t)left;
        until.tv_nsec += (long)((left - (double)(time_t)left) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&bk.cond, &bk.lock, &until);
    }
    pthread_mutex_unlock(&bk.lock);
    return NULL;
}

int gz_backup_start(const struct gz_config *cfg)
{
    pthread_mutex_lock(&bk.lock);
    bk.on = cfg->backup_dir[0] != '\0';
    snprintf(bk.dir, sizeof bk.dir, "%s", cfg->backup_dir);
    /* "dir/" and "dir" name the same folder; keep one spelling. */
    size_t n = strlen(bk.dir);
    while (n > 1 && bk.dir[n - 1] == '/')
        bk.dir[--n] = '\0';
    snprintf(bk.db_path, sizeof bk.db_path, "%s", cfg->db_path);
    bk.interval = cfg->backup_interval;
    bk.keep = cfg->backup_keep;
    pthread_mutex_unlock(&bk.lock);
    if (!bk.on || bk.started)
        return 0;
    atomic_store(&bk.stop, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&bk.cond, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&bk.thread, NULL, backup_thread, NULL) != 0) {
        gz_log_err(4207, "the backup thread did not start: no unattended "
                         "backups");
        pthread_cond_destroy(&bk.cond);
        return GZ_EIO;
    }
    bk.started = 1;
    return 0;
}

void gz_backup_stop(void)
{
    if (!bk.started)
        return;
    pthread_mutex_lock(&bk.lock);
    atomic_store(&bk.stop, 1);
    pthread_cond_broadcast(&bk.cond);
    pthread_mutex_unlock(&bk.lock);
    pthread_join(bk.thread, NULL);
    pthread_cond_destroy(&bk.cond);
    bk.started = 0;
}

void gz_backup_metrics(struct gz_buf *out)
{
    pthread_mutex_lock(&bk.lock);
    int on = bk.on, kept = bk.kept;
    long long last_at = bk.last_at, bytes = bk.last_bytes,
              failures = bk.failures;
    double took = bk.last_duration;
    pthread_mutex_unlock(&bk.lock);
    gz_buf_printf(
        out,
        "# HELP gazette_backup_enabled 1 when unattended backups are on"
        " ([backup] dir).\n"
        "# TYPE gazette_backup_enabled gauge\n"
        "gazette_backup_enabled %d\n"
        "# HELP gazette_backup_last_success_timestamp_seconds When the"
        " newest verified backup was taken (0: none).\n"
        "# TYPE gazette_backup_last_success_timestamp_seconds gauge\n"
        "gazette_backup_last_success_timestamp_seconds %lld\n"
        "# HELP gazette_backup_last_size_bytes Size of the newest verified"
        " backup.\n"
        "# TYPE gazette_backup_last_size_bytes gauge\n"
        "gazette_backup_last_size_bytes %lld\n"
        "# HELP gazette_backup_last_duration_seconds Time the last"
        " successful backup took, copy and check (0: none since start).\n"
        "# TYPE gazette_backup_last_duration_seconds gauge\n"
        "gazette_backup_last_duration_seconds %.3f\n"
        "# HELP gazette_backup_failures_total Backups that failed since the"
        " server started.\n"
        "# TYPE gazette_backup_failures_total counter\n"
        "gazette_backup_failures_total %lld\n"
        "# HELP gazette_backup_kept Backups in the backup directory.\n"
        "# TYPE gazette_backup_kept gauge\n"
        "gazette_backup_kept %d\n",
        on, last_at, bytes, took, failures, kept);
}

json_t *gz_backup_status(void)
{
    pthread_mutex_lock(&bk.lock);
    int on = bk.on, kept = bk.kept, keep = bk.keep;
    long long last_at = bk.last_at, bytes = bk.last_bytes,
              failures = bk.failures, error_at = bk.last_error_at;
    char dir[GZ_PATH_MAX], error[sizeof bk.last_error];
    snprintf(dir, sizeof dir, "%s", bk.dir);
    snprintf(error, sizeof error, "%s", bk.last_error);
    int interval = bk.interval;
    pthread_mutex_unlock(&bk.lock);
    char every[40] = "", at[32] = "", when[40] = "", size[32] = "",
         error_when[40] = "", summary[GZ_PATH_MAX + 200];
    if (on)
        human_interval(interval, every, sizeof every);
    if (last_at > 0) {
        time_t t = (time_t)last_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        gz_time_rfc3339(last_at, at);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
        human_size(bytes, size, sizeof size);
        snprintf(summary, sizeof summary, "Last backup: %s, %s, %d kept in %s",
                 when, size, kept, dir);
    } else {
        snprintf(summary, sizeof summary, "No backup yet in %s", dir);
    }
    if (error_at > 0) {
        time_t t = (time_t)error_at;
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(error_when, sizeof error_when, "%Y-%m-%d %H:%M UTC", &tm);
    }
    return json_pack("{s:b, s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:I, s:s,"
                     " s:I, s:s, s:s}",
                     "on", on, "dir", dir, "every", every, "keep", keep, "kept",
                     kept, "last_at", at, "last_when", when, "last_size", size,
                     "last_bytes", (json_int_t)bytes, "summary", summary,
                     "failures", (json_int_t)failures, "last_error", error,
                     "last_error_when", error_when);
}

/* ---- the server's lock ------------------------------------------------------
 */

static int lock_fd = -1; /* kept open for the life of the process */

/* DB.lock into out; 0, or GZ_EINVAL when the path is too long. */
static int lock_path(const char *db_path, char *out, size_t outlen)
{
    return (size_t)snprintf(out, outlen, "%s.lock", db_path) < outlen
               ? 0
               : GZ_EINVAL;
}

int gz_backup_serve_lock(const char *db_path, char *err, size_t errlen)
{
    char path[GZ_PATH_MAX + 8];
    if (lock_path(db_path, path, sizeof path) != 0) {
        snprintf(err, errlen, "paths.db: the path is too long");
        return GZ_EINVAL;
    }
    /* NOTE: a POSIX lock on a file of its own, never on the database:
     * closing any descriptor of a file drops the process's POSIX locks
     * on it, which would drop SQLite's own. Only this descriptor ever
     * opens DB.lock in the server. */
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the lock file %s: %s", path,
                 strerror(errno));
        return GZ_EIO;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_RDLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        snprintf(err, errlen,
                 "%s is being restored (gazette restore holds %s); start the "
                 "server when it is done",
                 db_path, path);
        close(fd);
        return GZ_ECONFLICT;
    }
    lock_fd = fd;
    return 0;
}

/* ---- the command line -------------------------------------------------------
 */

struct cli_progress {
    int tty;
    int last_pct;
};

static void cli_progress(void *cls, long long done, long long total)
{
    struct cli_progress *p = cls;
    if (!p->tty)
        return;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    fprintf(stderr, "\rbackup: copying %3d%% (%lld of %lld pages)", pct, done,
            total);
    fflush(stderr);
}

int gz_backup_cli(const struct gz_config *cfg, const char *file, int force)
{
    char err[4 * GZ_PATH_MAX] = "", tmp[GZ_PATH_MAX + 40];
    struct stat sb;
    if (stat(cfg->db_path, &sb) != 0) {
        fprintf(stderr, "gazette: no database at %s\n", cfg->db_path);
        return 1;
    }
    if (stat(file, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) {
            fprintf(stderr,
                    "gazette: %s is a directory; name the backup "
                    "file\n",
                    file);
            return 1;
        }
        if (!force) {
            fprintf(stderr,
                    "gazette: %s already exists; choose another name, or "
                    "add --force to replace it\n",
                    file);
            return 1;
        }
    }
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%ld", file, (long)getpid()) >=
        sizeof tmp) {
        fprintf(stderr, "gazette: %s: the path is too long\n", file);
        return 1;
    }
    if (create_new(tmp, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: %s\n", err);
        return 1;
    }
    struct cli_progress p = {isatty(STDERR_FILENO), -1};
    double t0 = mono_now();
    int rc = 1, version = 0;
    struct gz_db *db = gz_db_open(cfg->db_path, GZ_DB_READONLY, NULL);
    if (!db) {
        snprintf(err, sizeof err, "cannot open the database %s", cfg->db_path);
        goto out;
    }
    if (copy_core(db->h, tmp, cli_progress, &p, NULL, err, sizeof err) != 0) {
        gz_db_close(db);
        goto out;
    }
    gz_db_close(db);
    if (p.tty)
        fputs("\rbackup: checking the copy (PRAGMA integrity_check)...     ",
              stderr);
    if (verify_path(tmp, NULL, &version, err, sizeof err) != 0)
        goto out;
    if (rename(tmp, file) != 0) {
        snprintf(err, sizeof err, "cannot rename %s to %s: %s", tmp, file,
                 strerror(errno));
        goto out;
    }
    char dir[GZ_PATH_MAX];
    dir_of(file, dir, sizeof dir);
    sync_dir(dir);
    rc = 0;
out:
    if (p.tty)
        fputs("\n", stderr);
    if (rc != 0) {
        unlink(tmp);
        fprintf(stderr, "gazette: backup failed: %s\n", err);
        return rc;
    }
    long long bytes = stat(file, &sb) == 0 ? (long long)sb.st_size : 0;
    char size[32];
    human_size(bytes, size, sizeof size);
    printf("backup written to %s: %s (%lld bytes), schema version %d, "
           "integrity ok, in %.1f s\n",
           file, size, bytes, version, mono_now() - t0);
    return 0;
}

/* Copies the file src to dst (created, must not exist), synced. */
static int copy_plain(const char *src, const char *dst, char *err,
                      size_t errlen)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
        return GZ_EIO;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (out < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dst, strerror(errno));
        close(in);
        return GZ_EIO;
    }
    char buf[65536];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                snprintf(err, errlen, "cannot write %s: %s", dst,
                         strerror(errno));
                rc = GZ_EIO;
                goto done;
            }
            off += w;
        }
    }
    if (n < 0) {
        snprintf(err, errlen, "cannot read %s: %s", src, strerror(errno));
        rc = GZ_EIO;
    } else if (fsync(out) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
        rc = GZ_EIO;
    }
done:
    close(in);
    if (close(out) != 0 && rc == 0) {
        snprintf(err, errlen, "cannot write %s: %s", dst, strerror(errno));
        rc = GZ_EIO;
    }
    if (rc != 0)
        unlink(dst);
    return rc;
}

/* Keeps the current database as keep: a consistent copy through the
 * backup API, or, when that cannot read it (a damaged database is a
 * reason to restore), the files as they are (DB and DB-wal). */
static int keep_current(const char *db_path, const char *keep, char *err,
                        size_t errlen, int *damaged)
{
    char why[4 * GZ_PATH_MAX] = "";
    *damaged = 0;
    struct gz_db *db = gz_db_open(db_path, GZ_DB_READONLY, NULL);
    if (db && create_new(keep, why, sizeof why) == 0) {
        int rc = copy_core(db->h, keep, NULL, NULL, NULL, why, sizeof why);
        gz_db_close(db);
        if (rc == 0)
            return 0;
        unlink(keep);
    } else {
        gz_db_close(db);
    }
    fprintf(stderr,
            "gazette: the current database cannot be copied through SQLite "
            "(%s); keeping its files as they are\n",
            why[0] ? why : "it does not open");
    if (copy_plain(db_path, keep, err, errlen) != 0)
        return GZ_EIO;
    char wal[GZ_PATH_MAX + 8], keep_wal[GZ_PATH_MAX + 80];
    snprintf(wal, sizeof wal, "%s-wal", db_path);
    snprintf(keep_wal, sizeof keep_wal, "%s-wal", keep);
    struct stat sb;
    if (stat(wal, &sb) == 0 && copy_plain(wal, keep_wal, err, errlen) != 0) {
        unlink(keep);
        return GZ_EIO;
    }
    *damaged = 1;
    return 0;
}

/* Copies the checked file into the database at db_path, in one
 * transaction of the destination (all or nothing). */
static int copy_in(const char *file, const char *db_path, char *err,
                   size_t errlen)
{
    sqlite3 *src = NULL, *dst = NULL;
    sqlite3_backup *b = NULL;
    int rc = GZ_EDB;
    if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", file,
                 src ? sqlite3_errmsg(src) : "out of memory");
        goto out;
    }
    if (sqlite3_open_v2(db_path, &dst,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot open %s: %s", db_path,
                 dst ? sqlite3_errmsg(dst) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(dst, 5000);
    /* A WAL destination needs the source's page size; in rollback mode
     * any works. The database goes back to WAL when the server (or the
     * migration below) opens it. */
    sqlite3_exec(dst, "PRAGMA journal_mode=DELETE;", NULL, NULL, NULL);
    b = sqlite3_backup_init(dst, "main", src, "main");
    if (!b) {
        snprintf(err, errlen, "cannot start the copy: %s", sqlite3_errmsg(dst));
        goto out;
    }
    int s, busy = 0;
    while ((s = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
           s == SQLITE_LOCKED) {
        if (++busy > 250)
            break;
        sqlite3_sleep(20);
    }
    if (s != SQLITE_DONE) {
        snprintf(err, errlen, "cannot copy %s into %s: %s", file, db_path,
                 sqlite3_errstr(s));
        goto out;
    }
    s = sqlite3_backup_finish(b);
    b = NULL;
    if (s != SQLITE_OK) {
        snprintf(err, errlen, "cannot copy %s into %s: %s", file, db_path,
                 sqlite3_errmsg(dst));
        goto out;
    }
    rc = 0;
out:
    if (b)
        sqlite3_backup_finish(b);
    sqlite3_close(dst);
    sqlite3_close(src);
    return rc;
}

int gz_restore_cli(const struct gz_config *cfg, const char *file)
{
    const char *db_path = cfg->db_path;
    char err[4 * GZ_PATH_MAX] = "", lpath[GZ_PATH_MAX + 8];
    char keep[GZ_PATH_MAX + 64] = "";
    struct stat sb, db_sb;
    int rc = 1, version = 0, fd = -1;
    if (stat(file, &sb) != 0) {
        fprintf(stderr, "gazette: cannot restore %s: %s\n", file,
                strerror(errno));
        return 1;
    }
    if (!S_ISREG(sb.st_mode)) {
        fprintf(stderr, "gazette: cannot restore %s: not a regular file\n",
                file);
        return 1;
    }
    int db_exists = stat(db_path, &db_sb) == 0;
    if (db_exists && db_sb.st_dev == sb.st_dev && db_sb.st_ino == sb.st_ino) {
        fprintf(stderr, "gazette: %s is the database itself\n", file);
        return 1;
    }
    if (lock_path(db_path, lpath, sizeof lpath) != 0) {
        fprintf(stderr, "gazette: paths.db: the path is too long\n");
        return 1;
    }
    char dir[GZ_PATH_MAX];
    dir_of(db_path, dir, sizeof dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "gazette: cannot create %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "gazette: cannot open the lock file %s: %s\n", lpath,
                strerror(errno));
        return 1;
    }
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        struct flock who;
        memset(&who, 0, sizeof who);
        who.l_type = F_WRLCK;
        who.l_whence = SEEK_SET;
        if (fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK &&
            who.l_pid > 0)
            fprintf(stderr,
                    "gazette: a server (pid %ld) is using %s; stop it "
                    "first\n",
                    (long)who.l_pid, db_path);
        else
            fprintf(stderr,
                    "gazette: a server or another restore is using %s; stop "
                    "it first\n",
                    db_path);
        goto out;
    }
    if (verify_path(file, NULL, &version, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: cannot restore: %s; %s is untouched\n", err,
                db_path);
        goto out;
    }
    if (db_exists) {
        char st[20];
        stamp(time(NULL), st);
        snprintf(keep, sizeof keep, "%s.before-restore-%s", db_path, st);
        int damaged = 0;
        if (keep_current(db_path, keep, err, sizeof err, &damaged) != 0) {
            fprintf(stderr,
                    "gazette: cannot keep a copy of the current database "
                    "(%s); nothing was changed\n",
                    err);
            keep[0] = '\0';
            goto out;
        }
        if (damaged) {
            /* SQLite cannot write into what it cannot read: the damaged
             * files (kept above) make way for a fresh one (no server runs:
             * the lock is ours) */
            static const char *const ext[] = {"", "-wal", "-shm"};
            for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
                char f[GZ_PATH_MAX + 8];
                snprintf(f, sizeof f, "%s%s", db_path, ext[i]);
                if (unlink(f) != 0 && errno != ENOENT) {
                    fprintf(stderr, "gazette: cannot remove the damaged %s: "
                            "%s; it is kept in %s\n", f, strerror(errno),
                            keep);
                    goto out;
                }
            }
        }
    }
    if (copy_in(file, db_path, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: %s; %s is as it was\n", err, db_path);
        goto out;
    }
    struct gz_db *db = gz_db_open(db_path, GZ_DB_READWRITE, cfg->synchronous);
    int applied = db ? gz_db_migrate(db) : GZ_EDB;
    /* Every cache in front holds pages of the database just replaced:
     * the next server purges everything (src/cdn/purge.c). */
    if (applied >= 0 && gz_store_changes_all(db) != 0)
        applied = GZ_EDB;
    gz_db_close(db);
    if (applied < 0) {
        fprintf(stderr,
                "gazette: %s was restored from %s but its migration "
                "failed%s%s\n",
                db_path, file, keep[0] ? "; the previous database is in " : "",
                keep);
        goto out;
    }
    printf("restored %s into %s (schema version %d", file, db_path, version);
    if (applied > 0)
        printf(", %d migration%s applied", applied, applied == 1 ? "" : "s");
    printf(")\n");
    if (keep[0])
        printf("the database as it was before is kept in %s\n", keep);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}
