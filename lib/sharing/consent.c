#include "lib/sharing/consent.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL below is kept out of clang-format, which cannot lay out strings built with macros. */
/* clang-format off */
#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define DATE(col)    "to_char(" col ", 'YYYY-MM-DD')"
/* A JSON array of strings (text parameter) as text[], order kept. */
#define TEXT_ARRAY(param) \
    "ARRAY(SELECT x FROM jsonb_array_elements_text(" param "::jsonb) WITH ORDINALITY t(x, n)" \
    " ORDER BY n)"

/* ---- consents ---- */

#define CONSENT_COLUMNS \
    "id, cpr, purpose, array_to_json(areas)::text, array_to_json(departments)::text, form," \
    " " DATE("valid_from") ", coalesce(" DATE("valid_until") ", ''), recorded_by," \
    " coalesce(evidence_ref, ''), " ISO_UTC("created_at") "," \
    " coalesce(" ISO_UTC("withdrawn_at") ", ''), coalesce(withdrawn_by, 0)," \
    " coalesce(withdraw_reason, '')"

static const struct gp_stmt stmt_consent_insert = {
    "consent_insert",
    "INSERT INTO consent (cpr, purpose, areas, departments, form, valid_from, valid_until,"
    "  recorded_by, evidence_ref)"
    " VALUES ($1, $2, " TEXT_ARRAY("$3") ", " TEXT_ARRAY("$4") ", $5, $6::date,"
    "  nullif($7, '')::date, $8::bigint, nullif($9, ''))"
    " RETURNING " CONSENT_COLUMNS};

/* Only a consent not yet withdrawn is updated: under read committed a concurrent withdrawal
 * makes this one update nothing, and the caller then reports "already withdrawn". */
static const struct gp_stmt stmt_consent_withdraw = {
    "consent_withdraw",
    "UPDATE consent SET withdrawn_at = now(), withdrawn_by = $3::bigint,"
    "  withdraw_reason = nullif($4, '')"
    " WHERE id = $1::bigint AND ($2 = '' OR cpr = $2) AND withdrawn_at IS NULL"
    " RETURNING " CONSENT_COLUMNS};

static const struct gp_stmt stmt_consent_get = {
    "consent_get",
    "SELECT " CONSENT_COLUMNS " FROM consent WHERE id = $1::bigint AND ($2 = '' OR cpr = $2)"};

static const struct gp_stmt stmt_consent_history = {
    "consent_history",
    "SELECT id, consent_id, cpr, event, " ISO_UTC("at") ", by_client, coalesce(reason, '')"
    " FROM consent_event WHERE cpr = $1 AND consent_id = $2::bigint ORDER BY id"};

static const struct gp_stmt stmt_consents_for = {
    "consents_for", "SELECT " CONSENT_COLUMNS " FROM consent WHERE cpr = $1 ORDER BY id DESC"};

/* In force on a date: not withdrawn, and the date within [valid_from, valid_until]. */
static const struct gp_stmt stmt_consents_active = {
    "consents_active",
    "SELECT " CONSENT_COLUMNS " FROM consent"
    " WHERE cpr = $1 AND withdrawn_at IS NULL"
    " AND valid_from <= coalesce(nullif($2, '')::date, current_date)"
    " AND (valid_until IS NULL OR valid_until >= coalesce(nullif($2, '')::date, current_date))"
    " ORDER BY id"};

/* ---- blocks ---- */

#define BLOCK_COLUMNS \
    "id, cpr, scope_kind, scope_value, " DATE("valid_from") "," \
    " coalesce(" DATE("valid_until") ", ''), recorded_by, coalesce(reason, '')," \
    " " ISO_UTC("created_at") ", coalesce(" ISO_UTC("withdrawn_at") ", '')," \
    " coalesce(withdrawn_by, 0), coalesce(withdraw_reason, '')"

static const struct gp_stmt stmt_block_insert = {
    "block_insert",
    "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, valid_until,"
    "  recorded_by, reason)"
    " VALUES ($1, $2, $3, $4::date, nullif($5, '')::date, $6::bigint, nullif($7, ''))"
    " RETURNING " BLOCK_COLUMNS};

