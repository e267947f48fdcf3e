/*
 * stories.c - the newsroom's story pages: the list (status filter, title
 * search, pages), the new/edit form, saving with its actions (save,
 * preview, publish, schedule, unpublish), deleting with a confirmation
 * page, and the live Markdown preview the editor's script asks for.
 *
 * The router has checked the session, the route's least role (author)
 * and the CSRF token. This file adds the finer rules of docs/NEWSROOM.md:
 * editors and admins may do anything to any story; an author may create
 * stories and edit or delete their own drafts, and may not publish,
 * schedule or unpublish, nor touch a story once an editor scheduled or
 * published it. Every refusal is a 403 page that says why.
 *
 * Form errors re-show the form (422) with everything typed kept and each
 * message beside its field; an image uploaded with a form that had errors
 * is kept in the media library and carried in a hidden field, so it is
 * not lost either. All writes go through the store (newsroom.h), which
 * also bumps the content version that the public page cache keys on.
 *
 * Threads: handlers keep no state between requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/tz.h"
#include "gazette/admin.h"
#include "gazette/html.h"
#include "gazette/mail.h"
#include "gazette/markdown.h"
#include "gazette/newsroom.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "newsroom_pages.h"

#define LIST_PAGE_SIZE 20
#define MAX_PAGE 100000

#define field gz_newsroom_field

/* ---- permissions --------------------------------------------------------- */


/*
 * May `me` change (or delete) this story? NULL when yes, else the reason
 * for the 403 page. SECURITY: authors are limited to their own drafts.
 */
static const char *edit_refusal(const struct gz_user *me, json_t *story)
{
    if (is_editor(me))
        return NULL;
    if (int_of(story, "author_id") != me->id)
        return "This story belongs to another writer. Authors can open and "
               "change only their own drafts.";
    if (strcmp(str_of(story, "status"), "draft") != 0)
        return "An editor has scheduled or published this story, so only an "
               "editor or admin can change it now. Ask one to unpublish it "
               "if it needs more work.";
    return NULL;
}

static int forbidden(struct gz_req *req, struct gz_resp *resp, const char *msg)
{
    gz_respond_error(req, resp, 403, msg);
    return 0;
}

/* The story of the route's :id (owned), or NULL with *status 404/500. */
json_t *gz_admin_route_story(struct gz_req *req, int *status)
{
    long long id = 0;
    const char *p = gz_req_param(req, 0);
    if (!p || gz_parse_int(p, 1, (1LL << 53), &id) != 0) {
        *status = 404;
        return NULL;
    }
    int err = 0;
    json_t *s = gz_store_story_load(gz_req_db(req), id, &err);
    if (!s)
        *status = err == GZ_ENOTFOUND ? 404 : 500;
    return s;
}

/* ---- view helpers -------------------------------------------------------- */

/* status, status_label, status_text ("Published 25 November 2026, 19:26
 * CET", in the site's zone; the short form for lists) and is_draft/is_scheduled/is_published. */
static void status_view(json_t *o, const char *status, long long published_at,
                        int short_form)
{
    char when[96], text[160];
    const char *label = "Draft";
    text[0] = '\0';
    if (short_form)
        gz_newsroom_when_short(published_at, when, sizeof when);
    else
        gz_newsroom_when(published_at, when, sizeof when);
    if (strcmp(status, "published") == 0) {
        label = "Published";
        snprintf(text, sizeof text, "%s%s", short_form ? "" : "Published ",
                 when);
    } else if (strcmp(status, "scheduled") == 0) {
        label = "Scheduled";
        char zone[24] = "";
        if (short_form)
            snprintf(zone, sizeof zone, " %s",
                     gz_tz_abbr(gz_tz_site(), published_at));
        snprintf(text, sizeof text, "Goes live %s%s", when, zone);
    }
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "status_label", json_string(label));
    json_object_set_new(o, "status_text", json_string(text));
    json_object_set_new(o, "is_draft", json_boolean(!strcmp(status, "draft")));
    json_object_set_new(o, "is_scheduled",
                        json_boolean(!strcmp(status, "scheduled")));
    json_object_set_new(o, "is_published",
                        json_boolean(!strcmp(status, "published")));
}

/* "2026-11-25T19:26" (the datetime-local form of t, in the site's time
 * zone). */
