/* gen_defer.h — closed candles waiting to be written (docs/REDIS.md,
 * "Rollups": "When a boundary closes more candles than a tick time may
 * write").
 *
 * Why candles wait. A tick time on a day boundary closes every level at
 * once: at 100,000 instruments and the default ladder, 700,000 candles, and
 * one Redis core needs 1.6 s to append them to their streams
 * (docs/PERFORMANCE.md, "The floor of a boundary") — so that second, and
 * the ones queued behind it, would be late. Instead a tick time writes at
 * most --candle-budget candles; the rest wait here and go out with the
 * following tick times, finest level first.
 *
 * Why readers stay exact. A candle of level k with bucket start s closes
 * with the first tick at or after s + w_k. It is written, at the latest,
 * with the first tick time at or after s + 2 w_k: before its level's next
 * bucket closes (gen_defer_pop takes it then whatever the budget). So in
 * any snapshot whose newest tick is T, level k holds every bucket that
 * ended before B_k(T) - w_k, and only its newest closed bucket
 * [B_k(T) - w_k, B_k(T)) may be missing: a reader reads that one bucket
 * from the level below (gateway/core/gw_range.c), and start-up rebuilds
 * it the same way (gen_rollups.c). Below the budget nothing waits: every
 * candle goes out in the MULTI/EXEC of the tick that closes it.
 *
 * Per level, one queue in the order the candles closed, so each stream
 * gets its candles in time order (XADD refuses an ID below the last).
 * Pure: no I/O (tests/gen/test_defer.c). */
#ifndef GEN_DEFER_H
#define GEN_DEFER_H

#include <stdint.h>

#include "ts_candle.h"

typedef struct gen_defer gen_defer;

/* NULL when out of memory. The ladder is copied. */
gen_defer *gen_defer_new(const ts_ladder *ladder);
void gen_defer_free(gen_defer *d);

/* Instrument i's candle x of level k closed: it waits behind the ones
 * before it. -1 when out of memory (nothing queued). */
int gen_defer_push(gen_defer *d, int k, uint32_t i, const ts_candle *x);

/* The next candle to write with tick time t, into *k, *i, *x; returns 1,
 * or 0 when none is to be written with t. First every overdue one (its
 * level's next bucket closes at or before t), whatever *budget says; then,
 * while *budget > 0, the oldest of the finest level that has one. Each
 * candle taken lowers *budget by one. */
int gen_defer_pop(gen_defer *d, int64_t t, int64_t *budget, int *k, uint32_t *i, ts_candle *x);

/* The budget for the next tick time, from the current one `cur` and the
 * delay of the last answer (tick time to its EXEC's answer): halved, to no
 * less than max / 8, when the answer came after three quarters of an
 * interval; grown by max / 8, to no more than max, when it came within
 * half of one; else kept. Why: a candle that creates its stream (a level's
 * first close on a new history) costs Redis about 5 appends, and a loaded
 * Redis or machine makes every command dearer — max alone then lets the
 * waiting candles make a second late (docs/PERFORMANCE.md "Every second on
 * time"). The overdue candles go out whatever the budget, so a low one
 * delays candles, never loses or misorders them. */
int64_t gen_defer_budget(int64_t cur, int64_t max, int64_t delay_ms, int64_t interval_ms);

/* How many candles tick time t must write so that, written evenly over the
 * tick times left (every interval_ms), every waiting one is out before it
 * is overdue: the sum over levels of (waiting / tick times until the
 * oldest is overdue), rounded up. A budget below it would save the rest
 * for one tick time at the deadline (gen_defer_pop takes the overdue ones
 * whatever the budget), which is what the budget is there to prevent. */
int64_t gen_defer_need(const gen_defer *d, int64_t t, int64_t interval_ms);

/* Levels whose candles must not wait (bit k: level k): every candle of
 * theirs goes out with the tick time it is waiting at, as an overdue one
 * does. The batch sets them: a level whose waiting candle, lost with a
 * restart, could be rebuilt only from raw ticks that --retention may trim
 * before it is written (no finer level holds its bucket, and 2 × its width
 * exceeds the retention). */
void gen_defer_urgent(gen_defer *d, unsigned levels);

/* Candles waiting, all levels. */
uint64_t gen_defer_count(const gen_defer *d);
/* Forgets every candle (a reconnect: start-up rebuilds them from Redis). */
void gen_defer_clear(gen_defer *d);

#endif
