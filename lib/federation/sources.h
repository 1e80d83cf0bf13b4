/* Sources: the configured department systems (table source). A source is configuration — id,
 * adapter kind, department, base URL, timeout, enabled, the kind's options and the source's
 * credentials — so a municipality adds a system of an existing kind with `glasplade source
 * set`, without code. Credentials are references (lib/federation/credentials.h): no secret is
 * ever stored in the table or read back from it. */
#ifndef GP_SOURCES_H
#define GP_SOURCES_H

#include "lib/db/db.h"
#include "lib/federation/credentials.h"

#include <stdbool.h>
#include <stddef.h>

struct gp_source {
    char id[64];
    char kind[32];
    char department[64];
    char area[32]; /* the department's area */
    char base_url[512];
    int timeout_ms;
    bool enabled;
    char options[512]; /* the kind's options, a JSON object as text ("{}": its defaults) */
    struct gp_source_auth auth;
};

enum gp_source_rc { GP_SOURCE_OK = 0, GP_SOURCE_NOT_FOUND, GP_SOURCE_INVALID, GP_SOURCE_DB_ERROR };

/* All sources ordered by id (enabled or not). *out is malloc'd (free()). */
enum gp_source_rc gp_sources_load(struct gp_db_pool *pool, struct gp_source **out, size_t *n);

/* Creates or updates a source. GP_SOURCE_INVALID (with a reason in err) for an unknown
 * department, a bad id, a URL with user information or incomplete credentials. The kind and
 * its options are checked by the caller against the adapters. */
enum gp_source_rc gp_source_set(struct gp_db_pool *pool, const struct gp_source *s, char *err,
                                size_t errlen);

enum gp_source_rc gp_source_set_enabled(struct gp_db_pool *pool, const char *id, bool enabled);

/* url as it may be shown (GET /v1/sources, glasplade source list, logs): user information
 * ("user:password@") replaced by "***@". A source written before migration 0019 may still
 * have some; no new one can. */
void gp_source_url_shown(const char *url, char *out, size_t len);

/* Whether url carries user information (credentials belong in the source's auth). */
bool gp_source_url_has_userinfo(const char *url);

/* One code a source sent that maps to nothing (table source_unmapped). */
struct gp_unmapped {
    char source_code[512];
    char legal_basis_raw[128];
    char first_seen[32], last_seen[32]; /* ISO 8601 UTC */
};

/* The unmapped codes of source id, most recently seen first. *out malloc'd (free()).
 * GP_SOURCE_NOT_FOUND for an unknown source. */
enum gp_source_rc gp_source_unmapped(struct gp_db_pool *pool, const char *id,
                                     struct gp_unmapped **out, size_t *n);

/* For /metrics: the number of unmapped codes of every source that has any, as Prometheus
 * lines of the gauge glasplade_source_unmapped_codes appended to out (with its HELP and TYPE
 * even when there are none). False when the database does not answer. */
struct gp_buf;
bool gp_sources_unmapped_metrics(struct gp_db_pool *pool, struct gp_buf *out);

#endif
