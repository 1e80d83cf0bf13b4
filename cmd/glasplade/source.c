/* glasplade source set|list|enable|disable|unmapped: the configured department systems. A
 * source of an existing adapter kind is added here, without code; its credentials are
 * references to where the secret is, never the secret. */
#include "adapters/adapter.h"
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/federation/sources.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
    fprintf(out,
            "usage: glasplade source set ID --kind KIND --department DEPT --url URL\n"
            "                            [--timeout-ms N] [--disabled] [--option KEY=VALUE]...\n"
            "                            [--auth KIND] [--secret REF] [--user NAME]\n"
            "                            [--client-id ID] [--token-url URL] [--scope SCOPE]\n"
            "                            [--cert FILE --key FILE] [--ca FILE]\n"
            "       glasplade source list\n"
            "       glasplade source enable ID\n"
            "       glasplade source disable ID\n"
            "       glasplade source unmapped ID\n\n"
            "set      creates or replaces a source. KIND is an adapter kind (");
    for (size_t i = 0; gp_adapters[i]; i++)
        fprintf(out, "%s%s", i ? ", " : "", gp_adapters[i]->kind);
    fprintf(out,
            ");\n"
            "         DEPT one of job_centre, social_services, family, municipal_health,\n"
            "         region; URL the system's base URL, used as given (no user:password@:\n"
            "         credentials go in --auth); the timeout defaults to 1500 ms.\n"
            "         --option sets one of the kind's options (fhir-r4: search=per-type|system,\n"
            "         patient=pdqm|identifier, types=EpisodeOfCare,CarePlan,...,\n"
            "         include=yes|no).\n"
            "         --auth none (default), bearer (--secret: the token), basic (--user,\n"
            "         --secret: the password), oauth2_client_credentials (--client-id,\n"
            "         --secret: the client secret, --token-url, --scope), mtls (--cert,\n"
            "         --key). --cert/--key and --ca (a CA bundle) go with any kind.\n"
            "         REF says where the secret is: file:/absolute/path or env:NAME (an\n"
            "         environment variable of the server); the secret is never stored.\n"
            "list     prints every source (never a secret).\n"
            "enable, disable  switch a source on or off; a disabled source is not asked.\n"
            "unmapped lists the codes a source sent that map to no case type (add them to\n"
            "         concept_map in a migration).\n\n"
            "Needs GLASPLADE_DATABASE_URL. A running server sees changes on its next "
            "lookup.\n");
}

static int set(struct gp_db_pool *pool, int argc, char **argv)
{
    struct gp_source s = {.timeout_ms = 1500, .enabled = true};
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},      {"department", required_argument, NULL, 'd'},
        {"url", required_argument, NULL, 'u'},       {"timeout-ms", required_argument, NULL, 't'},
        {"disabled", no_argument, NULL, 'x'},        {"option", required_argument, NULL, 'o'},
        {"auth", required_argument, NULL, 'a'},      {"secret", required_argument, NULL, 's'},
        {"user", required_argument, NULL, 'U'},      {"client-id", required_argument, NULL, 'c'},
        {"token-url", required_argument, NULL, 'T'}, {"scope", required_argument, NULL, 'S'},
        {"cert", required_argument, NULL, 'C'},      {"key", required_argument, NULL, 'K'},
        {"ca", required_argument, NULL, 'A'},        {NULL, 0, NULL, 0},
    };
    json_t *options = json_object();
    bool user_set = false, client_set = false;
    int rc = 2;
    if (argc < 2 || argv[1][0] == '-') {
        fprintf(stderr, "glasplade source set: give the source's id first (see --help)\n");
        json_decref(options);
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
                goto done;
            }
            break;
        case 'x':
            s.enabled = false;
            break;
        case 'o': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                fprintf(stderr, "glasplade source set: --option takes KEY=VALUE\n");
                goto done;
            }
            char key[64];
            snprintf(key, sizeof key, "%.*s", (int)(eq - optarg), optarg);
            json_object_set_new(options, key, json_string(eq + 1));
            break;
        }
        case 'a':
            if (!gp_auth_kind_parse(optarg, &s.auth.kind)) {
                fprintf(stderr, "glasplade source set: --auth must be none, bearer, basic, "
                                "oauth2_client_credentials or mtls\n");
                goto done;
            }
            break;
        case 's':
            if (!gp_secret_ref_ok(optarg)) {
                /* Never echo it: it may be the secret itself, given by mistake. */
                fprintf(stderr, "glasplade source set: --secret takes where the secret is, "
                                "file:/absolute/path or env:NAME, never the secret\n");
                goto done;
            }
            snprintf(s.auth.secret, sizeof s.auth.secret, "%s", optarg);
            break;
        case 'U':
            user_set = true;
            snprintf(s.auth.username, sizeof s.auth.username, "%s", optarg);
            break;
        case 'c':
            client_set = true;
            snprintf(s.auth.username, sizeof s.auth.username, "%s", optarg);
            break;
        case 'T':
            snprintf(s.auth.token_url, sizeof s.auth.token_url, "%s", optarg);
            break;
        case 'S':
            snprintf(s.auth.scope, sizeof s.auth.scope, "%s", optarg);
            break;
        case 'C':
            snprintf(s.auth.cert_file, sizeof s.auth.cert_file, "%s", optarg);
            break;
        case 'K':
            snprintf(s.auth.key_file, sizeof s.auth.key_file, "%s", optarg);
            break;
        case 'A':
            snprintf(s.auth.ca_file, sizeof s.auth.ca_file, "%s", optarg);
            break;
        default:
            goto done;
        }
    }
    const struct gp_adapter *ad = gp_adapter_find(s.kind);
    if (!ad) {
        fprintf(stderr, "glasplade source set: --kind must be an adapter kind (see --help)\n");
        goto done;
    }
    if (!s.department[0] ||
        (strncmp(s.base_url, "http://", 7) != 0 && strncmp(s.base_url, "https://", 8) != 0)) {
        fprintf(stderr, "glasplade source set: --department and an http(s) --url are required\n");
        goto done;
    }
    if ((user_set && s.auth.kind != GP_AUTH_BASIC) ||
        (client_set && s.auth.kind != GP_AUTH_OAUTH2_CC)) {
        fprintf(stderr, "glasplade source set: --user goes with --auth basic, --client-id with "
                        "--auth oauth2_client_credentials\n");
        goto done;
    }
    char err[200];
    char *text = json_dumps(options, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(s.options, sizeof s.options, "%s", text ? text : "{}");
    bool fits = text && strlen(text) < sizeof s.options;
    free(text);
    if (!fits) {
        fprintf(stderr, "glasplade source set: the options are too long\n");
        goto done;
    }
    if (ad->check_options ? !ad->check_options(s.options, err, sizeof err)
                          : strcmp(s.options, "{}") != 0) {
        if (!ad->check_options)
            snprintf(err, sizeof err, "kind %s takes no options", s.kind);
        fprintf(stderr, "glasplade source set: %s\n", err);
        goto done;
    }
    char shown[sizeof s.base_url];
    gp_source_url_shown(s.base_url, shown, sizeof shown);
    switch (gp_source_set(pool, &s, err, sizeof err)) {
    case GP_SOURCE_OK:
        fprintf(stderr, "source %s: %s at %s (%s, auth %s)\n", s.id, s.kind, shown,
                s.enabled ? "enabled" : "disabled", gp_auth_kind_name(s.auth.kind));
        rc = 0;
        break;
    case GP_SOURCE_INVALID:
        fprintf(stderr, "glasplade source set: %s\n", err);
        rc = 2;
        break;
    default:
        fprintf(stderr, "glasplade source set: %s\n", err);
        rc = 1;
        break;
    }
done:
    json_decref(options);
    return rc;
}

