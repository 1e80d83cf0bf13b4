/* Runs any kind of sharing rule by its struct gp_rule_kind (lib/sharing/rule.h): the
 * statements of lib/sharing/rule_sql.h, one conversion from result rows to structs. */
#include "lib/sharing/rule.h"
#include "lib/sharing/rule_sql.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

enum gp_consent_rc gp_rule_failure(struct gp_db_conn *c, enum gp_qs qs)
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

void gp_rule_id_text(char buf[24], int64_t id)
{
    snprintf(buf, 24, "%lld", (long long)id);
}

int64_t gp_rule_id(const struct gp_rule_kind *k, const void *row)
{
    int64_t id;
    memcpy(&id, (const char *)row + k->id_at, sizeof id);
    return id;
}

const char *gp_rule_public_id(const struct gp_rule_kind *k, const void *row)
{
    return (const char *)row + k->public_id_at;
}

const char *gp_rule_cpr(const struct gp_rule_kind *k, const void *row)
{
    return (const char *)row + k->cpr_at;
}

bool gp_rule_caller_is_citizen(const struct gp_rule_caller *caller, const char *cpr)
{
    return caller->role == GP_ROLE_CITIZEN && caller->cpr && caller->cpr[0] && cpr &&
           !strcmp(caller->cpr, cpr);
}

bool gp_rule_public_id_valid(const char *s)
{
    if (!s || strlen(s) != GP_RULE_PUBLIC_ID_LEN)
        return false;
    for (size_t i = 0; i < GP_RULE_PUBLIC_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

/* ---- result rows to structs ---- */

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

/* Converts row `row` of r into out (zeroed first) by cols. */
static void from_row(const struct gp_rule_col *cols, size_t n_cols, size_t size, const PGresult *r,
                     int row, void *out)
{
    char *base = out;
    memset(out, 0, size);
    for (size_t i = 0; i < n_cols; i++) {
        const struct gp_rule_col *col = &cols[i];
        const char *v = PQgetvalue(r, row, (int)i);
        char *field = base + col->at;
        int64_t i64;
        int i32;
        bool b;
        size_t n;
        switch (col->type) {
        case GP_RULE_TEXT:
            snprintf(field, col->size, "%s", v);
            break;
        case GP_RULE_INT64:
            i64 = strtoll(v, NULL, 10);
            memcpy(field, &i64, sizeof i64);
            break;
        case GP_RULE_INT:
            i32 = (int)strtol(v, NULL, 10);
            memcpy(field, &i32, sizeof i32);
            break;
        case GP_RULE_BOOL:
            b = v[0] == 't';
            memcpy(field, &b, sizeof b);
            break;
        case GP_RULE_STRV:
            n = json_to_strv(v, field, col->size, col->max);
            memcpy(base + col->n_at, &n, sizeof n);
            break;
        }
    }
}

/* A history row: struct gp_consent_event, in the columns of GP_RULE_WITHDRAWABLE's history. */
static const struct gp_rule_col event_cols[] = {
    GP_RULE_COL_INT64(struct gp_consent_event, id),
    GP_RULE_COL_INT64(struct gp_consent_event, subject_id),
    GP_RULE_COL_TEXT(struct gp_consent_event, cpr),
    GP_RULE_COL_TEXT(struct gp_consent_event, event),
    GP_RULE_COL_TEXT(struct gp_consent_event, at),
    GP_RULE_COL_INT64(struct gp_consent_event, by),
    GP_RULE_COL_TEXT(struct gp_consent_event, reason),
};

/* What a statement's rows become: the kind's struct, or a history event. */
struct shape {
    const struct gp_rule_col *cols;
    size_t n_cols;
    size_t size;
};

static struct shape kind_shape(const struct gp_rule_kind *k)
{
    return (struct shape){k->sql->cols, k->sql->n_cols, k->size};
}

static const struct shape event_shape = {event_cols, sizeof event_cols / sizeof event_cols[0],
                                         sizeof(struct gp_consent_event)};

/* Runs stmt and converts every row into a new array (*items, free()), *n items. */
static enum gp_consent_rc fetch_all(struct gp_db_conn *c, const struct gp_stmt *stmt, int nparams,
                                    const char *const *p, struct shape sh, void **items, size_t *n)
{
    PGresult *r = NULL;
    *items = NULL;
    *n = 0;
    enum gp_qs qs = gp_db_exec(c, stmt, nparams, p, &r);
    if (qs < 0)
        return gp_rule_failure(c, qs);
    *n = (size_t)qs;
    char *a = gp_xcalloc(*n ? *n : 1, sh.size);
    for (size_t i = 0; i < *n; i++)
        from_row(sh.cols, sh.n_cols, sh.size, r, (int)i, a + i * sh.size);
    PQclear(r);
    *items = a;
    return GP_CONSENT_OK;
}

/* Runs stmt and converts its one row, if any, into out (may be NULL). */
static enum gp_consent_rc fetch_one(struct gp_db_conn *c, const struct gp_stmt *stmt, int nparams,
                                    const char *const *p, struct shape sh, void *out)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, stmt, nparams, p, &r);
    if (qs < 0)
        return gp_rule_failure(c, qs);
    if (qs >= GP_QS_ONE_RESULT && out)
        from_row(sh.cols, sh.n_cols, sh.size, r, 0, out);
    PQclear(r);
    return qs == GP_QS_NO_RESULTS ? GP_CONSENT_NOT_FOUND : GP_CONSENT_OK;
}

