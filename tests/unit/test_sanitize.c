/*
 * test_sanitize.c - unit tests for src/render/sanitize.c, the allow-list
 * HTML sanitizer behind story bodies and imported posts.
 *
 * Golden cases for the structure that must survive (tables with colspan,
 * figure/figcaption, lists, safe links and images, headings, code);
 * the classic XSS vectors, each checked twice: no forbidden substring in
 * the output, and every tag of the output is an allow-listed element with
 * allow-listed attributes and safe URLs (a small checker below); the
 * plain-text walk; the no-blank-lines mode the importer uses; NUL bytes,
 * junk and deep nesting. Pure functions: single-threaded, no setup.
 */
/* cmocka needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gazette/sanitize.h"
#include "gazette/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *san(const char *html, size_t len)
{
    struct gz_buf b = {0};
    assert_int_equal(gz_html_sanitize(html, len, &b), 0);
    char *s = b.data ? gz_buf_steal(&b, NULL) : strdup("");
    assert_non_null(s);
    return s;
}

static char *san_s(const char *html)
{
    return san(html, strlen(html));
}

/* ---- what survives ---------------------------------------------------- */

static const struct {
    const char *name, *in, *out;
} golden[] = {
    {"text", "plain & simple", "plain &amp; simple"},
    {"paragraphs", "<p>a</p>\n<p>b</p>\n", "<p>a</p>\n<p>b</p>\n"},
    {"quotes_escaped", "<p>\"it's\"</p>", "<p>&quot;it&#39;s&quot;</p>"},
    {"entities_decoded_and_reescaped", "<p>&eacute;&amp;&lt;b&gt;&#8217;</p>",
     "<p>\xc3\xa9&amp;&lt;b&gt;\xe2\x80\x99</p>"},
    {"table_colspan",
     "<table class=\"wp\"><caption>Seats</caption><thead><tr><th "
     "scope=\"col\" style=\"x\">Party</th><th>N</th></tr></thead><tbody><tr>"
     "<td colspan=\"2\" rowspan=\"1\" width=\"9\">Blue 42</td></tr></tbody>"
     "<tfoot><tr><td>t</td></tr></tfoot></table>",
     "<table><caption>Seats</caption><thead><tr><th scope=\"col\">Party</th>"
     "<th>N</th></tr></thead><tbody><tr><td colspan=\"2\" rowspan=\"1\">"
     "Blue 42</td></tr></tbody><tfoot><tr><td>t</td></tr></tfoot></table>"},
    {"colgroup",
     "<table><colgroup span=\"2\"><col span=\"1\"></colgroup>"
     "<tr><td>x</td></tr></table>",
     "<table><colgroup span=\"2\"><col span=\"1\" /></colgroup><tr><td>x</td>"
     "</tr></table>"},
    {"figure",
     "<figure class=\"kg-card\" id=\"f\"><img src=\"/media/a.png\" "
     "alt=\"A &amp; B\" width=\"600\" height=\"400\" loading=\"lazy\" "
     "srcset=\"x 2x\"><figcaption>The <em>caf&eacute;</em></figcaption>"
     "</figure>",
     "<figure><img src=\"/media/a.png\" alt=\"A &amp; B\" width=\"600\" "
     "height=\"400\" /><figcaption>The <em>caf\xc3\xa9</em></figcaption>"
     "</figure>"},
    {"lists",
     "<ol start=\"3\" reversed type=\"a\"><li>x</li></ol><ul><li>y"
     "<ul><li>z</li></ul></li></ul><dl><dt>t</dt><dd>d</dd></dl>",
     "<ol start=\"3\" reversed><li>x</li></ol><ul><li>y<ul><li>z</li></ul>"
     "</li></ul><dl><dt>t</dt><dd>d</dd></dl>"},
    {"links",
     "<a href=\"https://e.com/a?b=1&amp;c=2\" title=\"T\" "
     "target=\"_blank\" rel=\"x\">a</a><a href=\"/x\">b</a>"
     "<a href=\"#s\">c</a><a href=\"mailto:d@e.com\">d</a>"
     "<a href=\"page.html\">e</a><a href=\"HTTP://E.COM\">f</a>",
     "<a href=\"https://e.com/a?b=1&amp;c=2\" title=\"T\">a</a><a href=\"/x\">"
     "b</a><a href=\"#s\">c</a><a href=\"mailto:d@e.com\">d</a><a "
     "href=\"page.html\">e</a><a href=\"HTTP://E.COM\">f</a>"},
    {"link_trimmed", "<a href=\"  https://e.com/ \">x</a>",
     "<a href=\"https://e.com/\">x</a>"},
    {"headings", "<h1>A</h1><h2>B</h2><h6>C</h6>",
     "<h2>A</h2><h2>B</h2><h6>C</h6>"},
    {"inline",
     "<b>b</b><i>i</i><u>u</u><s>s</s><strike>k</strike><sup>2"
     "</sup><sub>3</sub><mark>m</mark><small>s</small><kbd>k</kbd>"
     "<q>q</q><cite>c</cite><abbr title=\"t\">a</abbr><span "
     "class=\"c\">sp</span>",
     "<b>b</b><i>i</i><u>u</u><s>s</s><s>k</s><sup>2</sup><sub>3</sub>"
     "<mark>m</mark><small>s</small><kbd>k</kbd><q>q</q><cite>c</cite>"
     "<abbr title=\"t\">a</abbr><span>sp</span>"},
    {"code_language",
     "<pre><code class=\"language-c\">x &lt; y</code></pre>"
     "<code class=\"evil x\">z</code>",
     "<pre><code class=\"language-c\">x &lt; y</code></pre><code>z</code>"},
    {"void", "<p>a<br>b<hr></p>", "<p>a<br />b</p><hr />"},
    {"details", "<details open><summary>S</summary>x</details>",
     "<details open><summary>S</summary>x</details>"},
    {"unknown_unwrapped",
     "<font color=red>f</font><center>c</center>"
     "<article>a</article>",
     "fca"},
    {"media_link",
     "<iframe src=\"https://www.youtube.com/embed/x\" "
     "title=\"Clip\"></iframe>",
     "<a href=\"https://www.youtube.com/embed/x\">Clip</a>"},
    {"video_source",
     "<video controls><source src=\"https://v.e/a.mp4\">"
     "Fallback text</video>",
     "<a href=\"https://v.e/a.mp4\">Embedded media</a>"},
    {"empty", "", ""},
};

