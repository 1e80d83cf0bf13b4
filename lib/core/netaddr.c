#include "lib/core/netaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* ::ffff:a.b.c.d becomes a.b.c.d, so that one prefix list serves both socket families. */
static void unmap(struct gp_ipaddr *a)
{
    if (a->family == AF_INET6 && !memcmp(a->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix)) {
        memmove(a->bytes, a->bytes + 12, 4);
        memset(a->bytes + 4, 0, 12);
        a->family = AF_INET;
    }
}

bool gp_ipaddr_parse(const char *s, struct gp_ipaddr *out)
{
    memset(out, 0, sizeof *out);
    if (inet_pton(AF_INET, s, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, s, out->bytes) == 1) {
        out->family = AF_INET6;
        unmap(out);
        return true;
    }
    return false;
}

bool gp_ipprefix_parse(const char *s, struct gp_ipprefix *out)
{
    char text[64];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    if (n == 0 || n >= sizeof text)
        return false;
    memcpy(text, s, n);
    text[n] = '\0';
    if (!gp_ipaddr_parse(text, &out->addr))
        return false;
    bool v6_literal = strchr(text, ':') != NULL;
    int max = out->addr.family == AF_INET ? 32 : 128;
    out->bits = max;
    if (!slash)
        return true;
    const char *b = slash + 1;
    if (!*b || strlen(b) > 3)
        return false;
    for (const char *p = b; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
    }
    int bits = atoi(b);
    /* A prefix written on a mapped address (::ffff:10.0.0.0/104) counts in IPv6 bits. */
    if (v6_literal && out->addr.family == AF_INET) {
        if (bits < 96)
            return false;
        bits -= 96;
    }
    if (bits > max)
        return false;
    out->bits = bits;
    return true;
}

bool gp_ipaddr_from_sockaddr(const struct sockaddr *sa, struct gp_ipaddr *out)
{
    memset(out, 0, sizeof *out);
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)(const void *)sa;
        out->family = AF_INET;
        memcpy(out->bytes, &v4->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)(const void *)sa;
        out->family = AF_INET6;
        memcpy(out->bytes, &v6->sin6_addr, 16);
        unmap(out);
        return true;
    }
    return false;
}

void gp_ipaddr_format(const struct gp_ipaddr *a, char out[GP_ADDR_TEXT_MAX])
{
    if (!inet_ntop(a->family, a->bytes, out, GP_ADDR_TEXT_MAX))
        out[0] = '\0';
}

bool gp_ipprefix_match(const struct gp_ipprefix *p, const struct gp_ipaddr *a)
{
    if (p->addr.family != a->family)
        return false;
    int full = p->bits / 8, rest = p->bits % 8;
    if (memcmp(p->addr.bytes, a->bytes, (size_t)full) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (p->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

bool gp_ipprefix_match_any(const struct gp_ipprefix *p, size_t n, const struct gp_ipaddr *a)
{
    for (size_t i = 0; i < n; i++) {
        if (gp_ipprefix_match(&p[i], a))
            return true;
    }
    return false;
}

bool gp_ipaddr_is_loopback(const struct gp_ipaddr *a)
{
    static const unsigned char v6_loopback[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    if (a->family == AF_INET)
        return a->bytes[0] == 127;
    return a->family == AF_INET6 && !memcmp(a->bytes, v6_loopback, 16);
}

bool gp_ipaddr_equal(const struct gp_ipaddr *a, const struct gp_ipaddr *b)
{
    return a->family == b->family && !memcmp(a->bytes, b->bytes, a->family == AF_INET ? 4 : 16);
}
