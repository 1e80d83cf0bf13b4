/* The timeline and the recommendations over real HTTP: the real server, the real department
 * simulators (deptsim), a real PostgreSQL. The demo citizen Sofie Mikkelsen has colliding
 * efforts: døgnbehandling in social services while the job centre starts a course and a
 * praktik and the region admits her.
 *
 * What the answers must hold is worked out here from what the simulators serve (their native
 * JSON and FHIR), not from the server's own answers: the residential case and the activities
 * starting during it, and the gaps by brute force over every day of the window. Who may see
 * what is checked on the parsed answers and on the raw body text. */
#include "gptest.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SOFIE "1402959302" /* colliding efforts; job centre, social, region */
#define METTE "1203849318" /* a LÆ 265 from 2024 in the job centre */

#define TL  "/v1/citizens/{cpr}/timeline"
#define REC "/v1/citizens/{cpr}/recommendations"

static char *db;
static struct gpt_proc srv, sim;
static char *tok_job, *tok_social, *tok_nopurpose;
static char today[11];

static void setup(void)
{
    db = gpt_db_create("itest_timeline");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    gpt_deptsim_start(&sim, 200);
    gpt_register_sources(db, &sim, 1500);
    tok_job = gpt_token(db, "caseworker", "job_centre"); /* default purpose rehabilitation */
    tok_social = gpt_token(db, "caseworker", "social_services");
    tok_nopurpose = gpt_token_purpose(db, "caseworker", "social_services", NULL);
    const char *extra[] = {"GLASPLADE_BREAKER_FAILURES=1000", NULL};
    gpt_server_start(&srv, db, extra);
    char *d = gpt_db_scalar(db, "SELECT current_date::text");
    snprintf(today, sizeof today, "%s", d);
    free(d);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    if (sim.pid > 0)
        gpt_proc_stop(&sim, SIGTERM);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* GET path on port with the token and, when purpose is not NULL, X-Purpose. */
static long get_on(int port, const char *path, const char *route, const char *token,
                   const char *purpose, struct gpt_resp *r)
{
    char hdr[96];
    snprintf(hdr, sizeof hdr, "X-Purpose: %s", purpose ? purpose : "");
    const char *headers[] = {hdr, NULL};
    struct gpt_req q = {
        .path = path, .route = route, .token = token, .headers = purpose ? headers : NULL};
    gpt_http(port, &q, r);
    return r->status;
}

static long get(const char *path, const char *route, const char *token, const char *purpose,
                struct gpt_resp *r)
{
    return get_on(srv.port, path, route, token, purpose, r);
}

/* GET /v1/citizens/cpr/<what>?query, expecting 200. */
static void read_ok(const char *cpr, const char *what, const char *query, const char *token,
                    const char *purpose, struct gpt_resp *r)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/citizens/%s/%s%s%s", cpr, what, query ? "?" : "",
             query ? query : "");
    const char *route = !strcmp(what, "timeline") ? TL
                        : !strcmp(what, "cases")  ? "/v1/citizens/{cpr}/cases"
                                                  : REC;
    long st = get(path, route, token, purpose, r);
    ck_assert_msg(st == 200, "%s: %ld %.400s", path, st, r->body);
}

static void consent(const char *token, const char *purpose, const char *areas_json)
{
    char body[256];
    snprintf(body, sizeof body,
             "{\"purpose\":\"%s\",\"scope\":{\"areas\":%s},\"form\":\"written\","
             "\"evidence_ref\":\"itest_timeline\"}",
             purpose, areas_json);
    struct gpt_req q = {.method = "POST",
                        .path = "/v1/citizens/" SOFIE "/consents",
                        .route = "/v1/citizens/{cpr}/consents",
                        .token = token,
                        .body = body,
                        .content_type = "application/json"};
    struct gpt_resp r;
    gpt_http(srv.port, &q, &r);
    ck_assert_msg(r.status == 201, "consent: %ld %s", r.status, r.body);
    gpt_resp_free(&r);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- what the simulators serve --------------------------------------------------------------- */

/* The native answer of simulated system k (0 job centre, 1 social, 3 region) for cpr. */
static json_t *native(int k, const char *cpr)
{
    char path[256];
    if (k == 0)
        snprintf(path, sizeof path, "/momentum/api/v2/borgere/%s/forloeb", cpr);
    else if (k == 1)
        snprintf(path, sizeof path, "/sensum/api/Citizens/%s/Cases", cpr);
    else
        snprintf(path, sizeof path,
                 "/fhir?_type=Encounter,EpisodeOfCare,DocumentReference&patient.identifier="
                 "urn:oid:1.2.208.176.1.2%%7C%s",
                 cpr);
    struct gpt_req q = {.path = path, .no_record = true};
    struct gpt_resp r;
    gpt_http(sim.port + k, &q, &r);
    /* FHIR answers are application/fhir+json, which gpt_http does not parse */
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    ck_assert_msg(r.status == 200 && j, "deptsim %d: %ld", k, r.status);
    gpt_resp_free(&r);
    return j;
}

/* Day number of the date at the start of s ("YYYY-MM-DD..."); -1 when there is none. */
static int day_of(const char *s)
{
    int y, m, d;
    if (!s || strlen(s) < 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int)(timegm(&tm) / 86400);
}

static void day_str(int day, char out[11])
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Efforts (cases and activities that are not planned) as inclusive day spans. */
struct spans {
    int start[128], end[128];
    size_t n;
};

static bool word_in(const char *w, const char *const *list)
{
    char low[32];
    size_t i = 0;
    for (; w && w[i] && i + 1 < sizeof low; i++)
        low[i] = (char)(w[i] >= 'A' && w[i] <= 'Z' ? w[i] + 32 : w[i]);
    low[i] = '\0';
    for (; *list; list++) {
        if (!strcmp(low, *list))
            return true;
    }
    return false;
}

static const char *const planned_words[] = {"planlagt", "afventer", "planned", "waitlist", NULL};
static const char *const closed_words[] = {"afsluttet", "afbrudt",  "ophoert",   "annulleret",
                                           "lukket",    "finished", "cancelled", NULL};

/* A period as the systems state it: no end and closed counts for its start day only, no end
 * and not closed runs to today. */
static void span_add(struct spans *sp, const char *start, const char *end, const char *status)
{
    int s = day_of(start);
    if (s < 0 || word_in(status, planned_words))
        return;
    int e = day_of(end);
    if (e < 0)
        e = word_in(status, closed_words) ? s : INT_MAX;
    if (e < s)
        e = s;
    ck_assert_uint_lt(sp->n, 128);
    sp->start[sp->n] = s;
    sp->end[sp->n++] = e;
}

/* Sofie's efforts in the job centre (forløb, ydelser, aktiviteter). */
static void momentum_efforts(json_t *j, struct spans *sp)
{
    size_t i, k;
    json_t *f, *x;
    json_array_foreach(json_object_get(j, "forloeb"), i, f)
    {
        span_add(sp, str(f, "start_dato"), str(f, "slut_dato"), str(f, "status"));
        json_array_foreach(json_object_get(f, "ydelser"), k, x)
            span_add(sp, str(x, "bevilget_fra"), str(x, "bevilget_til"), "");
        json_array_foreach(json_object_get(f, "aktiviteter"), k, x)
            span_add(sp, str(x, "start_dato"), str(x, "slut_dato"), str(x, "status"));
    }
}

static void sensum_efforts(json_t *j, struct spans *sp)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(j, "Cases"), i, c)
        span_add(sp, str(c, "StartDateTime"), str(c, "EndDateTime"), str(c, "Status"));
}

