/* glasplade token create|list|revoke: API clients from the command line, for operators and
 * for the first admin token (the API's own /v1/clients needs one already). Whoever runs this
 * has the database's credentials: a client made here works at once, where one an admin makes
 * over the API waits for a second admin (lib/sharing/clients.h). Either way the creation and a
 * revocation are audit rows; here the actor is "cli:<operating-system user>", role operator. */
#include "api/handlers.h"
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/core/cpr.h"
#include "lib/core/purpose.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/clients.h"

#include <fnmatch.h>
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *out)
{
    fprintf(out, "usage: glasplade token create --role ROLE --name NAME [--department DEPT]\n"
                 "                              [--default-purpose PURPOSE] [--cpr CPR]\n"
                 "                              [--scope 'METHOD /path']... [--expires DAYS]\n"
                 "       glasplade token list\n"
                 "       glasplade token revoke ID\n\n"
                 "create  makes a client and prints its new bearer token, alone on stdout; only\n"
                 "        the token's SHA-256 is stored, so it cannot be shown again. It works at\n"
                 "        once (over the API a second admin must approve it).\n"
                 "        ROLE: caseworker, coordinator, analyst, auditor, admin, citizen.\n"
                 "        Caseworkers and coordinators need --department (job_centre,\n"
                 "        social_services, family, municipal_health, region); a citizen needs\n"
                 "        --cpr, the one citizen the token reads and acts for. --default-purpose\n"
                 "        is the purpose of personal-data reads that state none\n"
                 "        (rehabilitation, coordinated_effort, target_group_identification,\n"
                 "        own_case); without it every such read must send X-Purpose or\n"
                 "        ?purpose=.\n"
                 "        --scope limits the key to the routes it matches (fnmatch(3) on\n"
                 "        'METHOD /path' as the routing table names them: 'GET /v1/citizens/*',\n"
                 "        'GET /v1/sources'); repeat it for more; without it the key may use\n"
                 "        every route of its role. --expires: the token works for DAYS days,\n"
                 "        1-3650 (default GLASPLADE_TOKEN_TTL_DAYS, 90).\n"
                 "list    prints every client: id, kind (key, or person for someone who signed\n"
                 "        in at the identity provider), role, status, department, default\n"
                 "        purpose, name, created, expires, last used and revoked times, and a\n"
                 "        key's scopes.\n"
                 "revoke  revokes the client with that id; its token stops working at once.\n\n"
                 "Creating and revoking are written to the audit log, the actor named\n"
                 "cli:<user>. Needs GLASPLADE_DATABASE_URL.\n");
}

/* The command line's audit actor: no client, the operating-system user by name. */
static void cli_actor(struct gp_audit_entry *e, const char *what)
{
    memset(e, 0, sizeof *e);
    const struct passwd *pw = getpwuid(geteuid());
    const char *user = pw && pw->pw_name ? pw->pw_name : getenv("USER");
    snprintf(e->client_name, sizeof e->client_name, "cli:%s", user ? user : "unknown");
    snprintf(e->role, sizeof e->role, "operator");
    snprintf(e->route, sizeof e->route, "glasplade token %s", what);
}

/* DAYS, 1-3650, into *days. */
static bool parse_days(const char *s, int *days)
{
    char *end = NULL;
    long v = s ? strtol(s, &end, 10) : 0;
    if (!s || !*s || *end || v < 1 || v > 3650)
        return false;
    *days = (int)v;
    return true;
}

/* Whether scope matches at least one route of the routing table that role may use. */
static bool scope_matches_route(const char *scope, enum gp_role role)
{
    for (const struct gp_route *rt = gp_routes; rt->method; rt++) {
        char route[256];
        snprintf(route, sizeof route, "%s %s", rt->method, rt->pattern);
        if ((rt->roles & (unsigned)role) && fnmatch(scope, route, 0) == 0)
            return true;
    }
    return false;
}

