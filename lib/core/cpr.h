/* CPR numbers: parsing, validation, derived facts and masking.
 *
 * Accepted forms are exactly "DDMMYYSSSS" and "DDMMYY-SSSS" (ASCII digits, one optional hyphen
 * after the sixth digit, nothing else: no spaces, no NUL inside, no fullwidth digits). The date
 * must exist; the century comes from the 7th digit by the CPR office's table (DESIGN.md).
 * Modulus 11 is never required: numbers without it are issued since 1 October 2007; a failed
 * check is reported as a flag only. Pure functions, no I/O, thread-safe. */
#ifndef GP_CPR_H
#define GP_CPR_H

#include <stdbool.h>
#include <stddef.h>

enum gp_cpr_error {
    GP_CPR_OK = 0,
    GP_CPR_EMPTY,     /* no input */
    GP_CPR_LENGTH,    /* not 10 digits, or 11 characters with the hyphen */
    GP_CPR_NOT_DIGIT, /* a character other than an ASCII digit (or the one hyphen) */
    GP_CPR_HYPHEN,    /* hyphen anywhere but after the sixth digit, or more than one */
    GP_CPR_BAD_MONTH, /* month 00 or > 12 */
    GP_CPR_BAD_DAY,   /* day 00, or past the end of that month in that year */
};

struct gp_cpr {
    char digits[11]; /* the ten digits, NUL-terminated, no hyphen: the canonical form */
    int birth_year;  /* four digits, century from the 7th digit */
    int birth_month; /* 1..12 */
    int birth_day;   /* 1..31 */
    bool female;     /* last digit even */
    bool modulus11;  /* true when the weighted sum (4,3,2,7,6,5,4,3,2,1) is divisible by 11 */
};

/* Parses len bytes at s (s need not be NUL-terminated; a NUL inside is an error). On success
 * fills *out and returns GP_CPR_OK; otherwise returns the first error found and leaves *out
 * untouched. Checks run in this order: EMPTY (len 0 or s NULL), NOT_DIGIT, HYPHEN, LENGTH,
 * BAD_MONTH, BAD_DAY; so "01019a12345" is NOT_DIGIT and "321390123" is LENGTH. */
enum gp_cpr_error gp_cpr_parse(const char *s, size_t len, struct gp_cpr *out);

/* A short English sentence describing err, for problem details ("month must be 01-12").
 * Static string. */
const char *gp_cpr_error_text(enum gp_cpr_error err);

/* Century rule alone: full year for two-digit year yy (0..99) and 7th digit d7 (0..9);
 * -1 when either is out of range. */
int gp_cpr_century_year(int yy, int d7);

/* Age in whole years on the date y-m-d (the birthday counts from that day; someone born on
 * 29 February turns a year older on 1 March in non-leap years). -1 when y-m-d is before the
 * birth date. y-m-d is not validated. */
int gp_cpr_age_on(const struct gp_cpr *c, int y, int m, int d);

/* Writes the masked form "DDMMYY-xxxx" (11 chars + NUL) into buf (size >= 12). Used in every
 * log line that would otherwise carry a CPR. Never logs the sequence digits. */
void gp_cpr_mask(const struct gp_cpr *c, char buf[12]);

/* Masks CPR-looking runs inside an arbitrary string (e.g. a URL path) in place: every digit
 * after the sixth becomes 'x'. Used by the access log and every log line. A run counts when it
 * is 10 or more ASCII digits, or 6 digits, '-', 4 or more digits, with no digit directly before;
 * longer runs count because a mistyped CPR (one digit too many) still identifies a person. The
 * date is not checked (over-masking is harmless). Shorter runs are left alone. NULL is
 * ignored. */
void gp_cpr_mask_in_place(char *s);

/* Birth date as "YYYY-MM-DD" into buf (size >= 11). */
void gp_cpr_birth_date(const struct gp_cpr *c, char buf[11]);

#endif
