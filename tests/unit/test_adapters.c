/* adapters/: the four department-system adapters against answers captured from deptsim and
 * HL7's own R4 examples, compared exactly with expectations kept as data next to the fixtures
 * (tests/fixtures/adapters/<name>.expected.tsv, one line per record: see TSV_COLUMNS); then
 * malformed bodies, URL builders, export paging, the Danish calendar, and a robustness loop
 * (every truncation of every fixture, every value of every fixture replaced by a value of
 * each other JSON type) that must neither crash nor leak (ASan) nor let an invalid record out.
 *
 * Expectations were written by the adapters and then checked by hand against the fixtures;
 * GP_ADAPTERS_UPDATE=1 rewrites them (review the diff before committing). Statuses derived
 * from dates depend on "today": the tests fix it to deptsim's as-of date, 2026-11-01. */
#include "adapters/adapter.h"
#include "adapters/adapter_internal.h"
#include "lib/core/buf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct gp_adapter gp_adapter_momentum;
extern const struct gp_adapter gp_adapter_sensum;
extern const struct gp_adapter gp_adapter_fhir_r4;
extern const struct gp_adapter gp_adapter_dubu;

#define N_ROWS(a)               (sizeof(a) / sizeof((a)[0]))
#define FIXTURES                GP_SOURCE_DIR "/tests/fixtures/"
#define GP_FETCH_MAX_PAGES_TEST 64
#define AS_OF                   "2026-11-01"

#define TSV_COLUMNS                                                                                \
    "# cpr\tsource_ref\tparent_ref\tsource_code\tlegal_basis_raw\tdata_type\tkind\tstatus\t"       \
    "start_date\tend_date\tdocument_date\tunit\tcaseworker_name\tcaseworker_contact\ttitle\t"      \
    "source_updated\n"

/* ---- helpers ------------------------------------------------------------------------------ */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void put_field(FILE *f, const char *s, bool last)
{
    for (; *s; s++) {
        if (*s == '\t')
            fputs("\\t", f);
        else if (*s == '\n')
            fputs("\\n", f);
        else if (*s == '\\')
            fputs("\\\\", f);
        else
            fputc(*s, f);
    }
    fputc(last ? '\n' : '\t', f);
}

/* The records (and next cursor, when page) as the .expected.tsv text. malloc'd. */
static char *to_tsv(const struct gp_record_list *l, const char *next_cursor)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    fputs(TSV_COLUMNS, f);
    if (next_cursor)
        fprintf(f, "@next_cursor\t%s\n", next_cursor);
    for (size_t i = 0; i < l->n; i++) {
        const struct gp_record *r = &l->items[i];
        const char *v[] = {r->cpr,
                           r->source_ref,
                           r->parent_ref,
                           r->source_code,
                           r->legal_basis_raw,
                           r->data_type,
                           r->kind,
                           r->status,
                           r->start_date,
                           r->end_date,
                           r->document_date,
                           r->unit,
                           r->caseworker_name,
                           r->caseworker_contact,
                           r->title,
                           r->source_updated};
        for (size_t k = 0; k < N_ROWS(v); k++)
            put_field(f, v[k], k + 1 == N_ROWS(v));
    }
    fclose(f);
    return text;
}

/* Compares got with the expectation file line by line, naming the first difference. */
static void compare_expected(const char *path, const char *got)
{
    if (getenv("GP_ADAPTERS_UPDATE")) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fputs(got, f);
        fclose(f);
        return;
    }
    char *want = slurp(path, NULL);
    const char *a = want, *b = got;
    for (int line = 1; *a || *b; line++) {
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        ck_assert_msg(la == lb && !memcmp(a, b, la), "%s:%d\n  want: %.*s\n  got:  %.*s", path,
                      line, (int)la, a, (int)lb, b);
        a += la + (a[la] == '\n');
        b += lb + (b[lb] == '\n');
    }
    free(want);
}

static bool valid_date(const char *s)
{
    struct gp_ad_time t;
    return !s[0] || (strlen(s) == 10 && gp_ad_parse_time(s, false, &t) && !t.has_time);
}

/* What every record leaving an adapter must satisfy, whatever the input: the index's
 * constraints (migrations 0001-0003) and the privacy rules. */
static void check_record(const struct gp_record *r)
{
    static const char *const kinds[] = {"case", "activity", "document", "encounter"};
    static const char *const types[] = {
        "case_summary", "grant", "assessment",     "certificate", "journal_note", "registration",
        "history",      "plan",  "recommendation", "decision",    "consent_form"};
    static const char *const statuses[] = {"open", "closed", "planned"};
    ck_assert_msg(gp_ad_cpr10(r->cpr), "cpr '%s'", r->cpr);
    ck_assert_msg(r->source_ref[0], "empty source_ref");
    bool ok = false;
    for (size_t i = 0; i < N_ROWS(kinds); i++)
        ok = ok || !strcmp(r->kind, kinds[i]);
    ck_assert_msg(ok, "kind '%s' of %s", r->kind, r->source_ref);
    ok = false;
    for (size_t i = 0; i < N_ROWS(types); i++)
        ok = ok || !strcmp(r->data_type, types[i]);
    ck_assert_msg(ok, "data_type '%s' of %s", r->data_type, r->source_ref);
    ok = false;
    for (size_t i = 0; i < N_ROWS(statuses); i++)
        ok = ok || !strcmp(r->status, statuses[i]);
    ck_assert_msg(ok, "status '%s' of %s", r->status, r->source_ref);
    ck_assert_msg(valid_date(r->start_date), "start '%s'", r->start_date);
    ck_assert_msg(valid_date(r->end_date), "end '%s'", r->end_date);
    ck_assert_msg(valid_date(r->document_date), "document date '%s'", r->document_date);
    ck_assert(!r->start_date[0] || !r->end_date[0] || strcmp(r->end_date, r->start_date) >= 0);
    struct gp_ad_time t;
    ck_assert_msg(!r->source_updated[0] || (gp_ad_parse_time(r->source_updated, false, &t) &&
                                            t.has_time && t.has_offset),
                  "source_updated '%s'", r->source_updated);
    char title[sizeof r->title];
    memcpy(title, r->title, sizeof title);
    gp_cpr_mask_in_place(title);
    ck_assert_msg(!strcmp(title, r->title), "a CPR in the title '%s'", r->title);
}

static void check_records(const struct gp_record_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        check_record(&l->items[i]);
}

static void setup(void)
{
    memcpy(gp_adapter_today, AS_OF, sizeof AS_OF);
}

static void teardown(void)
{
    gp_adapter_today[0] = '\0';
}

/* ---- fixtures compared exactly ------------------------------------------------------------ */

enum mode { LOOKUP, EXPORT };

static const struct fixture {
    const char *kind;
    enum mode mode;
    const char *file; /* under tests/fixtures/; expectation: .json → .expected.tsv */
    const char *cpr;  /* lookups: the citizen asked about */
} fixtures[] = {
    /* Mette Lund Sørensen, the demo citizen all five systems know. */
    {"momentum", LOOKUP, "adapters/momentum_all5.json", "1203849318"},
    {"sensum", LOOKUP, "adapters/sensum_all5.json", "1203849318"},
    {"fhir-r4", LOOKUP, "adapters/fhir_health_all5.json", "1203849318"},
    {"fhir-r4", LOOKUP, "adapters/fhir_region_all5.json", "1203849318"},
    {"dubu", LOOKUP, "adapters/dubu_all5.json", "1203849318"},
    /* Jonas Frederiksen: only a family case, new paragraph spelt "BL § 20". */
    {"dubu", LOOKUP, "adapters/dubu_father.json", "0507909301"},
    /* Erik Poulsen: benefit types never to be shared beside ordinary care. */
    {"sensum", LOOKUP, "adapters/sensum_excluded.json", "3006489329"},
    {"fhir-r4", LOOKUP, "adapters/fhir_health_excluded.json", "3006489329"},
    /* The citizen no system knows (Momentum answers 404 with this body). */
    {"momentum", LOOKUP, "adapters/momentum_unknown.json", "0101759994"},
    {"sensum", LOOKUP, "adapters/sensum_unknown.json", "0101759994"},
    {"fhir-r4", LOOKUP, "adapters/fhir_unknown.json", "0101759994"},
    {"dubu", LOOKUP, "adapters/dubu_unknown.json", "0101759994"},
    /* Export pages: a first page with a cursor, a last page without. */
    {"momentum", EXPORT, "adapters/momentum_export_p1.json", NULL},
    {"momentum", EXPORT, "adapters/momentum_export_last.json", NULL},
    {"sensum", EXPORT, "adapters/sensum_export_p1.json", NULL},
    {"sensum", EXPORT, "adapters/sensum_export_last.json", NULL},
    {"fhir-r4", EXPORT, "adapters/fhir_export_p1.json", NULL},
    {"fhir-r4", EXPORT, "adapters/fhir_export_p2.json", NULL},
    {"fhir-r4", EXPORT, "adapters/fhir_export_last.json", NULL},
    {"dubu", EXPORT, "adapters/dubu_export_p1.json", NULL},
    {"dubu", EXPORT, "adapters/dubu_export_last.json", NULL},
    /* HL7's R4 examples: plain Patient references, so an export (which needs the CPR
     * identifier to know whose a resource is) takes none. As lookups: test_hl7_*. */
    {"fhir-r4", EXPORT, "hl7/hl7_searchset.json", NULL},
    {"fhir-r4", LOOKUP, "hl7/Bundle-bundle-search-warning.json", "1203849318"},
};

