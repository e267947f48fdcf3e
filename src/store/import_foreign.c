/*
 * import_foreign.c - `gazette import --from ghost|wordpress FILE`: a
 * Ghost JSON export or a WordPress WXR 1.2 file converted into Gazette's
 * own import document, which gz_store_import_progress then imports in one
 * transaction (validation, idempotency and the page-cache reset are the
 * native import's). What this file adds (docs/IMPORT.md):
 *
 *   - HTML bodies to Markdown (render/html2md.c), losses reported;
 *   - slugs kept where Gazette accepts them, made valid otherwise;
 *   - the old URLs as "redirects" (store/redirects.c);
 *   - with --media-dir, the images the export refers to copied into the
 *     media store (content-addressed, so a second run adds nothing);
 *   - a report: stories imported/updated, what was skipped and why, what
 *     each story lost in conversion.
 *
 * WXR is read with libxml2 (no network, no entity expansion: a WXR file
 * needs neither, and both are how XML parsers get attacked).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <sodium.h>

#include "gazette/config.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/import.h"
#include "internal.h"

#define FILE_MAX (512LL << 20)
#define WP_NS "http://wordpress.org/export/"
#define CONTENT_NS "http://purl.org/rss/1.0/modules/content/"
#define DC_NS "http://purl.org/dc/elements/1.1/"

/* One conversion's state. All json_t members are owned. */
struct fx {
    struct gz_db *db;
    const struct gz_import_opts *o;
    json_t *doc;       /* the native document being built */
    json_t *skipped;   /* report: [{item, reason}] */
    json_t *losses;    /* report: [{item, lost: [...]}] */
    json_t *used;      /* "a:slug" / "t:slug" / "u:slug" -> true */
    json_t *redirects; /* path -> {path, article|tag|author} */
    json_t *media;     /* URL -> "/media/..." or null (not found) */
    char mapped[96];
    int relative_images;
};

static void skip(struct fx *f, const char *item, const char *reason)
{
    json_array_append_new(
        f->skipped, json_pack("{s:s, s:s}", "item", item, "reason", reason));
}

static void lost(struct fx *f, const char *item, json_t *what)
{
    if (json_array_size(what))
        json_array_append_new(
            f->losses, json_pack("{s:s, s:O}", "item", item, "lost", what));
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* "id" fields: Ghost uses strings, older exports numbers. */
static void jid(json_t *o, const char *key, char out[64])
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v))
        snprintf(out, 64, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, 64, "%lld", (long long)json_integer_value(v));
    else
        out[0] = '\0';
}

/* A time as RFC 3339 (owned JSON string), or NULL when absent or bad.
 * WordPress writes "YYYY-MM-DD hh:mm:ss" in UTC for its _gmt fields. */
static json_t *time_json(const char *s)
{
    if (!s || !*s || strncmp(s, "0000", 4) == 0)
        return NULL;
    char buf[64];
    if (strlen(s) == 19 && s[10] == ' ') {
        snprintf(buf, sizeof buf, "%.10sT%sZ", s, s + 11);
        s = buf;
    }
    long long t = gz_time_parse_rfc3339(s);
    if (t <= 0)
        return NULL;
    char iso[32];
    gz_time_rfc3339(t, iso);
    return json_string(iso);
}

/* s as text Gazette takes: valid UTF-8 (else ""), control characters but
 * tab and newline made spaces, cut at a word to max_chars code points and
 * then, if need be, at a character to max_bytes bytes (the native
 * import's limits are in bytes), "…" marking a cut. Owned, NULL without
 * memory. */
static char *clean_text(const char *s, size_t max_chars, size_t max_bytes)
{
    char *t = gz_text_excerpt(s ? s : "", max_chars);
    if (!t)
        return NULL;
    for (char *p = t; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t')
            *p = ' ';
    if (!gz_utf8_valid_text(t, strlen(t)))
        t[0] = '\0';
    size_t n = strlen(t);
    if (n > max_bytes && max_bytes >= 4) {
        n = max_bytes - 3;
        while (n > 0 && ((unsigned char)t[n] & 0xc0) == 0x80)
            n--;
        memcpy(t + n, "\xe2\x80\xa6", 4);
    }
    return t;
}

/* Latin-1 letters with accents to ASCII ("café" -> "cafe"), so slugs
 * made from them keep their words; other characters stay. Owned. */
static char *fold_latin(const char *s)
{
    static const char map[] = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiii"
                              "dnooooo-ouuuuyty";
    struct gz_buf b = {0};
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
            unsigned c = 0xc0 + (p[1] - 0x80);
            if (c == 0xdf)
                gz_buf_puts(&b, "ss");
            else if (c == 0xc6 || c == 0xe6)
                gz_buf_puts(&b, "ae");
            else
                gz_buf_putc(&b, map[c - 0xc0]);
            p++;
        } else {
            gz_buf_putc(&b, (char)*p);
        }
    }
    gz_buf_putc(&b, '\0');
    return gz_buf_steal(&b, NULL);
}

