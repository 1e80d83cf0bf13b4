/* Error codes of the service, generated from lib/errors.def. Each has an HTTP status, a stable
 * problem type and a title; replies are built from them by the HTTP layer (api/http.h). */
#ifndef GP_ERROR_H
#define GP_ERROR_H

enum gp_error {
#define X(name, status, slug, title) name,
#include "lib/core/errors.def"
#undef X
    GP_E_COUNT_
};

int gp_error_status(enum gp_error e);
const char *gp_error_title(enum gp_error e);
/* "urn:glasplade:problem:<slug>", static. */
const char *gp_error_type(enum gp_error e);
const char *gp_error_slug(enum gp_error e);

#endif
