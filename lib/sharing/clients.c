#include "lib/sharing/clients.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <fnmatch.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define CLIENT_COLUMNS                                                                             \
    "id, role::text, name, coalesce(department, ''), coalesce(default_purpose, ''),"               \
    " " ISO_UTC("created_at") ", coalesce(" ISO_UTC(                                               \
        "revoked_at") ", ''),"                                                                     \
                      " coalesce(cpr, ''), kind, coalesce(subject, ''), coalesce(client_app, '')," \
                      " coalesce(array_to_string(scopes, ', '), ''), coalesce(" ISO_UTC(           \
                          "expires_at") ", ''),"                                                   \
                                        " coalesce(" ISO_UTC(                                      \
                                            "last_used_at") ", ''), coalesce(expires_at <= "       \
                                                            "now(), false),"                       \
                                                            " coalesce(last_used_at < now() - "    \
                                                            "interval '1 minute', true)"

static const struct gp_stmt stmt_insert = {
    "client_insert",
    "INSERT INTO api_client (token_hash, role, name, department, default_purpose, scopes,"
    " expires_at)"
    " VALUES ($1::bytea, $2::client_role, $3, nullif($4, ''), nullif($5, ''),"
    " (SELECT nullif(array_agg(x ORDER BY n), '{}') FROM jsonb_array_elements_text($6::jsonb)"
    "  WITH ORDINALITY t(x, n)),"
    " now() + nullif($7::integer, 0) * interval '1 day')"
    " RETURNING " CLIENT_COLUMNS};
static const struct gp_stmt stmt_by_token = {
    "client_by_token",
    "SELECT " CLIENT_COLUMNS " FROM api_client WHERE token_hash = $1::bytea AND revoked_at IS NULL"
    " AND kind = 'key'"};
static const struct gp_stmt stmt_touch = {
    "client_touch", "UPDATE api_client SET last_used_at = now() WHERE id = $1::bigint"};
static const struct gp_stmt stmt_by_id = {"client_by_id", "SELECT " CLIENT_COLUMNS
                                                          " FROM api_client WHERE id = $1::bigint"};
static const struct gp_stmt stmt_revoke = {
    "client_revoke", "UPDATE api_client SET revoked_at = coalesce(revoked_at, now())"
                     " WHERE id = $1::bigint RETURNING " CLIENT_COLUMNS};
static const struct gp_stmt stmt_list = {"client_list",
                                         "SELECT " CLIENT_COLUMNS " FROM api_client ORDER BY id"};
static const struct gp_stmt stmt_department = {"department_exists",
                                               "SELECT 1 FROM department WHERE id = $1"};

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
    snprintf(c->created_at, sizeof c->created_at, "%s", PQgetvalue(r, row, 5));
    snprintf(c->revoked_at, sizeof c->revoked_at, "%s", PQgetvalue(r, row, 6));
    snprintf(c->cpr, sizeof c->cpr, "%s", PQgetvalue(r, row, 7));
    c->person = !strcmp(PQgetvalue(r, row, 8), "person");
    snprintf(c->subject, sizeof c->subject, "%s", PQgetvalue(r, row, 9));
    snprintf(c->client_app, sizeof c->client_app, "%s", PQgetvalue(r, row, 10));
    snprintf(c->scopes, sizeof c->scopes, "%s", PQgetvalue(r, row, 11));
    snprintf(c->expires_at, sizeof c->expires_at, "%s", PQgetvalue(r, row, 12));
    snprintf(c->last_used_at, sizeof c->last_used_at, "%s", PQgetvalue(r, row, 13));
    c->expired = PQgetvalue(r, row, 14)[0] == 't';
    c->use_stale = PQgetvalue(r, row, 15)[0] == 't';
}

/* One-statement calls share this: run stmt with params, copy one row into out. */
struct one_call {
    const struct gp_stmt *stmt;
    int nparams;
    const char *const *params;
    struct gp_client *out;
    char sqlstate[6];
};

