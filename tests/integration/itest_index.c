/* lib/index against a real PostgreSQL: one press's answers stored in one statement —
 * classification (a system's own code through source_code_map, an old legal paragraph mapped to
 * today's, an unknown code visibly unclassified in the source department's area), upsert per
 * (source, reference), no rewrite of an unchanged record, removal marking by complete answers
 * only, fetch outcomes, the citizen seen — and reading it back. */
#include "cmd/deptsim/population.h"
#include "gpt_demo.h"
#include "gptest.h"
#include "lib/federation/classcache.h"
#include "lib/db/db.h"
#include "lib/federation/index.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPR "1203849318"

static char *url;
static struct gp_db_pool *pool;
static struct gp_db_conn *conn;
/* Every store goes through a classification memo, as the server's do. */
static struct gp_classcache *cache;

static void suite_setup(void)
{
    url = gpt_db_create("itest_index");
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    ck_assert_msg(gpt_glasplade(args, env, NULL, &err) == 0, "migrate failed: %s", err);
    free(err);
    ck_assert_int_ge(gpt_db_exec(url, "INSERT INTO source (id, kind, department, base_url) VALUES"
                                      " ('jc', 'momentum', 'job_centre', 'http://127.0.0.1:1'),"
                                      " ('fam', 'dubu', 'family', 'http://127.0.0.1:2')"),
                     0);
}

static void suite_teardown(void)
{
    free(url);
}

static void test_setup(void)
{
    pool = gp_db_pool_create(url, 2, 5);
    char e[256];
    conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
    cache = gp_classcache_create(64, 300);
}

static void test_teardown(void)
{
    gp_classcache_destroy(cache);
    gp_db_release(pool, conn);
    gp_db_pool_destroy(pool);
}

static struct gp_record *add(struct gp_record_list *l, const char *ref, const char *code,
                             const char *legal, const char *start)
{
    struct gp_record *r = gp_record_list_add(l);
    snprintf(r->cpr, sizeof r->cpr, "%s", CPR);
    snprintf(r->source_ref, sizeof r->source_ref, "%s", ref);
    snprintf(r->source_code, sizeof r->source_code, "%s", code);
    snprintf(r->legal_basis_raw, sizeof r->legal_basis_raw, "%s", legal);
    snprintf(r->data_type, sizeof r->data_type, "case_summary");
    snprintf(r->kind, sizeof r->kind, "case");
    snprintf(r->title, sizeof r->title, "title of %s", ref);
    snprintf(r->status, sizeof r->status, "open");
    snprintf(r->start_date, sizeof r->start_date, "%s", start);
    return r;
}

static enum gp_qs store(struct gp_index_answer *a, size_t n)
{
    return gp_index_store_answers(conn, cache, 0, CPR, a, n, NULL);
}

