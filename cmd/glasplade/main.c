/* glasplade: the Glasplade server and its administration commands in one binary. */
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/core/log.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: glasplade <command> [options]\n"
            "\n"
            "Glasplade answers, for one citizen's CPR number, where the municipality's\n"
            "department systems hold data, what happened when, and what may be shown to whom.\n"
            "\n"
            "commands:\n"
            "  serve      run the HTTP server\n"
            "  migrate    apply pending database migrations\n"
            "  token      create, list and revoke API tokens\n"
            "  source     configure the department systems that are asked\n"
            "  sync       read every source's bulk export into the index\n"
            "  audit      the audit log's signing key, sealing and verification\n"
            "  errors     print the table of problem types the API answers with\n"
            "  version    print the version\n"
            "\n"
            "`glasplade <command> --help` describes a command. Configuration comes from\n"
            "environment variables; `glasplade serve --help` lists them.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
            printf("usage: glasplade version\n\nPrints the version of this binary.\n");
            return 0;
        }
        printf("glasplade %s\n", GP_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "serve"))
        return gp_cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "migrate"))
        return gp_cmd_migrate(argc - 1, argv + 1);
    if (!strcmp(cmd, "token"))
        return gp_cmd_token(argc - 1, argv + 1);
    if (!strcmp(cmd, "source"))
        return gp_cmd_source(argc - 1, argv + 1);
    if (!strcmp(cmd, "sync"))
        return gp_cmd_sync(argc - 1, argv + 1);
    if (!strcmp(cmd, "audit"))
        return gp_cmd_audit(argc - 1, argv + 1);
    if (!strcmp(cmd, "errors"))
        return gp_cmd_errors(argc - 1, argv + 1);
    fprintf(stderr, "glasplade: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}

int gp_cmd_load_config(struct gp_config *cfg, int need_db)
{
    char err[256];
    if (!gp_config_load(cfg, gp_config_process_env, NULL, err, sizeof err)) {
        fprintf(stderr, "glasplade: invalid configuration: %s\n", err);
        return 2;
    }
    gp_log_set_level((enum gp_log_level)cfg->log_level);
    if (need_db && !cfg->database_url) {
        fprintf(stderr, "glasplade: GLASPLADE_DATABASE_URL is not set (a libpq conninfo or "
                        "postgresql:// URI)\n");
        gp_config_free(cfg);
        return 2;
    }
    return 0;
}
