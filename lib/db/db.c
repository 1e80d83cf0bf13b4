#include "lib/db/db.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <errno.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GP_DB_MAX_STMTS   256
#define GP_DB_TX_ATTEMPTS 5

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

/* Connects (or reconnects) c. The pool's keywords come first so that anything the operator
 * wrote in the conninfo wins: libpq keeps the last value of a repeated keyword. */
static bool connect_conn(struct gp_db_pool *pool, struct gp_db_conn *c, char *err, size_t errlen)
{
    if (c->pg) {
        PQfinish(c->pg);
        c->pg = NULL;
    }
    c->nprepared = 0;
    const char *const keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
    const char *const vals[] = {pool->connect_timeout, "glasplade", "-c TimeZone=UTC",
                                pool->conninfo, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
        const char *msg = c->pg ? PQerrorMessage(c->pg) : "out of memory";
        snprintf(err, errlen, "cannot connect to the database: %s", msg);
        /* libpq messages end in a newline; keep log lines on one line */
        err[strcspn(err, "\n")] = '\0';
        if (c->pg)
            PQfinish(c->pg);
        c->pg = NULL;
        return false;
    }
    PQsetNoticeProcessor(c->pg, notice_to_log, NULL);
    return true;
}

struct gp_db_conn *gp_db_acquire(struct gp_db_pool *pool, char *err, size_t errlen)
{
    struct gp_db_conn *c = NULL;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += atoi(pool->connect_timeout);

    pthread_mutex_lock(&pool->lock);
    while (pool->in_use == pool->size) {
        if (pthread_cond_timedwait(&pool->freed, &pool->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&pool->lock);
            snprintf(err, errlen, "all %d database connections are busy", pool->size);
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
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        PQclear(r);
    }
    if (c->pg && PQstatus(c->pg) != CONNECTION_OK) {
        PQfinish(c->pg);
        c->pg = NULL;
        c->nprepared = 0;
    }
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
        return GP_QS_HARD_ERROR;
    }
}

static bool ensure_prepared(struct gp_db_conn *c, const struct gp_stmt *st)
{
    for (int i = 0; i < c->nprepared; i++) {
        if (c->prepared[i] == st)
            return true;
    }
    PGresult *r = PQprepare(c->pg, st->name, st->sql, 0, NULL);
    bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        remember_error(c, r);
        GP_LOG_BUG("preparing statement %s failed: %s", st->name, c->error);
    }
    PQclear(r);
    if (ok && c->nprepared < GP_DB_MAX_STMTS)
        c->prepared[c->nprepared++] = st;
    return ok;
}

/* One step of a pipeline: a prepared statement with parameters, or plain SQL without. */
struct step {
    const struct gp_stmt *st; /* NULL: sql */
    const char *sql;
    int nparams;
    const char *const *params;
    PGresult *res; /* out, when qs >= 0 and keep */
    bool keep;
    enum gp_qs qs; /* out */
};

