/* Job centre, KMD Momentum-like JSON (Danish snake_case).
 *
 *   lookup  GET <base>/momentum/api/v2/borgere/<cpr>/forloeb
 *           {"borger": {"cpr_nummer", ...}, "forloeb": [...], "opdateret"}
 *           An unknown citizen is 404 {"fejlkode": "BORGER_IKKE_FUNDET", "besked": ...}; that
 *           body parses as zero records, should lib/federate ever hand a 404 over.
 *   export  GET <base>/momentum/api/v2/eksport?cursor=<c>&limit=<n>   (limit 1-1000)
 *           {"borgere": [<lookup bodies>], "antal", "naeste_cursor": "..." | null}
 *
 * One forløb gives one case and a record per ydelse, aktivitet and dokument in it:
 *
 *   native            kind      data_type            source_code / legal_basis_raw
 *   forloeb           case      case_summary         forloebstype / lovgrundlag
 *   ydelser[]         activity  grant                ydelse_kode / -   (the benefit type is
 *                                                    its own classification: BEF, EKY ...)
 *   aktiviteter[]     activity  grant; registration  aktivitetstype / lovgrundlag, or the
 *                               for *samtale types   forløb's when it names no lovgrundlag
 *   dokumenter[]      document  by dokumenttype      the forløb's (a document is part of
 *                               (gp_ad_document_type: its case, classified as the case)
 *                               LÆ 265 certificate,
 *                               indstilling recommendation, journalnotat journal_note,
 *                               min_plan/rehabiliteringsplan plan, afgoerelse decision)
 *
 * Status words (folded):
 *   aktiv, igang                                  open
 *   planlagt, afventer                            planned
 *   afsluttet, afbrudt, ophoert, annulleret,
 *   lukket                                        closed
 *   anything else, and ydelser (no status)        from the dates (gp_ad_status_from_dates)
 *   documents                                     from the dates: closed once written
 *
 * Ydelser have no id of their own: their source_ref is "<forloeb_id>/ydelse/<kode>/<fra>".
 * Dates are plain "YYYY-MM-DD"; sidst_aendret is Danish local time without an offset, which
 * gets the Danish offset appended for source_updated. Activities and documents carry the
 * forløb's unit and caseworker (Momentum names one caseworker per forløb). */
#include "adapters/adapter_internal.h"

#include <stdio.h>
#include <string.h>

/* The test hook of adapter_internal.h; defined once, here. */
char gp_adapter_today[11];

static const struct gp_ad_status_word status_words[] = {
    {"aktiv", "open"},       {"igang", "open"},
    {"planlagt", "planned"}, {"afventer", "planned"},
    {"afsluttet", "closed"}, {"afbrudt", "closed"},
    {"ophoert", "closed"},   {"annulleret", "closed"},
    {"lukket", "closed"},    {NULL, NULL},
};

static void set_status(struct gp_record *r, const char *word)
{
    const char *st = NULL;
    if (gp_ad_status_lookup(status_words, word, &st) == GP_AD_STATUS_KNOWN)
        GP_REC_SET(r->status, st);
    else
        gp_ad_status_from_dates(r);
}

static void caseworker(struct gp_record *r, const json_t *forloeb)
{
    json_t *sb = gp_ad_obj(forloeb, "sagsbehandler");
    GP_REC_SET(r->caseworker_name, gp_ad_str(sb, "navn"));
    gp_ad_contact(r, gp_ad_str(sb, "telefon"), gp_ad_str(sb, "email"));
    GP_REC_SET(r->unit, gp_ad_str(sb, "enhed"));
}

static bool ydelser(const json_t *f, const struct gp_record *c, struct gp_record_list *out,
                    size_t first, char *err, size_t errlen)
{
    json_t *arr = gp_ad_arr(f, "ydelser");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *y = gp_ad_arr_obj(arr, i);
        if (!y)
            return gp_ad_fail(err, errlen, "momentum: ydelser[%zu] of forloeb %s is not an object",
                              i, c->source_ref);
        const char *code = gp_ad_str(y, "ydelse_kode");
        if (!gp_ad_has(code))
            continue; /* a benefit without a type says nothing the index could use */
        char start[11], end[11], base[200], ref[224];
        gp_ad_local_date(gp_ad_str(y, "bevilget_fra"), false, false, start);
        gp_ad_local_date(gp_ad_str(y, "bevilget_til"), false, false, end);
        snprintf(base, sizeof base, "%s/ydelse/%.40s/%s", c->source_ref, code,
                 start[0] ? start : "-");
        snprintf(ref, sizeof ref, "%s", base);
        /* The same benefit twice from the same day: number the repeats. */
        for (size_t k = 2; gp_ad_find_ref(out, first, ref); k++)
            snprintf(ref, sizeof ref, "%s#%zu", base, k);
        struct gp_record *r = gp_ad_add(out, err, errlen);
        if (!r || !gp_ad_ref(r, ref, err, errlen))
            return false;
        GP_REC_SET(r->cpr, c->cpr);
        GP_REC_SET(r->parent_ref, c->source_ref);
        GP_REC_SET(r->source_code, code);
        GP_REC_SET(r->data_type, "grant");
        GP_REC_SET(r->kind, "activity");
        const char *name = gp_ad_str(y, "ydelse_navn");
        GP_REC_SET(r->title, gp_ad_has(name) ? name : code);
        GP_REC_SET(r->start_date, start);
        GP_REC_SET(r->end_date, end);
        gp_ad_status_from_dates(r);
        gp_record_inherit(r, c, false);
        gp_ad_finish(r);
    }
    return true;
}

