/* glasplade errors: the error table as Markdown, for docs/api.md and integrators. */
#include "cmd/glasplade/commands.h"
#include "lib/core/error.h"

#include <stdio.h>
#include <string.h>

int gp_cmd_errors(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: glasplade errors\n\nPrints the problem types of the API as a Markdown "
               "table (generated from lib/errors.def).\n");
        return 0;
    }
    printf("| status | type | title |\n| --- | --- | --- |\n");
    for (int e = 0; e < GP_E_COUNT_; e++)
        printf("| %d | `%s` | %s |\n", gp_error_status((enum gp_error)e),
               gp_error_type((enum gp_error)e), gp_error_title((enum gp_error)e));
    return 0;
}
