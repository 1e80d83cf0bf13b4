/* Declarative parsing of JSON request bodies, after GNU Taler's JSON specifications.
 *
 * A handler describes the fields it expects as an array of gp_jspec terminated by
 * GP_JSPEC_END; gp_jspec_parse() checks types, copies values into the destinations and, on the
 * first failure, frees everything it had already filled in and names the field. Handlers thus
 * receive a parsed, validated struct and never see raw JSON.
 *
 * Ownership: strings are malloc'd copies (free with gp_jspec_free or free()); objects/arrays are
 * new references (json_decref). gp_jspec_free(spec) releases all destinations of a spec that
 * parsed successfully and resets them to NULL/0, so calling it twice is harmless.
 *
 * Destinations should be NULL/0 before parsing. A field is filled exactly when it is present
 * and not null; on failure every destination filled by that call is freed and reset to NULL/0,
 * the others are left as they were. A NULL dest validates the field without keeping it. */
#ifndef GP_JSON_SPEC_H
#define GP_JSON_SPEC_H

/* GP_JT_DATE follows gp_date_valid (lib/core/date.h), which this header has long declared:
 * included for its callers. */
#include "lib/core/date.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gp_jtype {
    GP_JT_END = 0,
    GP_JT_STRING,       /* char **dest; non-empty unless allow_empty; max_len bytes if > 0 */
    GP_JT_INT64,        /* int64_t *dest; JSON integer within [min, max] when min < max */
    GP_JT_BOOL,         /* bool *dest */
    GP_JT_DATE,         /* char **dest; "YYYY-MM-DD", a real calendar date (gp_date_valid) */
    GP_JT_ENUM,         /* char **dest; one of the NULL-terminated choices */
    GP_JT_OBJECT,       /* json_t **dest; any JSON object */
    GP_JT_ARRAY,        /* json_t **dest; any JSON array (max_len elements if > 0) */
    GP_JT_STRING_ARRAY, /* json_t **dest; array of non-empty strings (max_len elements if > 0) */
};

struct gp_jspec {
    const char *field; /* member name; "scope.areas" is NOT supported: nest with OBJECT */
    enum gp_jtype type;
    bool optional; /* absent or null leaves dest untouched (NULL/0); for a required field
                      null counts as absent ("is required") */
    bool allow_empty;
    size_t max_len;
    int64_t min, max;
    const char *const *choices;
    void *dest;
};

// clang-format off
#define GP_JSPEC_END {.field = NULL, .type = GP_JT_END}
// clang-format on

/* Result of a parse: on failure, which field and why (static strings, the field name from
 * the spec, or for an unknown member a pointer to the copy in member). All text is printable
 * ASCII: client-supplied names and jansson's messages are sanitised ('?' for anything else)
 * and CPR-looking numbers in them masked (gp_cpr_mask_in_place), as details get logged. */
struct gp_jspec_error {
    const char *field;  /* NULL when the document itself is wrong (not JSON, not an object) */
    const char *reason; /* e.g. "is required", "must be a string", "must be a date YYYY-MM-DD" */
    char detail[256];   /* a full sentence: "field 'purpose' is required" */
    char member[64];    /* unknown member's name, sanitised and cut ("..."); field points here,
                           so use field before copying or discarding this struct */
};

/* Parses buf (len bytes, need not be NUL-terminated; embedded NUL rejected) as one JSON object
 * and applies spec. Unknown members are rejected (reason "is not a known field") unless
 * allow_unknown; they are checked before the spec's fields. Duplicate keys are rejected.
 * Returns true on success. On failure every destination this call filled is NULL/0 again.
 * err may be NULL. Out of memory is reported like a client error (jansson does the same). */
bool gp_jspec_parse_buffer(const char *buf, size_t len, struct gp_jspec *spec, bool allow_unknown,
                           struct gp_jspec_error *err);

/* Same for an already parsed object (borrowed). */
bool gp_jspec_parse(const json_t *obj, struct gp_jspec *spec, bool allow_unknown,
                    struct gp_jspec_error *err);

/* Frees all destinations of spec and zeroes them. Accepts specs that were never parsed. */
void gp_jspec_free(struct gp_jspec *spec);

#endif
