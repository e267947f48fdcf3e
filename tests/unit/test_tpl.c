/*
 * test_tpl.c - unit tests for the Mustache engine (src/render/tpl.c).
 *
 * Golden, table-driven cases (template + JSON + partials -> exact output),
 * one cmocka test per row, for every rule the engine implements: escaping
 * with XSS payloads, raw tags, sections, inverted sections, comments,
 * partials and their indentation, dotted names, the implicit iterator, set
 * delimiters and the standalone-line rules. Then syntax errors with their
 * exact line:column, the recursion limit, the set API, gz_tpl_add_dir, the
 * `gazette render` command, shortest reals and concurrent renders on one
 * shared set. Single-threaded except the pthread test; temp files live in a
 * mkdtemp directory that each test removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* cmocka.h needs the four headers above first. */
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gazette/tpl.h"

struct partial {
    const char *name, *src;
};

struct golden {
    const char *name;
    const char *tpl;
    const char *json;
    const char *expected;
    struct partial partials[3];
};

/* G: a row without partials; GP: partials as {name, source} pairs. */
/* clang-format off */
#define G(name, tpl, json, want) {name, tpl, json, want, {{NULL, NULL}}}
#define GP(name, tpl, json, want, ...) {name, tpl, json, want, {__VA_ARGS__}}
/* clang-format on */

