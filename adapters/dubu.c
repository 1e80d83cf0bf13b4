/* Children and family, DUBU-like JSON (camelCase). The citizen asked about is a parent; the
 * answer lists their children, each with the child's cases, and the parent's own cases.
 *
 *   lookup  GET <base>/dubu/rest/parents/<cpr>/children-cases
 *           {"parent": {"cpr", "name"}, "children": [{"childCpr", "childName", "birthDate",
 *            "cases": [...]}], "parentCases": [...], "lastChanged"}
 *           An unknown parent is 200 with an empty children list (name and lastChanged null).
 *   export  GET <base>/dubu/rest/export?after=<n>&limit=<n>   (limit 1-1000)
 *           {"parents": [<lookup bodies>], "count", "nextAfter": <n> | null, "hasMore"}
 *           next_cursor is nextAfter in decimal; "" on the last page.
 *   errors  {"error": {"code", "message"}}
 *
 *   native        kind      data_type          source_code / legal_basis_raw
 *   cases[]       case      case_summary       measureCode / paragraph, as written
 *   documents[]   document  by docType         the case's
 *                           (gp_ad_document_type: UNDERSOEGELSE assessment, HANDLEPLAN plan,
 *                           JOURNALNOTAT journal_note, INDSTILLING recommendation,
 *                           AFGOERELSE decision)
 *
 * Status words (folded): aktiv open; afventer planned; lukket, afsluttet, henlagt closed;
 * anything else from the dates; documents from the dates (closed once written).
 *
 * Every record belongs to the parent (cpr is the parent's, as asked). The child's CPR is read
 * nowhere and stored nowhere: a child's case is titled with the child's first name, or "barn
 * født YYYY" when the answer gives no name ("Familiebehandling (Oliver)"), and every title is
 * CPR-masked besides. Paragraphs stay as DUBU wrote them when the case was opened (Serviceloven
 * before 2024, e.g. "SEL § 52, stk. 3, nr. 7"); lib/index maps them by the case's start date.
 *
 * Dates are epoch seconds of Danish local midnight (opened, closed) or local time (created,
 * lastChanged). Read in UTC, midnight CET is 23:00 the evening before, so every date is the
 * Europe/Copenhagen date of the instant (gp_ad_epoch_date: the Danish offset computed by rule,
 * not from TZ). lastChanged becomes source_updated in UTC ("2023-06-30T09:16:39Z").
 * source_ref is "case/<caseNo>" and "document/<docId>". */
#include "adapters/adapter_internal.h"

#include <stdio.h>
#include <string.h>

static const struct gp_ad_status_word status_words[] = {
    {"aktiv", "open"},       {"afventer", "planned"}, {"lukket", "closed"},
    {"afsluttet", "closed"}, {"henlagt", "closed"},   {NULL, NULL},
};

/* An epoch-seconds member: an integer, else absent. */
static bool epoch(const json_t *obj, const char *key, int64_t *t)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!json_is_integer(v))
        return false;
    *t = (int64_t)json_integer_value(v);
    return true;
}

static void epoch_date(const json_t *obj, const char *key, char out[11])
{
    int64_t t;
    out[0] = '\0';
    if (epoch(obj, key, &t))
        gp_ad_epoch_date(t, out);
}

/* " (Oliver)", " (barn født 2010)" or "" for a case of this child; "" for the parent's own. */
static void child_label(const json_t *child, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!child)
        return;
    const char *name = gp_ad_str(child, "childName");
    if (gp_ad_has(name)) {
        while (*name == ' ')
            name++;
        size_t n = strcspn(name, " \t");
        if (n > 0 && n < 64) {
            snprintf(buf, len, " (%.*s)", (int)n, name);
            return;
        }
    }
    struct gp_ad_time t;
    if (gp_ad_parse_time(gp_ad_str(child, "birthDate"), false, &t))
        snprintf(buf, len, " (barn født %04d)", t.y);
}

