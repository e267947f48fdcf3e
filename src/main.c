/*
 * main.c - the gazette command line (SPEC section 9): serve, init, migrate,
 * backup, restore, export, import, render. Parses arguments, loads the
 * configuration (file, then environment, then flags) and hands over to the
 * modules. Every failure prints one line and exits non-zero.
 */
#include <errno.h>
#include <jansson.h>
#include <malloc.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "gazette/accounts.h"
#include "gazette/backup.h"
#include "gazette/config.h"
#include "gazette/db.h"
#include "gazette/http.h"
#include "gazette/import.h"
#include "gazette/revisions.h"
#include "gazette/sanitize.h"
#include "gazette/store.h"
#include "gazette/tpl.h"
#include "gazette/view.h"

static const char usage_text[] =
    "usage: gazette [options] COMMAND [args]\n"
    "\n"
    "commands:\n"
    "  serve                 run the web server (the default)\n"
    "  init [--demo]         create the database; --demo adds demo content\n"
    "                        when the database has no stories yet\n"
    "  migrate               apply pending migrations\n"
    "  backup FILE [--force] consistent copy of the live database, checked\n"
    "                        (integrity_check) before it takes the name FILE;\n"
    "                        --force replaces an existing FILE\n"
    "  restore FILE          replace the database with a backup: refused\n"
    "                        while a server uses it; FILE is checked first\n"
    "                        and the current database kept as\n"
    "                        DB.before-restore-TIMESTAMP\n"
    "  export                all content as JSON on stdout\n"
    "  import FILE           content from JSON (as export writes it)\n"
    "  import --from ghost|wordpress FILE [--media-dir DIR]\n"
    "                        move a site in from a Ghost JSON or WordPress\n"
    "                        WXR export; old URLs redirect (docs/IMPORT.md)\n"
    "  user add --email E --name N --role admin|editor|author\n"
    "                        add a user; the password is read from the\n"
    "                        terminal (or one line of stdin), never argv\n"
    "  user list             every account: email, name, role, state, last\n"
    "                        sign-in\n"
    "  user passwd EMAIL     set a user's password (read as for user add)\n"
    "                        and sign them out everywhere\n"
    "  token create --name NAME [--user EMAIL]\n"
    "                        make an API token (printed alone on stdout,\n"
    "                        once); without --user, the first admin's\n"
    "  token list            tokens with their user and last use\n"
    "  token revoke ID       end a token\n"
    "  trash purge [--older-than DAYS]\n"
    "                        delete for good the stories deleted DAYS ago\n"
    "                        or more (default 30; the server does it too)\n"
    "  render TEMPLATE DATA.json [--partials DIR]\n"
    "                        render one Mustache template to stdout\n"
    "\n"
    "options:\n"
    "  --config FILE         configuration file (default config/gazette.conf)\n"
    "  --port N, --host ADDR, --db PATH, --base_url URL\n"
    "  --set SECTION.KEY=VALUE  any configuration key\n"
    "  --routes              print the route table\n"
    "  --help-config         list every configuration key\n"
    "  --help, --version\n";

static int fail(const char *msg)
{
    fprintf(stderr, "gazette: %s\n", msg);
    return 1;
}

/* Creates the folder that will hold path (one level, like data/). */
static void make_parent_dir(const char *path)
{
    char dir[GZ_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        fprintf(stderr, "gazette: cannot create %s: %s\n", dir,
                strerror(errno));
}

static struct gz_db *open_migrated(const struct gz_config *cfg)
{
    make_parent_dir(cfg->db_path);
    struct gz_db *db =
        gz_db_open(cfg->db_path, GZ_DB_READWRITE, cfg->synchronous);
    if (!db)
        return NULL;
    if (gz_db_migrate(db) < 0) {
        gz_db_close(db);
        return NULL;
    }
    return db;
}

static int import_file(struct gz_db *db, const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        fprintf(stderr, "gazette: %s:%d:%d: %s\n", path, jerr.line,
                jerr.column, jerr.text);
        return 1;
    }
    char err[512] = "";
    int rc = gz_store_import(db, doc, err, sizeof err);
    json_decref(doc);
    if (rc != 0) {
        fprintf(stderr, "gazette: %s: %s\n", path, err);
        return 1;
    }
    return 0;
}

static int cmd_init(struct gz_config *cfg, int demo)
{
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot create or migrate the database");
    int rc = 0;
    if (demo && gz_store_is_empty(db)) {
        rc = import_file(db, cfg->demo_file);
        if (rc == 0)
            printf("demo content imported from %s into %s\n", cfg->demo_file,
                   cfg->db_path);
    } else {
        printf("database ready: %s\n", cfg->db_path);
    }
    gz_db_close(db);
    return rc;
}

