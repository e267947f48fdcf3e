/*
 * admin.h - the editor side (SPEC section 3): first-run setup, login and
 * logout, stories, media, users, settings, comment moderation and
 * subscribers. Handlers follow the contract of http.h; the router has
 * already checked the session, the role of the route and the CSRF token
 * before any of them runs.
 */
#ifndef GAZETTE_ADMIN_H
#define GAZETTE_ADMIN_H

#include "gazette/http.h"

/* auth.c */
int gz_page_admin_setup_form(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_setup(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_login_form(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_login(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_logout(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_home(struct gz_req *req, struct gz_resp *resp);

/* stories.c */
int gz_page_admin_stories(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_new(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_create(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_edit(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_update(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_delete_confirm(struct gz_req *req,
                                       struct gz_resp *resp);
int gz_page_admin_story_delete(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_preview(struct gz_req *req, struct gz_resp *resp);

/* media.c */
int gz_page_admin_media_upload(struct gz_req *req, struct gz_resp *resp);
int gz_page_site_media(struct gz_req *req, struct gz_resp *resp);

/* users.c and settings.c */
int gz_page_admin_users(struct gz_req *req, struct gz_resp *resp);
/* Each user's own account (src/admin/profile.c, reset.c). */
int gz_page_admin_profile(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_profile_save(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_profile_password(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_reset_form(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_reset(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_reset_confirm_form(struct gz_req *req,
                                     struct gz_resp *resp);
int gz_page_admin_reset_confirm(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_user_create(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_user_update(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_settings(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_settings_save(struct gz_req *req, struct gz_resp *resp);

/* history.c (issue 10: revisions and the trash) */
int gz_page_admin_story_history(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_story_revision_restore(struct gz_req *req,
                                         struct gz_resp *resp);
int gz_page_admin_trash(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_trash_restore(struct gz_req *req, struct gz_resp *resp);

/* moderation.c */
int gz_page_admin_comments(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_comments_bulk(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_subscribers(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_subscribers_csv(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_subscriber_delete(struct gz_req *req, struct gz_resp *resp);

/*
 * Renders an admin page: adds site, assets, page, the signed-in user
 * ("me": {name, email, role, is_admin, is_editor}) and "csrf" (the token
 * every form must carry as a hidden field named csrf) to model, then
 * renders template `name`. Returns 0 or 500. model is borrowed.
 */
int gz_admin_render(struct gz_req *req, struct gz_resp *resp,
                    const char *name, const char *title, json_t *model);

/* API tokens in the settings screen: make one (shown once) and revoke. */
int gz_page_admin_token_create(struct gz_req *req, struct gz_resp *resp);
int gz_page_admin_token_revoke(struct gz_req *req, struct gz_resp *resp);

/*
 * Keeps the request's uploaded image for good (the newsroom's uploads and
 * POST /api/v1/media): moves the temporary file to
 * data_dir/media/<sha256>.<ext> (or drops it when that content is stored
 * already), reads the size of JPEG and WebP files (the server reads PNG
 * and GIF), and records the media row. url gets "/media/<sha256>.<ext>"
 * (at least 80 bytes). Returns 0, or an HTTP status (500) after logging.
 */
int gz_newsroom_keep_upload(struct gz_req *req, struct gz_upload *u, char *url,
                            size_t urllen, int *width, int *height);

#endif
