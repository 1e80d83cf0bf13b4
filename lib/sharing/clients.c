/* API clients: lib/sharing/clients.h. */
#include "lib/sharing/clients.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"
#include "lib/core/purpose.h"
#include "lib/sharing/audit.h"

#include <fnmatch.h>
#include <jansson.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define CLIENT_COLUMNS \
    "id, role::text, name, coalesce(department, ''), coalesce(default_purpose, '')," \
    " coalesce(cpr, ''), coalesce(created_by, 0), coalesce(approved_by, 0)," \
    " " ISO_UTC("created_at") ", coalesce(" ISO_UTC("approved_at") ", '')," \
    " " ISO_UTC("expires_at") ", coalesce(" ISO_UTC("revoked_at") ", '')," \
    " expires_at <= now()," \
    " kind, coalesce(subject, ''), coalesce(client_app, '')," \
    " coalesce(array_to_string(scopes, ', '), ''), coalesce(" ISO_UTC("last_used_at") ", '')," \
    " coalesce(last_used_at < now() - interval '1 minute', true)"

/* A client made on the command line ($7 = 0) works at once; one made by an admin waits for a
 * second admin (approved_at NULL). */
static const struct gp_stmt stmt_insert = {
    "client_insert",
    "INSERT INTO api_client (token_hash, role, name, department, default_purpose, cpr,"
    "  created_by, approved_at, expires_at, scopes)"
    " VALUES ($1::bytea, $2::client_role, $3, nullif($4, ''), nullif($5, ''), nullif($6, ''),"
    "  nullif($7::bigint, 0), CASE WHEN $7::bigint = 0 THEN now() END,"
    "  now() + make_interval(days => $8::integer),"
    "  (SELECT nullif(array_agg(x ORDER BY n), '{}') FROM jsonb_array_elements_text($9::jsonb)"
    "   WITH ORDINALITY t(x, n)))"
    " RETURNING " CLIENT_COLUMNS};
/* Every request pays for this one statement: the client (revoked, expired or pending ones too,
 * to say which) and the purposes its role may claim on the route. */
static const struct gp_stmt stmt_by_token = {
    "client_by_token",
    "SELECT " CLIENT_COLUMNS ", revoked_at IS NOT NULL, approved_at IS NULL,"
    " coalesce((SELECT string_agg(p.purpose, ',') FROM role_purpose p"
    "   WHERE p.role = c.role AND p.route = $2), '')"
    " FROM api_client c WHERE token_hash = $1::bytea AND kind = 'key'"};
static const struct gp_stmt stmt_touch = {
    "client_touch", "UPDATE api_client SET last_used_at = now() WHERE id = $1::bigint"};
static const struct gp_stmt stmt_by_id = {
    "client_by_id", "SELECT " CLIENT_COLUMNS " FROM api_client WHERE id = $1::bigint"};
static const struct gp_stmt stmt_for_update = {
    "client_for_update",
    "SELECT " CLIENT_COLUMNS " FROM api_client WHERE id = $1::bigint FOR UPDATE"};
static const struct gp_stmt stmt_approve = {
    "client_approve",
    "UPDATE api_client SET approved_by = $2::bigint, approved_at = now()"
    " WHERE id = $1::bigint RETURNING " CLIENT_COLUMNS};
static const struct gp_stmt stmt_revoke = {
    "client_revoke",
    "UPDATE api_client SET revoked_at = now() WHERE id = $1::bigint RETURNING " CLIENT_COLUMNS};
static const struct gp_stmt stmt_list = {
    "client_list", "SELECT " CLIENT_COLUMNS " FROM api_client ORDER BY id"};
static const struct gp_stmt stmt_department = {
    "department_exists", "SELECT 1 FROM department WHERE id = $1"};
/* clang-format on */

const char *gp_client_status(const struct gp_client *c)
{
    if (c->revoked_at[0])
        return "revoked";
    if (c->expired)
        return "expired";
    if (!c->approved_at[0])
        return "pending";
    return "active";
}

