/* gen.h — the generator daemon (tickgen): configuration and state shared by
 * its parts. main.c parses the configuration and wires the parts together:
 *
 *   gen_redis.c    the Redis connection: connect, AUTH/SELECT, lose, back off
 *   gen_startup.c  on every (re)connect: check ts:meta, learn where each
 *                  stream stands, so writing resumes exactly after it
 *   gen_ticker.c   the interval timer and the tick batches (XADD + PUBLISH)
 *
 * Everything runs on one libevent loop; nothing here blocks. */
#ifndef GEN_H
#define GEN_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <msgpack.h>
#include <stdint.h>

#include "ts_redis_url.h"
#include "ts_time.h"

typedef struct gen_config {
    ts_redis_url redis;
    int64_t instruments;
    int64_t interval_ms;
    int64_t retention_ms;
    uint64_t seed;
    int64_t start_price, min_price, max_price;
    int reset;
    int64_t summary_ms; /* how often the summary line is logged */
} gen_config;

typedef enum {
    GEN_DOWN,     /* no connection; a reconnect is scheduled */
    GEN_STARTING, /* connected; reading meta and stream heads */
    GEN_RUNNING,  /* writing ticks */
} gen_phase;

typedef struct gen_stats {
    uint64_t ticks;      /* tick times written (each for every instrument) */
    uint64_t backfilled; /* of those, written after their interval had passed */
    uint64_t entries;    /* stream entries added */
    uint64_t duplicates; /* XADDs refused because the entry existed: already written */
    uint64_t errors;     /* other failed commands */
    uint64_t batches;
    int64_t latency_us_sum, latency_us_max;
    uint64_t reconnects;
} gen_stats;

typedef struct gen {
    const gen_config *cfg;
    struct event_base *base;
    redisAsyncContext *redis;
    gen_phase phase;
    ts_backoff backoff;
    struct event *reconnect_ev;
    struct event *connect_timeout_ev;
    int reset_pending; /* --reset is done once, on the first successful connect */

    /* The walk: prices[i] is instrument i's price at last_t. */
    char (*names)[32];
    char (*keys)[48]; /* "ts:tick:{NAME}" */
    int32_t *prices;
    int64_t last_t; /* time of the last tick written to every stream; 0 = none */
    int64_t epoch;

    /* Ticker. */
    struct event *timer_ev;
    struct event *summary_ev;
    int in_flight;        /* a batch has been sent and its replies are pending */
    int64_t batch_sent_us;
    /* The batch being queued (gen_ticker.c fill): tick times fill_t..fill_end,
     * next instrument fill_i of tick fill_t. */
    struct event *fill_ev;
    int64_t fill_t, fill_end, fill_due, fill_minid, fill_i;
    msgpack_sbuffer live_sb;
    int stopping;         /* SIGINT/SIGTERM seen: exit once nothing is in flight */
    int exit_code;
    gen_stats stats, last_summary;

    /* Start-up bookkeeping. */
    uint32_t heads_pending;
    void *startup_heads; /* int64_t[instruments]: each stream's last time */
} gen;

/* gen_redis.c */
int gen_redis_start(gen *g);
void gen_redis_lost(gen *g, const char *why);
/* Stops the loop with an exit code: the only way a part ends the process. */
void gen_shutdown(gen *g, int code);

/* gen_startup.c: called when a connection is ready for commands. */
void gen_startup_begin(gen *g);

/* gen_ticker.c */
int gen_ticker_init(gen *g);
void gen_ticker_resume(gen *g);
void gen_ticker_stop(gen *g);
void gen_ticker_free(gen *g);

#endif
