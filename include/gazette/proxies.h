/*
 * proxies.h - trusted proxies (server.trusted_proxies): a list of IPv4 and
 * IPv6 addresses and CIDR ranges, and the client address a request from
 * one of them names in X-Forwarded-For. Pure functions over text and
 * socket addresses, so the unit tests can check them without a server.
 */
#ifndef GAZETTE_PROXIES_H
#define GAZETTE_PROXIES_H

#include <stddef.h>
#include <sys/socket.h>

/* The most entries server.trusted_proxies may list. */
#define GZ_PROXIES_MAX 64

/* One range: IPv4 is kept as an IPv4-mapped IPv6 address (::ffff:a.b.c.d),
 * its prefix length plus 96, so one comparison covers both families. */
struct gz_cidr {
    unsigned char a[16];
    int bits; /* 0..128 */
};

struct gz_proxies {
    int n;
    struct gz_cidr v[GZ_PROXIES_MAX];
};

/* Parses list (entries separated by commas and/or spaces: "127.0.0.1,
 * 10.0.0.0/8 ::1 fd00::/8") into out. An empty list is valid (n = 0: no
 * proxy is trusted). On error returns GZ_EINVAL and writes into err a
 * message naming the bad entry, out is then empty. */
int gz_proxies_parse(const char *list, struct gz_proxies *out, char *err,
                     size_t errlen);

/* Parses one address literal (IPv4, or IPv6 optionally in brackets) into
 * the 16-byte form of struct gz_cidr. 0, or GZ_EINVAL. */
int gz_proxies_addr(const char *text, size_t len, unsigned char out[16]);

/* 1 when the 16-byte address a is in one of p's ranges. */
int gz_proxies_has(const struct gz_proxies *p, const unsigned char a[16]);

/* 1 when the socket address sa (AF_INET or AF_INET6) is in p. */
int gz_proxies_has_sockaddr(const struct gz_proxies *p,
                            const struct sockaddr *sa);

/* The client that X-Forwarded-For names, for a request whose connecting
 * peer is trusted: the fields are walked from the right (the nearest hop
 * first), trusted addresses skipped; the first untrusted one is the
 * client; when every one is trusted, the leftmost. The answer is written
 * into out as inet_ntop writes it (IPv4 dotted, also when spelled as
 * ::ffff:a.b.c.d; IPv6 compressed, no brackets), as request.c writes the
 * socket's address.
 * Returns 1 when out was set, 0 when xff is NULL or names no address (the
 * peer stays the client), -1 when a field is not an address ("unknown",
 * a port, junk): out is untouched and the peer stays the client. */
int gz_proxies_client(const struct gz_proxies *p, const char *xff, char *out,
                      size_t outlen);

#endif
