#include "lib/core/config.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct gp_config_var gp_config_vars[] = {
    {"GLASPLADE_DATABASE_URL", "(required)",
     "PostgreSQL connection: libpq conninfo (`host=... dbname=...`) or URI "
     "(`postgresql://user@host:port/db`), as the service's role (member of `glasplade_service`, "
     "owning nothing)"},
    {"GLASPLADE_MIGRATE_DATABASE_URL", "GLASPLADE_DATABASE_URL",
     "the connection `glasplade migrate` (and `GLASPLADE_MIGRATE_ON_START=1`) uses: the role "
     "that owns the tables"},
    {"GLASPLADE_LISTEN", "127.0.0.1", "IP address to listen on (IPv4 or IPv6 literal)"},
    {"GLASPLADE_PORT", "8080", "TCP port to listen on, 0-65535 (0 picks a free port)"},
    {"GLASPLADE_THREADS", "16", "HTTP worker threads, 1-256"},
    {"GLASPLADE_DB_POOL_SIZE", "threads + 4", "PostgreSQL connections in the pool, 1-512"},
    {"GLASPLADE_DB_CONNECT_TIMEOUT", "3", "seconds to wait for a database connection, 1-60"},
    {"GLASPLADE_REQUEST_DEADLINE_MS", "2000",
     "deadline for one request, including asking the department systems, 50-60000"},
    {"GLASPLADE_LOG_LEVEL", "info", "debug, info, warn or error"},
    {"GLASPLADE_MAX_BODY_BYTES", "1048576",
     "largest accepted request body, 1024-67108864 (413 above)"},
    {"GLASPLADE_MIGRATE_ON_START", "0", "1 applies pending migrations when `serve` starts"},
    {"GLASPLADE_SHUTDOWN_TIMEOUT_MS", "10000",
     "on SIGTERM/SIGINT, how long in-flight requests may take to finish, 0-600000"},
    {"GLASPLADE_INDEX_TTL_S", "300",
     "refresh=auto answers from the index while a source's data is younger than this, 0-86400"},
    {"GLASPLADE_INDEX_DIGEST_TTL_S", "3600",
     "how long the index trusts that it holds a source's answer exactly (its digest): an "
     "unchanged answer is neither parsed nor stored, and is stored in full again after this; "
     "0 stores every answer in full, 0-86400"},
    {"GLASPLADE_SOURCE_MAX_BYTES", "4194304",
     "largest answer accepted from a department system, 1024-268435456"},
    {"GLASPLADE_BREAKER_FAILURES", "5",
     "consecutive failures of a source that open its circuit, 1-1000"},
    {"GLASPLADE_BREAKER_OPEN_MS", "10000",
     "how long an open circuit stays open before one probe request, 100-3600000"},
    {"GLASPLADE_CORS_ORIGINS", "(none)",
     "comma-separated origins allowed to call the API from a browser, e.g. "
     "`https://portal.kommune.dk`; `*` allows any; empty allows none"},
    {"GLASPLADE_REC_MIN_AREAS", "2",
     "recommendations: open efforts in this many areas make a candidate for a coordinated "
     "effort, 0-16 (0: off)"},
    {"GLASPLADE_REC_MIN_CASEWORKERS", "3",
     "recommendations: open efforts with this many distinct caseworkers make a candidate for a "
     "coordinated effort, 0-100 (0: off)"},
    {"GLASPLADE_REC_LAE265_MONTHS", "3",
     "recommendations: a LÆ 265 older than this many months is outdated before a "
     "rehabilitation meeting, 0-120 (0: off)"},
    {"GLASPLADE_REC_SOURCE_MAX_AGE_S", "86400",
     "recommendations: a source's data older than this many seconds is stale, 0-31536000 (0: "
     "only a source that did not answer)"},
    {"GLASPLADE_AUDIT_SEAL_DELAY_MS", "1000",
     "the promised delay within which a committed audit row is sealed into the hash chain; "
     "the sealer runs every quarter of it, 100-60000"},
    {"GLASPLADE_AUDIT_KEY_FILE", "var/audit/signing-key.pem",
     "Ed25519 private key that signs audit checkpoints (`glasplade audit keygen`; mode 0600); "
     "missing: no checkpoints are signed"},
    {"GLASPLADE_AUDIT_CHECKPOINT_FILE", "var/audit/checkpoints.jsonl",
     "file outside the database that signed audit checkpoints are appended to"},
    {"GLASPLADE_AUDIT_CHECKPOINT_ROWS", "1000",
     "a signed checkpoint every this many sealed audit rows, 1-1000000"},
    {"GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S", "60",
     "and at least this often while rows were sealed since the last one, 1-86400"},
    {"GLASPLADE_TOKEN_TTL_DAYS", "90",
     "days a new token works unless its creator says otherwise (`token create --expires`, "
     "`expires_in_days`), 1-3650; an expired token is answered 401"},
    {"GLASPLADE_ORAL_CONSENT_MAX_DAYS", "30",
     "the longest an oral consent recorded by a caseworker may last (its default end), "
     "1-365"},
    {"GLASPLADE_WEB_DIR", "(the source tree's web/)",
     "folder of the page served at `/` and `/web/` (read once at start)"},
    {"GLASPLADE_WEB_VENDOR_DIR", "(the source tree's node_modules/dkfds/dist)",
     "the design system's files (DKFDS: css/, fonts/, img/), served under `/web/<build>/dkfds/`"},
    {"GLASPLADE_OIDC_ISSUER", "(none)",
     "the identity provider whose JWT access tokens are accepted beside the opaque keys, "
     "exactly as its tokens' `iss` says (e.g. `https://login.kommune.dk/realms/staff`); its "
     "keys come from the `jwks_uri` of `ISSUER/.well-known/openid-configuration`; unset: "
     "opaque keys only; set, the page signs in with it too (authorization code with PKCE, "
     "GLASPLADE_OIDC_WEB_CLIENT_ID); https, or http only on loopback"},
    {"GLASPLADE_OIDC_AUDIENCE", "(required with an issuer)",
     "the `aud` value that names this server in the provider's access tokens"},
    {"GLASPLADE_OIDC_JWKS_FILE", "(none)",
     "read the provider's keys (a JWK set) from this file instead of its discovery document"},
    {"GLASPLADE_OIDC_ROLE_MAP", "(none)",
     "path of the mapping table (JSON) from the provider's group or role names to Glasplade "
     "roles, departments and default purposes (docs/operations.md#identity); without it only "
     "citizen tokens map to a caller"},
    {"GLASPLADE_OIDC_ROLES_CLAIM", "groups",
     "the claim holding the person's groups or roles (`roles` for Entra ID app roles; a dotted "
     "path such as `realm_access.roles` reads a nested claim)"},
    {"GLASPLADE_OIDC_DEPARTMENT_CLAIM", "(none)",
     "a claim holding the person's department, looked up in the mapping table, else taken as a "
     "Glasplade department id"},
    {"GLASPLADE_OIDC_PURPOSE_CLAIM", "(none)",
     "a claim holding the person's default purpose (one of the vocabulary); else the mapping "
     "row's"},
    {"GLASPLADE_OIDC_NAME_CLAIM", "name",
     "the claim with the person's display name, as audit rows and the citizen's access log show "
     "it (else `preferred_username`, else `sub`)"},
    {"GLASPLADE_OIDC_CPR_CLAIM", "(none)",
     "the claim that carries a citizen's CPR number (NemLog-in: "
     "`https://data.gov.dk/model/core/eid/cprNumber`); a token with it is a citizen's, bound to "
     "that CPR; unset: no citizen tokens"},
    {"GLASPLADE_OIDC_CLOCK_SKEW_S", "60",
     "seconds of clock difference tolerated on `exp`, `nbf` and `iat`, 0-300"},
    {"GLASPLADE_OIDC_JWKS_MIN_REFRESH_S", "60",
     "a token with an unknown key id fetches the provider's keys again at most this often, "
     "0-3600"},
    {"GLASPLADE_OIDC_JWKS_MAX_AGE_S", "3600",
     "the provider's keys are fetched again when older than this, 60-86400"},
    {"GLASPLADE_OIDC_WEB_CLIENT_ID", "(none)",
     "the page's client id at GLASPLADE_OIDC_ISSUER (a public client, no secret); unset: the "
     "page offers only sign-in with an access key"},
    {"GLASPLADE_MAX_CONNECTIONS", "4096",
     "open client connections at most, 16-65536; more are refused at once (the file-descriptor "
     "limit is raised to fit)"},
    {"GLASPLADE_MAX_PRESSES", "64",
     "presses of the CPR button in flight at most, 1-4096; more are answered 503 at once (this "
     "bounds the memory they take)"},
    {"GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS", "128",
     "open connections from one client address at most, 1-65536 (a trusted proxy has no limit)"},
    {"GLASPLADE_RECEIVE_TIMEOUT_MS", "10000",
     "time a client has to send a complete request head (from connecting, or from its previous "
     "answer), and then its body; the connection is closed after it, 100-600000"},
    {"GLASPLADE_AUTH_FAILURES", "20",
     "failed authentications from one address within GLASPLADE_AUTH_THROTTLE_S before it gets "
     "429, 1-100000"},
    {"GLASPLADE_AUTH_THROTTLE_S", "60",
     "window of GLASPLADE_AUTH_FAILURES, and how long an address is then refused, 1-86400"},
    {"GLASPLADE_TRUSTED_PROXIES", "(none)",
     "comma-separated addresses or prefixes (`10.0.0.0/8`) of proxies whose X-Forwarded-For "
     "names the client"},
    {"GLASPLADE_TLS_CERT", "(none)",
     "PEM certificate (chain) file: serve HTTPS, TLS 1.2 and 1.3 only; needs GLASPLADE_TLS_KEY"},
    {"GLASPLADE_TLS_KEY", "(none)", "PEM private key file of GLASPLADE_TLS_CERT"},
    {"GLASPLADE_PLAIN_HTTP", "0",
     "1 allows plain HTTP on an address that is not loopback (a TLS-terminating edge in front); "
     "without it `serve` refuses to start there"},
    {NULL, NULL, NULL},
};

