/* libFuzzer target for lib/json_spec: arbitrary bytes as a request body, against a spec with
 * every field type. Checks the contract, not just the absence of crashes: on success every
 * destination honours its spec, on failure every destination is empty again and the detail is
 * a printable sentence; leaks are caught by LeakSanitizer. */
#include "lib/core/json_spec.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const forms[] = {"written", "oral", "digital", NULL};

struct body {
    char *purpose, *note, *valid_from, *valid_until, *form;
    int64_t limit;
    bool active;
    json_t *scope, *items, *areas;
};

#define N_FIELDS 10

static void make_spec(struct body *b, struct gp_jspec spec[N_FIELDS + 1])
{
    struct gp_jspec s[N_FIELDS + 1] = {
        {.field = "purpose", .type = GP_JT_STRING, .max_len = 64, .dest = &b->purpose},
        {.field = "note",
         .type = GP_JT_STRING,
         .optional = true,
         .allow_empty = true,
         .dest = &b->note},
        {.field = "limit",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = 500,
         .dest = &b->limit},
        {.field = "active", .type = GP_JT_BOOL, .optional = true, .dest = &b->active},
        {.field = "valid_from", .type = GP_JT_DATE, .dest = &b->valid_from},
        {.field = "valid_until", .type = GP_JT_DATE, .optional = true, .dest = &b->valid_until},
        {.field = "form", .type = GP_JT_ENUM, .choices = forms, .dest = &b->form},
        {.field = "scope", .type = GP_JT_OBJECT, .optional = true, .dest = &b->scope},
        {.field = "items", .type = GP_JT_ARRAY, .optional = true, .max_len = 8, .dest = &b->items},
        {.field = "areas",
         .type = GP_JT_STRING_ARRAY,
         .optional = true,
         .max_len = 5,
         .dest = &b->areas},
        GP_JSPEC_END,
    };
    memcpy(spec, s, sizeof s);
}

static bool is_empty(const struct body *b)
{
    return !b->purpose && !b->note && !b->valid_from && !b->valid_until && !b->form &&
           b->limit == 0 && !b->active && !b->scope && !b->items && !b->areas;
}

static void check_success(const struct body *b)
{
    CHECK(b->purpose && b->purpose[0] != '\0' && strlen(b->purpose) <= 64);
    CHECK(b->valid_from && gp_date_valid(b->valid_from));
    CHECK(!b->valid_until || gp_date_valid(b->valid_until));
    CHECK(b->form && (strcmp(b->form, "written") == 0 || strcmp(b->form, "oral") == 0 ||
                      strcmp(b->form, "digital") == 0));
    CHECK(b->limit == 0 || (b->limit >= 1 && b->limit <= 500));
    /* the document is gone: stored references are ours alone */
    CHECK(!b->scope || (json_is_object(b->scope) && b->scope->refcount == 1));
    CHECK(!b->items || (json_is_array(b->items) && json_array_size(b->items) <= 8));
    if (b->areas) {
        CHECK(json_is_array(b->areas) && json_array_size(b->areas) <= 5);
        size_t i;
        json_t *el;
        json_array_foreach(b->areas, i, el)
        {
            CHECK(json_is_string(el) && json_string_length(el) > 0);
        }
    }
}

static void check_failure(const struct body *b, const struct gp_jspec_error *err)
{
    CHECK(is_empty(b));
    CHECK(err->reason != NULL && err->detail[0] != '\0');
    for (const char *p = err->detail; *p != '\0'; p++) /* safe to log and to put in JSON */
        CHECK(*p >= 0x20 && *p < 0x7f);
}

/* Returns whether the parse succeeded; leaves every destination empty either way. */
static bool run(const uint8_t *data, size_t size, bool allow_unknown)
{
    struct body b = {0};
    struct gp_jspec spec[N_FIELDS + 1];
    make_spec(&b, spec);
    struct gp_jspec_error err;
    bool ok = gp_jspec_parse_buffer((const char *)data, size, spec, allow_unknown, &err);
    if (ok)
        check_success(&b);
    else
        check_failure(&b, &err);
    gp_jspec_free(spec);
    CHECK(is_empty(&b));
    gp_jspec_free(spec); /* idempotent */
    return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool strict = run(data, size, false);
    bool lenient = run(data, size, true);
    CHECK(!strict || lenient); /* allowing unknown members never rejects more */

    /* the calendar check on the raw bytes as a C string */
    char *s = malloc(size + 1);
    CHECK(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    if (gp_date_valid(s))
        CHECK(strlen(s) == 10 && s[4] == '-' && s[7] == '-');
    free(s);
    return 0;
}
