/*
 * mail.c - Gazette's mail: composing the messages (double opt-in
 * confirmation, new-story notification), building them as RFC 5322 /
 * MIME text, and the sender thread that delivers the outbox over SMTP
 * with libcurl.
 *
 * The sender thread owns its database connection and its curl handle.
 * Each round it (1) fans out published stories not yet announced into
 * the outbox (one transaction per story, see gz_store_outbox_fanout),
 * then (2) claims due rows one at a time, delivers each and marks it
 * sent, or schedules a retry with a doubling wait, or marks it failed
 * after mail.max_tries attempts (at once for a permanent 5xx refusal).
 * It sleeps POLL_SECONDS between rounds unless gz_mail_wake() calls.
 * Without mail.smtp_url a message is logged (one line: to, subject) and
 * marked sent with via = 'log'.
 *
 * Text parts are built here (they are not HTML); HTML parts come from
 * the templates mail_confirm and mail_notify, so no HTML is printed in C.
 *
 * Threads: composing and building are pure and may run on any thread;
 * the sender state is guarded by `lock`.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/accounts.h"
#include "gazette/engage.h"
#include "gazette/html.h"
#include "gazette/mail.h"
#include "gazette/store.h"

#define POLL_SECONDS 2
#define LEASE_SECONDS 300 /* a claimed row is left alone this long */
#define RETRY_BASE 60     /* first retry after a minute, then doubling */
#define RETRY_MAX (6 * 3600)
#define CONNECT_TIMEOUT 10
#define SEND_TIMEOUT 60
#define STOP_GRACE 2 /* seconds a transfer may go on after stop */
#define QP_LINE 76

/* ---- small text helpers ------------------------------------------------ */

static int is_ascii_text(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p > 0x7e)
            return 0;
    return 1;
}

/* Copy of s on one line: CR, LF and tabs become spaces (header values). */
static char *one_line(const char *s)
{
    char *c = strdup(s ? s : "");
    if (c)
        for (char *p = c; *p; p++)
            if (*p == '\r' || *p == '\n' || *p == '\t')
                *p = ' ';
    return c;
}

/* RFC 2047 encoded words ("=?UTF-8?B?...?=") for a header value, each at
 * most 75 characters, split between UTF-8 characters, joined by folding
 * whitespace (CRLF SP) so no line runs long. */
static int encode_words(struct gz_buf *out, const char *s)
{
    size_t n = strlen(s), i = 0;
    int first = 1;
    while (i < n) {
        /* 45 bytes of input make 60 of base64: 12 + 60 = 72 <= 75. */
        size_t take = n - i < 45 ? n - i : 45;
        while (take > 0 && i + take < n &&
               ((unsigned char)s[i + take] & 0xc0) == 0x80)
            take--; /* do not split a character */
        if (take == 0)
            take = n - i < 45 ? n - i : 45;
        char b64[sodium_base64_ENCODED_LEN(45, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, (const unsigned char *)s + i, take,
                          sodium_base64_VARIANT_ORIGINAL);
        if (!first && gz_buf_puts(out, "\r\n ") != 0)
            return GZ_ENOMEM;
        if (gz_buf_printf(out, "=?UTF-8?B?%s?=", b64) != 0)
            return GZ_ENOMEM;
        first = 0;
        i += take;
    }
    return 0;
}

/* Printable ASCII folded at spaces (RFC 5322 2.2.3) so lines stay within
 * 78 characters where the words allow; `used` is what the line already
 * holds ("Subject: "). Unfolding gives back the text exactly. */
static int fold_ascii(struct gz_buf *out, const char *v, size_t used)
{
    size_t col = used;
    int rc = 0;
    while (*v && !rc) {
        size_t sp = strspn(v, " ");
        size_t word = strcspn(v + sp, " ");
        if (col > used && sp > 0 && col + sp + word > 78) {
            rc = gz_buf_puts(out, "\r\n");
            col = 0;
        }
        rc = rc ? rc : gz_buf_append(out, v, sp + word);
        col += sp + word;
        v += sp + word;
    }
    return rc;
}

/* An unstructured header value (Subject): folded printable ASCII, else
 * encoded words. */
static int header_text(struct gz_buf *out, const char *value, size_t used)
{
    char *v = one_line(value);
    if (!v)
        return GZ_ENOMEM;
    int rc = is_ascii_text(v) && strlen(v) < 900 ? fold_ascii(out, v, used)
                                                 : encode_words(out, v);
    free(v);
    return rc;
}

/* A display name (a phrase in RFC 5322 terms): plain when it is letters,
 * digits and spaces, a quoted string when it is other ASCII, encoded
 * words when it is not ASCII. */
static int header_phrase(struct gz_buf *out, const char *value)
{
    char *v = one_line(value);
    if (!v)
        return GZ_ENOMEM;
    int rc;
    if (!is_ascii_text(v) || strlen(v) > 200) {
        rc = encode_words(out, v);
    } else if (strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                         "0123456789 !#$%&'*+-/=?^_`{|}~") == strlen(v)) {
        rc = gz_buf_puts(out, v);
    } else {
        rc = gz_buf_putc(out, '"');
        for (const char *p = v; *p && rc == 0; p++) {
            if (*p == '"' || *p == '\\')
                rc = gz_buf_putc(out, '\\');
            rc = rc ? rc : gz_buf_putc(out, *p);
        }
        rc = rc ? rc : gz_buf_putc(out, '"');
    }
    free(v);
    return rc;
}

