/*
 * test_util.c - unit tests for src/util/buf.c and src/util/util.c.
 *
 * The growable buffer (appends, growth, reset, steal, overflow guard),
 * time formatting and parsing (RFC 3339 with offsets and impossible dates,
 * IMF-fixdate, the human form), gz_parse_int's checks, UTF-8 validation
 * (overlongs, surrogates, NUL, controls) and code point counting, random
 * tokens, gz_read_file, numbered log lines, and the rule that every log id
 * in src/ is used once. Table-driven where the cases are data.
 *
 * Single-threaded. Temporary files live in a mkdtemp directory that each
 * test removes. The log-id scan reads src/ under $GZ_SOURCE_ROOT (meson
 * sets it) or the current directory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gazette/util.h"

/* ---- gz_buf ---------------------------------------------------------- */

static void test_buf_empty(void **state)
{
    (void)state;
    struct gz_buf b;
    gz_buf_init(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(gz_buf_cstr(&b), "");
    /* Appending nothing still leaves a terminated (empty) string. */
    assert_int_equal(gz_buf_append(&b, "", 0), 0);
    assert_non_null(b.data);
    assert_int_equal(b.len, 0);
    assert_string_equal(gz_buf_cstr(&b), "");
    gz_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    /* Freeing twice is harmless. */
    gz_buf_free(&b);
}

static void test_buf_appends(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    assert_int_equal(gz_buf_puts(&b, "Hello"), 0);
    assert_int_equal(gz_buf_putc(&b, ','), 0);
    assert_int_equal(gz_buf_append(&b, " world!!!", 6), 0);
    assert_int_equal(gz_buf_printf(&b, " %d-%s-%05.1f", 42, "x", 3.25), 0);
    assert_string_equal(gz_buf_cstr(&b), "Hello, world 42-x-003.2");
    assert_int_equal(b.len, strlen("Hello, world 42-x-003.2"));
    assert_true(b.cap > b.len);
    gz_buf_free(&b);
}

static void test_buf_embedded_nul(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    assert_int_equal(gz_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4); /* and the terminator */
    gz_buf_free(&b);
}

static void test_buf_growth(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    /* 100 000 bytes in odd-sized pieces: every byte lands in order. */
    char piece[97];
    size_t total = 0;
    for (int round = 0; total < 100000; round++) {
        size_t n = (size_t)(round % 97) + 1;
        for (size_t i = 0; i < n; i++)
            piece[i] = (char)('a' + (total + i) % 26);
        assert_int_equal(gz_buf_append(&b, piece, n), 0);
        total += n;
        assert_int_equal(b.len, total);
        assert_int_equal(b.data[b.len], '\0');
    }
    for (size_t i = 0; i < total; i++)
        if (b.data[i] != (char)('a' + i % 26))
            fail_msg("byte %zu is %c", i, b.data[i]);
    assert_true(b.cap >= total + 1);
    gz_buf_free(&b);
}

static void test_buf_printf_grows(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(gz_buf_puts(&b, "<"), 0);
    assert_int_equal(gz_buf_printf(&b, "%s|%s", big, big), 0);
    assert_int_equal(b.len, 1 + 999 + 1 + 999);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1000], '|');
    assert_int_equal(b.data[b.len], '\0');
    /* An empty format appends nothing but still terminates. */
    assert_int_equal(gz_buf_printf(&b, "%s", ""), 0);
    assert_int_equal(b.len, 2000);
    gz_buf_free(&b);
}

static void test_buf_reset(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    gz_buf_reset(&b); /* on an empty buffer: no crash */
    assert_int_equal(gz_buf_puts(&b, "some text"), 0);
    size_t cap = b.cap;
    char *mem = b.data;
    gz_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(gz_buf_cstr(&b), "");
    assert_int_equal(b.cap, cap);
    assert_ptr_equal(b.data, mem);
    assert_int_equal(gz_buf_puts(&b, "again"), 0);
    assert_string_equal(gz_buf_cstr(&b), "again");
    gz_buf_free(&b);
}

