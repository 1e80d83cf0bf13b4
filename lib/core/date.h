/* Calendar dates and Danish local time: the one copy the service has of them (CPR birth dates,
 * request bodies, the timeline, recommendations and the adapters all use this one). Pure
 * arithmetic: no locale, no TZ database, no clock, so every machine gives the same answer.
 *
 * Day numbers count days since 1970-01-01 (day 0; negative before it) in the proleptic
 * Gregorian calendar, with Howard Hinnant's public-domain days_from_civil/civil_from_days. Text
 * dates are "YYYY-MM-DD". (cmd/deptsim has its own copy on purpose: the simulators share no
 * code with the service.) */
#ifndef GP_DATE_H
#define GP_DATE_H

#include <stdbool.h>
#include <stdint.h>

/* ---- the calendar ------------------------------------------------------------------------- */

/* Gregorian leap years: every fourth, except centuries not divisible by 400 (1900 is not one,
 * 2000 is). Any year, negative ones too. */
bool gp_date_leap(int y);
/* The number of days of month m (1..12) of year y; 0 when m is not a month. */
int gp_date_month_days(int y, int m);
/* Whether y-m-d is a day of the calendar: m in 1..12 and d in 1..gp_date_month_days(y, m). */
bool gp_date_exists(int y, int m, int d);

/* The day number of y-m-d, which must exist. */
int64_t gp_days_from_civil(int64_t y, int m, int d);
/* The date of a day number (whose year fits an int). */
void gp_civil_from_days(int64_t day, int *y, int *m, int *d);

/* "YYYY-MM-DD" of y-m-d into out, true; "" and false when y is not 0..9999 or the date does
 * not exist (so nothing is ever cut short or printed with a sign). */
bool gp_date_format(int y, int m, int d, char out[11]);

/* ---- "YYYY-MM-DD" and day numbers --------------------------------------------------------- */

/* True when s is a real calendar date "YYYY-MM-DD" (exactly ten characters; years
 * 1800..9999). */
bool gp_date_valid(const char *s);
/* The parts of s under gp_date_valid's rules; false (and the parts untouched) otherwise. */
bool gp_date_parse(const char *s, int *y, int *m, int *d);
/* Day number of a "YYYY-MM-DD" calendar date; false when s is not a real date (gp_date_valid's
 * rules). */
bool gp_day_parse(const char *s, int32_t *day);
/* "YYYY-MM-DD" of a day number into out; "" when its year is not 0..9999. */
void gp_day_format(int64_t day, char out[11]);
/* The date n calendar months before day (the day of month clamped to the shorter month:
 * 2024-05-31 minus 3 months is 2024-02-29). For days from year 0 on. */
int32_t gp_day_minus_months(int32_t day, int months);

/* ---- instants and Denmark's local time ---------------------------------------------------
 * An instant is seconds since 1970-01-01T00:00:00Z. Denmark's offset is computed by rule, not
 * with the TZ database, so it never depends on the machine's TZ setting: CET (+1) in winter,
 * CEST (+2) in summer, with summer time as Denmark has kept it: none before 1980; in 1980 from
 * 6 April to 28 September; 1981-1995 from the last Sunday of March to the last Sunday of
 * September; since 1996 the EU rule, the last Sunday of March to the last Sunday of October;
 * the switch at 01:00 UTC. */

/* The UTC day number of the instant t (rounding down, also before 1970). */
int64_t gp_epoch_day(int64_t t);
/* Denmark's offset from UTC in seconds (3600 or 7200) at the instant t. */
int gp_dk_offset(int64_t t);
/* Denmark's offset for a Copenhagen wall-clock time, given as seconds since 1970-01-01T00:00
 * as if it were UTC. The hour that repeats in October is taken as winter time (the text is
 * ambiguous there anyway); a time in the hour skipped in March as winter time too. */
int gp_dk_offset_local(int64_t local);
/* The day number of the instant t's date in Copenhagen. */
int64_t gp_dk_day(int64_t t);

/* ---- ISO 8601 date-times as the vendors write them ---------------------------------------- */

/* A date or date-time split into its parts. */
struct gp_datetime {
    int y, m, d;     /* m, d are 0 for a partial date ("2014", "2014-09") */
    bool has_time;   /* a time of day follows */
    int hh, mm, ss;  /* the time of day */
    int frac_digits; /* digits after the seconds' decimal point */
    bool has_offset; /* "Z" or "+HH:MM"/"-HH:MM" */
    int offset_s;    /* the offset east of UTC in seconds */
};

/* Parses "YYYY[-MM[-DD[(T| )HH:MM[:SS[.fff]][Z|(+|-)HH[:]MM]]]]" strictly (nothing may follow;
 * at most ten fraction digits; seconds up to 60 for a leap second; offsets up to 14:59).
 * partial also allows "YYYY" and "YYYY-MM" (a FHIR date). The date must exist. Any year
 * 0000..9999: callers apply their own range. */
bool gp_datetime_parse(const char *s, bool partial, struct gp_datetime *t);
/* The date and time of day of a full date or date-time as seconds since 1970-01-01T00:00, as
 * if they were UTC (the offset is not applied: subtract offset_s for the instant). */
int64_t gp_datetime_wall(const struct gp_datetime *t);

#endif
