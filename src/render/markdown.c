/*
 * markdown.c - story bodies through cmark and the allow-list sanitizer
 * (sanitize.c), and comment bodies through a small plain-text formatter.
 * Both produce HTML that Gazette itself made safe, so templates may print
 * it raw as a *_html field.
 *
 * Story Markdown may hold raw HTML (a <table>, a <figure>): cmark renders
 * it as it is (CMARK_OPT_UNSAFE) and the whole of cmark's output then
 * goes through gz_html_sanitize, which keeps only its allow-list. Thread-
 * safe once gz_html_sanitize_init() has run.
 */
#include <cmark.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gazette/html.h"
#include "gazette/markdown.h"
#include "gazette/sanitize.h"
#include "gazette/util.h"

/* Counts the words of s (runs of anything but space, tab, newline) into
 * *words; *in_word carries a word across calls. */
static void count_words(const char *s, int *in_word, int *words)
{
    for (const char *p = s; p && *p; p++) {
        int space = *p == ' ' || *p == '\n' || *p == '\t';
        if (!space && !*in_word)
            (*words)++;
        *in_word = !space;
    }
}

/* 1 when an image URL is one the sanitizer would refuse for certain (it
 * refuses more: any scheme but http(s)). */
static int unsafe_url(const char *url)
{
    static const char *const schemes[] = {"javascript:", "vbscript:", "file:",
                                          "data:"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
            return 1;
    return 0;
}

/*
 * The sanitizer drops an image with a dangerous URL, alt text and all;
 * such a Markdown image is replaced by its alt text instead. Nodes
 * are collected first and changed after the walk, which the iterator does
 * not allow during it.
 */
static void drop_unsafe_images(cmark_node *doc)
{
    cmark_node *bad[64];
    int n = 0;
    cmark_iter *it = cmark_iter_new(doc);
    if (!it)
        return;
    cmark_event_type ev;
    while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE && n < 64) {
        cmark_node *node = cmark_iter_get_node(it);
        const char *url = cmark_node_get_url(node);
        if (ev == CMARK_EVENT_ENTER &&
            cmark_node_get_type(node) == CMARK_NODE_IMAGE &&
            (!url || unsafe_url(url)))
            bad[n++] = node;
    }
    cmark_iter_free(it);
    for (int i = 0; i < n; i++) {
        cmark_node *child;
        while ((child = cmark_node_first_child(bad[i])) != NULL)
            cmark_node_insert_before(bad[i], child);
        cmark_node_free(bad[i]);
    }
}

int gz_md_render(const char *markdown, size_t len, struct gz_md *out)
{
    memset(out, 0, sizeof *out);
    /* SMART gives typographic quotes and dashes, as a newspaper prints.
     * SECURITY: raw HTML and every URL are rendered as written
     * (CMARK_OPT_UNSAFE) and then made safe by the sanitizer, whose
     * allow-list decides what stays: one rule for Markdown and HTML. */
    int opts = CMARK_OPT_UNSAFE | CMARK_OPT_SMART | CMARK_OPT_VALIDATE_UTF8;
    cmark_node *doc = cmark_parse_document(markdown, len, opts);
    if (!doc)
        return GZ_ENOMEM;
    drop_unsafe_images(doc);
    char *raw = cmark_render_html(doc, opts);
    cmark_node_free(doc);
    /* The plain text is the text of the sanitized HTML (what a reader
     * sees: a table's cells, not a script's code), from the same parse. */
    struct gz_buf clean = {0}, plain = {0};
    int rc = raw ? gz_html_sanitize_both(raw, strlen(raw), &clean, &plain)
                 : GZ_ENOMEM;
    free(raw);
    if (rc == 0) {
        out->html = clean.data ? gz_buf_steal(&clean, NULL) : strdup("");
        out->plain = plain.data ? gz_buf_steal(&plain, NULL) : strdup("");
    }
    gz_buf_free(&clean);
    gz_buf_free(&plain);
    if (!out->html || !out->plain) {
        gz_md_free(out);
        return GZ_ENOMEM;
    }
    int in_word = 0;
    count_words(out->plain, &in_word, &out->words);
    out->reading_time = (out->words + 229) / 230;
    if (out->reading_time < 1)
        out->reading_time = 1;
    return 0;
}

void gz_md_free(struct gz_md *md)
{
    free(md->html);
    free(md->plain);
    md->html = md->plain = NULL;
}

/* Length of an http(s) URL starting at p, without trailing punctuation. */
static size_t url_len(const char *p)
{
    if (strncmp(p, "http://", 7) != 0 && strncmp(p, "https://", 8) != 0)
        return 0;
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\n' && p[n] != '\r' &&
           p[n] != '\t' && p[n] != '<' && p[n] != '>' && p[n] != '"')
        n++;
    while (n > 0 && strchr(".,;:!?)'", p[n - 1]))
        n--;
    return n > 8 ? n : 0;
}

char *gz_comment_html(const char *text)
{
    struct gz_buf b;
    gz_buf_init(&b);
    int rc = gz_buf_puts(&b, "<p>");
    const char *p = text;
    /* Skip leading blank lines. */
    while (*p == '\n' || *p == '\r')
        p++;
    while (*p && rc == 0) {
        size_t ul = url_len(p);
        if (ul && (p == text || p[-1] == ' ' || p[-1] == '\n' ||
                   p[-1] == '(')) {
            rc = gz_buf_puts(&b, "<a href=\"");
            rc = rc ? rc : gz_html_escape(&b, p, ul);
            rc = rc ? rc : gz_buf_puts(&b, "\" rel=\"nofollow ugc\">");
            rc = rc ? rc : gz_html_escape(&b, p, ul);
            rc = rc ? rc : gz_buf_puts(&b, "</a>");
            p += ul;
        } else if (*p == '\r') {
            p++;
        } else if (*p == '\n') {
            const char *q = p;
            int lines = 0;
            while (*q == '\n' || *q == '\r') {
                if (*q == '\n')
                    lines++;
                q++;
            }
            if (!*q)
                break;
            rc = gz_buf_puts(&b, lines > 1 ? "</p><p>" : "<br>");
            p = q;
        } else {
            rc = gz_html_escape(&b, p, 1);
            p++;
        }
    }
    if (rc == 0)
        rc = gz_buf_puts(&b, "</p>");
    if (rc != 0) {
        gz_buf_free(&b);
        return NULL;
    }
    return gz_buf_steal(&b, NULL);
}
