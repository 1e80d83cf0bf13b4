/* The CPR list: the data-driven search for citizens who may need a coordinated,
 * cross-department effort (domain seeds 002 and 003), behind POST /v1/target-group/searches.
 *
 * One set-based SQL statement over the shared index walks citizens in CPR order from a keyset
 * cursor (their summary of areas and departments, migration 0020, which skips whoever cannot
 * qualify), counts per citizen the areas and departments of the records that qualify, keeps the
 * citizens that meet the criteria and stops when a page is full. For each candidate it answers
 * why (the areas and departments that qualified them) and only what may be shared without
 * consent: the ongoing services' case type and legal basis, with the caseworker's name and
 * contact (seed 002; lib/policy.h rule 7). Nothing else of a record ever leaves the database:
 * no titles, dates, units, documents, counts or past services.
 *
 * A record qualifies — counts towards the thresholds and, when open, is listed — when all of:
 *  - it is live (removed_at is NULL) and a service: a case, an activity or an encounter, not a
 *    document (documents are never shared without consent);
 *  - its case type may appear across departments at all (case_type.cross_department): the
 *    excluded benefit types (boligsikring, friplads, hjælpemidler ...) never count and never
 *    show, whatever the criteria. 'unclassified' counts, as the taxonomy decides
 *    (cross_department true, so an unknown code is never silently dropped);
 *  - its case type is not among the criteria's exclusions, and its area among the criteria's
 *    areas when they name any;
 *  - its status is open, when ongoing_only (the default: seed 002 searches current services);
 *  - no block of the citizen in force on `today` covers it — by area, department or case type
 *    (lib/policy.h rule 5: a block wins over the target-group summary). A blocked record is
 *    hidden: it neither counts nor shows, so a candidate's presence never reveals it. An
 *    analyst has no break-glass override: overrides are per caseworker and citizen.
 *
 * A citizen is a candidate when the qualifying records span at least min_areas areas and
 * min_departments departments, contain every area of at least one required combination (when
 * any are given), and the age from the CPR's birth date on `today` is within the range.
 *
 * Functions taking a connection run inside a transaction the caller opened with gp_db_tx; the
 * caller appends the search's audit row in the same transaction. The rest is pure. */
#ifndef GP_TARGET_GROUP_H
#define GP_TARGET_GROUP_H

#include "lib/db/db.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Limits of one search. They keep a search's audit row (criteria and every CPR of the page)
 * within struct gp_audit_entry.details: see GP_TG_DETAILS_WORST in target_group.c. */
#define GP_TG_MAX_AREAS       8  /* areas named in the criteria */
#define GP_TG_AREA_LEN        24 /* an area code, NUL included */
#define GP_TG_MAX_COMBOS      4
#define GP_TG_MAX_COMBO_AREAS 4
#define GP_TG_MAX_EXCLUDE     10
#define GP_TG_TYPE_LEN        32 /* a case-type code, NUL included */
#define GP_TG_MAX_HELD        32 /* areas, and departments, a candidate can qualify in */
#define GP_TG_DEPT_LEN        64
#define GP_TG_MAX_AGE         150
#define GP_TG_MAX_THRESHOLD   32 /* min_areas, min_departments */
#define GP_TG_DEFAULT_LIMIT   25
#define GP_TG_MAX_LIMIT       50
#define GP_TG_CURSOR_LEN      32 /* "tg1.<cpr>.<8 hex>" with its NUL */

/* Every area of a combination must be present. */
struct gp_tg_combo {
    char areas[GP_TG_MAX_COMBO_AREAS][GP_TG_AREA_LEN];
    size_t n;
};

struct gp_tg_criteria {
    char areas[GP_TG_MAX_AREAS][GP_TG_AREA_LEN];
    size_t n_areas; /* 0: every area counts */
    int min_areas;  /* 1..GP_TG_MAX_THRESHOLD */
    int min_departments;
    struct gp_tg_combo combos[GP_TG_MAX_COMBOS];
    size_t n_combos; /* 0: no combination required; else at least one must be met */
    int age_min;     /* whole years on `today`, inclusive; -1: no bound */
    int age_max;
    char exclude[GP_TG_MAX_EXCLUDE][GP_TG_TYPE_LEN]; /* case-type codes that do not count */
    size_t n_exclude;
    bool ongoing_only; /* only open records count (the default) */
    char today[11];    /* "YYYY-MM-DD": the day ages and blocks are judged on */
    char after[11];    /* keyset cursor: candidates with a greater CPR; "" from the start */
    int limit;         /* 1..GP_TG_MAX_LIMIT */
};

/* The defaults: every area, min_areas 2, min_departments 1, no combination, no age bounds,
 * no exclusions, ongoing only, from the start, GP_TG_DEFAULT_LIMIT; today is the UTC date. */
void gp_tg_criteria_init(struct gp_tg_criteria *c);

/* One thing wrong with a search's criteria: the body member (JSON-path-like, e.g.
 * "required_combinations[1][0]") and why. */
