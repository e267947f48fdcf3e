/*
 * tpl.c - the Mustache template engine of tpl.h.
 *
 * gz_tpl_add parses a template once into a flat instruction list: text runs,
 * escaped and raw interpolations, sections (which record where their body
 * ends), inverted sections, partials and "indent points" (see below). All
 * text and names live in one string pool per template, so a template is
 * three allocations. The standalone-line rules are applied while parsing:
 * a standalone tag's line simply never reaches the instruction list.
 *
 * Rendering walks the list with a context stack and an indentation chain,
 * both kept on the C stack as linked frames, and appends to a gz_buf. A
 * standalone partial is indented by marking, at parse time, every point
 * where a source line starts (OP_INDENT); at render time such a point
 * prints the indentation of the partial tags that led there, and nothing at
 * the top level. That gives the spec's "indent every line of the partial"
 * without re-parsing anything per indentation.
 *
 * Ownership: a set owns its templates; rendering borrows the JSON. A set is
 * built single-threaded and read-only afterwards; gz_tpl_render never
 * writes to it, so concurrent renders on one set need no locks.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"
#include "gazette/tpl.h"

/* Deepest partial nesting rendered, and deepest section nesting parsed.
 * Together they bound the C stack a render can use. */
#define MAX_DEPTH 64

/* Work and output one render may take (a big page needs well under a
 * tenth of either); past them gz_tpl_render fails with GZ_ENOMEM. */
#define MAX_STEPS 10000000UL
#define MAX_OUTPUT ((size_t)64 << 20)

/* The CLI registers the main template under a name no partial file can
 * take, since a file name cannot contain '/'. */
#define CLI_MAIN "/main"

enum op {
    OP_TEXT,     /* literal bytes */
    OP_INDENT,   /* a source line starts: print the partial indentation */
    OP_ESC,      /* {{name}} */
    OP_RAW,      /* {{{name}}} and {{& name}} */
    OP_SECTION,  /* {{#name}}: body is the instructions up to `end` */
    OP_INVERTED, /* {{^name}} */
    OP_PARTIAL,  /* {{> name}} */
};

struct ins {
    enum op op;
    uint32_t off, len;  /* text or name in the pool; name parts NUL-split */
    uint32_t nparts;    /* names: dotted parts, 0 for "." */
    uint32_t end;       /* sections: index just past the body */
    uint32_t ind, nind; /* partials: the standalone tag's indentation */
    int standalone;     /* partials: the tag stood alone on its line */
};

struct tpl {
    char *name;
    char *pool;
    struct ins *ins;
    size_t n;
};

struct gz_tpl_set {
    struct tpl *v;
    size_t n, cap;
};

/* ---- parsing ---------------------------------------------------------- */

struct open_section {
    size_t ins;        /* index of the OP_SECTION / OP_INVERTED */
    size_t tag;        /* source offset of its tag, for errors */
    size_t name, nlen; /* its name in the source */
};

struct parser {
    const char *src;
    size_t len, pos; /* pos: first byte not yet turned into output */
    const char *origin;
    const char *otag, *ctag; /* current delimiters (point into src) */
    size_t olen, clen;
    int bol; /* at a line start: next output needs OP_INDENT */
    struct gz_buf pool;
    struct ins *ins;
    size_t n, cap;
    struct open_section open[MAX_DEPTH];
    size_t depth;
    char *err;
    size_t errlen;
};

/* A tag as read from the source: [tag, end) is "{{...}}" with delimiters. */
struct tag {
    char type; /* 0 for a variable, else one of # ^ / ! > = & { */
    size_t tag, end;
    size_t name, nlen; /* trimmed contents */
};

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

static int fail(struct parser *p, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "origin:line:column: message", the column counting code points. */
static int fail(struct parser *p, size_t at, const char *fmt, ...)
{
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at; i++) {
        if (p->src[i] == '\n') {
            line++;
            col = 1;
        } else if (((unsigned char)p->src[i] & 0xc0) != 0x80) {
            col++;
        }
    }
    if (p->err && p->errlen) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(p->err, p->errlen, "%s:%zu:%zu: %s", p->origin, line, col,
                 msg);
    }
    return GZ_EINVAL;
}