static char *expected_path(const struct fixture *fx)
{
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", fx->file);
    char *dot = strrchr(path, '.');
    snprintf(dot, sizeof path - (size_t)(dot - path), "%s",
             fx->mode == EXPORT && !strncmp(fx->file, "hl7/", 4) ? ".export.expected.tsv"
                                                                 : ".expected.tsv");
    return strdup(path);
}

/* Parses body as fx says; returns what the parser returned. */
static bool run_parser(const struct fixture *fx, const char *body, size_t len,
                       struct gp_export_page *page, char *err, size_t errlen)
{
    const struct gp_adapter *a = gp_adapter_find(fx->kind);
    ck_assert_ptr_nonnull(a);
    if (fx->mode == LOOKUP)
        return a->parse_lookup(fx->cpr, body, len, &page->records, err, errlen);
    return a->parse_export(body, len, page, err, errlen);
}

START_TEST(test_fixture)
{
    const struct fixture *fx = &fixtures[_i];
    char path[512], err[256] = "";
    snprintf(path, sizeof path, FIXTURES "%s", fx->file);
    size_t len;
    char *body = slurp(path, &len);
    struct gp_export_page page = {0};
    ck_assert_msg(run_parser(fx, body, len, &page, err, sizeof err), "%s: %s", fx->file, err);
    check_records(&page.records);
    char *got = to_tsv(&page.records, fx->mode == EXPORT ? page.next_cursor : NULL);
    char *exp = expected_path(fx);
    compare_expected(exp, got);
    free(exp);
    free(got);
    gp_record_list_free(&page.records);
    free(body);
}
END_TEST

/* Bent Kristiansen: hundreds of records; the count is what jq counts in the fixture
 * (forloeb + ydelser + aktiviteter + dokumenter). */
START_TEST(test_many_records)
{
    size_t len;
    char *body = slurp(FIXTURES "adapters/momentum_many.json", &len);
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert_msg(gp_adapter_momentum.parse_lookup("2311629339", body, len, &l, err, sizeof err),
                  "%s", err);
    ck_assert_uint_eq(l.n, 256);
    check_records(&l);
    gp_record_list_free(&l);
    free(body);
}
END_TEST

/* A FHIR answer in pages (a server that caps _count): split into pages of 1, 2 and 3 entries,
 * each page linking to the next, it parses exactly as the one body — children whose case is on
 * another page included. */
START_TEST(test_fhir_pages_parse_as_one)
{
    static const char *const files[] = {"adapters/fhir_health_all5.json",
                                        "adapters/fhir_region_all5.json"};
    for (size_t f = 0; f < N_ROWS(files); f++) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, FIXTURES "%s", files[f]);
        size_t len;
        char *body = slurp(path, &len);
        struct gp_record_list whole = {0};
        ck_assert_msg(
            gp_adapter_fhir_r4.parse_lookup("1203849318", body, len, &whole, err, sizeof err),
            "%s: %s", files[f], err);
        json_t *root = json_loadb(body, len, 0, NULL);
        json_t *entries = json_object_get(root, "entry");
        size_t ne = json_array_size(entries);
        ck_assert_uint_gt(ne, 1);
        for (size_t per = 1; per <= 3; per++) {
            struct gp_buf pages = {0};
            size_t page_len[GP_FETCH_MAX_PAGES_TEST], npages = 0;
            for (size_t from = 0; from < ne; from += per) {
                json_t *page = json_deep_copy(root);
                json_t *slice = json_array();
                for (size_t i = from; i < from + per && i < ne; i++)
                    json_array_append(slice, json_array_get(entries, i));
                json_object_set_new(page, "entry", slice);
                json_t *links = json_array();
                if (from + per < ne)
                    json_array_append_new(links, json_pack("{s:s, s:s}", "relation", "next", "url",
                                                           "http://h:1/fhir?_cursor=x"));
                json_object_set_new(page, "link", links);
                char *text = json_dumps(page, JSON_COMPACT);
                ck_assert_uint_lt(npages, GP_FETCH_MAX_PAGES_TEST);
                page_len[npages++] = strlen(text);
                gp_buf_puts(&pages, text);
                free(text);
                json_decref(page);
            }
            struct gp_record_list paged = {0};
            ck_assert_msg(gp_adapter_fhir_r4.parse_lookup_pages("1203849318", pages.data, page_len,
                                                                npages, &paged, err, sizeof err),
                          "%s in pages of %zu: %s", files[f], per, err);
            ck_assert_uint_eq(paged.n, whole.n);
            for (size_t i = 0; i < whole.n; i++)
                ck_assert_msg(!memcmp(&paged.items[i], &whole.items[i], sizeof whole.items[i]),
                              "%s in pages of %zu: record %zu (%s) differs", files[f], per, i,
                              whole.items[i].source_ref);
            gp_record_list_free(&paged);
            /* A page that is not a searchset Bundle fails the whole answer. */
            if (npages > 1) {
                struct gp_buf bad = {0};
                gp_buf_append(&bad, pages.data, page_len[0]);
                gp_buf_puts(&bad, "{\"resourceType\": \"OperationOutcome\"}");
                size_t bad_len[2] = {page_len[0], 36};
                ck_assert(!gp_adapter_fhir_r4.parse_lookup_pages("1203849318", bad.data, bad_len, 2,
                                                                 &paged, err, sizeof err));
                ck_assert_str_eq(err, "fhir: page 2 is an OperationOutcome: (no diagnostics)");
                ck_assert_uint_eq(paged.n, 0);
                gp_buf_free(&bad);
            }
            gp_buf_free(&pages);
        }
        json_decref(root);
        gp_record_list_free(&whole);
        free(body);
    }
}
END_TEST

/* The pager follows a next link only to the system asked: same scheme, host and port. */
START_TEST(test_fhir_next_link)
{
    static const struct {
        const char *link; /* NULL: no next link */
        int rc;
        const char *next;
    } rows[] = {
        {"http://h:1/fhir?_cursor=a", 1, "http://h:1/fhir?_cursor=a"},
        {"/fhir?_cursor=b", 1, "http://h:1/fhir?_cursor=b"},
        {"http://evil:1/fhir?_cursor=a", -1, NULL},
        {"http://h:2/fhir?_cursor=a", -1, NULL},
        {"https://h:1/fhir?_cursor=a", -1, NULL},
        {"http://h:1.evil.example/fhir", -1, NULL},
        {"http://h:1@evil.example/fhir", -1, NULL},
        {"//evil.example/fhir", -1, NULL},
        {NULL, 0, NULL},
    };
    const char *first = "http://h:1/fhir?_type=EpisodeOfCare&patient.identifier=x&_count=1000";
    const char *arg = "s=system&t=EpisodeOfCare&i=0";
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        json_t *b =
            json_pack("{s:s, s:s, s:[]}", "resourceType", "Bundle", "type", "searchset", "link");
        if (rows[i].link)
            json_array_append_new(json_object_get(b, "link"),
                                  json_pack("{s:s, s:s}", "relation", "next", "url", rows[i].link));
        char *text = json_dumps(b, JSON_COMPACT);
        char next[1024] = "";
        int rc = gp_adapter_fhir_r4.lookup_next(arg, first, text, strlen(text), next, sizeof next);
        ck_assert_msg(rc == rows[i].rc, "%s: %d (%s)", rows[i].link, rc, next);
        if (rows[i].next)
            ck_assert_str_eq(next, rows[i].next);
        free(text);
        json_decref(b);
    }
    /* Not JSON, or "next" in a text: no link. */
    char next[64];
    ck_assert_int_eq(
        gp_adapter_fhir_r4.lookup_next(arg, first, "\"next\" <html>", 13, next, sizeof next), 0);
    ck_assert_int_eq(gp_adapter_fhir_r4.lookup_next(arg, first, "{}", 2, next, sizeof next), 0);
}
END_TEST

/* The lookup is about one citizen: an answer naming another fails. */
START_TEST(test_other_citizen)
{
    static const struct {
        const char *kind, *file;
    } rows[] = {
        {"momentum", "adapters/momentum_all5.json"},
        {"sensum", "adapters/sensum_all5.json"},
        {"fhir-r4", "adapters/fhir_region_all5.json"},
        {"dubu", "adapters/dubu_all5.json"},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        char path[512], err[256] = "";
        snprintf(path, sizeof path, FIXTURES "%s", rows[i].file);
        size_t len;
        char *body = slurp(path, &len);
        struct gp_record_list l = {0};
        ck_assert(!gp_adapter_find(rows[i].kind)
                       ->parse_lookup("0507909301", body, len, &l, err, sizeof err));
        ck_assert_msg(strstr(err, "another citizen"), "%s: %s", rows[i].kind, err);
        ck_assert_uint_eq(l.n, 0);
        gp_record_list_free(&l);
        free(body);
    }
}
END_TEST

/* What deptsim's health systems answer to the lookup URL this adapter builds (all four
 * resource types in _type, each system serving three): 400 with an OperationOutcome. Parsed,
 * should such a body ever arrive, it fails with the server's diagnostics. */
