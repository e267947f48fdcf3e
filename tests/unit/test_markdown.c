/*
 * test_markdown.c - unit tests for src/render/markdown.c: story Markdown
 * through cmark and the allow-list sanitizer, and the plain-text comment
 * formatter.
 *
 * Golden, table-driven cases for the Markdown a newsroom uses (headings,
 * quotes, lists, links, emphasis, smart punctuation); safety cases where
 * scripts, event handlers and javascript:/vbscript:/data: links must not
 * survive (allowed raw HTML, tests/unit/test_sanitize.c); the plain text and word count behind search, excerpts and the
 * reading time; and comment bodies (escaping, <br>, paragraphs, linked
 * http(s) URLs with rel="nofollow ugc", nothing else linked).
 * Pure functions: single-threaded, no setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/markdown.h"
#include "gazette/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct md_case {
    const char *name, *md, *html, *plain;
    int words;
};

static const struct md_case md_cases[] = {
    {"subheading", "## Subheading", "<h2>Subheading</h2>\n", "Subheading", 1},
    {"heading_levels", "### Three\n\n#### Four",
     "<h3>Three</h3>\n<h4>Four</h4>\n", "Three Four", 2},
    {"paragraphs", "First para.\n\nSecond para.",
     "<p>First para.</p>\n<p>Second para.</p>\n", "First para. Second para.",
     4},
    {"soft_break", "one\ntwo", "<p>one\ntwo</p>\n", "one two", 2},
    {"block_quote", "> Quoted words",
     "<blockquote>\n<p>Quoted words</p>\n</blockquote>\n", "Quoted words", 2},
    {"bullet_list", "- apples\n- pears",
     "<ul>\n<li>apples</li>\n<li>pears</li>\n</ul>\n", "apples pears", 2},
    {"ordered_list", "1. first\n2. second",
     "<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n", "first second", 2},
    {"link", "[the council](https://example.com/c)",
     "<p><a href=\"https://example.com/c\">the council</a></p>\n",
     "the council", 2},
    {"link_title", "[x](/articles/y \"A title\")",
     "<p><a href=\"/articles/y\" title=\"A title\">x</a></p>\n", "x", 1},
    {"emphasis", "*em* **strong** `code`",
     "<p><em>em</em> <strong>strong</strong> <code>code</code></p>\n",
     "em strong code", 3},
    {"emphasis_inside_word", "un**believ**able",
     "<p>un<strong>believ</strong>able</p>\n", "unbelievable", 1},
    {"smart_punctuation", "\"Hi\" -- it's",
     "<p>\xe2\x80\x9cHi\xe2\x80\x9d \xe2\x80\x93 it\xe2\x80\x99s</p>\n",
     "\xe2\x80\x9cHi\xe2\x80\x9d \xe2\x80\x93 it\xe2\x80\x99s", 3},
    {"escaping", "a & b < c > d", "<p>a &amp; b &lt; c &gt; d</p>\n",
     "a & b < c > d", 7},
    {"entity_stays_text", "&lt;script&gt;",
     "<p>&lt;script&gt;</p>\n", "<script>", 1},
    {"image", "![Harbour at dawn](/media/a.jpg)",
     "<p><img src=\"/media/a.jpg\" alt=\"Harbour at dawn\" /></p>\n",
     "Harbour at dawn", 3},
    {"utf8", "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
     "<p>Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac</p>\n",
     "Caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac", 2},
    {"plain_text", "Just a sentence with no markup.",
     "<p>Just a sentence with no markup.</p>\n",
     "Just a sentence with no markup.", 6},
    {"empty", "", "", "", 0},
    {"blank_lines", "\n\n   \n", "", "", 0},
};

static void test_md_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(md_cases); i++) {
        const struct md_case *c = &md_cases[i];
        struct gz_md md;
        assert_int_equal(gz_md_render(c->md, strlen(c->md), &md), 0);
        assert_non_null(md.html);
        assert_non_null(md.plain);
        if (strcmp(md.html, c->html) != 0)
            fail_msg("%s: html = \"%s\", want \"%s\"", c->name, md.html,
                     c->html);
        if (strcmp(md.plain, c->plain) != 0)
            fail_msg("%s: plain = \"%s\", want \"%s\"", c->name, md.plain,
                     c->plain);
        if (md.words != c->words)
            fail_msg("%s: words = %d, want %d", c->name, md.words, c->words);
        assert_int_equal(md.reading_time, 1);
        gz_md_free(&md);
    }
}

/* The plain text of any story is a real string: empty when the story has
 * no text at all (raw HTML only, an empty body), never uninitialised heap
 * bytes that would reach search and card excerpts. */