static void titled(struct gp_record *r, const char *title, const char *label)
{
    char buf[sizeof r->title];
    snprintf(buf, sizeof buf, "%.180s%s", title ? title : "", label);
    GP_REC_SET(r->title, buf);
}

static bool documents(const json_t *k, const struct gp_record *c, const char *label,
                      struct gp_record_list *out, char *err, size_t errlen)
{
    json_t *arr = gp_ad_arr(k, "documents");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *d = gp_ad_arr_obj(arr, i);
        if (!d)
            return gp_ad_fail(err, errlen, "dubu: documents[%zu] of %s is not an object", i,
                              c->source_ref);
        char id[64];
        if (!gp_ad_id(d, "docId", id, sizeof id))
            return gp_ad_fail(err, errlen, "dubu: a document of %s has no docId", c->source_ref);
        char ref[96];
        snprintf(ref, sizeof ref, "document/%s", id);
        const char *type = gp_ad_str(d, "docType");
        const char *title = gp_ad_str(d, "title");
        struct gp_record *r = gp_ad_document(out, c, ref, type, title, err, errlen);
        if (!r)
            return false;
        titled(r, gp_ad_has(title) ? title : type, label); /* with the child's name */
        epoch_date(d, "created", r->document_date);
        gp_ad_child_done(r, c);
    }
    return true;
}

/* The cases of one child (child non-NULL) or the parent's own cases. */
static bool cases(const json_t *arr, const json_t *child, const char *cpr,
                  struct gp_record_list *out, char *err, size_t errlen)
{
    char label[96];
    child_label(child, label, sizeof label);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *k = gp_ad_arr_obj(arr, i);
        char no[96];
        if (!k)
            return gp_ad_fail(err, errlen, "dubu: cases[%zu] is not an object", i);
        if (!gp_ad_id(k, "caseNo", no, sizeof no))
            return gp_ad_fail(err, errlen, "dubu: a case has no caseNo");
        struct gp_record *r = gp_ad_add(out, err, errlen);
        if (!r)
            return false;
        char ref[160];
        snprintf(ref, sizeof ref, "case/%s", no);
        const char *code = gp_ad_str(k, "measureCode");
        const char *measure = gp_ad_str(k, "measure");
        json_t *w = gp_ad_obj(k, "caseworker");
        GP_REC_SET(r->cpr, cpr);
        if (!gp_ad_ref(r, ref, err, errlen))
            return false;
        GP_REC_SET(r->source_code, code);
        GP_REC_SET(r->legal_basis_raw, gp_ad_str(k, "paragraph"));
        GP_REC_SET(r->data_type, "case_summary");
        GP_REC_SET(r->kind, "case");
        titled(r, gp_ad_has(measure) ? measure : code, label);
        epoch_date(k, "opened", r->start_date);
        epoch_date(k, "closed", r->end_date);
        GP_REC_SET(r->unit, gp_ad_str(w, "team"));
        GP_REC_SET(r->caseworker_name, gp_ad_str(w, "name"));
        gp_ad_contact(r, gp_ad_str(w, "phone"), gp_ad_str(w, "mail"));
        int64_t t;
        if (epoch(k, "lastChanged", &t))
            gp_ad_epoch_iso(t, r->source_updated, sizeof r->source_updated);
        const char *st = NULL;
        if (gp_ad_status_lookup(status_words, gp_ad_str(k, "status"), &st) == GP_AD_STATUS_KNOWN)
            GP_REC_SET(r->status, st);
        else
            gp_ad_status_from_dates(r);
        gp_ad_finish(r);
        struct gp_record c = *r; /* documents() may move the list */
        if (!documents(k, &c, label, out, err, errlen))
            return false;
    }
    return true;
}

