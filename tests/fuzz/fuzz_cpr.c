/* libFuzzer target for lib/cpr: arbitrary bytes into gp_cpr_parse and gp_cpr_mask_in_place.
 * Beyond "no crash, no sanitizer report", every accepted number must satisfy the invariants
 * below; a violated invariant aborts, which libFuzzer reports as a crash with its input. */
#include "lib/core/cpr.h"
#include "lib/core/json_spec.h" /* gp_date_valid: an independent check of the birth date */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static bool is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (is_digit(s[n]))
        n++;
    return n;
}

/* The masking postcondition, written out independently by index: no maximal run of exactly
 * ten digits, and no six digits, '-', four digits, is left. */
static bool has_cpr_run(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!is_digit(s[i]) || (i > 0 && is_digit(s[i - 1])))
            continue; /* not the start of a run */
        size_t run = digit_run(s + i);
        if (run >= 10 || (run == 6 && s[i + 6] == '-' && digit_run(s + i + 7) >= 4))
            return true;
    }
    return false;
}

/* What masking must produce: the original with every digit after the sixth of each
 * CPR-looking run (10 or more digits, or 6 digits, '-', 4 or more) replaced by 'x', and
 * nothing else changed. */
static void expected_mask(const char *orig, char *want)
{
    strcpy(want, orig);
    for (size_t i = 0; orig[i] != '\0'; i++) {
        if (!is_digit(orig[i]) || (i > 0 && is_digit(orig[i - 1])))
            continue;
        size_t run = digit_run(orig + i);
        if (run >= 10)
            memset(want + i + 6, 'x', run - 6);
        else if (run == 6 && orig[i + 6] == '-' && digit_run(orig + i + 7) >= 4)
            memset(want + i + 7, 'x', digit_run(orig + i + 7));
    }
}

static bool same_cpr(const struct gp_cpr *a, const struct gp_cpr *b)
{
    return strcmp(a->digits, b->digits) == 0 && a->birth_year == b->birth_year &&
           a->birth_month == b->birth_month && a->birth_day == b->birth_day &&
           a->female == b->female && a->modulus11 == b->modulus11;
}

static void check_parsed(const char *in, size_t len, const struct gp_cpr *c)
{
    /* ten ASCII digits, exactly the input's digits in order */
    CHECK(strlen(c->digits) == 10);
    for (size_t i = 0, j = 0; i < len; i++) {
        if (in[i] == '-')
            continue;
        CHECK(is_digit(in[i]) && in[i] == c->digits[j++]);
    }

    /* century and date */
    int yy = (c->digits[4] - '0') * 10 + (c->digits[5] - '0');
    CHECK(c->birth_year == gp_cpr_century_year(yy, c->digits[6] - '0'));
    CHECK(c->birth_year >= 1858 && c->birth_year <= 2057);
    char date[11];
    gp_cpr_birth_date(c, date);
    CHECK(gp_date_valid(date));
    CHECK(date[8] == c->digits[0] && date[9] == c->digits[1]); /* DD */
    CHECK(date[5] == c->digits[2] && date[6] == c->digits[3]); /* MM */
    CHECK(date[2] == c->digits[4] && date[3] == c->digits[5]); /* YY */
    CHECK(c->female == ((c->digits[9] - '0') % 2 == 0));

    /* the canonical form, and the hyphenated one, parse to the same number */
    struct gp_cpr again;
    CHECK(gp_cpr_parse(c->digits, 10, &again) == GP_CPR_OK && same_cpr(c, &again));
    char hyphened[11];
    memcpy(hyphened, c->digits, 6);
    hyphened[6] = '-';
    memcpy(hyphened + 7, c->digits + 6, 4);
    CHECK(gp_cpr_parse(hyphened, 11, &again) == GP_CPR_OK && same_cpr(c, &again));

    /* the mask shows the date and never the sequence */
    char mask[12];
    gp_cpr_mask(c, mask);
    CHECK(strlen(mask) == 11 && memcmp(mask, c->digits, 6) == 0);
    CHECK(strcmp(mask + 6, "-xxxx") == 0);

    /* age: 0 on the day of birth, -1 the day before (1 January has no "day before" here) */
    CHECK(gp_cpr_age_on(c, c->birth_year, c->birth_month, c->birth_day) == 0);
    CHECK(gp_cpr_age_on(c, c->birth_year + 1, c->birth_month, c->birth_day) == 1);
    if (c->birth_day > 1)
        CHECK(gp_cpr_age_on(c, c->birth_year, c->birth_month, c->birth_day - 1) == -1);
}

static void check_mask_in_place(const uint8_t *data, size_t size)
{
    char *orig = malloc(size + 1), *s = malloc(size + 1), *want = malloc(size + 1);
    CHECK(orig != NULL && s != NULL && want != NULL);
    memcpy(orig, data, size);
    orig[size] = '\0';
    memcpy(s, orig, size + 1);

    gp_cpr_mask_in_place(s);
    expected_mask(orig, want);
    CHECK(strcmp(s, want) == 0);
    CHECK(!has_cpr_run(s));
    size_t n = strlen(orig);
    for (size_t i = 0; i < n; i++) /* only digits change, and only into 'x' */
        CHECK(s[i] == orig[i] || (is_digit(orig[i]) && s[i] == 'x'));

    /* a whole input that parses masks to the same text as gp_cpr_mask (less the hyphen) */
    struct gp_cpr c;
    if (gp_cpr_parse(orig, size, &c) == GP_CPR_OK) {
        char mask[12];
        gp_cpr_mask(&c, mask);
        if (size == 11) {
            CHECK(strcmp(s, mask) == 0);
        } else {
            CHECK(memcmp(s, mask, 6) == 0 && strcmp(s + 6, "xxxx") == 0);
        }
    }

    memcpy(orig, s, n + 1);
    gp_cpr_mask_in_place(s); /* idempotent */
    CHECK(strcmp(s, orig) == 0);
    free(orig);
    free(s);
    free(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    struct gp_cpr c;
    enum gp_cpr_error e = gp_cpr_parse(in, size, &c);
    const char *text = gp_cpr_error_text(e);
    CHECK(text != NULL && text[0] != '\0');
    if (e == GP_CPR_OK)
        check_parsed(in, size, &c);
    else
        CHECK(e >= GP_CPR_EMPTY && e <= GP_CPR_BAD_DAY);
    check_mask_in_place(data, size);
    return 0;
}
