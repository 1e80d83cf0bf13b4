/* lib/audit and lib/consent against a real PostgreSQL, migrated by the glasplade binary as a
 * non-superuser role that owns its database, and used as the service's role (a member of
 * glasplade_service that owns nothing), as in production: appending without a lock and sealing
 * in id order (also a row that commits after a greater one, concurrent appends, a killed sealer
 * and two servers), tamper detection by the chain and by signed checkpoints (even of a rewrite
 * of the whole chain by the owner), the append-only guarantee for both roles, consents, blocks,
 * overrides, the consent revision and the access log. */
#include "gptest.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"
#include "lib/sharing/audit_sealer.h"
#include "lib/sharing/consent.h"
#include "lib/db/db.h"
#include "lib/db/stmt.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char *su_url;        /* the suite's database, as superuser */
static char owner_url[512]; /* the same database as its owner, a non-superuser role */
static char owner_role[64];
static char *service_url; /* the same database as the service's role (gp_service) */
static char dbname[64];

static struct gp_db_pool *pool;
static struct gp_db_conn *conn;

static char *admin_url(const char *db)
{
    char *url = malloc(512);
    snprintf(url, 512, "postgresql://%s@%s:%s/%s", gpt_env("GLASPLADE_TEST_PG_SUPERUSER"),
             gpt_env("GLASPLADE_TEST_PG_HOST"), gpt_env("GLASPLADE_TEST_PG_PORT"), db);
    return url;
}

static void migrate(const char *url)
{
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    int rc = gpt_glasplade(args, env, NULL, &err);
    ck_assert_msg(rc == 0, "migrate failed: %s", err);
    free(err);
}

/* A role that owns a database and migrates it, as in production: no superuser, and not allowed
 * to create roles (glasplade_service exists already, as a DBA would have made it). */
static void make_owner(const char *role)
{
    char *admin = admin_url("postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", role);
    gpt_db_exec(admin, sql);
    snprintf(sql, sizeof sql, "CREATE ROLE %s LOGIN NOSUPERUSER NOCREATEROLE", role);
    ck_assert_int_ge(gpt_db_exec(admin, sql), 0);
    free(admin);
}

static void suite_setup(void)
{
    su_url = gpt_db_create("itest_audit");
    service_url = gpt_db_service_url(su_url); /* creates glasplade_service and the login role */
    snprintf(dbname, sizeof dbname, "%s", strrchr(su_url, '/') + 1);
    snprintf(owner_role, sizeof owner_role, "gp_audit_owner_%d", (int)getpid());
    make_owner(owner_role);
    char *admin = admin_url("postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER DATABASE %s OWNER TO %s", dbname, owner_role);
    ck_assert_int_ge(gpt_db_exec(admin, sql), 0);
    free(admin);
    snprintf(owner_url, sizeof owner_url, "postgresql://%s@%s:%s/%s", owner_role,
             gpt_env("GLASPLADE_TEST_PG_HOST"), gpt_env("GLASPLADE_TEST_PG_PORT"), dbname);
    migrate(owner_url);
}

static void drop_db(const char *name)
{
    char *admin = admin_url("postgres");
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    gpt_db_exec(admin, sql);
    free(admin);
}

static void suite_teardown(void)
{
    drop_db(dbname);
    char *admin = admin_url("postgres");
    char sql[128];
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", owner_role);
    gpt_db_exec(admin, sql);
    free(admin);
    free(su_url);
    free(service_url);
}

static void test_setup(void)
{
    pool = gp_db_pool_create(service_url, 4, 5);
    char err[256];
    conn = gp_db_acquire(pool, err, sizeof err);
    ck_assert_msg(conn != NULL, "%s", err);
}

static void test_teardown(void)
{
    gp_db_release(pool, conn);
    gp_db_pool_destroy(pool);
    conn = NULL;
    pool = NULL;
}

/* ---- helpers ---- */

static int64_t scalar_i64(const char *url, const char *sql)
{
    char *v = gpt_db_scalar(url, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    int64_t n = strtoll(v, NULL, 10);
    free(v);
    return n;
}

static int64_t new_client(const char *url, const char *role, const char *dept, const char *name)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO api_client (token_hash, role, name, department)"
             " VALUES (sha256(convert_to(gen_random_uuid()::text, 'UTF8')), '%s', '%s', %s%s%s)"
             " RETURNING id",
             role, name, dept ? "'" : "", dept ? dept : "NULL", dept ? "'" : "");
    return scalar_i64(url, sql);
}

/* The SQLSTATE running sql on url fails with ("" when it succeeds). */
static void sqlstate_of(const char *url, const char *sql, char state[6])
{
    PGconn *c = PQconnectdb(url);
    ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    const char *s = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(state, 6, "%s", s ? s : "");
    PQclear(r);
    PQfinish(c);
}

static void fill_entry(struct gp_audit_entry *e, int64_t client, const char *cpr,
                       const char *action)
{
    memset(e, 0, sizeof *e);
    e->client_id = client;
    snprintf(e->client_name, sizeof e->client_name, "Jobcenter sagsbehandler");
    snprintf(e->role, sizeof e->role, "caseworker");
    snprintf(e->department, sizeof e->department, "job_centre");
    snprintf(e->purpose, sizeof e->purpose, "rehabilitation");
    snprintf(e->legal_basis, sizeof e->legal_basis, "LAB kap. 12 \"quoted\", comma");
    snprintf(e->cpr, sizeof e->cpr, "%s", cpr ? cpr : "");
    snprintf(e->action, sizeof e->action, "%s", action);
    snprintf(e->route, sizeof e->route, "/v1/citizens/{cpr}");
    snprintf(e->sources_asked[0], 64, "jobcentre");
    snprintf(e->sources_asked[1], 64, "region");
    e->n_sources_asked = 2;
    snprintf(e->sources_answered[0], 64, "jobcentre");
    e->n_sources_answered = 1;
    snprintf(e->visibility, sizeof e->visibility, "full,existence");
    snprintf(e->request_id, sizeof e->request_id, "req-%d", rand());
}

static int64_t append_one(struct gp_db_conn *c, const struct gp_audit_entry *e)
{
    int64_t id = 0;
    ck_assert_int_eq(gp_audit_append(c, e, &id), GP_QS_ONE_RESULT);
    ck_assert_int_gt(id, 0);
    return id;
}

/* Seals everything committed so far (two passes at least: see audit_seal()). */
static void seal_all(struct gp_db_pool *p)
{
    char err[256];
    struct gp_db_conn *c = gp_db_acquire(p, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    struct gp_audit_seal_result res = {0};
    for (int pass = 0; pass < 200; pass++) {
        ck_assert_int_eq(gp_audit_seal_pass(c, 0, &res), GP_QS_ONE_RESULT);
        if (pass > 0 && !res.pending)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    ck_assert_msg(!res.pending, "rows still wait after 200 passes");
    gp_db_release(p, c);
}

static void assert_intact(struct gp_db_pool *p)
{
    seal_all(p);
    int64_t bad = -1;
    char why[128];
    enum gp_audit_verify_rc rc = gp_audit_verify(p, &bad, why, sizeof why);
    ck_assert_msg(rc == GP_AUDIT_INTACT, "chain broken at %lld: %s (rc %d)", (long long)bad, why,
                  rc);
    ck_assert_int_eq(bad, 0);
}

/* A fresh database migrated as superuser, for tests that break the chain on purpose. */
static char *tamper_db(int rows)
{
    char *url = gpt_db_create("itest_audit_t");
    migrate(url);
    struct gp_db_pool *p = gp_db_pool_create(url, 1, 5);
    char err[256];
    struct gp_db_conn *c = gp_db_acquire(p, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    for (int i = 0; i < rows; i++) {
        struct gp_audit_entry e;
        fill_entry(&e, 0, i % 2 ? "0101901234" : NULL, i % 2 ? "read" : "search");
        append_one(c, &e);
    }
    gp_db_release(p, c);
    assert_intact(p);
    gp_db_pool_destroy(p);
    return url;
}

static enum gp_audit_verify_rc verify_url(const char *url, int64_t *bad, char *why, size_t len)
{
    struct gp_db_pool *p = gp_db_pool_create(url, 1, 5);
    enum gp_audit_verify_rc rc = gp_audit_verify(p, bad, why, len);
    gp_db_pool_destroy(p);
    return rc;
}

/* ---- the audit chain ---- */

START_TEST(audit_rows_chain_and_read_back)
{
    int64_t client = new_client(owner_url, "caseworker", "job_centre", "chain client");
    int64_t first = 0, last = 0;
    for (int i = 0; i < 20; i++) {
        struct gp_audit_entry e;
        fill_entry(&e, client, i == 5 ? NULL : "1212801111", i == 5 ? "search" : "read");
        if (i == 5)
            snprintf(e.details, sizeof e.details, "{\"area\": \"family\", \"q\": \"a,b\"}");
        e.override_used = i == 7;
        int64_t id = append_one(conn, &e);
        if (!first)
            first = id;
        ck_assert(last == 0 || id == last + 1); /* one connection, nothing rolled back: gapless */
        last = id;
    }
    assert_intact(pool);

    /* Each row's prev_hash is its predecessor's row_hash; the first links to the genesis. */
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_chain a"
                                           " JOIN audit_chain b ON b.seq = a.seq - 1"
                                           " WHERE a.prev_hash <> b.row_hash OR a.id <= b.id"),
                     0);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_chain WHERE seq = 1"
                                           " AND prev_hash = decode(repeat('00', 32), 'hex')"),
                     1);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_log l WHERE NOT EXISTS"
                                           " (SELECT 1 FROM audit_chain c WHERE c.id = l.id)"),
                     0);

    struct gp_audit_filter f = {.client_id = client, .limit = 50};
    struct gp_audit_list l = {0};
    ck_assert_int_eq(gp_audit_search(conn, &f, &l), 20);
    ck_assert_int_eq(l.items[0].id, last); /* newest first */
    const struct gp_audit_entry *s = &l.items[20 - 1 - 5];
    ck_assert_str_eq(s->action, "search");
    ck_assert_str_eq(s->cpr, "");
    ck_assert_str_eq(s->details, "{\"q\": \"a,b\", \"area\": \"family\"}"); /* jsonb's form */
    const struct gp_audit_entry *o = &l.items[20 - 1 - 7];
    ck_assert(o->override_used);
    ck_assert_str_eq(o->legal_basis, "LAB kap. 12 \"quoted\", comma");
    ck_assert_int_eq(o->n_sources_asked, 2);
    ck_assert_str_eq(o->sources_asked[1], "region");
    ck_assert_int_eq(o->n_sources_answered, 1);
    ck_assert_str_eq(o->sources_answered[0], "jobcentre");
    ck_assert_str_eq(o->visibility, "full,existence");
    ck_assert_int_eq(strlen(o->at), 27); /* 2026-01-01T00:00:00.000000Z */
    ck_assert(!l.items[1].override_used);
    gp_audit_list_free(&l);

    /* Filters: action, time window, cursor. */
    f.action = "search";
    ck_assert_int_eq(gp_audit_search(conn, &f, &l), 1);
    gp_audit_list_free(&l);
    f.action = NULL;
    f.before_id = first + 3;
    f.limit = 2;
    ck_assert_int_eq(gp_audit_search(conn, &f, &l), 2);
    ck_assert_int_eq(l.items[0].id, first + 2);
    ck_assert_int_eq(l.items[1].id, first + 1);
    gp_audit_list_free(&l);
    struct gp_audit_filter window = {
        .client_id = client, .from = "2000-01-01T00:00:00Z", .to = "2001-01-01T00:00:00Z"};
    ck_assert_int_eq(gp_audit_search(conn, &window, &l), 0);
    gp_audit_list_free(&l);
    window.to = "2999-01-01T00:00:00Z";
    ck_assert_int_eq(gp_audit_search(conn, &window, &l), 20);
    gp_audit_list_free(&l);
}
END_TEST

