/*
 * view.h - the resource layer: one function per public thing (story,
 * story list, tag, author, comment, subscriber, media, error, pagination)
 * that turns store rows into the public JSON object. /api/v1 returns these
 * as they are; the HTML pages wrap the same objects with the site shell
 * and HTML-only decor (src/site, src/admin).
 *
 * Store rows are jansson objects with the table's column names and raw
 * values (integers for ids and unix times, strings, null), as the store's
 * *_rows functions return them. Builders borrow the row and return an
 * owned object. `base` is the site's absolute base URL ("https://x.org",
 * no trailing slash): resource URLs are absolute.
 */
#ifndef GAZETTE_VIEW_H
#define GAZETTE_VIEW_H

#include <jansson.h>

#include "gazette/http.h"

/* What a story resource carries beyond its core keys. */
enum gz_res_include {
    GZ_INC_TAGS = 1,          /* tags, primary_tag */
    GZ_INC_AUTHORS = 2,       /* authors, primary_author */
    GZ_INC_COMMENT_COUNT = 4, /* comment_count */
    GZ_INC_HTML = 8,          /* html (single story) */
    GZ_INC_MARKDOWN = 16,     /* markdown (authenticated callers) */
};

json_t *gz_res_story(json_t *row, unsigned include, const char *base);
json_t *gz_res_tag(json_t *row, const char *base);
json_t *gz_res_author(json_t *row, const char *base);
/* moderation: add status and email. */
json_t *gz_res_comment(json_t *row, int moderation);
json_t *gz_res_subscriber(json_t *row);
json_t *gz_res_media(json_t *row, const char *base);

/* {"page", "limit", "pages", "total", "next", "prev"} (SPEC section 6). */
json_t *gz_res_pagination(long long page, int limit, long long total);

/* The machine name of an HTTP error status ("not_found"...). */
const char *gz_res_error_code(int status);
/* {"error": {"code", "message", "field", "request_id"}}; message NULL:
 * the standard text of the status; field and request_id may be NULL. */
json_t *gz_res_error(int status, const char *message, const char *field,
                     const char *request_id);
/* The standard one-line text and page title of an error status. */
const char *gz_res_error_message(int status);
const char *gz_res_error_title(int status);

/*
 * The one place an error becomes an answer: a JSON error for /api/ paths
 * and clients that asked for JSON, else the site's HTML error page.
 * Fills resp (status included). field may be NULL. This is what the http
 * layer calls (through gz_app.render_error) for every error status a
 * handler returns or the server decides, so http knows nothing of pages.
 */
void gz_view_error(struct gz_req *req, struct gz_resp *resp, int status,
                   const char *message, const char *field);
/* The same with the machine code chosen by the caller ("invalid_json")
 * instead of the status's own. */
void gz_view_error_code(struct gz_req *req, struct gz_resp *resp, int status,
                        const char *code, const char *message,
                        const char *field);

#endif
