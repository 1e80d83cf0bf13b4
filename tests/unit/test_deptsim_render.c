/* deptsim's native renderers and routes, socket-free through ds_route(): each system's shape
 * for the demo citizens (key fields checked exactly, whole answers against golden files in
 * cmd/deptsim/testdata/), unknown and invalid CPRs in each vendor's style, FHIR paging, and
 * the bulk exports equal to the lookups. Set DEPTSIM_UPDATE_GOLDEN=1 to rewrite the goldens
 * after an intended change (and review the diff). */
#include "cmd/deptsim/control.h"
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/jsonw.h"
#include "cmd/deptsim/population.h"
#include "cmd/deptsim/render.h"
#include "cmd/deptsim/routes.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE    "http://127.0.0.1:7100"
#define METTE   "1203849318"
#define OLIVER  "1806109319"
#define BENT    "2311629339"
#define UNKNOWN DS_DEMO_UNKNOWN_CPR
#define CPR_SYS "urn:oid:1.2.208.176.1.2"

static struct ds_population pop;

static void setup(void)
{
    int as_of;
    ck_assert(ds_parse_date(DS_DEFAULT_AS_OF, &as_of));
    ck_assert(ds_population_init(&pop, 1, 200, as_of));
}

/* ---- calling the routes ----------------------------------------------------------------- */

struct query {
    char buf[1024];
    const char *key[16];
    const char *val[16];
    int n;
};

static const char *query_get(void *cls, const char *key)
{
    struct query *q = cls;
    for (int i = 0; i < q->n; i++) {
        if (!strcmp(q->key[i], key))
            return q->val[i];
    }
    return NULL;
}

/* query: "a=b&c=d", values already decoded (as libmicrohttpd hands them over). */
static void query_parse(struct query *q, const char *query)
{
    q->n = 0;
    snprintf(q->buf, sizeof q->buf, "%s", query ? query : "");
    char *save = NULL;
    for (char *kv = strtok_r(q->buf, "&", &save); kv && q->n < 16;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        q->key[q->n] = kv;
        q->val[q->n++] = eq + 1;
    }
}

struct resp {
    unsigned status;
    char ctype[64];
    char *body;
    json_t *json;
    enum ds_reply_kind kind;
    bool known;
    char masked[12];
};

static void call_p(const struct ds_population *p, enum ds_system s, const char *method,
                   const char *path, const char *query, struct resp *r)
{
    struct query q;
    query_parse(&q, query);
    struct ds_request rq = {.sys = s,
                            .method = method,
                            .path = path,
                            .arg = query_get,
                            .arg_cls = &q,
                            .base_url = BASE};
    struct ds_reply rep;
    ck_assert(ds_route(p, &rq, &rep));
    memset(r, 0, sizeof *r);
    r->status = rep.status;
    snprintf(r->ctype, sizeof r->ctype, "%s", rep.content_type);
    r->body = rep.body;
    r->kind = rep.kind;
    r->known = rep.known;
    snprintf(r->masked, sizeof r->masked, "%s", rep.cpr_masked);
    json_error_t err;
    r->json = json_loadb(rep.body, rep.len, 0, &err);
    ck_assert_msg(r->json != NULL, "not JSON: %s", err.text);
}

static void call(enum ds_system s, const char *path, const char *query, struct resp *r)
{
    call_p(&pop, s, "GET", path, query, r);
}

static void resp_free(struct resp *r)
{
    free(r->body);
    json_decref(r->json);
    r->body = NULL;
    r->json = NULL;
}

static const char *str(json_t *j, const char *path)
{
    /* "a.b.0.c": objects by key, arrays by index */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *p = strtok_r(buf, ".", &save); p && j; p = strtok_r(NULL, ".", &save)) {
        if (json_is_array(j))
            j = json_array_get(j, (size_t)atoi(p));
        else
            j = json_object_get(j, p);
    }
    ck_assert_msg(j != NULL, "no %s", path);
    if (json_is_null(j))
        return "null";
    ck_assert_msg(json_is_string(j), "%s is not a string", path);
    return json_string_value(j);
}

static json_t *get(json_t *j, const char *path)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    for (char *p = strtok_r(buf, ".", &save); p && j; p = strtok_r(NULL, ".", &save))
        j = json_is_array(j) ? json_array_get(j, (size_t)atoi(p)) : json_object_get(j, p);
    ck_assert_msg(j != NULL, "no %s", path);
    return j;
}

/* The object's keys, in order, joined by ','. */
static void keys(json_t *o, char *buf, size_t len)
{
    const char *k;
    json_t *v;
    size_t n = 0;
    buf[0] = '\0';
    json_object_foreach(o, k, v)
    {
        n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? "," : "", k);
    }
}

static void check_keys(json_t *o, const char *want)
{
    char buf[1024];
    ck_assert(json_is_object(o));
    keys(o, buf, sizeof buf);
    ck_assert_str_eq(buf, want);
}

