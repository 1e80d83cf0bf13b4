#include "lib/sharing/sharing.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/sharing/consent.h"

_Static_assert(GP_POLICY_MAX_AREAS == GP_CONSENT_MAX_AREAS, "a consent's areas fit the policy's");
_Static_assert(GP_POLICY_MAX_DEPARTMENTS == GP_CONSENT_MAX_DEPARTMENTS,
               "a consent's departments fit the policy's");

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
#define ISO_UTC_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define DAY(col) "coalesce(to_char(" col ", 'YYYY-MM-DD'), '')"

/* One row per consent, block and override, and one 'clock' row: the date and instant they were
 * judged by, so the policy judges with the same clock as this WHERE. Kinds sort first by
 * nothing in particular: the caller dispatches on column 0. */
static const struct gp_stmt stmt_load = {
    "sharing_load",
    "SELECT 'consent', id, purpose, array_to_json(areas)::text,"
    "  array_to_json(departments)::text, " DAY("valid_from") ", " DAY("valid_until") ", '', ''"
    " FROM consent WHERE cpr = $1 AND withdrawn_at IS NULL AND valid_from <= current_date"
    "  AND (valid_until IS NULL OR valid_until >= current_date)"
    " UNION ALL"
    " SELECT 'block', id, scope_kind, scope_value, '', " DAY("valid_from") ", "
    DAY("valid_until") ", '', ''"
    " FROM citizen_block WHERE cpr = $1 AND withdrawn_at IS NULL"
    "  AND valid_from <= current_date AND (valid_until IS NULL OR valid_until >= current_date)"
    " UNION ALL"
    " SELECT 'override', id, reason_code, '', '', '', '', " ISO_UTC_US("created_at") ", "
    ISO_UTC_US("expires_at")
    " FROM break_glass WHERE cpr = $1 AND client_id = $2::bigint AND created_at <= now()"
    "  AND expires_at > now()"
    " UNION ALL"
    " SELECT 'clock', 0, '', '', '', " DAY("current_date") ", '', " ISO_UTC_US("now()") ", ''"};
/* clang-format on */

static void set(char *dst, size_t size, const char *src)
{
    snprintf(dst, size, "%s", src ? src : "");
}

/* A JSON array of strings into fixed slots; returns how many were kept. */
static size_t strings(const char *json, char *slots, size_t slot_size, size_t max)
{
    json_t *a = json_loads(json, JSON_DECODE_ANY, NULL);
    size_t n = 0;
    for (size_t i = 0; json_is_array(a) && i < json_array_size(a) && n < max; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (s)
            set(slots + n++ * slot_size, slot_size, s);
    }
    json_decref(a);
    return n;
}

void gp_sharing_free(struct gp_sharing *s)
{
    free(s->consents);
    free(s->blocks);
    free(s->overrides);
    free(s->p_consents);
    free(s->p_blocks);
    free(s->p_overrides);
    memset(s, 0, sizeof *s);
}

