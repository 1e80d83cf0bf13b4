/* The three kinds of sharing rule, each what is its own: table and columns, how a row to record
 * becomes the insert's parameters, its JSON shape and its audit details; as descriptors that
 * lib/sharing/rule.c runs. Then the look-ups that are no kind's: scope codes, whether an
 * override is in force, the consent revision. */
#include "lib/sharing/consent.h"
#include "lib/sharing/rule_sql.h"

#include "lib/core/alloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SQL is kept out of clang-format, which cannot lay out strings built with macros. */
/* clang-format off */
#define ISO_UTC(col) GP_SQL_ISO_UTC(col)
#define DATE(col)    GP_SQL_DATE(col)
/* The last columns of a consent or block: when it was recorded and its withdrawal. */
#define WITHDRAWAL_COLUMNS \
    ISO_UTC("created_at") ", coalesce(" ISO_UTC("withdrawn_at") ", '')," \
    " coalesce(withdrawn_by, 0), coalesce(withdraw_reason, '')"
/* clang-format on */

#define N_COLS(cols) (sizeof cols / sizeof cols[0])

static json_t *string_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* The members a consent and a block end with: who recorded it, when, its status on today, and
 * its withdrawal. */
static void add_lifecycle(json_t *o, int64_t recorded_by, const char *created_at,
                          const char *status, const char *withdrawn_at, int64_t withdrawn_by,
                          const char *withdraw_reason)
{
    json_object_set_new(o, "recorded_by", json_integer(recorded_by));
    json_object_set_new(o, "created_at", json_string(created_at));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "withdrawn_at", string_or_null(withdrawn_at));
    json_object_set_new(o, "withdrawn_by", withdrawn_by ? json_integer(withdrawn_by) : json_null());
    json_object_set_new(o, "withdraw_reason", string_or_null(withdraw_reason));
}

/* Sets p's parameters to v (n of them). */
static void set_params(struct gp_rule_params *p, const char *const *v, size_t n)
{
    p->n = (int)n;
    memcpy(p->p, v, n * sizeof v[0]);
}

/* ---- consents ---- */

/* clang-format off */
#define CONSENT_COLUMNS \
    "id, public_id::text, cpr, purpose, array_to_json(areas)::text," \
    " array_to_json(departments)::text, form," \
    " " DATE("valid_from") ", coalesce(" DATE("valid_until") ", ''), recorded_by," \
    " coalesce(evidence_ref, ''), coalesce(note, '')," \
    " consent_recorder_benefits(areas, departments, recorded_by), " WITHDRAWAL_COLUMNS
/* A JSON array of strings (text parameter) as text[], order kept. */
#define TEXT_ARRAY(param) \
    "ARRAY(SELECT x FROM jsonb_array_elements_text(" param "::jsonb) WITH ORDINALITY t(x, n)" \
    " ORDER BY n)"
#define CONSENT_INSERT \
    "INSERT INTO consent (cpr, purpose, areas, departments, form, valid_from, valid_until," \
    "  recorded_by, evidence_ref, note)" \
    " VALUES ($1, $2, " TEXT_ARRAY("$3") ", " TEXT_ARRAY("$4") ", $5, $6::date," \
    "  nullif($7, '')::date, $8::bigint, nullif($9, ''), nullif($10, ''))" \
    " RETURNING " CONSENT_COLUMNS
/* clang-format on */

static const struct gp_rule_col consent_cols[] = {
    GP_RULE_COL_INT64(struct gp_consent, id),
    GP_RULE_COL_TEXT(struct gp_consent, public_id),
    GP_RULE_COL_TEXT(struct gp_consent, cpr),
    GP_RULE_COL_TEXT(struct gp_consent, purpose),
    GP_RULE_COL_STRV(struct gp_consent, areas, n_areas),
    GP_RULE_COL_STRV(struct gp_consent, departments, n_departments),
    GP_RULE_COL_TEXT(struct gp_consent, form),
    GP_RULE_COL_TEXT(struct gp_consent, valid_from),
    GP_RULE_COL_TEXT(struct gp_consent, valid_until),
    GP_RULE_COL_INT64(struct gp_consent, recorded_by),
    GP_RULE_COL_TEXT(struct gp_consent, evidence_ref),
    GP_RULE_COL_TEXT(struct gp_consent, note),
    GP_RULE_COL_BOOL(struct gp_consent, recorder_benefits),
    GP_RULE_COL_TEXT(struct gp_consent, created_at),
    GP_RULE_COL_TEXT(struct gp_consent, withdrawn_at),
    GP_RULE_COL_INT64(struct gp_consent, withdrawn_by),
    GP_RULE_COL_TEXT(struct gp_consent, withdraw_reason),
};

