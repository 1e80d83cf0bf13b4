/* Addresses and prefixes (lib/core/netaddr.h), and the failed-authentication throttle
 * (api/throttle.h) with time passed in. */
#include "api/throttle.h"
#include "lib/core/netaddr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct gp_ipaddr addr(const char *s)
{
    struct gp_ipaddr a;
    ck_assert_msg(gp_ipaddr_parse(s, &a), "%s", s);
    return a;
}

START_TEST(prefixes)
{
    struct gp_ipprefix p;
    ck_assert(gp_ipprefix_parse("10.0.0.0/8", &p));
    struct gp_ipaddr in = addr("10.200.3.4"), out = addr("11.0.0.1");
    ck_assert(gp_ipprefix_match(&p, &in));
    ck_assert(!gp_ipprefix_match(&p, &out));
    ck_assert(gp_ipprefix_parse("192.168.1.7", &p)); /* one address */
    struct gp_ipaddr same = addr("192.168.1.7"), next = addr("192.168.1.8");
    ck_assert(gp_ipprefix_match(&p, &same));
    ck_assert(!gp_ipprefix_match(&p, &next));
    ck_assert(gp_ipprefix_parse("172.16.0.0/12", &p));
    struct gp_ipaddr edge = addr("172.31.255.255"), past = addr("172.32.0.0");
    ck_assert(gp_ipprefix_match(&p, &edge));
    ck_assert(!gp_ipprefix_match(&p, &past));
    ck_assert(gp_ipprefix_parse("2001:db8::/32", &p));
    struct gp_ipaddr v6 = addr("2001:db8:1::5"), v6out = addr("2001:db9::1");
    ck_assert(gp_ipprefix_match(&p, &v6));
    ck_assert(!gp_ipprefix_match(&p, &v6out));
    ck_assert(!gp_ipprefix_match(&p, &in)); /* families never match each other */
    /* A mapped IPv4 address is IPv4. */
    struct gp_ipaddr mapped = addr("::ffff:10.1.2.3");
    ck_assert_int_eq(mapped.family, in.family);
    ck_assert(gp_ipprefix_parse("10.0.0.0/8", &p));
    ck_assert(gp_ipprefix_match(&p, &mapped));
    ck_assert(gp_ipprefix_parse("0.0.0.0/0", &p));
    ck_assert(gp_ipprefix_match(&p, &out));
    static const char *const bad[] = {"",           "10.0.0.0/33",  "10.0.0.0/",
                                      "10.0.0.0/x", "::1/129",      "localhost",
                                      "10.0.0",     "10.0.0.0/8/8", " 10.0.0.1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!gp_ipprefix_parse(bad[i], &p), "'%s' accepted", bad[i]);
}
END_TEST

START_TEST(loopback_and_text)
{
    struct gp_ipaddr a = addr("127.0.0.2"), b = addr("::1"), c = addr("0.0.0.0"), d = addr("::");
    ck_assert(gp_ipaddr_is_loopback(&a));
    ck_assert(gp_ipaddr_is_loopback(&b));
    ck_assert(!gp_ipaddr_is_loopback(&c));
    ck_assert(!gp_ipaddr_is_loopback(&d));
    char text[GP_ADDR_TEXT_MAX];
    struct gp_ipaddr m = addr("::ffff:192.0.2.1");
    gp_ipaddr_format(&m, text);
    ck_assert_str_eq(text, "192.0.2.1");
    struct gp_ipaddr v6 = addr("2001:DB8::1");
    gp_ipaddr_format(&v6, text);
    ck_assert_str_eq(text, "2001:db8::1");
}
END_TEST

START_TEST(throttle_blocks_after_failures_and_lets_go)
{
    struct gp_throttle *t = gp_throttle_create(3, 60);
    struct gp_ipaddr a = addr("192.0.2.1"), b = addr("192.0.2.2");
    int retry = 0;
    long long now = 1000000;
    ck_assert(!gp_throttle_refused(t, &a, now, &retry));
    gp_throttle_failure(t, &a, now);
    gp_throttle_failure(t, &a, now + 10);
    ck_assert(!gp_throttle_refused(t, &a, now + 20, &retry)); /* two of three */
    gp_throttle_failure(t, &a, now + 30);
    ck_assert(gp_throttle_refused(t, &a, now + 40, &retry));
    ck_assert_int_eq(retry, 60);
    ck_assert(gp_throttle_refused(t, &a, now + 30 + 59500, &retry));
    ck_assert_int_eq(retry, 1);
    ck_assert(!gp_throttle_refused(t, &b, now + 40, &retry));         /* another address is not */
    ck_assert(!gp_throttle_refused(t, &a, now + 30 + 60000, &retry)); /* the block ended */
    /* Failures spread wider than the window never block. */
    struct gp_ipaddr c = addr("2001:db8::7");
    for (int i = 0; i < 10; i++)
        gp_throttle_failure(t, &c, now + i * 31000LL);
    ck_assert(!gp_throttle_refused(t, &c, now + 10 * 31000LL, &retry));
    gp_throttle_destroy(t);
}
END_TEST

START_TEST(throttle_table_stays_bounded)
{
    /* Far more addresses than slots: the newest blocked one is still found, and nothing grows. */
    struct gp_throttle *t = gp_throttle_create(1, 60);
    struct gp_ipaddr a;
    memset(&a, 0, sizeof a);
    a.family = AF_INET;
    for (unsigned i = 0; i < 4 * GP_THROTTLE_SLOTS; i++) {
        a.bytes[0] = 10;
        a.bytes[1] = (unsigned char)(i >> 16);
        a.bytes[2] = (unsigned char)(i >> 8);
        a.bytes[3] = (unsigned char)i;
        gp_throttle_failure(t, &a, 1000 + i);
    }
    int retry = 0;
    ck_assert(gp_throttle_refused(t, &a, 1000 + 4 * GP_THROTTLE_SLOTS, &retry));
    gp_throttle_destroy(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("netaddr");
    TCase *tc = tcase_create("netaddr");
    tcase_add_test(tc, prefixes);
    tcase_add_test(tc, loopback_and_text);
    tcase_add_test(tc, throttle_blocks_after_failures_and_lets_go);
    tcase_add_test(tc, throttle_table_stays_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