START_TEST(test_operation_outcome_fixture)
{
    size_t len;
    char *body = slurp(FIXTURES "adapters/fhir_region_fourtypes_400.json", &len);
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert(!gp_adapter_fhir_r4.parse_lookup("1203849318", body, len, &l, err, sizeof err));
    ck_assert_str_eq(err, "fhir: OperationOutcome: _type: resource type not supported");
    ck_assert_uint_eq(l.n, 0);
    gp_record_list_free(&l);
    free(body);
}
END_TEST

/* ---- FHIR as servers are: patients resolved, subjects checked --------------------------- */

/* A searchset Bundle of entries (stolen), with a next link when next is not NULL, as text
 * (malloc'd). */
static char *bundle_text(json_t *entries, const char *next)
{
    json_t *b = json_pack("{s:s, s:s, s:o, s:[]}", "resourceType", "Bundle", "type", "searchset",
                          "entry", entries, "link");
    if (next)
        json_array_append_new(json_object_get(b, "link"),
                              json_pack("{s:s, s:s}", "relation", "next", "url", next));
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    return text;
}

/* An entry of a Patient with logical id id carrying cpr (NULL: no CPR identifier); fields of
 * base (may be NULL) copied first. */
static json_t *patient_entry(const char *id, const char *cpr, const json_t *base)
{
    json_t *p = base ? json_deep_copy(base) : json_pack("{s:s}", "resourceType", "Patient");
    json_object_set_new(p, "id", json_string(id));
    if (cpr) {
        json_t *ids = json_object_get(p, "identifier");
        if (!json_is_array(ids)) {
            ids = json_array();
            json_object_set_new(p, "identifier", ids);
        }
        json_array_append_new(
            ids, json_pack("{s:s, s:s}", "system", "urn:oid:1.2.208.176.1.2", "value", cpr));
    }
    char full[128];
    snprintf(full, sizeof full, "http://hl7.org/fhir/Patient/%s", id);
    return json_pack("{s:s, s:o, s:{s:s}}", "fullUrl", full, "resource", p, "search", "mode",
                     "match");
}

/* Parses pages (texts, NULL-terminated) as one lookup answer for cpr. */
static bool parse_pages(const char *cpr, char *const *pages, struct gp_record_list *out, char *err,
                        size_t errlen)
{
    struct gp_buf all = {0};
    size_t page_len[8], n = 0;
    for (; pages[n]; n++) {
        page_len[n] = strlen(pages[n]);
        gp_buf_puts(&all, pages[n]);
    }
    bool ok = gp_adapter_fhir_r4.parse_lookup_pages(cpr, all.data, page_len, n, out, err, errlen);
    gp_buf_free(&all);
    return ok;
}

/* The subject reference of an HL7 example resource ("Patient/example"), or "". */
static const char *subject_of(const json_t *res)
{
    const char *rt = json_string_value(json_object_get(res, "resourceType"));
    json_t *who = json_object_get(res, rt && !strcmp(rt, "EpisodeOfCare") ? "patient" : "subject");
    const char *ref = json_string_value(json_object_get(who, "reference"));
    return ref ? ref : "";
}

static const struct {
    const char *id, *cpr;
} hl7_patients[] = {
    {"example", "1203849318"},
    {"f001", "0507909301"},
    {"xcda", "3006489329"},
};

/* HL7's examples as a server that resolves patients and honours the patient parameter answers
 * them: for each of the three patients the seven resources name, the patient search's page (the
 * Patient carrying a CPR: HL7's Patient/example with an identifier added, a bare Patient for
 * the others) and the search's page with that patient's resources and the Organization
 * included. Every resource is read, each under its own citizen; compared exactly. */
START_TEST(test_hl7_per_patient)
{
    size_t len;
    char *body = slurp(FIXTURES "hl7/hl7_searchset.json", &len);
    json_t *root = json_loadb(body, len, 0, NULL);
    json_t *entries = json_object_get(root, "entry");
    struct gp_record_list all = {0};
    size_t resources = 0;
    for (size_t k = 0; k < N_ROWS(hl7_patients); k++) {
        char want[64];
        snprintf(want, sizeof want, "Patient/%s", hl7_patients[k].id);
        const json_t *hl7_patient = NULL;
        json_t *found = json_array();
        for (size_t i = 0; i < json_array_size(entries); i++) {
            json_t *e = json_array_get(entries, i);
            json_t *res = json_object_get(e, "resource");
            const char *rt = json_string_value(json_object_get(res, "resourceType"));
            if (!strcmp(rt, "Patient")) {
                if (!strcmp(json_string_value(json_object_get(res, "id")), hl7_patients[k].id))
                    hl7_patient = res;
            } else if (!strcmp(rt, "Organization") || !strcmp(subject_of(res), want)) {
                json_array_append(found, e);
                resources += strcmp(rt, "Organization") != 0;
            }
        }
        char *pages[3] = {NULL, NULL, NULL};
        pages[0] = bundle_text(
            json_pack("[o]", patient_entry(hl7_patients[k].id, hl7_patients[k].cpr, hl7_patient)),
            NULL);
        pages[1] = bundle_text(found, NULL);
        char err[256] = "";
        ck_assert_msg(parse_pages(hl7_patients[k].cpr, pages, &all, err, sizeof err), "%s: %s",
                      want, err);
        free(pages[0]);
        free(pages[1]);
    }
    ck_assert_uint_eq(resources, 7); /* the seven of the four types */
    check_records(&all);
    char *got = to_tsv(&all, NULL);
    compare_expected(FIXTURES "hl7/hl7_searchset.expected.tsv", got);
    free(got);
    gp_record_list_free(&all);
    json_decref(root);
    free(body);
}
END_TEST

/* A server that ignores the patient filter answers every patient's resources: resolved as
 * Patient/example, the answer holds CarePlan/f001 about Patient/f001 — refused whole, nothing
 * of it read. Without the patient search (the chained identifier search), Patient/example
 * itself, included without the CPR, is already someone the answer cannot vouch for. */
START_TEST(test_hl7_foreign_subject)
{
    size_t len;
    char *body = slurp(FIXTURES "hl7/hl7_searchset.json", &len);
    json_t *root = json_loadb(body, len, 0, NULL);
    char *pages[3] = {
        bundle_text(json_pack("[o]", patient_entry("example", "1203849318", NULL)), NULL), NULL,
        NULL};
    pages[1] = bundle_text(json_incref(json_object_get(root, "entry")), NULL);
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert(!parse_pages("1203849318", pages, &l, err, sizeof err));
    ck_assert_msg(strstr(err, "(CarePlan/f001) is about Patient/f001, not the citizen asked"), "%s",
                  err);
    ck_assert_uint_eq(l.n, 0);
    ck_assert(!gp_adapter_fhir_r4.parse_lookup("1203849318", body, len, &l, err, sizeof err));
    ck_assert_msg(strstr(err, "Patient/example, who does not carry the CPR asked"), "%s", err);
    ck_assert_uint_eq(l.n, 0);
    /* Patient/example resolved as someone else's CPR: another citizen. */
    free(pages[0]);
    pages[0] = bundle_text(json_pack("[o]", patient_entry("example", "0507909301", NULL)), NULL);
    ck_assert(!parse_pages("1203849318", pages, &l, err, sizeof err));
    ck_assert_msg(strstr(err, "Patient/example, another citizen"), "%s", err);
    /* A subject by identifier with another CPR, and a subject naming no one. */
    const char *rows[][2] = {
        {"{\"resourceType\":\"EpisodeOfCare\",\"id\":\"e1\",\"status\":\"active\",\"patient\":"
         "{\"identifier\":{\"system\":\"urn:oid:1.2.208.176.1.2\",\"value\":\"0507909301\"}}}",
         "(EpisodeOfCare/e1) is about another citizen"},
        {"{\"resourceType\":\"Encounter\",\"id\":\"n1\",\"status\":\"finished\"}",
         "(Encounter/n1) names no patient"},
        {"{\"resourceType\":\"CarePlan\",\"id\":\"c1\",\"status\":\"active\",\"subject\":"
         "{\"reference\":\"Group/g1\"}}",
         "(CarePlan/c1) is about Group/g1"},
        {"{\"resourceType\":\"CarePlan\",\"id\":\"c2\",\"status\":\"active\",\"subject\":"
         "{\"reference\":\"http://other.example/fhir/Patient/example\"}}",
         "(CarePlan/c2) is about http://other.example/fhir/Patient/example"},
    };
    free(pages[0]);
    pages[0] = bundle_text(json_pack("[o]", patient_entry("example", "1203849318", NULL)), NULL);
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        free(pages[1]);
        pages[1] =
            bundle_text(json_pack("[{s:o}]", "resource", json_loads(rows[i][0], 0, NULL)), NULL);
        ck_assert(!parse_pages("1203849318", pages, &l, err, sizeof err));
        ck_assert_msg(strstr(err, rows[i][1]), "%s: %s", rows[i][1], err);
        ck_assert_uint_eq(l.n, 0);
    }
    /* The same resource naming the citizen's Patient by its absolute URL is the citizen's. */
    free(pages[1]);
    pages[1] = bundle_text(
        json_pack("[{s:o}]", "resource",
                  json_loads("{\"resourceType\":\"CarePlan\",\"id\":\"c3\",\"status\":\"active\","
                             "\"subject\":{\"reference\":\"http://hl7.org/fhir/Patient/example\"}}",
                             0, NULL)),
        NULL);
    ck_assert_msg(parse_pages("1203849318", pages, &l, err, sizeof err), "%s", err);
    ck_assert_uint_eq(l.n, 1);
    gp_record_list_free(&l);
    free(pages[0]);
    free(pages[1]);
    json_decref(root);
    free(body);
}
END_TEST

