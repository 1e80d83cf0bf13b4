/* Structured logging: one JSON object per line on stderr.
 *
 * Every line carries the current request id (thread-local, set by the HTTP layer for the
 * duration of a request) and any CPR-looking digit run is masked before it is written, as a
 * safety net under the rule that callers never pass a full CPR in the first place.
 *
 * Two calls make a fault's owner clear: GP_LOG_BUG (our bug: level error, with file and line)
 * and GP_LOG_CLIENT (a client broke the contract: level warn). */
#ifndef GP_LOG_H
#define GP_LOG_H

#include <jansson.h>
#include <stdbool.h>

enum gp_log_level { GP_LOG_DEBUG = 0, GP_LOG_INFO, GP_LOG_WARN, GP_LOG_ERROR };

void gp_log_set_level(enum gp_log_level level);
enum gp_log_level gp_log_get_level(void);
/* "debug", "info", "warn"/"warning", "error"; false for anything else. */
bool gp_log_level_parse(const char *s, enum gp_log_level *out);

/* The request id of the calling thread, copied (at most 64 bytes); NULL clears it. */
void gp_log_set_request_id(const char *rid);
const char *gp_log_request_id(void);

void gp_log_at(enum gp_log_level level, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Writes obj (adding "ts", "level" and "request_id" unless present) as one line and takes
 * ownership of obj. String values are CPR-masked. */
void gp_log_json_steal(enum gp_log_level level, json_t *obj);

/* Redirect output (tests); NULL means stderr again. */
void gp_log_set_fd(int fd);

#define GP_LOG_DEBUG(...)  gp_log_at(GP_LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define GP_LOG_INFO(...)   gp_log_at(GP_LOG_INFO, NULL, 0, __VA_ARGS__)
#define GP_LOG_WARN(...)   gp_log_at(GP_LOG_WARN, NULL, 0, __VA_ARGS__)
#define GP_LOG_CLIENT(...) gp_log_at(GP_LOG_WARN, NULL, 0, __VA_ARGS__)
#define GP_LOG_BUG(...)    gp_log_at(GP_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define GP_LOG_ERROR(...)  gp_log_at(GP_LOG_ERROR, NULL, 0, __VA_ARGS__)

#endif