static struct ins *add_ins(struct parser *p, enum op op)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 32;
        struct ins *v = realloc(p->ins, cap * sizeof *v);
        if (!v)
            return NULL;
        p->ins = v;
        p->cap = cap;
    }
    struct ins *in = &p->ins[p->n++];
    memset(in, 0, sizeof *in);
    in->op = op;
    return in;
}

/* Any output at a line start is preceded by an indent point. */
static int mark_line(struct parser *p)
{
    if (!p->bol)
        return 0;
    p->bol = 0;
    return add_ins(p, OP_INDENT) ? 0 : GZ_ENOMEM;
}

/* Emits src[a, b) as text, one instruction per line so that every line
 * start gets its indent point. */
static int add_text(struct parser *p, size_t a, size_t b)
{
    while (a < b) {
        const char *nl = memchr(p->src + a, '\n', b - a);
        size_t e = nl ? (size_t)(nl - p->src) + 1 : b;
        if (mark_line(p) != 0)
            return GZ_ENOMEM;
        struct ins *in = add_ins(p, OP_TEXT);
        if (!in)
            return GZ_ENOMEM;
        in->off = (uint32_t)p->pool.len;
        in->len = (uint32_t)(e - a);
        if (gz_buf_append(&p->pool, p->src + a, e - a) != 0)
            return GZ_ENOMEM;
        p->bol = nl != NULL;
        a = e;
    }
    return 0;
}

/* Copies a name into the pool; for dotted names each part is NUL-ended so
 * lookups can hand the parts straight to json_object_get. */
static int add_name(struct parser *p, struct ins *in, const struct tag *t,
                    int dotted)
{
    const char *s = p->src + t->name;
    for (size_t i = 0; i < t->nlen; i++)
        if (is_ws(s[i]))
            return fail(p, t->tag, "invalid tag name '%.*s'", (int)t->nlen, s);
    in->off = (uint32_t)p->pool.len;
    in->len = (uint32_t)t->nlen;
    in->nparts = 1;
    if (dotted && t->nlen == 1 && s[0] == '.') {
        in->nparts = 0;
    } else if (dotted) {
        for (size_t i = 0; i <= t->nlen; i++) {
            if (i < t->nlen && s[i] != '.')
                continue;
            if (i == 0 || s[i - 1] == '.')
                return fail(p, t->tag, "invalid tag name '%.*s'", (int)t->nlen,
                            s);
            if (i < t->nlen)
                in->nparts++;
        }
    }
    if (gz_buf_append(&p->pool, s, t->nlen) != 0 ||
        gz_buf_putc(&p->pool, '\0') != 0)
        return GZ_ENOMEM;
    if (in->nparts > 1)
        for (char *c = p->pool.data + in->off; *c; c++)
            if (*c == '.')
                *c = '\0';
    return 0;
}

/* First occurrence of the closing delimiter at or after `from` that is
 * preceded by `before` (the '}' of "}}}", the '=' of "=}}"), or by anything
 * when before is 0. Returns its offset, or len when there is none. */
static size_t find_close(const struct parser *p, size_t from, char before)
{
    for (size_t i = from; i < p->len;) {
        const char *c = memmem(p->src + i, p->len - i, p->ctag, p->clen);
        if (!c)
            break;
        size_t at = (size_t)(c - p->src);
        if (!before || (at > from && p->src[at - 1] == before))
            return at;
        i = at + 1;
    }
    return p->len;
}

/* Reads the tag that starts at `at` (on the opening delimiter). */
static int read_tag(struct parser *p, size_t at, struct tag *t)
{
    size_t i = at + p->olen;
    t->tag = at;
    t->type = 0;
    if (i < p->len && p->src[i] && strchr("#^/!>=&{", p->src[i]))
        t->type = p->src[i++];
    char before = t->type == '{' ? '}' : t->type == '=' ? '=' : 0;
    size_t c = find_close(p, i, before);
    if (c == p->len)
        return fail(p, at, "unclosed tag");
    t->end = c + p->clen;
    if (before)
        c--;
    while (i < c && is_ws(p->src[i]))
        i++;
    while (c > i && is_ws(p->src[c - 1]))
        c--;
    t->name = i;
    t->nlen = c - i;
    if (t->nlen == 0 && t->type != '!' && t->type != '=')
        return fail(p, at, "empty tag name");
    return 0;
}

