/*
 * diff.c - the readable diff of diff.h: lines by longest common
 * subsequence, then words inside the lines that changed.
 *
 * The texts are split into tokens (lines, or runs of spaces and runs of
 * other bytes); the common start and end are taken off, and the middle is
 * compared with the classic O(n*m) LCS table, bounded by GZ_DIFF_MAX_CELLS
 * (a larger middle is shown as removed then added: a story of 1 MiB edited
 * everywhere at once is rare, and this keeps the memory of one request
 * small). Pure functions, no state, thread-safe.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/diff.h"
#include "gazette/html.h"

struct tok {
    const char *s;
    size_t n;
};

enum op { OP_SAME = 0, OP_DEL, OP_INS };

struct edit {
    enum op op;
    size_t i; /* index in a (SAME, DEL) or b (INS) */
};

struct toks {
    struct tok *v;
    size_t n, cap;
};

static int toks_push(struct toks *t, const char *s, size_t n)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct tok *v = realloc(t->v, cap * sizeof *v);
        if (!v)
            return GZ_ENOMEM;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n].s = s;
    t->v[t->n].n = n;
    t->n++;
    return 0;
}

/* Lines without their '\n' or "\r\n" (browsers send a textarea with
 * CRLF, the API may send LF: the same text either way). An empty text has
 * no lines; a final line break ends the last line. */
static int push_line(struct toks *t, const char *s, size_t n)
{
    if (n && s[n - 1] == '\r')
        n--;
    return toks_push(t, s, n);
}

static int split_lines(const char *s, struct toks *t)
{
    size_t len = strlen(s), start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            if (push_line(t, s + start, i - start))
                return GZ_ENOMEM;
            start = i + 1;
        }
    }
    if (start < len && push_line(t, s + start, len - start))
        return GZ_ENOMEM;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Words and the spaces between them, each a token. */
static int split_words(const char *s, size_t len, struct toks *t)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        int sp = is_space(s[i]);
        while (j < len && is_space(s[j]) == sp)
            j++;
        if (toks_push(t, s + i, j - i))
            return GZ_ENOMEM;
        i = j;
    }
    return 0;
}

static int tok_eq(const struct tok *x, const struct tok *y)
{
    return x->n == y->n && memcmp(x->s, y->s, x->n) == 0;
}

/*
 * The edit script from a to b into *out (malloc'd, *nout entries): SAME
 * entries name a's index, DEL a's, INS b's. Within a changed stretch the
 * removals come before the additions.
 */
static int lcs(const struct toks *a, const struct toks *b, struct edit **out,
               size_t *nout)
{
    size_t pre = 0, suf = 0;
    while (pre < a->n && pre < b->n && tok_eq(&a->v[pre], &b->v[pre]))
        pre++;
    while (suf < a->n - pre && suf < b->n - pre &&
           tok_eq(&a->v[a->n - 1 - suf], &b->v[b->n - 1 - suf]))
        suf++;
    size_t n = a->n - pre - suf, m = b->n - pre - suf;
    struct edit *e = malloc((a->n + b->n + 1) * sizeof *e);
    if (!e)
        return GZ_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < pre; i++)
        e[k++] = (struct edit){OP_SAME, i};

    uint32_t *t = NULL;
    int big = n && m && (n + 1) > GZ_DIFF_MAX_CELLS / (m + 1);
    if (n && m && !big) {
        t = calloc((n + 1) * (m + 1), sizeof *t);
        if (!t) {
            free(e);
            return GZ_ENOMEM;
        }
        /* t[i][j]: LCS length of a[pre+i..] and b[pre+j..]. */
        for (size_t i = n; i-- > 0;)
            for (size_t j = m; j-- > 0;) {
                uint32_t *c = &t[i * (m + 1) + j];
                if (tok_eq(&a->v[pre + i], &b->v[pre + j]))
                    *c = t[(i + 1) * (m + 1) + j + 1] + 1;
                else {
                    uint32_t d = t[(i + 1) * (m + 1) + j];
                    uint32_t r = t[i * (m + 1) + j + 1];
                    *c = d >= r ? d : r;
                }
            }
    }
    size_t i = 0, j = 0;
    while (i < n || j < m) {
        if (t && i < n && j < m &&
            tok_eq(&a->v[pre + i], &b->v[pre + j])) {
            e[k++] = (struct edit){OP_SAME, pre + i};
            i++;
            j++;
            continue;
        }
        /* A changed stretch: removals first, then additions, until the
         * next common token. */
        size_t i0 = i, j0 = j;
        if (!t) {
            i = n;
            j = m;
        } else {
            while ((i < n || j < m) &&
                   !(i < n && j < m &&
                     tok_eq(&a->v[pre + i], &b->v[pre + j]))) {
                if (j >= m ||
                    (i < n && t[(i + 1) * (m + 1) + j] >=
                                  t[i * (m + 1) + j + 1]))
                    i++;
                else
                    j++;
            }
        }
        for (size_t x = i0; x < i; x++)
            e[k++] = (struct edit){OP_DEL, pre + x};
        for (size_t y = j0; y < j; y++)
            e[k++] = (struct edit){OP_INS, pre + y};
    }
    for (size_t s = 0; s < suf; s++)
        e[k++] = (struct edit){OP_SAME, a->n - suf + s};
    free(t);
    *out = e;
    *nout = k;
    return 0;
}

