/* A citizen's sharing rules: consents, blocks (negative consent) and break-glass overrides
 * (migration 0005). The three are one thing three times over: a row recorded for a citizen,
 * listed for them newest first, read one at a time with its history and withdrawn once (the
 * kinds that can be), with an audit row for every change. What differs is described once per
 * kind by a struct gp_rule_kind (lib/sharing/consent.h defines the three), and the functions
 * here run any of them; api/rule_routes.c serves any of them over HTTP the same way.
 *
 * All functions run inside a transaction the caller opened with gp_db_tx; the caller also
 * appends the matching audit row (lib/sharing/audit.h) in the same transaction. The database
 * keeps the history itself: recording or withdrawing a consent or block writes its event row
 * and bumps consent_revision by trigger, so nothing here can forget to.
 *
 * Rows come back in the kind's plain struct (fixed-size fields); lists are malloc'd arrays of
 * them that the caller free()s. Dates are "YYYY-MM-DD", timestamps ISO 8601 UTC, "" for none.
 *
 * Every row has two ids: id, the database's sequential key (history, foreign keys), and
 * public_id, a random UUID (migration 0016), the only one shown: in answers, URLs, Location
 * headers and audit details, so that one id tells nothing of another. A row is found by its
 * public id with gp_rule_find.
 *
 * The rules have owners (DESIGN "Who sees what"): a kind may say who sees what a row says
 * (may_see) and who may withdraw it (may_withdraw); both are pure functions of the caller and
 * the row. */
#ifndef GP_RULE_H
#define GP_RULE_H

#include "lib/core/role.h"
#include "lib/db/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The status of every call (named for consents, the first kind; it serves all three). */
enum gp_consent_rc {
    GP_CONSENT_OK = 0,
    GP_CONSENT_NOT_FOUND,         /* no such id (or not that citizen's) */
    GP_CONSENT_ALREADY_WITHDRAWN, /* withdrawing twice: nothing changed, *out is the first */
    GP_CONSENT_INVALID,           /* a value the schema rejects (CHECK, bad date, ...) */
    GP_CONSENT_UNKNOWN_CODE,      /* an unknown area, department, case type or client */
    GP_CONSENT_SOFT_ERROR,        /* serialization failure/deadlock: return GP_QS_SOFT_ERROR */
    GP_CONSENT_DB_ERROR,
};
/* After INVALID, UNKNOWN_CODE, SOFT_ERROR or DB_ERROR the transaction is (usually) aborted:
 * the callback must end it by returning gp_consent_rc_qs(rc) (a soft error is then retried). */

/* The gp_qs a gp_db_tx callback returns for rc. */
enum gp_qs gp_consent_rc_qs(enum gp_consent_rc rc);

/* One row of a consent's or block's history. */
struct gp_consent_event {
    int64_t id;
    int64_t subject_id; /* the consent's or block's id */
    char cpr[11];
    char event[16]; /* recorded | withdrawn */
    char at[40];
    int64_t by; /* api_client id */
    char reason[256];
};

struct gp_consent_event_list {
    size_t n;
    struct gp_consent_event *items;
};
void gp_consent_event_list_free(struct gp_consent_event_list *l);

/* Who reads or changes a rule, as its owners' checks see the caller. */
struct gp_rule_caller {
    enum gp_role role;
    const char *department; /* "" for none */
    const char *cpr;        /* the citizen role's own CPR; "" for every other role */
};

/* A public id: a UUID as text, 36 characters. */
#define GP_RULE_PUBLIC_ID_LEN 36

/* Whether s is a UUID as text (8-4-4-4-12 hexadecimal digits): what gp_rule_find accepts. */
bool gp_rule_public_id_valid(const char *s);

/* The statements of a kind and how its rows are read and written: lib/sharing's own
 * (lib/sharing/rule_sql.h), so that nothing above lib/ sees SQL or libpq. */
struct gp_rule_sql;

/* One kind of sharing rule. Everything about a kind that is not its body's validation. */
struct gp_rule_kind {
    const char *name;    /* "consent": in messages ("no consent with id 3"), transaction names
                            ("consent_get") and the audit details' "<name>_id" */
    const char *plural;  /* "consents": the member of a list answer, {"cpr", "<plural>": [...]} */
    size_t size;         /* of one row's struct (struct gp_consent, ...) */
    size_t id_at;        /* offsetof its int64_t id */
    size_t public_id_at; /* offsetof its char public_id[GP_RULE_PUBLIC_ID_LEN + 1] */
    size_t cpr_at;       /* offsetof its char cpr[11] */

