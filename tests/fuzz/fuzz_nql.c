/*
 * fuzz_nql.c - the filter language of /api/v1 lists (src/util/nql.c,
 * gazette/nql.h), and its translation to SQL (src/store/rows.c).
 *
 * The input is the filter text. gz_nql_parse must either fail with a
 * message or return a tree within the documented limits; a tree then
 * goes to gz_store_story_rows on a database with the demo content, as
 * GET /api/v1/articles?filter= does (status key allowed, every status),
 * so the SQL built from fixed fragments runs with every value bound.
 *
 * Seeds: tests/fuzz/corpus/nql/ (the filters of docs/API.md and the
 * API tests).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "gazette/db.h"
#include "gazette/nql.h"
#include "gazette/store.h"

static struct gz_db *db;

static size_t count(const struct gz_nql *n, int depth)
{
    if (!n)
        return 0;
    if (depth > 200)
        fz_die("NQL tree deeper than any limit allows");
    if (n->kind == GZ_NQL_CMP) {
        if (n->nvalues > GZ_NQL_MAX_VALUES || !n->values)
            fz_die("NQL comparison with a bad value list");
        for (size_t i = 0; i < n->nvalues; i++)
            if (!n->values[i])
                fz_die("NQL comparison with a NULL value");
        return 1;
    }
    return 1 + count(n->left, depth + 1) + count(n->right, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) {
        fz_quiet();
        char path[600];
        snprintf(path, sizeof path, "%s/nql.db", fz_temp_dir());
        fz_seed_demo(path);
        db = gz_db_open(path, GZ_DB_READONLY, "NORMAL");
        if (!db)
            fz_die("cannot open the database");
    }
    if (size > 4096)
        return 0;
    char *text = strndup((const char *)data, size);
    if (!text)
        return 0;
    struct gz_nql *tree = NULL;
    char err[256] = "";
    if (gz_nql_parse(text, &tree, err, sizeof err) == 0) {
        if (count(tree, 0) > 2 * GZ_NQL_MAX_NODES + 1)
            fz_die("NQL tree over GZ_NQL_MAX_NODES");
        gz_nql_uses(tree, "tag");
        struct gz_story_filter f;
        memset(&f, 0, sizeof f);
        f.status = "all";
        f.filter = tree;
        f.allow_status_key = 1;
        f.page = 1;
        f.limit = 5;
        struct gz_found found;
        int bad = 0;
        char serr[256] = "";
        json_t *rows =
            gz_store_story_rows(db, &f, &found, &bad, serr, sizeof serr);
        json_decref(rows);
        gz_nql_free(tree);
    } else if (tree) {
        fz_die("gz_nql_parse failed but returned a tree");
    }
    free(text);
    return 0;
}
