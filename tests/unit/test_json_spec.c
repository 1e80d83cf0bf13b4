/* lib/json_spec: every field type against a table of bodies, the document-level errors with
 * jansson's exact words, unknown and duplicate members, cleanup after a partial failure (run
 * under ASan, a leak fails the suite) and the calendar behind GP_JT_DATE. */
#include "lib/core/json_spec.h"

#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

static const char *const forms[] = {"written", "oral", "digital", NULL};

/* One destination of every kind; a row uses the one its type needs. */
struct dests {
    char *str;
    int64_t i;
    bool b;
    json_t *json;
};

static void *dest_for(enum gp_jtype t, struct dests *d)
{
    switch (t) {
    case GP_JT_STRING:
    case GP_JT_DATE:
    case GP_JT_ENUM:
        return &d->str;
    case GP_JT_INT64:
        return &d->i;
    case GP_JT_BOOL:
        return &d->b;
    default:
        return &d->json;
    }
}

/* What was stored, as text to compare with a literal: "(null)" for an empty pointer. */
static void dest_text(enum gp_jtype t, const struct dests *d, char *buf, size_t cap)
{
    switch (t) {
    case GP_JT_STRING:
    case GP_JT_DATE:
    case GP_JT_ENUM:
        snprintf(buf, cap, "%s", d->str ? d->str : "(null)");
        return;
    case GP_JT_INT64:
        snprintf(buf, cap, "%" PRId64, d->i);
        return;
    case GP_JT_BOOL:
        snprintf(buf, cap, "%s", d->b ? "true" : "false");
        return;
    default:
        if (d->json == NULL) {
            snprintf(buf, cap, "(null)");
        } else {
            char *s = json_dumps(d->json, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
            snprintf(buf, cap, "%s", s);
            free(s);
        }
        return;
    }
}

enum { REQ = 0, OPT = 1 };

/* A single field "f"; want is the stored value on success or err.detail on failure. */
static const struct {
    enum gp_jtype type;
    bool optional, allow_empty;
    size_t max_len;
    int64_t min, max;
    const char *body;
    bool ok;
    const char *reason; /* on failure */
    const char *want;
} rows[] = {
    /* STRING */
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":\"abc\"}", true, NULL, "abc"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":\"\\u00e6\\u00f8\"}", true, NULL,
     "\xc3\xa6\xc3\xb8"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":\"\"}", false, "must not be empty",
     "field 'f' must not be empty"},
    {GP_JT_STRING, REQ, true, 0, 0, 0, "{\"f\":\"\"}", true, NULL, ""},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":1}", false, "must be a string",
     "field 'f' must be a string"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":true}", false, "must be a string",
     "field 'f' must be a string"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":[\"a\"]}", false, "must be a string",
     "field 'f' must be a string"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":{}}", false, "must be a string",
     "field 'f' must be a string"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{\"f\":null}", false, "is required",
     "field 'f' is required"},
    {GP_JT_STRING, REQ, false, 0, 0, 0, "{}", false, "is required", "field 'f' is required"},
    {GP_JT_STRING, OPT, false, 0, 0, 0, "{}", true, NULL, "(null)"},
    {GP_JT_STRING, OPT, false, 0, 0, 0, "{\"f\":null}", true, NULL, "(null)"},
    {GP_JT_STRING, OPT, false, 0, 0, 0, "{\"f\":\"\"}", false, "must not be empty",
     "field 'f' must not be empty"},
    {GP_JT_STRING, OPT, false, 0, 0, 0, "{\"f\":2}", false, "must be a string",
     "field 'f' must be a string"},
    {GP_JT_STRING, REQ, false, 3, 0, 0, "{\"f\":\"abc\"}", true, NULL, "abc"},
    {GP_JT_STRING, REQ, false, 3, 0, 0, "{\"f\":\"abcd\"}", false, "is too long",
     "field 'f' must be at most 3 bytes long"},
    {GP_JT_STRING, REQ, false, 3, 0, 0, "{\"f\":\"\\u00e6\"}", true, NULL, "\xc3\xa6"},
    {GP_JT_STRING, REQ, false, 3, 0, 0, "{\"f\":\"\\u00e6\\u00f8\"}", false, "is too long",
     "field 'f' must be at most 3 bytes long"}, /* two letters, four bytes */

    /* INT64 (no range when min == max) */
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":42}", true, NULL, "42"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":-7}", true, NULL, "-7"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":9223372036854775807}", true, NULL,
     "9223372036854775807"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":-9223372036854775808}", true, NULL,
     "-9223372036854775808"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":1.0}", false, "must be an integer",
     "field 'f' must be an integer"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":1e2}", false, "must be an integer",
     "field 'f' must be an integer"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":\"42\"}", false, "must be an integer",
     "field 'f' must be an integer"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":false}", false, "must be an integer",
     "field 'f' must be an integer"},
    {GP_JT_INT64, REQ, false, 0, 0, 0, "{\"f\":null}", false, "is required",
     "field 'f' is required"},
    {GP_JT_INT64, OPT, false, 0, 0, 0, "{\"f\":null}", true, NULL, "0"},
    {GP_JT_INT64, REQ, false, 0, 1, 500, "{\"f\":1}", true, NULL, "1"},
    {GP_JT_INT64, REQ, false, 0, 1, 500, "{\"f\":500}", true, NULL, "500"},
    {GP_JT_INT64, REQ, false, 0, 1, 500, "{\"f\":0}", false, "is out of range",
     "field 'f' must be between 1 and 500"},
    {GP_JT_INT64, REQ, false, 0, 1, 500, "{\"f\":501}", false, "is out of range",
     "field 'f' must be between 1 and 500"},
    {GP_JT_INT64, REQ, false, 0, -10, -5, "{\"f\":-4}", false, "is out of range",
     "field 'f' must be between -10 and -5"},
    {GP_JT_INT64, REQ, false, 0, -10, -5, "{\"f\":-10}", true, NULL, "-10"},

    /* BOOL */
    {GP_JT_BOOL, REQ, false, 0, 0, 0, "{\"f\":true}", true, NULL, "true"},
    {GP_JT_BOOL, REQ, false, 0, 0, 0, "{\"f\":false}", true, NULL, "false"},
    {GP_JT_BOOL, REQ, false, 0, 0, 0, "{\"f\":0}", false, "must be true or false",
     "field 'f' must be true or false"},
    {GP_JT_BOOL, REQ, false, 0, 0, 0, "{\"f\":\"true\"}", false, "must be true or false",
     "field 'f' must be true or false"},
    {GP_JT_BOOL, REQ, false, 0, 0, 0, "{}", false, "is required", "field 'f' is required"},
    {GP_JT_BOOL, OPT, false, 0, 0, 0, "{}", true, NULL, "false"},

    /* DATE */
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":\"2024-02-29\"}", true, NULL, "2024-02-29"},
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":\"2023-02-29\"}", false, "must be a date YYYY-MM-DD",
     "field 'f' must be a date YYYY-MM-DD"},
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":\"2024-2-01\"}", false, "must be a date YYYY-MM-DD",
     "field 'f' must be a date YYYY-MM-DD"},
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":\"2024-01-01T00:00:00Z\"}", false,
     "must be a date YYYY-MM-DD", "field 'f' must be a date YYYY-MM-DD"},
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":20240101}", false, "must be a date YYYY-MM-DD",
     "field 'f' must be a date YYYY-MM-DD"},
    {GP_JT_DATE, REQ, false, 0, 0, 0, "{\"f\":\"\"}", false, "must be a date YYYY-MM-DD",
     "field 'f' must be a date YYYY-MM-DD"},
    {GP_JT_DATE, OPT, false, 0, 0, 0, "{\"f\":null}", true, NULL, "(null)"},

    /* ENUM */
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":\"oral\"}", true, NULL, "oral"},
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":\"digital\"}", true, NULL, "digital"},
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":\"Oral\"}", false,
     "must be one of the allowed values", "field 'f' must be one of: written, oral, digital"},
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":\"\"}", false, "must be one of the allowed values",
     "field 'f' must be one of: written, oral, digital"},
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":1}", false, "must be one of the allowed values",
     "field 'f' must be one of: written, oral, digital"},
    {GP_JT_ENUM, REQ, false, 0, 0, 0, "{\"f\":[\"oral\"]}", false,
     "must be one of the allowed values", "field 'f' must be one of: written, oral, digital"},
    {GP_JT_ENUM, OPT, false, 0, 0, 0, "{}", true, NULL, "(null)"},

    /* OBJECT */
    {GP_JT_OBJECT, REQ, false, 0, 0, 0, "{\"f\":{\"b\":[1],\"a\":1}}", true, NULL,
     "{\"a\":1,\"b\":[1]}"},
    {GP_JT_OBJECT, REQ, false, 0, 0, 0, "{\"f\":{}}", true, NULL, "{}"},
    {GP_JT_OBJECT, REQ, false, 0, 0, 0, "{\"f\":[]}", false, "must be an object",
     "field 'f' must be an object"},
    {GP_JT_OBJECT, REQ, false, 0, 0, 0, "{\"f\":\"{}\"}", false, "must be an object",
     "field 'f' must be an object"},
    {GP_JT_OBJECT, OPT, false, 0, 0, 0, "{\"f\":null}", true, NULL, "(null)"},

    /* ARRAY */
    {GP_JT_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[1,\"a\",null,{}]}", true, NULL,
     "[1,\"a\",null,{}]"},
    {GP_JT_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[]}", true, NULL, "[]"},
    {GP_JT_ARRAY, REQ, false, 0, 0, 0, "{\"f\":{}}", false, "must be an array",
     "field 'f' must be an array"},
    {GP_JT_ARRAY, REQ, false, 2, 0, 0, "{\"f\":[1,2]}", true, NULL, "[1,2]"},
    {GP_JT_ARRAY, REQ, false, 2, 0, 0, "{\"f\":[1,2,3]}", false, "has too many elements",
     "field 'f' must have at most 2 elements"},
    {GP_JT_ARRAY, OPT, false, 0, 0, 0, "{}", true, NULL, "(null)"},

    /* STRING_ARRAY */
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[\"social\",\"family\"]}", true, NULL,
     "[\"social\",\"family\"]"},
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[]}", true, NULL, "[]"},
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[\"a\",\"\"]}", false,
     "must be an array of non-empty strings",
     "field 'f' must be an array of non-empty strings (element 1 is not a non-empty string)"},
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[1]}", false,
     "must be an array of non-empty strings",
     "field 'f' must be an array of non-empty strings (element 0 is not a non-empty string)"},
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":[\"a\",null]}", false,
     "must be an array of non-empty strings",
     "field 'f' must be an array of non-empty strings (element 1 is not a non-empty string)"},
    {GP_JT_STRING_ARRAY, REQ, false, 0, 0, 0, "{\"f\":\"a\"}", false,
     "must be an array of non-empty strings", "field 'f' must be an array of non-empty strings"},
    {GP_JT_STRING_ARRAY, REQ, false, 2, 0, 0, "{\"f\":[\"a\",\"b\",\"c\"]}", false,
     "has too many elements", "field 'f' must have at most 2 elements"},
    {GP_JT_STRING_ARRAY, OPT, false, 0, 0, 0, "{\"f\":null}", true, NULL, "(null)"},
};