static void test_md_plain_when_no_text(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "", "<script>alert(1)</script>", "<div>\n</div>", "***", "---",
        "<!-- note -->",
    };
    for (size_t i = 0; i < N(inputs); i++) {
        struct gz_md md;
        assert_int_equal(gz_md_render(inputs[i], strlen(inputs[i]), &md), 0);
        assert_non_null(md.plain);
        if (md.plain[0] != '\0')
            fail_msg("plain text of \"%s\" is not empty (first byte 0x%02x)",
                     inputs[i], (unsigned char)md.plain[0]);
        assert_int_equal(md.words, 0);
        assert_int_equal(md.reading_time, 1);
        gz_md_free(&md);
    }
}

/* ---- safe mode ------------------------------------------------------- */

/* The value of every href="..." and src="..." in html. */
static void check_urls(const char *name, const char *html)
{
    static const char *const attrs[] = {"href=\"", "src=\""};
    for (size_t a = 0; a < N(attrs); a++) {
        for (const char *p = strstr(html, attrs[a]); p;
             p = strstr(p + 1, attrs[a])) {
            const char *v = p + strlen(attrs[a]);
            const char *end = strchr(v, '"');
            assert_non_null(end);
            char url[256];
            size_t n = (size_t)(end - v) < sizeof url - 1
                           ? (size_t)(end - v)
                           : sizeof url - 1;
            memcpy(url, v, n);
            url[n] = '\0';
            for (char *q = url; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            if (strstr(url, "javascript:") || strstr(url, "vbscript:") ||
                strstr(url, "data:") || strstr(url, "file:"))
                fail_msg("%s: unsafe URL kept: %s", name, html);
        }
    }
}

struct unsafe_case {
    const char *name, *md;
    const char *keep; /* text that must still be there, or NULL */
};

static const struct unsafe_case unsafe_cases[] = {
    {"script_block", "<script>alert(1)</script>", NULL},
    {"script_inline", "Hello <script>alert(1)</script> there", "Hello"},
    {"img_onerror", "x <img src=x onerror=alert(1)> y", "x "},
    {"img_onerror_block", "<img src=x onerror=alert(1)>", NULL},
    {"svg_onload", "<svg onload=alert(1)>", NULL},
    {"iframe", "<iframe src=\"javascript:alert(1)\"></iframe>", NULL},
    {"b_onclick", "<b onclick=\"alert(1)\">hi</b>", "hi"},
    {"style", "<style>body{display:none}</style>", NULL},
    {"link_javascript", "[click](javascript:alert(1))", "click"},
    {"link_javascript_upper", "[click](JAVASCRIPT:alert(1))", "click"},
    {"link_javascript_entity", "[click](jav&#x61;script:alert(1))", "click"},
    {"link_javascript_escaped", "[click](java\\script:alert(1))", NULL},
    {"link_vbscript", "[click](vbscript:msgbox(1))", "click"},
    {"link_data", "[click](data:text/html;base64,PHNjcmlwdD4=)", "click"},
    {"link_file", "[click](file:///etc/passwd)", "click"},
    {"image_javascript", "![pic](javascript:alert(1))", "pic"},
    {"autolink_javascript", "<javascript:alert(1)>", NULL},
    {"reference_javascript", "[x][r]\n\n[r]: javascript:alert(1)", NULL},
    {"title_breakout", "[x](/a \"\\\" onmouseover=\\\"alert(1)\")", NULL},
    {"html_comment_breakout", "<!-- --><script>alert(1)</script> -->", NULL},
};

static void test_md_safe(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(unsafe_cases); i++) {
        const struct unsafe_case *c = &unsafe_cases[i];
        struct gz_md md;
        assert_int_equal(gz_md_render(c->md, strlen(c->md), &md), 0);
        const char *h = md.html;
        if (strstr(h, "<script") || strstr(h, "<img src=x") ||
            strstr(h, "<svg") || strstr(h, "<iframe") ||
            strstr(h, "<style") || strstr(h, "<b ") ||
            strstr(h, " onerror=") || strstr(h, " onload=") ||
            strstr(h, " onclick=") || strstr(h, "\" onmouseover="))
            fail_msg("%s: markup survived: %s", c->name, h);
        check_urls(c->name, h);
        if (c->keep && !strstr(h, c->keep))
            fail_msg("%s: text \"%s\" lost: %s", c->name, c->keep, h);
        /* Raw HTML never reaches the plain text either. */
        assert_null(strstr(md.plain, "<script"));
        gz_md_free(&md);
    }
}

