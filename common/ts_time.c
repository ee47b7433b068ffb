/* ts_time.c — see ts_time.h. */
#include "ts_time.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TS_BACKOFF_MIN_MS 100
#define TS_BACKOFF_MAX_MS 5000

int64_t ts_now_ms(void)
{
    return ts_now_us() / 1000;
}

int64_t ts_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t ts_mono_ms(void)
{
    return ts_mono_us() / 1000;
}

int64_t ts_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const struct {
    const char *suffix;
    int64_t ms;
} duration_units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};

int ts_parse_duration_ms(const char *s, int64_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || errno != 0 || v < 0 || s[0] == '-' || s[0] == '+') {
        snprintf(err, errlen, "'%s' is not a duration (use e.g. 90s, 15m, 24h)", s);
        return -1;
    }
    for (size_t i = 0; i < sizeof(duration_units) / sizeof(duration_units[0]); i++) {
        if (strcmp(end, duration_units[i].suffix) == 0) {
            if (v > INT64_MAX / duration_units[i].ms) {
                snprintf(err, errlen, "'%s' is too long a duration", s);
                return -1;
            }
            *out = v * duration_units[i].ms;
            return 0;
        }
    }
    snprintf(err, errlen, "'%s' needs a unit: ms, s, m, h or d (e.g. 90s, 15m, 24h)", s);
    return -1;
}

void ts_format_duration_ms(int64_t ms, char *buf, size_t len)
{
    for (int i = (int)(sizeof(duration_units) / sizeof(duration_units[0])) - 1; i > 0; i--) {
        if (ms != 0 && ms % duration_units[i].ms == 0) {
            snprintf(buf, len, "%" PRId64 "%s", ms / duration_units[i].ms, duration_units[i].suffix);
            return;
        }
    }
    snprintf(buf, len, "%" PRId64 "ms", ms);
}

void ts_backoff_reset(ts_backoff *b)
{
    b->next_ms = TS_BACKOFF_MIN_MS;
}

int64_t ts_backoff_next(ts_backoff *b)
{
    if (b->next_ms < TS_BACKOFF_MIN_MS)
        b->next_ms = TS_BACKOFF_MIN_MS;
    int64_t d = b->next_ms;
    b->next_ms = d * 2 > TS_BACKOFF_MAX_MS ? TS_BACKOFF_MAX_MS : d * 2;
    return d;
}
