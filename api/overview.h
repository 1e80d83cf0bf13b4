/* The CPR button's answer, shared by GET /v1/citizens/{cpr}/overview and its streamed form
 * (api/overview_stream.c): one function builds it, so the stream's last line is exactly what
 * the overview answers. */
#ifndef GP_OVERVIEW_H
#define GP_OVERVIEW_H

#include "lib/federation/press.h"

#include <jansson.h>

/* The overview of a stored press: cpr, refresh, status, completeness, sources[], areas[] (each
 * as far as the caller may see it) and redacted. A new reference. */
json_t *gp_overview_body(const struct gp_press *p);

#endif
