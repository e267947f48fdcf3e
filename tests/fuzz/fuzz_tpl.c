/*
 * fuzz_tpl.c - the Mustache engine (src/render/tpl.c, gazette/tpl.h):
 * parse, then render with a fixed JSON context.
 *
 * The input is up to four templates separated by NUL bytes: the first is
 * rendered, the others are the partials "_a", "_b" and "_c", so the
 * fuzzer can build partials that include each other (and themselves:
 * the depth and step limits must hold). Before each input the four names
 * are reset to empty templates, so a template of one input never leaks
 * into the next.
 *
 * NOTE: the set holds only these four (the real templates are seeds of
 * the corpus instead, their partials rendering empty): with forty, every
 * partial lookup (a linear search) is forty compares. Any recursion over
 * a list runs into the engine's step limit (10 million steps), which
 * takes seconds under the fuzzer's instrumentation; tpl.c may lower the
 * limit under FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION (docs/TESTING.md).
 *
 * The context mixes what the engine must get right: HTML in strings,
 * reals, integers, booleans, null, empty and nested lists and objects,
 * dotted names, Unicode, text that looks like tags, and the shape of a
 * real page model (site, page, articles with tags).
 *
 * Seeds: tests/fuzz/corpus/tpl/ (the templates of templates/ and those
 * of the Mustache spec).
 */
#include <jansson.h>
#include <string.h>

#include "fuzz.h"
#include "gazette/tpl.h"

static const char context_json[] =
    "{\"site\": {\"title\": \"The <Daily> & \\\"Gazette\\\"\","
    " \"description\": \"News 'n' views\", \"base_url\": \"http://x.test\","
    " \"lang\": \"en\", \"logo_url\": \"/static/img/logo.svg\"},"
    " \"assets\": {\"css_url\": \"/static/css/site.css\","
    " \"js_url\": \"/static/js/site.js\"},"
    " \"page\": {\"title\": \"Home\", \"number\": 2, \"pages\": 7,"
    " \"next_url\": \"/?page=3\", \"prev_url\": null, \"is_home\": true},"
    " \"articles\": ["
    "  {\"title\": \"First <b>story</b>\", \"url\": \"/articles/first\","
    "   \"excerpt\": \"A & B\", \"reading_time\": 3, \"featured\": true,"
    "   \"body_html\": \"<p>Hello <em>world</em></p>\","
    "   \"tags\": [{\"name\": \"City\", \"slug\": \"city\"},"
    "            {\"name\": \"\\u00c9t\\u00e9 \\u2603\", \"slug\": \"ete\"}],"
    "   \"author\": {\"name\": \"Bea Ploom\", \"initials\": \"BP\"}},"
    "  {\"title\": \"{{not a tag}}\", \"url\": \"javascript:alert(1)\","
    "   \"excerpt\": \"\", \"reading_time\": 0, \"featured\": false,"
    "   \"tags\": [], \"author\": null},"
    "  {\"title\": \"\\u0000nul and \\ttab\", \"reading_time\": 2.5,"
    "   \"tags\": [{\"name\": \"One\"}]}],"
    " \"a\": \"<a href='x'>&amp;</a>\", \"b\": true, \"c\": false,"
    " \"d\": null, \"e\": [], \"f\": {}, \"g\": \"\", \"h\": 0,"
    " \"i\": -1.5e300, \"j\": 0.1, \"k\": -0.0, \"l\": 9007199254740993,"
    " \"m\": [1, 2.5, \"three\", true, null, [4, [5]], {\"n\": 6}],"
    " \"n\": {\"o\": {\"p\": {\"q\": \"deep\", \"list\": [\"x\", \"y\"]}}},"
    " \"list\": [{\"x\": 1}, {\"x\": 2, \"y\": \"two\"}, {}],"
    " \"x\": \"X\", \"y\": [\"y1\", \"y2\"], \"z\": {\"x\": \"zx\"},"
    " \"a.b\": \"dotted key\", \"lambda\": \"{{x}}\","
    " \"html_html\": \"<script>raw</script>\", \"url_url\": \"/ok\"}";

static struct gz_tpl_set *set;
static json_t *context;
static const char *const names[] = {"main", "_a", "_b", "_c"};

static void init(void)
{
    fz_quiet();
    json_error_t jerr;
    context = json_loads(context_json, JSON_ALLOW_NUL, &jerr);
    set = gz_tpl_set_new();
    if (!context || !set)
        fz_die("cannot set up the template set");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!set)
        init();
    if (size > 64 * 1024)
        return 0;
    char err[256];
    const char *src = (const char *)data;
    size_t at = 0; /* start of the next part; size + 1 when none is left */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        gz_tpl_add(set, names[i], NULL, "", 0, err, sizeof err);
        if (at > size)
            continue;
        const char *nul = memchr(src + at, '\0', size - at);
        size_t stop = nul ? (size_t)(nul - src) : size;
        gz_tpl_add(set, names[i], names[i], src + at, stop - at, err,
                   sizeof err);
        at = stop + 1;
    }
    struct gz_buf out;
    gz_buf_init(&out);
    gz_tpl_render(set, "main", context, &out);
    gz_buf_free(&out);
    return 0;
}
