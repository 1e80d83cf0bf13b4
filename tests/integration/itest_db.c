/* lib/db against a real PostgreSQL: the transaction runner's retries, reconnection, the pool's
 * limits, and that no transaction is ever left open. */
#include "gptest.h"
#include "lib/db/db.h"
#include "lib/db/stmt.h"
#include "lib/db/migrate.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *db;

static void setup(void)
{
    db = gpt_db_create("itest_db");
    ck_assert_int_ge(gpt_db_exec(db, "CREATE TABLE t (k int PRIMARY KEY, v int NOT NULL)"), 0);
}

static const struct gp_stmt stmt_insert = {"t_insert", "INSERT INTO t (k, v) VALUES ($1, $2)"};
static const struct gp_stmt stmt_fail = {
    "t_fail", "DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40001'; END $$"};
static const struct gp_stmt stmt_deadlock = {
    "t_deadlock", "DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = '40P01'; END $$"};
static const struct gp_stmt stmt_kill = {"t_kill", "SELECT pg_terminate_backend(pg_backend_pid())"};

struct attempt {
    int attempts;
    int fail_times;
    const struct gp_stmt *fail_with;
    const char *key;
};

/* Inserts a row, but first fails fail_times times with fail_with. */
static enum gp_qs insert_after_failures(struct gp_db_conn *c, void *cls)
{
    struct attempt *a = cls;
    a->attempts++;
    const char *p[2] = {a->key, "1"};
    enum gp_qs qs = gp_db_exec(c, &stmt_insert, 2, p, NULL);
    if (qs < 0)
        return qs;
    if (a->attempts <= a->fail_times)
        return gp_db_exec(c, a->fail_with, 0, NULL, NULL);
    return qs;
}

static int count_key(const char *key)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM t WHERE k = %s", key);
    char *n = gpt_db_scalar(db, sql);
    int v = atoi(n);
    free(n);
    return v;
}

START_TEST(serialization_failures_are_retried)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 3);
    struct attempt a = {.fail_times = 2, .fail_with = &stmt_fail, .key = "1"};
    ck_assert_int_eq(gp_db_tx(pool, "retry", GP_DB_SERIALIZABLE, insert_after_failures, &a), 1);
    ck_assert_int_eq(a.attempts, 3);
    ck_assert_int_eq(count_key("1"), 1); /* the failed attempts were rolled back */
    gp_db_pool_destroy(pool);
}
END_TEST

START_TEST(deadlocks_are_retried)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 3);
    struct attempt a = {.fail_times = 1, .fail_with = &stmt_deadlock, .key = "2"};
    ck_assert_int_eq(gp_db_tx(pool, "deadlock", GP_DB_READ_COMMITTED, insert_after_failures, &a),
                     1);
    ck_assert_int_eq(a.attempts, 2);
    ck_assert_int_eq(count_key("2"), 1);
    gp_db_pool_destroy(pool);
}
END_TEST

START_TEST(retries_are_bounded)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 3);
    struct attempt a = {.fail_times = 100, .fail_with = &stmt_fail, .key = "3"};
    ck_assert_int_eq(gp_db_tx(pool, "hopeless", GP_DB_SERIALIZABLE, insert_after_failures, &a),
                     GP_QS_SOFT_ERROR);
    ck_assert_int_eq(a.attempts, 5);
    ck_assert_int_eq(count_key("3"), 0);
    gp_db_pool_destroy(pool);
}
END_TEST

START_TEST(hard_errors_are_not_retried)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 3);
    struct attempt a = {.key = "4"};
    ck_assert_int_eq(gp_db_tx(pool, "first", GP_DB_READ_COMMITTED, insert_after_failures, &a), 1);
    a.attempts = 0;
    /* The same key again violates the primary key: a hard error, one attempt. */
    ck_assert_int_eq(gp_db_tx(pool, "dup", GP_DB_READ_COMMITTED, insert_after_failures, &a),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(a.attempts, 1);
    gp_db_pool_destroy(pool);
}
END_TEST

