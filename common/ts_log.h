/* ts_log.h — the one logging function of every tickstream binary.
 *
 * One line per event on stderr: ISO time (UTC, ms), level, program, message.
 * Lines are written with a single fprintf so threads do not interleave. */
#ifndef TS_LOG_H
#define TS_LOG_H

typedef enum { TS_LOG_DEBUG = 0, TS_LOG_INFO, TS_LOG_WARN, TS_LOG_ERROR } ts_log_level;

void ts_log_init(const char *prog, ts_log_level min_level);
/* Parses "debug", "info", "warn", "error"; returns -1 if unknown. */
int ts_log_parse_level(const char *s, ts_log_level *out);
void ts_log(ts_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ts_debug(...) ts_log(TS_LOG_DEBUG, __VA_ARGS__)
#define ts_info(...) ts_log(TS_LOG_INFO, __VA_ARGS__)
#define ts_warn(...) ts_log(TS_LOG_WARN, __VA_ARGS__)
#define ts_error(...) ts_log(TS_LOG_ERROR, __VA_ARGS__)

#endif
