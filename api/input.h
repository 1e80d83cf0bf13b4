/* Request input shared by the consent, block, override and audit routes: JSON bodies checked
 * with lib/json_spec so that one answer names every bad field (not only the first), the
 * collected field errors of a 400 or 422, and integer path parameters. */
#ifndef GP_INPUT_H
#define GP_INPUT_H

#include "lib/core/error.h"
#include "lib/core/json_spec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gp_request;

#define GP_FIELD_ERRORS_MAX 32

/* Field errors collected before answering: errors[] of the problem document. */
struct gp_field_errors {
    json_t *list;     /* [{field, reason}], NULL until the first error */
    char detail[512]; /* the first error as a sentence, for the problem's detail */
};

/* Adds one error; field and the formatted reason are copied. Beyond GP_FIELD_ERRORS_MAX
 * errors, further ones are dropped (the count in the detail stays right up to that cap). */
void gp_field_errors_add(struct gp_field_errors *fe, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
size_t gp_field_errors_count(const struct gp_field_errors *fe);
/* Empties fe (accepts one never used). */
void gp_field_errors_clear(struct gp_field_errors *fe);
/* Answers e (GP_E_INVALID_BODY, GP_E_UNPROCESSABLE, ...) naming every collected field, and
 * empties fe. */
void gp_reply_field_errors(struct gp_request *req, enum gp_error e, struct gp_field_errors *fe);

/* Applies spec (see lib/json_spec.h) to obj, checking every field rather than stopping at the
 * first bad one; each bad field is added to fe under prefix + name (prefix "" or "scope.").
 * Unknown members are errors too. Returns true when every field is good. Either way the good
 * fields' destinations are filled and the bad ones' left NULL/0, so that the caller can check
 * more of what is there; it frees them with gp_jspec_free(spec). */
bool gp_input_check_object(const json_t *obj, struct gp_jspec *spec, const char *prefix,
                           struct gp_field_errors *fe);

/* Parses the request's JSON body into *doc (a new reference) and applies spec with
 * gp_input_check_object. A body that is not one JSON object is answered 400 at once (returns
 * false, *doc NULL). Otherwise returns true even when fields were bad: the caller adds its own
 * checks (nested objects, codes) to fe and then answers 400 if fe holds anything, so that one
 * answer names them all. */
bool gp_input_body(struct gp_request *req, struct gp_jspec *spec, json_t **doc,
                   struct gp_field_errors *fe);

/* Parses path parameter `name` as a positive decimal integer; answers 400 naming it otherwise. */
bool gp_input_id_param(struct gp_request *req, const char *name, int64_t *id);

/* Whether s is a code as the database spells them ([a-z][a-z0-9_]*, at most 63 bytes). Client
 * text that passes may be quoted in an error reason. */
bool gp_input_is_code(const char *s);

/* Today's date, UTC, "YYYY-MM-DD". */
void gp_input_today(char out[11]);

#endif
