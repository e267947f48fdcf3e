/*
 * nql.h - the subset of Ghost's NQL filter language that /api/v1 lists
 * take in `filter=` (docs/API.md): `key:value` comparisons, `+` (or a
 * space) for and, `,` for or (and binds tighter), parentheses, quoted
 * values ('City hall', \' inside), and the operators - (not), >, >=, <,
 * <=, [a,b] (any of) and -[a,b] (none of).
 *
 * The parser only builds a tree; it knows no keys. The store turns the
 * tree into SQL from fixed fragments with every value bound, so nothing
 * typed in a filter ever becomes SQL text.
 */
#ifndef GAZETTE_NQL_H
#define GAZETTE_NQL_H

#include <stddef.h>

#define GZ_NQL_MAX_LEN 1000   /* characters of filter text */
#define GZ_NQL_MAX_NODES 64   /* comparisons and operators */
#define GZ_NQL_MAX_VALUES 50  /* values in one [a,b,...] */
#define GZ_NQL_MAX_DEPTH 10   /* nested parentheses */

enum gz_nql_kind { GZ_NQL_AND, GZ_NQL_OR, GZ_NQL_CMP };

enum gz_nql_op {
    GZ_NQL_EQ,
    GZ_NQL_NE,
    GZ_NQL_GT,
    GZ_NQL_GE,
    GZ_NQL_LT,
    GZ_NQL_LE,
    GZ_NQL_IN,  /* [a,b] */
    GZ_NQL_NIN, /* -[a,b] */
};

struct gz_nql {
    enum gz_nql_kind kind;
    struct gz_nql *left, *right; /* AND, OR */
    char key[32];                /* CMP */
    enum gz_nql_op op;
    char **values; /* CMP: nvalues owned strings (1 unless IN/NIN) */
    size_t nvalues;
};

/*
 * Parses text. Returns 0 and an owned tree in *out (free with
 * gz_nql_free), or GZ_EINVAL with a message saying what and where
 * ("at character 12: expected ':' after the key") in err.
 */
int gz_nql_parse(const char *text, struct gz_nql **out, char *err,
                 size_t errlen);
void gz_nql_free(struct gz_nql *n);

/* 1 when a comparison in the tree uses key. */
int gz_nql_uses(const struct gz_nql *n, const char *key);

#endif
