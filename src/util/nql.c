/*
 * nql.c - a recursive-descent parser for the NQL subset of nql.h.
 *
 *   expr  := and { ',' and }
 *   and   := term { ('+' | spaces) term }
 *   term  := '(' expr ')' | key ':' [op] value
 *   op    := '-' | '>' | '>=' | '<' | '<='
 *   value := atom | '[' atom { ',' atom } ']'
 *   atom  := "'" { char | "\'" } "'" | bare characters (letters, digits,
 *            - _ . : and anything above ASCII)
 *
 * A space between two terms is an and, because a `+` in a URL's query
 * reaches the server as a space unless it was sent as %2B. Limits on
 * length, node count, list size and depth keep any input cheap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/nql.h"
#include "gazette/util.h"

struct parser {
    const char *s, *p;
    int nodes, depth;
    char *err;
    size_t errlen;
    int failed;
};

static void fail(struct parser *ps, const char *fmt, ...)
{
    if (ps->failed)
        return;
    ps->failed = 1;
    int n = snprintf(ps->err, ps->errlen,
                     "at character %d: ", (int)(ps->p - ps->s) + 1);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < ps->errlen)
        vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static void skip_spaces(struct parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static struct gz_nql *node_new(struct parser *ps, enum gz_nql_kind kind)
{
    if (++ps->nodes > GZ_NQL_MAX_NODES) {
        fail(ps, "the filter has more than %d parts", GZ_NQL_MAX_NODES);
        return NULL;
    }
    struct gz_nql *n = calloc(1, sizeof *n);
    if (!n)
        fail(ps, "out of memory");
    else
        n->kind = kind;
    return n;
}

void gz_nql_free(struct gz_nql *n)
{
    if (!n)
        return;
    gz_nql_free(n->left);
    gz_nql_free(n->right);
    for (size_t i = 0; i < n->nvalues; i++)
        free(n->values[i]);
    free(n->values);
    free(n);
}

static int bare_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == ':' || c >= 0x80;
}

/* One value into a malloc'd string; NULL after fail(). */
static char *atom(struct parser *ps)
{
    struct gz_buf b;
    gz_buf_init(&b);
    if (*ps->p == '\'') {
        ps->p++;
        for (;;) {
            if (!*ps->p) {
                fail(ps, "a quoted value is not closed with '");
                gz_buf_free(&b);
                return NULL;
            }
            if (ps->p[0] == '\\' && (ps->p[1] == '\'' || ps->p[1] == '\\')) {
                gz_buf_append(&b, ps->p + 1, 1);
                ps->p += 2;
                continue;
            }
            if (*ps->p == '\'')
                break;
            gz_buf_append(&b, ps->p, 1);
            ps->p++;
        }
        ps->p++;
    } else {
        const char *start = ps->p;
        while (bare_char((unsigned char)*ps->p))
            ps->p++;
        if (ps->p == start) {
            fail(ps,
                 *ps->p ? "expected a value, found '%c'"
                        : "expected a value, found the end",
                 *ps->p);
            gz_buf_free(&b);
            return NULL;
        }
        gz_buf_append(&b, start, (size_t)(ps->p - start));
    }
    char *v = gz_buf_steal(&b, NULL);
    if (!v)
        fail(ps, "out of memory");
    return v;
}

static int push_value(struct parser *ps, struct gz_nql *n, char *v)
{
    if (n->nvalues >= GZ_NQL_MAX_VALUES) {
        free(v);
        fail(ps, "a list has more than %d values", GZ_NQL_MAX_VALUES);
        return -1;
    }
    char **grown = realloc(n->values, (n->nvalues + 1) * sizeof *grown);
    if (!grown) {
        free(v);
        fail(ps, "out of memory");
        return -1;
    }
    n->values = grown;
    n->values[n->nvalues++] = v;
    return 0;
}

static struct gz_nql *expr(struct parser *ps);

