/* glasplade source set|list|enable|disable: the configured department systems. A source of an
 * existing adapter kind is added here, without code. */
#include "adapters/adapter.h"
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/federation/sources.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out, "usage: glasplade source set ID --kind KIND --department DEPT --url URL\n"
                 "                            [--timeout-ms N] [--disabled]\n"
                 "       glasplade source list\n"
                 "       glasplade source enable ID\n"
                 "       glasplade source disable ID\n\n"
                 "set      creates or replaces a source. KIND is an adapter kind (");
    for (size_t i = 0; gp_adapters[i]; i++)
        fprintf(out, "%s%s", i ? ", " : "", gp_adapters[i]->kind);
    fprintf(out, ");\n"
                 "         DEPT one of job_centre, social_services, family, municipal_health,\n"
                 "         region; URL the system's base URL; the timeout defaults to 1500 ms.\n"
                 "list     prints every source.\n"
                 "enable, disable  switch a source on or off; a disabled source is not asked.\n\n"
                 "Needs GLASPLADE_DATABASE_URL. A running server sees changes on its next "
                 "lookup.\n");
}

static int set(struct gp_db_pool *pool, int argc, char **argv)
{
    struct gp_source s = {.timeout_ms = 1500, .enabled = true};
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'}, {"department", required_argument, NULL, 'd'},
        {"url", required_argument, NULL, 'u'},  {"timeout-ms", required_argument, NULL, 't'},
        {"disabled", no_argument, NULL, 'x'},   {NULL, 0, NULL, 0},
    };
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "glasplade source set: give the source's id first (see --help)\n");
        return 2;
    }
    snprintf(s.id, sizeof s.id, "%s", argv[1]);
    optind = 2;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            snprintf(s.kind, sizeof s.kind, "%s", optarg);
            break;
        case 'd':
            snprintf(s.department, sizeof s.department, "%s", optarg);
            break;
        case 'u':
            snprintf(s.base_url, sizeof s.base_url, "%s", optarg);
            break;
        case 't':
            s.timeout_ms = (int)strtol(optarg, &end, 10);
            if (*end || s.timeout_ms < 1 || s.timeout_ms > 600000) {
                fprintf(stderr, "glasplade source set: --timeout-ms must be 1-600000\n");
                return 2;
            }
            break;
        case 'x':
            s.enabled = false;
            break;
        default:
            return 2;
        }
    }
    if (!gp_adapter_find(s.kind)) {
        fprintf(stderr, "glasplade source set: --kind must be an adapter kind (see --help)\n");
        return 2;
    }
    if (!s.department[0] ||
        (strncmp(s.base_url, "http://", 7) != 0 && strncmp(s.base_url, "https://", 8) != 0)) {
        fprintf(stderr, "glasplade source set: --department and an http(s) --url are required\n");
        return 2;
    }
    char err[200];
    switch (gp_source_set(pool, &s, err, sizeof err)) {
    case GP_SOURCE_OK:
        fprintf(stderr, "source %s: %s at %s (%s)\n", s.id, s.kind, s.base_url,
                s.enabled ? "enabled" : "disabled");
        return 0;
    case GP_SOURCE_INVALID:
        fprintf(stderr, "glasplade source set: %s\n", err);
        return 2;
    default:
        fprintf(stderr, "glasplade source set: %s\n", err);
        return 1;
    }
}

static int list(struct gp_db_pool *pool)
{
    struct gp_source *all = NULL;
    size_t n = 0;
    if (gp_sources_load(pool, &all, &n) != GP_SOURCE_OK) {
        fprintf(stderr, "glasplade source list: database error\n");
        return 1;
    }
    printf("%-20s %-10s %-18s %-8s %-8s %s\n", "ID", "KIND", "DEPARTMENT", "TIMEOUT", "ENABLED",
           "URL");
    for (size_t i = 0; i < n; i++)
        printf("%-20s %-10s %-18s %-8d %-8s %s\n", all[i].id, all[i].kind, all[i].department,
               all[i].timeout_ms, all[i].enabled ? "yes" : "no", all[i].base_url);
    free(all);
    return 0;
}

int gp_cmd_source(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        }
    }
    const char *sub = argv[1];
    bool toggle = !strcmp(sub, "enable") || !strcmp(sub, "disable");
    if (strcmp(sub, "set") && strcmp(sub, "list") && !toggle) {
        fprintf(stderr, "glasplade source: unknown subcommand '%s'\n", sub);
        return 2;
    }
    if (toggle && argc < 3) {
        fprintf(stderr, "glasplade source %s: give the source's id\n", sub);
        return 2;
    }
    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, 1);
    if (rc)
        return rc;
    struct gp_db_pool *pool = gp_db_pool_create(cfg.database_url, 1, cfg.db_connect_timeout_s);
    if (!strcmp(sub, "set")) {
        rc = set(pool, argc - 1, argv + 1);
    } else if (!strcmp(sub, "list")) {
        rc = list(pool);
    } else {
        enum gp_source_rc r = gp_source_set_enabled(pool, argv[2], !strcmp(sub, "enable"));
        rc = r == GP_SOURCE_OK ? 0 : r == GP_SOURCE_NOT_FOUND ? 1 : 1;
        if (r == GP_SOURCE_NOT_FOUND)
            fprintf(stderr, "glasplade source %s: no source '%s'\n", sub, argv[2]);
    }
    gp_db_pool_destroy(pool);
    gp_config_free(&cfg);
    return rc;
}