static void test_md_safe_links_kept(void **state)
{
    (void)state;
    /* Safe schemes and relative links survive the filter. */
    static const struct {
        const char *md, *href;
    } cases[] = {
        {"[a](https://example.com/x?y=1&z=2)",
         "href=\"https://example.com/x?y=1&amp;z=2\""},
        {"[a](http://example.com)", "href=\"http://example.com\""},
        {"[a](/tags/city)", "href=\"/tags/city\""},
        {"[a](#section)", "href=\"#section\""},
        {"[a](mailto:desk@example.com)", "href=\"mailto:desk@example.com\""},
        {"<https://example.com>", "href=\"https://example.com\""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct gz_md md;
        assert_int_equal(gz_md_render(cases[i].md, strlen(cases[i].md), &md),
                         0);
        if (!strstr(md.html, cases[i].href))
            fail_msg("%s: want %s in %s", cases[i].md, cases[i].href,
                     md.html);
        gz_md_free(&md);
    }
}

static void test_md_invalid_utf8(void **state)
{
    (void)state;
    /* Invalid bytes are replaced, so the stored HTML is valid UTF-8. */
    const char in[] = "bad \xff\xfe bytes \xc0\xaf here";
    struct gz_md md;
    assert_int_equal(gz_md_render(in, sizeof in - 1, &md), 0);
    assert_true(gz_utf8_valid_text(md.html, strlen(md.html)));
    assert_true(gz_utf8_valid_text(md.plain, strlen(md.plain)));
    assert_non_null(strstr(md.html, "bytes"));
    gz_md_free(&md);

    /* Only len bytes are read. */
    assert_int_equal(gz_md_render("## Head\n\nignored", 7, &md), 0);
    assert_string_equal(md.html, "<h2>Head</h2>\n");
    gz_md_free(&md);
}

/* ---- words and reading time ------------------------------------------ */

static char *words_text(int n, const char *word)
{
    struct gz_buf b = {0};
    for (int i = 0; i < n; i++)
        assert_int_equal(gz_buf_printf(&b, "%s%s", i ? (i % 12 ? " " : "\n")
                                                     : "", word), 0);
    return gz_buf_steal(&b, NULL);
}

static void test_md_reading_time(void **state)
{
    (void)state;
    static const struct {
        int words, minutes;
    } cases[] = {
        {1, 1},   {229, 1}, {230, 1}, {231, 2}, {460, 2},
        {461, 3}, {690, 3}, {2300, 10}, {2301, 11},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char *text = words_text(cases[i].words, "word");
        struct gz_md md;
        assert_int_equal(gz_md_render(text, strlen(text), &md), 0);
        if (md.words != cases[i].words ||
            md.reading_time != cases[i].minutes)
            fail_msg("%d words: counted %d, %d min; want %d min",
                     cases[i].words, md.words, md.reading_time,
                     cases[i].minutes);
        gz_md_free(&md);
        free(text);
    }
}

static void test_md_word_count_markup(void **state)
{
    (void)state;
    static const struct {
        const char *md;
        int words;
    } cases[] = {
        {"## Title\n\nBody text here.", 4},
        {"- one\n- two\n- three", 3},
        {"**bold** and *em*", 3},
        {"[link text](https://example.com/long/url)", 2},
        {"> quoted\n> more", 2},
        {"word\n\n\n\nword", 2},
        {"tabs\tand  spaces", 3},
        /* a script's code is not text a reader sees */
        {"Hello <script>alert(1)</script> world", 2},
        {"<table><tr><td>one cell</td><td>two</td></tr></table>", 3},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct gz_md md;
        assert_int_equal(gz_md_render(cases[i].md, strlen(cases[i].md), &md),
                         0);
        if (md.words != cases[i].words)
            fail_msg("\"%s\": %d words, want %d", cases[i].md, md.words,
                     cases[i].words);
        /* The plain text has no markup characters from the syntax. */
        assert_null(strchr(md.plain, '<'));
        assert_null(strstr(md.plain, "**"));
        assert_null(strstr(md.plain, "##"));
        gz_md_free(&md);
    }
}

static void test_md_free_twice(void **state)
{
    (void)state;
    struct gz_md md;
    assert_int_equal(gz_md_render("x", 1, &md), 0);
    gz_md_free(&md);
    assert_null(md.html);
    assert_null(md.plain);
    gz_md_free(&md);
}

/* ---- comments -------------------------------------------------------- */

static const struct {
    const char *in, *want;
} comment_cases[] = {
    {"Nice piece.", "<p>Nice piece.</p>"},
    {"line one\nline two", "<p>line one<br>line two</p>"},
    {"line one\r\nline two", "<p>line one<br>line two</p>"},
    {"para one\n\npara two", "<p>para one</p><p>para two</p>"},
    {"para one\r\n\r\npara two", "<p>para one</p><p>para two</p>"},
    {"a\n\n\n\n\nb", "<p>a</p><p>b</p>"},
    {"a\nb\n\nc\nd", "<p>a<br>b</p><p>c<br>d</p>"},
    {"\n\n\nleading", "<p>leading</p>"},
    {"trailing\n\n\n", "<p>trailing</p>"},
    {"trailing\n", "<p>trailing</p>"},
    /* Hostile text comes back escaped. */
    {"<script>alert(1)</script>",
     "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"},
    {"\"'><img src=x onerror=alert(1)>",
     "<p>&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;</p>"},
    {"<b>not bold</b> & co", "<p>&lt;b&gt;not bold&lt;/b&gt; &amp; co</p>"},
    {"*not* markdown", "<p>*not* markdown</p>"},
    /* http(s) URLs are linked, trailing punctuation left outside. */
    {"see https://example.com/x",
     "<p>see <a href=\"https://example.com/x\" rel=\"nofollow ugc\">"
     "https://example.com/x</a></p>"},
    {"http://example.com",
     "<p><a href=\"http://example.com\" rel=\"nofollow ugc\">"
     "http://example.com</a></p>"},
    {"go to https://example.com/a?b=1&c=2.",
     "<p>go to <a href=\"https://example.com/a?b=1&amp;c=2\" "
     "rel=\"nofollow ugc\">https://example.com/a?b=1&amp;c=2</a>.</p>"},
    {"(https://example.com)",
     "<p>(<a href=\"https://example.com\" rel=\"nofollow ugc\">"
     "https://example.com</a>)</p>"},
    {"a\nhttps://example.com/b",
     "<p>a<br><a href=\"https://example.com/b\" rel=\"nofollow ugc\">"
     "https://example.com/b</a></p>"},
    /* A quote ends the URL: no attribute breakout. */
    {"https://example.com/\"onmouseover=\"alert(1)",
     "<p><a href=\"https://example.com/\" rel=\"nofollow ugc\">"
     "https://example.com/</a>&quot;onmouseover=&quot;alert(1)</p>"},
    {"https://example.com/<script>",
     "<p><a href=\"https://example.com/\" rel=\"nofollow ugc\">"
     "https://example.com/</a>&lt;script&gt;</p>"},
    /* Nothing else is linked. */
    {"javascript:alert(1)", "<p>javascript:alert(1)</p>"},
    {"JAVASCRIPT:alert(1)//https://x", "<p>JAVASCRIPT:alert(1)//https://x</p>"},
    {"data:text/html,<b>", "<p>data:text/html,&lt;b&gt;</p>"},
    {"ftp://example.com", "<p>ftp://example.com</p>"},
    {"www.example.com", "<p>www.example.com</p>"},
    {"xhttps://example.com", "<p>xhttps://example.com</p>"},
    {"https://", "<p>https://</p>"},
    {"caf\xc3\xa9 \xe2\x98\x83", "<p>caf\xc3\xa9 \xe2\x98\x83</p>"},
};

static void test_comment_html(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(comment_cases); i++) {
        char *got = gz_comment_html(comment_cases[i].in);
        assert_non_null(got);
        if (strcmp(got, comment_cases[i].want) != 0)
            fail_msg("gz_comment_html(\"%s\")\n  = %s\n want %s",
                     comment_cases[i].in, got, comment_cases[i].want);
        free(got);
    }
}