/* ---- a statement queued for the commit ---- */

struct queued {
    int attempts;
    const char *key;                   /* inserted first, normally */
    const char *queued_key;            /* inserted by the queued statement */
    const char *present;               /* rows with queued_key before the commit */
    const struct gp_stmt *queued_fail; /* when set: queued instead, on the first attempt */
};

static enum gp_qs insert_then_queue(struct gp_db_conn *c, void *cls)
{
    struct queued *q = cls;
    q->attempts++;
    const char *p[2] = {q->key, "1"};
    enum gp_qs qs = gp_db_exec(c, &stmt_insert, 2, p, NULL);
    if (qs < 0)
        return qs;
    if (q->queued_fail && q->attempts == 1)
        return gp_db_exec_at_commit(c, q->queued_fail, 0, NULL);
    const char *pq[2] = {q->queued_key, "2"};
    qs = gp_db_exec_at_commit(c, &stmt_insert, 2, pq);
    /* Queued, not run: the row is not there yet, even inside the transaction. */
    static const struct gp_stmt probe = {"t_probe_queued",
                                         "SELECT count(*) FROM t WHERE k = $1::int"};
    PGresult *r = NULL;
    const char *pp[1] = {q->queued_key};
    ck_assert_int_eq(gp_db_exec(c, &probe, 1, pp, &r), 1);
    ck_assert_str_eq(PQgetvalue(r, 0, 0), q->present);
    PQclear(r);
    return qs;
}

START_TEST(queued_statement_runs_with_the_commit)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 3);
    struct queued q = {.key = "20", .queued_key = "21", .present = "0"};
    ck_assert_int_ge(gp_db_tx(pool, "queued", GP_DB_READ_COMMITTED, insert_then_queue, &q), 0);
    ck_assert_int_eq(count_key("20"), 1);
    ck_assert_int_eq(count_key("21"), 1);

    /* Its failure is the commit's: nothing of the transaction stays, the error is returned,
     * and the connection is clean for the next user. */
    q = (struct queued){.key = "22", .queued_key = "21", .present = "1"}; /* a duplicate */
    ck_assert_int_eq(gp_db_tx(pool, "queued-dup", GP_DB_READ_COMMITTED, insert_then_queue, &q),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(q.attempts, 1);
    ck_assert_int_eq(count_key("22"), 0);

    /* A soft error of the queued statement retries the whole transaction. */
    q = (struct queued){.key = "23", .queued_key = "24", .present = "0", .queued_fail = &stmt_fail};
    ck_assert_int_ge(gp_db_tx(pool, "queued-retry", GP_DB_READ_COMMITTED, insert_then_queue, &q),
                     0);
    ck_assert_int_eq(q.attempts, 2);
    ck_assert_int_eq(count_key("23"), 1);
    ck_assert_int_eq(count_key("24"), 1);

    /* Outside a transaction it runs at once. */
    char err[128];
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    const char *p[2] = {"25", "1"};
    ck_assert_int_eq(gp_db_exec_at_commit(c, &stmt_insert, 2, p), 1);
    gp_db_release(pool, c);
    ck_assert_int_eq(count_key("25"), 1);
    char *open = gpt_db_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE datname ="
                                   " current_database() AND state LIKE 'idle in transaction%'");
    ck_assert_str_eq(open, "0");
    free(open);
    gp_db_pool_destroy(pool);
}
END_TEST

/* ---- batches, and BEGIN sent with the first statement ---- */

static const struct gp_stmt stmt_xid = {"t_xid", "SELECT pg_current_xact_id()::text"};
static const struct gp_stmt stmt_count = {"t_count", "SELECT count(*) FROM t WHERE k >= $1::int"};

struct seen {
    char text[3][64];
    int n;
};