START_TEST(test_field_table)
{
    struct dests d = {0};
    struct gp_jspec spec[] = {
        {.field = "f",
         .type = rows[_i].type,
         .optional = rows[_i].optional,
         .allow_empty = rows[_i].allow_empty,
         .max_len = rows[_i].max_len,
         .min = rows[_i].min,
         .max = rows[_i].max,
         .choices = forms,
         .dest = dest_for(rows[_i].type, &d)},
        GP_JSPEC_END,
    };
    struct gp_jspec_error err;
    bool ok = gp_jspec_parse_buffer(rows[_i].body, strlen(rows[_i].body), spec, false, &err);
    char got[256];
    if (rows[_i].ok) {
        ck_assert_msg(ok, "%s: %s", rows[_i].body, err.detail);
        dest_text(rows[_i].type, &d, got, sizeof got);
        ck_assert_str_eq(got, rows[_i].want);
    } else {
        ck_assert_msg(!ok, "%s accepted", rows[_i].body);
        ck_assert_str_eq(err.field, "f");
        ck_assert_str_eq(err.reason, rows[_i].reason);
        ck_assert_str_eq(err.detail, rows[_i].want);
        dest_text(rows[_i].type, &d, got, sizeof got); /* nothing stored */
        ck_assert_str_eq(got, rows[_i].type == GP_JT_INT64  ? "0"
                              : rows[_i].type == GP_JT_BOOL ? "false"
                                                            : "(null)");
    }
    gp_jspec_free(spec);
    dest_text(rows[_i].type, &d, got, sizeof got);
    ck_assert_str_eq(got, rows[_i].type == GP_JT_INT64  ? "0"
                          : rows[_i].type == GP_JT_BOOL ? "false"
                                                        : "(null)");
}
END_TEST