/* {{=<% %>=}}: exactly two delimiters, no whitespace or '=' inside. */
static int set_delimiters(struct parser *p, const struct tag *t)
{
    const char *s = p->src + t->name, *e = s + t->nlen;
    const char *o = s, *oe = o;
    while (oe < e && !is_ws(*oe))
        oe++;
    const char *c = oe;
    while (c < e && is_ws(*c))
        c++;
    if (oe == o || c == e || memchr(o, '=', (size_t)(oe - o)) ||
        memchr(c, '=', (size_t)(e - c)))
        return fail(p, t->tag, "bad delimiter tag");
    for (const char *q = c; q < e; q++)
        if (is_ws(*q))
            return fail(p, t->tag, "bad delimiter tag");
    p->otag = o;
    p->olen = (size_t)(oe - o);
    p->ctag = c;
    p->clen = (size_t)(e - c);
    return 0;
}

/* Turns one tag into instructions. `indent` is the whitespace before a
 * standalone tag, NULL when the tag shares its line with other output. */
static int handle_tag(struct parser *p, const struct tag *t, const char *indent,
                      size_t nindent)
{
    struct ins *in;
    int rc;
    if (!indent && (rc = mark_line(p)) != 0)
        return rc;
    switch (t->type) {
    case '!':
        return 0;
    case '=':
        return set_delimiters(p, t);
    case '#':
    case '^':
        if (p->depth == MAX_DEPTH)
            return fail(p, t->tag, "sections nested deeper than %d", MAX_DEPTH);
        if (!(in = add_ins(p, t->type == '#' ? OP_SECTION : OP_INVERTED)))
            return GZ_ENOMEM;
        p->open[p->depth++] =
            (struct open_section){p->n - 1, t->tag, t->name, t->nlen};
        return add_name(p, in, t, 1);
    case '/': {
        const char *name = p->src + t->name;
        if (p->depth == 0)
            return fail(p, t->tag, "closing tag '%.*s' without a section",
                        (int)t->nlen, name);
        struct open_section *o = &p->open[--p->depth];
        if (o->nlen != t->nlen || memcmp(p->src + o->name, name, t->nlen))
            return fail(p, t->tag, "closing tag '%.*s' does not match '%.*s'",
                        (int)t->nlen, name, (int)o->nlen, p->src + o->name);
        p->ins[o->ins].end = (uint32_t)p->n;
        return 0;
    }
    case '>':
        if (!(in = add_ins(p, OP_PARTIAL)))
            return GZ_ENOMEM;
        if ((rc = add_name(p, in, t, 0)) != 0)
            return rc;
        in->standalone = indent != NULL;
        in->ind = (uint32_t)p->pool.len;
        in->nind = (uint32_t)nindent;
        return gz_buf_append(&p->pool, indent, nindent);
    default:
        if (!(in = add_ins(p, t->type ? OP_RAW : OP_ESC)))
            return GZ_ENOMEM;
        return add_name(p, in, t, 1);
    }
}

/*
 * If the tag stands alone on its line (only spaces and tabs around it, and
 * not a variable), returns 1 and sets *ls to the line start and *eol to the
 * start of the next line (past "\n" or "\r\n", or the end of the source).
 */
static int standalone(const struct parser *p, const struct tag *t, size_t *ls,
                      size_t *eol)
{
    if (!t->type || t->type == '&' || t->type == '{')
        return 0;
    size_t a = t->tag, e = t->end;
    while (a > p->pos && (p->src[a - 1] == ' ' || p->src[a - 1] == '\t'))
        a--;
    if (a > 0 && p->src[a - 1] != '\n')
        return 0;
    while (e < p->len && (p->src[e] == ' ' || p->src[e] == '\t'))
        e++;
    if (e < p->len && p->src[e] == '\r' && e + 1 < p->len &&
        p->src[e + 1] == '\n')
        e++;
    if (e < p->len && p->src[e] != '\n')
        return 0;
    *ls = a;
    *eol = e < p->len ? e + 1 : e;
    return 1;
}

