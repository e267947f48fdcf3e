/*
 * common.c - what every /api/v1 handler shares: the list parameters
 * (page, limit, fields, include, order), the JSON body and its typed
 * fields, the answer shapes ({"name": [...], "meta": {"pagination"}}),
 * and the site base URL for absolute links.
 *
 * Rules (docs/API.md): a malformed or out-of-range parameter is a 400
 * naming it, never clamped; a body that is not JSON is a 400
 * invalid_json saying where; a field of the wrong type or missing is a
 * 422 naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "gazette/store.h"

int api_fail(struct gz_req *req, struct gz_resp *resp, int status,
             const char *msg, const char *field)
{
    gz_view_error(req, resp, status, msg, field);
    return 0;
}

int api_refuse(struct gz_req *req, struct gz_resp *resp, int status,
               const char *msg, const char *field)
{
    gz_view_error(req, resp, status, msg, field);
    return -1;
}

const char *api_base(struct gz_req *req, json_t **settings)
{
    *settings = gz_store_settings_load(gz_req_db(req));
    return gz_store_base_url(*settings, gz_req_base_url(req));
}

int api_list_params(struct gz_req *req, struct gz_resp *resp, long long *page,
                    int *limit)
{
    long long l;
    if (gz_req_query_int(req, "page", 1, API_MAX_PAGE, 1, page) != 0)
        return api_refuse(req, resp, 400,
                          "page must be a whole number from 1 to 100000.",
                          "page");
    if (gz_req_query_int(req, "limit", 1, API_MAX_LIMIT, API_DEFAULT_LIMIT,
                         &l) != 0)
        return api_refuse(req, resp, 400,
                          "limit must be a whole number from 1 to 100.",
                          "limit");
    *limit = (int)l;
    return 0;
}

/* Splits a comma list into at most max words (in place, in buf). */
static int split_commas(char *buf, char **words, int max)
{
    int n = 0;
    for (char *p = buf; p && *p && n < max;) {
        char *comma = strchr(p, ',');
        if (comma)
            *comma = '\0';
        while (*p == ' ')
            p++;
        size_t len = strlen(p);
        while (len && p[len - 1] == ' ')
            p[--len] = '\0';
        if (*p)
            words[n++] = p;
        p = comma ? comma + 1 : NULL;
    }
    return n;
}

int api_query_text(struct gz_req *req, struct gz_resp *resp, const char *name,
                   size_t max, const char **out)
{
    int bad = 0;
    *out = gz_req_query(req, name, &bad);
    if (bad || (*out && strlen(*out) > max)) {
        char msg[120];
        snprintf(msg, sizeof msg, "%s must be UTF-8 text of at most %zu bytes.",
                 name, max);
        api_fail(req, resp, 400, msg, name);
        return -1;
    }
    return 0;
}

int api_include(struct gz_req *req, struct gz_resp *resp, unsigned *inc)
{
    const char *v;
    *inc = 0;
    if (api_query_text(req, resp, "include", 200, &v) != 0)
        return -1;
    if (!v)
        return 0;
    char buf[256];
    char *words[8];
    snprintf(buf, sizeof buf, "%s", v);
    int n = split_commas(buf, words, 8);
    for (int i = 0; i < n; i++) {
        if (strcmp(words[i], "tags") == 0)
            *inc |= GZ_INC_TAGS;
        else if (strcmp(words[i], "authors") == 0)
            *inc |= GZ_INC_AUTHORS;
        else if (strcmp(words[i], "comment_count") == 0)
            *inc |= GZ_INC_COMMENT_COUNT;
        else
            return api_refuse(req, resp, 400,
                              "include takes tags, authors and comment_count.",
                              "include");
    }
    return 0;
}

int api_fields(struct gz_req *req, struct gz_resp *resp,
               const char *const *known, json_t **keep)
{
    const char *v;
    *keep = NULL;
    if (api_query_text(req, resp, "fields", 500, &v) != 0)
        return -1;
    if (!v)
        return 0;
    char buf[512];
    char *words[40];
    snprintf(buf, sizeof buf, "%s", v);
    int n = split_commas(buf, words, 40);
    if (n == 0)
        return api_refuse(req, resp, 400, "fields names no field.", "fields");
    *keep = json_object();
    for (int i = 0; i < n; i++) {
        int ok = 0;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, words[i]) == 0;
        if (!ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "fields: there is no field \"%.60s\".",
                     words[i]);
            json_decref(*keep);
            *keep = NULL;
            return api_refuse(req, resp, 400, msg, "fields");
        }
        json_object_set_new(*keep, words[i], json_true());
    }
    return 0;
}

