/* Fault configuration: parsing, JSON, the shared table and per-request decisions. */
#include "cmd/deptsim/faults.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ds_fault_is_clear(const struct ds_fault *f)
{
    return f->latency_ms == 0 && f->jitter_ms == 0 && f->error_rate == 0.0 && !f->hang &&
           !f->refuse && !f->malformed && !f->truncate && f->drip_bytes_per_sec == 0 &&
           f->oversize_bytes == 0 && f->wrong_content_type[0] == '\0' && f->page_max == 0;
}

static bool parse_long(const char *v, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

static bool parse_bool(const char *v, bool *out)
{
    if (!v || !strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "yes")) {
        *out = true;
        return true;
    }
    if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "no")) {
        *out = false;
        return true;
    }
    return false;
}

static bool valid_content_type(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= DS_CONTENT_TYPE_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false; /* no header injection */
    }
    return true;
}

/* One key=value (value NULL for a bare flag). */
static bool set_field(struct ds_fault *f, const char *key, const char *val, char *err,
                      size_t errlen)
{
    long n;
    bool b;
    if (!strcmp(key, "latency") || !strcmp(key, "latency_ms")) {
        if (!val || !parse_long(val, 0, DS_LATENCY_MAX_MS, &n))
            goto bad;
        f->latency_ms = (int)n;
    } else if (!strcmp(key, "jitter") || !strcmp(key, "jitter_ms")) {
        if (!val || !parse_long(val, 0, DS_LATENCY_MAX_MS, &n))
            goto bad;
        f->jitter_ms = (int)n;
    } else if (!strcmp(key, "error_rate") || !strcmp(key, "errors")) {
        char *end;
        errno = 0;
        double d = val ? strtod(val, &end) : -1;
        if (!val || errno || end == val || *end || !(d >= 0.0 && d <= 1.0))
            goto bad;
        f->error_rate = d;
    } else if (!strcmp(key, "error_status") || !strcmp(key, "status")) {
        if (!val || !parse_long(val, 0, 599, &n) || (n != 0 && n < 400))
            goto bad;
        f->error_status = (int)n;
    } else if (!strcmp(key, "hang")) {
        if (!parse_bool(val, &b))
            goto bad;
        f->hang = b;
    } else if (!strcmp(key, "refuse")) {
        if (!parse_bool(val, &b))
            goto bad;
        f->refuse = b;
    } else if (!strcmp(key, "malformed")) {
        if (!parse_bool(val, &b))
            goto bad;
        f->malformed = b;
    } else if (!strcmp(key, "truncate")) {
        if (!parse_bool(val, &b))
            goto bad;
        f->truncate = b;
    } else if (!strcmp(key, "drip") || !strcmp(key, "drip_bytes_per_sec")) {
        if (!val || !parse_long(val, 0, 100000000, &n))
            goto bad;
        f->drip_bytes_per_sec = (int)n;
    } else if (!strcmp(key, "oversize") || !strcmp(key, "oversize_bytes")) {
        if (!val || !parse_long(val, 0, DS_OVERSIZE_MAX, &n))
            goto bad;
        f->oversize_bytes = n;
    } else if (!strcmp(key, "page_max")) {
        if (!val || !parse_long(val, 0, 1000, &n))
            goto bad;
        f->page_max = (int)n;
    } else if (!strcmp(key, "wrong_content_type") || !strcmp(key, "content_type")) {
        const char *ct = val ? val : "text/html; charset=utf-8";
        if (!strcmp(ct, "0") || !strcmp(ct, "false") || !strcmp(ct, "off")) {
            f->wrong_content_type[0] = '\0';
        } else if (!strcmp(ct, "1") || !strcmp(ct, "true") || !strcmp(ct, "on")) {
            snprintf(f->wrong_content_type, sizeof f->wrong_content_type, "%s",
                     "text/html; charset=utf-8");
        } else {
            if (!valid_content_type(ct))
                goto bad;
            snprintf(f->wrong_content_type, sizeof f->wrong_content_type, "%s", ct);
        }
    } else {
        snprintf(err, errlen, "unknown fault '%s'", key);
        return false;
    }
    return true;
bad:
    snprintf(err, errlen, "bad value for fault '%s'", key);
    return false;
}

