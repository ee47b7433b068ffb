/* ts_walk.c — see ts_walk.h. */
#include "ts_walk.h"

uint64_t ts_splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

int ts_walk_move(uint64_t seed, uint32_t instrument, uint64_t tick_index)
{
    /* Two rounds so that neighbouring (instrument, index) pairs decorrelate. */
    uint64_t h = ts_splitmix64(ts_splitmix64(seed ^ ((uint64_t)instrument << 40)) ^ tick_index);
    return (h >> 63) ? 1 : -1;
}

int32_t ts_walk_step(int32_t price, int move, int32_t min, int32_t max)
{
    if (min >= max)
        return min;
    if (price < min)
        return min;
    if (price > max)
        return max;
    if (move > 0)
        return price == max ? price - 1 : price + 1;
    return price == min ? price + 1 : price - 1;
}

int32_t ts_walk_next(uint64_t seed, uint32_t instrument, uint64_t tick_index, int32_t prev, int32_t min,
                     int32_t max)
{
    return ts_walk_step(prev, ts_walk_move(seed, instrument, tick_index), min, max);
}
