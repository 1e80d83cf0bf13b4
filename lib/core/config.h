/* Configuration from environment variables. Pure: the environment is read through a lookup
 * function, so tests pass a table instead of touching the process environment.
 * An invalid value fails the load with a message naming the variable. The README's table of
 * variables is printed by `glasplade config --help`-style listing gp_config_vars. */
#ifndef GP_CONFIG_H
#define GP_CONFIG_H

#include "lib/core/netaddr.h"

#include <stdbool.h>
#include <stddef.h>

#define GP_CORS_MAX_ORIGINS    16
#define GP_MAX_TRUSTED_PROXIES 32

/* Sign-in at the identity provider (OpenID Connect): JWT access tokens beside the opaque keys.
 * Off while issuer is NULL. */
struct gp_oidc_config {
    char *issuer;           /* GLASPLADE_OIDC_ISSUER */
    char *audience;         /* GLASPLADE_OIDC_AUDIENCE; required with an issuer */
    char *jwks_file;        /* GLASPLADE_OIDC_JWKS_FILE; NULL: the issuer's discovery document */
    char *role_map;         /* GLASPLADE_OIDC_ROLE_MAP: path of the mapping table; NULL: none */
    char *roles_claim;      /* GLASPLADE_OIDC_ROLES_CLAIM */
    char *department_claim; /* GLASPLADE_OIDC_DEPARTMENT_CLAIM; NULL: none */
    char *purpose_claim;    /* GLASPLADE_OIDC_PURPOSE_CLAIM; NULL: none */
    char *name_claim;       /* GLASPLADE_OIDC_NAME_CLAIM */
    char *cpr_claim;        /* GLASPLADE_OIDC_CPR_CLAIM; NULL: no citizen tokens */
    int clock_skew_s;       /* GLASPLADE_OIDC_CLOCK_SKEW_S */
    int jwks_min_refresh_s; /* GLASPLADE_OIDC_JWKS_MIN_REFRESH_S */
    int jwks_max_age_s;     /* GLASPLADE_OIDC_JWKS_MAX_AGE_S */
};

struct gp_config {
    char *database_url;         /* GLASPLADE_DATABASE_URL; NULL when unset */
    char *migrate_database_url; /* GLASPLADE_MIGRATE_DATABASE_URL; NULL: database_url */
    char *listen;               /* GLASPLADE_LISTEN */
    int port;                   /* GLASPLADE_PORT; 0 picks a free port */
    int threads;                /* GLASPLADE_THREADS */
    int db_pool_size;           /* GLASPLADE_DB_POOL_SIZE */
    int db_connect_timeout_s;   /* GLASPLADE_DB_CONNECT_TIMEOUT */
    int request_deadline_ms;    /* GLASPLADE_REQUEST_DEADLINE_MS */
    int log_level;              /* GLASPLADE_LOG_LEVEL, an enum gp_log_level */
    size_t max_body_bytes;      /* GLASPLADE_MAX_BODY_BYTES */
    bool migrate_on_start;      /* GLASPLADE_MIGRATE_ON_START */
    int shutdown_timeout_ms;    /* GLASPLADE_SHUTDOWN_TIMEOUT_MS */
    int index_ttl_s;            /* GLASPLADE_INDEX_TTL_S */
    int index_digest_ttl_s;     /* GLASPLADE_INDEX_DIGEST_TTL_S; 0 = no digests */
    size_t source_max_bytes;    /* GLASPLADE_SOURCE_MAX_BYTES */
    int breaker_failures;       /* GLASPLADE_BREAKER_FAILURES */
    int breaker_open_ms;        /* GLASPLADE_BREAKER_OPEN_MS */
    size_t cors_origin_count;
    char *cors_origins[GP_CORS_MAX_ORIGINS]; /* GLASPLADE_CORS_ORIGINS, comma-separated */
    /* Thresholds of the recommendation rules (lib/recommend.h); 0 switches a trigger off. */
    int rec_min_areas;        /* GLASPLADE_REC_MIN_AREAS */
    int rec_min_caseworkers;  /* GLASPLADE_REC_MIN_CASEWORKERS */
    int rec_lae265_months;    /* GLASPLADE_REC_LAE265_MONTHS */
    int rec_source_max_age_s; /* GLASPLADE_REC_SOURCE_MAX_AGE_S */
    /* The audit log's sealer and checkpoints (lib/sharing/audit_sealer.h). */
    int audit_seal_delay_ms;         /* GLASPLADE_AUDIT_SEAL_DELAY_MS */
    char *audit_key_file;            /* GLASPLADE_AUDIT_KEY_FILE */
    char *audit_checkpoint_file;     /* GLASPLADE_AUDIT_CHECKPOINT_FILE */
    int audit_checkpoint_rows;       /* GLASPLADE_AUDIT_CHECKPOINT_ROWS */
    int audit_checkpoint_interval_s; /* GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S */
    /* Lawful sharing. */
    int token_ttl_days;        /* GLASPLADE_TOKEN_TTL_DAYS: a new token's life */
    int oral_consent_max_days; /* GLASPLADE_ORAL_CONSENT_MAX_DAYS */
    /* The page (web/) and its sign-in (at oidc.issuer). NULL when unset. */
    char *web_dir;            /* GLASPLADE_WEB_DIR; NULL: the source tree's web/ */
    char *web_vendor_dir;     /* GLASPLADE_WEB_VENDOR_DIR; NULL: node_modules/dkfds/dist */
    char *oidc_web_client_id; /* GLASPLADE_OIDC_WEB_CLIENT_ID: the page's public client */
    /* Sign-in at the identity provider: its JWT access tokens (api/auth_oidc.h). */
    struct gp_oidc_config oidc;
    /* What the server protects itself with (api/conn.h, api/throttle.h). */
    int max_connections;             /* GLASPLADE_MAX_CONNECTIONS */
    int max_presses;                 /* GLASPLADE_MAX_PRESSES */
    int max_connections_per_address; /* GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS */
    int receive_timeout_ms;          /* GLASPLADE_RECEIVE_TIMEOUT_MS */
    int auth_failures;               /* GLASPLADE_AUTH_FAILURES */
    int auth_throttle_s;             /* GLASPLADE_AUTH_THROTTLE_S */
    size_t trusted_proxy_count;
    struct gp_ipprefix trusted_proxies[GP_MAX_TRUSTED_PROXIES]; /* GLASPLADE_TRUSTED_PROXIES */
    char *tls_cert;  /* GLASPLADE_TLS_CERT: PEM file; NULL = plain HTTP */
    char *tls_key;   /* GLASPLADE_TLS_KEY: PEM file; set exactly when tls_cert is */
    bool plain_http; /* GLASPLADE_PLAIN_HTTP: plain HTTP allowed on a non-loopback address */
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

/* For `serve`: refuses plain HTTP on an address other than loopback unless GLASPLADE_PLAIN_HTTP
 * says so (a TLS-terminating edge in front). False with a message naming the variables. */
bool gp_config_check_listen(const struct gp_config *cfg, char *err, size_t errlen);

/* Whether addr is one of GLASPLADE_TRUSTED_PROXIES. */
bool gp_config_trusted_proxy(const struct gp_config *cfg, const struct gp_ipaddr *addr);

/* True when origin is allowed by the configuration (exact match, or "*" configured). */
bool gp_config_cors_allowed(const struct gp_config *cfg, const char *origin);

#endif
