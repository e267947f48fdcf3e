/*
 * markdown.h - Markdown to HTML through cmark, then the allow-list
 * sanitizer (gazette/sanitize.h): raw HTML in the Markdown is kept only as
 * far as the allow-list says (tables, figures...; never scripts, event
 * handlers or javascript:/data: URLs). Done once when a story is saved;
 * pages serve the stored HTML.
 *
 * Thread-safe once gz_html_sanitize_init() has run.
 */
#ifndef GAZETTE_MARKDOWN_H
#define GAZETTE_MARKDOWN_H

#include <stddef.h>

struct gz_md {
    char *html;       /* malloc'd */
    char *plain;      /* malloc'd: the text alone, for search and excerpts */
    int words;
    int reading_time; /* minutes, at 230 words a minute, at least 1 */
};

/* Renders markdown[0..len). 0 or GZ_ENOMEM; free with gz_md_free. */
int gz_md_render(const char *markdown, size_t len, struct gz_md *out);
void gz_md_free(struct gz_md *md);

/* Comment body (plain text) to HTML: escaped, paragraphs on blank lines,
 * <br> for single line breaks, http(s) URLs linked with
 * rel="nofollow ugc". Returns malloc'd HTML or NULL. */
char *gz_comment_html(const char *text);

#endif
