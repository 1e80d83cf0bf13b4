/* JSON-lines logging to stderr. */
#include "cmd/deptsim/log.h"

#include "cmd/deptsim/cpr.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void now_iso(char *buf, size_t len)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

void ds_log(const char *level, json_t *obj)
{
    if (!obj)
        return;
    char ts[40];
    now_iso(ts, sizeof ts);
    /* ts and level first: easier to read with plain tools as well as jq. */
    json_t *line = json_pack("{s:s, s:s}", "ts", ts, "level", level);
    if (line) {
        json_object_update(line, obj);
        char *s = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
        if (s) {
            size_t n = strlen(s);
            s[n] = '\n'; /* json_dumps' NUL becomes the newline: one write per line */
            ssize_t w = write(STDERR_FILENO, s, n + 1);
            (void)w;
            free(s);
        }
        json_decref(line);
    }
    json_decref(obj);
}

void ds_logf(const char *level, const char *fmt, ...)
{
    char msg[1024], clean[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ds_log_sanitize(msg, clean, sizeof clean);
    ds_log(level, json_pack("{s:s}", "msg", clean));
}

void ds_log_sanitize(const char *s, char *out, size_t len)
{
    if (len == 0)
        return;
    size_t o = 0;
    for (; s && *s && o + 1 < len; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[o] = '\0';
    ds_cpr_mask_in_place(out);
}
