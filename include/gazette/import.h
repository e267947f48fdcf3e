/*
 * import.h - moving a site in from Ghost or WordPress (docs/IMPORT.md).
 *
 * A foreign export (Ghost's JSON, WordPress's WXR 1.2) is converted into
 * Gazette's own import document (store.h, gz_store_import), which then
 * goes in through the one validated, idempotent, one-transaction path.
 * Post bodies are HTML; gz_html_to_md turns them into the Markdown story
 * bodies are (with sanitized HTML where Markdown falls short), and says
 * what could not be kept.
 */
#ifndef GAZETTE_IMPORT_H
#define GAZETTE_IMPORT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

struct gz_db;

struct gz_html2md_opts {
    int autop; /* WordPress: paragraphs are blank-line separated text */
    /* Optional: a replacement for an image URL (borrowed until the next
     * call), or NULL to keep the URL as it is. */
    const char *(*map_url)(void *ctx, const char *url);
    void *ctx;
};

/*
 * Converts HTML to CommonMark. Entities are decoded, Markdown's special
 * characters escaped. What Markdown cannot express stays HTML inside it,
 * serialized by the sanitizer (gazette/sanitize.h): tables, captioned
 * figures, definition lists and details as raw HTML blocks, <sup>, <u>...
 * as inline HTML. What the sanitizer drops (scripts, forms, embeds, which
 * become links, unsafe links...) is a loss: a short phrase for each kind
 * is appended once to losses (a JSON array; may be NULL).
 * Returns malloc'd Markdown (the caller frees it) or NULL (no memory).
 */
char *gz_html_to_md(const char *html, size_t len,
                    const struct gz_html2md_opts *opts, json_t *losses);

struct gz_import_opts {
    const char *from;      /* "ghost" or "wordpress" */
    const char *media_dir; /* NULL: image URLs stay URLs */
    const char *data_dir;  /* where the media store lives (data_dir/media) */
    long long max_media_bytes;
    /* Optional: called after each story with (done, total). */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *ctx;
};

/*
 * Reads the export at path, converts it and imports it in one
 * transaction. report (an object the caller owns) gets "imported",
 * "updated" (story counts), "skipped" ([{item, reason}]) and "losses"
 * ([{item, lost}]). 0, or GZ_EINVAL / GZ_EDB with a one-line message in
 * err, the database untouched.
 */
int gz_store_import_foreign(struct gz_db *db, const char *path,
                            const struct gz_import_opts *opts, json_t *report,
                            char *err, size_t errlen);

/* Prints the summary of a report (gz_store_import_foreign) to f. */
void gz_import_report_print(FILE *f, json_t *report);

/* ---- old URLs (store/redirects.c) ------------------------------------ */

/* Copies path into out without its trailing slashes ("/a/b/" -> "/a/b",
 * "/" stays). GZ_EINVAL unless it starts with '/' and is at most 1000
 * bytes of text without control characters. */
int gz_redirect_path_norm(const char *path, char *out, size_t outlen);

/* One item of the import document's "redirects" list, {path, article |
 * tag | author: slug}, upserted (inside the import's transaction). 0,
 * GZ_EINVAL (message in err) or GZ_EDB. */
int gz_store_redirect_import(struct gz_db *db, json_t *item, size_t i,
                             char *err, size_t errlen);

/* The redirects as that list (owned), for gazette export. */
json_t *gz_store_redirects_export(struct gz_db *db);

/* The current URL path for an old path into location: 0, GZ_ENOTFOUND
 * (no such path, or a story not published) or GZ_EDB. */
int gz_store_redirect_find(struct gz_db *db, const char *path, char *location,
                           size_t loclen);

/* `gazette import --from ghost|wordpress FILE [--media-dir DIR]`: opens
 * and migrates the database of cfg, imports, shows progress on stderr when
 * it is a terminal and prints the report. The exit status: 0 or 1. */
struct gz_config;
int gz_import_cli(const struct gz_config *cfg, const char *from,
                  const char *file, const char *media_dir);

#endif
