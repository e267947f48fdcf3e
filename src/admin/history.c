/*
 * history.c - the newsroom's story history and trash (issue 10, item 2):
 * GET /admin/stories/:id/history (the revisions, or ?from=N&to=M compared
 * as a readable diff), POST /admin/stories/:id/history/:n/restore (that
 * revision's content saved as a new revision), GET /admin/trash and
 * POST /admin/trash/:id/restore.
 *
 * Rules: the history of a story is open to editors and to its author;
 * restoring a revision follows the edit rules of stories.c (editors, or
 * the author while it is their draft); the trash lists every deleted
 * story for editors, who restore them, and an author's own deleted
 * stories for an author. The router has checked the session, the least
 * role and CSRF. Threads: handlers keep no state between requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/admin.h"
#include "gazette/diff.h"
#include "gazette/html.h"
#include "gazette/newsroom.h"
#include "gazette/revisions.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "newsroom_pages.h"


/* The edit rule of stories.c: editors, or the author of a draft. */
static int may_change(const struct gz_user *me, json_t *story)
{
    return is_editor(me) ||
           (int_of(story, "author_id") == me->id &&
            strcmp(str_of(story, "status"), "draft") == 0);
}

/* The tags of a revision as "A, B". */
static void tags_text(json_t *rev, struct gz_buf *out)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(rev, "tags"), i, t)
    {
        if (i)
            gz_buf_puts(out, ", ");
        gz_buf_puts(out, json_string_value(t) ? json_string_value(t) : "");
    }
}

/* A one-line summary of what rev changed from prev (NULL: the first). */
static void summarize(json_t *prev, json_t *rev, struct gz_buf *out)
{
    if (!prev) {
        gz_buf_puts(out, "First version");
        return;
    }
    struct gz_buf a, b;
    gz_buf_init(&a);
    gz_buf_init(&b);
    tags_text(prev, &a);
    tags_text(rev, &b);
    size_t before = out->len;
    static const char *const fields[] = {"title", "excerpt"};
    static const char *const names[] = {"Title", "Excerpt"};
    for (size_t i = 0; i < 2; i++)
        if (strcmp(str_of(prev, fields[i]), str_of(rev, fields[i])) != 0)
            gz_buf_printf(out, "%s%s changed", out->len > before ? "; " : "",
                          names[i]);
    if (strcmp(str_of(prev, "markdown"), str_of(rev, "markdown")) != 0) {
        struct gz_diff_stats st = {0};
        gz_diff_count(str_of(prev, "markdown"), str_of(rev, "markdown"), &st);
        gz_buf_printf(out, "%sBody: %zu line%s added, %zu removed",
                      out->len > before ? "; " : "", st.lines_added,
                      st.lines_added == 1 ? "" : "s", st.lines_removed);
    }
    if (strcmp(gz_buf_cstr(&a), gz_buf_cstr(&b)) != 0)
        gz_buf_printf(out, "%sTags changed", out->len > before ? "; " : "");
    if (strcmp(str_of(prev, "image_url"), str_of(rev, "image_url")) != 0 ||
        strcmp(str_of(prev, "image_alt"), str_of(rev, "image_alt")) != 0)
        gz_buf_printf(out, "%sFeature image changed",
                      out->len > before ? "; " : "");
    if (out->len == before)
        gz_buf_puts(out, "No change to the text");
    gz_buf_free(&a);
    gz_buf_free(&b);
}

/* {label, diff_html, changed} for one field. */
static json_t *field_diff(const char *label, const char *a, const char *b)
{
    struct gz_buf h;
    gz_buf_init(&h);
    if (gz_diff_html(a, b, &h, NULL) != 0) {
        gz_buf_free(&h);
        return NULL;
    }
    json_t *o = json_pack("{s:s, s:s, s:b}", "label", label, "diff_html",
                          gz_buf_cstr(&h), "changed", strcmp(a, b) != 0);
    gz_buf_free(&h);
    return o;
}