/* Compares body with cmd/deptsim/testdata/<name>.json (pretty-printed, key order kept). */
static void golden(const char *name, json_t *body)
{
    char path[512];
    snprintf(path, sizeof path, "%s/cmd/deptsim/testdata/%s.json", GP_SOURCE_DIR, name);
    char *got = json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    ck_assert_ptr_nonnull(got);
    const char *update = getenv("DEPTSIM_UPDATE_GOLDEN");
    if (update && !strcmp(update, "1")) {
        FILE *f = fopen(path, "w");
        ck_assert_ptr_nonnull(f);
        fprintf(f, "%s\n", got);
        fclose(f);
    }
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "missing golden %s (DEPTSIM_UPDATE_GOLDEN=1 writes it)", path);
    char *want = calloc(1, 4 << 20);
    size_t n = fread(want, 1, (4 << 20) - 1, f);
    fclose(f);
    while (n > 0 && want[n - 1] == '\n')
        want[--n] = '\0';
    ck_assert_msg(strcmp(want, got) == 0, "%s differs from its golden file", name);
    free(want);
    free(got);
}

/* ---- job centre ------------------------------------------------------------------------- */

START_TEST(test_momentum_demo)
{
    struct resp r;
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere/" METTE "/forloeb", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/json; charset=utf-8");
    ck_assert_int_eq(r.kind, DS_RK_LOOKUP);
    ck_assert(r.known);
    ck_assert_str_eq(r.masked, "120384-xxxx");
    check_keys(r.json, "borger,forloeb,opdateret");
    check_keys(get(r.json, "borger"), "cpr_nummer,navn,foedselsdato");
    ck_assert_str_eq(str(r.json, "borger.cpr_nummer"), METTE);
    ck_assert_str_eq(str(r.json, "borger.navn"), "Mette Lund Sørensen");
    ck_assert_str_eq(str(r.json, "borger.foedselsdato"), "1984-03-12");
    ck_assert_uint_eq(json_array_size(get(r.json, "forloeb")), 3);
    json_t *f = get(r.json, "forloeb.0");
    check_keys(f, "forloeb_id,forloebstype,forloebstype_tekst,lovgrundlag,status,start_dato,"
                  "slut_dato,sagsbehandler,ydelser,aktiviteter,dokumenter,sidst_aendret");
    ck_assert_str_eq(str(f, "forloebstype"), "ressourceforloeb");
    ck_assert_str_eq(str(f, "status"), "aktiv");
    ck_assert_str_eq(str(f, "start_dato"), "2025-02-03");
    ck_assert_str_eq(str(f, "slut_dato"), "null");
    ck_assert_int_eq((int)strlen(str(f, "forloeb_id")), 36);
    check_keys(get(f, "sagsbehandler"), "navn,telefon,email,enhed");
    ck_assert_str_eq(str(f, "ydelser.0.ydelse_kode"), "RFY");
    ck_assert_str_eq(str(f, "ydelser.0.bevilget_fra"), "2025-02-03");
    /* mentor done, praktik running, kursus planned */
    ck_assert_str_eq(str(f, "aktiviteter.0.aktivitetstype"), "mentor");
    ck_assert_str_eq(str(f, "aktiviteter.0.status"), "afsluttet");
    ck_assert_str_eq(str(f, "aktiviteter.1.aktivitetstype"), "praktik");
    ck_assert_str_eq(str(f, "aktiviteter.1.status"), "igang");
    ck_assert_str_eq(str(f, "aktiviteter.1.lovgrundlag"), "LAB § 42");
    ck_assert_str_eq(str(f, "aktiviteter.2.aktivitetstype"), "kursus");
    ck_assert_str_eq(str(f, "aktiviteter.2.status"), "planlagt");
    ck_assert_str_eq(str(f, "dokumenter.0.dokumenttype"), "indstilling");
    ck_assert_str_eq(str(r.json, "forloeb.1.dokumenter.0.dokumenttype"), "LÆ 265");
    ck_assert_str_eq(str(r.json, "forloeb.1.status"), "afsluttet");
    ck_assert_str_eq(str(r.json, "forloeb.2.forloebstype"), "sygedagpenge");
    /* naive local timestamps: no offset, no Z */
    ck_assert_int_eq((int)strlen(str(r.json, "opdateret")), 19);
    golden("mette-jobcentre", r.json);
    resp_free(&r);
    /* the hyphenated form is accepted */
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere/120384-9318/forloeb", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    resp_free(&r);
}
END_TEST

START_TEST(test_momentum_unknown_invalid)
{
    struct resp r;
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere/" UNKNOWN "/forloeb", NULL, &r);
    ck_assert_uint_eq(r.status, 404);
    ck_assert_str_eq(str(r.json, "fejlkode"), "BORGER_IKKE_FUNDET");
    ck_assert(!r.known);
    resp_free(&r);
    /* known to the population, not to the job centre: the same 404 */
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere/0507909301/forloeb", NULL, &r);
    ck_assert_uint_eq(r.status, 404);
    resp_free(&r);
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere/3213849318/forloeb", NULL, &r);
    ck_assert_uint_eq(r.status, 400);
    ck_assert_str_eq(str(r.json, "fejlkode"), "UGYLDIGT_CPR");
    resp_free(&r);
    call(DS_JOBCENTRE, "/momentum/api/v2/borgere", NULL, &r);
    ck_assert_uint_eq(r.status, 404);
    ck_assert_int_eq(r.kind, DS_RK_OTHER);
    resp_free(&r);
}
END_TEST

/* ---- social ----------------------------------------------------------------------------- */

