/*
 * test_html.c - unit tests for src/render/html.c: the escapers and the
 * small text helpers that decide what may reach a page.
 *
 * Golden, table-driven cases with XSS payloads for gz_html_escape and
 * gz_json_in_html; percent-encoding and decoding (traversal, NUL, bad
 * escapes, '+'); the URL allowlist behind every _url field; slugs (valid
 * and made from free text); initials of UTF-8 names; and excerpts cut at
 * word boundaries without splitting a character. Pure functions, so the
 * tests are single-threaded and need no setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct io {
    const char *in, *want;
};

/* ---- gz_html_escape -------------------------------------------------- */

static const struct io escape_cases[] = {
    {"", ""},
    {"plain text", "plain text"},
    {"& < > \" '", "&amp; &lt; &gt; &quot; &#39;"},
    {"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
    {"\"'><img src=x onerror=alert(1)>",
     "&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;"},
    {"' onmouseover='alert(1)", "&#39; onmouseover=&#39;alert(1)"},
    {"\" onfocus=\"alert(1)\" autofocus=\"",
     "&quot; onfocus=&quot;alert(1)&quot; autofocus=&quot;"},
    {"</textarea><svg/onload=alert(1)>",
     "&lt;/textarea&gt;&lt;svg/onload=alert(1)&gt;"},
    {"<!--", "&lt;!--"},
    {"]]><x>", "]]&gt;&lt;x&gt;"},
    {"&amp;", "&amp;amp;"},          /* no double-unescaping */
    {"&#60;", "&amp;#60;"},
    {"caf\xc3\xa9 \xe2\x98\x83", "caf\xc3\xa9 \xe2\x98\x83"}, /* UTF-8 as is */
    {"\xef\xbc\x9c", "\xef\xbc\x9c"}, /* FULLWIDTH < is not markup */
    {"a\tb\nc", "a\tb\nc"},
    {"`backtick` = {{x}}", "`backtick` = {{x}}"},
    {"<<<>>>", "&lt;&lt;&lt;&gt;&gt;&gt;"},
    {"x&", "x&amp;"},
    {"&x", "&amp;x"},
};

static void test_html_escape(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(escape_cases); i++) {
        struct gz_buf b = {0};
        const char *in = escape_cases[i].in;
        assert_int_equal(gz_html_escape(&b, in, strlen(in)), 0);
        if (strcmp(gz_buf_cstr(&b), escape_cases[i].want) != 0)
            fail_msg("escape(\"%s\") = \"%s\", want \"%s\"", in,
                     gz_buf_cstr(&b), escape_cases[i].want);
        gz_buf_free(&b);
    }
}

static void test_html_escape_appends_and_lengths(void **state)
{
    (void)state;
    struct gz_buf b = {0};
    assert_int_equal(gz_buf_puts(&b, "<p>"), 0);
    /* Only n bytes are read. */
    assert_int_equal(gz_html_escape(&b, "<b>ignored", 3), 0);
    assert_int_equal(gz_buf_puts(&b, "</p>"), 0);
    assert_string_equal(gz_buf_cstr(&b), "<p>&lt;b&gt;</p>");
    gz_buf_reset(&b);
    /* A NUL inside the range is copied, not a terminator. */
    assert_int_equal(gz_html_escape(&b, "a\0<", 3), 0);
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "a\0&lt;", 6);
    gz_buf_free(&b);
}

/* No escaped output ever holds a raw < > " ' or an & that does not start
 * one of the five entities, whatever bytes come in. */
static void test_html_escape_exhaustive_bytes(void **state)
{
    (void)state;
    char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (char)i;
    struct gz_buf b = {0};
    assert_int_equal(gz_html_escape(&b, all, sizeof all), 0);
    for (size_t i = 0; i < b.len; i++) {
        char c = b.data[i];
        assert_true(c != '<' && c != '>' && c != '"' && c != '\'');
        if (c == '&') {
            const char *p = b.data + i;
            assert_true(strncmp(p, "&amp;", 5) == 0 ||
                        strncmp(p, "&lt;", 4) == 0 ||
                        strncmp(p, "&gt;", 4) == 0 ||
                        strncmp(p, "&quot;", 6) == 0 ||
                        strncmp(p, "&#39;", 5) == 0);
        }
    }
    /* 251 bytes as they are plus the five entities. */
    assert_int_equal(b.len, 251 + 5 + 4 + 4 + 6 + 5);
    gz_buf_free(&b);
}