static void datetime_local(long long t, char out[32])
{
    char iso[32];
    gz_time_rfc3339(t + gz_tz_offset(gz_tz_site(), t), iso);
    snprintf(out, 32, "%.16s", iso);
}

/* Parses a datetime-local value ("2026-11-25T18:26" or with ":SS") as a
 * wall-clock time in the site's zone (a skipped hour moves forward, a
 * repeated one is its first occurrence: tz.h). -1 when it is not one. */
static long long parse_datetime_local(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(s);
    if (n != 16 && n != 19)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
            return -1;
    }
    char iso[32];
    snprintf(iso, sizeof iso, "%s%sZ", s, n == 16 ? ":00" : "");
    long long t = gz_time_parse_rfc3339(iso);
    return t < 0 ? -1 : (long long)gz_tz_from_local(gz_tz_site(), t);
}

/* The feature image a posted form ends up with: its URL ("" for none) and
 * size (0 when unknown). */
struct image_pick {
    char url[1100];
    int width, height;
};

/* The values the form shows ({title, slug, excerpt, markdown, tags,
 * image_url, image_alt, image_caption, comments_open, publish_at,
 * image_width, image_height}), from the stored story or, for a new one,
 * empty. Owned. */
static json_t *values_from_story(json_t *cur)
{
    char local[32] = "";
    if (cur && !strcmp(str_of(cur, "status"), "scheduled"))
        datetime_local(int_of(cur, "published_at"), local);
    if (!cur)
        return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s,"
                         " s:i, s:i}",
                         "title", "", "slug", "", "excerpt", "", "markdown", "",
                         "tags", "", "image_url", "", "image_alt", "",
                         "image_caption", "", "comments_open", 1, "publish_at",
                         "", "image_width", 0, "image_height", 0);
    return json_pack(
        "{s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:O, s:s, s:O, s:O}", "title",
        json_object_get(cur, "title"), "slug", json_object_get(cur, "slug"),
        "excerpt", json_object_get(cur, "excerpt"), "markdown",
        json_object_get(cur, "markdown"), "tags", json_object_get(cur, "tags"),
        "image_url", json_object_get(cur, "image_url"), "image_alt",
        json_object_get(cur, "image_alt"), "image_caption",
        json_object_get(cur, "image_caption"), "comments_open",
        json_object_get(cur, "comments_open"), "publish_at", local,
        "image_width", json_object_get(cur, "image_width"), "image_height",
        json_object_get(cur, "image_height"));
}

/* The same values from what was posted, with the image decided by the
 * handler. Owned. */
static json_t *values_from_form(struct gz_req *req,
                                const struct image_pick *img)
{
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:i, s:i}", "title",
        field(req, "title"), "slug", field(req, "slug"), "excerpt",
        field(req, "excerpt"), "markdown", field(req, "markdown"), "tags",
        field(req, "tags"), "image_url", img->url, "image_alt",
        field(req, "image_alt"), "image_caption", field(req, "image_caption"),
        "comments_open", *field(req, "comments_open") != '\0', "publish_at",
        field(req, "publish_at"), "image_width", img->width, "image_height",
        img->height);
}

static const struct {
    const char *field, *label;
} field_labels[] = {
    {"title", "Title"},
    {"slug", "URL slug"},
    {"excerpt", "Excerpt"},
    {"markdown", "Story"},
    {"tags", "Tags"},
    {"image", "Feature image"},
    {"image_alt", "Alt text"},
    {"image_caption", "Caption"},
    {"publish_at", "Publish at"},
};

/* Renders the edit form. cur: the stored story or NULL (new). vals: the
 * values to show (borrowed). errors: {field: message} (borrowed). */
