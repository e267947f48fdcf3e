/*
 * proxies.c - server.trusted_proxies: parsing the list of addresses and
 * CIDR ranges, matching an address against it, and finding the client
 * a trusted proxy names in X-Forwarded-For.
 *
 * SECURITY: X-Forwarded-For is a list anyone can start. Each proxy
 * appends the address it received the request from, so only the fields
 * our own proxies added can be believed: walking from the right, past
 * the addresses we trust, the first address we do not trust is the
 * client (whatever a client wrote to the left of it is ignored). A field
 * that is not an address on that walk means a proxy we trust is not
 * doing what we think: the peer is kept as the client rather than a
 * guess (request.c logs it once).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "gazette/proxies.h"
#include "gazette/util.h"

int gz_proxies_addr(const char *text, size_t len, unsigned char out[16])
{
    char buf[INET6_ADDRSTRLEN + 2];
    if (len >= 2 && text[0] == '[' && text[len - 1] == ']') {
        text++;
        len -= 2;
        if (!memchr(text, ':', len))
            return GZ_EINVAL; /* brackets are for IPv6 only */
    }
    if (len == 0 || len >= sizeof buf)
        return GZ_EINVAL;
    memcpy(buf, text, len);
    buf[len] = '\0';
    struct in_addr a4;
    struct in6_addr a6;
    if (!memchr(buf, ':', len)) {
        if (inet_pton(AF_INET, buf, &a4) != 1)
            return GZ_EINVAL;
        memset(out, 0, 16);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return 0;
    }
    if (inet_pton(AF_INET6, buf, &a6) != 1)
        return GZ_EINVAL;
    memcpy(out, &a6, 16);
    return 0;
}

static int is_v4(const unsigned char a[16])
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, mapped, 12) == 0;
}

/* One entry "ADDR" or "ADDR/BITS" into c. 0, or GZ_EINVAL. */
static int parse_entry(const char *s, size_t n, struct gz_cidr *c)
{
    const char *slash = memchr(s, '/', n);
    size_t alen = slash ? (size_t)(slash - s) : n;
    if (gz_proxies_addr(s, alen, c->a) != 0)
        return GZ_EINVAL;
    int v4 = is_v4(c->a) && !memchr(s, ':', alen);
    int max = v4 ? 32 : 128;
    int bits = max;
    if (slash) {
        size_t blen = n - alen - 1;
        if (blen == 0 || blen > 3)
            return GZ_EINVAL;
        bits = 0;
        for (size_t i = 0; i < blen; i++) {
            char d = slash[1 + i];
            if (d < '0' || d > '9')
                return GZ_EINVAL;
            bits = bits * 10 + (d - '0');
        }
        if (bits > max)
            return GZ_EINVAL;
    }
    c->bits = v4 ? bits + 96 : bits;
    /* The host part is cleared, so 10.1.2.3/8 means 10.0.0.0/8. */
    for (int i = c->bits; i < 128; i++)
        c->a[i / 8] &= (unsigned char)~(0x80u >> (i % 8));
    return 0;
}

int gz_proxies_parse(const char *list, struct gz_proxies *out, char *err,
                     size_t errlen)
{
    static const char seps[] = ", \t";
    out->n = 0;
    const char *p = list ? list : "";
    for (;;) {
        p += strspn(p, seps);
        if (!*p)
            return 0;
        size_t n = strcspn(p, seps);
        if (out->n == GZ_PROXIES_MAX) {
            snprintf(err, errlen,
                     "server.trusted_proxies: more than %d entries",
                     GZ_PROXIES_MAX);
            out->n = 0;
            return GZ_EINVAL;
        }
        if (parse_entry(p, n, &out->v[out->n]) != 0) {
            snprintf(err, errlen,
                     "server.trusted_proxies: \"%.*s\" is not an IPv4 or IPv6 "
                     "address or CIDR range (such as 127.0.0.1, 10.0.0.0/8, "
                     "::1 or fd00::/8)",
                     (int)(n > 60 ? 60 : n), p);
            out->n = 0;
            return GZ_EINVAL;
        }
        out->n++;
        p += n;
    }
}

int gz_proxies_has(const struct gz_proxies *p, const unsigned char a[16])
{
    for (int i = 0; i < p->n; i++) {
        const struct gz_cidr *c = &p->v[i];
        int whole = c->bits / 8, rest = c->bits % 8;
        if (memcmp(a, c->a, (size_t)whole) != 0)
            continue;
        if (rest) {
            unsigned char mask = (unsigned char)(0xff00u >> rest);
            if ((a[whole] & mask) != c->a[whole])
                continue;
        }
        return 1;
    }
    return 0;
}

int gz_proxies_has_sockaddr(const struct gz_proxies *p,
                            const struct sockaddr *sa)
{
    unsigned char a[16];
    if (!sa || p->n == 0)
        return 0;
    if (sa->sa_family == AF_INET) {
        memset(a, 0, sizeof a);
        a[10] = a[11] = 0xff;
        memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    } else {
        return 0;
    }
    return gz_proxies_has(p, a);
}

int gz_proxies_client(const struct gz_proxies *p, const char *xff, char *out,
                      size_t outlen)
{
    if (!xff)
        return 0;
    size_t end = strlen(xff);
    unsigned char found[16];
    int have = 0;
    while (end > 0) {
        /* the field ending at end: from after the previous comma */
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        end = start > 0 ? start - 1 : 0;
        if (a == b)
            continue; /* an empty field: ", ," */
        if (gz_proxies_addr(xff + a, b - a, found) != 0)
            return -1;
        have = 1;
        if (!gz_proxies_has(p, found))
            break;
    }
    if (!have)
        return 0;
    /* Written the way the socket's address is (request.c), so one client
     * is one rate-limit key however the header spelled it. */
    char text[INET6_ADDRSTRLEN];
    if (is_v4(found) ? !inet_ntop(AF_INET, found + 12, text, sizeof text)
                     : !inet_ntop(AF_INET6, found, text, sizeof text))
        return -1;
    if (strlen(text) >= outlen)
        return -1;
    memcpy(out, text, strlen(text) + 1);
    return 1;
}
