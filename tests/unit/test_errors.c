/* The error table and problem documents; bearer parsing; log masking. */
#include "api/auth.h"
#include "api/http.h"
#include "lib/core/error.h"
#include "lib/core/log.h"

#include "lib/core/jwt.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

START_TEST(table_is_complete_and_unique)
{
    for (int i = 0; i < GP_E_COUNT_; i++) {
        int st = gp_error_status((enum gp_error)i);
        ck_assert_int_ge(st, 400);
        ck_assert_int_le(st, 599);
        ck_assert_str_eq(strstr(gp_error_type((enum gp_error)i), "urn:glasplade:problem:"),
                         gp_error_type((enum gp_error)i));
        ck_assert_int_gt(strlen(gp_error_title((enum gp_error)i)), 0);
        for (int j = 0; j < i; j++)
            ck_assert_str_ne(gp_error_slug((enum gp_error)i), gp_error_slug((enum gp_error)j));
    }
    ck_assert_int_eq(gp_error_status(GP_E_NOT_FOUND), 404);
    ck_assert_int_eq(gp_error_status(GP_E_METHOD_NOT_ALLOWED), 405);
    ck_assert_int_eq(gp_error_status(GP_E_PAYLOAD_TOO_LARGE), 413);
    ck_assert_int_eq(gp_error_status(GP_E_URI_TOO_LONG), 414);
    ck_assert_int_eq(gp_error_status(GP_E_UNSUPPORTED_MEDIA_TYPE), 415);
    /* Out of range falls back to 500 rather than reading past the table. */
    ck_assert_int_eq(gp_error_status((enum gp_error)GP_E_COUNT_), 500);
}
END_TEST

START_TEST(problem_document_shape)
{
    json_t *p = gp_problem_body(GP_E_INVALID_CPR, "month must be 01-12", "rid-1");
    char *text = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    ck_assert_str_eq(text, "{\"type\":\"urn:glasplade:problem:invalid-cpr\",\"title\":\"Invalid "
                           "CPR number\",\"status\":400,\"detail\":\"month must be 01-12\","
                           "\"request_id\":\"rid-1\"}");
    free(text);
    json_decref(p);
    /* No detail: the title stands in. */
    p = gp_problem_body(GP_E_NOT_FOUND, NULL, NULL);
    ck_assert_str_eq(json_string_value(json_object_get(p, "detail")), "Not Found");
    json_decref(p);
}
END_TEST

static const struct {
    const char *header;
    const char *token; /* NULL: rejected */
} bearer[] = {
    {"Bearer gpt_abc-DEF_123", "gpt_abc-DEF_123"},
    {"bearer gpt_x", "gpt_x"},
    {"BEARER   gpt_x  ", "gpt_x"},
    {"Bearer\tgpt_x", "gpt_x"},
    {"Bearer", NULL},
    {"Bearer ", NULL},
    {"Bearergpt_x", NULL},
    {"Basic dXNlcjpwYXNz", NULL},
    {"Bearer gpt x", NULL},
    {"Bearer gpt_x\"", NULL},
    {"Bearer gpt_ø", NULL},
    {"", NULL},
};

START_TEST(bearer_parsing)
{
    size_t i = (size_t)_i;
    char tok[130];
    bool ok = gp_auth_parse_bearer(bearer[i].header, tok, sizeof tok);
    if (bearer[i].token) {
        ck_assert_msg(ok, "'%s' rejected", bearer[i].header);
        ck_assert_str_eq(tok, bearer[i].token);
    } else {
        ck_assert_msg(!ok, "'%s' accepted", bearer[i].header);
    }
}
END_TEST

/* Up to GP_JWT_MAX_LEN characters: an identity provider's JWT is far longer than a key. */
START_TEST(bearer_length_limit)
{
    static char h[GP_JWT_MAX_LEN + 16] = "Bearer ";
    static char tok[GP_JWT_MAX_LEN + 8];
    memset(h + 7, 'a', GP_JWT_MAX_LEN + 1);
    ck_assert(!gp_auth_parse_bearer(h, tok, sizeof tok));
    h[7 + GP_JWT_MAX_LEN] = '\0';
    ck_assert(gp_auth_parse_bearer(h, tok, sizeof tok));
    ck_assert_uint_eq(strlen(tok), GP_JWT_MAX_LEN);
    ck_assert(!gp_auth_parse_bearer(h, tok, 100)); /* never overflows the caller's buffer */
    h[7 + 100] = '\0';
    ck_assert(!gp_auth_parse_bearer(h, tok, 100));
    h[7 + 99] = '\0';
    ck_assert(gp_auth_parse_bearer(h, tok, 100));
}
END_TEST

/* Whatever a caller passes, a full CPR never reaches the log. */
START_TEST(log_masks_cpr_and_carries_request_id)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    gp_log_set_fd(fds[1]);
    gp_log_set_request_id("req-9");
    GP_LOG_INFO("looked up 0101901234 and 020280-1234 and 12345678901");
    GP_LOG_DEBUG("not shown at info");
    gp_log_set_request_id(NULL);
    gp_log_set_fd(-1);
    close(fds[1]);
    char buf[1024] = "";
    ssize_t n = read(fds[0], buf, sizeof buf - 1);
    close(fds[0]);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_ptr_null(strstr(buf, "0101901234"));
    ck_assert_ptr_null(strstr(buf, "020280-1234"));
    ck_assert_ptr_nonnull(strstr(buf, "010190xxxx"));
    ck_assert_ptr_nonnull(strstr(buf, "020280-xxxx"));
    ck_assert_ptr_nonnull(strstr(buf, "123456xxxxx")); /* may be a mistyped CPR: masked too */
    ck_assert_ptr_nonnull(strstr(buf, "\"request_id\":\"req-9\""));
    ck_assert_ptr_null(strstr(buf, "not shown"));
    ck_assert_int_eq(buf[n - 1], '\n');
    json_t *line = json_loads(buf, 0, NULL);
    ck_assert_ptr_nonnull(line);
    ck_assert_str_eq(json_string_value(json_object_get(line, "level")), "info");
    json_decref(line);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("errors");
    TCase *tc = tcase_create("errors");
    tcase_add_test(tc, table_is_complete_and_unique);
    tcase_add_test(tc, problem_document_shape);
    tcase_add_loop_test(tc, bearer_parsing, 0, (int)(sizeof bearer / sizeof bearer[0]));
    tcase_add_test(tc, bearer_length_limit);
    tcase_add_test(tc, log_masks_cpr_and_carries_request_id);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