static const struct golden goldens[] = {
    /* Escaping: {{x}} escapes & < > " ' wherever the value comes from. */
    G("escape_all_five", "{{x}}", "{\"x\": \"& < > \\\" '\"}",
      "&amp; &lt; &gt; &quot; &#39;"),
    G("xss_script", "<p>{{x}}</p>", "{\"x\": \"<script>alert(1)</script>\"}",
      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
    G("xss_attribute", "<a title=\"{{t}}\">",
      "{\"t\": \"\\\"'><img src=x onerror=alert(1)>\"}",
      "<a title=\"&quot;&#39;&gt;&lt;img src=x onerror=alert(1)&gt;\">"),
    G("xss_dotted", "{{a.b}}", "{\"a\": {\"b\": \"<i>\"}}", "&lt;i&gt;"),
    G("xss_implicit_iterator", "{{#l}}{{.}}{{/l}}", "{\"l\": [\"<b>\", \"&\"]}",
      "&lt;b&gt;&amp;"),
    GP("xss_in_partial", "{{>p}}", "{\"x\": \"<script>\"}", "&lt;script&gt;",
       {"p", "{{x}}"}),
    G("escape_entities_again", "{{x}}", "{\"x\": \"&amp;\"}", "&amp;amp;"),
    G("no_reinterpolation", "{{x}}", "{\"x\": \"{{y}}\", \"y\": \"no\"}",
      "{{y}}"),
    G("utf8_passthrough", "{{x}}", "{\"x\": \"caf\\u00e9 \\u2603\"}",
      "caf\xc3\xa9 \xe2\x98\x83"),
    /* Raw output. */
    G("raw_triple", "{{{x}}}", "{\"x\": \"<b>&'</b>\"}", "<b>&'</b>"),
    G("raw_ampersand", "{{&x}}", "{\"x\": \"<b>\"}", "<b>"),
    G("raw_ampersand_space", "{{& x }}", "{\"x\": \"<b>\"}", "<b>"),
    G("raw_triple_space", "{{{ x }}}", "{\"x\": \"<b>\"}", "<b>"),
    G("raw_number", "{{{n}}}", "{\"n\": 1.25}", "1.25"),
    /* Values. */
    G("integer", "{{n}}", "{\"n\": 42}", "42"),
    G("integer_negative", "{{n}}", "{\"n\": -7}", "-7"),
    G("integer_big", "{{n}}", "{\"n\": 9007199254740993}", "9007199254740993"),
    G("zero", "{{n}}", "{\"n\": 0}", "0"),
    G("real_short", "{{a}} {{b}} {{c}}", "{\"a\": 2.2, \"b\": 1.5, \"c\": 0.1}",
      "2.2 1.5 0.1"),
    G("real_sum_long", "{{x}}", "{\"x\": 0.30000000000000004}",
      "0.30000000000000004"),
    G("real_whole", "{{x}}", "{\"x\": 100.0}", "100"),
    G("real_exponent", "{{x}}", "{\"x\": 1e21}", "1e+21"),
    G("bools", "{{t}} {{f}}", "{\"t\": true, \"f\": false}", "true false"),
    G("null_prints_nothing", "[{{x}}{{{x}}}{{&x}}]", "{\"x\": null}", "[]"),
    G("missing_prints_nothing", "[{{x}}{{{x}}}{{&x}}]", "{}", "[]"),
    G("containers_print_nothing", "[{{o}}{{l}}]",
      "{\"o\": {\"a\": 1}, \"l\": [1]}", "[]"),
    G("whitespace_in_tags", "{{ x }}|{{  x\t}}|{{\nx\n}}", "{\"x\": 1}",
      "1|1|1"),
    /* Sections. */
    G("section_list", "{{#l}}[{{n}}]{{/l}}",
      "{\"l\": [{\"n\": 1}, {\"n\": 2}, {\"n\": 3}]}", "[1][2][3]"),
    G("section_object", "{{#o}}{{n}}{{/o}}", "{\"o\": {\"n\": \"x\"}}", "x"),
    G("section_empty_object", "{{#o}}yes{{/o}}", "{\"o\": {}}", "yes"),
    G("section_true", "{{#b}}yes{{/b}}", "{\"b\": true}", "yes"),
    G("section_false", "{{#b}}yes{{/b}}", "{\"b\": false}", ""),
    G("section_empty_list", "{{#l}}yes{{/l}}", "{\"l\": []}", ""),
    G("section_empty_string", "{{#s}}<p>{{s}}</p>{{/s}}", "{\"s\": \"\"}", ""),
    G("section_string", "{{#s}}<p>{{s}}</p>{{/s}}", "{\"s\": \"hi\"}",
      "<p>hi</p>"),
    G("section_string_context", "{{#s}}<{{.}}>{{/s}}", "{\"s\": \"hi\"}",
      "<hi>"),
    G("section_null", "{{#x}}yes{{/x}}", "{\"x\": null}", ""),
    G("section_missing", "{{#x}}yes{{/x}}", "{}", ""),
    G("section_zero_is_truthy", "{{#n}}[{{.}}]{{/n}}", "{\"n\": 0}", "[0]"),
    G("section_zero_real_is_truthy", "{{#n}}yes{{/n}}", "{\"n\": 0.0}", "yes"),
    G("section_string_zero_is_truthy", "{{#s}}yes{{/s}}", "{\"s\": \"0\"}",
      "yes"),
    G("section_parent_context", "{{#a}}{{b}}{{/a}}",
      "{\"a\": {\"x\": 1}, \"b\": \"outer\"}", "outer"),
    G("section_shadowing", "{{#a}}{{n}}{{#b}}{{n}}{{/b}}{{n}}{{/a}}{{n}}",
      "{\"n\": 0, \"a\": {\"n\": 1, \"b\": {\"n\": 2}}}", "1210"),
    G("section_nested_lists", "{{#l}}({{#.}}{{.}}{{/.}}){{/l}}",
      "{\"l\": [[1, 2], [\"a\", \"b\"], []]}", "(12)(ab)()"),
    G("section_list_outer_names", "{{#l}}{{sep}}{{.}}{{/l}}",
      "{\"sep\": \"-\", \"l\": [1, 2]}", "-1-2"),
    G("section_same_name_nested", "{{#a}}{{#a}}x{{/a}}{{/a}}", "{\"a\": true}",
      "x"),
    G("section_doubled", "{{#b}}1{{/b}}-{{#b}}2{{/b}}", "{\"b\": true}", "1-2"),
    G("section_root_list", "{{#.}}{{v}}{{/.}}",
      "[{\"v\": \"a\"}, {\"v\": \"b\"}]", "ab"),
    G("section_list_of_null", "{{#l}}({{.}}){{/l}}", "{\"l\": [null, 1]}",
      "()(1)"),
    G("nested_contexts_deep",
      "{{#a}}{{one}}{{#b}}{{one}}{{two}}{{#c}}{{one}}{{two}}{{three}}"
      "{{/c}}{{/b}}{{/a}}",
      "{\"a\": {\"one\": 1}, \"b\": {\"two\": 2}, \"c\": {\"three\": 3}}",
      "112123"),
    /* Inverted sections. */
    G("inverted_false", "{{^b}}no{{/b}}", "{\"b\": false}", "no"),
    G("inverted_true", "{{^b}}no{{/b}}", "{\"b\": true}", ""),
    G("inverted_empty_list", "{{^l}}none{{/l}}", "{\"l\": []}", "none"),
    G("inverted_list", "{{^l}}none{{/l}}", "{\"l\": [1]}", ""),
    G("inverted_empty_string", "{{^s}}none{{/s}}", "{\"s\": \"\"}", "none"),
    G("inverted_null", "{{^s}}none{{/s}}", "{\"s\": null}", "none"),
    G("inverted_missing", "{{^s}}none{{/s}}", "{}", "none"),
    G("inverted_zero", "{{^n}}none{{/n}}", "{\"n\": 0}", ""),
    G("inverted_keeps_context", "{{^m}}{{x}}{{/m}}", "{\"x\": \"X\"}", "X"),
    G("inverted_and_section", "{{#l}}{{.}}{{/l}}{{^l}}empty{{/l}}",
      "{\"l\": []}", "empty"),
    /* Comments. */
    G("comment_inline", "a{{! c }}b", "{}", "ab"),
    G("comment_multiline", "a{{!\nx\n}}b", "{}", "ab"),
    G("comment_standalone", "a\n  {{! c }}\nb", "{}", "a\nb"),
    G("comment_with_braces", "a{{! {x} }}b", "{}", "ab"),
    /* Partials. */
    GP("partial_basic", "[{{>p}}]", "{\"x\": 1}", "[1]", {"p", "{{x}}"}),
    GP("partial_spaces", "[{{> p }}]", "{\"x\": 1}", "[1]", {"p", "{{x}}"}),
    GP("partial_missing", "[{{>nope}}]", "{}", "[]", {"p", "x"}),
    GP("partial_context", "{{#o}}{{>p}}{{/o}}", "{\"o\": {\"x\": \"in\"}}",
       "in", {"p", "{{x}}"}),
    GP("partial_in_list", "{{#l}}{{>p}},{{/l}}", "{\"l\": [1, 2]}", "<1>,<2>,",
       {"p", "<{{.}}>"}),
    GP("partial_dotted_name_is_literal", "{{>a.b}}", "{}", "ok", {"a.b", "ok"}),
    GP("partial_standalone_indent", "a\n  {{>p}}\nb", "{\"x\": \"y\\nz\"}",
       "a\n  1\n  y\nz\n  2\nb", {"p", "1\n{{x}}\n2\n"}),
    GP("partial_nested_indent", "  {{>p1}}\n", "{}", "  a\n    x\n    y\n  b\n",
       {"p1", "a\n  {{>p2}}\nb\n"}, {"p2", "x\ny\n"}),
    GP("partial_indent_sections", " {{>p}}\n", "{\"l\": [1, 2]}",
       " <\n   - 1\n   - 2\n >\n", {"p", "<\n{{#l}}\n  - {{.}}\n{{/l}}\n>\n"}),
    GP("partial_indent_empty_lines", "\t{{>p}}\n", "{}", "\ta\n\t\n\tb",
       {"p", "a\n\nb"}),
    GP("partial_inline_not_indented", "  {{x}} {{>p}}\n", "{\"x\": 1}",
       "  1 >\n>\n", {"p", ">\n>"}),
    GP("partial_inline_inside_indented", "  {{>p1}}\n", "{}", "  a[x\ny]\n",
       {"p1", "a[{{>p2}}]\n"}, {"p2", "x\ny"}),
    GP("partial_standalone_crlf", "a\r\n  {{>p}}\r\nb", "{}",
       "a\r\n  x\r\n  y\r\nb", {"p", "x\r\ny\r\n"}),
    GP("partial_standalone_at_start", "  {{>p}}\n>", "{}", "  >\n  >>",
       {"p", ">\n>"}),
    GP("partial_standalone_at_end", ">\n  {{>p}}", "{}", ">\n  >\n  >",
       {"p", ">\n>"}),
    GP("partial_own_delimiters", "{{=<% %>=}}<%>p%>", "{\"x\": 1}", "1",
       {"p", "{{x}}"}),
    GP("partial_delimiters_do_not_leak", "{{>p}}{{x}}", "{\"x\": 1}", "11",
       {"p", "{{=| |=}}|x|"}),
    GP("partial_recursive_tree", "{{>node}}",
       "{\"c\": \"X\", \"kids\": [{\"c\": \"Y\", \"kids\": []}]}", "X<Y<>>",
       {"node", "{{c}}<{{#kids}}{{>node}}{{/kids}}>"}),
    /* Dotted names. */
    G("dotted_basic", "{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"d\"}}}", "d"),
    G("dotted_raw", "{{{a.b}}}|{{&a.b}}", "{\"a\": {\"b\": \"<\"}}", "<|<"),
    G("dotted_stack_first_part", "{{#x}}{{a.b}}{{/x}}",
      "{\"x\": {\"y\": 1}, \"a\": {\"b\": \"outer\"}}", "outer"),
    G("dotted_strict_descent", "{{#x}}[{{a.b}}]{{/x}}",
      "{\"x\": {\"a\": {}}, \"a\": {\"b\": \"no\"}}", "[]"),
    G("dotted_broken_chain", "[{{a.b.c}}]", "{\"a\": {\"b\": {}}}", "[]"),
    G("dotted_through_scalar", "[{{a.b}}]", "{\"a\": 1}", "[]"),
    G("dotted_never_single_key", "[{{a.b}}]", "{\"a.b\": \"no\"}", "[]"),
    G("dotted_no_masking", "{{a.b}}",
      "{\"a.b\": \"no\", \"a\": {\"b\": \"d\"}}", "d"),
    G("dotted_section", "{{#a.b}}{{c}}{{/a.b}}",
      "{\"a\": {\"b\": {\"c\": \"ok\"}}}", "ok"),
    G("dotted_inverted", "{{^a.b}}none{{/a.b}}", "{\"a\": {\"b\": false}}",
      "none"),
    G("dotted_list_is_not_indexed", "[{{l.0}}]", "{\"l\": [\"x\"]}", "[]"),
    /* Implicit iterator. */
    G("implicit_scalars", "{{#l}}{{.}},{{/l}}",
      "{\"l\": [1, 2.5, \"x\", true, null]}", "1,2.5,x,true,,"),
    G("implicit_root_string", "Hello, {{.}}!", "\"world\"", "Hello, world!"),
    G("implicit_root_number", "{{.}}", "3.3", "3.3"),
    G("implicit_raw", "{{#l}}{{{.}}}{{&.}}{{/l}}", "{\"l\": [\"<\"]}", "<<"),
    G("implicit_object_prints_nothing", "[{{.}}]", "{\"a\": 1}", "[]"),
    /* Set delimiters. */
    G("delims_basic", "{{=<% %>=}}<% x %>{{x}}", "{\"x\": 1}", "1{{x}}"),
    G("delims_back", "{{=| |=}}|x||={{ }}=|{{x}}", "{\"x\": 1}", "11"),
    G("delims_sections", "{{=[ ]=}}[#b][x][/b][^b]no[/b]",
      "{\"b\": true, \"x\": 2}", "2"),
    G("delims_raw", "{{=<% %>=}}<%{x}%><%&x%>", "{\"x\": \"<\"}", "<<"),
    G("delims_long", "{{=<<< >>>=}}<<<x>>>", "{\"x\": 1}", "1"),
    G("delims_standalone", "a\n{{=<% %>=}}\nb<%x%>", "{\"x\": 1}", "a\nb1"),
    G("delims_padded", "{{= | | =}}|x|", "{\"x\": 1}", "1"),
    /* Standalone lines. */
    G("standalone_section", "a\n{{#b}}\nx\n{{/b}}\nz", "{\"b\": true}",
      "a\nx\nz"),
    G("standalone_indented", "a\n  {{#b}}\n  x\n  {{/b}}\nz", "{\"b\": true}",
      "a\n  x\nz"),
    G("standalone_tabs", "\t{{#b}}\t\nx\n{{/b}}\t", "{\"b\": true}", "x\n"),
    G("standalone_crlf", "a\r\n{{#b}}\r\nx\r\n{{/b}}\r\nz", "{\"b\": true}",
      "a\r\nx\r\nz"),
    G("standalone_inverted_crlf", "a\r\n {{^b}} \r\nx\r\n {{/b}} \r\nz",
      "{\"b\": false}", "a\r\nx\r\nz"),
    G("standalone_no_previous_line", "  {{#b}}\nx\n{{/b}}", "{\"b\": true}",
      "x\n"),
    G("standalone_no_newline_at_end", "x\n  {{^b}}\ny\n  {{/b}}",
      "{\"b\": false}", "x\ny\n"),
    G("standalone_list_lines",
      "<ul>\n{{#l}}\n  <li>{{.}}</li>\n{{/l}}\n</ul>\n",
      "{\"l\": [\"a\", \"b\"]}", "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n"),
    G("not_standalone_text_before", "a {{#b}}\nx{{/b}}", "{\"b\": true}",
      "a \nx"),
    G("not_standalone_text_after", "{{#b}} a\nx{{/b}}", "{\"b\": true}",
      " a\nx"),
    G("not_standalone_two_tags", "{{#b}}{{/b}}\n", "{\"b\": true}", "\n"),
    G("not_standalone_variable", "  {{x}}\n", "{\"x\": 1}", "  1\n"),
    G("not_standalone_lone_cr", "{{#b}}\rX{{/b}}", "{\"b\": true}", "\rX"),
    G("empty_template", "", "{}", ""),
    G("text_only", "just text\n", "null", "just text\n"),
};

/* Builds a set from the row, renders "main" and compares byte for byte. */
static void golden_one(void **state)
{
    const struct golden *g = *state;
    struct gz_tpl_set *set = gz_tpl_set_new();
    char err[256] = "";
    assert_non_null(set);
    for (size_t i = 0; i < 3 && g->partials[i].name; i++) {
        const struct partial *p = &g->partials[i];
        assert_int_equal(gz_tpl_add(set, p->name, p->name, p->src,
                                    strlen(p->src), err, sizeof err),
                         0);
    }
    int rc = gz_tpl_add(set, "main", g->name, g->tpl, strlen(g->tpl), err,
                        sizeof err);
    if (rc != 0)
        fail_msg("%s", err);
    json_error_t jerr;
    json_t *data = json_loads(g->json, JSON_DECODE_ANY, &jerr);
    if (!data)
        fail_msg("bad test JSON: %s", jerr.text);
    struct gz_buf out = {0};
    assert_int_equal(gz_tpl_render(set, "main", data, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), g->expected);
    assert_int_equal(out.len, strlen(g->expected));
    gz_buf_free(&out);
    json_decref(data);
    gz_tpl_set_free(set);
}

/* ---- syntax errors ---------------------------------------------------- */

struct bad {
    const char *tpl;
    const char *err;
};

static const struct bad bads[] = {
    {"abc {{x", "t.mustache:1:5: unclosed tag"},
    {"{{{x}}", "t.mustache:1:1: unclosed tag"},
    {"a\n\n  b {{! never closed", "t.mustache:3:5: unclosed tag"},
    {"a\nb {{#s}}x", "t.mustache:2:3: unclosed section 's'"},
    {"{{#a}}{{#b}}{{/b}}", "t.mustache:1:1: unclosed section 'a'"},
    {"{{#a}}\n  {{/b}}", "t.mustache:2:3: closing tag 'b' does not match 'a'"},
    {"x{{/a}}", "t.mustache:1:2: closing tag 'a' without a section"},
    {"{{}}", "t.mustache:1:1: empty tag name"},
    {"ab{{ }}", "t.mustache:1:3: empty tag name"},
    {"{{#}}{{/}}", "t.mustache:1:1: empty tag name"},
    {"{{{ }}}", "t.mustache:1:1: empty tag name"},
    {"{{& }}", "t.mustache:1:1: empty tag name"},
    {"\n{{>}}", "t.mustache:2:1: empty tag name"},
    {"{{==}}", "t.mustache:1:1: bad delimiter tag"},
    {"{{=<%=}}", "t.mustache:1:1: bad delimiter tag"},
    {"{{=a b c=}}", "t.mustache:1:1: bad delimiter tag"},
    {"{{=a= b=}}", "t.mustache:1:1: bad delimiter tag"},
    {"{{=<% %>}}", "t.mustache:1:1: unclosed tag"},
    {"{{a b}}", "t.mustache:1:1: invalid tag name 'a b'"},
    {"{{a..b}}", "t.mustache:1:1: invalid tag name 'a..b'"},
    {"{{.a}}", "t.mustache:1:1: invalid tag name '.a'"},
    {"{{#a.}}{{/a.}}", "t.mustache:1:1: invalid tag name 'a.'"},
    {"{{> a b}}", "t.mustache:1:1: invalid tag name 'a b'"},
    /* Columns count code points, not bytes. */
    {"caf\xc3\xa9 {{x", "t.mustache:1:6: unclosed tag"},
    {"{{=<% %>=}}\n\t<% x", "t.mustache:2:2: unclosed tag"},
    {"{{=<% %>=}}<%#a%>{{/a}}", "t.mustache:1:12: unclosed section 'a'"},
};

static void errors(void **state)
{
    for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
        struct gz_tpl_set *set = gz_tpl_set_new();
        char err[256] = "";
        int rc = gz_tpl_add(set, "x", "t.mustache", bads[i].tpl,
                            strlen(bads[i].tpl), err, sizeof err);
        if (rc != GZ_EINVAL || strcmp(err, bads[i].err) != 0)
            fail_msg("template %zu: rc %d, err \"%s\", want \"%s\"", i, rc, err,
                     bads[i].err);
        assert_false(gz_tpl_has(set, "x"));
        gz_tpl_set_free(set);
    }
}