/* ---- a realistic spec: every type at once ---- */

struct consent_body {
    char *purpose, *form, *valid_from, *valid_until, *note;
    int64_t priority;
    bool oral_witnessed;
    json_t *scope, *evidence, *areas;
};

static void consent_spec(struct consent_body *b, struct gp_jspec spec[11])
{
    struct gp_jspec s[] = {
        {.field = "purpose", .type = GP_JT_STRING, .max_len = 200, .dest = &b->purpose},
        {.field = "form", .type = GP_JT_ENUM, .choices = forms, .dest = &b->form},
        {.field = "valid_from", .type = GP_JT_DATE, .dest = &b->valid_from},
        {.field = "valid_until", .type = GP_JT_DATE, .optional = true, .dest = &b->valid_until},
        {.field = "note",
         .type = GP_JT_STRING,
         .optional = true,
         .allow_empty = true,
         .dest = &b->note},
        {.field = "priority",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = 5,
         .dest = &b->priority},
        {.field = "oral_witnessed",
         .type = GP_JT_BOOL,
         .optional = true,
         .dest = &b->oral_witnessed},
        {.field = "scope", .type = GP_JT_OBJECT, .dest = &b->scope},
        {.field = "evidence",
         .type = GP_JT_ARRAY,
         .optional = true,
         .max_len = 3,
         .dest = &b->evidence},
        {.field = "areas", .type = GP_JT_STRING_ARRAY, .max_len = 5, .dest = &b->areas},
        GP_JSPEC_END,
    };
    memcpy(spec, s, sizeof s);
}

