/* lib/copy: the COPY text-format field writer as a table. Expected bytes are literals written
 * by hand from PostgreSQL's documentation of the text format (backslash, tab, newline and
 * carriage return escaped; \N for NULL), never produced by the code under test. The database
 * side (gp_db_copy_in) is exercised by tests/integration/itest_db.c and itest_sync.c. */
#include "lib/core/buf.h"
#include "lib/db/copy.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *in; /* NULL: SQL NULL */
    bool last;
    const char *want;
} field_rows[] = {
    {"plain", false, "plain\t"},
    {"plain", true, "plain\n"},
    {NULL, false, "\\N\t"},
    {"", true, "\\N\n"},
    {"a\tb", false, "a\\tb\t"},
    {"line1\nline2", false, "line1\\nline2\t"},
    {"cr\r", false, "cr\\r\t"},
    {"back\\slash", false, "back\\\\slash\t"},
    {"\\N", false, "\\\\N\t"}, /* the two characters, not NULL */
    {"\\\t\n\r", true, "\\\\\\t\\n\\r\n"},
    {"SEL § 85, stk. 1", false, "SEL § 85, stk. 1\t"}, /* UTF-8 passes through */
    {"Børnefaglig undersøgelse", true, "Børnefaglig undersøgelse\n"},
    {"|;,'\"", false, "|;,'\"\t"},
};

START_TEST(test_field)
{
    struct gp_buf b = {0};
    gp_copy_field(&b, field_rows[_i].in, field_rows[_i].last);
    ck_assert_msg(b.len == strlen(field_rows[_i].want) && !strcmp(b.data, field_rows[_i].want),
                  "row %d: got '%s', want '%s'", _i, b.data, field_rows[_i].want);
    gp_buf_free(&b);
}
END_TEST

/* A whole row: fields appended in turn, one line. */
START_TEST(test_row)
{
    struct gp_buf b = {0};
    gp_copy_field(&b, "jobcentre", false);
    gp_copy_field(&b, "0101901234", false);
    gp_copy_field(&b, NULL, false);
    gp_copy_field(&b, "Titel\tmed tab", false);
    gp_copy_field(&b, "2024-01-31", true);
    ck_assert_str_eq(b.data, "jobcentre\t0101901234\t\\N\tTitel\\tmed tab\t2024-01-31\n");
    gp_buf_free(&b);
}
END_TEST

static Suite *copy_suite(void)
{
    Suite *s = suite_create("copy");
    TCase *tc = tcase_create("field");
    tcase_add_loop_test(tc, test_field, 0, N_ROWS(field_rows));
    tcase_add_test(tc, test_row);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(copy_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