/* Builds n nested "{{#a}}" sections (and their closes) into a buffer. */
static char *nested(int n)
{
    struct gz_buf b = {0};
    for (int i = 0; i < n; i++)
        gz_buf_puts(&b, "{{#a}}");
    gz_buf_puts(&b, "x");
    for (int i = 0; i < n; i++)
        gz_buf_puts(&b, "{{/a}}");
    return gz_buf_steal(&b, NULL);
}

static void error_nesting_limit(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    char err[256];
    char *ok = nested(64), *deep = nested(65);
    json_t *data = json_pack("{s:b}", "a", 1);
    struct gz_buf out = {0};

    assert_int_equal(
        gz_tpl_add(set, "ok", NULL, ok, strlen(ok), err, sizeof err), 0);
    assert_int_equal(gz_tpl_render(set, "ok", data, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), "x");
    assert_int_equal(
        gz_tpl_add(set, "deep", NULL, deep, strlen(deep), err, sizeof err),
        GZ_EINVAL);
    /* The 65th tag starts after 64 * 6 bytes; origin defaults to name. */
    assert_string_equal(err, "deep:1:385: sections nested deeper than 64");
    gz_buf_free(&out);
    json_decref(data);
    free(ok);
    free(deep);
    gz_tpl_set_free(set);
}

