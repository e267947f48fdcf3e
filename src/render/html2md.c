/*
 * html2md.c - HTML post bodies (Ghost, WordPress) to the CommonMark that
 * story bodies are (gazette/import.h).
 *
 * libxml2's HTML parser builds the tree (it decodes entities and repairs
 * bad nesting as browsers do); this file walks it. Markdown expresses p,
 * h1-h6, a, em/i, strong/b, code, pre, ul/ol/li, blockquote, img, br and
 * hr without loss. What Markdown cannot express is kept as sanitized HTML
 * inside the Markdown (stories render raw HTML through the allow-list
 * sanitizer, gazette/sanitize.h): tables, figures with a caption,
 * definition lists and details become one raw HTML block each (serialized
 * by the sanitizer with no blank line inside, so cmark keeps it whole);
 * u, s, del, ins, sup, sub, mark, small, q and abbr become inline HTML
 * around their Markdown. Only real losses are named in `losses`: what the
 * sanitizer drops (scripts, styles, forms, unsafe links), embeds (iframe,
 * video...: a link to their source), presentational tags (font...).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>

#include "gazette/html.h"
#include "gazette/import.h"
#include "gazette/sanitize.h"
#include "gazette/util.h"

struct cv {
    const struct gz_html2md_opts *o;
    json_t *losses;
    int oom;
};

/* An inline run being built: whitespace collapses to one space, a <br>
 * becomes a hard break only between two pieces of text. */
struct run {
    struct gz_buf b;
    int space, brk, no_breaks;
};

static void lose(struct cv *c, const char *what)
{
    if (!c->losses)
        return;
    size_t i;
    json_t *v;
    json_array_foreach(c->losses, i, v)
    {
        if (strcmp(json_string_value(v), what) == 0)
            return;
    }
    json_array_append_new(c->losses, json_string(what));
}

static int is(const xmlNode *n, const char *name)
{
    return n->type == XML_ELEMENT_NODE &&
           strcasecmp((const char *)n->name, name) == 0;
}

static const char *attr(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (strcasecmp((const char *)a->name, name) == 0 && a->children &&
            a->children->type == XML_TEXT_NODE)
            return (const char *)a->children->content;
    return NULL;
}

static int one_of(const xmlNode *n, const char *const *names)
{
    for (; *names; names++)
        if (is(n, *names))
            return 1;
    return 0;
}

static const char *const block_tags[] = {
    "p",        "div",     "h1",      "h2",      "h3",         "h4",
    "h5",       "h6",      "ul",      "ol",      "li",         "blockquote",
    "pre",      "hr",      "table",   "figure",  "figcaption", "iframe",
    "embed",    "object",  "video",   "audio",   "section",    "article",
    "header",   "footer",  "main",    "aside",   "nav",        "dl",
    "dt",       "dd",      "form",    "script",  "style",      "noscript",
    "template", "details", "summary", "address", "center",     "tr",
    "td",       "th",      "thead",   "tbody",   "tfoot",      NULL};

static int at_line_start(const struct run *r)
{
    return r->b.len == 0 || r->b.data[r->b.len - 1] == '\n';
}

/* Before visible content: the pending hard break or space. */
static void flush_space(struct run *r)
{
    if (r->brk && r->b.len > 0 && !r->no_breaks) {
        gz_buf_puts(&r->b, "\\\n");
        r->space = 0;
    } else if ((r->space || r->brk) && r->b.len > 0 && !at_line_start(r)) {
        gz_buf_putc(&r->b, ' ');
    }
    r->space = r->brk = 0;
}

