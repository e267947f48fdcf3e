/*
 * site.h - the handlers of the readers' site (SPEC section 2): pages,
 * feeds, sitemap, robots, health and metrics. Each fills a struct gz_resp
 * from a view model built by the store; see http.h for the contract.
 */
#ifndef GAZETTE_SITE_H
#define GAZETTE_SITE_H

#include "gazette/http.h"

int gz_page_site_home(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_article(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_tag(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_author(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_search(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_feed(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_tag_feed(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_author_feed(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_sitemap(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_robots(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_healthz(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_metrics(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_static(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_favicon(struct gz_req *req, struct gz_resp *resp);

/* comments.c and subscribe.c: readers taking part (SPEC sections 4, 5). */
int gz_page_site_comment_post(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_subscribe(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_confirm_form(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_confirm(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_unsubscribe_form(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_unsubscribe(struct gz_req *req, struct gz_resp *resp);

/*
 * The model every public page shares: adds site, assets and page to
 * model (title NULL: the site title alone). settings is borrowed (from
 * gz_store_settings_load). For handlers outside pages.c too.
 */
void gz_site_page_common(struct gz_req *req, json_t *model, json_t *settings,
                         const char *title, const char *description,
                         const char *og_type, const char *body_class);
/* A simple result page (template "message"). */
int gz_site_message(struct gz_req *req, struct gz_resp *resp, int status,
                    const char *title, const char *body,
                    const char *back_url, const char *back_label);

/* The error page or JSON error for status; message may be NULL (a
 * standard text for the status is used). */
void gz_respond_error(struct gz_req *req, struct gz_resp *resp, int status,
                      const char *message);

/*
 * decor.c: the resources of gazette/view.h with site-relative URLs and
 * the decor templates use (docs/THEME.md). Rows are borrowed; results
 * owned. A story row with "html" gives a full story (body_html).
 * Comments come back nested: top-level ones with their approved replies.
 */
json_t *gz_site_story(json_t *row);
json_t *gz_site_stories(json_t *rows);
json_t *gz_site_tag(json_t *row);
json_t *gz_site_author(json_t *row);
json_t *gz_site_comments(json_t *rows);
/* A published story for its page: the full story with its approved
 * comments (at most GZ_SITE_COMMENTS_MAX). NULL with *err GZ_ENOTFOUND
 * or GZ_EDB. */
#define GZ_SITE_COMMENTS_MAX 100000
json_t *gz_site_article(struct gz_db *db, const char *slug, int *err);
/* A reply without JavaScript (issue 10): when parent_id (text) names a
 * top-level comment of article, sets form.values.parent_id to it and
 * form.replying = {id, name} (the form then says "Replying to NAME"); 1
 * then, else 0 and form unchanged. Both borrowed. */
int gz_site_comment_replying(json_t *article, json_t *form,
                             const char *parent_id);

/* Prometheus text for /metrics, written by the server's counters. */
int gz_metrics_render(struct gz_buf *out);

#endif