static void error_buffer_edge_cases(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    char small[8];
    /* No buffer at all, and a buffer too short: no crash, still EINVAL. */
    assert_int_equal(gz_tpl_add(set, "x", "f", "{{", 2, NULL, 0), GZ_EINVAL);
    assert_int_equal(
        gz_tpl_add(set, "x", "file.mustache", "{{", 2, small, sizeof small),
        GZ_EINVAL);
    assert_string_equal(small, "file.mu");
    /* The error must not be followed by a read past len: "{{x" then "}}"
     * outside the given length. */
    assert_int_equal(gz_tpl_add(set, "x", "f", "{{x}}", 3, NULL, 0), GZ_EINVAL);
    gz_tpl_set_free(set);
}

/* A failed add keeps the template that was there. */
static void error_keeps_old_template(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    struct gz_buf out = {0};
    assert_int_equal(gz_tpl_add(set, "p", NULL, "old", 3, NULL, 0), 0);
    assert_int_equal(gz_tpl_add(set, "p", NULL, "{{#x}}", 6, NULL, 0),
                     GZ_EINVAL);
    assert_int_equal(gz_tpl_render(set, "p", NULL, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), "old");
    gz_buf_free(&out);
    gz_tpl_set_free(set);
}

/* ---- recursion -------------------------------------------------------- */

