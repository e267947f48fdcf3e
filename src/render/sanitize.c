/*
 * sanitize.c - the allow-list HTML sanitizer of gazette/sanitize.h.
 *
 * libxml2's HTML parser reads the input (the fragment goes inside a body
 * of its own, as html2md.c does); this file walks the tree and writes it
 * out again itself, so nothing of the input's own spelling (quotes,
 * entities, comments, unclosed tags) ever reaches the output. Elements
 * come in four kinds: kept (with their allowed attributes), void (kept,
 * no content), unwrapped (the tag goes, its content stays) and dropped
 * with their content (script, style, iframe, svg, math, form controls...).
 * Embedded media with an http(s) source become a link to it.
 *
 * SECURITY: the output holds only elements of the table below, no element
 * whose content browsers parse as raw text or foreign content (so
 * re-parsing by a browser cannot turn escaped text back into markup), no
 * event handler, style, id or class (but code's language-*), and href/src
 * values that are http(s), mailto:/tel: (links only) or relative.
 *
 * The walk is iterative (no recursion however deep the nesting). No
 * global state: thread-safe once gz_html_sanitize_init() has run.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "gazette/html.h"
#include "gazette/sanitize.h"

enum kind {
    K_UNWRAP, /* not allowed: tag dropped, content kept (the default) */
    K_KEEP,   /* allowed, with content */
    K_VOID,   /* allowed, no content: <br />, <img />... */
    K_DROP,   /* dropped with its content */
    K_MEDIA,  /* an embed: a link to its http(s) source, or dropped */
    K_QUIET,  /* html, body: unwrapped without a word */
};

/* Attribute checks. */
enum chk { A_TEXT, A_URL, A_IMG_URL, A_NUM, A_SCOPE, A_BOOL, A_LANG };

struct attr_rule {
    const char *name;
    enum chk chk;
};

struct elem {
    const char *name;
    const char *out; /* the name written (h1 becomes h2) */
    enum kind kind;
    const struct attr_rule *attrs; /* NULL-name terminated, or NULL */
};

static const struct attr_rule a_attrs[] = {
    {"href", A_URL}, {"title", A_TEXT}, {NULL, 0}};
static const struct attr_rule img_attrs[] = {
    {"src", A_IMG_URL}, {"alt", A_TEXT},   {"title", A_TEXT},
    {"width", A_NUM},   {"height", A_NUM}, {NULL, 0}};
static const struct attr_rule cell_attrs[] = {
    {"colspan", A_NUM}, {"rowspan", A_NUM}, {"scope", A_SCOPE}, {NULL, 0}};
static const struct attr_rule ol_attrs[] = {
    {"start", A_NUM}, {"reversed", A_BOOL}, {NULL, 0}};
static const struct attr_rule title_attrs[] = {{"title", A_TEXT}, {NULL, 0}};
static const struct attr_rule span_attrs[] = {{"span", A_NUM}, {NULL, 0}};
static const struct attr_rule code_attrs[] = {{"class", A_LANG}, {NULL, 0}};
static const struct attr_rule details_attrs[] = {{"open", A_BOOL}, {NULL, 0}};

