/*
 * accounts.h - each user's own account (issue 10, item 6): the profile
 * (name, bio, avatar), changing one's password, password reset by a mailed
 * single-use link, and the operator's `gazette user list` / `user passwd`.
 * The store half is src/store/accounts.c; the pages are
 * src/admin/profile.c and src/admin/reset.c.
 *
 * Passwords follow the set-up rules (10 to 1024 bytes) and are kept as
 * Argon2id hashes; reset tokens as their SHA-256, like sessions.
 * Thread safety: every function uses only the connection it is given.
 */
#ifndef GAZETTE_ACCOUNTS_H
#define GAZETTE_ACCOUNTS_H

#include <jansson.h>
#include <stddef.h>

#include "gazette/db.h"

#define GZ_BIO_MAX 2000      /* characters, as an import allows */
#define GZ_RESET_TTL 3600    /* seconds a reset link works (mail.reset_ttl) */

/* The profile of user_id: owned {id, email, name, slug, bio, avatar_url},
 * or NULL (*err: GZ_ENOTFOUND or GZ_EDB). */
json_t *gz_store_profile_load(struct gz_db *db, long long user_id, int *err);

/*
 * Saves name and bio; avatar_url NULL keeps the avatar, "" removes it,
 * else sets it (a media path the caller stored). Invalid fields are
 * reported in errors (borrowed object: {field: message}) and nothing is
 * written: GZ_EINVAL. 0, GZ_ENOTFOUND or GZ_EDB otherwise.
 */
int gz_store_profile_save(struct gz_db *db, long long user_id,
                          const char *name, const char *bio,
                          const char *avatar_url, json_t *errors);

/*
 * Checks a new password as set-up does (and that password2 repeats it).
 * Returns NULL when fine, else a message for the field *field
 * ("password" or "password2").
 */
const char *gz_store_password_problem(const char *password,
                                      const char *password2,
                                      const char **field);

/*
 * Sets user_id's password and ends their sessions, all but the one whose
 * cookie is keep_token (NULL: all). The caller checked the password with
 * gz_store_password_problem. 0, GZ_ENOTFOUND, GZ_ENOMEM or GZ_EDB.
 */
int gz_store_password_set(struct gz_db *db, long long user_id,
                          const char *password, const char *keep_token);

/* 1 when password is user_id's current password, 0 when not, <0 on
 * error. Takes the time of one Argon2id check. */
int gz_store_password_check(struct gz_db *db, long long user_id,
                            const char *password);

/*
 * A reset link for email (compared without case): when an enabled user
 * who can sign in has that address, stores SHA-256 of token (64 hex, made
 * by the caller) valid for ttl seconds and sets *user_id, name (128
 * bytes) and stored (256 bytes: the address as the account spells it,
 * where the mail goes). Otherwise *user_id = 0, name and stored are ""
 * and nothing is stored. 0 or GZ_EDB.
 */
int gz_store_reset_create(struct gz_db *db, const char *email,
                          const char *token, int ttl, long long *user_id,
                          char name[static 128], char stored[static 256]);

/* The user a reset token is for while it is unused and unexpired, else 0
 * (<0 on error). */
long long gz_store_reset_user(struct gz_db *db, const char *token);

/*
 * Uses a reset token: in the caller's transaction, checks it as
 * gz_store_reset_user does, sets the password, marks every open link of
 * that user used and ends all their sessions. 0 with *user_id set,
 * GZ_ENOTFOUND (unknown, used or expired), or GZ_EDB / GZ_ENOMEM.
 */
int gz_store_reset_use(struct gz_db *db, const char *token,
                       const char *password, long long *user_id);

/* Records a sign-in of user_id (users.last_login_at). */
void gz_store_user_signed_in(struct gz_db *db, long long user_id);

/* Every account for `gazette user list`: owned array of {id, email, name,
 * role, disabled, can_sign_in, last_login_at (integer or null)}, oldest
 * first; NULL on error. */
json_t *gz_store_accounts_list(struct gz_db *db);

/* The id of the user with that email (any state), 0 when none, <0 on
 * error. */
long long gz_store_user_by_email(struct gz_db *db, const char *email);

struct gz_app;
struct gz_mail_msg;
/*
 * The password reset mail (src/mail/mail.c): a link to
 * {base}/admin/reset/confirm?token=..., valid ttl seconds. name may be "".
 * Fills msg (owned parts; gz_mail_msg_clear frees them). 0, GZ_ENOMEM, or
 * GZ_EIO when the HTML template (mail_reset) fails.
 */
int gz_mail_compose_reset(const struct gz_app *app, const char *site_title,
                          const char *base, const char *token,
                          const char *name, int ttl, struct gz_mail_msg *msg);

#endif
