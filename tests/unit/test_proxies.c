/*
 * test_proxies.c - server.trusted_proxies (gazette/proxies.h): parsing the
 * list (addresses, CIDR ranges, both families, commas and spaces; a bad
 * entry is named), matching addresses against it (prefix edges, IPv4 as
 * mapped IPv6, host bits cleared), and the client X-Forwarded-For names
 * (rightmost untrusted, trusted hops skipped, junk refused, spellings
 * made canonical).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gazette/proxies.h"
#include "gazette/util.h"

static struct gz_proxies parsed(const char *list)
{
    struct gz_proxies p;
    char err[256] = "";
    int rc = gz_proxies_parse(list, &p, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", list, err);
    return p;
}

static int has(const struct gz_proxies *p, const char *addr)
{
    unsigned char a[16];
    assert_int_equal(gz_proxies_addr(addr, strlen(addr), a), 0);
    return gz_proxies_has(p, a);
}

static void test_parse_lists(void **state)
{
    (void)state;
    struct gz_proxies p = parsed("");
    assert_int_equal(p.n, 0);
    p = parsed("  , ");
    assert_int_equal(p.n, 0);
    p = parsed("127.0.0.1");
    assert_int_equal(p.n, 1);
    p = parsed("127.0.0.1, 10.0.0.0/8 ::1\tfd00::/8,,192.168.1.0/24");
    assert_int_equal(p.n, 5);
    p = parsed("0.0.0.0/0 ::/0");
    assert_int_equal(p.n, 2);
}

static void test_parse_names_the_bad_entry(void **state)
{
    (void)state;
    static const char *bad[] = {
        "10.0.0.0/33",  "::1/129",   "localhost",  "10.0.0/8",     "1.2.3.4/",
        "1.2.3.4/-1",   "1.2.3.4/a", "1.2.3.4:80", "[1.2.3.4]",    "fe80::1%lo",
        "1.2.3.4/0008", "256.1.1.1", "::1::2",     "10.0.0.0/8/8",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char list[128], err[256] = "";
        snprintf(list, sizeof list, "127.0.0.1, %s ::1", bad[i]);
        struct gz_proxies p;
        p.n = 99;
        assert_int_equal(gz_proxies_parse(list, &p, err, sizeof err),
                         GZ_EINVAL);
        assert_int_equal(p.n, 0);
        char quoted[64];
        snprintf(quoted, sizeof quoted, "\"%s\"", bad[i]);
        if (!strstr(err, quoted) || !strstr(err, "server.trusted_proxies"))
            fail_msg("%s: %s", bad[i], err);
    }
    /* Too many entries. */
    char big[2048] = "";
    for (int i = 0; i <= GZ_PROXIES_MAX; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "10.0.0.%d ", i);
    struct gz_proxies p;
    char err[256];
    assert_int_equal(gz_proxies_parse(big, &p, err, sizeof err), GZ_EINVAL);
    assert_non_null(strstr(err, "more than"));
}

static void test_ranges(void **state)
{
    (void)state;
    struct gz_proxies p = parsed("10.1.2.3/8, 192.168.4.0/23 2001:db8::/33 "
                                 "127.0.0.1 ::1");
    assert_true(has(&p, "10.0.0.0"));
    assert_true(has(&p, "10.255.255.255")); /* host bits of 10.1.2.3 gone */
    assert_false(has(&p, "11.0.0.0"));
    assert_false(has(&p, "9.255.255.255"));
    assert_true(has(&p, "192.168.4.1"));
    assert_true(has(&p, "192.168.5.255"));
    assert_false(has(&p, "192.168.6.0"));
    assert_false(has(&p, "192.168.3.255"));
    assert_true(has(&p, "2001:db8:7fff:ffff::1"));
    assert_false(has(&p, "2001:db8:8000::1"));
    assert_true(has(&p, "127.0.0.1"));
    assert_false(has(&p, "127.0.0.2"));
    assert_true(has(&p, "::1"));
    assert_false(has(&p, "::2"));
    /* IPv4 seen through an IPv6 socket is the same address. */
    assert_true(has(&p, "::ffff:10.9.9.9"));
    assert_true(has(&p, "::ffff:127.0.0.1"));
    /* An IPv4 range is not an IPv6 one of the same bits. */
    assert_false(has(&p, "::a01:203"));

    struct gz_proxies all4 = parsed("0.0.0.0/0");
    assert_true(has(&all4, "8.8.8.8"));
    assert_false(has(&all4, "2001:db8::1"));
    struct gz_proxies none = parsed("");
    assert_false(has(&none, "127.0.0.1"));
}

