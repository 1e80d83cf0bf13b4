/* GET /v1/citizens/{cpr}: what is known of a citizen — birth date, age and sex derived from the
 * CPR, and whether any source has returned data for them. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "lib/citizens.h"
#include "lib/cpr.h"
#include "lib/purpose.h"

#include <string.h>
#include <time.h>

void gp_handle_citizen_get(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct gp_citizen_seen seen;
    if (!gp_citizen_lookup(req->server->pool, cpr.digits, &seen)) {
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