/* Appends text as quoted-printable (RFC 2045 6.7): LF or CRLF line ends
 * become CRLF, lines stay within 76 characters with soft breaks, '=',
 * bytes outside printable ASCII, and spaces before a line end are
 * encoded; so are a '.' or "From " starting a line, which some mail
 * software mangles. */
static int quoted_printable(struct gz_buf *out, const char *text)
{
    static const char hex[] = "0123456789ABCDEF";
    int col = 0, rc = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && !rc; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\n') {
            rc = gz_buf_puts(out, "\r\n");
            col = 0;
            continue;
        }
        int at_end =
            p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
        int enc = *p == '=' || *p > 0x7e || (*p < 0x20 && *p != '\t') ||
                  ((*p == ' ' || *p == '\t') && at_end) ||
                  (col == 0 && *p == '.') ||
                  (col == 0 && strncmp((const char *)p, "From ", 5) == 0);
        int width = enc ? 3 : 1;
        /* Keep room for the soft break's '=' unless this ends the line. */
        if (col + width > (at_end ? QP_LINE : QP_LINE - 1)) {
            rc = gz_buf_puts(out, "=\r\n");
            col = 0;
            if (rc)
                break;
            if (*p == '.' || strncmp((const char *)p, "From ", 5) == 0)
                enc = 1, width = 3;
        }
        if (enc) {
            char e[3] = {'=', hex[*p >> 4], hex[*p & 15]};
            rc = gz_buf_append(out, e, 3);
        } else {
            rc = gz_buf_putc(out, (char)*p);
        }
        col += width;
    }
    return rc;
}

/* Splits a From setting: "Name <a@b>" -> addr "a@b", display "Name";
 * "a@b" -> addr "a@b", display "". */
static void from_address(const char *from, char *addr, size_t len,
                         char *display, size_t dlen)
{
    const char *lt = strchr(from, '<');
    const char *gt = lt ? strchr(lt, '>') : NULL;
    display[0] = '\0';
    if (!lt || !gt) {
        snprintf(addr, len, "%s", from);
        return;
    }
    snprintf(addr, len, "%.*s", (int)(gt - lt - 1), lt + 1);
    const char *ds = from, *de = lt;
    while (ds < de && (*ds == ' ' || *ds == '"'))
        ds++;
    while (de > ds && (de[-1] == ' ' || de[-1] == '"'))
        de--;
    snprintf(display, dlen, "%.*s", (int)(de - ds), ds);
}