/* Sorted by name (bsearch). */
static const struct elem elems[] = {
    {"a", "a", K_KEEP, a_attrs},
    {"abbr", "abbr", K_KEEP, title_attrs},
    {"applet", NULL, K_DROP, NULL},
    {"audio", NULL, K_MEDIA, NULL},
    {"b", "b", K_KEEP, NULL},
    {"base", NULL, K_DROP, NULL},
    {"blockquote", "blockquote", K_KEEP, NULL},
    {"body", NULL, K_QUIET, NULL},
    {"br", "br", K_VOID, NULL},
    {"button", NULL, K_DROP, NULL},
    {"canvas", NULL, K_DROP, NULL},
    {"caption", "caption", K_KEEP, NULL},
    {"cite", "cite", K_KEEP, NULL},
    {"code", "code", K_KEEP, code_attrs},
    {"col", "col", K_VOID, span_attrs},
    {"colgroup", "colgroup", K_KEEP, span_attrs},
    {"datalist", NULL, K_DROP, NULL},
    {"dd", "dd", K_KEEP, NULL},
    {"del", "del", K_KEEP, NULL},
    {"details", "details", K_KEEP, details_attrs},
    {"dialog", NULL, K_DROP, NULL},
    {"div", "div", K_KEEP, NULL},
    {"dl", "dl", K_KEEP, NULL},
    {"dt", "dt", K_KEEP, NULL},
    {"em", "em", K_KEEP, NULL},
    {"embed", NULL, K_MEDIA, NULL},
    {"figcaption", "figcaption", K_KEEP, NULL},
    {"figure", "figure", K_KEEP, NULL},
    {"frame", NULL, K_DROP, NULL},
    {"frameset", NULL, K_DROP, NULL},
    {"h1", "h2", K_KEEP, NULL},
    {"h2", "h2", K_KEEP, NULL},
    {"h3", "h3", K_KEEP, NULL},
    {"h4", "h4", K_KEEP, NULL},
    {"h5", "h5", K_KEEP, NULL},
    {"h6", "h6", K_KEEP, NULL},
    {"head", NULL, K_DROP, NULL},
    {"hr", "hr", K_VOID, NULL},
    {"html", NULL, K_QUIET, NULL},
    {"i", "i", K_KEEP, NULL},
    {"iframe", NULL, K_MEDIA, NULL},
    {"img", "img", K_VOID, img_attrs},
    {"input", NULL, K_DROP, NULL},
    {"ins", "ins", K_KEEP, NULL},
    {"kbd", "kbd", K_KEEP, NULL},
    {"keygen", NULL, K_DROP, NULL},
    {"li", "li", K_KEEP, NULL},
    {"link", NULL, K_DROP, NULL},
    {"map", NULL, K_DROP, NULL},
    {"mark", "mark", K_KEEP, NULL},
    {"math", NULL, K_DROP, NULL},
    {"meta", NULL, K_DROP, NULL},
    {"noembed", NULL, K_DROP, NULL},
    {"noframes", NULL, K_DROP, NULL},
    {"noscript", NULL, K_DROP, NULL},
    {"object", NULL, K_MEDIA, NULL},
    {"ol", "ol", K_KEEP, ol_attrs},
    {"optgroup", NULL, K_DROP, NULL},
    {"option", NULL, K_DROP, NULL},
    {"output", NULL, K_DROP, NULL},
    {"p", "p", K_KEEP, NULL},
    {"param", NULL, K_DROP, NULL},
    {"plaintext", NULL, K_DROP, NULL},
    {"pre", "pre", K_KEEP, NULL},
    {"q", "q", K_KEEP, NULL},
    {"s", "s", K_KEEP, NULL},
    {"script", NULL, K_DROP, NULL},
    {"section", "section", K_KEEP, NULL},
    {"select", NULL, K_DROP, NULL},
    {"small", "small", K_KEEP, NULL},
    {"source", NULL, K_DROP, NULL},
    {"span", "span", K_KEEP, NULL},
    {"strike", "s", K_KEEP, NULL},
    {"strong", "strong", K_KEEP, NULL},
    {"style", NULL, K_DROP, NULL},
    {"sub", "sub", K_KEEP, NULL},
    {"summary", "summary", K_KEEP, NULL},
    {"sup", "sup", K_KEEP, NULL},
    {"svg", NULL, K_DROP, NULL},
    {"table", "table", K_KEEP, NULL},
    {"tbody", "tbody", K_KEEP, NULL},
    {"td", "td", K_KEEP, cell_attrs},
    {"template", NULL, K_DROP, NULL},
    {"textarea", NULL, K_DROP, NULL},
    {"tfoot", "tfoot", K_KEEP, NULL},
    {"th", "th", K_KEEP, cell_attrs},
    {"thead", "thead", K_KEEP, NULL},
    {"title", NULL, K_DROP, NULL},
    {"tr", "tr", K_KEEP, NULL},
    {"track", NULL, K_DROP, NULL},
    {"u", "u", K_KEEP, NULL},
    {"ul", "ul", K_KEEP, NULL},
    {"video", NULL, K_MEDIA, NULL},
    {"xmp", NULL, K_DROP, NULL},
};

/* Elements that start a new block of text (for the plain-text walk). */
static const char *const block_names[] = {
    "blockquote", "br", "caption",    "dd",      "details", "div",
    "dl",         "dt", "figcaption", "figure",  "h1",      "h2",
    "h3",         "h4", "h5",         "h6",      "hr",      "li",
    "ol",         "p",  "pre",        "section", "summary", "table",
    "td",         "th", "tr",         "ul",      NULL};

static int elem_cmp(const void *key, const void *e)
{
    return strcasecmp(key, ((const struct elem *)e)->name);
}