START_TEST(audit_rejects_invalid_entries)
{
    struct gp_audit_entry e;
    fill_entry(&e, 0, "12345", "read"); /* not a CPR */
    ck_assert_int_eq(gp_audit_append(conn, &e, NULL), GP_QS_HARD_ERROR);
    fill_entry(&e, 0, "0101901234", "delete");
    ck_assert_int_eq(gp_audit_append(conn, &e, NULL), GP_QS_HARD_ERROR);
    fill_entry(&e, 0, NULL, "search");
    snprintf(e.details, sizeof e.details, "{not json");
    ck_assert_int_eq(gp_audit_append(conn, &e, NULL), GP_QS_HARD_ERROR);
    assert_intact(pool);
}
END_TEST

struct appender {
    int n;
    int done;
};

static enum gp_qs append_tx(struct gp_db_conn *c, void *cls)
{
    (void)cls;
    struct gp_audit_entry e;
    fill_entry(&e, 0, "0202024444", "read");
    return gp_audit_append(c, &e, NULL);
}

static void *appender_main(void *arg)
{
    struct appender *a = arg;
    for (int i = 0; i < a->n; i++) {
        if (gp_db_tx(pool, "audit_append", GP_DB_READ_COMMITTED, append_tx, NULL) ==
            GP_QS_ONE_RESULT)
            a->done++;
    }
    return NULL;
}

START_TEST(concurrent_appends_form_one_chain)
{
    /* The test's own connection goes back, so the four threads each hold one of four. */
    gp_db_release(pool, conn);
    conn = NULL;
    int64_t before = scalar_i64(owner_url, "SELECT count(*) FROM audit_log");
    pthread_t t[4];
    struct appender a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct appender){.n = 40};
        ck_assert_int_eq(pthread_create(&t[i], NULL, appender_main, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].done, 40);
    }
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_log"), before + 160);
    assert_intact(pool);
    /* Every row once, in id order, each linked to its predecessor. */
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_chain"), before + 160);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_chain a"
                                           " JOIN audit_chain b ON b.seq = a.seq - 1"
                                           " WHERE a.prev_hash <> b.row_hash OR a.id <= b.id"),
                     0);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT max(seq) - count(*) FROM audit_chain"), 0);
}
END_TEST

START_TEST(tampering_with_a_field_names_the_row)
{
    char *url = tamper_db(10);
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " UPDATE audit_log SET purpose = 'x' WHERE id = 6"),
                     1);
    int64_t bad = 0;
    char why[128];
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_BROKEN);
    ck_assert_int_eq(bad, 6);
    ck_assert_str_eq(why, "hash mismatch");

    /* Repair the field, then break the link instead: reported as a broken link at that row. */
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " UPDATE audit_log SET purpose = 'rehabilitation'"
                                      " WHERE id = 6"),
                     1);
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_INTACT);
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " UPDATE audit_chain SET prev_hash = sha256('forged')"
                                      " WHERE id = 3"),
                     1);
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_BROKEN);
    ck_assert_int_eq(bad, 3);
    ck_assert_str_eq(why, "prev link broken");

    /* Also through SQL directly. */
    char *v = gpt_db_scalar(url, "SELECT bad_id || ' ' || problem FROM audit_verify()");
    ck_assert_str_eq(v, "3 prev link broken");
    free(v);
    drop_db(strrchr(url, '/') + 1);
    free(url);
}
END_TEST

START_TEST(deleting_rows_is_detected)
{
    char *url = tamper_db(10);
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " DELETE FROM audit_log WHERE id = 4"),
                     1);
    int64_t bad = 0;
    char why[128];
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_BROKEN);
    ck_assert_int_eq(bad, 4);
    ck_assert_msg(strstr(why, "row missing") != NULL, "%s", why);
    drop_db(strrchr(url, '/') + 1);
    free(url);

    /* Cutting the newest rows off the end is noticed through the head. */
    url = tamper_db(10);
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " DELETE FROM audit_log WHERE id >= 9"),
                     2);
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_BROKEN);
    ck_assert_int_eq(bad, 9);
    ck_assert_msg(strstr(why, "row missing") != NULL, "%s", why);

    /* Renumbering to hide a gap breaks the hashes (the id is hashed). */
    ck_assert_int_eq(gpt_db_exec(url, "SET session_replication_role = replica;"
                                      " UPDATE audit_log SET id = 9 WHERE id = 8;"
                                      " DELETE FROM audit_log WHERE id = 7;"
                                      " UPDATE audit_log SET id = 7 WHERE id = 9;"),
                     1);
    ck_assert_int_eq(verify_url(url, &bad, why, sizeof why), GP_AUDIT_BROKEN);
    ck_assert_int_eq(bad, 7);
    drop_db(strrchr(url, '/') + 1);
    free(url);
}
END_TEST

