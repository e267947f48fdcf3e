/*
 * moderation.c - the newsroom's view of readers: the comment moderation
 * queue (approve, mark spam, delete; one at a time or in bulk) and the
 * subscribers (list, search, status filter, delete, CSV export, and the
 * progress of new-story mailings).
 *
 * The router has already checked the session, the editor role and, on
 * POST, the same-origin rule and the CSRF token. Every page can answer
 * JSON (Accept: application/json) with the model it renders.
 *
 * The moderation form (templates/admin_comments.mustache): one form
 * holds the whole list. Bulk: a checkbox per comment named "id_<ID>"
 * (gz_req_form keeps one value per name, so the id is in the name) and a
 * submit button name="action" value="approve|spam|pending|delete". One
 * comment: its own submit button name="do" value="<action>:<ID>", which
 * wins over the checkboxes. Scripts may send "ids" as a comma list.
 *
 * Handlers run on MHD worker threads and keep no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/admin.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/tz.h"
#include "gazette/view.h"

#define COMMENTS_PER_PAGE 50
#define SUBSCRIBERS_PER_PAGE 50
#define MAX_IDS 500
#define MAX_QUERY_CHARS 200
#define MAX_PAGE 100000

static const char *const comment_statuses[] = {"pending", "approved", "spam"};
static const char *const comment_labels[] = {"Pending", "Approved", "Spam"};
static const char *const sub_statuses[] = {"", "active", "pending",
                                           "unsubscribed"};
static const char *const sub_labels[] = {"All", "Active", "Pending",
                                         "Unsubscribed"};

/* The model as JSON or the admin page. model is borrowed. */
static int render(struct gz_req *req, struct gz_resp *resp, const char *tpl,
                  const char *title, json_t *model)
{
    if (gz_req_wants_json(req))
        return gz_resp_json(resp, 200, model);
    return gz_admin_render(req, resp, tpl, title, model);
}

static json_t *pager(long long page, long long total, int limit,
                     const char *base)
{
    long long pages = total == 0 ? 1 : (total + limit - 1) / limit;
    json_t *p = json_pack("{s:I, s:I, s:I}", "page", (json_int_t)page, "pages",
                          (json_int_t)pages, "total", (json_int_t)total);
    struct gz_buf b;
    gz_buf_init(&b);
    if (page > 1) {
        gz_buf_printf(&b, "%s%spage=%lld", base, strchr(base, '?') ? "&" : "?",
                      page - 1);
        json_object_set_new(p, "prev_url", json_string(gz_buf_cstr(&b)));
    } else {
        json_object_set_new(p, "prev_url", json_null());
    }
    gz_buf_reset(&b);
    if (page < pages) {
        gz_buf_printf(&b, "%s%spage=%lld", base, strchr(base, '?') ? "&" : "?",
                      page + 1);
        json_object_set_new(p, "next_url", json_string(gz_buf_cstr(&b)));
    } else {
        json_object_set_new(p, "next_url", json_null());
    }
    gz_buf_free(&b);
    return p;
}

/* ---- comments ------------------------------------------------------------ */

static int comment_status_index(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp(s, comment_statuses[i]) == 0)
            return i;
    return -1;
}

/* "3 comments approved." for the notice after a moderation POST. */
static void done_notice(struct gz_req *req, char *out, size_t len)
{
    const char *done = gz_req_query(req, "done", NULL);
    long long n = 0;
    out[0] = '\0';
    if (!done)
        return;
    gz_req_query_int(req, "n", 0, 100000, 0, &n);
    const char *verb = strcmp(done, "approve") == 0   ? "approved"
                       : strcmp(done, "spam") == 0    ? "marked as spam"
                       : strcmp(done, "pending") == 0 ? "moved back to pending"
                       : strcmp(done, "delete") == 0  ? "deleted"
                                                      : NULL;
    if (strcmp(done, "none") == 0)
        snprintf(out, len, "Select at least one comment first.");
    else if (verb)
        snprintf(out, len, "%lld comment%s %s.", n, n == 1 ? "" : "s", verb);
}

