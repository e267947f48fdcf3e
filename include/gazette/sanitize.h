/*
 * sanitize.h - the allow-list HTML sanitizer (src/render/sanitize.c).
 *
 * HTML is parsed with libxml2's HTML parser (entities decoded, bad nesting
 * repaired) and the tree is serialized again by Gazette: only allow-listed
 * elements and attributes, every text node and attribute value escaped,
 * href/src limited to http(s), mailto: (links) and relative URLs. What is
 * kept is listed in docs/DECISIONS.md ("Story HTML: the allow-list").
 * Story bodies (gz_md_render) and imported bodies (gz_html_to_md) go
 * through it.
 *
 * Thread-safe once gz_html_sanitize_init() has run (it must run before
 * threads start: libxml2's global initialisation is not thread-safe).
 */
#ifndef GAZETTE_SANITIZE_H
#define GAZETTE_SANITIZE_H

#include <stddef.h>

#include "gazette/util.h"

struct gz_sanitize_opts {
    /* 1: the output has no blank line (a whitespace-only line), so that
     * it can sit in Markdown as one raw HTML block: newlines in text
     * outside <pre> collapse, a newline that would end a blank line is
     * written &#10;. */
    int no_blank_lines;
    /* Optional: a replacement for an img src (borrowed until the next
     * call), or NULL to keep it. Checked like any URL afterwards. */
    const char *(*map_url)(void *ctx, const char *url);
    /* Optional: called with a short phrase for each kind of thing that
     * was dropped ("<script> (dropped)", "embedded media (kept as a
     * link)", "link with an unsafe address (text kept)"...); may repeat. */
    void (*dropped)(void *ctx, const char *what);
    void *ctx;
};

/* Call once at start-up, before any thread uses the sanitizer (or the
 * import's HTML parsing): initialises libxml2. */
void gz_html_sanitize_init(void);

/*
 * Appends the sanitized form of html[0..len) to out. NUL bytes in the
 * input are dropped. 0 or GZ_ENOMEM (out then holds a partial result the
 * caller discards). Equivalent to gz_html_sanitize_ex with no options.
 */
int gz_html_sanitize(const char *html, size_t len, struct gz_buf *out);
int gz_html_sanitize_ex(const char *html, size_t len,
                        const struct gz_sanitize_opts *opts,
                        struct gz_buf *out);

/* Appends the text the sanitizer would keep from html[0..len), unescaped,
 * whitespace collapsed to single spaces and one space between blocks, no
 * leading or trailing space, images' alt text included. For search,
 * excerpts and word counts. 0 or GZ_ENOMEM. */
int gz_html_sanitize_text(const char *html, size_t len, struct gz_buf *out);

/* Both at once, from one parse: the sanitized HTML into out and its
 * plain text into text (as gz_html_sanitize_text; an image's alt text
 * counts as text). 0 or GZ_ENOMEM. */
int gz_html_sanitize_both(const char *html, size_t len, struct gz_buf *out,
                          struct gz_buf *text);

/* Appends the sanitized form of one libxml2 node (an xmlNode *, the node
 * itself included) of a tree the caller parsed (html2md.c). 0 or
 * GZ_ENOMEM. */
int gz_html_sanitize_node(const void *xml_node,
                          const struct gz_sanitize_opts *opts,
                          struct gz_buf *out);

#endif
