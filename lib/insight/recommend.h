/* Recommendations: what a caseworker should do next for one citizen, as explainable rules over
 * what the caller may see. Pure: plain structs in, plain structs out, no I/O; tested as tables
 * in tests/unit/test_recommend.c.
 *
 * Each recommendation names its rule (code, and trigger: which condition fired), a title in
 * Danish and English, a reason built from the evidence, the evidence (record ids), an area,
 * and a priority.
 *
 * A recommendation never reveals what the caller may not see. Every record reaches the rules
 * only through gp_view_of (lib/timeline.h) at the visibility the policy gave it, so:
 * - hidden records are ignored as if they were not passed;
 * - an existence-only record contributes its area and nothing else: it may make "invite the
 *   family department" or "ask for consent for area X" fire, but its id, title, case type,
 *   department, status and dates never reach evidence or reason;
 * - a summary record contributes what summary shows (case type, department, status, dates,
 *   caseworker), never a title, data type or document (documents need full visibility);
 * - reasons name records by title only when they are seen in full, otherwise by case type.
 * Reasons never carry counts of records the caller cannot see individually.
 *
 * The rules (code / trigger, priority):
 *
 * coordinated_effort_candidate — open efforts (cases and activities with status open) in at
 *   least min_areas areas (default 2) / "areas", or with at least min_caseworkers distinct
 *   caseworkers (default 3, by name) / "caseworkers"; both: "areas_and_caseworkers", high;
 *   one: medium. Evidence: the open efforts.
 *
 * gather_before_rehabilitation_meeting — only in a rehabilitation context: the stated purpose
 *   is rehabilitation, or a visible ressourceforløb, jobafklaringsforløb or sundhedskoordinator
 *   course is open or planned, or a rehabiliteringsplan is seen in full.
 *   / rehabilitation_plan (medium): municipal health holds a genoptrænings- or rehabilitation
 *     plan (data type plan in health_municipal, seen in full, of another department than the
 *     caller's): bring it to the meeting (the analyses' PTSD example).
 *   / lae265_outdated (high): the newest LÆ 265 seen in full is older than lae265_max_months
 *     (default 3) calendar months: request a new one. Exactly that old is not older.
 *   / lae265_missing (medium): no LÆ 265 among what the caller sees in full.
 *   / consent_missing (medium): an area holds records the caller does not see in full and the
 *     caller's purpose has no consent for it: ask the citizen for consent (one per area; no
 *     evidence from existence-only records).
 *
 * invite_department
 *   / family_case (high): the family area holds something — any existence-only record, or an
 *     open or planned case or activity seen at summary or full — and the caller is not in the
 *     family area: invite the family department.
 *   / open_effort (medium): per other department (not the caller's, not family) with an open
 *     case or activity seen at summary or full: invite it.
 *
 * colliding_efforts
 *   / starts_during_residential (high): an open or planned case or activity of another
 *     department starts on or after the start and on or before the end of a residential effort
 *     (anbringelse by case type; døgnbehandling or an admission — "døgn" or "indlæggelse" in
 *     the title or source code — only when seen in full, since misbrugsbehandling covers both
 *     ambulant and residential treatment and summary shows no title). Benefits paid as
 *     activities (kontanthjælp, sygedagpenge, ressourceforløbsydelse ...) are not new efforts.
 *     One per residential effort; evidence: it and the efforts starting during it.
 *   / overlapping_activities (medium): open or planned activities (not benefits) of different
 *     departments whose periods overlap by at least one day. One for all such pairs.
 *
 * source_stale_or_failing — per source: / failing (medium) the source did not answer and has
 *   no earlier answer to fall back on, / stale (low) the data shown is from an earlier answer,
 *   or is older than source_max_age_s (default one day). Evidence: the records of that source
 *   the caller sees in full.
 *
 * Reasons name areas and departments by the labels in the input (the database's), never by
 * names of their own.
 *
 * Order: priority (high first), then the rule order above, trigger, area, department, source,
 * first evidence id: the same input always gives the same list. */
#ifndef GP_RECOMMEND_H
#define GP_RECOMMEND_H

#include "lib/federation/index.h"
#include "lib/insight/labels.h"
#include "lib/sharing/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Thresholds (configuration). A count or month threshold of 0 switches its trigger off. */
struct gp_rec_thresholds {
    int coordinated_min_areas;       /* 2 */
    int coordinated_min_caseworkers; /* 3 */
    int lae265_max_months;           /* 3 */
    double source_max_age_s;         /* 86400; 0: only the source's own state counts */
};

/* The defaults above. */
struct gp_rec_thresholds gp_rec_thresholds_default(void);

enum gp_rec_source_state {
    GP_REC_SOURCE_OK = 0,  /* answered for this citizen */
    GP_REC_SOURCE_STALE,   /* did not answer now; the index has an earlier answer */
    GP_REC_SOURCE_FAILING, /* did not answer, and there is no earlier answer */
};

struct gp_rec_source {
    const char *id;
    const char *department;
    const char *area;
    enum gp_rec_source_state state;
    double age_s; /* seconds since its last successful answer; < 0 never */
    bool asked;   /* asked in this request (else the answer came from the index alone) */
};

struct gp_rec_input {
    /* The citizen's live records and each one's visibility for the caller. Hidden records need
     * not be passed; passed, they are ignored. */
    const struct gp_indexed *records;
    const enum gp_visibility *visibility;
    size_t n;
    /* Areas for which the caller's purpose has an active consent. */
    const char *const *consent_areas;
    size_t n_consent_areas;
    const struct gp_rec_source *sources;
    size_t n_sources;
    const char *caller_department;              /* "" or NULL: none */
    const char *caller_area;                    /* the caller department's area; "" or NULL: none */
    const char *purpose;                        /* a gp_purpose code or NULL */
    const char *today;                          /* YYYY-MM-DD, required */
    const struct gp_rec_thresholds *thresholds; /* NULL: the defaults */
    /* The names of areas and departments that reasons use, as the database holds them
     * (gp_labels_load); borrowed. NULL, or a code it does not know: named by its code. */
    const struct gp_labels *labels;
};

enum gp_rec_priority {
    GP_REC_HIGH = 1,
    GP_REC_MEDIUM = 2,
    GP_REC_LOW = 3,
};

/* "high", "medium", "low". */
const char *gp_rec_priority_name(enum gp_rec_priority p);

struct gp_recommendation {
    const char *code;     /* static, one of the rule codes above */
    const char *trigger;  /* static */
    const char *title_da; /* static */
    const char *title_en; /* static */
    char *reason_da;      /* malloc'd */
    char *reason_en;      /* malloc'd */
    int64_t *evidence;    /* malloc'd record ids, ascending and distinct; NULL when none */
    size_t n_evidence;
    char area[32];       /* "" when it concerns no single area */
    char department[64]; /* "" when no single department is known to the caller */
    char source_id[64];  /* source_stale_or_failing only */
    enum gp_rec_priority priority;
};

struct gp_recommendation_list {
    size_t n;
    struct gp_recommendation *items;
};
void gp_recommendation_list_free(struct gp_recommendation_list *l);

enum gp_rec_rc {
    GP_REC_OK = 0,
    GP_REC_BAD_TODAY,      /* today is not a real date */
    GP_REC_BAD_THRESHOLDS, /* a negative threshold */
};

/* Runs every rule over in into *out (the caller frees it with gp_recommendation_list_free;
 * empty on an error). */
enum gp_rec_rc gp_recommend(const struct gp_rec_input *in, struct gp_recommendation_list *out);

#endif
