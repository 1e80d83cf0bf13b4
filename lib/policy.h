/* Who sees what: the visibility of one record for one caller. A pure function over plain
 * structs, tested exhaustively as a table (tests/unit/test_policy.c). Every read of personal
 * data passes each record through gp_policy_decide before anything of it is put in an answer.
 *
 * Levels, from most to least: full; summary (area, case type, status, dates, contact — no
 * titles, no documents); existence (area only); hidden (nothing, not even a count). */
#ifndef GP_POLICY_H
#define GP_POLICY_H

#include "lib/role.h"

#include <stdbool.h>

enum gp_visibility {
    GP_VIS_HIDDEN = 0,
    GP_VIS_EXISTENCE = 1,
    GP_VIS_SUMMARY = 2,
    GP_VIS_FULL = 3,
};

/* "hidden", "existence", "summary", "full". */
const char *gp_visibility_name(enum gp_visibility v);

struct gp_policy_caller {
    enum gp_role role;
    const char *department; /* "" or NULL when the role has none */
    const char *purpose;    /* a gp_purpose code, or NULL */
};

struct gp_policy_record {
    const char *department;
    const char *area;
    const char *case_type;
    bool cross_department; /* false: never shown outside its own department */
    const char *status;    /* open, closed, planned */
};

enum gp_visibility gp_policy_decide(const struct gp_policy_caller *caller,
                                    const struct gp_policy_record *rec);

#endif
