/* gen_batch.c — how the ticker's writes are built and sent (gen_ticker.c
 * says when, and reads what Redis answers).
 *
 * One tick time is one MULTI/EXEC: the XADD of every instrument, the candles
 * its tick closes (or, past --candle-budget, some of them and some closed
 * before: gen_defer.h), and the PUBLISH of the tick time (gen_ticker.c
 * says why).
 *
 * Inside the MULTI the commands are not sent bare but as fenced EVALs
 * (gen_lease_send, gen_fence.h), one per slice: each runs only while the
 * lease is ours. The slices of one tick time run inside one EXEC, with no
 * other client between them, so they all run or none does: a replaced
 * leader writes nothing, not even half a tick.
 *
 * Its own file because building a batch is the one part of the ticker that
 * knows the commands: the ticker only hands it the tick times due and hears
 * back through hooks (each EXEC's reply, the batch queued whole). */
#include "gen_batch.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gen_levels.h"
#include "ts_codec.h"
#include "ts_log.h"
#include "ts_time.h"
#include "ts_walk.h"

/* Commands queued before yielding to the loop so they are written (see fill). */
#define GEN_SLICE_COMMANDS 4096

/* Queues the candles instrument i's tick closed (bit k of `closed`: level
 * k) to be written (gen_defer.h); -1 when out of memory. */
static int defer_candles(gen_batch *b, uint32_t i, unsigned closed, const ts_candle out[TS_LEVELS_MAX])
{
    for (int k = 0; closed != 0; k++, closed >>= 1)
        if ((closed & 1) && gen_defer_push(b->walk->defer, k, i, &out[k]) != 0)
            return -1;
    return 0;
}

/* XADDs, in the tick time t's MULTI, the waiting candles gen_defer_pop
 * gives for t (within b->fill_cbudget), as many as *room, the commands
 * left in this slice, allows; returns 1 when none is left for t. */
static int add_candles(gen_batch *b, int64_t t, int64_t *room)
{
    const ts_ladder *l = gen_candles_ladder(b->walk->candles);
    char key[TS_NAME_MAX + 48];
    int k;
    uint32_t i;
    ts_candle x;
    while (*room > 0) {
        if (!gen_defer_pop(b->walk->defer, t, &b->fill_cbudget, &k, &i, &x))
            return 1;
        ts_candle_key(key, sizeof(key), &l->lv[k], b->walk->names[i]);
        gen_fence_cmd(&b->fence, TS_CANDLE_XADD_FMT, key, (long long)b->fill_cminid[k], (long long)x.t, x.o, x.h,
                      x.l, x.c, x.n);
        (*room)--;
        b->stats->candles++;
        b->stats->entries++;
    }
    return 0;
}

/* The reply to queueing a slice: QUEUED, or why Redis refused it (OOM…). */
static void on_queued(redisAsyncContext *c, void *r, void *priv)
{
    gen_batch *b = priv;
    const redisReply *reply = r;
    (void)c;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && b->queue_error[0] == '\0')
        snprintf(b->queue_error, sizeof(b->queue_error), "%s", reply->str);
}

/* Sends the slice queued in b->fence as one fenced EVAL (inside the tick's
 * MULTI, so its reply is QUEUED; EXEC's reply carries the script's). It
 * runs only if ts:last_tick still holds the tick time sent before this
 * one; the tick time's last slice (t > 0) then sets it to t (gen_fence.h). */
static int send_slice(gen_batch *b, int64_t t)
{
    if (gen_fence_commands(&b->fence) == 0 && t == 0)
        return 0;
    gen_fence_chain(&b->fence, b->walk->chain_t, t);
    int rc = gen_lease_send(b->lease, &b->fence, on_queued, b);
    gen_fence_reset(&b->fence);
    if (rc != 0)
        gen_redis_lost(b->conn, "a fenced write could not be sent");
    else if (t > 0)
        b->walk->chain_t = t;
    return rc;
}

/* Queues up to GEN_SLICE_COMMANDS commands of the batch being sent, then
 * yields to the loop (a zero timer) so that hiredis writes them and Redis
 * works on them while the next slice is built: without slicing, building a
 * 100,000-command tick and Redis executing it would take turns. The batch is
 * still one batch: its last EXEC alone ends it. */
