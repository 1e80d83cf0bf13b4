/* GET /v1/citizens/{cpr}: what is known of a citizen — birth date, age and sex derived from the
 * CPR, and whether any source has returned data for them. */
#include "api/handlers.h"
#include "api/http.h"
#include "lib/citizens.h"
#include "lib/cpr.h"
#include "lib/purpose.h"

#include <string.h>
#include <time.h>

/* Parses the {cpr} path parameter, answering 400 when it is not a valid CPR. */
static bool cpr_param(struct gp_request *req, struct gp_cpr *cpr)
{
    const char *s = gp_req_param(req, "cpr");
    enum gp_cpr_error e = gp_cpr_parse(s, strlen(s), cpr);
    if (e == GP_CPR_OK)
        return true;
    json_t *errors =
        json_pack("{s:[{s:s, s:s}]}", "errors", "field", "cpr", "reason", gp_cpr_error_text(e));
    gp_reply_problem_extra(req, GP_E_INVALID_CPR, errors, "invalid CPR number: %s",
                           gp_cpr_error_text(e));
    return false;
}

/* The purpose is optional until consent rules apply to this route; when given it must be
 * one of the vocabulary. */
static bool purpose_ok(struct gp_request *req)
{
    static const char vocabulary[] = "must be one of rehabilitation, coordinated_effort, "
                                     "target_group_identification, own_case";
    const char *header = gp_req_header(req, "X-Purpose");
    const char *query = gp_req_query(req, "purpose");
    if (header && !gp_purpose_find(header)) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose", vocabulary);
        return false;
    }
    if (query && !gp_purpose_find(query)) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose", vocabulary);
        return false;
    }
    if (header && query && strcmp(header, query) != 0) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose",
                           "differs between the X-Purpose header and the purpose query");
        return false;
    }
    return true;
}

void gp_handle_citizen_get(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!cpr_param(req, &cpr) || !purpose_ok(req))
        return;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    char today[11];
    strftime(today, sizeof today, "%Y-%m-%d", &tm);
    char birth_check[11];
    gp_cpr_birth_date(&cpr, birth_check);
    if (strcmp(birth_check, today) > 0) {
        /* The date exists, but nobody born then has a CPR number yet. */
        gp_reply_bad_field(req, GP_E_INVALID_CPR, "cpr", "has a birth date in the future");
        return;
    }
    struct gp_citizen_seen seen;
    if (!gp_citizen_lookup(req->server->pool, cpr.digits, &seen)) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
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
