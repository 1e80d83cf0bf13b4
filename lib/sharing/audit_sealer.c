#include "lib/sharing/audit_sealer.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"
#include "lib/db/stmt.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Any constant will do, as long as every glasplade process uses the same one (the migration
 * lock is 7361029481). */
#define SEAL_LOCK_KEY "7361029482"
#define SEAL_BATCH    10000

static const struct gp_stmt stmt_backend = {"audit_sealer_backend", "SELECT pg_backend_pid()"};
static const struct gp_stmt stmt_lock = {"audit_sealer_lock",
                                         "SELECT pg_try_advisory_lock(" SEAL_LOCK_KEY ")"};
static const struct gp_stmt stmt_unlock = {"audit_sealer_unlock",
                                           "SELECT pg_advisory_unlock(" SEAL_LOCK_KEY ")"};

/* What a sealing process carries from pass to pass. */
struct seal_state {
    const struct gp_audit_sealer_config *cfg;
    struct gp_audit_key *key;
    int leader_pid; /* the backend that holds the lock for us; 0: none */
    int64_t checkpoint_seq;
    double checkpoint_time; /* monotonic seconds of the last checkpoint */
    bool checkpoint_known;
};

struct gp_audit_sealer {
    struct gp_audit_sealer_config cfg;
    struct seal_state st;
    struct gp_db_pool *pool;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping;
    bool leader; /* under lock */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool int_result(struct gp_db_conn *c, const struct gp_stmt *st, long long *v)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, st, 0, NULL, &r);
    bool ok = qs == GP_QS_ONE_RESULT;
    if (ok) {
        const char *s = PQgetvalue(r, 0, 0);
        *v = s[0] == 't' ? 1 : s[0] == 'f' ? 0 : strtoll(s, NULL, 10);
    }
    PQclear(r);
    return ok;
}

/* Makes sure this connection's backend holds the lock; a reconnected pool connection is a new
 * backend that has lost it. Returns true when we hold it. */
static bool hold_lock(struct seal_state *st, struct gp_db_conn *c)
{
    long long pid = 0, got = 0;
    if (!int_result(c, &stmt_backend, &pid))
        return false;
    if (st->leader_pid && pid == st->leader_pid)
        return true;
    st->leader_pid = 0;
    if (!int_result(c, &stmt_lock, &got) || !got)
        return false;
    st->leader_pid = (int)pid;
    st->checkpoint_known = false; /* another process may have written checkpoints meanwhile */
    return true;
}

/* Appends one line to the checkpoint file and forces it to disk. */
static bool append_line(const char *path, const char *line)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        mkdir(dir, 0750);
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
    if (fd < 0)
        return false;
    size_t n = strlen(line);
    char *buf = gp_xmalloc(n + 1);
    memcpy(buf, line, n);
    buf[n] = '\n';
    bool ok = write(fd, buf, n + 1) == (ssize_t)(n + 1) && fsync(fd) == 0;
    free(buf);
    return close(fd) == 0 && ok;
}

/* Writes a checkpoint of the chain as it is (file first: a checkpoint the database then fails
 * to store is covered again by the next). Returns true if one was written. */
static bool write_checkpoint(struct seal_state *st, struct gp_db_conn *c)
{
    struct gp_audit_checkpoint cp;
    if (gp_audit_checkpoint_make(c, st->key, &cp) != GP_QS_ONE_RESULT)
        return false;
    bool ok = true;
    if (st->cfg->checkpoint_file && st->cfg->checkpoint_file[0]) {
        char *line = gp_audit_checkpoint_to_json(&cp);
        if (!line || !append_line(st->cfg->checkpoint_file, line)) {
            GP_LOG_ERROR("audit sealer: cannot append the checkpoint to %s: %s",
                         st->cfg->checkpoint_file, strerror(errno));
            ok = false;
        }
        free(line);
    }
    if (gp_audit_checkpoint_store(c, &cp) < 0) {
        GP_LOG_ERROR("audit sealer: cannot store the checkpoint: %s", gp_db_error(c));
        ok = false;
    }
    if (ok) {
        st->checkpoint_seq = cp.last_seq;
        st->checkpoint_time = now_s();
        GP_LOG_DEBUG("audit checkpoint signed up to row %lld", (long long)cp.last_id);
    }
    gp_audit_checkpoint_clear(&cp);
    return ok;
}