/* An issuer the page may be told about (and put into its Content-Security-Policy): https, or
 * http on loopback for the demo; no characters that could end a header value or a directive. */
static bool issuer_ok(const char *v)
{
    if (strpbrk(v, " \t\r\n\"'<>;,\\"))
        return false;
    if (!strncmp(v, "https://", 8))
        return v[8] != '\0' && v[8] != '/';
    static const char *const loopback[] = {"http://127.0.0.1", "http://localhost", "http://[::1]"};
    for (size_t i = 0; i < sizeof loopback / sizeof loopback[0]; i++) {
        size_t n = strlen(loopback[i]);
        if (!strncmp(v, loopback[i], n) && (v[n] == '\0' || v[n] == ':' || v[n] == '/'))
            return true;
    }
    return false;
}

const char *gp_config_process_env(const char *name, void *cls)
{
    (void)cls;
    return getenv(name);
}

static bool get_int(gp_getenv_fn env, void *cls, const char *name, long lo, long hi, long def,
                    long *out, char *err, size_t errlen)
{
    const char *v = env(name, cls);
    if (!v || !*v) {
        *out = def;
        return true;
    }
    char *end = NULL;
    errno = 0;
    long n = strtol(v, &end, 10);
    /* strtol would skip leading spaces and accept '+': be strict, a typo should be seen */
    bool plain = (v[0] >= '0' && v[0] <= '9') || (v[0] == '-' && v[1] >= '0' && v[1] <= '9');
    if (!plain || errno || end == v || *end != '\0' || n < lo || n > hi) {
        snprintf(err, errlen, "%s must be an integer from %ld to %ld, got '%.40s'", name, lo, hi,
                 v);
        return false;
    }
    *out = n;
    return true;
}

