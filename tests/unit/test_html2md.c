/*
 * test_html2md.c - unit tests for src/render/html2md.c: HTML post bodies
 * (Ghost, WordPress) to CommonMark.
 *
 * Golden cases for each element Markdown keeps; round trips through
 * cmark (gz_md_render) showing that text with every Markdown special
 * character, and entities, comes back as the same text; the losses named
 * for what Markdown cannot keep; WordPress's blank-line paragraphs; and
 * the image URL mapper. Pure functions: single-threaded, no setup.
 */
/* cmocka needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/import.h"
#include "gazette/markdown.h"
#include "gazette/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *conv(const char *html, int autop, json_t *losses)
{
    struct gz_html2md_opts o = {autop, NULL, NULL};
    char *md = gz_html_to_md(html, strlen(html), &o, losses);
    assert_non_null(md);
    return md;
}

struct c {
    const char *name, *html, *md;
};

static const struct c cases[] = {
    {"paragraphs", "<p>One.</p><p>Two.</p>", "One.\n\nTwo.\n"},
    {"headings", "<h1>A</h1><h3>B <em>c</em></h3>", "# A\n\n### B *c*\n"},
    {"emphasis", "<p><em>a</em> <strong>b</strong> <i>c</i><b>d</b></p>",
     "*a* **b** *c***d**\n"},
    {"emphasis_spaces", "<p>x<em> a </em>y</p>", "x *a* y\n"},
    {"link",
     "<p><a href=\"https://x.org/a?b=1&amp;c=2\" title=\"T\">go</a></p>",
     "[go](https://x.org/a?b=1&c=2 \"T\")\n"},
    {"link_parens", "<p><a href=\"https://x.org/a_(b)\">w</a></p>",
     "[w](https://x.org/a_%28b%29)\n"},
    {"image", "<p><img src=\"/i.png\" alt=\"A [b]\"></p>",
     "![A \\[b\\]](/i.png)\n"},
    {"br", "<p>a<br>b<br></p>", "a\\\nb\n"},
    {"hr", "<p>a</p><hr><p>b</p>", "a\n\n---\n\nb\n"},
    {"code", "<p>x <code>a`b</code></p>", "x ``a`b``\n"},
    {"pre", "<pre><code class=\"language-c\">int a;\n\nx &lt; y\n</code></pre>",
     "```c\nint a;\n\nx < y\n```\n"},
    {"ul", "<ul><li>a</li><li>b <em>c</em></li></ul>", "- a\n- b *c*\n"},
    {"ol_start", "<ol start=\"3\"><li>a</li><li>b</li></ol>", "3. a\n4. b\n"},
    {"nested", "<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>",
     "- a\n  - b\n- c\n"},
    {"quote", "<blockquote><p>a</p><p>b</p></blockquote>", "> a\n>\n> b\n"},
    {"entities", "<p>&amp; &lt;b&gt; &#8217; &eacute; &nbsp;x</p>",
     "& \\<b\\> \xe2\x80\x99 \xc3\xa9 \xc2\xa0x\n"},
    {"specials", "<p>*a* _b_ [c] `d` \\ #e</p>",
     "\\*a\\* \\_b\\_ \\[c\\] \\`d\\` \\\\ #e\n"},
    {"line_start", "<p># not</p><p>1. not</p><p>- not</p><p>&gt; q</p>",
     "\\# not\n\n1\\. not\n\n\\- not\n\n\\> q\n"},
    {"entity_like_text", "<p>&amp;amp; AT&amp;T</p>", "\\&amp; AT\\&T\n"},
    {"whitespace", "<p>  a \n\t b  </p>", "a b\n"},
    {"empty", "", ""},
    {"bare_text", "just text", "just text\n"},
    {"comment_dropped", "<!-- wp:paragraph --><p>a</p><!-- /wp:paragraph -->",
     "a\n"},
};

static void test_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(cases); i++) {
        char *md = conv(cases[i].html, 0, NULL);
        if (strcmp(md, cases[i].md) != 0)
            fail_msg("%s: got\n%s\nexpected\n%s", cases[i].name, md,
                     cases[i].md);
        free(md);
    }
}

/* HTML -> Markdown -> HTML keeps the text of lossless content. */
static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        const char *html, *want;
    } rt[] = {
        {"<p>*a* _b_ [c](d) `e` \\ &lt;f&gt; &amp;amp; #g 1. ! ~ |</p>",
         "<p>*a* _b_ [c](d) `e` \\ &lt;f&gt; &amp;amp; #g 1. ! ~ |</p>\n"},
        {"<h2>T&eacute;l&eacute; <em>x</em></h2>",
         "<h2>T\xc3\xa9l\xc3\xa9 <em>x</em></h2>\n"},
        {"<ul><li>a</li><li><strong>b</strong></li></ul>",
         "<ul>\n<li>a</li>\n<li><strong>b</strong></li>\n</ul>\n"},
        {"<blockquote><p>q</p></blockquote>",
         "<blockquote>\n<p>q</p>\n</blockquote>\n"},
        {"<p>1) x</p><p>+ y</p><p>= z</p>",
         "<p>1) x</p>\n<p>+ y</p>\n<p>= z</p>\n"},
    };
    for (size_t i = 0; i < N(rt); i++) {
        char *md = conv(rt[i].html, 0, NULL);
        struct gz_md out = {0};
        assert_int_equal(gz_md_render(md, strlen(md), &out), 0);
        if (strcmp(out.html, rt[i].want) != 0)
            fail_msg("case %zu: md\n%s\nhtml\n%s\nexpected\n%s", i, md,
                     out.html, rt[i].want);
        gz_md_free(&out);
        free(md);
    }
}