static int form_page(struct gz_req *req, struct gz_resp *resp, int status,
                     json_t *cur, json_t *vals, json_t *errors,
                     const char *notice)
{
    const struct gz_user *me = gz_req_user(req);
    struct gz_app *app = gz_req_app(req);
    json_t *story = json_deep_copy(vals);
    long long id = cur ? int_of(cur, "id") : 0;
    char url[128];
    const char *st = cur ? str_of(cur, "status") : "draft";

    json_object_set_new(story, "id", json_integer(id));
    json_object_set_new(story, "is_new", json_boolean(!cur));
    /* A datetime-local input may only hold a valid value (browsers send
     * nothing else); anything else typed is quoted in the error. */
    if (*str_of(vals, "publish_at") &&
        parse_datetime_local(str_of(vals, "publish_at")) < 0)
        json_object_set_new(story, "publish_at", json_string(""));
    if (cur)
        snprintf(url, sizeof url, "/admin/stories/%lld", id);
    else
        snprintf(url, sizeof url, "/admin/stories");
    json_object_set_new(story, "action_url", json_string(url));
    if (cur) {
        snprintf(url, sizeof url, "/admin/stories/%lld/delete", id);
        json_object_set_new(story, "delete_url", json_string(url));
        json_object_set(story, "author_name",
                        json_object_get(cur, "author_name"));
        char when[96];
        gz_newsroom_when(int_of(cur, "updated_at"), when, sizeof when);
        json_object_set_new(story, "updated_human", json_string(when));
        if (!strcmp(st, "published")) {
            /* NOTE: public pages may be cached by the browser for
             * cache_max_age seconds; the version in the query makes the
             * editor's own "View on site" fetch the page as it is now. */
            char view[400];
            snprintf(view, sizeof view, "%s?v=%lld", str_of(cur, "url"),
                     int_of(cur, "updated_at"));
            json_object_set_new(story, "public_url", json_string(view));
        }
    } else {
        json_object_set_new(story, "author_name", json_string(me->name));
    }
    status_view(story, st, cur ? int_of(cur, "published_at") : 0, 0);
    /* What the slug will be when the field is left empty. */
    char auto_slug[96];
    gz_slugify(*str_of(vals, "title") ? str_of(vals, "title") : "", auto_slug,
               sizeof auto_slug);
    json_object_set_new(story, "slug_placeholder",
                        json_string(*str_of(vals, "title")
                                        ? auto_slug
                                        : "made-from-the-title"));
    /* Width and height only when known, so the template leaves the
     * attributes out otherwise. */
    if (int_of(vals, "image_width") <= 0 || int_of(vals, "image_height") <= 0) {
        json_object_del(story, "image_width");
        json_object_del(story, "image_height");
    }
    const char *save_label = !strcmp(st, "published")   ? "Update"
                             : !strcmp(st, "scheduled") ? "Save"
                                                        : "Save draft";
    json_object_set_new(story, "save_label", json_string(save_label));

    int editor = is_editor(me);
    json_t *can = json_pack(
        "{s:b, s:b, s:b, s:b}", "publish", editor && strcmp(st, "published"),
        "schedule", editor && strcmp(st, "published"), "unpublish",
        editor && strcmp(st, "draft"), "delete", cur != NULL);

    json_t *list = json_array();
    for (size_t i = 0; i < sizeof field_labels / sizeof field_labels[0]; i++) {
        const char *m = str_of(errors, field_labels[i].field);
        if (*m)
            json_array_append_new(
                list,
                json_pack("{s:s, s:s, s:s}", "field", field_labels[i].field,
                          "label", field_labels[i].label, "message", m));
    }
    char limit[32];
    snprintf(limit, sizeof limit, "%lld", app->cfg.max_upload_bytes);
    char limit_human[32];
    /* "10 MB" for 10 MiB: the same words as the errors (gz_size_human) */
    gz_size_human(app->cfg.max_upload_bytes, limit_human);
    json_t *model = json_pack(
        "{s:o, s:O, s:b, s:o, s:o, s:s, s:s, s:s, s:b}", "story", story,
        "errors", errors, "has_errors", json_array_size(list) > 0, "error_list",
        list, "can", can, "notice", notice ? notice : "", "max_upload_bytes",
        limit, "max_upload_human", limit_human, "is_author", !editor);
    gz_newsroom_section(model, "stories");
    gz_newsroom_zone(model);
    char title[1300];
    if (cur)
        snprintf(title, sizeof title, "Edit \xe2\x80\x9c%.1200s\xe2\x80\x9d",
                 str_of(cur, "title"));
    else
        snprintf(title, sizeof title, "New story");
    int rc = gz_admin_render(req, resp, "admin_story", title, model);
    json_decref(model);
    if (rc == 0)
        resp->status = status;
    return rc;
}

/* ---- the list ------------------------------------------------------------ */

