/* One projection on every read route: for every visibility (full, summary, existence, hidden)
 * × every record kind (case, activity, document, encounter), what the overview, the cases, the
 * timeline, the recommendations and the CPR list show of a record — against the real server and
 * a real PostgreSQL.
 *
 * Each kind lives in a citizen of its own, with one record whose every field carries a marker
 * ("Titel-case-q7", "Enhed-case-q7", ...). The visibility comes from the caller, as the policy
 * gives it: the recording department (social services) sees full; the job centre with another
 * purpose and no consent sees its existence; and with the citizen's block on the area, nothing.
 *
 * Summary is what target-group identification sees, and that purpose belongs to the analysts'
 * CPR list alone (table role_purpose, migration 0016): a per-citizen route refuses it with 403
 * naming purpose before anything is read, so no caller can reach summary on the overview, the
 * cases, the timeline or the recommendations any more. The suite checks that refusal on every
 * route and kind (nothing of the record in the answer), and the summary projection where it
 * still applies: on the CPR list. The projection of summary itself stays table-tested
 * (tests/unit/test_policy.c projection_table).
 * The expected projection is written out below as a table, not computed by the code under test:
 * a summary shows services (cases and activities) only, so a document or an encounter at
 * summary is shown as its existence.
 *
 * For each route and marker: the marker appears in the answer exactly when the projection shows
 * its field and the route displays that field; never otherwise (checked on the raw body). */
#include "gptest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum vis { V_HIDDEN, V_EXISTENCE, V_SUMMARY, V_FULL, NVIS };
static const char *const vis_names[NVIS] = {"hidden", "existence", "summary", "full"};

enum kind { K_CASE, K_ACTIVITY, K_DOCUMENT, K_ENCOUNTER, NKIND };
static const char *const kind_names[NKIND] = {"case", "activity", "document", "encounter"};

/* The projection as documented (lib/sharing/policy.h, docs/data-protection.md). */
static const enum vis projected[NVIS][NKIND] = {
    [V_HIDDEN] = {V_HIDDEN, V_HIDDEN, V_HIDDEN, V_HIDDEN},
    [V_EXISTENCE] = {V_EXISTENCE, V_EXISTENCE, V_EXISTENCE, V_EXISTENCE},
    [V_SUMMARY] = {V_SUMMARY, V_SUMMARY, V_EXISTENCE, V_EXISTENCE},
    [V_FULL] = {V_FULL, V_FULL, V_FULL, V_FULL},
};

/* One citizen per kind, one record each (all open, all in the social area). */
static const char *const cprs[NKIND] = {"0101801001", "0101801002", "0101801003", "0101801004"};
static const char *const case_types[NKIND] = {"bostoette", "botilbud_midlertidigt",
                                              "botilbud_laengerevarende", "stoette_kontaktperson"};

/* The fields, the least visibility that shows each, and how its marker is spelled. */
enum field { F_CASE_TYPE, F_START, F_CASEWORKER, F_TITLE, F_UNIT, F_DOCUMENT_DATE, F_REF, NFIELD };
static const char *const field_names[NFIELD] = {
    "case type", "start date", "caseworker", "title", "unit", "document date", "source reference"};
static const enum vis field_from[NFIELD] = {V_SUMMARY, V_SUMMARY, V_SUMMARY, V_FULL,
                                            V_FULL,    V_FULL,    V_FULL};

static void marker(enum kind k, enum field f, char *out, size_t len)
{
    switch (f) {
    case F_CASE_TYPE:
        snprintf(out, len, "\"%s\"", case_types[k]);
        break;
    case F_START:
        snprintf(out, len, "2019-0%d-1%d", (int)k + 1, (int)k + 1);
        break;
    case F_CASEWORKER:
        snprintf(out, len, "Sagsbehandler-%s-q7", kind_names[k]);
        break;
    case F_TITLE:
        snprintf(out, len, "Titel-%s-q7", kind_names[k]);
        break;
    case F_UNIT:
        snprintf(out, len, "Enhed-%s-q7", kind_names[k]);
        break;
    case F_DOCUMENT_DATE:
        snprintf(out, len, "2019-0%d-2%d", (int)k + 1, (int)k + 1);
        break;
    case F_REF:
        snprintf(out, len, "ref-%s-q7", kind_names[k]);
        break;
    case NFIELD:
        break;
    }
}