/* ---- gz_json_in_html ------------------------------------------------- */

static const struct io json_cases[] = {
    {"", ""},
    {"{\"a\":1}", "{\"a\":1}"},
    {"{\"x\":\"</script><script>alert(1)</script>\"}",
     "{\"x\":\"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"
     "\\u003c/script\\u003e\"}"},
    {"{\"x\":\"<!--\"}", "{\"x\":\"\\u003c!--\"}"},
    {"{\"x\":\"a & b\"}", "{\"x\":\"a \\u0026 b\"}"},
    /* Quotes and backslashes are JSON's business: unchanged. */
    {"{\"x\":\"\\\"'\\\\\"}", "{\"x\":\"\\\"'\\\\\"}"},
    {"{\"x\":\"caf\xc3\xa9\"}", "{\"x\":\"caf\xc3\xa9\"}"},
};

static void test_json_in_html(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(json_cases); i++) {
        struct gz_buf b = {0};
        const char *in = json_cases[i].in;
        assert_int_equal(gz_json_in_html(&b, in, strlen(in)), 0);
        if (strcmp(gz_buf_cstr(&b), json_cases[i].want) != 0)
            fail_msg("json_in_html(%s) = %s, want %s", in, gz_buf_cstr(&b),
                     json_cases[i].want);
        /* Nothing that could end the script element survives. */
        assert_null(strchr(gz_buf_cstr(&b), '<'));
        assert_null(strchr(gz_buf_cstr(&b), '>'));
        assert_null(strchr(gz_buf_cstr(&b), '&'));
        gz_buf_free(&b);
    }
}

/* ---- URLs ------------------------------------------------------------ */

static const struct io encode_cases[] = {
    {"", ""},
    {"AZaz09-_.~", "AZaz09-_.~"},
    {"a b", "a%20b"},
    {"a+b", "a%2Bb"},
    {"a&b=c", "a%26b%3Dc"},
    {"/path?q#f", "%2Fpath%3Fq%23f"},
    {"%", "%25"},
    {"caf\xc3\xa9", "caf%C3%A9"},
    {"\"<'>", "%22%3C%27%3E"},
    {"\r\n", "%0D%0A"},
};

static void test_url_encode(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(encode_cases); i++) {
        struct gz_buf b = {0};
        const char *in = encode_cases[i].in;
        assert_int_equal(gz_url_encode(&b, in, strlen(in)), 0);
        if (strcmp(gz_buf_cstr(&b), encode_cases[i].want) != 0)
            fail_msg("url_encode(%s) = %s, want %s", in, gz_buf_cstr(&b),
                     encode_cases[i].want);
        gz_buf_free(&b);
    }
    /* A NUL byte is encoded, not a terminator. */
    struct gz_buf b = {0};
    assert_int_equal(gz_url_encode(&b, "a\0b", 3), 0);
    assert_string_equal(gz_buf_cstr(&b), "a%00b");
    gz_buf_free(&b);
}

struct decode_case {
    const char *in;
    int plus;
    long want_len; /* -1: malformed */
    const char *want;
};

static const struct decode_case decode_cases[] = {
    {"", 0, 0, ""},
    {"plain", 0, 5, "plain"},
    {"%2e%2e%2f", 0, 3, "../"},
    {"%2E%2E%2F%2e%2E%2f", 0, 6, "../../"},
    {"..%2fetc%2fpasswd", 0, 13, "../etc/passwd"},
    {"%41%42c", 0, 3, "ABc"},
    {"caf%C3%a9", 0, 5, "caf\xc3\xa9"},
    {"a+b", 1, 3, "a b"},
    {"a+b", 0, 3, "a+b"},
    {"a%2Bb", 1, 3, "a+b"},
    {"%20+%20", 1, 3, "   "},
    {"%25", 0, 1, "%"},
    {"%2525", 0, 3, "%25"}, /* decoded once only */
    {"%zz", 0, -1, NULL},
    {"%2", 0, -1, NULL},
    {"%", 0, -1, NULL},
    {"abc%", 0, -1, NULL},
    {"abc%4", 0, -1, NULL},
    {"%g1", 0, -1, NULL},
    {"%1g", 0, -1, NULL},
    {"% 1", 0, -1, NULL},
    {"%-1", 0, -1, NULL},
    {"%+1", 1, -1, NULL},
};

