/* CPR numbers as the simulators need them: build the numbers of the synthetic population, read
 * the CPR a request path carries, mask CPRs for the log.
 *
 * Written from DESIGN.md's rules (section "CPR numbers") and deliberately independent of the
 * service's lib/core/cpr.c: deptsim is the other side of every adapter and sync test, so a bug
 * in the service's CPR code must not be repeated on this side, where it would pass unseen.
 *
 * The rules: ten ASCII digits, or DDMMYY-SSSS; the date must exist, its century taken from the
 * 7th digit by the CPR office's table (ds_cpr_century); modulus 11 (weights 4,3,2,7,6,5,4,3,2,1)
 * is not required, numbers without it are issued since 1 October 2007; the last digit is even
 * for women and odd for men. Pure functions, thread-safe. */
#ifndef DS_CPR_H
#define DS_CPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ds_cpr {
    char digits[11]; /* the ten digits, NUL-terminated, without the hyphen */
    int year;        /* four digits, century from the 7th digit */
    int month;       /* 1..12 */
    int mday;        /* 1..31 */
    int day;         /* the birth date as a day number (dates.h) */
    bool female;     /* last digit even */
    bool mod11;      /* the weighted sum of the ten digits is divisible by 11 */
};

/* The CPR office's table: the full birth year for two-digit year yy (0..99) and 7th digit d7
 * (0..9), or -1 when either is out of range.
 *
 *   7th digit | YY 00-36 | YY 37-57 | YY 58-99
 *   0-3       | 19YY     | 19YY     | 19YY
 *   4, 9      | 20YY     | 19YY     | 19YY
 *   5-8       | 20YY     | 20YY     | 18YY */
int ds_cpr_century(int yy, int d7);

/* Reads len bytes at s (need not be NUL-terminated): "DDMMYYSSSS" or "DDMMYY-SSSS", nothing
 * else (no spaces, no second hyphen, no NUL). True and *out filled when it is a valid CPR;
 * false, *out untouched, otherwise. */
bool ds_cpr_parse(const char *s, size_t len, struct ds_cpr *out);

/* The check digit that makes d9 (the first nine digits) pass modulus 11, or -1 when there is
 * none (the weighted sum of the nine leaves remainder 1). */
int ds_cpr_mod11_digit(const char d9[9]);

/* Builds the CPR of someone born on day number `day` whose 7th to 9th digits are seq
 * (0..999) into out (ten digits and a NUL). The last digit is the modulus-11 digit when
 * want_mod11 is set and one exists; otherwise another digit, chosen by pick, that is not the
 * modulus-11 digit (so the number really is one without modulus 11). The sex follows from the
 * last digit. False, and out untouched, when seq's 7th digit does not give day's year by the
 * table (the caller asked for a number that would name another century) or seq > 999. */
bool ds_cpr_make(int day, unsigned seq, bool want_mod11, uint64_t pick, char out[11]);

/* "DDMMYY-xxxx" (11 characters and a NUL) for the log: the sequence digits never appear. */
void ds_cpr_mask(const struct ds_cpr *c, char out[12]);

/* Masks CPR-looking runs in a string (e.g. a request path) in place: in a run of 10 or more
 * ASCII digits, or of 6 digits, '-' and 4 or more digits, with no digit directly before it,
 * every digit after the sixth becomes 'x'. Longer runs count because a CPR with one digit too
 * many still names a person; the date is not checked (masking too much is harmless). Shorter
 * runs are left alone. NULL is ignored. */
void ds_cpr_mask_in_place(char *s);

#endif