/* The routes, and which fields each displays of a record it shows (one record per citizen, so
 * the overview's latest dates are that record's). The recommendations display none of them as
 * such: for them only the "never otherwise" half is checked. */
enum route { R_OVERVIEW, R_CASES, R_TIMELINE, R_RECOMMENDATIONS, NROUTE };
static const char *const route_paths[NROUTE] = {"overview", "cases", "timeline", "recommendations"};
static const bool displays[NROUTE][NFIELD] = {
    [R_OVERVIEW] = {[F_CASE_TYPE] = true,
                    [F_START] = true,
                    [F_CASEWORKER] = true,
                    [F_UNIT] = true,
                    [F_DOCUMENT_DATE] = true},
    [R_CASES] = {true, true, true, true, true, true, true},
    [R_TIMELINE] = {[F_CASE_TYPE] = true, [F_TITLE] = true, [F_DOCUMENT_DATE] = true},
    [R_RECOMMENDATIONS] = {false},
};

static char *db;
static struct gpt_proc srv;
static char *tok_own, *tok_other, *tok_analyst;

static void setup(void)
{
    db = gpt_db_create("itest_projection");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    /* A source for the records to belong to; disabled, so presses read the index only. */
    ck_assert_int_eq(gpt_db_exec(db, "INSERT INTO source (id, kind, department, base_url, enabled)"
                                     " VALUES ('social', 'sensum', 'social_services',"
                                     " 'http://127.0.0.1:9', false),"
                                     " ('jobcentre', 'momentum', 'job_centre',"
                                     " 'http://127.0.0.1:9', false)"),
                     2);
    for (int k = 0; k < NKIND; k++) {
        char m[NFIELD][64], sql[2048];
        for (int f = 0; f < NFIELD; f++)
            marker((enum kind)k, (enum field)f, m[f], sizeof m[f]);
        snprintf(sql, sizeof sql,
                 "INSERT INTO record (cpr, source_id, source_ref, area, department, case_type,"
                 " legal_basis, data_type, kind, title, status, start_date, document_date, unit,"
                 " caseworker_name, caseworker_contact, sensitivity, fetched_at)"
                 " SELECT '%s', 'social', '%s', t.area, 'social_services', t.code, t.legal_basis,"
                 " 'journal_note', '%s', '%s', 'open', '%s', %s, '%s', '%s', '+45 70 00 00 00',"
                 " t.sensitivity, now() FROM case_type_current t WHERE t.code = '%s'",
                 cprs[k], m[F_REF], kind_names[k], m[F_TITLE], m[F_START],
                 k == K_DOCUMENT ? "'2019-03-23'" : "NULL", m[F_UNIT], m[F_CASEWORKER],
                 case_types[k]);
        ck_assert_int_eq(gpt_db_exec(db, sql), 1);
    }
    tok_own = gpt_token(db, "caseworker", "social_services");
    tok_other = gpt_token(db, "caseworker", "job_centre");
    tok_analyst = gpt_token(db, "analyst", NULL);
    gpt_server_start(&srv, db, NULL);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
}

/* The caller and purpose that get visibility v (hidden: after the block is in place). Summary
 * has none on these routes (see above). */
static void caller_for(enum vis v, const char **token, const char **purpose)
{
    *token = v == V_FULL ? tok_own : tok_other;
    *purpose = "rehabilitation";
}

/* The job centre claiming target-group identification on a per-citizen route: 403 naming
 * purpose, and nothing of the record in the answer. */
