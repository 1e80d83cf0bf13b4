/* Calendar dates and Danish local time: see lib/core/date.h. */
#include "lib/core/date.h"

#include <string.h>

#define DATE_LEN      10 /* "YYYY-MM-DD" */
#define MIN_TEXT_YEAR 1800
#define SECONDS_A_DAY 86400

/* ---- the calendar ------------------------------------------------------------------------- */

bool gp_date_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int gp_date_month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    return m == 2 && gp_date_leap(y) ? 29 : days[m - 1];
}

bool gp_date_exists(int y, int m, int d)
{
    return d >= 1 && d <= gp_date_month_days(y, m); /* 0 days when m is not a month */
}

int64_t gp_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void gp_civil_from_days(int64_t day, int *y, int *m, int *d)
{
    const int64_t z = day + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

bool gp_date_format(int y, int m, int d, char out[11])
{
    if (y < 0 || y > 9999 || !gp_date_exists(y, m, d)) {
        out[0] = '\0';
        return false;
    }
    /* By hand rather than snprintf: the ranges are known, and -Wformat-truncation cannot be
     * told so. */
    out[0] = (char)('0' + y / 1000);
    out[1] = (char)('0' + y / 100 % 10);
    out[2] = (char)('0' + y / 10 % 10);
    out[3] = (char)('0' + y % 10);
    out[4] = out[7] = '-';
    out[5] = (char)('0' + m / 10);
    out[6] = (char)('0' + m % 10);
    out[8] = (char)('0' + d / 10);
    out[9] = (char)('0' + d % 10);
    out[10] = '\0';
    return true;
}

/* ---- "YYYY-MM-DD" and day numbers --------------------------------------------------------- */

bool gp_date_parse(const char *s, int *y, int *m, int *d)
{
    struct gp_datetime t;
    /* strnlen: never scan further than a date can be long; ten characters that parse are a
     * date without a time of day */
    if (s == NULL || strnlen(s, DATE_LEN + 1) != DATE_LEN || !gp_datetime_parse(s, false, &t) ||
        t.y < MIN_TEXT_YEAR)
        return false;
    *y = t.y;
    *m = t.m;
    *d = t.d;
    return true;
}

bool gp_date_valid(const char *s)
{
    int y, m, d;
    return gp_date_parse(s, &y, &m, &d);
}

bool gp_day_parse(const char *s, int32_t *day)
{
    int y, m, d;
    if (!gp_date_parse(s, &y, &m, &d))
        return false;
    *day = (int32_t)gp_days_from_civil(y, m, d); /* years up to 9999: well inside int32 */
    return true;
}

void gp_day_format(int64_t day, char out[11])
{
    /* Years outside 0..9999 are refused before civil_from_days could overflow an int. */
    if (day < gp_days_from_civil(0, 1, 1) || day > gp_days_from_civil(9999, 12, 31)) {
        out[0] = '\0';
        return;
    }
    int y, m, d;
    gp_civil_from_days(day, &y, &m, &d);
    gp_date_format(y, m, d, out);
}

int32_t gp_day_minus_months(int32_t day, int months)
{
    int y, m, d;
    gp_civil_from_days(day, &y, &m, &d);
    int total = y * 12 + (m - 1) - months;
    y = total / 12;
    m = total % 12 + 1;
    int dim = gp_date_month_days(y, m);
    return (int32_t)gp_days_from_civil(y, m, d > dim ? dim : d);
}

/* ---- instants and Denmark's local time --------------------------------------------------- */

int64_t gp_epoch_day(int64_t t)
{
    return t >= 0 ? t / SECONDS_A_DAY : (t - (SECONDS_A_DAY - 1)) / SECONDS_A_DAY;
}

/* Day number of the last Sunday of month m of year y (1970-01-01 was a Thursday). */
static int64_t last_sunday(int y, int m)
{
    int64_t last = gp_days_from_civil(y, m, gp_date_month_days(y, m));
    int64_t weekday = ((last % 7) + 7 + 4) % 7; /* 0 = Sunday */
    return last - weekday;
}

int gp_dk_offset(int64_t t)
{
    int y, m, d;
    gp_civil_from_days(gp_epoch_day(t), &y, &m, &d);
    if (y < 1980)
        return 3600;
    int64_t from, to;
    if (y == 1980) {
        from = gp_days_from_civil(1980, 4, 6);
        to = gp_days_from_civil(1980, 9, 28);
    } else {
        from = last_sunday(y, 3);
        to = last_sunday(y, y <= 1995 ? 9 : 10);
    }
    int64_t start = from * SECONDS_A_DAY + 3600, end = to * SECONDS_A_DAY + 3600;
    return t >= start && t < end ? 7200 : 3600;
}

int gp_dk_offset_local(int64_t local)
{
    /* The offset at the UTC instant one hour before, then at the instant that gives: right on
     * both sides of a switch except in the hours named in the header. */
    int off = gp_dk_offset(local - 3600);
    return gp_dk_offset(local - off);
}

int64_t gp_dk_day(int64_t t)
{
    return gp_epoch_day(t + gp_dk_offset(t));
}

/* ---- ISO 8601 date-times ----------------------------------------------------------------- */

/* n ASCII digits at s as a number; false at the first other byte (NUL included, so this never
 * reads past the end of s). */
static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* The time of day and offset that follow a date ("T" or " " already consumed). */
static bool parse_time_of_day(const char *s, struct gp_datetime *t)
{
    if (!digits(s, 2, &t->hh) || s[2] != ':' || !digits(s + 3, 2, &t->mm) || t->hh > 23 ||
        t->mm > 59)
        return false;
    t->has_time = true;
    s += 5;
    if (*s == ':') {
        if (!digits(s + 1, 2, &t->ss) || t->ss > 60) /* 60: a leap second */
            return false;
        s += 3;
        if (*s == '.') {
            s++;
            while (*s >= '0' && *s <= '9' && t->frac_digits < 10) {
                s++;
                t->frac_digits++;
            }
            if (t->frac_digits == 0 || (*s >= '0' && *s <= '9'))
                return false;
        }
    }
    if (*s == '\0')
        return true;
    if (*s == 'Z') {
        t->has_offset = true;
        return s[1] == '\0';
    }
    if (*s != '+' && *s != '-')
        return false;
    int oh, om;
    const char *p = s + 1;
    if (!digits(p, 2, &oh))
        return false;
    p += 2;
    if (*p == ':')
        p++;
    if (!digits(p, 2, &om) || p[2] != '\0' || oh > 14 || om > 59)
        return false;
    t->has_offset = true;
    t->offset_s = (oh * 3600 + om * 60) * (*s == '-' ? -1 : 1);
    return true;
}

bool gp_datetime_parse(const char *s, bool partial, struct gp_datetime *t)
{
    memset(t, 0, sizeof *t);
    if (!s || !digits(s, 4, &t->y))
        return false;
    s += 4;
    if (*s == '\0')
        return partial;
    if (*s != '-' || !digits(s + 1, 2, &t->m) || t->m < 1 || t->m > 12)
        return false;
    s += 3;
    if (*s == '\0')
        return partial;
    if (*s != '-' || !digits(s + 1, 2, &t->d) || !gp_date_exists(t->y, t->m, t->d))
        return false;
    s += 3;
    if (*s == '\0')
        return true;
    if (*s != 'T' && *s != ' ')
        return false;
    return parse_time_of_day(s + 1, t);
}

int64_t gp_datetime_wall(const struct gp_datetime *t)
{
    return gp_days_from_civil(t->y, t->m, t->d) * SECONDS_A_DAY + t->hh * 3600 + t->mm * 60 + t->ss;
}
