#include "lib/db/db.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GP_DB_MAX_STMTS   256
#define GP_DB_TX_ATTEMPTS 5
/* statement_timeout is what is left of the deadline less this, so that PostgreSQL's own clean
 * error arrives before our wait ends and the connection can be kept. */
#define GP_DB_TIMEOUT_MARGIN_MS 25
/* A ROLLBACK on release may take this long past the deadline before the connection is
 * dropped instead. */
#define GP_DB_RELEASE_GRACE_MS 250

/* Both timeouts in one statement, sent in the pipeline with a transaction's BEGIN (local) or
 * with gp_db_with_conn's first statement (session). */
#define TIMEOUTS_SQL                                                                               \
    "SELECT set_config('statement_timeout', $1, $2::boolean), "                                    \
    "set_config('lock_timeout', $1, $2::boolean)"

static _Thread_local long long tl_deadline;
static _Thread_local bool tl_out_of_time;

long long gp_db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void gp_db_deadline_set(long long deadline_ms)
{
    tl_deadline = deadline_ms > 0 ? deadline_ms : 0;
    tl_out_of_time = false;
}

long long gp_db_deadline(void)
{
    return tl_deadline;
}

bool gp_db_out_of_time(void)
{
    return tl_out_of_time;
}

/* Whether the deadline has come; marks the thread out of time when it has. */
static bool deadline_passed(void)
{
    if (tl_deadline && gp_db_now_ms() >= tl_deadline)
        tl_out_of_time = true;
    return tl_out_of_time && tl_deadline;
}

struct gp_db_conn {
    PGconn *pg;
    bool in_use;
    /* Statements prepared on this connection, by identity of their gp_stmt. */
    const struct gp_stmt *prepared[GP_DB_MAX_STMTS];
    int nprepared;
    char sqlstate[6];
    char error[512];
    /* Inside gp_db_tx: the BEGIN not sent yet (it goes with the first statement), and the
     * statement queued by gp_db_exec_at_commit, sent with the COMMIT. */
    bool in_tx;
    const char *begin_pending;
    /* The timeouts to send with the next statement (TIMEOUTS_SQL's two parameters), and
     * whether a session-level statement_timeout may be in force on this connection. */
    bool timeouts_pending;
    char timeout_ms[24];
    const char *timeout_params[2];
    bool session_timeouts;
    const struct gp_stmt *at_commit;
    int at_commit_n;
    char *at_commit_params[GP_DB_AT_COMMIT_MAX_PARAMS];
};

struct gp_db_pool {
    pthread_mutex_t lock;
    pthread_cond_t freed;
    char *conninfo;
    char connect_timeout[12];
    int size;
    int in_use;
    struct gp_db_conn *conns;
};

static void notice_to_log(void *arg, const char *message)
{
    (void)arg;
    GP_LOG_DEBUG("postgres notice: %s", message);
}

struct gp_db_pool *gp_db_pool_create(const char *conninfo, int size, int connect_timeout_s)
{
    struct gp_db_pool *pool = gp_xcalloc(1, sizeof *pool);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->freed, NULL);
    pool->conninfo = gp_xstrdup(conninfo);
    snprintf(pool->connect_timeout, sizeof pool->connect_timeout, "%d",
             connect_timeout_s > 0 ? connect_timeout_s : 3);
    pool->size = size > 0 ? size : 1;
    pool->conns = gp_xcalloc((size_t)pool->size, sizeof *pool->conns);
    return pool;
}