static void put_utf8(struct gz_buf *b, unsigned long c)
{
    if (c == 0 || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        c = 0xfffd;
    if (c < 0x80) {
        gz_buf_putc(b, (char)c);
    } else if (c < 0x800) {
        gz_buf_putc(b, (char)(0xc0 | c >> 6));
        gz_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
        gz_buf_putc(b, (char)(0xe0 | c >> 12));
        gz_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        gz_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    } else {
        gz_buf_putc(b, (char)(0xf0 | c >> 18));
        gz_buf_putc(b, (char)(0x80 | ((c >> 12) & 0x3f)));
        gz_buf_putc(b, (char)(0x80 | ((c >> 6) & 0x3f)));
        gz_buf_putc(b, (char)(0x80 | (c & 0x3f)));
    }
}

/* WordPress keeps term names and some titles HTML-escaped ("World &amp;
 * Europe", "It&#8217;s"): the common entities and numeric references
 * decoded. Owned. */
static char *decode_entities(const char *s)
{
    static const struct {
        const char *name;
        unsigned long c;
    } named[] = {{"amp;", '&'},       {"lt;", '<'},       {"gt;", '>'},
                 {"quot;", '"'},      {"apos;", '\''},    {"nbsp;", 0xa0},
                 {"hellip;", 0x2026}, {"ndash;", 0x2013}, {"mdash;", 0x2014},
                 {"lsquo;", 0x2018},  {"rsquo;", 0x2019}, {"ldquo;", 0x201c},
                 {"rdquo;", 0x201d}};
    struct gz_buf b = {0};
    for (const char *p = s; *p; p++) {
        if (*p == '&' && p[1] == '#') {
            char *end;
            int hex = p[2] == 'x' || p[2] == 'X';
            unsigned long c = strtoul(p + 2 + hex, &end, hex ? 16 : 10);
            if (end > p + 2 + hex && *end == ';' && end - p < 12) {
                put_utf8(&b, c);
                p = end;
                continue;
            }
        } else if (*p == '&') {
            size_t k;
            for (k = 0; k < sizeof named / sizeof named[0]; k++)
                if (strncmp(p + 1, named[k].name, strlen(named[k].name)) == 0)
                    break;
            if (k < sizeof named / sizeof named[0]) {
                put_utf8(&b, named[k].c);
                p += strlen(named[k].name);
                continue;
            }
        }
        gz_buf_putc(&b, *p);
    }
    gz_buf_putc(&b, '\0');
    return gz_buf_steal(&b, NULL);
}

/* A slug Gazette accepts, unused so far in this kind (k: 'a' stories,
 * 't' tags, 'u' users), made from want. For users, a slug held in the
 * database by someone with another email is also taken. */
static void make_slug(struct fx *f, char k, const char *want, const char *email,
                      char out[96])
{
    char dec[512], base[84];
    snprintf(dec, sizeof dec, "%s", want ? want : "");
    long n = gz_url_decode(dec, strlen(dec), 0);
    if (n < 0 || memchr(dec, 0, (size_t)n) != NULL)
        snprintf(dec, sizeof dec, "%s", want ? want : "");
    if (strlen(dec) <= 80 && gz_slug_valid(dec)) {
        snprintf(base, sizeof base, "%s", dec);
    } else {
        char *folded = fold_latin(dec);
        gz_slugify(folded ? folded : dec, base, sizeof base);
        free(folded);
    }
    for (int i = 1; i < 1000; i++) {
        if (i == 1)
            snprintf(out, 96, "%s", base);
        else
            snprintf(out, 96, "%s-%d", base, i);
        char key[100];
        snprintf(key, sizeof key, "%c:%s", k, out);
        if (json_object_get(f->used, key))
            continue;
        if (k == 'u') {
            sqlite3_stmt *st =
                gz_db_stmt(f->db, GZ_SQL("SELECT 1 FROM users WHERE slug = ?1"
                                         " AND email != ?2 COLLATE NOCASE"));
            int taken = 0;
            if (st) {
                gz_bind_text(st, 1, out);
                gz_bind_text(st, 2, email);
                taken = sqlite3_step(st) == SQLITE_ROW;
                sqlite3_reset(st);
            }
            if (taken)
                continue;
        }
        json_object_set_new(f->used, key, json_true());
        return;
    }
}

static void redirect(struct fx *f, const char *path, const char *kind,
                     const char *slug)
{
    char norm[1024];
    if (!path || gz_redirect_path_norm(path, norm, sizeof norm) != 0 ||
        strcmp(norm, "/") == 0 || json_object_get(f->redirects, norm))
        return;
    json_object_set_new(f->redirects, norm,
                        json_pack("{s:s, s:s}", "path", norm, kind, slug));
}

/* The path of a URL ("https://x.org/a/b/?p=1#c" -> "/a/b/"), decoded,
 * into out; "/?p=N" and "/?page_id=N" keep their query. 0 or -1. */
static int url_path(const char *url, char *out, size_t outlen)
{
    const char *p = url;
    const char *scheme = strstr(url, "://");
    if (scheme) {
        p = strchr(scheme + 3, '/');
        if (!p) {
            p = "/";
        }
    }
    if (*p != '/')
        return -1;
    snprintf(out, outlen, "%s", p);
    char *frag = strchr(out, '#');
    if (frag)
        *frag = '\0';
    char *q = strchr(out, '?');
    if (q) {
        if (q == out + 1 &&
            (strncmp(q, "?p=", 3) == 0 || strncmp(q, "?page_id=", 9) == 0)) {
            char *amp = strchr(q, '&');
            if (amp)
                *amp = '\0';
            return 0;
        }
        *q = '\0';
    }
    long n = gz_url_decode(out, strlen(out), 0);
    if (n < 0 || memchr(out, 0, (size_t)n) != NULL)
        return -1;
    out[n] = '\0';
    return 0;
}

/* ---- media ------------------------------------------------------------- */

static const char *sniff(const unsigned char *b, size_t n, const char **mime,
                         int *w, int *h)
{
    *w = *h = 0;
    if (n >= 24 && memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0) {
        *mime = "image/png";
        *w = (b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19]) & 0x7fffffff;
        *h = (b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23]) & 0x7fffffff;
        return "png";
    }
    if (n >= 10 &&
        (memcmp(b, "GIF87a", 6) == 0 || memcmp(b, "GIF89a", 6) == 0)) {
        *mime = "image/gif";
        *w = b[6] | b[7] << 8;
        *h = b[8] | b[9] << 8;
        return "gif";
    }
    if (n >= 3 && memcmp(b, "\xff\xd8\xff", 3) == 0) {
        *mime = "image/jpeg";
        return "jpg";
    }
    if (n >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0) {
        *mime = "image/webp";
        return "webp";
    }
    return NULL;
}

/* Copies the file into data_dir/media/<sha256>.<ext> and lists it in the
 * document; the URL path into f->mapped. 0, or -1 (not an image, too
 * big, unreadable). */
static int store_file(struct fx *f, const char *file)
{
    FILE *in = fopen(file, "rb");
    if (!in)
        return -1;
    unsigned char *data = NULL;
    size_t len = 0, cap = 0;
    long long max =
        f->o->max_media_bytes > 0 ? f->o->max_media_bytes : 20LL << 20;
    for (;;) {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *d = realloc(data, cap);
            if (!d)
                break;
            data = d;
        }
        size_t got = fread(data + len, 1, cap - len, in);
        len += got;
        if (got == 0 || (long long)len > max)
            break;
    }
    fclose(in);
    const char *mime = NULL;
    int w, h;
    const char *ext =
        data && (long long)len <= max ? sniff(data, len, &mime, &w, &h) : NULL;
    if (!ext) {
        free(data);
        return -1;
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, data, len);
    char sha[65];
    for (int i = 0; i < 32; i++)
        snprintf(sha + 2 * i, 3, "%02x", hash[i]);
    char dir[1100], final[1200], tmp[1250];
    snprintf(dir, sizeof dir, "%s/media", f->o->data_dir);
    mkdir(f->o->data_dir, 0755);
    mkdir(dir, 0755);
    snprintf(final, sizeof final, "%s/%s.%s", dir, sha, ext);
    struct stat sb;
    int rc = 0;
    if (stat(final, &sb) != 0) {
        snprintf(tmp, sizeof tmp, "%s.import-%ld", final, (long)getpid());
        FILE *out = fopen(tmp, "wb");
        if (!out || fwrite(data, 1, len, out) != len || fclose(out) != 0 ||
            rename(tmp, final) != 0) {
            if (out)
                unlink(tmp);
            rc = -1;
        } else {
            chmod(final, 0644);
        }
    }
    free(data);
    if (rc)
        return -1;
    snprintf(f->mapped, sizeof f->mapped, "/media/%s.%s", sha, ext);
    json_t *m = json_pack("{s:s, s:s, s:s, s:I}", "sha256", sha, "path",
                          f->mapped, "mime", mime, "bytes", (json_int_t)len);
    if (w > 0 && h > 0 && w <= 100000 && h <= 100000) {
        json_object_set_new(m, "width", json_integer(w));
        json_object_set_new(m, "height", json_integer(h));
    }
    json_array_append_new(json_object_get(f->doc, "media"), m);
    return 0;
}