static char *strv_to_json(const char *v, size_t width, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v + i * width));
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return s ? s : gp_xstrdup("[null]"); /* not UTF-8: let the schema reject it */
}

static enum gp_consent_rc bind_consent(const void *in, struct gp_rule_params *p)
{
    const struct gp_consent *k = in;
    if (k->n_areas > GP_CONSENT_MAX_AREAS || k->n_departments > GP_CONSENT_MAX_DEPARTMENTS)
        return GP_CONSENT_INVALID;
    p->owned[0] = strv_to_json(&k->areas[0][0], sizeof k->areas[0], k->n_areas);
    p->owned[1] = strv_to_json(&k->departments[0][0], sizeof k->departments[0], k->n_departments);
    gp_rule_id_text(p->num[0], k->recorded_by);
    const char *v[] = {k->cpr,        k->purpose,     p->owned[0], p->owned[1],     k->form,
                       k->valid_from, k->valid_until, p->num[0],   k->evidence_ref, k->note};
    set_params(p, v, N_COLS(v));
    return GP_CONSENT_OK;
}

static const struct gp_rule_sql consent_sql = {
    .insert = {"consent_insert", CONSENT_INSERT},
    GP_RULE_WITHDRAWABLE("consent", "consent", CONSENT_COLUMNS, "consent_event", "consent_id"),
    .bind = bind_consent,
    .cols = consent_cols,
    .n_cols = N_COLS(consent_cols),
};

static json_t *consent_json(const void *row, const char *today)
{
    const struct gp_consent *k = row;
    json_t *areas = json_array(), *depts = json_array();
    for (size_t i = 0; i < k->n_areas; i++)
        json_array_append_new(areas, json_string(k->areas[i]));
    for (size_t i = 0; i < k->n_departments; i++)
        json_array_append_new(depts, json_string(k->departments[i]));
    json_t *o = json_pack("{s:s, s:s, s:s, s:{s:o, s:o}, s:s, s:s}", "id", k->public_id, "cpr",
                          k->cpr, "purpose", k->purpose, "scope", "areas", areas, "departments",
                          depts, "form", k->form, "valid_from", k->valid_from);
    json_object_set_new(o, "valid_until", string_or_null(k->valid_until));
    json_object_set_new(o, "evidence_ref", string_or_null(k->evidence_ref));
    json_object_set_new(o, "note", string_or_null(k->note));
    json_object_set_new(o, "recorder_benefits", json_boolean(k->recorder_benefits));
    add_lifecycle(o, k->recorded_by, k->created_at,
                  gp_consent_status(k->valid_from, k->valid_until, k->withdrawn_at, today),
                  k->withdrawn_at, k->withdrawn_by, k->withdraw_reason);
    return o;
}

/* A consent is recorded and withdrawn under its own purpose, not the caller's. */
static const char *consent_purpose(const void *row)
{
    return ((const struct gp_consent *)row)->purpose;
}

/* Its form, and whether it benefits its recorder: the data-protection officer lists those
 * (GET /v1/audit?recorder_benefits=true). */
static void consent_details(const void *row, json_t *d)
{
    const struct gp_consent *k = row;
    json_object_set_new(d, "form", json_string(k->form));
    json_object_set_new(d, "recorder_benefits", json_boolean(k->recorder_benefits));
}

const struct gp_rule_kind gp_rule_consent = {
    .name = "consent",
    .plural = "consents",
    .size = sizeof(struct gp_consent),
    .id_at = offsetof(struct gp_consent, id),
    .public_id_at = offsetof(struct gp_consent, public_id),
    .cpr_at = offsetof(struct gp_consent, cpr),
    .audit_action = "consent",
    .op_record = "record",
    .op_withdraw = "withdraw",
    .audit_purpose = consent_purpose,
    .record_details = consent_details,
    .location_prefix = "/v1/consents/",
    .to_json = consent_json,
    .sql = &consent_sql,
};

/* ---- blocks ---- */

