#include "lib/core/error.h"

struct row {
    int status;
    const char *slug;
    const char *type;
    const char *title;
};

static const struct row rows[] = {
#define X(name, status, slug, title) {status, slug, "urn:glasplade:problem:" slug, title},
#include "lib/core/errors.def"
#undef X
};

_Static_assert(sizeof rows / sizeof rows[0] == GP_E_COUNT_, "one row per error");

static const struct row *row(enum gp_error e)
{
    return &rows[(unsigned)e < GP_E_COUNT_ ? e : GP_E_INTERNAL];
}

int gp_error_status(enum gp_error e)
{
    return row(e)->status;
}

const char *gp_error_title(enum gp_error e)
{
    return row(e)->title;
}

const char *gp_error_type(enum gp_error e)
{
    return row(e)->type;
}

const char *gp_error_slug(enum gp_error e)
{
    return row(e)->slug;
}
