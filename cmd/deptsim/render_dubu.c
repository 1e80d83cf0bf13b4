/* Family, DUBU-like: camelCase, the citizen as the parent of children's cases, dates as epoch
 * seconds of Danish local midnight (so a UTC reading of "opened" lands on the evening before —
 * the adapter must convert to Europe/Copenhagen), status words AKTIV/AFVENTER/LUKKET, and legal
 * paragraphs as written when the case was opened: Serviceloven before 1 January 2024 (and on
 * some old cases still open), Barnets Lov after. An unknown parent: 200 with no children. */
#include "cmd/deptsim/render.h"

#include "cmd/deptsim/dates.h"

#include <stdio.h>
#include <string.h>

static json_t *epoch_or_null(int day)
{
    if (day == DS_NO_DATE)
        return json_null();
    return json_integer((json_int_t)ds_dk_epoch(day, 0));
}

static const char *case_status(enum ds_status st)
{
    return st == DS_OPEN ? "AKTIV" : st == DS_PLANNED ? "AFVENTER" : "LUKKET";
}

static json_t *dubu_case(const struct ds_record *r, const struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_FAMILY, DS_CAT_CASE)->kinds[c->type];
    const struct ds_catalogue *dcat = ds_catalogue(DS_FAMILY, DS_ITEM_DOCUMENT);
    struct ds_worker w;
    ds_worker_get(r->seed, r->sys, c->worker, &w);
    int y, m, d;
    ds_civil_from_days(c->start, &y, &m, &d);
    char case_no[24];
    snprintf(case_no, sizeof case_no, "BF-%04d-%06llu", y, (unsigned long long)(c->id % 1000000));
    json_t *docs = json_array();
    for (size_t i = 0; i < c->nitems; i++) {
        const struct ds_item *it = &c->items[i];
        if (it->kind != DS_ITEM_DOCUMENT)
            continue;
        char doc_id[24];
        snprintf(doc_id, sizeof doc_id, "D%llu", (unsigned long long)(it->id % 10000000000ULL));
        json_array_append_new(docs, json_pack("{s:s, s:s, s:s, s:I}", "docId", doc_id, "title",
                                              dcat->kinds[it->type].label, "docType",
                                              dcat->kinds[it->type].code, "created",
                                              (json_int_t)ds_dk_epoch(it->start, it->secs)));
    }
    const char *para = ds_case_paragraph(DS_FAMILY, c);
    return json_pack("{s:s, s:o, s:s, s:s, s:s, s:o, s:o, s:{s:s, s:s, s:s, s:s}, s:o, s:I}",
                     "caseNo", case_no, "paragraph", para ? json_string(para) : json_null(),
                     "measure", ck->label, "measureCode", ck->code, "status",
                     case_status(c->status), "opened", epoch_or_null(c->start), "closed",
                     epoch_or_null(c->end), "caseworker", "name", w.name, "phone", w.phone_digits,
                     "mail", w.email, "team", w.unit, "documents", docs, "lastChanged",
                     (json_int_t)ds_dk_epoch(c->modified_day, c->modified_secs));
}

json_t *ds_render_dubu(const struct ds_record *r, const char *cpr10)
{
    json_t *children = json_array(), *own = json_array();
    for (size_t ci = 0; r && ci < r->nchildren; ci++) {
        json_t *cases = json_array();
        for (size_t i = 0; i < r->ncases; i++) {
            if (r->cases[i].child == (int)ci)
                json_array_append_new(cases, dubu_case(r, &r->cases[i]));
        }
        char birth[11];
        ds_fmt_date(r->children[ci].birth, birth);
        json_array_append_new(children,
                              json_pack("{s:s, s:s, s:s, s:o}", "childCpr", r->children[ci].cpr,
                                        "childName", r->children[ci].name, "birthDate", birth,
                                        "cases", cases));
    }
    for (size_t i = 0; r && i < r->ncases; i++) {
        if (r->cases[i].child < 0)
            json_array_append_new(own, dubu_case(r, &r->cases[i]));
    }
    json_t *last = json_null();
    if (r && r->ncases) {
        int day, secs;
        ds_record_modified(r, &day, &secs);
        json_decref(last);
        last = json_integer((json_int_t)ds_dk_epoch(day, secs));
    }
    return json_pack("{s:{s:s, s:o}, s:o, s:o, s:o}", "parent", "cpr", r ? r->cpr : cpr10, "name",
                     r ? json_string(r->name) : json_null(), "children", children, "parentCases",
                     own, "lastChanged", last);
}