/* clang-format off */
#define BLOCK_COLUMNS \
    "id, public_id::text, cpr, scope_kind, scope_value, " DATE("valid_from") "," \
    " coalesce(" DATE("valid_until") ", ''), recorded_by," \
    " coalesce((SELECT a.department FROM api_client a" \
    "  WHERE a.id = citizen_block.recorded_by), '')," \
    " array_to_json(block_protected_departments(scope_kind, scope_value))::text," \
    " coalesce(reason, ''), " WITHDRAWAL_COLUMNS
#define BLOCK_INSERT \
    "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, valid_until," \
    "  recorded_by, reason)" \
    " VALUES ($1, $2, $3, $4::date, nullif($5, '')::date, $6::bigint, nullif($7, ''))" \
    " RETURNING " BLOCK_COLUMNS
/* clang-format on */

static const struct gp_rule_col block_cols[] = {
    GP_RULE_COL_INT64(struct gp_block, id),
    GP_RULE_COL_TEXT(struct gp_block, public_id),
    GP_RULE_COL_TEXT(struct gp_block, cpr),
    GP_RULE_COL_TEXT(struct gp_block, scope_kind),
    GP_RULE_COL_TEXT(struct gp_block, scope_value),
    GP_RULE_COL_TEXT(struct gp_block, valid_from),
    GP_RULE_COL_TEXT(struct gp_block, valid_until),
    GP_RULE_COL_INT64(struct gp_block, recorded_by),
    GP_RULE_COL_TEXT(struct gp_block, recorded_by_department),
    GP_RULE_COL_STRV(struct gp_block, protects, n_protects),
    GP_RULE_COL_TEXT(struct gp_block, reason),
    GP_RULE_COL_TEXT(struct gp_block, created_at),
    GP_RULE_COL_TEXT(struct gp_block, withdrawn_at),
    GP_RULE_COL_INT64(struct gp_block, withdrawn_by),
    GP_RULE_COL_TEXT(struct gp_block, withdraw_reason),
};

static enum gp_consent_rc bind_block(const void *in, struct gp_rule_params *p)
{
    const struct gp_block *b = in;
    gp_rule_id_text(p->num[0], b->recorded_by);
    const char *v[] = {b->cpr,         b->scope_kind, b->scope_value, b->valid_from,
                       b->valid_until, p->num[0],     b->reason};
    set_params(p, v, N_COLS(v));
    return GP_CONSENT_OK;
}

static const struct gp_rule_sql block_sql = {
    .insert = {"block_insert", BLOCK_INSERT},
    GP_RULE_WITHDRAWABLE("block", "citizen_block", BLOCK_COLUMNS, "block_event", "block_id"),
    .bind = bind_block,
    .cols = block_cols,
    .n_cols = N_COLS(block_cols),
};

static json_t *block_json(const void *row, const char *today)
{
    const struct gp_block *b = row;
    json_t *protects = json_array();
    for (size_t i = 0; i < b->n_protects; i++)
        json_array_append_new(protects, json_string(b->protects[i]));
    json_t *o =
        json_pack("{s:s, s:s, s:{s:s, s:s}, s:s}", "id", b->public_id, "cpr", b->cpr, "scope",
                  "kind", b->scope_kind, "value", b->scope_value, "valid_from", b->valid_from);
    json_object_set_new(o, "valid_until", string_or_null(b->valid_until));
    json_object_set_new(o, "reason", string_or_null(b->reason));
    json_object_set_new(o, "protects", protects);
    json_object_set_new(o, "recorded_by_department", string_or_null(b->recorded_by_department));
    add_lifecycle(o, b->recorded_by, b->created_at,
                  gp_consent_status(b->valid_from, b->valid_until, b->withdrawn_at, today),
                  b->withdrawn_at, b->withdrawn_by, b->withdraw_reason);
    return o;
}

static void block_details(const void *row, json_t *d)
{
    const struct gp_block *b = row;
    json_object_set_new(d, "scope_kind", json_string(b->scope_kind));
    json_object_set_new(d, "scope_value", json_string(b->scope_value));
}

/* The department that recorded the block (a caller with a department, the same one). */
static bool block_recorder(const struct gp_rule_caller *c, const struct gp_block *b)
{
    return c->department && c->department[0] && !strcmp(c->department, b->recorded_by_department);
}