START_TEST(owning_role_cannot_update_or_delete_the_audit_log)
{
    struct gp_audit_entry e;
    fill_entry(&e, 0, "0303035555", "read");
    append_one(conn, &e);
    /* The role is the owner and no superuser. */
    char *v =
        gpt_db_scalar(owner_url, "SELECT r.rolsuper::text || ' ' ||"
                                 " (c.relowner = r.oid)::text FROM pg_class c, pg_roles r"
                                 " WHERE c.relname = 'audit_log' AND r.rolname = current_user");
    ck_assert_str_eq(v, "false true");
    free(v);

    char state[6];
    sqlstate_of(owner_url, "UPDATE audit_log SET purpose = 'x' WHERE id = 1", state);
    ck_assert_str_eq(state, "42501"); /* permission denied */
    sqlstate_of(owner_url, "DELETE FROM audit_log WHERE id = 1", state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url, "TRUNCATE audit_log", state);
    ck_assert_str_eq(state, "42501");
    /* Even after the owner grants itself the privileges back, the trigger refuses. */
    sqlstate_of(owner_url,
                "BEGIN; GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO CURRENT_USER;"
                " UPDATE audit_log SET purpose = 'x' WHERE id = 1",
                state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url,
                "BEGIN; GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO CURRENT_USER;"
                " DELETE FROM audit_log",
                state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url,
                "BEGIN; GRANT UPDATE, DELETE, TRUNCATE ON audit_log TO CURRENT_USER;"
                " TRUNCATE audit_log",
                state);
    ck_assert_str_eq(state, "42501");
    /* The other history tables are append-only too. */
    sqlstate_of(owner_url, "DELETE FROM consent_event", state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url, "DELETE FROM break_glass", state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url, "TRUNCATE consent CASCADE", state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(owner_url, "TRUNCATE citizen_block CASCADE", state);
    ck_assert_str_eq(state, "42501");
    assert_intact(pool);
}
END_TEST

/* ---- consents ---- */

static void fill_consent(struct gp_consent *k, const char *cpr, int64_t by, const char *from,
                         const char *until)
{
    memset(k, 0, sizeof *k);
    snprintf(k->cpr, sizeof k->cpr, "%s", cpr);
    snprintf(k->purpose, sizeof k->purpose, "rehabilitation");
    snprintf(k->areas[0], sizeof k->areas[0], "employment");
    snprintf(k->areas[1], sizeof k->areas[1], "health_regional");
    k->n_areas = 2;
    snprintf(k->form, sizeof k->form, "written");
    snprintf(k->evidence_ref, sizeof k->evidence_ref, "itest_audit"); /* a written one needs it */
    snprintf(k->valid_from, sizeof k->valid_from, "%s", from);
    snprintf(k->valid_until, sizeof k->valid_until, "%s", until ? until : "");
    k->recorded_by = by;
}

static int64_t revision(const char *cpr)
{
    int64_t rev = -1;
    ck_assert_int_eq(gp_consent_revision(conn, cpr, &rev), GP_CONSENT_OK);
    return rev;
}

START_TEST(consents_record_withdraw_and_keep_history)
{
    const char *cpr = "1010104321";
    int64_t by = new_client(owner_url, "caseworker", "job_centre", "consent client");
    ck_assert_int_eq(revision(cpr), 0);

    struct gp_consent in, k;
    fill_consent(&in, cpr, by, "2026-01-01", "2026-12-31");
    snprintf(in.departments[0], sizeof in.departments[0], "region");
    in.n_departments = 1;
    snprintf(in.evidence_ref, sizeof in.evidence_ref, "doc-77");
    ck_assert_int_eq(gp_consent_record(conn, &in, &k), GP_CONSENT_OK);
    ck_assert_int_gt(k.id, 0);
    ck_assert_str_eq(k.cpr, cpr);
    ck_assert_str_eq(k.purpose, "rehabilitation");
    ck_assert_int_eq(k.n_areas, 2);
    ck_assert_str_eq(k.areas[1], "health_regional");
    ck_assert_int_eq(k.n_departments, 1);
    ck_assert_str_eq(k.departments[0], "region");
    ck_assert_str_eq(k.valid_from, "2026-01-01");
    ck_assert_str_eq(k.valid_until, "2026-12-31");
    ck_assert_str_eq(k.evidence_ref, "doc-77");
    ck_assert_str_eq(k.withdrawn_at, "");
    ck_assert_int_eq(k.recorded_by, by);
    ck_assert_int_eq(revision(cpr), 1);

    struct gp_consent open_ended;
    fill_consent(&in, cpr, by, "2025-06-01", NULL);
    snprintf(in.purpose, sizeof in.purpose, "coordinated_effort");
    snprintf(in.form, sizeof in.form, "oral");
    snprintf(in.note, sizeof in.note, "by phone"); /* an oral one needs it */
    ck_assert_int_eq(gp_consent_record(conn, &in, &open_ended), GP_CONSENT_OK);
    ck_assert_str_eq(open_ended.note, "by phone");
    ck_assert_int_eq(strlen(open_ended.public_id), 36);
    ck_assert_str_ne(open_ended.public_id, k.public_id);
    ck_assert_str_eq(open_ended.valid_until, "");
    ck_assert_int_eq(revision(cpr), 2);

    struct gp_consent_list l = {0};
    ck_assert_int_eq(gp_consents_for(conn, cpr, &l), GP_CONSENT_OK);
    ck_assert_int_eq(l.n, 2);
    ck_assert_int_eq(l.items[0].id, open_ended.id); /* newest first */
    gp_consent_list_free(&l);
    ck_assert_int_eq(gp_consents_for(conn, "0000000000", &l), GP_CONSENT_OK);
    ck_assert_int_eq(l.n, 0);
    gp_consent_list_free(&l);

    /* Withdraw: once; the second time changes nothing and says so. */
    struct gp_consent w;
    ck_assert_int_eq(gp_consent_withdraw(conn, "0000000000", k.id, by, "x", &w),
                     GP_CONSENT_NOT_FOUND); /* another citizen's id */
    ck_assert_int_eq(gp_consent_withdraw(conn, cpr, k.id, by, "citizen asked", &w), GP_CONSENT_OK);
    ck_assert_str_ne(w.withdrawn_at, "");
    ck_assert_int_eq(w.withdrawn_by, by);
    ck_assert_str_eq(w.withdraw_reason, "citizen asked");
    ck_assert_int_eq(revision(cpr), 3);
    struct gp_consent w2;
    ck_assert_int_eq(gp_consent_withdraw(conn, NULL, k.id, by, "again", &w2),
                     GP_CONSENT_ALREADY_WITHDRAWN);
    ck_assert_str_eq(w2.withdrawn_at, w.withdrawn_at);
    ck_assert_str_eq(w2.withdraw_reason, "citizen asked");
    ck_assert_int_eq(revision(cpr), 3);
    ck_assert_int_eq(gp_consent_withdraw(conn, cpr, 999999, by, NULL, NULL), GP_CONSENT_NOT_FOUND);

    struct gp_consent g;
    struct gp_consent_event_list h = {0};
    ck_assert_int_eq(gp_consent_get(conn, cpr, k.id, &g, &h), GP_CONSENT_OK);
    ck_assert_str_eq(g.withdrawn_at, w.withdrawn_at);
    ck_assert_int_eq(h.n, 2);
    ck_assert_str_eq(h.items[0].event, "recorded");
    ck_assert_int_eq(h.items[0].by, by);
    ck_assert_int_eq(h.items[0].subject_id, k.id);
    ck_assert_str_eq(h.items[1].event, "withdrawn");
    ck_assert_str_eq(h.items[1].reason, "citizen asked");
    ck_assert_str_eq(h.items[1].at, w.withdrawn_at);
    gp_consent_event_list_free(&h);
    ck_assert_int_eq(gp_consent_get(conn, "0000000000", k.id, &g, &h), GP_CONSENT_NOT_FOUND);
    gp_consent_event_list_free(&h);
    ck_assert_int_eq(gp_consent_get(conn, NULL, k.id, &g, NULL), GP_CONSENT_OK);
}
END_TEST

START_TEST(consents_reject_bad_input)
{
    int64_t by = new_client(owner_url, "caseworker", "family", "bad input client");
    struct gp_consent in;
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    in.n_areas = 0;
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.areas[1], sizeof in.areas[1], "astrology");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_UNKNOWN_CODE);
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.departments[0], sizeof in.departments[0], "nowhere");
    in.n_departments = 1;
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_UNKNOWN_CODE);
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.purpose, sizeof in.purpose, "curiosity");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.form, sizeof in.form, "telepathic");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", by, "2026-02-30", NULL);
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", by, "2026-03-01", "2026-02-01");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "20202012", by, "2026-01-01", NULL);
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", 987654, "2026-01-01", NULL);
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_UNKNOWN_CODE);
    /* The database itself wants the evidence: a written consent's form, an oral one's note. */
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.evidence_ref, sizeof in.evidence_ref, "   ");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_consent(&in, "2020201234", by, "2026-01-01", NULL);
    snprintf(in.form, sizeof in.form, "oral");
    ck_assert_int_eq(gp_consent_record(conn, &in, NULL), GP_CONSENT_INVALID);
    ck_assert_int_eq(revision("2020201234"), 0);
    ck_assert_int_eq(gp_consent_rc_qs(GP_CONSENT_SOFT_ERROR), GP_QS_SOFT_ERROR);
    ck_assert_int_eq(gp_consent_rc_qs(GP_CONSENT_INVALID), GP_QS_HARD_ERROR);
    ck_assert_int_eq(gp_consent_rc_qs(GP_CONSENT_NOT_FOUND), GP_QS_NO_RESULTS);
}
END_TEST

static size_t active_consents(const char *cpr, const char *on)
{
    struct gp_consent_list l = {0};
    ck_assert_int_eq(gp_consents_active(conn, cpr, on, &l), GP_CONSENT_OK);
    size_t n = l.n;
    gp_consent_list_free(&l);
    return n;
}

START_TEST(consents_active_on_a_date)
{
    const char *cpr = "3003306789";
    int64_t by = new_client(owner_url, "coordinator", "social_services", "active client");
    struct gp_consent in, march, open, withdrawn;
    fill_consent(&in, cpr, by, "2026-03-01", "2026-03-31");
    ck_assert_int_eq(gp_consent_record(conn, &in, &march), GP_CONSENT_OK);
    ck_assert_int_eq(active_consents(cpr, "2026-02-28"), 0);
    ck_assert_int_eq(active_consents(cpr, "2026-03-01"), 1); /* both ends inclusive */
    ck_assert_int_eq(active_consents(cpr, "2026-03-31"), 1);
    ck_assert_int_eq(active_consents(cpr, "2026-04-01"), 0);

    fill_consent(&in, cpr, by, "2026-03-15", NULL);
    ck_assert_int_eq(gp_consent_record(conn, &in, &open), GP_CONSENT_OK);
    ck_assert_int_eq(active_consents(cpr, "2026-03-14"), 1);
    ck_assert_int_eq(active_consents(cpr, "2026-03-20"), 2);
    ck_assert_int_eq(active_consents(cpr, "2099-01-01"), 1);

    fill_consent(&in, cpr, by, "2026-03-10", "2026-03-20");
    ck_assert_int_eq(gp_consent_record(conn, &in, &withdrawn), GP_CONSENT_OK);
    ck_assert_int_eq(active_consents(cpr, "2026-03-20"), 3);
    ck_assert_int_eq(gp_consent_withdraw(conn, cpr, withdrawn.id, by, NULL, NULL), GP_CONSENT_OK);
    ck_assert_int_eq(active_consents(cpr, "2026-03-20"), 2); /* inactive for every date */
    ck_assert_int_eq(active_consents(cpr, "2026-03-12"), 1);

    struct gp_consent_list l = {0};
    ck_assert_int_eq(gp_consents_active(conn, cpr, "2026-03-20", &l), GP_CONSENT_OK);
    ck_assert_int_eq(l.items[0].id, march.id);
    ck_assert_int_eq(l.items[1].id, open.id);
    gp_consent_list_free(&l);
    /* Today: the open-ended one, since 2026-03-15 has passed by the time this runs. */
    char *today = gpt_db_scalar(owner_url, "SELECT (current_date >= '2026-03-15')::text");
    ck_assert_uint_eq(active_consents(cpr, NULL), !strcmp(today, "true") ? 1 : 0);
    free(today);
    ck_assert_int_eq(revision(cpr), 4);
    ck_assert_int_eq(active_consents("0000000001", "2026-03-20"), 0);
}
END_TEST

