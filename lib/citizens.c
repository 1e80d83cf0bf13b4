#include "lib/citizens.h"

#include <stdio.h>
#include <string.h>

static const struct gp_stmt stmt_seen = {
    "citizen_seen",
    "SELECT to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM citizen WHERE cpr = $1"};

struct seen_call {
    const char *cpr;
    struct gp_citizen_seen *out;
};

static enum gp_qs run_seen(struct gp_db_conn *conn, void *cls)
{
    struct seen_call *call = cls;
    const char *p[1] = {call->cpr};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, &stmt_seen, 1, p, &r);
    memset(call->out, 0, sizeof *call->out);
    if (qs == GP_QS_ONE_RESULT) {
        call->out->known = true;
        snprintf(call->out->first_seen, sizeof call->out->first_seen, "%s", PQgetvalue(r, 0, 0));
        snprintf(call->out->last_seen, sizeof call->out->last_seen, "%s", PQgetvalue(r, 0, 1));
    }
    PQclear(r);
    return qs;
}

bool gp_citizen_lookup(struct gp_db_pool *pool, const char *cpr, struct gp_citizen_seen *out)
{
    struct seen_call call = {cpr, out};
    return gp_db_tx(pool, "citizen_lookup", GP_DB_READ_COMMITTED, run_seen, &call) >= 0;
}