static void render_str(struct gz_tpl_set *set, const char *name,
                       const char *json, const char *want)
{
    json_t *data = json_loads(json, JSON_DECODE_ANY, NULL);
    struct gz_buf out = {0};
    assert_non_null(data);
    assert_int_equal(gz_tpl_render(set, name, data, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), want);
    gz_buf_free(&out);
    json_decref(data);
}

static void recursion_limit(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    char want[65];
    memset(want, 'x', 64);
    want[64] = '\0';
    assert_int_equal(gz_tpl_add(set, "self", NULL, "x{{>self}}", 10, NULL, 0),
                     0);
    /* The template itself plus 63 nested partials: 64 levels. */
    render_str(set, "self", "{}", want);

    /* Mutual recursion stops too: a b a b ... 64 levels. */
    assert_int_equal(gz_tpl_add(set, "a", NULL, "a{{>b}}", 7, NULL, 0), 0);
    assert_int_equal(gz_tpl_add(set, "b", NULL, "b{{>a}}", 7, NULL, 0), 0);
    char ab[65];
    for (int i = 0; i < 64; i++)
        ab[i] = i % 2 ? 'b' : 'a';
    ab[64] = '\0';
    render_str(set, "a", "{}", ab);

    /* Recursion bounded by the data renders completely. */
    const char *tree = "{{n}}({{#k}}{{>tree}}{{/k}})";
    assert_int_equal(gz_tpl_add(set, "tree", NULL, tree, strlen(tree), NULL, 0),
                     0);
    render_str(set, "tree",
               "{\"n\": 1, \"k\": [{\"n\": 2, \"k\": [{\"n\": 3, \"k\": []}]},"
               " {\"n\": 4, \"k\": false}]}",
               "1(2(3())4())");
    gz_tpl_set_free(set);
}