/* Episodes of care are courses (efforts); encounters belong to them and are not. */
static void fhir_efforts(json_t *j, struct spans *sp)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(j, "entry"), i, e)
    {
        json_t *res = json_object_get(e, "resource");
        if (strcmp(str(res, "resourceType"), "EpisodeOfCare") != 0)
            continue;
        json_t *p = json_object_get(res, "period");
        span_add(sp, str(p, "start"), str(p, "end"), str(res, "status"));
    }
}

/* The gaps, by brute force over every day of [from, min(to, today)] (from "" = the earliest
 * effort's start), rendered "start..end/days;" each. */
static void brute_gaps(const struct spans *sp, const char *from, const char *to, char *out,
                       size_t len)
{
    out[0] = '\0';
    int lo = from && *from ? day_of(from) : INT_MAX;
    for (size_t i = 0; (!from || !*from) && i < sp->n; i++)
        lo = sp->start[i] < lo ? sp->start[i] : lo;
    int hi = day_of(today);
    if (to && *to && day_of(to) < hi)
        hi = day_of(to);
    size_t o = 0;
    int run = -1;
    for (int d = lo; d <= hi + 1; d++) {
        bool covered = d > hi;
        for (size_t i = 0; i < sp->n && !covered; i++)
            covered = sp->start[i] <= d && d <= sp->end[i];
        if (!covered && run < 0)
            run = d;
        if (covered && run >= 0) {
            char a[11], b[11];
            day_str(run, a);
            day_str(d - 1, b);
            o += (size_t)snprintf(out + o, len - o, "%s..%s/%d;", a, b, d - run);
            run = -1;
        }
    }
}

static void server_gaps(json_t *body, char *out, size_t len)
{
    out[0] = '\0';
    size_t o = 0, i;
    json_t *g;
    json_array_foreach(json_object_get(body, "gaps"), i, g) o +=
        (size_t)snprintf(out + o, len - o, "%s..%s/%d;", str(g, "start"), str(g, "end"),
                         (int)json_integer_value(json_object_get(g, "days")));
}

/* ---- reading answers ----------------------------------------------------------------------- */

/* The event of kind on date with title (NULL: any), or NULL. */
static json_t *event(json_t *body, const char *kind, const char *date, const char *title)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(body, "events"), i, e)
    {
        if (!strcmp(str(e, "kind"), kind) && !strcmp(str(e, "date"), date) &&
            (!title || !strcmp(str(e, "title"), title)))
            return e;
    }
    return NULL;
}

static long long id_of(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    ck_assert_msg(json_is_integer(v), "no integer %s", key);
    return (long long)json_integer_value(v);
}

static bool has_id(json_t *arr, long long id)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if ((long long)json_integer_value(v) == id)
            return true;
    }
    return false;
}

/* The recommendation with code, trigger and area (NULL: any), or NULL. */
static json_t *recommendation(json_t *body, const char *code, const char *trigger, const char *area)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(body, "recommendations"), i, r)
    {
        if (!strcmp(str(r, "code"), code) && (!trigger || !strcmp(str(r, "trigger"), trigger)) &&
            (!area || !strcmp(str(r, "area"), area)))
            return r;
    }
    return NULL;
}

/* The ids of the citizen's records a caller sees individually, from the cases route. */
static json_t *case_ids(const char *cpr, const char *token, const char *purpose)
{
    struct gpt_resp r;
    read_ok(cpr, "cases", "refresh=never&limit=500", token, purpose, &r);
    ck_assert(json_is_null(json_object_get(r.json, "next_cursor")));
    json_t *ids = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "cases"), i, c)
        json_array_append_new(ids, json_integer(id_of(c, "id")));
    gpt_resp_free(&r);
    return ids;
}

static bool existence_has(json_t *body, const char *area)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(body, "existence"), i, v)
    {
        if (!strcmp(json_string_value(v), area))
            return true;
    }
    return false;
}