/* Text, whitespace collapsed, Markdown's special characters escaped. */
static void put_text(struct run *r, const char *s)
{
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f') {
            r->space = 1;
            continue;
        }
        flush_space(r);
        int escaped = 0;
        if (at_line_start(r)) {
            if (strchr("#>-+=~|", ch)) {
                gz_buf_putc(&r->b, '\\');
                escaped = 1;
            } else if (isdigit(ch)) {
                const char *q = p;
                while (isdigit((unsigned char)*q))
                    q++;
                if (*q == '.' || *q == ')') {
                    gz_buf_append(&r->b, p, (size_t)(q - p));
                    gz_buf_putc(&r->b, '\\');
                    gz_buf_putc(&r->b, *q);
                    p = q;
                    continue;
                }
            }
        }
        if (!escaped &&
            (strchr("\\`*_[]<>!", ch) ||
             (ch == '&' && (isalpha((unsigned char)p[1]) || p[1] == '#'))))
            gz_buf_putc(&r->b, '\\');
        gz_buf_putc(&r->b, (char)ch);
    }
}

/* A URL in a link or image destination: the characters that would end or
 * break it are percent-encoded. */
static void put_url(struct gz_buf *b, const char *url)
{
    for (const char *p = url; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= ' ' || strchr("()<>\\\"", ch))
            gz_buf_printf(b, "%%%02X", ch);
        else
            gz_buf_putc(b, (char)ch);
    }
}

static void put_title(struct gz_buf *b, const char *title)
{
    if (!title || !*title)
        return;
    gz_buf_puts(b, " \"");
    for (const char *p = title; *p; p++) {
        if (*p == '"' || *p == '\\')
            gz_buf_putc(b, '\\');
        gz_buf_putc(b, *p == '\n' ? ' ' : *p);
    }
    gz_buf_putc(b, '"');
}

static void inline_children(struct cv *c, const xmlNode *n, struct run *r);

/* The inline content of n alone, trimmed, as a string in out. */
static void inline_alone(struct cv *c, const xmlNode *n, struct gz_buf *out,
                         int no_breaks)
{
    struct run sub = {.no_breaks = no_breaks};
    inline_children(c, n, &sub);
    const char *s = gz_buf_cstr(&sub.b);
    size_t len = sub.b.len;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\n'))
        len--;
    while (len && *s == ' ') {
        s++;
        len--;
    }
    gz_buf_append(out, s, len);
    gz_buf_free(&sub.b);
}

/* Emphasis and strong: the marker hugs the text (or it does not parse).
 * Also inline HTML tags around Markdown: open and close differ. */
static void wrap2(struct cv *c, const xmlNode *n, struct run *r,
                  const char *open, const char *close)
{
    struct gz_buf inner = {0};
    int lead = n->children && n->children->type == XML_TEXT_NODE &&
               n->children->content &&
               isspace((unsigned char)n->children->content[0]);
    inline_alone(c, n, &inner, 1);
    if (inner.len == 0) {
        if (lead)
            r->space = 1;
        gz_buf_free(&inner);
        return;
    }
    if (lead)
        r->space = 1;
    flush_space(r);
    gz_buf_puts(&r->b, open);
    gz_buf_append(&r->b, inner.data, inner.len);
    gz_buf_puts(&r->b, close);
    gz_buf_free(&inner);
    const xmlNode *last = n->last;
    if (last && last->type == XML_TEXT_NODE && last->content) {
        size_t l = strlen((const char *)last->content);
        if (l && isspace((unsigned char)last->content[l - 1]))
            r->space = 1;
    }
}

static void wrap(struct cv *c, const xmlNode *n, struct run *r,
                 const char *mark)
{
    wrap2(c, n, r, mark, mark);
}

/* Formatting Markdown lacks, as inline HTML around the converted content
 * (the sanitizer keeps these tags): <u>, <sup>, <abbr title>... */
static void inline_html(struct cv *c, const xmlNode *n, struct run *r)
{
    const char *name = is(n, "strike") ? "s" : (const char *)n->name;
    char open[24], close[24];
    snprintf(open, sizeof open, "<%s>", name);
    snprintf(close, sizeof close, "</%s>", name);
    const char *title = is(n, "abbr") ? attr(n, "title") : NULL;
    if (!title || !*title) {
        wrap2(c, n, r, open, close);
        return;
    }
    struct gz_buf o = {0};
    gz_buf_puts(&o, "<abbr title=\"");
    for (const char *p = title; *p; p++)
        gz_html_escape(&o, *p == '\n' || *p == '\r' ? " " : p, 1);
    gz_buf_puts(&o, "\">");
    wrap2(c, n, r, gz_buf_cstr(&o), close);
    gz_buf_free(&o);
}

