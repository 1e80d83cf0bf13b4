/* GET /v1/sources: the configured department systems with their health — circuit state,
 * request and failure counts, latency percentiles, last outcome (of the transfer, or what the
 * press found wrong with the answer). No personal data, and no secret: of a source's
 * credentials only their kind, and its URL with any user information masked. */
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
        char shown[sizeof all[i].base_url];
        gp_source_url_shown(all[i].base_url, shown, sizeof shown);
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s}", "id", all[i].id, "kind",
                              all[i].kind, "department", all[i].department, "area", all[i].area,
                              "base_url", shown, "timeout_ms", all[i].timeout_ms, "enabled",
                              all[i].enabled, "auth", gp_auth_kind_name(all[i].auth.kind));
        json_t *opts = json_loads(all[i].options, 0, NULL);
        json_object_set_new(s, "options", json_is_object(opts) ? opts : json_object());
        if (!json_is_object(opts))
            json_decref(opts);
        json_object_set_new(s, "health", health_json(req->server->federate, all[i].id));
        json_array_append_new(list, s);
    }
    free(all);
    gp_reply_json(req, 200, json_pack("{s:o}", "sources", list));
}