static int create(struct gp_db_pool *pool, const struct gp_config *cfg, int argc, char **argv)
{
    const char *role = NULL, *name = NULL, *dept = NULL, *purpose = NULL, *cpr_text = NULL,
               *expires = NULL;
    const char *scopes[GP_CLIENT_MAX_SCOPES];
    size_t nscopes = 0;
    static const struct option opts[] = {
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"department", required_argument, NULL, 'd'},
        {"default-purpose", required_argument, NULL, 'p'},
        {"cpr", required_argument, NULL, 'c'},
        {"scope", required_argument, NULL, 's'},
        {"expires", required_argument, NULL, 'e'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:n:d:p:c:s:e:h", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            role = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'd':
            dept = optarg;
            break;
        case 'p':
            purpose = optarg;
            break;
        case 'c':
            cpr_text = optarg;
            break;
        case 's':
            if (nscopes == GP_CLIENT_MAX_SCOPES) {
                fprintf(stderr, "glasplade token create: at most %d --scope\n",
                        GP_CLIENT_MAX_SCOPES);
                return 2;
            }
            scopes[nscopes++] = optarg;
            break;
        case 'e':
            expires = optarg;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            return 2;
        }
    }
    enum gp_role r = gp_role_parse(role);
    if (r == GP_ROLE_NONE) {
        fprintf(stderr, "glasplade token create: --role must be caseworker, coordinator, "
                        "analyst, auditor, admin or citizen\n");
        return 2;
    }
    if (!name || !*name || strlen(name) > 200) {
        fprintf(stderr, "glasplade token create: --name is required (1-200 characters)\n");
        return 2;
    }
    if (gp_role_needs_department(r) && !dept) {
        fprintf(stderr, "glasplade token create: --department is required for role %s\n", role);
        return 2;
    }
    if (purpose && !gp_purpose_find(purpose)) {
        fprintf(stderr, "glasplade token create: unknown --default-purpose '%s'\n", purpose);
        return 2;
    }
    for (size_t i = 0; i < nscopes; i++) {
        if (!gp_client_scope_valid(scopes[i]) || !scope_matches_route(scopes[i], r)) {
            fprintf(stderr,
                    "glasplade token create: --scope '%s' must be 'METHOD /path' (no comma) and "
                    "match a route role %s may use\n",
                    scopes[i], role);
            return 2;
        }
    }
    struct gp_cpr cpr = {0};
    if (gp_role_needs_cpr(r) != (cpr_text != NULL) ||
        (cpr_text && gp_cpr_parse(cpr_text, strlen(cpr_text), &cpr) != GP_CPR_OK)) {
        fprintf(stderr, "glasplade token create: --cpr (a valid CPR number) is required for "
                        "role citizen, and only for it\n");
        return 2;
    }
    if (gp_role_needs_cpr(r) && (dept || purpose)) {
        fprintf(stderr, "glasplade token create: a citizen has no --department and states no "
                        "--default-purpose\n");
        return 2;
    }
    int days = cfg->token_ttl_days;
    if (expires && !parse_days(expires, &days)) {
        fprintf(stderr, "glasplade token create: --expires must be a number of days, 1-3650\n");
        return 2;
    }
    struct gp_client client;
    char token[GP_TOKEN_LEN + 1];
    struct gp_client_new in = {.role = r,
                               .name = name,
                               .department = dept,
                               .default_purpose = purpose,
                               .cpr = cpr_text ? cpr.digits : NULL,
                               .expires_days = days,
                               .scopes = scopes,
                               .n_scopes = nscopes};
    struct gp_audit_entry *actor = malloc(sizeof *actor);
    if (!actor)
        return 1;
    cli_actor(actor, "create");
    enum gp_client_rc rc = gp_client_create(pool, &in, actor, &client, token);
    free(actor);
    switch (rc) {
    case GP_CLIENT_OK:
        printf("%s\n", token);
        fprintf(stderr, "created client %lld (%s, %s), expires %s\n", (long long)client.id, role,
                name, client.expires_at);
        return 0;
    case GP_CLIENT_UNKNOWN_DEPARTMENT:
        fprintf(stderr, "glasplade token create: unknown department '%s'\n", dept);
        return 2;
    default:
        fprintf(stderr, "glasplade token create: database error (see log above)\n");
        return 1;
    }
}

static int list(struct gp_db_pool *pool)
{
    struct gp_client *rows = NULL;
    size_t n = 0;
    if (gp_client_list(pool, &rows, &n) != GP_CLIENT_OK) {
        fprintf(stderr, "glasplade token list: database error (see log above)\n");
        return 1;
    }
    printf("%-6s %-7s %-12s %-8s %-17s %-27s %-24s %-21s %-21s %-21s %-21s %s\n", "ID", "KIND",
           "ROLE", "STATUS", "DEPARTMENT", "PURPOSE", "NAME", "CREATED", "EXPIRES", "LAST USED",
           "REVOKED", "SCOPES");
    for (size_t i = 0; i < n; i++) {
        const struct gp_client *c = &rows[i];
        printf("%-6lld %-7s %-12s %-8s %-17s %-27s %-24s %-21s %-21s %-21s %-21s %s\n",
               (long long)c->id, c->person ? "person" : "key", gp_role_name(c->role),
               gp_client_status(c), c->department[0] ? c->department : "-",
               c->default_purpose[0] ? c->default_purpose : "-", c->name, c->created_at,
               c->expires_at, c->last_used_at[0] ? c->last_used_at : "-",
               c->revoked_at[0] ? c->revoked_at : "-",
               c->scopes[0] ? c->scopes : (c->person ? "-" : "(every route of its role)"));
    }
    free(rows);
    return 0;
}

static int revoke_client(struct gp_db_pool *pool, const char *idtext)
{
    char *end = NULL;
    long long id = idtext ? strtoll(idtext, &end, 10) : 0;
    if (!idtext || *end || id <= 0) {
        fprintf(stderr, "glasplade token revoke: give the client's id (see `token list`)\n");
        return 2;
    }
    struct gp_client c;
    struct gp_audit_entry *actor = malloc(sizeof *actor);
    if (!actor)
        return 1;
    cli_actor(actor, "revoke");
    enum gp_client_rc rc = gp_client_revoke(pool, id, actor, &c);
    free(actor);
    switch (rc) {
    case GP_CLIENT_OK:
        fprintf(stderr, "revoked client %lld (%s) at %s\n", id, c.name, c.revoked_at);
        return 0;
    case GP_CLIENT_NOT_FOUND:
        fprintf(stderr, "glasplade token revoke: no client %lld\n", id);
        return 1;
    default:
        fprintf(stderr, "glasplade token revoke: database error (see log above)\n");
        return 1;
    }
}

int gp_cmd_token(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        help(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "create") && strcmp(sub, "list") && strcmp(sub, "revoke")) {
        fprintf(stderr, "glasplade token: unknown subcommand '%s'\n", sub);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        }
    }
    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, 1);
    if (rc)
        return rc;
    struct gp_db_pool *pool = gp_db_pool_create(cfg.database_url, 1, cfg.db_connect_timeout_s);
    if (!strcmp(sub, "create"))
        rc = create(pool, &cfg, argc - 1, argv + 1);
    else if (!strcmp(sub, "list"))
        rc = list(pool);
    else
        rc = revoke_client(pool, argc > 2 ? argv[2] : NULL);
    gp_db_pool_destroy(pool);
    gp_config_free(&cfg);
    return rc;
}