static void test_buf_steal(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    assert_int_equal(gz_buf_puts(&b, "owned"), 0);
    size_t len = 99;
    char *s = gz_buf_steal(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "owned");
    assert_int_equal(len, 5);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);

    /* Stealing an empty buffer still gives a real, empty string. */
    s = gz_buf_steal(&b, &len);
    assert_non_null(s);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);
    s = gz_buf_steal(&b, NULL);
    assert_non_null(s);
    free(s);
}

static void test_buf_overflow_guard(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    assert_int_equal(gz_buf_puts(&b, "keep"), 0);
    assert_int_equal(gz_buf_reserve(&b, SIZE_MAX), GZ_ENOMEM);
    assert_int_equal(gz_buf_reserve(&b, SIZE_MAX / 2), GZ_ENOMEM);
    assert_int_equal(gz_buf_append(&b, "x", SIZE_MAX - 2), GZ_ENOMEM);
    /* A failed append leaves what was there. */
    assert_string_equal(gz_buf_cstr(&b), "keep");
    assert_int_equal(b.len, 4);
    assert_int_equal(gz_buf_reserve(&b, 10), 0);
    assert_true(b.cap >= 4 + 10 + 1);
    gz_buf_free(&b);
}

/* ---- time ------------------------------------------------------------ */

struct fmt_case {
    int64_t t;
    const char *rfc3339, *http, *human;
};

static const struct fmt_case fmt_cases[] = {
    {0, "1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 GMT",
     "1 January 1970"},
    {784111777, "1994-11-06T08:49:37Z", "Sun, 06 Nov 1994 08:49:37 GMT",
     "6 November 1994"},
    {1709164800, "2024-02-29T00:00:00Z", "Thu, 29 Feb 2024 00:00:00 GMT",
     "29 February 2024"},
    {1795631208, "2026-11-25T18:26:48Z", "Wed, 25 Nov 2026 18:26:48 GMT",
     "25 November 2026"},
    {1798761599, "2026-12-31T23:59:59Z", "Thu, 31 Dec 2026 23:59:59 GMT",
     "31 December 2026"},
};

static void test_time_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof fmt_cases / sizeof fmt_cases[0]; i++) {
        const struct fmt_case *c = &fmt_cases[i];
        char a[32], h[40], hu[40];
        gz_time_rfc3339(c->t, a);
        gz_time_http(c->t, h);
        gz_time_human(c->t, hu);
        assert_string_equal(a, c->rfc3339);
        assert_string_equal(h, c->http);
        assert_string_equal(hu, c->human);
        /* Both parsers read back what the formatters wrote. */
        assert_int_equal(gz_time_parse_rfc3339(a), c->t);
        assert_int_equal(gz_time_parse_http(h), c->t);
    }
}

static void test_time_now(void **state)
{
    (void)state;
    int64_t before = (int64_t)time(NULL);
    int64_t now = gz_now();
    int64_t after = (int64_t)time(NULL);
    assert_true(now >= before && now <= after);
    assert_true(now > 1700000000);
}

struct parse_case {
    const char *in;
    int64_t want; /* -1: rejected */
};

