/* glasplade serve: the HTTP server, until SIGTERM or SIGINT. */
#include "api/auth_oidc.h"
#include "api/handlers.h"
#include "api/http.h"
#include "cmd/glasplade/commands.h"
#include "lib/federation/federate.h"
#include "lib/core/log.h"
#include "lib/db/migrate.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_sealer.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Memory (bench/README-memory.md). Under presses of a citizen with hundreds of records glibc's
 * malloc held four to six times what the server had in use: one arena per worker thread (up to
 * eight per core), each keeping its own high-water mark, and a mmap threshold that rises after
 * every large free so that later large buffers stay in the arenas. So: few arenas, fixed
 * thresholds (buffers of 128 KiB and more are mapped and unmapped, never kept), and what is free
 * is given back every GP_TRIM_INTERVAL_S seconds. */
#define GP_MALLOC_ARENAS   4
#define GP_MMAP_THRESHOLD  (128 * 1024)
#define GP_TRIM_THRESHOLD  (256 * 1024)
#define GP_TRIM_INTERVAL_S 5

static void tune_malloc(void)
{
    mallopt(M_ARENA_MAX, GP_MALLOC_ARENAS);
    mallopt(M_MMAP_THRESHOLD, GP_MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, GP_TRIM_THRESHOLD);
}

static void help(void)
{
    printf("usage: glasplade serve\n\n"
           "Runs the HTTP server until SIGTERM or SIGINT, then lets in-flight requests finish\n"
           "and exits 0. Configuration (environment variables):\n\n");
    for (const struct gp_config_var *v = gp_config_vars; v->name; v++)
        printf("  %-32s default %s\n      %s\n", v->name, v->default_text, v->description);
}

static void report(const char *name, bool applied_now, void *cls)
{
    (void)cls;
    if (applied_now)
        GP_LOG_INFO("migration %s applied", name);
}

static enum gp_qs run_role_check(struct gp_db_conn *c, void *cls)
{
    return gp_audit_role_can_rewrite(c, cls);
}