START_TEST(test_sensum_demo)
{
    struct resp r;
    call(DS_SOCIAL, "/sensum/api/Citizens/" METTE "/Cases", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/json; charset=utf-8");
    check_keys(r.json, "CitizenCpr,CitizenName,Cases");
    ck_assert_str_eq(str(r.json, "CitizenCpr"), "120384-9318");
    ck_assert_uint_eq(json_array_size(get(r.json, "Cases")), 2);
    json_t *c = get(r.json, "Cases.0");
    check_keys(c, "CaseId,CaseNumber,Paragraph,CaseType,Status,StartDateTime,EndDateTime,"
                  "Caseworker,Documents,LastModified");
    ck_assert(json_is_integer(get(c, "CaseId")));
    ck_assert_str_eq(str(c, "Paragraph"), "SEL § 85");
    ck_assert_str_eq(str(c, "CaseType"), "Socialpædagogisk støtte");
    ck_assert_str_eq(str(c, "Status"), "Bevilget");
    ck_assert_str_eq(str(c, "StartDateTime"), "2024-09-01T00:00:00+02:00");
    ck_assert_str_eq(str(c, "EndDateTime"), "null");
    check_keys(get(c, "Caseworker"), "Name,Phone,Email,Unit");
    ck_assert_str_eq(str(c, "Documents.0.DocumentType"), "Afgørelse");
    const char *lm = str(c, "LastModified");
    ck_assert_int_eq(lm[strlen(lm) - 1], 'Z');
    ck_assert_str_eq(str(r.json, "Cases.1.Paragraph"), "Servicelovens § 99");
    ck_assert_str_eq(str(r.json, "Cases.1.Status"), "Afsluttet");
    ck_assert_str_eq(str(r.json, "Cases.1.EndDateTime"), "2023-08-31T00:00:00+02:00");
    golden("mette-social", r.json);
    resp_free(&r);
}
END_TEST

START_TEST(test_sensum_unknown_invalid)
{
    struct resp r;
    call(DS_SOCIAL, "/sensum/api/Citizens/" UNKNOWN "/Cases", NULL, &r);
    ck_assert_uint_eq(r.status, 200); /* Sensum: not an error, no cases */
    ck_assert_str_eq(str(r.json, "CitizenCpr"), "010175-9994");
    ck_assert(json_is_null(get(r.json, "CitizenName")));
    ck_assert_uint_eq(json_array_size(get(r.json, "Cases")), 0);
    ck_assert(!r.known);
    resp_free(&r);
    call(DS_SOCIAL, "/sensum/api/Citizens/120384-931/Cases", NULL, &r);
    ck_assert_uint_eq(r.status, 400);
    ck_assert_str_eq(str(r.json, "Message"), "The request is invalid.");
    ck_assert(json_is_object(get(r.json, "ModelState")));
    resp_free(&r);
}
END_TEST

/* ---- FHIR ------------------------------------------------------------------------------- */

static void check_bundle(json_t *b, long total)
{
    ck_assert_str_eq(str(b, "resourceType"), "Bundle");
    ck_assert_str_eq(str(b, "type"), "searchset");
    if (total >= 0)
        ck_assert_int_eq(json_integer_value(get(b, "total")), total);
    ck_assert_str_eq(str(b, "link.0.relation"), "self");
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(b, "entry"), i, e)
    {
        char want[256];
        snprintf(want, sizeof want, BASE "/fhir/%s/%s", str(e, "resource.resourceType"),
                 str(e, "resource.id"));
        ck_assert_str_eq(str(e, "fullUrl"), want);
        ck_assert_str_eq(str(e, "search.mode"), "match");
    }
}

/* Every resource names the patient by identifier: EpisodeOfCare.patient, others .subject. */
static void check_patient(json_t *res, const char *cpr)
{
    const char *type = str(res, "resourceType");
    json_t *ref = get(res, !strcmp(type, "EpisodeOfCare") ? "patient" : "subject");
    ck_assert_str_eq(str(ref, "identifier.system"), CPR_SYS);
    ck_assert_str_eq(str(ref, "identifier.value"), cpr);
}

