/* The sharing rules' descriptors (lib/sharing/rule.h, lib/sharing/consent.c) without a
 * database: each kind's JSON shape to the letter (the contract's field order, nulls for ""),
 * that the generic functions find a row's id, public id and citizen, who the rules' owners are
 * (who sees what a block or an override says, who may lift a block) as a table, and that
 * asking a kind for what it does not have is refused before any statement runs. */
#include "lib/sharing/consent.h"
#include "lib/sharing/rule.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void assert_json(json_t *j, const char *want)
{
    char *got = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(got, want);
    free(got);
    json_decref(j);
}

START_TEST(consent_json_shape)
{
    struct gp_consent k = {.id = 7, .n_areas = 2, .recorded_by = 3};
    snprintf(k.public_id, sizeof k.public_id, "6f1c0e2a-9b1d-4c3e-8f00-0123456789ab");
    snprintf(k.cpr, sizeof k.cpr, "0101901234");
    snprintf(k.purpose, sizeof k.purpose, "rehabilitation");
    snprintf(k.areas[0], sizeof k.areas[0], "employment");
    snprintf(k.areas[1], sizeof k.areas[1], "social");
    snprintf(k.form, sizeof k.form, "written");
    snprintf(k.valid_from, sizeof k.valid_from, "2026-01-01");
    snprintf(k.evidence_ref, sizeof k.evidence_ref, "J.nr. 12");
    snprintf(k.created_at, sizeof k.created_at, "2026-01-01T10:00:00.000000Z");
    assert_json(gp_rule_consent.to_json(&k, "2026-05-05"),
                "{\"id\":\"6f1c0e2a-9b1d-4c3e-8f00-0123456789ab\",\"cpr\":\"0101901234\","
                "\"purpose\":\"rehabilitation\","
                "\"scope\":{\"areas\":[\"employment\",\"social\"],\"departments\":[]},"
                "\"form\":\"written\",\"valid_from\":\"2026-01-01\",\"valid_until\":null,"
                "\"evidence_ref\":\"J.nr. 12\",\"note\":null,\"recorder_benefits\":false,"
                "\"recorded_by\":3,"
                "\"created_at\":\"2026-01-01T10:00:00.000000Z\",\"status\":\"active\","
                "\"withdrawn_at\":null,\"withdrawn_by\":null,\"withdraw_reason\":null}");
    k.n_departments = 1;
    snprintf(k.departments[0], sizeof k.departments[0], "job_centre");
    snprintf(k.valid_until, sizeof k.valid_until, "2026-12-31");
    k.evidence_ref[0] = '\0';
    snprintf(k.form, sizeof k.form, "oral");
    snprintf(k.note, sizeof k.note, "by phone");
    k.recorder_benefits = true;
    snprintf(k.withdrawn_at, sizeof k.withdrawn_at, "2026-03-01T10:00:00.000000Z");
    k.withdrawn_by = 4;
    snprintf(k.withdraw_reason, sizeof k.withdraw_reason, "citizen asked");
    assert_json(
        gp_rule_consent.to_json(&k, "2026-05-05"),
        "{\"id\":\"6f1c0e2a-9b1d-4c3e-8f00-0123456789ab\",\"cpr\":\"0101901234\","
        "\"purpose\":\"rehabilitation\","
        "\"scope\":{\"areas\":[\"employment\",\"social\"],\"departments\":[\"job_centre\"]},"
        "\"form\":\"oral\",\"valid_from\":\"2026-01-01\",\"valid_until\":\"2026-12-31\","
        "\"evidence_ref\":null,\"note\":\"by phone\",\"recorder_benefits\":true,"
        "\"recorded_by\":3,"
        "\"created_at\":\"2026-01-01T10:00:00.000000Z\",\"status\":\"withdrawn\","
        "\"withdrawn_at\":\"2026-03-01T10:00:00.000000Z\",\"withdrawn_by\":4,"
        "\"withdraw_reason\":\"citizen asked\"}");
}
END_TEST

