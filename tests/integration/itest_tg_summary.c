/* The CPR list's per-citizen summary (migration 0020) against the walk it replaced.
 *
 * The search (lib/insight/target_group.c) walks citizen_summary and applies the exact rule only
 * to the citizens the summary does not rule out. That is right only while the summary holds at
 * least every area and department the records give: a summary gone stale — a record added,
 * removed or moved to another area without the summary following — would silently drop
 * citizens from the CPR list. So, over a population synced from deptsim with blocks (by area,
 * department and case type) and the taxonomy's case types that never cross departments:
 *
 * - the summary equals what record says (recomputed here in SQL) after every write, and every
 *   search, walked page by page, equals the ORACLE: the statement before migration 0020, kept
 *   here verbatim, which walked the records themselves;
 * - writes through the real paths change the CPR list's answer accordingly: a sync that adds
 *   citizens (a larger population), moves a record back to its area, and marks records removed
 *   at the end of a pass (the smaller population again); a press (gp_index_store_answers) that
 *   adds a record in a third area, moves it to another area and removes it;
 * - two transactions writing one citizen at once leave both areas in the summary (per-citizen
 *   locks), a statement over more than 500 citizens takes one lock on the summary instead, a
 *   write under REPEATABLE READ is refused, and the service's role may read the summary but
 *   not write it. */
#include "gptest.h"
#include "lib/db/db.h"
#include "lib/db/stmt.h"
#include "lib/federation/index.h"
#include "lib/insight/target_group.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POP_SMALL 1500
#define POP_BIG   3000
#define NSETS     11
#define PRESS_CPR "0101759994" /* unknown to deptsim at every size and seed */

/* clang-format off */
/* The search as it was before migration 0020 (lib/insight/target_group.c at that time),
 * verbatim: it walks the services themselves and needs no summary. */
#define ORACLE_SQL(STATUS)                                                                      \
    "WITH counted AS NOT MATERIALIZED ("                                                           \
    "  SELECT r.cpr, r.area, r.department, r.case_type, r.status, r.kind, r.legal_basis,"          \
    "   r.caseworker_name, r.caseworker_contact"                                                   \
    "  FROM record r"                                                                              \
    "  WHERE r.removed_at IS NULL AND r.kind <> 'document'" STATUS                                 \
    "   AND r.case_type NOT IN (SELECT t.code FROM case_type t WHERE NOT t.cross_department"       \
    "    OR t.code IN (SELECT jsonb_array_elements_text($3::jsonb)))"                              \
    "   AND ($2::jsonb = '[]'::jsonb"                                                              \
    "    OR r.area IN (SELECT jsonb_array_elements_text($2::jsonb)))"                              \
    "   AND (r.cpr NOT IN (SELECT b.cpr FROM citizen_block b WHERE b.withdrawn_at IS NULL"         \
    "     AND b.valid_from <= $9::date"                                                            \
    "     AND (b.valid_until IS NULL OR b.valid_until >= $9::date))"                               \
    "    OR NOT EXISTS (SELECT 1 FROM citizen_block b WHERE b.cpr = r.cpr"                         \
    "     AND b.withdrawn_at IS NULL AND b.valid_from <= $9::date"                                 \
    "     AND (b.valid_until IS NULL OR b.valid_until >= $9::date)"                                \
    "     AND ((b.scope_kind = 'area' AND b.scope_value = r.area)"                                 \
    "      OR (b.scope_kind = 'department' AND b.scope_value = r.department)"                      \
    "      OR (b.scope_kind = 'case_type' AND b.scope_value = r.case_type)"                        \
    "      OR b.scope_kind NOT IN ('area', 'department', 'case_type'))))"                          \
    "), page AS ("                                                                                 \
    "  SELECT g.cpr, g.areas, g.departments FROM ("                                                \
    "   SELECT c.cpr, min(c.cpr) AS born, array_agg(DISTINCT c.area ORDER BY c.area) AS areas,"    \
    "    array_agg(DISTINCT c.department ORDER BY c.department) AS departments"                    \
    "   FROM counted c WHERE c.cpr > $1"                                                           \
    "   GROUP BY c.cpr) g"                                                                         \
    "  WHERE cardinality(g.areas) >= $4::integer"                                                  \
    "   AND cardinality(g.departments) >= $5::integer"                                             \
    "   AND ($6::jsonb = '[]'::jsonb OR EXISTS (SELECT 1 FROM jsonb_array_elements($6::jsonb) k"   \
    "    WHERE ARRAY(SELECT jsonb_array_elements_text(k.value)) <@ g.areas))"                      \
    "   AND ($7::integer IS NULL OR cpr_birth_date(g.born)"                                        \
    "    <= ($9::date - make_interval(years => $7::integer))::date)"                               \
    "   AND ($8::integer IS NULL OR cpr_birth_date(g.born)"                                        \
    "    > ($9::date - make_interval(years => $8::integer + 1))::date)"                            \
    "  ORDER BY g.cpr LIMIT $10::integer"                                                          \
    ")"                                                                                            \
    " SELECT p.cpr, array_to_json(p.areas)::text, array_to_json(p.departments)::text,"             \
    "  coalesce((SELECT json_agg(json_build_array(s.area, s.department, s.case_type,"              \
    "    t.label_da, t.label_en, s.legal_basis, s.caseworker_name, s.caseworker_contact)"          \
    "    ORDER BY s.area, s.department, s.case_type, s.legal_basis, s.caseworker_name,"            \
    "     s.caseworker_contact)"                                                                   \
    "   FROM (SELECT DISTINCT c.area, c.department, c.case_type,"                                  \
    "     coalesce(c.legal_basis, '') AS legal_basis,"                                             \
    "     coalesce(c.caseworker_name, '') AS caseworker_name,"                                     \
    "     coalesce(c.caseworker_contact, '') AS caseworker_contact"                                \
    "    FROM counted c WHERE c.cpr = p.cpr AND c.status = 'open'"                                  \
    "     AND c.kind IN ('case', 'activity')) s"                                                    \
    "   JOIN case_type t ON t.code = s.case_type)::text, '[]')"                                    \
    " FROM page p ORDER BY p.cpr"