static json_t *find_rev(json_t *revs, long long n)
{
    size_t i;
    json_t *r;
    json_array_foreach(revs, i, r) if (int_of(r, "n") == n) return r;
    return NULL;
}

static const char *done_text(const char *done)
{
    if (done && strcmp(done, "restored") == 0)
        return "Restored. The story now has that revision's content, saved "
               "as a new revision.";
    return "";
}

int gz_page_admin_story_history(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    int status = 0;
    json_t *story = gz_admin_route_story(req, &status);
    if (!story)
        return status;
    if (!is_editor(me) && int_of(story, "author_id") != me->id) {
        json_decref(story);
        gz_respond_error(req, resp, 403,
                         "This story belongs to another writer. Authors can "
                         "see the history of their own stories only.");
        return 0;
    }
    long long id = int_of(story, "id");
    json_t *revs = gz_store_revisions_list(gz_req_db(req), id);
    json_t *model = NULL;
    int rc = 500;
    if (!revs)
        goto out;
    long long from = 0, to = 0;
    if (gz_req_query_int(req, "from", 1, 1LL << 40, 0, &from) != 0 ||
        gz_req_query_int(req, "to", 1, 1LL << 40, 0, &to) != 0) {
        rc = 404;
        goto out;
    }
    int can_restore = may_change(me, story);
    char edit_url[64], hist_url[64];
    snprintf(edit_url, sizeof edit_url, "/admin/stories/%lld", id);
    snprintf(hist_url, sizeof hist_url, "/admin/stories/%lld/history", id);
    model = json_pack("{s:{s:I, s:O, s:s, s:s, s:O}, s:b, s:s}", "story",
                      "id", (json_int_t)id, "title",
                      json_object_get(story, "title"), "edit_url", edit_url,
                      "history_url", hist_url, "status",
                      json_object_get(story, "status"), "can_restore",
                      can_restore, "notice",
                      done_text(gz_req_query(req, "done", NULL)));
    if (!model)
        goto out;
    long long latest = json_array_size(revs)
                           ? int_of(json_array_get(revs, 0), "n")
                           : 0;

    if (from || to) {
        /* Compare: both must exist; the default is against the latest. */
        if (!to)
            to = latest;
        json_t *a = find_rev(revs, from), *b = find_rev(revs, to);
        if (!a || !b) {
            rc = 404;
            goto out;
        }
        struct gz_buf ta, tb;
        gz_buf_init(&ta);
        gz_buf_init(&tb);
        tags_text(a, &ta);
        tags_text(b, &tb);
        char ia[1024] = "", ib[1024] = "";
        if (*str_of(a, "image_url"))
            snprintf(ia, sizeof ia, "%s\n%s", str_of(a, "image_url"),
                     str_of(a, "image_alt"));
        if (*str_of(b, "image_url"))
            snprintf(ib, sizeof ib, "%s\n%s", str_of(b, "image_url"),
                     str_of(b, "image_alt"));
        json_t *fields = json_array();
        json_array_append_new(fields, field_diff("Title", str_of(a, "title"),
                                                 str_of(b, "title")));
        json_array_append_new(fields,
                              field_diff("Excerpt", str_of(a, "excerpt"),
                                         str_of(b, "excerpt")));
        json_array_append_new(fields,
                              field_diff("Tags", gz_buf_cstr(&ta),
                                         gz_buf_cstr(&tb)));
        json_array_append_new(fields,
                              field_diff("Feature image (address, alt text)",
                                         ia, ib));
        json_array_append_new(fields,
                              field_diff("Body (Markdown)",
                                         str_of(a, "markdown"),
                                         str_of(b, "markdown")));
        gz_buf_free(&ta);
        gz_buf_free(&tb);
        char wa[96], wb[96];
        gz_newsroom_when(int_of(a, "created_at"), wa, sizeof wa);
        gz_newsroom_when(int_of(b, "created_at"), wb, sizeof wb);
        json_object_set_new(
            model, "compare",
            json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o}", "from",
                      (json_int_t)from, "to", (json_int_t)to, "from_when", wa,
                      "to_when", wb, "from_who", str_of(a, "user_name"),
                      "to_who", str_of(b, "user_name"), "fields", fields));
    } else {
        json_t *items = json_array();
        size_t i, n = json_array_size(revs);
        for (i = 0; i < n; i++) {
            json_t *r = json_array_get(revs, i);
            json_t *prev = i + 1 < n ? json_array_get(revs, i + 1) : NULL;
            struct gz_buf sum;
            gz_buf_init(&sum);
            summarize(prev, r, &sum);
            char when[96], cmp[128], rest[128];
            gz_newsroom_when(int_of(r, "created_at"), when, sizeof when);
            long long rn = int_of(r, "n");
            cmp[0] = '\0';
            if (prev)
                snprintf(cmp, sizeof cmp, "%s?from=%lld&to=%lld", hist_url,
                         int_of(prev, "n"), rn);
            snprintf(rest, sizeof rest, "%s/%lld/restore", hist_url, rn);
            const char *who = str_of(r, "user_name");
            json_array_append_new(
                items,
                json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:b}", "n",
                          (json_int_t)rn, "when", when, "who",
                          *who ? who : "(a removed user)", "summary",
                          gz_buf_cstr(&sum), "compare_url", cmp,
                          "restore_url", rest, "is_latest", rn == latest,
                          "can_restore", can_restore && rn != latest));
            gz_buf_free(&sum);
        }
        json_object_set_new(model, "revisions", items);
        json_object_set_new(model, "has_revisions", json_boolean(n > 0));
    }
    gz_newsroom_section(model, "stories");
    rc = gz_admin_render(req, resp, "admin_history", "History", model);