START_TEST(block_json_shape)
{
    struct gp_block b = {.id = 3, .recorded_by = 2, .n_protects = 1};
    snprintf(b.public_id, sizeof b.public_id, "0b5e4c1d-2f3a-4b5c-9d6e-7f8091a2b3c4");
    snprintf(b.protects[0], sizeof b.protects[0], "social_services");
    snprintf(b.recorded_by_department, sizeof b.recorded_by_department, "job_centre");
    snprintf(b.cpr, sizeof b.cpr, "0202802345");
    snprintf(b.scope_kind, sizeof b.scope_kind, "case_type");
    snprintf(b.scope_value, sizeof b.scope_value, "misbrugsbehandling");
    snprintf(b.valid_from, sizeof b.valid_from, "2026-06-01");
    snprintf(b.created_at, sizeof b.created_at, "2026-05-05T08:00:00.000000Z");
    assert_json(gp_rule_block.to_json(&b, "2026-05-05"),
                "{\"id\":\"0b5e4c1d-2f3a-4b5c-9d6e-7f8091a2b3c4\",\"cpr\":\"0202802345\","
                "\"scope\":{\"kind\":\"case_type\",\"value\":\"misbrugsbehandling\"},"
                "\"valid_from\":\"2026-06-01\",\"valid_until\":null,\"reason\":null,"
                "\"protects\":[\"social_services\"],\"recorded_by_department\":\"job_centre\","
                "\"recorded_by\":2,\"created_at\":\"2026-05-05T08:00:00.000000Z\","
                "\"status\":\"pending\",\"withdrawn_at\":null,\"withdrawn_by\":null,"
                "\"withdraw_reason\":null}");
}
END_TEST

START_TEST(override_json_shape_and_history)
{
    struct gp_override o = {.id = 9, .client_id = 5, .active = true, .minutes = 15};
    snprintf(o.public_id, sizeof o.public_id, "a0a0a0a0-b1b1-4c2c-8d3d-e4e4e4e4e4e4");
    snprintf(o.cpr, sizeof o.cpr, "0303703456");
    snprintf(o.reason_code, sizeof o.reason_code, "acute_risk");
    snprintf(o.note, sizeof o.note, "threat of suicide");
    snprintf(o.created_at, sizeof o.created_at, "2026-05-05T08:00:00.000000Z");
    snprintf(o.expires_at, sizeof o.expires_at, "2026-05-05T08:15:00.000000Z");
    snprintf(o.client_name, sizeof o.client_name, "Kim Koordinator");
    snprintf(o.client_role, sizeof o.client_role, "coordinator");
    assert_json(gp_rule_override.to_json(&o, "2026-05-05"),
                "{\"id\":\"a0a0a0a0-b1b1-4c2c-8d3d-e4e4e4e4e4e4\",\"cpr\":\"0303703456\","
                "\"client\":{\"id\":5,\"name\":"
                "\"Kim Koordinator\",\"role\":\"coordinator\",\"department\":null},"
                "\"reason_code\":\"acute_risk\",\"note\":\"threat of suicide\","
                "\"withheld\":false,\"created_at\":\"2026-05-05T08:00:00.000000Z\","
                "\"expires_at\":\"2026-05-05T08:15:00.000000Z\",\"active\":true}");
    assert_json(gp_rule_override.to_json_withheld(&o, "2026-05-05"),
                "{\"id\":\"a0a0a0a0-b1b1-4c2c-8d3d-e4e4e4e4e4e4\",\"cpr\":\"0303703456\","
                "\"client\":{\"id\":5,\"name\":"
                "\"Kim Koordinator\",\"role\":\"coordinator\",\"department\":null},"
                "\"reason_code\":null,\"note\":null,"
                "\"withheld\":true,\"created_at\":\"2026-05-05T08:00:00.000000Z\","
                "\"expires_at\":\"2026-05-05T08:15:00.000000Z\",\"active\":true}");

    struct gp_consent_event ev[2] = {{.id = 1, .subject_id = 7, .by = 3},
                                     {.id = 2, .subject_id = 7, .by = 4}};
    snprintf(ev[0].event, sizeof ev[0].event, "recorded");
    snprintf(ev[0].at, sizeof ev[0].at, "2026-01-01T10:00:00.000000Z");
    snprintf(ev[1].event, sizeof ev[1].event, "withdrawn");
    snprintf(ev[1].at, sizeof ev[1].at, "2026-03-01T10:00:00.000000Z");
    snprintf(ev[1].reason, sizeof ev[1].reason, "citizen asked");
    struct gp_consent_event_list h = {.n = 2, .items = ev};
    assert_json(gp_rule_history_json(&h),
                "[{\"event\":\"recorded\",\"at\":\"2026-01-01T10:00:00.000000Z\",\"by\":3,"
                "\"reason\":null},{\"event\":\"withdrawn\",\"at\":\"2026-03-01T10:00:00.000000Z\","
                "\"by\":4,\"reason\":\"citizen asked\"}]");
    assert_json(gp_rule_history_json(NULL), "[]");
}
END_TEST