static char *q(const char *sql)
{
    char *v = gpt_db_scalar(url, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    return v;
}

static void expect(const char *sql, const char *want)
{
    char *v = q(sql);
    ck_assert_msg(!strcmp(v, want), "%s\n  got  %s\n  want %s", sql, v, want);
    free(v);
}

/* The unit tests' demo records (tests/support/gpt_demo.c) are classified from a fixture: it
 * must be exactly what the one classifier, record_classify, answers for every demo citizen's
 * records today. When it is not, the current answers are written next to the build with the
 * command that puts them in place. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

START_TEST(demo_classifications_are_record_classify)
{
    ck_assert_int_ge(gpt_db_exec(url, "INSERT INTO source (id, kind, department, base_url) VALUES"
                                      " ('jobcentre', 'momentum', 'job_centre', 'http://x'),"
                                      " ('social', 'sensum', 'social_services', 'http://x'),"
                                      " ('health', 'fhir-r4', 'municipal_health', 'http://x'),"
                                      " ('region', 'fhir-r4', 'region', 'http://x'),"
                                      " ('family', 'dubu', 'family', 'http://x')"
                                      " ON CONFLICT DO NOTHING"),
                     0);
    PGconn *pg = PQconnectdb(url);
    ck_assert_int_eq(PQstatus(pg), CONNECTION_OK);
    char **lines = NULL;
    size_t n = 0;
    for (size_t d = 0; d < DS_DEMO_COUNT; d++) {
        struct gp_indexed_list l;
        gpt_demo_unclassified(ds_demo(d)->cpr, GPT_DEMO_AS_OF, &l);
        for (size_t i = 0; i < l.n; i++) {
            const struct gp_record *r = &l.items[i].rec;
            const char *kind = gpt_demo_kind(l.items[i].source_id);
            const char *date = r->start_date[0] ? r->start_date : r->document_date;
            const char *params[4] = {l.items[i].source_id, r->source_code, r->legal_basis_raw,
                                     date};
            PGresult *res = PQexecParams(
                pg,
                "SELECT c.case_type, c.area, coalesce(c.legal_basis, ''), c.sensitivity,"
                " t.label_da, t.label_en, CASE WHEN t.cross_department THEN 't' ELSE 'f' END"
                " FROM record_classify($1, nullif($2, ''), nullif($3, ''), nullif($4, '')::date) c"
                " JOIN case_type t ON t.code = c.case_type",
                4, NULL, params, NULL, NULL, 0);
            ck_assert_msg(PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1, "%s",
                          PQerrorMessage(pg));
            char key[768], line[1600];
            gpt_demo_class_key(kind, r, key, sizeof key);
            snprintf(line, sizeof line, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s", key,
                     PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2),
                     PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5),
                     PQgetvalue(res, 0, 6));
            PQclear(res);
            bool dup = false;
            for (size_t k = 0; k < n && !dup; k++)
                dup = !strcmp(lines[k], line);
            if (!dup) {
                lines = realloc(lines, (n + 1) * sizeof *lines);
                lines[n++] = strdup(line);
            }
        }
        gp_indexed_list_free(&l);
    }
    PQfinish(pg);
    ck_assert_uint_gt(n, 20);
    qsort(lines, n, sizeof *lines, cmp_str);
    size_t cap = 256, len = 0;
    char *want = malloc(cap);
    len = (size_t)snprintf(want, cap,
                           "adapter_kind\tsource_code\tlegal_basis_raw\ton_date"
                           "\tcase_type\tarea\tlegal_basis\tsensitivity\tlabel_da"
                           "\tlabel_en\tcross_department\n");
    for (size_t k = 0; k < n; k++) {
        size_t need = strlen(lines[k]) + 2;
        if (len + need > cap) {
            cap = 2 * (len + need);
            want = realloc(want, cap);
        }
        len += (size_t)snprintf(want + len, cap - len, "%s\n", lines[k]);
        free(lines[k]);
    }
    free(lines);
    char *have = gpt_read_file(GPT_DEMO_CLASSIFIED);
    if (!have || strcmp(have, want) != 0) {
        const char *out = GP_BINARY_DIR "/demo-classified.tsv";
        FILE *f = fopen(out, "w");
        ck_assert_ptr_nonnull(f);
        fputs(want, f);
        fclose(f);
        ck_abort_msg("%s is not what record_classify answers now; the current answers are in "
                     "%s: cp %s %s",
                     GPT_DEMO_CLASSIFIED, out, out, GPT_DEMO_CLASSIFIED);
    }
    free(have);
    free(want);
}
END_TEST

START_TEST(one_press_is_classified_stored_and_marked)
{
    struct gp_record_list jc = {0}, fam = {0};
    add(&jc, "F-1", "kontanthjaelp", "", "2024-02-01");       /* by source_code_map */
    add(&jc, "F-2", "", "LAB kap. 19", "2023-05-01");         /* by legal basis */
    add(&jc, "F-3", "no-such-code", "XYZ § 9", "2024-01-01"); /* unknown: unclassified */
    add(&fam, "D-1", "", "SEL § 50", "2023-03-01");           /* an old paragraph */
    struct gp_index_answer a[] = {
        {"jc", "ok", "", 51.5, "2026-11-25T10:00:00.000Z", &jc, true, NULL, false},
        {"fam", "ok", "", 48.0, "2026-11-25T10:00:00.100Z", &fam, true, NULL, false},
    };
    ck_assert_int_eq(store(a, 2), 4);

    expect("SELECT string_agg(source_ref || '=' || case_type || '/' || area || '/' ||"
           " coalesce(legal_basis, '-') || '/' || sensitivity, ' ' ORDER BY source_ref)"
           " FROM record",
           "D-1=boernefaglig_undersoegelse/family/Barnets Lov § 20/highly_sensitive "
           "F-1=kontanthjaelp/employment/LAS § 11/normal "
           "F-2=ressourceforloeb/employment/LAB kap. 19/sensitive "
           "F-3=unclassified/employment/XYZ § 9/highly_sensitive");
    expect("SELECT string_agg(source_id || ':' || status || ':' || latency_ms || ':' ||"
           " (last_ok_at = fetched_at), ' ' ORDER BY source_id) FROM source_fetch",
           "fam:ok:48:true jc:ok:51.5:true");
    expect("SELECT count(*) FROM citizen WHERE cpr = '" CPR "'", "1");
    expect("SELECT to_char(fetched_at AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') FROM record"
           " WHERE source_ref = 'D-1'",
           "10:00:00.100");

    /* The same answer again rewrites nothing (no new row versions). */
    char *before = q("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM record");
    struct gp_index_answer again[] = {
        {"jc", "ok", "", 40.0, "2026-11-25T10:01:00.000Z", &jc, true, NULL, false},
        {"fam", "ok", "", 40.0, "2026-11-25T10:01:00.000Z", &fam, true, NULL, false},
    };
    ck_assert_int_eq(store(again, 2), 4);
    char *after = q("SELECT string_agg(xmin::text, ',' ORDER BY id) FROM record");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);

    /* A complete answer without F-2 marks it removed; a failing source keeps its records and
     * its last success; a changed record is rewritten. */
    struct gp_record_list jc2 = {0};
    add(&jc2, "F-1", "kontanthjaelp", "", "2024-02-01");
    snprintf(add(&jc2, "F-3", "no-such-code", "XYZ § 9", "2024-01-01")->status, 16, "closed");
    struct gp_index_answer third[] = {
        {"jc", "ok", "", 40.0, "2026-11-25T10:02:00.000Z", &jc2, true, NULL, false},
        {"fam", "timeout", "no answer within 1500 ms", 1500.0, "2026-11-25T10:02:00.000Z", NULL,
         false, NULL, false},
    };
    ck_assert_int_eq(store(third, 2), 2);
    expect("SELECT string_agg(source_ref || ':' || (removed_at IS NOT NULL) || ':' || status, ' '"
           " ORDER BY source_ref) FROM record",
           "D-1:false:open F-1:false:open F-2:true:open F-3:false:closed");
    expect("SELECT status || ':' || error || ':' || to_char(last_ok_at AT TIME ZONE 'UTC',"
           " 'HH24:MI') FROM source_fetch WHERE source_id = 'fam'",
           "timeout:no answer within 1500 ms:10:01");

    /* F-2 comes back: live again. */
    struct gp_index_answer fourth[] = {
        {"jc", "ok", "", 40.0, "2026-11-25T10:03:00.000Z", &jc, true, NULL, false},
    };
    ck_assert_int_eq(store(fourth, 1), 3);
    expect("SELECT count(*) FROM record WHERE removed_at IS NULL", "4");

    /* An empty complete answer removes all of the source's records; reads see the live rest. */
    struct gp_record_list none = {0};
    struct gp_index_answer fifth[] = {
        {"jc", "ok", "", 40.0, "2026-11-25T10:04:00.000Z", &none, true, NULL, false},
    };
    ck_assert_int_eq(store(fifth, 1), 0);
    struct gp_indexed_list l = {0};
    ck_assert_int_eq(gp_index_read_all(conn, CPR, &l), 1);
    ck_assert_str_eq(l.items[0].rec.source_ref, "D-1");
    ck_assert_str_eq(l.items[0].case_type, "boernefaglig_undersoegelse");
    ck_assert_str_eq(l.items[0].rec.legal_basis_raw, "SEL § 50");
    gp_indexed_list_free(&l);

    gp_record_list_free(&jc);
    gp_record_list_free(&jc2);
    gp_record_list_free(&fam);
}
END_TEST