static void check_summary_refused(enum kind k)
{
    for (int r = 0; r < NROUTE; r++) {
        char path[160], route[80];
        snprintf(path, sizeof path, "/v1/citizens/%s/%s?refresh=never", cprs[k], route_paths[r]);
        snprintf(route, sizeof route, "/v1/citizens/{cpr}/%s", route_paths[r]);
        const char *headers[] = {"X-Purpose: target_group_identification", NULL};
        struct gpt_resp resp;
        gpt_http(
            srv.port,
            &(struct gpt_req){.path = path, .route = route, .token = tok_other, .headers = headers},
            &resp);
        gpt_assert_problem(&resp, 403, "forbidden");
        json_t *e = json_array_get(json_object_get(resp.json, "errors"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(e, "field")), "purpose");
        for (int f = 0; f < NFIELD; f++) {
            char m[64];
            marker(k, (enum field)f, m, sizeof m);
            ck_assert_msg(!strstr(resp.body, m), "%s refused, yet shows the %s of a %s",
                          route_paths[r], field_names[f], kind_names[k]);
        }
        gpt_resp_free(&resp);
    }
}

static void get(enum route r, enum kind k, enum vis v, struct gpt_resp *resp)
{
    const char *token, *purpose;
    caller_for(v, &token, &purpose);
    char path[160], route[80], hdr[96];
    snprintf(path, sizeof path, "/v1/citizens/%s/%s?refresh=never", cprs[k], route_paths[r]);
    snprintf(route, sizeof route, "/v1/citizens/{cpr}/%s", route_paths[r]);
    snprintf(hdr, sizeof hdr, "X-Purpose: %s", purpose);
    const char *headers[] = {hdr, NULL};
    gpt_http(srv.port,
             &(struct gpt_req){.path = path, .route = route, .token = token, .headers = headers},
             resp);
    ck_assert_msg(resp->status == 200, "%s of a %s at %s: %ld %s", route_paths[r], kind_names[k],
                  vis_names[v], resp->status, resp->body);
}

/* The area's visibility as the route states it, V_HIDDEN when the area is not named. */
static enum vis stated_area(enum route r, json_t *body)
{
    json_t *list = NULL;
    if (r == R_OVERVIEW) {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(body, "areas"), i, a)
        {
            if (!strcmp(json_string_value(json_object_get(a, "area")), "social")) {
                const char *s = json_string_value(json_object_get(a, "visibility"));
                for (int v = 0; v < NVIS; v++)
                    if (!strcmp(s, vis_names[v]))
                        return (enum vis)v;
            }
        }
        return V_HIDDEN;
    }
    const char *items = r == R_CASES ? "cases" : "events";
    size_t i;
    json_t *x;
    enum vis best = V_HIDDEN;
    json_array_foreach(json_object_get(body, items), i, x)
    {
        const char *s = json_string_value(json_object_get(x, "visibility"));
        for (int v = 0; v < NVIS; v++)
            if (!strcmp(s, vis_names[v]) && (enum vis)v > best)
                best = (enum vis)v;
    }
    list = json_object_get(body, "existence");
    json_array_foreach(list, i, x)
    {
        if (!strcmp(json_string_value(x), "social") && best < V_EXISTENCE)
            best = V_EXISTENCE;
    }
    return best;
}

static void check_cell(enum vis v, enum kind k)
{
    enum vis want = projected[v][k];
    for (int r = 0; r < NROUTE; r++) {
        struct gpt_resp resp;
        get((enum route)r, k, v, &resp);
        ck_assert_ptr_nonnull(resp.json);
        for (int f = 0; f < NFIELD; f++) {
            char m[64];
            marker(k, (enum field)f, m, sizeof m);
            bool shown = want >= field_from[f];
            bool seen = strstr(resp.body, m) != NULL;
            if (seen)
                ck_assert_msg(shown, "%s leaks the %s of a %s at %s: %s", route_paths[r],
                              field_names[f], kind_names[k], vis_names[v], resp.body);
            if (displays[r][f] && !(k != K_DOCUMENT && f == F_DOCUMENT_DATE) &&
                !(r == R_TIMELINE && k == K_DOCUMENT && f == F_START))
                ck_assert_msg(seen == shown, "%s: the %s of a %s at %s is %s, want %s: %s",
                              route_paths[r], field_names[f], kind_names[k], vis_names[v],
                              seen ? "shown" : "not shown", shown ? "shown" : "not shown",
                              resp.body);
        }
        bool redacted = json_is_true(json_object_get(resp.json, "redacted"));
        ck_assert_msg(redacted == (v != V_FULL), "%s of a %s at %s: redacted %d", route_paths[r],
                      kind_names[k], vis_names[v], redacted);
        if (r != R_RECOMMENDATIONS) {
            enum vis got = stated_area((enum route)r, resp.json);
            ck_assert_msg(got == want, "%s of a %s at %s: the area is shown as %s, want %s: %s",
                          route_paths[r], kind_names[k], vis_names[v], vis_names[got],
                          vis_names[want], resp.body);
        }
        gpt_resp_free(&resp);
    }
}