static void fill(gen_batch *b)
{
    const gen_config *cfg = b->cfg;
    gen_walk *w = b->walk;
    redisAsyncContext *c = gen_redis_ctx(b->conn);
    int64_t budget = GEN_SLICE_COMMANDS, n = w->n;
    if (!b->filling || c == NULL)
        return;
    while (budget > 0 && b->fill_t <= b->fill_end) {
        int64_t t = b->fill_t;
        uint64_t index = (uint64_t)(t / cfg->interval_ms);
        if (b->fill_i == 0 && !b->fill_candles) {
            b->fill_minid = ts_now_ms() - cfg->retention_ms;
            unsigned urgent = 0;
            for (int k = 0; k < cfg->ladder.n; k++) {
                int64_t width = cfg->ladder.lv[k].width_ms;
                b->fill_cminid[k] = b->fill_minid + cfg->retention_ms - cfg->ladder.lv[k].retention_ms;
                if (2 * width > cfg->retention_ms &&
                    gen_levels_source_from(w->level_from, ts_bucket(t, width) - width, k) < 0)
                    urgent |= 1u << k;
            }
            gen_defer_urgent(w->defer, urgent);
            redisAsyncCommand(c, NULL, NULL, "MULTI");
        }
        if (!b->fill_candles) {
            int64_t stop = b->fill_i + budget < n ? b->fill_i + budget : n;
            for (int64_t i = b->fill_i; i < stop; i++) {
                w->prices[i] = ts_walk_next(cfg->seed, (uint32_t)i, index, w->prices[i], (int32_t)cfg->min_price,
                                            (int32_t)cfg->max_price);
                gen_fence_cmd(&b->fence, "XADD %s MINID ~ %lld %lld-0 p %d", w->keys[i], (long long)b->fill_minid,
                              (long long)t, w->prices[i]);
                ts_candle out[TS_LEVELS_MAX];
                unsigned closed = gen_candles_tick(w->candles, (uint32_t)i, t, w->prices[i], out);
                if (closed != 0 && defer_candles(b, (uint32_t)i, closed, out) != 0) {
                    gen_redis_lost(b->conn, "out of memory queueing the candles to write"); /* start-up rebuilds them */
                    return;
                }
            }
            budget -= stop - b->fill_i;
            b->fill_i = stop;
            if (b->fill_i < n) {
                send_slice(b, 0);
                break;
            }
            b->fill_candles = 1;
            if (cfg->candle_budget > 0) {
                int64_t need = gen_defer_need(w->defer, t, cfg->interval_ms);
                b->fill_cbudget = need > b->candle_budget ? need : b->candle_budget;
            } else {
                b->fill_cbudget = INT64_MAX;
            }
        }
        /* The candles after the ticks: those this tick time closed and those
         * waiting from before, as many as its budget allows (gen_defer.h). */
        if (!add_candles(b, t, &budget)) {
            send_slice(b, 0);
            break;
        }
        msgpack_sbuffer_clear(&b->live_sb);
        if (ts_live_encode(&b->live_sb, w->epoch, t, w->prices, (uint32_t)n) == 0)
            gen_fence_cmd_bin(&b->fence, "PUBLISH " TS_CHANNEL_LIVE, b->live_sb.data, b->live_sb.size);
        else
            ts_error("encoding the live message of tick %" PRId64 " failed", t);
        if (send_slice(b, t) != 0)
            return;
        redisAsyncCommand(c, b->hooks.on_exec, b->hooks.owner, "EXEC");
        budget -= 3;
        w->last_t = t;
        b->stats->entries += (uint64_t)n;
        b->stats->ticks++;
        b->stats->backfilled += t < b->fill_due;
        b->fill_t += cfg->interval_ms;
        b->fill_i = 0;
        b->fill_candles = 0;
    }
    if (b->fill_t <= b->fill_end) {
        struct timeval zero = {0, 0};
        evtimer_add(b->fill_ev, &zero);
        return;
    }
    b->filling = 0;
    b->hooks.on_sent(b->hooks.owner); /* the next batch may begin while this one runs, or the timer waits for it */
}

static void on_fill(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    fill(arg);
}

int gen_batch_init(gen_batch *b, struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                   gen_lease *lease, gen_stats *stats, gen_batch_hooks hooks)
{
    memset(b, 0, sizeof(*b));
    b->cfg = cfg;
    b->walk = walk;
    b->conn = conn;
    b->lease = lease;
    b->stats = stats;
    b->hooks = hooks;
    b->candle_budget = cfg->candle_budget;
    gen_fence_init(&b->fence);
    msgpack_sbuffer_init(&b->live_sb);
    b->fill_ev = evtimer_new(base, on_fill, b);
    return b->fill_ev != NULL ? 0 : -1;
}

void gen_batch_start(gen_batch *b, int64_t first, int64_t end, int64_t due)
{
    b->fill_t = first;
    b->fill_end = end;
    b->fill_i = 0;
    b->fill_candles = 0;
    b->fill_due = due;
    b->filling = 1;
    fill(b);
}

/* While Redis refuses writes: one fenced write that can never add an entry
 * (ID 0-1 is below every stream's last ID; NOMKSTREAM creates none), in a
 * MULTI like a batch: Redis checks OOM when it queues a command, and not in
 * a script once the script has written (its PEXPIRE of the lease). It takes
 * the lease if it lapsed meanwhile and nobody holds it (gen_fence.c). */
int gen_batch_probe(gen_batch *b)
{
    redisAsyncContext *c = gen_redis_ctx(b->conn);
    gen_fence_reset(&b->fence);
    b->fence.take_free = 1;
    gen_fence_cmd(&b->fence, "XADD %s NOMKSTREAM 0-1 p 0", b->walk->keys[0]);
    b->queue_error[0] = '\0';
    redisAsyncCommand(c, NULL, NULL, "MULTI");
    int rc = gen_lease_send(b->lease, &b->fence, on_queued, b);
    gen_fence_reset(&b->fence);
    if (rc != 0)
        return -1;
    redisAsyncCommand(c, b->hooks.on_probe, b->hooks.owner, "EXEC");
    return 0;
}

void gen_batch_stop(gen_batch *b)
{
    b->filling = 0;
    evtimer_del(b->fill_ev);
    gen_fence_reset(&b->fence);
}

void gen_batch_free(gen_batch *b)
{
    if (b->fill_ev)
        event_free(b->fill_ev);
    msgpack_sbuffer_destroy(&b->live_sb);
    gen_fence_free(&b->fence);
}