static void code_span(struct run *r, const char *text)
{
    size_t run = 0, most = 0;
    for (const char *p = text; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > most)
            most = run;
    }
    flush_space(r);
    for (size_t i = 0; i <= most; i++)
        gz_buf_putc(&r->b, '`');
    int pad = text[0] == '`' || (*text && text[strlen(text) - 1] == '`');
    if (pad)
        gz_buf_putc(&r->b, ' ');
    for (const char *p = text; *p; p++)
        gz_buf_putc(&r->b, *p == '\n' || *p == '\r' ? ' ' : *p);
    if (pad)
        gz_buf_putc(&r->b, ' ');
    for (size_t i = 0; i <= most; i++)
        gz_buf_putc(&r->b, '`');
}

static const char *mapped(struct cv *c, const char *url)
{
    const char *m =
        c->o && c->o->map_url ? c->o->map_url(c->o->ctx, url) : NULL;
    return m ? m : url;
}

static void image(struct cv *c, const xmlNode *n, struct run *r)
{
    const char *src = attr(n, "src");
    if (!src || !*src || !gz_url_is_safe(src)) {
        lose(c, "image without a usable source (dropped)");
        return;
    }
    struct run alt = {.no_breaks = 1};
    put_text(&alt, attr(n, "alt") ? attr(n, "alt") : "");
    flush_space(r);
    gz_buf_puts(&r->b, "![");
    gz_buf_append(&r->b, gz_buf_cstr(&alt.b), alt.b.len);
    gz_buf_puts(&r->b, "](");
    put_url(&r->b, mapped(c, src));
    put_title(&r->b, attr(n, "title"));
    gz_buf_putc(&r->b, ')');
    gz_buf_free(&alt.b);
}

static void inline_node(struct cv *c, const xmlNode *n, struct run *r)
{
    static const char *const html_inline[] = {"u",     "s",   "del",  "strike",
                                              "ins",   "sup", "sub",  "mark",
                                              "small", "q",   "abbr", NULL};
    static const char *const formats[] = {"big", "font", "blink", "center",
                                          NULL};
    static const char *const dropped[] = {
        "script", "style",  "noscript", "template", "form",  "input",
        "button", "select", "textarea", "head",     "title", NULL};
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
        put_text(r, (const char *)n->content);
        return;
    }
    if (n->type != XML_ELEMENT_NODE)
        return;
    if (is(n, "em") || is(n, "i") || is(n, "cite") || is(n, "dfn")) {
        wrap(c, n, r, "*");
    } else if (is(n, "strong") || is(n, "b")) {
        wrap(c, n, r, "**");
    } else if (is(n, "code") || is(n, "kbd") || is(n, "samp") || is(n, "tt")) {
        xmlChar *t = xmlNodeGetContent(n);
        if (t && *t)
            code_span(r, (const char *)t);
        xmlFree(t);
    } else if (one_of(n, html_inline)) {
        inline_html(c, n, r);
    } else if (is(n, "br")) {
        r->brk = 1;
    } else if (is(n, "img")) {
        image(c, n, r);
    } else if (is(n, "a")) {
        const char *href = attr(n, "href");
        struct gz_buf inner = {0};
        inline_alone(c, n, &inner, 1);
        if (!href || !*href || !gz_url_is_safe(href)) {
            if (href && *href && href[0] != '#')
                lose(c, "link with an unsafe or unusable address (text kept)");
            if (inner.len) {
                flush_space(r);
                gz_buf_append(&r->b, inner.data, inner.len);
            }
        } else if (inner.len) {
            flush_space(r);
            gz_buf_putc(&r->b, '[');
            gz_buf_append(&r->b, inner.data, inner.len);
            gz_buf_puts(&r->b, "](");
            put_url(&r->b, href);
            put_title(&r->b, attr(n, "title"));
            gz_buf_putc(&r->b, ')');
        }
        gz_buf_free(&inner);
    } else if (one_of(n, dropped)) {
        char what[64];
        snprintf(what, sizeof what, "<%s> (dropped)", (const char *)n->name);
        lose(c, what);
    } else {
        if (one_of(n, formats)) {
            char what[64];
            snprintf(what, sizeof what, "<%s> formatting (text kept)",
                     (const char *)n->name);
            lose(c, what);
        }
        inline_children(c, n, r);
    }
}

