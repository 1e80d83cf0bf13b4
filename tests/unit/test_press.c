/* The CPR button's press without HTTP or a database (lib/federation/press.c): which sources a
 * press asks for each refresh mode, freshness, digest and block (gp_press_plan), and what it
 * makes of the answers that come back (gp_press_take, gp_press_parse, gp_press_outcome). */
#include "gptest.h"
#include "lib/core/alloc.h"
#include "lib/core/digest.h"
#include "lib/federation/press.h"

#include <stdlib.h>
#include <string.h>

#define CPR "1203849318"
#define TTL 600

/* Five sources, one per department, as scripts/run registers the simulators. */
static const struct gp_source sources[] = {
    {"family", "dubu", "family", "family", "http://127.0.0.1:9005", 1500, true, "{}", {0}},
    {"health",
     "fhir-r4",
     "municipal_health",
     "health_municipal",
     "http://127.0.0.1:9003/fhir",
     1500,
     true,
     "{}",
     {.kind = GP_AUTH_BEARER, .secret = "env:HEALTH_TOKEN"}},
    {"jobcentre",
     "momentum",
     "job_centre",
     "employment",
     "http://127.0.0.1:9001",
     1500,
     true,
     "{}",
     {0}},
    {"region",
     "fhir-r4",
     "region",
     "health_regional",
     "http://127.0.0.1:9004/fhir",
     1500,
     true,
     "{\"search\":\"system\",\"patient\":\"identifier\"}",
     {0}},
    {"social",
     "sensum",
     "social_services",
     "social",
     "http://127.0.0.1:9002",
     1500,
     true,
     "{}",
     {0}},
};
#define NSRC (sizeof sources / sizeof sources[0])

static const struct gp_press_settings settings = {.index_ttl_s = TTL, .index_digest_ttl_s = 3600};

/* A block of the citizen's on the social area, in force. */
static const struct gp_policy_block social_block = {GP_POLICY_BLOCK_AREA, "social", "", "", false};
static const struct gp_policy_context blocked_ctx = {
    .blocks = &social_block, .n_blocks = 1, .today = "2026-12-07", .now = "2026-12-07T10:00:00Z"};
static const struct gp_policy_context empty_ctx = {.today = "2026-12-07",
                                                   .now = "2026-12-07T10:00:00Z"};

/* A press of CPR by a caller of dept, with what the index knows: for each source id in
 * known[] (NULL-terminated "id:ok_age:digest:digest_age"; an age of -1 means never). */
static void press_make(struct gp_press *p, enum gp_refresh refresh, const char *dept,
                       const struct gp_policy_context *ctx, const char *const *known)
{
    struct gp_cpr cpr;
    ck_assert_int_eq(gp_cpr_parse(CPR, strlen(CPR), &cpr), GP_CPR_OK);
    struct gp_policy_caller caller = {GP_ROLE_CASEWORKER, dept, "rehabilitation"};
    gp_press_init(p, &cpr, refresh, &caller);
    p->sources = gp_xcalloc(NSRC, sizeof *p->sources);
    for (size_t i = 0; i < NSRC; i++) {
        p->sources[p->n].src = sources[i];
        p->sources[p->n++].age_s = -1;
    }
    size_t nk = 0;
    while (known && known[nk])
        nk++;
    p->known.items = gp_xcalloc(nk ? nk : 1, sizeof *p->known.items);
    for (size_t i = 0; i < nk; i++) {
        struct gp_source_fetch *f = &p->known.items[p->known.n++];
        char id[64], digest[65] = "";
        double ok_age = -1, digest_age = -1;
        int got = sscanf(known[i], "%63[^:]:%lf:%64[^:]:%lf", id, &ok_age, digest, &digest_age);
        ck_assert_int_ge(got, 2);
        snprintf(f->source_id, sizeof f->source_id, "%s", id);
        f->ok_age_s = ok_age;
        snprintf(f->status, sizeof f->status, "ok");
        if (ok_age >= 0)
            snprintf(f->last_ok_at, sizeof f->last_ok_at, "2026-12-07T09:00:00Z");
        if (got == 4 && strcmp(digest, "-") != 0) {
            snprintf(f->digest, sizeof f->digest, "%s", digest);
            f->digest_age_s = digest_age;
        } else {
            f->digest_age_s = -1;
        }
    }
    p->policy = ctx;
}