static int put_tag_text(struct gz_buf *out, const char *open,
                        const char *close, const struct tok *t)
{
    if (gz_buf_puts(out, open) || gz_html_escape(out, t->s, t->n) ||
        gz_buf_puts(out, close))
        return GZ_ENOMEM;
    return 0;
}

/* One changed line: the old line's words against the new line's. */
static int word_line(struct gz_buf *out, const struct tok *ol,
                     const struct tok *nl)
{
    struct toks a = {0}, b = {0};
    struct edit *e = NULL;
    size_t ne = 0;
    int rc = GZ_ENOMEM;
    if (split_words(ol->s, ol->n, &a) || split_words(nl->s, nl->n, &b) ||
        lcs(&a, &b, &e, &ne))
        goto out;
    if (gz_buf_puts(out, "<div class=\"diff-line diff-chg\">"))
        goto out;
    for (size_t k = 0; k < ne;) {
        enum op op = e[k].op;
        if (op == OP_SAME) {
            if (gz_html_escape(out, a.v[e[k].i].s, a.v[e[k].i].n))
                goto out;
            k++;
            continue;
        }
        /* A run of removed (or added) words is one <del> (<ins>). */
        if (gz_buf_puts(out, op == OP_DEL ? "<del>" : "<ins>"))
            goto out;
        for (; k < ne && e[k].op == op; k++) {
            const struct tok *t = op == OP_INS ? &b.v[e[k].i] : &a.v[e[k].i];
            if (gz_html_escape(out, t->s, t->n))
                goto out;
        }
        if (gz_buf_puts(out, op == OP_DEL ? "</del>" : "</ins>"))
            goto out;
    }
    rc = gz_buf_puts(out, "</div>\n") ? GZ_ENOMEM : 0;
out:
    free(a.v);
    free(b.v);
    free(e);
    return rc;
}

static int whole_line(struct gz_buf *out, const char *cls, const char *open,
                      const char *close, const struct tok *t)
{
    if (gz_buf_puts(out, "<div class=\"diff-line ") || gz_buf_puts(out, cls) ||
        gz_buf_puts(out, "\">") || put_tag_text(out, open, close, t) ||
        gz_buf_puts(out, "</div>\n"))
        return GZ_ENOMEM;
    return 0;
}

static int run(const char *old_text, const char *new_text, struct gz_buf *out,
               struct gz_diff_stats *st)
{
    struct toks a = {0}, b = {0};
    struct edit *e = NULL;
    size_t ne = 0;
    int rc = GZ_ENOMEM;
    struct gz_diff_stats s = {0};
    if (split_lines(old_text ? old_text : "", &a) ||
        split_lines(new_text ? new_text : "", &b) || lcs(&a, &b, &e, &ne))
        goto out;
    for (size_t k = 0; k < ne;) {
        if (e[k].op == OP_SAME) {
            if (out && whole_line(out, "diff-same", "", "", &a.v[e[k].i]))
                goto out;
            k++;
            continue;
        }
        /* A stretch of removed lines then added lines: pair them up as
         * changed lines, the rest whole. */
        size_t d0 = k, d1 = k;
        while (d1 < ne && e[d1].op == OP_DEL)
            d1++;
        size_t i1 = d1;
        while (i1 < ne && e[i1].op == OP_INS)
            i1++;
        size_t nd = d1 - d0, ni = i1 - d1;
        s.lines_removed += nd;
        s.lines_added += ni;
        if (out) {
            size_t pairs = nd < ni ? nd : ni;
            for (size_t p = 0; p < pairs; p++)
                if (word_line(out, &a.v[e[d0 + p].i], &b.v[e[d1 + p].i]))
                    goto out;
            for (size_t p = pairs; p < nd; p++)
                if (whole_line(out, "diff-del", "<del>", "</del>",
                               &a.v[e[d0 + p].i]))
                    goto out;
            for (size_t p = pairs; p < ni; p++)
                if (whole_line(out, "diff-ins", "<ins>", "</ins>",
                               &b.v[e[d1 + p].i]))
                    goto out;
        }
        k = i1;
    }
    rc = 0;
    if (st)
        *st = s;
out:
    free(a.v);
    free(b.v);
    free(e);
    return rc;
}

int gz_diff_html(const char *old_text, const char *new_text,
                 struct gz_buf *out, struct gz_diff_stats *st)
{
    return run(old_text, new_text, out, st);
}

int gz_diff_count(const char *old_text, const char *new_text,
                  struct gz_diff_stats *st)
{
    return run(old_text, new_text, NULL, st);
}