static const struct parse_case rfc3339_cases[] = {
    /* Accepted forms. */
    {"2026-11-25T18:26:48Z", 1795631208},
    {"2026-11-25T18:26:48z", 1795631208},
    {"2026-11-25 18:26:48Z", 1795631208},
    {"2026-11-25T18:26Z", 1795631160},           /* seconds optional */
    {"2026-11-25T18:26:48.123456Z", 1795631208}, /* fraction ignored */
    {"2026-11-25T20:26:48+02:00", 1795631208},
    {"2026-11-25T13:56:48-04:30", 1795631208},
    {"2026-11-26T00:00:48+05:34", 1795631208},
    {"2026-11-25T18:26+00:00", 1795631160},
    {"2026-11-25T18:26:48-00:00", 1795631208},
    {"2024-02-29T00:00:00Z", 1709164800}, /* a leap day */
    {"1970-01-01T00:00:00Z", 0},
    /* Impossible calendar dates. */
    {"2026-02-31T00:00:00Z", -1},
    {"2026-02-29T00:00:00Z", -1}, /* 2026 is not a leap year */
    {"2100-02-29T00:00:00Z", -1},
    {"2026-04-31T12:00:00Z", -1},
    {"2026-06-31T12:00:00Z", -1},
    {"2026-13-01T00:00:00Z", -1},
    {"2026-00-10T00:00:00Z", -1},
    {"2026-01-00T00:00:00Z", -1},
    {"2026-01-32T00:00:00Z", -1},
    {"2026-01-01T24:00:00Z", -1},
    {"2026-01-01T23:60:00Z", -1},
    {"2026-01-01T23:59:61Z", -1},
    {"1969-12-31T23:59:59Z", -1},
    /* Malformed. */
    {"", -1},
    {"2026", -1},
    {"2026-01-01", -1},
    {"2026-01-01T00:00:00", -1}, /* no zone */
    {"2026-01-01T00:00:00Zjunk", -1},
    {"2026-01-01T00:00:00Z ", -1},
    {" 2026-01-01T00:00:00Z", -1},
    {"2026-01-01X00:00:00Z", -1},
    {"2026/01/01T00:00:00Z", -1},
    {"2026-1-01T00:00:00Z", -1},
    {"2026-01-01T0:00:00Z", -1},
    {"2026-01-01T00:00:0Z", -1},
    {"2026-01-01T00:00:00+0200", -1},
    {"2026-01-01T00:00:00+02", -1},
    {"2026-01-01T00:00:00+24:00", -1},
    {"2026-01-01T00:00:00+02:60", -1},
    {"2026-01-01T00:00:00+02:00:00", -1},
    {"2026-01-01T00:00:00UTC", -1},
    {"abcd-ef-ghTij:kl:mnZ", -1},
    {"+026-01-01T00:00:00Z", -1},
    {"2026-01-01T00:00:00\xc3\xa9", -1},
};

static void test_time_parse_rfc3339(void **state)
{
    (void)state;
    assert_int_equal(gz_time_parse_rfc3339(NULL), -1);
    for (size_t i = 0; i < sizeof rfc3339_cases / sizeof rfc3339_cases[0];
         i++) {
        int64_t got = gz_time_parse_rfc3339(rfc3339_cases[i].in);
        if (got != rfc3339_cases[i].want)
            fail_msg("gz_time_parse_rfc3339(\"%s\") = %lld, want %lld",
                     rfc3339_cases[i].in, (long long)got,
                     (long long)rfc3339_cases[i].want);
    }
}

static void test_time_roundtrip(void **state)
{
    (void)state;
    /* Every few days over sixty years, plus odd seconds. */
    for (int64_t t = 0; t < 1900000000; t += 86400 * 7 + 3607) {
        char s[32], h[40];
        gz_time_rfc3339(t, s);
        gz_time_http(t, h);
        if (gz_time_parse_rfc3339(s) != t || gz_time_parse_http(h) != t)
            fail_msg("round trip of %lld failed (%s / %s)", (long long)t, s,
                     h);
    }
}

