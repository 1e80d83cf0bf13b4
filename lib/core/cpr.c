/* CPR numbers: parsing, validation, derived facts and masking. See lib/cpr.h and the CPR
 * section of DESIGN.md for the rules; this file only implements them. */
#include "lib/core/cpr.h"

#include "lib/core/date.h"

#include <string.h>

#define CPR_DIGITS     10
#define CPR_HYPHEN_POS 6 /* "DDMMYY-SSSS": the hyphen follows the date */

static const int mod11_weights[CPR_DIGITS] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};

static bool is_digit(char ch)
{
    /* Not isdigit(): that depends on the locale and takes an int that must be unsigned-char
     * representable. Only ASCII digits form a CPR. */
    return ch >= '0' && ch <= '9';
}

static int two_digits(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

int gp_cpr_century_year(int yy, int d7)
{
    if (yy < 0 || yy > 99 || d7 < 0 || d7 > 9)
        return -1;
    if (d7 <= 3)
        return 1900 + yy;
    if (d7 == 4 || d7 == 9)
        return (yy <= 36 ? 2000 : 1900) + yy;
    /* 5..8: the only digits that reach back into the 1800s */
    return (yy <= 57 ? 2000 : 1800) + yy;
}

enum gp_cpr_error gp_cpr_parse(const char *s, size_t len, struct gp_cpr *out)
{
    if (s == NULL || len == 0)
        return GP_CPR_EMPTY;

    /* Check the shape before the content, so the error names the first thing a person would
     * fix: stray characters, then the hyphen, then the count of digits, then the date. All
     * scans run over the whole input; no early index into it is trusted before the count. */
    size_t hyphens = 0, hyphen_at = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '-') {
            if (hyphens++ == 0)
                hyphen_at = i;
        } else if (!is_digit(s[i])) {
            return GP_CPR_NOT_DIGIT; /* also NUL, spaces and every byte of a UTF-8 sequence */
        }
    }
    if (hyphens > 1 || (hyphens == 1 && hyphen_at != CPR_HYPHEN_POS))
        return GP_CPR_HYPHEN;
    if (len - hyphens != CPR_DIGITS)
        return GP_CPR_LENGTH;

    struct gp_cpr c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0, j = 0; i < len; i++) {
        if (s[i] != '-')
            c.digits[j++] = s[i];
    }
    c.digits[CPR_DIGITS] = '\0';

    int day = two_digits(c.digits);
    int month = two_digits(c.digits + 2);
    int yy = two_digits(c.digits + 4);
    c.birth_year = gp_cpr_century_year(yy, c.digits[6] - '0');
    if (month < 1 || month > 12)
        return GP_CPR_BAD_MONTH;
    /* The century decides whether 29 February exists, so it is known before the day check. */
    if (!gp_date_exists(c.birth_year, month, day))
        return GP_CPR_BAD_DAY;
    c.birth_month = month;
    c.birth_day = day;

    c.female = (c.digits[9] - '0') % 2 == 0;
    int sum = 0;
    for (int i = 0; i < CPR_DIGITS; i++)
        sum += (c.digits[i] - '0') * mod11_weights[i];
    /* Reported, never enforced: numbers issued since 1 October 2007 may fail it. */
    c.modulus11 = sum % 11 == 0;

    *out = c;
    return GP_CPR_OK;
}

/* Phrased to follow "invalid CPR number: " in a problem detail, so none repeats the subject. */
const char *gp_cpr_error_text(enum gp_cpr_error err)
{
    switch (err) {
    case GP_CPR_OK:
        return "no error";
    case GP_CPR_EMPTY:
        return "no CPR number given";
    case GP_CPR_LENGTH:
        return "expected 10 digits, DDMMYYSSSS or DDMMYY-SSSS";
    case GP_CPR_NOT_DIGIT:
        return "only the digits 0-9 and one hyphen are allowed";
    case GP_CPR_HYPHEN:
        return "a hyphen is allowed only after the sixth digit";
    case GP_CPR_BAD_MONTH:
        return "month must be 01-12";
    case GP_CPR_BAD_DAY:
        return "day does not exist in that month";
    }
    return "not a valid CPR number"; /* a value outside the enum: still a sentence, never NULL */
}

int gp_cpr_age_on(const struct gp_cpr *c, int y, int m, int d)
{
    int age = y - c->birth_year;
    /* Comparing (month, day) pairs makes a 29 February birthday fall after 28 February and
     * before 1 March, which is exactly the rule for non-leap years. */
    if (m < c->birth_month || (m == c->birth_month && d < c->birth_day))
        age--;
    return age < 0 ? -1 : age;
}

void gp_cpr_mask(const struct gp_cpr *c, char buf[12])
{
    memcpy(buf, c->digits, CPR_HYPHEN_POS);
    memcpy(buf + CPR_HYPHEN_POS, "-xxxx", 6); /* with its NUL */
}

/* Length of the run of ASCII digits starting at s. */
static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (is_digit(s[n]))
        n++;
    return n;
}

void gp_cpr_mask_in_place(char *s)
{
    if (s == NULL)
        return;
    /* Walk maximal digit runs only, so a run is never "adjacent to other digits". The date is
     * not checked: masking a number that merely looks like a CPR costs nothing, leaking one
     * that the parser would reject (a typo in the date) is what we must not do. */
    char *p = s;
    size_t pending = 0; /* a run's length measured before its digits were masked */
    while (*p != '\0') {
        size_t run = pending ? pending : digit_run(p);
        pending = 0;
        if (run == 0) {
            p++;
            continue;
        }
        if (run >= CPR_DIGITS) {
            /* Ten digits, or a longer run that may be a CPR with a typo: keep only the date. */
            memset(p + CPR_HYPHEN_POS, 'x', run - CPR_HYPHEN_POS);
        } else if (run == CPR_HYPHEN_POS && p[run] == '-' && digit_run(p + run + 1) >= 4) {
            /* DDMMYY-SSSS: mask what follows the hyphen, then look at that run on its own
             * too (as it was), since "DDMMYY-DDMMYY-SSSS" holds two candidates. */
            pending = digit_run(p + run + 1);
            memset(p + run + 1, 'x', pending);
            run += 1;
        }
        p += run;
    }
}

void gp_cpr_birth_date(const struct gp_cpr *c, char buf[11])
{
    gp_date_format(c->birth_year, c->birth_month, c->birth_day, buf); /* years 1858..2057 */
}