static void test_url_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(decode_cases); i++) {
        const struct decode_case *c = &decode_cases[i];
        char buf[64];
        size_t n = strlen(c->in);
        memcpy(buf, c->in, n + 1);
        long got = gz_url_decode(buf, n, c->plus);
        if (got != c->want_len)
            fail_msg("url_decode(\"%s\") = %ld, want %ld", c->in, got,
                     c->want_len);
        if (c->want) {
            assert_memory_equal(buf, c->want, (size_t)got);
            if ((size_t)got < n)
                assert_int_equal(buf[got], '\0');
        }
    }
}

static void test_url_decode_nul(void **state)
{
    (void)state;
    /* %00 decodes to a real NUL: the length counts it, so callers can see
     * that the value is not a C string. */
    char buf[] = "a%00b.txt";
    long n = gz_url_decode(buf, strlen(buf), 0);
    assert_int_equal(n, 7);
    assert_memory_equal(buf, "a\0b.txt", 7);
    assert_true(strlen(buf) < (size_t)n);

    char only[] = "%00";
    assert_int_equal(gz_url_decode(only, 3, 1), 1);
    assert_int_equal(only[0], '\0');

    /* Only n bytes are looked at: "%41" cut to "%4" is malformed. */
    char cut[] = "%41";
    assert_int_equal(gz_url_decode(cut, 2, 0), -1);
    char part[] = "ab%41";
    assert_int_equal(gz_url_decode(part, 2, 0), 2);
    assert_memory_equal(part, "ab", 2);
}

struct safe_case {
    const char *url;
    int safe;
};

static const struct safe_case safe_cases[] = {
    {"/", 1},
    {"/articles/slug", 1},
    {"/search?q=a&page=2", 1},
    {"/a#frag", 1},
    {"/media/abc.png", 1},
    {"http://example.com", 1},
    {"https://example.com/x?y=1", 1},
    {"https://example.com:8443/a/b", 1},
    {"http://[::1]:8080/", 1},
    /* Schemes that run code or smuggle content. */
    {"javascript:alert(1)", 0},
    {"JavaScript:alert(1)", 0},
    {" javascript:alert(1)", 0},
    {"\tjavascript:alert(1)", 0},
    {"java\nscript:alert(1)", 0},
    {"vbscript:msgbox(1)", 0},
    {"data:text/html,<script>alert(1)</script>", 0},
    {"data:image/png;base64,AAAA", 0},
    {"file:///etc/passwd", 0},
    {"ftp://example.com/", 0},
    {"mailto:a@example.com", 0},
    {"HTTP://EXAMPLE.COM", 0}, /* not needed, so not allowed */
    {"https:example.com", 0},
    {"http:/example.com", 0},
    /* Protocol-relative and backslash tricks leave the site. */
    {"//evil.example", 0},
    {"//evil.example/path", 0},
    {"/\\evil.example", 0},
    {"\\\\evil.example", 0},
    {"/\\/evil.example", 0},
    /* Relative without a leading slash is not accepted. */
    {"articles/slug", 0},
    {"slug", 0},
    {"?q=1", 0},
    {"#top", 0},
    {"", 0},
    /* Characters that break out of an attribute or a URL. */
    {"/a b", 0},
    {"https://example.com/a b", 0},
    {"/a\"onmouseover=alert(1)", 0},
    {"/a'onmouseover=alert(1)", 0},
    {"/a><script>", 0},
    {"https://example.com/<x>", 0},
    {"/a\tb", 0},
    {"/a\nb", 0},
    {"/a\rb", 0},
    {"/a\x7f", 0},
    {"/a\x01", 0},
};

