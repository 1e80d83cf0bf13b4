/* Request input for the lawful-sharing routes (api/input.c, api/consent_common.c): every bad
 * field of a body is named, not only the first; codes; the status of a consent on a date; the
 * purpose vocabulary's two spellings agree. */
#include "api/consent_common.h"
#include "api/input.h"
#include "lib/core/purpose.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* The "field" members of fe's errors, joined with ",". */
static void fields_of(const struct gp_field_errors *fe, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(fe->list, i, e)
    {
        if (i)
            strncat(out, ",", len - strlen(out) - 1);
        strncat(out, json_string_value(json_object_get(e, "field")), len - strlen(out) - 1);
    }
}

START_TEST(every_bad_field_is_named)
{
    static const char *const colours[] = {"red", "green", NULL};
    char *name = NULL, *colour = NULL, *day = NULL;
    int64_t n = 0;
    json_t *tags = NULL;
    struct gp_jspec spec[] = {
        {.field = "name", .type = GP_JT_STRING, .max_len = 5, .dest = &name},
        {.field = "colour", .type = GP_JT_ENUM, .choices = colours, .dest = &colour},
        {.field = "n", .type = GP_JT_INT64, .optional = true, .min = 1, .max = 9, .dest = &n},
        {.field = "day", .type = GP_JT_DATE, .optional = true, .dest = &day},
        {.field = "tags", .type = GP_JT_STRING_ARRAY, .optional = true, .dest = &tags},
        GP_JSPEC_END,
    };
    json_t *doc = json_loads("{\"name\":\"far too long\",\"colour\":\"blue\",\"n\":10,"
                             "\"day\":\"2026-02-03\",\"tags\":[\"a\"],\"x\":1,\"y\":null}",
                             0, NULL);
    struct gp_field_errors fe = {0};
    ck_assert(!gp_input_check_object(doc, spec, "s.", &fe));
    char fields[256];
    fields_of(&fe, fields, sizeof fields);
    ck_assert_str_eq(fields, "s.x,s.y,s.name,s.colour,s.n");
    /* The reason is the telling one: the choices, the bounds. */
    const char *reason = json_string_value(json_object_get(json_array_get(fe.list, 3), "reason"));
    ck_assert_str_eq(reason, "must be one of: red, green");
    ck_assert_ptr_nonnull(strstr(fe.detail, "s.x"));
    ck_assert_uint_eq(gp_field_errors_count(&fe), 5);
    /* The good fields are filled, the bad ones are not; one free releases them. */
    ck_assert_ptr_null(name);
    ck_assert_ptr_null(colour);
    ck_assert_int_eq(n, 0);
    ck_assert_str_eq(day, "2026-02-03");
    ck_assert_int_eq(json_array_size(tags), 1);
    gp_jspec_free(spec);
    ck_assert_ptr_null(day);
    ck_assert_ptr_null(tags);
    gp_field_errors_clear(&fe);
    ck_assert_uint_eq(gp_field_errors_count(&fe), 0);
    json_decref(doc);

    /* A missing required field is named too; a good object passes. */
    doc = json_loads("{\"colour\":\"red\"}", 0, NULL);
    ck_assert(!gp_input_check_object(doc, spec, "", &fe));
    fields_of(&fe, fields, sizeof fields);
    ck_assert_str_eq(fields, "name");
    gp_field_errors_clear(&fe);
    gp_jspec_free(spec);
    json_decref(doc);
    doc = json_loads("{\"colour\":\"red\",\"name\":\"Ib\"}", 0, NULL);
    ck_assert(gp_input_check_object(doc, spec, "", &fe));
    ck_assert_str_eq(name, "Ib");
    ck_assert_uint_eq(gp_field_errors_count(&fe), 0);
    gp_jspec_free(spec);
    json_decref(doc);
}
END_TEST

START_TEST(unknown_member_names_are_made_safe)
{
    struct gp_jspec spec[] = {GP_JSPEC_END};
    json_t *doc = json_pack("{s:i}", "a\nb 0101901234", 1);
    struct gp_field_errors fe = {0};
    ck_assert(!gp_input_check_object(doc, spec, "", &fe));
    const char *field = json_string_value(json_object_get(json_array_get(fe.list, 0), "field"));
    ck_assert_ptr_null(strchr(field, '\n'));
    ck_assert_ptr_null(strstr(field, "0101901234")); /* a CPR never reaches a log line */
    gp_field_errors_clear(&fe);
    json_decref(doc);
}
END_TEST