/* What a block says is for the department that recorded it, coordinators, auditors and the
 * citizen. */
static bool block_may_see(const struct gp_rule_caller *c, const void *row)
{
    const struct gp_block *b = row;
    return gp_rule_caller_is_citizen(c, b->cpr) || c->role == GP_ROLE_AUDITOR ||
           c->role == GP_ROLE_COORDINATOR || block_recorder(c, b);
}

/* A block protects the citizen against other departments: it is lifted by the citizen, by the
 * department that recorded it, or by a coordinator of a department it does not restrain (one
 * whose data it covers) — never by a department it restrains. */
static bool block_may_withdraw(const struct gp_rule_caller *c, const void *row)
{
    const struct gp_block *b = row;
    if (gp_rule_caller_is_citizen(c, b->cpr) || block_recorder(c, b))
        return true;
    if (c->role != GP_ROLE_COORDINATOR || !c->department || !c->department[0])
        return false;
    for (size_t i = 0; i < b->n_protects && i < GP_CONSENT_MAX_DEPARTMENTS; i++) {
        if (!strcmp(b->protects[i], c->department))
            return true;
    }
    return false;
}

const struct gp_rule_kind gp_rule_block = {
    .name = "block",
    .plural = "blocks",
    .size = sizeof(struct gp_block),
    .id_at = offsetof(struct gp_block, id),
    .public_id_at = offsetof(struct gp_block, public_id),
    .cpr_at = offsetof(struct gp_block, cpr),
    .audit_action = "block",
    .op_record = "record",
    .op_withdraw = "withdraw",
    .record_details = block_details,
    .location_prefix = "/v1/blocks/",
    .to_json = block_json,
    .may_see = block_may_see,
    .see_rule = "block_content",
    .see_rule_text = "what a block says is shown only to the department that recorded it, "
                     "coordinators, auditors and the citizen: some of this citizen's data is "
                     "withheld at their request",
    .may_withdraw = block_may_withdraw,
    .withdraw_rule = "block_withdrawal",
    .withdraw_rule_text = "a block is withdrawn only by the citizen, the department that recorded "
                          "it, or a coordinator of a department it does not restrain; never by a "
                          "department it restrains",
    .sql = &block_sql,
};

/* ---- overrides ---- */

/* clang-format off */
/* Over break_glass b joined to its client a. */
#define OVERRIDE_COLUMNS \
    "b.id, b.public_id::text, b.cpr, b.client_id, b.reason_code, b.note, " ISO_UTC("b.created_at") "," \
    " " ISO_UTC("b.expires_at") ", a.name, a.role::text, coalesce(a.department, '')," \
    " b.created_at <= now() AND b.expires_at > now()," \
    " round(extract(epoch FROM b.expires_at - b.created_at) / 60)::integer"
/* created_at defaults to now(), so expires_at - created_at is exactly `minutes`, which the
 * table's CHECK holds to (0, 60]. */
#define OVERRIDE_INSERT \
    "WITH b AS (INSERT INTO break_glass (cpr, client_id, reason_code, note, expires_at)" \
    "  VALUES ($1, $2::bigint, $3, $4, now() + make_interval(mins => $5::integer))" \
    "  RETURNING *)" \
    " SELECT " OVERRIDE_COLUMNS " FROM b JOIN api_client a ON a.id = b.client_id"
#define OVERRIDES_FOR \
    "SELECT " OVERRIDE_COLUMNS " FROM break_glass b JOIN api_client a ON a.id = b.client_id" \
    " WHERE b.cpr = $1 ORDER BY b.id DESC"
/* clang-format on */

static const struct gp_rule_col override_cols[] = {
    GP_RULE_COL_INT64(struct gp_override, id),
    GP_RULE_COL_TEXT(struct gp_override, public_id),
    GP_RULE_COL_TEXT(struct gp_override, cpr),
    GP_RULE_COL_INT64(struct gp_override, client_id),
    GP_RULE_COL_TEXT(struct gp_override, reason_code),
    GP_RULE_COL_TEXT(struct gp_override, note),
    GP_RULE_COL_TEXT(struct gp_override, created_at),
    GP_RULE_COL_TEXT(struct gp_override, expires_at),
    GP_RULE_COL_TEXT(struct gp_override, client_name),
    GP_RULE_COL_TEXT(struct gp_override, client_role),
    GP_RULE_COL_TEXT(struct gp_override, client_department),
    GP_RULE_COL_BOOL(struct gp_override, active),
    GP_RULE_COL_INT(struct gp_override, minutes),
};

