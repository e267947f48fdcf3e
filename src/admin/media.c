/*
 * media.c - uploaded images: POST /admin/media keeps an upload and answers
 * with its URL and size as JSON (the editor's "insert image" button), the
 * story form keeps its feature image through gz_newsroom_keep_upload, and
 * GET /media/<sha256>.<ext> serves the files.
 *
 * Files are named by the SHA-256 of their content, so a name never
 * changes meaning, the same image uploaded twice is stored once, and the
 * answers can be cached as immutable. The router has already checked the
 * type by magic bytes (415 otherwise) and the size while streaming (413).
 *
 * Also the small helpers every newsroom page shares (newsroom_pages.h).
 * Threads: handlers keep no state; the file system is the only thing
 * shared, and rename() makes a stored file appear whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gazette/tz.h"
#include "gazette/admin.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "newsroom_pages.h"

/* ---- shared helpers ---------------------------------------------------- */

const char *gz_newsroom_field(struct gz_req *req, const char *name)
{
    const char *v = json_string_value(json_object_get(gz_req_form(req), name));
    return v ? v : "";
}

void gz_newsroom_section(json_t *model, const char *name)
{
    json_object_set_new(model, "section", json_pack("{s:b}", name, 1));
}

void gz_newsroom_when(long long t, char *out, size_t outlen)
{
    const struct gz_tz *tz = gz_tz_site();
    long long local = t + gz_tz_offset(tz, t);
    char day[40], iso[32];
    gz_time_human(local, day);
    gz_time_rfc3339(local, iso);
    /* iso is "2026-11-25T18:26:48Z": the time is at 11..15. */
    snprintf(out, outlen, "%s, %.5s %s", day, iso + 11, gz_tz_abbr(tz, t));
}

void gz_newsroom_zone(json_t *model)
{
    const struct gz_tz *tz = gz_tz_site();
    long long now = (long long)time(NULL);
    long off = gz_tz_offset(tz, now);
    char utc_offset[32];
    long a = off < 0 ? -off : off;
    snprintf(utc_offset, sizeof utc_offset, "UTC%c%02ld:%02ld",
             off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    json_object_set_new(model, "zone",
                        json_pack("{s:s, s:s, s:s}", "name", gz_tz_name(tz),
                                  "abbr", gz_tz_abbr(tz, now), "utc_offset",
                                  utc_offset));
}

void gz_newsroom_when_short(long long t, char *out, size_t outlen)
{
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr",
                                         "May", "Jun", "Jul", "Aug",
                                         "Sep", "Oct", "Nov", "Dec"};
    char iso[32];
    gz_time_rfc3339(t + gz_tz_offset(gz_tz_site(), t), iso);
    /* iso is "2026-11-25T18:26:48Z", read as local time. */
    long long month = 1, day = 1;
    char part[3] = {iso[5], iso[6], 0};
    gz_parse_int(part, 1, 12, &month);
    part[0] = iso[8];
    part[1] = iso[9];
    gz_parse_int(part, 1, 31, &day);
    snprintf(out, outlen, "%lld %s %.4s, %.5s", day, months[month - 1], iso,
             iso + 11);
}

/* ---- image sizes --------------------------------------------------------- */

/* Width and height from a JPEG's first SOF segment. 0 or -1. */
static int jpeg_size(FILE *f, int *w, int *h)
{
    unsigned char b[8];
    if (fread(b, 1, 2, f) != 2 || b[0] != 0xff || b[1] != 0xd8)
        return -1;
    for (int seg = 0; seg < 4096; seg++) {
        int c = fgetc(f);
        if (c != 0xff)
            return -1;
        while (c == 0xff)
            c = fgetc(f); /* fill bytes */
        if (c == EOF)
            return -1;
        if (c == 0x01 || (c >= 0xd0 && c <= 0xd7))
            continue; /* markers without a length */
        if (c == 0xd9 || c == 0xda)
            return -1; /* end, or scan data before any frame header */
        if (fread(b, 1, 2, f) != 2)
            return -1;
        int len = (b[0] << 8) | b[1];
        if (len < 2)
            return -1;
        if (c >= 0xc0 && c <= 0xcf && c != 0xc4 && c != 0xc8 && c != 0xcc) {
            if (len < 7 || fread(b, 1, 5, f) != 5)
                return -1;
            *h = (b[1] << 8) | b[2];
            *w = (b[3] << 8) | b[4];
            return *w > 0 && *h > 0 ? 0 : -1;
        }
        if (fseek(f, len - 2, SEEK_CUR) != 0)
            return -1;
    }
    return -1;
}

/* Width and height of a WebP (lossy VP8, lossless VP8L or extended VP8X). */
static int webp_size(FILE *f, int *w, int *h)
{
    unsigned char b[30];
    if (fread(b, 1, sizeof b, f) != sizeof b || memcmp(b, "RIFF", 4) != 0 ||
        memcmp(b + 8, "WEBP", 4) != 0)
        return -1;
    if (memcmp(b + 12, "VP8X", 4) == 0) {
        *w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16));
        *h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    } else if (memcmp(b + 12, "VP8 ", 4) == 0) {
        if (b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a)
            return -1;
        *w = (b[26] | (b[27] << 8)) & 0x3fff;
        *h = (b[28] | (b[29] << 8)) & 0x3fff;
    } else if (memcmp(b + 12, "VP8L", 4) == 0) {
        if (b[20] != 0x2f)
            return -1;
        unsigned long bits =
            (unsigned long)b[21] | ((unsigned long)b[22] << 8) |
            ((unsigned long)b[23] << 16) | ((unsigned long)b[24] << 24);
        *w = 1 + (int)(bits & 0x3fff);
        *h = 1 + (int)((bits >> 14) & 0x3fff);
    } else {
        return -1;
    }
    return *w > 0 && *h > 0 ? 0 : -1;
}