static const char *status_param(const char *s)
{
    static const char *const ok[] = {"draft", "scheduled", "published"};
    for (size_t i = 0; s && i < 3; i++)
        if (!strcmp(s, ok[i]))
            return ok[i];
    return NULL;
}

/* "/admin/stories?status=draft&q=word&page=2" with the parts that are set. */
static void list_url(struct gz_buf *b, const char *status, const char *q,
                     long long page)
{
    char sep = '?';
    gz_buf_puts(b, "/admin/stories");
    if (status) {
        gz_buf_printf(b, "%cstatus=%s", sep, status);
        sep = '&';
    }
    if (q && *q) {
        gz_buf_printf(b, "%cq=", sep);
        gz_url_encode(b, q, strlen(q));
        sep = '&';
    }
    if (page > 1)
        gz_buf_printf(b, "%cpage=%lld", sep, page);
}

static const char *done_notice(const char *done)
{
    static const struct {
        const char *key, *text;
    } notices[] = {
        {"created", "Draft saved."},
        {"saved", "Saved."},
        {"published", "Published. Readers can see it now."},
        {"scheduled", "Scheduled. It will go live on its own at the time "
                      "shown."},
        {"unpublished", "Unpublished. It is a draft again and readers can no "
                        "longer see it."},
        {"deleted", "The story was moved to the trash. An editor can "
                    "restore it there for 30 days."},
    };
    for (size_t i = 0; done && i < sizeof notices / sizeof notices[0]; i++)
        if (!strcmp(done, notices[i].key))
            return notices[i].text;
    return "";
}

int gz_page_admin_stories(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    struct gz_db *db = gz_req_db(req);
    int bad = 0;
    const char *status = status_param(gz_req_query(req, "status", NULL));
    const char *q = gz_req_query(req, "q", &bad);
    long long page = 1, total = 0;
    if (bad || (q && gz_utf8_len(q, strlen(q)) > 200)) {
        gz_respond_error(req, resp, 400,
                         "The search must be text of at most 200 characters.");
        return 0;
    }
    if (gz_req_query_int(req, "page", 1, MAX_PAGE, 1, &page) != 0) {
        gz_respond_error(req, resp, 400,
                         "The page number must be a whole number from 1 to "
                         "100000.");
        return 0;
    }
    /* Authors see their own stories; editors and admins everyone's. */
    long long only = is_editor(me) ? 0 : me->id;
    struct gz_story_query sq = {status, q, only, page, LIST_PAGE_SIZE};
    json_t *rows = gz_store_stories_list(db, &sq, &total);
    json_t *counts = gz_store_stories_counts(db, only);
    if (!rows || !counts) {
        json_decref(rows);
        json_decref(counts);
        return 500;
    }
    json_t *stories = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(rows, i, r)
    {
        char url[128], when[96];
        long long id = int_of(r, "id");
        const char *st = str_of(r, "status");
        json_t *s = json_pack("{s:I, s:O, s:O, s:O}", "id", (json_int_t)id,
                              "title", json_object_get(r, "title"),
                              "author_name", json_object_get(r, "author_name"),
                              "primary_tag", json_object_get(r, "primary_tag"));
        status_view(s, st, int_of(r, "published_at"), 1);
        const char *img = str_of(r, "image_url");
        json_object_set_new(s, "image_url",
                            *img && gz_url_is_safe(img) ? json_string(img)
                                                        : json_null());
        snprintf(url, sizeof url, "/admin/stories/%lld", id);
        json_object_set_new(s, "edit_url", json_string(url));
        int mine_draft =
            int_of(r, "author_id") == me->id && !strcmp(st, "draft");
        json_object_set_new(s, "can_edit",
                            json_boolean(is_editor(me) || mine_draft));
        if (is_editor(me) || mine_draft) {
            snprintf(url, sizeof url, "/admin/stories/%lld/delete", id);
            json_object_set_new(s, "delete_url", json_string(url));
        }
        if (!strcmp(st, "published")) {
            char view[400];
            snprintf(view, sizeof view, "/articles/%s?v=%lld",
                     str_of(r, "slug"), int_of(r, "updated_at"));
            json_object_set_new(s, "view_url", json_string(view));
        }
        gz_newsroom_when_short(int_of(r, "updated_at"), when, sizeof when);
        json_object_set_new(s, "updated_human", json_string(when));
        json_array_append_new(stories, s);
    }
    json_decref(rows);

    static const struct {
        const char *status, *label;
    } tabs[] = {{NULL, "All"},
                {"draft", "Drafts"},
                {"scheduled", "Scheduled"},
                {"published", "Published"}};
    json_t *filters = json_array();
    struct gz_buf b;
    gz_buf_init(&b);
    for (size_t t = 0; t < 4; t++) {
        gz_buf_reset(&b);
        list_url(&b, tabs[t].status, q, 1);
        json_array_append_new(
            filters,
            json_pack("{s:s, s:s, s:I, s:b}", "label", tabs[t].label, "url",
                      gz_buf_cstr(&b), "count",
                      (json_int_t)int_of(counts, tabs[t].status ? tabs[t].status
                                                                : "all"),
                      "current",
                      tabs[t].status == status ||
                          (tabs[t].status && status &&
                           !strcmp(tabs[t].status, status))));
    }
    long long pages =
        total == 0 ? 1 : (total + LIST_PAGE_SIZE - 1) / LIST_PAGE_SIZE;
    json_t *pag = json_pack("{s:I, s:I, s:I, s:b}", "page", (json_int_t)page,
                            "pages", (json_int_t)pages, "total",
                            (json_int_t)total, "several", pages > 1);
    gz_buf_reset(&b);
    list_url(&b, status, q, page - 1);
    json_object_set_new(pag, "prev_url",
                        page > 1 ? json_string(gz_buf_cstr(&b)) : json_null());
    gz_buf_reset(&b);
    list_url(&b, status, q, page + 1);
    json_object_set_new(pag, "next_url",
                        page < pages ? json_string(gz_buf_cstr(&b))
                                     : json_null());
    gz_buf_free(&b);
    json_decref(counts);

    const char *label = "stories";
    for (size_t t = 1; t < 4; t++)
        if (status && !strcmp(status, tabs[t].status))
            label = tabs[t].status;
    json_t *model =
        json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:b, s:s, s:b}", "stories",
                  stories, "filters", filters, "pagination", pag, "q",
                  q ? q : "", "status", status ? status : "", "notice",
                  done_notice(gz_req_query(req, "done", NULL)), "searching",
                  q && *q, "empty_label", label, "is_author", !is_editor(me));
    gz_newsroom_section(model, "stories");
    int rc = gz_admin_render(req, resp, "admin_stories", "Stories", model);
    json_decref(model);
    return rc;
}