out:
    json_decref(model);
    json_decref(revs);
    json_decref(story);
    return rc;
}

int gz_page_admin_story_revision_restore(struct gz_req *req,
                                         struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    int status = 0;
    json_t *story = gz_admin_route_story(req, &status);
    if (!story)
        return status;
    long long n = 0;
    const char *p = gz_req_param(req, 1);
    if (!p || gz_parse_int(p, 1, 1LL << 40, &n) != 0) {
        json_decref(story);
        return 404;
    }
    if (!may_change(me, story)) {
        json_decref(story);
        gz_respond_error(req, resp, 403,
                         "Only an editor, or the author while the story is "
                         "their draft, can restore a revision.");
        return 0;
    }
    long long id = int_of(story, "id");
    int err = 0, rc = 500;
    json_t *rev = gz_store_revision_load(gz_req_db(req), id, n, &err);
    json_t *errors = json_object();
    struct gz_buf tags;
    gz_buf_init(&tags);
    if (!rev) {
        rc = err == GZ_ENOTFOUND ? 404 : 500;
        goto out;
    }
    tags_text(rev, &tags);
    struct gz_story_in in = {
        .title = str_of(rev, "title"),
        .slug = str_of(story, "slug"),
        .excerpt = str_of(rev, "excerpt"),
        .markdown = str_of(rev, "markdown"),
        .tags = gz_buf_cstr(&tags),
        .image_url = str_of(rev, "image_url"),
        .image_alt = str_of(rev, "image_alt"),
        .image_caption = str_of(story, "image_caption"),
        .comments_open =
            json_is_true(json_object_get(story, "comments_open")),
    };
    long long out_id = 0;
    int src = gz_store_story_save(gz_req_db(req), id, me->id, &in,
                                  GZ_STORY_SAVE, 0,
                                  is_editor(me) ? 0 : me->id, &out_id, errors);
    if (src == GZ_EINVAL) {
        /* e.g. the revision's image is no longer in the media library */
        const char *k;
        json_t *v;
        char msg[600] = "This revision could not be restored.";
        json_object_foreach(errors, k, v)
        {
            snprintf(msg, sizeof msg,
                     "This revision could not be restored: %s",
                     json_string_value(v) ? json_string_value(v) : k);
            break;
        }
        gz_respond_error(req, resp, 422, msg);
        rc = 0;
        goto out;
    }
    if (src == GZ_EFORBIDDEN) {
        gz_respond_error(req, resp, 403,
                         "This story is no longer your draft, so the "
                         "revision was not restored.");
        rc = 0;
        goto out;
    }
    if (src != 0) {
        rc = src == GZ_ENOTFOUND ? 404 : 500;
        goto out;
    }
    char loc[96];
    snprintf(loc, sizeof loc, "/admin/stories/%lld/history?done=restored", id);
    gz_resp_redirect(resp, 303, loc);
    rc = 0;
out:
    gz_buf_free(&tags);
    json_decref(errors);
    json_decref(rev);
    json_decref(story);
    return rc;
}