void api_trim_fields(json_t *obj, json_t *keep)
{
    if (!keep)
        return;
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(obj, tmp, k, v)
    {
        if (!json_object_get(keep, k))
            json_object_del(obj, k);
    }
}

int api_send_list(struct gz_req *req, struct gz_resp *resp, const char *name,
                  json_t *items, long long page, int limit, long long total)
{
    return api_send_list_meta(req, resp, name, items, page, limit, total,
                              NULL, NULL);
}

int api_send_list_meta(struct gz_req *req, struct gz_resp *resp,
                       const char *name, json_t *items, long long page,
                       int limit, long long total, const char *key,
                       json_t *value)
{
    (void)req;
    json_t *doc = json_object();
    json_object_set_new(doc, name, items);
    json_t *meta = json_pack("{s:o}", "pagination",
                             gz_res_pagination(page, limit, total));
    if (key && value)
        json_object_set_new(meta, key, value);
    json_object_set_new(doc, "meta", meta);
    int rc = gz_resp_json(resp, 200, doc);
    json_decref(doc);
    return rc;
}

int api_send_one(struct gz_resp *resp, int status, const char *name,
                 json_t *item)
{
    json_t *doc = json_pack("{s:[o]}", name, item);
    int rc = doc ? gz_resp_json(resp, status, doc) : 500;
    json_decref(doc);
    return rc;
}

int api_no_content(struct gz_resp *resp)
{
    gz_resp_take(resp, 204, NULL, NULL, 0);
    return 0;
}

int api_body(struct gz_req *req, struct gz_resp *resp, const char *wrapper,
             json_t **out)
{
    size_t len;
    const char *body = gz_req_body(req, &len);
    json_error_t e;
    *out = NULL;
    /* SECURITY: duplicate keys are refused, so two parsers (a proxy's
     * and ours) can never read two different objects from one body. */
    json_t *doc =
        json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
    if (!doc) {
        char msg[300];
        /* jansson names its own flag for \u0000: say it in our words. */
        const char *why = strstr(e.text, "JSON_ALLOW_NUL")
                              ? "\\u0000 is not allowed in strings"
                              : e.text;
        snprintf(msg, sizeof msg,
                 "The body is not valid JSON: %s (line %d, column %d).", why,
                 e.line, e.column);
        gz_view_error_code(req, resp, 400, "invalid_json", msg, NULL);
        return -1;
    }
    /* Ghost's shape {"articles": [{...}]} or the bare object. */
    json_t *list = json_object_get(doc, wrapper);
    if (json_is_array(list) && json_object_size(doc) == 1) {
        if (json_array_size(list) != 1 ||
            !json_is_object(json_array_get(list, 0))) {
            json_decref(doc);
            return api_refuse(req, resp, 422, "Send one object in the list.",
                              wrapper);
        }
        json_t *one = json_incref(json_array_get(list, 0));
        json_decref(doc);
        doc = one;
    }
    if (!json_is_object(doc)) {
        json_decref(doc);
        return api_refuse(req, resp, 422, "The body must be a JSON object.",
                          NULL);
    }
    *out = doc;
    return 0;
}

int api_str(struct gz_req *req, struct gz_resp *resp, json_t *body,
            const char *key, const char *field, const char **out)
{
    json_t *v = json_object_get(body, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s must be a string.", field);
        return api_refuse(req, resp, 422, msg, field);
    }
    *out = json_string_value(v);
    if (strlen(*out) != json_string_length(v)) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s must not contain NUL characters.", field);
        return api_refuse(req, resp, 422, msg, field);
    }
    return 0;
}

int api_only_keys(struct gz_req *req, struct gz_resp *resp, json_t *body,
                  const char *const *known)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
    {
        int ok = 0;
        for (const char *const *p = known; *p && !ok; p++)
            ok = strcmp(*p, k) == 0;
        if (!ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "There is no field \"%.60s\" here.", k);
            return api_refuse(req, resp, 422, msg, k);
        }
    }
    return 0;
}

int api_path_id(struct gz_req *req, long long *id)
{
    const char *s = gz_req_param(req, 0);
    return s && gz_parse_int(s, 1, 1LL << 53, id) == 0 ? 0 : -1;
}
