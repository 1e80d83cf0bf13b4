#include "lib/federation/sources.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gp_stmt stmt_load = {
    "sources_load",
    "SELECT s.id, s.kind, s.department, d.area, s.base_url, s.timeout_ms, s.enabled,"
    " s.options::text, s.auth_kind, coalesce(s.auth_secret, ''), coalesce(s.auth_username, ''),"
    " coalesce(s.auth_token_url, ''), coalesce(s.auth_scope, ''), coalesce(s.tls_cert_file, ''),"
    " coalesce(s.tls_key_file, ''), coalesce(s.tls_ca_file, '')"
    " FROM source s JOIN department d ON d.id = s.department ORDER BY s.id"};
static const struct gp_stmt stmt_set = {
    "source_set",
    "INSERT INTO source (id, kind, department, base_url, timeout_ms, enabled, options, auth_kind,"
    " auth_secret, auth_username, auth_token_url, auth_scope, tls_cert_file, tls_key_file,"
    " tls_ca_file)"
    " VALUES ($1, $2, $3, $4, $5::integer, $6::boolean, $7::jsonb, $8, nullif($9, ''),"
    " nullif($10, ''), nullif($11, ''), nullif($12, ''), nullif($13, ''), nullif($14, ''),"
    " nullif($15, ''))"
    " ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, department = EXCLUDED.department,"
    " base_url = EXCLUDED.base_url, timeout_ms = EXCLUDED.timeout_ms,"
    " enabled = EXCLUDED.enabled, options = EXCLUDED.options, auth_kind = EXCLUDED.auth_kind,"
    " auth_secret = EXCLUDED.auth_secret, auth_username = EXCLUDED.auth_username,"
    " auth_token_url = EXCLUDED.auth_token_url, auth_scope = EXCLUDED.auth_scope,"
    " tls_cert_file = EXCLUDED.tls_cert_file, tls_key_file = EXCLUDED.tls_key_file,"
    " tls_ca_file = EXCLUDED.tls_ca_file, updated_at = now()"};
static const struct gp_stmt stmt_enable = {
    "source_enable", "UPDATE source SET enabled = $2::boolean, updated_at = now() WHERE id = $1"};
#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
static const struct gp_stmt stmt_unmapped = {
    "source_unmapped",
    "SELECT u.source_code, u.legal_basis_raw, " ISO_UTC("u.first_seen") ", " ISO_UTC(
        "u.last_seen") ", s.id IS NOT NULL"
                       " FROM (SELECT $1::text AS id) q LEFT JOIN source s ON s.id = q.id"
                       " LEFT JOIN source_unmapped u ON u.source_id = s.id"
                       " ORDER BY u.last_seen DESC NULLS LAST, u.source_code, u.legal_basis_raw"};
static const struct gp_stmt stmt_unmapped_counts = {
    "source_unmapped_counts",
    "SELECT source_id, count(*) FROM source_unmapped GROUP BY source_id ORDER BY source_id"};

struct load_call {
    struct gp_source *rows;
    size_t n;
};

static void col(char *dst, size_t size, const PGresult *r, int row, int c)
{
    snprintf(dst, size, "%s", PQgetvalue(r, row, c));
}

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
        col(s->id, sizeof s->id, r, row, 0);
        col(s->kind, sizeof s->kind, r, row, 1);
        col(s->department, sizeof s->department, r, row, 2);
        col(s->area, sizeof s->area, r, row, 3);
        col(s->base_url, sizeof s->base_url, r, row, 4);
        s->timeout_ms = atoi(PQgetvalue(r, row, 5));
        s->enabled = PQgetvalue(r, row, 6)[0] == 't';
        col(s->options, sizeof s->options, r, row, 7);
        gp_auth_kind_parse(PQgetvalue(r, row, 8), &s->auth.kind);
        col(s->auth.secret, sizeof s->auth.secret, r, row, 9);
        col(s->auth.username, sizeof s->auth.username, r, row, 10);
        col(s->auth.token_url, sizeof s->auth.token_url, r, row, 11);
        col(s->auth.scope, sizeof s->auth.scope, r, row, 12);
        col(s->auth.cert_file, sizeof s->auth.cert_file, r, row, 13);
        col(s->auth.key_file, sizeof s->auth.key_file, r, row, 14);
        col(s->auth.ca_file, sizeof s->auth.ca_file, r, row, 15);
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
    const struct gp_source *s = call->s;
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", s->timeout_ms);
    const char *p[15] = {s->id,
                         s->kind,
                         s->department,
                         s->base_url,
                         timeout,
                         s->enabled ? "true" : "false",
                         s->options[0] ? s->options : "{}",
                         gp_auth_kind_name(s->auth.kind),
                         s->auth.secret,
                         s->auth.username,
                         s->auth.token_url,
                         s->auth.scope,
                         s->auth.cert_file,
                         s->auth.key_file,
                         s->auth.ca_file};
    enum gp_qs qs = gp_db_exec(c, &stmt_set, 15, p, NULL);
    snprintf(call->sqlstate, sizeof call->sqlstate, "%s", gp_db_sqlstate(c));
    return qs;
}