static const struct parse_case http_cases[] = {
    {"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
    {"Wed, 25 Nov 2026 18:26:48 GMT", 1795631208},
    {"Thu, 29 Feb 2024 00:00:00 GMT", 1709164800},
    /* Obsolete forms RFC 7231 lets a server ignore. */
    {"Sunday, 06-Nov-94 08:49:37 GMT", -1},
    {"Sun Nov  6 08:49:37 1994", -1},
    /* Malformed. */
    {"", -1},
    {"Sun, 06 Nov 1994 08:49:37 UTC", -1},
    {"Sun, 06 Nov 1994 08:49:37 GMT ", -1},
    {"Sun, 06 Nov 1994 08:49:37", -1},
    {"Sun, 6 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 06 Foo 1994 08:49:37 GMT", -1},
    {"Sun, 06 nov 1994 08:49:37 GMT", -1},
    {"Sun, 00 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 32 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 06 Nov 1994 24:49:37 GMT", -1},
    {"Sun, 06 Nov 1994 08:60:37 GMT", -1},
    {"Sun, 06 Nov 1994 08:49:61 GMT", -1},
    {"Sun; 06 Nov 1994 08:49:37 GMT", -1},
    {"Sun, 06 Nov 19x4 08:49:37 GMT", -1},
};

static void test_time_parse_http(void **state)
{
    (void)state;
    assert_int_equal(gz_time_parse_http(NULL), -1);
    for (size_t i = 0; i < sizeof http_cases / sizeof http_cases[0]; i++) {
        int64_t got = gz_time_parse_http(http_cases[i].in);
        if (got != http_cases[i].want)
            fail_msg("gz_time_parse_http(\"%s\") = %lld, want %lld",
                     http_cases[i].in, (long long)got,
                     (long long)http_cases[i].want);
    }
}

/* Impossible calendar dates are "bad" (-1), as gz_time_parse_rfc3339
 * already holds: timegm would quietly turn 31 February into 3 March, so
 * an If-Modified-Since of "31 Feb" would compare as a real time. */
static void test_time_parse_http_impossible_dates(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Tue, 31 Feb 2026 00:00:00 GMT",
        "Sun, 29 Feb 2026 00:00:00 GMT",
        "Thu, 31 Apr 2026 00:00:00 GMT",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t got = gz_time_parse_http(bad[i]);
        if (got != -1)
            fail_msg("gz_time_parse_http(\"%s\") = %lld, want -1", bad[i],
                     (long long)got);
    }
    /* The leap day of a leap year is a real date. */
    assert_int_equal(gz_time_parse_http("Thu, 29 Feb 2024 00:00:00 GMT"),
                     1709164800);
}

/* ---- gz_parse_int ---------------------------------------------------- */

struct int_case {
    const char *in;
    long long min, max;
    int ok;
    long long want;
};

static const struct int_case int_cases[] = {
    {"0", 0, 10, 1, 0},
    {"7", 0, 10, 1, 7},
    {"10", 0, 10, 1, 10},
    {"007", 0, 10, 1, 7},
    {"-1", -5, 5, 1, -1},
    {"-0", 0, 5, 1, 0},
    {"9223372036854775807", LLONG_MIN, LLONG_MAX, 1, LLONG_MAX},
    {"-9223372036854775808", LLONG_MIN, LLONG_MAX, 1, LLONG_MIN},
    /* Out of range. */
    {"11", 0, 10, 0, 0},
    {"-1", 0, 10, 0, 0},
    {"1", 2, 10, 0, 0},
    /* Overflow. */
    {"99999999999999999999", LLONG_MIN, LLONG_MAX, 0, 0},
    {"9223372036854775808", LLONG_MIN, LLONG_MAX, 0, 0},
    {"-9223372036854775809", LLONG_MIN, LLONG_MAX, 0, 0},
    {"-99999999999999999999", LLONG_MIN, LLONG_MAX, 0, 0},
    /* Not a plain decimal. */
    {"", 0, 10, 0, 0},
    {"abc", 0, 10, 0, 0},
    {"1.5", 0, 10, 0, 0},
    {"+1", 0, 10, 0, 0},
    {" 1", 0, 10, 0, 0},
    {"1 ", 0, 10, 0, 0},
    {"1\n", 0, 10, 0, 0},
    {"\t1", 0, 10, 0, 0},
    {"-", -10, 10, 0, 0},
    {"--1", -10, 10, 0, 0},
    {"-+1", -10, 10, 0, 0},
    {"0x10", 0, 100, 0, 0},
    {"1e3", 0, 10000, 0, 0},
    {"12a", 0, 100, 0, 0},
    {"1,000", 0, 10000, 0, 0},
    {"\xd9\xa3", 0, 10, 0, 0}, /* ARABIC-INDIC DIGIT THREE */
};