/* Output that multiplies per level (a name that resolves again further up
 * the stack) is cut off by the work and output limits, not rendered for
 * hours: GZ_ENOMEM, fast. A large but sane page still renders. */
static void work_limits(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    const char *boom = "{{#a}}<{{>boom}}{{>boom}}>{{/a}}";
    const char *tree = "{{n}}{{#kids}}{{>tree}}{{/kids}}";
    const char *big = "{{#l}}{{{s}}}{{/l}}";
    assert_int_equal(gz_tpl_add(set, "boom", NULL, boom, strlen(boom), NULL, 0),
                     0);
    assert_int_equal(gz_tpl_add(set, "tree", NULL, tree, strlen(tree), NULL, 0),
                     0);
    assert_int_equal(gz_tpl_add(set, "big", NULL, big, strlen(big), NULL, 0),
                     0);
    struct gz_buf out = {0};
    json_t *data = json_pack("{s:[i,i,i]}", "a", 1, 2, 3);
    assert_int_equal(gz_tpl_render(set, "boom", data, &out), GZ_ENOMEM);
    json_decref(data);

    /* Leaves without "kids" find their parent's list: a classic theme
     * mistake that recurses with fan-out 2 down to the depth limit. */
    data =
        json_loads("{\"n\": 1, \"kids\": [{\"n\": 2}, {\"n\": 3}]}", 0, NULL);
    gz_buf_reset(&out);
    assert_int_equal(gz_tpl_render(set, "tree", data, &out), GZ_ENOMEM);
    json_decref(data);

    /* 1 MiB per item: 16 items render, 100 are over 64 MiB. */
    char *mb = malloc(1 << 20);
    assert_non_null(mb);
    memset(mb, 'x', 1 << 20);
    json_t *s = json_stringn(mb, 1 << 20), *l = json_array();
    for (int i = 0; i < 100; i++)
        json_array_append_new(l, json_integer(i));
    data = json_pack("{s:o, s:o}", "s", s, "l", l);
    gz_buf_reset(&out);
    assert_int_equal(gz_tpl_render(set, "big", data, &out), GZ_ENOMEM);
    while (json_array_size(l) > 16)
        json_array_remove(l, 0);
    gz_buf_reset(&out);
    assert_int_equal(gz_tpl_render(set, "big", data, &out), 0);
    assert_int_equal(out.len, (size_t)16 << 20);
    assert_memory_equal(out.data + out.len - 3, "xxx", 3);
    json_decref(data);
    free(mb);
    gz_buf_free(&out);
    gz_tpl_set_free(set);
}

/* ---- the set API ------------------------------------------------------ */

static void set_api(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    struct gz_buf out = {0};
    assert_false(gz_tpl_has(set, "a"));
    assert_int_equal(gz_tpl_render(set, "a", NULL, &out), GZ_ENOTFOUND);

    assert_int_equal(gz_tpl_add(set, "a", NULL, "one{{x}}", 8, NULL, 0), 0);
    assert_true(gz_tpl_has(set, "a"));
    /* The source need not be NUL-terminated: only len bytes count. */
    assert_int_equal(gz_tpl_add(set, "b", NULL, "twoXXX", 3, NULL, 0), 0);
    render_str(set, "b", "{}", "two");

    /* Adding under the same name replaces. */
    assert_int_equal(gz_tpl_add(set, "a", NULL, "new", 3, NULL, 0), 0);
    render_str(set, "a", "{}", "new");

    /* Render appends to what the buffer holds; NULL data is a null root. */
    gz_buf_puts(&out, "<<");
    assert_int_equal(gz_tpl_render(set, "a", NULL, &out), 0);
    assert_int_equal(gz_tpl_render(set, "b", NULL, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), "<<newtwo");

    /* Many templates (the set grows past its first allocation). */
    for (int i = 0; i < 100; i++) {
        char name[16], src[32];
        snprintf(name, sizeof name, "t%d", i);
        snprintf(src, sizeof src, "<%d>{{>t%d}}", i, i + 1);
        assert_int_equal(gz_tpl_add(set, name, NULL, src, strlen(src), NULL, 0),
                         0);
    }
    assert_true(gz_tpl_has(set, "t99"));
    gz_buf_reset(&out);
    assert_int_equal(gz_tpl_render(set, "t97", NULL, &out), 0);
    assert_string_equal(gz_buf_cstr(&out), "<97><98><99>");
    gz_buf_free(&out);
    gz_tpl_set_free(set);
    gz_tpl_set_free(NULL);
}