static void inline_children(struct cv *c, const xmlNode *n, struct run *r)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        inline_node(c, k, r);
}

/* ---- blocks ----------------------------------------------------------- */

static void add_block(struct gz_buf *out, const char *s, size_t len)
{
    while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
        len--;
    if (!len)
        return;
    if (out->len)
        gz_buf_puts(out, "\n\n");
    gz_buf_append(out, s, len);
}

static void flush_run(struct run *r, struct gz_buf *out)
{
    const char *s = gz_buf_cstr(&r->b);
    size_t len = r->b.len;
    while (len && *s == ' ') {
        s++;
        len--;
    }
    add_block(out, s, len);
    gz_buf_reset(&r->b);
    r->space = r->brk = 0;
}

static void blocks(struct cv *c, const xmlNode *parent, struct gz_buf *out);

/* Each line of text prefixed: first line with first, others with rest. */
static void prefixed(struct gz_buf *out, const char *text, const char *first,
                     const char *rest)
{
    const char *p = text;
    int line = 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *pre = line == 0 ? first : rest;
        if (len == 0 && line > 0) {
            /* a blank line keeps only what the prefix needs ("> " -> ">") */
            size_t pl = strlen(pre);
            while (pl && pre[pl - 1] == ' ')
                pl--;
            gz_buf_append(out, pre, pl);
        } else {
            gz_buf_puts(out, pre);
            gz_buf_append(out, p, len);
        }
        line++;
        if (!nl)
            break;
        gz_buf_putc(out, '\n');
        p = nl + 1;
    }
}

/* In a list item, a sublist follows its text on the next line: a blank
 * line between them would make the list loose (<p> in every item). */
static void tighten(struct gz_buf *item)
{
    char *s = item->data;
    if (!s)
        return;
    size_t w = 0;
    for (size_t r = 0; r < item->len; r++) {
        if (s[r] == '\n' && r + 1 < item->len && s[r + 1] == '\n') {
            const char *next = s + r + 2;
            const char *d = next;
            while (*d >= '0' && *d <= '9')
                d++;
            if (strncmp(next, "- ", 2) == 0 ||
                (d > next && d[0] == '.' && d[1] == ' ')) {
                s[w++] = '\n';
                r++;
                continue;
            }
        }
        s[w++] = s[r];
    }
    item->len = w;
    s[w] = '\0';
}

static void list(struct cv *c, const xmlNode *n, struct gz_buf *out)
{
    int ordered = is(n, "ol");
    long num = 1;
    const char *start = attr(n, "start");
    if (ordered && start)
        num = strtol(start, NULL, 10);
    if (num < 0 || num > 999999999)
        num = 1;
    struct gz_buf items = {0};
    int loose = 0, count = 0;
    for (const xmlNode *k = n->children; k; k = k->next) {
        if (k->type == XML_TEXT_NODE || k->type == XML_COMMENT_NODE)
            continue;
        struct gz_buf item = {0};
        blocks(c, k, &item);
        tighten(&item);
        if (strstr(gz_buf_cstr(&item), "\n\n"))
            loose = 1;
        char first[24], rest[24];
        if (ordered)
            snprintf(first, sizeof first, "%ld. ", num++);
        else
            snprintf(first, sizeof first, "- ");
        memset(rest, ' ', strlen(first));
        rest[strlen(first)] = '\0';
        if (count++)
            gz_buf_putc(&items, '\x01'); /* item separator, decided below */
        if (item.len == 0)
            gz_buf_append(&items, first, strlen(first) - 1);
        else
            prefixed(&items, gz_buf_cstr(&item), first, rest);
        gz_buf_free(&item);
    }
    struct gz_buf joined = {0};
    for (size_t i = 0; i < items.len; i++) {
        if (items.data[i] == '\x01')
            gz_buf_puts(&joined, loose ? "\n\n" : "\n");
        else
            gz_buf_putc(&joined, items.data[i]);
    }
    add_block(out, gz_buf_cstr(&joined), joined.len);
    gz_buf_free(&joined);
    gz_buf_free(&items);
}