/* ---- the form ------------------------------------------------------------ */

int gz_page_admin_story_new(struct gz_req *req, struct gz_resp *resp)
{
    json_t *vals = values_from_story(NULL);
    json_t *errors = json_object();
    int rc = form_page(req, resp, 200, NULL, vals, errors, NULL);
    json_decref(vals);
    json_decref(errors);
    return rc;
}

/* The story of the route when the user may change it; else NULL with
 * *status (404, or the 403 page already in resp). Owned. */
static json_t *editable_story(struct gz_req *req, struct gz_resp *resp,
                              int *status)
{
    json_t *cur = gz_admin_route_story(req, status);
    if (!cur)
        return NULL;
    const char *why = edit_refusal(gz_req_user(req), cur);
    if (why) {
        json_decref(cur);
        *status = forbidden(req, resp, why);
        return NULL;
    }
    return cur;
}

int gz_page_admin_story_edit(struct gz_req *req, struct gz_resp *resp)
{
    int status = 0;
    json_t *cur = editable_story(req, resp, &status);
    if (!cur)
        return status;
    json_t *vals = values_from_story(cur);
    json_t *errors = json_object();
    int rc = form_page(req, resp, 200, cur, vals, errors,
                       done_notice(gz_req_query(req, "done", NULL)));
    json_decref(vals);
    json_decref(errors);
    json_decref(cur);
    return rc;
}

/* ---- preview ------------------------------------------------------------- */