/* The audit row and the change commit or roll back together. */
struct consent_tx {
    struct gp_consent in;
    bool fail_after;
    int64_t id;
};

static enum gp_qs consent_and_audit(struct gp_db_conn *c, void *cls)
{
    struct consent_tx *t = cls;
    struct gp_consent k;
    enum gp_consent_rc rc = gp_consent_record(c, &t->in, &k);
    if (rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc);
    t->id = k.id;
    struct gp_audit_entry e;
    fill_entry(&e, t->in.recorded_by, t->in.cpr, "consent");
    snprintf(e.details, sizeof e.details, "{\"consent_id\": \"%s\"}", k.public_id);
    enum gp_qs qs = gp_audit_append(c, &e, NULL);
    if (qs < 0)
        return qs;
    return t->fail_after ? GP_QS_HARD_ERROR : GP_QS_ONE_RESULT;
}

START_TEST(consent_and_its_audit_row_share_a_transaction)
{
    const char *cpr = "0404046666";
    struct consent_tx t = {0};
    fill_consent(&t.in, cpr, new_client(owner_url, "caseworker", "family", "tx client"),
                 "2026-01-01", NULL);
    t.fail_after = true;
    gp_db_release(pool, conn);
    conn = NULL;
    ck_assert_int_eq(gp_db_tx(pool, "consent_record", GP_DB_READ_COMMITTED, consent_and_audit, &t),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM consent WHERE cpr = '0404046666'"),
                     0);
    ck_assert_int_eq(
        scalar_i64(owner_url, "SELECT count(*) FROM audit_log WHERE cpr = '0404046666'"), 0);
    ck_assert_int_eq(
        scalar_i64(owner_url, "SELECT count(*) FROM consent_revision WHERE cpr = '0404046666'"), 0);
    t.fail_after = false;
    ck_assert_int_eq(gp_db_tx(pool, "consent_record", GP_DB_READ_COMMITTED, consent_and_audit, &t),
                     GP_QS_ONE_RESULT);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM consent WHERE cpr = '0404046666'"),
                     1);
    ck_assert_int_eq(scalar_i64(owner_url, "SELECT count(*) FROM audit_log WHERE cpr = '0404046666'"
                                           " AND action = 'consent'"),
                     1);
    assert_intact(pool);
}
END_TEST

/* ---- blocks ---- */

static void fill_block(struct gp_block *b, const char *cpr, int64_t by, const char *kind,
                       const char *value, const char *from, const char *until)
{
    memset(b, 0, sizeof *b);
    snprintf(b->cpr, sizeof b->cpr, "%s", cpr);
    snprintf(b->scope_kind, sizeof b->scope_kind, "%s", kind);
    snprintf(b->scope_value, sizeof b->scope_value, "%s", value);
    snprintf(b->valid_from, sizeof b->valid_from, "%s", from);
    snprintf(b->valid_until, sizeof b->valid_until, "%s", until ? until : "");
    b->recorded_by = by;
}

static size_t active_blocks(const char *cpr, const char *on)
{
    struct gp_block_list l = {0};
    ck_assert_int_eq(gp_blocks_active(conn, cpr, on, &l), GP_CONSENT_OK);
    size_t n = l.n;
    gp_block_list_free(&l);
    return n;
}

START_TEST(blocks_record_withdraw_history_and_dates)
{
    const char *cpr = "0505057777";
    int64_t by = new_client(owner_url, "caseworker", "social_services", "block client");
    struct gp_block in, area, dept, ct;
    fill_block(&in, cpr, by, "area", "health_regional", "2026-05-01", "2026-05-31");
    snprintf(in.reason, sizeof in.reason, "private");
    ck_assert_int_eq(gp_block_record(conn, &in, &area), GP_CONSENT_OK);
    ck_assert_str_eq(area.scope_kind, "area");
    ck_assert_str_eq(area.scope_value, "health_regional");
    ck_assert_str_eq(area.reason, "private");
    ck_assert_str_eq(area.valid_until, "2026-05-31");
    fill_block(&in, cpr, by, "department", "family", "2026-05-10", NULL);
    ck_assert_int_eq(gp_block_record(conn, &in, &dept), GP_CONSENT_OK);
    ck_assert_str_eq(dept.reason, "");
    fill_block(&in, cpr, by, "case_type", "enkeltydelser", "2026-01-01", NULL);
    ck_assert_int_eq(gp_block_record(conn, &in, &ct), GP_CONSENT_OK);
    ck_assert_int_eq(revision(cpr), 3);

    fill_block(&in, cpr, by, "case_type", "no_such_type", "2026-01-01", NULL);
    ck_assert_int_eq(gp_block_record(conn, &in, NULL), GP_CONSENT_UNKNOWN_CODE);
    fill_block(&in, cpr, by, "department", "employment", "2026-01-01", NULL); /* an area */
    ck_assert_int_eq(gp_block_record(conn, &in, NULL), GP_CONSENT_UNKNOWN_CODE);
    fill_block(&in, cpr, by, "planet", "mars", "2026-01-01", NULL);
    ck_assert_int_eq(gp_block_record(conn, &in, NULL), GP_CONSENT_INVALID);
    fill_block(&in, cpr, by, "area", "family", "2026-02-01", "2026-01-01");
    ck_assert_int_eq(gp_block_record(conn, &in, NULL), GP_CONSENT_INVALID);
    ck_assert_int_eq(revision(cpr), 3);

    ck_assert_int_eq(active_blocks(cpr, "2026-04-30"), 1);
    ck_assert_int_eq(active_blocks(cpr, "2026-05-01"), 2);
    ck_assert_int_eq(active_blocks(cpr, "2026-05-10"), 3);
    ck_assert_int_eq(active_blocks(cpr, "2026-05-31"), 3);
    ck_assert_int_eq(active_blocks(cpr, "2026-06-01"), 2);

    struct gp_block w;
    ck_assert_int_eq(gp_block_withdraw(conn, cpr, dept.id, by, "changed mind", &w), GP_CONSENT_OK);
    ck_assert_str_eq(w.withdraw_reason, "changed mind");
    ck_assert_int_eq(gp_block_withdraw(conn, cpr, dept.id, by, NULL, NULL),
                     GP_CONSENT_ALREADY_WITHDRAWN);
    ck_assert_int_eq(gp_block_withdraw(conn, "0000000000", ct.id, by, NULL, NULL),
                     GP_CONSENT_NOT_FOUND);
    ck_assert_int_eq(revision(cpr), 4);
    ck_assert_int_eq(active_blocks(cpr, "2026-05-10"), 2);

    struct gp_block_list l = {0};
    ck_assert_int_eq(gp_blocks_for(conn, cpr, &l), GP_CONSENT_OK);
    ck_assert_int_eq(l.n, 3);
    ck_assert_int_eq(l.items[0].id, ct.id);
    ck_assert_str_ne(l.items[1].withdrawn_at, "");
    gp_block_list_free(&l);

    struct gp_block g;
    struct gp_consent_event_list h = {0};
    ck_assert_int_eq(gp_block_get(conn, cpr, dept.id, &g, &h), GP_CONSENT_OK);
    ck_assert_int_eq(h.n, 2);
    ck_assert_str_eq(h.items[0].event, "recorded");
    ck_assert_str_eq(h.items[1].event, "withdrawn");
    ck_assert_str_eq(h.items[1].reason, "changed mind");
    ck_assert_int_eq(h.items[1].subject_id, dept.id);
    gp_consent_event_list_free(&h);
    ck_assert_int_eq(gp_block_get(conn, cpr, area.id, &g, &h), GP_CONSENT_OK);
    ck_assert_int_eq(h.n, 1);
    ck_assert_str_eq(h.items[0].reason, "private");
    gp_consent_event_list_free(&h);

    /* Nothing is deleted or edited, other than by withdrawal. */
    char state[6];
    char sql[160];
    snprintf(sql, sizeof sql, "UPDATE citizen_block SET scope_value = 'family' WHERE id = %lld",
             (long long)area.id);
    sqlstate_of(owner_url, sql, state);
    ck_assert_str_eq(state, "42501");
    snprintf(sql, sizeof sql, "DELETE FROM citizen_block WHERE id = %lld", (long long)area.id);
    sqlstate_of(owner_url, sql, state);
    ck_assert_str_eq(state, "42501");
}
END_TEST

/* ---- overrides ---- */