START_TEST(descriptors_find_id_and_citizen)
{
    struct gp_consent k = {.id = 11};
    struct gp_block b = {.id = 12};
    struct gp_override o = {.id = 13};
    snprintf(k.cpr, sizeof k.cpr, "0101901234");
    snprintf(b.cpr, sizeof b.cpr, "0202802345");
    snprintf(o.cpr, sizeof o.cpr, "0303703456");
    ck_assert_int_eq(gp_rule_id(&gp_rule_consent, &k), 11);
    ck_assert_int_eq(gp_rule_id(&gp_rule_block, &b), 12);
    ck_assert_int_eq(gp_rule_id(&gp_rule_override, &o), 13);
    ck_assert_str_eq(gp_rule_cpr(&gp_rule_consent, &k), "0101901234");
    ck_assert_str_eq(gp_rule_cpr(&gp_rule_block, &b), "0202802345");
    ck_assert_str_eq(gp_rule_cpr(&gp_rule_override, &o), "0303703456");
    snprintf(k.public_id, sizeof k.public_id, "k");
    snprintf(b.public_id, sizeof b.public_id, "b");
    snprintf(o.public_id, sizeof o.public_id, "o");
    ck_assert_str_eq(gp_rule_public_id(&gp_rule_consent, &k), "k");
    ck_assert_str_eq(gp_rule_public_id(&gp_rule_block, &b), "b");
    ck_assert_str_eq(gp_rule_public_id(&gp_rule_override, &o), "o");
    ck_assert_uint_eq(gp_rule_consent.size, sizeof k);
    ck_assert_uint_eq(gp_rule_block.size, sizeof b);
    ck_assert_uint_eq(gp_rule_override.size, sizeof o);
    /* Those withdrawn have a URL of their own; an override only expires, and is flagged. */
    ck_assert_str_eq(gp_rule_consent.location_prefix, "/v1/consents/");
    ck_assert_str_eq(gp_rule_block.location_prefix, "/v1/blocks/");
    ck_assert_ptr_null(gp_rule_override.location_prefix);
    ck_assert_ptr_null(gp_rule_override.op_withdraw);
    ck_assert(gp_rule_override.override_used && !gp_rule_block.override_used);
    /* A consent hides nothing and anyone the routes admit may withdraw it. */
    ck_assert_ptr_null(gp_rule_consent.may_see);
    ck_assert_ptr_null(gp_rule_consent.may_withdraw);
    /* A block is left out of lists for those who may not see it; an override is withheld. */
    ck_assert_ptr_null(gp_rule_block.to_json_withheld);
    ck_assert_ptr_nonnull(gp_rule_override.to_json_withheld);
    ck_assert_str_eq(gp_rule_block.see_rule, "block_content");
    ck_assert_str_eq(gp_rule_block.withdraw_rule, "block_withdrawal");
}
END_TEST

START_TEST(public_ids)
{
    ck_assert(gp_rule_public_id_valid("6f1c0e2a-9b1d-4c3e-8f00-0123456789ab"));
    ck_assert(gp_rule_public_id_valid("6F1C0E2A-9B1D-4C3E-8F00-0123456789AB"));
    ck_assert(!gp_rule_public_id_valid("3"));
    ck_assert(!gp_rule_public_id_valid(NULL));
    ck_assert(!gp_rule_public_id_valid("6f1c0e2a-9b1d-4c3e-8f00-0123456789a"));
    ck_assert(!gp_rule_public_id_valid("6f1c0e2a-9b1d-4c3e-8f00-0123456789abc"));
    ck_assert(!gp_rule_public_id_valid("6f1c0e2a09b1d-4c3e-8f00-0123456789ab"));
    ck_assert(!gp_rule_public_id_valid("6f1c0e2a-9b1d-4c3e-8f00-0123456789ag"));
    ck_assert(!gp_rule_public_id_valid("'; DROP TABLE x; --------------------"));
    /* One that is not a UUID names no row, and no statement runs (no connection here). */
    struct gp_block b;
    ck_assert_int_eq(gp_rule_find(NULL, &gp_rule_block, "3", &b), GP_CONSENT_NOT_FOUND);
}
END_TEST

/* Who the rules' owners are: every caller against a block recorded by the job centre on the
 * social area (which protects social services' data) and an override the family department
 * opened, both on citizen 0101901234. Written out by hand. */
