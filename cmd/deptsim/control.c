/* The control API: faults and counters over JSON, socket-free. */
#include "cmd/deptsim/control.h"

#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/jsonw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT "application/json; charset=utf-8"

static bool reply(struct ds_reply *out, unsigned status, json_t *body)
{
    if (!body)
        return false;
    size_t len = 0;
    char *s = ds_json_dump(body, &len);
    json_decref(body);
    if (!s)
        return false;
    out->status = status;
    out->content_type = CT;
    out->body = s;
    out->len = len;
    return true;
}

static bool error(struct ds_reply *out, unsigned status, const char *msg)
{
    return reply(out, status, json_pack("{s:s, s:i}", "error", msg, "status", (int)status));
}

static json_t *all_faults(struct ds_control *ctl)
{
    json_t *o = json_object();
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        struct ds_fault f;
        ds_faultset_get(ctl->faults, (enum ds_system)s, &f);
        json_object_set_new(o, ds_system_name((enum ds_system)s), ds_fault_to_json(&f));
    }
    return o;
}

static void changed(struct ds_control *ctl, enum ds_system s)
{
    if (ctl->on_change)
        ctl->on_change(ctl->cls, s);
}

static bool faults_route(struct ds_control *ctl, const char *method, const char *name,
                         const char *body, size_t len, struct ds_reply *out)
{
    int sys = -1;
    bool all = name == NULL || strcmp(name, "all") == 0;
    if (!all) {
        sys = ds_system_from_name(name);
        if (sys < 0)
            return error(out, 404, "unknown system (jobcentre, social, health, region, family)");
    }
    if (!strcmp(method, "GET")) {
        if (all)
            return reply(out, 200, all_faults(ctl));
        struct ds_fault f;
        ds_faultset_get(ctl->faults, (enum ds_system)sys, &f);
        return reply(out, 200, ds_fault_to_json(&f));
    }
    if (!strcmp(method, "DELETE")) {
        struct ds_fault clear;
        memset(&clear, 0, sizeof clear);
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            if (all || s == sys) {
                ds_faultset_set(ctl->faults, (enum ds_system)s, &clear);
                changed(ctl, (enum ds_system)s);
            }
        }
        return reply(out, 200, all_faults(ctl));
    }
    if (!strcmp(method, "PUT") || !strcmp(method, "PATCH")) {
        if (name == NULL) {
            out->allow = "GET, DELETE";
            return error(out, 405, "PUT or PATCH a system: /faults/{system} or /faults/all");
        }
        json_error_t jerr;
        json_t *j = len ? json_loadb(body, len, 0, &jerr) : json_object();
        if (!j)
            return error(out, 400, "body is not JSON");
        char err[160];
        bool merge = !strcmp(method, "PATCH");
        /* Validate against every target first, so a bad body changes nothing. */
        struct ds_fault next[DS_NSYSTEMS];
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            ds_faultset_get(ctl->faults, (enum ds_system)s, &next[s]);
            if ((all || s == sys) && !ds_fault_from_json(j, &next[s], merge, err, sizeof err)) {
                json_decref(j);
                return error(out, 400, err);
            }
        }
        json_decref(j);
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            if (all || s == sys) {
                ds_faultset_set(ctl->faults, (enum ds_system)s, &next[s]);
                changed(ctl, (enum ds_system)s);
            }
        }
        return reply(out, 200, all ? all_faults(ctl) : ds_fault_to_json(&next[sys]));
    }
    out->allow = name ? "GET, PUT, PATCH, DELETE" : "GET, DELETE";
    return error(out, 405, "method not allowed");
}

static json_t *population_json(struct ds_control *ctl)
{
    char as_of[11];
    ds_fmt_date(ctl->pop->as_of, as_of);
    json_t *demo = json_array();
    for (size_t i = 0; i < DS_DEMO_COUNT; i++) {
        const struct ds_demo_info *d = ds_demo(i);
        json_t *systems = json_array();
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            if (d->systems & (1u << s))
                json_array_append_new(systems, json_string(ds_system_name((enum ds_system)s)));
        }
        json_array_append_new(demo, json_pack("{s:s, s:s, s:s, s:o}", "cpr", d->cpr, "name",
                                              d->name, "role", d->role, "systems", systems));
    }
    json_t *ports = json_object();
    for (int s = 0; s < DS_NSYSTEMS; s++)
        json_object_set_new(ports, ds_system_name((enum ds_system)s),
                            json_integer(ctl->base_port + s));
    json_object_set_new(ports, "control", json_integer(ctl->base_port + DS_NSYSTEMS));
    return json_pack("{s:I, s:I, s:I, s:s, s:s, s:o, s:o, s:s}", "seed", (json_int_t)ctl->pop->seed,
                     "size", (json_int_t)ctl->pop->size, "citizens",
                     (json_int_t)ds_pop_count(ctl->pop), "as_of", as_of, "listen",
                     ctl->listen ? ctl->listen : "127.0.0.1", "ports", ports, "demo", demo,
                     "unknown_cpr", DS_DEMO_UNKNOWN_CPR);
}

bool ds_control_route(struct ds_control *ctl, const char *method, const char *path,
                      const char *body, size_t len, struct ds_reply *out)
{
    memset(out, 0, sizeof *out);
    out->kind = DS_RK_OTHER;
    if (len > DS_CONTROL_BODY_MAX)
        return error(out, 413, "body too large");
    if (!strcmp(path, "/healthz")) {
        out->kind = DS_RK_HEALTHZ;
        return reply(out, 200, json_pack("{s:s, s:s}", "status", "ok", "system", "control"));
    }
    if (!strcmp(path, "/faults") || !strcmp(path, "/faults/"))
        return faults_route(ctl, method, NULL, body, len, out);
    if (!strncmp(path, "/faults/", 8))
        return faults_route(ctl, method, path + 8, body, len, out);
    if (!strcmp(path, "/stats/reset") || !strcmp(path, "/stats")) {
        bool reset = (!strcmp(path, "/stats/reset") && !strcmp(method, "POST")) ||
                     (!strcmp(path, "/stats") && !strcmp(method, "DELETE"));
        if (reset) {
            ds_stats_reset(ctl->stats);
            return reply(out, 200, json_pack("{s:b}", "reset", 1));
        }
        if (!strcmp(path, "/stats") && !strcmp(method, "GET")) {
            json_t *o = json_object();
            for (int s = 0; s < DS_NSYSTEMS; s++)
                json_object_set_new(o, ds_system_name((enum ds_system)s),
                                    ds_stats_json(ctl->stats, (enum ds_system)s));
            return reply(out, 200, o);
        }
        out->allow = !strcmp(path, "/stats") ? "GET, DELETE" : "POST";
        return error(out, 405, "method not allowed");
    }
    if (!strncmp(path, "/stats/", 7)) {
        int s = ds_system_from_name(path + 7);
        if (s < 0)
            return error(out, 404, "unknown system");
        if (strcmp(method, "GET") != 0) {
            out->allow = "GET";
            return error(out, 405, "method not allowed");
        }
        return reply(out, 200, ds_stats_json(ctl->stats, (enum ds_system)s));
    }
    if (!strcmp(path, "/population")) {
        if (strcmp(method, "GET") != 0) {
            out->allow = "GET";
            return error(out, 405, "method not allowed");
        }
        return reply(out, 200, population_json(ctl));
    }
    return error(out, 404, "no such control endpoint");
}
