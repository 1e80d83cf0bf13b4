#include "lib/federation/sources.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gp_stmt stmt_load = {
    "sources_load", "SELECT s.id, s.kind, s.department, d.area, s.base_url, s.timeout_ms,"
                    " s.enabled FROM source s JOIN department d ON d.id = s.department"
                    " ORDER BY s.id"};
static const struct gp_stmt stmt_set = {
    "source_set",
    "INSERT INTO source (id, kind, department, base_url, timeout_ms, enabled)"
    " VALUES ($1, $2, $3, $4, $5::integer, $6::boolean)"
    " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, department = EXCLUDED.department,"
    " base_url = EXCLUDED.base_url, timeout_ms = EXCLUDED.timeout_ms,"
    " enabled = EXCLUDED.enabled, updated_at = now()"};
static const struct gp_stmt stmt_enable = {
    "source_enable", "UPDATE source SET enabled = $2::boolean, updated_at = now() WHERE id = $1"};

struct load_call {
    struct gp_source *rows;
    size_t n;
};

static enum gp_qs run_load(struct gp_db_conn *c, void *cls)
{
    struct load_call *call = cls;
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_load, 0, NULL, &r);
    if (qs < 0)
        return qs;
    free(call->rows);
    call->n = (size_t)qs;
    call->rows = gp_xcalloc(call->n ? call->n : 1, sizeof *call->rows);
    for (size_t i = 0; i < call->n; i++) {
        struct gp_source *s = &call->rows[i];
        int row = (int)i;
        snprintf(s->id, sizeof s->id, "%s", PQgetvalue(r, row, 0));
        snprintf(s->kind, sizeof s->kind, "%s", PQgetvalue(r, row, 1));
        snprintf(s->department, sizeof s->department, "%s", PQgetvalue(r, row, 2));
        snprintf(s->area, sizeof s->area, "%s", PQgetvalue(r, row, 3));
        snprintf(s->base_url, sizeof s->base_url, "%s", PQgetvalue(r, row, 4));
        s->timeout_ms = atoi(PQgetvalue(r, row, 5));
        s->enabled = PQgetvalue(r, row, 6)[0] == 't';
    }
    PQclear(r);
    return qs;
}

enum gp_source_rc gp_sources_load(struct gp_db_pool *pool, struct gp_source **out, size_t *n)
{
    struct load_call call = {0};
    if (gp_db_with_conn(pool, "sources_load", run_load, &call) < 0) {
        free(call.rows);
        return GP_SOURCE_DB_ERROR;
    }
    *out = call.rows;
    *n = call.n;
    return GP_SOURCE_OK;
}

struct set_call {
    const struct gp_source *s;
    char sqlstate[6];
};

static enum gp_qs run_set(struct gp_db_conn *c, void *cls)
{
    struct set_call *call = cls;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", call->s->timeout_ms);
    const char *p[6] = {call->s->id,       call->s->kind, call->s->department,
                        call->s->base_url, timeout,       call->s->enabled ? "true" : "false"};
    enum gp_qs qs = gp_db_exec(c, &stmt_set, 6, p, NULL);
    snprintf(call->sqlstate, sizeof call->sqlstate, "%s", gp_db_sqlstate(c));
    return qs;
}

enum gp_source_rc gp_source_set(struct gp_db_pool *pool, const struct gp_source *s, char *err,
                                size_t errlen)
{
    struct set_call call = {.s = s};
    enum gp_qs qs = gp_db_tx(pool, "source_set", GP_DB_READ_COMMITTED, run_set, &call);
    if (qs >= 0)
        return GP_SOURCE_OK;
    if (!strcmp(call.sqlstate, "23503")) {
        snprintf(err, errlen, "unknown department '%s'", s->department);
        return GP_SOURCE_INVALID;
    }
    if (!strcmp(call.sqlstate, "23514")) {
        snprintf(err, errlen,
                 "invalid source: id must be lowercase letters, digits, '-' or '_' "
                 "and the timeout positive");
        return GP_SOURCE_INVALID;
    }
    snprintf(err, errlen, "database error");
    return GP_SOURCE_DB_ERROR;
}

struct enable_call {
    const char *id;
    bool enabled;
};

static enum gp_qs run_enable(struct gp_db_conn *c, void *cls)
{
    struct enable_call *call = cls;
    const char *p[2] = {call->id, call->enabled ? "true" : "false"};
    return gp_db_exec(c, &stmt_enable, 2, p, NULL);
}

enum gp_source_rc gp_source_set_enabled(struct gp_db_pool *pool, const char *id, bool enabled)
{
    struct enable_call call = {id, enabled};
    enum gp_qs qs = gp_db_tx(pool, "source_enable", GP_DB_READ_COMMITTED, run_enable, &call);
    if (qs < 0)
        return GP_SOURCE_DB_ERROR;
    return qs == 0 ? GP_SOURCE_NOT_FOUND : GP_SOURCE_OK;
}