static long sim_lookups(const char *system)
{
    char path[64];
    snprintf(path, sizeof path, "/stats/%s", system);
    json_t *j = gpt_deptsim_control(&sim, "GET", path, NULL);
    long n = (long)json_integer_value(json_object_get(j, "lookups"));
    json_decref(j);
    return n;
}

static long all_lookups(void)
{
    static const char *const systems[] = {"jobcentre", "social", "health", "region", "family"};
    long n = 0;
    for (size_t k = 0; k < 5; k++)
        n += sim_lookups(systems[k]);
    return n;
}

static long audit_rows(const char *route)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE route = 'GET %s'", route);
    char *s = gpt_db_scalar(db, sql);
    long n = atol(s);
    free(s);
    return n;
}

/* ---- the collision ----------------------------------------------------------------------- */

/* The residential case in social services and the job centre's activities starting during it,
 * as the simulators serve them. */
struct collision {
    char title[128], start[11], end[11];
    size_t n;
    char act_title[8][128], act_start[8][11];
    char adm_start[11]; /* the region's episode starting during it, "" none */
};

static void expected_collision(struct collision *c)
{
    memset(c, 0, sizeof *c);
    json_t *social = native(1, SOFIE);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(social, "Cases"), i, x)
    {
        if (strstr(str(x, "CaseType"), "Døgn")) {
            snprintf(c->title, sizeof c->title, "%s", str(x, "CaseType"));
            snprintf(c->start, sizeof c->start, "%.10s", str(x, "StartDateTime"));
            snprintf(c->end, sizeof c->end, "%.10s", str(x, "EndDateTime"));
        }
    }
    json_decref(social);
    ck_assert_msg(c->title[0], "deptsim serves no døgnbehandling for Sofie");
    int s = day_of(c->start), e = day_of(c->end);
    json_t *job = native(0, SOFIE);
    json_t *f;
    size_t k;
    json_array_foreach(json_object_get(job, "forloeb"), i, f)
    {
        json_array_foreach(json_object_get(f, "aktiviteter"), k, x)
        {
            int d = day_of(str(x, "start_dato"));
            if (d >= s && d <= e && c->n < 8) {
                snprintf(c->act_title[c->n], 128, "%s", str(x, "beskrivelse"));
                snprintf(c->act_start[c->n++], 11, "%s", str(x, "start_dato"));
            }
        }
    }
    json_decref(job);
    ck_assert_uint_ge(c->n, 2); /* the course and the praktik */
    json_t *region = native(3, SOFIE);
    json_array_foreach(json_object_get(region, "entry"), i, x)
    {
        json_t *res = json_object_get(x, "resource");
        const char *st = str(json_object_get(res, "period"), "start");
        if (!strcmp(str(res, "resourceType"), "EpisodeOfCare") && day_of(st) >= s &&
            day_of(st) <= e)
            snprintf(c->adm_start, sizeof c->adm_start, "%.10s", st);
    }
    json_decref(region);
    ck_assert(c->adm_start[0]);
}

/* Social services, with Sofie's consent (for a coordinated effort) to see the job centre and
 * the region: the timeline shows the døgnbehandling and what starts during it, and the gaps
 * by brute force; the recommendations name the collision with her records as evidence. */
START_TEST(social_services_sees_the_collision)
{
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    struct collision c;
    expected_collision(&c);

    struct gpt_resp r;
    read_ok(SOFIE, "timeline", "refresh=always&from=2025-01-01", tok_social, "coordinated_effort",
            &r);
    ck_assert_str_eq(str(r.json, "status"), "complete");
    ck_assert(json_is_false(json_object_get(r.json, "redacted")));
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "existence")), 0);
    json_t *res = event(r.json, "case_opened", c.start, c.title);
    ck_assert_msg(res, "no døgnbehandling opened on %s: %.2000s", c.start, r.body);
    ck_assert_str_eq(str(res, "end"), c.end);
    ck_assert_str_eq(str(res, "area"), "social");
    ck_assert_str_eq(str(res, "visibility"), "full");
    long long residential = id_of(res, "record_id");
    long long act_ids[8];
    for (size_t i = 0; i < c.n; i++) {
        json_t *a = event(r.json, "activity", c.act_start[i], c.act_title[i]);
        ck_assert_msg(a, "no activity %s on %s", c.act_title[i], c.act_start[i]);
        ck_assert_str_eq(str(a, "department"), "job_centre");
        act_ids[i] = id_of(a, "record_id");
    }
    json_t *adm = event(r.json, "case_opened", c.adm_start, NULL);
    ck_assert_msg(adm && !strcmp(str(adm, "area"), "health_regional"), "no admission");
    long long admission = id_of(adm, "record_id");
    /* sorted by date */
    size_t i;
    json_t *e;
    const char *prev = "";
    json_array_foreach(json_object_get(r.json, "events"), i, e)
    {
        ck_assert_msg(strcmp(prev, str(e, "date")) <= 0, "events out of order");
        prev = str(e, "date");
    }
    /* the gaps over all three systems' efforts */
    struct spans sp = {0};
    json_t *j = native(0, SOFIE);
    momentum_efforts(j, &sp);
    json_decref(j);
    j = native(1, SOFIE);
    sensum_efforts(j, &sp);
    json_decref(j);
    j = native(3, SOFIE);
    fhir_efforts(j, &sp);
    json_decref(j);
    char want[1024], got[1024];
    brute_gaps(&sp, "2025-01-01", NULL, want, sizeof want);
    server_gaps(r.json, got, sizeof got);
    ck_assert_str_eq(got, want);
    ck_assert_str_ne(want, ""); /* there is a gap before her first effort */
    json_t *win = json_object_get(r.json, "gap_window");
    ck_assert_str_eq(str(win, "from"), "2025-01-01");
    ck_assert_str_eq(str(win, "to"), today);
    gpt_resp_free(&r);

    /* The recommendations: the collision, with her records as evidence. */
    json_t *mine = case_ids(SOFIE, tok_social, "coordinated_effort");
    read_ok(SOFIE, "recommendations", "refresh=never", tok_social, "coordinated_effort", &r);
    json_t *rec =
        recommendation(r.json, "colliding_efforts", "starts_during_residential", "social");
    ck_assert_msg(rec, "no collision: %.3000s", r.body);
    ck_assert_str_eq(str(rec, "priority"), "high");
    ck_assert_str_eq(str(rec, "department"), "social_services");
    json_t *ev = json_object_get(rec, "evidence");
    ck_assert(has_id(ev, residential));
    ck_assert(has_id(ev, admission));
    for (size_t k = 0; k < c.n; k++)
        ck_assert(has_id(ev, act_ids[k]));
    ck_assert_str_ne(str(json_object_get(rec, "title"), "da"), "");
    ck_assert_str_ne(str(json_object_get(rec, "title"), "en"), "");
    const char *why = str(json_object_get(rec, "reason"), "da");
    ck_assert_msg(strstr(why, c.title) && strstr(why, c.start) && strstr(why, c.act_title[0]), "%s",
                  why);
    ck_assert(strstr(str(json_object_get(rec, "reason"), "en"), c.act_title[1]));
    /* every piece of evidence of every recommendation is a record of hers */
    json_array_foreach(json_object_get(r.json, "recommendations"), i, rec)
    {
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(rec, "evidence"), k, id)
            ck_assert_msg(has_id(mine, (long long)json_integer_value(id)),
                          "evidence %lld of %s is not one of her records",
                          (long long)json_integer_value(id), str(rec, "code"));
    }
    ck_assert(recommendation(r.json, "coordinated_effort_candidate", NULL, NULL));
    ck_assert(json_is_false(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);
    json_decref(mine);
}
END_TEST