/* Tags of a comma list as [{name, slug, url}] for the preview. */
static json_t *preview_tags(const char *list)
{
    json_t *tags = json_array();
    const char *p = list;
    while (*p && json_array_size(tags) < GZ_STORY_TAGS_MAX) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char name[256];
        while (len && *p == ' ') {
            p++;
            len--;
        }
        while (len && p[len - 1] == ' ')
            len--;
        if (len && len < sizeof name) {
            char slug[96], url[128];
            memcpy(name, p, len);
            name[len] = '\0';
            gz_slugify(name, slug, sizeof slug);
            snprintf(url, sizeof url, "/tags/%s", slug);
            json_array_append_new(tags,
                                  json_pack("{s:s, s:s, s:s}", "name", name,
                                            "slug", slug, "url", url));
        }
        if (!end)
            break;
        p = end + 1;
    }
    return tags;
}

/* The story page as readers would see it, from what was typed, without
 * saving: the body goes through the same renderer as a save. */
static int preview_page(struct gz_req *req, struct gz_resp *resp, json_t *cur,
                        json_t *vals)
{
    const struct gz_user *me = gz_req_user(req);
    const char *md_text = str_of(vals, "markdown");
    struct gz_md md = {0};
    if (gz_md_render(md_text, strlen(md_text), &md) != 0)
        return 503;
    const char *title =
        *str_of(vals, "title") ? str_of(vals, "title") : "Untitled story";
    const char *author = cur ? str_of(cur, "author_name") : me->name;
    const char *author_slug = cur ? str_of(cur, "author_slug") : me->slug;
    char initials[16], author_url[300], iso[32], human[40];
    gz_initials(author, initials);
    snprintf(author_url, sizeof author_url, "/authors/%s", author_slug);
    long long when = cur && int_of(cur, "published_at") > 0
                         ? int_of(cur, "published_at")
                         : gz_now();
    gz_time_rfc3339(when, iso);
    gz_time_human(when + gz_tz_offset(gz_tz_site(), when), human);
    json_t *tags = preview_tags(str_of(vals, "tags"));
    json_t *article = json_pack(
        "{s:s, s:O, s:s, s:i, s:s, s:s, s:{s:s, s:s, s:s}, s:o}", "title",
        title, "excerpt", json_object_get(vals, "excerpt"), "body_html",
        md.html ? md.html : "", "reading_time", md.reading_time, "published_at",
        iso, "published_human", human, "author", "name", author, "initials",
        initials, "url", author_url, "tags", tags);
    gz_md_free(&md);
    json_t *first = json_array_get(tags, 0);
    json_object_set(article, "primary_tag", first ? first : json_null());
    if (*str_of(vals, "image_url")) {
        json_t *img = json_pack("{s:O, s:O, s:O}", "url",
                                json_object_get(vals, "image_url"), "alt",
                                json_object_get(vals, "image_alt"), "caption",
                                json_object_get(vals, "image_caption"));
        if (int_of(vals, "image_width") > 0 &&
            int_of(vals, "image_height") > 0) {
            json_object_set(img, "width", json_object_get(vals, "image_width"));
            json_object_set(img, "height",
                            json_object_get(vals, "image_height"));
        }
        json_object_set_new(article, "feature_image", img);
    }
    /* Everything typed rides along in hidden fields, so "Keep editing"
     * brings the form back exactly as it was. */
    static const char *const keep[] = {
        "title",     "slug",      "excerpt",       "markdown",  "tags",
        "image_url", "image_alt", "image_caption", "publish_at"};
    json_t *fields = json_array();
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        json_array_append_new(fields,
                              json_pack("{s:s, s:O}", "name", keep[i], "value",
                                        json_object_get(vals, keep[i])));
    if (json_is_true(json_object_get(vals, "comments_open")))
        json_array_append_new(
            fields,
            json_pack("{s:s, s:s}", "name", "comments_open", "value", "on"));
    char action[128];
    if (cur)
        snprintf(action, sizeof action, "/admin/stories/%lld",
                 int_of(cur, "id"));
    else
        snprintf(action, sizeof action, "/admin/stories");
    const char *st = cur ? str_of(cur, "status") : "draft";
    json_t *model = json_pack(
        "{s:o, s:{s:s, s:o, s:b, s:s}}", "article", article, "preview",
        "action_url", action, "fields", fields, "can_publish",
        is_editor(me) && strcmp(st, "published") != 0, "save_label",
        !strcmp(st, "published")   ? "Update"
        : !strcmp(st, "scheduled") ? "Save"
                                   : "Save draft");
    char t[1300];
    snprintf(t, sizeof t, "Preview: %.1200s", title);
    int rc = gz_admin_render(req, resp, "admin_preview", t, model);
    json_decref(model);
    return rc;
}