static void log_failure(struct gp_db_conn *c, const char *what, enum gp_qs qs)
{
    if (qs == GP_QS_HARD_ERROR && PQstatus(c->pg) == CONNECTION_OK &&
        strncmp(c->sqlstate, "23", 2) != 0)
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
        if (steps[i].st && !ensure_prepared(c, steps[i].st))
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
                      : PQsendQueryParams(c->pg, sp->sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
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
        PGresult *r = PQgetResult(c->pg);
        if (!r) {
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
        while ((r = PQgetResult(c->pg)) != NULL)
            PQclear(r);
    }
    while (!broken) {
        PGresult *r = PQgetResult(c->pg);
        if (!r)
            break;
        bool sync = PQresultStatus(r) == PGRES_PIPELINE_SYNC;
        PQclear(r);
        if (sync)
            break;
    }
    PQexitPipelineMode(c->pg);
    if (broken && !failed)
        return GP_QS_HARD_ERROR;
    return failed ? first_failure : steps[n - 1].qs;
}

/* Inside gp_db_tx, before a statement that cannot travel in a pipeline (plain SQL, COPY). */
static enum gp_qs flush_begin(struct gp_db_conn *c)
{
    if (!c->begin_pending)
        return GP_QS_NO_RESULTS;
    const char *sql = c->begin_pending;
    c->begin_pending = NULL;
    PGresult *r = PQexec(c->pg, sql);
    enum gp_qs qs = classify(c, r);
    PQclear(r);
    return qs;
}

enum gp_qs gp_db_exec(struct gp_db_conn *c, const struct gp_stmt *st, int nparams,
                      const char *const *params, PGresult **res)
{
    if (res)
        *res = NULL;
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    if (c->begin_pending) {
        struct step steps[2] = {{.sql = c->begin_pending},
                                {.st = st, .nparams = nparams, .params = params, .keep = true}};
        c->begin_pending = NULL;
        enum gp_qs qs = run_pipeline(c, steps, 2);
        log_failure(c, st->name, qs);
        if (res && qs >= 0)
            *res = steps[1].res;
        else
            PQclear(steps[1].res);
        return qs;
    }
    if (!ensure_prepared(c, st))
        return GP_QS_HARD_ERROR;
    PGresult *r = PQexecPrepared(c->pg, st->name, nparams, params, NULL, NULL, 0);
    enum gp_qs qs = classify(c, r);
    log_failure(c, st->name, qs);
    if (res && qs >= 0)
        *res = r;
    else
        PQclear(r);
    return qs;
}

enum gp_qs gp_db_exec_batch(struct gp_db_conn *c, struct gp_db_batch_item *items, size_t n)
{
    if (!c->pg || n == 0)
        return c->pg ? GP_QS_NO_RESULTS : GP_QS_HARD_ERROR;
    size_t first = c->begin_pending ? 1 : 0;
    struct step *steps = gp_xcalloc(n + first, sizeof *steps);
    if (first)
        steps[0].sql = c->begin_pending;
    c->begin_pending = NULL;
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
    struct step steps[3];
    size_t n = 0;
    if (c->begin_pending)
        steps[n++] = (struct step){.sql = c->begin_pending};
    c->begin_pending = NULL;
    size_t at = n;
    steps[n++] = (struct step){
        .st = st, .nparams = c->at_commit_n, .params = (const char *const *)c->at_commit_params};
    steps[n++] = (struct step){.sql = "COMMIT"};
    enum gp_qs qs = run_pipeline(c, steps, n);
    if (steps[at].qs == GP_QS_HARD_ERROR && PQstatus(c->pg) == CONNECTION_OK && qs < 0 &&
        strncmp(c->sqlstate, "23", 2) != 0)
        GP_LOG_BUG("statement %s failed at commit: %s (SQLSTATE %s)", st->name, c->error,
                   c->sqlstate);
    return qs;
}

enum gp_qs gp_db_exec_simple(struct gp_db_conn *c, const char *sql)
{
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    enum gp_qs bqs = flush_begin(c);
    if (bqs < 0)
        return bqs;
    PGresult *r = PQexec(c->pg, sql);
    enum gp_qs qs = classify(c, r);
    PQclear(r);
    return qs;
}

/* libpq's own buffer grows to what one PQputCopyData is given: send in pieces. */
#define COPY_CHUNK (1024 * 1024)

enum gp_qs gp_db_copy_in(struct gp_db_conn *c, const char *copy_sql, const char *data, size_t len)
{
    if (!c->pg)
        return GP_QS_HARD_ERROR;
    enum gp_qs bqs = flush_begin(c);
    if (bqs < 0)
        return bqs;
    PGresult *r = PQexec(c->pg, copy_sql);
    if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
        enum gp_qs qs = classify(c, r);
        PQclear(r);
        return qs < 0 ? qs : GP_QS_HARD_ERROR; /* not a COPY FROM STDIN: a caller's bug */
    }
    PQclear(r);
    bool sent = true;
    for (size_t off = 0; sent && off < len; off += COPY_CHUNK) {
        size_t n = len - off < COPY_CHUNK ? len - off : COPY_CHUNK;
        sent = PQputCopyData(c->pg, data + off, (int)n) == 1;
    }
    /* Ending the COPY with an error message makes the server drop what it received. */
    if (PQputCopyEnd(c->pg, sent ? NULL : "client failed to send the data") != 1)
        sent = false;
    enum gp_qs qs = GP_QS_HARD_ERROR;
    bool first = true;
    while ((r = PQgetResult(c->pg)) != NULL) {
        if (first)
            qs = classify(c, r);
        first = false;
        PQclear(r);
    }
    if (first) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    if (!sent && qs >= 0) {
        remember_error(c, NULL);
        return GP_QS_HARD_ERROR;
    }
    if (qs == GP_QS_HARD_ERROR && PQstatus(c->pg) == CONNECTION_OK &&
        strncmp(c->sqlstate, "22", 2) != 0 && strncmp(c->sqlstate, "23", 2) != 0)
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
        bool lost = false;
        /* BEGIN goes with the transaction's first statement (one round trip fewer). */
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
        if (qs == GP_QS_SOFT_ERROR)
            GP_LOG_INFO("transaction %s: %s, retrying", name, gp_db_error(c));
        else if (lost)
            GP_LOG_WARN("transaction %s: connection lost, reconnecting", name);
        gp_db_release(pool, c);
        if (qs != GP_QS_SOFT_ERROR && !lost)
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
        qs = fn(c, cls);
        bool lost = qs < 0 && PQstatus(c->pg) != CONNECTION_OK;
        gp_db_release(pool, c);
        if (qs != GP_QS_SOFT_ERROR && !lost)
            return qs;
        if (lost && attempt >= 1)
            return GP_QS_HARD_ERROR;
        if (qs == GP_QS_SOFT_ERROR)
            backoff(attempt);
    }
    return qs;
}