static const struct gp_stmt stmt_block_withdraw = {
    "block_withdraw",
    "UPDATE citizen_block SET withdrawn_at = now(), withdrawn_by = $3::bigint,"
    "  withdraw_reason = nullif($4, '')"
    " WHERE id = $1::bigint AND ($2 = '' OR cpr = $2) AND withdrawn_at IS NULL"
    " RETURNING " BLOCK_COLUMNS};

static const struct gp_stmt stmt_block_get = {
    "block_get",
    "SELECT " BLOCK_COLUMNS " FROM citizen_block WHERE id = $1::bigint AND ($2 = '' OR cpr = $2)"};

static const struct gp_stmt stmt_block_history = {
    "block_history",
    "SELECT id, block_id, cpr, event, " ISO_UTC("at") ", by_client, coalesce(reason, '')"
    " FROM block_event WHERE cpr = $1 AND block_id = $2::bigint ORDER BY id"};

static const struct gp_stmt stmt_blocks_for = {
    "blocks_for", "SELECT " BLOCK_COLUMNS " FROM citizen_block WHERE cpr = $1 ORDER BY id DESC"};

static const struct gp_stmt stmt_blocks_active = {
    "blocks_active",
    "SELECT " BLOCK_COLUMNS " FROM citizen_block"
    " WHERE cpr = $1 AND withdrawn_at IS NULL"
    " AND valid_from <= coalesce(nullif($2, '')::date, current_date)"
    " AND (valid_until IS NULL OR valid_until >= coalesce(nullif($2, '')::date, current_date))"
    " ORDER BY id"};

/* ---- overrides and the revision ---- */

/* Over break_glass b joined to its client a. */
#define OVERRIDE_COLUMNS \
    "b.id, b.cpr, b.client_id, b.reason_code, b.note, " ISO_UTC("b.created_at") "," \
    " " ISO_UTC("b.expires_at") ", a.name, a.role::text, coalesce(a.department, '')," \
    " b.created_at <= now() AND b.expires_at > now()"

/* created_at defaults to now(), so expires_at - created_at is exactly `minutes`, which the
 * table's CHECK holds to (0, 60]. */
static const struct gp_stmt stmt_override_insert = {
    "override_insert",
    "WITH b AS (INSERT INTO break_glass (cpr, client_id, reason_code, note, expires_at)"
    "  VALUES ($1, $2::bigint, $3, $4, now() + make_interval(mins => $5::integer))"
    "  RETURNING *)"
    " SELECT " OVERRIDE_COLUMNS " FROM b JOIN api_client a ON a.id = b.client_id"};

static const struct gp_stmt stmt_overrides_for = {
    "overrides_for",
    "SELECT " OVERRIDE_COLUMNS " FROM break_glass b JOIN api_client a ON a.id = b.client_id"
    " WHERE b.cpr = $1 ORDER BY b.id DESC"};

/* The area a code belongs to: an area itself, a department's area, a case type's area ('' for
 * unclassified, which has none). No row: no such code. */
static const struct gp_stmt stmt_code_area = {
    "scope_code_area",
    "SELECT coalesce(area, '') FROM ("
    "  SELECT code AS area FROM area WHERE $1 = 'area' AND code = $2"
    "  UNION ALL SELECT area FROM department WHERE $1 = 'department' AND id = $2"
    "  UNION ALL SELECT area FROM case_type WHERE $1 = 'case_type' AND code = $2) k"};

static const struct gp_stmt stmt_override_active = {
    "override_active",
    "SELECT 1 FROM break_glass WHERE cpr = $1 AND client_id = $2::bigint"
    " AND created_at <= now() AND expires_at > now() LIMIT 1"};

static const struct gp_stmt stmt_revision = {
    "consent_revision",
    "SELECT coalesce((SELECT revision FROM consent_revision WHERE cpr = $1), 0)"};
/* clang-format on */

/* ---- helpers ---- */