static void pre_block(const xmlNode *n, struct gz_buf *out)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *text = t ? (const char *)t : "";
    char lang[40] = "";
    for (const xmlNode *k = n->children; k; k = k->next) {
        const char *cls = is(k, "code") ? attr(k, "class") : NULL;
        const char *l = cls ? strstr(cls, "language-") : NULL;
        if (l) {
            size_t i = 0;
            for (l += 9; l[i] &&
                         (isalnum((unsigned char)l[i]) || l[i] == '-' ||
                          l[i] == '+' || l[i] == '_') &&
                         i < sizeof lang - 1;
                 i++)
                lang[i] = l[i];
            lang[i] = '\0';
        }
    }
    size_t run = 0, most = 2;
    for (const char *p = text; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > most)
            most = run;
    }
    struct gz_buf b = {0};
    for (size_t i = 0; i <= most; i++)
        gz_buf_putc(&b, '`');
    gz_buf_puts(&b, lang);
    gz_buf_putc(&b, '\n');
    size_t len = strlen(text);
    if (len && text[len - 1] == '\n')
        len--;
    gz_buf_append(&b, text, len);
    gz_buf_putc(&b, '\n');
    for (size_t i = 0; i <= most; i++)
        gz_buf_putc(&b, '`');
    if (out->len)
        gz_buf_puts(out, "\n\n");
    gz_buf_append(out, b.data, b.len);
    gz_buf_free(&b);
    xmlFree(t);
}

/* The source of an embed: its src, data, or first <source>'s src. */
static const char *embed_src(const xmlNode *n)
{
    const char *src = attr(n, "src");
    if (!src)
        src = attr(n, "data");
    for (const xmlNode *k = n->children; !src && k; k = k->next)
        if (is(k, "source"))
            src = attr(k, "src");
    return src;
}

static const char *raw_map(void *ctx, const char *url)
{
    return mapped(ctx, url);
}

static void raw_lose(void *ctx, const char *what)
{
    lose(ctx, what);
}

/* An element Markdown cannot express, as one raw HTML block: serialized
 * by the sanitizer with no blank line inside (cmark ends an HTML block
 * at a blank line), image URLs mapped, what it drops named as a loss. */
static void raw_block(struct cv *c, const xmlNode *n, struct gz_buf *out)
{
    struct gz_sanitize_opts so = {1, raw_map, raw_lose, c};
    struct gz_buf h = {0};
    if (gz_html_sanitize_node(n, &so, &h) != 0)
        c->oom = 1;
    add_block(out, gz_buf_cstr(&h), h.len);
    gz_buf_free(&h);
}

static int has_child(const xmlNode *n, const char *name)
{
    for (const xmlNode *k = n->children; k; k = k->next)
        if (is(k, name))
            return 1;
    return 0;
}

