/* Logging: one JSON object per line on stderr, written with a single write(2) so lines from
 * concurrent threads never interleave. A CPR never appears in full: paths are masked with
 * ds_cpr_mask_in_place() (the last four digits become "xxxx") before they are logged. */
#ifndef DS_LOG_H
#define DS_LOG_H

#include <jansson.h>
#include <stdbool.h>

/* Adds "ts" and "level" to obj and writes it; steals obj. */
void ds_log(const char *level, json_t *obj);

/* A plain message, with printf-style formatting. */
void ds_logf(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Copies s into out (size len) with CPR-looking runs masked and bytes that are not printable
 * ASCII replaced by '?', so the result is always a valid JSON string. */
void ds_log_sanitize(const char *s, char *out, size_t len);

#endif