START_TEST(test_fhir_health_demo)
{
    struct resp r;
    call(DS_HEALTH, "/fhir",
         "_type=EpisodeOfCare,CarePlan,DocumentReference&patient.identifier=" CPR_SYS "|" METTE,
         &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/fhir+json; charset=utf-8");
    check_bundle(r.json, 3);
    json_t *eoc = get(r.json, "entry.0.resource");
    json_t *cp = get(r.json, "entry.1.resource");
    json_t *doc = get(r.json, "entry.2.resource");
    ck_assert_str_eq(str(eoc, "resourceType"), "EpisodeOfCare");
    ck_assert_str_eq(str(eoc, "status"), "finished");
    ck_assert_str_eq(str(eoc, "period.start"), "2025-05-12");
    ck_assert_str_eq(str(eoc, "period.end"), "2025-08-29");
    ck_assert_str_eq(str(eoc, "type.0.coding.0.code"), "SUL140");
    ck_assert_str_eq(str(eoc, "type.0.coding.1.code"), "SUL § 140");
    ck_assert_str_eq(str(eoc, "careManager.reference"), "#cm");
    ck_assert_str_eq(str(eoc, "contained.0.resourceType"), "Practitioner");
    ck_assert_str_eq(str(eoc, "contained.0.telecom.0.system"), "phone");
    ck_assert(json_is_string(get(eoc, "managingOrganization.display")));
    check_patient(eoc, METTE);
    ck_assert_str_eq(str(cp, "resourceType"), "CarePlan");
    ck_assert_str_eq(str(cp, "status"), "completed");
    ck_assert_str_eq(str(cp, "intent"), "plan");
    ck_assert_str_eq(str(cp, "category.0.coding.0.code"), "genoptraeningsplan");
    ck_assert_str_eq(str(cp, "activity.0.detail.status"), "completed");
    char eoc_ref[64];
    snprintf(eoc_ref, sizeof eoc_ref, "EpisodeOfCare/%s", str(eoc, "id"));
    ck_assert_str_eq(str(cp, "supportingInfo.0.reference"), eoc_ref);
    char cp_id[32];
    snprintf(cp_id, sizeof cp_id, "%s", str(cp, "id"));
    check_patient(cp, METTE);
    ck_assert_str_eq(str(doc, "resourceType"), "DocumentReference");
    ck_assert_str_eq(str(doc, "status"), "current");
    ck_assert_str_eq(str(doc, "type.coding.0.code"), "gop");
    ck_assert_str_eq(str(doc, "date"), "2025-05-09T13:20:00+02:00");
    ck_assert_str_eq(str(doc, "context.encounter.0.reference"), eoc_ref);
    ck_assert_str_eq(str(doc, "content.0.attachment.contentType"), "application/pdf");
    check_patient(doc, METTE);
    golden("mette-health", r.json);
    resp_free(&r);

    /* one type at a time gives the same resources */
    call(DS_HEALTH, "/fhir/CarePlan", "patient.identifier=" CPR_SYS "|" METTE, &r);
    check_bundle(r.json, 1);
    ck_assert_str_eq(str(r.json, "entry.0.resource.id"), cp_id);
    resp_free(&r);
    /* the health system has no Encounter */
    call(DS_HEALTH, "/fhir/Encounter", "patient.identifier=" CPR_SYS "|" METTE, &r);
    ck_assert_uint_eq(r.status, 404);
    ck_assert_str_eq(str(r.json, "resourceType"), "OperationOutcome");
    resp_free(&r);
}
END_TEST

START_TEST(test_fhir_region_demo)
{
    struct resp r;
    call(DS_REGION, "/fhir",
         "_type=Encounter,EpisodeOfCare,DocumentReference&patient.identifier=" CPR_SYS "|" METTE,
         &r);
    ck_assert_uint_eq(r.status, 200);
    check_bundle(r.json, 9);
    json_t *enc = get(r.json, "entry.0.resource");
    ck_assert_str_eq(str(enc, "resourceType"), "Encounter");
    ck_assert_str_eq(str(enc, "status"), "finished");
    ck_assert_str_eq(str(enc, "class.system"), "http://terminology.hl7.org/CodeSystem/v3-ActCode");
    ck_assert_str_eq(str(enc, "class.code"), "AMB");
    ck_assert_str_eq(str(enc, "period.start"), "2024-06-10T09:30:00+02:00");
    ck_assert(json_is_string(get(enc, "serviceProvider.display")));
    ck_assert(strncmp(str(enc, "episodeOfCare.0.reference"), "EpisodeOfCare/", 14) == 0);
    check_patient(enc, METTE);
    ck_assert_str_eq(str(r.json, "entry.3.resource.status"), "planned");
    json_t *psyk = get(r.json, "entry.4.resource");
    ck_assert_str_eq(str(psyk, "resourceType"), "EpisodeOfCare");
    ck_assert_str_eq(str(psyk, "type.0.coding.0.code"), "PSYK-AMB");
    ck_assert_str_eq(str(psyk, "status"), "active");
    json_t *lae = get(r.json, "entry.7.resource");
    ck_assert_str_eq(str(lae, "resourceType"), "DocumentReference");
    ck_assert_str_eq(str(lae, "type.coding.0.code"), "LAE265");
    ck_assert_str_eq(str(lae, "date"), "2024-11-20T11:15:00+01:00");
    ck_assert_str_eq(str(lae, "author.0.display"), "Praktiserende læge");
    golden("mette-region", r.json);
    resp_free(&r);
    /* the demo child is a patient of his own */
    call(DS_REGION, "/fhir/EpisodeOfCare", "patient.identifier=" CPR_SYS "|" OLIVER, &r);
    check_bundle(r.json, 1);
    check_patient(get(r.json, "entry.0.resource"), OLIVER);
    resp_free(&r);
    /* the region has no CarePlan */
    call(DS_REGION, "/fhir/CarePlan", "patient.identifier=" CPR_SYS "|" METTE, &r);
    ck_assert_uint_eq(r.status, 404);
    resp_free(&r);
}
END_TEST

START_TEST(test_fhir_unknown_invalid)
{
    struct resp r;
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=" CPR_SYS "|" UNKNOWN, &r);
    ck_assert_uint_eq(r.status, 200);
    check_bundle(r.json, 0);
    ck_assert_ptr_null(json_object_get(r.json, "entry")); /* R4: no entry when empty */
    resp_free(&r);
    /* known to the population, not to this system */
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=" CPR_SYS "|0507909301", &r);
    check_bundle(r.json, 0);
    resp_free(&r);
    /* another identifier system matches nobody */
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=urn:other|" METTE, &r);
    check_bundle(r.json, 0);
    resp_free(&r);
    /* a bare value is taken as the CPR */
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=" METTE, &r);
    check_bundle(r.json, 1);
    resp_free(&r);
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=" CPR_SYS "|1234", &r);
    ck_assert_uint_eq(r.status, 400);
    ck_assert_str_eq(str(r.json, "resourceType"), "OperationOutcome");
    ck_assert_str_eq(str(r.json, "issue.0.code"), "invalid");
    resp_free(&r);
    /* a FHIR type the system does not hold is ignored in _type; a name that is no type is not */
    call(DS_HEALTH, "/fhir", "_type=EpisodeOfCare,Encounter&patient.identifier=" METTE, &r);
    ck_assert_uint_eq(r.status, 200);
    check_bundle(r.json, 1);
    resp_free(&r);
    call(DS_HEALTH, "/fhir", "_type=Encounter&patient.identifier=" METTE, &r);
    ck_assert_uint_eq(r.status, 200);
    check_bundle(r.json, 0);
    resp_free(&r);
    call(DS_HEALTH, "/fhir", "_type=EpisodeOfCare,Observatio&patient.identifier=" METTE, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_HEALTH, "/fhir", "patient.identifier=" METTE, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient.identifier=" METTE "&_count=0", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_REGION, "/fhir/metadata", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "resourceType"), "CapabilityStatement");
    ck_assert_str_eq(str(r.json, "fhirVersion"), "4.0.1");
    resp_free(&r);
}
END_TEST

/* IHE PDQm: the patient search names the citizen's Patient by an opaque id (never the CPR),
 * and a search by that id answers what the chained identifier search answers; it counts as a
 * search, the patient search as the lookup. */
START_TEST(test_fhir_pdqm)
{
    struct resp r;
    call(DS_HEALTH, "/fhir/Patient", "identifier=" CPR_SYS "|" METTE, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_int_eq(r.kind, DS_RK_LOOKUP);
    ck_assert(r.known);
    check_bundle(r.json, 1);
    ck_assert_str_eq(str(r.json, "entry.0.resource.resourceType"), "Patient");
    ck_assert_str_eq(str(r.json, "entry.0.resource.identifier.0.system"), CPR_SYS);
    ck_assert_str_eq(str(r.json, "entry.0.resource.identifier.0.value"), METTE);
    char ref[96];
    snprintf(ref, sizeof ref, "Patient/%s", str(r.json, "entry.0.resource.id"));
    ck_assert(!strstr(ref, METTE));
    resp_free(&r);
    struct resp by_id, by_ident;
    char q[160];
    snprintf(q, sizeof q, "patient=%s", ref);
    call(DS_HEALTH, "/fhir/CarePlan", q, &by_id);
    call(DS_HEALTH, "/fhir/CarePlan", "patient.identifier=" CPR_SYS "|" METTE, &by_ident);
    ck_assert_uint_eq(by_id.status, 200);
    ck_assert_int_eq(by_id.kind, DS_RK_SEARCH);
    ck_assert_int_gt(json_integer_value(json_object_get(by_id.json, "total")), 0);
    ck_assert(
        json_equal(json_object_get(by_id.json, "entry"), json_object_get(by_ident.json, "entry")));
    resp_free(&by_id);
    resp_free(&by_ident);
    /* An id never handed out (or another system's) matches nobody. */
    call(DS_REGION, "/fhir/EpisodeOfCare", q, &r);
    check_bundle(r.json, 0);
    resp_free(&r);
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "patient=Patient/0123456789abcdef0123456789abcdef", &r);
    check_bundle(r.json, 0);
    resp_free(&r);
    /* A citizen the system does not know: no Patient. */
    call(DS_HEALTH, "/fhir/Patient", "identifier=" CPR_SYS "|0507909301", &r);
    check_bundle(r.json, 0);
    ck_assert(!r.known);
    resp_free(&r);
    call(DS_HEALTH, "/fhir/Patient", "name=Mette", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    snprintf(q, sizeof q, "patient=%s&patient.identifier=%s", ref, METTE);
    call(DS_HEALTH, "/fhir/CarePlan", q, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
}
END_TEST

/* Bent's region record is more than one page: follow "next" to the end. */
START_TEST(test_fhir_patient_paging)
{
    struct resp r;
    char query[1024];
    snprintf(query, sizeof query,
             "_type=Encounter,EpisodeOfCare,DocumentReference&"
             "patient.identifier=" CPR_SYS "|" BENT "&_count=1000");
    call(DS_REGION, "/fhir", query, &r);
    long total = (long)json_integer_value(get(r.json, "total"));
    ck_assert_int_gt(total, 100);
    json_t *all = json_deep_copy(get(r.json, "entry"));
    ck_assert_int_eq((long)json_array_size(all), total);
    resp_free(&r);

    snprintf(query, sizeof query,
             "_type=Encounter,EpisodeOfCare,DocumentReference&"
             "patient.identifier=" CPR_SYS "|" BENT);
    json_t *paged = json_array();
    int pages = 0;
    char first_cursor[64] = "";
    for (;;) {
        call(DS_REGION, "/fhir", query, &r);
        ck_assert_uint_eq(r.status, 200);
        check_bundle(r.json, total);
        json_array_extend(paged, get(r.json, "entry"));
        pages++;
        json_t *links = get(r.json, "link");
        if (json_array_size(links) < 2) {
            resp_free(&r);
            break;
        }
        ck_assert_str_eq(str(links, "1.relation"), "next");
        const char *next = str(links, "1.url");
        const char *cur = strstr(next, "_cursor=");
        ck_assert_ptr_nonnull(cur);
        if (!first_cursor[0])
            snprintf(first_cursor, sizeof first_cursor, "%s", cur);
        ck_assert_ptr_nonnull(
            strstr(next, "patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C" BENT));
        snprintf(query, sizeof query,
                 "_type=Encounter,EpisodeOfCare,DocumentReference&patient.identifier=" CPR_SYS
                 "|" BENT "&%s",
                 cur);
        resp_free(&r);
    }
    ck_assert_int_eq(pages, (int)((total + 99) / 100));
    ck_assert(json_equal(all, paged));
    json_decref(all);
    json_decref(paged);
    /* a cursor of another patient's search is refused */
    snprintf(query, sizeof query,
             "_type=Encounter,EpisodeOfCare,DocumentReference&patient.identifier=" CPR_SYS "|" METTE
             "&%s",
             first_cursor);
    call(DS_REGION, "/fhir", query, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
}
END_TEST

/* ---- family ----------------------------------------------------------------------------- */

START_TEST(test_dubu_demo)
{
    struct resp r;
    call(DS_FAMILY, "/dubu/rest/parents/" METTE "/children-cases", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(r.ctype, "application/json");
    check_keys(r.json, "parent,children,parentCases,lastChanged");
    ck_assert_str_eq(str(r.json, "parent.cpr"), METTE);
    ck_assert_uint_eq(json_array_size(get(r.json, "children")), 2);
    json_t *oliver = get(r.json, "children.0");
    check_keys(oliver, "childCpr,childName,birthDate,cases");
    ck_assert_str_eq(str(oliver, "childCpr"), OLIVER);
    ck_assert_str_eq(str(oliver, "cases.0.paragraph"), "SEL § 50");
    ck_assert_str_eq(str(oliver, "cases.1.paragraph"), "SEL § 52, stk. 3, nr. 3");
    ck_assert_str_eq(str(oliver, "cases.1.status"), "AKTIV");
    ck_assert_str_eq(str(oliver, "cases.2.paragraph"), "Barnets Lov § 32, stk. 1, nr. 6");
    json_t *c0 = get(oliver, "cases.0");
    check_keys(c0, "caseNo,paragraph,measure,measureCode,status,opened,closed,caseworker,"
                   "documents,lastChanged");
    /* epoch seconds of Danish local midnight: 2023-02-01 00:00 CET = 2023-01-31T23:00Z */
    ck_assert_int_eq(json_integer_value(get(c0, "opened")), 1675206000);
    ck_assert_int_eq(json_integer_value(get(c0, "closed")), 1688076000);
    ck_assert_str_eq(str(c0, "status"), "LUKKET");
    ck_assert(json_is_null(get(oliver, "cases.1.closed")));
    check_keys(get(c0, "caseworker"), "name,phone,mail,team");
    ck_assert_str_eq(str(r.json, "children.1.cases.0.paragraph"), "SEL § 52, stk. 3, nr. 5");
    ck_assert_str_eq(str(r.json, "children.1.cases.1.status"), "AFVENTER");
    ck_assert_uint_eq(json_array_size(get(r.json, "parentCases")), 0);
    golden("mette-family", r.json);
    resp_free(&r);
}
END_TEST

START_TEST(test_dubu_unknown_invalid)
{
    struct resp r;
    call(DS_FAMILY, "/dubu/rest/parents/" UNKNOWN "/children-cases", NULL, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert_str_eq(str(r.json, "parent.cpr"), UNKNOWN);
    ck_assert_uint_eq(json_array_size(get(r.json, "children")), 0);
    resp_free(&r);
    call(DS_FAMILY, "/dubu/rest/parents/" OLIVER "/children-cases", NULL, &r);
    ck_assert_uint_eq(json_array_size(get(r.json, "children")), 0); /* a child, not a parent */
    resp_free(&r);
    call(DS_FAMILY, "/dubu/rest/parents/310284-0000/children-cases", NULL, &r);
    ck_assert_uint_eq(r.status, 400);
    ck_assert_str_eq(str(r.json, "error.code"), "HTTP_400");
    resp_free(&r);
}
END_TEST

/* ---- methods, paths, health ------------------------------------------------------------- */

START_TEST(test_methods_and_paths)
{
    static const char *const paths[DS_NSYSTEMS] = {
        "/momentum/api/v2/borgere/" METTE "/forloeb", "/sensum/api/Citizens/" METTE "/Cases",
        "/fhir/EpisodeOfCare", "/fhir/Encounter", "/dubu/rest/parents/" METTE "/children-cases"};
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        struct resp r;
        call_p(&pop, (enum ds_system)s, "POST", paths[s], NULL, &r);
        ck_assert_uint_eq(r.status, 405);
        resp_free(&r);
        call_p(&pop, (enum ds_system)s, "GET", "/healthz", NULL, &r);
        ck_assert_uint_eq(r.status, 200);
        ck_assert_int_eq(r.kind, DS_RK_HEALTHZ);
        ck_assert_str_eq(str(r.json, "system"), ds_system_name((enum ds_system)s));
        resp_free(&r);
        call_p(&pop, (enum ds_system)s, "GET", "/nothing/here", NULL, &r);
        ck_assert_uint_eq(r.status, 404);
        resp_free(&r);
        /* another vendor's path is not served here */
        call_p(&pop, (enum ds_system)s, "GET", paths[(s + 1) % DS_NSYSTEMS], NULL, &r);
        ck_assert_uint_eq(r.status, 404);
        resp_free(&r);
    }
}
END_TEST

/* ---- exports equal lookups -------------------------------------------------------------- */

/* The lookup body of every citizen system s knows, in population order. */
static json_t *all_lookups(const struct ds_population *p, enum ds_system s, const char *fhir_types)
{
    json_t *out = json_array();
    for (uint64_t pos = 0; pos < ds_pop_count(p); pos++) {
        if (!(ds_pop_systems(p, pos) & (1u << s)))
            continue;
        char cpr[11], path[128], query[256];
        ds_pop_cpr(p, pos, cpr);
        struct resp r;
        switch (s) {
        case DS_JOBCENTRE:
            snprintf(path, sizeof path, "/momentum/api/v2/borgere/%s/forloeb", cpr);
            call_p(p, s, "GET", path, NULL, &r);
            break;
        case DS_SOCIAL:
            snprintf(path, sizeof path, "/sensum/api/Citizens/%s/Cases", cpr);
            call_p(p, s, "GET", path, NULL, &r);
            break;
        case DS_FAMILY:
            snprintf(path, sizeof path, "/dubu/rest/parents/%s/children-cases", cpr);
            call_p(p, s, "GET", path, NULL, &r);
            break;
        default:
            snprintf(query, sizeof query, "_type=%s&_count=1000&patient.identifier=" CPR_SYS "|%s",
                     fhir_types, cpr);
            call_p(p, s, "GET", "/fhir", query, &r);
            break;
        }
        ck_assert_uint_eq(r.status, 200);
        ck_assert(r.known);
        if (s == DS_HEALTH || s == DS_REGION) {
            size_t i;
            json_t *e;
            json_array_foreach(json_object_get(r.json, "entry"), i, e) json_array_append(out, e);
        } else {
            json_array_append(out, r.json);
        }
        resp_free(&r);
    }
    return out;
}

static json_t *all_exported(const struct ds_population *p, enum ds_system s, int page,
                            const char *fhir_types, int *pages)
{
    json_t *out = json_array();
    char cursor[256] = "";
    *pages = 0;
    for (;;) {
        char query[512];
        struct resp r;
        switch (s) {
        case DS_JOBCENTRE:
            snprintf(query, sizeof query, "limit=%d%s%s", page, cursor[0] ? "&cursor=" : "",
                     cursor);
            call_p(p, s, "GET", "/momentum/api/v2/eksport", query, &r);
            break;
        case DS_SOCIAL:
            snprintf(query, sizeof query, "pageSize=%d%s%s", page,
                     cursor[0] ? "&continuationToken=" : "", cursor);
            call_p(p, s, "GET", "/sensum/api/Export", query, &r);
            break;
        case DS_FAMILY:
            snprintf(query, sizeof query, "limit=%d%s%s", page, cursor[0] ? "&after=" : "", cursor);
            call_p(p, s, "GET", "/dubu/rest/export", query, &r);
            break;
        default:
            snprintf(query, sizeof query, "_type=%s&_count=%d%s%s", fhir_types, page,
                     cursor[0] ? "&_cursor=" : "", cursor);
            call_p(p, s, "GET", "/fhir", query, &r);
            break;
        }
        ck_assert_msg(r.status == 200, "%s %s: %s", ds_system_name(s), query, r.body);
        ck_assert_int_eq(r.kind, DS_RK_EXPORT);
        (*pages)++;
        json_t *items, *next;
        switch (s) {
        case DS_JOBCENTRE:
            items = get(r.json, "borgere");
            next = get(r.json, "naeste_cursor");
            ck_assert_int_eq(json_integer_value(get(r.json, "antal")), json_array_size(items));
            break;
        case DS_SOCIAL:
            items = get(r.json, "Items");
            next = get(r.json, "ContinuationToken");
            break;
        case DS_FAMILY:
            items = get(r.json, "parents");
            next = get(r.json, "nextAfter");
            ck_assert_int_eq(json_is_true(get(r.json, "hasMore")), !json_is_null(next));
            break;
        default:
            items = json_object_get(r.json, "entry");
            ck_assert_ptr_null(json_object_get(r.json, "total"));
            next = json_null();
            json_t *links = get(r.json, "link");
            if (json_array_size(links) > 1) {
                const char *c = strstr(str(links, "1.url"), "_cursor=");
                ck_assert_ptr_nonnull(c);
                next = json_string(c + 8);
                json_object_set_new(r.json, "_next", next);
            }
            break;
        }
        ck_assert_int_le((int)json_array_size(items), page);
        json_array_extend(out, items ? items : json_array());
        if (json_is_null(next)) {
            resp_free(&r);
            break;
        }
        if (json_is_integer(next))
            snprintf(cursor, sizeof cursor, "%lld", (long long)json_integer_value(next));
        else
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        resp_free(&r);
        ck_assert_int_lt(*pages, 10000);
    }
    return out;
}

START_TEST(test_export_equals_lookups)
{
    struct ds_population p;
    int as_of;
    ck_assert(ds_parse_date(DS_DEFAULT_AS_OF, &as_of));
    ck_assert(ds_population_init(&p, 4242, 300, as_of));
    static const int pages[] = {1, 7, 500};
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        const char *types = s == DS_HEALTH ? "EpisodeOfCare,CarePlan,DocumentReference"
                                           : "Encounter,EpisodeOfCare,DocumentReference";
        json_t *want = all_lookups(&p, (enum ds_system)s, types);
        ck_assert_uint_gt(json_array_size(want), 5);
        for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
            int npages;
            json_t *got = all_exported(&p, (enum ds_system)s, pages[i], types, &npages);
            ck_assert_msg(json_equal(want, got), "%s export (page %d) differs from lookups",
                          ds_system_name((enum ds_system)s), pages[i]);
            ck_assert_int_ge(npages, (int)(json_array_size(want) / (size_t)pages[i]));
            json_decref(got);
        }
        json_decref(want);
    }
}
END_TEST

START_TEST(test_export_cursor_checks)
{
    struct ds_population other;
    int as_of;
    ck_assert(ds_parse_date(DS_DEFAULT_AS_OF, &as_of));
    ck_assert(ds_population_init(&other, 2, 200, as_of));
    struct resp r;
    call(DS_JOBCENTRE, "/momentum/api/v2/eksport", "limit=2", &r);
    char cursor[64];
    snprintf(cursor, sizeof cursor, "%s", str(r.json, "naeste_cursor"));
    resp_free(&r);
    char query[128];
    snprintf(query, sizeof query, "cursor=%s", cursor);
    call(DS_JOBCENTRE, "/momentum/api/v2/eksport", query, &r);
    ck_assert_uint_eq(r.status, 200);
    resp_free(&r);
    /* the same cursor against another population, a tampered one, another system's */
    call_p(&other, DS_JOBCENTRE, "GET", "/momentum/api/v2/eksport", query, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    cursor[3] = cursor[3] == '0' ? '1' : '0';
    snprintf(query, sizeof query, "cursor=%s", cursor);
    call(DS_JOBCENTRE, "/momentum/api/v2/eksport", query, &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_JOBCENTRE, "/momentum/api/v2/eksport", "limit=0", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_SOCIAL, "/sensum/api/Export", "pageSize=501", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_FAMILY, "/dubu/rest/export", "after=-1", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_FAMILY, "/dubu/rest/export", "after=99999999", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    call(DS_HEALTH, "/fhir/EpisodeOfCare", "_cursor=zzz", &r);
    ck_assert_uint_eq(r.status, 400);
    resp_free(&r);
    /* an export of the empty end: the last position gives no more */
    char after[32];
    snprintf(after, sizeof after, "after=%llu", (unsigned long long)(ds_pop_count(&pop) - 1));
    call(DS_FAMILY, "/dubu/rest/export", after, &r);
    ck_assert_uint_eq(r.status, 200);
    ck_assert(json_is_null(get(r.json, "nextAfter")));
    ck_assert_uint_eq(json_array_size(get(r.json, "parents")), 0);
    resp_free(&r);
}
END_TEST

/* The fast writer produces exactly what jansson's compact dump does. */
START_TEST(test_json_writer)
{
    json_t *odd = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:b, s:n, s:[], s:{}, s:[i, [s]]}",
                            "quote\"back\\slash", "tab\there\nnew\rline\b\f\x01\x1f/", "utf8",
                            "æøå § – 😀", "big", (json_int_t)INT64_MAX, "neg", (json_int_t)INT64_MIN,
                            "real", 0.1, "whole", 3.0, "t", 1, "n", "ea", "eo", "nest", 1, "x");
    ck_assert_ptr_nonnull(odd);
    json_t *cases[] = {odd, json_string(""), json_integer(0), json_array(), json_null()};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t len = 0;
        char *mine = ds_json_dump(cases[i], &len);
        char *theirs = json_dumps(cases[i], JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_str_eq(mine, theirs);
        ck_assert_uint_eq(len, strlen(theirs));
        free(mine);
        free(theirs);
        json_decref(cases[i]);
    }
    /* and on every demo citizen's answer in every system */
    static const char *const prefix[] = {"/momentum/api/v2/borgere/", "/sensum/api/Citizens/",
                                         "/fhir", "/fhir", "/dubu/rest/parents/"};
    static const char *const suffix[] = {"/forloeb", "/Cases", "", "", "/children-cases"};
    for (size_t d = 0; d < DS_DEMO_COUNT; d++) {
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            char path[128], query[256];
            bool fhir = s == DS_HEALTH || s == DS_REGION;
            snprintf(path, sizeof path, "%s%s%s", prefix[s], fhir ? "" : ds_demo(d)->cpr,
                     suffix[s]);
            snprintf(query, sizeof query, "_type=%s&_count=1000&patient.identifier=%s",
                     s == DS_HEALTH ? "EpisodeOfCare,CarePlan,DocumentReference"
                                    : "Encounter,EpisodeOfCare,DocumentReference",
                     ds_demo(d)->cpr);
            struct resp r;
            call((enum ds_system)s, path, query, &r);
            char *theirs = json_dumps(r.json, JSON_COMPACT);
            ck_assert_str_eq(r.body, theirs);
            free(theirs);
            resp_free(&r);
        }
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deptsim_render");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, test_momentum_demo);
    tcase_add_test(tc, test_momentum_unknown_invalid);
    tcase_add_test(tc, test_sensum_demo);
    tcase_add_test(tc, test_sensum_unknown_invalid);
    tcase_add_test(tc, test_fhir_health_demo);
    tcase_add_test(tc, test_fhir_region_demo);
    tcase_add_test(tc, test_fhir_unknown_invalid);
    tcase_add_test(tc, test_fhir_pdqm);
    tcase_add_test(tc, test_fhir_patient_paging);
    tcase_add_test(tc, test_dubu_demo);
    tcase_add_test(tc, test_dubu_unknown_invalid);
    tcase_add_test(tc, test_methods_and_paths);
    tcase_add_test(tc, test_export_equals_lookups);
    tcase_add_test(tc, test_export_cursor_checks);
    tcase_add_test(tc, test_json_writer);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
