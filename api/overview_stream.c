/* GET /v1/citizens/{cpr}/overview/stream: the CPR button, streamed. The answer is NDJSON
 * (application/x-ndjson), one line each time something is known:
 *
 *   {"event":"progress","settled":[],"elapsed_ms":..,"overview":{...}}     at once: what the
 *        index holds, every source still asked marked "pending"
 *   {"event":"progress","settled":["social"],...}                          as sources answer
 *   {"event":"overview","settled":["region"],...,"overview":{...}}         the last line: what
 *        GET /v1/citizens/{cpr}/overview answers (the same function builds both)
 *
 * so a slow system never holds back what the four others said. Each source is asked by a
 * fan-out of its own (lib/federation/federate.h; single flight per citizen and source), with
 * the request's deadline: a source that has not answered by then settles as a timeout, as in
 * the overview. Whatever has settled when the server can write is stored, read back and
 * audited in one transaction (gp_press_store), so every line — every read of personal data —
 * has its audit row, written in the transaction that read it.
 *
 * Threads: the engine thread only queues a settled result and resumes the connection; storing
 * and writing happen on the server thread that libmicrohttpd calls fill on. The state is
 * shared by the request and the fan-outs still running, and freed by whichever lets go last. */
#include "api/citizen_common.h"
#include "api/http.h"
#include "api/lookup.h"
#include "api/overview.h"
#include "api/handlers.h"
#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/federation/classcache.h"
#include "lib/sharing/audit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MARGIN_MS 60 /* kept back from the deadline for storing and answering, as lookup.c */

struct stream {
    pthread_mutex_t lock;
    int refs;     /* lock: the request, and each fan-out not yet done */
    bool closed;  /* lock: the request is gone: never resume it */
    bool paused;  /* lock: fill paused the connection; the next result resumes it */
    size_t ahead; /* lock: fan-outs not yet settled */
    struct gp_fetch_result *queue; /* lock: settled, not yet stored (bodies owned) */
    size_t nqueue;
    struct gp_request *req;

    /* The request's thread only. */
    struct gp_press press;
    char (*waiting)[64]; /* sources asked whose answer is not stored yet */
    size_t nwaiting;
    struct gp_buf out;
    size_t out_pos;
    bool started; /* the first line is written */
    bool done;
};

static void shared_free(struct stream *st)
{
    for (size_t i = 0; i < st->nqueue; i++)
        free(st->queue[i].body);
    free(st->queue);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

/* The request is complete (or the client left): what only it uses goes now. */
static void stream_release(void *p)
{
    struct stream *st = p;
    gp_press_free(&st->press);
    gp_buf_free(&st->out);
    free(st->waiting);
    st->waiting = NULL;
    pthread_mutex_lock(&st->lock);
    st->closed = true;
    int left = --st->refs;
    pthread_mutex_unlock(&st->lock);
    if (left == 0)
        shared_free(st);
}

/* On the engine thread: one source has settled. */
static void on_source_done(void *cls, const struct gp_fanout_result *res)
{
    struct stream *st = cls;
    pthread_mutex_lock(&st->lock);
    if (!st->closed) {
        st->queue = gp_xrealloc(st->queue, (st->nqueue + res->n) * sizeof *st->queue);
        for (size_t i = 0; i < res->n; i++) {
            struct gp_fetch_result *q = &st->queue[st->nqueue++];
            *q = res->results[i];
            q->body = gp_xstrndup(res->results[i].body ? res->results[i].body : "",
                                  res->results[i].body_len);
        }
    }
    st->ahead--;
    if (st->paused && !st->closed) {
        st->paused = false;
        gp_req_resume(st->req); /* under the lock: fill paused under it too */
    }
    int left = --st->refs;
    pthread_mutex_unlock(&st->lock);
    if (left == 0)
        shared_free(st);
}

static void line_out(struct stream *st, json_t *line)
{
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(line);
    if (!text) {
        GP_LOG_BUG("cannot serialise a stream line");
        st->done = true;
        return;
    }
    gp_buf_puts(&st->out, text);
    gp_buf_puts(&st->out, "\n");
    free(text);
}

static bool still_waiting(const struct stream *st, const char *id)
{
    for (size_t i = 0; i < st->nwaiting; i++) {
        if (!strcmp(st->waiting[i], id))
            return true;
    }
    return false;
}

/* Stores what settled (batch, n), reads back, audits, and writes one line. */
static void emit(struct gp_request *req, struct stream *st, const struct gp_fetch_result *batch,
                 size_t n, bool last)
{
    struct gp_server *srv = req->server;
    struct gp_press *p = &st->press;
    json_t *settled = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(settled, json_string(batch[i].source_id));
        for (size_t k = 0; k < st->nwaiting; k++) {
            if (!strcmp(st->waiting[k], batch[i].source_id)) {
                memmove(&st->waiting[k], &st->waiting[k + 1],
                        (st->nwaiting - k - 1) * sizeof st->waiting[0]);
                st->nwaiting--;
                break;
            }
        }
    }
    gp_press_take_more(p, batch, n);
    struct gp_press_settings s = {.index_ttl_s = srv->cfg->index_ttl_s,
                                  .index_digest_ttl_s = srv->cfg->index_digest_ttl_s};
    struct gp_audit_entry *audit = gp_xmalloc(sizeof *audit);
    gp_citizen_audit_entry(req, p->cpr.digits, audit);
    enum gp_qs qs = gp_press_store(srv->pool, srv->classcache, srv->federate, p, &s, audit);
    free(audit);
    if (qs < 0) {
        json_t *problem =
            gp_problem_body(GP_E_DATABASE, "the database is unavailable", req->request_id);
        GP_LOG_ERROR("overview stream: the database is unavailable");
        line_out(st, json_pack("{s:s, s:o}", "event", "error", "problem", problem));
        json_decref(settled);
        st->done = true;
        return;
    }
    json_t *body = gp_overview_body(p);
    if (!last) {
        /* Sources asked that have not answered yet: not failed, not stale — pending, and not
         * counted as answered (the index may hold a fresh answer of theirs). */
        size_t i, answered = 0, asked = 0;
        json_t *src;
        json_array_foreach(json_object_get(body, "sources"), i, src)
        {
            const char *status = json_string_value(json_object_get(src, "status"));
            if (still_waiting(st, json_string_value(json_object_get(src, "id")))) {
                json_object_set_new(src, "status", json_string("pending"));
                json_object_set_new(src, "asked", json_true());
                json_object_set_new(src, "error", json_null());
                asked++;
            } else if (strcmp(status, "blocked") != 0) {
                asked++;
                answered += !strcmp(status, "ok");
            }
        }
        json_object_set_new(body, "status", json_string("pending"));
        json_object_set_new(
            body, "completeness",
            json_pack("{s:i, s:i}", "answered", (int)answered, "asked", (int)asked));
    }
    json_t *line =
        json_pack("{s:s, s:o, s:f, s:o}", "event", last ? "overview" : "progress", "settled",
                  settled, "elapsed_ms", round(gp_req_elapsed_ms(req) * 10) / 10, "overview", body);
    line_out(st, line);
    if (last)
        st->done = true;
}