/* The moderation queue's items: the comment resource as moderators see
 * it (gz_res_comment) with the queue's decor: initials, human date, the
 * story and the comment replied to. */
static json_t *queue_items(json_t *rows)
{
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *c = gz_res_comment(row, 1);
        char initials[16], human[40], url[320];
        const char *slug =
            json_string_value(json_object_get(row, "article_slug"));
        gz_initials(json_string_value(json_object_get(c, "name")), initials);
        long long at = json_integer_value(json_object_get(row, "created_at"));
        gz_time_human(at + gz_tz_offset(gz_tz_site(), at), human);
        snprintf(url, sizeof url, "/articles/%s", slug ? slug : "");
        json_object_set_new(c, "initials", json_string(initials));
        json_object_set_new(c, "created_human", json_string(human));
        json_object_set(c, "body_html", json_object_get(c, "html"));
        json_object_set(c, "client", json_object_get(row, "client"));
        json_object_set(c, "parent_name", json_object_get(row, "parent_name"));
        json_object_set_new(
            c, "article",
            json_pack("{s:O, s:O, s:s, s:s}", "id",
                      json_object_get(row, "article_id"), "title",
                      json_object_get(row, "article_title"), "slug",
                      slug ? slug : "", "url", url));
        json_array_append_new(list, c);
    }
    return list;
}

int gz_page_admin_comments(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    const char *status = gz_req_query(req, "status", NULL);
    long long page, total = 0;
    int si = status ? comment_status_index(status) : 0;
    if (si < 0) {
        gz_respond_error(req, resp, 400,
                         "Unknown status: use pending, approved or spam.");
        return 0;
    }
    status = comment_statuses[si];
    if (gz_req_query_int(req, "page", 1, MAX_PAGE, 1, &page) != 0) {
        gz_respond_error(req, resp, 400,
                         "The page number must be a whole "
                         "number from 1 to 100000.");
        return 0;
    }
    json_t *rows =
        gz_store_comments_admin(db, status, page, COMMENTS_PER_PAGE, &total);
    if (!rows)
        return 500;
    json_t *list = queue_items(rows);
    json_decref(rows);
    json_t *counts = gz_store_comment_counts(db);
    json_t *tabs = json_array();
    for (int i = 0; i < 3; i++) {
        char url[64];
        snprintf(url, sizeof url, "/admin/comments?status=%s",
                 comment_statuses[i]);
        json_array_append_new(
            tabs,
            json_pack("{s:s, s:s, s:O, s:s, s:b}", "status",
                      comment_statuses[i], "label", comment_labels[i], "count",
                      json_object_get(counts, comment_statuses[i]), "url", url,
                      "current", i == si));
    }
    char base[64], notice[120];
    snprintf(base, sizeof base, "/admin/comments?status=%s", status);
    done_notice(req, notice, sizeof notice);
    json_t *model = json_pack(
        "{s:o, s:s, s:o, s:o, s:o, s:s, s:b, s:b, s:b, s:b}", "comments", list,
        "status", status, "counts", counts, "tabs", tabs, "pagination",
        pager(page, total, COMMENTS_PER_PAGE, base), "notice", notice,
        "is_pending", si == 0, "is_approved", si == 1, "is_spam", si == 2,
        "empty", total == 0);
    json_object_set_new(model, "section", json_pack("{s:b}", "comments", 1));
    int rc = render(req, resp, "admin_comments", "Comments", model);
    json_decref(model);
    return rc;
}

/* Collects the ids of the request: "do" (one), else "id_<N>" checkboxes
 * and an "ids" comma list. Returns the action (borrowed from the form or
 * a literal) or NULL. */
