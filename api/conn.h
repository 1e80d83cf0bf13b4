/* Connection discipline: what keeps one client, or many idle or dribbling ones, from taking
 * the server's connections away from everybody else.
 *
 *   - At most GLASPLADE_MAX_CONNECTIONS open connections, and GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS
 *     from one client address (a trusted proxy, GLASPLADE_TRUSTED_PROXIES, has no per-address
 *     limit: its clients are told apart by X-Forwarded-For). A connection beyond either is
 *     closed as soon as it is accepted — a fast refusal, where libmicrohttpd at its own limit
 *     would stop accepting and leave clients waiting in the kernel's backlog.
 *   - A deadline for receiving a request: a connection must deliver a complete request head
 *     within GLASPLADE_RECEIVE_TIMEOUT_MS of opening (or of its previous answer, when kept
 *     alive), and then its body within as much again. libmicrohttpd's own timeout restarts on
 *     every byte, so a client sending one byte every few seconds would hold its connection
 *     forever; a watchdog thread shuts such connections down instead.
 *   - Refusals and closings are logged once per interval (GP_CONN_REPORT_MS), not per event.
 *
 * Built on libmicrohttpd's accept-policy and connection-notification callbacks; the request
 * layer (api/http.c) tells each connection's phase. */
#ifndef GP_CONN_H
#define GP_CONN_H

#include "lib/core/config.h"
#include "lib/core/netaddr.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#define GP_CONN_REPORT_MS 10000

enum gp_conn_phase {
    GP_CONN_HEAD = 0, /* waiting for a request head: the receive deadline runs */
    GP_CONN_BODY,     /* the head is in, the body is arriving: the deadline runs again */
    GP_CONN_HANDLING, /* ours: the handler runs, is suspended, or the answer is being sent */
};

/* One client connection; lives from libmicrohttpd's STARTED to its CLOSED notification. */
struct gp_conn {
    struct gp_conn *prev, *next;
    int fd;
    struct gp_ipaddr addr;
    char addr_text[GP_ADDR_TEXT_MAX];
    bool trusted_proxy;
    _Atomic int phase;
    _Atomic long long since_ms; /* when the phase began (monotonic) */
    _Atomic bool shut;          /* the watchdog shut it down */
};

struct gp_conn_guard;

/* max_connections may be less than the configuration's when the file-descriptor limit cannot
 * hold that many (the caller says so in the log). */
struct gp_conn_guard *gp_conn_guard_create(const struct gp_config *cfg, int max_connections);
/* Starts and stops the watchdog thread. */
bool gp_conn_guard_start(struct gp_conn_guard *g);
void gp_conn_guard_stop(struct gp_conn_guard *g);
void gp_conn_guard_destroy(struct gp_conn_guard *g);

/* libmicrohttpd's accept policy (cls: the guard): MHD_NO closes the new connection at once. */
enum MHD_Result gp_conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen);
/* libmicrohttpd's connection notification (cls: the guard). */
void gp_conn_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe);

/* The connection of a request (NULL only if libmicrohttpd never notified it). */
struct gp_conn *gp_conn_of(struct MHD_Connection *connection);
void gp_conn_set_phase(struct gp_conn *c, enum gp_conn_phase phase);

/* Open connections now. */
int gp_conn_open(struct gp_conn_guard *g);

#endif
