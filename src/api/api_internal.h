/*
 * api_internal.h - helpers shared by the files of src/api/ (common.c).
 * Functions that answer an error fill resp through gz_view_error and
 * return -1; the handler then returns 0 (the answer is made).
 */
#ifndef GAZETTE_API_INTERNAL_H
#define GAZETTE_API_INTERNAL_H

#include <jansson.h>

#include "gazette/api.h"
#include "gazette/view.h"

#define API_MAX_PAGE 100000
#define API_MAX_LIMIT 100
#define API_DEFAULT_LIMIT 15

/* gz_view_error, returning 0 for the handler to return. */
int api_fail(struct gz_req *req, struct gz_resp *resp, int status,
             const char *msg, const char *field);
/* The same for the helpers below: answers and returns -1. */
int api_refuse(struct gz_req *req, struct gz_resp *resp, int status,
               const char *msg, const char *field);
/* The absolute base URL; *settings is owned by the caller (decref). */
const char *api_base(struct gz_req *req, json_t **settings);
/* page (1-100000, default 1) and limit (1-100, default 15). */
int api_list_params(struct gz_req *req, struct gz_resp *resp,
                    long long *page, int *limit);
/* A text query parameter of at most max bytes (NULL when absent). */
int api_query_text(struct gz_req *req, struct gz_resp *resp, const char *name,
                   size_t max, const char **out);
/* include=tags,authors,comment_count into GZ_INC_* bits. */
int api_include(struct gz_req *req, struct gz_resp *resp, unsigned *inc);
/* fields=a,b: *keep gets an owned object of the names (NULL: all). */
int api_fields(struct gz_req *req, struct gz_resp *resp,
               const char *const *known, json_t **keep);
void api_trim_fields(json_t *obj, json_t *keep);
/* Answers; items and item are stolen. */
int api_send_list(struct gz_req *req, struct gz_resp *resp, const char *name,
                  json_t *items, long long page, int limit, long long total);
/* api_send_list with one more member of meta (key: value, taken). */
int api_send_list_meta(struct gz_req *req, struct gz_resp *resp,
                       const char *name, json_t *items, long long page,
                       int limit, long long total, const char *key,
                       json_t *value);
int api_send_one(struct gz_resp *resp, int status, const char *name,
                 json_t *item);
int api_no_content(struct gz_resp *resp);
/* The JSON body as an object (bare, or wrapped as {"wrapper": [obj]});
 * *out owned. */
int api_body(struct gz_req *req, struct gz_resp *resp, const char *wrapper,
             json_t **out);
/* A string member (absent or null: *out NULL); else 422 naming field. */
int api_str(struct gz_req *req, struct gz_resp *resp, json_t *body,
            const char *key, const char *field, const char **out);
/* 422 for a member not in known (NULL-terminated). */
int api_only_keys(struct gz_req *req, struct gz_resp *resp, json_t *body,
                  const char *const *known);
/* The route's first capture as an id; -1 when it is not one. */
int api_path_id(struct gz_req *req, long long *id);

#endif