static const struct gp_stmt stmt_oracle_ongoing = {"itest_tgs_oracle_ongoing",
                                                   ORACLE_SQL(" AND r.status = 'open'")};
static const struct gp_stmt stmt_oracle_any = {"itest_tgs_oracle_any", ORACLE_SQL("")};

/* What the summary must be: recomputed from record. */
#define SUMMARY_RECOMPUTED                                                                         \
    "SELECT r.cpr, array_agg(DISTINCT r.area ORDER BY r.area),"                                    \
    " array_agg(DISTINCT r.department ORDER BY r.department),"                                     \
    " coalesce(array_agg(DISTINCT r.area ORDER BY r.area) FILTER (WHERE r.status = 'open'), '{}'),"\
    " coalesce(array_agg(DISTINCT r.department ORDER BY r.department)"                             \
    "  FILTER (WHERE r.status = 'open'), '{}')"                                                    \
    " FROM record r WHERE r.removed_at IS NULL AND r.kind <> 'document' GROUP BY r.cpr"
#define SUMMARY_STORED                                                                             \
    "SELECT cpr, areas, departments, open_areas, open_departments FROM citizen_summary"
/* clang-format on */

static char *url, *svc_url;
static struct gpt_proc sim_small, sim_big;
static struct gp_db_pool *pool;
static struct gp_db_conn *conn;
static struct gp_tg_criteria sets[NSETS];
static json_t *small_answers; /* per set, after the first sync of the small population */

/* ---- helpers ---- */

static char *q(const char *sql)
{
    char *v = gpt_db_scalar(url, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    return v;
}

static long qlong(const char *sql)
{
    char *v = q(sql);
    long n = atol(v);
    free(v);
    return n;
}

static void exec_ok(const char *sql)
{
    ck_assert_msg(gpt_db_exec(url, sql) >= 0, "failed: %s", sql);
}

/* The summary is exactly what record says: no row more, none less, none different. */
static void assert_summary_exact(const char *when)
{
    long stale = qlong("SELECT count(*) FROM ((" SUMMARY_STORED " EXCEPT " SUMMARY_RECOMPUTED
                       ") UNION ALL (" SUMMARY_RECOMPUTED " EXCEPT " SUMMARY_STORED ")) x");
    ck_assert_msg(stale == 0, "%s: %ld summary rows differ from the records", when, stale);
}

/* `glasplade sync` of every source, as the service's role (as in production). */
static void sync_all(void)
{
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", svc_url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"sync", "--no-progress", "--page-size", "97", NULL};
    char *out = NULL, *err = NULL;
    int rc = gpt_glasplade(args, env, &out, &err);
    ck_assert_msg(rc == 0, "sync failed (%d): %s %s", rc, out, err);
    free(out);
    free(err);
}

static json_t *strings(const char *table, size_t width, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(table + i * width));
    return a;
}

/* A candidate as the oracle's row has it: [cpr, areas, departments, services]. */
static json_t *candidate_json(const struct gp_tg_candidate *x)
{
    json_t *services = json_array();
    for (size_t i = 0; i < x->n_services; i++) {
        const struct gp_tg_service *s = &x->services[i];
        json_array_append_new(services,
                              json_pack("[ssssssss]", s->area, s->department, s->case_type,
                                        s->label_da, s->label_en, s->legal_basis,
                                        s->caseworker_name, s->caseworker_contact));
    }
    return json_pack("[s o o o]", x->cpr, strings(x->areas[0], GP_TG_AREA_LEN, x->n_areas),
                     strings(x->departments[0], GP_TG_DEPT_LEN, x->n_departments), services);
}

