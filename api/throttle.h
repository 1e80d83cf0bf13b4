/* Failed authentication, throttled per client address: an address with GLASPLADE_AUTH_FAILURES
 * failed authentications (a malformed, unknown or revoked token) within
 * GLASPLADE_AUTH_THROTTLE_S is refused with 429 and Retry-After for the next
 * GLASPLADE_AUTH_THROTTLE_S seconds, before its token is looked up — so a flood of bad tokens
 * costs no database work. It is logged once when an address is blocked, and once per interval
 * with the number of requests refused, never per attempt.
 *
 * The table is fixed in size (GP_THROTTLE_SLOTS addresses): when it is full, the address seen
 * least recently in its neighbourhood makes room, so memory stays bounded whatever the number
 * of addresses. Thread-safe. Times are passed in (milliseconds, monotonic), for tests. */
#ifndef GP_THROTTLE_H
#define GP_THROTTLE_H

#include "lib/core/netaddr.h"

#include <stdbool.h>

#define GP_THROTTLE_SLOTS 4096

struct gp_throttle;

struct gp_throttle *gp_throttle_create(int failures, int window_s);
void gp_throttle_destroy(struct gp_throttle *t);

/* Whether addr is refused now; when it is, *retry_after_s is the whole seconds until the block
 * ends (at least 1) and the refusal is counted for the interval's log line. */
bool gp_throttle_refused(struct gp_throttle *t, const struct gp_ipaddr *addr, long long now_ms,
                         int *retry_after_s);

/* Counts a failed authentication of addr. */
void gp_throttle_failure(struct gp_throttle *t, const struct gp_ipaddr *addr, long long now_ms);

#endif
