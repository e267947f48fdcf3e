/*
 * test_config.c - unit tests for src/util/config.c.
 *
 * Defaults; INI files written to a mkdtemp directory (good values, the
 * shipped config/gazette.conf, unknown keys and bad values with the error
 * naming FILE:LINE and section.key, syntax errors, missing files);
 * GAZETTE_* environment overrides; gz_config_set with "section.key" and
 * short names; the cross-key checks of gz_config_check; and that
 * --help-config and config/gazette.conf list the same keys.
 *
 * Single-threaded: the environment tests setenv and unsetenv, so they
 * must not run beside anything else that reads the environment.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gazette/config.h"
#include "gazette/util.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];

/* The GAZETTE_* variables, read from --help-config once in main(), so a
 * key added to config.c is cleared between tests without editing this. */
static char env_names[64][48];
static size_t n_env;

static void load_env_names(void)
{
    FILE *f = tmpfile();
    if (!f)
        abort();
    gz_config_print_help(f);
    rewind(f);
    char word[256];
    while (fscanf(f, "%255s", word) == 1)
        if (strncmp(word, "GAZETTE_", 8) == 0 && n_env < 64 &&
            strlen(word) < sizeof env_names[0])
            snprintf(env_names[n_env++], sizeof env_names[0], "%s", word);
    fclose(f);
}

