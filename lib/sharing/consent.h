/* The three kinds of sharing rule (lib/sharing/rule.h): consents, blocks (negative consent) and
 * break-glass overrides, each a struct, its descriptor (gp_rule_consent, gp_rule_block,
 * gp_rule_override) and typed shorthands for the generic functions; plus the per-citizen
 * consent revision that caches key on, and the look-ups that recording and the policy need.
 *
 * All functions run inside a transaction the caller opened with gp_db_tx; the caller also
 * appends the matching audit row (lib/sharing/audit.h, action "consent", "block" or
 * "override") in the same transaction. Results come back in plain structs with fixed-size
 * fields; lists are malloc'd and freed with their _free function. Dates are "YYYY-MM-DD",
 * timestamps ISO 8601 UTC, "" for none. */
#ifndef GP_CONSENT_H
#define GP_CONSENT_H

#include "lib/db/db.h"
#include "lib/sharing/rule.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_CONSENT_MAX_AREAS       8
#define GP_CONSENT_MAX_DEPARTMENTS 16

struct gp_consent {
    int64_t id;
    char public_id[GP_RULE_PUBLIC_ID_LEN + 1];
    char cpr[11];
    char purpose[40]; /* rehabilitation | coordinated_effort | target_group_identification |
                         own_case */
    char areas[GP_CONSENT_MAX_AREAS][32];
    size_t n_areas; /* >= 1 */
    char departments[GP_CONSENT_MAX_DEPARTMENTS][64];
    size_t n_departments; /* 0 = every department of the areas */
    char form[16];        /* written | oral | digital */
    char valid_from[11];
    char valid_until[11]; /* "" = open-ended */
    int64_t recorded_by;  /* api_client id */
    char evidence_ref[256];
    char note[512]; /* how an oral consent was given; "" for none */
    /* The consent opens another department's data to the department that recorded it
     * (consent_recorder_benefits, migration 0016): flagged for the data-protection officer. */
    bool recorder_benefits;
    char created_at[40];
    char withdrawn_at[40]; /* "" while not withdrawn */
    int64_t withdrawn_by;  /* 0 while not withdrawn */
    char withdraw_reason[256];
};

struct gp_consent_list {
    size_t n;
    struct gp_consent *items;
};
void gp_consent_list_free(struct gp_consent_list *l);

/* The descriptors of the three kinds. Who sees what a rule says and who may lift it:
 *  - a consent: everyone the routes admit (it opens data; it says nothing the citizen keeps
 *    from anyone).
 *  - a block: its scope, reason and history are seen by the department that recorded it,
 *    coordinators, auditors and the citizen; anyone else's list leaves it out and says only
 *    that something is withheld at the citizen's request. It is withdrawn only by the citizen,
 *    the department that recorded it, or a coordinator of a department it does not restrain
 *    (one whose data it covers).
 *  - an override: its reason code and note are seen by the opener's department, coordinators,
 *    auditors and the citizen; anyone else sees that the glass was broken, by whom and when. */
extern const struct gp_rule_kind gp_rule_consent;
extern const struct gp_rule_kind gp_rule_block;
extern const struct gp_rule_kind gp_rule_override;

/* Records the consent described by in (its id, created_at and withdrawal fields are ignored);
 * *out receives the stored consent. out may be in. */
enum gp_consent_rc gp_consent_record(struct gp_db_conn *c, const struct gp_consent *in,
                                     struct gp_consent *out);

/* Withdraws consent id, now. cpr may be NULL (look up by id alone); given, a consent of
 * another citizen is GP_CONSENT_NOT_FOUND. A consent already withdrawn is left as it was and
 * GP_CONSENT_ALREADY_WITHDRAWN returned, with it in *out (out may be NULL). reason may be
 * NULL. */
enum gp_consent_rc gp_consent_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id,
                                       int64_t by, const char *reason, struct gp_consent *out);

/* Consent id (of cpr, when cpr is not NULL) into *out (required), and its history oldest first
 * when history is not NULL (the caller frees it with gp_consent_event_list_free). */
enum gp_consent_rc gp_consent_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                  struct gp_consent *out, struct gp_consent_event_list *history);

