#include "api/strict.h"

#include "lib/core/cpr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define GP_REQUEST_ID_MAX_LEN 64

__attribute__((format(printf, 4, 5))) static bool
fail(struct gp_strict_problem *out, enum gp_error e, bool close, const char *fmt, ...)
{
    out->error = e;
    out->close = close;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof out->detail, fmt, ap);
    va_end(ap);
    return false;
}

/* A short, printable rendering of client text for a detail sentence. */
static void token_text(const char *s, char out[40])
{
    size_t n = 0;
    for (; s[n] && n < 32; n++)
        out[n] = (s[n] >= 0x21 && s[n] <= 0x7e && s[n] != '"' && s[n] != '\\') ? s[n] : '?';
    out[n] = '\0';
    if (s[n])
        strcpy(out + n, "...");
}

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether value, without surrounding whitespace, is exactly `chunked` (any case). */
static bool only_chunked(const char *v)
{
    while (is_ows(*v))
        v++;
    size_t n = strlen(v);
    while (n && is_ows(v[n - 1]))
        n--;
    return n == 7 && !strncasecmp(v, "chunked", 7);
}

bool gp_strict_head(const struct gp_head_field *fields, size_t n, bool http10, bool http11,
                    struct gp_strict_problem *out)
{
    /* Headers whose repetition would leave the meaning to whoever reads the first or the last. */
    static const char *const once[] = {"Authorization", "Content-Type", "X-Purpose", "X-Request-Id",
                                       "Origin"};
    size_t content_length = 0, transfer_encoding = 0, host = 0;
    size_t seen[sizeof once / sizeof once[0]] = {0};
    const char *coding = NULL;
    char tok[40];
    for (size_t i = 0; i < n; i++) {
        const char *name = fields[i].name;
        if (!*name || strpbrk(name, " \t")) {
            token_text(name, tok);
            return fail(out, GP_E_BAD_FRAMING, true,
                        "the header name '%s' contains whitespace or is empty", tok);
        }
        if (!strcasecmp(name, "Content-Length"))
            content_length++;
        else if (!strcasecmp(name, "Transfer-Encoding")) {
            transfer_encoding++;
            coding = fields[i].value ? fields[i].value : "";
        } else if (!strcasecmp(name, "Host"))
            host++;
        for (size_t k = 0; k < sizeof once / sizeof once[0]; k++)
            seen[k] += !strcasecmp(name, once[k]);
    }
    if (content_length > 1)
        return fail(out, GP_E_BAD_FRAMING, true,
                    "the request has %zu Content-Length headers; the body's length must be "
                    "given once",
                    content_length);
    if (transfer_encoding > 1)
        return fail(out, GP_E_BAD_FRAMING, true,
                    "the request has %zu Transfer-Encoding headers; at most one is accepted",
                    transfer_encoding);
    if (transfer_encoding && content_length)
        return fail(out, GP_E_BAD_FRAMING, true,
                    "the request has both Content-Length and Transfer-Encoding; send one");
    if (transfer_encoding && http10)
        return fail(out, GP_E_BAD_FRAMING, true,
                    "Transfer-Encoding is not allowed in an HTTP/1.0 request");
    if (transfer_encoding && !only_chunked(coding)) {
        token_text(coding, tok);
        return fail(out, GP_E_BAD_FRAMING, true,
                    "the transfer coding '%s' is not supported; only chunked is", tok);
    }
    if (host > 1)
        return fail(out, GP_E_BAD_HOST, false, "the request has %zu Host headers; send one", host);
    if (http11 && host == 0)
        return fail(out, GP_E_BAD_HOST, false, "an HTTP/1.1 request must have a Host header");
    for (size_t k = 0; k < sizeof once / sizeof once[0]; k++) {
        if (seen[k] > 1)
            return fail(out, GP_E_BAD_REQUEST, false, "the request has %zu %s headers; send one",
                        seen[k], once[k]);
    }
    return true;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if ((c | 32) >= 'a' && (c | 32) <= 'f')
        return (c | 32) - 'a' + 10;
    return -1;
}

bool gp_strict_target(const char *target, struct gp_strict_problem *out)
{
    bool in_query = false;
    for (const char *p = target; *p; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            return fail(out, GP_E_BAD_TARGET, false,
                        "the request target contains a space or a control character");
        if (*p == '?') {
            in_query = true;
            continue;
        }
        if (*p != '%')
            continue;
        int hi = hexval(p[1]), lo = hi < 0 ? -1 : hexval(p[2]);
        if (hi < 0 || lo < 0)
            return fail(out, GP_E_BAD_TARGET, false,
                        "the %s has a '%%' that is not followed by two hexadecimal digits",
                        in_query ? "query" : "path");
        int byte = hi * 16 + lo;
        if (byte == 0)
            return fail(out, GP_E_BAD_TARGET, false, "the %s contains an encoded NUL (%%00)",
                        in_query ? "query" : "path");
        if (!in_query && (byte == '/' || byte == '\\'))
            return fail(out, GP_E_BAD_TARGET, false,
                        "the path contains an encoded %s (%%%c%c) inside a segment",
                        byte == '/' ? "slash" : "backslash", p[1], p[2]);
        p += 2;
    }
    return true;
}

const char *gp_strict_repeated(const char *const *keys, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(keys[i], keys[j]))
                return keys[i];
        }
    }
    return NULL;
}

bool gp_strict_request_id(const char *s)
{
    size_t n = 0, digits = 0;
    for (; s[n]; n++) {
        char c = s[n];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  strchr("._:/+=@-", c) != NULL;
        if (n == GP_REQUEST_ID_MAX_LEN || !ok)
            return false;
        digits = (c >= '0' && c <= '9') ? digits + 1 : 0;
        if (digits == 10)
            return false;
    }
    if (n == 0)
        return false;
    /* What the log's CPR mask would change (DDMMYY-SSSS too) must not be an id either. */
    char copy[GP_REQUEST_ID_MAX_LEN + 1];
    memcpy(copy, s, n + 1);
    gp_cpr_mask_in_place(copy);
    return strcmp(copy, s) == 0;
}
