/* gen_levels.h — since when each level of the ladder holds every tick:
 * ts:meta's rollups_from (docs/REDIS.md, "Rollups"), which start-up reads
 * to choose where each open candle is rebuilt from. Pure: no I/O
 * (tests/gen/test_levels.c).
 *
 * from[k] is the start of the first bucket from which level k has a candle
 * for every bucket that had ticks: 0 for a level there since the history
 * began, the bucket that held the last tick when the level was added to
 * the ladder, GEN_LEVEL_NEW while it is not yet known (added by this
 * start-up). Level j can rebuild level k's open bucket [Bk, last_t] only
 * when from[j] <= Bk: a level added after Bk lacks the candles before it. */
#ifndef GEN_LEVELS_H
#define GEN_LEVELS_H

#include <stddef.h>
#include <stdint.h>

#include "ts_candle.h"

#define GEN_LEVEL_NEW (-1)

/* from[] for ladder l from ts:meta's rollups (the ladder it was written
 * with) and rollups_from ("" when absent: a history written before the
 * field, whose levels were all there from its start). A level of l that
 * neither lists is GEN_LEVEL_NEW. An unreadable item is skipped (its
 * level is then new: the safe side, a read of the raw ticks). */
void gen_levels_read(const ts_ladder *l, const char *meta_rollups, const char *meta_from, int64_t interval_ms,
                     int64_t from[TS_LEVELS_MAX]);
/* All levels there since the start: a new history. */
void gen_levels_all(const ts_ladder *l, int64_t from[TS_LEVELS_MAX]);
/* The levels still GEN_LEVEL_NEW begin at the bucket holding last_t (0
 * when there is no tick yet) — or at the bucket after it, when that bucket
 * is rebuilt from the raw ticks (no finer level holds it) and began before
 * kept_from, the oldest time the raw ticks surely still hold: its candle
 * then counts only the ticks --retention left, and a coarser bucket must
 * not be rebuilt from it later. Sets *short_levels (bit k: level k begins
 * a bucket late). Returns how many were new. */
int gen_levels_begin(const ts_ladder *l, int64_t from[TS_LEVELS_MAX], int64_t last_t, int64_t kept_from,
                     unsigned *short_levels);
/* rollups_from as ts:meta holds it: "10s:0,1m:1795436100000,…" (labels as
 * the ladder spells them; the new levels left out), "-" when none is known. */
void gen_levels_format(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], char *buf, size_t len);
/* Where level k's open candle (the bucket holding last_t) is rebuilt from:
 * the finest-but-nearest level j < k with from[j] <= that bucket's start,
 * or -1 (none: the raw ticks). */
int gen_levels_source(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], int64_t last_t, int k);
/* The same for a rebuild of level k from `start` on: the nearest finer
 * level j with from[j] <= start, or -1. */
int gen_levels_source_from(const int64_t from[TS_LEVELS_MAX], int64_t start, int k);
/* Where start-up rebuilds level k from: the bucket before the one holding
 * last_t when level k holds it (from[k] at or before it: it may be the one
 * candle still waiting to be written, gen_defer.h), else the bucket
 * holding last_t. */
int64_t gen_levels_rebuild(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], int64_t last_t, int k);

#endif