/* ---- building a message ------------------------------------------------- */

int gz_mail_build(const struct gz_config *cfg, const char *site_title,
                  const struct gz_outbox_item *it, struct gz_buf *out)
{
    char addr[256], display[256], date[40], boundary[40], hash_hex[17];
    unsigned char rnd[12], h[8];
    int rc = 0;
    from_address(cfg->mail_from, addr, sizeof addr, display, sizeof display);
    const char *domain = strchr(addr, '@');
    domain = domain && domain[1] ? domain + 1 : "localhost";
    gz_time_http(it->created_at, date);
    char *gmt = strstr(date, " GMT");
    if (gmt)
        snprintf(gmt, 7, " +0000");
    if (gz_random(rnd, sizeof rnd) != 0)
        return GZ_EIO;
    char rhex[25];
    gz_hex(rnd, sizeof rnd, rhex);
    snprintf(boundary, sizeof boundary, "=_gz_%s", rhex);
    /* The Message-ID is the same on every attempt, so a message sent twice
     * (a crash in flight) can be recognised by the receiving side. */
    crypto_generichash(h, sizeof h, (const unsigned char *)it->recipient,
                       strlen(it->recipient), NULL, 0);
    gz_hex(h, sizeof h, hash_hex);

    rc |= gz_buf_printf(out, "Date: %s\r\nFrom: ", date);
    rc |= header_phrase(out, display[0]                  ? display
                             : site_title && *site_title ? site_title
                                                         : "Gazette");
    rc |=
        gz_buf_printf(out, " <%s>\r\nTo: %s\r\nSubject: ", addr, it->recipient);
    rc |= header_text(out, it->subject, 9);
    rc |= gz_buf_printf(out,
                        "\r\nMessage-ID: <gz.%lld.%lld.%s@%s>\r\n"
                        "MIME-Version: 1.0\r\n",
                        it->id, it->created_at, hash_hex, domain);
    if (it->headers && it->headers[0]) {
        rc |= gz_buf_puts(out, it->headers);
        rc |= gz_buf_puts(out, "\r\n");
    }
    rc |= gz_buf_printf(out,
                        "Content-Type: multipart/alternative;"
                        " boundary=\"%s\"\r\n\r\n"
                        "This is a MIME message: text and HTML.\r\n"
                        "\r\n--%s\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                        boundary, boundary);
    rc |= quoted_printable(out, it->body_text);
    rc |= gz_buf_printf(out,
                        "\r\n--%s\r\n"
                        "Content-Type: text/html; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: quoted-printable\r\n\r\n",
                        boundary);
    rc |= quoted_printable(out, it->body_html);
    rc |= gz_buf_printf(out, "\r\n--%s--\r\n", boundary);
    return rc ? GZ_ENOMEM : 0;
}

/* ---- composing ---------------------------------------------------------- */

static char *link_to(const char *base, const char *path, const char *token)
{
    struct gz_buf b;
    gz_buf_init(&b);
    gz_buf_puts(&b, base);
    gz_buf_puts(&b, path);
    if (token) {
        gz_buf_puts(&b, "?token=");
        gz_url_encode(&b, token, strlen(token));
    }
    return gz_buf_steal(&b, NULL);
}

static char *render_html(const struct gz_app *app, const char *tpl,
                         json_t *model)
{
    struct gz_buf b;
    gz_buf_init(&b);
    if (gz_tpl_render(app->tpl, tpl, model, &b) != 0) {
        gz_buf_free(&b);
        return NULL;
    }
    return gz_buf_steal(&b, NULL);
}

int gz_mail_compose_confirm(const struct gz_app *app, const char *site_title,
                            const char *base, const char *token,
                            const char *name, struct gz_mail_msg *msg)
{
    struct gz_buf t;
    int rc = GZ_ENOMEM;
    char *url = link_to(base, "/subscribe/confirm", token);
    json_t *model = NULL;
    memset(msg, 0, sizeof *msg);
    gz_buf_init(&t);
    if (!url)
        goto out;
    if (gz_buf_printf(&t, "Confirm your subscription to %s", site_title) ||
        !(msg->subject = gz_buf_steal(&t, NULL)))
        goto out;
    gz_buf_printf(&t, "Hello%s%s,\n\n", name && *name ? " " : "",
                  name && *name ? name : "");
    gz_buf_printf(&t,
                  "Please confirm that you want an email from %s when a new "
                  "story is published. Open this link and press the "
                  "button on the page:\n\n%s\n\n"
                  "Nothing happens until you press it. If you did not ask "
                  "for this, ignore this message: you will not hear from "
                  "us again.\n\n-- \n%s\n%s/\n",
                  site_title, url, site_title, base);
    if (!(msg->text = gz_buf_steal(&t, NULL)))
        goto out;
    model =
        json_pack("{s:{s:s, s:s}, s:s, s:s}", "site", "title", site_title,
                  "url", base, "name", name ? name : "", "confirm_url", url);
    if (!model)
        goto out;
    rc = GZ_EIO;
    if (!(msg->html = render_html(app, "mail_confirm", model)))
        goto out;
    rc = 0;
out:
    if (rc)
        gz_mail_msg_clear(msg);
    gz_buf_free(&t);
    json_decref(model);
    free(url);
    return rc;
}

int gz_mail_compose_notify(const struct gz_app *app, const char *site_title,
                           const char *base, json_t *article, const char *token,
                           const char *name, struct gz_mail_msg *msg)
{
    struct gz_buf t;
    int rc = GZ_ENOMEM;
    const char *title = json_string_value(json_object_get(article, "title"));
    const char *excerpt =
        json_string_value(json_object_get(article, "excerpt"));
    const char *path = json_string_value(json_object_get(article, "url"));
    char *story = link_to(base, path ? path : "/", NULL);
    char *unsub = link_to(base, "/unsubscribe", token);
    json_t *model = NULL;
    memset(msg, 0, sizeof *msg);
    gz_buf_init(&t);
    if (!story || !unsub || !title)
        goto out;
    if (!(msg->subject = one_line(title)))
        goto out;
    gz_buf_printf(&t, "New on %s:\n\n%s\n\n", site_title, title);
    if (excerpt && *excerpt)
        gz_buf_printf(&t, "%s\n\n", excerpt);
    gz_buf_printf(&t,
                  "Read the story: %s\n\n-- \n"
                  "You get this email because you subscribed to new "
                  "stories from %s.\nUnsubscribe: %s\n",
                  story, site_title, unsub);
    if (!(msg->text = gz_buf_steal(&t, NULL)))
        goto out;
    /* RFC 2369 and RFC 8058: mail clients offer a one-click unsubscribe
     * that POSTs "List-Unsubscribe=One-Click" to this URL. */
    gz_buf_printf(&t,
                  "List-Unsubscribe: <%s>\r\n"
                  "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
                  unsub);
    if (!(msg->headers = gz_buf_steal(&t, NULL)))
        goto out;
    model =
        json_pack("{s:{s:s, s:s}, s:s, s:{s:s, s:s, s:s}, s:s}", "site",
                  "title", site_title, "url", base, "name", name ? name : "",
                  "article", "title", title, "excerpt", excerpt ? excerpt : "",
                  "url", story, "unsubscribe_url", unsub);
    if (!model)
        goto out;
    rc = GZ_EIO;
    if (!(msg->html = render_html(app, "mail_notify", model)))
        goto out;
    rc = 0;
out:
    if (rc)
        gz_mail_msg_clear(msg);
    gz_buf_free(&t);
    json_decref(model);
    free(story);
    free(unsub);
    return rc;
}

/* ---- the sender thread -------------------------------------------------- */

struct sender_state {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_t thread;
    int running;
    int stop;
    long long stop_at;
    int wake;
    struct gz_app *app;
};
static struct sender_state S = {.lock = PTHREAD_MUTEX_INITIALIZER,
                                .cond = PTHREAD_COND_INITIALIZER};

static int stopping(void)
{
    pthread_mutex_lock(&S.lock);
    int s = S.stop;
    pthread_mutex_unlock(&S.lock);
    return s;
}

/* What the fan-out's compose callback needs. */
struct fanout_ctx {
    const struct gz_app *app;
    const char *site_title;
    const char *base;
};

static int compose_notify(void *ctx, json_t *article, const char *email,
                          const char *name, const char *token,
                          struct gz_mail_msg *msg)
{
    struct fanout_ctx *f = ctx;
    (void)email;
    return gz_mail_compose_notify(f->app, f->site_title, f->base, article,
                                  token, name, msg);
}

struct upload {
    const char *data;
    size_t len, off;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *ud)
{
    struct upload *u = ud;
    size_t room = size * nitems, left = u->len - u->off;
    size_t n = left < room ? left : room;
    memcpy(buf, u->data + u->off, n);
    u->off += n;
    return n;
}

/* Lets a transfer run on for STOP_GRACE seconds after a stop request,
 * then aborts it (the row is retried after the next start). */
static int progress_cb(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
    (void)ud, (void)dt, (void)dn, (void)ut, (void)un;
    pthread_mutex_lock(&S.lock);
    int abort_now = S.stop && gz_now() - S.stop_at >= STOP_GRACE;
    pthread_mutex_unlock(&S.lock);
    return abort_now;
}

/* Delivers one message over SMTP. 0 on success; otherwise fills err and
 * sets *permanent when the server refused for good (a 5xx answer other
 * than to authentication). */
static int smtp_send(CURL *c, const struct gz_config *cfg,
                     const struct gz_outbox_item *it, const char *message,
                     size_t len, char *err, size_t errlen, int *permanent)
{
    char addr[256], display[256], from[300], rcpt[300];
    char errbuf[CURL_ERROR_SIZE] = "";
    struct upload up = {message, len, 0};
    struct curl_slist *rcpts = NULL;
    *permanent = 0;
    from_address(cfg->mail_from, addr, sizeof addr, display, sizeof display);
    snprintf(from, sizeof from, "<%s>", addr);
    snprintf(rcpt, sizeof rcpt, "<%s>", it->recipient);
    rcpts = curl_slist_append(NULL, rcpt);
    if (!rcpts) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)SEND_TIMEOUT);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    if (cfg->smtp_starttls)
        curl_easy_setopt(c, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (cfg->smtp_user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->smtp_user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->smtp_password);
    }
    CURLcode res = curl_easy_perform(c);
    curl_slist_free_all(rcpts);
    if (res == CURLE_OK)
        return 0;
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *permanent = code >= 500 && code < 600 && res != CURLE_LOGIN_DENIED;
    snprintf(err, errlen, "%s%s%s (SMTP %ld)", curl_easy_strerror(res),
             errbuf[0] ? ": " : "", errbuf, code);
    return -1;
}