/* Text that needs escaping in JSON or SQL arrives byte for byte. */
START_TEST(awkward_text_round_trips)
{
    struct gp_record_list l = {0};
    struct gp_record *r = add(&l, "ref \"quoted\", {braces}", "kontanthjaelp", "", "2024-02-01");
    snprintf(r->title, sizeof r->title, "Æble 'ø' \\ tab\tend");
    struct gp_index_answer a[] = {
        {"jc", "ok", "", 1.0, "2026-11-25T11:00:00Z", &l, false, NULL, false}};
    ck_assert_int_eq(store(a, 1), 1);
    expect("SELECT title FROM record WHERE source_ref = 'ref \"quoted\", {braces}'",
           "Æble 'ø' \\ tab\tend");
    gp_record_list_free(&l);
}
END_TEST

/* The memo is filled from what the database classified, and what it holds is what a record is
 * stored with (so a wrong memo would show: here one is planted on purpose). */
START_TEST(classifications_are_memoised)
{
    struct gp_record_list l = {0};
    add(&l, "M-1", "kontanthjaelp", "", "2024-02-01");
    add(&l, "M-2", "", "SEL § 50", "2023-03-01");
    struct gp_index_answer a[] = {
        {"fam", "ok", "", 1.0, "2026-11-25T12:00:00Z", &l, false, NULL, false}};
    unsigned long long hits, misses;
    ck_assert_int_eq(store(a, 1), 2);
    gp_classcache_stats(cache, &hits, &misses);
    ck_assert_uint_eq(hits, 0);
    ck_assert_uint_eq(misses, 2);
    struct gp_class_value v;
    struct gp_class_key k = {"fam", "", "SEL § 50", "2023-03-01"};
    ck_assert(gp_classcache_get(cache, &k, 0, &v));
    ck_assert_str_eq(v.case_type, "boernefaglig_undersoegelse");
    ck_assert_str_eq(v.area, "family");
    ck_assert_str_eq(v.legal_basis, "Barnets Lov § 20");
    ck_assert_str_eq(v.sensitivity, "highly_sensitive");

    /* A planted memo for M-1 (dubu does not map 'kontanthjaelp': really unclassified). */
    struct gp_class_key k1 = {"fam", "kontanthjaelp", "", "2024-02-01"};
    ck_assert(gp_classcache_get(cache, &k1, 0, &v));
    ck_assert_str_eq(v.case_type, "unclassified");
    struct gp_class_value planted = {"kontanthjaelp", "employment", "LAS § 11", "normal"};
    gp_classcache_put(cache, &k1, 0, &planted);
    ck_assert_int_eq(store(a, 1), 2);
    expect("SELECT case_type || '/' || area || '/' || legal_basis FROM record"
           " WHERE source_ref = 'M-1'",
           "kontanthjaelp/employment/LAS § 11");

    /* Past the TTL the database classifies again. */
    ck_assert_int_eq(gp_index_store_answers(conn, cache, 301, CPR, a, 1, NULL), 2);
    expect("SELECT case_type || '/' || area FROM record WHERE source_ref = 'M-1'",
           "unclassified/family");
    gp_record_list_free(&l);
}
END_TEST

