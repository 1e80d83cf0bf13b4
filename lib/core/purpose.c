#include "lib/core/purpose.h"

#include <string.h>

const struct gp_purpose gp_purposes[] = {
    {"rehabilitation",
     "Lov om aktiv beskæftigelsesindsats kap. 12 and Retssikkerhedsloven § 11 a (citizen's "
     "consent), preparing the rehabilitation team's case"},
    {"coordinated_effort",
     "Lov om en koordineret indsats (coordinated cross-department effort), with the citizen's "
     "consent"},
    {"target_group_identification",
     "Identification of citizens who may need a coordinated effort (sharing limited to ongoing "
     "services, legal basis and caseworker contact)"},
    {"own_case", "Processing within the caller's own department's case (the department's own "
                 "legal basis)"},
    {NULL, NULL},
};

const char *const gp_purpose_codes[] = {"rehabilitation", "coordinated_effort",
                                        "target_group_identification", "own_case", NULL};

const struct gp_purpose *gp_purpose_find(const char *code)
{
    for (const struct gp_purpose *p = gp_purposes; code && p->code; p++) {
        if (!strcmp(p->code, code))
            return p;
    }
    return NULL;
}

int gp_purpose_index(const char *code)
{
    const struct gp_purpose *p = gp_purpose_find(code);
    return p ? (int)(p - gp_purposes) : -1;
}
