/*
 * fuzz_markdown.c - Markdown and comment text to HTML
 * (src/render/markdown.c, gazette/markdown.h): gz_md_render (cmark, then
 * the allow-list sanitizer over its HTML, the plain text, words and
 * reading time), an excerpt of its plain text, and
 * gz_comment_html (escaping, paragraphs, line breaks, linked URLs).
 *
 * The input is the Markdown (and, up to its first NUL, the comment).
 * Checked: neither HTML ever holds a "<script" tag (the sanitizer drops
 * scripts; comments escape everything).
 *
 * Seeds: tests/fuzz/corpus/markdown/ (the demo stories' Markdown, the
 * hostile fixture, links, raw HTML, nested lists and quotes).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gazette/html.h"
#include "gazette/markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        fz_quiet();
        quiet = 1;
    }
    if (size > 256 * 1024)
        return 0;
    struct gz_md md;
    memset(&md, 0, sizeof md);
    if (gz_md_render((const char *)data, size, &md) == 0) {
        if (md.html && strstr(md.html, "<script"))
            fz_die("gz_md_render let a <script> tag through");
        if (md.plain) {
            char *ex = gz_text_excerpt(md.plain, 160);
            free(ex);
        }
        gz_md_free(&md);
    }
    char *text = strndup((const char *)data, size);
    if (!text)
        return 0;
    char *html = gz_comment_html(text);
    if (html && strstr(html, "<script"))
        fz_die("gz_comment_html let a <script> tag through");
    free(html);
    free(text);
    return 0;
}