enum gp_qs gp_consent_rc_qs(enum gp_consent_rc rc)
{
    switch (rc) {
    case GP_CONSENT_OK:
    case GP_CONSENT_ALREADY_WITHDRAWN:
        return GP_QS_ONE_RESULT;
    case GP_CONSENT_NOT_FOUND:
        return GP_QS_NO_RESULTS;
    case GP_CONSENT_SOFT_ERROR:
        return GP_QS_SOFT_ERROR;
    default:
        return GP_QS_HARD_ERROR;
    }
}

/* Maps a failed statement to a return code by its SQLSTATE. */
static enum gp_consent_rc failure(struct gp_db_conn *c, enum gp_qs qs)
{
    const char *state = gp_db_sqlstate(c);
    if (qs == GP_QS_SOFT_ERROR)
        return GP_CONSENT_SOFT_ERROR;
    if (!strcmp(state, "23503"))
        return GP_CONSENT_UNKNOWN_CODE;
    if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2))
        return GP_CONSENT_INVALID;
    GP_LOG_ERROR("consent query failed: %s", gp_db_error(c));
    return GP_CONSENT_DB_ERROR;
}

static char *strv_to_json(const char *v, size_t width, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v + i * width));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s ? s : gp_xstrdup("[null]"); /* not UTF-8: let the schema reject it */
}

static size_t json_to_strv(const char *text, char *v, size_t width, size_t max)
{
    json_t *a = json_loads(text, JSON_DECODE_ANY, NULL);
    size_t n = 0;
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < max; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            snprintf(v + width * n++, width, "%s", s);
    }
    json_decref(a);
    return n;
}

static void id_text(char buf[24], int64_t id)
{
    snprintf(buf, 24, "%lld", (long long)id);
}

typedef void (*row_fn)(const PGresult *r, int row, void *out);

/* Runs stmt and converts every row with conv into a new array of `size`-byte items. */
static enum gp_consent_rc fetch_all(struct gp_db_conn *c, const struct gp_stmt *stmt, int nparams,
                                    const char *const *p, row_fn conv, size_t size, void **items,
                                    size_t *n)
{
    PGresult *r = NULL;
    *items = NULL;
    *n = 0;
    enum gp_qs qs = gp_db_exec(c, stmt, nparams, p, &r);
    if (qs < 0)
        return failure(c, qs);
    *n = (size_t)qs;
    char *a = gp_xcalloc(*n ? *n : 1, size);
    for (size_t i = 0; i < *n; i++)
        conv(r, (int)i, a + i * size);
    PQclear(r);
    *items = a;
    return GP_CONSENT_OK;
}

/* Runs stmt and converts its one row, if any, into out (may be NULL). */
static enum gp_consent_rc fetch_one(struct gp_db_conn *c, const struct gp_stmt *stmt, int nparams,
                                    const char *const *p, row_fn conv, void *out)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, stmt, nparams, p, &r);
    if (qs < 0)
        return failure(c, qs);
    if (qs >= GP_QS_ONE_RESULT && out)
        conv(r, 0, out);
    PQclear(r);
    return qs == GP_QS_NO_RESULTS ? GP_CONSENT_NOT_FOUND : GP_CONSENT_OK;
}

static void row_to_consent(const PGresult *r, int row, void *out)
{
    struct gp_consent *k = out;
    memset(k, 0, sizeof *k);
    k->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    snprintf(k->cpr, sizeof k->cpr, "%s", PQgetvalue(r, row, 1));
    snprintf(k->purpose, sizeof k->purpose, "%s", PQgetvalue(r, row, 2));
    k->n_areas = json_to_strv(PQgetvalue(r, row, 3), &k->areas[0][0], sizeof k->areas[0],
                              GP_CONSENT_MAX_AREAS);
    k->n_departments = json_to_strv(PQgetvalue(r, row, 4), &k->departments[0][0],
                                    sizeof k->departments[0], GP_CONSENT_MAX_DEPARTMENTS);
    snprintf(k->form, sizeof k->form, "%s", PQgetvalue(r, row, 5));
    snprintf(k->valid_from, sizeof k->valid_from, "%s", PQgetvalue(r, row, 6));
    snprintf(k->valid_until, sizeof k->valid_until, "%s", PQgetvalue(r, row, 7));
    k->recorded_by = strtoll(PQgetvalue(r, row, 8), NULL, 10);
    snprintf(k->evidence_ref, sizeof k->evidence_ref, "%s", PQgetvalue(r, row, 9));
    snprintf(k->created_at, sizeof k->created_at, "%s", PQgetvalue(r, row, 10));
    snprintf(k->withdrawn_at, sizeof k->withdrawn_at, "%s", PQgetvalue(r, row, 11));
    k->withdrawn_by = strtoll(PQgetvalue(r, row, 12), NULL, 10);
    snprintf(k->withdraw_reason, sizeof k->withdraw_reason, "%s", PQgetvalue(r, row, 13));
}