START_TEST(overrides_expire_and_are_bounded)
{
    const char *cpr = "0606068888";
    int64_t client = new_client(owner_url, "caseworker", "region", "override client");
    int64_t other = new_client(owner_url, "caseworker", "region", "other client");
    bool active = true;
    ck_assert_int_eq(gp_override_active(conn, cpr, client, &active), GP_CONSENT_OK);
    ck_assert(!active);

    struct gp_override o;
    ck_assert_int_eq(gp_override_create(conn, cpr, client, "acute_risk", "suicide risk", 30, &o),
                     GP_CONSENT_OK);
    ck_assert_str_eq(o.reason_code, "acute_risk");
    ck_assert_str_eq(o.note, "suicide risk");
    ck_assert_str_lt(o.created_at, o.expires_at);
    ck_assert_int_eq(revision(cpr), 1);
    ck_assert_int_eq(gp_override_active(conn, cpr, client, &active), GP_CONSENT_OK);
    ck_assert(active);
    ck_assert_int_eq(gp_override_active(conn, cpr, other, &active), GP_CONSENT_OK);
    ck_assert(!active);
    ck_assert_int_eq(gp_override_active(conn, "0606060000", client, &active), GP_CONSENT_OK);
    ck_assert(!active);

    ck_assert_int_eq(gp_override_create(conn, cpr, client, "acute_risk", "x", 60, NULL),
                     GP_CONSENT_OK);
    ck_assert_int_eq(gp_override_create(conn, cpr, client, "acute_risk", "x", 61, NULL),
                     GP_CONSENT_INVALID);
    ck_assert_int_eq(gp_override_create(conn, cpr, client, "acute_risk", "x", 0, NULL),
                     GP_CONSENT_INVALID);
    ck_assert_int_eq(gp_override_create(conn, cpr, client, "curiosity", "x", 10, NULL),
                     GP_CONSENT_INVALID);
    ck_assert_int_eq(gp_override_create(conn, cpr, client, "child_welfare", "  ", 10, NULL),
                     GP_CONSENT_INVALID);
    ck_assert_int_eq(gp_override_create(conn, cpr, 987654, "legal_obligation", "x", 10, NULL),
                     GP_CONSENT_UNKNOWN_CODE);

    /* The CHECK holds for direct SQL too: after created_at, at most 60 minutes later. */
    char sql[512], state[6];
    snprintf(sql, sizeof sql,
             "INSERT INTO break_glass (cpr, client_id, reason_code, note, expires_at)"
             " VALUES ('%s', %lld, 'acute_risk', 'x', now() + interval '60 minutes 1 second')",
             cpr, (long long)other);
    sqlstate_of(owner_url, sql, state);
    ck_assert_str_eq(state, "23514");
    snprintf(sql, sizeof sql,
             "INSERT INTO break_glass (cpr, client_id, reason_code, note, expires_at)"
             " VALUES ('%s', %lld, 'acute_risk', 'x', now())",
             cpr, (long long)other);
    sqlstate_of(owner_url, sql, state);
    ck_assert_str_eq(state, "23514");

    /* One that ran out a second ago is not active; active only until expires_at. */
    snprintf(sql, sizeof sql,
             "INSERT INTO break_glass (cpr, client_id, reason_code, note, created_at, expires_at)"
             " VALUES ('%s', %lld, 'legal_obligation', 'court order',"
             " now() - interval '30 minutes', now() - interval '1 second')",
             cpr, (long long)other);
    ck_assert_int_eq(gpt_db_exec(owner_url, sql), 1);
    ck_assert_int_eq(gp_override_active(conn, cpr, other, &active), GP_CONSENT_OK);
    ck_assert(!active);
    snprintf(sql, sizeof sql,
             "INSERT INTO break_glass (cpr, client_id, reason_code, note, created_at, expires_at)"
             " VALUES ('%s', %lld, 'legal_obligation', 'court order',"
             " now() - interval '59 minutes', now() + interval '1 minute')",
             cpr, (long long)other);
    ck_assert_int_eq(gpt_db_exec(owner_url, sql), 1);
    ck_assert_int_eq(gp_override_active(conn, cpr, other, &active), GP_CONSENT_OK);
    ck_assert(active);

    sqlstate_of(owner_url, "UPDATE break_glass SET expires_at = expires_at + interval '1 hour'",
                state);
    ck_assert_str_eq(state, "42501");

    /* The list: all of the citizen's, newest first, with who opened each and whether it is in
     * force now. */
    struct gp_override_list l = {0};
    ck_assert_int_eq(gp_overrides_for(conn, cpr, &l), GP_CONSENT_OK);
    ck_assert_uint_eq(l.n, 4);
    for (size_t i = 1; i < l.n; i++)
        ck_assert_int_gt(l.items[i - 1].id, l.items[i].id);
    ck_assert_str_eq(l.items[0].client_name, "other client");
    ck_assert_str_eq(l.items[0].client_role, "caseworker");
    ck_assert_str_eq(l.items[0].client_department, "region");
    ck_assert(l.items[0].active);  /* 59 minutes ago, one more to go */
    ck_assert(!l.items[1].active); /* ran out a second ago */
    ck_assert(l.items[2].active);
    ck_assert_int_eq(l.items[3].id, o.id);
    ck_assert_str_eq(l.items[3].client_name, "override client");
    gp_override_list_free(&l);
    ck_assert_uint_eq(l.n, 0);
    ck_assert_int_eq(gp_overrides_for(conn, "0606060000", &l), GP_CONSENT_OK);
    ck_assert_uint_eq(l.n, 0);
    gp_override_list_free(&l);
}
END_TEST

/* Scope codes are checked before a consent or block is recorded, so that every unknown one can
 * be named; a department and a case type tell their area. */
