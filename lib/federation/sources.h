/* Sources: the configured department systems (table source). A source is configuration — id,
 * adapter kind, department, base URL, timeout, enabled — so a municipality adds a system of
 * an existing kind with `glasplade source set`, without code. */
#ifndef GP_SOURCES_H
#define GP_SOURCES_H

#include "lib/db/db.h"

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
};

enum gp_source_rc { GP_SOURCE_OK = 0, GP_SOURCE_NOT_FOUND, GP_SOURCE_INVALID, GP_SOURCE_DB_ERROR };

/* All sources ordered by id (enabled or not). *out is malloc'd (free()). */
enum gp_source_rc gp_sources_load(struct gp_db_pool *pool, struct gp_source **out, size_t *n);

/* Creates or updates a source. GP_SOURCE_INVALID (with a reason in err) for an unknown
 * department or a bad id. The kind is checked by the caller against the adapters. */
enum gp_source_rc gp_source_set(struct gp_db_pool *pool, const struct gp_source *s, char *err,
                                size_t errlen);

enum gp_source_rc gp_source_set_enabled(struct gp_db_pool *pool, const char *id, bool enabled);

#endif