static void test_sockaddr(void **state)
{
    (void)state;
    struct gz_proxies p = parsed("127.0.0.1 ::1");
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
    assert_true(gz_proxies_has_sockaddr(&p, (struct sockaddr *)&a4));
    inet_pton(AF_INET, "127.0.0.2", &a4.sin_addr);
    assert_false(gz_proxies_has_sockaddr(&p, (struct sockaddr *)&a4));
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET6, "::1", &a6.sin6_addr);
    assert_true(gz_proxies_has_sockaddr(&p, (struct sockaddr *)&a6));
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6.sin6_addr);
    assert_true(gz_proxies_has_sockaddr(&p, (struct sockaddr *)&a6));
    assert_false(gz_proxies_has_sockaddr(&p, NULL));
}

static const char *client(const struct gz_proxies *p, const char *xff, int *rc)
{
    static char out[64];
    strcpy(out, "(untouched)");
    *rc = gz_proxies_client(p, xff, out, sizeof out);
    return out;
}

static void test_forwarded_for(void **state)
{
    (void)state;
    struct gz_proxies p = parsed("127.0.0.1, 10.0.0.0/8, fd00::/8");
    int rc;
    /* nginx alone: the client it saw. */
    assert_string_equal(client(&p, "203.0.113.5", &rc), "203.0.113.5");
    assert_int_equal(rc, 1);
    /* What the client wrote itself (left of its real address) is not
     * believed. */
    assert_string_equal(client(&p, "6.6.6.6, 203.0.113.5", &rc), "203.0.113.5");
    /* Trusted hops (a load balancer at 10.x) are skipped. */
    assert_string_equal(
        client(&p, "6.6.6.6,203.0.113.5 , 10.0.0.7,\t127.0.0.1", &rc),
        "203.0.113.5");
    assert_string_equal(client(&p, "198.51.100.1, fd00::1", &rc),
                        "198.51.100.1");
    /* Every hop trusted: the leftmost. */
    assert_string_equal(client(&p, "10.1.1.1, 10.2.2.2", &rc), "10.1.1.1");
    assert_int_equal(rc, 1);
    /* Canonical spellings, so one client is one rate-limit key. */
    assert_string_equal(client(&p, "::ffff:203.0.113.5", &rc), "203.0.113.5");
    assert_string_equal(client(&p, "[2001:DB8:0:0::5]", &rc), "2001:db8::5");
    assert_string_equal(client(&p, "2001:db8:0000::0005", &rc), "2001:db8::5");
    /* Empty fields are skipped; nothing at all leaves the peer. */
    assert_string_equal(client(&p, " , 203.0.113.5,", &rc), "203.0.113.5");
    assert_string_equal(client(&p, "", &rc), "(untouched)");
    assert_int_equal(rc, 0);
    assert_string_equal(client(&p, " , ", &rc), "(untouched)");
    assert_int_equal(rc, 0);
    assert_string_equal(client(&p, NULL, &rc), "(untouched)");
    assert_int_equal(rc, 0);
    /* Junk on the walk: the peer stays the client. */
    static const char *junk[] = {
        "unknown",        "203.0.113.5:4711",     "1.2.3",
        "_hidden",        "203.0.113.5, garbage", "[203.0.113.5]",
        "1.2.3.4 5.6.7.8"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        assert_string_equal(client(&p, junk[i], &rc), "(untouched)");
        assert_int_equal(rc, -1);
    }
    /* Junk left of the client is never looked at. */
    assert_string_equal(client(&p, "garbage, 203.0.113.5", &rc), "203.0.113.5");
    assert_int_equal(rc, 1);
    /* The output buffer is respected. */
    char tiny[8];
    assert_int_equal(gz_proxies_client(&p, "203.0.113.5", tiny, sizeof tiny),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_lists),
        cmocka_unit_test(test_parse_names_the_bad_entry),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_forwarded_for),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
