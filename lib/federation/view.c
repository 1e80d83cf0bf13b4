/* Indexed records as a caller may see them: lib/federation/view.h. */
#include "lib/federation/view.h"

bool gp_view_of(const struct gp_indexed *x, enum gp_visibility vis, struct gp_view *v)
{
    static const char none[] = "";
    const struct gp_record *r = &x->rec;
    struct gp_projection pj = gp_policy_project(vis, r->kind);
    if (pj.level == GP_VIS_HIDDEN)
        return false;
    *v = (struct gp_view){.vis = pj.level, .area = none};
    v->department = v->kind = v->case_type = v->label_da = v->label_en = v->legal_basis = none;
    v->status = v->start = v->end = v->caseworker_name = v->caseworker_contact = none;
    v->status_note = none;
    v->data_type = v->title = v->document_date = v->unit = v->legal_basis_source = none;
    v->source_id = v->source_ref = v->parent_ref = v->source_code = v->fetched_at = none;
    if (pj.fields & GP_SHOW_AREA)
        v->area = x->area;
    if (pj.fields & GP_SHOW_SERVICE) {
        v->id = x->id;
        v->department = x->department;
        v->kind = r->kind;
        v->case_type = x->case_type;
        v->label_da = x->case_label_da;
        v->label_en = x->case_label_en;
        v->legal_basis = x->legal_basis;
        v->status = r->status;
        v->status_note = r->status_note;
        v->start = r->start_date;
        v->end = r->end_date;
    }
    if (pj.fields & GP_SHOW_CONTACT) {
        v->caseworker_name = r->caseworker_name;
        v->caseworker_contact = r->caseworker_contact;
    }
    if (pj.fields & GP_SHOW_DETAIL) {
        v->data_type = r->data_type;
        v->title = r->title;
        v->document_date = r->document_date;
        v->unit = r->unit;
        v->legal_basis_source = r->legal_basis_raw;
    }
    if (pj.fields & GP_SHOW_SOURCE) {
        v->source_id = x->source_id;
        v->source_ref = r->source_ref;
        v->parent_ref = r->parent_ref;
        v->source_code = r->source_code;
        v->fetched_at = x->fetched_at;
    }
    return true;
}
