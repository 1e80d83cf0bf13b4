/* Declarative parsing of JSON request bodies: see lib/json_spec.h for the contract.
 *
 * The spec is applied in order. Because a field is filled exactly when it is present and not
 * null, a failure at field k is undone by walking fields 0..k-1 again and freeing those that
 * were present: no bookkeeping array, so no allocation and no size limit on a spec. */
#include "lib/core/json_spec.h"

#include "lib/core/cpr.h"
#include "lib/core/date.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool spec_end(const struct gp_jspec *s)
{
    return s->field == NULL || s->type == GP_JT_END;
}

/* Client-supplied text (a member name, jansson's "near '...'") goes into err->detail, which
 * ends up in logs and in a JSON problem reply. Keep it printable ASCII so it can neither forge
 * log lines nor break the reply with invalid UTF-8, mask anything that looks like a CPR (logs
 * never carry one), and cut it at cap bytes. */
static void copy_client_text(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    for (; src[n] != '\0' && n + 1 < cap; n++) {
        unsigned char ch = (unsigned char)src[n];
        dst[n] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    dst[n] = '\0';
    if (src[n] != '\0' && cap >= 4) { /* truncated: say so */
        size_t cut = cap - 4;
        /* A digit run cut in two is no longer recognisable as a CPR: hide its head too. */
        if (src[cut] >= '0' && src[cut] <= '9') {
            for (size_t k = cut; k > 0 && dst[k - 1] >= '0' && dst[k - 1] <= '9'; k--)
                dst[k - 1] = 'x';
        }
        memcpy(dst + cut, "...", 4);
    }
    gp_cpr_mask_in_place(dst);
}

__attribute__((format(printf, 4, 5))) static bool
set_error(struct gp_jspec_error *err, const char *field, const char *reason, const char *fmt, ...)
{
    err->field = field;
    err->reason = reason;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->detail, sizeof err->detail, fmt, ap);
    va_end(ap);
    return false;
}

/* The common case: the detail is "field '<name>' <reason>". */
static bool field_error(struct gp_jspec_error *err, const char *field, const char *reason)
{
    return set_error(err, field, reason, "field '%s' %s", field, reason);
}