START_TEST(scope_codes_and_their_areas)
{
    static const struct {
        const char *kind, *code;
        bool known;
        const char *area;
    } cases[] = {
        {"area", "social", true, "social"},
        {"area", "housing", false, ""},
        {"department", "job_centre", true, "employment"},
        {"department", "region", true, "health_regional"},
        {"department", "social", false, ""},
        {"case_type", "misbrugsbehandling", true, "social"},
        {"case_type", "unclassified", true, ""},
        {"case_type", "astrology", false, ""},
        {"planet", "social", false, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char area[32] = "junk";
        bool known = !cases[i].known;
        ck_assert_int_eq(gp_scope_code_area(conn, cases[i].kind, cases[i].code, area, &known),
                         GP_CONSENT_OK);
        ck_assert_msg(known == cases[i].known, "%s %s", cases[i].kind, cases[i].code);
        ck_assert_str_eq(area, cases[i].area);
    }
}
END_TEST

/* The verification also gives the end of the chain it checked, in the same snapshot. */
START_TEST(verify_gives_the_head)
{
    char *url = tamper_db(4);
    struct gp_db_pool *p = gp_db_pool_create(url, 1, 5);
    struct gp_audit_head head = {0};
    int64_t bad = -1;
    char why[64];
    ck_assert_int_eq(gp_audit_verify_head(p, &bad, why, sizeof why, &head), GP_AUDIT_INTACT);
    ck_assert_int_eq(head.last_id, 4);
    char *hash = gpt_db_scalar(url, "SELECT encode(row_hash, 'hex') FROM audit_chain WHERE id = 4");
    ck_assert_str_eq(head.last_hash, hash);
    free(hash);
    gp_db_pool_destroy(p);
    drop_db(strrchr(url, '/') + 1);
    free(url);

    /* An empty log: the head is the genesis value. */
    url = tamper_db(0);
    p = gp_db_pool_create(url, 1, 5);
    ck_assert_int_eq(gp_audit_verify_head(p, &bad, why, sizeof why, &head), GP_AUDIT_INTACT);
    ck_assert_int_eq(head.last_id, 0);
    ck_assert_str_eq(head.last_hash,
                     "0000000000000000000000000000000000000000000000000000000000000000");
    gp_db_pool_destroy(p);
    drop_db(strrchr(url, '/') + 1);
    free(url);
}
END_TEST

/* ---- v2: the service's role, sealing, checkpoints ---- */

START_TEST(service_role_may_only_read_and_append)
{
    struct gp_audit_entry e;
    fill_entry(&e, 0, "0303035555", "read");
    append_one(conn, &e);
    assert_intact(pool);
    /* No superuser, owns nothing here, and a member of glasplade_service. */
    char *v = gpt_db_scalar(
        service_url, "SELECT r.rolsuper::text || ' ' ||"
                     " (SELECT count(*) FROM pg_class WHERE relowner = r.oid)::text || ' ' ||"
                     " (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)::text || ' ' ||"
                     " pg_has_role(r.oid, 'glasplade_service', 'MEMBER')::text"
                     " FROM pg_roles r WHERE r.rolname = current_user");
    ck_assert_str_eq(v, "false 0 0 true");
    free(v);
    bool can = true;
    ck_assert_int_eq(gp_audit_role_can_rewrite(conn, &can), GP_QS_ONE_RESULT);
    ck_assert(!can);

    static const char *const refused[] = {
        "UPDATE audit_log SET purpose = 'x' WHERE id = (SELECT max(id) FROM audit_log)",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "TRUNCATE audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER USER",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only",
        "SET session_replication_role = replica",
        "INSERT INTO audit_chain VALUES (1000000, 1000000, sha256(''), sha256(''))",
        "UPDATE audit_chain SET row_hash = sha256('') WHERE seq = 1",
        "DELETE FROM audit_chain",
        "UPDATE audit_head SET last_hash = sha256('')",
        "SELECT * FROM audit_head FOR UPDATE",
        "DELETE FROM audit_checkpoint",
        "SELECT setval('audit_log_id_seq', 1)",
        "DELETE FROM consent_event",
        "UPDATE break_glass SET note = 'x'",
        "CREATE TABLE mine (a int)",
        "ALTER ROLE glasplade_service LOGIN",
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char state[6];
        sqlstate_of(service_url, refused[i], state);
        ck_assert_msg(!strcmp(state, "42501"), "'%s' gave '%s', not 42501", refused[i], state);
    }
    /* It cannot choose an audit row's id, time or transaction (column privileges): they come
     * from their defaults. */
    char state[6];
    sqlstate_of(service_url,
                "INSERT INTO audit_log (id, client_name, role, action, route)"
                " VALUES (1, 'forger', 'caseworker', 'search', '/')",
                state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(service_url,
                "INSERT INTO audit_log (at, client_name, role, action, route)"
                " VALUES ('2000-01-01', 'forger', 'caseworker', 'search', '/')",
                state);
    ck_assert_str_eq(state, "42501");
    sqlstate_of(service_url,
                "INSERT INTO audit_log (txid, client_name, role, action, route)"
                " VALUES ('1', 'forger', 'caseworker', 'search', '/')",
                state);
    ck_assert_str_eq(state, "42501");
    /* What it needs: append, read, seal. */
    ck_assert_int_eq(gpt_db_exec(service_url, "INSERT INTO audit_log (client_name, role, action,"
                                              " route) VALUES ('appender', 'caseworker',"
                                              " 'search', '/')"),
                     1);
    ck_assert_int_eq(scalar_i64(service_url, "SELECT count(*) FROM audit_log"
                                             " WHERE client_name = 'appender'"
                                             " AND at > now() - interval '1 hour'"
                                             " AND txid IS NOT NULL"
                                             " AND id = (SELECT max(id) FROM audit_log)"),
                     1);
    ck_assert_int_eq(gpt_db_exec(service_url, "SELECT * FROM audit_seal()"), 1);
    /* The owner is told it could rewrite history. */
    struct gp_db_pool *op = gp_db_pool_create(owner_url, 1, 5);
    char err[256];
    struct gp_db_conn *oc = gp_db_acquire(op, err, sizeof err);
    ck_assert_int_eq(gp_audit_role_can_rewrite(oc, &can), GP_QS_ONE_RESULT);
    ck_assert(can);
    gp_db_release(op, oc);
    gp_db_pool_destroy(op);
    assert_intact(pool);
}
END_TEST

/* Transaction A draws an id and stays open; B draws the next one and commits. B's row waits for
 * A's (no pass seals past A's id while A runs), and once A commits both are sealed in id order.
 * A row whose transaction rolls back leaves a gap the chain passes over. */
START_TEST(a_row_with_a_smaller_id_committing_later_is_sealed_in_order)
{
    assert_intact(pool); /* everything before is sealed */
    PGconn *a = PQconnectdb(service_url), *b = PQconnectdb(service_url);
    ck_assert_int_eq(PQstatus(a), CONNECTION_OK);
    ck_assert_int_eq(PQstatus(b), CONNECTION_OK);
#define INSERT_AS(name)                                                                            \
    "INSERT INTO audit_log (client_name, role, action, route, cpr)"                                \
    " VALUES ('" name "', 'caseworker', 'read', '/v1/citizens/{cpr}', '0909091234') RETURNING id"
    PQclear(PQexec(a, "BEGIN"));
    PGresult *r = PQexec(a, INSERT_AS("late"));
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    int64_t late = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    r = PQexec(b, INSERT_AS("early"));
    ck_assert_int_eq(PQresultStatus(r), PGRES_TUPLES_OK);
    int64_t early = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    ck_assert_int_gt(early, late);
    /* And one that rolls back, after both. */
    PQclear(PQexec(b, "BEGIN"));
    PQclear(PQexec(b, INSERT_AS("rolled back")));
    PQclear(PQexec(b, "ROLLBACK"));

    char err[256];
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    struct gp_audit_seal_result res;
    for (int pass = 0; pass < 5; pass++) {
        ck_assert_int_eq(gp_audit_seal_pass(c, 0, &res), GP_QS_ONE_RESULT);
        ck_assert(res.last_id < late);
        ck_assert(res.pending);
    }
    char q[256];
    snprintf(q, sizeof q, "SELECT count(*) FROM audit_chain WHERE id >= %lld", (long long)late);
    ck_assert_int_eq(scalar_i64(owner_url, q), 0);
    gp_db_release(pool, c);

    r = PQexec(a, "COMMIT");
    ck_assert_int_eq(PQresultStatus(r), PGRES_COMMAND_OK);
    PQclear(r);
    assert_intact(pool);
    snprintf(q, sizeof q,
             "SELECT string_agg(l.client_name, ',' ORDER BY c.seq) FROM audit_chain c"
             " JOIN audit_log l USING (id) WHERE c.id >= %lld",
             (long long)late);
    char *order = gpt_db_scalar(owner_url, q);
    ck_assert_str_eq(order, "late,early");
    free(order);
    PQfinish(a);
    PQfinish(b);
}
END_TEST

/* A database owned by owner (a fresh non-superuser role) and migrated by it. */
static char *owned_db(const char *owner, char *url_out, size_t len)
{
    char *su = gpt_db_create("itest_audit_o");
    make_owner(owner);
    char *admin = admin_url("postgres");
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER DATABASE %s OWNER TO %s", strrchr(su, '/') + 1, owner);
    ck_assert_int_ge(gpt_db_exec(admin, sql), 0);
    free(admin);
    snprintf(url_out, len, "postgresql://%s@%s:%s/%s", owner, gpt_env("GLASPLADE_TEST_PG_HOST"),
             gpt_env("GLASPLADE_TEST_PG_PORT"), strrchr(su, '/') + 1);
    migrate(url_out);
    return su;
}

static void append_n(struct gp_db_pool *p, int n)
{
    char err[256];
    struct gp_db_conn *c = gp_db_acquire(p, err, sizeof err);
    ck_assert_msg(c != NULL, "%s", err);
    for (int i = 0; i < n; i++) {
        struct gp_audit_entry e;
        fill_entry(&e, 0, i % 3 ? "1111111118" : NULL, i % 3 ? "read" : "search");
        append_one(c, &e);
    }
    gp_db_release(p, c);
}

static void seal_now(const struct gp_audit_sealer_config *sc)
{
    struct gp_audit_seal_summary sum;
    char err[256];
    ck_assert_msg(gp_audit_seal_now(sc, 5000, &sum, err, sizeof err), "%s", err);
    ck_assert(!sum.locked_out && !sum.pending);
    ck_assert(sum.checkpoint);
}

static enum gp_audit_verify_rc check(struct gp_db_pool *p, const struct gp_audit_key *k,
                                     const char *file, struct gp_audit_report *r)
{
    struct gp_audit_check_opts o = {
        .key = k, .checkpoint_file = file, .file_required = file != NULL, .max_delay_ms = 1000};
    char err[256];
    enum gp_audit_verify_rc rc = gp_audit_check(p, &o, r, err, sizeof err);
    ck_assert_msg(rc != GP_AUDIT_VERIFY_DB_ERROR, "%s", err);
    return rc;
}

/* The owner disables the triggers, rewrites one row and recomputes the whole chain and its
 * head: the chain alone verifies (it is unkeyed), the signed checkpoints name the row — those in
 * the database, and, once the owner has deleted those as well, the file outside it. */
#define REWRITE_SQL                                                                                \
    "BEGIN;"                                                                                       \
    " GRANT UPDATE ON audit_log, audit_chain TO CURRENT_USER;"                                     \
    " ALTER TABLE audit_log DISABLE TRIGGER USER;"                                                 \
    " ALTER TABLE audit_chain DISABLE TRIGGER USER;"                                               \
    " UPDATE audit_log SET purpose = 'own_case' WHERE id = %lld;"                                  \
    " DO $$ DECLARE c record; prev bytea := decode(repeat('00', 32), 'hex'); h bytea;"             \
    " BEGIN"                                                                                       \
    "  FOR c IN SELECT ch.seq, l AS logged FROM audit_chain ch JOIN audit_log l USING (id)"        \
    "           ORDER BY ch.seq LOOP"                                                              \
    "   h := sha256(prev || convert_to(audit_canonical(c.logged), 'UTF8'));"                       \
    "   UPDATE audit_chain SET prev_hash = prev, row_hash = h WHERE seq = c.seq;"                  \
    "   prev := h;"                                                                                \
    "  END LOOP;"                                                                                  \
    "  UPDATE audit_head SET last_hash = prev;"                                                    \
    " END $$;"                                                                                     \
    " ALTER TABLE audit_log ENABLE TRIGGER USER;"                                                  \
    " ALTER TABLE audit_chain ENABLE TRIGGER USER;"                                                \
    " COMMIT"

START_TEST(a_rewritten_chain_is_named_by_the_signed_checkpoints)
{
    char owner[64], url[512], dir[] = "/tmp/gp-itest-audit-XXXXXX";
    snprintf(owner, sizeof owner, "gp_audit_rewriter_%d", (int)getpid());
    char *su = owned_db(owner, url, sizeof url);
    char *svc = gpt_db_service_url(su);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char key[128], pub[160], file[128], other[128], other_pub[160];
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(pub, sizeof pub, "%s/key.pem.pub", dir);
    snprintf(file, sizeof file, "%s/checkpoints.jsonl", dir);
    snprintf(other, sizeof other, "%s/other.pem", dir);
    snprintf(other_pub, sizeof other_pub, "%s/other.pem.pub", dir);
    char err[256];
    ck_assert_msg(gp_audit_key_generate(key, pub, NULL, err, sizeof err), "%s", err);
    ck_assert_msg(gp_audit_key_generate(other, other_pub, NULL, err, sizeof err), "%s", err);
    struct gp_audit_key *k = gp_audit_key_load_public(pub, err, sizeof err);
    struct gp_audit_sealer_config sc = {.conninfo = svc,
                                        .connect_timeout_s = 5,
                                        .delay_ms = 1000,
                                        .key_file = key,
                                        .checkpoint_file = file,
                                        .checkpoint_rows = 10,
                                        .checkpoint_interval_s = 60};
    struct gp_db_pool *p = gp_db_pool_create(svc, 1, 5);
    /* Three checkpoints of ten rows each. */
    for (int i = 0; i < 3; i++) {
        append_n(p, 10);
        seal_now(&sc);
    }
    struct gp_audit_report r;
    ck_assert_int_eq(check(p, k, file, &r), GP_AUDIT_INTACT);
    ck_assert_int_eq(r.checkpoints.from_db, 3);
    ck_assert_int_eq(r.checkpoints.from_file, 3);
    ck_assert_int_eq(r.checkpoints.matched, 3); /* the file's copies count once */
    ck_assert_int_eq(r.last_seq, 30);
    ck_assert_int_eq(r.intact_up_to, r.last_id);
    ck_assert_int_eq(r.checkpoints.last_id, r.last_id);
    struct stat st;
    ck_assert_int_eq(stat(file, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0640);

    /* Cutting the newest rows off, with their chain entries, and resetting the head: the chain
     * verifies, the checkpoints name the first row cut. */
    int64_t cut = scalar_i64(url, "SELECT id FROM audit_chain WHERE seq = 26");
    char sql[2048];
    snprintf(sql, sizeof sql,
             "BEGIN; SET session_replication_role = replica;"
             " DELETE FROM audit_log WHERE id >= %lld; DELETE FROM audit_chain WHERE seq > 25;"
             " UPDATE audit_head SET last_id = (SELECT id FROM audit_chain WHERE seq = 25),"
             "  last_seq = 25, last_hash = (SELECT row_hash FROM audit_chain WHERE seq = 25),"
             "  sealed_through = (SELECT id FROM audit_chain WHERE seq = 25); COMMIT",
             (long long)cut);
    ck_assert_int_ge(gpt_db_exec(su, sql), 0);
    int64_t bad = -1;
    char why[256];
    ck_assert_int_eq(verify_url(svc, &bad, why, sizeof why), GP_AUDIT_INTACT);
    ck_assert_int_eq(check(p, k, file, &r), GP_AUDIT_BROKEN);
    ck_assert_int_eq(r.first_broken_id, cut);
    ck_assert_msg(strstr(r.problem, "row missing"), "%s", r.problem);

    /* The 15th row is rewritten and everything after it rehashed. */
    int64_t victim = scalar_i64(url, "SELECT id FROM audit_chain WHERE seq = 15");
    int64_t before = scalar_i64(url, "SELECT id FROM audit_chain WHERE seq = 14");
    snprintf(sql, sizeof sql, REWRITE_SQL, (long long)victim);
    ck_assert_int_ge(gpt_db_exec(url, sql), 0);
    ck_assert_int_eq(verify_url(svc, &bad, why, sizeof why), GP_AUDIT_INTACT); /* unkeyed */
    ck_assert_int_eq(check(p, NULL, NULL, &r), GP_AUDIT_INTACT);               /* no key */
    ck_assert(!r.checkpoints.key);

    ck_assert_int_eq(check(p, k, NULL, &r), GP_AUDIT_BROKEN);
    ck_assert_int_eq(r.first_broken_id, victim);
    ck_assert_int_eq(r.intact_up_to, before);
    ck_assert_msg(strstr(r.problem, "rewritten"), "%s", r.problem);
    ck_assert_int_eq(r.checkpoints.matched, 1);
    ck_assert_int_eq(r.checkpoints.mismatched, 2);
    ck_assert_int_eq(r.checkpoints.last_id, scalar_i64(url, "SELECT id FROM audit_chain"
                                                            " WHERE seq = 10"));

    /* The owner deletes the checkpoints in the database too: the file still names the row. */
    ck_assert_int_ge(gpt_db_exec(url, "BEGIN; GRANT DELETE ON audit_checkpoint TO CURRENT_USER;"
                                      " ALTER TABLE audit_checkpoint DISABLE TRIGGER USER;"
                                      " DELETE FROM audit_checkpoint;"
                                      " ALTER TABLE audit_checkpoint ENABLE TRIGGER USER; COMMIT"),
                     0);
    ck_assert_int_eq(check(p, k, NULL, &r), GP_AUDIT_INTACT);
    ck_assert_int_eq(r.checkpoints.from_db, 0);
    ck_assert_int_eq(check(p, k, file, &r), GP_AUDIT_BROKEN);
    ck_assert_int_eq(r.first_broken_id, victim);

    /* A checkpoint the owner forges with a key of its own proves nothing: counted apart, or
     * invalid when it claims our key. */
    struct gp_audit_key *forger = gp_audit_key_load_private(other, err, sizeof err);
    struct gp_db_pool *op = gp_db_pool_create(url, 1, 5);
    struct gp_db_conn *oc = gp_db_acquire(op, err, sizeof err);
    struct gp_audit_checkpoint cp;
    ck_assert_int_eq(gp_audit_checkpoint_make(oc, forger, &cp), GP_QS_ONE_RESULT);
    ck_assert_int_eq(gp_audit_checkpoint_store(oc, &cp), GP_QS_ONE_RESULT);
    char ours[65];
    gp_audit_key_public_hex(k, ours);
    memcpy(cp.public_key, ours, sizeof ours);
    ck_assert_int_eq(gp_audit_checkpoint_store(oc, &cp), GP_QS_ONE_RESULT);
    gp_audit_checkpoint_clear(&cp);
    gp_db_release(op, oc);
    gp_db_pool_destroy(op);
    gp_audit_key_free(forger);
    ck_assert_int_eq(check(p, k, file, &r), GP_AUDIT_BROKEN);
    ck_assert_int_eq(r.checkpoints.other_key, 1);
    ck_assert_int_eq(r.checkpoints.invalid, 1);
    ck_assert_int_eq(r.first_broken_id, victim);

    /* The command line says the same, with exit status 1. */
    char db_env[600], key_env[200];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", svc);
    snprintf(key_env, sizeof key_env, "GLASPLADE_AUDIT_KEY_FILE=%s/none.pem", dir);
    const char *env[] = {db_env, key_env, NULL};
    const char *args[] = {"audit", "verify", "--checkpoints", file, "--public-key", pub, NULL};
    char *out = NULL;
    ck_assert_int_eq(gpt_glasplade(args, env, &out, NULL), 1);
    json_t *j = json_loads(out, 0, NULL);
    ck_assert_msg(j, "%s", out);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "first_broken_id")), victim);
    ck_assert(json_is_false(json_object_get(j, "intact")));
    json_decref(j);
    free(out);

    gp_audit_key_free(k);
    gp_db_pool_destroy(p);
    unlink(key);
    unlink(pub);
    unlink(other);
    unlink(other_pub);
    unlink(file);
    rmdir(dir);
    drop_db(strrchr(su, '/') + 1);
    char *admin = admin_url("postgres");
    snprintf(sql, sizeof sql, "DROP ROLE IF EXISTS %s", owner);
    gpt_db_exec(admin, sql);
    free(admin);
    free(svc);
    free(su);
}
END_TEST