    /* The audit row of a change: action audit_action ("consent", "block", "override"), details
     * {"op": op_record | op_withdraw, "<name>_id": id, ...}. A kind without op_withdraw is
     * never withdrawn (an override expires) and has no history to read one at a time. */
    const char *audit_action;
    const char *op_record;   /* "record" or "open" */
    const char *op_withdraw; /* "withdraw", or NULL */
    bool override_used;      /* a change is itself a break-glass override */
    /* The purpose a change is audited under when it is the row's own (a consent's); NULL: the
     * caller's. */
    const char *(*audit_purpose)(const void *row);
    /* Adds the kind's own members to a recording's details, after op and "<name>_id". NULL:
     * nothing more. */
    void (*record_details)(const void *row, json_t *details);

    /* "/v1/consents/": a recorded row's Location is this followed by its id; NULL: no Location
     * (api/routes.c has no route for one override). */
    const char *location_prefix;
    /* The row as api/openapi.yaml shows it; today ("YYYY-MM-DD") decides a status. */
    json_t *(*to_json)(const void *row, const char *today);

    /* Who sees what a row says. NULL: everyone the routes admit. Otherwise, for a caller it
     * says no to: to_json_withheld shows the row without what it says (and says so), or, where
     * it is NULL, the row is left out of lists — the list then says only whether any such row
     * is in force ("withheld") — and a read by id is 403 naming see_rule. */
    bool (*may_see)(const struct gp_rule_caller *caller, const void *row);
    json_t *(*to_json_withheld)(const void *row, const char *today);
    const char *see_rule; /* "block_content": the rule's name in a 403, and its sentence: */
    const char *see_rule_text;
    /* Who may withdraw a row. NULL: everyone the withdrawal route admits. Asked in the
     * withdrawal's transaction after reading the row and before withdrawing it; a no is a 403
     * naming withdraw_rule, nothing changes, and the refused attempt is audited. */
    bool (*may_withdraw)(const struct gp_rule_caller *caller, const void *row);
    const char *withdraw_rule; /* "block_withdrawal" */
    const char *withdraw_rule_text;

    const struct gp_rule_sql *sql;
};

/* A row's id, public id and citizen. */
int64_t gp_rule_id(const struct gp_rule_kind *k, const void *row);
const char *gp_rule_public_id(const struct gp_rule_kind *k, const void *row);
const char *gp_rule_cpr(const struct gp_rule_kind *k, const void *row);

/* Whether caller is the citizen cpr themselves (role citizen, bound to that CPR). Pure. */
bool gp_rule_caller_is_citizen(const struct gp_rule_caller *caller, const char *cpr);

/* The row of kind k whose public id is public_id (any citizen's) into *out (required):
 * GP_CONSENT_NOT_FOUND when none, or when public_id is not a UUID (no statement runs then). */
enum gp_consent_rc gp_rule_find(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                const char *public_id, void *out);

/* Records the row described by in (a struct of kind k; its id, timestamps and withdrawal
 * fields are ignored); *out (may be NULL, may be in) receives the stored row. */
enum gp_consent_rc gp_rule_record(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                  const void *in, void *out);

/* All of cpr's rows of kind k, newest first: *items (k->size each, free()) and *n. */
enum gp_consent_rc gp_rule_list(struct gp_db_conn *c, const struct gp_rule_kind *k, const char *cpr,
                                void **items, size_t *n);

/* cpr's rows of kind k (consents, blocks) in force on on_date ("YYYY-MM-DD"; NULL/"" = today,
 * server time): not withdrawn, valid_from <= on_date, and valid_until NULL or >= on_date (both
 * ends inclusive). A withdrawal takes effect at once and for every date. Oldest first. */
enum gp_consent_rc gp_rule_active(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                  const char *cpr, const char *on_date, void **items, size_t *n);

/* Row id of kind k (of cpr, when cpr is not NULL) into *out (required), and its history
 * oldest first when history is not NULL (free it with gp_consent_event_list_free). */
enum gp_consent_rc gp_rule_get(struct gp_db_conn *c, const struct gp_rule_kind *k, const char *cpr,
                               int64_t id, void *out, struct gp_consent_event_list *history);

/* Withdraws row id of kind k, now, by client `by` (reason may be NULL). cpr may be NULL (look
 * up by id alone); given, a row of another citizen is GP_CONSENT_NOT_FOUND. A row already
 * withdrawn is left as it was and GP_CONSENT_ALREADY_WITHDRAWN returned, with it in *out (out
 * may be NULL). */
enum gp_consent_rc gp_rule_withdraw(struct gp_db_conn *c, const struct gp_rule_kind *k,
                                    const char *cpr, int64_t id, int64_t by, const char *reason,
                                    void *out);

/* "withdrawn" when withdrawn_at is set; else "pending" before valid_from, "expired" after
 * valid_until, "active" in between (dates "YYYY-MM-DD", inclusive; valid_until "" = open). */
const char *gp_consent_status(const char *valid_from, const char *valid_until,
                              const char *withdrawn_at, const char *today);

/* A history as JSON: [{event, at, by, reason}], oldest first. */
json_t *gp_rule_history_json(const struct gp_consent_event_list *h);

#endif