/* A JSON string without NUL inside, i.e. one that survives being handed on as a C string. */
static bool is_c_string(const json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static bool store_string(const struct gp_jspec *s, const json_t *v, struct gp_jspec_error *err)
{
    if (s->dest == NULL) /* validate only */
        return true;
    char *copy = strdup(json_string_value(v));
    if (copy == NULL)
        return field_error(err, s->field, "could not be stored (out of memory)");
    *(char **)s->dest = copy;
    return true;
}

/* Objects and arrays are handed out as new references into the document; the document itself
 * is borrowed, hence the cast: taking a reference changes only the count. */
static void store_json(const struct gp_jspec *s, const json_t *v)
{
    if (s->dest != NULL)
        *(json_t **)s->dest = json_incref((json_t *)v);
}

static bool check_enum(const struct gp_jspec *s, const json_t *v, struct gp_jspec_error *err)
{
    if (is_c_string(v) && s->choices != NULL) {
        for (const char *const *c = s->choices; *c != NULL; c++) {
            if (strcmp(*c, json_string_value(v)) == 0)
                return store_string(s, v, err);
        }
    }
    /* Name the choices: someone fixing a request wants the list, not a pointer to the docs. */
    const char *reason = "must be one of the allowed values";
    field_error(err, s->field, reason);
    if (s->choices == NULL || s->choices[0] == NULL) /* a spec bug: fail closed */
        return false;
    int used = snprintf(err->detail, sizeof err->detail, "field '%s' must be one of: %s", s->field,
                        s->choices[0]);
    for (const char *const *c = s->choices + 1; *c != NULL; c++) {
        if (used < 0 || (size_t)used >= sizeof err->detail)
            break; /* truncated: the sentence stays NUL-terminated */
        used += snprintf(err->detail + used, sizeof err->detail - (size_t)used, ", %s", *c);
    }
    return false;
}

static bool check_string_array(const struct gp_jspec *s, const json_t *v,
                               struct gp_jspec_error *err)
{
    static const char reason[] = "must be an array of non-empty strings";
    if (!json_is_array(v))
        return field_error(err, s->field, reason);
    size_t i;
    const json_t *el;
    json_array_foreach(v, i, el)
    {
        if (!is_c_string(el) || json_string_length(el) == 0)
            return set_error(err, s->field, reason,
                             "field '%s' %s (element %zu is not a non-empty string)", s->field,
                             reason, i);
    }
    return true;
}

/* Checks one present, non-null value against its spec and stores it. */
static bool apply_field(const struct gp_jspec *s, const json_t *v, struct gp_jspec_error *err)
{
    switch (s->type) {
    case GP_JT_STRING:
        if (!json_is_string(v))
            return field_error(err, s->field, "must be a string");
        if (!is_c_string(v))
            return field_error(err, s->field, "must not contain NUL characters");
        if (json_string_length(v) == 0 && !s->allow_empty)
            return field_error(err, s->field, "must not be empty");
        if (s->max_len > 0 && json_string_length(v) > s->max_len)
            return set_error(err, s->field, "is too long",
                             "field '%s' must be at most %zu bytes long", s->field, s->max_len);
        return store_string(s, v, err);

    case GP_JT_INT64: {
        if (!json_is_integer(v)) /* 1.0 is a real in JSON's eyes and in jansson's */
            return field_error(err, s->field, "must be an integer");
        int64_t i = (int64_t)json_integer_value(v);
        if (s->min < s->max && (i < s->min || i > s->max))
            return set_error(err, s->field, "is out of range",
                             "field '%s' must be between %" PRId64 " and %" PRId64, s->field,
                             s->min, s->max);
        if (s->dest != NULL)
            *(int64_t *)s->dest = i;
        return true;
    }

    case GP_JT_BOOL:
        if (!json_is_boolean(v))
            return field_error(err, s->field, "must be true or false");
        if (s->dest != NULL)
            *(bool *)s->dest = json_is_true(v);
        return true;

    case GP_JT_DATE:
        if (!is_c_string(v) || !gp_date_valid(json_string_value(v)))
            return field_error(err, s->field, "must be a date YYYY-MM-DD");
        return store_string(s, v, err);

    case GP_JT_ENUM:
        return check_enum(s, v, err);

    case GP_JT_OBJECT:
        if (!json_is_object(v))
            return field_error(err, s->field, "must be an object");
        store_json(s, v);
        return true;

    case GP_JT_ARRAY:
    case GP_JT_STRING_ARRAY:
        if (s->type == GP_JT_ARRAY && !json_is_array(v))
            return field_error(err, s->field, "must be an array");
        if (s->type == GP_JT_STRING_ARRAY && !check_string_array(s, v, err))
            return false;
        if (s->max_len > 0 && json_array_size(v) > s->max_len)
            return set_error(err, s->field, "has too many elements",
                             "field '%s' must have at most %zu elements", s->field, s->max_len);
        store_json(s, v);
        return true;

    case GP_JT_END:
        break;
    }
    /* A spec we cannot apply is our bug, not the client's; still fail closed. */
    return field_error(err, s->field, "has an unsupported type in the server's spec");
}

static void free_dest(const struct gp_jspec *s)
{
    if (s->dest == NULL)
        return;
    switch (s->type) {
    case GP_JT_STRING:
    case GP_JT_DATE:
    case GP_JT_ENUM:
        free(*(char **)s->dest);
        *(char **)s->dest = NULL;
        break;
    case GP_JT_OBJECT:
    case GP_JT_ARRAY:
    case GP_JT_STRING_ARRAY:
        json_decref(*(json_t **)s->dest);
        *(json_t **)s->dest = NULL;
        break;
    case GP_JT_INT64:
        *(int64_t *)s->dest = 0;
        break;
    case GP_JT_BOOL:
        *(bool *)s->dest = false;
        break;
    case GP_JT_END:
        break;
    }
}

static bool is_known(const struct gp_jspec *spec, const char *key)
{
    for (const struct gp_jspec *s = spec; !spec_end(s); s++) {
        if (strcmp(s->field, key) == 0)
            return true;
    }
    return false;
}

bool gp_jspec_parse(const json_t *obj, struct gp_jspec *spec, bool allow_unknown,
                    struct gp_jspec_error *err)
{
    struct gp_jspec_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);

    if (!json_is_object(obj))
        return set_error(err, NULL, "must be a JSON object", "body must be a JSON object");

    /* Unknown members first: for a misspelt "purpse", "not a known field" is the useful
     * answer, not "'purpose' is required". Nothing is filled yet, so nothing to undo. */
    if (!allow_unknown) {
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)obj, key, val)
        {
            if (!is_known(spec, key)) {
                copy_client_text(err->member, sizeof err->member, key);
                return set_error(err, err->member, "is not a known field",
                                 "field '%s' is not a known field", err->member);
            }
        }
    }

    size_t i;
    for (i = 0; !spec_end(&spec[i]); i++) {
        const json_t *v = json_object_get(obj, spec[i].field);
        if (v == NULL || json_is_null(v)) {
            if (spec[i].optional)
                continue;
            field_error(err, spec[i].field, "is required");
            goto undo;
        }
        if (!apply_field(&spec[i], v, err))
            goto undo;
    }
    return true;

undo:
    /* Exactly the fields before i that were present and not null have been filled. */
    for (size_t j = 0; j < i; j++) {
        const json_t *v = json_object_get(obj, spec[j].field);
        if (v != NULL && !json_is_null(v))
            free_dest(&spec[j]);
    }
    return false;
}

bool gp_jspec_parse_buffer(const char *buf, size_t len, struct gp_jspec *spec, bool allow_unknown,
                           struct gp_jspec_error *err)
{
    struct gp_jspec_error scratch;
    if (err == NULL)
        err = &scratch;
    memset(err, 0, sizeof *err);

    if (buf == NULL || len == 0)
        return set_error(err, NULL, "is empty", "body is empty; a JSON object is required");
    /* jansson would reject a NUL too, but with a confusing "invalid token" message. */
    if (memchr(buf, '\0', len) != NULL)
        return set_error(err, NULL, "must not contain NUL bytes",
                         "body must not contain NUL bytes");

    /* DECODE_ANY so that "42" or "null" earn "must be a JSON object" rather than a parse
     * error; duplicate keys are refused because which one wins is a matter of opinion. */
    json_error_t jerr;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (doc == NULL) {
        char text[JSON_ERROR_TEXT_LENGTH];
        copy_client_text(text, sizeof text, jerr.text);
        return set_error(err, NULL, "is not valid JSON",
                         "body is not valid JSON: %s at line %d column %d", text, jerr.line,
                         jerr.column);
    }
    bool ok = gp_jspec_parse(doc, spec, allow_unknown, err);
    json_decref(doc); /* what was stored holds its own references */
    return ok;
}

void gp_jspec_free(struct gp_jspec *spec)
{
    if (spec == NULL)
        return;
    for (struct gp_jspec *s = spec; !spec_end(s); s++)
        free_dest(s);
}
