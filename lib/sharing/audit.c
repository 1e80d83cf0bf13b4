#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"
#include "lib/sharing/policy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL below is kept out of clang-format, which cannot lay out strings built with macros. */
/* clang-format off */
#define ISO_UTC_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* Arrays travel as JSON text both ways, so no value needs PostgreSQL array quoting. id, at and
 * txid are set by the insert trigger (audit_stamp, migration 0014). */
static const struct gp_stmt stmt_append = {
    "audit_append",
    "INSERT INTO audit_log (client_id, client_name, role, department, purpose, legal_basis,"
    "  cpr, action, route, sources_asked, sources_answered, visibility, override_used,"
    "  request_id, details, subject, client_app)"
    " VALUES (nullif($1::bigint, 0), $2, $3, nullif($4, ''), nullif($5, ''),"
    "  nullif($6, ''), nullif($7, ''), $8, $9,"
    "  ARRAY(SELECT x FROM jsonb_array_elements_text($10::jsonb) WITH ORDINALITY t(x, n)"
    "   ORDER BY n),"
    "  ARRAY(SELECT x FROM jsonb_array_elements_text($11::jsonb) WITH ORDINALITY t(x, n)"
    "   ORDER BY n),"
    "  nullif($12, ''), $13::boolean, nullif($14, ''), nullif($15, '')::jsonb,"
    "  nullif($16, ''), nullif($17, ''))"
    " RETURNING id"};

static const struct gp_stmt stmt_verify = {
    "audit_verify", "SELECT bad_id, problem FROM audit_verify()"};

static const struct gp_stmt stmt_head = {
    "audit_head", "SELECT last_id, encode(last_hash, 'hex') FROM audit_head WHERE one"};

#define AUDIT_COLUMNS \
    "id, " ISO_UTC_US("at") ", coalesce(client_id, 0), client_name, role," \
    " coalesce(department, ''), coalesce(purpose, ''), coalesce(legal_basis, '')," \
    " coalesce(cpr, ''), action, route, array_to_json(sources_asked)::text," \
    " array_to_json(sources_answered)::text, coalesce(visibility, ''), override_used," \
    " coalesce(request_id, ''), coalesce(details::text, ''), coalesce(subject, '')," \
    " coalesce(client_app, '')"

static const struct gp_stmt stmt_search = {
    "audit_search",
    "SELECT " AUDIT_COLUMNS " FROM audit_log"
    " WHERE ($1 = '' OR cpr = $1) AND ($2::bigint = 0 OR client_id = $2::bigint)"
    " AND ($3 = '' OR action = $3)"
    " AND at >= coalesce(nullif($4, '')::timestamptz, '-infinity')"
    " AND at < coalesce(nullif($5, '')::timestamptz, 'infinity')"
    " AND id < coalesce(nullif($6::bigint, 0), 9223372036854775807)"
    " AND (NOT $8::boolean OR details @> '{\"recorder_benefits\": true}')"
    " ORDER BY id DESC LIMIT $7::integer"};

/* Only rows about the citizen: the WHERE is the whole of the privacy guarantee. A search's row
 * is about every citizen it returned; what is read of it here (who, when, why) names no one
 * else. */
static const struct gp_stmt stmt_access_log = {
    "audit_access_log",
    "SELECT id, " ISO_UTC_US("at") ", action, client_name, role, coalesce(department, ''),"
    " coalesce(purpose, ''), coalesce(legal_basis, ''), override_used,"
    " coalesce(details ->> 'op', ''), details @> '{\"refused\": true}',"
    " details @> '{\"recorder_benefits\": true}',"
    " coalesce(subject, ''), coalesce(client_app, '')"
    " FROM audit_log"
    /* Rows about the citizen, and the CPR-list searches that returned them (migration 0012). */
    /* $1 is char(10), as the column (whose index a text comparison would not use). */
    " WHERE (cpr = $1::char(10)"
    "  OR (action = 'search' AND details -> 'returned' @> to_jsonb($1::char(10)::text)))"
    " AND id < coalesce(nullif($2::bigint, 0), 9223372036854775807)"
    " ORDER BY id DESC LIMIT $3::integer"};
/* clang-format on */

/* A JSON array of the first n strings of v (malloc'd). */
static char *strv_to_json(const char (*v)[64], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n && i < GP_AUDIT_MAX_SOURCES; i++)
        json_array_append_new(a, json_string(v[i]));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!s) {
        GP_LOG_BUG("json_dumps failed (a source id that is not UTF-8?)");
        s = gp_xstrdup("[]");
    }
    return s;
}

/* Parses a JSON array of strings (or null) into v; returns the count kept. */
static size_t json_to_strv(const char *text, char (*v)[64], size_t max)
{
    json_t *a = json_loads(text, JSON_DECODE_ANY, NULL);
    size_t n = 0;
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < max; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            snprintf(v[n++], 64, "%s", s);
    }
    json_decref(a);
    return n;
}