static int cmd_serve(struct gz_config *cfg)
{
    /* glibc gives every thread that allocates at once an arena of its
     * own (up to eight per core), each keeping freed memory for itself:
     * with a worker per quarter core that is most of the server's RSS
     * after a burst. Two arenas serve the workers' short allocations
     * with little contention (issue 8: memory). */
    mallopt(M_ARENA_MAX, 2);
    /* Held for the server's life: `gazette restore` refuses while it is. */
    char lock_err[GZ_PATH_MAX + 200];
    make_parent_dir(cfg->db_path);
    if (gz_backup_serve_lock(cfg->db_path, lock_err, sizeof lock_err) != 0) {
        fprintf(stderr, "gazette: %s\n", lock_err);
        return 1;
    }
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot open or migrate the database");
    gz_db_close(db);

    struct gz_app app;
    memset(&app, 0, sizeof app);
    app.cfg = *cfg;
    snprintf(app.base_url, sizeof app.base_url, "%s", cfg->base_url);
    app.render_error = gz_view_error;
    char err[600];
    app.tpl = gz_tpl_set_new();
    if (!app.tpl ||
        gz_tpl_add_dir(app.tpl, cfg->templates_dir, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: templates: %s\n", err);
        gz_tpl_set_free(app.tpl);
        return 1;
    }
    static const char *const needed[] = {
        "home",           "article",         "tag",         "author",
        "search",         "error",           "rss",         "sitemap",
        "message",        "mail_confirm",    "mail_notify", "admin_comments",
        "admin_subscribers"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
        if (!gz_tpl_has(app.tpl, needed[i])) {
            fprintf(stderr, "gazette: templates: %s/%s.mustache is missing\n",
                    cfg->templates_dir, needed[i]);
            gz_tpl_set_free(app.tpl);
            return 1;
        }
    }
    app.statics = gz_static_load(cfg->static_dir);
    if (!app.statics) {
        gz_tpl_set_free(app.tpl);
        return fail("paths.static: cannot read the static folder");
    }
    const char *css = gz_static_url(app.statics, "css/site.css");
    const char *js = gz_static_url(app.statics, "js/site.js");
    const char *icon = gz_static_url(app.statics, "img/favicon.svg");
    const char *admin_css = gz_static_url(app.statics, "css/admin.css");
    const char *admin_js = gz_static_url(app.statics, "js/admin.js");
    app.assets = json_pack(
        "{s:s, s:s, s:s, s:s, s:s}", "css_url",
        css ? css : "/static/css/site.css", "js_url",
        js ? js : "/static/js/site.js", "favicon_url",
        icon ? icon : "/favicon.ico", "admin_css_url",
        admin_css ? admin_css : "/static/css/admin.css", "admin_js_url",
        admin_js ? admin_js : "/static/js/admin.js");
    int rc = gz_server_run(&app);
    json_decref(app.assets);
    gz_static_free(app.statics);
    gz_tpl_set_free(app.tpl);
    return rc;
}

/* Reads a password: from the terminal without echo (asked twice), or
 * one line of stdin when it is not a terminal. */
static int read_password(char *out, size_t outlen)
{
    int tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    for (int round = 0; round < (tty ? 2 : 1); round++) {
        char line[1100];
        if (tty) {
            fputs(round ? "Password again: " : "Password: ", stderr);
            tcgetattr(STDIN_FILENO, &old);
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
        }
        char *got = fgets(line, sizeof line, stdin);
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
            fputc('\n', stderr);
        }
        if (!got)
            return -1;
        line[strcspn(line, "\r\n")] = '\0';
        if (round == 0)
            snprintf(out, outlen, "%s", line);
        else if (strcmp(out, line) != 0)
            return -2;
    }
    return 0;
}

static int cmd_user_add(struct gz_config *cfg, const char *email,
                        const char *name, const char *role)
{
    if (!email || !name) {
        fputs("usage: gazette user add --email E --name N "
              "--role admin|editor|author (password on stdin)\n",
              stderr);
        return 2;
    }
    if (!role) {
        /* No silent default (issue 10): a missing --role used to make an
         * author, which an admin setting up a site did not expect. */
        fputs("gazette: user add needs --role: author (writes drafts), "
              "editor (publishes) or admin (also users and settings)\n",
              stderr);
        return 2;
    }
    char password[1100];
    int r = read_password(password, sizeof password);
    if (r != 0)
        return fail(r == -2 ? "the passwords differ" : "no password given");
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot open the database");
    char err[200];
    const char *field = NULL;
    long long id = 0;
    int rc = gz_store_user_create(db, email, name, role, password, &id, err,
                                  sizeof err, &field);
    sodium_memzero(password, sizeof password);
    gz_db_close(db);
    if (rc != 0) {
        fprintf(stderr, "gazette: %s%s%s\n", field ? field : "",
                field ? ": " : "", err);
        return 1;
    }
    printf("user %lld added: %s (%s)\n", id, email, role);
    return 0;
}