int gz_page_admin_preview(struct gz_req *req, struct gz_resp *resp)
{
    const char *text = field(req, "markdown");
    size_t n = strlen(text);
    if (n > GZ_STORY_MARKDOWN_MAX || !gz_utf8_valid_text(text, n)) {
        gz_respond_error(req, resp, 422,
                         "The body must be text of at most 1 MiB.");
        return 0;
    }
    struct gz_md md = {0};
    if (gz_md_render(text, n, &md) != 0)
        return 503;
    json_t *j = json_pack("{s:s, s:i, s:i}", "html", md.html ? md.html : "",
                          "words", md.words, "reading_time", md.reading_time);
    gz_md_free(&md);
    int rc = gz_resp_json(resp, 200, j);
    json_decref(j);
    return rc;
}

/* ---- saving -------------------------------------------------------------- */

enum form_action {
    A_SAVE,
    A_PUBLISH,
    A_SCHEDULE,
    A_UNPUBLISH,
    A_PREVIEW,
    A_EDIT
};

static enum form_action parse_action(const char *a)
{
    static const struct {
        const char *name;
        enum form_action act;
    } map[] = {{"publish", A_PUBLISH},
               {"schedule", A_SCHEDULE},
               {"unpublish", A_UNPUBLISH},
               {"preview", A_PREVIEW},
               {"edit", A_EDIT}};
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(a, map[i].name))
            return map[i].act;
    return A_SAVE; /* "save", and Enter in a text field */
}

/* POST /admin/stories and /admin/stories/:id. cur: NULL for a new story. */
static int story_post(struct gz_req *req, struct gz_resp *resp, json_t *cur)
{
    const struct gz_user *me = gz_req_user(req);
    enum form_action act = parse_action(field(req, "action"));
    if (cur) {
        const char *why = edit_refusal(me, cur);
        if (why)
            return forbidden(req, resp, why);
    }
    if ((act == A_PUBLISH || act == A_SCHEDULE || act == A_UNPUBLISH) &&
        !is_editor(me))
        return forbidden(req, resp,
                         "Authors cannot publish, schedule or unpublish. Save "
                         "the story as a draft and ask an editor to publish "
                         "it.");

    /* The feature image: a new upload wins, then "remove", then the one
     * carried in the form. */
    struct image_pick img = {"", 0, 0};
    snprintf(img.url, sizeof img.url, "%s", field(req, "image_url"));
    struct gz_upload *up = gz_req_upload(req);
    if (up) {
        int st = gz_newsroom_keep_upload(req, up, img.url, sizeof img.url,
                                         &img.width, &img.height);
        if (st)
            return st;
    } else if (*field(req, "remove_image")) {
        img.url[0] = '\0';
    } else if (img.url[0]) {
        if (cur && !strcmp(img.url, str_of(cur, "image_url"))) {
            img.width = (int)int_of(cur, "image_width");
            img.height = (int)int_of(cur, "image_height");
        } else {
            gz_store_media_find(gz_req_db(req), img.url, &img.width,
                                &img.height);
        }
    }
    json_t *vals = values_from_form(req, &img);
    json_t *errors = json_object();
    int rc = 0;
    if (act == A_EDIT) {
        rc = form_page(req, resp, 200, cur, vals, errors, NULL);
        goto out;
    }
    if (act == A_PREVIEW) {
        rc = preview_page(req, resp, cur, vals);
        goto out;
    }
    long long publish_at = 0;
    if (act == A_SCHEDULE) {
        const char *typed = field(req, "publish_at");
        publish_at = parse_datetime_local(typed);
        if (publish_at < 0) {
            char msg[300];
            if (*typed)
                snprintf(msg, sizeof msg,
                         "\xe2\x80\x9c%.80s\xe2\x80\x9d is not a date and "
                         "time. Enter one like 2026-11-25T18:30 (%s).",
                         typed, gz_tz_name(gz_tz_site()));
            else
                snprintf(msg, sizeof msg,
                         "Choose when the story should go live (%s).",
                         gz_tz_name(gz_tz_site()));
            json_object_set_new(errors, "publish_at", json_string(msg));
        }
    }
    struct gz_story_in in = {
        field(req, "title"),
        field(req, "slug"),
        field(req, "excerpt"),
        field(req, "markdown"),
        field(req, "tags"),
        img.url,
        field(req, "image_alt"),
        field(req, "image_caption"),
        *field(req, "comments_open") != '\0',
    };
    static const enum gz_story_action to_store[] = {
        [A_SAVE] = GZ_STORY_SAVE,
        [A_PUBLISH] = GZ_STORY_PUBLISH,
        [A_SCHEDULE] = GZ_STORY_SCHEDULE,
        [A_UNPUBLISH] = GZ_STORY_UNPUBLISH,
    };
    long long id = 0;
    int src =
        gz_store_story_save(gz_req_db(req), cur ? int_of(cur, "id") : 0, me->id,
                            &in, to_store[act], publish_at,
                            is_editor(me) ? 0 : me->id, &id, errors);
    if (src == GZ_EINVAL) {
        rc = form_page(req, resp, 422, cur, vals, errors, NULL);
        goto out;
    }
    if (src == GZ_ENOTFOUND) {
        rc = 404;
        goto out;
    }
    if (src == GZ_EFORBIDDEN) {
        rc = forbidden(req, resp,
                       "This story is no longer your draft: an editor has "
                       "published or scheduled it. Ask an editor to "
                       "unpublish it if it needs more work.");
        goto out;
    }
    if (src != 0) {
        gz_log_err(2401, "request %s: saving story failed (%d)", gz_req_id(req),
                   src);
        rc = 500;
        goto out;
    }
    if (act == A_PUBLISH)
        gz_mail_wake(); /* a first publish has subscribers to tell */
    static const char *const done[] = {[A_SAVE] = "saved",
                                       [A_PUBLISH] = "published",
                                       [A_SCHEDULE] = "scheduled",
                                       [A_UNPUBLISH] = "unpublished"};
    char loc[128];
    snprintf(loc, sizeof loc, "/admin/stories/%lld?done=%s", id,
             !cur && act == A_SAVE ? "created" : done[act]);
    gz_resp_redirect(resp, 303, loc);
out:
    json_decref(vals);
    json_decref(errors);
    return rc;
}