void gp_token_generate(char token[GP_TOKEN_LEN + 1])
{
    static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33] = {0}; /* 32 random bytes, padded to a multiple of 3 */
    if (RAND_bytes(raw, 32) != 1) {
        GP_LOG_BUG("RAND_bytes failed");
        abort(); /* never hand out a predictable token */
    }
    memcpy(token, "gpt_", 4);
    size_t o = 4;
    for (size_t i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        token[o++] = b64url[(v >> 18) & 63];
        token[o++] = b64url[(v >> 12) & 63];
        token[o++] = b64url[(v >> 6) & 63];
        token[o++] = b64url[v & 63];
    }
    /* 32 bytes are 43 base64 characters; the 44th only encodes padding. */
    token[GP_TOKEN_LEN] = '\0';
}

void gp_token_hash_bytea(const char *token, char out[67])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
    out[0] = '\\';
    out[1] = 'x';
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 + 2 * i, 3, "%02x", md[i]);
}

static void row_to_client(const PGresult *r, int row, struct gp_client *c)
{
    memset(c, 0, sizeof *c);
    c->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    c->role = gp_role_parse(PQgetvalue(r, row, 1));
    snprintf(c->name, sizeof c->name, "%s", PQgetvalue(r, row, 2));
    snprintf(c->department, sizeof c->department, "%s", PQgetvalue(r, row, 3));
    snprintf(c->default_purpose, sizeof c->default_purpose, "%s", PQgetvalue(r, row, 4));
    snprintf(c->cpr, sizeof c->cpr, "%s", PQgetvalue(r, row, 5));
    c->created_by = strtoll(PQgetvalue(r, row, 6), NULL, 10);
    c->approved_by = strtoll(PQgetvalue(r, row, 7), NULL, 10);
    snprintf(c->created_at, sizeof c->created_at, "%s", PQgetvalue(r, row, 8));
    snprintf(c->approved_at, sizeof c->approved_at, "%s", PQgetvalue(r, row, 9));
    snprintf(c->expires_at, sizeof c->expires_at, "%s", PQgetvalue(r, row, 10));
    snprintf(c->revoked_at, sizeof c->revoked_at, "%s", PQgetvalue(r, row, 11));
    c->expired = PQgetvalue(r, row, 12)[0] == 't';
    c->person = !strcmp(PQgetvalue(r, row, 13), "person");
    snprintf(c->subject, sizeof c->subject, "%s", PQgetvalue(r, row, 14));
    snprintf(c->client_app, sizeof c->client_app, "%s", PQgetvalue(r, row, 15));
    snprintf(c->scopes, sizeof c->scopes, "%s", PQgetvalue(r, row, 16));
    snprintf(c->last_used_at, sizeof c->last_used_at, "%s", PQgetvalue(r, row, 17));
    c->use_stale = PQgetvalue(r, row, 18)[0] == 't';
}

unsigned gp_client_purpose_bits(const char *list)
{
    unsigned bits = 0;
    char code[64];
    while (list && *list) {
        size_t n = strcspn(list, ",");
        snprintf(code, sizeof code, "%.*s", (int)(n < sizeof code ? n : sizeof code - 1), list);
        int i = gp_purpose_index(code);
        if (i >= 0)
            bits |= 1u << i;
        list += n + (list[n] == ',');
    }
    return bits;
}

/* The audit row of a change to client c by actor: action "client", the citizen's CPR for a
 * citizen's client (so it shows in their access log), details {op, client_id, role, name,
 * department, expires_at, ...extra (taken)}. */
static enum gp_qs audit_client(struct gp_db_conn *conn, const struct gp_audit_entry *actor,
                               const char *op, const struct gp_client *c, json_t *extra)
{
    struct gp_audit_entry *e = gp_xmalloc(sizeof *e);
    *e = *actor;
    snprintf(e->action, sizeof e->action, "client");
    snprintf(e->cpr, sizeof e->cpr, "%s", c->cpr);
    json_t *d = json_pack("{s:s, s:I, s:s, s:s}", "op", op, "client_id", (json_int_t)c->id, "role",
                          gp_role_name(c->role), "name", c->name);
    json_object_set_new(d, "department",
                        c->department[0] ? json_string(c->department) : json_null());
    json_object_set_new(d, "expires_at", json_string(c->expires_at));
    if (extra)
        json_object_update(d, extra);
    json_decref(extra);
    char *text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(d);
    snprintf(e->details, sizeof e->details, "%s",
             text && strlen(text) < sizeof e->details ? text : "{\"truncated\":true}");
    free(text);
    enum gp_qs qs = gp_audit_append(conn, e, NULL);
    free(e);
    return qs;
}