/* Every candidate of c through gp_tg_search, page by page (pages of 7, following the cursors,
 * each page in its own transaction), as the oracle's rows. */
static json_t *search_all(const struct gp_tg_criteria *given)
{
    struct gp_tg_criteria c = *given;
    c.limit = 7;
    json_t *all = json_array();
    for (int pages = 0;; pages++) {
        ck_assert_int_lt(pages, 10000);
        struct gp_tg_page page;
        ck_assert_int_ge(gp_db_exec_simple(conn, "BEGIN"), 0);
        enum gp_qs qs = gp_tg_search(conn, &c, &page);
        ck_assert_int_ge(gp_db_exec_simple(conn, "COMMIT"), 0);
        ck_assert_msg(qs >= 0, "search failed: %s", gp_db_error(conn));
        for (size_t i = 0; i < page.n; i++)
            json_array_append_new(all, candidate_json(&page.items[i]));
        bool more = page.more;
        if (more) {
            char cursor[GP_TG_CURSOR_LEN];
            gp_tg_cursor_make(&c, page.items[page.n - 1].cpr, cursor);
            ck_assert(gp_tg_cursor_apply(&c, cursor));
        }
        gp_tg_page_free(&page);
        if (!more)
            break;
    }
    return all;
}

/* Every candidate of c through the oracle, in one statement with the same parameters. */
static json_t *oracle_all(const struct gp_tg_criteria *c)
{
    json_t *o = gp_tg_criteria_json(c);
    char *areas = json_dumps(json_object_get(o, "areas"), JSON_COMPACT);
    char *exclude = json_dumps(json_object_get(o, "exclude_case_types"), JSON_COMPACT);
    char *combos = json_dumps(json_object_get(o, "required_combinations"), JSON_COMPACT);
    json_decref(o);
    char min_areas[16], min_depts[16], age_min[16], age_max[16];
    snprintf(min_areas, sizeof min_areas, "%d", c->min_areas);
    snprintf(min_depts, sizeof min_depts, "%d", c->min_departments);
    snprintf(age_min, sizeof age_min, "%d", c->age_min);
    snprintf(age_max, sizeof age_max, "%d", c->age_max);
    const char *p[10] = {"",
                         areas,
                         exclude,
                         min_areas,
                         min_depts,
                         combos,
                         c->age_min >= 0 ? age_min : NULL,
                         c->age_max >= 0 ? age_max : NULL,
                         c->today,
                         "1000000"};
    PGresult *r = NULL;
    ck_assert_int_ge(gp_db_exec_simple(conn, "BEGIN"), 0);
    enum gp_qs qs =
        gp_db_exec(conn, c->ongoing_only ? &stmt_oracle_ongoing : &stmt_oracle_any, 10, p, &r);
    ck_assert_msg(qs >= 0, "oracle failed: %s", gp_db_error(conn));
    ck_assert_int_ge(gp_db_exec_simple(conn, "COMMIT"), 0);
    json_t *all = json_array();
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *row = json_pack(
            "[s o o o]", PQgetvalue(r, i, 0), json_loads(PQgetvalue(r, i, 1), 0, NULL),
            json_loads(PQgetvalue(r, i, 2), 0, NULL), json_loads(PQgetvalue(r, i, 3), 0, NULL));
        ck_assert_ptr_nonnull(row);
        json_array_append_new(all, row);
    }
    PQclear(r);
    free(areas);
    free(exclude);
    free(combos);
    return all;
}

/* got equals want, candidate by candidate (no CPR printed in full). */
static void assert_same_list(const json_t *got, const json_t *want, const char *what)
{
    size_t n =
        json_array_size(got) < json_array_size(want) ? json_array_size(got) : json_array_size(want);
    for (size_t i = 0; i < n; i++) {
        json_t *g = json_array_get(got, i), *w = json_array_get(want, i);
        if (!json_equal(g, w)) {
            char *gs = json_dumps(json_array_get(g, 1), JSON_COMPACT);
            char *ws = json_dumps(json_array_get(w, 1), JSON_COMPACT);
            ck_abort_msg("%s: candidate %zu is %.6s-xxxx %s, the oracle's %.6s-xxxx %s", what, i,
                         json_string_value(json_array_get(g, 0)), gs,
                         json_string_value(json_array_get(w, 0)), ws);
        }
    }
    ck_assert_msg(json_array_size(got) == json_array_size(want), "%s: %zu candidates, oracle %zu",
                  what, json_array_size(got), json_array_size(want));
}

/* Every criteria set: the search equals the oracle. Returns the answers (one array per set). */
static json_t *assert_all_sets_agree(const char *when)
{
    json_t *answers = json_array();
    for (int i = 0; i < NSETS; i++) {
        json_t *got = search_all(&sets[i]), *want = oracle_all(&sets[i]);
        char what[96];
        snprintf(what, sizeof what, "%s, criteria %d", when, i);
        assert_same_list(got, want, what);
        json_decref(want);
        json_array_append_new(answers, got);
    }
    return answers;
}