/* FHIR lets a server ignore a search parameter and say so in an OperationOutcome entry: such an
 * answer is refused, as is one reporting an error; a warning of nothing found is an answer. */
START_TEST(test_ignored_parameter)
{
    static const struct {
        const char *issue;
        const char *err; /* NULL: accepted */
    } rows[] = {
        {"{\"severity\":\"warning\",\"code\":\"processing\",\"diagnostics\":\"Unknown search "
         "parameter 'patient.identifier' was ignored\"}",
         "did not apply the search as asked: Unknown search parameter"},
        {"{\"severity\":\"information\",\"code\":\"not-supported\",\"details\":{\"text\":"
         "\"_include\"}}",
         "did not apply the search as asked: _include"},
        {"{\"severity\":\"error\",\"code\":\"exception\",\"diagnostics\":\"database down\"}",
         "the server reported an error: database down"},
        {"{\"severity\":\"warning\",\"code\":\"not-found\",\"details\":{\"text\":\"There is no "
         "matching patient\"}}",
         NULL},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        json_t *oo = json_pack("{s:s, s:[o]}", "resourceType", "OperationOutcome", "issue",
                               json_loads(rows[i].issue, 0, NULL));
        char *page = bundle_text(
            json_pack("[{s:o, s:{s:s}}]", "resource", oo, "search", "mode", "outcome"), NULL);
        struct gp_record_list l = {0};
        char err[256] = "";
        bool ok =
            gp_adapter_fhir_r4.parse_lookup("1203849318", page, strlen(page), &l, err, sizeof err);
        if (rows[i].err) {
            ck_assert_msg(!ok, "%s accepted", rows[i].issue);
            ck_assert_msg(strstr(err, rows[i].err), "%s", err);
        } else {
            ck_assert_msg(ok, "%s", err);
        }
        ck_assert_uint_eq(l.n, 0);
        free(page);
    }
}
END_TEST

/* Options, the first request and what follows the patient search. */
START_TEST(test_fhir_conversation)
{
    const struct gp_adapter *a = &gp_adapter_fhir_r4;
    char err[256], url[8192], arg[256], next[32768];
    static const char *const good[] = {"", "{}", "{\"search\":\"system\"}",
                                       "{\"patient\":\"identifier\",\"include\":\"yes\"}",
                                       "{\"types\":\"Encounter,EpisodeOfCare\"}"};
    for (size_t i = 0; i < N_ROWS(good); i++)
        ck_assert_msg(a->check_options(good[i], err, sizeof err), "%s: %s", good[i], err);
    static const char *const bad[] = {"[]",
                                      "{\"search\":\"x\"}",
                                      "{\"types\":\"CarePlan,CarePlan\"}",
                                      "{\"types\":\"Observation\"}",
                                      "{\"types\":\"\"}",
                                      "{\"foo\":\"1\"}",
                                      "{\"include\":true}"};
    for (size_t i = 0; i < N_ROWS(bad); i++)
        ck_assert_msg(!a->check_options(bad[i], err, sizeof err), "%s accepted", bad[i]);

    /* The defaults: the patient search, then a search per type, in parallel. */
    ck_assert(
        a->lookup_start("http://h/fhir/", "{}", "1203849318", url, sizeof url, arg, sizeof arg));
    ck_assert_str_eq(url, "http://h/fhir/Patient?identifier=urn%3Aoid%3A1.2.208.176.1.2%7C"
                          "1203849318&_count=50");
    char *page = bundle_text(json_pack("[o]", patient_entry("p-1", "1203849318", NULL)), NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), 4);
    ck_assert_str_eq(next, "http://h/fhir/EpisodeOfCare?patient=Patient%2Fp-1&_count=1000\n"
                           "http://h/fhir/CarePlan?patient=Patient%2Fp-1&_count=1000\n"
                           "http://h/fhir/DocumentReference?patient=Patient%2Fp-1&_count=1000\n"
                           "http://h/fhir/Encounter?patient=Patient%2Fp-1&_count=1000");
    free(page);
    /* Two patients carry the CPR (a server with duplicates): both asked about. */
    page = bundle_text(json_pack("[o, o, o]", patient_entry("p-1", "1203849318", NULL),
                                 patient_entry("p.2", "1203849318", NULL),
                                 patient_entry("p-1", "1203849318", NULL)),
                       NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), 4);
    ck_assert(strstr(next, "EpisodeOfCare?patient=Patient%2Fp-1,Patient%2Fp.2&_count=1000\n"));
    free(page);
    /* A patient without the CPR: the server ignored the identifier. Nothing more is asked. */
    page = bundle_text(json_pack("[o, o]", patient_entry("p-1", "1203849318", NULL),
                                 patient_entry("p-9", NULL, NULL)),
                       NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), -1);
    ck_assert_msg(strstr(next, "does not carry the CPR asked"), "%s", next);
    free(page);
    page = bundle_text(json_pack("[o]", patient_entry("p-9", "0507909301", NULL)), NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), -1);
    free(page);
    /* No patient: the system does not know the citizen, and that page is the answer. */
    page = bundle_text(json_array(), NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), 0);
    free(page);
    page = bundle_text(json_array(), "http://h/fhir/Patient?page=2");
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), -1);
    free(page);
    const char *oo = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                     "\"code\":\"not-supported\",\"diagnostics\":\"no Patient search\"}]}";
    ck_assert_int_eq(a->lookup_next(arg, url, oo, strlen(oo), next, sizeof next), -1);
    ck_assert_str_eq(next, "fhir: the patient search failed: no Patient search");

    /* One system-level search, with the _includes of the types asked. */
    ck_assert(a->lookup_start("https://fhir.example/r4",
                              "{\"include\":\"yes\",\"search\":\"system\",\"types\":\"Encounter,"
                              "EpisodeOfCare\"}",
                              "1203849318", url, sizeof url, arg, sizeof arg));
    page = bundle_text(json_pack("[o]", patient_entry("a", "1203849318", NULL)), NULL);
    ck_assert_int_eq(a->lookup_next(arg, url, page, strlen(page), next, sizeof next), 1);
    ck_assert_str_eq(next,
                     "https://fhir.example/r4?_type=EpisodeOfCare,Encounter&patient=Patient%2Fa"
                     "&_count=1000&_include=EpisodeOfCare:care-manager&_include="
                     "EpisodeOfCare:organization&_include=Encounter:practitioner&_include="
                     "Encounter:service-provider");
    free(page);

    /* By the chained identifier, per type: the searches are the first requests. */
    ck_assert(a->lookup_start("http://h",
                              "{\"patient\":\"identifier\",\"types\":"
                              "\"DocumentReference,EpisodeOfCare\"}",
                              "1203849318", url, sizeof url, arg, sizeof arg));
    ck_assert_str_eq(url, "http://h/EpisodeOfCare?patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C"
                          "1203849318&_count=1000\nhttp://h/DocumentReference?patient.identifier="
                          "urn%3Aoid%3A1.2.208.176.1.2%7C1203849318&_count=1000");
    ck_assert(!a->lookup_start("http://h", "{\"search\":\"x\"}", "1203849318", url, sizeof url, arg,
                               sizeof arg));
    ck_assert(!a->lookup_start("http://h", "{}", "12038493", url, sizeof url, arg, sizeof arg));
}
END_TEST

/* An error answer's OperationOutcome reaches sources[].error, CPR numbers masked. */
START_TEST(test_fhir_describe_error)
{
    char out[200];
    const char *oo = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
                     "\"information\",\"diagnostics\":\"took 3 ms\"},{\"severity\":\"error\","
                     "\"code\":\"invalid\",\"diagnostics\":\"no patient 1203849318\\nhere\"}]}";
    ck_assert(gp_adapter_fhir_r4.describe_error(oo, strlen(oo), out, sizeof out));
    ck_assert_str_eq(out, "OperationOutcome: no patient 120384xxxx here");
    ck_assert(!gp_adapter_fhir_r4.describe_error("<html>", 6, out, sizeof out));
    ck_assert(!gp_adapter_fhir_r4.describe_error("{}", 2, out, sizeof out));
}
END_TEST

/* Every coding consulted, security labels after them (kept by a child that takes its case's
 * codes), statuses reconciled with dates, undated documents closed, activity dates from a
 * timing's bounds or a date string. */