static enum gp_client_rc rc_of(enum gp_qs qs, const char *sqlstate)
{
    if (qs == GP_QS_HARD_ERROR && !strcmp(sqlstate, "23503"))
        return GP_CLIENT_UNKNOWN_DEPARTMENT;
    if (qs == GP_QS_HARD_ERROR && (!strncmp(sqlstate, "23", 2) || !strncmp(sqlstate, "22", 2)))
        return GP_CLIENT_INVALID;
    if (qs < 0)
        return GP_CLIENT_DB_ERROR;
    return qs == GP_QS_NO_RESULTS ? GP_CLIENT_NOT_FOUND : GP_CLIENT_OK;
}

/* Runs stmt and copies its one row, if any, into out. */
static enum gp_qs exec_one(struct gp_db_conn *conn, const struct gp_stmt *stmt, int nparams,
                           const char *const *params, struct gp_client *out, char sqlstate[6])
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, stmt, nparams, params, &r);
    snprintf(sqlstate, 6, "%s", gp_db_sqlstate(conn));
    if (qs == GP_QS_ONE_RESULT && out)
        row_to_client(r, 0, out);
    PQclear(r);
    return qs;
}

/* ---- creation ---- */

struct create_call {
    const struct gp_client_new *in;
    const struct gp_audit_entry *actor;
    const char *hash;
    struct gp_client *out;
    char sqlstate[6];
};

static enum gp_qs run_create(struct gp_db_conn *conn, void *cls)
{
    struct create_call *call = cls;
    const struct gp_client_new *in = call->in;
    char by[24], days[16];
    snprintf(by, sizeof by, "%lld", (long long)in->created_by);
    snprintf(days, sizeof days, "%d", in->expires_days);
    json_t *a = json_array();
    for (size_t i = 0; i < in->n_scopes; i++)
        json_array_append_new(a, json_string(in->scopes[i]));
    char *scopes_json = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    const char *p[9] = {call->hash,
                        gp_role_name(in->role),
                        in->name,
                        in->department ? in->department : "",
                        in->default_purpose ? in->default_purpose : "",
                        in->cpr ? in->cpr : "",
                        by,
                        days,
                        scopes_json ? scopes_json : "[]"};
    enum gp_qs qs = exec_one(conn, &stmt_insert, 9, p, call->out, call->sqlstate);
    free(scopes_json);
    if (qs != GP_QS_ONE_RESULT)
        return qs < 0 ? qs : GP_QS_HARD_ERROR;
    return audit_client(conn, call->actor, "create", call->out,
                        json_pack("{s:b}", "approved", call->out->approved_at[0] != '\0'));
}

enum gp_client_rc gp_client_create(struct gp_db_pool *pool, const struct gp_client_new *in,
                                   const struct gp_audit_entry *actor, struct gp_client *out,
                                   char token[GP_TOKEN_LEN + 1])
{
    char hash[67];
    gp_token_generate(token);
    gp_token_hash_bytea(token, hash);
    struct create_call call = {.in = in, .actor = actor, .hash = hash, .out = out};
    enum gp_qs qs = gp_db_tx(pool, "client_create", GP_DB_READ_COMMITTED, run_create, &call);
    return rc_of(qs, call.sqlstate);
}

/* ---- authentication ---- */

struct auth_call {
    const char *hash, *route;
    struct gp_client *out;
    bool revoked, pending;
};

static enum gp_qs run_auth(struct gp_db_conn *conn, void *cls)
{
    struct auth_call *call = cls;
    const char *p[2] = {call->hash, call->route ? call->route : ""};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, &stmt_by_token, 2, p, &r);
    if (qs == GP_QS_ONE_RESULT) {
        row_to_client(r, 0, call->out);
        call->revoked = PQgetvalue(r, 0, 19)[0] == 't';
        call->pending = PQgetvalue(r, 0, 20)[0] == 't';
        call->out->purposes = gp_client_purpose_bits(PQgetvalue(r, 0, 21));
    }
    PQclear(r);
    return qs;
}