static int parse(struct parser *p)
{
    int rc;
    while (p->pos < p->len) {
        const char *o =
            memmem(p->src + p->pos, p->len - p->pos, p->otag, p->olen);
        if (!o) {
            if ((rc = add_text(p, p->pos, p->len)) != 0)
                return rc;
            break;
        }
        struct tag t;
        size_t ls, eol;
        if ((rc = read_tag(p, (size_t)(o - p->src), &t)) != 0)
            return rc;
        if (standalone(p, &t, &ls, &eol)) {
            if ((rc = add_text(p, p->pos, ls)) != 0 ||
                (rc = handle_tag(p, &t, p->src + ls, t.tag - ls)) != 0)
                return rc;
            p->pos = eol;
            p->bol = 1;
        } else {
            if ((rc = add_text(p, p->pos, t.tag)) != 0 ||
                (rc = handle_tag(p, &t, NULL, 0)) != 0)
                return rc;
            p->pos = t.end;
        }
    }
    if (p->depth > 0) {
        const struct open_section *s = &p->open[p->depth - 1];
        return fail(p, s->tag, "unclosed section '%.*s'", (int)s->nlen,
                    p->src + s->name);
    }
    return 0;
}

/* ---- the set ---------------------------------------------------------- */

static void tpl_clear(struct tpl *t)
{
    free(t->name);
    free(t->pool);
    free(t->ins);
}

struct gz_tpl_set *gz_tpl_set_new(void)
{
    return calloc(1, sizeof(struct gz_tpl_set));
}

void gz_tpl_set_free(struct gz_tpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->n; i++)
        tpl_clear(&set->v[i]);
    free(set->v);
    free(set);
}

static const struct tpl *find(const struct gz_tpl_set *set, const char *name)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->v[i].name, name) == 0)
            return &set->v[i];
    return NULL;
}

int gz_tpl_has(const struct gz_tpl_set *set, const char *name)
{
    return find(set, name) != NULL;
}

int gz_tpl_add(struct gz_tpl_set *set, const char *name, const char *origin,
               const char *src, size_t len, char *err, size_t errlen)
{
    struct parser p = {
        .src = src,
        .len = len,
        .origin = origin ? origin : name,
        .otag = "{{",
        .ctag = "}}",
        .olen = 2,
        .clen = 2,
        .bol = 1,
        .err = err,
        .errlen = errlen,
    };
    struct tpl t = {0};
    int rc;
    /* NOTE: offsets are 32-bit; nothing near 1 GiB is a template. */
    if (len > UINT32_MAX / 4) {
        rc = fail(&p, 0, "template too large");
        goto out;
    }
    if ((rc = parse(&p)) != 0)
        goto out;
    /* The pool must exist even when empty: names point into it. */
    if (gz_buf_append(&p.pool, "", 0) != 0 || !(t.name = strdup(name))) {
        rc = GZ_ENOMEM;
        goto out;
    }
    t.pool = gz_buf_steal(&p.pool, NULL);
    t.ins = p.ins;
    t.n = p.n;
    p.ins = NULL;
    struct tpl *old = (struct tpl *)find(set, name);
    if (old) {
        tpl_clear(old);
        *old = t;
        return 0;
    }
    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct tpl *v = realloc(set->v, cap * sizeof *v);
        if (!v) {
            tpl_clear(&t);
            rc = GZ_ENOMEM;
            goto out;
        }
        set->v = v;
        set->cap = cap;
    }
    set->v[set->n++] = t;
out:
    gz_buf_free(&p.pool);
    free(p.ins);
    return rc;
}

/* Reads one file and adds it; errors name the file. */
static int add_file(struct gz_tpl_set *set, const char *name, const char *path,
                    char *err, size_t errlen)
{
    size_t len;
    char *src = gz_read_file(path, &len);
    if (!src) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return GZ_EIO;
    }
    int rc = gz_tpl_add(set, name, path, src, len, err, errlen);
    free(src);
    return rc;
}