/* Plans and returns the ids asked, "|"-separated, in order. */
static void plan(struct gp_press *p, char *asked, size_t len, char *key, size_t keylen)
{
    struct gp_fetch_request reqs[NSRC];
    size_t n = gp_press_plan(p, &settings, reqs, key, keylen);
    asked[0] = '\0';
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(asked + o, len - o, "%s%s", i ? "|" : "", reqs[i].source_id);
        ck_assert_ptr_nonnull(strstr(reqs[i].url, "127.0.0.1"));
        ck_assert_ptr_nonnull(strstr(reqs[i].url, CPR));
        ck_assert_int_eq(reqs[i].timeout_ms, 1500);
        ck_assert(reqs[i].accept[0]);
    }
}

static const struct gp_press_source *source(const struct gp_press *p, const char *id)
{
    for (size_t i = 0; i < p->n; i++)
        if (!strcmp(p->sources[i].src.id, id))
            return &p->sources[i];
    ck_abort_msg("no source %s", id);
    return NULL;
}

START_TEST(refresh_modes)
{
    const char *const known[] = {"jobcentre:10", "social:5000", "health:599", NULL};
    struct {
        enum gp_refresh refresh;
        const char *asked;
    } rows[] = {
        /* auto: a good answer younger than the TTL is enough; older or none is asked */
        {GP_REFRESH_AUTO, "family|region|social"},
        {GP_REFRESH_ALWAYS, "family|health|jobcentre|region|social"},
        {GP_REFRESH_NEVER, ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct gp_press p;
        press_make(&p, rows[i].refresh, "job_centre", &empty_ctx, known);
        char asked[256], key[256];
        plan(&p, asked, sizeof asked, key, sizeof key);
        ck_assert_msg(!strcmp(asked, rows[i].asked), "%s: asked %s, want %s",
                      gp_refresh_name(rows[i].refresh), asked, rows[i].asked);
        /* The single-flight key is the CPR and exactly the sources asked. */
        char want_key[300];
        snprintf(want_key, sizeof want_key, "%s%s%s", CPR, asked[0] ? "|" : "", asked);
        ck_assert_str_eq(key, want_key);
        gp_press_free(&p);
    }
}
END_TEST

START_TEST(a_block_keeps_a_source_from_being_asked)
{
    struct gp_press p;
    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &blocked_ctx, NULL);
    char asked[256], key[256];
    plan(&p, asked, sizeof asked, key, sizeof key);
    ck_assert_str_eq(asked, "family|health|jobcentre|region");
    ck_assert(source(&p, "social")->blocked);
    ck_assert_str_eq(source(&p, "social")->status, "blocked");
    /* A blocked source counts neither as asked nor as missing. */
    struct gp_press_outcome o = gp_press_outcome(&p);
    ck_assert_uint_eq(o.asked, 4);
    gp_press_free(&p);

    /* Even with refresh=never, the block is what the answer says about the source. */
    press_make(&p, GP_REFRESH_NEVER, "job_centre", &blocked_ctx, NULL);
    plan(&p, asked, sizeof asked, key, sizeof key);
    ck_assert_str_eq(asked, "");
    ck_assert(source(&p, "social")->blocked);
    gp_press_free(&p);

    /* The recording department's own caseworker is not restrained by the block. */
    press_make(&p, GP_REFRESH_ALWAYS, "social_services", &blocked_ctx, NULL);
    plan(&p, asked, sizeof asked, key, sizeof key);
    ck_assert_str_eq(asked, "family|health|jobcentre|region|social");
    ck_assert(!source(&p, "social")->blocked);
    gp_press_free(&p);
}
END_TEST

START_TEST(only_a_trusted_digest_is_vouched_for)
{
    const char *const known[] = {"jobcentre:10:aaaa:100", "social:10:bbbb:4000", "health:10:-:-1",
                                 NULL};
    struct gp_press p;
    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &empty_ctx, known);
    char asked[256], key[256];
    plan(&p, asked, sizeof asked, key, sizeof key);
    ck_assert_str_eq(source(&p, "jobcentre")->vouched, "aaaa");
    ck_assert_str_eq(source(&p, "social")->vouched, ""); /* older than the digest TTL */
    ck_assert_str_eq(source(&p, "health")->vouched, "");
    gp_press_free(&p);
}
END_TEST

/* One OK answer parsed; one the index already holds byte for byte (not parsed); one of the
 * wrong media type; one that timed out. */
