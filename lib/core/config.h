/* Configuration from environment variables. Pure: the environment is read through a lookup
 * function, so tests pass a table instead of touching the process environment.
 * An invalid value fails the load with a message naming the variable. The README's table of
 * variables is printed by `glasplade config --help`-style listing gp_config_vars. */
#ifndef GP_CONFIG_H
#define GP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define GP_CORS_MAX_ORIGINS    16
#define GP_MAX_TRUSTED_PROXIES 16
#define GP_CLIENT_ADDR_MAX     46 /* INET6_ADDRSTRLEN */

struct gp_config {
    char *database_url;       /* GLASPLADE_DATABASE_URL; NULL when unset */
    char *listen;             /* GLASPLADE_LISTEN */
    int port;                 /* GLASPLADE_PORT; 0 picks a free port */
    int threads;              /* GLASPLADE_THREADS */
    int db_pool_size;         /* GLASPLADE_DB_POOL_SIZE */
    int db_connect_timeout_s; /* GLASPLADE_DB_CONNECT_TIMEOUT */
    int request_deadline_ms;  /* GLASPLADE_REQUEST_DEADLINE_MS */
    int log_level;            /* GLASPLADE_LOG_LEVEL, an enum gp_log_level */
    size_t max_body_bytes;    /* GLASPLADE_MAX_BODY_BYTES */
    bool migrate_on_start;    /* GLASPLADE_MIGRATE_ON_START */
    int shutdown_timeout_ms;  /* GLASPLADE_SHUTDOWN_TIMEOUT_MS */
    int index_ttl_s;          /* GLASPLADE_INDEX_TTL_S */
    int index_digest_ttl_s;   /* GLASPLADE_INDEX_DIGEST_TTL_S; 0 = no digests */
    size_t source_max_bytes;  /* GLASPLADE_SOURCE_MAX_BYTES */
    int breaker_failures;     /* GLASPLADE_BREAKER_FAILURES */
    int breaker_open_ms;      /* GLASPLADE_BREAKER_OPEN_MS */
    size_t cors_origin_count;
    char *cors_origins[GP_CORS_MAX_ORIGINS]; /* GLASPLADE_CORS_ORIGINS, comma-separated */
    /* GLASPLADE_TRUSTED_PROXIES: the peers (the edge) whose X-Forwarded-For names the client;
     * IP literals in the form inet_ntop writes them. */
    size_t trusted_proxy_count;
    char *trusted_proxies[GP_MAX_TRUSTED_PROXIES];
    /* Thresholds of the recommendation rules (lib/recommend.h); 0 switches a trigger off. */
    int rec_min_areas;        /* GLASPLADE_REC_MIN_AREAS */
    int rec_min_caseworkers;  /* GLASPLADE_REC_MIN_CASEWORKERS */
    int rec_lae265_months;    /* GLASPLADE_REC_LAE265_MONTHS */
    int rec_source_max_age_s; /* GLASPLADE_REC_SOURCE_MAX_AGE_S */
};

/* Describes one variable, for `glasplade serve --help` and the README. */
struct gp_config_var {
    const char *name;
    const char *default_text;
    const char *description;
};
extern const struct gp_config_var gp_config_vars[]; /* terminated by name == NULL */

typedef const char *(*gp_getenv_fn)(const char *name, void *cls);

/* Loads *cfg from the environment. On failure returns false with a message in err ("GLASPLADE_PORT
 * must be an integer from 0 to 65535, got 'abc'") and leaves *cfg freed. */
bool gp_config_load(struct gp_config *cfg, gp_getenv_fn getenv_fn, void *cls, char *err,
                    size_t errlen);

/* getenv(3) as a gp_getenv_fn. */
const char *gp_config_process_env(const char *name, void *cls);

void gp_config_free(struct gp_config *cfg);

/* True when origin is allowed by the configuration (exact match, or "*" configured). */
bool gp_config_cors_allowed(const struct gp_config *cfg, const char *origin);

/* True when addr (an IP literal) is one of GLASPLADE_TRUSTED_PROXIES. */
bool gp_config_proxy_trusted(const struct gp_config *cfg, const char *addr);

/* The client's address for the access log: peer (the TCP peer, an IP literal) unless the peer
 * is a trusted proxy, in which case the right-most address of xff (the X-Forwarded-For value,
 * NULL when absent) that is not itself a trusted proxy. A malformed entry stops the walk: the
 * last trusted hop's own address is kept. Writes at most GP_CLIENT_ADDR_MAX bytes to out. */
void gp_config_client_addr(const struct gp_config *cfg, const char *peer, const char *xff,
                           char out[GP_CLIENT_ADDR_MAX]);

#endif