static void test_url_is_origin(void **state)
{
    (void)state;
    static const struct {
        const char *url;
        int ok;
    } cases[] = {
        {"https://news.example.org", 1},
        {"http://127.0.0.1:8080", 1},
        {"https://news.example.org/", 0},
        {"https://news.example.org/news", 0},
        {"https://news.example.org?x=1", 0},
        {"https://user@news.example.org", 0},
        {"https://news.example.org:", 0},
        {"https://news.example.org:80x", 0},
        {"https://", 0},
        {"ftp://example.org", 0},
        {"javascript:alert(1)", 0},
        {"https://exa mple.org", 0},
        {"https://example.org\"><script>", 0},
        {"https://ex\xc3\xa9mple.org", 0},
        {"", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (gz_url_is_origin(cases[i].url) != cases[i].ok)
            fail_msg("gz_url_is_origin(\"%s\") should be %d", cases[i].url,
                     cases[i].ok);
}

static void test_url_is_safe(void **state)
{
    (void)state;
    assert_int_equal(gz_url_is_safe(NULL), 0);
    for (size_t i = 0; i < N(safe_cases); i++) {
        int got = gz_url_is_safe(safe_cases[i].url);
        if (got != safe_cases[i].safe)
            fail_msg("gz_url_is_safe(\"%s\") = %d, want %d",
                     safe_cases[i].url, got, safe_cases[i].safe);
    }
}

/* ---- slugs ----------------------------------------------------------- */

static void test_slug_valid(void **state)
{
    (void)state;
    static const struct safe_case cases[] = {
        {"a", 1},      {"abc", 1},    {"a-b", 1},     {"2026", 1},
        {"abc-123-x", 1}, {"a--b", 1},
        {"", 0},       {"-a", 0},     {"a-", 0},      {"-", 0},
        {"A", 0},      {"aB", 0},     {"a_b", 0},     {"a b", 0},
        {"a.b", 0},    {"a/b", 0},    {"../x", 0},    {"a%20b", 0},
        {"caf\xc3\xa9", 0}, {"a\nb", 0}, {"<x>", 0},  {"a'", 0},
    };
    assert_int_equal(gz_slug_valid(NULL), 0);
    for (size_t i = 0; i < N(cases); i++) {
        int got = gz_slug_valid(cases[i].url);
        if (got != cases[i].safe)
            fail_msg("gz_slug_valid(\"%s\") = %d", cases[i].url, got);
    }
    char s[202];
    memset(s, 'a', 200);
    s[200] = '\0';
    assert_int_equal(gz_slug_valid(s), 1);
    s[200] = 'a';
    s[201] = '\0';
    assert_int_equal(gz_slug_valid(s), 0);
}

static const struct io slugify_cases[] = {
    {"Hello, World!", "hello-world"},
    {"  Leading and trailing  ", "leading-and-trailing"},
    {"UPPER lower 123", "upper-lower-123"},
    {"a---b", "a-b"},
    {"a - b _ c", "a-b-c"},
    {"Putin's war", "putins-war"},
    {"Caf\xc3\xa9 au lait", "caf-au-lait"},
    {"\xc3\x89lodie \xc3\x91\xc3\xba\xc3\xb1" "ez", "lodie-ez"},
    {"Tokyo \xe6\x9d\xb1\xe4\xba\xac 2026", "tokyo-2026"},
    {"<script>alert(1)</script>", "script-alert-1-script"},
    {"../../etc/passwd", "etc-passwd"},
    {"100% sure?", "100-sure"},
    {"", "story"},
    {"!!!", "story"},
    {"   ", "story"},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "story"},
    {"-", "story"},
};

static void test_slugify(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(slugify_cases); i++) {
        char out[100];
        memset(out, 'Z', sizeof out);
        gz_slugify(slugify_cases[i].in, out, sizeof out);
        if (strcmp(out, slugify_cases[i].want) != 0)
            fail_msg("gz_slugify(\"%s\") = \"%s\", want \"%s\"",
                     slugify_cases[i].in, out, slugify_cases[i].want);
        assert_int_equal(gz_slug_valid(out), 1);
    }
}