enum gp_client_rc gp_client_authenticate(struct gp_db_pool *pool, const char *token,
                                         const char *route, struct gp_client *out)
{
    char hash[67];
    gp_token_hash_bytea(token, hash);
    struct auth_call call = {.hash = hash, .route = route, .out = out};
    /* Every request pays for this: one statement, no transaction around it. */
    enum gp_qs qs = gp_db_with_conn(pool, "client_authenticate", run_auth, &call);
    if (qs < 0)
        return GP_CLIENT_DB_ERROR;
    if (qs == GP_QS_NO_RESULTS || call.revoked)
        return GP_CLIENT_NOT_FOUND;
    if (out->expired)
        return GP_CLIENT_EXPIRED;
    return call.pending ? GP_CLIENT_PENDING : GP_CLIENT_OK;
}

/* ---- scopes and last use (keys) ---- */

bool gp_client_scope_valid(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len < 3 || len > GP_CLIENT_SCOPE_MAX || strchr(s, ','))
        return false;
    size_t m = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ*");
    return m > 0 && s[m] == ' ' && s[m + 1] == '/';
}

bool gp_client_scope_allows(const struct gp_client *c, const char *method, const char *pattern)
{
    if (!c->scopes[0])
        return true;
    char route[256];
    snprintf(route, sizeof route, "%s %s", method, pattern);
    const char *p = c->scopes;
    while (*p) {
        size_t n = strcspn(p, ",");
        char scope[GP_CLIENT_SCOPE_MAX + 1];
        if (n <= GP_CLIENT_SCOPE_MAX) {
            memcpy(scope, p, n);
            scope[n] = '\0';
            if (fnmatch(scope, route, 0) == 0)
                return true;
        }
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    return false;
}

static enum gp_qs run_touch(struct gp_db_conn *conn, void *cls)
{
    const char *p[1] = {cls};
    return gp_db_exec(conn, &stmt_touch, 1, p, NULL);
}

enum gp_client_rc gp_client_touch(struct gp_db_pool *pool, int64_t id)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    enum gp_qs qs = gp_db_with_conn(pool, "client_touch", run_touch, idtext);
    return qs < 0 ? GP_CLIENT_DB_ERROR : GP_CLIENT_OK;
}

/* ---- one client by id ---- */

struct get_call {
    const char *id;
    struct gp_client *out;
    char sqlstate[6];
};

static enum gp_qs run_get(struct gp_db_conn *conn, void *cls)
{
    struct get_call *call = cls;
    const char *p[1] = {call->id};
    return exec_one(conn, &stmt_by_id, 1, p, call->out, call->sqlstate);
}

enum gp_client_rc gp_client_get(struct gp_db_pool *pool, int64_t id, struct gp_client *out)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    struct get_call call = {.id = idtext, .out = out};
    enum gp_qs qs = gp_db_tx(pool, "client_get", GP_DB_READ_COMMITTED, run_get, &call);
    return rc_of(qs, call.sqlstate);
}

/* ---- approval and revocation ---- */

struct change_call {
    const char *id;
    bool approve; /* else revoke */
    const struct gp_audit_entry *actor;
    struct gp_client *out;
    enum gp_client_rc rc;
    char sqlstate[6];
};

/* Locks the client, decides, changes it when there is something to change, and audits the
 * attempt (an id that names no client changes and audits nothing). */