struct gp_tg_problem {
    char field[72];
    char reason[160];
};

#define GP_TG_MAX_PROBLEMS 32

struct gp_tg_problems {
    size_t n;
    struct gp_tg_problem items[GP_TG_MAX_PROBLEMS]; /* further problems are dropped */
};

/* Adds a problem (formatted reason); ignored once GP_TG_MAX_PROBLEMS are held. */
void gp_tg_problem_add(struct gp_tg_problems *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Checks what can be checked without the database, naming fields by their position in c as
 * given (call before gp_tg_criteria_normalise): an area code that cannot be one, duplicates,
 * min_areas above the number of areas named, a combination area that is not among the areas
 * named, age_min above age_max, and the one rule that makes a search a CPR list at all — it
 * must require two areas or two departments (min_areas >= 2, min_departments >= 2, or a
 * combination of two or more areas): a search for everyone with one service would list the
 * whole index. Returns the number of problems added to *out. */
size_t gp_tg_criteria_check(const struct gp_tg_criteria *c, struct gp_tg_problems *out);

/* Sorts areas, each combination's areas, the combinations and the exclusions, so equal
 * criteria have one form (for the cursor, the audit row and the answer). */
void gp_tg_criteria_normalise(struct gp_tg_criteria *c);

/* Names every area (in areas or a combination) and case type (in exclude) the database does
 * not know, as problems naming fields by position in c. Returns a gp_qs status; problems are
 * in *out (out->n == 0: all known). */
enum gp_qs gp_tg_check_codes(struct gp_db_conn *conn, const struct gp_tg_criteria *c,
                             struct gp_tg_problems *out);

/* The criteria as JSON (areas, min_areas, min_departments, required_combinations, age_min,
 * age_max, exclude_case_types, ongoing_only; null for an absent bound), as the answer echoes
 * them and the audit row records them. Without today, after and limit. New reference. */
json_t *gp_tg_criteria_json(const struct gp_tg_criteria *c);

/* The cursor that continues after cpr for these criteria: "tg1.<cpr>.<fingerprint>", the
 * fingerprint being the first 8 hex digits of the SHA-256 of the normalised criteria JSON, so
 * a cursor cannot continue a different search. buf holds GP_TG_CURSOR_LEN bytes. The cursor
 * carries a CPR: treat it as personal data, as the answer it came with. */
void gp_tg_cursor_make(const struct gp_tg_criteria *c, const char *cpr, char buf[GP_TG_CURSOR_LEN]);
/* Sets c->after from a cursor of gp_tg_cursor_make for the same (normalised) criteria; false
 * when s is not one (malformed, or made for other criteria). */
bool gp_tg_cursor_apply(struct gp_tg_criteria *c, const char *s);

/* One ongoing service of a candidate: what may be shared without consent. Strings are ""
 * when the source gave none. */
struct gp_tg_service {
    char area[GP_TG_AREA_LEN];
    char department[GP_TG_DEPT_LEN];
    char case_type[64];
    char label_da[128];
    char label_en[128];
    char legal_basis[128];
    char caseworker_name[128];
    char caseworker_contact[128];
};

struct gp_tg_candidate {
    char cpr[11];
    char birth_date[11];                        /* from the CPR; "" when it names no real date */
    int age;                                    /* on criteria.today; -1 when unknown */
    char areas[GP_TG_MAX_HELD][GP_TG_AREA_LEN]; /* the areas that qualified, sorted */
    size_t n_areas;
    char departments[GP_TG_MAX_HELD][GP_TG_DEPT_LEN]; /* the departments, sorted */
    size_t n_departments;
    unsigned combos_met;            /* bit i: criteria.combos[i] is fully present */
    struct gp_tg_service *services; /* distinct ongoing services, sorted; malloc'd */
    size_t n_services;
};

struct gp_tg_page {
    struct gp_tg_candidate *items; /* in CPR order */
    size_t n;
    bool more; /* another page follows: continue after items[n-1].cpr */
};

/* Accepts NULL; frees and empties the page. */
void gp_tg_page_free(struct gp_tg_page *p);

/* One page of candidates for c (normalised, known codes) into *out (freed by the caller with
 * gp_tg_page_free). Returns the number of candidates or an error status. Turns JIT off and
 * asks for custom plans for the rest of the transaction (set_config(..., true), as SET
 * LOCAL): run it in the caller's transaction, as the handler does, or the settings lapse with
 * their own statement. */
enum gp_qs gp_tg_search(struct gp_db_conn *conn, const struct gp_tg_criteria *c,
                        struct gp_tg_page *out);

/* The details of the search's audit row — {"search": "target_group", "criteria", "as_of",
 * "after", "limit", "returned": [every CPR on the page], "more"} — as compact JSON into buf.
 * False (and a BUG logged) only if it does not fit, which the limits above rule out. */
bool gp_tg_audit_details(const struct gp_tg_criteria *c, const struct gp_tg_page *p, char *buf,
                         size_t len);

#endif
