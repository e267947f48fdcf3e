/*
 * engage.h - readers taking part (SPEC sections 4 and 5): comments and
 * their moderation, subscribers with double opt-in, and the mail outbox
 * with the messages Gazette sends.
 *
 * The store half (src/store/comments.c, subscribers.c, outbox.c) is the
 * only code that touches those tables. Every write that causes mail puts
 * the mail into the outbox in the same transaction, so a crash can lose
 * neither the change nor its mail. The mail half (src/mail/mail.c)
 * composes messages and delivers the outbox; see also mail.h.
 *
 * Threads: store calls use the connection they are given, which belongs
 * to the calling thread. The compose and build functions are pure apart
 * from reading the read-only app (templates, config).
 */
#ifndef GAZETTE_ENGAGE_H
#define GAZETTE_ENGAGE_H

#include <jansson.h>

#include "gazette/db.h"
#include "gazette/http.h"
#include "gazette/util.h"

/* Limits of the forms (SPEC sections 4 and 5). */
#define GZ_EMAIL_MAX 254
#define GZ_COMMENT_NAME_MAX 80
#define GZ_COMMENT_BODY_MAX 5000
#define GZ_SUBSCRIBER_NAME_MAX 80
/* A confirmation link works this long after its mail was queued. */
#define GZ_CONFIRM_TTL (7 * 24 * 3600)
/* At most one confirmation mail per address in this many seconds. */
#define GZ_CONFIRM_RESEND (24 * 3600)

/*
 * Checks an email address as a reader typed it: 1-254 bytes, printable
 * ASCII, no spaces or line breaks, one '@' with a non-empty local part
 * (at most 64 bytes) and a domain of dot-separated labels of letters,
 * digits and '-' with at least one dot. Returns NULL when the address is
 * acceptable, else a sentence for the reader naming the problem (a
 * string literal). Pure and thread-safe.
 */
const char *gz_email_problem(const char *email);

/* ---- comments (src/store/comments.c) ---------------------------------- */

/*
 * The published story `slug` that comments go to: *article_id and *open
 * (articles.comments_open). Returns 0, GZ_ENOTFOUND (unknown, draft or
 * scheduled story) or GZ_EDB.
 */
int gz_store_comment_target(struct gz_db *db, const char *slug,
                            long long *article_id, int *open);

struct gz_comment_new {
    long long article_id;
    long long parent_id; /* 0: a top-level comment */
    const char *name;    /* checked by the caller: 1-80 characters */
    const char *email;   /* NULL or checked with gz_email_problem */
    const char *body;    /* checked by the caller: 1-5000 characters */
    const char *client;  /* the poster's address, for moderators */
    const char *policy;  /* "approve", "first" or "hold" (settings) */
};

/*
 * Stores a comment in one transaction. The parent, when given, must be an
 * approved top-level comment of the same story (one level of replies):
 * otherwise GZ_EINVAL and nothing is stored. The moderation policy
 * decides the status: "approve" approves, "hold" holds, anything else
 * ("first") approves only when an approved comment with the same email
 * (or, without an email, the same name and no email) exists already.
 * Returns 0 with *id and *approved (1 approved, 0 held), GZ_EINVAL, or
 * GZ_EDB.
 */
int gz_store_comment_create(struct gz_db *db, const struct gz_comment_new *c,
                            long long *id, int *approved);

/*
 * The moderation queue: comments with `status` ("pending", "approved" or
 * "spam"), newest first, page `page` of `limit`, as an owned array of
 * rows {id, article_id, article_slug, article_title, parent_id,
 * parent_name, name, email, body, status, client, created_at} (the
 * newsroom builds gz_res_comment from them).
 * *total gets the number with that status. NULL on a database error.
 */
json_t *gz_store_comments_admin(struct gz_db *db, const char *status,
                                long long page, int limit, long long *total);

/* Number of comments by status: owned {pending, approved, spam}. */
json_t *gz_store_comment_counts(struct gz_db *db);

/*
 * Applies `action` ("approve", "spam", "pending" or "delete") to the
 * comments ids[0..n) in one transaction. Unknown ids are skipped.
 * Returns the number of comments changed (>= 0), GZ_EINVAL for an
 * unknown action, or GZ_EDB.
 */
int gz_store_comments_moderate(struct gz_db *db, const long long *ids, size_t n,
                               const char *action);

/* ---- mail messages ------------------------------------------------------ */

/* The parts of a message as the outbox keeps them. All strings owned
 * (malloc'd); gz_mail_msg_clear frees them. */