static enum gp_qs run_one(struct gp_db_conn *conn, void *cls)
{
    struct one_call *call = cls;
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, call->stmt, call->nparams, call->params, &r);
    snprintf(call->sqlstate, sizeof call->sqlstate, "%s", gp_db_sqlstate(conn));
    if (qs == GP_QS_ONE_RESULT && call->out)
        row_to_client(r, 0, call->out);
    PQclear(r);
    return qs;
}

static enum gp_client_rc one(struct gp_db_pool *pool, const char *name, struct one_call *call)
{
    enum gp_qs qs = gp_db_tx(pool, name, GP_DB_READ_COMMITTED, run_one, call);
    if (qs == GP_QS_HARD_ERROR && !strcmp(call->sqlstate, "23503"))
        return GP_CLIENT_UNKNOWN_DEPARTMENT;
    if (qs < 0)
        return GP_CLIENT_DB_ERROR;
    return qs == GP_QS_NO_RESULTS ? GP_CLIENT_NOT_FOUND : GP_CLIENT_OK;
}

enum gp_client_rc gp_client_create(struct gp_db_pool *pool, enum gp_role role, const char *name,
                                   const char *department, const char *default_purpose,
                                   struct gp_client *out, char token[GP_TOKEN_LEN + 1])
{
    return gp_client_create_key(pool, role, name, department, default_purpose, NULL, 0, 0, out,
                                token);
}

enum gp_client_rc gp_client_create_key(struct gp_db_pool *pool, enum gp_role role, const char *name,
                                       const char *department, const char *default_purpose,
                                       const char *const *scopes, size_t n, int expires_days,
                                       struct gp_client *out, char token[GP_TOKEN_LEN + 1])
{
    char hash[67];
    gp_token_generate(token);
    gp_token_hash_bytea(token, hash);
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(scopes[i]));
    char *scopes_json = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    char days[16];
    snprintf(days, sizeof days, "%d", expires_days > 0 ? expires_days : 0);
    const char *p[7] = {hash,
                        gp_role_name(role),
                        name,
                        department ? department : "",
                        default_purpose ? default_purpose : "",
                        scopes_json ? scopes_json : "[]",
                        days};
    struct one_call call = {.stmt = &stmt_insert, .nparams = 7, .params = p, .out = out};
    enum gp_client_rc rc = one(pool, "client_create", &call);
    free(scopes_json);
    return rc;
}

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

enum gp_client_rc gp_client_touch(struct gp_db_pool *pool, int64_t id)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    const char *p[1] = {idtext};
    struct one_call call = {.stmt = &stmt_touch, .nparams = 1, .params = p};
    enum gp_qs qs = gp_db_with_conn(pool, "client_touch", run_one, &call);
    return qs < 0 ? GP_CLIENT_DB_ERROR : GP_CLIENT_OK;
}

enum gp_client_rc gp_client_authenticate(struct gp_db_pool *pool, const char *token,
                                         struct gp_client *out)
{
    char hash[67];
    gp_token_hash_bytea(token, hash);
    const char *p[1] = {hash};
    struct one_call call = {.stmt = &stmt_by_token, .nparams = 1, .params = p, .out = out};
    /* Every request pays for this: one statement, no transaction around it. */
    enum gp_qs qs = gp_db_with_conn(pool, "client_authenticate", run_one, &call);
    if (qs < 0)
        return GP_CLIENT_DB_ERROR;
    if (qs == GP_QS_NO_RESULTS)
        return GP_CLIENT_NOT_FOUND;
    return out->expired ? GP_CLIENT_EXPIRED : GP_CLIENT_OK;
}

enum gp_client_rc gp_client_get(struct gp_db_pool *pool, int64_t id, struct gp_client *out)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    const char *p[1] = {idtext};
    struct one_call call = {.stmt = &stmt_by_id, .nparams = 1, .params = p, .out = out};
    return one(pool, "client_get", &call);
}

enum gp_client_rc gp_client_revoke(struct gp_db_pool *pool, int64_t id, struct gp_client *out)
{
    char idtext[24];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    const char *p[1] = {idtext};
    struct one_call call = {.stmt = &stmt_revoke, .nparams = 1, .params = p, .out = out};
    return one(pool, "client_revoke", &call);
}

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
