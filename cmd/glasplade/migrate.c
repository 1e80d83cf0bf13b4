/* glasplade migrate: apply the migrations compiled into this binary. */
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/db/migrate.h"

#include <stdio.h>
#include <string.h>

static void report(const char *name, bool applied_now, void *cls)
{
    int *quiet = cls;
    if (applied_now || !*quiet)
        fprintf(stderr, "%s %s\n", applied_now ? "applied" : "already applied", name);
}

int gp_cmd_migrate(int argc, char **argv)
{
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: glasplade migrate [--quiet]\n\n"
                   "Applies the pending database migrations in order, each in its own\n"
                   "transaction, and records them; running it again changes nothing.\n"
                   "Connects with GLASPLADE_MIGRATE_DATABASE_URL, the role that owns the\n"
                   "tables, or else GLASPLADE_DATABASE_URL. The service's own role\n"
                   "(GLASPLADE_DATABASE_URL) should be another: a member of glasplade_service\n"
                   "that owns nothing. --quiet reports only what it applied.\n");
            return 0;
        }
        if (!strcmp(argv[i], "--quiet") || !strcmp(argv[i], "-q")) {
            quiet = 1;
            continue;
        }
        fprintf(stderr, "glasplade migrate: unknown option '%s' (see --help)\n", argv[i]);
        return 2;
    }
    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, 0);
    if (rc)
        return rc;
    if (!cfg.migrate_database_url && !cfg.database_url) {
        fprintf(stderr, "glasplade migrate: neither GLASPLADE_MIGRATE_DATABASE_URL nor "
                        "GLASPLADE_DATABASE_URL is set\n");
        gp_config_free(&cfg);
        return 2;
    }
    const char *url = cfg.migrate_database_url ? cfg.migrate_database_url : cfg.database_url;
    struct gp_db_pool *pool = gp_db_pool_create(url, 1, cfg.db_connect_timeout_s);
    size_t n;
    const struct gp_migration *migs = gp_migrate_embedded(&n);
    char err[512];
    int applied = gp_migrate_apply(pool, migs, n, report, &quiet, err, sizeof err);
    gp_db_pool_destroy(pool);
    gp_config_free(&cfg);
    if (applied < 0) {
        fprintf(stderr, "glasplade migrate: %s\n", err);
        return 1;
    }
    fprintf(stderr, "%d migration(s) applied, %zu in all\n", applied, n);
    return 0;
}