static const char full_body[] =
    "{\"purpose\":\"rehabilitation\",\"form\":\"written\",\"valid_from\":\"2024-01-01\","
    "\"valid_until\":\"2024-12-31\",\"note\":\"\",\"priority\":3,\"oral_witnessed\":true,"
    "\"scope\":{\"areas\":[\"social\"]},\"evidence\":[1,2],\"areas\":[\"social\",\"health\"]}";

static void assert_all_clear(const struct consent_body *b)
{
    ck_assert_ptr_null(b->purpose);
    ck_assert_ptr_null(b->form);
    ck_assert_ptr_null(b->valid_from);
    ck_assert_ptr_null(b->valid_until);
    ck_assert_ptr_null(b->note);
    ck_assert_int_eq(b->priority, 0);
    ck_assert_int_eq(b->oral_witnessed, false);
    ck_assert_ptr_null(b->scope);
    ck_assert_ptr_null(b->evidence);
    ck_assert_ptr_null(b->areas);
}

START_TEST(test_all_types_and_free_twice)
{
    struct consent_body b = {0};
    struct gp_jspec spec[11];
    consent_spec(&b, spec);
    struct gp_jspec_error err;
    ck_assert_msg(gp_jspec_parse_buffer(full_body, strlen(full_body), spec, false, &err), "%s",
                  err.detail);
    ck_assert_str_eq(b.purpose, "rehabilitation");
    ck_assert_str_eq(b.form, "written");
    ck_assert_str_eq(b.valid_from, "2024-01-01");
    ck_assert_str_eq(b.valid_until, "2024-12-31");
    ck_assert_str_eq(b.note, "");
    ck_assert_int_eq(b.priority, 3);
    ck_assert_int_eq(b.oral_witnessed, true);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(b.scope, "areas"), 0)),
                     "social");
    ck_assert_int_eq(json_integer_value(json_array_get(b.evidence, 1)), 2);
    ck_assert_str_eq(json_string_value(json_array_get(b.areas, 1)), "health");
    /* the stored references outlive the document, which parse_buffer has already freed */
    ck_assert_int_eq(b.scope->refcount, 1);
    ck_assert_int_eq(b.areas->refcount, 1);

    gp_jspec_free(spec);
    assert_all_clear(&b);
    gp_jspec_free(spec); /* idempotent */
    assert_all_clear(&b);
}
END_TEST

START_TEST(test_free_unparsed_and_null)
{
    struct consent_body b = {0};
    struct gp_jspec spec[11];
    consent_spec(&b, spec);
    gp_jspec_free(spec);
    assert_all_clear(&b);
    gp_jspec_free(NULL);
    struct gp_jspec empty[] = {GP_JSPEC_END};
    gp_jspec_free(empty);
}
END_TEST

START_TEST(test_optional_absent_leaves_dest)
{
    int64_t limit = 50;
    bool flag = true;
    struct gp_jspec spec[] = {
        {.field = "limit", .type = GP_JT_INT64, .optional = true, .dest = &limit},
        {.field = "flag", .type = GP_JT_BOOL, .optional = true, .dest = &flag},
        GP_JSPEC_END,
    };
    ck_assert(gp_jspec_parse_buffer("{\"limit\":null}", 14, spec, false, NULL));
    ck_assert_int_eq(limit, 50);
    ck_assert_int_eq(flag, true);
    ck_assert(gp_jspec_parse_buffer("{\"flag\":false}", 14, spec, false, NULL));
    ck_assert_int_eq(limit, 50);
    ck_assert_int_eq(flag, false);
}
END_TEST

START_TEST(test_null_dest_validates_only)
{
    struct gp_jspec spec[] = {
        {.field = "purpose", .type = GP_JT_STRING, .dest = NULL},
        {.field = "scope", .type = GP_JT_OBJECT, .dest = NULL},
        {.field = "n", .type = GP_JT_INT64, .min = 1, .max = 2, .dest = NULL},
        GP_JSPEC_END,
    };
    const char ok[] = "{\"purpose\":\"x\",\"scope\":{},\"n\":2}";
    ck_assert(gp_jspec_parse_buffer(ok, strlen(ok), spec, false, NULL));
    const char bad[] = "{\"purpose\":\"x\",\"scope\":{},\"n\":3}";
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(bad, strlen(bad), spec, false, &err));
    ck_assert_str_eq(err.detail, "field 'n' must be between 1 and 2");
    gp_jspec_free(spec);
}
END_TEST