static void test_parse_int(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof int_cases / sizeof int_cases[0]; i++) {
        const struct int_case *c = &int_cases[i];
        long long out = 12345;
        int rc = gz_parse_int(c->in, c->min, c->max, &out);
        if (c->ok) {
            if (rc != 0 || out != c->want)
                fail_msg("gz_parse_int(\"%s\") = %d/%lld, want %lld", c->in,
                         rc, out, c->want);
        } else {
            if (rc != GZ_EINVAL)
                fail_msg("gz_parse_int(\"%s\") accepted (%lld)", c->in, out);
            if (out != 12345)
                fail_msg("gz_parse_int(\"%s\") wrote %lld on failure", c->in,
                         out);
        }
    }
    long long out = 5;
    assert_int_equal(gz_parse_int(NULL, 0, 10, &out), GZ_EINVAL);
    assert_int_equal(out, 5);
}

/* ---- UTF-8 ----------------------------------------------------------- */

struct utf8_case {
    const char *s;
    size_t n;
    int valid;
    const char *what;
};

#define U(lit, valid, what) {lit, sizeof(lit) - 1, valid, what}

static const struct utf8_case utf8_cases[] = {
    U("", 1, "empty"),
    U("plain ASCII text.", 1, "ascii"),
    U("tab\there\r\nand lines\n", 1, "tab CR LF"),
    U("caf\xc3\xa9", 1, "2-byte"),
    U("\xe2\x82\xac 5", 1, "3-byte euro"),
    U("\xf0\x9f\x98\x80", 1, "4-byte emoji"),
    U("\xc2\x80", 1, "U+0080 (C1 is not checked)"),
    U("\xed\x9f\xbf", 1, "U+D7FF, just below surrogates"),
    U("\xee\x80\x80", 1, "U+E000, just above surrogates"),
    U("\xef\xbf\xbd", 1, "U+FFFD"),
    U("\xf4\x8f\xbf\xbf", 1, "U+10FFFF, the last code point"),
    U("\xc3\xa9\xe6\x97\xa5\xf0\x9f\x98\x80x", 1, "mixed"),
    /* Overlong encodings. */
    U("\xc0\xaf", 0, "overlong / (2 bytes, C0)"),
    U("\xc1\xbf", 0, "overlong (2 bytes, C1)"),
    U("\xc0\x80", 0, "overlong NUL"),
    U("\xe0\x80\xaf", 0, "overlong / (3 bytes)"),
    U("\xe0\x9f\xbf", 0, "overlong U+07FF (3 bytes)"),
    U("\xf0\x80\x80\xaf", 0, "overlong / (4 bytes)"),
    U("\xf0\x8f\xbf\xbf", 0, "overlong U+FFFF (4 bytes)"),
    /* Surrogates. */
    U("\xed\xa0\x80", 0, "U+D800"),
    U("\xed\xbf\xbf", 0, "U+DFFF"),
    U("\xed\xa0\xbd\xed\xb8\x80", 0, "CESU-8 surrogate pair"),
    /* Beyond Unicode and bytes that never occur. */
    U("\xf4\x90\x80\x80", 0, "U+110000"),
    U("\xf5\x80\x80\x80", 0, "F5 lead"),
    U("\xf8\x88\x80\x80\x80", 0, "5-byte form"),
    U("\xfe", 0, "FE"),
    U("\xff", 0, "FF"),
    /* Broken sequences. */
    U("\x80", 0, "lone continuation"),
    U("a\xbf", 0, "continuation after ASCII"),
    U("\xc3", 0, "truncated 2-byte at end"),
    U("\xe2\x82", 0, "truncated 3-byte at end"),
    U("\xf0\x9f\x98", 0, "truncated 4-byte at end"),
    U("\xc3(", 0, "2-byte lead then ASCII"),
    U("\xe2\x28\xa1", 0, "bad second byte"),
    U("\xe2\x82\x28", 0, "bad third byte"),
    /* NUL and controls. */
    U("a\0b", 0, "NUL inside"),
    U("\0", 0, "NUL alone"),
    U("bell\x07", 0, "BEL"),
    U("\x1b[31m", 0, "ESC (terminal escape)"),
    U("a\x7f", 0, "DEL"),
    U("\x0b", 0, "vertical tab"),
    U("\x0c", 0, "form feed"),
    U("\x01", 0, "SOH"),
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const struct utf8_case *c = &utf8_cases[i];
        int got = gz_utf8_valid_text(c->s, c->n);
        if (got != c->valid)
            fail_msg("gz_utf8_valid_text(%s) = %d, want %d", c->what, got,
                     c->valid);
    }
    /* Only n bytes are read: a bad byte past n does not matter. */
    assert_int_equal(gz_utf8_valid_text("ok\xff", 2), 1);
    /* ...and a multi-byte character cut by n is incomplete. */
    assert_int_equal(gz_utf8_valid_text("\xc3\xa9", 1), 0);
}

