/* Operations endpoints: liveness, readiness, metrics and the contract. None needs a token. */
#include "api/handlers.h"
#include "api/http.h"
#include "lib/core/buf.h"
#include "lib/core/embedded.h"
#include "lib/federation/sources.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* GET /healthz: the process answers; no database involved, so a database outage never gets a
 * healthy server restarted. */
void gp_handle_healthz(struct gp_request *req)
{
    gp_reply_json(req, 200,
                  json_pack("{s:s, s:s}", "status", "ok", "version", req->server->version));
}

static enum gp_qs select_one(struct gp_db_conn *conn, void *cls)
{
    (void)cls;
    return gp_db_exec_simple(conn, "SELECT 1");
}

/* /readyz answers within this many milliseconds of the request's arrival, whatever PostgreSQL
 * does (a probe that hangs is no probe). */
#define GP_READYZ_BUDGET_MS 800

/* GET /readyz: 200 while the database answers, 503 while it does not; the pool reconnects by
 * itself, so readiness comes back without a restart. */
void gp_handle_readyz(struct gp_request *req)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long until = gp_db_now_ms() + GP_READYZ_BUDGET_MS - (long long)gp_req_elapsed_ms(req);
    if (!gp_db_deadline() || until < gp_db_deadline())
        gp_db_deadline_set(until);
    char err[256] = "";
    struct gp_db_conn *c = gp_db_acquire(req->server->pool, err, sizeof err);
    enum gp_qs qs = GP_QS_HARD_ERROR;
    if (c) {
        qs = select_one(c, NULL);
        if (qs < 0)
            strncpy(err, gp_db_error(c), sizeof err - 1);
        gp_db_release(req->server->pool, c);
    }
    bool slow = gp_db_out_of_time();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    if (qs >= 0) {
        gp_reply_json(req, 200,
                      json_pack("{s:s, s:{s:{s:s, s:f}}}", "status", "ready", "checks", "database",
                                "status", "ok", "latency_ms", ms));
        return;
    }
    json_t *checks = json_pack("{s:{s:{s:s, s:s}}}", "checks", "database", "status",
                               slow ? "timeout" : "error", "error", err);
    if (slow)
        gp_reply_problem_extra(req, GP_E_NOT_READY, checks,
                               "the database did not answer within %d ms", GP_READYZ_BUDGET_MS);
    else
        gp_reply_problem_extra(req, GP_E_NOT_READY, checks, "the database is not reachable");
}

/* GET /metrics */
void gp_handle_metrics(struct gp_request *req)
{
    struct gp_db_pool_stats ps;
    gp_db_pool_stats(req->server->pool, &ps);
    struct gp_metrics_gauges g = {.pool_size = ps.size,
                                  .pool_in_use = ps.in_use,
                                  .pool_connected = ps.connected,
                                  .version = req->server->version};
    size_t len = 0;
    char *text = gp_metrics_render(req->server->metrics, &g, &len);
    /* Unmapped codes per source, from the database (every instance sees the same). */
    struct gp_buf out = {0};
    gp_buf_append(&out, text, len);
    free(text);
    gp_sources_unmapped_metrics(req->server->pool, &out);
    text = gp_buf_steal(&out, &len);
    gp_reply_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
}

/* GET /v1/openapi.yaml: the contract, as compiled into this binary. */
void gp_handle_openapi(struct gp_request *req)
{
    gp_reply_bytes(req, 200, "application/yaml", gp_embedded_openapi.data, gp_embedded_openapi.len);
}