/* Social services for rehabilitation, a purpose with no consent: its own records in full, the
 * others' areas only; gaps over what it sees; no collision it could not explain. */
START_TEST(social_services_without_consent_sees_its_own)
{
    struct gpt_resp r;
    read_ok(SOFIE, "timeline", "from=2025-01-01", tok_social, NULL, &r);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "events"), i, e)
        ck_assert_str_eq(str(e, "department"), "social_services");
    ck_assert(existence_has(r.json, "employment"));
    ck_assert(existence_has(r.json, "health_regional"));
    ck_assert(!existence_has(r.json, "social"));
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    struct spans sp = {0};
    json_t *j = native(1, SOFIE);
    sensum_efforts(j, &sp);
    json_decref(j);
    char want[1024], got[1024];
    brute_gaps(&sp, "2025-01-01", NULL, want, sizeof want);
    server_gaps(r.json, got, sizeof got);
    ck_assert_str_eq(got, want);
    gpt_resp_free(&r);

    json_t *mine = case_ids(SOFIE, tok_social, NULL);
    read_ok(SOFIE, "recommendations", "refresh=never", tok_social, NULL, &r);
    ck_assert_msg(!recommendation(r.json, "colliding_efforts", NULL, NULL), "%s", r.body);
    json_t *rec;
    json_array_foreach(json_object_get(r.json, "recommendations"), i, rec)
    {
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(rec, "evidence"), k, id)
            ck_assert(has_id(mine, (long long)json_integer_value(id)));
    }
    ck_assert(recommendation(r.json, "gather_before_rehabilitation_meeting", "consent_missing",
                             "employment"));
    gpt_resp_free(&r);
    json_decref(mine);
}
END_TEST

/* What the job centre must not see of Sofie without consent: every title, caseworker, case
 * type and date of the social and regional records (as social services sees them with her
 * consent), except what the job centre's own records hold too. */
struct secrets {
    json_t *ids;     /* record ids */
    json_t *strings; /* texts */
};

static void add_fields(json_t *set, json_t *c)
{
    const char *v[] = {str(c, "title"),
                       str(c, "start_date"),
                       str(c, "end_date"),
                       str(c, "document_date"),
                       str(json_object_get(c, "case_type"), "code"),
                       str(json_object_get(c, "case_type"), "label_da"),
                       str(json_object_get(c, "caseworker"), "name"),
                       str(c, "source_ref")};
    for (size_t k = 0; k < sizeof v / sizeof *v; k++) {
        if (v[k][0])
            json_object_set_new(set, v[k], json_true());
    }
}

static void secrets_of_sofie(struct secrets *s)
{
    struct gpt_resp r;
    read_ok(SOFIE, "cases", "refresh=never&limit=500", tok_social, "coordinated_effort", &r);
    json_t *other = json_object(), *own = json_object();
    s->ids = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "cases"), i, c)
    {
        if (!strcmp(str(c, "department"), "job_centre")) {
            add_fields(own, c);
        } else {
            add_fields(other, c);
            json_array_append_new(s->ids, json_integer(id_of(c, "id")));
        }
    }
    gpt_resp_free(&r);
    s->strings = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(other, k, v)
    {
        if (!json_object_get(own, k) && strcmp(k, today) != 0)
            json_array_append_new(s->strings, json_string(k));
    }
    json_decref(other);
    json_decref(own);
    ck_assert_uint_ge(json_array_size(s->ids), 5);
    ck_assert_uint_ge(json_array_size(s->strings), 10);
}

