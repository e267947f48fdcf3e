/*
 * main.c - the gazette command line: serve, init, migrate, user, token,
 * backup, export, import, render. Parses arguments, loads configuration and
 * hands over to the modules; owns nothing after it returns.
 */
#include <stdio.h>
#include <string.h>

#include "gazette/tpl.h"

static int usage(FILE *f)
{
    fputs("usage: gazette render TEMPLATE DATA.json [--partials DIR]\n", f);
    return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (strcmp(argv[1], "render") == 0) {
        if (argc == 4)
            return gz_tpl_cli_render(argv[2], argv[3], NULL);
        if (argc == 6 && strcmp(argv[4], "--partials") == 0)
            return gz_tpl_cli_render(argv[2], argv[3], argv[5]);
        return usage(stderr);
    }
    return usage(stderr);
}