static bool list_has(const json_t *list, const char *cpr)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        if (!strcmp(json_string_value(json_array_get(x, 0)), cpr))
            return true;
    }
    return false;
}

/* Whether c (walked through gp_tg_search, checked against the oracle) lists cpr. */
static bool listed(const struct gp_tg_criteria *c, const char *cpr, const char *what)
{
    json_t *got = search_all(c), *want = oracle_all(c);
    assert_same_list(got, want, what);
    bool has = list_has(got, cpr);
    json_decref(got);
    json_decref(want);
    return has;
}

static void set_areas(struct gp_tg_criteria *c, const char *const *areas)
{
    c->n_areas = 0;
    for (; *areas; areas++)
        snprintf(c->areas[c->n_areas++], GP_TG_AREA_LEN, "%s", *areas);
}

static void add_combo(struct gp_tg_criteria *c, const char *const *areas)
{
    struct gp_tg_combo *k = &c->combos[c->n_combos++];
    k->n = 0;
    for (; *areas; areas++)
        snprintf(k->areas[k->n++], GP_TG_AREA_LEN, "%s", *areas);
}

static void make_sets(void)
{
    static const char *const three[] = {"employment", "social", "health_municipal", NULL};
    static const char *const health[] = {"health_municipal", "health_regional", NULL};
    static const char *const emp_soc[] = {"employment", "social", NULL};
    static const char *const fam_reg[] = {"family", "health_regional", NULL};
    for (int i = 0; i < NSETS; i++)
        gp_tg_criteria_init(&sets[i]);
    sets[1].min_areas = 3;
    sets[2].min_areas = 4;
    sets[3].min_areas = 5; /* the rare set */
    sets[4].min_areas = 1;
    sets[4].min_departments = 2;
    sets[4].age_min = 18;
    sets[4].age_max = 29;
    set_areas(&sets[5], three);
    snprintf(sets[5].exclude[sets[5].n_exclude++], GP_TG_TYPE_LEN, "kontanthjaelp");
    snprintf(sets[5].exclude[sets[5].n_exclude++], GP_TG_TYPE_LEN, "hjemmepleje");
    sets[6].min_areas = 3;
    sets[6].ongoing_only = false;
    sets[7].min_areas = 4;
    sets[7].ongoing_only = false;
    add_combo(&sets[8], emp_soc);
    add_combo(&sets[8], fam_reg);
    set_areas(&sets[9], health);
    sets[9].ongoing_only = false;
    sets[9].age_max = 17;
    sets[10].min_areas = 3;
    sets[10].min_departments = 3;
    sets[10].age_min = 40;
    for (int i = 0; i < NSETS; i++) {
        struct gp_tg_problems pr = {0};
        ck_assert_msg(gp_tg_criteria_check(&sets[i], &pr) == 0, "criteria %d: %s %s", i,
                      pr.items[0].field, pr.items[0].reason);
        gp_tg_criteria_normalise(&sets[i]);
    }
}

/* Blocks in force on citizens the summary counts in full: by area, by department, by case
 * type (each on a candidate of a broad search), so the exact rule takes away what the summary
 * still holds. */
static void add_blocks(void)
{
    char *client = gpt_token(url, "admin", NULL);
    free(client);
    static const char *const pick[] = {
        /* an area of a citizen with three or more open areas */
        "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, recorded_by)"
        " SELECT s.cpr, 'area', s.open_areas[1], current_date - 1, (SELECT max(id) FROM api_client)"
        " FROM citizen_summary s WHERE cardinality(s.open_areas) >= 3 ORDER BY s.cpr LIMIT 3",
        "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, recorded_by)"
        " SELECT s.cpr, 'department', s.open_departments[2], current_date,"
        " (SELECT max(id) FROM api_client)"
        " FROM citizen_summary s WHERE cardinality(s.open_areas) >= 3 ORDER BY s.cpr DESC LIMIT 3",
        "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, recorded_by)"
        " SELECT DISTINCT ON (r.cpr) r.cpr, 'case_type', r.case_type, current_date - 3,"
        " (SELECT max(id) FROM api_client) FROM record r JOIN citizen_summary s ON s.cpr = r.cpr"
        " WHERE r.removed_at IS NULL AND r.kind <> 'document' AND r.status = 'open'"
        " AND cardinality(s.open_areas) = 2 ORDER BY r.cpr, r.case_type LIMIT 4",
    };
    for (size_t i = 0; i < sizeof pick / sizeof *pick; i++)
        ck_assert_int_ge(gpt_db_exec(url, pick[i]), 2);
}

/* ---- fixtures ---- */

