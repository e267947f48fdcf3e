/*
 * fuzz_html.c - the text helpers that decide what may reach a page
 * (gazette/html.h: src/render/html.c) and the text checks of
 * gazette/util.h (src/util/util.c), all on the same input:
 *
 *   gz_html_escape, gz_json_in_html, gz_url_encode, gz_url_decode (both
 *   modes), gz_url_is_safe, gz_url_is_origin, gz_slug_valid, gz_slugify,
 *   gz_initials, gz_text_excerpt, gz_utf8_valid_text, gz_utf8_len,
 *   gz_parse_int, gz_time_parse_rfc3339, gz_time_parse_http.
 *
 * Beyond "no crash, no bad memory access", the documented promises are
 * checked (a broken one aborts, so the fuzzer keeps the input):
 * escaped text holds no < > " ', an encoded value decodes back to the
 * input, a slug made by gz_slugify is valid, an excerpt of valid UTF-8 is
 * valid UTF-8, a parsed integer is within its range, and a parsed time
 * prints and parses back to itself.
 *
 * Seeds: tests/fuzz/corpus/html/ (names, titles, URLs, dates, numbers,
 * hostile strings, broken UTF-8).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gazette/html.h"
#include "gazette/util.h"

static void check(int ok, const char *what)
{
    if (!ok)
        fz_die(what);
}

static void escapes(const char *s, size_t n)
{
    struct gz_buf b;
    gz_buf_init(&b);
    gz_html_escape(&b, s, n);
    check(b.len == 0 || !memchr(b.data, '<', b.len), "escape left a <");
    check(b.len == 0 || !memchr(b.data, '>', b.len), "escape left a >");
    check(b.len == 0 || !memchr(b.data, '"', b.len), "escape left a \"");
    check(b.len == 0 || !memchr(b.data, '\'', b.len), "escape left a '");
    gz_buf_reset(&b);
    gz_json_in_html(&b, s, n);
    check(b.len == 0 || !memchr(b.data, '<', b.len), "JSON escape left a <");
    gz_buf_reset(&b);
    /* Encoded, then decoded in either mode: the input again. */
    gz_url_encode(&b, s, n);
    for (int plus = 0; plus < 2; plus++) {
        char *copy = malloc(b.len + 1);
        memcpy(copy, gz_buf_cstr(&b), b.len + 1);
        long d = gz_url_decode(copy, b.len, plus);
        check(d == (long)n && memcmp(copy, s, n) == 0,
              "gz_url_decode(gz_url_encode(x)) != x");
        free(copy);
    }
    gz_buf_free(&b);
    /* Decoding the raw input never grows it. */
    char *raw = malloc(n + 1);
    memcpy(raw, s, n);
    raw[n] = '\0';
    for (int plus = 0; plus < 2; plus++) {
        long d = gz_url_decode(raw, n, plus);
        check(d <= (long)n, "gz_url_decode grew the text");
        if (d < 0)
            break;
        n = (size_t)d;
    }
    free(raw);
}

static void text(const char *s, size_t max_chars)
{
    gz_url_is_safe(s);
    gz_url_is_origin(s);
    gz_slug_valid(s);
    char slug[81];
    gz_slugify(s, slug, sizeof slug);
    check(gz_slug_valid(slug) && strlen(slug) <= 80,
          "gz_slugify made an invalid slug");
    char initials[16];
    gz_initials(s, initials);
    check(strlen(initials) <= 8, "gz_initials wrote more than two letters");
    size_t n = strlen(s);
    char *ex = gz_text_excerpt(s, max_chars);
    check(ex != NULL, "gz_text_excerpt returned NULL");
    if (gz_utf8_valid_text(s, n)) {
        check(gz_utf8_len(s, n) <= n, "gz_utf8_len counted too many");
        check(gz_utf8_valid_text(ex, strlen(ex)),
              "an excerpt of valid UTF-8 is not valid UTF-8");
        check(gz_utf8_len(ex, strlen(ex)) <= max_chars + 1,
              "an excerpt longer than asked");
    }
    free(ex);
    long long v;
    if (gz_parse_int(s, -1000, 1000000, &v) == 0)
        check(v >= -1000 && v <= 1000000, "gz_parse_int out of range");
    gz_parse_int(s, -(1LL << 62), 1LL << 62, &v);
    int64_t t = gz_time_parse_rfc3339(s);
    if (t >= 0 && t <= 253402300799LL) { /* up to 9999-12-31T23:59:59Z */
        char back[32];
        gz_time_rfc3339(t, back);
        check(gz_time_parse_rfc3339(back) == t,
              "an RFC 3339 time does not read back");
    }
    t = gz_time_parse_http(s);
    if (t >= 0 && t <= 253402300799LL) {
        char back[40];
        gz_time_http(t, back);
        check(gz_time_parse_http(back) == t, "an HTTP date does not read back");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        fz_quiet();
        quiet = 1;
    }
    if (size > 64 * 1024)
        return 0;
    const char *s = (const char *)data;
    escapes(s, size);
    gz_utf8_valid_text(s, size);
    char *z = strndup(s, size); /* up to the first NUL */
    if (!z)
        return 0;
    text(z, size ? data[0] % 100 : 0);
    free(z);
    return 0;
}
