/* Consents: a citizen's consent to share data across departments for one purpose, scoped to
 * areas (and optionally departments), for a period. Recorded by the citizen themselves (form
 * digital, the only form theirs may have) or by caseworkers and coordinators on the citizen's
 * behalf (recorded_by is the token's client), who must make it evident: a written consent
 * names where the signed form is kept (evidence_ref), an oral one says how it was given (note)
 * and lasts at most GLASPLADE_ORAL_CONSENT_MAX_DAYS (its end by default). A consent that opens
 * another department's data to the recorder's own is flagged (recorder_benefits) in its
 * answer, its audit row and the citizen's access log. Never deleted or edited, only withdrawn,
 * once.
 *
 *   POST /v1/citizens/{cpr}/consents   record one: 201 with Location /v1/consents/{id}
 *   GET  /v1/citizens/{cpr}/consents   the citizen's consents, active and past, newest first
 *   GET  /v1/consents/{id}             one consent with its history ({id}: its public id)
 *   POST /v1/consents/{id}/withdraw    withdraw it (a reason is required); idempotent
 *
 * api/rule_routes.c serves them as it serves blocks and overrides; what is a consent's own is
 * here: its body, and the check of its scope. A change is audited with action "consent" under
 * the consent's own purpose, a read with the caller's. A consent for a citizen no source knows
 * yet is allowed: consent may come first. */
#include "api/http.h"
#include "api/input.h"
#include "api/rule_routes.h"
#include "api/sharing_handlers.h"
#include "lib/core/purpose.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const form_choices[] = {"written", "oral", "digital", NULL};

static bool contains(const char (*list)[32], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(list[i], s))
            return true;
    }
    return false;
}