static bool aktiviteter(const json_t *f, const struct gp_record *c, struct gp_record_list *out,
                        char *err, size_t errlen)
{
    json_t *arr = gp_ad_arr(f, "aktiviteter");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *a = gp_ad_arr_obj(arr, i);
        if (!a)
            return gp_ad_fail(err, errlen,
                              "momentum: aktiviteter[%zu] of forloeb %s is not an object", i,
                              c->source_ref);
        const char *id = gp_ad_str(a, "aktivitet_id");
        if (!gp_ad_has(id))
            return gp_ad_fail(err, errlen,
                              "momentum: an aktivitet of forloeb %s has no "
                              "aktivitet_id",
                              c->source_ref);
        struct gp_record *r = gp_ad_add(out, err, errlen);
        if (!r || !gp_ad_ref(r, id, err, errlen))
            return false;
        const char *type = gp_ad_str(a, "aktivitetstype");
        const char *basis = gp_ad_str(a, "lovgrundlag");
        char folded[64];
        gp_text_fold(type, GP_FOLD_WORD, folded, sizeof folded);
        GP_REC_SET(r->cpr, c->cpr);
        GP_REC_SET(r->parent_ref, c->source_ref);
        GP_REC_SET(r->data_type, strstr(folded, "samtale") ? "registration" : "grant");
        GP_REC_SET(r->kind, "activity");
        const char *text = gp_ad_str(a, "beskrivelse");
        GP_REC_SET(r->title, gp_ad_has(text) ? text : type);
        gp_ad_local_date(gp_ad_str(a, "start_dato"), false, false, r->start_date);
        gp_ad_local_date(gp_ad_str(a, "slut_dato"), false, false, r->end_date);
        if (gp_ad_has(basis)) {
            GP_REC_SET(r->source_code, type);
            GP_REC_SET(r->legal_basis_raw, basis);
        }
        gp_record_inherit(r, c, !gp_ad_has(basis));
        set_status(r, gp_ad_str(a, "status"));
        gp_ad_finish(r);
    }
    return true;
}

static bool dokumenter(const json_t *f, const struct gp_record *c, struct gp_record_list *out,
                       char *err, size_t errlen)
{
    json_t *arr = gp_ad_arr(f, "dokumenter");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *d = gp_ad_arr_obj(arr, i);
        if (!d)
            return gp_ad_fail(err, errlen,
                              "momentum: dokumenter[%zu] of forloeb %s is not an object", i,
                              c->source_ref);
        const char *id = gp_ad_str(d, "dokument_id");
        if (!gp_ad_has(id))
            return gp_ad_fail(err, errlen,
                              "momentum: a dokument of forloeb %s has no "
                              "dokument_id",
                              c->source_ref);
        struct gp_record *r = gp_ad_document(out, c, id, gp_ad_str(d, "dokumenttype"),
                                             gp_ad_str(d, "titel"), err, errlen);
        if (!r)
            return false;
        gp_ad_local_date(gp_ad_str(d, "dato"), false, false, r->document_date);
        gp_ad_child_done(r, c);
    }
    return true;
}