static void row_to_block(const PGresult *r, int row, void *out)
{
    struct gp_block *b = out;
    memset(b, 0, sizeof *b);
    b->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    snprintf(b->cpr, sizeof b->cpr, "%s", PQgetvalue(r, row, 1));
    snprintf(b->scope_kind, sizeof b->scope_kind, "%s", PQgetvalue(r, row, 2));
    snprintf(b->scope_value, sizeof b->scope_value, "%s", PQgetvalue(r, row, 3));
    snprintf(b->valid_from, sizeof b->valid_from, "%s", PQgetvalue(r, row, 4));
    snprintf(b->valid_until, sizeof b->valid_until, "%s", PQgetvalue(r, row, 5));
    b->recorded_by = strtoll(PQgetvalue(r, row, 6), NULL, 10);
    snprintf(b->reason, sizeof b->reason, "%s", PQgetvalue(r, row, 7));
    snprintf(b->created_at, sizeof b->created_at, "%s", PQgetvalue(r, row, 8));
    snprintf(b->withdrawn_at, sizeof b->withdrawn_at, "%s", PQgetvalue(r, row, 9));
    b->withdrawn_by = strtoll(PQgetvalue(r, row, 10), NULL, 10);
    snprintf(b->withdraw_reason, sizeof b->withdraw_reason, "%s", PQgetvalue(r, row, 11));
}

static void row_to_event(const PGresult *r, int row, void *out)
{
    struct gp_consent_event *e = out;
    memset(e, 0, sizeof *e);
    e->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    e->subject_id = strtoll(PQgetvalue(r, row, 1), NULL, 10);
    snprintf(e->cpr, sizeof e->cpr, "%s", PQgetvalue(r, row, 2));
    snprintf(e->event, sizeof e->event, "%s", PQgetvalue(r, row, 3));
    snprintf(e->at, sizeof e->at, "%s", PQgetvalue(r, row, 4));
    e->by = strtoll(PQgetvalue(r, row, 5), NULL, 10);
    snprintf(e->reason, sizeof e->reason, "%s", PQgetvalue(r, row, 6));
}

static void row_to_override(const PGresult *r, int row, void *out)
{
    struct gp_override *o = out;
    memset(o, 0, sizeof *o);
    o->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    snprintf(o->cpr, sizeof o->cpr, "%s", PQgetvalue(r, row, 1));
    o->client_id = strtoll(PQgetvalue(r, row, 2), NULL, 10);
    snprintf(o->reason_code, sizeof o->reason_code, "%s", PQgetvalue(r, row, 3));
    snprintf(o->note, sizeof o->note, "%s", PQgetvalue(r, row, 4));
    snprintf(o->created_at, sizeof o->created_at, "%s", PQgetvalue(r, row, 5));
    snprintf(o->expires_at, sizeof o->expires_at, "%s", PQgetvalue(r, row, 6));
    snprintf(o->client_name, sizeof o->client_name, "%s", PQgetvalue(r, row, 7));
    snprintf(o->client_role, sizeof o->client_role, "%s", PQgetvalue(r, row, 8));
    snprintf(o->client_department, sizeof o->client_department, "%s", PQgetvalue(r, row, 9));
    o->active = PQgetvalue(r, row, 10)[0] == 't';
}