/* ---- the sealer in serve ---- */

static bool log_has(const struct gpt_proc *p, const char *needle)
{
    char *log = gpt_read_file(p->log);
    bool has = log && strstr(log, needle);
    free(log);
    return has;
}

/* Waits up to ms until every committed row is sealed. */
static bool wait_sealed(const char *url, int ms)
{
    for (int waited = 0; waited <= ms; waited += 20) {
        if (scalar_i64(url, "SELECT count(*) FROM audit_log l WHERE NOT EXISTS"
                            " (SELECT 1 FROM audit_chain c WHERE c.id = l.id)") == 0)
            return true;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return false;
}

/* Sessions holding the sealing lock (key 7361029482: classid 1, objid 3066062186). */
static int64_t lock_holders(const char *url)
{
    return scalar_i64(url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                           " AND classid = 1 AND objid = 3066062186 AND objsubid = 1"
                           " AND granted");
}

struct load {
    struct gp_db_pool *pool;
    int n;
};

static void *load_main(void *arg)
{
    struct load *l = arg;
    for (int i = 0; i < l->n; i++)
        ck_assert_int_eq(gp_db_tx(l->pool, "audit_append", GP_DB_READ_COMMITTED, append_tx, NULL),
                         GP_QS_ONE_RESULT);
    return NULL;
}

static void load(struct gp_db_pool *p, int threads, int each)
{
    pthread_t t[8];
    struct load l = {.pool = p, .n = each};
    for (int i = 0; i < threads; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, load_main, &l), 0);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
}