/* ---- partial failure: everything filled before the failing field is freed ---- */

START_TEST(test_partial_failure_cleanup)
{
    char *a = NULL, *b = NULL;
    int64_t n = 0;
    struct gp_jspec spec[] = {
        {.field = "a", .type = GP_JT_STRING, .dest = &a},
        {.field = "b", .type = GP_JT_STRING, .dest = &b},
        {.field = "n", .type = GP_JT_INT64, .dest = &n},
        GP_JSPEC_END,
    };
    const char body[] = "{\"a\":\"first\",\"b\":\"second\",\"n\":\"3\"}";
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_str_eq(err.field, "n");
    ck_assert_str_eq(err.detail, "field 'n' must be an integer");
    ck_assert_ptr_null(a); /* freed: ASan's leak check would report them otherwise */
    ck_assert_ptr_null(b);
    ck_assert_int_eq(n, 0);
    gp_jspec_free(spec); /* harmless after a failure */
}
END_TEST

START_TEST(test_partial_failure_cleanup_all_types)
{
    struct consent_body b = {0};
    struct gp_jspec spec[11];
    consent_spec(&b, spec);
    /* every field valid except the last one */
    const char body[] =
        "{\"purpose\":\"p\",\"form\":\"oral\",\"valid_from\":\"2024-01-01\","
        "\"valid_until\":\"2024-12-31\",\"note\":\"n\",\"priority\":3,\"oral_witnessed\":true,"
        "\"scope\":{\"a\":[1]},\"evidence\":[1],\"areas\":[\"social\",7]}";
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_str_eq(err.field, "areas");
    assert_all_clear(&b);
}
END_TEST

START_TEST(test_partial_failure_keeps_untouched)
{
    /* fields after the failure are not reached, so a caller's default survives */
    char *a = NULL;
    int64_t later = 77;
    struct gp_jspec spec[] = {
        {.field = "a", .type = GP_JT_STRING, .dest = &a},
        {.field = "b", .type = GP_JT_BOOL, .dest = NULL},
        {.field = "later", .type = GP_JT_INT64, .optional = true, .dest = &later},
        GP_JSPEC_END,
    };
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer("{\"a\":\"x\"}", 9, spec, false, &err));
    ck_assert_str_eq(err.detail, "field 'b' is required");
    ck_assert_ptr_null(a);
    ck_assert_int_eq(later, 77);
}
END_TEST

/* ---- unknown members ---- */

START_TEST(test_unknown_rejected_or_allowed)
{
    char *purpose = NULL;
    struct gp_jspec spec[] = {
        {.field = "purpose", .type = GP_JT_STRING, .dest = &purpose},
        GP_JSPEC_END,
    };
    const char body[] = "{\"purpose\":\"x\",\"extra\":[1,2]}";
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_str_eq(err.field, "extra");
    ck_assert_str_eq(err.reason, "is not a known field");
    ck_assert_str_eq(err.detail, "field 'extra' is not a known field");
    ck_assert_ptr_null(purpose);

    ck_assert(gp_jspec_parse_buffer(body, strlen(body), spec, true, &err));
    ck_assert_str_eq(purpose, "x");
    gp_jspec_free(spec);
}
END_TEST

START_TEST(test_unknown_reported_before_missing)
{
    char *purpose = NULL;
    struct gp_jspec spec[] = {
        {.field = "purpose", .type = GP_JT_STRING, .dest = &purpose},
        GP_JSPEC_END,
    };
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer("{\"purpse\":\"x\"}", 14, spec, false, &err));
    ck_assert_str_eq(err.detail, "field 'purpse' is not a known field");
    ck_assert(!gp_jspec_parse_buffer("{\"purpse\":\"x\"}", 14, spec, true, &err));
    ck_assert_str_eq(err.detail, "field 'purpose' is required");
    /* names are case-sensitive */
    ck_assert(!gp_jspec_parse_buffer("{\"Purpose\":\"x\"}", 15, spec, false, &err));
    ck_assert_str_eq(err.detail, "field 'Purpose' is not a known field");
}
END_TEST

START_TEST(test_unknown_name_sanitised)
{
    struct gp_jspec spec[] = {GP_JSPEC_END};
    struct gp_jspec_error err;
    /* control characters and non-ASCII become '?' (two for the two bytes of 'æ') */
    const char body[] = "{\"b\\u00e6d\\nname'x\":1}";
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_str_eq(err.field, "b??d?name'x");
    ck_assert_ptr_eq(err.field, err.member);
    ck_assert_str_eq(err.detail, "field 'b??d?name'x' is not a known field");

    /* a CPR used as a member name is masked, since details are logged */
    const char cpr[] = "{\"0101901234\":1}";
    ck_assert(!gp_jspec_parse_buffer(cpr, strlen(cpr), spec, false, &err));
    ck_assert_str_eq(err.detail, "field '010190xxxx' is not a known field");
}
END_TEST