bool ds_fault_parse_spec(const char *spec, struct ds_fault *f, char *err, size_t errlen)
{
    char buf[512];
    if (strlen(spec) >= sizeof buf) {
        snprintf(err, errlen, "fault spec too long");
        return false;
    }
    snprintf(buf, sizeof buf, "%s", spec);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        char *eq = strchr(tok, '=');
        if (eq)
            *eq = '\0';
        if (!set_field(f, tok, eq ? eq + 1 : NULL, err, errlen))
            return false;
    }
    return true;
}

bool ds_faults_parse(const char *text, struct ds_fault faults[DS_NSYSTEMS], char *err,
                     size_t errlen)
{
    char buf[2048];
    if (strlen(text) >= sizeof buf) {
        snprintf(err, errlen, "fault list too long");
        return false;
    }
    snprintf(buf, sizeof buf, "%s", text);
    char *save = NULL;
    for (char *item = strtok_r(buf, ";|\n", &save); item; item = strtok_r(NULL, ";|\n", &save)) {
        while (*item == ' ')
            item++;
        if (!*item)
            continue;
        char *colon = strchr(item, ':');
        if (!colon) {
            snprintf(err, errlen, "'%s': expected system:fault[,fault…]", item);
            return false;
        }
        *colon = '\0';
        int s = ds_system_from_name(item);
        if (s < 0 && strcmp(item, "all") != 0) {
            snprintf(err, errlen,
                     "unknown system '%s' (jobcentre, social, health, region, "
                     "family, all)",
                     item);
            return false;
        }
        for (int i = 0; i < DS_NSYSTEMS; i++) {
            if ((s < 0 || s == i) && !ds_fault_parse_spec(colon + 1, &faults[i], err, errlen))
                return false;
        }
    }
    return true;
}

bool ds_fault_from_json(const json_t *j, struct ds_fault *f, bool merge, char *err, size_t errlen)
{
    struct ds_fault tmp;
    if (merge)
        tmp = *f;
    else
        memset(&tmp, 0, sizeof tmp);
    if (!json_is_object(j)) {
        snprintf(err, errlen, "body must be a JSON object");
        return false;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)j, key, v)
    {
        char val[DS_CONTENT_TYPE_MAX + 8];
        if (json_is_boolean(v))
            snprintf(val, sizeof val, "%s", json_is_true(v) ? "true" : "false");
        else if (json_is_integer(v))
            snprintf(val, sizeof val, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            snprintf(val, sizeof val, "%.17g", json_real_value(v));
        else if (json_is_string(v) && !strcmp(key, "wrong_content_type"))
            snprintf(val, sizeof val, "%s", json_string_value(v));
        else if (json_is_null(v) && !strcmp(key, "wrong_content_type"))
            snprintf(val, sizeof val, "off");
        else {
            snprintf(err, errlen, "field '%s' has the wrong type", key);
            return false;
        }
        if (!strcmp(key, "wrong_content_type") && json_is_string(v) &&
            !valid_content_type(json_string_value(v))) {
            snprintf(err, errlen, "field 'wrong_content_type' is not a content type");
            return false;
        }
        /* JSON names only: the short spec aliases are for the command line. */
        static const char *const names[] = {"latency_ms",
                                            "jitter_ms",
                                            "error_rate",
                                            "error_status",
                                            "hang",
                                            "refuse",
                                            "malformed",
                                            "truncate",
                                            "drip_bytes_per_sec",
                                            "oversize_bytes",
                                            "wrong_content_type",
                                            "page_max"};
        bool known = false;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            known = known || !strcmp(key, names[i]);
        if (!known) {
            snprintf(err, errlen, "unknown field '%s'", key);
            return false;
        }
        if (!set_field(&tmp, key, val, err, errlen))
            return false;
    }
    *f = tmp;
    return true;
}