int gz_tpl_add_dir(struct gz_tpl_set *set, const char *dir, char *err,
                   size_t errlen)
{
    static const char ext[] = ".mustache";
    const size_t next = sizeof ext - 1;
    DIR *d = opendir(dir);
    if (!d) {
        if (err && errlen)
            snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return GZ_EIO;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        /* Like the shell's *.mustache: no hidden files, no empty stem. */
        if (e->d_name[0] == '.' || n <= next ||
            strcmp(e->d_name + n - next, ext) != 0)
            continue;
        size_t plen = strlen(dir) + n + 2;
        char *path = malloc(plen);
        char *name = strndup(e->d_name, n - next);
        if (!path || !name) {
            rc = GZ_ENOMEM;
        } else {
            snprintf(path, plen, "%s/%s", dir, e->d_name);
            rc = add_file(set, name, path, err, errlen);
        }
        free(path);
        free(name);
    }
    closedir(d);
    return rc;
}

/* ---- rendering -------------------------------------------------------- */

/* One context stack frame, and one level of partial indentation. */
struct ctx {
    json_t *v;
    const struct ctx *up;
};

struct indent {
    const char *s;
    size_t n;
    const struct indent *up;
};

void gz_tpl_format_real(double v, char out[static 32])
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(out, 32, "%.*g", prec, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

static int truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    return 1;
}

/* The first part of a name is looked up through the context stack, the
 * rest strictly inside what it found. "." is the current context. */
static json_t *lookup(const struct ctx *c, const char *name, uint32_t nparts)
{
    if (nparts == 0)
        return c->v;
    json_t *v = NULL;
    for (; c && !v; c = c->up)
        v = json_object_get(c->v, name);
    for (uint32_t i = 1; v && i < nparts; i++) {
        name += strlen(name) + 1;
        v = json_object_get(v, name);
    }
    return v;
}

static int put_value(struct gz_buf *out, const json_t *v, int escape)
{
    char num[32];
    const char *s;
    size_t n;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING:
        s = json_string_value(v);
        n = json_string_length(v);
        break;
    case JSON_INTEGER:
        n = (size_t)snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
                             json_integer_value(v));
        s = num;
        break;
    case JSON_REAL:
        gz_tpl_format_real(json_real_value(v), num);
        s = num;
        n = strlen(num);
        break;
    case JSON_TRUE:
        return gz_buf_puts(out, "true");
    case JSON_FALSE:
        return gz_buf_puts(out, "false");
    default:
        return 0; /* null, missing, objects and lists print nothing */
    }
    /* SECURITY: {{x}} output is always escaped; raw is opt-in per tag. */
    return escape ? gz_html_escape(out, s, n) : gz_buf_append(out, s, n);
}

static int put_indent(struct gz_buf *out, const struct indent *ind)
{
    if (!ind)
        return 0;
    if (put_indent(out, ind->up) != 0)
        return GZ_ENOMEM;
    return gz_buf_append(out, ind->s, ind->n);
}

/* One render call: what every level needs, and the work done so far. */
struct run {
    const struct gz_tpl_set *set;
    struct gz_buf *out;
    size_t start;        /* out->len before this render */
    unsigned long steps; /* instructions executed */
};

static int render(struct run *r, const struct tpl *t, size_t i, size_t end,
                  const struct ctx *c, const struct indent *ind, int depth);

