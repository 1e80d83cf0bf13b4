/* IP addresses as the server meets them: a peer's socket address as text, address prefixes
 * ("10.0.0.0/8", "::1") for the trusted proxies of GLASPLADE_TRUSTED_PROXIES, and whether an
 * address is loopback. Pure; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) count as IPv4. */
#ifndef GP_NETADDR_H
#define GP_NETADDR_H

#include <stdbool.h>
#include <stddef.h>

struct sockaddr;

#define GP_ADDR_TEXT_MAX 46 /* INET6_ADDRSTRLEN */

/* An address in network order: 4 bytes for IPv4, 16 for IPv6. */
struct gp_ipaddr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
};

/* An address and the number of leading bits that must match (32 or 128: exactly one). */
struct gp_ipprefix {
    struct gp_ipaddr addr;
    int bits;
};

/* Parses "a.b.c.d", an IPv6 literal, or either with "/bits". False for anything else. */
bool gp_ipprefix_parse(const char *s, struct gp_ipprefix *out);
/* Parses an address literal (no prefix length); surrounding spaces are not allowed. */
bool gp_ipaddr_parse(const char *s, struct gp_ipaddr *out);
/* Converts a socket address (AF_INET / AF_INET6); false for other families. */
bool gp_ipaddr_from_sockaddr(const struct sockaddr *sa, struct gp_ipaddr *out);
/* Text form ("192.0.2.1", "2001:db8::1"); "" when it cannot be formatted. */
void gp_ipaddr_format(const struct gp_ipaddr *a, char out[GP_ADDR_TEXT_MAX]);

bool gp_ipprefix_match(const struct gp_ipprefix *p, const struct gp_ipaddr *a);
/* Whether a matches any of the n prefixes. */
bool gp_ipprefix_match_any(const struct gp_ipprefix *p, size_t n, const struct gp_ipaddr *a);

/* 127.0.0.0/8 or ::1. */
bool gp_ipaddr_is_loopback(const struct gp_ipaddr *a);

bool gp_ipaddr_equal(const struct gp_ipaddr *a, const struct gp_ipaddr *b);

#endif