static void clear_env(void)
{
    for (size_t i = 0; i < n_env; i++)
        unsetenv(env_names[i]);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/gz_test_config_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    clear_env();
    DIR *d = opendir(tmpdir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char p[512];
            snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(tmpdir);
    return 0;
}

/* Writes text to tmpdir/name; the path goes into path. */
static void write_ini(const char *name, const char *text, char *path,
                      size_t pathlen)
{
    snprintf(path, pathlen, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- defaults -------------------------------------------------------- */

static void test_defaults(void **state)
{
    (void)state;
    struct gz_config c;
    memset(&c, 0x5a, sizeof c);
    gz_config_defaults(&c);
    assert_int_equal(c.port, 8080);
    assert_string_equal(c.host, "127.0.0.1");
    assert_string_equal(c.db_path, "data/gazette.db");
    assert_string_equal(c.base_url, "");
    assert_string_equal(c.templates_dir, "templates");
    assert_string_equal(c.static_dir, "static");
    assert_string_equal(c.data_dir, "data");
    assert_string_equal(c.demo_file, "demo/demo.json");
    assert_string_equal(c.synchronous, "FULL");
    assert_string_equal(c.tls_cert, "");
    assert_string_equal(c.tls_key, "");
    assert_int_equal(c.threads, 0);
    assert_int_equal(c.timeout, 15);
    assert_int_equal(c.max_form_bytes, 1 << 20);
    assert_int_equal(c.max_upload_bytes, 10 << 20);
    assert_int_equal(c.max_url_bytes, 8192);
    assert_int_equal(c.page_cache, 1);
    assert_int_equal(c.gzip, 1);
    assert_int_equal(c.page_size, 15);
    assert_int_equal(c.access_log, 1);
    char err[256] = "";
    assert_int_equal(gz_config_check(&c, err, sizeof err), 0);
}

/* ---- INI files ------------------------------------------------------- */

static void test_load_good(void **state)
{
    (void)state;
    char path[512], err[512] = "";
    write_ini("good.conf",
              "; a comment\n"
              "[server]\n"
              "host = 0.0.0.0\n"
              "port = 9090\n"
              "base_url = https://news.example.com\n"
              "threads = 4\n"
              "max_form_bytes = 2M\n"
              "max_upload_bytes = 512K\n"
              "page_cache = off\n"
              "gzip = no\n"
              "\n"
              "[paths]\n"
              "db = /var/lib/gazette/site.db\n"
              "templates = /srv/templates\n"
              "\n"
              "[database]\n"
              "synchronous = NORMAL\n"
              "[site]\n"
              "page_size = 20\n"
              "[log]\n"
              "access_log = false\n",
              path, sizeof path);
    struct gz_config c;
    gz_config_defaults(&c);
    assert_int_equal(gz_config_load_file(&c, path, 1, err, sizeof err), 0);
    assert_string_equal(c.host, "0.0.0.0");
    assert_int_equal(c.port, 9090);
    assert_string_equal(c.base_url, "https://news.example.com");
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.max_form_bytes, 2 * 1024 * 1024);
    assert_int_equal(c.max_upload_bytes, 512 * 1024);
    assert_int_equal(c.page_cache, 0);
    assert_int_equal(c.gzip, 0);
    assert_string_equal(c.db_path, "/var/lib/gazette/site.db");
    assert_string_equal(c.templates_dir, "/srv/templates");
    assert_string_equal(c.synchronous, "NORMAL");
    assert_int_equal(c.page_size, 20);
    assert_int_equal(c.access_log, 0);
    /* Keys the file does not name keep their defaults. */
    assert_string_equal(c.static_dir, "static");
    assert_int_equal(c.timeout, 15);
    assert_int_equal(gz_config_check(&c, err, sizeof err), 0);
}

static void test_load_values(void **state)
{
    (void)state;
    /* Every spelling the loaders accept, through one key each. */
    static const struct {
        const char *line;
        size_t off;
        int is_ll;
        long long want;
    } cases[] = {
        {"[server]\ngzip = 1\n", offsetof(struct gz_config, gzip), 0, 1},
        {"[server]\ngzip = true\n", offsetof(struct gz_config, gzip), 0, 1},
        {"[server]\ngzip = yes\n", offsetof(struct gz_config, gzip), 0, 1},
        {"[server]\ngzip = on\n", offsetof(struct gz_config, gzip), 0, 1},
        {"[server]\ngzip = 0\n", offsetof(struct gz_config, gzip), 0, 0},
        {"[server]\ngzip = false\n", offsetof(struct gz_config, gzip), 0, 0},
        {"[server]\ngzip = no\n", offsetof(struct gz_config, gzip), 0, 0},
        {"[server]\ngzip = off\n", offsetof(struct gz_config, gzip), 0, 0},
        {"[server]\nmax_form_bytes = 1048576\n",
         offsetof(struct gz_config, max_form_bytes), 1, 1048576},
        {"[server]\nmax_form_bytes = 64k\n",
         offsetof(struct gz_config, max_form_bytes), 1, 65536},
        {"[server]\nmax_form_bytes = 3m\n",
         offsetof(struct gz_config, max_form_bytes), 1, 3145728},
        {"[server]\nmax_form_bytes = 1G\n",
         offsetof(struct gz_config, max_form_bytes), 1, 1073741824},
        {"[server]\nmax_upload_bytes = 4G\n",
         offsetof(struct gz_config, max_upload_bytes), 1, 4294967296LL},
        {"[server]\nport = 0\n", offsetof(struct gz_config, port), 0, 0},
        {"[server]\nport = 65535\n", offsetof(struct gz_config, port), 0,
         65535},
        {"[server]\nport=1234\n", offsetof(struct gz_config, port), 0, 1234},
        {"[server]\n  port   =   4321  \n", offsetof(struct gz_config, port),
         0, 4321},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char path[512], err[512] = "";
        write_ini("v.conf", cases[i].line, path, sizeof path);
        struct gz_config c;
        gz_config_defaults(&c);
        int rc = gz_config_load_file(&c, path, 1, err, sizeof err);
        if (rc != 0)
            fail_msg("%s: rejected: %s", cases[i].line, err);
        char *f = (char *)&c + cases[i].off;
        long long got = cases[i].is_ll ? *(long long *)f : *(int *)f;
        if (got != cases[i].want)
            fail_msg("%s: got %lld, want %lld", cases[i].line, got,
                     cases[i].want);
    }
}

/* The shipped file documents every default: loading it changes nothing. */
static void test_load_shipped(void **state)
{
    (void)state;
    char err[512] = "";
    struct gz_config want, got;
    gz_config_defaults(&want);
    gz_config_defaults(&got);
    assert_int_equal(
        gz_config_load_file(&got, "config/gazette.conf", 1, err, sizeof err),
        0);
    assert_string_equal(err, "");
    assert_memory_equal(&got, &want, sizeof got);
}

static void test_load_missing(void **state)
{
    (void)state;
    char path[512], err[512] = "";
    snprintf(path, sizeof path, "%s/nope.conf", tmpdir);
    struct gz_config c, d;
    gz_config_defaults(&c);
    gz_config_defaults(&d);
    assert_int_equal(gz_config_load_file(&c, path, 0, err, sizeof err), 0);
    assert_memory_equal(&c, &d, sizeof c);
    int rc = gz_config_load_file(&c, path, 1, err, sizeof err);
    assert_true(rc < 0);
    assert_contains(err, path);
}

struct bad_case {
    const char *name, *text;
    const char *need[3]; /* substrings the error must hold */
};

static const struct bad_case bad_cases[] = {
    {"unknown_key", "[server]\nport = 1\nnope = 2\n",
     {"server.nope", ":3:", "unknown"}},
    {"unknown_section", "; c\n\n[nosuch]\nport = 1\n",
     {"nosuch.port", ":4:", NULL}},
    {"key_before_section", "port = 1\n", {".port", ":1:", NULL}},
    {"wrong_section", "[paths]\nport = 1\n", {"paths.port", ":2:", NULL}},
    {"bad_int", "[server]\nport = abc\n", {"server.port", ":2:", "abc"}},
    {"int_too_big", "[server]\nport = 70000\n", {"server.port", "70000", NULL}},
    {"int_negative", "[server]\nport = -1\n", {"server.port", ":2:", NULL}},
    {"int_overflow", "[server]\nport = 99999999999999999999\n",
     {"server.port", NULL, NULL}},
    {"int_fraction", "[site]\npage_size = 1.5\n", {"site.page_size", NULL,
                                                   NULL}},
    {"int_zero_page", "[site]\npage_size = 0\n", {"site.page_size", NULL,
                                                  NULL}},
    {"int_empty", "[server]\nport =\n", {"server.port", NULL, NULL}},
    {"bad_bool", "[server]\ngzip = maybe\n", {"server.gzip", "maybe", ":2:"}},
    {"bad_size_suffix", "[server]\nmax_form_bytes = 12Q\n",
     {"server.max_form_bytes", "12Q", ":2:"}},
    {"bad_size_text", "[server]\nmax_form_bytes = big\n",
     {"server.max_form_bytes", NULL, NULL}},
    {"size_too_small", "[server]\nmax_form_bytes = 1\n",
     {"server.max_form_bytes", NULL, NULL}},
    {"size_too_big", "[server]\nmax_form_bytes = 2G\n",
     {"server.max_form_bytes", NULL, NULL}},
    {"size_negative", "[server]\nmax_form_bytes = -1M\n",
     {"server.max_form_bytes", NULL, NULL}},
    {"size_only_suffix", "[server]\nmax_form_bytes = K\n",
     {"server.max_form_bytes", NULL, NULL}},
    {"string_too_long",
     "[server]\nhost = 0123456789012345678901234567890123456789"
     "012345678901234567890123\n",
     {"server.host", "longer", NULL}},
    {"syntax", "[server]\nport = 1\nthis line has no equals sign\n",
     {":3:", NULL, NULL}},
    {"first_error_wins", "[server]\nport = x\ngzip = y\n",
     {"server.port", ":2:", NULL}},
};

static void test_load_bad(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(bad_cases); i++) {
        const struct bad_case *b = &bad_cases[i];
        char path[512], err[512] = "";
        write_ini("bad.conf", b->text, path, sizeof path);
        struct gz_config c;
        gz_config_defaults(&c);
        int rc = gz_config_load_file(&c, path, 1, err, sizeof err);
        if (rc != GZ_EINVAL)
            fail_msg("%s: rc = %d, want GZ_EINVAL (err \"%s\")", b->name, rc,
                     err);
        /* One line, starting with the file name. */
        if (strncmp(err, path, strlen(path)) != 0 || strchr(err, '\n'))
            fail_msg("%s: error \"%s\" should start with %s", b->name, err,
                     path);
        for (int k = 0; k < 3 && b->need[k]; k++)
            if (!strstr(err, b->need[k]))
                fail_msg("%s: error \"%s\" lacks \"%s\"", b->name, err,
                         b->need[k]);
    }
}

/* Sizes with a suffix are multiplied: the product must be checked, not
 * left to overflow (undefined behaviour) and wrap into the range. */
static void test_load_size_overflow(void **state)
{
    (void)state;
    static const char *const values[] = {
        "17179869185G",  /* (2^34 + 1) * 2^30 wraps to exactly 1 GiB */
        "1099511627776G", /* 2^40 * 2^30 wraps to 0 */
        "9007199254740993G",
    };
    for (size_t i = 0; i < N(values); i++) {
        char path[512], err[512] = "", text[128];
        snprintf(text, sizeof text, "[server]\nmax_form_bytes = %s\n",
                 values[i]);
        write_ini("o.conf", text, path, sizeof path);
        struct gz_config c;
        gz_config_defaults(&c);
        int rc = gz_config_load_file(&c, path, 1, err, sizeof err);
        if (rc != GZ_EINVAL)
            fail_msg("max_form_bytes = %s accepted as %lld bytes", values[i],
                     c.max_form_bytes);
        assert_contains(err, "server.max_form_bytes");
        assert_int_equal(c.max_form_bytes, 1 << 20);
    }
}

static void test_load_error_truncates(void **state)
{
    (void)state;
    char path[512], err[24];
    write_ini("t.conf", "[server]\nnope = 1\n", path, sizeof path);
    struct gz_config c;
    gz_config_defaults(&c);
    memset(err, 'Z', sizeof err);
    assert_int_equal(gz_config_load_file(&c, path, 1, err, sizeof err),
                     GZ_EINVAL);
    assert_true(memchr(err, '\0', sizeof err) != NULL);
}

/* ---- environment ----------------------------------------------------- */

static void test_env_overrides(void **state)
{
    (void)state;
    char err[512] = "";
    struct gz_config c;
    gz_config_defaults(&c);
    /* Nothing set: nothing changes. */
    struct gz_config d = c;
    assert_int_equal(gz_config_load_env(&c, err, sizeof err), 0);
    assert_memory_equal(&c, &d, sizeof c);

    setenv("GAZETTE_PORT", "9191", 1);
    setenv("GAZETTE_HOST", "::1", 1);
    setenv("GAZETTE_DB", "/tmp/other.db", 1);
    setenv("GAZETTE_GZIP", "off", 1);
    setenv("GAZETTE_MAX_UPLOAD_BYTES", "20M", 1);
    setenv("GAZETTE_SYNCHRONOUS", "NORMAL", 1);
    setenv("GAZETTE_PAGE_SIZE", "7", 1);
    assert_int_equal(gz_config_load_env(&c, err, sizeof err), 0);
    assert_int_equal(c.port, 9191);
    assert_string_equal(c.host, "::1");
    assert_string_equal(c.db_path, "/tmp/other.db");
    assert_int_equal(c.gzip, 0);
    assert_int_equal(c.max_upload_bytes, 20 * 1024 * 1024);
    assert_string_equal(c.synchronous, "NORMAL");
    assert_int_equal(c.page_size, 7);
    assert_int_equal(c.timeout, 15);
    clear_env();
}

static void test_env_overrides_file(void **state)
{
    (void)state;
    char path[512], err[512] = "";
    write_ini("f.conf", "[server]\nport = 1111\ntimeout = 30\n", path,
              sizeof path);
    struct gz_config c;
    gz_config_defaults(&c);
    setenv("GAZETTE_PORT", "2222", 1);
    assert_int_equal(gz_config_load_file(&c, path, 1, err, sizeof err), 0);
    assert_int_equal(gz_config_load_env(&c, err, sizeof err), 0);
    assert_int_equal(c.port, 2222);  /* env beats the file */
    assert_int_equal(c.timeout, 30); /* the file beats the default */
    clear_env();
}

static void test_env_bad(void **state)
{
    (void)state;
    static const struct {
        const char *var, *value, *key;
    } cases[] = {
        {"GAZETTE_PORT", "abc", "server.port"},
        {"GAZETTE_PORT", "", "server.port"},
        {"GAZETTE_PORT", "80 ", "server.port"},
        {"GAZETTE_GZIP", "2", "server.gzip"},
        {"GAZETTE_MAX_FORM_BYTES", "lots", "server.max_form_bytes"},
        {"GAZETTE_THREADS", "1000", "server.threads"},
        {"GAZETTE_DB", "a\nb", "paths.db"},
        {"GAZETTE_HOST", "a\x01" "b", "server.host"},
        {"GAZETTE_BASE_URL", "https://x\xff", "server.base_url"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char err[512] = "";
        struct gz_config c;
        gz_config_defaults(&c);
        setenv(cases[i].var, cases[i].value, 1);
        int rc = gz_config_load_env(&c, err, sizeof err);
        unsetenv(cases[i].var);
        if (rc != GZ_EINVAL)
            fail_msg("%s=%s accepted", cases[i].var, cases[i].value);
        assert_contains(err, cases[i].var);
        assert_contains(err, cases[i].key);
    }
}

/* ---- gz_config_set --------------------------------------------------- */

static void test_set(void **state)
{
    (void)state;
    char err[512] = "";
    struct gz_config c;
    gz_config_defaults(&c);
    assert_int_equal(gz_config_set(&c, "server.port", "1234", err, sizeof err),
                     0);
    assert_int_equal(c.port, 1234);
    assert_int_equal(gz_config_set(&c, "port", "4321", err, sizeof err), 0);
    assert_int_equal(c.port, 4321);
    assert_int_equal(gz_config_set(&c, "db", "x.db", err, sizeof err), 0);
    assert_string_equal(c.db_path, "x.db");
    assert_int_equal(gz_config_set(&c, "paths.db", "y.db", err, sizeof err),
                     0);
    assert_string_equal(c.db_path, "y.db");
    assert_int_equal(gz_config_set(&c, "host", "10.0.0.1", err, sizeof err),
                     0);
    assert_string_equal(c.host, "10.0.0.1");
    assert_int_equal(
        gz_config_set(&c, "database.synchronous", "NORMAL", err, sizeof err),
        0);
    assert_string_equal(c.synchronous, "NORMAL");
    assert_int_equal(gz_config_set(&c, "site.page_size", "100", err,
                                   sizeof err),
                     0);
    assert_int_equal(c.page_size, 100);
    assert_int_equal(gz_config_set(&c, "log.access_log", "off", err,
                                   sizeof err),
                     0);
    assert_int_equal(c.access_log, 0);
    /* An empty string clears a string key. */
    assert_int_equal(gz_config_set(&c, "server.base_url", "", err,
                                   sizeof err),
                     0);
    assert_string_equal(c.base_url, "");
}

static void test_set_bad(void **state)
{
    (void)state;
    static const struct {
        const char *name, *value, *need;
    } cases[] = {
        {"nope", "1", "nope"},
        {"server.nope", "1", "server.nope"},
        {"nosuch.port", "1", "nosuch.port"},
        {"server.", "1", "server."},
        {".port", "1", ".port"},
        {"", "1", "unknown"},
        {"a-very-long-section-name-that-does-not-fit.port", "1", "unknown"},
        {"port", "abc", "server.port"},
        {"server.port", "65536", "server.port"},
        {"site.page_size", "0", "site.page_size"},
        {"site.page_size", "101", "site.page_size"},
        {"gzip", "perhaps", "server.gzip"},
        {"server.max_url_bytes", "100", "server.max_url_bytes"},
        {"host", "a\x1b[31mb", "server.host"},
        {"database.synchronous", "EXTRA_LONG", "database.synchronous"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        char err[512] = "";
        struct gz_config c, d;
        gz_config_defaults(&c);
        gz_config_defaults(&d);
        int rc = gz_config_set(&c, cases[i].name, cases[i].value, err,
                               sizeof err);
        if (rc != GZ_EINVAL)
            fail_msg("set %s=%s: rc %d", cases[i].name, cases[i].value, rc);
        assert_contains(err, cases[i].need);
        /* A rejected value leaves the config as it was. */
        assert_memory_equal(&c, &d, sizeof c);
    }
}

/* ---- gz_config_check ------------------------------------------------- */

struct check_case {
    const char *set[3][2]; /* name, value pairs applied to the defaults */
    int ok;
    const char *need;
};

static const struct check_case check_cases[] = {
    {{{NULL, NULL}}, 1, NULL},
    {{{"tls_cert", "/etc/ssl/c.pem"}}, 0, "tls"},
    {{{"tls_key", "/etc/ssl/k.pem"}}, 0, "tls"},
    {{{"tls_cert", "/etc/ssl/c.pem"}, {"tls_key", "/etc/ssl/k.pem"}}, 1,
     NULL},
    {{{"base_url", "https://news.example.com"}}, 1, NULL},
    {{{"base_url", "http://localhost:8080"}}, 1, NULL},
    /* A path is refused: links are root-relative (docs/DECISIONS.md). */
    {{{"base_url", "https://example.com/news"}}, 0, "base_url"},
    /* a slash at the end is dropped, not refused (issue 10) */
    {{{"base_url", "https://news.example.com/"}}, 1, NULL},
    {{{"base_url", "https://news.example.com//"}}, 1, NULL},
    {{{"base_url", "https://example.com/news/"}}, 0, "base_url"},
    {{{"base_url", "news.example.com"}}, 0, "base_url"},
    {{{"base_url", "ftp://news.example.com"}}, 0, "base_url"},
    {{{"base_url", "javascript:alert(1)"}}, 0, "base_url"},
    {{{"base_url", "//news.example.com"}}, 0, "base_url"},
    {{{"base_url", "http://"}}, 0, "base_url"},
    {{{"base_url", "https://a b.com"}}, 0, "base_url"},
    {{{"base_url", "https://a.com/\"><script>"}}, 0, "base_url"},
    {{{"synchronous", "NORMAL"}}, 1, NULL},
    {{{"synchronous", "OFF"}}, 0, "synchronous"},
    {{{"synchronous", "full"}}, 0, "synchronous"},
    {{{"synchronous", ""}}, 0, "synchronous"},
    {{{"db", ""}}, 0, "paths.db"},
};

static void test_check(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(check_cases); i++) {
        const struct check_case *k = &check_cases[i];
        char err[512] = "";
        struct gz_config c;
        gz_config_defaults(&c);
        for (int j = 0; j < 3 && k->set[j][0]; j++)
            assert_int_equal(gz_config_set(&c, k->set[j][0], k->set[j][1],
                                           err, sizeof err),
                             0);
        int rc = gz_config_check(&c, err, sizeof err);
        if (k->ok && rc != 0)
            fail_msg("case %zu (%s=%s) rejected: %s", i, k->set[0][0],
                     k->set[0][1], err);
        if (!k->ok) {
            if (rc != GZ_EINVAL)
                fail_msg("case %zu (%s=%s) accepted", i, k->set[0][0],
                         k->set[0][1]);
            assert_contains(err, k->need);
        }
    }
}

/* ---- help and the documented file ------------------------------------ */

static void test_help_matches_shipped_file(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof path, "%s/help.txt", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    gz_config_print_help(f);
    fclose(f);
    char *help = gz_read_file(path, NULL);
    assert_non_null(help);
    /* Every key has its own variable. */
    assert_true(n_env >= 20);
    for (size_t i = 0; i < n_env; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(env_names[i], env_names[j]) == 0)
                fail_msg("%s names two keys", env_names[i]);

    /* Every "key =" line of config/gazette.conf is a key the help lists
     * in the same section, and the file names its environment variable. */
    char *conf = gz_read_file("config/gazette.conf", NULL);
    assert_non_null(conf);
    for (size_t i = 0; i < n_env; i++)
        if (!strstr(conf, env_names[i]))
            fail_msg("config/gazette.conf does not mention %s", env_names[i]);
    char section[64] = "";
    int keys = 0;
    for (char *line = strtok(conf, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '[') {
            char *end = strchr(line, ']');
            assert_non_null(end);
            snprintf(section, sizeof section, "%.*s", (int)(end - line + 1),
                     line);
            assert_contains(help, section);
            continue;
        }
        if (line[0] == ';' || line[0] == '#' || !strchr(line, '='))
            continue;
        char key[64];
        assert_int_equal(sscanf(line, "%63[a-z_]", key), 1);
        char want[80];
        snprintf(want, sizeof want, "  %s ", key);
        const char *sec = strstr(help, section);
        assert_non_null(sec);
        const char *next = strstr(sec + 1, "\n[");
        const char *hit = strstr(sec, want);
        if (!hit || (next && hit > next))
            fail_msg("config/gazette.conf key %s %s is not in --help-config",
                     section, key);
        keys++;
    }
    /* ...and the file documents as many keys as the help lists. */
    int help_keys = 0;
    for (const char *p = help; (p = strstr(p, "GAZETTE_")); p++)
        help_keys++;
    assert_int_equal(keys, help_keys);
    assert_int_equal(keys, (int)n_env);
    free(conf);
    free(help);
}

int main(void)
{
    gz_log_set_quiet(1);
    load_env_names();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_good, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_shipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_size_overflow, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_load_error_truncates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides, setup, teardown),
        cmocka_unit_test_setup_teardown(test_env_overrides_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_env_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_matches_shipped_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