void gp_db_pool_destroy(struct gp_db_pool *pool)
{
    if (!pool)
        return;
    for (int i = 0; i < pool->size; i++) {
        if (pool->conns[i].pg)
            PQfinish(pool->conns[i].pg);
    }
    free(pool->conns);
    free(pool->conninfo);
    pthread_cond_destroy(&pool->freed);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

/* Closes c's connection; the pool connects anew on its next use. */
static void drop(struct gp_db_conn *c)
{
    if (c->pg)
        PQfinish(c->pg);
    c->pg = NULL;
    c->nprepared = 0;
    c->session_timeouts = false;
}

/* Waits until c's socket is ready for events, at most until the thread's deadline. When the
 * deadline comes first, the connection is closed: a server that does not answer within the
 * deadline may never answer (a frozen one answers no cancel request either). */
static bool wait_socket(struct gp_db_conn *c, short events)
{
    for (;;) {
        int timeout = -1;
        if (tl_deadline) {
            long long left = tl_deadline - gp_db_now_ms();
            if (left <= 0) {
                tl_out_of_time = true;
                snprintf(c->error, sizeof c->error,
                         "the request's deadline passed while waiting for the database");
                c->sqlstate[0] = '\0';
                drop(c);
                return false;
            }
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = {.fd = PQsocket(c->pg), .events = events};
        int r = poll(&p, 1, timeout);
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR) {
            snprintf(c->error, sizeof c->error, "waiting for the database: %s", strerror(errno));
            drop(c);
            return false;
        }
    }
}

/* Sends what libpq holds in its output buffer (the connection is non-blocking). */
static bool flush_out(struct gp_db_conn *c)
{
    for (;;) {
        int f = PQflush(c->pg);
        if (f == 0)
            return true;
        if (f < 0) {
            snprintf(c->error, sizeof c->error, "%s", PQerrorMessage(c->pg));
            c->error[strcspn(c->error, "\n")] = '\0';
            return false;
        }
        if (!wait_socket(c, POLLIN | POLLOUT))
            return false;
        if (!PQconsumeInput(c->pg)) /* the server may answer while we still send */
            return false;
    }
}

/* The next result of the statement(s) sent, waiting at most until the deadline; NULL at the end
 * of a statement's results, or when the wait ended or the connection broke (c->pg is then
 * NULL or not CONNECTION_OK). */
static PGresult *next_result(struct gp_db_conn *c)
{
    if (!c->pg || !flush_out(c))
        return NULL;
    while (PQisBusy(c->pg)) {
        if (!wait_socket(c, POLLIN))
            return NULL;
        if (!PQconsumeInput(c->pg))
            return NULL;
    }
    return PQgetResult(c->pg);
}

/* Connects (or reconnects) c, at most for the connect timeout or until the thread's deadline,
 * whichever comes first (libpq's own connect_timeout counts whole seconds, two at least). The
 * pool's keywords come first so that anything the operator wrote in the conninfo wins: libpq
 * keeps the last value of a repeated keyword. */
static bool connect_conn(struct gp_db_pool *pool, struct gp_db_conn *c, char *err, size_t errlen)
{
    drop(c);
    const char *const keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
    const char *const vals[] = {pool->connect_timeout, "glasplade", "-c TimeZone=UTC",
                                pool->conninfo, NULL};
    long long until = gp_db_now_ms() + 1000LL * atoi(pool->connect_timeout);
    bool by_deadline = tl_deadline && tl_deadline < until;
    if (by_deadline)
        until = tl_deadline;
    c->pg = PQconnectStartParams(keys, vals, 1);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    while (c->pg && PQstatus(c->pg) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
           st != PGRES_POLLING_FAILED) {
        long long left = until - gp_db_now_ms();
        if (left <= 0) {
            if (by_deadline)
                tl_out_of_time = true;
            snprintf(err, errlen, "cannot connect to the database: no answer within %s",
                     by_deadline ? "the request's deadline" : "the connect timeout");
            drop(c);
            return false;
        }
        struct pollfd p = {.fd = PQsocket(c->pg),
                           .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        int r = poll(&p, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (r < 0 && errno != EINTR)
            break;
        if (r > 0)
            st = PQconnectPoll(c->pg);
    }
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
        snprintf(err, errlen, "cannot connect to the database: %s", msg);
        /* libpq messages end in a newline; keep log lines on one line */
        err[strcspn(err, "\n")] = '\0';
        drop(c);
        return false;
    }
    PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
    /* Non-blocking, so that sending never waits on a server that does not read: every wait is
     * wait_socket's, bounded by the deadline. */
    if (PQsetnonblocking(c->pg, 1) != 0) {
        snprintf(err, errlen, "cannot make the database connection non-blocking");
        drop(c);
        return false;
    }
    return true;
}

struct gp_db_conn *gp_db_acquire(struct gp_db_pool *pool, char *err, size_t errlen)
{
    struct gp_db_conn *c = NULL;
    long long wait_ms = 1000LL * atoi(pool->connect_timeout);
    bool by_deadline = false;
    if (tl_deadline) {
        long long left = tl_deadline - gp_db_now_ms();
        by_deadline = left < wait_ms;
        if (by_deadline)
            wait_ms = left > 0 ? left : 0;
    }
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(wait_ms / 1000);
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }

    pthread_mutex_lock(&pool->lock);
    while (pool->in_use == pool->size) {
        if (pthread_cond_timedwait(&pool->freed, &pool->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&pool->lock);
            if (by_deadline)
                tl_out_of_time = true;
            snprintf(err, errlen, "all %d database connections are busy%s", pool->size,
                     by_deadline ? " until the request's deadline" : "");
            return NULL;
        }
    }
    /* Prefer a connection that is already open. */
    for (int i = 0; i < pool->size; i++) {
        if (!pool->conns[i].in_use && (!c || (pool->conns[i].pg && !c->pg)))
            c = &pool->conns[i];
    }
    c->in_use = true;
    pool->in_use++;
    pthread_mutex_unlock(&pool->lock);

    /* A server restart leaves a connection that looks fine until used; PQstatus catches the
     * ones libpq already knows are broken, and gp_db_tx reconnects the others. */
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        if (!connect_conn(pool, c, err, errlen)) {
            gp_db_release(pool, c);
            return NULL;
        }
    }
    return c;
}