static void assert_no_secrets(const struct secrets *s, const struct gpt_resp *r)
{
    size_t i;
    json_t *v;
    json_array_foreach(s->strings, i, v)
        ck_assert_msg(!strstr(r->body, json_string_value(v)), "'%s' leaks: %.3000s",
                      json_string_value(v), r->body);
    json_array_foreach(json_object_get(r->json, "events"), i, v)
        ck_assert(!has_id(s->ids, id_of(v, "record_id")));
    json_array_foreach(json_object_get(r->json, "recommendations"), i, v)
    {
        size_t k;
        json_t *id;
        json_array_foreach(json_object_get(v, "evidence"), k, id)
            ck_assert(!has_id(s->ids, (long long)json_integer_value(id)));
    }
}

/* The job centre without consent sees only that social services and the region hold
 * something; a summary for target-group identification shows no title; after Sofie's consent
 * for the social area it sees the døgnbehandling and the collision with its own activities. */
START_TEST(job_centre_sees_existence_until_consent)
{
    /* social services' consent (coordinated_effort) is what secrets_of_sofie reads with */
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    struct secrets s;
    secrets_of_sofie(&s);
    struct collision c;
    expected_collision(&c);

    struct gpt_resp r;
    read_ok(SOFIE, "timeline", "from=2025-01-01", tok_job, NULL, &r);
    assert_no_secrets(&s, &r);
    ck_assert(existence_has(r.json, "social"));
    ck_assert(existence_has(r.json, "health_regional"));
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "events"), i, e)
        ck_assert_str_eq(str(e, "department"), "job_centre");
    /* gaps over its own efforts only */
    struct spans sp = {0};
    json_t *j = native(0, SOFIE);
    momentum_efforts(j, &sp);
    json_decref(j);
    char want[1024], got[1024];
    brute_gaps(&sp, "2025-01-01", NULL, want, sizeof want);
    server_gaps(r.json, got, sizeof got);
    ck_assert_str_eq(got, want);
    gpt_resp_free(&r);

    /* only the social area: nothing but its existence, and the same gaps */
    read_ok(SOFIE, "timeline", "from=2025-01-01&area=social", tok_job, NULL, &r);
    assert_no_secrets(&s, &r);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "events")), 0);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "existence")), 1);
    ck_assert(existence_has(r.json, "social"));
    server_gaps(r.json, got, sizeof got);
    ck_assert_str_eq(got, want);
    gpt_resp_free(&r);

    read_ok(SOFIE, "recommendations", NULL, tok_job, NULL, &r);
    assert_no_secrets(&s, &r);
    ck_assert(!recommendation(r.json, "colliding_efforts", NULL, "social"));
    json_t *ask =
        recommendation(r.json, "gather_before_rehabilitation_meeting", "consent_missing", "social");
    ck_assert_msg(ask, "%s", r.body);
    ck_assert_uint_eq(json_array_size(json_object_get(ask, "evidence")), 0);
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);

    /* Target-group identification belongs to the analysts' CPR list (role_purpose): on one
     * citizen's timeline or recommendations it is refused, and nothing of the døgnbehandling
     * shows. (Summary is what that purpose saw here before; the projection of summary is
     * tested on the CPR list, itest_projection.) */
    const char *const tgi_routes[][2] = {
        {"/v1/citizens/" SOFIE "/timeline", TL},
        {"/v1/citizens/" SOFIE "/recommendations", REC},
    };
    for (size_t t = 0; t < 2; t++) {
        get(tgi_routes[t][0], tgi_routes[t][1], tok_job, "target_group_identification", &r);
        gpt_assert_problem(&r, 403, "forbidden");
        ck_assert_msg(!strstr(r.body, c.title), "%s", r.body);
        gpt_resp_free(&r);
    }

    /* Sofie consents to the job centre seeing the social area for her rehabilitation. */
    consent(tok_job, "rehabilitation", "[\"social\"]");
    read_ok(SOFIE, "timeline", "refresh=never", tok_job, NULL, &r);
    json_t *res = event(r.json, "case_opened", c.start, c.title);
    ck_assert_msg(res, "%s", r.body);
    long long residential = id_of(res, "record_id");
    ck_assert(!existence_has(r.json, "social"));
    ck_assert(existence_has(r.json, "health_regional")); /* not in the consent */
    gpt_resp_free(&r);
    read_ok(SOFIE, "recommendations", "refresh=never", tok_job, NULL, &r);
    json_t *rec =
        recommendation(r.json, "colliding_efforts", "starts_during_residential", "social");
    ck_assert_msg(rec, "%s", r.body);
    json_t *ev = json_object_get(rec, "evidence");
    ck_assert(has_id(ev, residential));
    /* the region's admission is still existence only: not evidence, not named */
    ck_assert_uint_eq(json_array_size(ev), 1 + c.n);
    ck_assert(!recommendation(r.json, "gather_before_rehabilitation_meeting", "consent_missing",
                              "social"));
    gpt_resp_free(&r);
    json_decref(s.ids);
    json_decref(s.strings);
}
END_TEST

/* from, to and area: events inside the window (a period when it overlaps), one area's events,
 * the gaps over the window and over every area the caller sees. */