static int has_loss(json_t *losses, const char *needle)
{
    size_t i;
    json_t *v;
    json_array_foreach(losses, i, v)
    {
        if (strstr(json_string_value(v), needle))
            return 1;
    }
    return 0;
}

static void test_losses(void **state)
{
    (void)state;
    json_t *l = json_array();
    char *md = conv("<table><tr><th>A</th><th>B</th></tr><tr><td>1</td>"
                    "<td>2</td></tr></table>"
                    "<iframe src=\"https://v.example/e/1\"></iframe>"
                    "<figure><img src=\"/a.png\" alt=\"a\"><figcaption>Cap"
                    "</figcaption></figure><script>alert(1)</script>"
                    "<p><u>under</u> <a href=\"javascript:x()\">js</a></p>",
                    0, l);
    /* the table and the captioned figure stay HTML, <u> inline HTML:
     * none of them a loss any more */
    assert_string_equal(md, "<table><tr><th>A</th><th>B</th></tr><tr><td>1"
                            "</td><td>2</td></tr></table>\n\n[Embedded media]"
                            "(https://v.example/e/1)\n\n<figure><img src=\""
                            "/a.png\" alt=\"a\" /><figcaption>Cap</figcaption>"
                            "</figure>\n\n<u>under</u> js\n");
    assert_false(has_loss(l, "table"));
    assert_true(has_loss(l, "embedded media"));
    assert_false(has_loss(l, "caption"));
    assert_true(has_loss(l, "<script>"));
    assert_false(has_loss(l, "<u>"));
    assert_true(has_loss(l, "unsafe"));
    assert_null(strstr(md, "alert"));
    /* each kind once */
    size_t n = json_array_size(l);
    free(md);
    md = conv("<table><tr><td>x</td></tr></table><p><script>y</script></p>", 0,
              l);
    assert_int_equal(json_array_size(l), n);
    free(md);
    /* lossless content names no loss */
    json_t *none = json_array();
    md = conv("<h2>a</h2><p><em>b</em> <a href=\"/c\">c</a></p><ul><li>d</li>"
              "</ul><pre>e</pre><hr><blockquote>f</blockquote>",
              0, none);
    assert_int_equal(json_array_size(none), 0);
    free(md);
    json_decref(none);
    json_decref(l);
}

/* What Markdown cannot express arrives on the page as sanitized HTML:
 * the Markdown holds one raw HTML block (no blank line inside, even when
 * the source had some), which gz_md_render keeps. */
static void test_raw_blocks(void **state)
{
    (void)state;
    static const struct {
        const char *html, *md_has, *want;
    } rt[] = {
        {"<table class=\"x\" style=\"w\"><thead><tr><th scope=\"col\">A"
         "</th></tr></thead>\n\n<tbody><tr><td colspan=\"2\" onclick=\"x()\">"
         "1\n\n\n2</td></tr></tbody></table>",
         "<table>",
         "<table><thead><tr><th scope=\"col\">A</th></tr></thead>\n<tbody>"
         "<tr><td colspan=\"2\">1\n2</td></tr></tbody></table>"},
        {"<figure class=\"kg-card\"><img src=\"/a.png\" alt=\"A &amp; b\" "
         "loading=\"lazy\"><figcaption>The <em>caf&eacute;</em>"
         "</figcaption></figure>",
         "<figure>",
         "<figure><img src=\"/a.png\" alt=\"A &amp; b\" /><figcaption>The "
         "<em>caf\xc3\xa9</em></figcaption></figure>"},
        {"<dl><dt>Term</dt><dd>Def</dd></dl>", "<dl>",
         "<dl><dt>Term</dt><dd>Def</dd></dl>"},
        {"<table><tr><td><pre>a\n\n\nb</pre></td></tr></table>", "&#10;",
         "<pre>a\n\n\nb</pre>"},
        {"<p>E = mc<sup>2</sup>, H<sub>2</sub>O, <del>old</del> <ins>new"
         "</ins> <mark>hi</mark> <small>fine</small> <s>x</s> <strike>y"
         "</strike> <abbr title=\"a &quot;b&quot;\">AB</abbr> <q>q</q></p>",
         "mc<sup>2</sup>",
         "<p>E = mc<sup>2</sup>, H<sub>2</sub>O, <del>old</del> <ins>new"
         "</ins> <mark>hi</mark> <small>fine</small> <s>x</s> <s>y</s> "
         "<abbr title=\"a &quot;b&quot;\">AB</abbr> <q>q</q></p>"},
        {"<ul><li>a<table><tr><td>c</td></tr></table></li></ul>", "<table>",
         "<li>\n<p>a</p>\n<table><tr><td>c</td></tr></table>\n</li>"},
        {"<blockquote><table><tr><td>q</td></tr></table></blockquote>",
         "> <table>", "<blockquote>\n<table><tr><td>q</td></tr></table>"},
    };
    for (size_t i = 0; i < N(rt); i++) {
        json_t *l = json_array();
        char *md = conv(rt[i].html, 0, l);
        if (!strstr(md, rt[i].md_has))
            fail_msg("case %zu: %s not in md\n%s", i, rt[i].md_has, md);
        struct gz_md out = {0};
        assert_int_equal(gz_md_render(md, strlen(md), &out), 0);
        if (!strstr(out.html, rt[i].want))
            fail_msg("case %zu: md\n%s\nhtml\n%s\nexpected in it\n%s", i, md,
                     out.html, rt[i].want);
        assert_int_equal(json_array_size(l), 0);
        gz_md_free(&out);
        free(md);
        json_decref(l);
    }
}