int gz_page_admin_story_create(struct gz_req *req, struct gz_resp *resp)
{
    return story_post(req, resp, NULL);
}

int gz_page_admin_story_update(struct gz_req *req, struct gz_resp *resp)
{
    int status = 0;
    json_t *cur = gz_admin_route_story(req, &status);
    if (!cur)
        return status;
    int rc = story_post(req, resp, cur);
    json_decref(cur);
    return rc;
}

/* ---- deleting ------------------------------------------------------------ */

int gz_page_admin_story_delete_confirm(struct gz_req *req, struct gz_resp *resp)
{
    int status = 0;
    json_t *cur = editable_story(req, resp, &status);
    if (!cur)
        return status;
    char url[128], edit[128];
    snprintf(url, sizeof url, "/admin/stories/%lld/delete", int_of(cur, "id"));
    snprintf(edit, sizeof edit, "/admin/stories/%lld", int_of(cur, "id"));
    json_t *story =
        json_pack("{s:O, s:s, s:s}", "title", json_object_get(cur, "title"),
                  "action_url", url, "edit_url", edit);
    status_view(story, str_of(cur, "status"), int_of(cur, "published_at"), 0);
    json_t *model = json_pack("{s:o}", "story", story);
    gz_newsroom_section(model, "stories");
    int rc =
        gz_admin_render(req, resp, "admin_story_delete", "Delete story", model);
    json_decref(model);
    json_decref(cur);
    return rc;
}

int gz_page_admin_story_delete(struct gz_req *req, struct gz_resp *resp)
{
    int status = 0;
    json_t *cur = editable_story(req, resp, &status);
    if (!cur)
        return status;
    const struct gz_user *me = gz_req_user(req);
    int rc = gz_store_story_trash(gz_req_db(req), int_of(cur, "id"),
                                  is_editor(me) ? 0 : me->id, me->id);
    json_decref(cur);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc == GZ_EFORBIDDEN)
        return forbidden(req, resp,
                         "This story is no longer your draft, so it was not "
                         "deleted.");
    if (rc != 0)
        return 500;
    gz_resp_redirect(resp, 303, "/admin/stories?done=deleted");
    return 0;
}