static enum gp_consent_rc bind_override(const void *in, struct gp_rule_params *p)
{
    const struct gp_override *o = in;
    gp_rule_id_text(p->num[0], o->client_id);
    snprintf(p->num[1], sizeof p->num[1], "%d", o->minutes);
    const char *v[] = {o->cpr, p->num[0], o->reason_code, o->note, p->num[1]};
    set_params(p, v, N_COLS(v));
    return GP_CONSENT_OK;
}

/* An override is never withdrawn and keeps no history: it expires. */
static const struct gp_rule_sql override_sql = {
    .insert = {"override_insert", OVERRIDE_INSERT},
    .list = {"overrides_for", OVERRIDES_FOR},
    .bind = bind_override,
    .cols = override_cols,
    .n_cols = N_COLS(override_cols),
};

/* An override, with what it says (reason code and note) or without (withheld). */
static json_t *override_shown(const struct gp_override *o, bool withheld)
{
    json_t *client = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->client_id, "name",
                               o->client_name, "role", o->client_role);
    json_object_set_new(client, "department", string_or_null(o->client_department));
    json_t *j = json_pack("{s:s, s:s, s:o}", "id", o->public_id, "cpr", o->cpr, "client", client);
    json_object_set_new(j, "reason_code", withheld ? json_null() : json_string(o->reason_code));
    json_object_set_new(j, "note", withheld ? json_null() : json_string(o->note));
    json_object_set_new(j, "withheld", json_boolean(withheld));
    json_object_set_new(j, "created_at", json_string(o->created_at));
    json_object_set_new(j, "expires_at", json_string(o->expires_at));
    json_object_set_new(j, "active", json_boolean(o->active));
    return j;
}

static json_t *override_json(const void *row, const char *today)
{
    (void)today;
    return override_shown(row, false);
}

static json_t *override_json_withheld(const void *row, const char *today)
{
    (void)today;
    return override_shown(row, true);
}

/* Why the glass was broken is for the opener's department, coordinators, auditors and the
 * citizen; everyone else sees that it was, by whom and when (as the access log shows). */
static bool override_may_see(const struct gp_rule_caller *c, const void *row)
{
    const struct gp_override *o = row;
    return gp_rule_caller_is_citizen(c, o->cpr) || c->role == GP_ROLE_AUDITOR ||
           c->role == GP_ROLE_COORDINATOR ||
           (c->department && c->department[0] && !strcmp(c->department, o->client_department));
}

static void override_details(const void *row, json_t *d)
{
    const struct gp_override *o = row;
    json_object_set_new(d, "reason_code", json_string(o->reason_code));
    json_object_set_new(d, "minutes", json_integer(o->minutes));
    json_object_set_new(d, "expires_at", json_string(o->expires_at));
    json_object_set_new(d, "note", json_string(o->note));
}

const struct gp_rule_kind gp_rule_override = {
    .name = "override",
    .plural = "overrides",
    .size = sizeof(struct gp_override),
    .id_at = offsetof(struct gp_override, id),
    .public_id_at = offsetof(struct gp_override, public_id),
    .cpr_at = offsetof(struct gp_override, cpr),
    .audit_action = "override",
    .op_record = "open",
    .override_used = true,
    .record_details = override_details,
    .to_json = override_json,
    .may_see = override_may_see,
    .to_json_withheld = override_json_withheld,
    .see_rule = "override_content",
    .see_rule_text = "why the glass was broken is shown only to the opener's department, "
                     "coordinators, auditors and the citizen",
    .sql = &override_sql,
};

/* ---- the typed shorthands ---- */

void gp_consent_list_free(struct gp_consent_list *l)
{
    if (!l)
        return;
    free(l->items);
    *l = (struct gp_consent_list){0};
}

void gp_block_list_free(struct gp_block_list *l)
{
    if (!l)
        return;
    free(l->items);
    *l = (struct gp_block_list){0};
}

void gp_override_list_free(struct gp_override_list *l)
{
    if (!l)
        return;
    free(l->items);
    *l = (struct gp_override_list){0};
}

enum gp_consent_rc gp_consent_record(struct gp_db_conn *c, const struct gp_consent *in,
                                     struct gp_consent *out)
{
    return gp_rule_record(c, &gp_rule_consent, in, out);
}