/* html2md's map_url: an image URL whose path's tail names a file under
 * --media-dir becomes that file in the media store. */
static const char *map_url(void *ctx, const char *url)
{
    struct fx *f = ctx;
    if (url[0] == '/' && url[1] != '/')
        f->relative_images = 1;
    if (!f->o->media_dir)
        return NULL;
    json_t *known = json_object_get(f->media, url);
    if (known)
        return json_is_string(known) ? json_string_value(known) : NULL;
    char path[1024];
    json_t *result = json_null();
    if (url_path(url, path, sizeof path) == 0 && !strchr(path, '?') &&
        !strstr(path, "/../") && !strstr(path, "/./")) {
        size_t plen = strlen(path);
        if (!(plen >= 3 && strcmp(path + plen - 3, "/..") == 0)) {
            /* the longest tail first: /content/images/a.jpg, /images/a.jpg,
             * /a.jpg */
            for (const char *t = path; t && *t; t = strchr(t + 1, '/')) {
                char file[2100];
                struct stat sb;
                snprintf(file, sizeof file, "%s%s", f->o->media_dir, t);
                if (stat(file, &sb) == 0 && S_ISREG(sb.st_mode)) {
                    if (store_file(f, file) == 0)
                        result = json_string(f->mapped);
                    break;
                }
            }
        }
    }
    json_object_set_new(f->media, url, result);
    return json_is_string(result) ? json_string_value(result) : NULL;
}

/* Replaces every "__GHOST_URL__" (Ghost 4+ writes it for the site's own
 * address) with nothing: site-relative URLs. Owned result. */
static char *unghost(const char *s)
{
    struct gz_buf b = {0};
    const char *p;
    while ((p = strstr(s, "__GHOST_URL__")) != NULL) {
        gz_buf_append(&b, s, (size_t)(p - s));
        s = p + 13;
    }
    gz_buf_puts(&b, s);
    gz_buf_putc(&b, '\0');
    return gz_buf_steal(&b, NULL);
}

/* A feature image URL: mapped into the media store, or kept. */
static json_t *feature_image(struct fx *f, const char *url, const char *alt,
                             const char *caption)
{
    if (!url || !*url)
        return NULL;
    char *u = unghost(url);
    const char *m = u ? map_url(f, u) : NULL;
    if (!u || (!m && !gz_url_is_safe(u))) {
        free(u);
        return NULL;
    }
    char *a = clean_text(alt, 200, 1000), *c = clean_text(caption, 200, 1000);
    json_t *img = json_pack("{s:s, s:s, s:s}", "url", m ? m : u, "alt",
                            a ? a : "", "caption", c ? c : "");
    free(a);
    free(c);
    free(u);
    return img;
}

/* ---- shared story assembly -------------------------------------------- */

/* Body, title and excerpt of a story into a; 0, or -1 with a reason
 * given to skip(). */
static int story_text(struct fx *f, json_t *a, const char *item,
                      const char *title, const char *html, int autop,
                      const char *excerpt, json_t *lose)
{
    char *t = clean_text(title, 280, 300);
    if (!t || !*t) {
        free(t);
        t = strdup("(untitled)");
        json_array_append_new(lose,
                              json_string("no title (now \"(untitled)\")"));
    } else if (strlen(title) > 300 || gz_utf8_len(title, strlen(title)) > 280) {
        json_array_append_new(lose, json_string("title shortened"));
    }
    json_object_set_new(a, "title", json_string(t ? t : "(untitled)"));
    free(t);
    char *src = unghost(html ? html : "");
    struct gz_html2md_opts ho = {autop, map_url, f};
    int rel = f->relative_images;
    f->relative_images = 0;
    char *md = src ? gz_html_to_md(src, strlen(src), &ho, lose) : NULL;
    if (f->relative_images && !f->o->media_dir)
        json_array_append_new(lose,
                              json_string("images at site-relative URLs (give "
                                          "--media-dir to bring them in)"));
    f->relative_images |= rel;
    free(src);
    if (!md) {
        skip(f, item, "out of memory converting the body");
        return -1;
    }
    if (strlen(md) > (1u << 20) || !gz_utf8_valid_text(md, strlen(md))) {
        free(md);
        skip(f, item, "body larger than 1 MiB of Markdown");
        return -1;
    }
    json_object_set_new(a, "markdown", json_string(md));
    free(md);
    /* Excerpts are text: any HTML in them goes. */
    char *ex = NULL;
    if (excerpt && *excerpt)
        ex = clean_text(excerpt, 240, 1000);
    json_object_set_new(a, "excerpt", json_string(ex ? ex : ""));
    free(ex);
    return 0;
}

static json_t *fallback_author(struct fx *f)
{
    json_t *authors = json_object_get(f->doc, "authors");
    json_t *first = json_array_get(authors, 0);
    if (first)
        return json_object_get(first, "slug");
    char slug[96];
    make_slug(f, 'u', "imported", "imported@import.invalid", slug);
    json_array_append_new(authors, json_pack("{s:s, s:s, s:s}", "name",
                                             "Imported", "slug", slug, "email",
                                             "imported@import.invalid"));
    return json_object_get(json_array_get(authors, 0), "slug");
}

/* The story's author: the one the export names, else the fallback, which
 * the report then names. */
static void set_author(struct fx *f, json_t *a, const char *author,
                       json_t *lose)
{
    if (!author) {
        json_t *fb = fallback_author(f);
        char m[200];
        snprintf(m, sizeof m, "no author in the export (attributed to %s)",
                 json_string_value(fb));
        json_array_append_new(lose, json_string(m));
        author = json_string_value(fb);
    }
    json_object_set_new(a, "author", json_string(author));
}

static void add_author(struct fx *f, json_t *ids, const char *id,
                       const char *name, const char *slug_want,
                       const char *email_in, const char *bio,
                       const char *created)
{
    char email[300], slug[96];
    char *n = clean_text(name && *name ? name : slug_want, 78, 80);
    if (email_in && *email_in && !gz_email_problem(email_in))
        snprintf(email, sizeof email, "%s", email_in);
    else
        snprintf(email, sizeof email, "%s@import.invalid",
                 slug_want && *slug_want ? slug_want : "author");
    /* The same person twice (same email): one user. */
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(f->doc, "authors"), i, u)
    {
        if (strcasecmp(jstr(u, "email"), email) == 0) {
            json_object_set(ids, id, json_object_get(u, "slug"));
            free(n);
            return;
        }
    }
    make_slug(f, 'u', slug_want && *slug_want ? slug_want : name, email, slug);
    if (gz_email_problem(email))
        snprintf(email, sizeof email, "%s@import.invalid", slug);
    json_t *a = json_pack("{s:s, s:s, s:s}", "name", n && *n ? n : slug, "slug",
                          slug, "email", email);
    char *b = bio && *bio ? clean_text(bio, 400, 2000) : NULL;
    if (b)
        json_object_set_new(a, "bio", json_string(b));
    free(b);
    json_t *t = time_json(created);
    if (t)
        json_object_set_new(a, "created_at", t);
    json_array_append_new(json_object_get(f->doc, "authors"), a);
    json_object_set_new(ids, id, json_string(slug));
    free(n);
}