/* Whatever the text, the only tags in the output are <p>, </p>, <br> and
 * <a href="http..." rel="nofollow ugc">/</a>. */
static void test_comment_only_known_tags(void **state)
{
    (void)state;
    static const char *const inputs[] = {
        "<a href=\"javascript:alert(1)\">x</a>",
        "https://e.com/<img src=x onerror=alert(1)>",
        "https://e.com/\"><script>alert(1)</script>",
        "https://e.com/'onmouseover='alert(1)'",
        "text\n\n<p>\n<br>\n</p>",
        "https://a.b https://c.d\nhttps://e.f\n\nhttps://g.h",
        "<<https://e.com>>",
    };
    for (size_t i = 0; i < N(inputs); i++) {
        char *got = gz_comment_html(inputs[i]);
        assert_non_null(got);
        for (const char *p = strchr(got, '<'); p; p = strchr(p + 1, '<')) {
            if (strncmp(p, "<p>", 3) == 0 || strncmp(p, "</p>", 4) == 0 ||
                strncmp(p, "<br>", 4) == 0 || strncmp(p, "</a>", 4) == 0)
                continue;
            if (strncmp(p, "<a href=\"http", 13) == 0) {
                const char *end = strchr(p, '>');
                assert_non_null(end);
                /* One quoted href, then the rel, nothing else. */
                const char *q = strchr(p + 9, '"');
                assert_non_null(q);
                assert_true(strncmp(q, "\" rel=\"nofollow ugc\">", 21) == 0);
                assert_ptr_equal(q + 20, end);
                continue;
            }
            fail_msg("unexpected tag in %s", got);
        }
        free(got);
    }
}

int main(void)
{
    gz_log_set_quiet(1);
    /* Fresh heap memory is filled with a pattern, so a read of bytes
     * nobody wrote shows up as wrong output rather than passing by luck. */
    mallopt(M_PERTURB, 0xa5);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_md_golden),
        cmocka_unit_test(test_md_plain_when_no_text),
        cmocka_unit_test(test_md_safe),
        cmocka_unit_test(test_md_safe_links_kept),
        cmocka_unit_test(test_md_invalid_utf8),
        cmocka_unit_test(test_md_reading_time),
        cmocka_unit_test(test_md_word_count_markup),
        cmocka_unit_test(test_md_free_twice),
        cmocka_unit_test(test_comment_html),
        cmocka_unit_test(test_comment_only_known_tags),
    };
    return cmocka_run_group_tests_name("markdown", tests, NULL, NULL);
}
