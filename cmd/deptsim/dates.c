/* Day numbers and Danish local time. The civil-date conversions are Howard Hinnant's public
 * domain algorithms (chrono-compatible low-level date algorithms). */
#include "cmd/deptsim/dates.h"

#include <string.h>

int ds_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int)doe - 719468;
}

void ds_civil_from_days(int day, int *y, int *m, int *d)
{
    const int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)yoe + era * 400 + (*m <= 2);
}

/* Day number of the last Sunday of month m in year y. 1970-01-01 was a Thursday. */
static int last_sunday(int y, int m)
{
    int last = m == 12 ? ds_days_from_civil(y + 1, 1, 1) - 1 : ds_days_from_civil(y, m + 1, 1) - 1;
    int weekday = ((last % 7) + 7 + 4) % 7; /* 0 = Sunday */
    return last - weekday;
}

int ds_dk_offset_minutes(int day, int local_secs)
{
    int y, m, d;
    ds_civil_from_days(day, &y, &m, &d);
    if (m < 3 || m > 10)
        return 60;
    if (m > 3 && m < 10)
        return 120;
    int switch_day = last_sunday(y, m);
    if (m == 3)
        return (day > switch_day || (day == switch_day && local_secs >= 2 * 3600)) ? 120 : 60;
    return (day < switch_day || (day == switch_day && local_secs < 3 * 3600)) ? 120 : 60;
}

int64_t ds_dk_epoch(int day, int local_secs)
{
    return (int64_t)day * 86400 + local_secs - (int64_t)ds_dk_offset_minutes(day, local_secs) * 60;
}

/* Fixed-width digits without snprintf: these run for every date in every answer. */
static void put_digits(char *out, int v, int width)
{
    if (v < 0)
        v = 0;
    for (int i = width - 1; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void ds_fmt_date(int day, char *buf)
{
    int y, m, d;
    ds_civil_from_days(day, &y, &m, &d);
    put_digits(buf, y, 4);
    buf[4] = '-';
    put_digits(buf + 5, m, 2);
    buf[7] = '-';
    put_digits(buf + 8, d, 2);
    buf[10] = '\0';
}

void ds_fmt_dk_naive(int day, int local_secs, char *buf)
{
    ds_fmt_date(day, buf);
    buf[10] = 'T';
    put_digits(buf + 11, (local_secs / 3600) % 24, 2);
    buf[13] = ':';
    put_digits(buf + 14, (local_secs / 60) % 60, 2);
    buf[16] = ':';
    put_digits(buf + 17, local_secs % 60, 2);
    buf[19] = '\0';
}

void ds_fmt_dk_offset(int day, int local_secs, char *buf)
{
    ds_fmt_dk_naive(day, local_secs, buf);
    memcpy(buf + 19, ds_dk_offset_minutes(day, local_secs) == 120 ? "+02:00" : "+01:00", 7);
}

void ds_fmt_utc_ms(int day, int local_secs, char *buf)
{
    int64_t t = ds_dk_epoch(day, local_secs);
    int64_t uday = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    int secs = (int)(t - uday * 86400);
    ds_fmt_dk_naive((int)uday, secs, buf);
    memcpy(buf + 19, ".000Z", 6);
}

bool ds_parse_date(const char *s, int *day)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int m = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1)
        return false;
    int n = ds_days_from_civil(y, m, d);
    int y2, m2, d2;
    ds_civil_from_days(n, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d)
        return false;
    *day = n;
    return true;
}