/* Withdraws (stmt_withdraw) or, when nothing was withdrawable, tells why (stmt_get). */
static enum gp_consent_rc withdraw(struct gp_db_conn *c, const struct gp_stmt *stmt_withdraw,
                                   const struct gp_stmt *stmt_get, row_fn conv, const char *cpr,
                                   int64_t id, int64_t by, const char *reason, void *out)
{
    char idt[24], byt[24];
    id_text(idt, id);
    id_text(byt, by);
    const char *p[4] = {idt, cpr ? cpr : "", byt, reason ? reason : ""};
    enum gp_consent_rc rc = fetch_one(c, stmt_withdraw, 4, p, conv, out);
    if (rc != GP_CONSENT_NOT_FOUND)
        return rc;
    rc = fetch_one(c, stmt_get, 2, p, conv, out);
    return rc == GP_CONSENT_OK ? GP_CONSENT_ALREADY_WITHDRAWN : rc;
}

/* The subject (consent or block) id of cpr, with its history when history is not NULL. */
static enum gp_consent_rc get_with_history(struct gp_db_conn *c, const struct gp_stmt *stmt_get,
                                           const struct gp_stmt *stmt_history, row_fn conv,
                                           const char *cpr, int64_t id, void *out,
                                           size_t cpr_offset, struct gp_consent_event_list *history)
{
    char idt[24];
    id_text(idt, id);
    const char *p[2] = {idt, cpr ? cpr : ""};
    if (history) {
        history->n = 0;
        history->items = NULL;
    }
    enum gp_consent_rc rc = fetch_one(c, stmt_get, 2, p, conv, out);
    if (rc != GP_CONSENT_OK || !history)
        return rc;
    const char *hp[2] = {(const char *)out + cpr_offset, idt};
    void *items = NULL;
    rc = fetch_all(c, stmt_history, 2, hp, row_to_event, sizeof(struct gp_consent_event), &items,
                   &history->n);
    history->items = items;
    return rc;
}

/* ---- consents ---- */

void gp_consent_list_free(struct gp_consent_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

void gp_consent_event_list_free(struct gp_consent_event_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

enum gp_consent_rc gp_consent_record(struct gp_db_conn *c, const struct gp_consent *in,
                                     struct gp_consent *out)
{
    if (in->n_areas > GP_CONSENT_MAX_AREAS || in->n_departments > GP_CONSENT_MAX_DEPARTMENTS)
        return GP_CONSENT_INVALID;
    char *areas = strv_to_json(&in->areas[0][0], sizeof in->areas[0], in->n_areas);
    char *depts =
        strv_to_json(&in->departments[0][0], sizeof in->departments[0], in->n_departments);
    char by[24];
    id_text(by, in->recorded_by);
    const char *p[9] = {in->cpr,        in->purpose,     areas, depts,           in->form,
                        in->valid_from, in->valid_until, by,    in->evidence_ref};
    /* out may alias in: every parameter is read before conversion writes out. */
    enum gp_consent_rc rc = fetch_one(c, &stmt_consent_insert, 9, p, row_to_consent, out);
    free(areas);
    free(depts);
    return rc == GP_CONSENT_NOT_FOUND ? GP_CONSENT_DB_ERROR : rc;
}

enum gp_consent_rc gp_consent_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id,
                                       int64_t by, const char *reason, struct gp_consent *out)
{
    return withdraw(c, &stmt_consent_withdraw, &stmt_consent_get, row_to_consent, cpr, id, by,
                    reason, out);
}

enum gp_consent_rc gp_consent_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                  struct gp_consent *out, struct gp_consent_event_list *history)
{
    return get_with_history(c, &stmt_consent_get, &stmt_consent_history, row_to_consent, cpr, id,
                            out, offsetof(struct gp_consent, cpr), history);
}

