/*
 * proxy.c - requests that come through a trusted proxy (nginx in front,
 * server.trusted_proxies): the client address and the scheme they name.
 *
 * When, and only when, the connecting peer is in server.trusted_proxies,
 * gz_http_forwarded (called by request.c as soon as a request's headers
 * are in, before the guard, the rate limits and the handler) replaces the
 * request's client address with the one X-Forwarded-For names
 * (gz_proxies_client: the rightmost address that is not a trusted proxy)
 * and takes X-Forwarded-Proto: https as "the request came over TLS"
 * (gz_req_secure: Secure cookies). From any other peer both headers are
 * ignored. Everything keyed by the client address (rate limits, login
 * limits, comment and sign-up limits, the search share, the access log)
 * reads it through gz_req_client, so all of them see the real client.
 *
 * The per-address connection limit, applied by the accept thread before
 * any header is read, cannot know the clients behind a proxy: a trusted
 * proxy's own address is exempt from it (server.c, gz_http_proxy_trusted)
 * and still counts toward max_connections.
 */
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "gazette/proxies.h"
#include "internal.h"

/* Set once before the daemon starts (gz_http_proxies_init), read-only
 * after, so the workers share it without a lock. */
static struct gz_proxies trusted;
static atomic_int malformed_logged;
static atomic_llong malformed_count;

int gz_http_proxies_init(const struct gz_config *cfg)
{
    char err[256];
    if (gz_proxies_parse(cfg->trusted_proxies, &trusted, err, sizeof err)) {
        gz_log_err(4300, "%s", err);
        return -1;
    }
    atomic_store(&malformed_logged, 0);
    if (trusted.n)
        gz_log_info(4301,
                    "trusting X-Forwarded-For and X-Forwarded-Proto from "
                    "%d address range%s (server.trusted_proxies = %s)",
                    trusted.n, trusted.n == 1 ? "" : "s", cfg->trusted_proxies);
    return 0;
}

int gz_http_proxy_trusted(const struct sockaddr *sa)
{
    return trusted.n && gz_proxies_has_sockaddr(&trusted, sa);
}

long long gz_http_proxy_malformed(void)
{
    return atomic_load(&malformed_count);
}

struct fields {
    const char *name;
    struct gz_buf joined; /* every field of that name, comma-joined */
    int failed;
};

/* Several X-Forwarded-For fields are one list, in order (RFC 9110 5.3). */
static enum MHD_Result join_field(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
    struct fields *f = cls;
    (void)kind;
    if (!key || !value || strcasecmp(key, f->name) != 0)
        return MHD_YES;
    if ((f->joined.len && gz_buf_putc(&f->joined, ',') != 0) ||
        gz_buf_puts(&f->joined, value) != 0)
        f->failed = 1;
    return MHD_YES;
}

/* The value of the last field called name, its last comma-separated
 * element (the one the nearest proxy set), trimmed, into out. */
static void last_element(struct MHD_Connection *conn, const char *name,
                         char *out, size_t outlen)
{
    struct fields f = {.name = name};
    gz_buf_init(&f.joined);
    out[0] = '\0';
    MHD_get_connection_values(conn, MHD_HEADER_KIND, join_field, &f);
    const char *s = gz_buf_cstr(&f.joined);
    if (!f.failed && s) {
        const char *e = strrchr(s, ',');
        e = e ? e + 1 : s;
        e += strspn(e, " \t");
        size_t n = strcspn(e, " \t");
        if (n < outlen) {
            memcpy(out, e, n);
            out[n] = '\0';
        }
    }
    gz_buf_free(&f.joined);
}

void gz_http_forwarded(struct gz_req *req, struct MHD_Connection *conn)
{
    if (!trusted.n)
        return;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !gz_proxies_has_sockaddr(&trusted, ci->client_addr))
        return;
    char proto[8];
    last_element(conn, "X-Forwarded-Proto", proto, sizeof proto);
    req->forwarded_https = strcasecmp(proto, "https") == 0;

    struct fields f = {.name = "X-Forwarded-For"};
    gz_buf_init(&f.joined);
    MHD_get_connection_values(conn, MHD_HEADER_KIND, join_field, &f);
    const char *xff = f.failed ? NULL : gz_buf_cstr(&f.joined);
    char client[sizeof req->client];
    int rc = xff && f.joined.len
                 ? gz_proxies_client(&trusted, xff, client, sizeof client)
                 : 0;
    if (rc == 1) {
        snprintf(req->client, sizeof req->client, "%s", client);
    } else if (rc < 0) {
        atomic_fetch_add(&malformed_count, 1);
        /* Once per run: a proxy that sends junk would flood the log. The
         * value is the client's: shown cut and without control bytes. */
        char shown[81];
        snprintf(shown, sizeof shown, "%s", xff);
        for (char *c = shown; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        if (atomic_exchange(&malformed_logged, 1) == 0)
            gz_log_err(4302,
                       "request %s: X-Forwarded-For from trusted proxy %s "
                       "is not a list of addresses (\"%s\"); the proxy's "
                       "address is used as the client (logged once; counted "
                       "in gazette_forwarded_for_malformed_total)",
                       req->id, req->client, shown);
    }
    gz_buf_free(&f.joined);
}