static void test_golden(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(golden); i++) {
        char *got = san_s(golden[i].in);
        if (strcmp(got, golden[i].out) != 0)
            fail_msg("%s:\n got  %s\n want %s", golden[i].name, got,
                     golden[i].out);
        free(got);
    }
}

/* ---- the output checker ------------------------------------------------ */

static const char *const ok_tags[] = {
    "p",          "br",      "hr",      "h2",      "h3",       "h4",
    "h5",         "h6",      "em",      "i",       "strong",   "b",
    "u",          "s",       "del",     "ins",     "sub",      "sup",
    "small",      "mark",    "code",    "pre",     "kbd",      "blockquote",
    "q",          "cite",    "abbr",    "ul",      "ol",       "li",
    "dl",         "dt",      "dd",      "a",       "img",      "figure",
    "figcaption", "table",   "caption", "thead",   "tbody",    "tfoot",
    "tr",         "th",      "td",      "col",     "colgroup", "span",
    "div",        "section", "details", "summary", NULL};
static const char *const ok_attrs[] = {"href",  "title",  "src",     "alt",
                                       "width", "height", "colspan", "rowspan",
                                       "scope", "start",  "span",    "reversed",
                                       "class", "open",   NULL};

static int in_list(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncmp(*list, s, n) == 0)
            return 1;
    return 0;
}

/* A safe URL: http(s), mailto, tel, or no scheme at all. */
static int safe_url(const char *v, size_t n)
{
    char u[512];
    if (n >= sizeof u)
        return 0;
    for (size_t i = 0; i < n; i++)
        u[i] = (char)tolower((unsigned char)v[i]);
    u[n] = '\0';
    if (strchr(u, '&') && (strstr(u, "&#") || strstr(u, "&colon")))
        return strncmp(u, "http", 4) == 0 || !strchr(u, ':');
    size_t k = strcspn(u, ":/?#");
    if (u[k] != ':')
        return 1;
    return !strncmp(u, "http:", 5) || !strncmp(u, "https:", 6) ||
           !strncmp(u, "mailto:", 7) || !strncmp(u, "tel:", 4);
}

