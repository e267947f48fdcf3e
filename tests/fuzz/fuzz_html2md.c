/*
 * fuzz_html2md.c - HTML post bodies to Markdown (src/render/html2md.c,
 * gazette/import.h), as `gazette import --from ghost|wordpress` converts
 * them: the first byte chooses WordPress paragraphs (odd) or plain HTML,
 * the rest is the body. The Markdown is then rendered as a story would
 * be. Checked: the rendered HTML never holds a "<script" tag, and the
 * losses are a list of strings.
 *
 * Seeds: tests/fuzz/corpus/html2md/ (a Ghost body with a figure, a
 * classic WordPress body with a [caption], a Gutenberg body with a table,
 * an embed and code).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gazette/import.h"
#include "gazette/markdown.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet) {
        fz_quiet();
        quiet = 1;
    }
    if (size < 1 || size > 256 * 1024)
        return 0;
    struct gz_html2md_opts o = {data[0] & 1, NULL, NULL};
    json_t *losses = json_array();
    char *md = gz_html_to_md((const char *)data + 1, size - 1, &o, losses);
    if (md) {
        struct gz_md out;
        memset(&out, 0, sizeof out);
        if (gz_md_render(md, strlen(md), &out) == 0) {
            if (out.html && strstr(out.html, "<script"))
                fz_die("an imported body rendered a <script> tag");
            gz_md_free(&out);
        }
        free(md);
    }
    size_t i;
    json_t *v;
    json_array_foreach(losses, i, v)
    {
        if (!json_is_string(v))
            fz_die("a loss that is not a string");
    }
    json_decref(losses);
    return 0;
}