json_t *ds_fault_to_json(const struct ds_fault *f)
{
    return json_pack("{s:i, s:i, s:f, s:i, s:b, s:b, s:b, s:b, s:i, s:I, s:o, s:i, s:b}",
                     "latency_ms", f->latency_ms, "jitter_ms", f->jitter_ms, "error_rate",
                     f->error_rate, "error_status", f->error_status, "hang", f->hang, "refuse",
                     f->refuse, "malformed", f->malformed, "truncate", f->truncate,
                     "drip_bytes_per_sec", f->drip_bytes_per_sec, "oversize_bytes",
                     (json_int_t)f->oversize_bytes, "wrong_content_type",
                     f->wrong_content_type[0] ? json_string(f->wrong_content_type) : json_null(),
                     "page_max", f->page_max, "active", !ds_fault_is_clear(f));
}

void ds_faultset_init(struct ds_faultset *fs)
{
    pthread_mutex_init(&fs->mu, NULL);
    memset(fs->f, 0, sizeof fs->f);
}

void ds_faultset_destroy(struct ds_faultset *fs)
{
    pthread_mutex_destroy(&fs->mu);
}

void ds_faultset_get(struct ds_faultset *fs, enum ds_system s, struct ds_fault *out)
{
    pthread_mutex_lock(&fs->mu);
    *out = fs->f[s];
    pthread_mutex_unlock(&fs->mu);
}

void ds_faultset_set(struct ds_faultset *fs, enum ds_system s, const struct ds_fault *f)
{
    pthread_mutex_lock(&fs->mu);
    fs->f[s] = *f;
    pthread_mutex_unlock(&fs->mu);
}

void ds_fault_decide(const struct ds_fault *f, uint64_t rnd1, uint64_t rnd2,
                     struct ds_fault_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    int delay = f->latency_ms;
    if (f->jitter_ms > 0) /* uniform in [-jitter, +jitter] */
        delay += (int)(rnd1 % (uint64_t)(2 * f->jitter_ms + 1)) - f->jitter_ms;
    plan->delay_ms = delay > 0 ? delay : 0;
    double u = (double)(rnd2 >> 11) * (1.0 / 9007199254740992.0);
    if (f->error_rate > 0.0 && u < f->error_rate) {
        plan->error = true;
        plan->error_status =
            f->error_status ? (unsigned)f->error_status : ((rnd2 & 1) ? 503u : 500u);
    }
}

char *ds_fault_malform(const char *body, size_t len, size_t *out_len)
{
    /* Drop the closing brace and end inside an unterminated member: `…,"` — what a proxy
     * that cuts a response and pads it with its own bytes produces. Same length + 2. */
    char *out = malloc(len + 3);
    if (!out)
        return NULL;
    size_t keep = len > 0 ? len - 1 : 0;
    memcpy(out, body, keep);
    memcpy(out + keep, ",\"x", 3);
    *out_len = keep + 3;
    return out;
}

static const char pad_head[] = ",\"_padding\":\"";
static const char pad_tail[] = "\"}";

size_t ds_fault_oversize_len(size_t len, long target)
{
    size_t min = len - 1 + (sizeof pad_head - 1) + (sizeof pad_tail - 1);
    if (len == 0 || target <= 0 || (size_t)target <= min)
        return len;
    return (size_t)target;
}

void ds_fault_oversize_read(const char *body, size_t len, size_t total, size_t at, char *buf,
                            size_t n)
{
    size_t head = len - 1, hl = sizeof pad_head - 1, tl = sizeof pad_tail - 1;
    for (size_t i = 0; i < n; i++) {
        size_t p = at + i;
        char ch;
        if (total == len)
            ch = body[p];
        else if (p < head)
            ch = body[p];
        else if (p < head + hl)
            ch = pad_head[p - head];
        else if (p >= total - tl)
            ch = pad_tail[p - (total - tl)];
        else
            ch = 'x';
        buf[i] = ch;
    }
}
