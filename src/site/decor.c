/*
 * decor.c - what pages add around the resources (gazette/view.h): the
 * same story, tag, author and comment objects the JSON API returns, with
 * site-relative URLs (the builders get an empty base), plus the HTML-only
 * decor templates use: human dates, initials, the card's excerpt, the
 * standfirst, comment anchors and replies nested under their comment.
 * docs/THEME.md lists the keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/tz.h"
#include "gazette/view.h"

static void human_time(json_t *o, const char *key, json_t *row, const char *col)
{
    json_t *t = json_object_get(row, col);
    char human[40] = "";
    if (json_is_integer(t) && json_integer_value(t) > 0) {
        /* the day in the site's time zone (issue 10); datetime stays UTC */
        long long v = json_integer_value(t);
        gz_time_human(v + gz_tz_offset(gz_tz_site(), v), human);
    }
    json_object_set_new(o, key, json_string(human));
}

static void add_initials(json_t *person)
{
    char initials[16];
    gz_initials(json_string_value(json_object_get(person, "name")), initials);
    json_object_set_new(person, "initials", json_string(initials));
}

json_t *gz_site_story(json_t *row)
{
    int full = json_object_get(row, "html") != NULL;
    json_t *s =
        gz_res_story(row,
                     GZ_INC_TAGS | GZ_INC_AUTHORS | GZ_INC_COMMENT_COUNT |
                         (full ? GZ_INC_HTML : 0),
                     "");
    human_time(s, "published_human", row, "published_at");
    human_time(s, "updated_human", row, "updated_at");
    json_object_set(s, "card_excerpt", json_object_get(s, "excerpt"));
    /* The standfirst under the headline is only what the writer wrote: an
     * automatic one would repeat the opening paragraph. */
    json_t *custom = json_object_get(s, "custom_excerpt");
    json_object_set_new(
        s, "standfirst",
        json_string(json_is_string(custom) ? json_string_value(custom) : ""));
    json_t *author = json_deep_copy(json_object_get(s, "primary_author"));
    add_initials(author);
    json_object_set(author, "bio", json_object_get(row, "author_bio"));
    json_t *avatar = json_object_get(row, "author_avatar");
    json_object_set_new(author, "avatar_url",
                        json_string(json_is_string(avatar)
                                        ? json_string_value(avatar)
                                        : ""));
    json_object_set_new(s, "author", author);
    if (full)
        json_object_set(s, "body_html", json_object_get(s, "html"));
    return s;
}

json_t *gz_site_stories(json_t *rows)
{
    json_t *list = json_array();
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
        json_array_append_new(list, gz_site_story(row));
    return list;
}

json_t *gz_site_tag(json_t *row)
{
    return gz_res_tag(row, "");
}

json_t *gz_site_author(json_t *row)
{
    json_t *a = gz_res_author(row, "");
    add_initials(a);
    /* The avatar (issue 10): pages show it where initials showed. */
    json_t *avatar = json_object_get(row, "avatar_url");
    json_object_set_new(a, "avatar_url",
                        json_string(json_is_string(avatar)
                                        ? json_string_value(avatar)
                                        : ""));
    return a;
}

json_t *gz_site_comments(json_t *rows)
{
    json_t *top = json_array();
    json_t *by_id = json_object(); /* id -> borrowed top-level comment */
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row)
    {
        json_t *c = gz_res_comment(row, 0);
        char key[24], anchor[32];
        long long id = json_integer_value(json_object_get(c, "id"));
        snprintf(anchor, sizeof anchor, "comment-%lld", id);
        json_object_set_new(c, "anchor", json_string(anchor));
        add_initials(c);
        human_time(c, "created_human", row, "created_at");
        json_object_set(c, "body_html", json_object_get(c, "html"));
        json_t *pid = json_object_get(c, "parent_id");
        if (json_is_integer(pid)) {
            /* A reply shows under its comment; one whose parent is held
             * or spam waits with it. */
            snprintf(key, sizeof key, "%lld",
                     (long long)json_integer_value(pid));
            json_t *parent = json_object_get(by_id, key);
            if (parent)
                json_array_append_new(json_object_get(parent, "replies"), c);
            else
                json_decref(c);
            continue;
        }
        json_object_set_new(c, "replies", json_array());
        snprintf(key, sizeof key, "%lld", id);
        json_object_set(by_id, key, c);
        json_array_append_new(top, c);
    }
    json_decref(by_id);
    return top;
}

json_t *gz_site_article(struct gz_db *db, const char *slug, int *err)
{
    json_t *row = gz_store_article_load(db, slug, err);
    if (!row)
        return NULL;
    json_t *crows = gz_store_comment_rows(
        db, json_integer_value(json_object_get(row, "id")), "approved", 0, 1,
        GZ_SITE_COMMENTS_MAX, NULL);
    if (!crows) {
        json_decref(row);
        *err = GZ_EDB;
        return NULL;
    }
    json_t *a = gz_site_story(row);
    json_object_set_new(a, "comments", gz_site_comments(crows));
    json_decref(crows);
    json_decref(row);
    return a;
}

int gz_site_comment_replying(json_t *article, json_t *form,
                             const char *parent_id)
{
    long long id;
    if (!parent_id || gz_parse_int(parent_id, 1, 1LL << 53, &id) != 0)
        return 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(article, "comments"), i, c)
    {
        if (json_integer_value(json_object_get(c, "id")) != id)
            continue;
        char text[32];
        snprintf(text, sizeof text, "%lld", id);
        json_t *values = json_object_get(form, "values");
        if (json_is_object(values))
            json_object_set_new(values, "parent_id", json_string(text));
        json_object_set_new(form, "replying",
                            json_pack("{s:I, s:O}", "id", (json_int_t)id,
                                      "name", json_object_get(c, "name")));
        return 1;
    }
    return 0;
}