enum gp_source_rc gp_source_set(struct gp_db_pool *pool, const struct gp_source *s, char *err,
                                size_t errlen)
{
    if (gp_source_url_has_userinfo(s->base_url)) {
        snprintf(err, errlen,
                 "the URL carries user information; give credentials with --auth and a "
                 "--secret reference instead");
        return GP_SOURCE_INVALID;
    }
    if (!gp_source_auth_check(&s->auth, err, errlen))
        return GP_SOURCE_INVALID;
    struct set_call call = {.s = s};
    enum gp_qs qs = gp_db_tx(pool, "source_set", GP_DB_READ_COMMITTED, run_set, &call);
    if (qs >= 0)
        return GP_SOURCE_OK;
    if (!strcmp(call.sqlstate, "23503")) {
        snprintf(err, errlen, "unknown department '%s'", s->department);
        return GP_SOURCE_INVALID;
    }
    if (!strcmp(call.sqlstate, "23514") || !strcmp(call.sqlstate, "22P02")) {
        snprintf(err, errlen,
                 "invalid source: id must be lowercase letters, digits, '-' or '_', the "
                 "timeout positive, the options a JSON object and the credentials complete");
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

/* The authority of url (after "scheme://", up to the path), or NULL without a scheme. */
static const char *authority(const char *url, size_t *len)
{
    const char *p = url ? strstr(url, "://") : NULL;
    if (!p)
        return NULL;
    p += 3;
    *len = strcspn(p, "/?#");
    return p;
}

bool gp_source_url_has_userinfo(const char *url)
{
    size_t n;
    const char *a = authority(url, &n);
    return a && memchr(a, '@', n) != NULL;
}

void gp_source_url_shown(const char *url, char *out, size_t len)
{
    size_t n;
    const char *a = authority(url, &n);
    const char *at = a ? memchr(a, '@', n) : NULL;
    if (!at) {
        snprintf(out, len, "%s", url ? url : "");
        return;
    }
    /* The last '@' of the authority ends the user information. */
    for (const char *p = at; p < a + n; p++) {
        if (*p == '@')
            at = p;
    }
    snprintf(out, len, "%.*s***%s", (int)(a - url), url, at);
}

struct unmapped_call {
    const char *id;
    struct gp_unmapped *rows;
    size_t n;
    bool known;
};

static enum gp_qs run_unmapped(struct gp_db_conn *c, void *cls)
{
    struct unmapped_call *call = cls;
    PGresult *r = NULL;
    const char *p[1] = {call->id};
    enum gp_qs qs = gp_db_exec(c, &stmt_unmapped, 1, p, &r);
    if (qs < 0)
        return qs;
    free(call->rows);
    call->rows = gp_xcalloc((size_t)qs + 1, sizeof *call->rows);
    call->n = 0;
    call->known = qs > 0 && PQgetvalue(r, 0, 4)[0] == 't';
    for (int row = 0; row < (int)qs; row++) {
        if (PQgetisnull(r, row, 0))
            continue; /* the source, without unmapped codes */
        struct gp_unmapped *u = &call->rows[call->n++];
        col(u->source_code, sizeof u->source_code, r, row, 0);
        col(u->legal_basis_raw, sizeof u->legal_basis_raw, r, row, 1);
        col(u->first_seen, sizeof u->first_seen, r, row, 2);
        col(u->last_seen, sizeof u->last_seen, r, row, 3);
    }
    PQclear(r);
    return qs;
}

enum gp_source_rc gp_source_unmapped(struct gp_db_pool *pool, const char *id,
                                     struct gp_unmapped **out, size_t *n)
{
    struct unmapped_call call = {.id = id};
    if (gp_db_with_conn(pool, "source_unmapped", run_unmapped, &call) < 0) {
        free(call.rows);
        return GP_SOURCE_DB_ERROR;
    }
    if (!call.known) {
        free(call.rows);
        return GP_SOURCE_NOT_FOUND;
    }
    *out = call.rows;
    *n = call.n;
    return GP_SOURCE_OK;
}

struct counts_call {
    struct gp_buf *out;
};

static enum gp_qs run_counts(struct gp_db_conn *c, void *cls)
{
    struct counts_call *call = cls;
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_unmapped_counts, 0, NULL, &r);
    if (qs < 0)
        return qs;
    for (int row = 0; row < (int)qs; row++)
        gp_buf_printf(call->out, "glasplade_source_unmapped_codes{source=\"%s\"} %s\n",
                      PQgetvalue(r, row, 0), PQgetvalue(r, row, 1));
    PQclear(r);
    return qs;
}

bool gp_sources_unmapped_metrics(struct gp_db_pool *pool, struct gp_buf *out)
{
    gp_buf_puts(out, "# HELP glasplade_source_unmapped_codes Codes a source sent that map to no "
                     "case type (glasplade source unmapped ID lists them).\n"
                     "# TYPE glasplade_source_unmapped_codes gauge\n");
    struct counts_call call = {out};
    return gp_db_with_conn(pool, "source_unmapped_counts", run_counts, &call) >= 0;
}