/* `gazette trash purge [--older-than DAYS]` (issue 10): deletes for good
 * the stories in the trash for DAYS days or more (0: all of them). */
static int cmd_trash_purge(struct gz_config *cfg, const char *older_than,
                           int nargs)
{
    long long days = GZ_TRASH_DAYS;
    if (older_than && gz_parse_int(older_than, 0, 100000, &days) != 0)
        return fail("--older-than takes a number of days (0-100000)");
    if (nargs != 2) {
        fputs("usage: gazette trash purge [--older-than DAYS]\n", stderr);
        return 2;
    }
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot open the database");
    long long gone = 0;
    int rc = gz_store_trash_purge(db, gz_now() - days * 86400LL, &gone);
    gz_db_close(db);
    if (rc != 0)
        return fail("cannot purge the trash");
    printf("purged %lld %s from the trash\n", gone,
           gone == 1 ? "story" : "stories");
    return 0;
}

/* `gazette user list` and `user passwd EMAIL` (issue 10): for an
 * operator whose admins are locked out. */
static int cmd_user_list(struct gz_config *cfg)
{
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot open the database");
    json_t *list = gz_store_accounts_list(db);
    gz_db_close(db);
    if (!list)
        return fail("cannot list users");
    printf("%-32s %-24s %-7s %-12s %s\n", "email", "name", "role", "state",
           "last sign-in");
    size_t i;
    json_t *u;
    json_array_foreach(list, i, u)
    {
        char when[32] = "never";
        json_t *t = json_object_get(u, "last_login_at");
        if (json_is_integer(t))
            gz_time_rfc3339(json_integer_value(t), when);
        printf("%-32s %-24s %-7s %-12s %s\n",
               json_string_value(json_object_get(u, "email")),
               json_string_value(json_object_get(u, "name")),
               json_string_value(json_object_get(u, "role")),
               json_is_true(json_object_get(u, "disabled")) ? "disabled"
               : json_is_true(json_object_get(u, "can_sign_in"))
                   ? "active"
                   : "no-password",
               when);
    }
    json_decref(list);
    return 0;
}

static int cmd_user_passwd(struct gz_config *cfg, const char *email)
{
    char password[1100];
    int r = read_password(password, sizeof password);
    if (r != 0)
        return fail(r == -2 ? "the passwords differ" : "no password given");
    const char *field = NULL;
    const char *problem = gz_store_password_problem(password, NULL, &field);
    if (problem) {
        sodium_memzero(password, sizeof password);
        fprintf(stderr, "gazette: password: %s\n", problem);
        return 1;
    }
    struct gz_db *db = open_migrated(cfg);
    if (!db) {
        sodium_memzero(password, sizeof password);
        return fail("cannot open the database");
    }
    long long id = gz_store_user_by_email(db, email);
    int rc = id > 0 ? gz_store_password_set(db, id, password, NULL)
             : id == 0 ? GZ_ENOTFOUND
                       : GZ_EDB;
    sodium_memzero(password, sizeof password);
    gz_db_close(db);
    if (rc == GZ_ENOTFOUND)
        return fail("no user has that email (see gazette user list)");
    if (rc != 0)
        return fail("cannot set the password");
    printf("password of %s changed; their sessions ended\n", email);
    return 0;
}

