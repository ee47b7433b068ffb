/* ts_names.h — instrument names and the Redis keys built from them.
 * The layout is documented in docs/REDIS.md; keep the two in step. */
#ifndef TS_NAMES_H
#define TS_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define TS_KEY_META "ts:meta"
#define TS_KEY_INSTRUMENTS "ts:instruments"
#define TS_KEY_TICK_PREFIX "ts:tick:"
#define TS_KEY_LEASE "ts:lease:generator"
/* The time of the last tick time written to every stream (gen_fence.h). */
#define TS_KEY_LAST_TICK "ts:last_tick"
#define TS_CHANNEL_LIVE "ts:live"
/* Bumped when the layout changes incompatibly; stored in ts:meta. */
#define TS_LAYOUT_VERSION 1

#define TS_NAME_MAX 32
#define TS_INSTRUMENTS_MAX 1000000

/* Digits in the widest index, at least 2: 100 → ticker_00..ticker_99,
 * 1000 → ticker_000..ticker_999. */
int ts_instrument_width(uint32_t count);
/* Writes "ticker_07" for index 7 of count 100. */
void ts_instrument_name(char *buf, size_t len, uint32_t index, uint32_t count);
/* Writes the stream key "ts:tick:{ticker_07}"; returns its length. */
int ts_tick_key(char *buf, size_t len, const char *name);
/* Index of a name among count instruments, or -1 when it is not one of them. */
int64_t ts_instrument_index(const char *name, uint32_t count);

#endif