void gp_db_release(struct gp_db_pool *pool, struct gp_db_conn *c)
{
    if (!c)
        return;
    if (c->pg && PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        /* A rollback is quick on a server that answers; past the deadline it gets a little
         * grace, then the connection is dropped (which rolls back as well). */
        long long saved = tl_deadline;
        bool saved_out = tl_out_of_time;
        if (tl_deadline && tl_deadline < gp_db_now_ms() + GP_DB_RELEASE_GRACE_MS)
            tl_deadline = gp_db_now_ms() + GP_DB_RELEASE_GRACE_MS;
        if (PQsendQuery(c->pg, "ROLLBACK") == 1) {
            PGresult *r;
            while ((r = next_result(c)) != NULL)
                PQclear(r);
        }
        tl_deadline = saved;
        tl_out_of_time = saved_out;
        if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            drop(c);
    }
    if (c->pg && PQstatus(c->pg) != CONNECTION_OK)
        drop(c);
    pthread_mutex_lock(&pool->lock);
    c->in_use = false;
    pool->in_use--;
    pthread_cond_signal(&pool->freed);
    pthread_mutex_unlock(&pool->lock);
}

void gp_db_pool_stats(struct gp_db_pool *pool, struct gp_db_pool_stats *out)
{
    pthread_mutex_lock(&pool->lock);
    out->size = pool->size;
    out->in_use = pool->in_use;
    out->connected = 0;
    for (int i = 0; i < pool->size; i++)
        out->connected += pool->conns[i].pg != NULL;
    pthread_mutex_unlock(&pool->lock);
}

static void remember_error(struct gp_db_conn *c, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    const char *msg = r ? PQresultErrorMessage(r) : NULL;
    if (!msg || !*msg)
        msg = c->pg ? PQerrorMessage(c->pg) : "no connection";
    snprintf(c->error, sizeof c->error, "%s", msg);
    c->error[strcspn(c->error, "\n")] = '\0';
}