static void test_utf8_len(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t want;
    } cases[] = {
        {"", 0},
        {"abc", 3},
        {"h\xc3\xa9llo", 5},
        {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 3},
        {"\xf0\x9f\x98\x80!", 2},
        {"\xc3\x89lodie \xc3\x91\xc3\xba\xc3\xb1" "ez", 12},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(gz_utf8_len(cases[i].s, strlen(cases[i].s)),
                         cases[i].want);
    /* Counts only the first n bytes. */
    assert_int_equal(gz_utf8_len("abcdef", 2), 2);
}

/* ---- randomness ------------------------------------------------------ */

static int is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static void test_hex(void **state)
{
    (void)state;
    const unsigned char in[] = {0x00, 0x01, 0x7f, 0x80, 0xab, 0xff};
    char out[2 * sizeof in + 1];
    memset(out, 'Z', sizeof out);
    gz_hex(in, sizeof in, out);
    assert_string_equal(out, "00017f80abff");
    gz_hex(in, 0, out);
    assert_string_equal(out, "");
}

#define NTOKENS 200

static void test_random_token(void **state)
{
    (void)state;
    static char tokens[NTOKENS][65];
    for (int i = 0; i < NTOKENS; i++) {
        memset(tokens[i], 'Z', sizeof tokens[i]);
        assert_int_equal(gz_random_token(tokens[i]), 0);
        assert_int_equal(strlen(tokens[i]), 64);
        assert_true(is_lower_hex(tokens[i], 64));
        for (int j = 0; j < i; j++)
            if (strcmp(tokens[i], tokens[j]) == 0)
                fail_msg("token %d repeats token %d", i, j);
    }
    /* Every hex digit shows up across 200 x 64 digits; a stuck nibble or
     * a constant byte would not. */
    int seen[16] = {0};
    for (int i = 0; i < NTOKENS; i++)
        for (int k = 0; k < 64; k++) {
            char c = tokens[i][k];
            seen[c <= '9' ? c - '0' : c - 'a' + 10]++;
        }
    for (int d = 0; d < 16; d++) {
        /* Expected 800 each; 500 is far outside chance. */
        if (seen[d] < 500)
            fail_msg("hex digit %x appears only %d times", d, seen[d]);
    }
}

static void test_random_bytes(void **state)
{
    (void)state;
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    assert_int_equal(gz_random(a, sizeof a), 0);
    assert_int_equal(gz_random(b, sizeof b), 0);
    assert_memory_not_equal(a, b, sizeof a);
    static const unsigned char zero[64];
    assert_memory_not_equal(a, zero, sizeof a);
    assert_int_equal(gz_random(a, 0), 0);
}

