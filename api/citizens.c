/* GET /v1/citizens/{cpr}: what is known of a citizen — birth date, age and sex derived from the
 * CPR, and whether any source has returned data for them. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"
#include "lib/federation/citizens.h"
#include "lib/core/cpr.h"
#include "lib/core/purpose.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct seen_call {
    const char *cpr;
    struct gp_citizen_seen seen;
    struct gp_audit_entry audit;
};

/* The read and its audit row, in one transaction. */
static enum gp_qs run_seen(struct gp_db_conn *c, void *cls)
{
    struct seen_call *sc = cls;
    enum gp_qs qs = gp_citizen_seen(c, sc->cpr, &sc->seen);
    if (qs < 0)
        return qs;
    gp_audit_set_visibility(&sc->audit, sc->seen.known ? 1u << GP_VIS_FULL : 0);
    enum gp_qs aqs = gp_audit_append(c, &sc->audit, NULL);
    return aqs < 0 ? aqs : qs;
}

void gp_handle_citizen_get(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct seen_call *sc = gp_xcalloc(1, sizeof *sc);
    sc->cpr = cpr.digits;
    gp_citizen_audit_entry(req, cpr.digits, &sc->audit);
    enum gp_qs qs = gp_db_tx(req->server->pool, "citizen_get", GP_DB_READ_COMMITTED, run_seen, sc);
    struct gp_citizen_seen seen = sc->seen;
    free(sc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char birth[11];
    gp_cpr_birth_date(&cpr, birth);
    int age = gp_cpr_age_on(&cpr, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    json_t *body = json_pack("{s:s, s:s, s:i, s:s, s:b, s:b}", "cpr", cpr.digits, "birth_date",
                             birth, "age", age, "sex", cpr.female ? "female" : "male", "modulus11",
                             cpr.modulus11, "known", seen.known);
    json_object_set_new(body, "first_seen",
                        seen.known ? json_string(seen.first_seen) : json_null());
    json_object_set_new(body, "last_seen", seen.known ? json_string(seen.last_seen) : json_null());
    gp_reply_json(req, 200, body);
}