/* date ("YYYY-MM-DD", valid) plus days into out. */
static void add_days(const char *date, int days, char out[11])
{
    struct tm tm = {0};
    sscanf(date, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    tm.tm_mday += days;
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Who may use which form: the citizen records their own consent digitally, and only so;
 * digital is self-service, never a caseworker's. An oral consent lasts at most the configured
 * days. */
static void check_form(const struct gp_request *req, const struct gp_consent *k,
                       struct gp_field_errors *fe)
{
    bool citizen = req->client.role == GP_ROLE_CITIZEN;
    bool digital = !strcmp(k->form, "digital");
    if (citizen && !digital)
        gp_field_errors_add(fe, "form", "a citizen's own consent is digital");
    if (!citizen && digital)
        gp_field_errors_add(fe, "form",
                            "digital is the citizen's own (self-service) form: record a written "
                            "consent with evidence_ref, or an oral one with a note");
    if (!citizen && !strcmp(k->form, "oral")) {
        char last[11];
        add_days(k->valid_from, req->server->cfg->oral_consent_max_days, last);
        if (strcmp(k->valid_until, last) > 0)
            gp_field_errors_add(fe, "valid_until",
                                "an oral consent lasts at most %d days: until %s at the latest",
                                req->server->cfg->oral_consent_max_days, last);
    }
}

/* Every area and department of the scope must be known, and every department must belong to
 * one of the areas; the form must be one the caller may use. */
static enum gp_consent_rc check_consent(struct gp_db_conn *c, const struct gp_request *req,
                                        const void *in, struct gp_field_errors *fe)
{
    const struct gp_consent *k = in;
    gp_rule_check_period(k->valid_from, k->valid_until, fe);
    check_form(req, k, fe);
    char area[32];
    bool known;
    enum gp_consent_rc rc;
    for (size_t i = 0; i < k->n_areas; i++) {
        rc = gp_scope_code_area(c, "area", k->areas[i], area, &known);
        if (rc != GP_CONSENT_OK)
            return rc;
        if (!known)
            gp_field_errors_add(fe, "scope.areas", "'%s' is not a known area", k->areas[i]);
    }
    for (size_t i = 0; i < k->n_departments; i++) {
        rc = gp_scope_code_area(c, "department", k->departments[i], area, &known);
        if (rc != GP_CONSENT_OK)
            return rc;
        if (!known)
            gp_field_errors_add(fe, "scope.departments", "'%s' is not a known department",
                                k->departments[i]);
        else if (!contains(k->areas, k->n_areas, area))
            gp_field_errors_add(fe, "scope.departments",
                                "'%s' belongs to the area '%s', which scope.areas does not name",
                                k->departments[i], area);
    }
    return GP_CONSENT_OK;
}

/* NULL, empty or only blanks. */
static bool blank(const char *s)
{
    return !s || strspn(s, " \t\r\n") == strlen(s);
}

/* Checks an array of codes from the body (already known to be non-empty strings): the shape
 * of each code, no duplicates, and the length the stored struct allows. */
static size_t copy_codes(const json_t *arr, const char *field, const char *what, char *dst,
                         size_t width, struct gp_field_errors *fe)
{
    size_t i, n = 0;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (!gp_input_is_code(s) || strlen(s) >= width) {
            gp_field_errors_add(fe, field, "element %zu is not %s code", i, what);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup |= !strcmp(dst + k * width, s);
        if (dup) {
            gp_field_errors_add(fe, field, "names '%s' twice", s);
            continue;
        }
        snprintf(dst + n * width, width, "%s", s);
        n++;
    }
    return n;
}

static bool parse_consent(struct gp_request *req, const char *cpr, void *in,
                          struct gp_field_errors *fe)
{
    struct gp_consent *k = in;
    char *purpose = NULL, *form = NULL, *valid_from = NULL, *valid_until = NULL, *evidence = NULL,
         *note = NULL;
    json_t *scope = NULL, *areas = NULL, *departments = NULL, *doc = NULL;
    struct gp_jspec spec[] = {
        {.field = "purpose", .type = GP_JT_ENUM, .choices = gp_purpose_codes, .dest = &purpose},
        {.field = "scope", .type = GP_JT_OBJECT, .dest = &scope},
        {.field = "form", .type = GP_JT_ENUM, .choices = form_choices, .dest = &form},
        {.field = "valid_from", .type = GP_JT_DATE, .optional = true, .dest = &valid_from},
        {.field = "valid_until", .type = GP_JT_DATE, .optional = true, .dest = &valid_until},
        {.field = "evidence_ref",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = 255,
         .dest = &evidence},
        {.field = "note", .type = GP_JT_STRING, .optional = true, .max_len = 500, .dest = &note},
        GP_JSPEC_END,
    };
    struct gp_jspec scope_spec[] = {
        {.field = "areas",
         .type = GP_JT_STRING_ARRAY,
         .max_len = GP_CONSENT_MAX_AREAS,
         .dest = &areas},
        {.field = "departments",
         .type = GP_JT_STRING_ARRAY,
         .optional = true,
         .max_len = GP_CONSENT_MAX_DEPARTMENTS,
         .dest = &departments},
        GP_JSPEC_END,
    };
    if (!gp_input_body(req, spec, &doc, fe))
        return false;
    if (scope)
        gp_input_check_object(scope, scope_spec, "scope.", fe);
    if (areas) {
        if (json_array_size(areas) == 0)
            gp_field_errors_add(fe, "scope.areas", "must name at least one area");
        k->n_areas =
            copy_codes(areas, "scope.areas", "an area", &k->areas[0][0], sizeof k->areas[0], fe);
    }
    if (departments)
        k->n_departments = copy_codes(departments, "scope.departments", "a department",
                                      &k->departments[0][0], sizeof k->departments[0], fe);
    /* Evidence of a consent recorded on the citizen's behalf. */
    if (form && !strcmp(form, "written") && blank(evidence))
        gp_field_errors_add(fe, "evidence_ref",
                            "is required for a written consent: where the signed form is kept");
    if (form && !strcmp(form, "oral") && blank(note))
        gp_field_errors_add(fe, "note",
                            "is required for an oral consent: how and when the citizen gave it");
    if (!gp_field_errors_count(fe)) {
        snprintf(k->cpr, sizeof k->cpr, "%s", cpr);
        snprintf(k->purpose, sizeof k->purpose, "%s", purpose);
        snprintf(k->form, sizeof k->form, "%s", form);
        gp_rule_set_period(k->valid_from, k->valid_until, valid_from, valid_until);
        if (!strcmp(form, "oral") && !valid_until && req->client.role != GP_ROLE_CITIZEN)
            add_days(k->valid_from, req->server->cfg->oral_consent_max_days, k->valid_until);
        snprintf(k->evidence_ref, sizeof k->evidence_ref, "%s", evidence ? evidence : "");
        snprintf(k->note, sizeof k->note, "%s", note ? note : "");
        k->recorded_by = req->client.id;
    }
    gp_jspec_free(scope_spec);
    gp_jspec_free(spec);
    json_decref(doc);
    return true;
}

static const struct gp_rule_route consent_route = {
    .kind = &gp_rule_consent,
    .parse = parse_consent,
    .check = check_consent,
    .body_codes = true,
};

void gp_handle_consents_post(struct gp_request *req)
{
    gp_rule_handle_record(req, &consent_route);
}

void gp_handle_consents_list(struct gp_request *req)
{
    gp_rule_handle_list(req, &gp_rule_consent);
}

void gp_handle_consent_get(struct gp_request *req)
{
    gp_rule_handle_get(req, &gp_rule_consent);
}

void gp_handle_consent_withdraw(struct gp_request *req)
{
    gp_rule_handle_withdraw(req, &gp_rule_consent);
}
