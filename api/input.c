/* Request input shared by the consent, block, override and audit routes. */
#include "api/input.h"

#include "api/http.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void gp_field_errors_add(struct gp_field_errors *fe, const char *field, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (!fe->list) {
        fe->list = json_array();
        snprintf(fe->detail, sizeof fe->detail, "%s %s", field, reason);
    }
    if (json_array_size(fe->list) < GP_FIELD_ERRORS_MAX)
        json_array_append_new(fe->list, json_pack("{s:s, s:s}", "field", field, "reason", reason));
}

size_t gp_field_errors_count(const struct gp_field_errors *fe)
{
    return fe->list ? json_array_size(fe->list) : 0;
}

void gp_field_errors_clear(struct gp_field_errors *fe)
{
    json_decref(fe->list);
    fe->list = NULL;
    fe->detail[0] = '\0';
}

void gp_reply_field_errors(struct gp_request *req, enum gp_error e, struct gp_field_errors *fe)
{
    size_t n = gp_field_errors_count(fe);
    if (n == 0) { /* a caller's bug: still answer, and say which kind */
        gp_reply_problem(req, e, "the request is invalid");
        return;
    }
    json_t *extra = json_pack("{s:O}", "errors", fe->list);
    if (n == 1)
        gp_reply_problem_extra(req, e, extra, "%s", fe->detail);
    else
        gp_reply_problem_extra(req, e, extra, "%zu fields are invalid; the first: %s", n,
                               fe->detail);
    gp_field_errors_clear(fe);
}

/* The reason part of a gp_jspec detail sentence ("field 'x' must be one of: a, b"), which is
 * more telling than err->reason ("must be one of the allowed values"). */
static const char *reason_of(const struct gp_jspec_error *err)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, "field '%s' ", err->field);
    size_t n = strlen(prefix);
    if (!strncmp(err->detail, prefix, n) && err->detail[n])
        return err->detail + n;
    return err->reason;
}

bool gp_input_check_object(const json_t *obj, struct gp_jspec *spec, const char *prefix,
                           struct gp_field_errors *fe)
{
    bool ok = true;
    char name[160];
    struct gp_jspec_error err;
    const char *key;
    json_t *val;
    json_object_foreach((json_t *)obj, key, val)
    {
        bool known = false;
        for (const struct gp_jspec *s = spec; s->field && s->type != GP_JT_END; s++)
            known |= !strcmp(s->field, key);
        if (known)
            continue;
        /* Let json_spec name it: it makes client text safe for logs and replies. */
        json_t *one = json_pack("{s:n}", key);
        struct gp_jspec none[] = {GP_JSPEC_END};
        if (one && !gp_jspec_parse(one, none, false, &err) && err.field) {
            snprintf(name, sizeof name, "%s%s", prefix, err.field);
            gp_field_errors_add(fe, name, "%s", err.reason);
        } else {
            snprintf(name, sizeof name, "%s?", prefix);
            gp_field_errors_add(fe, name, "is not a known field");
        }
        json_decref(one);
        ok = false;
    }
    for (struct gp_jspec *s = spec; s->field && s->type != GP_JT_END; s++) {
        struct gp_jspec one[] = {*s, GP_JSPEC_END};
        if (gp_jspec_parse(obj, one, true, &err))
            continue;
        snprintf(name, sizeof name, "%s%s", prefix, s->field);
        gp_field_errors_add(fe, name, "%s", reason_of(&err));
        ok = false;
    }
    return ok;
}

bool gp_input_body(struct gp_request *req, struct gp_jspec *spec, json_t **doc,
                   struct gp_field_errors *fe)
{
    *doc = NULL;
    /* The document-level checks (empty, NUL bytes, not JSON, duplicate keys, not an object)
     * are json_spec's, with an empty spec that accepts any member. */
    struct gp_jspec any[] = {GP_JSPEC_END};
    struct gp_jspec_error err;
    const char *body = req->body ? req->body : "";
    if (!gp_jspec_parse_buffer(body, req->body_len, any, true, &err)) {
        gp_reply_jspec_error(req, &err);
        return false;
    }
    *doc = json_loadb(body, req->body_len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(*doc)) { /* cannot happen after the check above */
        json_decref(*doc);
        *doc = NULL;
        gp_reply_problem(req, GP_E_INVALID_BODY, "body must be a JSON object");
        return false;
    }
    gp_input_check_object(*doc, spec, "", fe);
    return true;
}

bool gp_input_id_param(struct gp_request *req, const char *name, int64_t *id)
{
    const char *s = gp_req_param(req, name);
    char *end = NULL;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || *end || end == s || v <= 0 || s[0] < '0' || s[0] > '9') {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, name, "must be a positive integer");
        return false;
    }
    *id = v;
    return true;
}

bool gp_input_is_code(const char *s)
{
    size_t n = 0;
    if (!s || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (; s[n]; n++) {
        char c = s[n];
        if (n == 63 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    }
    return true;
}

void gp_input_today(char out[11])
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