/* A string variable: NULL when unset or empty, else a copy of at most maxlen characters. */
static bool get_str(gp_getenv_fn env, void *cls, const char *name, const char *def, size_t maxlen,
                    char **out, char *err, size_t errlen)
{
    const char *v = env(name, cls);
    if (!v || !*v)
        v = def;
    *out = v ? gp_xstrdup(v) : NULL;
    if (v && strlen(v) > maxlen) {
        snprintf(err, errlen, "%s must be at most %zu characters", name, maxlen);
        return false;
    }
    return true;
}

static bool load_oidc(struct gp_oidc_config *o, gp_getenv_fn env, void *cls, char *err,
                      size_t errlen)
{
    long n;
    if (!get_str(env, cls, "GLASPLADE_OIDC_ISSUER", NULL, 1000, &o->issuer, err, errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_AUDIENCE", NULL, 1000, &o->audience, err, errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_JWKS_FILE", NULL, 4096, &o->jwks_file, err, errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_ROLE_MAP", NULL, 4096, &o->role_map, err, errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_ROLES_CLAIM", "groups", 200, &o->roles_claim, err,
                 errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_DEPARTMENT_CLAIM", NULL, 200, &o->department_claim, err,
                 errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_PURPOSE_CLAIM", NULL, 200, &o->purpose_claim, err,
                 errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_NAME_CLAIM", "name", 200, &o->name_claim, err, errlen) ||
        !get_str(env, cls, "GLASPLADE_OIDC_CPR_CLAIM", NULL, 200, &o->cpr_claim, err, errlen))
        return false;
    if (!get_int(env, cls, "GLASPLADE_OIDC_CLOCK_SKEW_S", 0, 300, 60, &n, err, errlen))
        return false;
    o->clock_skew_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_OIDC_JWKS_MIN_REFRESH_S", 0, 3600, 60, &n, err, errlen))
        return false;
    o->jwks_min_refresh_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_OIDC_JWKS_MAX_AGE_S", 60, 86400, 3600, &n, err, errlen))
        return false;
    o->jwks_max_age_s = (int)n;
    if (o->issuer && !issuer_ok(o->issuer)) {
        snprintf(err, errlen,
                 "GLASPLADE_OIDC_ISSUER must be a plain https:// URL (http:// only on loopback), "
                 "got '%.80s'",
                 o->issuer);
        return false;
    }
    if (o->issuer && !o->audience) {
        snprintf(err, errlen, "GLASPLADE_OIDC_AUDIENCE is required with GLASPLADE_OIDC_ISSUER");
        return false;
    }
    if (!o->issuer && (o->audience || o->jwks_file || o->role_map)) {
        snprintf(err, errlen,
                 "GLASPLADE_OIDC_AUDIENCE, _JWKS_FILE and _ROLE_MAP need "
                 "GLASPLADE_OIDC_ISSUER");
        return false;
    }
    return true;
}

static void free_oidc(struct gp_oidc_config *o)
{
    free(o->issuer);
    free(o->audience);
    free(o->jwks_file);
    free(o->role_map);
    free(o->roles_claim);
    free(o->department_claim);
    free(o->purpose_claim);
    free(o->name_claim);
    free(o->cpr_claim);
}

static bool get_bool(gp_getenv_fn env, void *cls, const char *name, bool def, bool *out, char *err,
                     size_t errlen)
{
    const char *v = env(name, cls);
    if (!v || !*v) {
        *out = def;
        return true;
    }
    if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    snprintf(err, errlen, "%s must be 0 or 1 (or true/false), got '%.40s'", name, v);
    return false;
}

/* An origin is scheme://host[:port] with no path, as browsers send it in the Origin header. */
static bool origin_valid(const char *o)
{
    if (!strcmp(o, "*"))
        return true;
    const char *rest;
    if (!strncmp(o, "https://", 8))
        rest = o + 8;
    else if (!strncmp(o, "http://", 7))
        rest = o + 7;
    else
        return false;
    if (!*rest)
        return false;
    for (const char *p = rest; *p; p++) {
        if (!(((*p | 32) >= 'a' && (*p | 32) <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '-' || *p == ':' || *p == '[' || *p == ']'))
            return false;
    }
    return true;
}

static bool parse_proxies(struct gp_config *cfg, const char *v, char *err, size_t errlen)
{
    if (!v)
        return true;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        char *one = gp_xstrndup(p, (size_t)(end - p));
        if (cfg->trusted_proxy_count == GP_MAX_TRUSTED_PROXIES ||
            !gp_ipprefix_parse(one, &cfg->trusted_proxies[cfg->trusted_proxy_count])) {
            snprintf(err, errlen,
                     "GLASPLADE_TRUSTED_PROXIES must list at most %d addresses or prefixes like "
                     "10.0.0.0/8, got '%.60s'",
                     GP_MAX_TRUSTED_PROXIES, one);
            free(one);
            return false;
        }
        cfg->trusted_proxy_count++;
        free(one);
        p = end;
    }
    return true;
}

static bool parse_origins(struct gp_config *cfg, const char *v, char *err, size_t errlen)
{
    if (!v)
        return true;
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        char *origin = gp_xstrndup(p, (size_t)(end - p));
        if (!origin_valid(origin) || cfg->cors_origin_count == GP_CORS_MAX_ORIGINS) {
            snprintf(err, errlen,
                     "GLASPLADE_CORS_ORIGINS must list at most %d origins like "
                     "https://host[:port] or *, got '%.60s'",
                     GP_CORS_MAX_ORIGINS, origin);
            free(origin);
            return false;
        }
        cfg->cors_origins[cfg->cors_origin_count++] = origin;
        p = end;
    }
    return true;
}