static void block_node(struct cv *c, const xmlNode *n, struct gz_buf *out)
{
    static const char *const heads[] = {"h1", "h2", "h3", "h4",
                                        "h5", "h6", NULL};
    if (one_of(n, heads)) {
        struct gz_buf t = {0};
        inline_alone(c, n, &t, 1);
        if (t.len) {
            struct gz_buf h = {0};
            for (int i = 0; i < n->name[1] - '0'; i++)
                gz_buf_putc(&h, '#');
            gz_buf_putc(&h, ' ');
            gz_buf_append(&h, t.data, t.len);
            add_block(out, gz_buf_cstr(&h), h.len);
            gz_buf_free(&h);
        }
        gz_buf_free(&t);
    } else if (is(n, "ul") || is(n, "ol")) {
        list(c, n, out);
    } else if (is(n, "blockquote")) {
        struct gz_buf inner = {0}, q = {0};
        blocks(c, n, &inner);
        if (inner.len) {
            prefixed(&q, gz_buf_cstr(&inner), "> ", "> ");
            add_block(out, gz_buf_cstr(&q), q.len);
        }
        gz_buf_free(&inner);
        gz_buf_free(&q);
    } else if (is(n, "pre")) {
        pre_block(n, out);
    } else if (is(n, "hr")) {
        add_block(out, "---", 3);
    } else if (is(n, "table") || is(n, "dl") || is(n, "details") ||
               (is(n, "figure") && has_child(n, "figcaption"))) {
        raw_block(c, n, out);
    } else if (is(n, "iframe") || is(n, "embed") || is(n, "object") ||
               is(n, "video") || is(n, "audio")) {
        const char *src = embed_src(n);
        if (src &&
            (strncmp(src, "https://", 8) == 0 ||
             strncmp(src, "http://", 7) == 0) &&
            gz_url_is_safe(src)) {
            lose(c, "embedded media (kept as a link)");
            struct gz_buf l = {0};
            gz_buf_puts(&l, "[Embedded media](");
            put_url(&l, src);
            gz_buf_putc(&l, ')');
            add_block(out, gz_buf_cstr(&l), l.len);
            gz_buf_free(&l);
        } else {
            lose(c, "embedded media (dropped)");
        }
    } else if (is(n, "figcaption")) {
        struct gz_buf t = {0};
        inline_alone(c, n, &t, 1);
        if (t.len) {
            lose(c, "figure caption (kept as a paragraph)");
            struct gz_buf e = {0};
            gz_buf_putc(&e, '*');
            gz_buf_append(&e, t.data, t.len);
            gz_buf_putc(&e, '*');
            add_block(out, gz_buf_cstr(&e), e.len);
            gz_buf_free(&e);
        }
        gz_buf_free(&t);
    } else if (is(n, "script") || is(n, "style") || is(n, "form") ||
               is(n, "noscript") || is(n, "template")) {
        char what[64];
        snprintf(what, sizeof what, "<%s> (dropped)", (const char *)n->name);
        lose(c, what);
    } else {
        /* p, div, section, li, figure, td...: their content as blocks */
        blocks(c, n, out);
    }
}

static void blocks(struct cv *c, const xmlNode *parent, struct gz_buf *out)
{
    struct run r = {0};
    for (const xmlNode *k = parent->children; k; k = k->next) {
        if (k->type == XML_ELEMENT_NODE && one_of(k, block_tags)) {
            flush_run(&r, out);
            block_node(c, k, out);
        } else {
            inline_node(c, k, &r);
        }
    }
    flush_run(&r, out);
    gz_buf_free(&r.b);
}

/* ---- WordPress paragraphs --------------------------------------------- */

static int starts_block(const char *s)
{
    static const char *const tags[] = {
        "p",       "div",   "h1",     "h2",     "h3",      "h4",
        "h5",      "h6",    "ul",     "ol",     "li",      "blockquote",
        "pre",     "table", "figure", "hr",     "iframe",  "dl",
        "section", "form",  "script", "style",  "address", "!--",
        "video",   "audio", "embed",  "object", NULL};
    if (*s != '<')
        return 0;
    s++;
    for (int i = 0; tags[i]; i++) {
        size_t n = strlen(tags[i]);
        if (strncasecmp(s, tags[i], n) == 0 &&
            (tags[i][0] == '!' || !isalnum((unsigned char)s[n])))
            return 1;
    }
    return 0;
}

/* Classic WordPress bodies are text with blank lines between paragraphs
 * and single newlines as line breaks (what wpautop() turns into <p> and
 * <br />); chunks that start with a block tag are left alone, and a
 * <pre> is never split. Also unwraps [caption] shortcodes. */