/* The CPR list (analysts): reasons name the area of every service record (not documents);
 * the services listed are what a summary shows. The list is for citizens across departments:
 * each citizen gets an open case in the job centre for the search, removed after it. */
static void check_cpr_list(void)
{
    ck_assert_int_eq(
        gpt_db_exec(db, "INSERT INTO record (cpr, source_id, source_ref, area, department,"
                        " case_type, legal_basis, data_type, kind, title, status, sensitivity,"
                        " fetched_at) SELECT c.cpr, 'jobcentre', 'jc-' || c.cpr, t.area,"
                        " 'job_centre', t.code, t.legal_basis, 'case_summary', 'case', 'x',"
                        " 'open', t.sensitivity, now() FROM case_type_current t,"
                        " (SELECT DISTINCT cpr FROM record) c WHERE t.code = 'kontanthjaelp'"),
        NKIND);
    const char *headers[] = {"X-Purpose: target_group_identification", NULL};
    const char *body = "{\"min_areas\": 2, \"limit\": 50}";
    struct gpt_resp resp;
    gpt_http(srv.port,
             &(struct gpt_req){.method = "POST",
                               .path = "/v1/target-group/searches",
                               .route = "/v1/target-group/searches",
                               .token = tok_analyst,
                               .body = body,
                               .content_type = "application/json",
                               .headers = headers},
             &resp);
    ck_assert_msg(resp.status == 200, "%ld %s", resp.status, resp.body);
    for (int k = 0; k < NKIND; k++) {
        json_t *cand = NULL, *x;
        size_t i;
        json_array_foreach(json_object_get(resp.json, "candidates"), i, x)
        {
            if (!strcmp(json_string_value(json_object_get(x, "cpr")), cprs[k]))
                cand = x;
        }
        ck_assert_msg((cand != NULL) == (k != K_DOCUMENT), "CPR list: a %s's citizen %s listed",
                      kind_names[k], cand ? "is" : "is not");
        if (!cand)
            continue;
        size_t n = 0;
        json_t *svc;
        json_array_foreach(json_object_get(cand, "services"), i, svc) n +=
            !strcmp(json_string_value(json_object_get(svc, "area")), "social");
        ck_assert_msg(n == (projected[V_SUMMARY][k] == V_SUMMARY ? 1u : 0u),
                      "CPR list: a %s is listed as %zu services: %s", kind_names[k], n, resp.body);
        for (int f = 0; f < NFIELD; f++) {
            char m[64];
            marker((enum kind)k, (enum field)f, m, sizeof m);
            if (field_from[f] == V_FULL)
                ck_assert_msg(!strstr(resp.body, m), "CPR list leaks the %s of a %s",
                              field_names[f], kind_names[k]);
        }
    }
    gpt_resp_free(&resp);
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE record SET removed_at = now()"
                                     " WHERE source_id = 'jobcentre'"),
                     NKIND);
}

START_TEST(every_visibility_and_kind_on_every_route)
{
    for (int k = 0; k < NKIND; k++) {
        check_cell(V_FULL, (enum kind)k);
        check_summary_refused((enum kind)k);
        check_cell(V_EXISTENCE, (enum kind)k);
    }
    check_cpr_list();
    /* Hidden: the citizen's block on the social area, for the job centre. */
    for (int k = 0; k < NKIND; k++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from,"
                 " recorded_by) SELECT '%s', 'area', 'social', '2000-01-01', min(id)"
                 " FROM api_client",
                 cprs[k]);
        ck_assert_int_eq(gpt_db_exec(db, sql), 1);
    }
    for (int k = 0; k < NKIND; k++)
        check_cell(V_HIDDEN, (enum kind)k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("projection");
    TCase *tc = tcase_create("routes");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_visibility_and_kind_on_every_route);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
