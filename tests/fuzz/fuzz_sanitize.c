/*
 * fuzz_sanitize.c - the allow-list HTML sanitizer (src/render/sanitize.c,
 * gazette/sanitize.h): gz_html_sanitize, its no-blank-lines mode with a
 * drop report (what the importer uses; the first byte chooses), and the
 * plain-text walk, on any bytes.
 *
 * Checked: the output never holds "<script", "<iframe", "<svg", "<style",
 * "<!--", an on...= event attribute or a "javascript:" URL; every '<'
 * opens or closes a well-formed tag (quoted values, no '<' inside), no
 * '>' outside a tag; valid UTF-8 (invalid input bytes become U+FFFD), no
 * NUL byte; in no-blank-lines mode no line is blank; the drop report
 * names something; the plain text is trimmed.
 *
 * Seeds: tests/fuzz/corpus/sanitize/ (a table, a figure, the classic XSS
 * vectors, nested and unclosed tags).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "gazette/sanitize.h"
#include "gazette/util.h"

static void dropped(void *ctx, const char *what)
{
    (void)ctx;
    if (!what || !*what)
        fz_die("an empty drop report");
}

/* Every '<' opens or closes a tag: a lowercase name, then attributes
 * name="value" (or a bare name), then '>' or " />". No attribute named
 * on..., no value starting javascript:. */
static void check(const char *s)
{
    static const char *const banned[] = {"<script", "<iframe", "<svg",
                                         "<style",  "<!--",    "<math",
                                         "<object", "<embed"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
        if (strstr(s, banned[i]))
            fz_die("the sanitizer let a banned tag through");
    if (strchr(s, '>') && (!strchr(s, '<') || strchr(s, '>') < strchr(s, '<')))
        fz_die("a '>' outside a tag");
    for (const char *p = strchr(s, '<'); p; p = strchr(p, '<')) {
        p += 1 + (p[1] == '/');
        if (!islower((unsigned char)*p))
            fz_die("a '<' that opens no tag");
        while (isalnum((unsigned char)*p))
            p++;
        while (*p == ' ' && islower((unsigned char)p[1])) {
            p++;
            if (p[0] == 'o' && p[1] == 'n')
                fz_die("an event handler attribute");
            while (islower((unsigned char)*p))
                p++;
            if (*p != '=')
                continue;
            if (p[1] != '"')
                fz_die("an unquoted attribute value");
            if (strncasecmp(p + 2, "javascript:", 11) == 0)
                fz_die("a javascript: URL");
            const char *e = strchr(p + 2, '"');
            if (!e)
                fz_die("an unterminated attribute value");
            if (memchr(p + 2, '<', (size_t)(e - p - 2)))
                fz_die("a '<' in an attribute value");
            p = e + 1;
        }
        if (*p == ' ' && p[1] == '/')
            p += 2;
        if (*p != '>')
            fz_die("a malformed tag");
        const char *next = strchr(p + 1, '<');
        const char *gt = strchr(p + 1, '>');
        if (gt && (!next || gt < next))
            fz_die("a '>' outside a tag");
    }
    /* valid UTF-8 (controls aside, which gz_utf8_valid_text refuses) */
    char *copy = strdup(s);
    if (!copy)
        return;
    for (char *c = copy; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    if (!gz_utf8_valid_text(copy, strlen(copy)))
        fz_die("invalid UTF-8 in the output");
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        fz_quiet();
        gz_html_sanitize_init();
        init = 1;
    }
    if (size < 1 || size > 256 * 1024)
        return 0;
    const char *html = (const char *)data + 1;
    size_t len = size - 1;
    struct gz_sanitize_opts o = {data[0] & 1, NULL, dropped, NULL};
    struct gz_buf out = {0};
    if (gz_html_sanitize_ex(html, len, &o, &out) == 0) {
        const char *s = gz_buf_cstr(&out);
        if (strlen(s) != out.len)
            fz_die("a NUL byte in the output");
        check(s);
        /* a line of nothing but spaces and tabs, ended by a newline */
        for (const char *l = s; o.no_blank_lines;) {
            if (l[strspn(l, " \t")] == '\n')
                fz_die("a blank line in no-blank-lines mode");
            const char *nl = strchr(l, '\n');
            if (!nl)
                break;
            l = nl + 1;
        }
    }
    gz_buf_free(&out);
    struct gz_buf text = {0};
    if (gz_html_sanitize_text(html, len, &text) == 0 && text.len &&
        (text.data[0] == ' ' || text.data[text.len - 1] == ' '))
        fz_die("plain text with a leading or trailing space");
    gz_buf_free(&text);
    return 0;
}