/* Inside a raw block, the sanitizer's drops are the losses; image URLs
 * are mapped as anywhere else. */
static const char *mapper(void *ctx, const char *url);

static void test_raw_block_losses_and_map(void **state)
{
    (void)state;
    json_t *l = json_array();
    struct gz_html2md_opts o = {0, mapper, NULL};
    const char *h = "<figure><img src=\"https://old.example/x.png\" alt=\"x\">"
                    "<figcaption>C<script>alert(1)</script><a href=\"javas"
                    "cript:x()\">j</a><iframe src=\"https://v.example/1\">"
                    "</iframe></figcaption></figure>";
    char *md = gz_html_to_md(h, strlen(h), &o, l);
    assert_non_null(md);
    assert_string_equal(md, "<figure><img src=\"/media/ab.png\" alt=\"x\" />"
                            "<figcaption>Cj<a href=\"https://v.example/1\">"
                            "Embedded media</a></figcaption></figure>\n");
    assert_true(has_loss(l, "<script> (dropped)"));
    assert_true(has_loss(l, "unsafe"));
    assert_true(has_loss(l, "embedded media (kept as a link)"));
    free(md);
    json_decref(l);
}

static void test_autop(void **state)
{
    (void)state;
    json_t *l = json_array();
    char *md =
        conv("First line\nsecond line.\n\n<h2>Head</h2>\n\n"
             "[caption id=\"x\"]<img src=\"/c.png\" alt=\"c\"> Cup"
             "[/caption]\n\n<pre>a\n\nb</pre>\n\nLast [gallery ids=\"1\"]",
             1, l);
    assert_string_equal(md, "First line\\\nsecond line.\n\n## Head\n\n"
                            "![c](/c.png) Cup\n\n```\na\n\nb\n```\n\n"
                            "Last \\[gallery ids=\"1\"\\]\n");
    assert_true(has_loss(l, "caption shortcode"));
    assert_true(has_loss(l, "shortcode (kept as text)"));
    free(md);
    json_decref(l);
}

static const char *mapper(void *ctx, const char *url)
{
    (void)ctx;
    return strcmp(url, "https://old.example/x.png") == 0 ? "/media/ab.png"
                                                         : NULL;
}

static void test_map_url(void **state)
{
    (void)state;
    struct gz_html2md_opts o = {0, mapper, NULL};
    const char *h = "<p><img src=\"https://old.example/x.png\" alt=\"x\">"
                    "<img src=\"https://old.example/y.png\" alt=\"y\"></p>";
    char *md = gz_html_to_md(h, strlen(h), &o, NULL);
    assert_string_equal(md, "![x](/media/ab.png)![y](https://old.example/"
                            "y.png)\n");
    free(md);
}

static void test_hostile(void **state)
{
    (void)state;
    /* bad nesting, unclosed tags, NUL-free binary junk: no crash, text */
    const char *junk[] = {"<p><em><strong>a</p>b</em>",
                          "<ul><li><ul><li>",
                          "<<<>>>&&&;;",
                          "<a href=",
                          "\xff\xfe<p>x</p>",
                          "<table><td><table><td>x"};
    for (size_t i = 0; i < N(junk); i++) {
        char *md = conv(junk[i], i % 2, NULL);
        struct gz_md out = {0};
        gz_md_render(md, strlen(md), &out);
        gz_md_free(&out);
        free(md);
    }
}

int main(void)
{
    gz_log_set_quiet(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_losses),
        cmocka_unit_test(test_autop),
        cmocka_unit_test(test_raw_blocks),
        cmocka_unit_test(test_raw_block_losses_and_map),
        cmocka_unit_test(test_map_url),
        cmocka_unit_test(test_hostile),
    };
    return cmocka_run_group_tests_name("html2md", tests, NULL, NULL);
}
