/* lib/classcache: the classification memo — hits only for the exact key, expiry, replacement
 * on collision, keys too long to keep, and many threads at once. */
#include "lib/federation/classcache.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct gp_class_value V1 = {"kontanthjaelp", "employment", "LAS § 11", "normal"};
static const struct gp_class_value V2 = {"unclassified", "family", "", "highly_sensitive"};

START_TEST(exact_key_only)
{
    struct gp_classcache *cc = gp_classcache_create(1000, 60);
    struct gp_class_key k = {"jobcentre", "kontanthjaelp", "", "2024-01-01"};
    struct gp_class_value out;
    ck_assert(!gp_classcache_get(cc, &k, 0, &out));
    gp_classcache_put(cc, &k, 0, &V1);
    ck_assert(gp_classcache_get(cc, &k, 1, &out));
    ck_assert_str_eq(out.case_type, "kontanthjaelp");
    ck_assert_str_eq(out.legal_basis, "LAS § 11");
    /* Each part of the key matters, and the parts do not run into each other. */
    const struct gp_class_key others[] = {
        {"social", "kontanthjaelp", "", "2024-01-01"},
        {"jobcentre", "kontanthjaelp", "", "2024-01-02"},
        {"jobcentre", "kontanthjaelp", "LAS § 11", "2024-01-01"},
        {"jobcentre", "kontanthjael", "p", "2024-01-01"},
        {"jobcentre", "", "kontanthjaelp", "2024-01-01"},
        {"jobcentre", "kontanthjaelp", "", ""},
    };
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        ck_assert_msg(!gp_classcache_get(cc, &others[i], 1, &out), "key %zu hit", i);
    /* NULL parts are "". */
    struct gp_class_key nulls = {"jobcentre", "kontanthjaelp", NULL, "2024-01-01"};
    ck_assert(gp_classcache_get(cc, &nulls, 1, &out));
    unsigned long long hits, misses;
    gp_classcache_stats(cc, &hits, &misses);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(misses, 1 + sizeof others / sizeof *others);
    gp_classcache_destroy(cc);
}
END_TEST

START_TEST(entries_expire_and_are_replaced)
{
    struct gp_classcache *cc = gp_classcache_create(10, 60);
    struct gp_class_key k = {"family", "X", "SEL § 50", "2023-03-01"};
    struct gp_class_value out;
    gp_classcache_put(cc, &k, 100, &V1);
    ck_assert(gp_classcache_get(cc, &k, 159.9, &out));
    ck_assert(!gp_classcache_get(cc, &k, 160, &out));
    ck_assert(!gp_classcache_get(cc, &k, 99, &out)); /* a clock that went back: not trusted */
    gp_classcache_put(cc, &k, 160, &V2);
    ck_assert(gp_classcache_get(cc, &k, 161, &out));
    ck_assert_str_eq(out.case_type, "unclassified");
    ck_assert_str_eq(out.legal_basis, "");
    /* 64 slots: of 1000 keys most are gone, the last one put is there, and nothing answers
     * for a key it was not put for. */
    char code[32];
    struct gp_class_key kk = {"family", code, "", "2024-01-01"};
    for (int i = 0; i < 1000; i++) {
        snprintf(code, sizeof code, "c%d", i);
        gp_classcache_put(cc, &kk, 200, i % 2 ? &V1 : &V2);
    }
    int kept = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(code, sizeof code, "c%d", i);
        if (gp_classcache_get(cc, &kk, 201, &out)) {
            kept++;
            ck_assert_str_eq(out.case_type, i % 2 ? "kontanthjaelp" : "unclassified");
        }
    }
    ck_assert_int_le(kept, 64);
    ck_assert_int_gt(kept, 0);
    snprintf(code, sizeof code, "c%d", 999);
    ck_assert(gp_classcache_get(cc, &kk, 201, &out));
    gp_classcache_destroy(cc);
}
END_TEST

START_TEST(keys_too_long_are_not_kept)
{
    struct gp_classcache *cc = gp_classcache_create(64, 60);
    char longcode[300];
    memset(longcode, 'x', sizeof longcode - 1);
    longcode[sizeof longcode - 1] = '\0';
    struct gp_class_key k = {"family", longcode, "", "2024-01-01"};
    struct gp_class_value out;
    gp_classcache_put(cc, &k, 0, &V1);
    ck_assert(!gp_classcache_get(cc, &k, 0, &out));
    longcode[200] = '\0';
    gp_classcache_put(cc, &k, 0, &V1);
    ck_assert(gp_classcache_get(cc, &k, 0, &out));
    gp_classcache_destroy(cc);
}
END_TEST

static struct gp_classcache *shared;

static void *hammer(void *arg)
{
    int t = *(int *)arg;
    char code[32];
    struct gp_class_key k = {"jobcentre", code, "", "2024-01-01"};
    struct gp_class_value out;
    for (int i = 0; i < 20000; i++) {
        snprintf(code, sizeof code, "c%d", (i * 7 + t) % 500);
        if (gp_classcache_get(shared, &k, 0, &out))
            ck_assert(!strcmp(out.case_type, "kontanthjaelp") ||
                      !strcmp(out.case_type, "unclassified"));
        else
            gp_classcache_put(shared, &k, 0, t % 2 ? &V1 : &V2);
    }
    return NULL;
}

START_TEST(threads)
{
    shared = gp_classcache_create(256, 60);
    pthread_t th[4];
    int ids[4] = {0, 1, 2, 3};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, hammer, &ids[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    unsigned long long hits, misses;
    gp_classcache_stats(shared, &hits, &misses);
    ck_assert_uint_eq(hits + misses, 80000);
    gp_classcache_destroy(shared);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("classcache");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, exact_key_only);
    tcase_add_test(tc, entries_expire_and_are_replaced);
    tcase_add_test(tc, keys_too_long_are_not_kept);
    tcase_add_test(tc, threads);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