START_TEST(answers_are_parsed_checked_and_counted)
{
    char *mom = gpt_read_file(GP_SOURCE_DIR "/tests/fixtures/adapters/momentum_all5.json");
    char *sen = gpt_read_file(GP_SOURCE_DIR "/tests/fixtures/adapters/sensum_all5.json");
    ck_assert_ptr_nonnull(mom);
    ck_assert_ptr_nonnull(sen);
    size_t mom_len = strlen(mom), sen_len = strlen(sen);
    char sen_digest[65];
    ck_assert(gp_answer_digest("sensum", "social_services", sen, &sen_len, 1, sen_digest));
    char vouched[128];
    snprintf(vouched, sizeof vouched, "social:10:%s:100", sen_digest);
    const char *const known[] = {vouched, NULL};

    struct gp_press p;
    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &empty_ctx, known);
    char asked[256], key[256];
    plan(&p, asked, sizeof asked, key, sizeof key);
    ck_assert_str_eq(source(&p, "social")->vouched, sen_digest);

    struct gp_fetch_result res[4];
    memset(res, 0, sizeof res);
    const char *ids[4] = {"jobcentre", "social", "family", "region"};
    for (int i = 0; i < 4; i++) {
        snprintf(res[i].source_id, sizeof res[i].source_id, "%s", ids[i]);
        snprintf(res[i].fetched_at, sizeof res[i].fetched_at, "2026-12-07T10:00:00.000Z");
        res[i].latency_ms = 40 + i;
    }
    res[0].status = GP_FETCH_OK;
    res[0].body = mom;
    res[0].body_len = mom_len;
    res[0].npages = 1;
    res[0].page_len[0] = mom_len;
    snprintf(res[0].content_type, sizeof res[0].content_type, "application/json; charset=utf-8");
    res[1] = res[0];
    snprintf(res[1].source_id, sizeof res[1].source_id, "social");
    res[1].body = sen;
    res[1].body_len = sen_len;
    res[1].page_len[0] = sen_len;
    res[2] = res[0];
    snprintf(res[2].source_id, sizeof res[2].source_id, "family");
    snprintf(res[2].content_type, sizeof res[2].content_type, "text/html");
    res[3].status = GP_FETCH_TIMEOUT;
    snprintf(res[3].error, sizeof res[3].error, "no answer within 1500 ms");
    struct gp_fanout_result fan = {.n = 4, .results = res};
    gp_press_take(&p, &fan);
    ck_assert_ptr_ne(p.fanout.results[0].body, mom); /* a copy: the engine frees its own */
    gp_press_parse(&p, &settings, NULL);

    ck_assert_str_eq(source(&p, "jobcentre")->status, "ok");
    ck_assert_uint_gt(p.parsed[0].n, 5);
    ck_assert_str_eq(p.parsed[0].items[0].cpr, CPR);
    ck_assert(!source(&p, "jobcentre")->unchanged);
    ck_assert_str_eq(source(&p, "social")->status, "ok");
    ck_assert(source(&p, "social")->unchanged);
    ck_assert_uint_eq(p.parsed[1].n, 0); /* the index holds it: nothing parsed */
    ck_assert_str_eq(source(&p, "family")->status, "error");
    ck_assert_ptr_nonnull(strstr(source(&p, "family")->error, "content type 'text/html'"));
    ck_assert_str_eq(source(&p, "region")->status, "timeout");
    ck_assert(!source(&p, "health")->asked); /* asked, but not in the results: not sent */

    struct gp_press_outcome o = gp_press_outcome(&p);
    ck_assert_uint_eq(o.asked, 5);
    ck_assert_uint_eq(o.answered, 2);
    ck_assert_str_eq(o.status, "partial");
    gp_press_free(&p);
    free(mom);
    free(sen);
}
END_TEST

/* What a FHIR source is asked: its options decide the first request; the Prefer header and the
 * source's credentials travel with it. */
START_TEST(fhir_requests_follow_the_options)
{
    struct gp_press p;
    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &empty_ctx, NULL);
    struct gp_fetch_request reqs[NSRC];
    char key[256];
    ck_assert_uint_eq(gp_press_plan(&p, &settings, reqs, key, sizeof key), NSRC);
    const struct gp_fetch_request *health = &reqs[1], *region = &reqs[3];
    ck_assert_str_eq(health->source_id, "health");
    ck_assert_str_eq(health->url, "http://127.0.0.1:9003/fhir/Patient?identifier=urn%3Aoid%3A"
                                  "1.2.208.176.1.2%7C" CPR "&_count=50");
    ck_assert_str_eq(health->prefer, "handling=strict");
    ck_assert_ptr_nonnull(health->next_page);
    ck_assert_int_eq(health->auth.kind, GP_AUTH_BEARER);
    ck_assert_str_eq(health->auth.secret, "env:HEALTH_TOKEN");
    ck_assert_str_eq(region->url, "http://127.0.0.1:9004/fhir?_type=EpisodeOfCare,CarePlan,"
                                  "DocumentReference,Encounter&patient.identifier=urn%3Aoid%3A"
                                  "1.2.208.176.1.2%7C" CPR "&_count=1000");
    ck_assert_str_eq(reqs[2].prefer, ""); /* momentum */
    gp_press_free(&p);
}
END_TEST

