/* An indexed record as one caller may see it: the policy's projection (gp_policy_project,
 * lib/sharing/policy.h) applied to a record of the index. Every read route builds its answer
 * from views, never from a gp_indexed directly, so no route can show a field the visibility
 * does not allow. */
#ifndef GP_VIEW_H
#define GP_VIEW_H

#include "lib/federation/index.h"
#include "lib/sharing/policy.h"

#include <stdbool.h>
#include <stdint.h>

/* A record projected onto its visibility. Fields the projection does not show are "" (or 0
 * for id), never the record's value, so code that reads a view cannot leak them. The strings
 * point into the gp_indexed the view was made from (or to a static ""): the view lives no
 * longer than it. */
struct gp_view {
    enum gp_visibility vis; /* EXISTENCE, SUMMARY or FULL: the projected level */
    const char *area;
    /* GP_SHOW_SERVICE: summary and full */
    int64_t id;
    const char *department;
    const char *kind; /* summary: "case" or "activity" only */
    const char *case_type, *label_da, *label_en, *legal_basis;
    const char *status, *start, *end;
    const char *status_note; /* why status is not the source's word, "" when it is */
    /* GP_SHOW_CONTACT: summary and full */
    const char *caseworker_name, *caseworker_contact;
    /* GP_SHOW_DETAIL: full only */
    const char *data_type, *title, *document_date, *unit, *legal_basis_source;
    /* GP_SHOW_SOURCE: full only */
    const char *source_id, *source_ref, *parent_ref, *source_code, *fetched_at;
};

/* The view of x decided at vis. False for hidden (the record must be ignored entirely). A
 * summary record that is not a case or an activity comes back as an existence view. */
bool gp_view_of(const struct gp_indexed *x, enum gp_visibility vis, struct gp_view *v);

#endif