static void suite_setup(void)
{
    url = gpt_db_create("itest_tgs");
    svc_url = gpt_db_service_url(url);
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    ck_assert_msg(gpt_glasplade(args, env, NULL, &err) == 0, "migrate failed: %s", err);
    free(err);
    gpt_deptsim_start(&sim_small, POP_SMALL);
    gpt_deptsim_start(&sim_big, POP_BIG);
    gpt_register_sources(url, &sim_small, 5000);
    sync_all();
    add_blocks();
    /* The population has what the summary cannot know: live services of types that never
     * cross departments, and blocks in force. */
    ck_assert_int_gt(qlong("SELECT count(*) FROM record r JOIN case_type t ON t.code = r.case_type"
                           " WHERE NOT t.cross_department AND r.removed_at IS NULL"
                           " AND r.kind <> 'document'"),
                     5);
    ck_assert_int_ge(qlong("SELECT count(*) FROM citizen_block"), 8);
    exec_ok("VACUUM ANALYZE record");
    exec_ok("VACUUM ANALYZE citizen_summary");
    make_sets();
    pool = gp_db_pool_create(svc_url, 1, 3);
    char e[256];
    conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
    small_answers = assert_all_sets_agree("after the first sync");
    gp_db_release(pool, conn);
    conn = NULL;
    gp_db_pool_destroy(pool);
    pool = NULL;
}

static void suite_teardown(void)
{
    gpt_proc_stop(&sim_small, SIGTERM);
    gpt_proc_stop(&sim_big, SIGTERM);
    json_decref(small_answers);
    free(svc_url);
    free(url);
}

static void test_setup(void)
{
    pool = gp_db_pool_create(svc_url, 1, 3);
    char e[256];
    conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
}

static void test_teardown(void)
{
    gp_db_release(pool, conn);
    conn = NULL;
    gp_db_pool_destroy(pool);
    pool = NULL;
}

/* ---- tests ---- */

/* The summary a sync built is exact, it does rule citizens out (a superset of the exact rule,
 * not the rule itself: the blocks and excluded types make a difference), and every criteria
 * set agrees with the oracle (the fixture compared them). */
START_TEST(synced_summary_is_exact_and_searches_equal_the_oracle)
{
    assert_summary_exact("after the first sync");
    long citizens = qlong("SELECT count(*) FROM citizen_summary");
    ck_assert_int_gt(citizens, 300);
    /* Citizens the summary lets through for two open areas but the exact rule does not. */
    json_t *two = json_array_get(small_answers, 0);
    long passing = qlong("SELECT count(*) FROM citizen_summary WHERE cardinality(open_areas) >= 2");
    ck_assert_int_gt(passing, (long)json_array_size(two));
    size_t total = 0, nonempty = 0;
    for (int i = 0; i < NSETS; i++) {
        total += json_array_size(json_array_get(small_answers, i));
        nonempty += json_array_size(json_array_get(small_answers, i)) > 0;
    }
    ck_assert_uint_ge(nonempty, 9);
    ck_assert_uint_ge(total, 200);
}
END_TEST

/* A sync adds citizens (the larger population, a prefix of which is the smaller one), moves a
 * record back to the area its source gives it, and — at the end of a pass over the smaller
 * population again — marks the others' records removed: after each, the summary is exact,
 * every set agrees with the oracle, and the answers changed accordingly. */
