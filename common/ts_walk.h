/* ts_walk.h — the price path: a ±1 random walk that is a pure function.
 *
 * The move of instrument i at tick index n (tick time / interval) depends only
 * on (seed, i, n). A generator that backfills after a stall, one restarted
 * after kill -9, or a second generator all write the very same ticks, so a
 * duplicate write is harmless and the history never forks. */
#ifndef TS_WALK_H
#define TS_WALK_H

#include <stdint.h>

#define TS_DEFAULT_SEED 0x7469636b73747265ULL /* "tickstre" */
#define TS_DEFAULT_SEED_STR "0x7469636b73747265"

uint64_t ts_splitmix64(uint64_t x);
/* +1 or -1. */
int ts_walk_move(uint64_t seed, uint32_t instrument, uint64_t tick_index);
/* price + move, reflected at [min, max]: a move that would leave the band is
 * turned around, so the walk stays inside and every step is still ±1
 * (except in a band of one value, where the price cannot move). */
int32_t ts_walk_step(int32_t price, int move, int32_t min, int32_t max);
/* Convenience: the price at tick_index given the price at tick_index - 1. */
int32_t ts_walk_next(uint64_t seed, uint32_t instrument, uint64_t tick_index, int32_t prev, int32_t min,
                     int32_t max);

#endif
