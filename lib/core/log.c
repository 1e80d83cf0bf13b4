#include "lib/core/log.h"

#include "lib/core/cpr.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = GP_LOG_INFO;
static _Atomic int log_fd = STDERR_FILENO;
static _Thread_local char request_id[65];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void gp_log_set_level(enum gp_log_level level)
{
    atomic_store(&log_level, (int)level);
}

enum gp_log_level gp_log_get_level(void)
{
    return (enum gp_log_level)atomic_load(&log_level);
}

bool gp_log_level_parse(const char *s, enum gp_log_level *out)
{
    if (!s)
        return false;
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum gp_log_level)i;
            return true;
        }
    }
    if (strcmp(s, "warning") == 0) {
        *out = GP_LOG_WARN;
        return true;
    }
    return false;
}

void gp_log_set_request_id(const char *rid)
{
    if (!rid) {
        request_id[0] = '\0';
        return;
    }
    snprintf(request_id, sizeof request_id, "%s", rid);
}

const char *gp_log_request_id(void)
{
    return request_id[0] ? request_id : NULL;
}

void gp_log_set_fd(int fd)
{
    atomic_store(&log_fd, fd < 0 ? STDERR_FILENO : fd);
}

static void timestamp(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000L);
}

/* Masks CPR-looking runs in every string member, recursively. */
static void mask_strings(json_t *v)
{
    if (json_is_string(v)) {
        char *copy = strdup(json_string_value(v));
        if (!copy)
            return;
        gp_cpr_mask_in_place(copy);
        json_string_set(v, copy);
        free(copy);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) mask_strings(m);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *m;
        json_array_foreach(v, i, m) mask_strings(m);
    }
}

void gp_log_json_steal(enum gp_log_level level, json_t *obj)
{
    if (!obj)
        return;
    if ((int)level < atomic_load(&log_level)) {
        json_decref(obj);
        return;
    }
    mask_strings(obj);
    char ts[32];
    timestamp(ts);
    json_t *line = json_object();
    json_object_set_new(line, "ts", json_string(ts));
    json_object_set_new(line, "level", json_string(level_names[level]));
    if (request_id[0])
        json_object_set_new(line, "request_id", json_string(request_id));
    json_object_update(line, obj);
    json_decref(obj);
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(line);
    if (!text)
        return;
    size_t len = strlen(text);
    text[len] = '\n'; /* replace the NUL: one write() keeps lines whole across threads */
    ssize_t off = 0;
    while ((size_t)off < len + 1) {
        ssize_t w = write(atomic_load(&log_fd), text + off, len + 1 - (size_t)off);
        if (w <= 0)
            break;
        off += w;
    }
    free(text);
}

void gp_log_at(enum gp_log_level level, const char *file, int line, const char *fmt, ...)
{
    if ((int)level < atomic_load(&log_level))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *obj = json_object();
    json_object_set_new(obj, "msg", json_string(msg));
    if (!json_object_get(obj, "msg")) /* not UTF-8: keep the line, lose the text */
        json_object_set_new(obj, "msg", json_string("(message not valid UTF-8)"));
    if (file) {
        json_object_set_new(obj, "file", json_string(file));
        json_object_set_new(obj, "line", json_integer(line));
    }
    gp_log_json_steal(level, obj);
}