START_TEST(test_fhir_codes_and_status)
{
    const char *page =
        "{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
        "{\"resource\":{\"resourceType\":\"EpisodeOfCare\",\"id\":\"e1\",\"status\":\"active\","
        " \"period\":{\"start\":\"2013-01-01\",\"end\":\"2013-12-31\"},"
        " \"type\":[{\"coding\":[{\"system\":\"urn:x:a\",\"code\":\"A1\"},{\"system\":\"urn:x:b\","
        "\"code\":\"B1\"}]},{\"coding\":[{\"system\":\"urn:x:c\",\"code\":\"C1\"}]}],"
        " \"patient\":{\"identifier\":{\"system\":\"urn:oid:1.2.208.176.1.2\",\"value\":"
        "\"1203849318\"}}}},"
        "{\"resource\":{\"resourceType\":\"Encounter\",\"id\":\"n1\",\"status\":\"in-progress\","
        " \"meta\":{\"security\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
        "v3-Confidentiality\",\"code\":\"R\"}]},"
        " \"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":"
        "\"AMB\"},\"episodeOfCare\":[{\"reference\":\"EpisodeOfCare/e1\"}],"
        " \"subject\":{\"identifier\":{\"system\":\"urn:oid:1.2.208.176.1.2\",\"value\":"
        "\"1203849318\"}}}},"
        "{\"resource\":{\"resourceType\":\"DocumentReference\",\"id\":\"d1\",\"status\":"
        "\"current\","
        " \"type\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"34108-1\"}]},"
        " \"category\":[{\"coding\":[{\"system\":\"urn:x:cat\",\"code\":\"k\"}]}],"
        " \"securityLabel\":[{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/"
        "v3-Confidentiality\",\"code\":\"V\"}]}],"
        " \"subject\":{\"identifier\":{\"system\":\"urn:oid:1.2.208.176.1.2\",\"value\":"
        "\"1203849318\"}}}},"
        "{\"resource\":{\"resourceType\":\"CarePlan\",\"id\":\"c1\",\"status\":\"active\","
        " \"subject\":{\"identifier\":{\"system\":\"urn:oid:1.2.208.176.1.2\",\"value\":"
        "\"1203849318\"}},\"activity\":["
        "  {\"detail\":{\"status\":\"scheduled\",\"description\":\"a\",\"scheduledTiming\":"
        "{\"repeat\":{\"boundsPeriod\":{\"start\":\"2030-02-14\",\"end\":\"2030-02-28\"}}},"
        "\"performer\":[{\"display\":\"Jytte\"}]}},"
        "  {\"detail\":{\"status\":\"in-progress\",\"description\":\"b\",\"scheduledString\":"
        "\"2011-06-27T09:30:10+01:00\"}},"
        "  {\"detail\":{\"status\":\"completed\",\"description\":\"c\",\"scheduledString\":"
        "\"daily\"}}]}}]}";
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert_msg(
        gp_adapter_fhir_r4.parse_lookup("1203849318", page, strlen(page), &l, err, sizeof err),
        "%s", err);
    check_records(&l);
    ck_assert_uint_eq(l.n, 7);
    const struct gp_record *e = &l.items[0], *n = &l.items[1], *d = &l.items[2];
    const struct gp_record *c = &l.items[3], *a1 = &l.items[4], *a2 = &l.items[5];
    const struct gp_record *a3 = &l.items[6];
    ck_assert_str_eq(e->source_code, "urn:x:a|A1\nurn:x:b|B1\nurn:x:c|C1");
    ck_assert_str_eq(e->status, "closed");
    ck_assert_str_eq(e->status_note, "the source says 'active'; its period ended 2013-12-31");
    /* The encounter takes its course's codes and keeps its own label. */
    ck_assert_str_eq(n->source_code, "urn:x:a|A1\nurn:x:b|B1\nurn:x:c|C1\n"
                                     "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R");
    ck_assert_str_eq(n->status, "open");
    ck_assert_str_eq(n->status_note, "");
    ck_assert_str_eq(d->source_code, "http://loinc.org|34108-1\nurn:x:cat|k\n"
                                     "http://terminology.hl7.org/CodeSystem/v3-Confidentiality|V");
    ck_assert_str_eq(d->status, "closed");        /* undated: a document, not an open case */
    ck_assert_str_eq(c->source_code, "CarePlan"); /* no category: listed as unmapped */
    ck_assert_str_eq(c->status, "open");
    ck_assert_str_eq(a1->start_date, "2030-02-14");
    ck_assert_str_eq(a1->end_date, "2030-02-28");
    ck_assert_str_eq(a1->status, "planned");
    ck_assert_str_eq(a1->caseworker_name, "Jytte");
    ck_assert_str_eq(a2->start_date, "2011-06-27");
    ck_assert_str_eq(a2->status, "closed");
    ck_assert_str_eq(a2->status_note, "the source says 'in-progress'; its period ended 2011-06-27");
    ck_assert_str_eq(a3->start_date, ""); /* "daily" is no date */
    ck_assert_str_eq(a3->status, "closed");
    gp_record_list_free(&l);
}
END_TEST

/* ---- malformed bodies ------------------------------------------------------------------- */

