/* The visibility policy as a table: every role, own and other department, every purpose,
 * shared and never-shared case types, every status. The expected value is computed from the
 * rules written out once more below, independently of lib/policy.c's structure, and a few
 * rows are pinned by hand. */
#include "lib/policy.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const enum gp_role roles[] = {GP_ROLE_CASEWORKER, GP_ROLE_COORDINATOR, GP_ROLE_ANALYST,
                                     GP_ROLE_AUDITOR, GP_ROLE_ADMIN};
static const char *const callers_dept[] = {"job_centre", "social_services", ""};
static const char *const purposes[] = {NULL, "rehabilitation", "coordinated_effort",
                                       "target_group_identification", "own_case"};
static const char *const statuses[] = {"open", "closed", "planned"};

static enum gp_visibility expected(enum gp_role role, const char *cdept, const char *purpose,
                                   const char *rdept, bool cross, const char *status)
{
    bool reads = role == GP_ROLE_CASEWORKER || role == GP_ROLE_COORDINATOR;
    if (!reads)
        return GP_VIS_HIDDEN;
    if (*cdept && !strcmp(cdept, rdept))
        return GP_VIS_FULL;
    if (!cross)
        return GP_VIS_HIDDEN;
    if (purpose && !strcmp(purpose, "target_group_identification") && !strcmp(status, "open"))
        return GP_VIS_SUMMARY;
    return GP_VIS_EXISTENCE;
}

START_TEST(exhaustive_table)
{
    size_t rows = 0;
    for (size_t r = 0; r < 5; r++)
        for (size_t d = 0; d < 3; d++)
            for (size_t p = 0; p < 5; p++)
                for (int cross = 0; cross < 2; cross++)
                    for (size_t s = 0; s < 3; s++) {
                        struct gp_policy_caller c = {roles[r], callers_dept[d], purposes[p]};
                        struct gp_policy_record rec = {"social_services", "social", "bostoette",
                                                       cross, statuses[s]};
                        enum gp_visibility got = gp_policy_decide(&c, &rec);
                        enum gp_visibility want = expected(roles[r], callers_dept[d], purposes[p],
                                                           "social_services", cross, statuses[s]);
                        ck_assert_msg(got == want,
                                      "role %s dept '%s' purpose %s cross %d status %s: got %s, "
                                      "want %s",
                                      gp_role_name(roles[r]), callers_dept[d],
                                      purposes[p] ? purposes[p] : "none", cross, statuses[s],
                                      gp_visibility_name(got), gp_visibility_name(want));
                        rows++;
                    }
    ck_assert_int_eq(rows, 450);
}
END_TEST

START_TEST(pinned_rows)
{
    struct gp_policy_record social = {"social_services", "social", "bostoette", true, "open"};
    struct gp_policy_record boligsikring = {"social_services", "social", "boligsikring", false,
                                            "open"};
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_caller soc = {GP_ROLE_CASEWORKER, "social_services", NULL};
    struct gp_policy_caller tgi = {GP_ROLE_COORDINATOR, "job_centre",
                                   "target_group_identification"};
    struct gp_policy_caller admin = {GP_ROLE_ADMIN, "", NULL};
    ck_assert_int_eq(gp_policy_decide(&job, &social), GP_VIS_EXISTENCE);
    ck_assert_int_eq(gp_policy_decide(&soc, &social), GP_VIS_FULL);
    ck_assert_int_eq(gp_policy_decide(&soc, &boligsikring), GP_VIS_FULL);
    ck_assert_int_eq(gp_policy_decide(&job, &boligsikring), GP_VIS_HIDDEN);
    ck_assert_int_eq(gp_policy_decide(&tgi, &social), GP_VIS_SUMMARY);
    ck_assert_int_eq(gp_policy_decide(&tgi, &boligsikring), GP_VIS_HIDDEN);
    ck_assert_int_eq(gp_policy_decide(&admin, &social), GP_VIS_HIDDEN);
    social.status = "closed";
    ck_assert_int_eq(gp_policy_decide(&tgi, &social), GP_VIS_EXISTENCE);
    /* A department-less caller is never "own department", even for a department-less record. */
    struct gp_policy_caller nodept = {GP_ROLE_CASEWORKER, "", NULL};
    struct gp_policy_record odd = {"", "social", "x", true, "open"};
    ck_assert_int_eq(gp_policy_decide(&nodept, &odd), GP_VIS_EXISTENCE);
    struct gp_policy_caller nulldept = {GP_ROLE_CASEWORKER, NULL, NULL};
    ck_assert_int_eq(gp_policy_decide(&nulldept, &social), GP_VIS_EXISTENCE);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(gp_visibility_name(GP_VIS_FULL), "full");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_SUMMARY), "summary");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_EXISTENCE), "existence");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_HIDDEN), "hidden");
    ck_assert(GP_VIS_FULL > GP_VIS_SUMMARY && GP_VIS_SUMMARY > GP_VIS_EXISTENCE &&
              GP_VIS_EXISTENCE > GP_VIS_HIDDEN);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("decide");
    tcase_add_test(tc, exhaustive_table);
    tcase_add_test(tc, pinned_rows);
    tcase_add_test(tc, names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