struct gz_mail_msg {
    char *subject; /* UTF-8, one line */
    char *text;    /* text/plain part, LF line ends */
    char *html;    /* text/html part */
    char *headers; /* extra header lines, CRLF-joined, or NULL */
};
void gz_mail_msg_clear(struct gz_mail_msg *m);

/* ---- subscribers (src/store/subscribers.c) ----------------------------- */

enum gz_sub_outcome {
    GZ_SUB_CREATED = 1, /* a new address */
    GZ_SUB_RESENT,      /* pending or unsubscribed: mail queued again */
    GZ_SUB_THROTTLED,   /* pending, a mail went out less than a day ago */
    GZ_SUB_ALREADY,     /* already active: nothing to do */
    GZ_SUB_REACTIVATED, /* unsubscribed, opt-in off: active again */
};

/*
 * Signs `email` up, in one transaction. With double_opt_in the address
 * becomes (or stays) "pending" and, unless a confirmation mail went to it
 * within GZ_CONFIRM_RESEND seconds, `confirm_hash` (SHA-256 hex of a new
 * random token) is stored and `mail` (the confirmation message carrying
 * that token) is queued for it. Without double opt-in the address is
 * "active" at once and no mail is queued. An active address is left as
 * it is. name may be "" (kept when the row exists). Returns 0 with
 * *outcome and *queued (1 when a mail was queued), or GZ_EDB.
 */
int gz_store_subscribe(struct gz_db *db, const char *email, const char *name,
                       int double_opt_in, const char *confirm_hash,
                       const struct gz_mail_msg *mail,
                       enum gz_sub_outcome *outcome, int *queued);

/*
 * Looks up the subscriber of a confirmation token (the token as mailed;
 * only its hash is compared) that has not expired. Fills status
 * ("pending", "active", "unsubscribed") and email. 0, GZ_ENOTFOUND or
 * GZ_EDB. Read-only.
 */
int gz_store_subscriber_by_confirm(struct gz_db *db, const char *token,
                                   char status[static 16],
                                   char email[static 256]);
/* Confirms: a pending subscriber of that unexpired token becomes active.
 * 0 (also when already active), GZ_ENOTFOUND or GZ_EDB. */
int gz_store_subscriber_confirm(struct gz_db *db, const char *token);

/*
 * Looks up the subscriber an unsubscribe token (from a new-story mail)
 * belongs to. Fills status and email. 0, GZ_ENOTFOUND or GZ_EDB.
 */
int gz_store_subscriber_by_unsub(struct gz_db *db, const char *token,
                                 char status[static 16],
                                 char email[static 256]);
/* Unsubscribes the owner of the token and drops the mail still queued
 * for them, in one transaction. 0 (also when already unsubscribed),
 * GZ_ENOTFOUND or GZ_EDB. */
int gz_store_subscriber_unsubscribe(struct gz_db *db, const char *token);

/*
 * Subscribers for the admin: status NULL or "" for all, q a substring of
 * the email or name (NULL or "" for all), newest first. Owned array of
 * {id, email, name, status, created_at, created_human, confirmed_at};
 * *total gets the number matching. NULL on a database error.
 */
json_t *gz_store_subscribers_list(struct gz_db *db, const char *status,
                                  const char *q, long long page, int limit,
                                  long long *total);
/* Number of subscribers by status: owned {pending, active, unsubscribed,
 * total}. */
json_t *gz_store_subscriber_counts(struct gz_db *db);

/*
 * Calls fn once per subscriber matching status and q (as above), oldest
 * first, with the columns as borrowed text (valid during the call only):
 * email, name, status, created_at, confirmed_at (RFC 3339, "" if none).
 * Returns 0 or GZ_EDB.
 */
int gz_store_subscribers_each(struct gz_db *db, const char *status,
                              const char *q,
                              void (*fn)(void *ctx, const char *const *cols),
                              void *ctx);

/* Removes a subscriber and the mail still queued for them. 0,
 * GZ_ENOTFOUND or GZ_EDB. */
int gz_store_subscriber_delete(struct gz_db *db, long long id);

/* ---- the outbox (src/store/outbox.c) ----------------------------------- */

/* A claimed outbox row. Strings owned; gz_outbox_item_clear frees them. */
struct gz_outbox_item {
    long long id;
    long long created_at;
    int attempts; /* including the one just claimed */
    char *kind, *recipient, *subject, *body_text, *body_html, *headers;
};
void gz_outbox_item_clear(struct gz_outbox_item *it);