/* Fails unless every '<' in html opens an allowed tag, with allowed
 * attributes (name="value", no raw quote or '<' inside), or closes one;
 * and no '>' appears outside a tag. */
static void check_output(const char *name, const char *html)
{
    const char *p = html;
    while (*p) {
        if (*p == '>')
            fail_msg("%s: stray '>' in %s", name, html);
        if (*p != '<') {
            p++;
            continue;
        }
        p++;
        int closing = *p == '/';
        if (closing)
            p++;
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (!in_list(ok_tags, p, n))
            fail_msg("%s: tag <%.*s> in %s", name, (int)(n + 5), p, html);
        p += n;
        while (!closing && *p == ' ') {
            p++;
            if (*p == '/')
                break;
            size_t an = strspn(p, "abcdefghijklmnopqrstuvwxyz");
            if (!in_list(ok_attrs, p, an))
                fail_msg("%s: attribute %.*s in %s", name, (int)(an + 5), p,
                         html);
            int url = (an == 4 && !strncmp(p, "href", 4)) ||
                      (an == 3 && !strncmp(p, "src", 3));
            p += an;
            if (*p != '=')
                continue; /* a boolean attribute */
            if (p[1] != '"')
                fail_msg("%s: unquoted attribute in %s", name, html);
            const char *v = p + 2, *e = strchr(v, '"');
            assert_non_null(e);
            if (memchr(v, '<', (size_t)(e - v)) ||
                memchr(v, '>', (size_t)(e - v)))
                fail_msg("%s: raw < or > in an attribute: %s", name, html);
            if (url && !safe_url(v, (size_t)(e - v)))
                fail_msg("%s: unsafe URL in %s", name, html);
            p = e + 1;
        }
        if (*p == '/' && p[1] == '>')
            p += 2;
        else if (*p == '>')
            p++;
        else
            fail_msg("%s: malformed tag in %s", name, html);
    }
}

/* ---- hostile input ---------------------------------------------------- */