enum gp_consent_rc gp_consent_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id,
                                       int64_t by, const char *reason, struct gp_consent *out)
{
    return gp_rule_withdraw(c, &gp_rule_consent, cpr, id, by, reason, out);
}

enum gp_consent_rc gp_consent_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                  struct gp_consent *out, struct gp_consent_event_list *history)
{
    return gp_rule_get(c, &gp_rule_consent, cpr, id, out, history);
}

/* The lists: a void * from the generic functions into each typed list's items. */
enum gp_consent_rc gp_consents_for(struct gp_db_conn *c, const char *cpr,
                                   struct gp_consent_list *out)
{
    void *items = NULL;
    enum gp_consent_rc rc = gp_rule_list(c, &gp_rule_consent, cpr, &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_consents_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                      struct gp_consent_list *out)
{
    void *items = NULL;
    enum gp_consent_rc rc = gp_rule_active(c, &gp_rule_consent, cpr, on_date, &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_block_record(struct gp_db_conn *c, const struct gp_block *in,
                                   struct gp_block *out)
{
    return gp_rule_record(c, &gp_rule_block, in, out);
}

enum gp_consent_rc gp_block_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id, int64_t by,
                                     const char *reason, struct gp_block *out)
{
    return gp_rule_withdraw(c, &gp_rule_block, cpr, id, by, reason, out);
}

enum gp_consent_rc gp_block_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                struct gp_block *out, struct gp_consent_event_list *history)
{
    return gp_rule_get(c, &gp_rule_block, cpr, id, out, history);
}

enum gp_consent_rc gp_blocks_for(struct gp_db_conn *c, const char *cpr, struct gp_block_list *out)
{
    void *items = NULL;
    enum gp_consent_rc rc = gp_rule_list(c, &gp_rule_block, cpr, &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_blocks_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                    struct gp_block_list *out)
{
    void *items = NULL;
    enum gp_consent_rc rc = gp_rule_active(c, &gp_rule_block, cpr, on_date, &items, &out->n);
    out->items = items;
    return rc;
}

enum gp_consent_rc gp_override_create(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      const char *reason_code, const char *note, int minutes,
                                      struct gp_override *out)
{
    struct gp_override in = {.client_id = client_id, .minutes = minutes};
    snprintf(in.cpr, sizeof in.cpr, "%s", cpr);
    snprintf(in.reason_code, sizeof in.reason_code, "%s", reason_code);
    snprintf(in.note, sizeof in.note, "%s", note ? note : "");
    return gp_rule_record(c, &gp_rule_override, &in, out);
}

enum gp_consent_rc gp_overrides_for(struct gp_db_conn *c, const char *cpr,
                                    struct gp_override_list *out)
{
    void *items = NULL;
    enum gp_consent_rc rc = gp_rule_list(c, &gp_rule_override, cpr, &items, &out->n);
    out->items = items;
    return rc;
}

/* ---- no kind's own ---- */

/* clang-format off */
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

enum gp_consent_rc gp_scope_code_area(struct gp_db_conn *c, const char *kind, const char *code,
                                      char area[32], bool *known)
{
    const char *p[2] = {kind, code};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_code_area, 2, p, &r);
    if (qs < 0)
        return gp_rule_failure(c, qs);
    *known = qs >= GP_QS_ONE_RESULT;
    snprintf(area, 32, "%s", *known ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return GP_CONSENT_OK;
}

enum gp_consent_rc gp_override_active(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      bool *active)
{
    char client[24];
    gp_rule_id_text(client, client_id);
    const char *p[2] = {cpr, client};
    enum gp_qs qs = gp_db_exec(c, &stmt_override_active, 2, p, NULL);
    if (qs < 0)
        return gp_rule_failure(c, qs);
    *active = qs >= GP_QS_ONE_RESULT;
    return GP_CONSENT_OK;
}

enum gp_consent_rc gp_consent_revision(struct gp_db_conn *c, const char *cpr, int64_t *revision)
{
    const char *p[1] = {cpr};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_revision, 1, p, &r);
    if (qs < 0)
        return gp_rule_failure(c, qs);
    *revision = qs >= GP_QS_ONE_RESULT ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
    PQclear(r);
    return GP_CONSENT_OK;
}