static void keep_first(const PGresult *r, void *cls)
{
    struct seen *s = cls;
    snprintf(s->text[s->n++], sizeof s->text[0], "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "-");
}

struct batch_call {
    struct seen seen;
    const struct gp_stmt *middle;
    enum gp_qs item_qs[4];
};

/* A transaction's statements: an insert, then a batch of the transaction id, the middle
 * statement, the transaction id again and the count, in one round trip. */
static enum gp_qs batch_in_tx(struct gp_db_conn *c, void *cls)
{
    struct batch_call *b = cls;
    b->seen.n = 0;
    enum gp_qs qs = gp_db_exec_batch(c, NULL, 0); /* nothing to send: nothing sent */
    ck_assert_int_eq(qs, GP_QS_NO_RESULTS);
    struct gp_db_batch_item items[4] = {
        {.stmt = &stmt_xid, .on_result = keep_first, .cls = &b->seen},
        {.stmt = b->middle, .nparams = 2, .params = {"40", "1"}},
        {.stmt = &stmt_xid, .on_result = keep_first, .cls = &b->seen},
        {.stmt = &stmt_count,
         .nparams = 1,
         .params = {"40"},
         .on_result = keep_first,
         .cls = &b->seen},
    };
    qs = gp_db_exec_batch(c, items, 4);
    for (int i = 0; i < 4; i++)
        b->item_qs[i] = items[i].qs;
    return qs;
}

START_TEST(batches_run_in_one_transaction_and_stop_at_a_failure)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 1, 3);
    struct batch_call b = {.middle = &stmt_insert};
    ck_assert_int_eq(gp_db_tx(pool, "batch", GP_DB_READ_COMMITTED, batch_in_tx, &b), 1);
    /* BEGIN went with the batch: one transaction (one id), which saw its own insert, and
     * committed. */
    ck_assert_int_eq(b.seen.n, 3);
    ck_assert_str_eq(b.seen.text[0], b.seen.text[1]);
    ck_assert_str_eq(b.seen.text[2], "1");
    ck_assert_int_eq(b.item_qs[1], 1);
    ck_assert_int_eq(count_key("40"), 1);

    /* The same insert again fails: the error is the insert's, the items after it never ran,
     * the one before did; the transaction is rolled back. */
    b = (struct batch_call){.middle = &stmt_insert};
    ck_assert_int_eq(gp_db_tx(pool, "batch-dup", GP_DB_READ_COMMITTED, batch_in_tx, &b),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(b.seen.n, 1);
    ck_assert_int_eq(b.item_qs[0], 1);
    ck_assert_int_eq(b.item_qs[1], GP_QS_HARD_ERROR);
    ck_assert_int_eq(b.item_qs[3], GP_QS_HARD_ERROR);

    /* Outside a transaction: a soft error is returned as such, and the connection stays
     * usable after a failed batch. */
    char err[128];
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    struct gp_db_batch_item one = {.stmt = &stmt_fail};
    ck_assert_int_eq(gp_db_exec_batch(c, &one, 1), GP_QS_SOFT_ERROR);
    ck_assert_int_eq(one.qs, GP_QS_SOFT_ERROR);
    struct seen s = {0};
    struct gp_db_batch_item again = {
        .stmt = &stmt_count, .nparams = 1, .params = {"40"}, .on_result = keep_first, .cls = &s};
    ck_assert_int_eq(gp_db_exec_batch(c, &again, 1), 1);
    ck_assert_str_eq(s.text[0], "1");
    gp_db_release(pool, c);
    gp_db_pool_destroy(pool);
}
END_TEST

/* COPY into a temporary table emptied at commit, then a statement of the same transaction
 * moves the rows on: what `glasplade sync` does with each page. */
struct copied {
    int attempts;
    const char *rows;
    bool fail_first; /* a soft error after the COPY on the first attempt */
    enum gp_qs copied, moved;
};

static const struct gp_stmt stmt_move = {"t_move", "INSERT INTO t (k, v) SELECT k, v FROM t_page"};

