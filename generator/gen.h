/* gen.h — the generator daemon (tickgen): what its parts share. Each part
 * has its own header and keeps its state in a struct of its own file; calls
 * go down only, events come up through hooks the owner installs:
 *
 *   main.c          options, signals, wiring; the only one that stops the loop
 *     │ hooks ▲
 *   gen_startup.c   on every (re)connect: --reset, then read where each stream
 *                   stands | gen_meta.c below it: check and write ts:meta
 *   gen_ticker.c    the interval timer, the replies | gen_batch.c below it:
 *                   builds and sends the tick batches and the probe
 *     │       ▲
 *   gen_redis.c     the Redis connection: connect, AUTH/SELECT, lose, back off
 *     │
 *   common/         ts_entry, ts_meta, ts_redis, ts_walk, ts_codec, …
 *
 * Start-up and the ticker never call each other: start-up fills the gen_walk
 * below and reports done; main then resumes the ticker, which advances it.
 * Everything runs on one libevent loop; nothing here blocks. */
#ifndef GEN_H
#define GEN_H

#include <stdint.h>

#include "gen_candles.h"
#include "gen_defer.h"
#include "ts_names.h"
#include "ts_redis_url.h"

typedef struct gen_config {
    ts_redis_url redis;
    int64_t instruments;
    int64_t interval_ms;
    int64_t retention_ms;
    uint64_t seed;
    int64_t start_price, min_price, max_price;
    int reset;
    const char *rollups; /* --rollups: the ladder spec */
    ts_ladder ladder;    /* parsed from it */
    int rebuild_rollups; /* --rebuild-rollups: rebuild the candles from the raw ticks at start-up */
    int64_t candle_budget; /* --candle-budget: candles a tick time writes at most (gen_defer.h); 0 = all */
    int64_t summary_ms; /* how often the summary line is logged */
    int64_t progress_ms; /* --progress: how often a long operation logs a progress line */
    int64_t lease_ms;   /* --lease: ts:lease:generator's ttl; 0 = max(2 intervals, 1 s) */
} gen_config;

/* The walk as Redis holds it. Start-up sets prices, last_t and epoch from
 * Redis on every connect; the ticker advances them as it sends batches. */
typedef struct gen_walk {
    uint32_t n;
    char (*names)[TS_NAME_MAX];
    char (*keys)[TS_NAME_MAX + 16]; /* "ts:tick:{NAME}" */
    int32_t *prices;                /* prices[i]: instrument i's price at last_t */
    int64_t last_t;                 /* time of the last tick written to every stream; 0 = none */
    int64_t chain_t; /* what ts:last_tick holds once what was sent ran (gen_fence.h): start-up reads it */
    int64_t epoch;
    uint64_t histories_lost; /* times start-up found no ts:meta after this process had a history (new epoch) */
    gen_candles *candles; /* the open candles; start-up (gen_rollups.c) refills them, the ticker advances them */
    gen_defer *defer;     /* the closed candles still to write; start-up rebuilds them, the ticker writes them */
    /* ts:meta's rollups when this process first found the history ("" none),
     * for the line that names the new levels */
    char meta_rollups[256];
    int meta_rollups_seen;
    /* since when each level of the ladder holds every tick (gen_levels.h):
     * read from ts:meta at each start-up, written back by gen_rollups.c */
    int64_t level_from[TS_LEVELS_MAX];
} gen_walk;

/* Redis round-trip buckets of a tick batch, in µs (tickgen_redis_batch_seconds). */
#define GEN_LAT_BUCKETS 14
static const int64_t gen_lat_bounds_us[GEN_LAT_BUCKETS] = {500,    1000,   2500,    5000,    10000,   25000,   50000,
                                                           100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

/* What the ticker counts, for the summary line and /metrics; written by
 * gen_ticker.c and the gen_batch.c it embeds only. */
typedef struct gen_stats {
    uint64_t ticks;      /* tick times written (each for every instrument) */
    uint64_t backfilled; /* of those, whose batch began after their interval had passed */
    uint64_t late;       /* tick times whose EXEC was answered more than one interval after their time */
    int64_t delay_ms_max; /* the longest of those delays (tick time to its EXEC's answer) since the last summary */
    uint64_t entries;    /* stream entries added */
    uint64_t candles;    /* candles written (closed) */
    uint64_t duplicates; /* XADDs refused because the entry existed: already written */
    uint64_t errors;     /* other failed commands */
    uint64_t batches;
    int64_t latency_us_sum, latency_us_max;
    uint64_t reconnects;
    uint64_t refusals;        /* batches and probes Redis refused (OOM, MISCONF, …) */
    int64_t refused_since_ms; /* 0, or since when Redis refuses our writes */
    uint64_t lat_count[GEN_LAT_BUCKETS + 1]; /* batches per bucket; the last is +Inf */
} gen_stats;

/* Logs the summary line: what *s counted since *last, which becomes *s
 * (gen_stats.c). */
void gen_stats_summary(gen_stats *s, gen_stats *last);

#endif
