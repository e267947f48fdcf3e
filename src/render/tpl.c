/* Placeholder until the engine lands. */
#include <stdio.h>
#include "gazette/tpl.h"
int gz_tpl_cli_render(const char *tpl_path, const char *data_path,
                      const char *partials_dir)
{
    fprintf(stderr, "not yet\n");
    return 1;
}