static const char *collect(struct gz_req *req, long long *ids, size_t *n)
{
    json_t *form = gz_req_form(req);
    const char *one = json_string_value(json_object_get(form, "do"));
    static const char *const actions[] = {"approve", "spam", "pending",
                                          "delete"};
    *n = 0;
    if (one && *one) {
        const char *colon = strchr(one, ':');
        long long id;
        if (!colon || gz_parse_int(colon + 1, 1, 0x7fffffffffffffffLL, &id))
            return NULL;
        for (int i = 0; i < 4; i++)
            if (strlen(actions[i]) == (size_t)(colon - one) &&
                strncmp(one, actions[i], (size_t)(colon - one)) == 0) {
                ids[(*n)++] = id;
                return actions[i];
            }
        return NULL;
    }
    const char *action = json_string_value(json_object_get(form, "action"));
    const char *key;
    json_t *v;
    json_object_foreach(form, key, v)
    {
        long long id;
        const char *s = json_string_value(v);
        if (strncmp(key, "id_", 3) == 0 && s && *s && *n < MAX_IDS &&
            gz_parse_int(key + 3, 1, 0x7fffffffffffffffLL, &id) == 0)
            ids[(*n)++] = id;
    }
    const char *list = json_string_value(json_object_get(form, "ids"));
    while (list && *list && *n < MAX_IDS) {
        char part[24];
        size_t len = strcspn(list, ",");
        long long id;
        if (len < sizeof part) {
            snprintf(part, sizeof part, "%.*s", (int)len, list);
            if (gz_parse_int(part, 1, 0x7fffffffffffffffLL, &id) == 0)
                ids[(*n)++] = id;
        }
        list += len + (list[len] == ',');
    }
    for (int i = 0; action && i < 4; i++)
        if (strcmp(action, actions[i]) == 0)
            return actions[i];
    return NULL;
}

int gz_page_admin_comments_bulk(struct gz_req *req, struct gz_resp *resp)
{
    long long *ids = calloc(MAX_IDS, sizeof *ids);
    size_t n = 0;
    if (!ids)
        return 503;
    const char *back =
        json_string_value(json_object_get(gz_req_form(req), "status"));
    int si = comment_status_index(back);
    const char *action = collect(req, ids, &n);
    int rc = 0;
    if (!action) {
        gz_respond_error(req, resp, 400,
                         "Choose approve, spam, pending or delete.");
        goto out;
    }
    int changed = 0;
    if (n > 0) {
        changed = gz_store_comments_moderate(gz_req_db(req), ids, n, action);
        if (changed < 0) {
            gz_log_err(3301, "request %s: moderation failed (%d)",
                       gz_req_id(req), changed);
            rc = 500;
            goto out;
        }
        gz_log_info(3302, "request %s: %s %s %d comment(s)", gz_req_id(req),
                    gz_req_user(req) ? gz_req_user(req)->email : "?", action,
                    changed);
    }
    if (gz_req_wants_json(req)) {
        json_t *ok = json_pack("{s:b, s:s, s:i}", "ok", 1, "action", action,
                               "changed", changed);
        rc = gz_resp_json(resp, 200, ok);
        json_decref(ok);
        goto out;
    }
    char loc[160];
    snprintf(loc, sizeof loc, "/admin/comments?status=%s&done=%s&n=%d",
             comment_statuses[si < 0 ? 0 : si], n ? action : "none", changed);
    gz_resp_redirect(resp, 303, loc);
out:
    free(ids);
    return rc;
}

/* ---- subscribers --------------------------------------------------------- */

/* Reads ?status= and ?q=; 0, or fills resp with a 400 and returns 400. */
static int sub_filters(struct gz_req *req, struct gz_resp *resp, int *si,
                       const char **q)
{
    int bad = 0;
    const char *status = gz_req_query(req, "status", NULL);
    *si = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(status ? status : "", sub_statuses[i]) == 0)
            *si = i;
    if (*si < 0) {
        gz_respond_error(req, resp, 400,
                         "Unknown status: use active, "
                         "pending or unsubscribed.");
        return 400;
    }
    *q = gz_req_query(req, "q", &bad);
    if (bad || (*q && gz_utf8_len(*q, strlen(*q)) > MAX_QUERY_CHARS)) {
        gz_respond_error(req, resp, 400,
                         "The search must be text of at most 200 "
                         "characters.");
        return 400;
    }
    return 0;
}

