/* The control API (loopback only, port base+5), socket-free like routes.h:
 *   GET    /healthz
 *   GET    /faults                 all five systems' faults
 *   GET    /faults/{system}
 *   PUT    /faults/{system}        replace with the JSON body ({} clears); system "all" = each
 *   PATCH  /faults/{system}        merge the JSON body into the current faults
 *   DELETE /faults/{system}        clear one;  DELETE /faults  clear all
 *   GET    /stats                  counters of all systems;  GET /stats/{system}
 *   POST   /stats/reset            zero the counters (also DELETE /stats)
 *   GET    /population             seed, size, as-of, ports, demo citizens */
#ifndef DS_CONTROL_H
#define DS_CONTROL_H

#include "cmd/deptsim/faults.h"
#include "cmd/deptsim/population.h"
#include "cmd/deptsim/routes.h"
#include "cmd/deptsim/stats.h"

struct ds_control {
    struct ds_faultset *faults;
    struct ds_stats *stats;
    const struct ds_population *pop;
    /* Called after system s's faults changed (the server opens or closes its port for
     * "refuse" before the control answer goes out). May be NULL. */
    void (*on_change)(void *cls, enum ds_system s);
    void *cls;
    const char *listen; /* for /population */
    int base_port;
};

/* Request bodies above this are refused with 413. */
#define DS_CONTROL_BODY_MAX 65536

/* Fills *out (JSON). Returns false only on out-of-memory. */
bool ds_control_route(struct ds_control *ctl, const char *method, const char *path,
                      const char *body, size_t len, struct ds_reply *out);

#endif
