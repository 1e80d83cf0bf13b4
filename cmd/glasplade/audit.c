/* glasplade audit keygen|seal|verify: the audit log's signing key, a sealing pass, and the
 * check of the chain against the signed checkpoints (lib/sharing/audit.h). */
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"
#include "lib/sharing/audit_sealer.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: glasplade audit keygen [--key FILE] [--public FILE]\n"
            "       glasplade audit seal [--wait-ms N]\n"
            "       glasplade audit verify [--checkpoints FILE] [--public-key FILE]\n\n"
            "keygen  makes the Ed25519 key pair that signs the audit checkpoints: the private\n"
            "        key to --key (default GLASPLADE_AUDIT_KEY_FILE, var/audit/signing-key.pem;\n"
            "        mode 0600, never overwritten) and the public key to --public (default the\n"
            "        same name with .pub). Prints the public key for the data-protection\n"
            "        officer, who keeps it where the database's holders cannot change it.\n"
            "seal    seals what can be sealed now (waiting up to --wait-ms, default 5000, for\n"
            "        transactions still running) and signs a checkpoint when a key is\n"
            "        configured; `glasplade serve` does this by itself every\n"
            "        GLASPLADE_AUDIT_SEAL_DELAY_MS / 4. Does nothing while another process\n"
            "        seals (exit 0, says so).\n"
            "verify  checks the chain, then against every checkpoint signed with the public key\n"
            "        (--public-key, else the configured key's) in the database and in the file\n"
            "        (--checkpoints, which must exist, else GLASPLADE_AUDIT_CHECKPOINT_FILE if it\n"
            "        does), and reports the unsealed tail. Prints the report as JSON (as\n"
            "        GET /v1/audit/verify answers it). Exit status 0 intact, 1 broken,\n"
            "        3 intact but rows wait longer than the promised delay.\n\n"
            "seal and verify need GLASPLADE_DATABASE_URL.\n");
}

static int keygen(const struct gp_config *cfg, int argc, char **argv)
{
    const char *key = cfg->audit_key_file, *pub = NULL;
    static const struct option opts[] = {
        {"key", required_argument, NULL, 'k'},
        {"public", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "k:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'k':
            key = optarg;
            break;
        case 'p':
            pub = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "glasplade audit keygen: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    char pub_default[1100];
    if (!pub) {
        snprintf(pub_default, sizeof pub_default, "%s.pub", key);
        pub = pub_default;
    }
    char err[512], *pem = NULL;
    if (!gp_audit_key_generate(key, pub, &pem, err, sizeof err)) {
        fprintf(stderr, "glasplade audit keygen: %s\n", err);
        return 1;
    }
    struct gp_audit_key *k = gp_audit_key_load_public(pub, err, sizeof err);
    char hex[65] = "";
    if (k)
        gp_audit_key_public_hex(k, hex);
    gp_audit_key_free(k);
    printf("%s", pem);
    printf("public key (hex, as checkpoints carry it): %s\n", hex);
    fprintf(stderr, "private key: %s (mode 0600)\npublic key: %s\n", key, pub);
    free(pem);
    return 0;
}

static void sealer_config(const struct gp_config *cfg, struct gp_audit_sealer_config *sc)
{
    *sc = (struct gp_audit_sealer_config){
        .conninfo = cfg->database_url,
        .connect_timeout_s = cfg->db_connect_timeout_s,
        .delay_ms = cfg->audit_seal_delay_ms,
        .key_file = cfg->audit_key_file,
        .checkpoint_file = cfg->audit_checkpoint_file,
        .checkpoint_rows = cfg->audit_checkpoint_rows,
        .checkpoint_interval_s = cfg->audit_checkpoint_interval_s,
    };
}

static int seal(const struct gp_config *cfg, int argc, char **argv)
{
    long wait_ms = 5000;
    static const struct option opts[] = {
        {"wait-ms", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w': {
            char *end = NULL;
            wait_ms = strtol(optarg, &end, 10);
            if (!end || *end || wait_ms < 0 || wait_ms > 600000) {
                fprintf(stderr, "glasplade audit seal: --wait-ms takes 0-600000\n");
                return 2;
            }
            break;
        }
        case 'h':
            help(stdout);
            return 0;
        default:
            return 2;
        }
    }
    struct gp_audit_sealer_config sc;
    sealer_config(cfg, &sc);
    struct gp_audit_seal_summary sum;
    char err[512];
    if (!gp_audit_seal_now(&sc, (int)wait_ms, &sum, err, sizeof err)) {
        fprintf(stderr, "glasplade audit seal: %s\n", err);
        return 1;
    }
    if (sum.locked_out) {
        fprintf(stderr, "glasplade audit seal: another process seals this database; nothing "
                        "done\n");
        return 0;
    }
    printf("sealed %lld row(s); the chain ends at row %lld (position %lld)%s%s\n",
           (long long)sum.sealed, (long long)sum.last_id, (long long)sum.last_seq,
           sum.pending ? "; rows still wait for a running transaction" : "",
           sum.checkpoint ? "; checkpoint signed" : "");
    return 0;
}

static int verify(const struct gp_config *cfg, struct gp_db_pool *pool, int argc, char **argv)
{
    const char *file = NULL, *pub = NULL;
    static const struct option opts[] = {
        {"checkpoints", required_argument, NULL, 'c'},
        {"public-key", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            file = optarg;
            break;
        case 'p':
            pub = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            return 2;
        }
    }
    char err[512];
    struct gp_audit_key *key = gp_audit_key_for_verify(cfg->audit_key_file, pub, err, sizeof err);
    if (!key && err[0]) {
        fprintf(stderr, "glasplade audit verify: %s\n", err);
        return 2;
    }
    if (!key)
        fprintf(stderr,
                "glasplade audit verify: no public key (--public-key, or %s): the "
                "checkpoints are not checked\n",
                cfg->audit_key_file);
    struct gp_audit_check_opts o = {.key = key,
                                    .checkpoint_file = file ? file : cfg->audit_checkpoint_file,
                                    .file_required = file != NULL,
                                    .max_delay_ms = cfg->audit_seal_delay_ms};
    struct gp_audit_report r;
    enum gp_audit_verify_rc rc = gp_audit_check(pool, &o, &r, err, sizeof err);
    gp_audit_key_free(key);
    if (rc == GP_AUDIT_VERIFY_DB_ERROR) {
        fprintf(stderr, "glasplade audit verify: %s\n", err);
        return 1;
    }
    json_t *j = gp_audit_report_json(&r, cfg->audit_seal_delay_ms);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    printf("%s\n", s);
    free(s);
    json_decref(j);
    if (rc == GP_AUDIT_BROKEN)
        return 1;
    return r.unsealed.overdue ? 3 : 0;
}

int gp_cmd_audit(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    bool needs_db = !strcmp(sub, "seal") || !strcmp(sub, "verify");
    if (!needs_db && strcmp(sub, "keygen")) {
        fprintf(stderr, "glasplade audit: unknown subcommand '%s'\n\n", sub);
        help(stderr);
        return 2;
    }
    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, needs_db);
    if (rc)
        return rc;
    if (!strcmp(sub, "keygen")) {
        rc = keygen(&cfg, argc - 1, argv + 1);
    } else if (!strcmp(sub, "seal")) {
        rc = seal(&cfg, argc - 1, argv + 1);
    } else {
        struct gp_db_pool *pool = gp_db_pool_create(cfg.database_url, 1, cfg.db_connect_timeout_s);
        rc = verify(&cfg, pool, argc - 1, argv + 1);
        gp_db_pool_destroy(pool);
    }
    gp_config_free(&cfg);
    return rc;
}