START_TEST(test_unknown_name_truncated)
{
    struct gp_jspec spec[] = {GP_JSPEC_END};
    struct gp_jspec_error err;
    char body[200], name[101];
    memset(name, 'k', 100);
    name[100] = '\0';
    snprintf(body, sizeof body, "{\"%s\":1}", name);
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_uint_eq(strlen(err.member), 63);
    ck_assert_str_eq(err.member + 60, "...");
    ck_assert_int_eq(strncmp(err.member, name, 60), 0);

    /* a digit run cut by the truncation is hidden whole, not left as a CPR's first digits */
    memset(name, 'k', 100);
    memcpy(name + 55, "0101901234", 10);
    snprintf(body, sizeof body, "{\"%s\":1}", name);
    ck_assert(!gp_jspec_parse_buffer(body, strlen(body), spec, false, &err));
    ck_assert_str_eq(err.member + 50, "kkkkkxxxxx...");
}
END_TEST

/* ---- document-level errors ---- */

static const struct {
    const char *body;
    size_t len; /* 0: strlen */
    const char *reason;
    const char *detail;
} doc_rows[] = {
    {"[]", 0, "must be a JSON object", "body must be a JSON object"},
    {"[{\"f\":1}]", 0, "must be a JSON object", "body must be a JSON object"},
    {"42", 0, "must be a JSON object", "body must be a JSON object"},
    {"\"f\"", 0, "must be a JSON object", "body must be a JSON object"},
    {"null", 0, "must be a JSON object", "body must be a JSON object"},
    {"true", 0, "must be a JSON object", "body must be a JSON object"},
    {"", 0, "is empty", "body is empty; a JSON object is required"},
    {"{}\0", 3, "must not contain NUL bytes", "body must not contain NUL bytes"},
    {"{\"f\":\"a\0b\"}", 11, "must not contain NUL bytes", "body must not contain NUL bytes"},
    {"{\"f\":\"a\",\"f\":\"b\"}", 0, "is not valid JSON",
     "body is not valid JSON: duplicate object key near '\"f\"' at line 1 column 12"},
    {"{", 0, "is not valid JSON",
     "body is not valid JSON: string or '}' expected near end of file at line 1 column 1"},
    {"{\"f\":}", 0, "is not valid JSON",
     "body is not valid JSON: unexpected token near '}' at line 1 column 6"},
    {"{'f':1}", 0, "is not valid JSON",
     "body is not valid JSON: string or '}' expected near ''' at line 1 column 2"},
    {"{\"f\":1,}", 0, "is not valid JSON",
     "body is not valid JSON: string or '}' expected near '}' at line 1 column 8"},
    {"nul", 0, "is not valid JSON",
     "body is not valid JSON: invalid token near 'nul' at line 1 column 3"},
    {"{\"f\":\"a\"} x", 0, "is not valid JSON",
     "body is not valid JSON: end of file expected near 'x' at line 1 column 11"},
    /* truncated bodies */
    {"{\"f\":\"ab", 0, "is not valid JSON",
     "body is not valid JSON: premature end of input near '\"ab' at line 1 column 8"},
    {"{\"f\":[1,2", 0, "is not valid JSON",
     "body is not valid JSON: ']' expected near end of file at line 1 column 9"},
    {"{\"f\":1", 0, "is not valid JSON",
     "body is not valid JSON: '}' expected near end of file at line 1 column 6"},
    /* jansson's own words, made printable: the 0xff byte never reaches the reply */
    {"{\"f\":\"\xff\"}", 0, "is not valid JSON",
     "body is not valid JSON: unable to decode byte 0xff near '\"' at line 1 column 6"},
    {"{\"f\":9223372036854775808}", 0, "is not valid JSON",
     "body is not valid JSON: too big integer near '922337xxxxxxxxxxxxx' at line 1 column 24"},
    {"{\"f\":\"a\\u0000b\"}", 0, "is not valid JSON",
     "body is not valid JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near "
     "'\"a\\u0000b\"' at line 1 column 15"},
    /* a CPR in jansson's "near" text is masked: details are logged */
    {"{\"cpr\":\"0101901234", 0, "is not valid JSON",
     "body is not valid JSON: premature end of input near '\"010190xxxx' at line 1 column 18"},
    {"{\"a\":\n\n  tru}", 0, "is not valid JSON",
     "body is not valid JSON: invalid token near 'tru' at line 3 column 5"},
};