static struct gz_nql *comparison(struct parser *ps)
{
    const char *start = ps->p;
    while ((*ps->p >= 'a' && *ps->p <= 'z') || *ps->p == '_' ||
           (*ps->p >= 'A' && *ps->p <= 'Z') || *ps->p == '.')
        ps->p++;
    size_t klen = (size_t)(ps->p - start);
    if (klen == 0) {
        fail(ps,
             *ps->p ? "expected a key such as tag, found '%c'"
                    : "expected a key such as tag, found the end",
             *ps->p);
        return NULL;
    }
    struct gz_nql *n = node_new(ps, GZ_NQL_CMP);
    if (!n)
        return NULL;
    if (klen >= sizeof n->key) {
        fail(ps, "the key is too long");
        gz_nql_free(n);
        return NULL;
    }
    memcpy(n->key, start, klen);
    if (*ps->p != ':') {
        fail(ps, "expected ':' after the key '%s'", n->key);
        gz_nql_free(n);
        return NULL;
    }
    ps->p++;
    n->op = GZ_NQL_EQ;
    if (ps->p[0] == '>' && ps->p[1] == '=') {
        n->op = GZ_NQL_GE;
        ps->p += 2;
    } else if (ps->p[0] == '<' && ps->p[1] == '=') {
        n->op = GZ_NQL_LE;
        ps->p += 2;
    } else if (*ps->p == '>') {
        n->op = GZ_NQL_GT;
        ps->p++;
    } else if (*ps->p == '<') {
        n->op = GZ_NQL_LT;
        ps->p++;
    } else if (*ps->p == '-') {
        n->op = GZ_NQL_NE;
        ps->p++;
    }
    if (*ps->p == '[') {
        if (n->op != GZ_NQL_EQ && n->op != GZ_NQL_NE) {
            fail(ps, "a [list] takes no comparison operator");
            gz_nql_free(n);
            return NULL;
        }
        n->op = n->op == GZ_NQL_EQ ? GZ_NQL_IN : GZ_NQL_NIN;
        ps->p++;
        for (;;) {
            skip_spaces(ps);
            char *v = atom(ps);
            if (!v || push_value(ps, n, v) != 0) {
                gz_nql_free(n);
                return NULL;
            }
            skip_spaces(ps);
            if (*ps->p == ',') {
                ps->p++;
                continue;
            }
            if (*ps->p == ']') {
                ps->p++;
                break;
            }
            fail(ps, "expected ',' or ']' in the list");
            gz_nql_free(n);
            return NULL;
        }
        return n;
    }
    char *v = atom(ps);
    if (!v || push_value(ps, n, v) != 0) {
        gz_nql_free(n);
        return NULL;
    }
    return n;
}

static struct gz_nql *term(struct parser *ps)
{
    skip_spaces(ps);
    if (*ps->p != '(')
        return comparison(ps);
    if (++ps->depth > GZ_NQL_MAX_DEPTH) {
        fail(ps, "parentheses nest deeper than %d", GZ_NQL_MAX_DEPTH);
        return NULL;
    }
    ps->p++;
    struct gz_nql *n = expr(ps);
    if (!n)
        return NULL;
    skip_spaces(ps);
    if (*ps->p != ')') {
        fail(ps, "expected ')'");
        gz_nql_free(n);
        return NULL;
    }
    ps->p++;
    ps->depth--;
    return n;
}

static struct gz_nql *join(struct parser *ps, enum gz_nql_kind kind,
                           struct gz_nql *l, struct gz_nql *r)
{
    if (!r) {
        gz_nql_free(l);
        return NULL;
    }
    struct gz_nql *n = node_new(ps, kind);
    if (!n) {
        gz_nql_free(l);
        gz_nql_free(r);
        return NULL;
    }
    n->left = l;
    n->right = r;
    return n;
}

static struct gz_nql *and_expr(struct parser *ps)
{
    struct gz_nql *l = term(ps);
    while (l) {
        const char *before = ps->p;
        skip_spaces(ps);
        if (*ps->p == '+') {
            ps->p++;
        } else if (ps->p == before || !*ps->p || *ps->p == ',' ||
                   *ps->p == ')') {
            break; /* no and here: the caller decides what follows */
        }
        l = join(ps, GZ_NQL_AND, l, term(ps));
    }
    return l;
}

static struct gz_nql *expr(struct parser *ps)
{
    struct gz_nql *l = and_expr(ps);
    while (l) {
        skip_spaces(ps);
        if (*ps->p != ',')
            break;
        ps->p++;
        l = join(ps, GZ_NQL_OR, l, and_expr(ps));
    }
    return l;
}

int gz_nql_parse(const char *text, struct gz_nql **out, char *err,
                 size_t errlen)
{
    struct parser ps = {text, text, 0, 0, err, errlen, 0};
    *out = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (strlen(text) > GZ_NQL_MAX_LEN) {
        snprintf(err, errlen, "the filter is longer than %d characters",
                 GZ_NQL_MAX_LEN);
        return GZ_EINVAL;
    }
    skip_spaces(&ps);
    if (!*ps.p) {
        snprintf(err, errlen, "the filter is empty");
        return GZ_EINVAL;
    }
    struct gz_nql *n = expr(&ps);
    if (n) {
        skip_spaces(&ps);
        if (*ps.p) {
            fail(&ps, "unexpected '%c'", *ps.p);
            gz_nql_free(n);
            n = NULL;
        }
    }
    if (!n) {
        if (!ps.failed)
            fail(&ps, "the filter is empty");
        return GZ_EINVAL;
    }
    *out = n;
    return 0;
}

int gz_nql_uses(const struct gz_nql *n, const char *key)
{
    if (!n)
        return 0;
    if (n->kind == GZ_NQL_CMP)
        return strcmp(n->key, key) == 0;
    return gz_nql_uses(n->left, key) || gz_nql_uses(n->right, key);
}
