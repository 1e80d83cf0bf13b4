/* What the index knows of a citizen (table citizen). */
#ifndef GP_CITIZENS_H
#define GP_CITIZENS_H

#include "lib/db/db.h"

#include <stdbool.h>

struct gp_citizen_seen {
    bool known;          /* a source has returned data for this CPR */
    char first_seen[40]; /* ISO 8601 UTC, "" when unknown */
    char last_seen[40];
};

/* Looks up cpr (ten digits) inside the caller's transaction. */
enum gp_qs gp_citizen_seen(struct gp_db_conn *c, const char *cpr, struct gp_citizen_seen *out);

#endif