/* All of cpr's consents, active and past, newest first. */
enum gp_consent_rc gp_consents_for(struct gp_db_conn *c, const char *cpr,
                                   struct gp_consent_list *out);

/* cpr's consents in force on on_date ("YYYY-MM-DD"; NULL/"" = today, server time): not
 * withdrawn, valid_from <= on_date, and valid_until NULL or >= on_date (both ends inclusive).
 * A withdrawal takes effect at once and for every date. Oldest first. */
enum gp_consent_rc gp_consents_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                      struct gp_consent_list *out);

struct gp_block {
    int64_t id;
    char public_id[GP_RULE_PUBLIC_ID_LEN + 1];
    char cpr[11];
    char scope_kind[16];  /* area | department | case_type */
    char scope_value[64]; /* an area code, department id or case-type code */
    char valid_from[11];
    char valid_until[11]; /* "" = open-ended */
    int64_t recorded_by;
    char recorded_by_department[64]; /* the recording client's department, "" for none */
    /* The departments whose data it covers, which it does not restrain
     * (block_protected_departments, migration 0016). */
    char protects[GP_CONSENT_MAX_DEPARTMENTS][64];
    size_t n_protects;
    char reason[256];
    char created_at[40];
    char withdrawn_at[40];
    int64_t withdrawn_by;
    char withdraw_reason[256];
};

struct gp_block_list {
    size_t n;
    struct gp_block *items;
};
void gp_block_list_free(struct gp_block_list *l);

/* As for consents; block history rows come from block_event. */
enum gp_consent_rc gp_block_record(struct gp_db_conn *c, const struct gp_block *in,
                                   struct gp_block *out);
enum gp_consent_rc gp_block_withdraw(struct gp_db_conn *c, const char *cpr, int64_t id, int64_t by,
                                     const char *reason, struct gp_block *out);
enum gp_consent_rc gp_block_get(struct gp_db_conn *c, const char *cpr, int64_t id,
                                struct gp_block *out, struct gp_consent_event_list *history);
enum gp_consent_rc gp_blocks_for(struct gp_db_conn *c, const char *cpr, struct gp_block_list *out);
enum gp_consent_rc gp_blocks_active(struct gp_db_conn *c, const char *cpr, const char *on_date,
                                    struct gp_block_list *out);

struct gp_override {
    int64_t id;
    char public_id[GP_RULE_PUBLIC_ID_LEN + 1];
    char cpr[11];
    int64_t client_id;
    char reason_code[24]; /* acute_risk | child_welfare | legal_obligation */
    char note[512];
    char created_at[40];
    char expires_at[40];
    char client_name[201]; /* the client who opened it, as it is named now */
    char client_role[24];
    char client_department[64]; /* "" for none */
    bool active;                /* in force now: created_at <= now < expires_at */
    int minutes;                /* expires_at - created_at, as it was opened */
};

struct gp_override_list {
    size_t n;
    struct gp_override *items;
};
void gp_override_list_free(struct gp_override_list *l);

/* Opens a break-glass override for client on cpr, expiring `minutes` (1..60) from now. A
 * reason code outside the set, a blank note or minutes out of range are GP_CONSENT_INVALID. */
enum gp_consent_rc gp_override_create(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      const char *reason_code, const char *note, int minutes,
                                      struct gp_override *out);

/* All of cpr's overrides, in force or expired, newest first. */
enum gp_consent_rc gp_overrides_for(struct gp_db_conn *c, const char *cpr,
                                    struct gp_override_list *out);

/* Whether code is a known scope code of kind ("area", "department" or "case_type"); when it
 * is, area receives the area it belongs to (the area itself; a department's or case type's
 * area; "" for the case type unclassified). For checking a consent's or block's scope before
 * recording it, so that every unknown code can be named. */
enum gp_consent_rc gp_scope_code_area(struct gp_db_conn *c, const char *kind, const char *code,
                                      char area[32], bool *known);

/* Whether client has an override on cpr in force now (created_at <= now < expires_at). */
enum gp_consent_rc gp_override_active(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                                      bool *active);

/* cpr's consent revision (0 when nothing was ever recorded). */
enum gp_consent_rc gp_consent_revision(struct gp_db_conn *c, const char *cpr, int64_t *revision);

#endif