static void test_slugify_long(void **state)
{
    (void)state;
    char in[400], out[200];
    /* One long word: exactly 80 characters kept. */
    memset(in, 'x', 300);
    in[300] = '\0';
    gz_slugify(in, out, sizeof out);
    assert_int_equal(strlen(out), 80);
    assert_int_equal(gz_slug_valid(out), 1);

    /* Words: at most 80, never ending on a dash, always valid; and the
     * kept text is a prefix of the slug of the whole. */
    const char *words = "The quick brown fox jumps over the lazy dog while "
                        "the council debates the new harbour bridge plans "
                        "for a third year in a row";
    gz_slugify(words, out, sizeof out);
    assert_true(strlen(out) <= 80);
    assert_true(strlen(out) >= 70);
    assert_int_equal(gz_slug_valid(out), 1);
    assert_memory_equal(out, "the-quick-brown-fox-jumps-over-the-lazy-dog",
                        43);

    /* Every cut point of a dashed text gives a valid slug. */
    for (size_t len = 1; len < 120; len++) {
        char buf[130];
        for (size_t i = 0; i < len; i++)
            buf[i] = (i % 3 == 2) ? ' ' : 'a';
        buf[len] = '\0';
        gz_slugify(buf, out, sizeof out);
        if (!gz_slug_valid(out) || strlen(out) > 80)
            fail_msg("slugify of %zu chars gave \"%s\"", len, out);
    }

    /* At the 80-character limit a word is dropped whole or kept after
     * its dash: the cut never glues two words into one ("aaab"). */
    memset(in, 'a', 79);
    memcpy(in + 79, " bb", 4);
    gz_slugify(in, out, sizeof out);
    assert_true(strlen(out) <= 80);
    assert_int_equal(gz_slug_valid(out), 1);
    if (strchr(out, 'b') && !strstr(out, "-b"))
        fail_msg("slugify glued the last word on: ...%s", out + 70);

    /* A small output buffer truncates and stays terminated and valid. */
    char small[8];
    gz_slugify("abcdefghijkl mnop", small, sizeof small);
    assert_int_equal(strlen(small), 7);
    assert_string_equal(small, "abcdefg");
    gz_slugify("ab cd ef gh", small, sizeof small);
    assert_true(strlen(small) <= 7);
    assert_int_equal(gz_slug_valid(small), 1);
}

/* ---- initials -------------------------------------------------------- */

static const struct io initials_cases[] = {
    {"Bea Ploom", "BP"},
    {"bea ploom", "BP"},
    {"Plato", "P"},
    {"", ""},
    {"   ", ""},
    {"  Ann   Lee  ", "AL"},
    {"Ann\tLee", "AL"},
    {"Mary Ann Evans", "MA"},
    {"Jean-Luc Picard", "JL"},
    {"\xc3\x89lodie \xc3\x91\xc3\xba\xc3\xb1" "ez", "\xc3\x89\xc3\x91"},
    {"\xc3\x89lodie", "\xc3\x89"},
    {"\xe6\x9d\x91\xe4\xb8\x8a \xe6\x98\xa5\xe6\xa8\xb9",
     "\xe6\x9d\x91\xe6\x98\xa5"}, /* 村上 春樹 */
    {"\xf0\x9f\x98\x80 Smile", "\xf0\x9f\x98\x80S"},
    {"<b> Evil", "<E"}, /* raw: templates escape it */
};

static void test_initials(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(initials_cases); i++) {
        char out[16];
        memset(out, 'Z', sizeof out);
        gz_initials(initials_cases[i].in, out);
        if (strcmp(out, initials_cases[i].want) != 0)
            fail_msg("gz_initials(\"%s\") = \"%s\", want \"%s\"",
                     initials_cases[i].in, out, initials_cases[i].want);
    }
}