static bool parse_parent(const json_t *root, const char *cpr, struct gp_record_list *out, char *err,
                         size_t errlen)
{
    json_t *children = gp_ad_arr(root, "children");
    if (!children)
        return gp_ad_fail(err, errlen, "dubu: the answer has no children array");
    for (size_t i = 0; i < json_array_size(children); i++) {
        json_t *child = gp_ad_arr_obj(children, i);
        if (!child)
            return gp_ad_fail(err, errlen, "dubu: children[%zu] is not an object", i);
        if (!cases(gp_ad_arr(child, "cases"), child, cpr, out, err, errlen))
            return false;
    }
    return cases(gp_ad_arr(root, "parentCases"), NULL, cpr, out, err, errlen);
}

static bool lookup_url(const char *base_url, const char *cpr, char *url, size_t len)
{
    size_t o;
    return gp_ad_cpr10(cpr) && gp_ad_url_base(base_url, url, len, &o) &&
           gp_ad_url_add(url, len, &o, "/dubu/rest/parents/%s/children-cases", cpr);
}

/* DUBU's error body, if root is one. */
static bool error_body(const json_t *root, const char *what, char *err, size_t errlen)
{
    json_t *e = gp_ad_obj(root, "error");
    if (!e || gp_ad_arr(root, "children") || gp_ad_arr(root, "parents"))
        return false;
    const char *code = gp_ad_str(e, "code"), *msg = gp_ad_str(e, "message");
    gp_ad_fail(err, errlen, "%s: error %.40s: %.160s", what, code ? code : "?", msg ? msg : "");
    return true;
}

static bool parse_lookup(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen)
{
    size_t n0 = out->n;
    json_t *root = gp_ad_load_object(body, len, "dubu", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    char who[11];
    const char *asked = gp_ad_str(gp_ad_obj(root, "parent"), "cpr");
    if (error_body(root, "dubu", err, errlen)) {
        /* err is set */
    } else if (asked && (!gp_ad_cpr(asked, who) || strcmp(who, cpr) != 0)) {
        gp_ad_fail(err, errlen, "dubu: the answer is about another citizen");
    } else {
        ok = parse_parent(root, cpr, out, err, errlen);
    }
    json_decref(root);
    if (!ok)
        out->n = n0;
    return ok;
}

static bool export_url(const char *base_url, const char *cursor, int limit, char *url, size_t len)
{
    return gp_ad_export_url(base_url, "/dubu/rest/export", "after", "limit", 1000, cursor, limit,
                            url, len);
}

static bool parse_export(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen)
{
    size_t n0 = out->records.n;
    json_t *root = gp_ad_load_object(body, len, "dubu export", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    json_t *parents = gp_ad_arr(root, "parents");
    json_t *next = json_object_get(root, "nextAfter");
    json_t *more = json_object_get(root, "hasMore");
    char cursor[32] = "";
    if (error_body(root, "dubu export", err, errlen))
        goto done;
    if (!parents) {
        gp_ad_fail(err, errlen, "dubu export: the answer has no parents array");
        goto done;
    }
    if (json_is_integer(next) && json_integer_value(next) >= 0) {
        snprintf(cursor, sizeof cursor, "%" JSON_INTEGER_FORMAT, json_integer_value(next));
    } else if (next && !json_is_null(next)) {
        gp_ad_fail(err, errlen, "dubu export: nextAfter is not a position");
        goto done;
    }
    if (json_is_true(more) && !cursor[0]) {
        gp_ad_fail(err, errlen, "dubu export: hasMore without nextAfter");
        goto done;
    }
    if (!gp_ad_export_citizens(parents, "parent", "cpr", parse_parent, &out->records, err, errlen))
        goto done;
    ok = gp_ad_set_cursor(out, cursor, err, errlen);
done:
    json_decref(root);
    if (!ok)
        out->records.n = n0;
    return ok;
}

const struct gp_adapter gp_adapter_dubu = {
    .kind = "dubu",
    .accept = "application/json",
    .lookup_url = lookup_url,
    .parse_lookup = parse_lookup,
    .export_url = export_url,
    .parse_export = parse_export,
};
