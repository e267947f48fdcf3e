/*
 * api.h - the handlers of /api/v1 (SPEC section 6, docs/API.md). Each
 * reads the request through the http accessors, asks the store for rows,
 * turns them into resources (gazette/view.h) and answers JSON. Errors go
 * through gz_view_error, so every failure has the one error shape.
 */
#ifndef GAZETTE_API_H
#define GAZETTE_API_H

#include "gazette/http.h"

int gz_api_articles_list(struct gz_req *req, struct gz_resp *resp);
int gz_api_article_get(struct gz_req *req, struct gz_resp *resp);
int gz_api_article_create(struct gz_req *req, struct gz_resp *resp);
int gz_api_article_update(struct gz_req *req, struct gz_resp *resp);
int gz_api_article_delete(struct gz_req *req, struct gz_resp *resp);
/* PATCH or DELETE of one story / comment: the two handlers above. */
int gz_api_article_change(struct gz_req *req, struct gz_resp *resp);
int gz_api_comment_change(struct gz_req *req, struct gz_resp *resp);
int gz_api_tags_list(struct gz_req *req, struct gz_resp *resp);
int gz_api_tag_get(struct gz_req *req, struct gz_resp *resp);
int gz_api_authors_list(struct gz_req *req, struct gz_resp *resp);
int gz_api_author_get(struct gz_req *req, struct gz_resp *resp);
int gz_api_article_comments(struct gz_req *req, struct gz_resp *resp);
int gz_api_comment_post(struct gz_req *req, struct gz_resp *resp);
int gz_api_comments_list(struct gz_req *req, struct gz_resp *resp);
int gz_api_comment_update(struct gz_req *req, struct gz_resp *resp);
int gz_api_comment_delete(struct gz_req *req, struct gz_resp *resp);
int gz_api_subscriber_create(struct gz_req *req, struct gz_resp *resp);
int gz_api_subscribers_list(struct gz_req *req, struct gz_resp *resp);
int gz_api_subscriber_delete(struct gz_req *req, struct gz_resp *resp);
int gz_api_media_upload(struct gz_req *req, struct gz_resp *resp);
int gz_api_search(struct gz_req *req, struct gz_resp *resp);
int gz_api_openapi(struct gz_req *req, struct gz_resp *resp);

/* The OpenAPI document, embedded at build time from src/api/openapi.json. */
extern const char gz_openapi_json[];
extern const unsigned long gz_openapi_json_len;

#endif