int gz_page_admin_trash(struct gz_req *req, struct gz_resp *resp)
{
    const struct gz_user *me = gz_req_user(req);
    json_t *all = gz_store_trash_list(gz_req_db(req));
    if (!all)
        return 500;
    long long now = gz_now();
    json_t *items = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(all, i, s)
    {
        /* SECURITY: an author sees only their own deleted stories. */
        if (!is_editor(me) && int_of(s, "author_id") != me->id)
            continue;
        long long age = now - int_of(s, "deleted_at");
        long long left = GZ_TRASH_DAYS - (age < 0 ? 0 : age) / 86400;
        if (left < 0)
            left = 0;
        char when[96], restore[96], days[64];
        gz_newsroom_when(int_of(s, "deleted_at"), when, sizeof when);
        snprintf(restore, sizeof restore, "/admin/trash/%lld/restore",
                 int_of(s, "id"));
        if (left == 0)
            snprintf(days, sizeof days, "Deleted for good soon");
        else
            snprintf(days, sizeof days, "%lld day%s left", left,
                     left == 1 ? "" : "s");
        const char *st = str_of(s, "status");
        json_array_append_new(
            items,
            json_pack("{s:O, s:O, s:s, s:s, s:O, s:s, s:s, s:I, s:s, s:b}",
                      "id", json_object_get(s, "id"), "title",
                      json_object_get(s, "title"), "status", st,
                      "status_label",
                      !strcmp(st, "published")   ? "Published"
                      : !strcmp(st, "scheduled") ? "Scheduled"
                                                 : "Draft",
                      "author_name", json_object_get(s, "author_name"),
                      "deleted_by", str_of(s, "deleted_by"), "when", when,
                      "days_left", (json_int_t)left, "days_text", days,
                      "can_restore", is_editor(me)));
            json_object_set_new(json_array_get(items, json_array_size(items) - 1),
                                "restore_url", json_string(restore));
    }
    json_decref(all);
    const char *done = gz_req_query(req, "done", NULL);
    json_t *model = json_pack(
        "{s:o, s:b, s:s, s:i}", "stories", items, "has_stories",
        json_array_size(items) > 0, "notice",
        done && !strcmp(done, "restored")
            ? "Restored. The story is back with the status it had."
            : "",
        "trash_days", GZ_TRASH_DAYS);
    gz_newsroom_section(model, "trash");
    int rc = gz_admin_render(req, resp, "admin_trash", "Trash", model);
    json_decref(model);
    return rc;
}

int gz_page_admin_trash_restore(struct gz_req *req, struct gz_resp *resp)
{
    long long id = 0;
    const char *p = gz_req_param(req, 0);
    if (!p || gz_parse_int(p, 1, (1LL << 53), &id) != 0)
        return 404;
    int rc = gz_store_trash_restore(gz_req_db(req), id);
    if (rc == GZ_ENOTFOUND)
        return 404;
    if (rc != 0)
        return 500;
    gz_resp_redirect(resp, 303, "/admin/trash?done=restored");
    return 0;
}
