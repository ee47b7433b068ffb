/* ts_time.h — clocks, durations and retry backoff. */
#ifndef TS_TIME_H
#define TS_TIME_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in ms since the Unix epoch: tick times are on this clock. */
int64_t ts_now_ms(void);
/* The same clock in µs: to wake up right on a tick time, not up to 1 ms after. */
int64_t ts_now_us(void);
/* Monotonic time in ms, for latencies and timeouts. */
int64_t ts_mono_ms(void);
/* Monotonic time in µs. */
int64_t ts_mono_us(void);

/* Parses "250ms", "90s", "15m", "24h", "7d" into ms. A number without a unit
 * is refused: "retention 86400" would be ambiguous. Returns 0 or -1 with err. */
int ts_parse_duration_ms(const char *s, int64_t *out, char *err, size_t errlen);

/* Formats ms as the shortest exact duration string ("90s", "24h", "1500ms"). */
void ts_format_duration_ms(int64_t ms, char *buf, size_t len);

/* Exponential backoff for reconnects: 100 ms doubling to a 5 s ceiling. */
typedef struct ts_backoff {
    int64_t next_ms;
} ts_backoff;

void ts_backoff_reset(ts_backoff *b);
/* Returns the delay to wait now and grows the next one. */
int64_t ts_backoff_next(ts_backoff *b);

#endif