static const struct elem *lookup(const xmlNode *n)
{
    return bsearch(n->name, elems, sizeof elems / sizeof elems[0],
                   sizeof elems[0], elem_cmp);
}

struct san {
    const struct gz_sanitize_opts *o;
    struct gz_buf *out; /* the HTML, or NULL */
    struct gz_buf *txt; /* the plain text, or NULL */
    int pre;            /* depth of <pre> */
    int space;          /* plain text: a space is pending */
    int rc;
};

static void put(struct san *s, const char *p, size_t n)
{
    if (s->out && !s->rc && gz_buf_append(s->out, p, n))
        s->rc = GZ_ENOMEM;
}

static void puts_(struct san *s, const char *p)
{
    put(s, p, strlen(p));
}

static void report(struct san *s, const char *what)
{
    if (s->o && s->o->dropped && s->out)
        s->o->dropped(s->o->ctx, what);
}

static void report_name(struct san *s, const char *name, const char *how)
{
    char what[96];
    snprintf(what, sizeof what, "<%.40s> %s", name, how);
    report(s, what);
}

/* 1 when the output line being written holds only spaces and tabs. */
static int line_blank(const struct gz_buf *b)
{
    for (size_t i = b->len; i > 0; i--) {
        char c = b->data[i - 1];
        if (c == '\n')
            return 1;
        if (c != ' ' && c != '\t')
            return 0;
    }
    return 1;
}

/*
 * Escaped text (or an attribute value). With no_blank_lines, outside
 * <pre> a whitespace run holding a newline becomes one newline (or a
 * space where it would leave a blank line); inside <pre> a newline that
 * would leave a blank line is &#10;; in attributes every CR and LF is a
 * character reference.
 */
static void put_escaped(struct san *s, const char *t, size_t n, int attr)
{
    if (!s->out)
        return;
    int nb = s->o && s->o->no_blank_lines;
    if (!nb) {
        if (!s->rc && gz_html_escape(s->out, t, n))
            s->rc = GZ_ENOMEM;
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '\n' && t[i] != '\r')
            continue;
        if (!s->rc && gz_html_escape(s->out, t + start, i - start))
            s->rc = GZ_ENOMEM;
        if (s->rc)
            return;
        if (attr) {
            puts_(s, t[i] == '\n' ? "&#10;" : "&#13;");
            start = i + 1;
        } else if (s->pre) {
            if (t[i] == '\r')
                puts_(s, "&#13;");
            else
                puts_(s, line_blank(s->out) ? "&#10;" : "\n");
            start = i + 1;
        } else {
            /* collapse the whole whitespace run */
            size_t j = i;
            while (j < n && (t[j] == '\n' || t[j] == '\r' || t[j] == ' ' ||
                             t[j] == '\t' || t[j] == '\f'))
                j++;
            puts_(s, line_blank(s->out) ? " " : "\n");
            start = j;
            i = j - 1;
        }
    }
    if (!s->rc && gz_html_escape(s->out, t + start, n - start))
        s->rc = GZ_ENOMEM;
}

/* Plain text: whitespace collapsed, one pending space between runs. */
static void put_plain(struct san *s, const char *t)
{
    struct gz_buf *b = s->txt;
    if (!b)
        return;
    for (const char *p = t; *p; p++) {
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r' || *p == '\f') {
            s->space = 1;
            continue;
        }
        if (s->space && b->len > 0 && b->data[b->len - 1] != ' ' && !s->rc &&
            gz_buf_putc(b, ' '))
            s->rc = GZ_ENOMEM;
        s->space = 0;
        if (!s->rc && gz_buf_putc(b, *p))
            s->rc = GZ_ENOMEM;
    }
}

/* The value of attribute a: borrowed from the tree when it is one text
 * node (the usual case), else copied into *owned (xmlFree it). */
static const char *attr_value(const xmlAttr *a, xmlChar **owned)
{
    *owned = NULL;
    if (a->children && a->children->type == XML_TEXT_NODE && !a->children->next)
        return a->children->content ? (const char *)a->children->content : "";
    *owned = xmlNodeGetContent((const xmlNode *)a);
    return *owned ? (const char *)*owned : "";
}

static const char *node_attr(const xmlNode *n, const char *name,
                             xmlChar **owned)
{
    *owned = NULL;
    for (const xmlAttr *a = n->properties; a; a = a->next)
        if (strcasecmp((const char *)a->name, name) == 0)
            return attr_value(a, owned);
    return NULL;
}