static enum gp_qs run_change(struct gp_db_conn *conn, void *cls)
{
    struct change_call *call = cls;
    const char *p[2] = {call->id, ""};
    call->rc = GP_CLIENT_OK;
    enum gp_qs qs = exec_one(conn, &stmt_for_update, 1, p, call->out, call->sqlstate);
    if (qs != GP_QS_ONE_RESULT) {
        call->rc = qs == GP_QS_NO_RESULTS ? GP_CLIENT_NOT_FOUND : GP_CLIENT_DB_ERROR;
        return qs;
    }
    bool change;
    const char *op;
    if (call->approve) {
        op = "approve";
        if (call->out->revoked_at[0])
            call->rc = GP_CLIENT_REVOKED;
        else if (call->out->created_by && call->out->created_by == call->actor->client_id)
            call->rc = GP_CLIENT_SAME_ADMIN;
        change = call->rc == GP_CLIENT_OK && !call->out->approved_at[0];
    } else {
        op = "revoke";
        change = !call->out->revoked_at[0];
    }
    if (change) {
        char approver[24];
        snprintf(approver, sizeof approver, "%lld", (long long)call->actor->client_id);
        p[1] = approver;
        qs = exec_one(conn, call->approve ? &stmt_approve : &stmt_revoke, call->approve ? 2 : 1, p,
                      call->out, call->sqlstate);
        if (qs != GP_QS_ONE_RESULT)
            return qs < 0 ? qs : GP_QS_HARD_ERROR;
    }
    json_t *extra = json_pack("{s:b}", "changed", change);
    if (call->rc != GP_CLIENT_OK)
        json_object_set_new(extra, "refused", json_true());
    return audit_client(conn, call->actor, op, call->out, extra);
}

static enum gp_client_rc change(struct gp_db_pool *pool, int64_t id, bool approve,
                                const struct gp_audit_entry *actor, struct gp_client *out)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    struct change_call call = {.id = idtext, .approve = approve, .actor = actor, .out = out};
    enum gp_qs qs = gp_db_tx(pool, approve ? "client_approve" : "client_revoke",
                             GP_DB_READ_COMMITTED, run_change, &call);
    if (call.rc == GP_CLIENT_NOT_FOUND && qs == GP_QS_NO_RESULTS)
        return GP_CLIENT_NOT_FOUND;
    if (qs < 0)
        return rc_of(qs, call.sqlstate);
    return call.rc;
}

enum gp_client_rc gp_client_approve(struct gp_db_pool *pool, int64_t id,
                                    const struct gp_audit_entry *actor, struct gp_client *out)
{
    return change(pool, id, true, actor, out);
}

enum gp_client_rc gp_client_revoke(struct gp_db_pool *pool, int64_t id,
                                   const struct gp_audit_entry *actor, struct gp_client *out)
{
    return change(pool, id, false, actor, out);
}

/* ---- lists ---- */

struct list_call {
    struct gp_client *rows;
    size_t n;
};

static enum gp_qs run_list(struct gp_db_conn *conn, void *cls)
{
    struct list_call *call = cls;
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, &stmt_list, 0, NULL, &r);
    if (qs < 0)
        return qs;
    free(call->rows); /* a retried transaction starts over */
    call->n = (size_t)qs;
    call->rows = gp_xcalloc(call->n ? call->n : 1, sizeof *call->rows);
    for (size_t i = 0; i < call->n; i++)
        row_to_client(r, (int)i, &call->rows[i]);
    PQclear(r);
    return qs;
}

enum gp_client_rc gp_client_list(struct gp_db_pool *pool, struct gp_client **out, size_t *n)
{
    struct list_call call = {0};
    if (gp_db_tx(pool, "client_list", GP_DB_READ_COMMITTED, run_list, &call) < 0) {
        free(call.rows);
        return GP_CLIENT_DB_ERROR;
    }
    *out = call.rows;
    *n = call.n;
    return GP_CLIENT_OK;
}

struct dept_call {
    const char *id;
    bool exists;
};

static enum gp_qs run_dept(struct gp_db_conn *conn, void *cls)
{
    struct dept_call *call = cls;
    const char *p[1] = {call->id};
    enum gp_qs qs = gp_db_exec(conn, &stmt_department, 1, p, NULL);
    call->exists = qs == GP_QS_ONE_RESULT;
    return qs;
}

enum gp_client_rc gp_department_exists(struct gp_db_pool *pool, const char *id, bool *exists)
{
    struct dept_call call = {.id = id};
    if (gp_db_tx(pool, "department_exists", GP_DB_READ_COMMITTED, run_dept, &call) < 0)
        return GP_CLIENT_DB_ERROR;
    *exists = call.exists;
    return GP_CLIENT_OK;
}
