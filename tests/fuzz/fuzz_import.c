/*
 * fuzz_import.c - `gazette import` (gz_store_import, src/store/import.c):
 * the input is parsed as the CLI parses a file (JSON_REJECT_DUPLICATES)
 * and imported into a database holding the demo content (so both new
 * rows and updates of matched ones are reached); when the import
 * succeeds, the whole site is exported again (gz_store_export) and
 * serialised, as `gazette export` would. The database is restored
 * (fz_db_restore) after every input that changed it, so each input
 * starts from the same state.
 *
 * Seeds: tests/fuzz/corpus/import/ (demo/demo.json, the HTTP tests'
 * fixtures, small documents for each part).
 */
#include <jansson.h>
#include <stdlib.h>

#include "fuzz.h"
#include "gazette/db.h"
#include "gazette/store.h"

static struct gz_db *db;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!db) {
        fz_quiet();
        char path[600];
        snprintf(path, sizeof path, "%s/import.db", fz_temp_dir());
        fz_seed_demo(path);
        db = gz_db_open(path, GZ_DB_READWRITE, "NORMAL");
        if (!db)
            fz_die("cannot open the database");
        fz_db_snapshot(path);
    }
    if (size > 512 * 1024)
        return 0;
    json_error_t jerr;
    json_t *doc =
        json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc)
        return 0;
    char err[512] = "";
    if (gz_store_import(db, doc, err, sizeof err) == 0) {
        json_t *out = gz_store_export(db);
        char *text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
        free(text);
        json_decref(out);
    }
    json_decref(doc);
    fz_db_restore();
    return 0;
}