/* ---- files ----------------------------------------------------------- */

static char tmpdir[64];

static int tmp_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gz_test_util_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
    (void)state;
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[512];
    size_t len = 0;

    /* Binary content, NUL bytes included, comes back whole. */
    snprintf(path, sizeof path, "%s/binary", tmpdir);
    const char bin[] = "line one\n\0\xff\xfe tail";
    write_file(path, bin, sizeof bin - 1);
    char *s = gz_read_file(path, &len);
    assert_non_null(s);
    assert_int_equal(len, sizeof bin - 1);
    assert_memory_equal(s, bin, sizeof bin); /* and the added NUL */
    free(s);

    /* An empty file is an empty string, not an error. */
    snprintf(path, sizeof path, "%s/empty", tmpdir);
    write_file(path, "", 0);
    len = 99;
    s = gz_read_file(path, &len);
    assert_non_null(s);
    assert_int_equal(len, 0);
    assert_string_equal(s, "");
    free(s);

    /* Larger than the internal chunk. */
    snprintf(path, sizeof path, "%s/big", tmpdir);
    size_t big_n = 100000;
    char *big = malloc(big_n);
    assert_non_null(big);
    for (size_t i = 0; i < big_n; i++)
        big[i] = (char)('0' + i % 10);
    write_file(path, big, big_n);
    s = gz_read_file(path, &len);
    assert_non_null(s);
    assert_int_equal(len, big_n);
    assert_memory_equal(s, big, big_n);
    assert_int_equal(s[big_n], '\0');
    free(s);
    free(big);

    /* len may be NULL. */
    s = gz_read_file(path, NULL);
    assert_non_null(s);
    free(s);

    /* Missing files and directories are errors. */
    snprintf(path, sizeof path, "%s/missing", tmpdir);
    assert_null(gz_read_file(path, &len));
    assert_null(gz_read_file(tmpdir, &len));
}

/* ---- logging --------------------------------------------------------- */

/* Runs fn with stderr redirected to a file and returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    char path[512];
    snprintf(path, sizeof path, "%s/stderr", tmpdir);
    fflush(stderr);
    int saved = dup(2);
    assert_true(saved >= 0);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dup2(fd, 2), 2);
    close(fd);
    fn();
    fflush(stderr);
    assert_int_equal(dup2(saved, 2), 2);
    close(saved);
    char *out = gz_read_file(path, NULL);
    assert_non_null(out);
    return out;
}

static void log_some(void)
{
    gz_log_set_quiet(0);
    gz_log_info(9901, "info %s %d", "line", 1);
    gz_log_err(9902, "error line %d", 2);
    gz_log_set_quiet(1);
    gz_log_info(9903, "silenced");
    gz_log_err(9904, "errors are never silenced");
    gz_log_set_quiet(0);
}

static void test_log_lines(void **state)
{
    (void)state;
    char *out = capture_stderr(log_some);
    /* Exactly three lines, each "TIMESTAMP level [id] message". */
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 3);
    assert_non_null(strstr(out, "info [9901] info line 1\n"));
    assert_non_null(strstr(out, "error [9902] error line 2\n"));
    assert_null(strstr(out, "9903"));
    assert_null(strstr(out, "] silenced"));
    assert_non_null(strstr(out, "error [9904] errors are never silenced\n"));
    /* Each line starts with an RFC 3339 UTC timestamp. */
    for (const char *line = out; *line;) {
        char ts[21];
        memcpy(ts, line, 20);
        ts[20] = '\0';
        assert_true(gz_time_parse_rfc3339(ts) > 0);
        assert_int_equal(line[20], ' ');
        line = strchr(line, '\n') + 1;
    }
    free(out);
}

/* Every gz_log_err(N / gz_log_info(N in src/ uses its own N. */

struct log_site {
    int id;
    char where[1100];
};

struct log_sites {
    struct log_site *v;
    size_t n, cap;
};