static void format_real(void **state)
{
    static const struct {
        double v;
        const char *s;
    } rows[] = {
        {2.2, "2.2"},
        {1.5, "1.5"},
        {0.1, "0.1"},
        {1.21, "1.21"},
        {-0.5, "-0.5"},
        {100.0, "100"},
        {0.1 + 0.2, "0.30000000000000004"},
        {1.0 / 3.0, "0.3333333333333333"},
        {1e21, "1e+21"},
        {1e-7, "1e-07"},
        {123456789.125, "123456789.125"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[32];
        gz_tpl_format_real(rows[i].v, out);
        assert_string_equal(out, rows[i].s);
        assert_true(strtod(out, NULL) == rows[i].v);
    }
}

/* ---- files: gz_tpl_add_dir and `gazette render` ----------------------- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void remove_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void add_dir(void **state)
{
    char dir[] = "/tmp/gz-tpl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    write_file(dir, "_head.mustache", "<h1>{{title}}</h1>\n");
    write_file(dir, "page.mustache", "{{>_head}}{{body}}");
    write_file(dir, "notes.txt", "{{#broken");
    write_file(dir, ".hidden.mustache", "{{#broken");
    write_file(dir, "x.mustache.bak", "{{#broken");
    write_file(dir, ".mustache", "{{#broken");

    struct gz_tpl_set *set = gz_tpl_set_new();
    char err[512] = "";
    assert_int_equal(gz_tpl_add_dir(set, dir, err, sizeof err), 0);
    assert_true(gz_tpl_has(set, "_head"));
    assert_true(gz_tpl_has(set, "page"));
    assert_false(gz_tpl_has(set, "notes"));
    assert_false(gz_tpl_has(set, ".hidden"));
    assert_false(gz_tpl_has(set, "x.mustache"));
    assert_false(gz_tpl_has(set, ""));
    render_str(set, "page", "{\"title\": \"<T>\", \"body\": \"b\"}",
               "<h1>&lt;T&gt;</h1>\nb");

    /* A syntax error names the file, line and column. */
    write_file(dir, "bad.mustache", "ok\n  {{/x}}");
    assert_int_equal(gz_tpl_add_dir(set, dir, err, sizeof err), GZ_EINVAL);
    char want[600];
    snprintf(want, sizeof want,
             "%s/bad.mustache:2:3: closing tag 'x' without a section", dir);
    assert_string_equal(err, want);
    gz_tpl_set_free(set);

    /* An unreadable directory is GZ_EIO, naming it. */
    set = gz_tpl_set_new();
    remove_tree(dir);
    assert_int_equal(gz_tpl_add_dir(set, dir, err, sizeof err), GZ_EIO);
    assert_non_null(strstr(err, dir));
    gz_tpl_set_free(set);
}

/* The whole file as a NUL-terminated string (caller frees). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *s = calloc(1, 1 << 16);
    assert_non_null(s);
    size_t n = fread(s, 1, (1 << 16) - 1, f);
    assert_true(n < (1 << 16) - 1);
    fclose(f);
    return s;
}

/* Runs gz_tpl_cli_render with stdout and stderr sent to files; returns the
 * exit status and fills out/errout (malloc'd). */
static int run_cli(const char *dir, const char *tpl, const char *data,
                   const char *partials, char **out, char **errout)
{
    char po[512], pe[512];
    snprintf(po, sizeof po, "%s/stdout", dir);
    snprintf(pe, sizeof pe, "%s/stderr", dir);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    int rc = gz_tpl_cli_render(tpl, data, partials);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    close(fo);
    close(fe);
    *out = slurp(po);
    *errout = slurp(pe);
    return rc;
}

static void cli_render(void **state)
{
    char dir[] = "/tmp/gz-tpl-XXXXXX", pdir[600], tpl[600], data[600];
    char *out, *errout;
    assert_non_null(mkdtemp(dir));
    snprintf(pdir, sizeof pdir, "%s/partials", dir);
    snprintf(tpl, sizeof tpl, "%s/page.mustache", dir);
    snprintf(data, sizeof data, "%s/data.json", dir);
    assert_int_equal(mkdir(pdir, 0700), 0);
    write_file(pdir, "item.mustache", "<li>{{.}}</li>\n");
    /* A partial with the main template's stem must not replace it. */
    write_file(pdir, "page.mustache", "WRONG");
    write_file(dir, "page.mustache",
               "<ul>\n{{#l}}\n  {{>item}}\n{{/l}}\n"
               "</ul>\n{{>page}}");
    write_file(dir, "data.json", "{\"l\": [\"a&b\", 2.2]}");

    assert_int_equal(run_cli(dir, tpl, data, pdir, &out, &errout), 0);
    assert_string_equal(out, "<ul>\n  <li>a&amp;b</li>\n  <li>2.2</li>\n"
                             "</ul>\nWRONG");
    assert_string_equal(errout, "");
    free(out);
    free(errout);

    /* Any JSON value may be the root; no partials dir; no newline added. */
    write_file(dir, "data.json", "[1, 2]");
    write_file(dir, "page.mustache", "{{#.}}{{.}}{{/.}}");
    assert_int_equal(run_cli(dir, tpl, data, NULL, &out, &errout), 0);
    assert_string_equal(out, "12");
    free(out);
    free(errout);

    /* Errors: one line on stderr naming file, line and column; exit 1. */
    write_file(dir, "page.mustache", "ok\n {{#x}}");
    assert_int_equal(run_cli(dir, tpl, data, NULL, &out, &errout), 1);
    assert_string_equal(out, "");
    char want[700];
    snprintf(want, sizeof want,
             "gazette render: %s:2:2: unclosed section 'x'\n", tpl);
    assert_string_equal(errout, want);
    free(out);
    free(errout);

    write_file(dir, "page.mustache", "x");
    write_file(dir, "data.json", "{\"a\": }");
    assert_int_equal(run_cli(dir, tpl, data, NULL, &out, &errout), 1);
    assert_string_equal(out, "");
    snprintf(want, sizeof want, "gazette render: %s:1:", data);
    assert_memory_equal(errout, want, strlen(want));
    /* Exactly one line. */
    assert_ptr_equal(strchr(errout, '\n'), errout + strlen(errout) - 1);
    free(out);
    free(errout);

    snprintf(want, sizeof want, "%s/missing", dir);
    assert_int_equal(run_cli(dir, want, data, NULL, &out, &errout), 1);
    assert_non_null(strstr(errout, "missing"));
    free(out);
    free(errout);
    remove_tree(dir);
}