START_TEST(test_document_errors)
{
    char *f = NULL;
    struct gp_jspec spec[] = {
        {.field = "f", .type = GP_JT_STRING, .optional = true, .dest = &f},
        GP_JSPEC_END,
    };
    size_t len = doc_rows[_i].len ? doc_rows[_i].len : strlen(doc_rows[_i].body);
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(doc_rows[_i].body, len, spec, false, &err));
    ck_assert_ptr_null(err.field);
    ck_assert_str_eq(err.reason, doc_rows[_i].reason);
    ck_assert_str_eq(err.detail, doc_rows[_i].detail);
    ck_assert_ptr_null(f);
}
END_TEST

START_TEST(test_deep_nesting_rejected)
{
    /* jansson caps the depth (2048); deeper input is an error, not a stack overflow */
    size_t depth = 5000;
    char *body = malloc(depth + 8);
    ck_assert_ptr_nonnull(body);
    memcpy(body, "{\"f\":", 5);
    memset(body + 5, '[', depth);
    struct gp_jspec spec[] = {{.field = "f", .type = GP_JT_ARRAY}, GP_JSPEC_END};
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer(body, depth + 5, spec, false, &err));
    ck_assert_str_eq(err.reason, "is not valid JSON");
    ck_assert_ptr_nonnull(strstr(err.detail, "maximum parsing depth reached"));
    free(body);
}
END_TEST

START_TEST(test_parse_buffer_not_terminated)
{
    /* only len bytes are read: the trailing garbage is outside the body */
    const char buf[] = "{\"f\":\"x\"}GARBAGE";
    char *f = NULL;
    struct gp_jspec spec[] = {{.field = "f", .type = GP_JT_STRING, .dest = &f}, GP_JSPEC_END};
    ck_assert(gp_jspec_parse_buffer(buf, 9, spec, false, NULL));
    ck_assert_str_eq(f, "x");
    gp_jspec_free(spec);
    ck_assert(!gp_jspec_parse_buffer(NULL, 0, spec, false, NULL));
}
END_TEST

/* ---- gp_jspec_parse on a built object: what jansson's parser never lets through ---- */

START_TEST(test_parse_object_nul_inside_strings)
{
    struct gp_jspec_error err;
    char *s = NULL;
    json_t *areas = NULL;
    struct gp_jspec spec[] = {
        {.field = "s", .type = GP_JT_STRING, .optional = true, .dest = &s},
        {.field = "d", .type = GP_JT_DATE, .optional = true},
        {.field = "e", .type = GP_JT_ENUM, .optional = true, .choices = forms},
        {.field = "areas", .type = GP_JT_STRING_ARRAY, .optional = true, .dest = &areas},
        GP_JSPEC_END,
    };
    json_t *o = json_object();
    json_object_set_new(o, "s", json_stringn("a\0b", 3));
    ck_assert(!gp_jspec_parse(o, spec, false, &err));
    ck_assert_str_eq(err.detail, "field 's' must not contain NUL characters");

    json_object_set_new(o, "s", json_string("ok"));
    json_object_set_new(o, "d", json_stringn("2024-01-01\0x", 12));
    ck_assert(!gp_jspec_parse(o, spec, false, &err));
    ck_assert_str_eq(err.detail, "field 'd' must be a date YYYY-MM-DD");
    ck_assert_ptr_null(s); /* "s" was filled, then undone */

    json_object_del(o, "d");
    json_object_set_new(o, "e", json_stringn("oral\0x", 6));
    ck_assert(!gp_jspec_parse(o, spec, false, &err));
    ck_assert_str_eq(err.field, "e");

    json_object_del(o, "e");
    json_object_set_new(o, "areas", json_pack("[s, s%]", "a", "b\0c", (size_t)3));
    ck_assert(!gp_jspec_parse(o, spec, false, &err));
    ck_assert_str_eq(err.field, "areas");
    ck_assert_ptr_null(areas);

    ck_assert(!gp_jspec_parse(NULL, spec, false, &err));
    ck_assert_str_eq(err.detail, "body must be a JSON object");
    json_t *arr = json_array();
    ck_assert(!gp_jspec_parse(arr, spec, false, &err));
    ck_assert_str_eq(err.detail, "body must be a JSON object");
    json_decref(arr);
    json_decref(o);
}
END_TEST

START_TEST(test_parse_object_borrowed)
{
    json_t *scope = NULL;
    struct gp_jspec spec[] = {{.field = "scope", .type = GP_JT_OBJECT, .dest = &scope},
                              GP_JSPEC_END};
    json_t *o = json_pack("{s:{s:i}}", "scope", "n", 1);
    ck_assert(gp_jspec_parse(o, spec, false, NULL));
    ck_assert_ptr_eq(scope, json_object_get(o, "scope"));
    ck_assert_int_eq(scope->refcount, 2); /* ours and the document's */
    json_decref(o);
    ck_assert_int_eq(scope->refcount, 1);
    gp_jspec_free(spec);
    ck_assert_ptr_null(scope);
}
END_TEST

