/* gen_batch.h — what the ticker writes, built and sent (gen_ticker.c decides
 * when, and reads the replies): a batch of tick times, each one MULTI of
 * fenced slices and its EXEC, queued a slice at a time; and the probe
 * written instead while Redis refuses writes (gen_batch.c says why). */
#ifndef GEN_BATCH_H
#define GEN_BATCH_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <msgpack.h>

#include "gen.h"
#include "gen_fence.h"
#include "gen_lease.h"
#include "gen_redis.h"

typedef struct gen_batch_hooks {
    void *owner;
    /* hiredis callbacks, with owner as their privdata: the reply to one
     * tick time's EXEC, and to the probe's. */
    void (*on_exec)(redisAsyncContext *c, void *reply, void *owner);
    void (*on_probe)(redisAsyncContext *c, void *reply, void *owner);
    /* The batch is queued whole: the next one may begin. */
    void (*on_sent)(void *owner);
} gen_batch_hooks;

/* Embedded in the ticker. Its fields are gen_batch.c's; the ticker only
 * reads filling and queue_error, and clears queue_error on a new connection. */
typedef struct gen_batch {
    const gen_config *cfg;
    gen_walk *walk;
    gen_redis *conn;
    gen_lease *lease;
    gen_stats *stats; /* entries, candles, ticks, backfilled: counted as queued */
    gen_batch_hooks hooks;
    gen_fence fence; /* the slice being queued: one fenced EVAL */
    int filling;     /* the batch is still being queued (fill) */
    char queue_error[160]; /* why Redis refused to queue a command of the batch */
    /* The batch being queued (fill): tick times fill_t..fill_end, next
     * instrument fill_i of tick fill_t. */
    struct event *fill_ev;
    int64_t fill_t, fill_end, fill_due, fill_minid, fill_i;
    int64_t fill_cminid[TS_LEVELS_MAX]; /* MINID of each candle level for this tick time */
    int fill_candles;     /* fill_t's ticks are queued: its candles are being queued */
    int64_t fill_cbudget; /* candles fill_t may still write */
    int64_t candle_budget; /* what a tick time may write: --candle-budget, lowered while answers come late
                              (gen_defer_budget; the ticker sets it) */
    msgpack_sbuffer live_sb;
} gen_batch;

/* -1 when out of memory; gen_batch_free then still frees what it holds. cfg,
 * walk, conn, lease and stats outlive it. */
int gen_batch_init(gen_batch *b, struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                   gen_lease *lease, gen_stats *stats, gen_batch_hooks hooks);
/* Starts queueing tick times first..end, every interval; those before due
 * are counted as backfilled. on_sent follows once all are queued. */
void gen_batch_start(gen_batch *b, int64_t first, int64_t end, int64_t due);
/* Sends the probe; its EXEC's reply goes to on_probe. -1 when it could not
 * be sent: the connection should be dropped. */
int gen_batch_probe(gen_batch *b);
/* The connection is gone: nothing more is queued. */
void gen_batch_stop(gen_batch *b);
void gen_batch_free(gen_batch *b);

#endif
