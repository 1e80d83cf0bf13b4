/* Strict HTTP: what a request head must satisfy before anything acts on it, checked on the
 * head as libmicrohttpd parsed it (every header line, repeats included) and on the request
 * target as the client sent it (before percent-decoding). Pure, so that every smuggling variant
 * is a unit test (tests/unit/test_strict.c); api/http.c answers what they find.
 *
 * libmicrohttpd 0.9.75 uses the first of several Content-Length headers, lets
 * Transfer-Encoding win over Content-Length, reads a body of an unknown transfer coding until
 * the connection closes, and decodes %00 and %2F before routing. Each of these is refused here
 * with a 400 problem that names it; where the framing is in doubt the answer also closes the
 * connection, so that whatever follows on it is never read as a request. */
#ifndef GP_STRICT_H
#define GP_STRICT_H

#include "lib/core/error.h"

#include <stdbool.h>
#include <stddef.h>

/* One header line of the request, as parsed (name without the colon, value trimmed). */
struct gp_head_field {
    const char *name;
    const char *value;
};

struct gp_strict_problem {
    enum gp_error error; /* GP_E_BAD_FRAMING, GP_E_BAD_HOST, GP_E_BAD_TARGET, ... */
    bool close;          /* the framing is in doubt: answer and close the connection */
    char detail[256];    /* names what is wrong; never quotes more than a short token */
};

/* Checks the head's framing and Host:
 *   - a header name with whitespace in it (`Content-Length : 5`)        bad-framing, close
 *   - more than one Content-Length (equal or not)                        bad-framing, close
 *   - more than one Transfer-Encoding                                    bad-framing, close
 *   - Content-Length and Transfer-Encoding together                      bad-framing, close
 *   - a transfer coding other than `chunked`                             bad-framing, close
 *   - Transfer-Encoding in an HTTP/1.0 request                           bad-framing, close
 *   - no Host in an HTTP/1.1 request, or more than one Host              bad-host
 *   - Authorization, Content-Type, X-Purpose, X-Request-Id or Origin
 *     more than once                                                     bad-request
 * http11: the request says HTTP/1.1; http10: HTTP/1.0. Returns true when the head passes. */
bool gp_strict_head(const struct gp_head_field *fields, size_t n, bool http10, bool http11,
                    struct gp_strict_problem *out);

/* Checks the request target as received (path and query, not decoded): an encoded NUL (%00)
 * anywhere, an encoded slash or backslash (%2F, %5C) in the path, a malformed percent-escape,
 * a space or a control character. bad-target. */
bool gp_strict_target(const char *target, struct gp_strict_problem *out);

/* The first query parameter name that occurs more than once among keys (decoded names), or
 * NULL. */
const char *gp_strict_repeated(const char *const *keys, size_t n);

/* Whether a client's X-Request-Id may be used as ours: 1-64 printable ASCII characters from
 * [A-Za-z0-9._:/+=@-], and nothing that could be a CPR number (ten digits in a row, or
 * DDMMYY-SSSS). Otherwise the server makes its own. */
bool gp_strict_request_id(const char *s);

#endif