enum gp_consent_rc gp_consents_for(struct gp_db_conn *c, const char *cpr,
                                   struct gp_consent_list *out)
{
    const char *p[1] = {cpr};
    void *items = NULL;
    enum gp_consent_rc rc = fetch_all(c, &stmt_consents_for, 1, p, row_to_consent,
                                      sizeof(struct gp_consent), &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_consents_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                      struct gp_consent_list *out)
{
    const char *p[2] = {cpr, on_date ? on_date : ""};
    void *items = NULL;
    enum gp_consent_rc rc = fetch_all(c, &stmt_consents_active, 2, p, row_to_consent,
                                      sizeof(struct gp_consent), &items, &out->n);
    out->items = items;
    return rc;
}

/* ---- blocks ---- */

void gp_block_list_free(struct gp_block_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

enum gp_consent_rc gp_block_record(struct gp_db_conn *c, const struct gp_block *in,
                                   struct gp_block *out)
{
    char by[24];
    id_text(by, in->recorded_by);
    const char *p[7] = {in->cpr, in->scope_kind, in->scope_value, in->valid_from, in->valid_until,
                        by,      in->reason};
    enum gp_consent_rc rc = fetch_one(c, &stmt_block_insert, 7, p, row_to_block, out);
    return rc == GP_CONSENT_NOT_FOUND ? GP_CONSENT_DB_ERROR : rc;
}

enum gp_consent_rc gp_block_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id, int64_t by,
                                     const char *reason, struct gp_block *out)
{
    return withdraw(c, &stmt_block_withdraw, &stmt_block_get, row_to_block, cpr, id, by, reason,
                    out);
}

enum gp_consent_rc gp_block_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                struct gp_block *out, struct gp_consent_event_list *history)
{
    return get_with_history(c, &stmt_block_get, &stmt_block_history, row_to_block, cpr, id, out,
                            offsetof(struct gp_block, cpr), history);
}

enum gp_consent_rc gp_blocks_for(struct gp_db_conn *c, const char *cpr, struct gp_block_list *out)
{
    const char *p[1] = {cpr};
    void *items = NULL;
    enum gp_consent_rc rc = fetch_all(c, &stmt_blocks_for, 1, p, row_to_block,
                                      sizeof(struct gp_block), &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_blocks_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                    struct gp_block_list *out)
{
    const char *p[2] = {cpr, on_date ? on_date : ""};
    void *items = NULL;
    enum gp_consent_rc rc = fetch_all(c, &stmt_blocks_active, 2, p, row_to_block,
                                      sizeof(struct gp_block), &items, &out->n);
    out->items = items;
    return rc;
}

/* ---- overrides and the revision ---- */

enum gp_consent_rc gp_override_create(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      const char *reason_code, const char *note, int minutes,
                                      struct gp_override *out)
{
    char client[24], mins[16];
    id_text(client, client_id);
    snprintf(mins, sizeof mins, "%d", minutes);
    const char *p[5] = {cpr, client, reason_code, note ? note : "", mins};
    enum gp_consent_rc rc = fetch_one(c, &stmt_override_insert, 5, p, row_to_override, out);
    return rc == GP_CONSENT_NOT_FOUND ? GP_CONSENT_DB_ERROR : rc;
}

void gp_override_list_free(struct gp_override_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

enum gp_consent_rc gp_overrides_for(struct gp_db_conn *c, const char *cpr,
                                    struct gp_override_list *out)
{
    const char *p[1] = {cpr};
    void *items = NULL;
    enum gp_consent_rc rc = fetch_all(c, &stmt_overrides_for, 1, p, row_to_override,
                                      sizeof(struct gp_override), &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_scope_code_area(struct gp_db_conn *c, const char *kind, const char *code,
                                      char area[32], bool *known)
{
    const char *p[2] = {kind, code};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_code_area, 2, p, &r);
    if (qs < 0)
        return failure(c, qs);
    *known = qs >= GP_QS_ONE_RESULT;
    snprintf(area, 32, "%s", *known ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return GP_CONSENT_OK;
}

enum gp_consent_rc gp_override_active(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      bool *active)
{
    char client[24];
    id_text(client, client_id);
    const char *p[2] = {cpr, client};
    enum gp_qs qs = gp_db_exec(c, &stmt_override_active, 2, p, NULL);
    if (qs < 0)
        return failure(c, qs);
    *active = qs >= GP_QS_ONE_RESULT;
    return GP_CONSENT_OK;
}

enum gp_consent_rc gp_consent_revision(struct gp_db_conn *c, const char *cpr, int64_t *revision)
{
    const char *p[1] = {cpr};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_revision, 1, p, &r);
    if (qs < 0)
        return failure(c, qs);
    *revision = qs >= GP_QS_ONE_RESULT ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return GP_CONSENT_OK;
}