static const struct {
    const char *name, *in;
    const char *keep; /* text that must survive, or NULL */
} xss[] = {
    {"script", "<script>alert(1)</script>ok", "ok"},
    {"script_upper", "<SCRIPT SRC=//x.js></SCRIPT>ok", "ok"},
    {"script_unclosed", "ok<script>alert(1)", "ok"},
    {"img_onerror", "<img src=x onerror=alert(1)>", NULL},
    {"img_onerror_quoted", "<img src=\"x\" onerror=\"alert(1)\" />", NULL},
    {"body_onload", "<body onload=alert(1)>ok</body>", "ok"},
    {"href_javascript", "<a href=\"javascript:alert(1)\">t</a>", "t"},
    {"href_mixed_case", "<a href=\"JaVaScRiPt:alert(1)\">t</a>", "t"},
    {"href_leading_space", "<a href=\"  javascript:alert(1)\">t</a>", "t"},
    {"href_entity_scheme", "<a href=\"jav&#x61;script:alert(1)\">t</a>", "t"},
    {"href_entity_decimal",
     "<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;"
     "&#58;alert(1)\">t</a>",
     "t"},
    {"href_entity_tab", "<a href=\"java&#x09;script:alert(1)\">t</a>", "t"},
    {"href_newline", "<a href=\"java\nscript:alert(1)\">t</a>", "t"},
    {"href_colon_entity", "<a href=\"javascript&colon;alert(1)\">t</a>", "t"},
    {"href_vbscript", "<a href=\"vbscript:msgbox(1)\">t</a>", "t"},
    {"href_data", "<a href=\"data:text/html;base64,PHNjcmlwdD4=\">t</a>", "t"},
    {"img_data", "<img src=\"data:image/svg+xml;base64,PHN2Zz4=\">", NULL},
    {"img_javascript", "<img src=\"javascript:alert(1)\">", NULL},
    {"img_mailto", "<img src=\"mailto:x@y\">", NULL},
    {"href_unquoted_breakout", "<a href=x onmouseover=alert(1)>t</a>", "t"},
    {"svg_script", "<svg><script>alert(1)</script></svg>ok", "ok"},
    {"svg_onload", "<svg onload=alert(1)>", NULL},
    {"svg_a_xlink",
     "<svg><a xlink:href=\"javascript:alert(1)\"><text>t"
     "</text></a></svg>",
     NULL},
    {"math",
     "<math><mtext><table><mglyph><style><img src=x onerror="
     "alert(1)></style></mglyph></table></mtext></math>",
     NULL},
    {"math_href", "<math href=\"javascript:alert(1)\">m</math>", NULL},
    {"style_attr", "<p style=\"background:url(javascript:alert(1))\">s</p>",
     "s"},
    {"style_element", "<style>*{x:expression(alert(1))}</style>ok", "ok"},
    {"iframe_srcdoc",
     "<iframe srcdoc=\"<script>alert(1)</script>\">"
     "</iframe>",
     NULL},
    {"iframe_javascript", "<iframe src=\"javascript:alert(1)\"></iframe>",
     NULL},
    {"object_data", "<object data=\"javascript:alert(1)\"></object>", NULL},
    {"embed", "<embed src=\"data:text/html,<script>alert(1)</script>\">", NULL},
    {"end_script_in_attr",
     "<a title=\"</script><script>alert(1)</script>\" href=\"/x\">t</a>", "t"},
    {"end_title_in_attr",
     "<p title=\"</title><script>alert(1)</script>\">"
     "t</p>",
     "t"},
    {"comment_hides_tag", "<!-- <script>alert(1)</script> -->ok", "ok"},
    {"comment_breakout", "<!-- --!><script>alert(1)</script> -->", NULL},
    {"comment_in_attr",
     "<p title=\"<!--\">x</p><script>alert(1)</script>"
     "<p title=\"-->\">y</p>",
     "x"},
    {"cdata", "<![CDATA[<script>alert(1)</script>]]>ok", "ok"},
    {"pi", "<?xml-stylesheet href=\"javascript:alert(1)\"?>ok", "ok"},
    {"nested_unclosed", "<p><b><i><a href=\"/x\">t<table><tr><td>c", "c"},
    {"double_open", "<<script>script>alert(1)<</script>/script>", NULL},
    {"malformed_entities",
     "&#xD800;&#0;&#x110000;&#99999999999;&amp&lt"
     "&unknown;<p>&#x3C;script&#x3E;</p>",
     NULL},
    {"form_controls",
     "<form action=\"javascript:alert(1)\"><input "
     "onfocus=alert(1) autofocus><button>b</button><select>"
     "<option>o</option></select><textarea>t</textarea>"
     "</form>ok",
     "ok"},
    {"meta_refresh",
     "<meta http-equiv=refresh content=\"0;url=javascript:"
     "alert(1)\">ok",
     "ok"},
    {"base_href", "<base href=\"javascript:/\"><a href=\"x\">t</a>", "t"},
    {"noscript",
     "<noscript><p title=\"</noscript><img src=x onerror="
     "alert(1)>\"></noscript>",
     NULL},
    {"template", "<template><script>alert(1)</script></template>", NULL},
    {"xmp", "<xmp><script>alert(1)</script></xmp>", NULL},
    {"id_name_clobbering",
     "<img name=\"getElementById\" id=\"x\" "
     "src=\"/a.png\"><a id=\"y\" name=\"z\" "
     "href=\"/\">t</a>",
     "t"},
    {"event_on_allowed",
     "<td onclick=\"alert(1)\">c</td><b onmouseover="
     "alert(1)>b</b>",
     "b"},
    {"protocol_relative_backslash", "<a href=\"/\\evil.com\">t</a>", "t"},
};

