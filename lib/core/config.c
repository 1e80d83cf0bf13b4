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
     "(`postgresql://user@host:port/db`)"},
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
    {"GLASPLADE_TRUSTED_PROXIES", "(none)",
     "comma-separated IP addresses of proxies (the edge) whose X-Forwarded-For names the "
     "client in the access log; from any other peer the header is ignored"},
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
    {NULL, NULL, NULL},
};

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

/* An IP literal in the form inet_ntop writes it (so "::0001" and "::1" compare equal, and an
 * IPv4-mapped IPv6 address is its IPv4 address), or false. */
static bool normalise_ip(const char *text, size_t len, char out[GP_CLIENT_ADDR_MAX])
{
    char buf[GP_CLIENT_ADDR_MAX];
    unsigned char addr[16];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, addr) == 1)
        return inet_ntop(AF_INET, addr, out, GP_CLIENT_ADDR_MAX) != NULL;
    if (inet_pton(AF_INET6, buf, addr) != 1)
        return false;
    /* An IPv4 peer of a server listening on "::" arrives as ::ffff:a.b.c.d. */
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(addr, mapped, sizeof mapped))
        return inet_ntop(AF_INET, addr + 12, out, GP_CLIENT_ADDR_MAX) != NULL;
    return inet_ntop(AF_INET6, addr, out, GP_CLIENT_ADDR_MAX) != NULL;
}

static bool parse_proxies(struct gp_config *cfg, const char *v, char *err, size_t errlen)
{
    for (const char *p = v; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = p;
        while (*end && *end != ',' && *end != ' ')
            end++;
        char ip[GP_CLIENT_ADDR_MAX];
        if (!normalise_ip(p, (size_t)(end - p), ip) ||
            cfg->trusted_proxy_count == GP_MAX_TRUSTED_PROXIES) {
            snprintf(err, errlen,
                     "GLASPLADE_TRUSTED_PROXIES must list at most %d IP addresses, got '%.*s'",
                     GP_MAX_TRUSTED_PROXIES, (int)((end - p) > 60 ? 60 : (end - p)), p);
            return false;
        }
        cfg->trusted_proxies[cfg->trusted_proxy_count++] = gp_xstrdup(ip);
        p = end;
    }
    return true;
}

bool gp_config_proxy_trusted(const struct gp_config *cfg, const char *addr)
{
    char ip[GP_CLIENT_ADDR_MAX];
    if (!addr || !normalise_ip(addr, strlen(addr), ip))
        return false;
    for (size_t i = 0; i < cfg->trusted_proxy_count; i++) {
        if (!strcmp(cfg->trusted_proxies[i], ip))
            return true;
    }
    return false;
}

void gp_config_client_addr(const struct gp_config *cfg, const char *peer, const char *xff,
                           char out[GP_CLIENT_ADDR_MAX])
{
    if (!peer || !normalise_ip(peer, strlen(peer), out))
        snprintf(out, GP_CLIENT_ADDR_MAX, "%s", peer ? peer : "");
    if (!xff || !gp_config_proxy_trusted(cfg, peer))
        return;
    /* From the right: each hop appended the address it saw. */
    size_t end = strlen(xff);
    while (end > 0) {
        size_t start = end;
        while (start > 0 && xff[start - 1] != ',')
            start--;
        size_t a = start, b = end;
        while (a < b && (xff[a] == ' ' || xff[a] == '\t'))
            a++;
        while (b > a && (xff[b - 1] == ' ' || xff[b - 1] == '\t'))
            b--;
        char ip[GP_CLIENT_ADDR_MAX];
        if (!normalise_ip(xff + a, b - a, ip))
            return;
        snprintf(out, GP_CLIENT_ADDR_MAX, "%s", ip);
        if (!gp_config_proxy_trusted(cfg, ip))
            return;
        end = start > 0 ? start - 1 : 0;
    }
}

bool gp_config_load(struct gp_config *cfg, gp_getenv_fn env, void *cls, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    long n;
    const char *v;

    v = env("GLASPLADE_DATABASE_URL", cls);
    cfg->database_url = (v && *v) ? gp_xstrdup(v) : NULL;

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
    if (!get_bool(env, cls, "GLASPLADE_MIGRATE_ON_START", false, &cfg->migrate_on_start, err,
                  errlen))
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
    if (!parse_proxies(cfg, env("GLASPLADE_TRUSTED_PROXIES", cls), err, errlen))
        goto fail;
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
    free(cfg->listen);
    for (size_t i = 0; i < cfg->cors_origin_count; i++)
        free(cfg->cors_origins[i]);
    for (size_t i = 0; i < cfg->trusted_proxy_count; i++)
        free(cfg->trusted_proxies[i]);
    memset(cfg, 0, sizeof *cfg);
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