static enum gp_qs copy_then_move(struct gp_db_conn *c, void *cls)
{
    struct copied *cp = cls;
    cp->attempts++;
    enum gp_qs qs = gp_db_exec_simple(
        c, "SET LOCAL client_min_messages TO warning;"
           " CREATE TEMP TABLE IF NOT EXISTS t_page (k int, v int) ON COMMIT DELETE ROWS");
    if (qs < 0)
        return qs;
    cp->copied = gp_db_copy_in(c, "COPY t_page (k, v) FROM STDIN", cp->rows, strlen(cp->rows));
    if (cp->copied < 0)
        return cp->copied;
    if (cp->fail_first && cp->attempts == 1)
        return gp_db_exec(c, &stmt_fail, 0, NULL, NULL);
    return cp->moved = gp_db_exec(c, &stmt_move, 0, NULL, NULL);
}

START_TEST(copy_in_belongs_to_the_transaction)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 1, 3);
    struct copied cp = {.rows = "30\t1\n31\t2\n32\t\\N\n"}; /* the last: NOT NULL in t */
    ck_assert_int_eq(gp_db_tx(pool, "copy-null", GP_DB_READ_COMMITTED, copy_then_move, &cp),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(cp.copied, 3);
    ck_assert_int_eq(count_key("30"), 0);

    /* Retried after a soft error: the rows are copied again, and once in the table. */
    cp = (struct copied){.rows = "30\t1\n31\t2\n", .fail_first = true};
    ck_assert_int_eq(gp_db_tx(pool, "copy-retry", GP_DB_READ_COMMITTED, copy_then_move, &cp), 2);
    ck_assert_int_eq(cp.attempts, 2);
    ck_assert_int_eq(count_key("30") + count_key("31"), 2);

    /* Rows the server cannot read: an error like any statement's, nothing copied, and the
     * connection is fine for the next transaction — whose staging table starts empty. */
    cp = (struct copied){.rows = "33\tnot a number\n"};
    ck_assert_int_eq(gp_db_tx(pool, "copy-bad", GP_DB_READ_COMMITTED, copy_then_move, &cp),
                     GP_QS_HARD_ERROR);
    ck_assert_int_eq(count_key("33"), 0);
    cp = (struct copied){.rows = "34\t5\n"};
    ck_assert_int_eq(gp_db_tx(pool, "copy-after", GP_DB_READ_COMMITTED, copy_then_move, &cp), 1);
    ck_assert_int_eq(count_key("34"), 1);

    /* Outside a transaction the COPY commits on its own; many rows go in pieces. */
    ck_assert_int_ge(gpt_db_exec(db, "CREATE TABLE t_bulk (k int, s text)"), 0);
    char err[128];
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    enum { N = 40000 };
    size_t cap = (size_t)N * 80, len = 0;
    char *bulk = malloc(cap);
    ck_assert_ptr_nonnull(bulk);
    for (int i = 0; i < N; i++)
        len += (size_t)snprintf(bulk + len, cap - len, "%d\t%048d\\tx\n", i, i);
    ck_assert_int_eq(gp_db_copy_in(c, "COPY t_bulk (k, s) FROM STDIN", bulk, len), N);
    ck_assert_int_eq(gp_db_copy_in(c, "SELECT 1", "", 0), GP_QS_HARD_ERROR);
    gp_db_release(pool, c);
    free(bulk);
    char *n = gpt_db_scalar(db, "SELECT count(*) || ' ' || count(DISTINCT k) || ' ' ||"
                                " sum(length(s)) FROM t_bulk");
    ck_assert_str_eq(n, "40000 40000 2000000"); /* 48 digits, a tab, an x */
    free(n);
    gp_db_pool_destroy(pool);
}
END_TEST