/* ---- threads ---------------------------------------------------------- */

struct job {
    const struct gz_tpl_set *set;
    json_t *data; /* borrowed, shared by every thread */
    const char *want;
    int mismatches;
};

static void *render_many(void *arg)
{
    struct job *j = arg;
    struct gz_buf out = {0};
    for (int i = 0; i < 300; i++) {
        gz_buf_reset(&out);
        if (gz_tpl_render(j->set, "page", j->data, &out) != 0 ||
            strcmp(gz_buf_cstr(&out), j->want) != 0)
            j->mismatches++;
    }
    gz_buf_free(&out);
    return NULL;
}

static void threads(void **state)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    const char *page = "<ul>\n{{#items}}\n  {{>item}}\n{{/items}}\n</ul>\n"
                       "{{^none}}{{>foot}}{{/none}}";
    const char *item = "<li class=\"{{kind}}\">{{title}} {{n}}</li>\n"
                       "{{#tags}}\n  <b>{{.}}</b>\n{{/tags}}\n";
    assert_int_equal(gz_tpl_add(set, "page", NULL, page, strlen(page), NULL, 0),
                     0);
    assert_int_equal(gz_tpl_add(set, "item", NULL, item, strlen(item), NULL, 0),
                     0);
    assert_int_equal(
        gz_tpl_add(set, "foot", NULL, "[{{site.name}}]", 15, NULL, 0), 0);
    json_t *items = json_array();
    for (int i = 0; i < 50; i++)
        json_array_append_new(items, json_pack("{s:s, s:i, s:f, s:[s,s]}",
                                               "title", "<T&>", "n", i, "kind",
                                               0.5 + i, "tags", "x", "'y'"));
    json_t *data =
        json_pack("{s:o, s:{s:s}}", "items", items, "site", "name", "G\"z");
    struct gz_buf want = {0};
    assert_int_equal(gz_tpl_render(set, "page", data, &want), 0);
    assert_non_null(strstr(gz_buf_cstr(&want),
                           "  <li class=\"49.5\">&lt;T&amp;&gt; 49</li>\n"
                           "    <b>x</b>\n    <b>&#39;y&#39;</b>\n</ul>"));
    assert_non_null(strstr(gz_buf_cstr(&want), "</ul>\n[G&quot;z]"));

    pthread_t tid[4];
    struct job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (struct job){set, data, gz_buf_cstr(&want), 0};
        assert_int_equal(pthread_create(&tid[i], NULL, render_many, &jobs[i]),
                         0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(tid[i], NULL), 0);
        assert_int_equal(jobs[i].mismatches, 0);
    }
    gz_buf_free(&want);
    json_decref(data);
    gz_tpl_set_free(set);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(errors),
        cmocka_unit_test(error_nesting_limit),
        cmocka_unit_test(error_buffer_edge_cases),
        cmocka_unit_test(error_keeps_old_template),
        cmocka_unit_test(recursion_limit),
        cmocka_unit_test(work_limits),
        cmocka_unit_test(set_api),
        cmocka_unit_test(format_real),
        cmocka_unit_test(add_dir),
        cmocka_unit_test(cli_render),
        cmocka_unit_test(threads),
    };
    size_t ng = sizeof goldens / sizeof goldens[0];
    size_t nf = sizeof fixed / sizeof fixed[0];
    struct CMUnitTest *t = calloc(ng + nf, sizeof *t);
    if (!t)
        return 1;
    for (size_t i = 0; i < ng; i++)
        t[i] = (struct CMUnitTest){.name = goldens[i].name,
                                   .test_func = golden_one,
                                   .initial_state = (void *)&goldens[i]};
    memcpy(t + ng, fixed, sizeof fixed);
    int rc = _cmocka_run_group_tests("tpl", t, ng + nf, NULL, NULL);
    free(t);
    return rc;
}