/* Delivers (or logs) one claimed row and records the outcome. */
static void deliver(struct gz_db *db, CURL *curl, const char *site_title,
                    struct gz_outbox_item *it)
{
    const struct gz_config *cfg = &S.app->cfg;
    char err[600] = "";
    int permanent = 0, ok;
    if (!cfg->smtp_url[0]) {
        gz_log_info(3005,
                    "mail (no SMTP server configured, logged only):"
                    " to %s, subject \"%s\"",
                    it->recipient, it->subject);
        if (gz_store_outbox_sent(db, it->id, "log") != 0)
            gz_log_err(3008, "outbox row %lld: cannot mark it sent", it->id);
        return;
    }
    struct gz_buf m;
    gz_buf_init(&m);
    if (!curl) {
        snprintf(err, sizeof err, "libcurl is not available");
        ok = -1;
    } else if (gz_mail_build(cfg, site_title, it, &m) != 0) {
        snprintf(err, sizeof err, "cannot build the message");
        ok = -1;
    } else {
        ok = smtp_send(curl, cfg, it, m.data, m.len, err, sizeof err,
                       &permanent);
    }
    gz_buf_free(&m);
    if (ok == 0) {
        if (gz_store_outbox_sent(db, it->id, "smtp") != 0)
            gz_log_err(3009,
                       "outbox row %lld: sent, but cannot mark it "
                       "sent (it may go twice)",
                       it->id);
        return;
    }
    int failed = permanent || it->attempts >= cfg->mail_max_tries;
    long long wait = RETRY_BASE;
    for (int i = 1; i < it->attempts && wait < RETRY_MAX; i++)
        wait *= 2;
    if (wait > RETRY_MAX)
        wait = RETRY_MAX;
    if (failed)
        gz_log_err(3006,
                   "mail to %s (outbox %lld) failed for good after %d "
                   "attempt(s): %s",
                   it->recipient, it->id, it->attempts, err);
    else
        gz_log_err(3007,
                   "mail to %s (outbox %lld) failed, attempt %d of %d,"
                   " retry in %llds: %s",
                   it->recipient, it->id, it->attempts, cfg->mail_max_tries,
                   wait, err);
    if (gz_store_outbox_retry(db, it->id, gz_now() + wait, err, failed) != 0)
        gz_log_err(3010, "outbox row %lld: cannot record the failure", it->id);
}

