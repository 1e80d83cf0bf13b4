#include "lib/federation/citizens.h"
#include "lib/db/stmt.h"

#include <stdio.h>
#include <string.h>

static const struct gp_stmt stmt_seen = {
    "citizen_seen",
    "SELECT to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM citizen WHERE cpr = $1"};

enum gp_qs gp_citizen_seen(struct gp_db_conn *c, const char *cpr, struct gp_citizen_seen *out)
{
    const char *p[1] = {cpr};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_seen, 1, p, &r);
    memset(out, 0, sizeof *out);
    if (qs == GP_QS_ONE_RESULT) {
        out->known = true;
        snprintf(out->first_seen, sizeof out->first_seen, "%s", PQgetvalue(r, 0, 0));
        snprintf(out->last_seen, sizeof out->last_seen, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return qs;
}