/* A tag by slug (made once); returns its slug (borrowed from f->doc). */
static const char *add_tag(struct fx *f, json_t *ids, const char *id,
                           const char *name, const char *slug_want,
                           const char *desc)
{
    json_t *known = json_object_get(ids, id);
    if (known)
        return json_string_value(known);
    char slug[96];
    char *n = clean_text(name && *name ? name : slug_want, 58, 60);
    make_slug(f, 't', slug_want && *slug_want ? slug_want : name, NULL, slug);
    char *d = clean_text(desc, 240, 500);
    json_array_append_new(json_object_get(f->doc, "tags"),
                          json_pack("{s:s, s:s, s:s}", "name",
                                    n && *n ? n : slug, "slug", slug,
                                    "description", d ? d : ""));
    free(n);
    free(d);
    json_object_set_new(ids, id, json_string(slug));
    return json_string_value(json_object_get(ids, id));
}

/* ---- Ghost -------------------------------------------------------------- */

static int ghost(struct fx *f, json_t *root, char *err, size_t errlen)
{
    json_t *db0 = json_array_get(json_object_get(root, "db"), 0);
    json_t *data = json_object_get(db0, "data");
    const char *ver = jstr(json_object_get(db0, "meta"), "version");
    if (!json_is_object(data) ||
        !json_is_array(json_object_get(data, "posts"))) {
        snprintf(err, errlen,
                 "not a Ghost export: expected "
                 "{\"db\": [{\"meta\": ..., \"data\": {\"posts\": [...]}}]}");
        return GZ_EINVAL;
    }
    long long major = 0;
    char head[8] = "";
    if (ver)
        snprintf(head, sizeof head, "%.*s", (int)strcspn(ver, "."), ver);
    if (!ver || gz_parse_int(head, 2, 6, &major) != 0) {
        snprintf(err, errlen,
                 "Ghost export version %.20s is not supported "
                 "(expected 2.x to 6.x in db[0].meta.version)",
                 ver ? ver : "(none)");
        return GZ_EINVAL;
    }
    json_t *user_ids = json_object(), *tag_ids = json_object();
    json_t *post_tags = json_object(), *post_authors = json_object();
    json_t *meta = json_object();
    size_t i;
    json_t *v;
    char id[64], item[400];
    json_array_foreach(json_object_get(data, "users"), i, v)
    {
        jid(v, "id", id);
        add_author(f, user_ids, id, jstr(v, "name"), jstr(v, "slug"),
                   jstr(v, "email"), jstr(v, "bio"), jstr(v, "created_at"));
    }
    json_array_foreach(json_object_get(data, "tags"), i, v)
    {
        const char *name = jstr(v, "name");
        const char *vis = jstr(v, "visibility");
        jid(v, "id", id);
        if ((vis && strcmp(vis, "internal") == 0) || (name && name[0] == '#')) {
            snprintf(item, sizeof item, "tag \"%.80s\"", name ? name : id);
            skip(f, item, "an internal tag (Ghost's #tags are not shown)");
            json_object_set_new(tag_ids, id, json_null());
            continue;
        }
        add_tag(f, tag_ids, id, name, jstr(v, "slug"), jstr(v, "description"));
        const char *slug = json_string_value(json_object_get(tag_ids, id));
        char path[300];
        snprintf(path, sizeof path, "/tag/%s/",
                 jstr(v, "slug") ? jstr(v, "slug") : "");
        if (slug && jstr(v, "slug"))
            redirect(f, path, "tag", slug);
    }
    json_array_foreach(json_object_get(data, "users"), i, v)
    {
        jid(v, "id", id);
        const char *slug = json_string_value(json_object_get(user_ids, id));
        char path[300];
        if (slug && jstr(v, "slug")) {
            snprintf(path, sizeof path, "/author/%s/", jstr(v, "slug"));
            redirect(f, path, "author", slug);
        }
    }
    /* posts_tags and posts_authors, in sort_order */
    static const char *const links[] = {"posts_tags", "posts_authors"};
    for (int l = 0; l < 2; l++) {
        json_t *into = l ? post_authors : post_tags;
        json_array_foreach(json_object_get(data, links[l]), i, v)
        {
            char pid[64], oid[64];
            jid(v, "post_id", pid);
            jid(v, l ? "author_id" : "tag_id", oid);
            json_t *list = json_object_get(into, pid);
            if (!list) {
                list = json_array();
                json_object_set_new(into, pid, list);
            }
            json_int_t ord =
                json_integer_value(json_object_get(v, "sort_order"));
            size_t at = json_array_size(list);
            for (size_t k = 0; k < json_array_size(list); k++)
                if (json_integer_value(
                        json_object_get(json_array_get(list, k), "o")) > ord) {
                    at = k;
                    break;
                }
            json_array_insert_new(list, at,
                                  json_pack("{s:s, s:I}", "id", oid, "o", ord));
        }
    }
    json_array_foreach(json_object_get(data, "posts_meta"), i, v)
    {
        jid(v, "post_id", id);
        json_object_set(meta, id, v);
    }

    json_t *articles = json_object_get(f->doc, "articles");
    json_array_foreach(json_object_get(data, "posts"), i, v)
    {
        jid(v, "id", id);
        const char *title = jstr(v, "title"), *type = jstr(v, "type");
        const char *status = jstr(v, "status");
        snprintf(item, sizeof item, "post \"%.80s\" (id %.40s)",
                 title ? title : "", id);
        if (type && strcmp(type, "post") != 0) {
            snprintf(item, sizeof item, "%.10s \"%.80s\" (id %.40s)", type,
                     title ? title : "", id);
            skip(f, item,
                 strcmp(type, "page") == 0
                     ? "a page, not a post (Gazette has stories only)"
                     : "not a post");
            continue;
        }
        const char *st = !status                            ? NULL
                         : strcmp(status, "published") == 0 ? "published"
                         : strcmp(status, "draft") == 0     ? "draft"
                         : strcmp(status, "scheduled") == 0 ? "scheduled"
                                                            : NULL;
        if (!st) {
            skip(f, item,
                 status && strcmp(status, "sent") == 0
                     ? "sent as a newsletter only, never on the site"
                     : "unknown status");
            continue;
        }
        json_t *pub = time_json(jstr(v, "published_at"));
        if (!pub && strcmp(st, "draft") != 0) {
            json_decref(pub);
            skip(f, item,
                 "published or scheduled without a valid "
                 "published_at");
            continue;
        }
        const char *html = jstr(v, "html");
        char *plain_html = NULL;
        if (!html && jstr(v, "plaintext")) {
            /* No HTML (only Mobiledoc/Lexical): the plain text, escaped. */
            struct gz_buf b = {0};
            gz_buf_puts(&b, "<pre>");
            gz_html_escape(&b, jstr(v, "plaintext"),
                           strlen(jstr(v, "plaintext")));
            gz_buf_puts(&b, "</pre>");
            plain_html = gz_buf_steal(&b, NULL);
        }
        if (!html && !plain_html) {
            json_decref(pub);
            skip(f, item,
                 "no HTML body in the export (Mobiledoc or Lexical "
                 "only): export again from Ghost 4 or later");
            continue;
        }
        json_t *lose = json_array();
        json_t *a = json_object();
        char slug[96];
        make_slug(f, 'a', jstr(v, "slug") ? jstr(v, "slug") : title, NULL,
                  slug);
        if (jstr(v, "slug") && strcmp(slug, jstr(v, "slug")) != 0) {
            char m[400];
            snprintf(m, sizeof m,
                     "slug \"%.80s\" is now \"%s\" (the old URL "
                     "redirects)",
                     jstr(v, "slug"), slug);
            json_array_append_new(lose, json_string(m));
        }
        json_object_set_new(a, "slug", json_string(slug));
        json_object_set_new(a, "status", json_string(st));
        if (plain_html)
            json_array_append_new(lose, json_string("formatting (no HTML in "
                                                    "the export: plain text "
                                                    "kept)"));
        if (story_text(f, a, item, title, html ? html : plain_html, 0,
                       jstr(v, "custom_excerpt"), lose) != 0) {
            free(plain_html);
            json_decref(pub);
            json_decref(a);
            json_decref(lose);
            continue;
        }
        free(plain_html);
        if (pub)
            json_object_set_new(a, "published_at", pub);
        json_t *t;
        if ((t = time_json(jstr(v, "created_at"))))
            json_object_set_new(a, "created_at", t);
        if ((t = time_json(jstr(v, "updated_at"))))
            json_object_set_new(a, "updated_at", t);
        const char *vis = jstr(v, "visibility");
        if (vis && strcmp(vis, "public") != 0)
            json_array_append_new(lose, json_string("members-only visibility "
                                                    "(now public)"));
        json_t *pm = json_object_get(meta, id);
        json_t *img = feature_image(f, jstr(v, "feature_image"),
                                    jstr(pm, "feature_image_alt"),
                                    jstr(pm, "feature_image_caption"));
        if (img)
            json_object_set_new(a, "feature_image", img);
        /* authors: the first in sort order; co-authors are reported */
        json_t *al = json_object_get(post_authors, id);
        const char *author = NULL;
        if (json_array_size(al)) {
            author = json_string_value(
                json_object_get(user_ids, jstr(json_array_get(al, 0), "id")));
            if (json_array_size(al) > 1)
                json_array_append_new(lose, json_string("co-authors (only the "
                                                        "first is kept)"));
        }
        set_author(f, a, author, lose);
        json_t *tags = json_array();
        size_t k;
        json_t *tl;
        json_array_foreach(json_object_get(post_tags, id), k, tl)
        {
            const char *ts =
                json_string_value(json_object_get(tag_ids, jstr(tl, "id")));
            if (ts)
                json_array_append_new(tags, json_string(ts));
        }
        json_object_set_new(a, "tags", tags);
        json_array_append_new(articles, a);
        char path[300];
        if (jstr(v, "slug")) {
            snprintf(path, sizeof path, "/%s/", jstr(v, "slug"));
            redirect(f, path, "article", slug);
        }
        lost(f, item, lose);
        json_decref(lose);
    }
    json_decref(user_ids);
    json_decref(tag_ids);
    json_decref(post_tags);
    json_decref(post_authors);
    json_decref(meta);
    return 0;
}