/* A source behind an open circuit was not asked (no latency); an error answer's own words
 * (FHIR: its OperationOutcome) follow the transfer's; the legacy FHIR media type is JSON. */
START_TEST(circuit_and_error_outcomes)
{
    struct gp_press p;
    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &empty_ctx, NULL);
    struct gp_fetch_request reqs[NSRC];
    char key[256];
    gp_press_plan(&p, &settings, reqs, key, sizeof key);
    char *fhir = gpt_read_file(GP_SOURCE_DIR "/tests/fixtures/adapters/fhir_region_all5.json");
    const char *oo = "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
                     "\"error\",\"code\":\"invalid\",\"diagnostics\":\"Unknown patient "
                     "1203849318\"}]}";
    struct gp_fetch_result res[3];
    memset(res, 0, sizeof res);
    snprintf(res[0].source_id, sizeof res[0].source_id, "health");
    res[0].status = GP_FETCH_CIRCUIT_OPEN;
    res[0].latency_ms = 0;
    snprintf(res[0].error, sizeof res[0].error, "circuit open after 5 consecutive failures");
    snprintf(res[1].source_id, sizeof res[1].source_id, "region");
    res[1].status = GP_FETCH_ERROR;
    res[1].http_status = 400;
    snprintf(res[1].error, sizeof res[1].error, "HTTP 400");
    res[1].body = (char *)oo;
    res[1].body_len = strlen(oo);
    res[2] = res[1];
    res[2].status = GP_FETCH_OK;
    res[2].http_status = 200;
    res[2].error[0] = '\0';
    res[2].body = fhir;
    res[2].body_len = strlen(fhir);
    res[2].npages = 1;
    res[2].page_len[0] = res[2].body_len;
    snprintf(res[2].content_type, sizeof res[2].content_type, "application/json+fhir");
    struct gp_fanout_result fan = {.n = 3, .results = res};
    gp_press_take(&p, &fan);
    gp_press_parse(&p, &settings, NULL);
    const struct gp_press_source *h = source(&p, "health"), *r = source(&p, "region");
    ck_assert(!h->asked);
    ck_assert(h->planned);
    ck_assert_str_eq(h->status, "circuit_open");
    ck_assert(r->asked);
    /* The result at index 2 is region's again: parsed from the legacy media type. */
    ck_assert_str_eq(r->status, "ok");
    ck_assert_uint_gt(p.parsed[2].n, 3);
    gp_press_free(&p);

    press_make(&p, GP_REFRESH_ALWAYS, "job_centre", &empty_ctx, NULL);
    gp_press_plan(&p, &settings, reqs, key, sizeof key);
    fan.n = 2;
    gp_press_take(&p, &fan);
    gp_press_parse(&p, &settings, NULL);
    r = source(&p, "region");
    ck_assert_str_eq(r->status, "error");
    ck_assert_str_eq(r->error, "HTTP 400: OperationOutcome: Unknown patient 120384xxxx");
    gp_press_free(&p);
    free(fhir);
}
END_TEST

START_TEST(refresh_names_round_trip)
{
    enum gp_refresh r;
    ck_assert(gp_refresh_parse(NULL, &r) && r == GP_REFRESH_AUTO);
    for (int i = GP_REFRESH_AUTO; i <= GP_REFRESH_NEVER; i++) {
        ck_assert(gp_refresh_parse(gp_refresh_name((enum gp_refresh)i), &r));
        ck_assert_int_eq(r, i);
    }
    ck_assert(!gp_refresh_parse("sometimes", &r));
    ck_assert(!gp_refresh_parse("", &r));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("press");
    TCase *tc = tcase_create("plan_and_parse");
    tcase_add_test(tc, refresh_modes);
    tcase_add_test(tc, a_block_keeps_a_source_from_being_asked);
    tcase_add_test(tc, fhir_requests_follow_the_options);
    tcase_add_test(tc, circuit_and_error_outcomes);
    tcase_add_test(tc, only_a_trusted_digest_is_vouched_for);
    tcase_add_test(tc, answers_are_parsed_checked_and_counted);
    tcase_add_test(tc, refresh_names_round_trip);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
