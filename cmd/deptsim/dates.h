/* Calendar arithmetic for the simulators: dates are day numbers (days since 1970-01-01, the
 * proleptic Gregorian calendar), times are seconds after local midnight in Denmark.
 *
 * Each vendor writes dates its own way (plain dates, local times with or without an offset, UTC,
 * epoch seconds); the formatters here are the only place that knows Danish summer time, so every
 * renderer agrees on the instant it describes. */
#ifndef DS_DATES_H
#define DS_DATES_H

#include <stdbool.h>
#include <stdint.h>

#define DS_NO_DATE INT32_MIN /* an open end: no slut_dato / EndDateTime / closed */

int ds_days_from_civil(int y, int m, int d);
void ds_civil_from_days(int day, int *y, int *m, int *d);

/* Minutes east of UTC in Denmark on that local date and time: 60 (CET) or 120 (CEST). EU rule:
 * summer time from the last Sunday of March 02:00 to the last Sunday of October 03:00. */
int ds_dk_offset_minutes(int day, int local_secs);

/* Seconds since the epoch (UTC) of a Danish local date and time. */
int64_t ds_dk_epoch(int day, int local_secs);

/* "YYYY-MM-DD" (buf >= 11). */
void ds_fmt_date(int day, char *buf);
/* Local time with offset, "2024-03-01T09:30:00+01:00" (buf >= 26). */
void ds_fmt_dk_offset(int day, int local_secs, char *buf);
/* Local time without offset, "2024-03-01T09:30:00" (buf >= 20): Momentum's naive timestamps. */
void ds_fmt_dk_naive(int day, int local_secs, char *buf);
/* The same instant in UTC with milliseconds, "2024-03-01T08:30:00.000Z" (buf >= 25). */
void ds_fmt_utc_ms(int day, int local_secs, char *buf);

/* Parses "YYYY-MM-DD" (a real date, 1900..2199) into a day number. */
bool ds_parse_date(const char *s, int *day);

#endif