static void test_xss(void **state)
{
    (void)state;
    static const char *const banned[] = {
        "<script", "javascript", "vbscript",  "data:",   "onerror",
        "onload",  "onclick",    "onmouse",   "onfocus", "<svg",
        "<math",   "<iframe",    "srcdoc",    "<style",  "style=",
        "<object", "<embed",     "<form",     "<input",  "<meta",
        "<base",   "<!--",       "xlink",     " id=",    " name=",
        "alert",   "<noscript",  "<template", "<xmp",    "<textarea"};
    for (size_t i = 0; i < N(xss); i++) {
        char *got = san_s(xss[i].in);
        char *low = strdup(got);
        assert_non_null(low);
        for (char *q = low; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        /* an allowed title keeps its text, escaped: "alert" may stay */
        int escaped_ok = strcmp(xss[i].name, "end_script_in_attr") == 0;
        for (size_t b = 0; b < N(banned); b++)
            if (strstr(low, banned[b]) &&
                !(escaped_ok && !strcmp(banned[b], "alert")))
                fail_msg("%s: \"%s\" survived: %s", xss[i].name, banned[b],
                         got);
        check_output(xss[i].name, got);
        if (xss[i].keep && !strstr(got, xss[i].keep))
            fail_msg("%s: text \"%s\" lost: %s", xss[i].name, xss[i].keep, got);
        free(low);
        free(got);
    }
}

/* The golden outputs pass the same checker. */
static void test_golden_outputs_checked(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(golden); i++) {
        char *got = san_s(golden[i].in);
        check_output(golden[i].name, got);
        free(got);
    }
}

/* NUL bytes are dropped, whatever they split; bad UTF-8 is replaced. */
static void test_nul_bytes(void **state)
{
    (void)state;
    static const char in[] = "<scr\0ipt>alert(1)</script><p>a\0b</p>"
                             "<a href=\"java\0script:x\">t</a>";
    char *got = san(in, sizeof in - 1);
    assert_null(strstr(got, "<script"));
    assert_null(strstr(got, "javascript"));
    assert_non_null(strstr(got, "<p>ab</p>"));
    check_output("nul", got);
    free(got);
    /* invalid UTF-8 becomes U+FFFD: the output is always valid */
    got = san_s("<p>a\xff\xfe"
                "b\xc0\xaf"
                "c\xed\xa0\x80"
                "d\xe2\x82</p>");
#define FFFD "\xef\xbf\xbd"
    assert_string_equal(got, "<p>a" FFFD FFFD "b" FFFD FFFD "c" FFFD FFFD FFFD
                             "d" FFFD FFFD "</p>");
#undef FFFD
    assert_true(gz_utf8_valid_text(got, strlen(got)));
    free(got);
    /* only len bytes are read */
    got = san("<b>x</b><script>", 8);
    assert_string_equal(got, "<b>x</b>");
    free(got);
}

/* Junk, invalid UTF-8 and very deep nesting: no crash, checked output. */
static void test_junk_and_depth(void **state)
{
    (void)state;
    static const char *const junk[] = {
        "<<<>>>&&&;;",
        "<a href=",
        "<p <p <p",
        "</p></p></b>",
        "<!--",
        "<![CDATA[",
        "\xff\xfe<p>x</p>\xc0\xaf",
        "<table><td><table><td>x",
        "<a href=\"/x\"><a href=\"/y\">t</a></a>",
        "<img src=\"/a.png\"",
        "<p title='a\"b'>x</p>",
        "<select><option><script>x"};
    for (size_t i = 0; i < N(junk); i++) {
        char *got = san_s(junk[i]);
        check_output(junk[i], got);
        free(got);
    }
    struct gz_buf deep = {0};
    for (int i = 0; i < 20000; i++)
        assert_int_equal(gz_buf_puts(&deep, i % 2 ? "<div>" : "<b>"), 0);
    assert_int_equal(gz_buf_puts(&deep, "bottom<script>x</script>"), 0);
    char *got = san(deep.data, deep.len);
    check_output("deep", got);
    assert_null(strstr(got, "<script"));
    free(got);
    gz_buf_free(&deep);
}

/* ---- plain text and the importer's mode --------------------------------- */

static void test_text(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"<table><tr><th>Party</th><th>Seats</th></tr><tr><td>Blue</td>"
         "<td>42</td></tr></table>",
         "Party Seats Blue 42"},
        {"<figure><img src=\"/a.png\" alt=\"x\"><figcaption>Cap &amp; more"
         "</figcaption></figure>",
         "x Cap & more"},
        {"<p>a <b>b</b>c</p>\n\n<p>  d\n e </p>", "a bc d e"},
        {"<script>alert(1)</script><style>x</style>", ""},
        {"  ", ""},
    };
    for (size_t i = 0; i < N(cases); i++) {
        struct gz_buf b = {0};
        assert_int_equal(
            gz_html_sanitize_text(cases[i].in, strlen(cases[i].in), &b), 0);
        if (strcmp(gz_buf_cstr(&b), cases[i].want) != 0)
            fail_msg("text of %s: [%s], want [%s]", cases[i].in,
                     gz_buf_cstr(&b), cases[i].want);
        gz_buf_free(&b);
    }
}