static void assert_chain_once_in_order(const char *url)
{
    ck_assert_int_eq(scalar_i64(url, "SELECT count(*) - count(DISTINCT id) FROM audit_chain"), 0);
    ck_assert_int_eq(scalar_i64(url, "SELECT max(seq) - count(*) FROM audit_chain"), 0);
    ck_assert_int_eq(scalar_i64(url, "SELECT count(*) FROM audit_chain a"
                                     " JOIN audit_chain b ON b.seq = a.seq - 1"
                                     " WHERE a.id <= b.id OR a.prev_hash <> b.row_hash"),
                     0);
    ck_assert_int_eq(scalar_i64(url, "SELECT (SELECT count(*) FROM audit_log)"
                                     " - (SELECT count(*) FROM audit_chain)"),
                     0);
}

/* Two servers on one database: one seals, the other waits; rows appended through either (here
 * straight into the database, as the service's role) are sealed once each, in order. Killed,
 * the sealer loses nothing: the other server takes over; with no server at all, rows wait
 * (reported overdue) and the next server seals them in order. */
START_TEST(two_servers_seal_once_and_a_killed_sealer_loses_nothing)
{
    char *db = gpt_db_create("itest_audit_s");
    migrate(db);
    char *svc = gpt_db_service_url(db);
    struct gpt_proc a, b;
    gpt_server_start(&a, db, NULL);
    gpt_server_start(&b, db, NULL);
    struct gp_db_pool *p = gp_db_pool_create(svc, 4, 5);
    for (int i = 0; i < 100 && lock_holders(db) == 0; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(lock_holders(db), 1);
    load(p, 4, 50);
    ck_assert_msg(wait_sealed(db, 5000), "not sealed within 5 s");
    assert_chain_once_in_order(db);
    ck_assert_int_eq(lock_holders(db), 1);
    const char *seals = "this process seals the audit log";
    bool a_seals = log_has(&a, seals), b_seals = log_has(&b, seals);
    ck_assert_msg(a_seals != b_seals, "exactly one server seals (a %d, b %d)", a_seals, b_seals);
    ck_assert(!log_has(&a, "sealing failed") && !log_has(&b, "sealing failed"));

    /* Kill the sealer: the other one takes over. */
    struct gpt_proc *leader = a_seals ? &a : &b, *other = a_seals ? &b : &a;
    ck_assert_int_eq(gpt_proc_stop(leader, SIGKILL), 128 + SIGKILL);
    load(p, 2, 25);
    ck_assert_msg(wait_sealed(db, 5000), "not sealed after the sealer was killed");
    ck_assert(log_has(other, seals));
    assert_chain_once_in_order(db);

    /* No sealer at all: rows wait, and are reported. */
    ck_assert_int_eq(gpt_proc_stop(other, SIGKILL), 128 + SIGKILL);
    for (int i = 0; i < 100 && lock_holders(db) > 0; i++) {
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    load(p, 2, 10);
    struct timespec ts = {0, 400 * 1000000L};
    nanosleep(&ts, NULL);
    struct gp_audit_report r;
    struct gp_audit_check_opts o = {.max_delay_ms = 200};
    char err[256];
    ck_assert_int_eq(gp_audit_check(p, &o, &r, err, sizeof err), GP_AUDIT_INTACT);
    ck_assert_int_eq(r.unsealed.count, 20);
    ck_assert(r.unsealed.overdue);
    ck_assert_int_ge(r.unsealed.oldest_age_ms, 400);

    /* The next server seals them, in order, and says so over HTTP. */
    struct gpt_proc c;
    gpt_server_start(&c, db, NULL);
    /* Making the auditor's token is audited too (action client): one row more to seal. */
    char *auditor = gpt_token(db, "auditor", NULL);
    ck_assert_msg(wait_sealed(db, 5000), "not sealed by the next server");
    assert_chain_once_in_order(db);
    struct gpt_resp resp;
    struct gpt_req q = {.path = "/v1/audit/verify", .route = "/v1/audit/verify", .token = auditor};
    gpt_http(c.port, &q, &resp);
    ck_assert_int_eq(resp.status, 200);
    ck_assert(json_is_true(json_object_get(resp.json, "intact")));
    json_t *tail = json_object_get(resp.json, "unsealed");
    ck_assert_int_eq(json_integer_value(json_object_get(tail, "count")), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(tail, "promised_delay_ms")), 200);
    ck_assert(json_is_false(json_object_get(json_object_get(resp.json, "checkpoints"), "checked")));
    ck_assert_int_eq(json_integer_value(json_object_get(resp.json, "last_seq")), 271);
    gpt_resp_free(&resp);
    free(auditor);
    ck_assert_int_eq(gpt_proc_stop(&c, SIGTERM), 0);

    gp_db_pool_destroy(p);
    drop_db(strrchr(db, '/') + 1);
    free(svc);
    free(db);
}
END_TEST

/* ---- the access log ---- */

START_TEST(access_log_is_newest_first_paged_and_only_that_citizen)
{
    const char *mine = "0707079999", *theirs = "0808081111";
    int64_t client = new_client(owner_url, "caseworker", "job_centre", "Jobcenter Aarhus");
    int64_t ids[7];
    int k = 0;
    for (int i = 0; i < 10; i++) {
        struct gp_audit_entry e;
        bool is_mine = i % 3 != 1;
        fill_entry(&e, client, is_mine ? mine : theirs, "read");
        snprintf(e.client_name, sizeof e.client_name, "Jobcenter Aarhus");
        e.override_used = i == 9;
        int64_t id = append_one(conn, &e);
        if (is_mine && k < 7)
            ids[k++] = id;
        if (i == 4) {
            fill_entry(&e, client, NULL, "search");
            append_one(conn, &e);
        }
    }
    ck_assert_int_eq(k, 7);

    struct gp_access_list l = {0};
    ck_assert_int_eq(gp_access_log(conn, mine, 3, 0, &l), 3);
    ck_assert_int_eq(l.items[0].id, ids[6]);
    ck_assert_int_eq(l.items[1].id, ids[5]);
    ck_assert_int_eq(l.items[2].id, ids[4]);
    ck_assert(l.items[0].override_used);
    ck_assert(!l.items[1].override_used);
    ck_assert_str_eq(l.items[0].client_name, "Jobcenter Aarhus");
    ck_assert_str_eq(l.items[0].department, "job_centre");
    ck_assert_str_eq(l.items[0].purpose, "rehabilitation");
    ck_assert_str_eq(l.items[0].action, "read");
    ck_assert_str_ge(l.items[0].at, l.items[1].at);
    int64_t cursor = l.items[2].id;
    gp_access_list_free(&l);
    ck_assert_int_eq(gp_access_log(conn, mine, 3, cursor, &l), 3);
    ck_assert_int_eq(l.items[0].id, ids[3]);
    ck_assert_int_eq(l.items[2].id, ids[1]);
    cursor = l.items[2].id;
    gp_access_list_free(&l);
    ck_assert_int_eq(gp_access_log(conn, mine, 3, cursor, &l), 1);
    ck_assert_int_eq(l.items[0].id, ids[0]);
    cursor = l.items[0].id;
    gp_access_list_free(&l);
    ck_assert_int_eq(gp_access_log(conn, mine, 3, cursor, &l), 0);
    gp_access_list_free(&l);

    /* Every row returned is that citizen's: compare with the table. */
    ck_assert_int_eq(gp_access_log(conn, theirs, 100, 0, &l), 3);
    gp_access_list_free(&l);
    ck_assert_int_eq(gp_access_log(conn, "0000000000", 100, 0, &l), 0);
    gp_access_list_free(&l);
    struct gp_audit_filter f = {.cpr = mine, .limit = 1000};
    struct gp_audit_list a = {0};
    ck_assert_int_eq(gp_audit_search(conn, &f, &a), 7);
    for (size_t i = 0; i < a.n; i++)
        ck_assert_str_eq(a.items[i].cpr, mine);
    gp_audit_list_free(&a);
    assert_intact(pool);
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("db");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, test_teardown);
    tcase_add_test(tc, audit_rows_chain_and_read_back);
    tcase_add_test(tc, audit_rejects_invalid_entries);
    tcase_add_test(tc, concurrent_appends_form_one_chain);
    tcase_add_test(tc, tampering_with_a_field_names_the_row);
    tcase_add_test(tc, deleting_rows_is_detected);
    tcase_add_test(tc, owning_role_cannot_update_or_delete_the_audit_log);
    tcase_add_test(tc, consents_record_withdraw_and_keep_history);
    tcase_add_test(tc, consents_reject_bad_input);
    tcase_add_test(tc, consents_active_on_a_date);
    tcase_add_test(tc, consent_and_its_audit_row_share_a_transaction);
    tcase_add_test(tc, blocks_record_withdraw_history_and_dates);
    tcase_add_test(tc, overrides_expire_and_are_bounded);
    tcase_add_test(tc, scope_codes_and_their_areas);
    tcase_add_test(tc, verify_gives_the_head);
    tcase_add_test(tc, service_role_may_only_read_and_append);
    tcase_add_test(tc, a_row_with_a_smaller_id_committing_later_is_sealed_in_order);
    tcase_add_test(tc, a_rewritten_chain_is_named_by_the_signed_checkpoints);
    tcase_add_test(tc, access_log_is_newest_first_paged_and_only_that_citizen);
    tcase_add_test(tc, two_servers_seal_once_and_a_killed_sealer_loses_nothing);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gpt_run_suite(audit_suite());
}