/* Settings the sender needs: the site title and the base URL for links,
 * copied out of a fresh settings object. */
static void site_settings(struct gz_db *db, char *title, size_t tlen,
                          char *base, size_t blen)
{
    json_t *s = gz_store_settings_load(db);
    const char *t = json_string_value(json_object_get(s, "title"));
    snprintf(title, tlen, "%s", t && *t ? t : "Gazette");
    snprintf(base, blen, "%s", gz_store_base_url(s, S.app->base_url));
    json_decref(s);
}

static void *sender(void *arg)
{
    struct gz_app *app = arg;
    struct gz_db *db =
        gz_db_open(app->cfg.db_path, GZ_DB_READWRITE, app->cfg.synchronous);
    CURL *curl = NULL;
    if (!db) {
        gz_log_err(3001, "mail sender: cannot open the database; mail stays "
                         "queued");
        return NULL;
    }
    int n = gz_store_outbox_recover(db);
    if (n > 0)
        gz_log_info(3002,
                    "mail sender: %d message(s) left in flight by the "
                    "last run will be sent again",
                    n);
    if (app->cfg.smtp_url[0] && !(curl = curl_easy_init()))
        gz_log_err(3003, "mail sender: libcurl did not initialise");

    while (!stopping()) {
        char title[256], base[512];
        site_settings(db, title, sizeof title, base, sizeof base);
        /* 1. Announce new stories (each in its own transaction). */
        struct fanout_ctx f = {app, title, base};
        for (int guard = 0; guard < 100 && !stopping(); guard++) {
            long long article_id = 0;
            int q = gz_store_outbox_fanout(db, compose_notify, &f, &article_id);
            if (q < 0) {
                gz_log_err(3004,
                           "mail sender: announcing a new story "
                           "failed (%d); will try again",
                           q);
                break;
            }
            if (!article_id)
                break;
            gz_log_info(3011,
                        "story %lld published: %d notification(s) "
                        "queued",
                        article_id, q);
        }
        /* 2. Deliver what is due, one row at a time. */
        while (!stopping()) {
            struct gz_outbox_item it;
            int rc = gz_store_outbox_claim(db, gz_now(), LEASE_SECONDS, &it);
            if (rc == GZ_ENOTFOUND)
                break;
            if (rc != 0) {
                gz_log_err(3012, "mail sender: cannot claim a message (%d)",
                           rc);
                break;
            }
            deliver(db, curl, title, &it);
            gz_outbox_item_clear(&it);
        }
        pthread_mutex_lock(&S.lock);
        if (!S.stop && !S.wake) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += POLL_SECONDS;
            pthread_cond_timedwait(&S.cond, &S.lock, &until);
        }
        S.wake = 0;
        pthread_mutex_unlock(&S.lock);
    }
    if (curl)
        curl_easy_cleanup(curl);
    gz_db_close(db);
    return NULL;
}