static enum gp_qs classify(struct gp_db_conn *c, PGresult *r)
{
    switch (r ? PQresultStatus(r) : PGRES_FATAL_ERROR) {
    case PGRES_COMMAND_OK: {
        const char *n = PQcmdTuples(r);
        c->sqlstate[0] = '\0';
        return (n && *n) ? (enum gp_qs)atoi(n) : GP_QS_NO_RESULTS;
    }
    case PGRES_TUPLES_OK:
        c->sqlstate[0] = '\0';
        return (enum gp_qs)PQntuples(r);
    default:
        remember_error(c, r);
        if (!strcmp(c->sqlstate, "40001") || !strcmp(c->sqlstate, "40P01"))
            return GP_QS_SOFT_ERROR;
        /* statement_timeout (57014) or lock_timeout (55P03): the deadline's doing */
        if (tl_deadline && (!strcmp(c->sqlstate, "57014") || !strcmp(c->sqlstate, "55P03")))
            tl_out_of_time = true;
        return GP_QS_HARD_ERROR;
    }
}

static bool ensure_prepared(struct gp_db_conn *c, const struct gp_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++) {
        if (c->prepared[i] == st)
            return true;
    }
    bool ok = false;
    if (PQsendPrepare(c->pg, st->name, st->sql, 0, NULL) == 1) {
        PGresult *r = next_result(c), *rest;
        ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        if (!ok && c->pg)
            remember_error(c, r);
        PQclear(r);
        while (r && (rest = next_result(c)) != NULL)
            PQclear(rest);
    } else {
        remember_error(c, NULL);
    }
    if (!ok && c->pg && PQstatus(c->pg) == CONNECTION_OK)
        GP_LOG_BUG("preparing statement %s failed: %s", st->name, c->error);
    if (ok && c->nprepared < GP_DB_MAX_STMTS)
        c->prepared[c->nprepared++] = st;
    return ok;
}

/* One step of a pipeline: a prepared statement with parameters, or plain SQL without. */
struct step {
    const struct gp_stmt *st; /* NULL: sql (unnamed, with nparams text parameters) */
    const char *sql;
    int nparams;
    const char *const *params;
    PGresult *res; /* out, when qs >= 0 and keep */
    bool keep;
    enum gp_qs qs; /* out */
};

/* Whether the last failure is the deadline's (a timeout), not a bug of ours. */
static bool failed_by_deadline(struct gp_db_conn *c)
{
    return tl_out_of_time &&
           (!c->pg || !strcmp(c->sqlstate, "57014") || !strcmp(c->sqlstate, "55P03"));
}

static void log_failure(struct gp_db_conn *c, const char *what, enum gp_qs qs)
{
    if (qs != GP_QS_HARD_ERROR)
        return;
    if (failed_by_deadline(c))
        GP_LOG_WARN("statement %s stopped by the request's deadline: %s", what, c->error);
    else if (PQstatus(c->pg) == CONNECTION_OK && strncmp(c->sqlstate, "23", 2) != 0)
        GP_LOG_BUG("statement %s failed: %s (SQLSTATE %s)", what, c->error, c->sqlstate);
}

/* Sends every step in one round trip (libpq pipeline mode) and reads their results in order. A
 * failing step aborts the rest (their status is a hard error; the error kept is the failing
 * one's). Returns the first failure, else the last step's status. */