/* A checkpoint when N rows were sealed since the last one, or T seconds passed and any were. */
static bool checkpoint_if_due(struct seal_state *st, struct gp_db_conn *c, int64_t last_seq,
                              bool force)
{
    if (!st->key)
        return false;
    if (!st->checkpoint_known) {
        int64_t seq = 0;
        double age = -1;
        if (gp_audit_checkpoint_last(c, &seq, &age) != GP_QS_ONE_RESULT)
            return false;
        st->checkpoint_seq = seq;
        st->checkpoint_time = now_s() - (age < 0 ? 1e9 : age);
        st->checkpoint_known = true;
    }
    if (last_seq <= st->checkpoint_seq)
        return false;
    bool due = force || last_seq - st->checkpoint_seq >= st->cfg->checkpoint_rows ||
               now_s() - st->checkpoint_time >= st->cfg->checkpoint_interval_s;
    return due && write_checkpoint(st, c);
}

/* Seals until nothing is left that can be sealed now. */
static enum gp_qs seal_all(struct gp_db_conn *c, struct gp_audit_seal_result *res, int64_t *sealed)
{
    enum gp_qs qs;
    do {
        qs = gp_audit_seal_pass(c, SEAL_BATCH, res);
        if (qs == GP_QS_ONE_RESULT)
            *sealed += res->sealed;
    } while (qs == GP_QS_ONE_RESULT && res->sealed == SEAL_BATCH);
    return qs;
}

static void set_leader(struct gp_audit_sealer *s, bool leader)
{
    pthread_mutex_lock(&s->lock);
    bool was = s->leader;
    s->leader = leader;
    pthread_mutex_unlock(&s->lock);
    if (leader && !was)
        GP_LOG_INFO("audit sealer: this process seals the audit log (every %d ms)",
                    s->cfg.delay_ms / 4);
    else if (!leader && was)
        GP_LOG_WARN("audit sealer: lost the sealing lock (connection lost?); trying again");
}