static const struct bad {
    const char *kind;
    enum mode mode;
    const char *body; /* NULL: the empty body */
    const char *err;  /* a part of the error text */
} bad_rows[] = {
    {"momentum", LOOKUP, NULL, "empty body"},
    {"momentum", LOOKUP, "<html>502 Bad Gateway</html>", "not JSON"},
    {"momentum", LOOKUP, "{\"forloeb\": [", "not JSON"},
    {"momentum", LOOKUP, "[]", "not a JSON object"},
    {"momentum", LOOKUP, "\"forloeb\"", "not JSON"},
    {"momentum", LOOKUP, "{}", "no forloeb array"},
    {"momentum", LOOKUP, "{\"forloeb\": {}}", "no forloeb array"},
    {"momentum", LOOKUP, "{\"forloeb\": [1]}", "forloeb[0] is not an object"},
    {"momentum", LOOKUP, "{\"forloeb\": [{\"forloeb_id\": 7}]}", "no forloeb_id"},
    {"momentum", LOOKUP, "{\"forloeb\": [{\"forloeb_id\": \"\"}]}", "no forloeb_id"},
    {"momentum", LOOKUP, "{\"forloeb\": [{\"forloeb_id\": \"a\", \"aktiviteter\": [{}]}]}",
     "no aktivitet_id"},
    {"momentum", LOOKUP, "{\"forloeb\": [{\"forloeb_id\": \"a\", \"dokumenter\": [null]}]}",
     "dokumenter[0] of forloeb a is not an object"},
    {"momentum", LOOKUP, "{\"forloeb\": [{\"forloeb_id\": \"a\", \"ydelser\": [1]}]}",
     "ydelser[0] of forloeb a is not an object"},
    {"momentum", LOOKUP, "{\"forloeb\": [], \"x\": 123456789012345678901234567890}", "not JSON"},
    {"momentum", LOOKUP, "{\"forloeb\": [], \"x\": 1e999999}", "not JSON"},
    {"momentum", LOOKUP, "{\"forloeb\": [], \"forloeb\": []}", "not JSON"},
    {"momentum", LOOKUP, "{\"fejlkode\": \"INTERN_FEJL\", \"besked\": \"Fejl\"}", "INTERN_FEJL"},
    {"momentum", EXPORT, "{}", "no borgere array"},
    {"momentum", EXPORT, "{\"borgere\": [], \"naeste_cursor\": 5}", "naeste_cursor"},
    {"sensum", LOOKUP, NULL, "empty body"},
    {"sensum", LOOKUP, "{}", "no Cases array"},
    {"sensum", LOOKUP, "{\"Cases\": null}", "no Cases array"},
    {"sensum", LOOKUP, "{\"Cases\": [\"x\"]}", "Cases[0] is not an object"},
    {"sensum", LOOKUP, "{\"Cases\": [{\"CaseId\": -1}]}", "no CaseId"},
    {"sensum", LOOKUP, "{\"Cases\": [{\"CaseId\": 1.5}]}", "no CaseId"},
    {"sensum", LOOKUP, "{\"Cases\": [{\"CaseId\": 1, \"Documents\": [{\"Title\": \"x\"}]}]}",
     "no DocumentId"},
    {"sensum", LOOKUP, "{\"Cases\": [{\"CaseId\": 1, \"Documents\": [[]]}]}",
     "Documents[0] of case/1 is not an object"},
    {"sensum", LOOKUP, "{\"Message\": \"An error has occurred.\"}", "An error has occurred."},
    {"sensum", EXPORT, "{\"Items\": {}}", "no Items array"},
    {"sensum", EXPORT, "{\"Items\": [], \"ContinuationToken\": []}", "ContinuationToken"},
    {"fhir-r4", LOOKUP, NULL, "empty body"},
    {"fhir-r4", LOOKUP, "{}", "not a Bundle"},
    {"fhir-r4", LOOKUP, "{\"resourceType\": \"Patient\"}", "not a Bundle"},
    {"fhir-r4", LOOKUP, "{\"resourceType\": \"Bundle\", \"type\": \"transaction\"}",
     "not a searchset"},
    {"fhir-r4", LOOKUP, "{\"resourceType\": \"Bundle\"}", "not a searchset"},
    {"fhir-r4", LOOKUP, "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": {}}",
     "not an array"},
    {"fhir-r4", LOOKUP, "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": [3]}",
     "entry[0] is not an object"},
    {"fhir-r4", LOOKUP,
     "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": [{\"resource\": "
     "{\"resourceType\": \"Encounter\"}}]}",
     "no valid id"},
    {"fhir-r4", LOOKUP,
     "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"link\": [{\"relation\": "
     "\"next\", \"url\": \"http://x/fhir?_cursor=a\"}]}",
     "more than one page"},
    {"fhir-r4", LOOKUP,
     "{\"resourceType\": \"OperationOutcome\", \"issue\": [{\"severity\": \"error\", "
     "\"code\": \"invalid\", \"diagnostics\": \"_type: resource type not supported\"}]}",
     "_type: resource type not supported"},
    {"fhir-r4", EXPORT,
     "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"link\": [{\"relation\": "
     "\"next\", \"url\": \"http://x/fhir?page=2\"}]}",
     "no usable _cursor"},
    {"dubu", LOOKUP, NULL, "empty body"},
    {"dubu", LOOKUP, "{}", "no children array"},
    {"dubu", LOOKUP, "{\"children\": [null]}", "children[0] is not an object"},
    {"dubu", LOOKUP, "{\"children\": [{\"cases\": [{}]}]}", "no caseNo"},
    {"dubu", LOOKUP, "{\"children\": [], \"parentCases\": [7]}", "not an object"},
    {"dubu", LOOKUP, "{\"children\": [{\"cases\": [{\"caseNo\": \"X\", \"documents\": [\"d\"]}]}]}",
     "documents[0] of case/X is not an object"},
    {"dubu", LOOKUP, "{\"error\": {\"code\": \"HTTP_500\", \"message\": \"boom\"}}", "boom"},
    {"dubu", EXPORT, "{\"parents\": [], \"nextAfter\": \"3\"}", "nextAfter"},
    {"dubu", EXPORT, "{\"parents\": [], \"nextAfter\": null, \"hasMore\": true}", "hasMore"},
    {"dubu", EXPORT, "{\"parents\": 1}", "no parents array"},
};

START_TEST(test_bad_body)
{
    const struct bad *b = &bad_rows[_i];
    const struct gp_adapter *a = gp_adapter_find(b->kind);
    char err[256] = "";
    struct gp_export_page page = {0};
    /* A record already in the list stays; nothing is added. */
    gp_record_list_add(&page.records);
    const char *body = b->body ? b->body : "";
    bool ok = b->mode == LOOKUP ? a->parse_lookup("1203849318", body, strlen(body), &page.records,
                                                  err, sizeof err)
                                : a->parse_export(body, strlen(body), &page, err, sizeof err);
    ck_assert_msg(!ok, "%s: accepted %s", b->kind, body);
    ck_assert_msg(strstr(err, b->err), "%s: error '%s' lacks '%s'", b->kind, err, b->err);
    ck_assert_uint_eq(page.records.n, 1);
    gp_record_list_free(&page.records);
}
END_TEST

/* Deep nesting is refused by jansson, not by the stack. */
START_TEST(test_deep_nesting)
{
    size_t depth = 100000;
    char *body = malloc(2 * depth + 16);
    ck_assert_ptr_nonnull(body);
    size_t o = 0;
    o += (size_t)sprintf(body, "{\"forloeb\":");
    for (size_t i = 0; i < depth; i++)
        body[o++] = '[';
    for (size_t i = 0; i < depth; i++)
        body[o++] = ']';
    body[o++] = '}';
    for (size_t i = 0; gp_adapters[i]; i++) {
        struct gp_record_list l = {0};
        char err[256] = "";
        ck_assert(!gp_adapters[i]->parse_lookup("1203849318", body, o, &l, err, sizeof err));
        ck_assert_uint_eq(l.n, 0);
    }
    free(body);
}
END_TEST

/* Members of the wrong type count as absent; the record survives, with its status from the
 * dates (a status that is a number is no status word). */
START_TEST(test_wrong_member_types)
{
    const char *body = "{\"forloeb\": [{\"forloeb_id\": \"f1\", \"forloebstype\": 3, \"status\": "
                       "5, \"start_dato\": [], \"slut_dato\": \"2020-02-30\", \"sagsbehandler\": "
                       "\"x\", \"ydelser\": \"none\", \"aktiviteter\": {}, \"dokumenter\": "
                       "[{\"dokument_id\": \"d1\", \"dato\": 20240101}]}]}";
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert_msg(
        gp_adapter_momentum.parse_lookup("1203849318", body, strlen(body), &l, err, sizeof err),
        "%s", err);
    ck_assert_uint_eq(l.n, 2);
    check_records(&l);
    ck_assert_str_eq(l.items[0].source_ref, "f1");
    ck_assert_str_eq(l.items[0].status, "open");
    ck_assert_str_eq(l.items[0].end_date, "");
    ck_assert_str_eq(l.items[1].source_ref, "d1");
    ck_assert_str_eq(l.items[1].parent_ref, "f1");
    ck_assert_str_eq(l.items[1].status, "open"); /* no date: nothing says it was written */
    gp_record_list_free(&l);
}
END_TEST

/* More than GP_AD_MAX_RECORDS records in one answer fail; exactly that many pass. */
START_TEST(test_record_cap)
{
    for (int extra = 0; extra <= 1; extra++) {
        size_t n = GP_AD_MAX_RECORDS + (size_t)extra;
        char *body = malloc(n * 32 + 64);
        ck_assert_ptr_nonnull(body);
        size_t o = (size_t)sprintf(body, "{\"Cases\": [");
        for (size_t i = 0; i < n; i++)
            o += (size_t)sprintf(body + o, "%s{\"CaseId\": %zu}", i ? "," : "", i + 1);
        o += (size_t)sprintf(body + o, "]}");
        struct gp_record_list l = {0};
        char err[256] = "";
        bool ok = gp_adapter_sensum.parse_lookup("1203849318", body, o, &l, err, sizeof err);
        ck_assert_int_eq(ok, !extra);
        ck_assert_uint_eq(l.n, extra ? 0 : n);
        if (extra)
            ck_assert_msg(strstr(err, "too many records"), "%s", err);
        gp_record_list_free(&l);
        free(body);
    }
}
END_TEST

/* An identifier that does not fit source_ref fails instead of being cut (two ids could
 * become one). */
START_TEST(test_long_identifier)
{
    char body[512];
    char id[200];
    memset(id, 'a', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    snprintf(body, sizeof body, "{\"forloeb\": [{\"forloeb_id\": \"%s\"}]}", id);
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert(
        !gp_adapter_momentum.parse_lookup("1203849318", body, strlen(body), &l, err, sizeof err));
    ck_assert_msg(strstr(err, "longer than 127"), "%s", err);
    ck_assert_uint_eq(l.n, 0);
    gp_record_list_free(&l);
}
END_TEST

/* DUBU: a child's CPR appears nowhere in the records, even when the system puts it in a
 * title; a title is the child's first name or birth year. */
START_TEST(test_dubu_child_cpr)
{
    const char *body =
        "{\"parent\": {\"cpr\": \"1203849318\"}, \"children\": [{\"childCpr\": \"1806109319\", "
        "\"birthDate\": \"2010-06-18\", \"cases\": [{\"caseNo\": \"C1\", \"measure\": "
        "\"Sag om 1806109319\", \"status\": \"AKTIV\", \"opened\": 1675206000, \"documents\": "
        "[{\"docId\": \"D1\", \"title\": \"Notat 180610-9319\", \"created\": 1675206000}]}]}, "
        "{\"childCpr\": \"0309159306\", \"childName\": \"  Ida Lund\", \"cases\": [{\"caseNo\": "
        "\"C2\", \"measure\": \"Aflastning\"}]}]}";
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert_msg(
        gp_adapter_dubu.parse_lookup("1203849318", body, strlen(body), &l, err, sizeof err), "%s",
        err);
    ck_assert_uint_eq(l.n, 3);
    check_records(&l);
    ck_assert_str_eq(l.items[0].title, "Sag om 180610xxxx (barn født 2010)");
    ck_assert_str_eq(l.items[0].start_date, "2023-02-01");
    ck_assert_str_eq(l.items[1].title, "Notat 180610-xxxx (barn født 2010)");
    ck_assert_str_eq(l.items[2].title, "Aflastning (Ida)");
    for (size_t i = 0; i < l.n; i++) {
        const struct gp_record *r = &l.items[i];
        ck_assert_str_eq(r->cpr, "1203849318");
        const char *fields[] = {r->source_ref,  r->parent_ref,      r->title,
                                r->source_code, r->legal_basis_raw, r->unit};
        for (size_t k = 0; k < N_ROWS(fields); k++) {
            ck_assert_ptr_null(strstr(fields[k], "1806109319"));
            ck_assert_ptr_null(strstr(fields[k], "9319"));
            ck_assert_ptr_null(strstr(fields[k], "0309159306"));
        }
    }
    gp_record_list_free(&l);
}
END_TEST

/* Unknown status words: the status comes from the dates; entered-in-error drops a FHIR
 * resource. */
START_TEST(test_unknown_status)
{
    const char *body =
        "{\"Cases\": [{\"CaseId\": 1, \"Status\": \"Genoptaget\", \"StartDateTime\": "
        "\"2020-01-01T00:00:00+01:00\", \"EndDateTime\": \"2021-01-01T00:00:00+01:00\"}, "
        "{\"CaseId\": 2, \"Status\": \"Ukendt\", \"StartDateTime\": "
        "\"2027-01-01T00:00:00+01:00\"}, "
        "{\"CaseId\": 3, \"Status\": \"???\", \"StartDateTime\": \"2026-01-01T00:00:00+01:00\"}, "
        "{\"CaseId\": 4, \"Status\": \"OPHØRT\"}, {\"CaseId\": 5, \"Status\": \"  visiteret \"}]}";
    struct gp_record_list l = {0};
    char err[256] = "";
    ck_assert_msg(
        gp_adapter_sensum.parse_lookup("1203849318", body, strlen(body), &l, err, sizeof err), "%s",
        err);
    ck_assert_uint_eq(l.n, 5);
    ck_assert_str_eq(l.items[0].status, "closed");
    ck_assert_str_eq(l.items[1].status, "planned");
    ck_assert_str_eq(l.items[2].status, "open");
    ck_assert_str_eq(l.items[3].status, "closed");
    ck_assert_str_eq(l.items[4].status, "open");
    gp_record_list_free(&l);

#define SUBJECT                                                                                    \
    "\"subject\": {\"identifier\": {\"system\": \"urn:oid:1.2.208.176.1.2\", \"value\": "          \
    "\"1203849318\"}}, "
#define PATIENT                                                                                    \
    "\"patient\": {\"identifier\": {\"system\": \"urn:oid:1.2.208.176.1.2\", \"value\": "          \
    "\"1203849318\"}}"
    const char *fhir =
        "{\"resourceType\": \"Bundle\", \"type\": \"searchset\", \"entry\": ["
        "{\"resource\": {\"resourceType\": \"EpisodeOfCare\", \"id\": \"a\", \"status\": "
        "\"entered-in-error\", " PATIENT "}},"
        "{\"resource\": {\"resourceType\": \"DocumentReference\", \"id\": \"b\", \"status\": "
        "\"current\", " SUBJECT "\"docStatus\": \"entered-in-error\"}},"
        "{\"resource\": {\"resourceType\": \"CarePlan\", \"id\": \"c\", \"status\": "
        "\"unknown\", " SUBJECT
        "\"period\": {\"start\": \"2025\", \"end\": \"2026-02\"}, \"activity\": "
        "[{\"detail\": {\"status\": \"entered-in-error\"}}, {\"detail\": {\"status\": "
        "\"scheduled\"}}]}},"
        "{\"resource\": {\"resourceType\": \"Encounter\", \"id\": \"d\", \"status\": "
        "\"wobbly\", " SUBJECT "\"period\": {\"start\": \"2026-10-31T23:30:00Z\"}}}]}";
    ck_assert_msg(
        gp_adapter_fhir_r4.parse_lookup("1203849318", fhir, strlen(fhir), &l, err, sizeof err),
        "%s", err);
    ck_assert_uint_eq(l.n, 3);
    ck_assert_str_eq(l.items[0].source_ref, "CarePlan/c");
    ck_assert_str_eq(l.items[0].status, "closed");
    ck_assert_str_eq(l.items[0].start_date, "2025-01-01");
    ck_assert_str_eq(l.items[0].end_date, "2026-02-28");
    ck_assert_str_eq(l.items[1].source_ref, "CarePlan/c/activity/1");
    ck_assert_str_eq(l.items[1].parent_ref, "CarePlan/c");
    ck_assert_str_eq(l.items[1].status, "planned");
    ck_assert_str_eq(l.items[2].source_ref, "Encounter/d");
    ck_assert_str_eq(l.items[2].start_date, "2026-11-01");
    ck_assert_str_eq(l.items[2].status, "open");
    gp_record_list_free(&l);
}
END_TEST

/* ---- URLs --------------------------------------------------------------------------------- */

static const struct url_row {
    const char *kind;
    const char *base, *cpr; /* lookup when cpr, else export */
    const char *cursor;
    int limit;
    const char *want; /* NULL: the builder must refuse */
} url_rows[] = {
    {"momentum", "http://127.0.0.1:7100", "1203849318", NULL, 0,
     "http://127.0.0.1:7100/momentum/api/v2/borgere/1203849318/forloeb"},
    {"momentum", "http://h/base/", "1203849318", NULL, 0,
     "http://h/base/momentum/api/v2/borgere/1203849318/forloeb"},
    {"momentum", "http://h", "120384-9318", NULL, 0, NULL},
    {"momentum", "http://h", "12038493180", NULL, 0, NULL},
    {"momentum", "", "1203849318", NULL, 0, NULL},
    {"momentum", "http://h", NULL, "", 100, "http://h/momentum/api/v2/eksport?limit=100"},
    {"momentum", "http://h", NULL, "e11fec3149c38939618a4e1cf49a5def", 5000,
     "http://h/momentum/api/v2/eksport?cursor=e11fec3149c38939618a4e1cf49a5def&limit=1000"},
    {"momentum", "http://h", NULL, "a b&c=d/é", 1,
     "http://h/momentum/api/v2/eksport?cursor=a%20b%26c%3Dd%2F%C3%A9&limit=1"},
    {"momentum", "http://h", NULL, "", 0, NULL},
    {"sensum", "http://127.0.0.1:7101", "1203849318", NULL, 0,
     "http://127.0.0.1:7101/sensum/api/Citizens/1203849318/Cases"},
    {"sensum", "http://h", NULL, "", 50, "http://h/sensum/api/Export?pageSize=50"},
    {"sensum", "http://h", NULL, "69fe6ac742ddf9b6563a16efcf5c5126", 1000,
     "http://h/sensum/api/Export?continuationToken=69fe6ac742ddf9b6563a16efcf5c5126&pageSize=500"},
    /* The base URL as given: no /fhir added. */
    {"fhir-r4", "http://127.0.0.1:7102/fhir", "1203849318", NULL, 0,
     "http://127.0.0.1:7102/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter"
     "&patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C1203849318&_count=1000"},
    {"fhir-r4", "https://fhir.region.example/r4/", "1203849318", NULL, 0,
     "https://fhir.region.example/r4?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter"
     "&patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C1203849318&_count=1000"},
    {"fhir-r4", "http://h/fhir", NULL, "", 200,
     "http://h/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter&_count=200"},
    {"fhir-r4", "http://h/fhir/", NULL, "487892a0da2721f69506d13d0c21fa96", 4,
     "http://h/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter&_count=4"
     "&_cursor=487892a0da2721f69506d13d0c21fa96"},
    {"dubu", "http://127.0.0.1:7104", "1203849318", NULL, 0,
     "http://127.0.0.1:7104/dubu/rest/parents/1203849318/children-cases"},
    {"dubu", "http://h", NULL, "", 100, "http://h/dubu/rest/export?limit=100"},
    {"dubu", "http://h", NULL, "17", 100, "http://h/dubu/rest/export?after=17&limit=100"},
};

START_TEST(test_url)
{
    const struct url_row *u = &url_rows[_i];
    const struct gp_adapter *a = gp_adapter_find(u->kind);
    char url[1024];
    bool ok = u->cpr ? a->lookup_url(u->base, u->cpr, url, sizeof url)
                     : a->export_url(u->base, u->cursor, u->limit, url, sizeof url);
    if (!u->want) {
        ck_assert_msg(!ok, "%s: built %s", u->kind, url);
        return;
    }
    ck_assert_msg(ok, "%s: refused", u->kind);
    ck_assert_str_eq(url, u->want);
    /* Exactly the length of the URL plus its NUL is enough; one byte less is not. */
    size_t need = strlen(u->want) + 1;
    char *small = malloc(need);
    ck_assert(u->cpr ? a->lookup_url(u->base, u->cpr, small, need)
                     : a->export_url(u->base, u->cursor, u->limit, small, need));
    ck_assert(!(u->cpr ? a->lookup_url(u->base, u->cpr, small, need - 1)
                       : a->export_url(u->base, u->cursor, u->limit, small, need - 1)));
    free(small);
}
END_TEST

START_TEST(test_registry)
{
    ck_assert_ptr_eq(gp_adapter_find("momentum"), &gp_adapter_momentum);
    ck_assert_ptr_eq(gp_adapter_find("sensum"), &gp_adapter_sensum);
    ck_assert_ptr_eq(gp_adapter_find("fhir-r4"), &gp_adapter_fhir_r4);
    ck_assert_ptr_eq(gp_adapter_find("dubu"), &gp_adapter_dubu);
    ck_assert_ptr_null(gp_adapter_find("fhir"));
    ck_assert_str_eq(gp_adapter_fhir_r4.accept,
                     "application/fhir+json, application/json+fhir;q=0.9, application/json;q=0.8");
    ck_assert_str_eq(gp_adapter_fhir_r4.prefer, "handling=strict");
    ck_assert_ptr_null(gp_adapter_momentum.prefer);
    ck_assert_str_eq(gp_adapter_momentum.accept, "application/json");
}
END_TEST

/* ---- the calendar --------------------------------------------------------------------------
 * Expected values worked out from the rule (last Sunday of March/October, 01:00 UTC) and
 * checked against the tz database's Europe/Copenhagen. */

static const struct {
    long long epoch;
    const char *date;
} epoch_rows[] = {
    {1675206000, "2023-02-01"}, /* 2023-01-31 23:00 UTC = midnight CET */
    {1690840800, "2023-08-01"}, /* 2023-07-31 22:00 UTC = midnight CEST */
    {1711846799, "2024-03-31"}, /* 00:59:59 UTC on the spring switch: 01:59:59 CET */
    {1711846800, "2024-03-31"}, /* 01:00 UTC: 03:00 CEST */
    {1711839600, "2024-03-31"}, /* 23:00 UTC on the 30th: midnight CET */
    {1729980000, "2024-10-27"}, /* 2024-10-26 22:00 UTC: midnight CEST */
    {1730069999, "2024-10-27"}, /* 22:59:59 UTC on the 27th: 23:59:59 CET */
    {1730070000, "2024-10-28"}, /* 23:00 UTC: midnight CET */
    {811981800, "1995-09-24"},  /* 22:30 UTC: 23:30 CET, summer time ended in September */
    {844122600, "1996-10-01"},  /* 1996-09-30 22:30 UTC: 00:30 CEST, from 1996 into October */
    {323908200, "1980-04-07"},  /* 1980-04-06 22:30 UTC: 00:30 CEST, the first summer time */
    {339028200, "1980-09-28"},  /* 22:30 UTC: 23:30 CET, 1980's summer time ended */
    {370477800, "1981-09-27"},  /* 22:30 UTC: 23:30 CET */
    {173485800, "1975-07-01"},  /* 22:30 UTC: 23:30 CET, no summer time before 1980 */
    {0, "1970-01-01"},          {-1, "1970-01-01"}, /* 23:59:59 UTC on 31 Dec 1969: 00:59:59 CET */
    {-5364662401LL, ""},                            /* before 1800 */
    {7289654401LL, ""},                             /* after 2200 */
};

START_TEST(test_epoch_date)
{
    char out[11];
    gp_ad_epoch_date(epoch_rows[_i].epoch, out);
    ck_assert_str_eq(out, epoch_rows[_i].date);
}
END_TEST

static const struct {
    const char *in;
    bool partial, end;
    const char *date, *updated;
} time_rows[] = {
    {"2024-09-01", false, false, "2024-09-01", ""},
    {"2024-09-01T00:00:00+02:00", false, false, "2024-09-01", "2024-09-01T00:00:00+02:00"},
    {"2024-08-31T22:00:00Z", false, false, "2024-09-01", "2024-08-31T22:00:00Z"},
    {"2024-08-31T21:59:59.999Z", false, false, "2024-08-31", "2024-08-31T21:59:59.999Z"},
    {"2005-12-24T09:43:41+11:00", false, false, "2005-12-23", "2005-12-24T09:43:41+11:00"},
    {"2026-10-14T08:01:45", false, false, "2026-10-14", "2026-10-14T08:01:45+02:00"},
    {"2026-01-14T08:01:45", false, false, "2026-01-14", "2026-01-14T08:01:45+01:00"},
    {"2024-03-31T03:30:00", false, false, "2024-03-31", "2024-03-31T03:30:00+02:00"},
    {"2024-03-31T01:30:00", false, false, "2024-03-31", "2024-03-31T01:30:00+01:00"},
    {"2024-02-29", false, false, "2024-02-29", ""},
    {"2023-02-29", false, false, "", ""},
    {"2024-13-01", false, false, "", ""},
    {"9999-12-31", false, false, "", ""},
    {"0001-01-01T00:00:00Z", false, false, "", ""},
    {"2024-01-01T24:00:00Z", false, false, "", ""},
    {"2024-01-01T10:00:00+1", false, false, "", ""},
    {"2024-01-01T10:00:00+0100", false, false, "2024-01-01", "2024-01-01T10:00:00+0100"},
    {"2024-01-01x", false, false, "", ""},
    {" 2024-01-01", false, false, "", ""},
    {"2024", false, false, "", ""},
    {"2024", true, false, "2024-01-01", ""},
    {"2024", true, true, "2024-12-31", ""},
    {"2024-02", true, true, "2024-02-29", ""},
    {"2024-02", true, false, "2024-02-01", ""},
    {"", true, false, "", ""},
};

START_TEST(test_local_date)
{
    char date[11], updated[40];
    gp_ad_local_date(time_rows[_i].in, time_rows[_i].partial, time_rows[_i].end, date);
    ck_assert_msg(!strcmp(date, time_rows[_i].date), "%s: %s", time_rows[_i].in, date);
    gp_ad_updated(time_rows[_i].in, updated, sizeof updated);
    ck_assert_msg(!strcmp(updated, time_rows[_i].updated), "%s: %s", time_rows[_i].in, updated);
}
END_TEST

/* ---- robustness ---------------------------------------------------------------------------- */

/* A file listed twice (lookup and export) is run through the slow loops once. */
static bool seen_before(int i)
{
    for (int k = 0; k < i; k++) {
        if (!strcmp(fixtures[k].file, fixtures[i].file))
            return true;
    }
    return false;
}

/* Every prefix of the fixture: refused (or, when only blanks are missing, the whole answer),
 * never a crash, never a leak, never a partial list. */
START_TEST(test_truncations)
{
    const struct fixture *fx = &fixtures[_i];
    if (seen_before(_i))
        return;
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", fx->file);
    size_t len;
    char *full = slurp(path, &len);
    for (size_t n = 0; n < len; n++) {
        char *body = malloc(n ? n : 1); /* exactly n bytes: ASan sees any read past them */
        ck_assert_ptr_nonnull(body);
        memcpy(body, full, n);
        struct gp_export_page page = {0};
        char err[256] = "";
        bool ok = run_parser(fx, body, n, &page, err, sizeof err);
        if (ok) {
            ck_assert_msg(strspn(full + n, " \t\r\n") == len - n, "%s: prefix %zu accepted",
                          fx->file, n);
            check_records(&page.records);
        } else {
            ck_assert_msg(err[0], "%s: prefix %zu refused without a reason", fx->file, n);
            ck_assert_uint_eq(page.records.n, 0);
        }
        gp_record_list_free(&page.records);
        free(body);
    }
    free(full);
}
END_TEST

/* Replaces every value in the document, one at a time, with a value of each other type;
 * every answer must parse to valid records or be refused with a reason. */
static void mutate_all(const struct fixture *fx, json_t *root, json_t *node, size_t *count)
{
    static const char *const replacements[] = {"null",       "0",  "-1", "1.5",  "\"\"",
                                               "\"x\"",      "[]", "{}", "true", "\"9999-12-31\"",
                                               "99999999999"};
    size_t i;
    const char *key;
    json_t *child, *tmp;
    if (json_is_object(node)) {
        json_object_foreach_safe(node, tmp, key, child)
        {
            json_incref(child);
            for (size_t r = 0; r < N_ROWS(replacements); r++) {
                json_object_set_new(node, key, json_loads(replacements[r], JSON_DECODE_ANY, NULL));
                char *body = json_dumps(root, JSON_COMPACT);
                struct gp_export_page page = {0};
                char err[256] = "";
                if (run_parser(fx, body, strlen(body), &page, err, sizeof err))
                    check_records(&page.records);
                else
                    ck_assert_msg(err[0] && page.records.n == 0, "%s: no reason", fx->file);
                gp_record_list_free(&page.records);
                free(body);
                (*count)++;
            }
            json_object_set_new(node, key, child);
            mutate_all(fx, root, child, count);
        }
    } else if (json_is_array(node)) {
        json_array_foreach(node, i, child)
        {
            mutate_all(fx, root, child, count);
        }
    }
}

START_TEST(test_mutations)
{
    const struct fixture *fx = &fixtures[_i];
    if (seen_before(_i))
        return;
    char path[512];
    snprintf(path, sizeof path, FIXTURES "%s", fx->file);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    ck_assert_msg(root != NULL, "%s: %s", path, jerr.text);
    size_t count = 0;
    mutate_all(fx, root, root, &count);
    ck_assert_uint_gt(count, 0);
    json_decref(root);
}
END_TEST

static Suite *adapters_suite(void)
{
    Suite *s = suite_create("adapters");
    TCase *tc = tcase_create("fixtures");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_fixture, 0, N_ROWS(fixtures));
    tcase_add_test(tc, test_many_records);
    tcase_add_test(tc, test_other_citizen);
    tcase_add_test(tc, test_fhir_pages_parse_as_one);
    tcase_add_test(tc, test_fhir_next_link);
    tcase_add_test(tc, test_hl7_per_patient);
    tcase_add_test(tc, test_hl7_foreign_subject);
    tcase_add_test(tc, test_ignored_parameter);
    tcase_add_test(tc, test_fhir_conversation);
    tcase_add_test(tc, test_fhir_describe_error);
    tcase_add_test(tc, test_fhir_codes_and_status);
    tcase_add_test(tc, test_dubu_child_cpr);
    tcase_add_test(tc, test_unknown_status);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_bad_body, 0, N_ROWS(bad_rows));
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_test(tc, test_wrong_member_types);
    tcase_add_test(tc, test_record_cap);
    tcase_add_test(tc, test_long_identifier);
    tcase_add_test(tc, test_operation_outcome_fixture);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);

    tc = tcase_create("urls");
    tcase_add_loop_test(tc, test_url, 0, N_ROWS(url_rows));
    tcase_add_test(tc, test_registry);
    suite_add_tcase(s, tc);

    tc = tcase_create("calendar");
    tcase_add_loop_test(tc, test_epoch_date, 0, N_ROWS(epoch_rows));
    tcase_add_loop_test(tc, test_local_date, 0, N_ROWS(time_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_truncations, 0, N_ROWS(fixtures));
    tcase_add_loop_test(tc, test_mutations, 0, N_ROWS(fixtures));
    tcase_set_timeout(tc, 300);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(adapters_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