static int cmd_token(struct gz_config *cfg, const char *const *args,
                     int nargs, const char *name, const char *email)
{
    struct gz_db *db = open_migrated(cfg);
    if (!db)
        return fail("cannot open the database");
    int rc = 0;
    if (strcmp(args[1], "create") == 0 && nargs == 2) {
        char token[69];
        long long id = 0;
        int r = name ? gz_store_api_token_create(db, name, email, token, &id)
                     : GZ_EINVAL;
        if (r == 0)
            printf("%s\n", token);
        else if (r == GZ_ENOTFOUND)
            rc = fail(email ? "no enabled user has that email"
                            : "no enabled admin: add one, or give --user");
        else if (r == GZ_EINVAL)
            rc = fail("token create needs --name NAME (1-80 characters)");
        else
            rc = fail("cannot create the token");
    } else if (strcmp(args[1], "list") == 0 && nargs == 2) {
        json_t *list = gz_store_api_tokens_list(db);
        size_t i;
        json_t *t;
        printf("%-5s %-24s %-30s %-7s %-20s %s\n", "id", "name", "user",
               "role", "last used", "state");
        json_array_foreach(list, i, t)
        {
            char when[32] = "never";
            json_t *lu = json_object_get(t, "last_used_at");
            if (json_is_integer(lu))
                gz_time_rfc3339(json_integer_value(lu), when);
            printf("%-5lld %-24s %-30s %-7s %-20s %s\n",
                   (long long)json_integer_value(json_object_get(t, "id")),
                   json_string_value(json_object_get(t, "name")),
                   json_string_value(json_object_get(t, "user_email")),
                   json_string_value(json_object_get(t, "role")), when,
                   json_is_true(json_object_get(t, "revoked")) ? "revoked"
                                                               : "active");
        }
        if (!list)
            rc = fail("cannot list tokens");
        json_decref(list);
    } else if (strcmp(args[1], "revoke") == 0 && nargs == 3) {
        long long id;
        int r = gz_parse_int(args[2], 1, 1LL << 62, &id) == 0
                    ? gz_store_api_token_revoke(db, id)
                    : GZ_ENOTFOUND;
        if (r == 0)
            printf("token %lld revoked\n", id);
        else
            rc = fail(r == GZ_ENOTFOUND ? "no token has that id"
                                        : "cannot revoke the token");
    } else {
        fputs("usage: gazette token create --name NAME [--user EMAIL] |"
              " list | revoke ID\n",
              stderr);
        rc = 2;
    }
    gz_db_close(db);
    return rc;
}

static void print_routes(void)
{
    for (const struct gz_route *r = gz_routes; r->pattern; r++) {
        char methods[96];
        gz_methods_str(r->methods, methods, sizeof methods);
        printf("%-16s %-28s %s\n", methods, r->pattern, r->about);
    }
}

