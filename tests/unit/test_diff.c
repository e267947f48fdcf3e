/*
 * test_diff.c - unit tests for src/render/diff.c: the line diff by longest
 * common subsequence, the word diff inside changed lines, escaping of
 * everything (XSS payloads in both texts), the counts, and large inputs
 * that take the bounded path. Pure functions: single-threaded, no setup.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/diff.h"
#include "gazette/util.h"

static char *diff(const char *a, const char *b, struct gz_diff_stats *st)
{
    struct gz_buf out;
    gz_buf_init(&out);
    assert_int_equal(gz_diff_html(a, b, &out, st), 0);
    char *s = strdup(gz_buf_cstr(&out));
    gz_buf_free(&out);
    return s;
}

static void test_same(void **state)
{
    (void)state;
    struct gz_diff_stats st;
    char *s = diff("one\ntwo\n", "one\ntwo\n", &st);
    assert_string_equal(s, "<div class=\"diff-line diff-same\">one</div>\n"
                           "<div class=\"diff-line diff-same\">two</div>\n");
    assert_int_equal(st.lines_added, 0);
    assert_int_equal(st.lines_removed, 0);
    free(s);
}

static void test_empty(void **state)
{
    (void)state;
    struct gz_diff_stats st;
    char *s = diff("", "", &st);
    assert_string_equal(s, "");
    free(s);
    s = diff("", "new line", &st);
    assert_string_equal(
        s, "<div class=\"diff-line diff-ins\"><ins>new line</ins></div>\n");
    assert_int_equal(st.lines_added, 1);
    free(s);
    s = diff("old line", NULL, &st);
    assert_string_equal(
        s, "<div class=\"diff-line diff-del\"><del>old line</del></div>\n");
    assert_int_equal(st.lines_removed, 1);
    free(s);
}

static void test_words_in_changed_line(void **state)
{
    (void)state;
    struct gz_diff_stats st;
    char *s = diff("a\nThe quick brown fox\nz\n", "a\nThe slow brown fox\nz\n",
                   &st);
    assert_string_equal(
        s, "<div class=\"diff-line diff-same\">a</div>\n"
           "<div class=\"diff-line diff-chg\">The <del>quick</del>"
           "<ins>slow</ins> brown fox</div>\n"
           "<div class=\"diff-line diff-same\">z</div>\n");
    assert_int_equal(st.lines_added, 1);
    assert_int_equal(st.lines_removed, 1);
    free(s);
}

static void test_insert_and_delete_lines(void **state)
{
    (void)state;
    struct gz_diff_stats st;
    char *s = diff("a\nb\nc\nd\n", "a\nc\nd\ne\n", &st);
    assert_string_equal(
        s, "<div class=\"diff-line diff-same\">a</div>\n"
           "<div class=\"diff-line diff-del\"><del>b</del></div>\n"
           "<div class=\"diff-line diff-same\">c</div>\n"
           "<div class=\"diff-line diff-same\">d</div>\n"
           "<div class=\"diff-line diff-ins\"><ins>e</ins></div>\n");
    assert_int_equal(st.lines_added, 1);
    assert_int_equal(st.lines_removed, 1);
    free(s);
}

static void test_lcs_not_greedy(void **state)
{
    (void)state;
    /* x y z -> y z x: the LCS keeps "y z", one line moves. */
    struct gz_diff_stats st;
    assert_int_equal(gz_diff_count("x\ny\nz", "y\nz\nx", &st), 0);
    assert_int_equal(st.lines_added, 1);
    assert_int_equal(st.lines_removed, 1);
}

static void test_crlf_is_lf(void **state)
{
    (void)state;
    struct gz_diff_stats st;
    assert_int_equal(gz_diff_count("a\r\nb", "a\nb\r\n", &st), 0);
    assert_int_equal(st.lines_added, 0);
    assert_int_equal(st.lines_removed, 0);
    char *s = diff("x\r\n", "y\r\n", NULL);
    assert_string_equal(s, "<div class=\"diff-line diff-chg\"><del>x</del>"
                           "<ins>y</ins></div>\n");
    free(s);
}

static void test_escapes_everything(void **state)
{
    (void)state;
    char *s = diff("<script>alert(1)</script> & \"x\"",
                   "<img src=x onerror='alert(1)'> & \"x\"", NULL);
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "<img"));
    assert_non_null(strstr(s, "&lt;script&gt;"));
    assert_non_null(strstr(s, "&lt;img"));
    assert_non_null(strstr(s, "&#39;alert(1)&#39;&gt;"));
    assert_non_null(strstr(s, " &amp; &quot;x&quot;"));
    free(s);
}

static void test_large_bounded(void **state)
{
    (void)state;
    /* Two 5000-line texts that differ everywhere: the middle is over the
     * cell limit, so it is all removed then all added, quickly. */
    struct gz_buf a, b;
    gz_buf_init(&a);
    gz_buf_init(&b);
    for (int i = 0; i < 5000; i++) {
        gz_buf_printf(&a, "old %d\n", i);
        gz_buf_printf(&b, "new %d\n", i);
    }
    struct gz_diff_stats st;
    assert_int_equal(gz_diff_count(gz_buf_cstr(&a), gz_buf_cstr(&b), &st), 0);
    assert_int_equal(st.lines_added, 5000);
    assert_int_equal(st.lines_removed, 5000);
    /* A small edit in a long text: common start and end are cut first. */
    struct gz_buf c;
    gz_buf_init(&c);
    gz_buf_append(&c, a.data, a.len);
    gz_buf_puts(&c, "one more\n");
    assert_int_equal(gz_diff_count(gz_buf_cstr(&a), gz_buf_cstr(&c), &st), 0);
    assert_int_equal(st.lines_added, 1);
    assert_int_equal(st.lines_removed, 0);
    gz_buf_free(&a);
    gz_buf_free(&b);
    gz_buf_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_words_in_changed_line),
        cmocka_unit_test(test_insert_and_delete_lines),
        cmocka_unit_test(test_lcs_not_greedy),
        cmocka_unit_test(test_crlf_is_lf),
        cmocka_unit_test(test_escapes_everything),
        cmocka_unit_test(test_large_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