static void scan_log_ids(const char *path, struct log_sites *sites)
{
    size_t len;
    char *text = gz_read_file(path, &len);
    assert_non_null(text);
    int line = 1;
    for (char *p = text; *p; p++) {
        if (*p == '\n') {
            line++;
            continue;
        }
        if (strncmp(p, "gz_log_", 7) != 0 || (p > text && (p[-1] == '_' ||
            (p[-1] >= 'a' && p[-1] <= 'z'))))
            continue;
        char *q = p + 7;
        if (strncmp(q, "err", 3) == 0)
            q += 3;
        else if (strncmp(q, "info", 4) == 0)
            q += 4;
        else
            continue;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q != '(')
            continue;
        q++;
        while (*q == ' ' || *q == '\t' || *q == '\n')
            q++;
        if (*q < '0' || *q > '9')
            continue; /* the definitions themselves: "(int id" */
        int id = (int)strtol(q, NULL, 10);
        if (sites->n == sites->cap) {
            sites->cap = sites->cap ? sites->cap * 2 : 64;
            sites->v = realloc(sites->v, sites->cap * sizeof *sites->v);
            assert_non_null(sites->v);
        }
        sites->v[sites->n].id = id;
        snprintf(sites->v[sites->n].where, sizeof sites->v[sites->n].where,
                 "%s:%d", path, line);
        sites->n++;
    }
    free(text);
}

static void scan_dir(const char *dir, struct log_sites *sites)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s: %s", dir, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0)
            continue;
        size_t n = strlen(e->d_name);
        if (S_ISDIR(st.st_mode))
            scan_dir(p, sites);
        else if (n > 2 && (strcmp(e->d_name + n - 2, ".c") == 0 ||
                           strcmp(e->d_name + n - 2, ".h") == 0))
            scan_log_ids(p, sites);
    }
    closedir(d);
}

static void test_log_ids_unique(void **state)
{
    (void)state;
    const char *root = getenv("GZ_SOURCE_ROOT");
    char src[1024];
    snprintf(src, sizeof src, "%s/src", root && *root ? root : ".");
    struct log_sites sites = {0};
    scan_dir(src, &sites);
    /* The scan must see the log sites (db.c alone has ten). */
    assert_true(sites.n >= 10);
    int dups = 0;
    for (size_t i = 0; i < sites.n; i++) {
        if (sites.v[i].id <= 0) {
            print_error("log id %d at %s is not positive\n", sites.v[i].id,
                        sites.v[i].where);
            dups++;
        }
        for (size_t j = 0; j < i; j++)
            if (sites.v[i].id == sites.v[j].id) {
                print_error("log id %d used twice: %s and %s\n",
                            sites.v[i].id, sites.v[j].where,
                            sites.v[i].where);
                dups++;
            }
    }
    free(sites.v);
    assert_int_equal(dups, 0);
}

int main(void)
{
    /* Fresh heap memory is filled with a pattern, so a read of bytes
     * nobody wrote shows up as wrong output rather than passing by luck. */
    mallopt(M_PERTURB, 0xa5);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_empty),
        cmocka_unit_test(test_buf_appends),
        cmocka_unit_test(test_buf_embedded_nul),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_printf_grows),
        cmocka_unit_test(test_buf_reset),
        cmocka_unit_test(test_buf_steal),
        cmocka_unit_test(test_buf_overflow_guard),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_time_now),
        cmocka_unit_test(test_time_parse_rfc3339),
        cmocka_unit_test(test_time_roundtrip),
        cmocka_unit_test(test_time_parse_http),
        cmocka_unit_test(test_time_parse_http_impossible_dates),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_len),
        cmocka_unit_test(test_hex),
        cmocka_unit_test(test_random_token),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test_setup_teardown(test_read_file, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test_setup_teardown(test_log_lines, tmp_setup,
                                        tmp_teardown),
        cmocka_unit_test(test_log_ids_unique),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