/* "?status=active&q=..." for links that keep the filters ("" if none). */
static void filter_query(struct gz_buf *b, int si, const char *q)
{
    const char *sep = "?";
    if (si > 0) {
        gz_buf_printf(b, "?status=%s", sub_statuses[si]);
        sep = "&";
    }
    if (q && *q) {
        gz_buf_printf(b, "%sq=", sep);
        gz_url_encode(b, q, strlen(q));
    }
}

int gz_page_admin_subscribers(struct gz_req *req, struct gz_resp *resp)
{
    struct gz_db *db = gz_req_db(req);
    int si;
    const char *q;
    long long page, total = 0;
    if (sub_filters(req, resp, &si, &q))
        return 0;
    if (gz_req_query_int(req, "page", 1, MAX_PAGE, 1, &page) != 0) {
        gz_respond_error(req, resp, 400,
                         "The page number must be a whole "
                         "number from 1 to 100000.");
        return 0;
    }
    json_t *list = gz_store_subscribers_list(db, sub_statuses[si], q, page,
                                             SUBSCRIBERS_PER_PAGE, &total);
    json_t *progress = gz_store_outbox_progress(db, 10);
    if (!list || !progress) {
        json_decref(list);
        json_decref(progress);
        return 500;
    }
    size_t k;
    json_t *row;
    json_array_foreach(list, k, row)
    {
        /* What the template shows per row: a badge, a label, the URL of
         * its delete form. */
        const char *st = json_string_value(json_object_get(row, "status"));
        int active = st && strcmp(st, "active") == 0;
        int pending = st && strcmp(st, "pending") == 0;
        char url[96];
        snprintf(url, sizeof url, "/admin/subscribers/%lld/delete",
                 (long long)json_integer_value(json_object_get(row, "id")));
        json_object_set_new(row, "badge",
                            json_string(active    ? "published"
                                        : pending ? "draft"
                                                  : "disabled"));
        json_object_set_new(row, "status_label",
                            json_string(active    ? "Active"
                                        : pending ? "Pending"
                                                  : "Unsubscribed"));
        json_object_set_new(row, "delete_url", json_string(url));
    }
    json_t *counts = gz_store_subscriber_counts(db);
    json_t *tabs = json_array();
    for (int i = 0; i < 4; i++) {
        struct gz_buf u;
        gz_buf_init(&u);
        gz_buf_puts(&u, "/admin/subscribers");
        filter_query(&u, i, q);
        json_array_append_new(
            tabs,
            json_pack("{s:s, s:s, s:O, s:s, s:b}", "status", sub_statuses[i],
                      "label", sub_labels[i], "count",
                      json_object_get(counts, i ? sub_statuses[i] : "total"),
                      "url", gz_buf_cstr(&u), "current", i == si));
        gz_buf_free(&u);
    }
    struct gz_buf base, csv;
    gz_buf_init(&base);
    gz_buf_init(&csv);
    gz_buf_puts(&base, "/admin/subscribers");
    filter_query(&base, si, q);
    gz_buf_puts(&csv, "/admin/subscribers.csv");
    filter_query(&csv, si, q);
    const char *deleted = gz_req_query(req, "deleted", NULL);
    json_t *model = json_pack(
        "{s:o, s:{s:s, s:s}, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:b,"
        " s:b}",
        "subscribers", list, "filter", "status", sub_statuses[si], "q",
        q ? q : "", "counts", counts, "tabs", tabs, "pagination",
        pager(page, total, SUBSCRIBERS_PER_PAGE, gz_buf_cstr(&base)),
        "progress", progress, "outbox", gz_store_outbox_counts(db), "csv_url",
        gz_buf_cstr(&csv), "back", gz_buf_cstr(&base), "notice",
        deleted ? "The subscriber was removed." : "", "empty", total == 0,
        "mail_logged_only", gz_req_app(req)->cfg.smtp_url[0] == '\0');
    gz_buf_free(&base);
    gz_buf_free(&csv);
    json_object_set_new(model, "section", json_pack("{s:b}", "subscribers", 1));
    json_object_set_new(model, "searching", json_boolean(q && *q));
    json_object_set_new(model, "has_progress",
                        json_boolean(json_array_size(progress) > 0));
    int rc = render(req, resp, "admin_subscribers", "Subscribers", model);
    json_decref(model);
    return rc;
}