static void test_initials_hostile(void **state)
{
    (void)state;
    /* Broken UTF-8 never runs past the input or the 16-byte output. */
    static const char *const inputs[] = {
        "\xc3",           "\xe6\x9d",         "\xf0\x9f\x98",
        "\xff\xff \xfe",  "\x80\x80\x80 \x80", "a \xf0",
        "\xf0\x9f\x98\x80\xf0\x9f\x98\x80 \xf0\x9f\x98\x80",
    };
    for (size_t i = 0; i < N(inputs); i++) {
        char out[16];
        gz_initials(inputs[i], out);
        assert_true(strlen(out) <= 8);
    }
    /* A lead byte promising three more bytes at the end of a word: the
     * bytes after the NUL (a space and a "Q" here) must never be read,
     * or "Q" would become a second initial. */
    static const char tail[] = "ab\xf0\0\0\0 Q";
    char out[16];
    gz_initials(tail, out);
    assert_string_equal(out, "A");
}

/* ---- excerpts -------------------------------------------------------- */

struct excerpt_case {
    const char *in;
    size_t max;
    const char *want;
};

#define ELL "\xe2\x80\xa6"

static const struct excerpt_case excerpt_cases[] = {
    {"", 10, ""},
    {"Short text.", 100, "Short text."},
    {"Exactly ten", 11, "Exactly ten"},
    {"The council met on Tuesday", 17, "The council met" ELL},
    {"Hello, world and more", 8, "Hello" ELL}, /* no dangling comma */
    {"One. Two three", 8, "One" ELL},
    {"Supercalifragilistic", 5, "Super" ELL}, /* no space: hard cut */
    {"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 \xc3\xa9\xc3\xa9\xc3\xa9", 7,
     "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9" ELL},
    {"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac", 2,
     "\xe6\x97\xa5\xe6\x9c\xac" ELL},
    {"line one\nline two", 12, "line one" ELL},
};

static void test_text_excerpt(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(excerpt_cases); i++) {
        char *got = gz_text_excerpt(excerpt_cases[i].in, excerpt_cases[i].max);
        assert_non_null(got);
        if (strcmp(got, excerpt_cases[i].want) != 0)
            fail_msg("gz_text_excerpt(\"%s\", %zu) = \"%s\", want \"%s\"",
                     excerpt_cases[i].in, excerpt_cases[i].max, got,
                     excerpt_cases[i].want);
        free(got);
    }
}

/* For every limit, the excerpt is valid UTF-8, at most max code points
 * plus the ellipsis, a prefix of the text, and marked when it was cut. */
static void test_text_excerpt_properties(void **state)
{
    (void)state;
    const char *text =
        "\xc3\x89lodie \xc3\x91\xc3\xba\xc3\xb1" "ez wrote: \xe2\x80\x9c"
        "Caf\xc3\xa9s close early\xe2\x80\x9d, and the \xf0\x9f\x9a\xb2 "
        "lanes open on Monday; \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e too.";
    size_t n = strlen(text), cps = gz_utf8_len(text, n);
    for (size_t max = 1; max <= cps + 2; max++) {
        char *got = gz_text_excerpt(text, max);
        assert_non_null(got);
        size_t gl = strlen(got);
        if (!gz_utf8_valid_text(got, gl))
            fail_msg("excerpt at %zu is not valid UTF-8: %s", max, got);
        int cut = gl >= 3 && strcmp(got + gl - 3, ELL) == 0 &&
                  strcmp(got, text) != 0;
        if (max >= cps) {
            assert_string_equal(got, text);
        } else {
            assert_true(cut);
            size_t body = gl - 3;
            assert_true(gz_utf8_len(got, body) <= max);
            assert_memory_equal(got, text, body);
        }
        free(got);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_escape),
        cmocka_unit_test(test_html_escape_appends_and_lengths),
        cmocka_unit_test(test_html_escape_exhaustive_bytes),
        cmocka_unit_test(test_json_in_html),
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_url_decode),
        cmocka_unit_test(test_url_decode_nul),
        cmocka_unit_test(test_url_is_safe),
        cmocka_unit_test(test_url_is_origin),
        cmocka_unit_test(test_slug_valid),
        cmocka_unit_test(test_slugify),
        cmocka_unit_test(test_slugify_long),
        cmocka_unit_test(test_initials),
        cmocka_unit_test(test_initials_hostile),
        cmocka_unit_test(test_text_excerpt),
        cmocka_unit_test(test_text_excerpt_properties),
    };
    return cmocka_run_group_tests_name("html", tests, NULL, NULL);
}