/* A statement the kind does not have is a bug of the caller's: no kind is asked for what its
 * routes do not offer. */
static bool has(const struct gp_rule_kind *k, const struct gp_stmt *stmt)
{
    if (stmt->name)
        return true;
    GP_LOG_BUG("%s: no such statement for this kind", k->name);
    return false;
}

/* ---- the operations ---- */

enum gp_consent_rc gp_rule_record(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                  const void *in, void *out)
{
    struct gp_rule_params p = {0};
    enum gp_consent_rc rc = k->sql->bind(in, &p);
    /* out may alias in: every parameter is read before conversion writes out. */
    if (rc == GP_CONSENT_OK)
        rc = fetch_one(c, &k->sql->insert, p.n, p.p, kind_shape(k), out);
    for (size_t i = 0; i < sizeof p.owned / sizeof p.owned[0]; i++)
        free(p.owned[i]);
    return rc == GP_CONSENT_NOT_FOUND ? GP_CONSENT_DB_ERROR : rc;
}

enum gp_consent_rc gp_rule_list(struct gp_db_conn *c, const struct gp_rule_kind *k, const char *cpr,
                                void **items, size_t *n)
{
    const char *p[1] = {cpr};
    return fetch_all(c, &k->sql->list, 1, p, kind_shape(k), items, n);
}

enum gp_consent_rc gp_rule_active(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                  const char *cpr, const char *on_date, void **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    if (!has(k, &k->sql->active))
        return GP_CONSENT_DB_ERROR;
    const char *p[2] = {cpr, on_date ? on_date : ""};
    return fetch_all(c, &k->sql->active, 2, p, kind_shape(k), items, n);
}

enum gp_consent_rc gp_rule_get(struct gp_db_conn *c, const struct gp_rule_kind *k, const char *cpr,
                               int64_t id, void *out, struct gp_consent_event_list *history)
{
    if (history) {
        history->n = 0;
        history->items = NULL;
    }
    if (!has(k, &k->sql->get))
        return GP_CONSENT_DB_ERROR;
    char idt[24];
    gp_rule_id_text(idt, id);
    const char *p[2] = {idt, cpr ? cpr : ""};
    enum gp_consent_rc rc = fetch_one(c, &k->sql->get, 2, p, kind_shape(k), out);
    if (rc != GP_CONSENT_OK || !history)
        return rc;
    const char *hp[2] = {gp_rule_cpr(k, out), idt};
    void *items = NULL;
    rc = fetch_all(c, &k->sql->history, 2, hp, event_shape, &items, &history->n);
    history->items = items;
    return rc;
}

enum gp_consent_rc gp_rule_find(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                const char *public_id, void *out)
{
    if (!has(k, &k->sql->find))
        return GP_CONSENT_DB_ERROR;
    if (!gp_rule_public_id_valid(public_id))
        return GP_CONSENT_NOT_FOUND;
    const char *p[1] = {public_id};
    return fetch_one(c, &k->sql->find, 1, p, kind_shape(k), out);
}

enum gp_consent_rc gp_rule_withdraw(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                    const char *cpr, int64_t id, int64_t by, const char *reason,
                                    void *out)
{
    if (!has(k, &k->sql->withdraw))
        return GP_CONSENT_DB_ERROR;
    char idt[24], byt[24];
    gp_rule_id_text(idt, id);
    gp_rule_id_text(byt, by);
    const char *p[4] = {idt, cpr ? cpr : "", byt, reason ? reason : ""};
    enum gp_consent_rc rc = fetch_one(c, &k->sql->withdraw, 4, p, kind_shape(k), out);
    if (rc != GP_CONSENT_NOT_FOUND)
        return rc;
    /* Nothing was withdrawable: tell why (no such row, or withdrawn already). */
    rc = fetch_one(c, &k->sql->get, 2, p, kind_shape(k), out);
    return rc == GP_CONSENT_OK ? GP_CONSENT_ALREADY_WITHDRAWN : rc;
}

void gp_consent_event_list_free(struct gp_consent_event_list *l)
{
    if (!l)
        return;
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

/* ---- JSON ---- */

const char *gp_consent_status(const char *valid_from, const char *valid_until,
                              const char *withdrawn_at, const char *today)
{
    if (withdrawn_at && withdrawn_at[0])
        return "withdrawn";
    if (strcmp(today, valid_from) < 0)
        return "pending";
    if (valid_until && valid_until[0] && strcmp(valid_until, today) < 0)
        return "expired";
    return "active";
}

json_t *gp_rule_history_json(const struct gp_consent_event_list *h)
{
    json_t *list = json_array();
    for (size_t i = 0; h && i < h->n; i++) {
        const struct gp_consent_event *e = &h->items[i];
        json_t *o =
            json_pack("{s:s, s:s, s:I}", "event", e->event, "at", e->at, "by", (json_int_t)e->by);
        json_object_set_new(o, "reason", e->reason[0] ? json_string(e->reason) : json_null());
        json_array_append_new(list, o);
    }
    return list;
}