bool gp_config_load(struct gp_config *cfg, gp_getenv_fn env, void *cls, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    long n;
    const char *v;

    v = env("GLASPLADE_DATABASE_URL", cls);
    cfg->database_url = (v && *v) ? gp_xstrdup(v) : NULL;

    v = env("GLASPLADE_MIGRATE_DATABASE_URL", cls);
    cfg->migrate_database_url = (v && *v) ? gp_xstrdup(v) : NULL;
    v = env("GLASPLADE_AUDIT_KEY_FILE", cls);
    cfg->audit_key_file = gp_xstrdup((v && *v) ? v : "var/audit/signing-key.pem");
    v = env("GLASPLADE_AUDIT_CHECKPOINT_FILE", cls);
    cfg->audit_checkpoint_file = gp_xstrdup((v && *v) ? v : "var/audit/checkpoints.jsonl");

    v = env("GLASPLADE_LISTEN", cls);
    cfg->listen = gp_xstrdup((v && *v) ? v : "127.0.0.1");
    unsigned char addr[16];
    if (inet_pton(AF_INET, cfg->listen, addr) != 1 && inet_pton(AF_INET6, cfg->listen, addr) != 1) {
        snprintf(err, errlen, "GLASPLADE_LISTEN must be an IPv4 or IPv6 address, got '%.60s'",
                 cfg->listen);
        goto fail;
    }
    if (!get_int(env, cls, "GLASPLADE_PORT", 0, 65535, 8080, &n, err, errlen))
        goto fail;
    cfg->port = (int)n;
    /* 16 by default: a worker thread waits on PostgreSQL while it stores and reads a request's
     * records (the network wait for the sources is suspended, not waited), so with 4 threads
     * the CPR button queued at ~470 presses/s with CPU to spare (bench/overview.sh). */
    if (!get_int(env, cls, "GLASPLADE_THREADS", 1, 256, 16, &n, err, errlen))
        goto fail;
    cfg->threads = (int)n;
    if (!get_int(env, cls, "GLASPLADE_DB_POOL_SIZE", 1, 512, cfg->threads + 4, &n, err, errlen))
        goto fail;
    cfg->db_pool_size = (int)n;
    if (!get_int(env, cls, "GLASPLADE_DB_CONNECT_TIMEOUT", 1, 60, 3, &n, err, errlen))
        goto fail;
    cfg->db_connect_timeout_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_REQUEST_DEADLINE_MS", 50, 60000, 2000, &n, err, errlen))
        goto fail;
    cfg->request_deadline_ms = (int)n;
    if (!get_int(env, cls, "GLASPLADE_MAX_BODY_BYTES", 1024, 67108864, 1048576, &n, err, errlen))
        goto fail;
    cfg->max_body_bytes = (size_t)n;
    if (!get_int(env, cls, "GLASPLADE_SHUTDOWN_TIMEOUT_MS", 0, 600000, 10000, &n, err, errlen))
        goto fail;
    cfg->shutdown_timeout_ms = (int)n;
    if (!get_int(env, cls, "GLASPLADE_INDEX_TTL_S", 0, 86400, 300, &n, err, errlen))
        goto fail;
    cfg->index_ttl_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_INDEX_DIGEST_TTL_S", 0, 86400, 3600, &n, err, errlen))
        goto fail;
    cfg->index_digest_ttl_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_SOURCE_MAX_BYTES", 1024, 268435456, 4194304, &n, err, errlen))
        goto fail;
    cfg->source_max_bytes = (size_t)n;
    if (!get_int(env, cls, "GLASPLADE_BREAKER_FAILURES", 1, 1000, 5, &n, err, errlen))
        goto fail;
    cfg->breaker_failures = (int)n;
    if (!get_int(env, cls, "GLASPLADE_BREAKER_OPEN_MS", 100, 3600000, 10000, &n, err, errlen))
        goto fail;
    cfg->breaker_open_ms = (int)n;
    if (!get_int(env, cls, "GLASPLADE_REC_MIN_AREAS", 0, 16, 2, &n, err, errlen))
        goto fail;
    cfg->rec_min_areas = (int)n;
    if (!get_int(env, cls, "GLASPLADE_REC_MIN_CASEWORKERS", 0, 100, 3, &n, err, errlen))
        goto fail;
    cfg->rec_min_caseworkers = (int)n;
    if (!get_int(env, cls, "GLASPLADE_REC_LAE265_MONTHS", 0, 120, 3, &n, err, errlen))
        goto fail;
    cfg->rec_lae265_months = (int)n;
    if (!get_int(env, cls, "GLASPLADE_REC_SOURCE_MAX_AGE_S", 0, 31536000, 86400, &n, err, errlen))
        goto fail;
    cfg->rec_source_max_age_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_AUDIT_SEAL_DELAY_MS", 100, 60000, 1000, &n, err, errlen))
        goto fail;
    cfg->audit_seal_delay_ms = (int)n;
    if (!get_int(env, cls, "GLASPLADE_AUDIT_CHECKPOINT_ROWS", 1, 1000000, 1000, &n, err, errlen))
        goto fail;
    cfg->audit_checkpoint_rows = (int)n;
    if (!get_int(env, cls, "GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S", 1, 86400, 60, &n, err, errlen))
        goto fail;
    cfg->audit_checkpoint_interval_s = (int)n;
    if (!get_int(env, cls, "GLASPLADE_TOKEN_TTL_DAYS", 1, 3650, 90, &n, err, errlen))
        goto fail;
    cfg->token_ttl_days = (int)n;
    if (!get_int(env, cls, "GLASPLADE_ORAL_CONSENT_MAX_DAYS", 1, 365, 30, &n, err, errlen))
        goto fail;
    cfg->oral_consent_max_days = (int)n;
    if (!get_bool(env, cls, "GLASPLADE_MIGRATE_ON_START", false, &cfg->migrate_on_start, err,
                  errlen))
        goto fail;
    if (!get_int(env, cls, "GLASPLADE_MAX_CONNECTIONS", 16, 65536, 4096, &n, err, errlen))
        goto fail;
    cfg->max_connections = (int)n;
    if (!get_int(env, cls, "GLASPLADE_MAX_PRESSES", 1, 4096, 64, &n, err, errlen))
        goto fail;
    cfg->max_presses = (int)n;
    if (!get_int(env, cls, "GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS", 1, 65536, 128, &n, err, errlen))
        goto fail;
    cfg->max_connections_per_address = (int)n;
    if (!get_int(env, cls, "GLASPLADE_RECEIVE_TIMEOUT_MS", 100, 600000, 10000, &n, err, errlen))
        goto fail;
    cfg->receive_timeout_ms = (int)n;
    if (!get_int(env, cls, "GLASPLADE_AUTH_FAILURES", 1, 100000, 20, &n, err, errlen))
        goto fail;
    cfg->auth_failures = (int)n;
    if (!get_int(env, cls, "GLASPLADE_AUTH_THROTTLE_S", 1, 86400, 60, &n, err, errlen))
        goto fail;
    cfg->auth_throttle_s = (int)n;
    if (!parse_proxies(cfg, env("GLASPLADE_TRUSTED_PROXIES", cls), err, errlen))
        goto fail;
    v = env("GLASPLADE_TLS_CERT", cls);
    cfg->tls_cert = (v && *v) ? gp_xstrdup(v) : NULL;
    v = env("GLASPLADE_TLS_KEY", cls);
    cfg->tls_key = (v && *v) ? gp_xstrdup(v) : NULL;
    if (!cfg->tls_cert != !cfg->tls_key) {
        snprintf(err, errlen, "%s is set but %s is not: HTTPS needs both a certificate and its key",
                 cfg->tls_cert ? "GLASPLADE_TLS_CERT" : "GLASPLADE_TLS_KEY",
                 cfg->tls_cert ? "GLASPLADE_TLS_KEY" : "GLASPLADE_TLS_CERT");
        goto fail;
    }
    if (!get_bool(env, cls, "GLASPLADE_PLAIN_HTTP", false, &cfg->plain_http, err, errlen))
        goto fail;

    v = env("GLASPLADE_LOG_LEVEL", cls);
    enum gp_log_level level = GP_LOG_INFO;
    if (v && *v && !gp_log_level_parse(v, &level)) {
        snprintf(err, errlen, "GLASPLADE_LOG_LEVEL must be debug, info, warn or error, got '%.40s'",
                 v);
        goto fail;
    }
    cfg->log_level = (int)level;

    if (!parse_origins(cfg, env("GLASPLADE_CORS_ORIGINS", cls), err, errlen))
        goto fail;

    v = env("GLASPLADE_WEB_DIR", cls);
    cfg->web_dir = v && *v ? gp_xstrdup(v) : NULL;
    v = env("GLASPLADE_WEB_VENDOR_DIR", cls);
    cfg->web_vendor_dir = v && *v ? gp_xstrdup(v) : NULL;
    if (!load_oidc(&cfg->oidc, env, cls, err, errlen))
        goto fail;
    v = env("GLASPLADE_OIDC_WEB_CLIENT_ID", cls);
    cfg->oidc_web_client_id = v && *v ? gp_xstrdup(v) : NULL;
    return true;

fail:
    gp_config_free(cfg);
    return false;
}