/* Answer digests (migration 0013): a full store remembers the answer's digest; an unchanged
 * answer (no records sent) records only its fetch, and only while the index vouches for exactly
 * that digest — else it is refused and nothing of it is stored. */
#define CPR2 "0707900000"
static enum gp_qs store2(struct gp_index_answer *a, bool *refused)
{
    return gp_index_store_answers(conn, cache, 0, CPR2, a, 1, refused);
}

START_TEST(digests_vouch_for_unchanged_answers)
{
    const char *d1 = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const char *d2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const char *state = "SELECT count(*) FILTER (WHERE r.removed_at IS NULL) || ':' ||"
                        " coalesce(encode(f.answer_digest, 'hex'), '-') || ':' ||"
                        " to_char(f.fetched_at AT TIME ZONE 'UTC', 'HH24:MI') || ':' ||"
                        " coalesce(to_char(f.answer_digest_at AT TIME ZONE 'UTC', 'HH24:MI'), '-')"
                        " FROM source_fetch f LEFT JOIN record r ON r.cpr = f.cpr"
                        " AND r.source_id = f.source_id"
                        " WHERE f.cpr = '" CPR2 "' AND f.source_id = 'jc'"
                        " GROUP BY f.answer_digest, f.fetched_at, f.answer_digest_at";
    char want[256];
    struct gp_record_list l = {0};
    add(&l, "V-1", "kontanthjaelp", "", "2024-02-01");
    add(&l, "V-2", "kontanthjaelp", "", "2024-03-01");
    bool refused = true;

    struct gp_index_answer full = {"jc", "ok", "", 1.0,  "2026-11-25T13:00:00Z",
                                   &l,   true, d1, false};
    ck_assert_int_eq(store2(&full, &refused), 2);
    ck_assert(!refused);
    snprintf(want, sizeof want, "2:%s:13:00:13:00", d1);
    expect(state, want);

    /* Unchanged: the fetch is recorded, the digest keeps the age of its full store. */
    struct gp_index_answer same = {"jc", "ok", "", 1.0, "2026-11-25T13:05:00Z",
                                   NULL, true, d1, true};
    ck_assert_int_eq(store2(&same, &refused), 0);
    ck_assert(!refused);
    snprintf(want, sizeof want, "2:%s:13:05:13:00", d1);
    expect(state, want);

    /* A failed fetch stores nothing: the digest still holds. */
    struct gp_index_answer failed = {"jc", "timeout", "no answer", 1500.0, "2026-11-25T13:06:00Z",
                                     NULL, false,     NULL,        false};
    ck_assert_int_eq(store2(&failed, NULL), 0);
    snprintf(want, sizeof want, "2:%s:13:06:13:00", d1);
    expect(state, want);

    /* Claimed unchanged against another digest: refused, and the index vouches for nothing. */
    struct gp_index_answer other = {"jc", "ok", "", 1.0, "2026-11-25T13:07:00Z",
                                    NULL, true, d2, true};
    ck_assert_int_eq(store2(&other, &refused), 0);
    ck_assert(refused);
    expect(state, "2:-:13:07:-");
    refused = false;
    ck_assert_int_eq(store2(&same, &refused), 0);
    ck_assert(refused);
    expect(state, "2:-:13:05:-");

    /* An empty answer is stored in full but not remembered. */
    struct gp_record_list none = {0};
    struct gp_index_answer empty = {"jc",  "ok", "", 1.0,  "2026-11-25T13:08:00Z",
                                    &none, true, d2, false};
    ck_assert_int_eq(store2(&empty, &refused), 0);
    ck_assert(!refused);
    expect(state, "0:-:13:08:-");
    gp_record_list_free(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("index");
    TCase *tc = tcase_create("store");
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, test_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, one_press_is_classified_stored_and_marked);
    tcase_add_test(tc, digests_vouch_for_unchanged_answers);
    tcase_add_test(tc, awkward_text_round_trips);
    tcase_add_test(tc, classifications_are_memoised);
    tcase_add_test(tc, demo_classifications_are_record_classify);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