static int list(struct gp_db_pool *pool)
{
    struct gp_source *all = NULL;
    size_t n = 0;
    if (gp_sources_load(pool, &all, &n) != GP_SOURCE_OK) {
        fprintf(stderr, "glasplade source list: database error\n");
        return 1;
    }
    printf("%-20s %-10s %-18s %-8s %-8s %-26s %s\n", "ID", "KIND", "DEPARTMENT", "TIMEOUT",
           "ENABLED", "AUTH", "URL");
    for (size_t i = 0; i < n; i++) {
        /* Never a secret: the URL's user information (of a source older than migration 0019)
         * is masked, and of the credentials only the kind is shown. */
        char shown[sizeof all[i].base_url];
        gp_source_url_shown(all[i].base_url, shown, sizeof shown);
        printf("%-20s %-10s %-18s %-8d %-8s %-26s %s", all[i].id, all[i].kind, all[i].department,
               all[i].timeout_ms, all[i].enabled ? "yes" : "no",
               gp_auth_kind_name(all[i].auth.kind), shown);
        if (strcmp(all[i].options, "{}") != 0)
            printf(" %s", all[i].options);
        printf("\n");
    }
    free(all);
    return 0;
}

static int unmapped(struct gp_db_pool *pool, const char *id)
{
    struct gp_unmapped *rows = NULL;
    size_t n = 0;
    switch (gp_source_unmapped(pool, id, &rows, &n)) {
    case GP_SOURCE_OK:
        break;
    case GP_SOURCE_NOT_FOUND:
        fprintf(stderr, "glasplade source unmapped: no source '%s'\n", id);
        return 1;
    default:
        fprintf(stderr, "glasplade source unmapped: database error\n");
        return 1;
    }
    printf("%-24s %-24s %-22s %s\n", "LAST SEEN", "FIRST SEEN", "LEGAL BASIS", "CODES");
    for (size_t i = 0; i < n; i++) {
        /* A FHIR record's codes are one per line: shown on one, separated by " ; ". */
        char codes[sizeof rows[i].source_code * 2];
        size_t o = 0;
        for (const char *p = rows[i].source_code; *p && o + 4 < sizeof codes; p++) {
            if (*p == '\n') {
                memcpy(codes + o, " ; ", 3);
                o += 3;
            } else {
                codes[o++] = *p;
            }
        }
        codes[o] = '\0';
        printf("%-24s %-24s %-22s %s\n", rows[i].last_seen, rows[i].first_seen,
               rows[i].legal_basis_raw[0] ? rows[i].legal_basis_raw : "-",
               codes[0] ? codes : "(no code)");
    }
    fprintf(stderr, "%zu unmapped code(s) of source %s\n", n, id);
    free(rows);
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
    bool by_id = toggle || !strcmp(sub, "unmapped");
    if (strcmp(sub, "set") && strcmp(sub, "list") && !by_id) {
        fprintf(stderr, "glasplade source: unknown subcommand '%s'\n", sub);
        return 2;
    }
    if (by_id && argc < 3) {
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
    } else if (!strcmp(sub, "unmapped")) {
        rc = unmapped(pool, argv[2]);
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