static void collect(void *ctx, const char *what)
{
    struct gz_buf *b = ctx;
    gz_buf_puts(b, what);
    gz_buf_puts(b, ";");
}

static void test_no_blank_lines_and_report(void **state)
{
    (void)state;
    const char *in =
        "<table>\n\n<tr>\n  \n<td><abbr title=\"a\n\nb\">x\n\n\ny</abbr></td>"
        "<td><pre>p\n\n\nq</pre></td></tr></table>"
        "<script>s</script><a href=\"javascript:x\">j</a>"
        "<iframe src=\"https://v.e/1\"></iframe><iframe "
        "src=\"javascript:x\"></iframe><blink>b</blink>";
    struct gz_buf out = {0}, rep = {0};
    struct gz_sanitize_opts o = {1, NULL, collect, &rep};
    assert_int_equal(gz_html_sanitize_ex(in, strlen(in), &o, &out), 0);
    const char *s = gz_buf_cstr(&out);
    /* no line holds only whitespace */
    for (const char *l = s; l; l = strchr(l, '\n')) {
        if (*l == '\n')
            l++;
        size_t w = strspn(l, " \t");
        if (l[w] == '\n')
            fail_msg("blank line in %s", s);
    }
    assert_non_null(strstr(s, "title=\"a&#10;&#10;b\""));
    assert_non_null(strstr(s, "<pre>p\n&#10;\nq</pre>"));
    assert_non_null(strstr(s, "x\ny"));
    const char *r = gz_buf_cstr(&rep);
    assert_non_null(strstr(r, "<script> (dropped)"));
    assert_non_null(strstr(r, "link with an unsafe"));
    assert_non_null(strstr(r, "embedded media (kept as a link)"));
    assert_non_null(strstr(r, "embedded media (dropped)"));
    assert_non_null(strstr(r, "<blink> (tag dropped, text kept)"));
    assert_null(strstr(r, "<head>")); /* the parser's wrapper is silent */
    assert_null(strstr(r, "<body>"));
    assert_null(strstr(r, "<html>"));
    gz_buf_free(&out);
    gz_buf_free(&rep);
}

static const char *mapper(void *ctx, const char *url)
{
    (void)ctx;
    if (strcmp(url, "https://old.example/a.png") == 0)
        return "/media/ab.png";
    if (strcmp(url, "https://old.example/evil.png") == 0)
        return "javascript:alert(1)"; /* the mapped URL is checked too */
    return NULL;
}

static void test_map_url(void **state)
{
    (void)state;
    const char *in = "<img src=\"https://old.example/a.png\" alt=\"a\">"
                     "<img src=\"https://old.example/b.png\">"
                     "<img src=\"https://old.example/evil.png\">"
                     "<a href=\"https://old.example/a.png\">l</a>";
    struct gz_buf out = {0};
    struct gz_sanitize_opts o = {0, mapper, NULL, NULL};
    assert_int_equal(gz_html_sanitize_ex(in, strlen(in), &o, &out), 0);
    assert_string_equal(gz_buf_cstr(&out),
                        "<img src=\"/media/ab.png\" alt=\"a\" /><img "
                        "src=\"https://old.example/b.png\" alt=\"\" /><a "
                        "href=\"https://old.example/a.png\">l</a>");
    gz_buf_free(&out);
}

int main(void)
{
    gz_log_set_quiet(1);
    gz_html_sanitize_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden),
        cmocka_unit_test(test_golden_outputs_checked),
        cmocka_unit_test(test_xss),
        cmocka_unit_test(test_nul_bytes),
        cmocka_unit_test(test_junk_and_depth),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_no_blank_lines_and_report),
        cmocka_unit_test(test_map_url),
    };
    return cmocka_run_group_tests_name("sanitize", tests, NULL, NULL);
}
