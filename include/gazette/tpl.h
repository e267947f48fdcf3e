/*
 * tpl.h - the Mustache template engine (SPEC section 10).
 *
 * Implements the Mustache specification: interpolation ({{x}} HTML-escaped,
 * {{{x}}} and {{& x}} raw), sections over lists / objects / truthy values,
 * inverted sections, comments, partials with standalone indentation, dotted
 * names, the implicit iterator {{.}}, set delimiters, and the spec's
 * standalone-line rules. Lambdas are not supported.
 *
 * A template set is parsed once (at start-up) into a compact form and is
 * read-only afterwards, so any number of threads may render from it at once.
 * Rendering walks a json_t context stack; the caller keeps ownership of the
 * JSON (it is only borrowed during the call).
 *
 * Falsey values: null, false, "", an empty list and a missing name;
 * everything else (0 included) is truthy. The spec leaves "" open; treating
 * it as falsey lets templates write {{#excerpt}}<p>{{excerpt}}</p>{{/excerpt}}.
 * Reals print in the shortest form that reads back ("2.2"), integers as
 * integers.
 */
#ifndef GAZETTE_TPL_H
#define GAZETTE_TPL_H

#include <jansson.h>

#include "gazette/util.h"

struct gz_tpl_set;

/* A new, empty set. NULL on allocation failure. Free with gz_tpl_set_free. */
struct gz_tpl_set *gz_tpl_set_new(void);
void gz_tpl_set_free(struct gz_tpl_set *set);

/*
 * Parses `src` (len bytes) and adds it to the set under `name` (replacing
 * any earlier template of that name). `origin` names the source in error
 * messages (usually the file path). On a syntax error returns GZ_EINVAL and
 * writes "origin:line:column: message" into err (errlen bytes).
 */
int gz_tpl_add(struct gz_tpl_set *set, const char *name, const char *origin,
               const char *src, size_t len, char *err, size_t errlen);

/*
 * Adds every "*.mustache" file in `dir` under its file name without the
 * extension ("_head.mustache" -> "_head"). Stops at the first error
 * (GZ_EINVAL with err filled as above, GZ_EIO when the dir is unreadable).
 */
int gz_tpl_add_dir(struct gz_tpl_set *set, const char *dir, char *err,
                   size_t errlen);

/* 1 when the set holds a template of that name. */
int gz_tpl_has(const struct gz_tpl_set *set, const char *name);

/*
 * Renders template `name` with `data` as the root context, appending to
 * `out`. Partials ({{> p}}) are looked up in the same set by name; a missing
 * partial renders as empty, as the spec says. Recursion is bounded (depth
 * 64) so a self-including partial cannot overflow the stack.
 * A render that runs away (more than 10 million steps or 64 MiB of
 * output, e.g. a recursive partial over a context that never ends) stops
 * with GZ_ENOMEM, so a bad template cannot take the server down.
 * Returns 0, GZ_ENOTFOUND if `name` is not in the set, GZ_ENOMEM.
 * Thread-safe for concurrent renders on the same set.
 */
int gz_tpl_render(const struct gz_tpl_set *set, const char *name,
                  json_t *data, struct gz_buf *out);

/*
 * The `gazette render TEMPLATE DATA.json [--partials DIR]` command: loads
 * the template file, the JSON data (any JSON value) and, if partials_dir is
 * not NULL, every DIR/name.mustache as partial `name`; prints the output to
 * stdout without adding anything. Returns the process exit status (0 ok,
 * 1 error, with one line on stderr naming the file, line and column).
 */
int gz_tpl_cli_render(const char *tpl_path, const char *data_path,
                      const char *partials_dir);

/* Shortest decimal form of a double that reads back to the same value,
 * written into out (at least 32 bytes). Used for {{x}} of a JSON real. */
void gz_tpl_format_real(double v, char out[static 32]);

#endif