void gp_config_free(struct gp_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->database_url);
    free(cfg->migrate_database_url);
    free(cfg->audit_key_file);
    free(cfg->audit_checkpoint_file);
    free(cfg->listen);
    free(cfg->web_dir);
    free(cfg->web_vendor_dir);
    free(cfg->oidc_web_client_id);
    free(cfg->tls_cert);
    free(cfg->tls_key);
    for (size_t i = 0; i < cfg->cors_origin_count; i++)
        free(cfg->cors_origins[i]);
    free_oidc(&cfg->oidc);
    memset(cfg, 0, sizeof *cfg);
}

bool gp_config_check_listen(const struct gp_config *cfg, char *err, size_t errlen)
{
    struct gp_ipaddr a;
    if (cfg->tls_cert || cfg->plain_http ||
        (gp_ipaddr_parse(cfg->listen, &a) && gp_ipaddr_is_loopback(&a)))
        return true;
    snprintf(err, errlen,
             "GLASPLADE_LISTEN=%s is not a loopback address and no TLS is configured: set "
             "GLASPLADE_TLS_CERT and GLASPLADE_TLS_KEY to serve HTTPS, or GLASPLADE_PLAIN_HTTP=1 "
             "when a TLS-terminating edge is in front",
             cfg->listen);
    return false;
}

bool gp_config_trusted_proxy(const struct gp_config *cfg, const struct gp_ipaddr *addr)
{
    return gp_ipprefix_match_any(cfg->trusted_proxies, cfg->trusted_proxy_count, addr);
}

bool gp_config_cors_allowed(const struct gp_config *cfg, const char *origin)
{
    if (!origin)
        return false;
    for (size_t i = 0; i < cfg->cors_origin_count; i++) {
        if (!strcmp(cfg->cors_origins[i], "*") || !strcmp(cfg->cors_origins[i], origin))
            return true;
    }
    return false;
}