enum gp_qs gp_audit_append(struct gp_db_conn *c, const struct gp_audit_entry *e, int64_t *id)
{
    if (e->n_sources_asked > GP_AUDIT_MAX_SOURCES || e->n_sources_answered > GP_AUDIT_MAX_SOURCES) {
        GP_LOG_BUG("audit entry with more than %d sources", GP_AUDIT_MAX_SOURCES);
        return GP_QS_HARD_ERROR;
    }
    char client[24];
    snprintf(client, sizeof client, "%lld", (long long)e->client_id);
    char *asked = strv_to_json(e->sources_asked, e->n_sources_asked);
    char *answered = strv_to_json(e->sources_answered, e->n_sources_answered);
    const char *p[17] = {client,
                         e->client_name,
                         e->role,
                         e->department,
                         e->purpose,
                         e->legal_basis,
                         e->cpr,
                         e->action,
                         e->route,
                         asked,
                         answered,
                         e->visibility,
                         e->override_used ? "true" : "false",
                         e->request_id,
                         e->details,
                         e->subject,
                         e->client_app};
    PGresult *r = NULL;
    enum gp_qs qs;
    if (id) {
        qs = gp_db_exec(c, &stmt_append, 17, p, &r);
        if (qs == GP_QS_ONE_RESULT)
            *id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    } else {
        /* Sent with the COMMIT: one round trip less. (Under v1 this also kept the chain lock
         * off the round trip; appending takes no lock since migration 0014.) */
        qs = gp_db_exec_at_commit(c, &stmt_append, 17, p);
        if (qs == GP_QS_NO_RESULTS)
            qs = GP_QS_ONE_RESULT;
    }
    if (qs == GP_QS_HARD_ERROR)
        GP_LOG_ERROR("audit append failed: %s", gp_db_error(c));
    PQclear(r);
    free(asked);
    free(answered);
    return qs;
}

struct verify_call {
    int64_t bad_id;
    char why[256];
    bool broken;
    struct gp_audit_head head;
};