static enum gp_qs run_pipeline(struct gp_db_conn *c, struct step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        steps[i].res = NULL;
        steps[i].qs = GP_QS_HARD_ERROR;
        if (!c->pg || (steps[i].st && !ensure_prepared(c, steps[i].st)))
            return GP_QS_HARD_ERROR;
    }
    if (PQenterPipelineMode(c->pg) != 1) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    bool sent = true;
    for (size_t i = 0; sent && i < n; i++) {
        const struct step *sp = &steps[i];
        sent = sp->st ? PQsendQueryPrepared(c->pg, sp->st->name, sp->nparams, sp->params, NULL,
                                            NULL, 0) == 1
                      : PQsendQueryParams(c->pg, sp->sql, sp->nparams, NULL, sp->params, NULL, NULL,
                                          0) == 1;
    }
    if (!sent || PQpipelineSync(c->pg) != 1) {
        remember_error(c, NULL);
        PQexitPipelineMode(c->pg);
        return GP_QS_HARD_ERROR;
    }
    /* Each step's result (then NULL), then the sync. */
    enum gp_qs first_failure = GP_QS_NO_RESULTS;
    bool failed = false, broken = false;
    for (size_t i = 0; i < n && !broken; i++) {
        PGresult *r = next_result(c);
        if (!r) {
            if (c->pg)
                remember_error(c, NULL);
            broken = true;
            break;
        }
        if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
            steps[i].qs = GP_QS_HARD_ERROR; /* the error is the earlier step's */
        } else {
            steps[i].qs = classify(c, r);
        }
        if (steps[i].qs >= 0 && steps[i].keep)
            steps[i].res = r;
        else
            PQclear(r);
        if (steps[i].qs < 0 && !failed) {
            failed = true;
            first_failure = steps[i].qs;
        }
        while ((r = next_result(c)) != NULL)
            PQclear(r);
        broken = !c->pg;
    }
    while (!broken) {
        PGresult *r = next_result(c);
        if (!r)
            break;
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync)
            break;
    }
    if (c->pg)
        PQexitPipelineMode(c->pg);
    if (broken && !failed)
        return GP_QS_HARD_ERROR;
    return failed ? first_failure : steps[n - 1].qs;
}

/* What goes before the next statement, in the same round trip: the transaction's BEGIN and
 * the timeouts. Writes up to two steps into out and returns how many. */
static size_t take_prelude(struct gp_db_conn *c, struct step *out)
{
    size_t n = 0;
    if (c->begin_pending)
        out[n++] = (struct step){.sql = c->begin_pending};
    if (c->timeouts_pending)
        out[n++] = (struct step){.sql = TIMEOUTS_SQL, .nparams = 2, .params = c->timeout_params};
    c->begin_pending = NULL;
    c->timeouts_pending = false;
    return n;
}

/* Before a statement that cannot travel in a pipeline (plain SQL, COPY): the prelude alone. */
static enum gp_qs flush_prelude(struct gp_db_conn *c)
{
    struct step steps[2];
    size_t n = take_prelude(c, steps);
    return n ? run_pipeline(c, steps, n) : GP_QS_NO_RESULTS;
}