START_TEST(owners_of_rules)
{
    struct gp_block b = {.n_protects = 1};
    snprintf(b.cpr, sizeof b.cpr, "0101901234");
    snprintf(b.recorded_by_department, sizeof b.recorded_by_department, "job_centre");
    snprintf(b.protects[0], sizeof b.protects[0], "social_services");
    struct gp_override o = {0};
    snprintf(o.cpr, sizeof o.cpr, "0101901234");
    snprintf(o.client_department, sizeof o.client_department, "family");
    static const struct {
        struct gp_rule_caller who;
        bool sees_block, lifts_block, sees_override;
    } rows[] = {
        /* the recording department */
        {{GP_ROLE_CASEWORKER, "job_centre", ""}, true, true, false},
        {{GP_ROLE_COORDINATOR, "job_centre", ""}, true, true, true},
        /* the department whose data it protects: a caseworker is no owner, a coordinator is */
        {{GP_ROLE_CASEWORKER, "social_services", ""}, false, false, false},
        {{GP_ROLE_COORDINATOR, "social_services", ""}, true, true, true},
        /* a department it restrains */
        {{GP_ROLE_CASEWORKER, "region", ""}, false, false, false},
        {{GP_ROLE_COORDINATOR, "region", ""}, true, false, true},
        /* the override's own department */
        {{GP_ROLE_CASEWORKER, "family", ""}, false, false, true},
        /* auditors see, never lift */
        {{GP_ROLE_AUDITOR, "", ""}, true, false, true},
        /* the citizen: their own, not another's */
        {{GP_ROLE_CITIZEN, "", "0101901234"}, true, true, true},
        {{GP_ROLE_CITIZEN, "", "0202802345"}, false, false, false},
        {{GP_ROLE_CITIZEN, "", ""}, false, false, false},
        /* no department is no department */
        {{GP_ROLE_CASEWORKER, "", ""}, false, false, false},
        {{GP_ROLE_COORDINATOR, "", ""}, true, false, true},
        {{GP_ROLE_ANALYST, "", ""}, false, false, false},
        {{GP_ROLE_ADMIN, "", ""}, false, false, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct gp_rule_caller *w = &rows[i].who;
        ck_assert_msg(gp_rule_block.may_see(w, &b) == rows[i].sees_block, "row %zu sees block", i);
        ck_assert_msg(gp_rule_block.may_withdraw(w, &b) == rows[i].lifts_block,
                      "row %zu lifts block", i);
        ck_assert_msg(gp_rule_override.may_see(w, &o) == rows[i].sees_override,
                      "row %zu sees override", i);
    }
    /* A block of another citizen is not the citizen's to lift. */
    struct gp_rule_caller me = {GP_ROLE_CITIZEN, "", "0101901234"};
    snprintf(b.cpr, sizeof b.cpr, "0202802345");
    ck_assert(!gp_rule_block.may_withdraw(&me, &b) && !gp_rule_block.may_see(&me, &b));
}
END_TEST

START_TEST(what_a_kind_lacks_is_refused_before_any_statement)
{
    /* No connection: a statement run would crash, so these return before one. */
    struct gp_override o;
    struct gp_consent_event_list h = {.n = 3, .items = NULL};
    ck_assert_int_eq(gp_rule_withdraw(NULL, &gp_rule_override, NULL, 1, 1, "x", &o),
                     GP_CONSENT_DB_ERROR);
    ck_assert_int_eq(gp_rule_get(NULL, &gp_rule_override, NULL, 1, &o, &h), GP_CONSENT_DB_ERROR);
    ck_assert_uint_eq(h.n, 0);
    void *items = &o;
    size_t n = 3;
    ck_assert_int_eq(gp_rule_active(NULL, &gp_rule_override, "0303703456", NULL, &items, &n),
                     GP_CONSENT_DB_ERROR);
    ck_assert_ptr_null(items);
    ck_assert_uint_eq(n, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule");
    TCase *tc = tcase_create("rule");
    tcase_add_test(tc, consent_json_shape);
    tcase_add_test(tc, block_json_shape);
    tcase_add_test(tc, override_json_shape_and_history);
    tcase_add_test(tc, descriptors_find_id_and_citizen);
    tcase_add_test(tc, public_ids);
    tcase_add_test(tc, owners_of_rules);
    tcase_add_test(tc, what_a_kind_lacks_is_refused_before_any_statement);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