/* One CSV field (RFC 4180): quoted when it holds a quote, comma or line
 * end, quotes doubled. SECURITY: a value that a spreadsheet would run as
 * a formula (starting with = + - @, tab or CR) gets a leading ' so it
 * stays text (OWASP "CSV injection"). */
static void csv_field(struct gz_buf *b, const char *v, int last)
{
    int formula = v[0] && strchr("=+-@\t\r", v[0]);
    int quote = formula || strpbrk(v, "\",\r\n") != NULL;
    if (quote)
        gz_buf_putc(b, '"');
    if (formula)
        gz_buf_putc(b, '\'');
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            gz_buf_putc(b, '"');
        gz_buf_putc(b, *p);
    }
    if (quote)
        gz_buf_putc(b, '"');
    gz_buf_puts(b, last ? "\r\n" : ",");
}

static void csv_row(void *ctx, const char *const *cols)
{
    for (int i = 0; i < 5; i++)
        csv_field(ctx, cols[i], i == 4);
}

int gz_page_admin_subscribers_csv(struct gz_req *req, struct gz_resp *resp)
{
    int si;
    const char *q;
    if (sub_filters(req, resp, &si, &q))
        return 0;
    struct gz_buf b;
    gz_buf_init(&b);
    gz_buf_puts(&b, "email,name,status,created_at,confirmed_at\r\n");
    if (gz_store_subscribers_each(gz_req_db(req), sub_statuses[si], q, csv_row,
                                  &b) != 0) {
        gz_buf_free(&b);
        return 500;
    }
    size_t len;
    char *body = gz_buf_steal(&b, &len);
    if (!body)
        return 503;
    gz_resp_take(resp, 200, "text/csv; charset=utf-8; header=present", body,
                 len);
    snprintf(resp->disposition, sizeof resp->disposition,
             "attachment; filename=\"subscribers.csv\"");
    return 0;
}

int gz_page_admin_subscriber_delete(struct gz_req *req, struct gz_resp *resp)
{
    long long id;
    if (gz_parse_int(gz_req_param(req, 0), 1, 0x7fffffffffffffffLL, &id))
        return 404;
    int rc = gz_store_subscriber_delete(gz_req_db(req), id);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0) {
        gz_log_err(3303, "request %s: cannot delete subscriber %lld (%d)",
                   gz_req_id(req), id, rc);
        return 500;
    }
    gz_log_info(3304, "request %s: %s deleted subscriber %lld", gz_req_id(req),
                gz_req_user(req) ? gz_req_user(req)->email : "?", id);
    if (gz_req_wants_json(req)) {
        json_t *ok = json_pack("{s:b}", "ok", 1);
        int r = gz_resp_json(resp, 200, ok);
        json_decref(ok);
        return r;
    }
    /* Back to the list as it was filtered: only our own admin path. */
    const char *back =
        json_string_value(json_object_get(gz_req_form(req), "back"));
    struct gz_buf loc;
    gz_buf_init(&loc);
    if (back && strncmp(back, "/admin/subscribers", 18) == 0 &&
        (back[18] == '\0' || back[18] == '?') && gz_url_is_safe(back) &&
        strlen(back) < 900) {
        gz_buf_puts(&loc, back);
        gz_buf_puts(&loc, strchr(back, '?') ? "&deleted=1" : "?deleted=1");
    } else {
        gz_buf_puts(&loc, "/admin/subscribers?deleted=1");
    }
    gz_resp_redirect(resp, 303, gz_buf_cstr(&loc));
    gz_buf_free(&loc);
    return 0;
}