static enum gp_qs run_verify(struct gp_db_conn *c, void *cls)
{
    struct verify_call *call = cls;
    PGresult *r = NULL;
    /* The head first, as audit_verify() reads it: the first statement fixes the snapshot. */
    enum gp_qs qs = gp_db_exec(c, &stmt_head, 0, NULL, &r);
    if (qs < 0)
        return qs;
    if (qs == GP_QS_ONE_RESULT) {
        call->head.last_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(call->head.last_hash, sizeof call->head.last_hash, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    r = NULL;
    qs = gp_db_exec(c, &stmt_verify, 0, NULL, &r);
    call->broken = qs == GP_QS_ONE_RESULT;
    if (call->broken) {
        call->bad_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        snprintf(call->why, sizeof call->why, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return qs;
}

enum gp_audit_verify_rc gp_audit_verify(struct gp_db_pool *pool, int64_t *bad_id, char *why,
                                        size_t whylen)
{
    return gp_audit_verify_head(pool, bad_id, why, whylen, NULL);
}

enum gp_audit_verify_rc gp_audit_verify_head(struct gp_db_pool *pool, int64_t *bad_id, char *why,
                                             size_t whylen, struct gp_audit_head *head)
{
    struct verify_call call = {0};
    /* Repeatable read: one snapshot for the head and the rows, whatever is appended meanwhile. */
    enum gp_qs qs = gp_db_tx(pool, "audit_verify", GP_DB_REPEATABLE_READ, run_verify, &call);
    if (qs < 0)
        return GP_AUDIT_VERIFY_DB_ERROR;
    if (head)
        *head = call.head;
    if (!call.broken) {
        if (bad_id)
            *bad_id = 0;
        if (why && whylen)
            why[0] = '\0';
        return GP_AUDIT_INTACT;
    }
    if (bad_id)
        *bad_id = call.bad_id;
    if (why && whylen)
        snprintf(why, whylen, "%s", call.why);
    return GP_AUDIT_BROKEN;
}

void gp_audit_list_free(struct gp_audit_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void gp_access_list_free(struct gp_access_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

static int clamp_limit(int limit)
{
    return limit >= 1 && limit <= 1000 ? limit : 100;
}

static void row_to_entry(const PGresult *r, int row, struct gp_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    e->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    snprintf(e->at, sizeof e->at, "%s", PQgetvalue(r, row, 1));
    e->client_id = strtoll(PQgetvalue(r, row, 2), NULL, 10);
    snprintf(e->client_name, sizeof e->client_name, "%s", PQgetvalue(r, row, 3));
    snprintf(e->role, sizeof e->role, "%s", PQgetvalue(r, row, 4));
    snprintf(e->department, sizeof e->department, "%s", PQgetvalue(r, row, 5));
    snprintf(e->purpose, sizeof e->purpose, "%s", PQgetvalue(r, row, 6));
    snprintf(e->legal_basis, sizeof e->legal_basis, "%s", PQgetvalue(r, row, 7));
    snprintf(e->cpr, sizeof e->cpr, "%s", PQgetvalue(r, row, 8));
    snprintf(e->action, sizeof e->action, "%s", PQgetvalue(r, row, 9));
    snprintf(e->route, sizeof e->route, "%s", PQgetvalue(r, row, 10));
    e->n_sources_asked =
        json_to_strv(PQgetvalue(r, row, 11), e->sources_asked, GP_AUDIT_MAX_SOURCES);
    e->n_sources_answered =
        json_to_strv(PQgetvalue(r, row, 12), e->sources_answered, GP_AUDIT_MAX_SOURCES);
    snprintf(e->visibility, sizeof e->visibility, "%s", PQgetvalue(r, row, 13));
    e->override_used = PQgetvalue(r, row, 14)[0] == 't';
    snprintf(e->request_id, sizeof e->request_id, "%s", PQgetvalue(r, row, 15));
    /* A details value longer than the field would be cut into invalid JSON: drop it whole. */
    const char *details = PQgetvalue(r, row, 16);
    if (strlen(details) < sizeof e->details)
        snprintf(e->details, sizeof e->details, "%s", details);
    snprintf(e->subject, sizeof e->subject, "%s", PQgetvalue(r, row, 17));
    snprintf(e->client_app, sizeof e->client_app, "%s", PQgetvalue(r, row, 18));
}

enum gp_qs gp_audit_search(struct gp_db_conn *c, const struct gp_audit_filter *f,
                           struct gp_audit_list *out)
{
    char client[24], before[24], limit[16];
    snprintf(client, sizeof client, "%lld", (long long)f->client_id);
    snprintf(before, sizeof before, "%lld", (long long)f->before_id);
    snprintf(limit, sizeof limit, "%d", clamp_limit(f->limit));
    const char *p[8] = {f->cpr ? f->cpr : "",
                        client,
                        f->action ? f->action : "",
                        f->from ? f->from : "",
                        f->to ? f->to : "",
                        before,
                        limit,
                        f->recorder_benefits ? "true" : "false"};
    PGresult *r = NULL;
    out->n = 0;
    out->items = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_search, 8, p, &r);
    if (qs < 0)
        return qs;
    out->n = (size_t)qs;
    out->items = gp_xcalloc(out->n ? out->n : 1, sizeof *out->items);
    for (size_t i = 0; i < out->n; i++)
        row_to_entry(r, (int)i, &out->items[i]);
    PQclear(r);
    return qs;
}

enum gp_qs gp_access_log(struct gp_db_conn *c, const char *cpr, int limit, int64_t before_id,
                         struct gp_access_list *out)
{
    char before[24], lim[16];
    snprintf(before, sizeof before, "%lld", (long long)before_id);
    snprintf(lim, sizeof lim, "%d", clamp_limit(limit));
    const char *p[3] = {cpr, before, lim};
    PGresult *r = NULL;
    out->n = 0;
    out->items = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_access_log, 3, p, &r);
    if (qs < 0)
        return qs;
    out->n = (size_t)qs;
    out->items = gp_xcalloc(out->n ? out->n : 1, sizeof *out->items);
    for (size_t i = 0; i < out->n; i++) {
        struct gp_access_entry *e = &out->items[i];
        int row = (int)i;
        e->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
        snprintf(e->at, sizeof e->at, "%s", PQgetvalue(r, row, 1));
        snprintf(e->action, sizeof e->action, "%s", PQgetvalue(r, row, 2));
        snprintf(e->client_name, sizeof e->client_name, "%s", PQgetvalue(r, row, 3));
        snprintf(e->role, sizeof e->role, "%s", PQgetvalue(r, row, 4));
        snprintf(e->department, sizeof e->department, "%s", PQgetvalue(r, row, 5));
        snprintf(e->purpose, sizeof e->purpose, "%s", PQgetvalue(r, row, 6));
        snprintf(e->legal_basis, sizeof e->legal_basis, "%s", PQgetvalue(r, row, 7));
        e->override_used = PQgetvalue(r, row, 8)[0] == 't';
        snprintf(e->op, sizeof e->op, "%s", PQgetvalue(r, row, 9));
        e->refused = PQgetvalue(r, row, 10)[0] == 't';
        e->recorder_benefits = PQgetvalue(r, row, 11)[0] == 't';
        snprintf(e->subject, sizeof e->subject, "%s", PQgetvalue(r, row, 12));
        snprintf(e->client_app, sizeof e->client_app, "%s", PQgetvalue(r, row, 13));
    }
    PQclear(r);
    return qs;
}

void gp_audit_set_visibility(struct gp_audit_entry *e, unsigned levels)
{
    static const enum gp_visibility order[] = {GP_VIS_FULL, GP_VIS_SUMMARY, GP_VIS_EXISTENCE,
                                               GP_VIS_HIDDEN};
    size_t o = 0;
    e->visibility[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(levels & (1u << order[i])))
            continue;
        int n = snprintf(e->visibility + o, sizeof e->visibility - o, "%s%s", o ? "," : "",
                         gp_visibility_name(order[i]));
        if (n > 0)
            o += (size_t)n;
    }
}