START_TEST(filters)
{
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    struct spans sp = {0};
    json_t *j = native(0, SOFIE);
    momentum_efforts(j, &sp);
    json_decref(j);
    j = native(1, SOFIE);
    sensum_efforts(j, &sp);
    json_decref(j);
    j = native(3, SOFIE);
    fhir_efforts(j, &sp);
    json_decref(j);

    struct gpt_resp all, r;
    read_ok(SOFIE, "timeline", NULL, tok_social, "coordinated_effort", &all);
    json_t *events = json_object_get(all.json, "events");
    ck_assert_uint_ge(json_array_size(events), 10);
    char want[1024], got[1024];
    brute_gaps(&sp, NULL, NULL, want, sizeof want);
    server_gaps(all.json, got, sizeof got);
    ck_assert_str_eq(got, want);

    static const char *const windows[][2] = {{"2026-10-01", "2026-10-31"},
                                             {"2026-11-02", "2026-11-02"},
                                             {"2024-01-01", "2025-06-30"},
                                             {NULL, "2025-12-31"},
                                             {"2026-11-01", NULL}};
    for (size_t w = 0; w < sizeof windows / sizeof *windows; w++) {
        const char *from = windows[w][0], *to = windows[w][1];
        char q[96];
        snprintf(q, sizeof q, "refresh=never%s%s%s%s", from ? "&from=" : "", from ? from : "",
                 to ? "&to=" : "", to ? to : "");
        read_ok(SOFIE, "timeline", q, tok_social, "coordinated_effort", &r);
        /* the unfiltered events, kept by the window's rule, in the same order */
        json_t *expect = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            const char *kind = str(e, "kind");
            bool period = !strcmp(kind, "activity") || !strcmp(kind, "encounter");
            int d = day_of(str(e, "date"));
            int end = period && json_is_string(json_object_get(e, "end")) ? day_of(str(e, "end"))
                      : period                                            ? INT_MAX
                                                                          : d;
            if ((!to || d <= day_of(to)) && (!from || end >= day_of(from)))
                json_array_append(expect, e);
        }
        ck_assert_msg(json_equal(expect, json_object_get(r.json, "events")),
                      "window %s..%s: %.3000s", from, to, r.body);
        ck_assert_uint_gt(json_array_size(expect), 0);
        json_decref(expect);
        brute_gaps(&sp, from, to, want, sizeof want);
        server_gaps(r.json, got, sizeof got);
        ck_assert_msg(!strcmp(got, want), "window %s..%s: gaps %s, expected %s", from, to, got,
                      want);
        json_t *win = json_object_get(r.json, "gap_window");
        if (from)
            ck_assert_str_eq(str(win, "from"), from);
        ck_assert_str_eq(str(win, "to"), to && strcmp(to, today) < 0 ? to : today);
        gpt_resp_free(&r);
    }

    /* one area: its events only, the gaps as before */
    static const char *const areas[] = {"employment", "social", "health_regional", "family"};
    for (size_t a = 0; a < 4; a++) {
        char q[96];
        snprintf(q, sizeof q, "refresh=never&area=%s", areas[a]);
        read_ok(SOFIE, "timeline", q, tok_social, "coordinated_effort", &r);
        json_t *expect = json_array();
        size_t i;
        json_t *e;
        json_array_foreach(events, i, e)
        {
            if (!strcmp(str(e, "area"), areas[a]))
                json_array_append(expect, e);
        }
        ck_assert(json_equal(expect, json_object_get(r.json, "events")));
        ck_assert(a == 3 || json_array_size(expect) > 0);
        json_decref(expect);
        ck_assert(json_equal(json_object_get(r.json, "gaps"), json_object_get(all.json, "gaps")));
        gpt_resp_free(&r);
    }
    gpt_resp_free(&all);
}
END_TEST