static enum gp_qs kill_once_then_insert(struct gp_db_conn *c, void *cls)
{
    struct attempt *a = cls;
    a->attempts++;
    if (a->attempts == 1) {
        gp_db_exec(c, &stmt_kill, 0, NULL, NULL);
        /* The backend is gone; the next statement finds out. */
    }
    const char *p[2] = {a->key, "1"};
    return gp_db_exec(c, &stmt_insert, 2, p, NULL);
}

START_TEST(lost_connection_is_reconnected_and_retried)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 1, 3);
    struct attempt a = {.key = "5"};
    ck_assert_int_eq(gp_db_tx(pool, "killed", GP_DB_READ_COMMITTED, kill_once_then_insert, &a), 1);
    ck_assert_int_eq(a.attempts, 2);
    ck_assert_int_eq(count_key("5"), 1);
    /* The statement is prepared again on the new connection. */
    struct attempt b = {.key = "6"};
    ck_assert_int_eq(gp_db_tx(pool, "after", GP_DB_READ_COMMITTED, insert_after_failures, &b), 1);
    gp_db_pool_destroy(pool);
}
END_TEST

static enum gp_qs leave_open(struct gp_db_conn *c, void *cls)
{
    (void)cls;
    return gp_db_exec_simple(c, "SELECT 1");
}

START_TEST(released_connections_have_no_open_transaction)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 1, 3);
    char err[128];
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_ge(gp_db_exec_simple(c, "BEGIN"), 0);
    const char *p[2] = {"7", "1"};
    ck_assert_int_eq(gp_db_exec(c, &stmt_insert, 2, p, NULL), 1);
    gp_db_release(pool, c); /* forgot to commit: rolled back, not left open */
    ck_assert_int_eq(count_key("7"), 0);
    c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_int_ge(gp_db_exec_simple(c, "BEGIN"), 0); /* would warn if a tx were open */
    ck_assert_int_ge(gp_db_exec_simple(c, "ROLLBACK"), 0);
    gp_db_release(pool, c);
    ck_assert_int_eq(gp_db_tx(pool, "plain", GP_DB_READ_COMMITTED, leave_open, NULL), 1);
    char *open = gpt_db_scalar(db, "SELECT count(*) FROM pg_stat_activity WHERE "
                                   "application_name = 'glasplade' AND state LIKE 'idle in%'");
    ck_assert_str_eq(open, "0");
    free(open);
    gp_db_pool_destroy(pool);
}
END_TEST

START_TEST(exhausted_pool_times_out)
{
    struct gp_db_pool *pool = gp_db_pool_create(db, 2, 1);
    char err[128];
    struct gp_db_conn *a = gp_db_acquire(pool, err, sizeof err);
    struct gp_db_conn *b = gp_db_acquire(pool, err, sizeof err);
    ck_assert(a && b && a != b);
    struct gp_db_pool_stats st;
    gp_db_pool_stats(pool, &st);
    ck_assert_int_eq(st.in_use, 2);
    ck_assert_int_eq(st.size, 2);
    time_t t0 = time(NULL);
    ck_assert_ptr_null(gp_db_acquire(pool, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "busy"));
    ck_assert_int_ge(time(NULL) - t0, 1);
    gp_db_release(pool, a);
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    ck_assert_ptr_eq(c, a); /* the freed, still-connected one is reused */
    gp_db_release(pool, b);
    gp_db_release(pool, c);
    gp_db_pool_stats(pool, &st);
    ck_assert_int_eq(st.in_use, 0);
    ck_assert_int_eq(st.connected, 2);
    gp_db_pool_destroy(pool);
}
END_TEST

START_TEST(unreachable_database_fails_fast_and_clearly)
{
    char url[128];
    snprintf(url, sizeof url, "postgresql://postgres@127.0.0.1:%d/none", gpt_free_port());
    struct gp_db_pool *pool = gp_db_pool_create(url, 1, 2);
    char err[256];
    ck_assert_ptr_null(gp_db_acquire(pool, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "cannot connect"));
    ck_assert_ptr_null(strchr(err, '\n'));
    struct gp_db_pool_stats st;
    gp_db_pool_stats(pool, &st);
    ck_assert_int_eq(st.in_use, 0); /* the failed slot was given back */
    gp_db_pool_destroy(pool);
}
END_TEST