static void autop(struct cv *c, const char *s, size_t n, struct gz_buf *out)
{
    size_t i = 0;
    while (i < n) {
        /* one chunk: up to a blank line outside <pre> */
        size_t start = i, end = i;
        int in_pre = 0;
        while (end < n) {
            if (strncasecmp(s + end, "<pre", 4) == 0)
                in_pre = 1;
            else if (strncasecmp(s + end, "</pre", 5) == 0)
                in_pre = 0;
            if (!in_pre && s[end] == '\n') {
                size_t k = end + 1;
                while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '\r'))
                    k++;
                if (k < n && s[k] == '\n') {
                    break;
                }
            }
            end++;
        }
        i = end;
        while (i < n && isspace((unsigned char)s[i]))
            i++;
        while (start < end && isspace((unsigned char)s[start]))
            start++;
        size_t e = end;
        while (e > start && isspace((unsigned char)s[e - 1]))
            e--;
        if (e == start)
            continue;
        if (starts_block(s + start)) {
            gz_buf_append(out, s + start, e - start);
            gz_buf_putc(out, '\n');
            continue;
        }
        gz_buf_puts(out, "<p>");
        for (size_t k = start; k < e; k++) {
            if (s[k] == '\n')
                gz_buf_puts(out, "<br>\n");
            else
                gz_buf_putc(out, s[k]);
        }
        gz_buf_puts(out, "</p>\n");
    }
    (void)c;
}

/* Drops "[caption ...]" and "[/caption]" (the image and the text inside
 * stay); other shortcodes stay as text and are reported. */
static void shortcodes(struct cv *c, struct gz_buf *b)
{
    struct gz_buf o = {0};
    const char *s = gz_buf_cstr(b);
    while (*s) {
        if (strncmp(s, "[caption", 8) == 0 ||
            strncmp(s, "[/caption]", 10) == 0) {
            const char *e = strchr(s, ']');
            if (e) {
                if (s[1] != '/')
                    lose(c, "caption shortcode (caption kept as text)");
                s = e + 1;
                continue;
            }
        }
        if (*s == '[' && islower((unsigned char)s[1])) {
            const char *p = s + 1;
            while (islower((unsigned char)*p) || *p == '_' || *p == '-')
                p++;
            if (*p == ']' || *p == ' ')
                lose(c, "shortcode (kept as text)");
        }
        gz_buf_putc(&o, *s++);
    }
    gz_buf_free(b);
    *b = o;
}

char *gz_html_to_md(const char *html, size_t len,
                    const struct gz_html2md_opts *opts, json_t *losses)
{
    struct cv c = {opts, losses, 0};
    struct gz_buf src = {0}, out = {0};
    /* The fragment goes in a body of its own: libxml2's parser nests
     * sibling top-level elements when told not to imply html/body. */
    gz_buf_puts(&src, "<!DOCTYPE html><html><head></head><body>");
    size_t head = src.len;
    if (opts && opts->autop) {
        /* autop looks ahead with string compares: a terminated copy */
        char *copy = strndup(html, len);
        if (!copy) {
            gz_buf_free(&src);
            return NULL;
        }
        autop(&c, copy, strlen(copy), &src);
        free(copy);
    } else
        gz_buf_append(&src, html, len);
    if (opts && opts->autop)
        shortcodes(&c, &src);
    if (src.len == head) {
        gz_buf_free(&src);
        return strdup("");
    }
    htmlDocPtr doc = htmlReadMemory(src.data, (int)src.len, NULL, "UTF-8",
                                    HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                        HTML_PARSE_NONET);
    gz_buf_free(&src);
    if (!doc)
        return strdup("");
    xmlNode *root = (xmlNode *)doc;
    for (xmlNode *k = doc->children; k; k = k->next)
        if (is(k, "html"))
            for (xmlNode *b = k->children; b; b = b->next)
                if (is(b, "body"))
                    root = b;
    blocks(&c, root, &out);
    xmlFreeDoc(doc);
    if (c.oom) {
        gz_buf_free(&out);
        return NULL;
    }
    gz_buf_putc(&out, '\n');
    return gz_buf_steal(&out, NULL);
}