/* Bad parameters are 400 naming each, before anything is read: no source asked, no audit. */
START_TEST(bad_parameters_are_400_naming_them)
{
    static const struct {
        const char *route, *query, *slug, *fields;
    } cases[] = {
        {TL, "from=2026-02-30", "invalid-parameter", "from"},
        {TL, "from=2026-2-3", "invalid-parameter", "from"},
        {TL, "to=yesterday", "invalid-parameter", "to"},
        {TL, "from=2026-12-01&to=2026-11-01", "invalid-parameter", "to"},
        {TL, "area=housing", "invalid-parameter", "area"},
        {TL, "area=", "invalid-parameter", "area"},
        {TL, "from=x&to=y&area=z", "invalid-parameter", "from,to,area"},
        {TL, "refresh=sometimes", "invalid-parameter", "refresh"},
        {TL, "since=2026-01-01", "invalid-parameter", "since"},
        {TL, "purpose=curiosity", "bad-request", "purpose"},
        {REC, "refresh=sometimes", "invalid-parameter", "refresh"},
        {REC, "from=2026-01-01", "invalid-parameter", "from"},
        {REC, "area=social", "invalid-parameter", "area"},
        {REC, "purpose=curiosity", "bad-request", "purpose"},
    };
    long lookups = all_lookups();
    long audits = audit_rows(TL) + audit_rows(REC);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[160];
        snprintf(path, sizeof path, "/v1/citizens/" SOFIE "/%s?%s",
                 !strcmp(cases[i].route, TL) ? "timeline" : "recommendations", cases[i].query);
        struct gpt_resp r;
        get(path, cases[i].route, tok_social, NULL, &r);
        ck_assert_msg(r.status == 400, "%s: %ld", path, r.status);
        json_t *errors = json_object_get(r.json, "errors");
        char names[96] = "";
        size_t k, o = 0;
        json_t *fe;
        json_array_foreach(errors, k, fe) o +=
            (size_t)snprintf(names + o, sizeof names - o, "%s%s", k ? "," : "", str(fe, "field"));
        ck_assert_msg(!strcmp(names, cases[i].fields), "%s: fields %s, expected %s", path, names,
                      cases[i].fields);
        if (strcmp(cases[i].slug, "bad-request") != 0)
            gpt_assert_problem(&r, 400, cases[i].slug);
        gpt_resp_free(&r);
    }
    /* a bad CPR; no purpose at all (a token without a default) */
    struct gpt_resp r;
    get("/v1/citizens/3102901234/timeline", TL, tok_social, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-cpr");
    gpt_resp_free(&r);
    get("/v1/citizens/" SOFIE "/timeline", TL, tok_nopurpose, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(str(json_array_get(json_object_get(r.json, "errors"), 0), "field"), "purpose");
    gpt_resp_free(&r);
    get("/v1/citizens/" SOFIE "/recommendations", REC, tok_nopurpose, NULL, &r);
    ck_assert_int_eq(r.status, 400);
    ck_assert_str_eq(str(json_array_get(json_object_get(r.json, "errors"), 0), "field"), "purpose");
    gpt_resp_free(&r);
    /* the same token with a purpose reads */
    get("/v1/citizens/" SOFIE "/timeline?refresh=never&purpose=rehabilitation", TL, tok_nopurpose,
        NULL, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
    ck_assert_int_eq(all_lookups(), lookups);
    ck_assert_int_eq(audit_rows(TL) + audit_rows(REC), audits + 1);
}
END_TEST

static void assert_asked(json_t *body, bool asked)
{
    size_t i;
    json_t *s;
    ck_assert_uint_eq(json_array_size(json_object_get(body, "sources")), 5);
    json_array_foreach(json_object_get(body, "sources"), i, s)
        ck_assert_msg(json_is_true(json_object_get(s, "asked")) == asked, "%s asked: %s",
                      str(s, "id"), asked ? "expected" : "not expected");
}

/* always asks every system, never none, auto those not fresh; each read is one audit row. */
START_TEST(refresh_modes)
{
    struct gpt_resp r;
    long before = all_lookups(), audits = audit_rows(TL);
    read_ok(SOFIE, "timeline", "refresh=always", tok_social, NULL, &r);
    assert_asked(r.json, true);
    ck_assert_int_eq(all_lookups(), before + 5);
    ck_assert_str_eq(str(r.json, "status"), "complete");
    json_t *events = json_incref(json_object_get(r.json, "events"));
    gpt_resp_free(&r);

    read_ok(SOFIE, "timeline", "refresh=never", tok_social, NULL, &r);
    assert_asked(r.json, false);
    ck_assert(json_equal(events, json_object_get(r.json, "events")));
    gpt_resp_free(&r);
    read_ok(SOFIE, "timeline", NULL, tok_social, NULL, &r); /* auto: all fresh */
    assert_asked(r.json, false);
    ck_assert_str_eq(str(r.json, "status"), "complete");
    ck_assert(json_equal(events, json_object_get(r.json, "events")));
    gpt_resp_free(&r);
    ck_assert_int_eq(all_lookups(), before + 5);
    ck_assert_int_eq(audit_rows(TL), audits + 3);
    char *purpose = gpt_db_scalar(db, "SELECT purpose FROM audit_log WHERE route = "
                                      "'GET /v1/citizens/{cpr}/timeline' ORDER BY id DESC LIMIT 1");
    ck_assert_str_eq(purpose, "rehabilitation");
    free(purpose);

    audits = audit_rows(REC);
    read_ok(SOFIE, "recommendations", "refresh=always", tok_social, NULL, &r);
    assert_asked(r.json, true);
    gpt_resp_free(&r);
    read_ok(SOFIE, "recommendations", "refresh=never", tok_social, NULL, &r);
    assert_asked(r.json, false);
    gpt_resp_free(&r);
    ck_assert_int_eq(all_lookups(), before + 10);
    ck_assert_int_eq(audit_rows(REC), audits + 2);
    char *broken = gpt_db_scalar(db, "SELECT count(*) FROM audit_verify()");
    ck_assert_str_eq(broken, "0");
    free(broken);
    json_decref(events);
}
END_TEST

/* A failing system: the timeline still answers, its records marked stale; the recommendations
 * say the source is stale (it answered before) or failing (it never did). */
START_TEST(failing_sources)
{
    struct gpt_resp r;
    read_ok(SOFIE, "timeline", "refresh=always", tok_social, "coordinated_effort", &r);
    gpt_resp_free(&r);
    json_decref(gpt_deptsim_control(&sim, "PUT", "/faults/region", "{\"refuse\":true}"));
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    read_ok(SOFIE, "timeline", "refresh=always", tok_social, "coordinated_effort", &r);
    ck_assert_str_eq(str(r.json, "status"), "partial");
    size_t i;
    json_t *e;
    int region_events = 0;
    json_array_foreach(json_object_get(r.json, "events"), i, e)
    {
        bool region = !strcmp(str(e, "department"), "region");
        region_events += region;
        ck_assert(json_is_true(json_object_get(e, "stale")) == region);
    }
    ck_assert_int_gt(region_events, 0);
    gpt_resp_free(&r);
    read_ok(SOFIE, "recommendations", "refresh=always", tok_social, "coordinated_effort", &r);
    json_t *rec = recommendation(r.json, "source_stale_or_failing", "stale", "health_regional");
    ck_assert_msg(rec, "%s", r.body);
    ck_assert_str_eq(str(rec, "source"), "region");
    ck_assert_str_eq(str(rec, "priority"), "low");
    ck_assert_uint_gt(json_array_size(json_object_get(rec, "evidence")), 0);
    gpt_resp_free(&r);

    /* Mette has never been looked up: the region has nothing to fall back on. */
    read_ok(METTE, "recommendations", "refresh=always", tok_job, NULL, &r);
    rec = recommendation(r.json, "source_stale_or_failing", "failing", NULL);
    ck_assert_msg(rec, "%s", r.body);
    ck_assert_str_eq(str(rec, "source"), "region");
    ck_assert_str_eq(str(rec, "priority"), "medium");
    ck_assert_uint_eq(json_array_size(json_object_get(rec, "evidence")), 0);
    gpt_resp_free(&r);
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults", NULL));
}
END_TEST

/* The thresholds come from the environment; an invalid one stops start-up naming it. */
START_TEST(thresholds_are_configuration)
{
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    struct gpt_resp r;
    read_ok(SOFIE, "recommendations", "refresh=always", tok_social, "coordinated_effort", &r);
    ck_assert(recommendation(r.json, "coordinated_effort_candidate", NULL, NULL));
    gpt_resp_free(&r);
    read_ok(METTE, "recommendations", "refresh=always", tok_job, NULL, &r);
    ck_assert_msg(
        recommendation(r.json, "gather_before_rehabilitation_meeting", "lae265_outdated", NULL),
        "%s", r.body);
    gpt_resp_free(&r);

    struct gpt_proc other;
    const char *extra[] = {"GLASPLADE_REC_MIN_AREAS=0", "GLASPLADE_REC_MIN_CASEWORKERS=0",
                           "GLASPLADE_REC_LAE265_MONTHS=120", NULL};
    gpt_server_start(&other, db, extra);
    char path[128];
    snprintf(path, sizeof path, "/v1/citizens/" SOFIE "/recommendations?refresh=never");
    ck_assert_int_eq(get_on(other.port, path, REC, tok_social, "coordinated_effort", &r), 200);
    ck_assert_msg(!recommendation(r.json, "coordinated_effort_candidate", NULL, NULL), "%s",
                  r.body);
    ck_assert(recommendation(r.json, "colliding_efforts", NULL, NULL));
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "/v1/citizens/" METTE "/recommendations?refresh=never");
    ck_assert_int_eq(get_on(other.port, path, REC, tok_job, NULL, &r), 200);
    ck_assert_msg(
        !recommendation(r.json, "gather_before_rehabilitation_meeting", "lae265_outdated", NULL),
        "%s", r.body);
    gpt_resp_free(&r);
    ck_assert_int_eq(gpt_proc_stop(&other, SIGTERM), 0);

    static const char *const bad[][2] = {
        {"GLASPLADE_REC_MIN_AREAS=-1", "GLASPLADE_REC_MIN_AREAS"},
        {"GLASPLADE_REC_MIN_CASEWORKERS=lots", "GLASPLADE_REC_MIN_CASEWORKERS"},
        {"GLASPLADE_REC_LAE265_MONTHS=3.5", "GLASPLADE_REC_LAE265_MONTHS"},
        {"GLASPLADE_REC_SOURCE_MAX_AGE_S=99999999999", "GLASPLADE_REC_SOURCE_MAX_AGE_S"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *env[] = {bad[i][0], "GLASPLADE_DATABASE_URL=postgresql://nobody@127.0.0.1:1/x",
                             "GLASPLADE_PORT=0", "GLASPLADE_DB_CONNECT_TIMEOUT=1", NULL};
        const char *args[] = {"serve", NULL};
        char *err = NULL;
        ck_assert_int_eq(gpt_glasplade(args, env, NULL, &err), 2);
        ck_assert_msg(strstr(err, bad[i][1]), "%s", err);
        free(err);
    }
}
END_TEST

/* The names reasons give departments are the database's (table department), never the code's:
 * the job centre is "Jobcenter" as migration 0001 has it (the code once wrote "Jobcentret"),
 * and renaming it in the database renames it in the very next answer. */
START_TEST(labels_come_from_the_database)
{
    consent(tok_social, "coordinated_effort", "[\"employment\",\"health_regional\"]");
    char *da = gpt_db_scalar(db, "SELECT name_da FROM department WHERE id = 'job_centre'");
    char *en = gpt_db_scalar(db, "SELECT name_en FROM department WHERE id = 'job_centre'");
    ck_assert_str_eq(da, "Jobcenter");
    ck_assert_str_eq(en, "Job centre");
    static const struct {
        const char *da, *en;
    } names[] = {{"Jobcenter", "Job centre"}, {"Jobcenter Glasby", "Glasby Job Centre"}};
    for (size_t k = 0; k < 2; k++) {
        if (k == 1)
            ck_assert_int_eq(gpt_db_exec(db, "UPDATE department SET name_da = 'Jobcenter Glasby',"
                                             " name_en = 'Glasby Job Centre'"
                                             " WHERE id = 'job_centre'"),
                             1);
        struct gpt_resp r;
        read_ok(SOFIE, "recommendations", k ? "refresh=never" : "refresh=always", tok_social,
                "coordinated_effort", &r);
        json_t *rec =
            recommendation(r.json, "colliding_efforts", "starts_during_residential", "social");
        ck_assert_msg(rec, "no collision: %.3000s", r.body);
        /* the job centre's activities starting during the døgnbehandling: "Kursus (<name>, " */
        char want_da[64], want_en[64];
        snprintf(want_da, sizeof want_da, " (%s, ", names[k].da);
        snprintf(want_en, sizeof want_en, " (%s, ", names[k].en);
        const char *why_da = str(json_object_get(rec, "reason"), "da");
        const char *why_en = str(json_object_get(rec, "reason"), "en");
        ck_assert_msg(strstr(why_da, want_da), "%s", why_da);
        ck_assert_msg(strstr(why_en, want_en), "%s", why_en);
        ck_assert_msg(!strstr(r.body, "Jobcentret"), "%s", r.body);
        ck_assert_msg(k == 0 || !strstr(r.body, "(Jobcenter, "), "%s", r.body);
        gpt_resp_free(&r);
    }
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE department SET name_da = 'Jobcenter',"
                                     " name_en = 'Job centre' WHERE id = 'job_centre'"),
                     1);
    free(da);
    free(en);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("sofie");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, social_services_sees_the_collision);
    tcase_add_test(tc, social_services_without_consent_sees_its_own);
    tcase_add_test(tc, job_centre_sees_existence_until_consent);
    tcase_add_test(tc, filters);
    tcase_add_test(tc, bad_parameters_are_400_naming_them);
    tcase_add_test(tc, refresh_modes);
    tcase_add_test(tc, failing_sources);
    tcase_add_test(tc, thresholds_are_configuration);
    tcase_add_test(tc, labels_come_from_the_database);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