START_TEST(sync_adds_moves_and_removes)
{
    gpt_register_sources(url, &sim_big, 5000);
    sync_all();
    assert_summary_exact("after the sync of the larger population");
    json_t *big = assert_all_sets_agree("after the sync of the larger population");
    /* More citizens now: every list that was not empty grew, keeping the old candidates. */
    size_t grew = 0;
    for (int i = 0; i < NSETS; i++) {
        json_t *before = json_array_get(small_answers, i), *after = json_array_get(big, i);
        grew += json_array_size(after) > json_array_size(before);
    }
    ck_assert_uint_ge(grew, 8);

    /* One statement over more than 500 citizens takes the lock on the whole summary instead of
     * one per citizen, and leaves it exact (here: empty, inside a transaction rolled back). */
    PGconn *bulk = PQconnectdb(svc_url);
    ck_assert_msg(PQstatus(bulk) == CONNECTION_OK, "%s", PQerrorMessage(bulk));
    PGresult *br = PQexec(bulk, "BEGIN");
    PQclear(br);
    br = PQexec(bulk, "UPDATE record SET removed_at = now() WHERE removed_at IS NULL");
    ck_assert_msg(PQresultStatus(br) == PGRES_COMMAND_OK, "%s", PQerrorMessage(bulk));
    PQclear(br);
    br = PQexec(bulk, "SELECT (SELECT count(*) FROM citizen_summary),"
                      " (SELECT count(DISTINCT cpr) FROM record WHERE removed_at = now()"
                      "  AND kind <> 'document'),"
                      " (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
                      "  AND relation = 'citizen_summary'::regclass"
                      "  AND mode = 'ShareRowExclusiveLock'),"
                      " (SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid()"
                      "  AND locktype = 'advisory')");
    ck_assert_int_eq(PQresultStatus(br), PGRES_TUPLES_OK);
    ck_assert_str_eq(PQgetvalue(br, 0, 0), "0");
    ck_assert_int_gt(atoi(PQgetvalue(br, 0, 1)), 500);
    ck_assert_str_eq(PQgetvalue(br, 0, 2), "1");
    ck_assert_str_eq(PQgetvalue(br, 0, 3), "0");
    PQclear(br);
    br = PQexec(bulk, "ROLLBACK");
    PQclear(br);
    PQfinish(bulk);
    assert_summary_exact("after a bulk statement rolled back");

    /* A record the index holds in another area than its source says (as after a change of
     * classification): the open case of a citizen with exactly three open areas, moved to an
     * area the citizen has nowhere else. The three-area set loses the citizen (the trigger
     * followed the move); the next sync moves it back and the citizen returns. */
    char *ref = q("SELECT r.source_id || '|' || r.source_ref || '|' || r.cpr"
                  " FROM record r JOIN citizen_summary s ON s.cpr = r.cpr"
                  " JOIN case_type t ON t.code = r.case_type AND t.cross_department"
                  " WHERE cardinality(s.open_areas) = 3 AND r.kind = 'case' AND r.status = 'open'"
                  " AND r.removed_at IS NULL AND NOT EXISTS (SELECT 1 FROM citizen_block b"
                  "  WHERE b.cpr = r.cpr)"
                  " AND (SELECT count(*) FROM record x WHERE x.cpr = r.cpr AND x.area = r.area"
                  "  AND x.removed_at IS NULL AND x.kind <> 'document') = 1"
                  " AND NOT 'family' = ANY (s.areas) ORDER BY r.cpr LIMIT 1");
    char src[64], sref[160], cpr[11];
    ck_assert_int_eq(sscanf(ref, "%63[^|]|%159[^|]|%10s", src, sref, cpr), 3);
    free(ref);
    ck_assert_msg(list_has(json_array_get(big, 1), cpr), "%.6s-xxxx: three open areas", cpr);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "UPDATE record SET case_type = 'stoettende_indsats', area = 'family'"
             " WHERE source_id = '%s' AND source_ref = '%s' AND cpr = '%s'",
             src, sref, cpr);
    ck_assert_int_eq(gpt_db_exec(url, sql), 1);
    assert_summary_exact("after a record moved to another area");
    ck_assert(listed(&sets[1], cpr, "moved to family, three areas")); /* still three */
    struct gp_tg_criteria fam = sets[1];
    static const char *const areas[] = {"employment", "social", "health_municipal",
                                        "health_regional", NULL};
    set_areas(&fam, areas);
    gp_tg_criteria_normalise(&fam);
    bool before_move = list_has(json_array_get(big, 1), cpr);
    ck_assert(before_move);
    ck_assert_msg(!listed(&fam, cpr, "moved to family, three areas but family"),
                  "the moved record still counts in its old area");
    sync_all();
    assert_summary_exact("after the sync moved it back");
    ck_assert_msg(listed(&fam, cpr, "moved back"), "the record moved back does not count");
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM record WHERE source_id = '%s' AND source_ref = '%s'"
             " AND area <> 'family'",
             src, sref);
    ck_assert_int_eq(qlong(sql), 1);

    /* The smaller population again: the pass ends by marking removed whatever it did not see. */
    gpt_register_sources(url, &sim_small, 5000);
    sync_all();
    ck_assert_int_gt(qlong("SELECT count(*) FROM record WHERE removed_at IS NOT NULL"), 100);
    assert_summary_exact("after the records of the larger population were removed");
    json_t *again = assert_all_sets_agree("after the removal");
    for (int i = 0; i < NSETS; i++) {
        char what[64];
        snprintf(what, sizeof what, "criteria %d, back to the smaller population", i);
        assert_same_list(json_array_get(again, i), json_array_get(small_answers, i), what);
    }
    json_decref(again);
    json_decref(big);
}
END_TEST

static struct gp_record *add_case(struct gp_record_list *l, const char *ref, const char *legal)
{
    struct gp_record *r = gp_record_list_add(l);
    snprintf(r->cpr, sizeof r->cpr, "%s", PRESS_CPR);
    snprintf(r->source_ref, sizeof r->source_ref, "%s", ref);
    snprintf(r->legal_basis_raw, sizeof r->legal_basis_raw, "%s", legal);
    snprintf(r->data_type, sizeof r->data_type, "case_summary");
    snprintf(r->kind, sizeof r->kind, "case");
    snprintf(r->title, sizeof r->title, "case %s", ref);
    snprintf(r->status, sizeof r->status, "open");
    snprintf(r->start_date, sizeof r->start_date, "2026-01-05");
    snprintf(r->caseworker_name, sizeof r->caseworker_name, "Test Caseworker");
    return r;
}