static int section(struct run *r, const struct tpl *t, size_t i,
                   const struct ctx *c, const struct indent *ind, int depth)
{
    const struct ins *in = &t->ins[i];
    json_t *v = lookup(c, t->pool + in->off, in->nparts);
    if (in->op == OP_INVERTED)
        return truthy(v) ? 0 : render(r, t, i + 1, in->end, c, ind, depth);
    if (!truthy(v))
        return 0;
    struct ctx sub = {v, c};
    if (!json_is_array(v))
        return render(r, t, i + 1, in->end, &sub, ind, depth);
    for (size_t k = 0; k < json_array_size(v); k++) {
        sub.v = json_array_get(v, k);
        int rc = render(r, t, i + 1, in->end, &sub, ind, depth);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int partial(struct run *r, const struct tpl *t, const struct ins *in,
                   const struct ctx *c, const struct indent *ind, int depth)
{
    const struct tpl *pt = find(r->set, t->pool + in->off);
    /* Past the limit a (self-)recursive partial quietly renders nothing. */
    if (!pt || depth >= MAX_DEPTH)
        return 0;
    /* Only a standalone tag indents; an inline one starts a fresh chain. */
    struct indent sub = {t->pool + in->ind, in->nind, ind};
    return render(r, pt, 0, pt->n, c, in->standalone ? &sub : NULL, depth + 1);
}

static int render(struct run *r, const struct tpl *t, size_t i, size_t end,
                  const struct ctx *c, const struct indent *ind, int depth)
{
    int rc = 0;
    for (; rc == 0 && i < end; i++) {
        const struct ins *in = &t->ins[i];
        /* SECURITY: the depth limit does not bound the work: a section
         * whose name resolves again further up the stack ({{#a}} inside
         * {{#a}}, or a tree partial whose leaves lack the child list)
         * multiplies it per level. Give up instead of hanging a thread. */
        if (++r->steps > MAX_STEPS || r->out->len - r->start > MAX_OUTPUT)
            return GZ_ENOMEM;
        switch (in->op) {
        case OP_TEXT:
            rc = gz_buf_append(r->out, t->pool + in->off, in->len);
            break;
        case OP_INDENT:
            rc = put_indent(r->out, ind);
            break;
        case OP_ESC:
        case OP_RAW:
            rc = put_value(r->out, lookup(c, t->pool + in->off, in->nparts),
                           in->op == OP_ESC);
            break;
        case OP_SECTION:
        case OP_INVERTED:
            rc = section(r, t, i, c, ind, depth);
            i = in->end - 1;
            break;
        case OP_PARTIAL:
            rc = partial(r, t, in, c, ind, depth);
            break;
        }
    }
    return rc;
}

int gz_tpl_render(const struct gz_tpl_set *set, const char *name, json_t *data,
                  struct gz_buf *out)
{
    const struct tpl *t = find(set, name);
    if (!t)
        return GZ_ENOTFOUND;
    struct ctx root = {data, NULL};
    struct run r = {set, out, out->len, 0};
    /* NOTE: appending nothing still NUL-terminates an empty buffer, so
     * gz_buf_cstr works even when the template renders nothing. */
    if (gz_buf_append(out, "", 0) != 0)
        return GZ_ENOMEM;
    return render(&r, t, 0, t->n, &root, NULL, 1);
}

/* ---- gazette render --------------------------------------------------- */

int gz_tpl_cli_render(const char *tpl_path, const char *data_path,
                      const char *partials_dir)
{
    struct gz_tpl_set *set = gz_tpl_set_new();
    struct gz_buf out = {0};
    json_t *data = NULL; /* owned */
    json_error_t jerr;
    char err[512] = "out of memory";
    int status = 1;
    if (!set)
        goto out;
    if (partials_dir && gz_tpl_add_dir(set, partials_dir, err, sizeof err))
        goto out;
    if (add_file(set, CLI_MAIN, tpl_path, err, sizeof err) != 0)
        goto out;
    if (!(data = json_load_file(data_path, JSON_DECODE_ANY, &jerr))) {
        if (jerr.line > 0)
            snprintf(err, sizeof err, "%s:%d:%d: %s", data_path, jerr.line,
                     jerr.column, jerr.text);
        else
            snprintf(err, sizeof err, "%s: %s", data_path, jerr.text);
        goto out;
    }
    if (gz_tpl_render(set, CLI_MAIN, data, &out) != 0) {
        snprintf(err, sizeof err, "%s: out of memory or over the work limit",
                 tpl_path);
        goto out;
    }
    if (fwrite(out.data, 1, out.len, stdout) != out.len ||
        fflush(stdout) != 0) {
        snprintf(err, sizeof err, "stdout: %s", strerror(errno));
        goto out;
    }
    status = 0;
out:
    if (status != 0)
        fprintf(stderr, "gazette render: %s\n", err);
    json_decref(data);
    gz_buf_free(&out);
    gz_tpl_set_free(set);
    return status;
}