/* ---- WordPress (WXR) ----------------------------------------------------- */

static int in_ns(const xmlNode *n, const char *ns_prefix)
{
    return n->ns && n->ns->href &&
           strncmp((const char *)n->ns->href, ns_prefix, strlen(ns_prefix)) ==
               0;
}

/* The first child element named name in a namespace starting with ns
 * (NULL: no namespace). */
static xmlNode *child(const xmlNode *n, const char *ns, const char *name)
{
    for (xmlNode *k = n ? n->children : NULL; k; k = k->next)
        if (k->type == XML_ELEMENT_NODE &&
            strcmp((const char *)k->name, name) == 0 &&
            (ns ? in_ns(k, ns) : k->ns == NULL))
            return k;
    return NULL;
}

/* The text of a child element as an owned string ("" when absent). */
static char *text_of(const xmlNode *n, const char *ns, const char *name)
{
    xmlNode *c = child(n, ns, name);
    xmlChar *t = c ? xmlNodeGetContent(c) : NULL;
    char *s = strdup(t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

/* A WordPress comment body (text with a little HTML) as plain text. */
static char *comment_text(const char *html)
{
    xmlDocPtr d = (xmlDocPtr)htmlReadMemory(
        html, (int)strlen(html), NULL, "UTF-8",
        HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
    xmlChar *t = d ? xmlNodeGetContent((xmlNode *)d) : NULL;
    char *s = clean_text(t ? (const char *)t : html, 4900, 20000);
    xmlFree(t);
    if (d)
        xmlFreeDoc(d);
    return s;
}

static void wp_comments(struct fx *f, xmlNode *item, json_t *a,
                        const char *item_name, json_t *lose)
{
    json_t *by_id = json_object(); /* comment id -> {c, parent} */
    json_t *order = json_array();
    for (xmlNode *k = item->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE || !in_ns(k, WP_NS) ||
            strcmp((const char *)k->name, "comment") != 0)
            continue;
        char *cid = text_of(k, WP_NS, "comment_id");
        char *parent = text_of(k, WP_NS, "comment_parent");
        char *name = text_of(k, WP_NS, "comment_author");
        char *email = text_of(k, WP_NS, "comment_author_email");
        char *date = text_of(k, WP_NS, "comment_date_gmt");
        char *body = text_of(k, WP_NS, "comment_content");
        char *approved = text_of(k, WP_NS, "comment_approved");
        char *type = text_of(k, WP_NS, "comment_type");
        char what[200];
        snprintf(what, sizeof what, "comment %s on %.150s", cid, item_name);
        const char *status = strcmp(approved, "1") == 0      ? "approved"
                             : strcmp(approved, "0") == 0    ? "pending"
                             : strcmp(approved, "spam") == 0 ? "spam"
                                                             : NULL;
        char *text = comment_text(body);
        if (*type && strcmp(type, "comment") != 0)
            skip(f, what, "a pingback or trackback, not a comment");
        else if (!status)
            skip(f, what, "in the trash");
        else if (!text || !*text)
            skip(f, what, "empty");
        else {
            char *n = clean_text(*name ? name : "Anonymous", 78, 80);
            json_t *c =
                json_pack("{s:s, s:s, s:s}", "name", n && *n ? n : "Anonymous",
                          "body", text, "status", status);
            free(n);
            if (*email && !gz_email_problem(email))
                json_object_set_new(c, "email", json_string(email));
            json_t *t = time_json(date);
            if (t)
                json_object_set_new(c, "created_at", t);
            json_object_set_new(
                by_id, cid, json_pack("{s:o, s:s}", "c", c, "parent", parent));
            json_array_append_new(order, json_string(cid));
        }
        free(text);
        free(cid);
        free(parent);
        free(name);
        free(email);
        free(date);
        free(body);
        free(approved);
        free(type);
    }
    /* Threads: Gazette keeps one level of replies, so a reply to a reply
     * hangs under the thread's first comment. */
    json_t *top = json_array();
    int deep = 0, looped = 0;
    size_t i;
    json_t *idv;
    json_array_foreach(order, i, idv)
    {
        const char *cid = json_string_value(idv);
        json_t *e = json_object_get(by_id, cid);
        json_t *c = json_object_get(e, "c");
        const char *p = jstr(e, "parent");
        json_t *root = NULL;
        int hops = 0;
        while (p && strcmp(p, "0") != 0 && *p && hops < 100) {
            json_t *pe = json_object_get(by_id, p);
            if (!pe)
                break;
            root = pe;
            p = jstr(pe, "parent");
            hops++;
        }
        if (hops >= 100 || root == e) {
            /* the parents go round in a loop (a broken export): never
             * hang a comment under itself; it starts its own thread */
            root = NULL;
            looped = 1;
        } else if (hops > 1) {
            deep = 1;
        }
        if (root) {
            json_t *rc = json_object_get(root, "c");
            json_t *rep = json_object_get(rc, "replies");
            if (!rep) {
                rep = json_array();
                json_object_set_new(rc, "replies", rep);
            }
            json_array_append(rep, c);
        } else {
            json_array_append(top, c);
        }
    }
    if (deep)
        json_array_append_new(lose, json_string("replies to replies (now "
                                                "replies to the thread's "
                                                "first comment)"));
    if (looped)
        json_array_append_new(lose, json_string("comments whose parents "
                                                "loop (now comments of "
                                                "their own)"));
    json_object_set_new(a, "comments", top);
    json_decref(by_id);
    json_decref(order);
}

static int wordpress(struct fx *f, xmlDoc *x, char *err, size_t errlen)
{
    xmlNode *rss = xmlDocGetRootElement(x);
    xmlNode *ch = rss && strcmp((const char *)rss->name, "rss") == 0
                      ? child(rss, NULL, "channel")
                      : NULL;
    xmlNode *vn = ch ? child(ch, WP_NS, "wxr_version") : NULL;
    if (!ch || !vn) {
        snprintf(err, errlen,
                 "not a WordPress export (WXR): expected <rss> "
                 "with a <channel> holding <wp:wxr_version>");
        return GZ_EINVAL;
    }
    xmlChar *ver = xmlNodeGetContent(vn);
    int ok = ver && (strcmp((const char *)ver, "1.2") == 0 ||
                     strcmp((const char *)ver, "1.1") == 0);
    if (!ok) {
        snprintf(err, errlen,
                 "WXR version %.20s is not supported (expected "
                 "1.1 or 1.2)",
                 ver ? (const char *)ver : "(none)");
        xmlFree(ver);
        return GZ_EINVAL;
    }
    xmlFree(ver);
    json_t *user_ids = json_object(), *tag_ids = json_object();
    json_t *attach = json_object();  /* post_id -> {url, alt} */
    json_t *parents = json_object(); /* category -> {parent, tag} */
    char item[400], path[1100];
    for (xmlNode *k = ch->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE || !in_ns(k, WP_NS))
            continue;
        const char *nm = (const char *)k->name;
        if (strcmp(nm, "author") == 0) {
            char *login = text_of(k, WP_NS, "author_login");
            char *email = text_of(k, WP_NS, "author_email");
            char *name = text_of(k, WP_NS, "author_display_name");
            char *dn = decode_entities(name);
            free(name);
            name = dn;
            add_author(f, user_ids, login, name, login, email, NULL, NULL);
            const char *slug = jstr(user_ids, login);
            snprintf(path, sizeof path, "/author/%s/", login);
            if (slug && *login)
                redirect(f, path, "author", slug);
            free(login);
            free(email);
            free(name);
        } else if (strcmp(nm, "category") == 0 || strcmp(nm, "tag") == 0) {
            int cat = nm[0] == 'c';
            char *slug =
                text_of(k, WP_NS, cat ? "category_nicename" : "tag_slug");
            char *name = text_of(k, WP_NS, cat ? "cat_name" : "tag_name");
            char *dn = decode_entities(name);
            free(name);
            name = dn;
            char *desc = text_of(
                k, WP_NS, cat ? "category_description" : "tag_description");
            char key[600];
            snprintf(key, sizeof key, "%s:%s", cat ? "category" : "post_tag",
                     slug);
            const char *s = add_tag(f, tag_ids, key, name, slug, desc);
            snprintf(path, sizeof path, "/%s/%s/", cat ? "category" : "tag",
                     slug);
            char dec[1100];
            if (s && url_path(path, dec, sizeof dec) == 0)
                redirect(f, dec, "tag", s);
            char *parent = cat ? text_of(k, WP_NS, "category_parent") : NULL;
            if (s && parent && *parent)
                json_object_set_new(
                    parents, slug,
                    json_pack("{s:s, s:s}", "parent", parent, "tag", s));
            free(parent);
            free(slug);
            free(name);
            free(desc);
        }
    }
    /* A child category's URL holds its parents:
     * /category/world/europe/. */
    const char *ck;
    json_t *cv;
    json_object_foreach(parents, ck, cv)
    {
        struct gz_buf chain = {0};
        gz_buf_puts(&chain, ck);
        const char *up = jstr(cv, "parent");
        for (int depth = 0; up && depth < 10; depth++) {
            struct gz_buf b = {0};
            gz_buf_printf(&b, "%s/%s", up, gz_buf_cstr(&chain));
            gz_buf_free(&chain);
            chain = b;
            up = jstr(json_object_get(parents, up), "parent");
        }
        snprintf(path, sizeof path, "/category/%s/", gz_buf_cstr(&chain));
        char dec[1100];
        if (url_path(path, dec, sizeof dec) == 0)
            redirect(f, dec, "tag", jstr(cv, "tag"));
        gz_buf_free(&chain);
    }
    /* attachments first: featured images name them by post id */
    for (xmlNode *k = ch->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE || k->ns ||
            strcmp((const char *)k->name, "item") != 0)
            continue;
        char *type = text_of(k, WP_NS, "post_type");
        if (strcmp(type, "attachment") == 0) {
            char *pid = text_of(k, WP_NS, "post_id");
            char *url = text_of(k, WP_NS, "attachment_url");
            json_t *at = json_pack("{s:s, s:s}", "url", url, "alt", "");
            for (xmlNode *m = k->children; m; m = m->next) {
                if (m->type != XML_ELEMENT_NODE || !in_ns(m, WP_NS) ||
                    strcmp((const char *)m->name, "postmeta") != 0)
                    continue;
                char *key = text_of(m, WP_NS, "meta_key");
                char *val = text_of(m, WP_NS, "meta_value");
                if (strcmp(key, "_wp_attachment_image_alt") == 0)
                    json_object_set_new(at, "alt", json_string(val));
                free(key);
                free(val);
            }
            json_object_set_new(attach, pid, at);
            free(pid);
            free(url);
        }
        free(type);
    }
    json_t *articles = json_object_get(f->doc, "articles");
    for (xmlNode *k = ch->children; k; k = k->next) {
        if (k->type != XML_ELEMENT_NODE || k->ns ||
            strcmp((const char *)k->name, "item") != 0)
            continue;
        char *type = text_of(k, WP_NS, "post_type");
        char *title = text_of(k, NULL, "title");
        char *dt = decode_entities(title);
        free(title);
        title = dt;
        char *pid = text_of(k, WP_NS, "post_id");
        char *status = text_of(k, WP_NS, "status");
        snprintf(item, sizeof item, "%s \"%.80s\" (id %.20s)",
                 *type ? type : "item", title, pid);
        json_t *a = NULL, *lose = NULL;
        char *name = NULL, *link = NULL, *creator = NULL, *date = NULL,
             *date_local = NULL, *content = NULL, *excerpt = NULL,
             *cstatus = NULL;
        const char *st = NULL;
        if (strcmp(type, "attachment") == 0)
            goto next; /* listed above; not reported */
        if (strcmp(type, "post") != 0) {
            skip(f, item,
                 strcmp(type, "page") == 0
                     ? "a page, not a post (Gazette has stories only)"
                     : "not a post");
            goto next;
        }
        st = strcmp(status, "publish") == 0  ? "published"
             : strcmp(status, "future") == 0 ? "scheduled"
             : strcmp(status, "draft") == 0 || strcmp(status, "pending") == 0 ||
                     strcmp(status, "private") == 0
                 ? "draft"
                 : NULL;
        if (!st) {
            skip(f, item,
                 strcmp(status, "trash") == 0 ? "in the trash"
                                              : "an auto-draft or "
                                                "unknown status");
            goto next;
        }
        name = text_of(k, WP_NS, "post_name");
        link = text_of(k, NULL, "link");
        creator = text_of(k, DC_NS, "creator");
        date = text_of(k, WP_NS, "post_date_gmt");
        date_local = text_of(k, WP_NS, "post_date");
        content = text_of(k, CONTENT_NS, "encoded");
        excerpt = NULL;
        for (xmlNode *e = k->children; e; e = e->next)
            if (e->type == XML_ELEMENT_NODE && e->ns && e->ns->href &&
                strstr((const char *)e->ns->href, "/excerpt/") &&
                strcmp((const char *)e->name, "encoded") == 0) {
                xmlChar *t = xmlNodeGetContent(e);
                free(excerpt); /* the last one, when there are several */
                excerpt = comment_text(t ? (const char *)t : "");
                xmlFree(t);
            }
        cstatus = text_of(k, WP_NS, "comment_status");
        json_t *pub = time_json(date);
        if (!pub)
            pub = time_json(date_local);
        if (!pub && strcmp(st, "draft") != 0) {
            skip(f, item,
                 "published or scheduled without a valid "
                 "wp:post_date_gmt");
            goto next;
        }
        lose = json_array();
        a = json_object();
        char slug[96];
        make_slug(f, 'a', *name ? name : title, NULL, slug);
        if (*name && strcmp(slug, name) != 0) {
            char m[300];
            snprintf(m, sizeof m,
                     "slug \"%.80s\" is now \"%s\" (the old URL "
                     "redirects)",
                     name, slug);
            json_array_append_new(lose, json_string(m));
        }
        if (strcmp(status, "private") == 0 || strcmp(status, "pending") == 0)
            json_array_append_new(lose, json_string("private or pending "
                                                    "(now a draft)"));
        json_object_set_new(a, "slug", json_string(slug));
        json_object_set_new(a, "status", json_string(st));
        if (pub && strcmp(st, "draft") != 0)
            json_object_set_new(a, "published_at", pub);
        else
            json_decref(pub);
        json_t *made = time_json(date);
        if (made)
            json_object_set_new(a, "created_at", made);
        json_object_set_new(a, "comments_open",
                            json_boolean(strcmp(cstatus, "closed") != 0));
        if (story_text(f, a, item, title, content, 1, excerpt, lose) != 0) {
            json_decref(a);
            a = NULL;
            goto next;
        }
        const char *author = jstr(user_ids, creator);
        set_author(f, a, author, lose);
        json_t *tags = json_array();
        for (xmlNode *c = k->children; c; c = c->next) {
            if (c->type != XML_ELEMENT_NODE || c->ns ||
                strcmp((const char *)c->name, "category") != 0)
                continue;
            xmlChar *dom = xmlGetProp(c, (const xmlChar *)"domain");
            xmlChar *nice = xmlGetProp(c, (const xmlChar *)"nicename");
            xmlChar *raw = xmlNodeGetContent(c);
            char *label = decode_entities(raw ? (const char *)raw : "");
            xmlFree(raw);
            if (dom && nice &&
                (strcmp((const char *)dom, "category") == 0 ||
                 strcmp((const char *)dom, "post_tag") == 0)) {
                char key[600];
                snprintf(key, sizeof key, "%s:%s", (const char *)dom,
                         (const char *)nice);
                const char *s = add_tag(f, tag_ids, key, (const char *)label,
                                        (const char *)nice, "");
                int dup = 0;
                for (size_t t = 0; t < json_array_size(tags); t++)
                    dup |= strcmp(json_string_value(json_array_get(tags, t)),
                                  s) == 0;
                if (s && !dup)
                    json_array_append_new(tags, json_string(s));
            }
            xmlFree(dom);
            xmlFree(nice);
            free(label);
        }
        json_object_set_new(a, "tags", tags);
        /* the featured image: postmeta _thumbnail_id -> attachment */
        for (xmlNode *m = k->children; m; m = m->next) {
            if (m->type != XML_ELEMENT_NODE || !in_ns(m, WP_NS) ||
                strcmp((const char *)m->name, "postmeta") != 0)
                continue;
            char *key = text_of(m, WP_NS, "meta_key");
            char *val = text_of(m, WP_NS, "meta_value");
            if (strcmp(key, "_thumbnail_id") == 0) {
                json_t *at = json_object_get(attach, val);
                json_t *img =
                    feature_image(f, jstr(at, "url"), jstr(at, "alt"), NULL);
                if (img)
                    json_object_set_new(a, "feature_image", img);
            }
            free(key);
            free(val);
        }
        wp_comments(f, k, a, item, lose);
        json_array_append(articles, a);
        char lp[1100];
        if (*link && url_path(link, lp, sizeof lp) == 0)
            redirect(f, lp, "article", slug);
        snprintf(lp, sizeof lp, "/?p=%s", pid);
        if (*pid)
            redirect(f, lp, "article", slug);
        lost(f, item, lose);
    next:
        json_decref(a);
        json_decref(lose);
        free(type);
        free(title);
        free(pid);
        free(status);
        free(name);
        free(link);
        free(creator);
        free(date);
        free(date_local);
        free(content);
        free(excerpt);
        free(cstatus);
    }
    json_decref(user_ids);
    json_decref(tag_ids);
    json_decref(attach);
    json_decref(parents);
    return 0;
}