START_TEST(test_enum_detail_truncated)
{
    /* many long choices: the sentence is cut, but stays a NUL-terminated string */
    static const char *const many[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "cccccccccccccccccccccccccccccccccccccccc", "dddddddddddddddddddddddddddddddddddddddd",
        "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee", "ffffffffffffffffffffffffffffffffffffffff",
        "gggggggggggggggggggggggggggggggggggggggg", NULL};
    struct gp_jspec spec[] = {{.field = "e", .type = GP_JT_ENUM, .choices = many}, GP_JSPEC_END};
    struct gp_jspec_error err;
    ck_assert(!gp_jspec_parse_buffer("{\"e\":\"x\"}", 9, spec, false, &err));
    ck_assert_uint_eq(strlen(err.detail), sizeof err.detail - 1);
    ck_assert_int_eq(strncmp(err.detail, "field 'e' must be one of: aaaa", 30), 0);
}
END_TEST

/* ---- calendar ---- */

static const struct {
    const char *s;
    bool valid;
} date_rows[] = {
    {"2024-02-29", true},
    {"2023-02-29", false},
    {"2000-02-29", true},
    {"1900-02-29", false},
    {"2100-02-29", false},
    {"1800-02-29", false},
    {"1804-02-29", true},
    {"2400-02-29", true},
    {"2024-02-28", true},
    {"2024-02-30", false},
    {"1800-01-01", true},
    {"1799-12-31", false},
    {"9999-12-31", true},
    {"0000-01-01", false},
    {"2024-01-31", true},
    {"2024-04-30", true},
    {"2024-04-31", false},
    {"2024-06-31", false},
    {"2024-09-31", false},
    {"2024-11-31", false},
    {"2024-12-31", true},
    {"2024-13-01", false},
    {"2024-00-10", false},
    {"2024-01-00", false},
    {"2024-01-32", false},
    {"2024-2-01", false},
    {"2024-02-1", false},
    {"2024-1-011", false},
    {"2024-02-01x", false},
    {"2024-02-01 ", false},
    {" 2024-02-01", false},
    {"2024-02-01\n", false},
    {"2024/02/01", false},
    {"20240201", false},
    {"2024-02-0a", false},
    {"+024-01-01", false},
    {"-024-01-01", false},
    {"10000-01-01", false},
    {"", false},
    {"2024-02-01T00:00", false},
    {"\xef\xbc\x92"
     "024-02-01",
     false},
};

START_TEST(test_date_valid)
{
    ck_assert_msg(gp_date_valid(date_rows[_i].s) == date_rows[_i].valid, "\"%s\"", date_rows[_i].s);
}
END_TEST

START_TEST(test_date_null)
{
    ck_assert(!gp_date_valid(NULL));
}
END_TEST

static Suite *json_spec_suite(void)
{
    Suite *s = suite_create("json_spec");
    TCase *tc = tcase_create("fields");
    tcase_add_loop_test(tc, test_field_table, 0, N_ROWS(rows));
    tcase_add_test(tc, test_all_types_and_free_twice);
    tcase_add_test(tc, test_free_unparsed_and_null);
    tcase_add_test(tc, test_optional_absent_leaves_dest);
    tcase_add_test(tc, test_null_dest_validates_only);
    tcase_add_test(tc, test_enum_detail_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("cleanup");
    tcase_add_test(tc, test_partial_failure_cleanup);
    tcase_add_test(tc, test_partial_failure_cleanup_all_types);
    tcase_add_test(tc, test_partial_failure_keeps_untouched);
    suite_add_tcase(s, tc);

    tc = tcase_create("members");
    tcase_add_test(tc, test_unknown_rejected_or_allowed);
    tcase_add_test(tc, test_unknown_reported_before_missing);
    tcase_add_test(tc, test_unknown_name_sanitised);
    tcase_add_test(tc, test_unknown_name_truncated);
    suite_add_tcase(s, tc);

    tc = tcase_create("document");
    tcase_add_loop_test(tc, test_document_errors, 0, N_ROWS(doc_rows));
    tcase_add_test(tc, test_deep_nesting_rejected);
    tcase_add_test(tc, test_parse_buffer_not_terminated);
    tcase_add_test(tc, test_parse_object_nul_inside_strings);
    tcase_add_test(tc, test_parse_object_borrowed);
    suite_add_tcase(s, tc);

    tc = tcase_create("date");
    tcase_add_loop_test(tc, test_date_valid, 0, N_ROWS(date_rows));
    tcase_add_test(tc, test_date_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_spec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
