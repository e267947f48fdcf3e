/*
 * static.c - the files under static/, loaded into memory once at start-up.
 *
 * Each file is served under its own name ("/static/css/site.css", revalidated
 * with its ETag) and under a fingerprinted name with a hash of its content
 * ("/static/css/site.3f2a9c1b.css", cached for a year as immutable). Pages
 * link the fingerprinted names, so a deploy changes the URLs.
 *
 * SECURITY: a request is answered only when its path equals the name of a
 * file found here at start-up, so no request path ever reaches the file
 * system: "..", "%2e%2e", NUL and symlinks out of the folder cannot work.
 * Symlinks are not followed while loading either.
 *
 * Files up to BIG_FILE bytes (every asset the theme ships) are kept in
 * memory and gzipped when sent. A larger one is not read into memory: it
 * stays open from start-up, hashed as it was then, and each answer sends
 * a duplicate of that descriptor (gz_resp.file_open), so its memory does
 * not grow with its size or with the clients receiving it (it goes
 * without gzip). Its ETag is the same BLAKE2b tag respond.c gives a body.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gazette/http.h"

/* Files larger than this are sent from their descriptor. */
#define BIG_FILE (256 * 1024)

struct file {
    char *url;    /* "/static/css/site.css" */
    char *fp_url; /* "/static/css/site.3f2a9c1b.css" */
    const char *rel;
    unsigned char *data; /* NULL for a big file */
    size_t len;
    const char *mime;
    int fd;        /* a big file, open for the app's life; -1 otherwise */
    char etag[40]; /* a big file's quoted ETag */
};

struct gz_static {
    struct file *files;
    size_t n, cap;
};

static const struct {
    const char *ext;
    const char *mime;
} mimes[] = {
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
    {".json", "application/json"},
    {".xml", "application/xml"},
    {".html", "text/html; charset=utf-8"},
};

static const char *mime_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    if (dot)
        for (size_t i = 0; i < sizeof mimes / sizeof mimes[0]; i++)
            if (strcasecmp(dot, mimes[i].ext) == 0)
                return mimes[i].mime;
    return "application/octet-stream";
}

/* Opens a big file and hashes it by reading it through once: its
 * fingerprint (4 bytes) and its ETag (12 bytes, as respond.c's etag_of).
 * Returns the descriptor, or -1. */
static int open_big(const char *full, size_t *len, unsigned char fp[4],
                    char etag[40])
{
    int fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    crypto_generichash_state hfp, het;
    crypto_generichash_init(&hfp, NULL, 0, 4);
    crypto_generichash_init(&het, NULL, 0, 12);
    unsigned char buf[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = pread(fd, buf, sizeof buf, (off_t)total);
        if (n < 0) {
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        crypto_generichash_update(&hfp, buf, (size_t)n);
        crypto_generichash_update(&het, buf, (size_t)n);
        total += (size_t)n;
    }
    unsigned char h[12];
    char hex[25];
    crypto_generichash_final(&hfp, fp, 4);
    crypto_generichash_final(&het, h, sizeof h);
    gz_hex(h, sizeof h, hex);
    snprintf(etag, 40, "\"%s\"", hex);
    *len = total;
    return fd;
}

static int add_file(struct gz_static *s, const char *full, const char *rel,
                    long long size)
{
    size_t len = 0;
    char *data = NULL;
    int fd = -1;
    char etag[40] = "";
    unsigned char h[4];
    if (size > BIG_FILE) {
        fd = open_big(full, &len, h, etag);
        if (fd < 0)
            return GZ_EIO;
    } else {
        data = gz_read_file(full, &len);
        if (!data)
            return GZ_EIO;
        crypto_generichash(h, sizeof h, (unsigned char *)data, len, NULL, 0);
    }
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        struct file *f = realloc(s->files, cap * sizeof *f);
        if (!f) {
            free(data);
            if (fd >= 0)
                close(fd);
            return GZ_ENOMEM;
        }
        s->files = f;
        s->cap = cap;
    }
    char hex[9];
    gz_hex(h, sizeof h, hex);
    struct file *f = &s->files[s->n];
    size_t rl = strlen(rel);
    f->url = malloc(rl + 9);
    f->fp_url = malloc(rl + 9 + 9);
    if (!f->url || !f->fp_url) {
        free(f->url);
        free(f->fp_url);
        free(data);
        if (fd >= 0)
            close(fd);
        return GZ_ENOMEM;
    }
    snprintf(f->url, rl + 9, "/static/%s", rel);
    const char *dot = strrchr(rel, '.');
    const char *slash = strrchr(rel, '/');
    if (dot && (!slash || dot > slash))
        snprintf(f->fp_url, rl + 18, "/static/%.*s.%s%s", (int)(dot - rel), rel,
                 hex, dot);
    else
        snprintf(f->fp_url, rl + 18, "/static/%s.%s", rel, hex);
    f->rel = f->url + 8;
    f->data = (unsigned char *)data;
    f->len = len;
    f->mime = mime_of(rel);
    f->fd = fd;
    snprintf(f->etag, sizeof f->etag, "%s", etag);
    s->n++;
    return 0;
}

static int walk(struct gz_static *s, const char *root, const char *rel,
                int depth)
{
    char dir[2048];
    snprintf(dir, sizeof dir, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(dir);
    if (!d)
        return GZ_EIO;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ., .. and hidden files are never served */
        char full[2048], sub[1024];
        snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 8)
            rc = walk(s, root, sub, depth + 1);
        else if (S_ISREG(st.st_mode))
            rc = add_file(s, full, sub, (long long)st.st_size);
    }
    closedir(d);
    return rc;
}

struct gz_static *gz_static_load(const char *dir)
{
    struct gz_static *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (walk(s, dir, "", 0) != 0) {
        gz_log_err(1201, "cannot read the static folder %s", dir);
        gz_static_free(s);
        return NULL;
    }
    return s;
}

void gz_static_free(struct gz_static *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->files[i].url);
        free(s->files[i].fp_url);
        free(s->files[i].data);
        if (s->files[i].fd >= 0)
            close(s->files[i].fd);
    }
    free(s->files);
    free(s);
}

const char *gz_static_url(const struct gz_static *s, const char *rel)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (strcmp(s->files[i].rel, rel) == 0)
            return s->files[i].fp_url;
    return NULL;
}

int gz_static_serve(const struct gz_static *s, const char *path,
                    struct gz_resp *resp)
{
    for (size_t i = 0; s && i < s->n; i++) {
        const struct file *f = &s->files[i];
        int fp = strcmp(f->fp_url, path) == 0;
        if (fp || strcmp(f->url, path) == 0) {
            resp->status = 200;
            resp->content_type = f->mime;
            resp->cache = fp ? GZ_CACHE_IMMUTABLE : GZ_CACHE_REVALIDATE;
            if (f->fd < 0) {
                resp->static_body = f->data;
                resp->len = f->len;
                return 0;
            }
            /* NOTE: a duplicate shares the file offset, which MHD never
             * uses: it sends with sendfile() or pread() at explicit
             * offsets, so answers in parallel cannot disturb each other. */
            int fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
            if (fd < 0)
                return 503;
            resp->file_open = 1;
            resp->file_fd = fd;
            resp->file_size = (long long)f->len;
            snprintf(resp->etag, sizeof resp->etag, "%s", f->etag);
            return 0;
        }
    }
    return 404;
}
