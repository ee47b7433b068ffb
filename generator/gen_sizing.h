/* gen_sizing.h — the Redis memory a configuration needs once every stream
 * holds its full retention (docs/REDIS.md, "Sizing"): what tickgen logs at
 * start, exports as tickgen_redis_memory_estimate_bytes and compares with
 * Redis's maxmemory (gen_memcheck.h). Pure: no I/O (tests/gen/test_sizing.c).
 *
 * The constants are INFO memory's used_memory (what maxmemory is compared
 * with) that a DEL gives back, measured by `make bench-memory`
 * (bench/memory.sh) on Redis 7.0.15, stream-node-max-bytes 4096 and
 * -entries 100, jemalloc 5.3:
 *   a tick stream of one entry 4,261 B, a candle stream of one candle
 *   4,336 B (the key, the stream, its radix tree and the tail listpack
 *   node Redis 7 preallocates at stream-node-max-bytes);
 *   a tick entry 14.7 B (1 day of a ±1 walk at 1 s) to 15.7 B (7 and 30
 *   days: larger prices), a candle 25.5 (1 day) to 26.6 B (30 days).
 * Rounded up: 4,400 B a stream, 16 B a tick, 27 B a candle. Prices far
 * from 0 (--start-price 1000000) take a byte or two more an entry. */
#ifndef GEN_SIZING_H
#define GEN_SIZING_H

#include <stddef.h>
#include <stdint.h>

#include "ts_candle.h"

#define GEN_SIZING_STREAM_BYTES 4400
#define GEN_SIZING_TICK_BYTES 16
#define GEN_SIZING_CANDLE_BYTES 27
/* MINID ~ trims whole nodes: a stream holds up to one node more than its
 * retention (stream-node-max-entries, 100 by default). */
#define GEN_SIZING_NODE_ENTRIES 100

typedef struct gen_sizing {
    double streams;        /* instruments × (1 + levels) */
    double tick_entries;   /* per instrument: retention / interval + one node */
    double candle_entries; /* per instrument: Σ level retention / width + one node each */
    double ticks, candles, floor; /* bytes, all instruments */
    double total;                 /* bytes, all instruments */
    double per_instrument;        /* bytes */
    double per_instrument_day;    /* bytes one instrument adds a day before any retention is reached */
} gen_sizing;

void gen_sizing_estimate(int64_t instruments, int64_t interval_ms, int64_t retention_ms, const ts_ladder *l,
                         gen_sizing *out);
/* "512 B", "6.4 MiB", "3.3 GiB": binary units, one decimal above bytes. */
void gen_sizing_format(double bytes, char *buf, size_t len);
/* From the text of INFO memory: maxmemory (0: none) and maxmemory_policy
 * ("" when absent). -1 when there is no maxmemory line. */
int gen_sizing_info(const char *info, int64_t *maxmemory, char *policy, size_t policylen);

#endif