static long fill(struct gp_request *req, char *buf, size_t max)
{
    struct stream *st = req->state;
    for (;;) {
        if (st->out_pos < st->out.len) {
            size_t n = st->out.len - st->out_pos;
            if (n > max)
                n = max;
            memcpy(buf, st->out.data + st->out_pos, n);
            st->out_pos += n;
            if (st->out_pos == st->out.len) {
                st->out.len = 0;
                st->out_pos = 0;
            }
            return (long)n;
        }
        if (st->done)
            return GP_STREAM_END;
        pthread_mutex_lock(&st->lock);
        struct gp_fetch_result *batch = NULL;
        size_t n = 0;
        bool last;
        if (!st->started) {
            /* The first line is what the index holds with every source asked still pending,
             * even when some answered before the server could write: the client sees the plate
             * at once and each source arrive (they follow in the next line). Last only when
             * nothing was asked. */
            last = st->ahead == 0 && st->nqueue == 0;
        } else {
            batch = st->queue;
            n = st->nqueue;
            last = st->ahead == 0;
            if (n == 0 && !last) {
                st->paused = true;
                gp_req_stream_pause(req);
                pthread_mutex_unlock(&st->lock);
                return GP_STREAM_WAIT;
            }
            st->queue = NULL;
            st->nqueue = 0;
        }
        pthread_mutex_unlock(&st->lock);
        emit(req, st, batch, n, last);
        st->started = true;
        for (size_t i = 0; i < n; i++)
            free(batch[i].body);
        free(batch);
    }
}

void gp_handle_overview_stream(struct gp_request *req)
{
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req) ||
        !gp_lookup_parse_refresh(req, &refresh))
        return;
    struct gp_server *srv = req->server;
    struct stream *st = gp_xcalloc(1, sizeof *st);
    pthread_mutex_init(&st->lock, NULL);
    st->refs = 1;
    st->req = req;
    req->state = st;
    req->state_free = stream_release;

    struct gp_policy_caller caller = gp_citizen_caller(req);
    gp_press_init(&st->press, &cpr, refresh, &caller);
    struct gp_press_settings s = {.index_ttl_s = srv->cfg->index_ttl_s,
                                  .index_digest_ttl_s = srv->cfg->index_digest_ttl_s};
    if (gp_press_load(srv->pool, &st->press, req->client.id, &s) < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    size_t cap = st->press.n ? st->press.n : 1;
    struct gp_fetch_request *reqs = gp_xcalloc(cap, sizeof *reqs);
    char key[1024];
    size_t nreqs = gp_press_plan(&st->press, &s, reqs, key, sizeof key);
    st->waiting = gp_xcalloc(cap, sizeof *st->waiting);
    for (size_t i = 0; i < nreqs; i++)
        snprintf(st->waiting[i], sizeof st->waiting[i], "%s", reqs[i].source_id);
    st->nwaiting = nreqs;
    st->ahead = nreqs;
    st->refs += (int)nreqs;

    gp_reply_stream(req, 200, "application/x-ndjson", fill);

    int deadline = (int)lround(srv->cfg->request_deadline_ms - gp_req_elapsed_ms(req) - MARGIN_MS);
    if (deadline < 10)
        deadline = 10;
    for (size_t i = 0; i < nreqs; i++) {
        /* One fan-out per source, so that each settles on its own; the key joins another
         * press of the same citizen's same source that is running already. */
        char k[160];
        snprintf(k, sizeof k, "%s|%s", cpr.digits, reqs[i].source_id);
        if (!gp_federate_start(srv->federate, k, &reqs[i], 1, deadline, on_source_done, st)) {
            /* Shutting down: this source settles as not answered (the press marks it). */
            pthread_mutex_lock(&st->lock);
            st->ahead--;
            st->refs--;
            pthread_mutex_unlock(&st->lock);
        }
    }
    free(reqs);
}