int main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return fail("libsodium failed to initialise");
    /* libxml2 (the sanitizer, the import) initialises once, here, before
     * any worker thread renders a story. */
    gz_html_sanitize_init();
    /* `render` takes its own arguments and needs no configuration. */
    if (argc >= 2 && strcmp(argv[1], "render") == 0) {
        if (argc == 4)
            return gz_tpl_cli_render(argv[2], argv[3], NULL);
        if (argc == 6 && strcmp(argv[4], "--partials") == 0)
            return gz_tpl_cli_render(argv[2], argv[3], argv[5]);
        fputs("usage: gazette render TEMPLATE DATA.json [--partials DIR]\n",
              stderr);
        return 2;
    }

    struct gz_config cfg;
    gz_config_defaults(&cfg);
    char err[700];
    const char *config_path = getenv("GAZETTE_CONFIG");
    int config_required = config_path != NULL;
    const char *args[8];
    int nargs = 0, demo = 0, force = 0;
    const char *u_email = NULL, *u_name = NULL, *u_role = NULL;
    const char *im_from = NULL, *im_media = NULL; /* import --from */
    const char *older_than = NULL;                /* trash purge */
    /* Pass 1: --config, --help, --version (the file loads before flags). */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("gazette %s\n", GZ_VERSION);
            return 0;
        }
        if (strcmp(argv[i], "--help-config") == 0) {
            gz_config_print_help(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--routes") == 0) {
            print_routes();
            return 0;
        }
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            config_path = argv[++i];
            config_required = 1;
        }
    }
    if (gz_config_load_file(&cfg, config_path ? config_path
                                              : "config/gazette.conf",
                            config_required, err, sizeof err) != 0 ||
        gz_config_load_env(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: %s\n", err);
        return 2;
    }
    /* Pass 2: flags and the command. */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--config") == 0) {
            i++;
        } else if (strcmp(a, "--demo") == 0) {
            demo = 1;
        } else if (strcmp(a, "--force") == 0) {
            force = 1;
        } else if ((strcmp(a, "--from") == 0 ||
                    strcmp(a, "--media-dir") == 0) && i + 1 < argc) {
            *(a[2] == 'f' ? &im_from : &im_media) = argv[++i];
        } else if ((strcmp(a, "--email") == 0 || strcmp(a, "--name") == 0 ||
                    strcmp(a, "--role") == 0 || strcmp(a, "--user") == 0) &&
                   i + 1 < argc) {
            const char **dst = a[2] == 'e' || a[2] == 'u' ? &u_email
                               : a[2] == 'n'              ? &u_name
                                                          : &u_role;
            *dst = argv[++i];
        } else if (strcmp(a, "--older-than") == 0 && i + 1 < argc) {
            older_than = argv[++i]; /* trash purge */
        } else if (strcmp(a, "--set") == 0 && i + 1 < argc) {
            char name[128];
            const char *eq = strchr(argv[i + 1], '=');
            if (!eq || (size_t)(eq - argv[i + 1]) >= sizeof name) {
                fprintf(stderr, "gazette: --set expects SECTION.KEY=VALUE\n");
                return 2;
            }
            snprintf(name, sizeof name, "%.*s", (int)(eq - argv[i + 1]),
                     argv[i + 1]);
            if (gz_config_set(&cfg, name, eq + 1, err, sizeof err) != 0) {
                fprintf(stderr, "gazette: %s\n", err);
                return 2;
            }
            i++;
        } else if (strncmp(a, "--", 2) == 0) {
            const char *eq = strchr(a, '=');
            char name[64];
            const char *value;
            if (eq) {
                snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
                value = eq + 1;
            } else if (i + 1 < argc) {
                snprintf(name, sizeof name, "%s", a + 2);
                value = argv[++i];
            } else {
                fprintf(stderr, "gazette: %s needs a value\n", a);
                return 2;
            }
            if (strcmp(name, "db") == 0)
                snprintf(name, sizeof name, "paths.db");
            if (gz_config_set(&cfg, name, value, err, sizeof err) != 0) {
                fprintf(stderr, "gazette: %s\n", err);
                return 2;
            }
        } else if (nargs < 8) {
            args[nargs++] = a;
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (gz_config_check(&cfg, err, sizeof err) != 0) {
        fprintf(stderr, "gazette: %s\n", err);
        return 2;
    }
    const char *cmd = nargs ? args[0] : "serve";
    if (strcmp(cmd, "serve") == 0 && nargs <= 1)
        return cmd_serve(&cfg);
    if (strcmp(cmd, "user") == 0 && nargs == 2 && strcmp(args[1], "add") == 0)
        return cmd_user_add(&cfg, u_email, u_name, u_role);
    if (strcmp(cmd, "user") == 0 && nargs == 2 && strcmp(args[1], "list") == 0)
        return cmd_user_list(&cfg);
    if (strcmp(cmd, "user") == 0 && nargs == 3 &&
        strcmp(args[1], "passwd") == 0)
        return cmd_user_passwd(&cfg, args[2]);
    if (strcmp(cmd, "token") == 0 && nargs >= 2)
        return cmd_token(&cfg, args, nargs, u_name, u_email);
    if (strcmp(cmd, "init") == 0 && nargs == 1)
        return cmd_init(&cfg, demo);
    if (strcmp(cmd, "migrate") == 0 && nargs == 1) {
        struct gz_db *db = open_migrated(&cfg);
        if (!db)
            return fail("migration failed");
        gz_db_close(db);
        printf("database up to date: %s\n", cfg.db_path);
        return 0;
    }
    if (strcmp(cmd, "trash") == 0 && nargs >= 2 &&
        strcmp(args[1], "purge") == 0)
        return cmd_trash_purge(&cfg, older_than, nargs);
    if (strcmp(cmd, "backup") == 0 && nargs == 2)
        return gz_backup_cli(&cfg, args[1], force);
    if (strcmp(cmd, "restore") == 0 && nargs == 2)
        return gz_restore_cli(&cfg, args[1]);
    if (strcmp(cmd, "export") == 0 && nargs == 1) {
        struct gz_db *db = open_migrated(&cfg);
        if (!db)
            return fail("cannot open the database");
        json_t *doc = gz_store_export(db);
        gz_db_close(db);
        int rc = json_dumpf(doc, stdout, JSON_INDENT(2)) != 0;
        json_decref(doc);
        putchar('\n');
        return rc;
    }
    if (strcmp(cmd, "import") == 0 && nargs == 2 && im_from)
        return gz_import_cli(&cfg, im_from, args[1], im_media);
    if (strcmp(cmd, "import") == 0 && nargs == 2) {
        struct gz_db *db = open_migrated(&cfg);
        if (!db)
            return fail("cannot open the database");
        int rc = import_file(db, args[1]);
        gz_db_close(db);
        if (rc == 0)
            printf("imported %s\n", args[1]);
        return rc;
    }
    fputs(usage_text, stderr);
    return 2;
}