/*
 * SECURITY: the URL rule for href and src. Leading and trailing ASCII
 * whitespace is ignored (browsers ignore it too); then no control
 * character, space or backslash; and either a scheme from the list
 * (http, https; mailto and tel for links only) or none at all (a
 * relative URL: no ':' or '&' before the first '/', '?' or '#'). Entities were
 * decoded by the parser, so "jav&#x61;script:" is seen as "javascript:".
 * Sets *start and *len to the trimmed URL.
 */
static int url_ok(const char *u, int img, const char **start, size_t *len)
{
    while (*u == ' ' || *u == '\t' || *u == '\n' || *u == '\r' || *u == '\f')
        u++;
    size_t n = strlen(u);
    while (n && (u[n - 1] == ' ' || u[n - 1] == '\t' || u[n - 1] == '\n' ||
                 u[n - 1] == '\r' || u[n - 1] == '\f'))
        n--;
    *start = u;
    *len = n;
    if (n == 0 || n > 4096)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)u[i];
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return 0;
    }
    size_t k = strcspn(u, ":/?#");
    /* An '&' where a scheme would be is an entity the parser did not
     * know (HTML5's &colon;): refused rather than guessed at. */
    if (memchr(u, '&', k < n ? k : n))
        return 0;
    if (k >= n || u[k] != ':')
        return 1; /* relative */
    static const char *const schemes[] = {"http", "https", "mailto", "tel"};
    for (size_t i = 0; i < (img ? 2u : 4u); i++)
        if (k == strlen(schemes[i]) && strncasecmp(u, schemes[i], k) == 0)
            return 1;
    return 0;
}

static int digits(const char *v)
{
    size_t n = strlen(v);
    return n >= 1 && n <= 5 && strspn(v, "0123456789") == n;
}

