/* The HTTP side: five libmicrohttpd daemons (one per system, ports base..base+4) and the
 * control daemon (127.0.0.1, port base+5), with fault injection applied per request.
 *
 * Thread-per-connection: latency, hangs and slow drips simply sleep in the connection's own
 * thread, so 64 concurrent connections with latency injected cost 64 sleeping threads and
 * nothing else; every sleep wakes up when its port closes, so "refuse" and shutdown never wait
 * for a hang to run out. */
#ifndef DS_SERVER_H
#define DS_SERVER_H

#include "cmd/deptsim/faults.h"
#include "cmd/deptsim/population.h"

#include <stdbool.h>
#include <stddef.h>

struct ds_server_config {
    const char *listen; /* IPv4 address of the five systems; the control port is always loopback */
    int base_port;
    bool quiet; /* no per-request log lines */
    struct ds_fault initial[DS_NSYSTEMS];
};

struct ds_server;

/* Starts all six daemons (a system whose initial fault is "refuse" stays closed). On failure
 * returns NULL with a message in err. */
struct ds_server *ds_server_start(const struct ds_population *pop,
                                  const struct ds_server_config *cfg, char *err, size_t errlen);

/* Stops everything and frees srv; NULL is fine. */
void ds_server_stop(struct ds_server *srv);

#endif