/* All records of one citizen's answer (a lookup body, or one element of borgere[]). */
static bool parse_citizen(const json_t *root, const char *cpr, struct gp_record_list *out,
                          char *err, size_t errlen)
{
    json_t *list = gp_ad_arr(root, "forloeb");
    if (!list)
        return gp_ad_fail(err, errlen, "momentum: the answer has no forloeb array");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *f = gp_ad_arr_obj(list, i);
        if (!f)
            return gp_ad_fail(err, errlen, "momentum: forloeb[%zu] is not an object", i);
        const char *id = gp_ad_str(f, "forloeb_id");
        if (!gp_ad_has(id))
            return gp_ad_fail(err, errlen, "momentum: forloeb[%zu] has no forloeb_id", i);
        size_t first = out->n;
        struct gp_record *r = gp_ad_add(out, err, errlen);
        if (!r || !gp_ad_ref(r, id, err, errlen))
            return false;
        const char *type = gp_ad_str(f, "forloebstype");
        const char *text = gp_ad_str(f, "forloebstype_tekst");
        GP_REC_SET(r->cpr, cpr);
        GP_REC_SET(r->source_code, type);
        GP_REC_SET(r->legal_basis_raw, gp_ad_str(f, "lovgrundlag"));
        GP_REC_SET(r->data_type, "case_summary");
        GP_REC_SET(r->kind, "case");
        GP_REC_SET(r->title, gp_ad_has(text) ? text : type);
        gp_ad_local_date(gp_ad_str(f, "start_dato"), false, false, r->start_date);
        gp_ad_local_date(gp_ad_str(f, "slut_dato"), false, false, r->end_date);
        caseworker(r, f);
        gp_ad_updated(gp_ad_str(f, "sidst_aendret"), r->source_updated, sizeof r->source_updated);
        set_status(r, gp_ad_str(f, "status"));
        gp_ad_finish(r);
        /* The children are added after the case, so copy it: the list may move. */
        struct gp_record c = *r;
        if (!ydelser(f, &c, out, first, err, errlen) || !aktiviteter(f, &c, out, err, errlen) ||
            !dokumenter(f, &c, out, err, errlen))
            return false;
    }
    return true;
}

static bool lookup_url(const char *base_url, const char *cpr, char *url, size_t len)
{
    size_t o;
    return gp_ad_cpr10(cpr) && gp_ad_url_base(base_url, url, len, &o) &&
           gp_ad_url_add(url, len, &o, "/momentum/api/v2/borgere/%s/forloeb", cpr);
}

static bool parse_lookup(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen)
{
    size_t n0 = out->n;
    json_t *root = gp_ad_load_object(body, len, "momentum", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    const char *code = gp_ad_str(root, "fejlkode");
    if (code) {
        /* Momentum's error body. Only "citizen not found" is an answer: zero records. */
        ok = !strcmp(code, "BORGER_IKKE_FUNDET");
        if (!ok)
            gp_ad_fail(err, errlen, "momentum: error %.60s: %.120s", code,
                       gp_ad_str(root, "besked") ? gp_ad_str(root, "besked") : "");
        goto done;
    }
    char who[11];
    const char *asked = gp_ad_str(gp_ad_obj(root, "borger"), "cpr_nummer");
    if (asked && (!gp_ad_cpr(asked, who) || strcmp(who, cpr) != 0)) {
        gp_ad_fail(err, errlen, "momentum: the answer is about another citizen");
        goto done;
    }
    ok = parse_citizen(root, cpr, out, err, errlen);
done:
    json_decref(root);
    if (!ok)
        out->n = n0;
    return ok;
}

static bool export_url(const char *base_url, const char *cursor, int limit, char *url, size_t len)
{
    return gp_ad_export_url(base_url, "/momentum/api/v2/eksport", "cursor", "limit", 1000, cursor,
                            limit, url, len);
}

static bool parse_export(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen)
{
    size_t n0 = out->records.n;
    json_t *root = gp_ad_load_object(body, len, "momentum export", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    json_t *list = gp_ad_arr(root, "borgere");
    json_t *next = json_object_get(root, "naeste_cursor");
    if (!list) {
        gp_ad_fail(err, errlen, "momentum export: the answer has no borgere array");
        goto done;
    }
    if (next && !json_is_string(next) && !json_is_null(next)) {
        gp_ad_fail(err, errlen, "momentum export: naeste_cursor is not a string");
        goto done;
    }
    if (!gp_ad_export_citizens(list, "borger", "cpr_nummer", parse_citizen, &out->records, err,
                               errlen))
        goto done;
    ok = gp_ad_set_cursor(out, json_is_string(next) ? json_string_value(next) : "", err, errlen);
done:
    json_decref(root);
    if (!ok)
        out->records.n = n0;
    return ok;
}

const struct gp_adapter gp_adapter_momentum = {
    .kind = "momentum",
    .accept = "application/json",
    .not_found_is_answer = true, /* 404 BORGER_IKKE_FUNDET: an unknown citizen */
    .lookup_url = lookup_url,
    .parse_lookup = parse_lookup,
    .export_url = export_url,
    .parse_export = parse_export,
};