/* ---- the command ----------------------------------------------------------
 */

static char *read_all(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *in = fopen(path, "rb");
    if (!in) {
        snprintf(err, errlen, "cannot read the file: %s", strerror(errno));
        return NULL;
    }
    struct gz_buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, in)) > 0) {
        if ((long long)(b.len + n) > FILE_MAX || gz_buf_append(&b, chunk, n)) {
            snprintf(err, errlen, "the file is larger than 512 MiB");
            fclose(in);
            gz_buf_free(&b);
            return NULL;
        }
    }
    fclose(in);
    *len = b.len;
    gz_buf_putc(&b, '\0');
    return gz_buf_steal(&b, NULL);
}

static void xml_quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

int gz_store_import_foreign(struct gz_db *db, const char *path,
                            const struct gz_import_opts *o, json_t *report,
                            char *err, size_t errlen)
{
    err[0] = '\0';
    int ghost_in = strcmp(o->from, "ghost") == 0;
    if (!ghost_in && strcmp(o->from, "wordpress") != 0) {
        snprintf(err, errlen, "--from: expected ghost or wordpress");
        return GZ_EINVAL;
    }
    if (o->media_dir) {
        struct stat sb;
        if (stat(o->media_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            snprintf(err, errlen, "--media-dir %.200s: not a directory",
                     o->media_dir);
            return GZ_EINVAL;
        }
    }
    size_t len = 0;
    char *data = read_all(path, &len, err, errlen);
    if (!data)
        return GZ_EINVAL;
    struct fx f = {.db = db, .o = o};
    f.doc = json_pack("{s:[], s:[], s:[], s:[]}", "authors", "tags", "media",
                      "articles");
    f.skipped = json_array();
    f.losses = json_array();
    f.used = json_object();
    f.redirects = json_object();
    f.media = json_object();
    int rc;
    if (ghost_in) {
        json_error_t je;
        json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &je);
        if (!root) {
            snprintf(err, errlen,
                     "not a Ghost export: invalid JSON at line "
                     "%d: %s",
                     je.line, je.text);
            rc = GZ_EINVAL;
        } else {
            rc = ghost(&f, root, err, errlen);
            json_decref(root);
        }
    } else {
        xmlSetGenericErrorFunc(NULL, xml_quiet);
        xmlDoc *x = len > (size_t)0x7fffffff
                        ? NULL
                        : xmlReadMemory(data, (int)len, NULL, NULL,
                                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                                            XML_PARSE_NOWARNING);
        if (!x) {
            const xmlError *xe = xmlGetLastError();
            char why[128];
            snprintf(why, sizeof why, "%s",
                     xe && xe->message ? xe->message : "cannot parse");
            why[strcspn(why, "\r\n")] = '\0';
            snprintf(err, errlen,
                     "not a WordPress export: the XML is not "
                     "well-formed (line %d: %s)",
                     xe ? xe->line : 0, why);
            rc = GZ_EINVAL;
        } else {
            rc = wordpress(&f, x, err, errlen);
            xmlFreeDoc(x);
        }
    }
    free(data);
    if (rc == 0) {
        json_t *redirects = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(f.redirects, k, v)
        {
            json_array_append(redirects, v);
        }
        json_object_set_new(f.doc, "redirects", redirects);
        /* which stories are new: counted before, imported in one go */
        long long fresh = 0, known = 0;
        size_t i;
        json_array_foreach(json_object_get(f.doc, "articles"), i, v)
        {
            sqlite3_stmt *st = gz_db_stmt(
                db, GZ_SQL("SELECT 1 FROM articles WHERE slug = ?1"));
            if (!st) {
                rc = GZ_EDB;
                break;
            }
            gz_bind_text(st, 1, jstr(v, "slug"));
            if (sqlite3_step(st) == SQLITE_ROW)
                known++;
            else
                fresh++;
            sqlite3_reset(st);
        }
        if (rc == 0)
            rc = gz_store_import_progress(db, f.doc, err, errlen, o->progress,
                                          o->ctx);
        if (rc == 0) {
            json_object_set_new(report, "imported", json_integer(fresh));
            json_object_set_new(report, "updated", json_integer(known));
            json_object_set_new(report, "redirects",
                                json_integer((json_int_t)json_array_size(
                                    json_object_get(f.doc, "redirects"))));
            json_object_set_new(report, "media",
                                json_integer((json_int_t)json_array_size(
                                    json_object_get(f.doc, "media"))));
            json_object_set(report, "skipped", f.skipped);
            json_object_set(report, "losses", f.losses);
        }
    }
    json_decref(f.doc);
    json_decref(f.skipped);
    json_decref(f.losses);
    json_decref(f.used);
    json_decref(f.redirects);
    json_decref(f.media);
    if (rc != 0 && !err[0])
        snprintf(err, errlen, "database error");
    return rc;
}