/* code's class: only "language-X" (what cmark writes for fenced code). */
static int lang_class(const char *v)
{
    if (strncmp(v, "language-", 9) != 0 || !v[9] || strlen(v) > 60)
        return 0;
    for (const char *p = v + 9; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_+#.", *p))
            return 0;
    return 1;
}

/* The src of an img after the import's URL mapping. */
static const char *img_src(struct san *s, const char *v)
{
    const char *m = s->o && s->o->map_url ? s->o->map_url(s->o->ctx, v) : NULL;
    return m ? m : v;
}

/* An <a> whose href fails the rule, and an <img> whose src does, are not
 * written (the link's text stays). */
static int usable(struct san *s, const xmlNode *n, const struct elem *e)
{
    int img = strcmp(e->name, "img") == 0;
    if (!img && strcmp(e->name, "a") != 0)
        return 1;
    xmlChar *owned;
    const char *v = node_attr(n, img ? "src" : "href", &owned);
    const char *u;
    size_t ul;
    int ok = v && url_ok(img ? img_src(s, v) : v, img, &u, &ul);
    xmlFree(owned);
    return ok;
}

static void put_attrs(struct san *s, const xmlNode *n, const struct elem *e)
{
    if (!e->attrs)
        return;
    for (const xmlAttr *a = n->properties; a; a = a->next) {
        const struct attr_rule *r = e->attrs;
        while (r->name && strcasecmp(r->name, (const char *)a->name) != 0)
            r++;
        if (!r->name)
            continue;
        xmlChar *owned;
        const char *v = attr_value(a, &owned);
        const char *u = v;
        size_t ul = strlen(v);
        int ok = 1;
        switch (r->chk) {
        case A_TEXT:
            break;
        case A_URL:
            ok = url_ok(v, 0, &u, &ul);
            break;
        case A_IMG_URL:
            ok = url_ok(img_src(s, v), 1, &u, &ul);
            break;
        case A_NUM:
            ok = digits(v);
            break;
        case A_SCOPE:
            ok = !strcasecmp(v, "row") || !strcasecmp(v, "col") ||
                 !strcasecmp(v, "rowgroup") || !strcasecmp(v, "colgroup");
            break;
        case A_BOOL:
            puts_(s, " ");
            puts_(s, r->name);
            ok = 0;
            break;
        case A_LANG:
            ok = lang_class(v);
            break;
        }
        if (ok) {
            puts_(s, " ");
            puts_(s, r->name);
            puts_(s, "=\"");
            put_escaped(s, u, ul, 1);
            puts_(s, "\"");
        }
        xmlFree(owned);
    }
}

/* The source of an embed: src, data, or the first <source>'s src. */
static const char *media_src(const xmlNode *n, xmlChar **owned)
{
    const char *v = node_attr(n, "src", owned);
    if (!v) {
        xmlFree(*owned);
        v = node_attr(n, "data", owned);
    }
    for (const xmlNode *k = n->children; !v && k; k = k->next)
        if (k->type == XML_ELEMENT_NODE &&
            strcasecmp((const char *)k->name, "source") == 0) {
            xmlFree(*owned);
            v = node_attr(k, "src", owned);
        }
    return v;
}

/*
 * Embedded media (iframe, embed, object, video, audio): a link to an
 * http(s) source, "Embedded media" or its title as the text; anything
 * else is dropped with its content (fallback text included).
 */
static void media(struct san *s, const xmlNode *n)
{
    xmlChar *owned, *towned;
    const char *v = media_src(n, &owned);
    const char *u;
    size_t ul;
    if (v && url_ok(v, 1, &u, &ul) &&
        (strncasecmp(u, "https://", 8) == 0 ||
         strncasecmp(u, "http://", 7) == 0)) {
        report(s, "embedded media (kept as a link)");
        const char *title = node_attr(n, "title", &towned);
        const char *text = title && *title ? title : "Embedded media";
        put_plain(s, text);
        puts_(s, "<a href=\"");
        put_escaped(s, u, ul, 1);
        puts_(s, "\">");
        put_escaped(s, text, strlen(text), 0);
        puts_(s, "</a>");
        xmlFree(towned);
    } else {
        report(s, "embedded media (dropped)");
    }
    xmlFree(owned);
}

static int is_block(const char *name)
{
    for (const char *const *b = block_names; *b; b++)
        if (strcasecmp(*b, name) == 0)
            return 1;
    return 0;
}

/* Writes what starts node n; 1 when its children are to be walked. */
static int enter(struct san *s, const xmlNode *n)
{
    if (n->type == XML_TEXT_NODE) {
        const char *t = n->content ? (const char *)n->content : "";
        put_plain(s, t);
        put_escaped(s, t, strlen(t), 0);
        return 0;
    }
    if (n->type != XML_ELEMENT_NODE)
        return 0; /* comments, processing instructions, CDATA, DTD */
    const struct elem *e = lookup(n);
    if (s->txt && is_block((const char *)n->name))
        s->space = 1;
    if (!e) {
        report_name(s, (const char *)n->name, "(tag dropped, text kept)");
        return 1;
    }
    switch (e->kind) {
    case K_QUIET:
        return 1;
    case K_UNWRAP:
        return 1;
    case K_DROP:
        /* the empty head of parse()'s wrapper is not the input's */
        if (n->children || strcmp(e->name, "head") != 0)
            report_name(s, e->name, "(dropped)");
        return 0;
    case K_MEDIA:
        media(s, n);
        return 0;
    case K_KEEP:
    case K_VOID:
        break;
    }
    if (!usable(s, n, e)) {
        if (e->kind == K_VOID) {
            report(s, "image without a usable source (dropped)");
            return 0;
        }
        report(s, "link with an unsafe or unusable address (text kept)");
        return 1;
    }
    if (strcmp(e->name, "pre") == 0)
        s->pre++;
    if (s->txt && strcmp(e->name, "img") == 0) {
        /* an image's alt text is part of the text (as in Markdown's) */
        xmlChar *owned;
        const char *alt = node_attr(n, "alt", &owned);
        if (alt)
            put_plain(s, alt);
        xmlFree(owned);
    }
    puts_(s, "<");
    puts_(s, e->out);
    put_attrs(s, n, e);
    /* HTML requires an img's alt: none given, it is decorative (""). */
    xmlChar *alt_owned = NULL;
    if (strcmp(e->name, "img") == 0 && !node_attr(n, "alt", &alt_owned))
        puts_(s, " alt=\"\"");
    xmlFree(alt_owned);
    puts_(s, e->kind == K_VOID ? " />" : ">");
    return e->kind == K_KEEP;
}

/* Writes what ends an element whose children were walked. */
static void leave(struct san *s, const xmlNode *n)
{
    const struct elem *e = lookup(n);
    if (s->txt && is_block((const char *)n->name))
        s->space = 1;
    if (!e || e->kind != K_KEEP || !usable(s, n, e))
        return;
    if (strcmp(e->name, "pre") == 0)
        s->pre--;
    puts_(s, "</");
    puts_(s, e->out);
    puts_(s, ">");
}

/* Walks root (self: root itself too; else its children) without
 * recursion: down to the first child, across to the next sibling, up to
 * the parent, leaving each element on the way up. */
static void walk(struct san *s, const xmlNode *root, int self)
{
    const xmlNode *n = self ? root : root->children;
    if (!n)
        return;
    for (;;) {
        int into = enter(s, n);
        if (into && n->children) {
            n = n->children;
            continue;
        }
        if (into)
            leave(s, n);
        while (!(self && n == root) && !n->next) {
            n = n->parent;
            if (!self && n == root)
                return;
            leave(s, n);
        }
        if (self && n == root)
            return;
        n = n->next;
    }
}

void gz_html_sanitize_init(void)
{
    /* bsearch needs the table sorted: checked once, at start-up */
    for (size_t i = 1; i < sizeof elems / sizeof elems[0]; i++)
        GZ_ASSERT(strcasecmp(elems[i - 1].name, elems[i].name) < 0);
    xmlInitParser();
}

/* Length of the valid UTF-8 sequence at s[0..n) (1-4), or 0 when the
 * bytes there are not one (bad lead, missing or bad continuation,
 * overlong form, surrogate, beyond U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf; /* range of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return len;
}

/* Parses html[0..len) inside a body of its own. NUL bytes are dropped
 * and invalid UTF-8 becomes U+FFFD first: libxml2 would pass bad bytes
 * through to the output. */
static htmlDocPtr parse(const char *html, size_t len)
{
    struct gz_buf src = {0};
    if (gz_buf_puts(&src, "<!DOCTYPE html><html><head></head><body>") ||
        gz_buf_reserve(&src, len)) {
        gz_buf_free(&src);
        return NULL;
    }
    const unsigned char *u = (const unsigned char *)html;
    size_t i = 0;
    while (i < len) {
        size_t start = i, n;
        while (i < len && u[i] && (n = utf8_seq(u + i, len - i)) != 0)
            i += n;
        int bad = i < len && u[i] != 0;
        if (gz_buf_append(&src, html + start, i - start) ||
            (bad && gz_buf_puts(&src, "\xef\xbf\xbd"))) {
            gz_buf_free(&src);
            return NULL;
        }
        if (i < len)
            i++; /* the NUL, or the first byte of a bad sequence */
    }
    if (src.len > INT_MAX) {
        gz_buf_free(&src);
        return NULL;
    }
    /* SECURITY: no network, no error output; the HTML parser loads no
     * external entities. */
    htmlDocPtr doc = htmlReadMemory(src.data, (int)src.len, NULL, "UTF-8",
                                    HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                                        HTML_PARSE_NOWARNING);
    gz_buf_free(&src);
    return doc;
}

static int run(const char *html, size_t len,
               const struct gz_sanitize_opts *opts, struct gz_buf *out,
               struct gz_buf *txt)
{
    if (len == 0)
        return 0;
    htmlDocPtr doc = parse(html, len);
    if (!doc)
        return GZ_ENOMEM;
    size_t txt_start = txt ? txt->len : 0;
    struct san s = {opts, out, txt, 0, 0, 0};
    walk(&s, (const xmlNode *)doc, 0);
    xmlFreeDoc(doc);
    if (txt)
        while (txt->len > txt_start && txt->data[txt->len - 1] == ' ')
            txt->data[--txt->len] = '\0';
    return s.rc;
}

int gz_html_sanitize_ex(const char *html, size_t len,
                        const struct gz_sanitize_opts *opts, struct gz_buf *out)
{
    return run(html, len, opts, out, NULL);
}

int gz_html_sanitize(const char *html, size_t len, struct gz_buf *out)
{
    return run(html, len, NULL, out, NULL);
}

int gz_html_sanitize_text(const char *html, size_t len, struct gz_buf *out)
{
    return run(html, len, NULL, NULL, out);
}

int gz_html_sanitize_both(const char *html, size_t len, struct gz_buf *out,
                          struct gz_buf *text)
{
    return run(html, len, NULL, out, text);
}

int gz_html_sanitize_node(const void *xml_node,
                          const struct gz_sanitize_opts *opts,
                          struct gz_buf *out)
{
    struct san s = {opts, out, NULL, 0, 0, 0};
    walk(&s, (const xmlNode *)xml_node, 1);
    return s.rc;
}