/* Plain SQL without parameters, every result read; the first failure or the last status. */
static enum gp_qs exec_sql(struct gp_db_conn *c, const char *sql)
{
    if (PQsendQuery(c->pg, sql) != 1) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    enum gp_qs qs = GP_QS_HARD_ERROR;
    bool any = false, failed = false;
    PGresult *r;
    while ((r = next_result(c)) != NULL) {
        enum gp_qs one = classify(c, r);
        PQclear(r);
        if (!failed)
            qs = one;
        failed |= one < 0;
        any = true;
    }
    if (!any || !c->pg) {
        if (c->pg)
            remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    return qs;
}

enum gp_qs gp_db_exec(struct gp_db_conn *c, const struct gp_stmt *st, int nparams,
                      const char *const *params, PGresult **res)
{
    if (res)
        *res = NULL;
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    /* One statement is a pipeline of one, after the prelude if there is one. */
    struct step steps[3];
    size_t n = take_prelude(c, steps);
    steps[n++] = (struct step){.st = st, .nparams = nparams, .params = params, .keep = true};
    enum gp_qs qs = run_pipeline(c, steps, n);
    log_failure(c, st->name, qs);
    if (res && qs >= 0)
        *res = steps[n - 1].res;
    else
        PQclear(steps[n - 1].res);
    return qs;
}

enum gp_qs gp_db_exec_batch(struct gp_db_conn *c, struct gp_db_batch_item *items, size_t n)
{
    if (!c->pg || n == 0)
        return c->pg ? GP_QS_NO_RESULTS : GP_QS_HARD_ERROR;
    struct step prelude[2];
    size_t first = take_prelude(c, prelude);
    struct step *steps = gp_xcalloc(n + first, sizeof *steps);
    for (size_t i = 0; i < first; i++)
        steps[i] = prelude[i];
    for (size_t i = 0; i < n; i++) {
        steps[first + i] = (struct step){.st = items[i].stmt,
                                         .nparams = items[i].nparams,
                                         .params = items[i].params,
                                         .keep = true};
    }
    enum gp_qs qs = run_pipeline(c, steps, n + first);
    for (size_t i = 0; i < n; i++) {
        struct step *sp = &steps[first + i];
        items[i].qs = sp->qs;
        if (sp->qs >= 0 && items[i].on_result)
            items[i].on_result(sp->res, items[i].cls);
        PQclear(sp->res);
    }
    if (qs < 0)
        log_failure(c, "in a batch", qs);
    free(steps);
    return qs;
}

static void clear_at_commit(struct gp_db_conn *c)
{
    for (int i = 0; i < c->at_commit_n; i++) {
        free(c->at_commit_params[i]);
        c->at_commit_params[i] = NULL;
    }
    c->at_commit = NULL;
    c->at_commit_n = 0;
}

enum gp_qs gp_db_exec_at_commit(struct gp_db_conn *c, const struct gp_stmt *st, int nparams,
                                const char *const *params)
{
    if (!c->in_tx || c->at_commit) {
        if (c->at_commit)
            GP_LOG_BUG("a second statement queued for commit (%s); run now", st->name);
        return gp_db_exec(c, st, nparams, params, NULL);
    }
    if (nparams > GP_DB_AT_COMMIT_MAX_PARAMS) {
        GP_LOG_BUG("statement %s: %d parameters, at most %d at commit", st->name, nparams,
                   GP_DB_AT_COMMIT_MAX_PARAMS);
        return GP_QS_HARD_ERROR;
    }
    /* Prepared now, so the commit's round trip carries only the execution. */
    if (!c->pg || !ensure_prepared(c, st))
        return GP_QS_HARD_ERROR;
    c->at_commit = st;
    c->at_commit_n = nparams;
    for (int i = 0; i < nparams; i++)
        c->at_commit_params[i] = params[i] ? gp_xstrdup(params[i]) : NULL;
    return GP_QS_NO_RESULTS;
}

/* The queued statement and COMMIT in one round trip (libpq pipeline mode), with the BEGIN when
 * nothing else of the transaction was sent yet. A failure of the statement aborts the pipeline:
 * COMMIT is then not run, and the caller's release rolls back. */
static enum gp_qs commit_with_queued(struct gp_db_conn *c)
{
    const struct gp_stmt *st = c->at_commit;
    struct step steps[4];
    size_t n = take_prelude(c, steps);
    size_t at = n;
    steps[n++] = (struct step){
        .st = st, .nparams = c->at_commit_n, .params = (const char *const *)c->at_commit_params};
    steps[n++] = (struct step){.sql = "COMMIT"};
    enum gp_qs qs = run_pipeline(c, steps, n);
    if (steps[at].qs == GP_QS_HARD_ERROR && PQstatus(c->pg) == CONNECTION_OK && qs < 0 &&
        strncmp(c->sqlstate, "23", 2) != 0 && !failed_by_deadline(c))
        GP_LOG_BUG("statement %s failed at commit: %s (SQLSTATE %s)", st->name, c->error,
                   c->sqlstate);
    return qs;
}

enum gp_qs gp_db_exec_simple(struct gp_db_conn *c, const char *sql)
{
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    enum gp_qs bqs = flush_prelude(c);
    if (bqs < 0)
        return bqs;
    return exec_sql(c, sql);
}

/* libpq's own buffer grows to what one PQputCopyData is given: send in pieces. */
#define COPY_CHUNK (1024 * 1024)

enum gp_qs gp_db_copy_in(struct gp_db_conn *c, const char *copy_sql, const char *data, size_t len)
{
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    enum gp_qs bqs = flush_prelude(c);
    if (bqs < 0)
        return bqs;
    if (PQsendQuery(c->pg, copy_sql) != 1) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    PGresult *r = next_result(c);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        enum gp_qs qs = r ? classify(c, r) : GP_QS_HARD_ERROR;
        PQclear(r);
        while (c->pg && (r = next_result(c)) != NULL)
            PQclear(r);
        return qs < 0 ? qs : GP_QS_HARD_ERROR; /* not a COPY FROM STDIN: a caller's bug */
    }
    PQclear(r);
    bool sent = true;
    for (size_t off = 0; sent && off < len;) {
        size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
        int put = PQputCopyData(c->pg, data + off, (int)n);
        if (put == 1)
            off += n;
        else /* 0: libpq's buffer is full (non-blocking); send some, then try again */
            sent = put == 0 && flush_out(c);
    }
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    /* Ending the COPY with an error message makes the server drop what it received. */
    int end;
    while ((end = PQputCopyEnd(c->pg, sent ? NULL : "client failed to send the data")) == 0) {
        if (!flush_out(c))
            return GP_QS_HARD_ERROR;
    }
    if (end != 1)
        sent = false;
    enum gp_qs qs = GP_QS_HARD_ERROR;
    bool first = true;
    while ((r = next_result(c)) != NULL) {
        if (first)
            qs = classify(c, r);
        first = false;
        PQclear(r);
    }
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    if (first) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    if (!sent && qs >= 0) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    if (qs == GP_QS_HARD_ERROR && PQstatus(c->pg) == CONNECTION_OK &&
        strncmp(c->sqlstate, "22", 2) != 0 && strncmp(c->sqlstate, "23", 2) != 0 &&
        !failed_by_deadline(c))
        GP_LOG_BUG("COPY failed: %s (SQLSTATE %s)", c->error, c->sqlstate);
    return qs;
}