void gz_import_report_print(FILE *out, json_t *report)
{
    json_t *skipped = json_object_get(report, "skipped");
    json_t *losses = json_object_get(report, "losses");
    fprintf(out,
            "stories: %lld imported, %lld updated, %zu skipped; %lld old "
            "URLs redirect; %lld images stored\n",
            (long long)json_integer_value(json_object_get(report, "imported")),
            (long long)json_integer_value(json_object_get(report, "updated")),
            json_array_size(skipped),
            (long long)json_integer_value(json_object_get(report, "redirects")),
            (long long)json_integer_value(json_object_get(report, "media")));
    size_t i;
    json_t *v;
    json_array_foreach(skipped, i, v)
    {
        fprintf(out, "skipped %s: %s\n", jstr(v, "item"), jstr(v, "reason"));
    }
    json_array_foreach(losses, i, v)
    {
        fprintf(out, "converted %s with losses:", jstr(v, "item"));
        size_t k;
        json_t *w;
        json_array_foreach(json_object_get(v, "lost"), k, w)
        {
            fprintf(out, "%s %s", k ? ";" : "", json_string_value(w));
        }
        fputc('\n', out);
    }
}

/* ---- gazette import --from ------------------------------------------------
 */

static void show_progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    fprintf(stderr, "\rstories %zu/%zu", done, total);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

int gz_import_cli(const struct gz_config *cfg, const char *from,
                  const char *file, const char *media_dir)
{
    /* as `gazette import FILE`: the database's folder is made if need be */
    char dir[GZ_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", cfg->db_path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0755);
    }
    struct gz_db *db =
        gz_db_open(cfg->db_path, GZ_DB_READWRITE, cfg->synchronous);
    if (!db || gz_db_migrate(db) < 0) {
        if (db)
            gz_db_close(db);
        fprintf(stderr, "gazette: cannot open the database %s\n", cfg->db_path);
        return 1;
    }
    struct gz_import_opts o = {
        .from = from,
        .media_dir = media_dir,
        .data_dir = cfg->data_dir,
        .max_media_bytes = cfg->max_upload_bytes,
        .progress = isatty(2) ? show_progress : NULL,
    };
    json_t *report = json_object();
    char err[600];
    int rc = gz_store_import_foreign(db, file, &o, report, err, sizeof err);
    gz_db_close(db);
    if (rc != 0) {
        fprintf(stderr, "gazette: %s: %s\n", file, err);
    } else {
        printf("imported %s (from %s)\n", file, from);
        gz_import_report_print(stdout, report);
    }
    json_decref(report);
    return rc != 0;
}