struct mig_count {
    int applied, skipped;
};

static void count_report(const char *name, bool now, void *cls)
{
    (void)name;
    struct mig_count *m = cls;
    if (now)
        m->applied++;
    else
        m->skipped++;
}

struct mig_race {
    const char *url;
    int rc;
};

static void *migrate_thread(void *cls)
{
    struct mig_race *r = cls;
    struct gp_db_pool *pool = gp_db_pool_create(r->url, 1, 3);
    size_t n;
    const struct gp_migration *m = gp_migrate_embedded(&n);
    char err[256];
    r->rc = gp_migrate_apply(pool, m, n, NULL, NULL, err, sizeof err);
    gp_db_pool_destroy(pool);
    return NULL;
}

START_TEST(migrations_race_safely)
{
    char *fresh = gpt_db_create("itest_db_mig");
    struct mig_race a = {fresh, 0}, b = {fresh, 0};
    pthread_t ta, tb;
    pthread_create(&ta, NULL, migrate_thread, &a);
    pthread_create(&tb, NULL, migrate_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    size_t n;
    gp_migrate_embedded(&n);
    ck_assert_int_ge(a.rc, 0);
    ck_assert_int_ge(b.rc, 0);
    ck_assert_int_eq(a.rc + b.rc, (int)n); /* each file applied by exactly one of them */
    struct gp_db_pool *pool = gp_db_pool_create(fresh, 1, 3);
    struct mig_count mc = {0};
    const struct gp_migration *m = gp_migrate_embedded(&n);
    char err[256];
    ck_assert_int_eq(gp_migrate_apply(pool, m, n, count_report, &mc, err, sizeof err), 0);
    ck_assert_int_eq(mc.skipped, (int)n);
    gp_db_pool_destroy(pool);
    free(fresh);
}
END_TEST

START_TEST(failing_migration_leaves_nothing_behind)
{
    char *fresh = gpt_db_create("itest_db_bad");
    static const struct gp_migration bad[] = {
        {"0001_ok.sql", "CREATE TABLE ok_one (x int);", 28},
        {"0002_bad.sql", "CREATE TABLE half (x int); SELECT no_such_function();", 53},
    };
    struct gp_db_pool *pool = gp_db_pool_create(fresh, 1, 3);
    char err[256];
    ck_assert_int_eq(gp_migrate_apply(pool, bad, 2, NULL, NULL, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "0002_bad.sql"));
    char *n = gpt_db_scalar(fresh, "SELECT count(*) FROM schema_migration");
    ck_assert_str_eq(n, "1");
    free(n);
    n = gpt_db_scalar(fresh, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'");
    ck_assert_str_eq(n, "0");
    free(n);
    gp_db_pool_destroy(pool);
    free(fresh);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db");
    TCase *tc = tcase_create("db");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, serialization_failures_are_retried);
    tcase_add_test(tc, queued_statement_runs_with_the_commit);
    tcase_add_test(tc, batches_run_in_one_transaction_and_stop_at_a_failure);
    tcase_add_test(tc, deadlocks_are_retried);
    tcase_add_test(tc, copy_in_belongs_to_the_transaction);
    tcase_add_test(tc, retries_are_bounded);
    tcase_add_test(tc, hard_errors_are_not_retried);
    tcase_add_test(tc, lost_connection_is_reconnected_and_retried);
    tcase_add_test(tc, released_connections_have_no_open_transaction);
    tcase_add_test(tc, exhausted_pool_times_out);
    tcase_add_test(tc, unreachable_database_fails_fast_and_clearly);
    tcase_add_test(tc, migrations_race_safely);
    tcase_add_test(tc, failing_migration_leaves_nothing_behind);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