static void sharing_from(const PGresult *r, void *cls)
{
    struct gp_sharing *out = cls;
    gp_sharing_free(out);
    int rows = PQntuples(r);
    size_t cap = rows > 0 ? (size_t)rows : 1;
    out->consents = gp_xcalloc(cap, sizeof *out->consents);
    out->blocks = gp_xcalloc(cap, sizeof *out->blocks);
    out->overrides = gp_xcalloc(cap, sizeof *out->overrides);
    for (int i = 0; i < rows; i++) {
        const char *kind = PQgetvalue(r, i, 0);
        int64_t id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
        if (!strcmp(kind, "consent")) {
            struct gp_sharing_consent *x = &out->consents[out->n_consents++];
            x->id = id;
            set(x->purpose, sizeof x->purpose, PQgetvalue(r, i, 2));
            x->n_areas = strings(PQgetvalue(r, i, 3), &x->areas[0][0], sizeof x->areas[0],
                                 GP_POLICY_MAX_AREAS);
            x->n_departments = strings(PQgetvalue(r, i, 4), &x->departments[0][0],
                                       sizeof x->departments[0], GP_POLICY_MAX_DEPARTMENTS);
            set(x->valid_from, sizeof x->valid_from, PQgetvalue(r, i, 5));
            set(x->valid_until, sizeof x->valid_until, PQgetvalue(r, i, 6));
        } else if (!strcmp(kind, "block")) {
            struct gp_sharing_block *x = &out->blocks[out->n_blocks++];
            x->id = id;
            set(x->kind, sizeof x->kind, PQgetvalue(r, i, 2));
            set(x->value, sizeof x->value, PQgetvalue(r, i, 3));
            set(x->valid_from, sizeof x->valid_from, PQgetvalue(r, i, 5));
            set(x->valid_until, sizeof x->valid_until, PQgetvalue(r, i, 6));
        } else if (!strcmp(kind, "override")) {
            struct gp_sharing_override *x = &out->overrides[out->n_overrides++];
            x->id = id;
            set(x->reason_code, sizeof x->reason_code, PQgetvalue(r, i, 2));
            set(x->created_at, sizeof x->created_at, PQgetvalue(r, i, 7));
            set(x->expires_at, sizeof x->expires_at, PQgetvalue(r, i, 8));
        } else if (!strcmp(kind, "clock")) {
            set(out->today, sizeof out->today, PQgetvalue(r, i, 5));
            set(out->now, sizeof out->now, PQgetvalue(r, i, 7));
        }
    }
}

void gp_sharing_load_item(struct gp_db_batch_item *it, const char *cpr, int64_t client_id,
                          struct gp_sharing *out)
{
    *it = (struct gp_db_batch_item){
        .stmt = &stmt_load, .nparams = 2, .on_result = sharing_from, .cls = out};
    snprintf(it->text[0], sizeof it->text[0], "%lld", (long long)client_id);
    it->params[0] = cpr;
    it->params[1] = it->text[0];
}

enum gp_qs gp_sharing_load(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                           struct gp_sharing *out)
{
    struct gp_db_batch_item it;
    gp_sharing_load_item(&it, cpr, client_id, out);
    return gp_db_exec_batch(c, &it, 1);
}

const struct gp_policy_context *gp_sharing_context(struct gp_sharing *s)
{
    free(s->p_consents);
    free(s->p_blocks);
    free(s->p_overrides);
    s->p_consents = gp_xcalloc(s->n_consents ? s->n_consents : 1, sizeof *s->p_consents);
    s->p_blocks = gp_xcalloc(s->n_blocks ? s->n_blocks : 1, sizeof *s->p_blocks);
    s->p_overrides = gp_xcalloc(s->n_overrides ? s->n_overrides : 1, sizeof *s->p_overrides);
    for (size_t i = 0; i < s->n_consents; i++) {
        const struct gp_sharing_consent *x = &s->consents[i];
        struct gp_policy_consent *p = &s->p_consents[i];
        p->purpose = x->purpose;
        for (size_t k = 0; k < x->n_areas; k++)
            p->areas[k] = x->areas[k];
        p->n_areas = x->n_areas;
        for (size_t k = 0; k < x->n_departments; k++)
            p->departments[k] = x->departments[k];
        p->n_departments = x->n_departments;
        p->valid_from = x->valid_from;
        p->valid_until = x->valid_until;
        p->withdrawn = false; /* only consents in force were loaded */
    }
    for (size_t i = 0; i < s->n_blocks; i++) {
        const struct gp_sharing_block *x = &s->blocks[i];
        s->p_blocks[i] = (struct gp_policy_block){gp_policy_block_kind_parse(x->kind), x->value,
                                                  x->valid_from, x->valid_until, false};
    }
    for (size_t i = 0; i < s->n_overrides; i++)
        s->p_overrides[i] =
            (struct gp_policy_override){s->overrides[i].created_at, s->overrides[i].expires_at};
    s->ctx = (struct gp_policy_context){s->p_consents,  s->n_consents,  s->p_blocks, s->n_blocks,
                                        s->p_overrides, s->n_overrides, s->today,    s->now};
    return &s->ctx;
}