START_TEST(errors_are_capped)
{
    struct gp_field_errors fe = {0};
    for (int i = 0; i < GP_FIELD_ERRORS_MAX + 10; i++)
        gp_field_errors_add(&fe, "f", "bad %d", i);
    ck_assert_uint_eq(gp_field_errors_count(&fe), GP_FIELD_ERRORS_MAX);
    ck_assert_str_eq(fe.detail, "f bad 0");
    gp_field_errors_clear(&fe);
}
END_TEST

START_TEST(codes)
{
    static const char *const good[] = {"social", "job_centre", "a", "health_municipal", "x9"};
    static const char *const bad[] = {"", "Social", "9x", "job-centre", "a b", "æ", NULL};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(gp_input_is_code(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!gp_input_is_code(bad[i]), "%s", bad[i] ? bad[i] : "NULL");
    char longest[64];
    memset(longest, 'a', 63);
    longest[63] = '\0';
    ck_assert(gp_input_is_code(longest));
    char too_long[65];
    memset(too_long, 'a', 64);
    too_long[64] = '\0';
    ck_assert(!gp_input_is_code(too_long));
}
END_TEST

START_TEST(status_on_a_date)
{
    ck_assert_str_eq(gp_consent_status("2026-01-01", "", "", "2026-05-05"), "active");
    ck_assert_str_eq(gp_consent_status("2026-01-01", "2026-05-05", "", "2026-05-05"), "active");
    ck_assert_str_eq(gp_consent_status("2026-05-05", "", "", "2026-05-05"), "active");
    ck_assert_str_eq(gp_consent_status("2026-05-06", "", "", "2026-05-05"), "pending");
    ck_assert_str_eq(gp_consent_status("2026-01-01", "2026-05-04", "", "2026-05-05"), "expired");
    ck_assert_str_eq(gp_consent_status("2026-01-01", "", "2026-03-01T10:00:00Z", "2026-05-05"),
                     "withdrawn");
    ck_assert_str_eq(gp_consent_status("2027-01-01", "", "2026-03-01T10:00:00Z", "2026-05-05"),
                     "withdrawn");
}
END_TEST

START_TEST(purpose_codes_match_the_vocabulary)
{
    size_t n = 0;
    for (; gp_purposes[n].code; n++) {
        ck_assert_ptr_nonnull(gp_purpose_codes[n]);
        ck_assert_str_eq(gp_purpose_codes[n], gp_purposes[n].code);
        ck_assert_int_gt(strlen(gp_purposes[n].legal_basis), 20);
    }
    ck_assert_ptr_null(gp_purpose_codes[n]);
    ck_assert_uint_ge(n, 4);
    struct gp_audit_entry e;
    memset(&e, 0, sizeof e);
    gp_audit_set_purpose(&e, "own_case");
    ck_assert_str_eq(e.purpose, "own_case");
    ck_assert_str_eq(e.legal_basis, gp_purpose_find("own_case")->legal_basis);
    gp_audit_set_purpose(&e, "gossip");
    ck_assert_str_eq(e.purpose, "");
    ck_assert_str_eq(e.legal_basis, "");
}
END_TEST

START_TEST(audit_details_fit_or_say_so)
{
    struct gp_audit_entry e;
    memset(&e, 0, sizeof e);
    gp_audit_set_details(&e, json_pack("{s:s, s:i}", "op", "record", "consent_id", 12));
    ck_assert_str_eq(e.details, "{\"op\":\"record\",\"consent_id\":12}");
    char big[4000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    gp_audit_set_details(&e, json_pack("{s:s}", "note", big));
    ck_assert_str_eq(e.details, "{\"truncated\":true}");
    gp_audit_set_details(&e, NULL);
    ck_assert_str_eq(e.details, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("input");
    TCase *tc = tcase_create("input");
    tcase_add_test(tc, every_bad_field_is_named);
    tcase_add_test(tc, unknown_member_names_are_made_safe);
    tcase_add_test(tc, errors_are_capped);
    tcase_add_test(tc, codes);
    tcase_add_test(tc, status_on_a_date);
    tcase_add_test(tc, purpose_codes_match_the_vocabulary);
    tcase_add_test(tc, audit_details_fit_or_say_so);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
