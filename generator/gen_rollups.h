/* gen_rollups.h — the candles at start-up, after gen_startup (the walk's
 * last_t is Redis's) and before the ticker writes: with --rebuild-rollups
 * (first connect only) it writes every candle the raw ticks make that the
 * candle streams lack; then it refills the open candles from Redis
 * (gen_rollups.c says how). */
#ifndef GEN_ROLLUPS_H
#define GEN_ROLLUPS_H

#include "gen.h"
#include "gen_lease.h"
#include "gen_redis.h"

typedef struct gen_rollups gen_rollups;

typedef struct gen_rollups_hooks {
    void *owner;
    /* The open candles are Redis's: writing may start. */
    void (*on_done)(void *owner);
    /* A candle stream cannot be read (wrong type…): exit with code; logged. */
    void (*on_fatal)(void *owner, int code);
} gen_rollups_hooks;

/* NULL when out of memory. cfg, walk, conn and lease outlive it; the lease
 * sends the one write, ts:meta's rollups_from for the levels added. */
gen_rollups *gen_rollups_new(const gen_config *cfg, gen_walk *walk, gen_redis *conn, gen_lease *lease,
                             gen_rollups_hooks hooks);
/* Runs on conn's connection; a connection lost meanwhile ends it (call again). */
void gen_rollups_begin(gen_rollups *r);
void gen_rollups_free(gen_rollups *r);

#endif