int gp_cmd_serve(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help();
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "glasplade serve: unexpected argument '%s' (see --help)\n", argv[1]);
        return 2;
    }
    tune_malloc(); /* before any thread exists: arenas are made per thread */
    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, 1);
    if (rc)
        return rc;
    char listen_err[512];
    if (!gp_config_check_listen(&cfg, listen_err, sizeof listen_err)) {
        fprintf(stderr, "glasplade: refusing to serve plain HTTP: %s\n", listen_err);
        gp_config_free(&cfg);
        return 2;
    }

    /* Block the stop signals in every thread (libmicrohttpd's threads inherit the mask), so
     * that sigtimedwait below is the only place they arrive. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct gp_db_pool *pool =
        gp_db_pool_create(cfg.database_url, cfg.db_pool_size, cfg.db_connect_timeout_s);
    if (cfg.migrate_on_start) {
        /* As the owner, on a connection of its own (GLASPLADE_MIGRATE_DATABASE_URL). */
        char err[512];
        size_t n;
        const struct gp_migration *migs = gp_migrate_embedded(&n);
        struct gp_db_pool *owner =
            cfg.migrate_database_url
                ? gp_db_pool_create(cfg.migrate_database_url, 1, cfg.db_connect_timeout_s)
                : pool;
        int applied = gp_migrate_apply(owner, migs, n, report, NULL, err, sizeof err);
        if (owner != pool)
            gp_db_pool_destroy(owner);
        if (applied < 0) {
            GP_LOG_ERROR("cannot migrate: %s", err);
            gp_db_pool_destroy(pool);
            gp_config_free(&cfg);
            return 1;
        }
    }
    bool can_rewrite = false;
    if (gp_db_with_conn(pool, "audit_role", run_role_check, &can_rewrite) == GP_QS_ONE_RESULT &&
        can_rewrite)
        GP_LOG_WARN("the database role of GLASPLADE_DATABASE_URL owns the audit log or is a "
                    "superuser: it could disable the log's triggers and rewrite history. Connect "
                    "as a member of glasplade_service that owns nothing, and migrate with "
                    "GLASPLADE_MIGRATE_DATABASE_URL");

    /* The sealer: every serve runs one; the one holding the advisory lock seals. */
    struct gp_audit_sealer_config scfg = {
        .conninfo = cfg.database_url,
        .connect_timeout_s = cfg.db_connect_timeout_s,
        .delay_ms = cfg.audit_seal_delay_ms,
        .key_file = cfg.audit_key_file,
        .checkpoint_file = cfg.audit_checkpoint_file,
        .checkpoint_rows = cfg.audit_checkpoint_rows,
        .checkpoint_interval_s = cfg.audit_checkpoint_interval_s,
    };
    char serr[512];
    struct gp_audit_sealer *sealer = gp_audit_sealer_start(&scfg, serr, sizeof serr);
    if (!sealer) {
        GP_LOG_ERROR("cannot start the audit sealer: %s", serr);
        gp_db_pool_destroy(pool);
        gp_config_free(&cfg);
        return 1;
    }

    struct gp_federate_config fcfg = {.max_body_bytes = cfg.source_max_bytes,
                                      .breaker_failures = cfg.breaker_failures,
                                      .breaker_open_ms = cfg.breaker_open_ms};
    struct gp_federate *federate = gp_federate_create(&fcfg);
    if (!federate) {
        GP_LOG_ERROR("cannot start the fan-out engine (libcurl or a thread failed)");
        gp_audit_sealer_stop(sealer);
        gp_db_pool_destroy(pool);
        gp_config_free(&cfg);
        return 1;
    }
    struct gp_oidc *oidc = NULL;
    char err[256];
    if (cfg.oidc.issuer && !(oidc = gp_oidc_create(&cfg.oidc, err, sizeof err))) {
        GP_LOG_ERROR("%s", err);
        gp_federate_destroy(federate);
        gp_db_pool_destroy(pool);
        gp_config_free(&cfg);
        return 1;
    }
    struct gp_server server = {.cfg = &cfg,
                               .pool = pool,
                               .federate = federate,
                               .oidc = oidc,
                               .routes = gp_routes,
                               .version = GP_VERSION};
    if (!gp_server_start(&server, err, sizeof err)) {
        GP_LOG_ERROR("%s", err);
        gp_oidc_destroy(oidc);
        gp_federate_destroy(federate);
        gp_audit_sealer_stop(sealer);
        gp_db_pool_destroy(pool);
        gp_config_free(&cfg);
        return 1;
    }
    json_t *line =
        json_pack("{s:s, s:s, s:i, s:s, s:i, s:i, s:s}", "msg", "listening", "address", cfg.listen,
                  "port", server.port, "scheme", server.tls ? "https" : "http", "threads",
                  cfg.threads, "max_connections", server.max_connections, "version", GP_VERSION);
    gp_log_json_steal(GP_LOG_INFO, line);

    /* Until a stop signal, give free memory back to the system now and then (malloc_trim walks
     * every arena's free chunks: a few milliseconds). */
    int sig;
    struct timespec every = {.tv_sec = GP_TRIM_INTERVAL_S, .tv_nsec = 0};
    while ((sig = sigtimedwait(&stop, NULL, &every)) < 0) {
        if (errno == EAGAIN)
            malloc_trim(0);
    }
    GP_LOG_INFO("received %s: finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    gp_server_stop(&server);
    gp_federate_destroy(federate); /* after the server: no suspended request is left */
    gp_audit_sealer_stop(sealer);  /* after the server: the last requests' rows are sealed by
                                      whichever process seals next */
    gp_oidc_destroy(oidc);
    gp_db_pool_destroy(pool);
    gp_config_free(&cfg);
    GP_LOG_INFO("stopped");
    return 0;
}