int gz_mail_start(struct gz_app *app)
{
    /* Once, before the thread: curl_global_init is not thread-safe. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        gz_log_err(3013, "libcurl global initialisation failed");
    pthread_mutex_lock(&S.lock);
    S.app = app;
    S.stop = 0;
    S.wake = 0;
    int rc = pthread_create(&S.thread, NULL, sender, app);
    S.running = rc == 0;
    pthread_mutex_unlock(&S.lock);
    if (rc != 0) {
        gz_log_err(3014, "cannot start the mail sender thread");
        return GZ_EIO;
    }
    if (!app->cfg.smtp_url[0])
        gz_log_info(3015, "mail.smtp_url is empty: mail is queued and "
                          "logged, not sent");
    return 0;
}

void gz_mail_wake(void)
{
    pthread_mutex_lock(&S.lock);
    S.wake = 1;
    pthread_cond_broadcast(&S.cond);
    pthread_mutex_unlock(&S.lock);
}

void gz_mail_stop(void)
{
    pthread_mutex_lock(&S.lock);
    int running = S.running;
    S.stop = 1;
    S.stop_at = gz_now();
    pthread_cond_broadcast(&S.cond);
    pthread_mutex_unlock(&S.lock);
    if (running) {
        pthread_join(S.thread, NULL);
        pthread_mutex_lock(&S.lock);
        S.running = 0;
        pthread_mutex_unlock(&S.lock);
        curl_global_cleanup();
    }
}

int gz_mail_compose_reset(const struct gz_app *app, const char *site_title,
                          const char *base, const char *token,
                          const char *name, int ttl, struct gz_mail_msg *msg)
{
    struct gz_buf t;
    int rc = GZ_ENOMEM;
    char *url = link_to(base, "/admin/reset/confirm", token);
    json_t *model = NULL;
    int minutes = ttl >= 60 ? ttl / 60 : 1;
    memset(msg, 0, sizeof *msg);
    gz_buf_init(&t);
    if (!url)
        goto out;
    if (gz_buf_printf(&t, "Reset your password for %s", site_title) ||
        !(msg->subject = gz_buf_steal(&t, NULL)))
        goto out;
    gz_buf_printf(&t, "Hello%s%s,\n\n", name && *name ? " " : "",
                  name && *name ? name : "");
    gz_buf_printf(&t,
                  "Someone asked to reset the password of your account in "
                  "the %s newsroom. To choose a new password, open this "
                  "link within %d minutes:\n\n%s\n\n"
                  "The link works once. If you did not ask for this, ignore "
                  "this message: your password stays as it is.\n\n-- \n"
                  "%s\n%s/\n",
                  site_title, minutes, url, site_title, base);
    if (!(msg->text = gz_buf_steal(&t, NULL)))
        goto out;
    model = json_pack("{s:{s:s, s:s}, s:s, s:s, s:i}", "site", "title",
                      site_title, "url", base, "name", name ? name : "",
                      "reset_url", url, "minutes", minutes);
    if (!model)
        goto out;
    rc = GZ_EIO;
    if (!(msg->html = render_html(app, "mail_reset", model)))
        goto out;
    rc = 0;
out:
    if (rc)
        gz_mail_msg_clear(msg);
    gz_buf_free(&t);
    json_decref(model);
    free(url);
    return rc;
}
