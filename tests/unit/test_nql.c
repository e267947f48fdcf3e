/*
 * test_nql.c - unit tests for the NQL subset parser (src/util/nql.c):
 * the trees it builds (precedence of + over ',', parentheses, operators,
 * lists, quoting, a space as and) and the errors it gives (with the
 * character position) for malformed text and for inputs over its limits.
 */
/* cmocka.h needs these first, in this order. */
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

#include "gazette/nql.h"
#include "gazette/util.h"

/* The tree as text: (a AND b), (a OR b), key op [values]. */
static void show(const struct gz_nql *n, struct gz_buf *b)
{
    static const char *ops[] = {
        "=", "!=", ">", ">=", "<", "<=", " in ", " nin "};
    if (n->kind != GZ_NQL_CMP) {
        gz_buf_puts(b, "(");
        show(n->left, b);
        gz_buf_puts(b, n->kind == GZ_NQL_AND ? " AND " : " OR ");
        show(n->right, b);
        gz_buf_puts(b, ")");
        return;
    }
    gz_buf_printf(b, "%s%s", n->key, ops[n->op]);
    for (size_t i = 0; i < n->nvalues; i++)
        gz_buf_printf(b, "%s%s", i ? "|" : "", n->values[i]);
}

static char *parsed(const char *text)
{
    struct gz_nql *n = NULL;
    char err[200];
    int rc = gz_nql_parse(text, &n, err, sizeof err);
    if (rc != 0) {
        char *e = malloc(strlen(err) + 8);
        sprintf(e, "ERR %s", err);
        return e;
    }
    struct gz_buf b;
    gz_buf_init(&b);
    show(n, &b);
    gz_nql_free(n);
    return gz_buf_steal(&b, NULL);
}

static void check(const char *text, const char *want)
{
    char *got = parsed(text);
    assert_string_equal(got, want);
    free(got);
}

static void check_err(const char *text, const char *want_part)
{
    char *got = parsed(text);
    if (strncmp(got, "ERR ", 4) != 0 || !strstr(got, want_part))
        fail_msg("%s: got \"%s\", want an error with \"%s\"", text, got,
                 want_part);
    free(got);
}

static void test_simple(void **state)
{
    check("tag:news", "tag=news");
    check("author:maren-okafor", "author=maren-okafor");
    check("tag:-news", "tag!=news");
    check("published_at:>'2026-01-01'", "published_at>2026-01-01");
    check("published_at:>=2026-01-01", "published_at>=2026-01-01");
    check("published_at:<2026-01-01T10:00:00Z",
          "published_at<2026-01-01T10:00:00Z");
    check("id:<=5", "id<=5");
}

static void test_precedence(void **state)
{
    check("tag:a+tag:b", "(tag=a AND tag=b)");
    check("tag:a,tag:b", "(tag=a OR tag=b)");
    /* and binds tighter than or */
    check("tag:a,tag:b+author:c", "(tag=a OR (tag=b AND author=c))");
    check("tag:a+tag:b,author:c", "((tag=a AND tag=b) OR author=c)");
    check("(tag:a,tag:b)+author:c", "((tag=a OR tag=b) AND author=c)");
    check("((tag:a))", "tag=a");
}

static void test_space_is_and(void **state)
{
    /* What "+" becomes after URL decoding. */
    check("tag:a published_at:>2026-01-01",
          "(tag=a AND published_at>2026-01-01)");
    check(" tag:a , tag:b ", "(tag=a OR tag=b)");
    check("tag:a + tag:b", "(tag=a AND tag=b)");
}

static void test_lists_and_quotes(void **state)
{
    check("tag:[a,b,c]", "tag in a|b|c");
    check("tag:-[a, b]", "tag nin a|b");
    check("tag:'City hall'", "tag=City hall");
    check("tag:'it\\'s'", "tag=it's");
    check("tag:['a,b',c]", "tag in a,b|c");
    check("tag:'a+b'", "tag=a+b");
    check("tag:caf\xc3\xa9", "tag=caf\xc3\xa9");
}

static void test_errors(void **state)
{
    check_err("", "empty");
    check_err("tag", "expected ':'");
    check_err("tag:", "expected a value");
    check_err(":news", "expected a key");
    check_err("tag:'open", "not closed");
    check_err("tag:[a,b", "expected ',' or ']'");
    check_err("tag:>[a]", "no comparison operator");
    check_err("(tag:a", "expected ')'");
    check_err("tag:a)", "unexpected ')'");
    check_err("tag:a,", "expected a key");
    check_err("tag:a++tag:b", "expected a key");
    check_err("tag:a;drop", "unexpected ';'");
    /* the position is reported, 1-based */
    check_err("tag:a+x", "at character 8");
}

static void test_limits(void **state)
{
    char big[GZ_NQL_MAX_LEN + 10];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "tag:", 4);
    check_err(big, "longer than");

    struct gz_buf b;
    gz_buf_init(&b);
    for (int i = 0; i < GZ_NQL_MAX_DEPTH + 1; i++)
        gz_buf_puts(&b, "(");
    gz_buf_puts(&b, "tag:a");
    for (int i = 0; i < GZ_NQL_MAX_DEPTH + 1; i++)
        gz_buf_puts(&b, ")");
    check_err(gz_buf_cstr(&b), "nest deeper");

    gz_buf_reset(&b);
    for (int i = 0; i < GZ_NQL_MAX_NODES; i++)
        gz_buf_printf(&b, "%stag:t%d", i ? "," : "", i);
    check_err(gz_buf_cstr(&b), "more than");

    gz_buf_reset(&b);
    gz_buf_puts(&b, "tag:[");
    for (int i = 0; i < GZ_NQL_MAX_VALUES + 1; i++)
        gz_buf_printf(&b, "%sv%d", i ? "," : "", i);
    gz_buf_puts(&b, "]");
    check_err(gz_buf_cstr(&b), "more than");
    gz_buf_free(&b);
}

static void test_uses(void **state)
{
    struct gz_nql *n;
    char err[100];
    assert_int_equal(
        gz_nql_parse("tag:a,(author:b+status:draft)", &n, err, sizeof err), 0);
    assert_true(gz_nql_uses(n, "status"));
    assert_true(gz_nql_uses(n, "tag"));
    assert_false(gz_nql_uses(n, "slug"));
    gz_nql_free(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_space_is_and),
        cmocka_unit_test(test_lists_and_quotes),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_uses),
    };
    return cmocka_run_group_tests_name("nql", tests, NULL, NULL);
}