/* One press: complete answers of jobcentre and social with these records, stored as the CPR
 * button stores them, as the service's role. */
static void press(const struct gp_record_list *job, const struct gp_record_list *social)
{
    struct gp_index_answer a[2] = {
        {"jobcentre", "ok", "", 3.0, "2026-12-01T10:00:00.000Z", job, true, NULL, false},
        {"social", "ok", "", 3.0, "2026-12-01T10:00:00.000Z", social, true, NULL, false}};
    ck_assert_int_ge(gp_db_exec_simple(conn, "BEGIN"), 0);
    enum gp_qs qs = gp_index_store_answers(conn, NULL, 0, PRESS_CPR, a, 2, NULL);
    ck_assert_msg(qs >= 0, "store failed: %s", gp_db_error(conn));
    ck_assert_int_ge(gp_db_exec_simple(conn, "COMMIT"), 0);
}

static char *summary_of(void)
{
    return q("SELECT coalesce((SELECT array_to_string(open_areas, ',') FROM citizen_summary"
             " WHERE cpr = '" PRESS_CPR "'), '-')");
}

static void expect_summary(const char *want, const char *when)
{
    char *got = summary_of();
    ck_assert_msg(!strcmp(got, want), "%s: the summary has %s, want %s", when, got, want);
    free(got);
    assert_summary_exact(when);
}

/* A press adds a record in a third area, moves it to a fourth, and removes it; each changes
 * the lists the citizen is on, as the oracle says. */
START_TEST(press_adds_moves_and_removes)
{
    struct gp_tg_criteria two = sets[0], three = sets[1], with_health = sets[1];
    static const char *const areas[] = {"employment", "social", "health_municipal", NULL};
    set_areas(&with_health, areas);
    gp_tg_criteria_normalise(&with_health);
    struct gp_record_list job = {0}, social = {0};
    add_case(&job, "tgs-1", "LAB § 167");   /* mentor: employment */
    add_case(&social, "tgs-2", "SEL § 85"); /* bostoette: social */
    press(&job, &social);
    expect_summary("employment,social", "two areas by a press");
    ck_assert(listed(&two, PRESS_CPR, "two areas"));
    ck_assert(!listed(&three, PRESS_CPR, "two areas, three wanted"));

    /* Added: a third area (from the job centre's own system). */
    struct gp_record *r = add_case(&job, "tgs-3", "SUL § 141"); /* alkoholbehandling */
    press(&job, &social);
    expect_summary("employment,health_municipal,social", "a third area added by a press");
    ck_assert(listed(&three, PRESS_CPR, "three areas"));
    ck_assert(listed(&with_health, PRESS_CPR, "three areas, health named"));

    /* Moved: the same case, now under the Children's Act. */
    snprintf(r->legal_basis_raw, sizeof r->legal_basis_raw, "Barnets Lov § 32");
    press(&job, &social);
    expect_summary("employment,family,social", "moved to family by a press");
    ck_assert(listed(&three, PRESS_CPR, "three areas after the move"));
    ck_assert_msg(!listed(&with_health, PRESS_CPR, "moved out of health"),
                  "the moved record still counts in its old area");

    /* Closed: still a live service, not an open one. */
    snprintf(r->status, sizeof r->status, "closed");
    press(&job, &social);
    expect_summary("employment,social", "closed by a press");
    ck_assert(!listed(&three, PRESS_CPR, "closed, ongoing only"));
    struct gp_tg_criteria any = sets[6];
    ck_assert(listed(&any, PRESS_CPR, "closed, any status"));

    /* Removed: the job centre's complete answer no longer holds it. */
    job.n = 1;
    press(&job, &social);
    expect_summary("employment,social", "removed by a press");
    ck_assert(!listed(&any, PRESS_CPR, "removed, any status"));
    ck_assert(listed(&two, PRESS_CPR, "removed, two areas left"));

    /* Everything removed: no summary row at all. */
    job.n = 0;
    social.n = 0;
    press(&job, &social);
    expect_summary("-", "everything removed by a press");
    ck_assert(!listed(&two, PRESS_CPR, "nothing left"));
    job.n = 3;
    social.n = 1;
    gp_record_list_free(&job);
    gp_record_list_free(&social);
}
END_TEST

