#include "lib/sharing/identity.h"
#include "lib/db/stmt.h"

#include "lib/core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns both statements return, in this order; route is the parameter naming the route
 * whose purposes the person's role may claim (role_purpose, migration 0016). */
/* clang-format off */
#define PERSON_COLUMNS(route) \
    "id, role::text, name, coalesce(department, ''), coalesce(default_purpose, '')," \
    " coalesce(cpr, ''), coalesce(client_app, ''), revoked_at IS NOT NULL," \
    " coalesce(last_used_at < now() - interval '1 minute', true)," \
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
    " coalesce((SELECT string_agg(p.purpose, ',') FROM role_purpose p" \
    "   WHERE p.role = api_client.role AND p.route = " route "), '')," \
    " to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
/* clang-format on */

static const struct gp_stmt stmt_get = {
    "person_get",
    "SELECT " PERSON_COLUMNS("$3") " FROM api_client"
                                   " WHERE kind = 'person' AND issuer = $1 AND subject = $2"};

static const struct gp_stmt stmt_put = {
    "person_put",
    "INSERT INTO api_client (kind, issuer, subject, role, name, department, default_purpose, cpr,"
    " client_app, expires_at, last_used_at)"
    " VALUES ('person', $1, $2, $3::client_role, $4, nullif($5, ''), nullif($6, ''),"
    " nullif($7, ''), nullif($8, ''), to_timestamp($9::double precision), now())"
    " ON CONFLICT (issuer, subject) WHERE kind = 'person' DO UPDATE SET role = excluded.role,"
    " name = excluded.name, department = excluded.department,"
    " default_purpose = excluded.default_purpose, cpr = excluded.cpr,"
    " client_app = excluded.client_app, expires_at = excluded.expires_at, last_used_at = now()"
    " RETURNING " PERSON_COLUMNS("$10")};

struct person_call {
    const char *issuer, *route;
    const struct gp_person *p;
    time_t expires;
    struct gp_client *out;
    bool revoked;
    char sqlstate[6];
};

/* Whether row 0 of r says what p says and was used within the minute. */
static bool row_current(const PGresult *r, const struct gp_person *p)
{
    return !strcmp(PQgetvalue(r, 0, 1), gp_role_name(p->role)) &&
           !strcmp(PQgetvalue(r, 0, 2), p->name) && !strcmp(PQgetvalue(r, 0, 3), p->department) &&
           !strcmp(PQgetvalue(r, 0, 4), p->default_purpose) &&
           !strcmp(PQgetvalue(r, 0, 5), p->cpr) && !strcmp(PQgetvalue(r, 0, 6), p->client_app) &&
           PQgetvalue(r, 0, 8)[0] == 'f';
}

static void row_to_client(const PGresult *r, const struct gp_person *p, struct gp_client *c,
                          bool *revoked)
{
    memset(c, 0, sizeof *c);
    c->id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    c->role = gp_role_parse(PQgetvalue(r, 0, 1));
    snprintf(c->name, sizeof c->name, "%s", PQgetvalue(r, 0, 2));
    snprintf(c->department, sizeof c->department, "%s", PQgetvalue(r, 0, 3));
    snprintf(c->default_purpose, sizeof c->default_purpose, "%s", PQgetvalue(r, 0, 4));
    snprintf(c->cpr, sizeof c->cpr, "%s", PQgetvalue(r, 0, 5));
    snprintf(c->client_app, sizeof c->client_app, "%s", PQgetvalue(r, 0, 6));
    *revoked = PQgetvalue(r, 0, 7)[0] == 't';
    snprintf(c->created_at, sizeof c->created_at, "%s", PQgetvalue(r, 0, 9));
    c->purposes = gp_client_purpose_bits(PQgetvalue(r, 0, 10));
    snprintf(c->expires_at, sizeof c->expires_at, "%s", PQgetvalue(r, 0, 11));
    /* Written by the server from a verified token: no approval (migration 0018). */
    snprintf(c->approved_at, sizeof c->approved_at, "%s", c->created_at);
    snprintf(c->subject, sizeof c->subject, "%s", p->subject);
    c->person = true;
}

static enum gp_qs run_person(struct gp_db_conn *conn, void *cls)
{
    struct person_call *call = cls;
    const struct gp_person *p = call->p;
    const char *key[3] = {call->issuer, p->subject, call->route};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, &stmt_get, 3, key, &r);
    if (qs < 0)
        return qs;
    /* A revoked person stays revoked: their row is not rewritten, whatever the token says. */
    if (qs == GP_QS_ONE_RESULT && (row_current(r, p) || PQgetvalue(r, 0, 7)[0] == 't')) {
        row_to_client(r, p, call->out, &call->revoked);
        PQclear(r);
        return qs;
    }
    PQclear(r);
    r = NULL;
    char exp[32];
    snprintf(exp, sizeof exp, "%lld", (long long)call->expires);
    const char *v[10] = {
        call->issuer,       p->subject, gp_role_name(p->role), p->name, p->department,
        p->default_purpose, p->cpr,     p->client_app,         exp,     call->route};
    qs = gp_db_exec(conn, &stmt_put, 10, v, &r);
    snprintf(call->sqlstate, sizeof call->sqlstate, "%s", gp_db_sqlstate(conn));
    if (qs == GP_QS_ONE_RESULT)
        row_to_client(r, p, call->out, &call->revoked);
    PQclear(r);
    return qs;
}

enum gp_identity_rc gp_identity_client(struct gp_db_pool *pool, const char *issuer,
                                       const struct gp_person *p, time_t expires, const char *route,
                                       struct gp_client *out)
{
    struct person_call call = {
        .issuer = issuer, .route = route ? route : "", .p = p, .expires = expires, .out = out};
    enum gp_qs qs = gp_db_with_conn(pool, "person_client", run_person, &call);
    if (qs == GP_QS_HARD_ERROR && !strcmp(call.sqlstate, "23503"))
        return GP_IDENTITY_UNKNOWN_DEPARTMENT;
    if (qs != GP_QS_ONE_RESULT)
        return GP_IDENTITY_DB_ERROR;
    return call.revoked ? GP_IDENTITY_REVOKED : GP_IDENTITY_OK;
}
