/* CPR numbers for the simulators, from DESIGN.md's rules; see cpr.h for why this is not the
 * service's lib/core/cpr.c. Dates go through deptsim's own calendar (dates.c). */
#include "cmd/deptsim/cpr.h"

#include "cmd/deptsim/dates.h"

#include <string.h>

int ds_cpr_century(int yy, int d7)
{
    if (yy < 0 || yy > 99 || d7 < 0 || d7 > 9)
        return -1;
    int century;
    if (d7 <= 3)
        century = 1900;
    else if (d7 == 4 || d7 == 9)
        century = yy <= 36 ? 2000 : 1900;
    else /* 5..8 */
        century = yy <= 57 ? 2000 : 1800;
    return century + yy;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int two(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

bool ds_cpr_parse(const char *s, size_t len, struct ds_cpr *out)
{
    if (!s || (len != 10 && len != 11))
        return false;
    char d[11];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (len == 11 && i == 6) {
            if (s[i] != '-')
                return false;
            continue;
        }
        if (!is_digit(s[i]))
            return false;
        d[n++] = s[i];
    }
    d[10] = '\0';
    int mday = two(d), month = two(d + 2);
    int year = ds_cpr_century(two(d + 4), d[6] - '0');
    if (month < 1 || month > 12 || mday < 1 || mday > 31)
        return false;
    /* The date exists when the calendar gives it back unchanged (31 April becomes 1 May,
     * 29 February of a year that is no leap year becomes 1 March). */
    int day = ds_days_from_civil(year, month, mday);
    int y, m, dd;
    ds_civil_from_days(day, &y, &m, &dd);
    if (y != year || m != month || dd != mday)
        return false;
    static const int w[10] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
    int sum = 0;
    for (int i = 0; i < 10; i++)
        sum += (d[i] - '0') * w[i];
    memcpy(out->digits, d, sizeof out->digits);
    out->year = year;
    out->month = month;
    out->mday = mday;
    out->day = day;
    out->female = (d[9] - '0') % 2 == 0;
    out->mod11 = sum % 11 == 0;
    return true;
}

int ds_cpr_mod11_digit(const char d9[9])
{
    static const int w[9] = {4, 3, 2, 7, 6, 5, 4, 3, 2};
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += (d9[i] - '0') * w[i];
    /* The last digit has weight 1: it must bring the sum to a multiple of 11. */
    int need = (11 - sum % 11) % 11;
    return need == 10 ? -1 : need;
}

static void put2(char *out, int v)
{
    out[0] = (char)('0' + v / 10);
    out[1] = (char)('0' + v % 10);
}

bool ds_cpr_make(int day, unsigned seq, bool want_mod11, uint64_t pick, char out[11])
{
    if (seq > 999)
        return false;
    int y, m, d;
    ds_civil_from_days(day, &y, &m, &d);
    if (y < 0 || ds_cpr_century(y % 100, (int)(seq / 100)) != y)
        return false;
    char c[11];
    put2(c, d);
    put2(c + 2, m);
    put2(c + 4, y % 100);
    c[6] = (char)('0' + seq / 100);
    put2(c + 7, (int)(seq % 100));
    int check = ds_cpr_mod11_digit(c);
    if (want_mod11 && check >= 0) {
        c[9] = (char)('0' + check);
    } else if (check < 0) {
        c[9] = (char)('0' + pick % 10); /* no digit passes: any digit is without modulus 11 */
    } else {
        int k = (int)(pick % 9); /* one of the nine digits other than check */
        c[9] = (char)('0' + (k >= check ? k + 1 : k));
    }
    c[10] = '\0';
    memcpy(out, c, sizeof c);
    return true;
}

void ds_cpr_mask(const struct ds_cpr *c, char out[12])
{
    memcpy(out, c->digits, 6);
    memcpy(out + 6, "-xxxx", 6);
}

static size_t digit_run(const char *s)
{
    size_t n = 0;
    while (is_digit(s[n]))
        n++;
    return n;
}

void ds_cpr_mask_in_place(char *s)
{
    if (!s)
        return;
    char *p = s;
    while (*p) {
        if (!is_digit(*p)) {
            p++;
            continue;
        }
        /* p starts a run of digits (the previous character, if any, is not a digit). */
        size_t n = digit_run(p);
        if (n >= 10) {
            memset(p + 6, 'x', n - 6);
        } else if (n == 6 && p[6] == '-') {
            size_t tail = digit_run(p + 7);
            if (tail >= 4) {
                memset(p + 7, 'x', tail);
                n = 7 + tail;
            }
        }
        p += n;
    }
}