/* Fills in the size the server could not read from the first bytes. */
static void read_size(const char *path, struct gz_upload *u, int *w, int *h)
{
    *w = u->width;
    *h = u->height;
    if (*w > 0 && *h > 0)
        return;
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    int rc = -1;
    if (strcmp(u->ext, "jpg") == 0)
        rc = jpeg_size(f, w, h);
    else if (strcmp(u->ext, "webp") == 0)
        rc = webp_size(f, w, h);
    fclose(f);
    if (rc != 0 || *w > 100000 || *h > 100000)
        *w = *h = 0;
}

/* ---- keeping an upload --------------------------------------------------- */

int gz_newsroom_keep_upload(struct gz_req *req, struct gz_upload *u, char *url,
                            size_t urllen, int *width, int *height)
{
    struct gz_app *app = gz_req_app(req);
    const struct gz_user *me = gz_req_user(req);
    char final[1200];
    /* SECURITY: the name is built only from the hash the server computed
     * (64 hex digits) and an extension from its fixed table. */
    if (strlen(u->sha256) != 64 || strspn(u->sha256, "0123456789abcdef") != 64)
        return 500;
    snprintf(final, sizeof final, "%s/media/%s.%s", app->cfg.data_dir,
             u->sha256, u->ext);
    int w = 0, h = 0;
    read_size(u->tmp_path, u, &w, &h);
    struct stat sb;
    if (stat(final, &sb) == 0) {
        unlink(u->tmp_path); /* the same bytes are stored already */
    } else if (rename(u->tmp_path, final) != 0) {
        gz_log_err(2301, "request %s: cannot store %s: %s", gz_req_id(req),
                   final, strerror(errno));
        return 500;
    } else {
        chmod(final, 0644);
    }
    u->tmp_path[0] = '\0'; /* taken: the server must not delete it */
    if (gz_store_media_add(gz_req_db(req), u->sha256, u->ext, u->mime, u->size,
                           w, h, me ? me->id : 0, url, urllen, width,
                           height) != 0) {
        gz_log_err(2302, "request %s: cannot record media %s", gz_req_id(req),
                   u->sha256);
        return 500;
    }
    return 0;
}

/* ---- handlers ------------------------------------------------------------ */

int gz_page_admin_media_upload(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_upload *u = gz_req_upload(req);
    if (!u) {
        gz_respond_error(req, resp, 400,
                         "Choose an image file (JPEG, PNG, WebP or GIF).");
        return 0;
    }
    char url[96];
    int w = 0, h = 0;
    int st = gz_newsroom_keep_upload(req, u, url, sizeof url, &w, &h);
    if (st)
        return st;
    json_t *j =
        json_pack("{s:s, s:i, s:i, s:s, s:I}", "url", url, "width", w, "height",
                  h, "type", u->mime, "bytes", (json_int_t)u->size);
    int rc = gz_resp_json(resp, 201, j);
    json_decref(j);
    return rc;
}

/* 1 when name is <64 lowercase hex digits>.<jpg|png|webp|gif>; sets the
 * content type. */
static int media_name_ok(const char *name, const char **ctype)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{"jpg", "image/jpeg"},
                 {"png", "image/png"},
                 {"webp", "image/webp"},
                 {"gif", "image/gif"}};
    if (strspn(name, "0123456789abcdef") != 64 || name[64] != '.')
        return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strcmp(name + 65, types[i].ext) == 0) {
            *ctype = types[i].type;
            return 1;
        }
    }
    return 0;
}

int gz_page_site_media(struct gz_req *req, struct gz_resp *resp)
{
    const char *path = gz_req_path(req);
    const char *ctype = NULL;
    /* SECURITY: only names of the one fixed shape are served, and only
     * when the media table lists them; no other input reaches the path. */
    if (strncmp(path, "/media/", 7) != 0 || !media_name_ok(path + 7, &ctype))
        return 404;
    int rc = gz_store_media_find(gz_req_db(req), path, NULL, NULL);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    char file[1200];
    snprintf(file, sizeof file, "%s/media/%s", gz_req_app(req)->cfg.data_dir,
             path + 7);
    /* The server sends the file from its descriptor (gz_resp.file_open):
     * nothing of it is read into memory here, so a large image asked for
     * by many slow clients costs a descriptor each, not a copy each.
     * O_NOFOLLOW: the media folder holds only files we renamed there. */
    int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE))
        return 503; /* out of descriptors: a moment's shortage */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        gz_log_err(2303, "request %s: media %s is listed but unreadable",
                   gz_req_id(req), path);
        return 404;
    }
    resp->status = 200;
    resp->content_type = ctype;
    resp->file_open = 1;
    resp->file_fd = fd;
    resp->file_size = (long long)st.st_size;
    resp->cache = GZ_CACHE_IMMUTABLE;
    /* The name is the SHA-256 of the content: it is the strong ETag. */
    snprintf(resp->etag, sizeof resp->etag, "\"%.64s\"", path + 7);
    return 0;
}