static void *sealer_main(void *arg)
{
    struct gp_audit_sealer *s = arg;
    long interval_ms = s->cfg.delay_ms / 4 > 0 ? s->cfg.delay_ms / 4 : 1;
    bool warned = false;
    for (;;) {
        /* Passes start every interval_ms (not interval_ms after the last one ended), so that a
         * long pass does not stretch the delay. */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (interval_ms % 1000) * 1000000L;
        until.tv_sec += interval_ms / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        pthread_mutex_lock(&s->lock);
        bool stopping = s->stopping;
        pthread_mutex_unlock(&s->lock);
        if (stopping)
            break;
        char err[256];
        struct gp_db_conn *c = gp_db_acquire(s->pool, err, sizeof err);
        if (!c) {
            if (!warned)
                GP_LOG_WARN("audit sealer: %s", err);
            warned = true;
            s->st.leader_pid = 0;
            set_leader(s, false);
        } else {
            warned = false;
            bool leader = hold_lock(&s->st, c);
            set_leader(s, leader);
            if (leader) {
                struct gp_audit_seal_result res = {0};
                int64_t sealed = 0;
                if (seal_all(c, &res, &sealed) < 0) {
                    GP_LOG_ERROR("audit sealer: sealing failed: %s", gp_db_error(c));
                } else {
                    checkpoint_if_due(&s->st, c, res.last_seq, false);
                }
            }
            gp_db_release(s->pool, c);
        }
        pthread_mutex_lock(&s->lock);
        while (!s->stopping && pthread_cond_timedwait(&s->wake, &s->lock, &until) != ETIMEDOUT)
            ;
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

/* The key, if one is configured: a missing file means no checkpoints (with a warning), a file
 * that cannot be used is an error. */
static bool load_key(const struct gp_audit_sealer_config *cfg, struct gp_audit_key **key, char *err,
                     size_t errlen)
{
    *key = NULL;
    if (!cfg->key_file || !cfg->key_file[0])
        return true;
    if (access(cfg->key_file, F_OK) != 0 && errno == ENOENT) {
        GP_LOG_WARN("audit: no signing key at %s, so no checkpoints are signed (create one with "
                    "`glasplade audit keygen`)",
                    cfg->key_file);
        return true;
    }
    *key = gp_audit_key_load_private(cfg->key_file, err, errlen);
    return *key != NULL;
}

struct gp_audit_sealer *gp_audit_sealer_start(const struct gp_audit_sealer_config *cfg, char *err,
                                              size_t errlen)
{
    struct gp_audit_sealer *s = gp_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->st.cfg = &s->cfg;
    if (!load_key(cfg, &s->st.key, err, errlen)) {
        free(s);
        return NULL;
    }
    s->pool = gp_db_pool_create(cfg->conninfo, 1, cfg->connect_timeout_s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&s->thread, NULL, sealer_main, s) != 0) {
        snprintf(err, errlen, "cannot start the audit sealer thread");
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        gp_db_pool_destroy(s->pool);
        gp_audit_key_free(s->st.key);
        free(s);
        return NULL;
    }
    return s;
}

void gp_audit_sealer_stop(struct gp_audit_sealer *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    if (s->st.leader_pid) {
        char err[128];
        struct gp_db_conn *c = gp_db_acquire(s->pool, err, sizeof err);
        long long v;
        if (c)
            int_result(c, &stmt_unlock, &v); /* closing the connection would do it too */
        gp_db_release(s->pool, c);
    }
    gp_db_pool_destroy(s->pool);
    gp_audit_key_free(s->st.key);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

bool gp_audit_sealer_is_leader(const struct gp_audit_sealer *s)
{
    struct gp_audit_sealer *m = (struct gp_audit_sealer *)s;
    pthread_mutex_lock(&m->lock);
    bool v = m->leader;
    pthread_mutex_unlock(&m->lock);
    return v;
}

bool gp_audit_seal_now(const struct gp_audit_sealer_config *cfg, int wait_ms,
                       struct gp_audit_seal_summary *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    struct seal_state st = {.cfg = cfg};
    if (!load_key(cfg, &st.key, err, errlen))
        return false;
    struct gp_db_pool *pool = gp_db_pool_create(cfg->conninfo, 1, cfg->connect_timeout_s);
    struct gp_db_conn *c = gp_db_acquire(pool, err, errlen);
    bool ok = false;
    if (!c)
        goto cleanup;
    if (!hold_lock(&st, c)) {
        out->locked_out = true;
        ok = true;
        goto cleanup;
    }
    /* Two passes at least: the first records what to seal, the next seals it once every
     * transaction that could still add a row below has ended. */
    double until = now_s() + wait_ms / 1000.0;
    struct gp_audit_seal_result res = {0};
    for (int pass = 0;; pass++) {
        if (seal_all(c, &res, &out->sealed) < 0) {
            snprintf(err, errlen, "sealing failed: %s", gp_db_error(c));
            goto cleanup;
        }
        if ((!res.pending && pass > 0) || now_s() >= until)
            break;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    out->last_id = res.last_id;
    out->last_seq = res.last_seq;
    out->pending = res.pending;
    out->checkpoint = checkpoint_if_due(&st, c, res.last_seq, true);
    long long v;
    int_result(c, &stmt_unlock, &v);
    ok = true;

cleanup:
    gp_db_release(pool, c);
    gp_db_pool_destroy(pool);
    gp_audit_key_free(st.key);
    return ok;
}
