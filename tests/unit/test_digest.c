/* lib/digest: the build id the answer digests are tied to, and the digest itself — the same for
 * the same answer, different when anything that shapes the records differs (kind, department,
 * bytes, how the bytes split into pages), and never two parts running into each other. */
#include "lib/core/digest.h"

#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

START_TEST(build_id_is_the_executables)
{
    const char *id = gp_build_id();
    /* Debian's toolchain links with --build-id (SHA-1: 20 bytes, 40 hex digits). */
    ck_assert_uint_eq(strlen(id), 40);
    ck_assert_uint_eq(strspn(id, "0123456789abcdef"), 40);
    ck_assert_ptr_eq(gp_build_id(), id);
    /* The very id binutils reads from this test binary's ELF notes. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "readelf -n /proc/%ld/exe 2>/dev/null | grep 'Build ID'",
             (long)getpid());
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    char line[256] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    pclose(p);
    ck_assert_msg(strstr(line, id), "readelf: %s, ours: %s", line, id);
}
END_TEST

static void digest(const char *kind, const char *dept, const char *body, const size_t *pages,
                   size_t n, char out[65])
{
    ck_assert(gp_answer_digest(kind, dept, body, pages, n, out));
    ck_assert_uint_eq(strlen(out), 64);
}

START_TEST(digest_covers_what_shapes_the_records)
{
    const char *body = "{\"a\":1}{\"b\":2}";
    size_t one[] = {strlen(body)};
    size_t two[] = {7, 7};
    char base[65], d[65];
    digest("momentum", "job_centre", body, one, 1, base);
    digest("momentum", "job_centre", body, one, 1, d);
    ck_assert_str_eq(d, base);

    digest("sensum", "job_centre", body, one, 1, d);
    ck_assert_str_ne(d, base);
    digest("momentum", "social_services", body, one, 1, d);
    ck_assert_str_ne(d, base);
    digest("momentum", "job_centre", body, two, 2, d); /* same bytes, two pages */
    ck_assert_str_ne(d, base);
    digest("momentum", "job_centre", "{\"a\":1}{\"b\":3}", one, 1, d);
    ck_assert_str_ne(d, base);
    /* Parts do not run into each other. */
    char a[65], b[65];
    digest("momentumjob", "_centre", body, one, 1, a);
    digest("momentum", "job_centre", body, one, 1, b);
    ck_assert_str_ne(a, b);

    /* It is SHA-256 over the build id, kind, department and pages, each with its length. */
    char input[256];
    int n = snprintf(input, sizeof input, "40:%s8:momentum10:job_centre%zu:%s", gp_build_id(),
                     strlen(body), body);
    unsigned char md[32];
    unsigned mdlen = 0;
    ck_assert(EVP_Digest(input, (size_t)n, md, &mdlen, EVP_sha256(), NULL));
    char hex[65];
    for (unsigned k = 0; k < 32; k++)
        snprintf(hex + 2 * k, 3, "%02x", md[k]);
    ck_assert_str_eq(base, hex);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("digest");
    TCase *tc = tcase_create("digest");
    tcase_add_test(tc, build_id_is_the_executables);
    tcase_add_test(tc, digest_covers_what_shapes_the_records);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