const char *gp_db_error(struct gp_db_conn *c)
{
    return c->error;
}

const char *gp_db_sqlstate(struct gp_db_conn *c)
{
    return c->sqlstate;
}

const char *gp_db_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void backoff(int attempt)
{
    unsigned short jitter = 0;
    RAND_bytes((unsigned char *)&jitter, sizeof jitter);
    long ms = (5L << attempt) + jitter % 10;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *begin_sql(enum gp_db_isolation iso)
{
    switch (iso) {
    case GP_DB_SERIALIZABLE:
        return "BEGIN ISOLATION LEVEL SERIALIZABLE";
    case GP_DB_REPEATABLE_READ:
        return "BEGIN ISOLATION LEVEL REPEATABLE READ";
    default:
        return "BEGIN";
    }
}

/* Queues the timeouts for the next statement: what is left of the deadline, for the
 * transaction (local) or for the session (gp_db_with_conn, whose statement runs in no
 * transaction of ours). Without a deadline, a session value left by an earlier use is
 * overridden (0: none).
 * False when too little time is left to begin. */
static bool plan_timeouts(struct gp_db_conn *c, bool local)
{
    c->timeouts_pending = false;
    long long value = 0;
    if (tl_deadline) {
        value = tl_deadline - gp_db_now_ms() - GP_DB_TIMEOUT_MARGIN_MS;
        if (value < 1) {
            tl_out_of_time = true;
            snprintf(c->error, sizeof c->error, "no time left before the request's deadline");
            return false;
        }
    } else if (!c->session_timeouts) {
        return true; /* nothing to set, nothing to override */
    }
    snprintf(c->timeout_ms, sizeof c->timeout_ms, "%lld", value);
    c->timeout_params[0] = c->timeout_ms;
    c->timeout_params[1] = local ? "true" : "false";
    c->timeouts_pending = true;
    if (!local)
        c->session_timeouts = value != 0;
    return true;
}

/* Whether a failed attempt may be tried again: not past the deadline. */
static bool may_retry(void)
{
    return !deadline_passed() && !tl_out_of_time;
}

enum gp_qs gp_db_tx(struct gp_db_pool *pool, const char *name, enum gp_db_isolation iso,
                    gp_db_tx_fn fn, void *cls)
{
    enum gp_qs qs = GP_QS_HARD_ERROR;
    for (int attempt = 0; attempt < GP_DB_TX_ATTEMPTS; attempt++) {
        char err[256];
        struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
        if (!c) {
            GP_LOG_ERROR("transaction %s: %s", name, err);
            return GP_QS_HARD_ERROR;
        }
        if (!plan_timeouts(c, true)) {
            GP_LOG_WARN("transaction %s: not begun, %s", name, c->error);
            gp_db_release(pool, c);
            return GP_QS_HARD_ERROR;
        }
        bool lost = false;
        /* BEGIN and the timeouts go with the transaction's first statement (one round trip). */
        c->begin_pending = begin_sql(iso);
        c->in_tx = true;
        qs = fn(c, cls);
        c->in_tx = false;
        if (qs >= 0) {
            enum gp_qs cqs = c->at_commit       ? commit_with_queued(c)
                             : c->begin_pending ? GP_QS_NO_RESULTS /* nothing ran */
                                                : gp_db_exec_simple(c, "COMMIT");
            if (cqs < 0) {
                /* An outcome-unknown commit on a lost connection is not retried: it may have
                 * happened. Serialization failures at commit are. */
                qs = cqs;
            }
        } else {
            lost = PQstatus(c->pg) != CONNECTION_OK;
        }
        clear_at_commit(c);
        c->begin_pending = NULL;
        c->timeouts_pending = false;
        if (qs < 0 && tl_out_of_time)
            GP_LOG_WARN("transaction %s: out of time (%s)", name, gp_db_error(c));
        else if (qs == GP_QS_SOFT_ERROR)
            GP_LOG_INFO("transaction %s: %s, retrying", name, gp_db_error(c));
        else if (lost)
            GP_LOG_WARN("transaction %s: connection lost, reconnecting", name);
        gp_db_release(pool, c);
        if ((qs != GP_QS_SOFT_ERROR && !lost) || !may_retry())
            return qs;
        if (lost && attempt >= 1)
            return GP_QS_HARD_ERROR;
        if (qs == GP_QS_SOFT_ERROR)
            backoff(attempt);
    }
    GP_LOG_ERROR("transaction %s: gave up after %d attempts", name, GP_DB_TX_ATTEMPTS);
    return qs;
}

enum gp_qs gp_db_with_conn(struct gp_db_pool *pool, const char *name, gp_db_tx_fn fn, void *cls)
{
    enum gp_qs qs = GP_QS_HARD_ERROR;
    for (int attempt = 0; attempt < GP_DB_TX_ATTEMPTS; attempt++) {
        char err[256];
        struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
        if (!c) {
            GP_LOG_ERROR("%s: %s", name, err);
            return GP_QS_HARD_ERROR;
        }
        if (!plan_timeouts(c, false)) {
            GP_LOG_WARN("%s: not begun, %s", name, c->error);
            gp_db_release(pool, c);
            return GP_QS_HARD_ERROR;
        }
        qs = fn(c, cls);
        if (qs < 0)
            c->session_timeouts = true; /* a failed SET may not have taken: reset next time */
        c->timeouts_pending = false;
        bool lost = qs < 0 && PQstatus(c->pg) != CONNECTION_OK;
        if (qs < 0 && tl_out_of_time)
            GP_LOG_WARN("%s: out of time (%s)", name, gp_db_error(c));
        gp_db_release(pool, c);
        if ((qs != GP_QS_SOFT_ERROR && !lost) || !may_retry())
            return qs;
        if (lost && attempt >= 1)
            return GP_QS_HARD_ERROR;
        if (qs == GP_QS_SOFT_ERROR)
            backoff(attempt);
    }
    return qs;
}