/*
 * Queues one message inside the caller's transaction (used by the other
 * store files). article_id, subscriber_id: 0 for none; token_hash may be
 * NULL. 0 or GZ_EDB.
 */
int gz_store_outbox_add(struct gz_db *db, const char *kind,
                        const char *recipient, const struct gz_mail_msg *m,
                        long long article_id, long long subscriber_id,
                        const char *token_hash);

/*
 * After a restart: rows a dead process left "sending" become due now, so
 * they are sent again (at most the one message that was in flight is
 * delivered twice). Returns the number of rows (>= 0) or GZ_EDB.
 */
int gz_store_outbox_recover(struct gz_db *db);

/*
 * Claims the oldest due row (status queued, or sending with an expired
 * lease, next_try_at <= now): marks it "sending", counts the attempt and
 * sets its lease to now + lease seconds, in one statement. Returns 0 with
 * *it filled, GZ_ENOTFOUND when nothing is due, or GZ_EDB.
 */
int gz_store_outbox_claim(struct gz_db *db, long long now, int lease,
                          struct gz_outbox_item *it);

/* Marks a row sent (via "smtp" or "log") and clears its bodies, which
 * held single-use tokens. 0 or GZ_EDB. */
int gz_store_outbox_sent(struct gz_db *db, long long id, const char *via);

/* Records a failed attempt: back to "queued" until next_try_at, or
 * "failed" for good when `failed`; error is kept in last_error. */
int gz_store_outbox_retry(struct gz_db *db, long long id, long long next_try_at,
                          const char *error, int failed);

/*
 * The new-story fan-out. Finds one published story not yet announced
 * (articles.notified = 0) and, in ONE transaction, queues one message per
 * active subscriber and sets notified = 1, so a crash can neither lose
 * nor repeat the fan-out. For each subscriber a fresh unsubscribe token
 * is made; compose(ctx, article, email, name, token, &msg) writes the
 * message (article: borrowed {id, slug, title, excerpt, url}; return 0,
 * or non-zero to abandon the whole fan-out). Returns the number of
 * messages queued (>= 0) with *article_id set (0 when no story was
 * waiting), or GZ_EDB / GZ_ENOMEM (nothing written).
 */
int gz_store_outbox_fanout(struct gz_db *db,
                           int (*compose)(void *ctx, json_t *article,
                                          const char *email, const char *name,
                                          const char *token,
                                          struct gz_mail_msg *msg),
                           void *ctx, long long *article_id);

/*
 * Progress of the newest `limit` mass notifications, newest first: owned
 * array of {article_id, title, url, total, sent, queued (queued or
 * sending), failed, last_error, first_at, last_sent_at}. NULL on error.
 */
json_t *gz_store_outbox_progress(struct gz_db *db, int limit);

/* Outbox rows by status: owned {queued, sending, sent, failed}. */
json_t *gz_store_outbox_counts(struct gz_db *db);

/* ---- composing and building mail (src/mail/mail.c) --------------------- */

/*
 * The double opt-in mail: a link to {base}/subscribe/confirm?token=...
 * site_title and base come from the settings. name may be "". Fills msg
 * (owned parts). 0, GZ_ENOMEM, or GZ_EIO when the HTML template fails.
 */
int gz_mail_compose_confirm(const struct gz_app *app, const char *site_title,
                            const char *base, const char *token,
                            const char *name, struct gz_mail_msg *msg);

/*
 * The new-story mail: title, excerpt, link, unsubscribe link, and the
 * List-Unsubscribe / List-Unsubscribe-Post headers (RFC 8058). article
 * is {title, excerpt, url} (borrowed). Same returns as above.
 */
int gz_mail_compose_notify(const struct gz_app *app, const char *site_title,
                           const char *base, json_t *article, const char *token,
                           const char *name, struct gz_mail_msg *msg);

/*
 * Builds the RFC 5322 message of an outbox row into out: Date (from
 * created_at), From (cfg mail_from, with site_title as display name when
 * it has none), To, Subject (RFC 2047 when not ASCII), a Message-ID that
 * stays the same across retries, MIME-Version, the row's extra headers
 * and a multipart/alternative body with text/plain and text/html parts in
 * UTF-8 quoted-printable. CRLF line ends throughout. 0 or GZ_ENOMEM.
 */
int gz_mail_build(const struct gz_config *cfg, const char *site_title,
                  const struct gz_outbox_item *it, struct gz_buf *out);

#endif