static PGconn *connect_service(void)
{
    PGconn *c = PQconnectdb(svc_url);
    ck_assert_msg(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    return c;
}

static void run_ok(PGconn *c, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
                  "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
}

#define CONCURRENT_CPR "0202020202"
#define INSERT_CASE(ref, src, code)                                                                \
    "INSERT INTO record (cpr, source_id, source_ref, area, department, case_type, data_type,"      \
    " kind, status, sensitivity, fetched_at) SELECT '" CONCURRENT_CPR "', s.id, '" ref "',"        \
    " t.area, s.department, t.code, 'case_summary', 'case', 'open', t.sensitivity, now()"          \
    " FROM source s, case_type t WHERE s.id = '" src "' AND t.code = '" code "'"

/* Two transactions add records of one citizen in two areas at once; the second one's trigger
 * runs while the first has not committed. The summary ends with both areas (computed from a
 * snapshot taken after the first committed), whichever commits first. And the service's role
 * cannot write the summary itself. */
START_TEST(concurrent_writers_of_one_citizen)
{
    PGconn *a = connect_service(), *b = connect_service();
    run_ok(a, "BEGIN");
    run_ok(a, INSERT_CASE("tgs-c1", "jobcentre", "mentor"));
    run_ok(b, "BEGIN");
    ck_assert_int_eq(PQsendQuery(b, INSERT_CASE("tgs-c2", "social", "bostoette")), 1);
    /* b waits for a's summary row. */
    struct timespec ts = {0, 300 * 1000000L};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(PQconsumeInput(b), 1);
    ck_assert_msg(PQisBusy(b), "the second writer did not wait for the first");
    run_ok(a, "COMMIT");
    PGresult *r;
    while ((r = PQgetResult(b)) != NULL) {
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(b));
        PQclear(r);
    }
    run_ok(b, "COMMIT");
    char *got = q("SELECT array_to_string(open_areas, ',') FROM citizen_summary"
                  " WHERE cpr = '" CONCURRENT_CPR "'");
    ck_assert_str_eq(got, "employment,social");
    free(got);
    assert_summary_exact("after two concurrent writers");

    /* The same the other way round: the later transaction commits first. */
    run_ok(a, "BEGIN");
    run_ok(a, "UPDATE record SET removed_at = now() WHERE source_ref = 'tgs-c1'");
    run_ok(b, "BEGIN");
    ck_assert_int_eq(PQsendQuery(b, INSERT_CASE("tgs-c3", "family", "anbringelse")), 1);
    nanosleep(&ts, NULL);
    ck_assert_int_eq(PQconsumeInput(b), 1);
    ck_assert(PQisBusy(b));
    run_ok(a, "COMMIT");
    while ((r = PQgetResult(b)) != NULL) {
        ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(b));
        PQclear(r);
    }
    run_ok(b, "COMMIT");
    got = q("SELECT array_to_string(open_areas, ',') FROM citizen_summary"
            " WHERE cpr = '" CONCURRENT_CPR "'");
    ck_assert_str_eq(got, "family,social");
    free(got);
    assert_summary_exact("after a removal and an addition at once");

    /* Under REPEATABLE READ the summary could be computed from a snapshot older than its
     * locks: a write to record there is refused, and nothing of it stays. */
    run_ok(a, "BEGIN ISOLATION LEVEL REPEATABLE READ");
    PGresult *rr = PQexec(a, INSERT_CASE("tgs-c4", "health", "hjemmepleje"));
    ck_assert_int_eq(PQresultStatus(rr), PGRES_FATAL_ERROR);
    ck_assert_str_eq(PQresultErrorField(rr, PG_DIAG_SQLSTATE), "55000");
    PQclear(rr);
    run_ok(a, "ROLLBACK");
    ck_assert_int_eq(qlong("SELECT count(*) FROM record WHERE source_ref = 'tgs-c4'"), 0);

    /* Read, never written, by the service. */
    static const char *const forbidden[] = {
        "INSERT INTO citizen_summary VALUES ('0303030303', '{x}', '{x}', '{x}', '{x}')",
        "UPDATE citizen_summary SET areas = '{}'", "DELETE FROM citizen_summary",
        "TRUNCATE citizen_summary"};
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        PGresult *x = PQexec(a, forbidden[i]);
        ck_assert_msg(PQresultStatus(x) == PGRES_FATAL_ERROR, "allowed: %s", forbidden[i]);
        ck_assert_str_eq(PQresultErrorField(x, PG_DIAG_SQLSTATE), "42501");
        PQclear(x);
    }
    PGresult *x = PQexec(a, "SELECT count(*) FROM citizen_summary");
    ck_assert_int_eq(PQresultStatus(x), PGRES_TUPLES_OK);
    PQclear(x);
    exec_ok("DELETE FROM record WHERE cpr = '" CONCURRENT_CPR "'");
    ck_assert_int_eq(qlong("SELECT count(*) FROM citizen_summary WHERE cpr = '" CONCURRENT_CPR "'"),
                     0);
    PQfinish(a);
    PQfinish(b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("target_group_summary");
    TCase *tc = tcase_create("summary");
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, test_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, synced_summary_is_exact_and_searches_equal_the_oracle);
    tcase_add_test(tc, press_adds_moves_and_removes);
    tcase_add_test(tc, concurrent_writers_of_one_citizen);
    tcase_add_test(tc, sync_adds_moves_and_removes);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
