/* GET /v1/sources: the configured department systems with their health — circuit state,
 * request and failure counts, latency percentiles, last outcome. No personal data. */
#include "api/handlers.h"
#include "api/http.h"
#include "lib/federation/federate.h"
#include "lib/federation/sources.h"

#include <math.h>
#include <stdlib.h>

static json_t *health_json(struct gp_federate *f, const char *id)
{
    struct gp_source_health h;
    gp_federate_health(f, id, &h);
    json_t *o = json_pack("{s:s, s:I, s:I, s:i}", "circuit", gp_circuit_state_name(h.circuit),
                          "requests", (json_int_t)h.requests, "failures", (json_int_t)h.failures,
                          "consecutive_failures", h.consecutive_failures);
    json_object_set_new(o, "latency_p50_ms",
                        h.requests ? json_real(round(h.latency_p50_ms * 10) / 10) : json_null());
    json_object_set_new(o, "latency_p95_ms",
                        h.requests ? json_real(round(h.latency_p95_ms * 10) / 10) : json_null());
    json_object_set_new(o, "last_status",
                        h.last_status[0] ? json_string(h.last_status) : json_null());
    json_object_set_new(o, "last_error", h.last_error[0] ? json_string(h.last_error) : json_null());
    json_object_set_new(o, "last_at", h.last_at[0] ? json_string(h.last_at) : json_null());
    return o;
}

void gp_handle_sources(struct gp_request *req)
{
    struct gp_source *all = NULL;
    size_t n = 0;
    if (gp_sources_load(req->server->pool, &all, &n) != GP_SOURCE_OK) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *s =
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "id", all[i].id, "kind", all[i].kind,
                      "department", all[i].department, "area", all[i].area, "base_url",
                      all[i].base_url, "timeout_ms", all[i].timeout_ms, "enabled", all[i].enabled);
        json_object_set_new(s, "health", health_json(req->server->federate, all[i].id));
        json_array_append_new(list, s);
    }
    free(all);
    gp_reply_json(req, 200, json_pack("{s:o}", "sources", list));
}
