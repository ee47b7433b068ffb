/* gen_ticker.c — the interval timer and the tick batches.
 *
 * Ticks sit on wall-clock multiples of the interval (t = n * interval_ms), so
 * every generator, gateway and client agrees on where ticks are without
 * talking: the timer is re-armed for the next boundary each time rather than
 * run as a periodic timer, which would drift and could not see a stall.
 *
 * Each firing writes every tick due since the last one written, oldest first
 * (a backfill after a stall, a slow Redis or a restart), but never older than
 * the retention window. One tick time is one MULTI/EXEC: the XADD of every
 * instrument and the PUBLISH of the batch. The transaction makes a tick time
 * all-or-nothing across streams, so a connection cut mid-batch or a kill -9
 * leaves every stream ending at the same time; and because PUBLISH runs after
 * the XADDs, a gateway that hears tick t can already XRANGE it.
 *
 * At most one batch is in flight: when Redis is slow, the next firing finds
 * more intervals due and writes them together. */
#include <inttypes.h>
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "ts_codec.h"
#include "ts_log.h"
#include "ts_names.h"
#include "ts_walk.h"

/* Commands per batch: bounds the pipeline's memory during a long backfill. */
#define GEN_BATCH_COMMANDS 65536
/* Commands queued before yielding to the loop so they are written (see fill). */
#define GEN_SLICE_COMMANDS 4096

static void pump(gen *g);

/* Wakes at the next tick time to the µs (the base has a precise timer,
 * main.c): each ms of wake-up delay is a ms of latency for every client. */
static void arm_timer(gen *g)
{
    int64_t now = ts_now_us(), iv = g->cfg->interval_ms * 1000;
    int64_t delay = (now / iv + 1) * iv - now;
    struct timeval tv = {.tv_sec = delay / 1000000, .tv_usec = delay % 1000000};
    evtimer_add(g->timer_ev, &tv);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    pump(arg);
}

static int is_duplicate(const redisReply *r)
{
    /* "ERR The ID specified in XADD is equal or smaller than the target stream top item" */
    return r->type == REDIS_REPLY_ERROR && strstr(r->str, "equal or smaller") != NULL;
}

/* Reply to one tick time's EXEC. privdata is non-NULL on the batch's last. */
static void on_exec(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    if (reply == NULL) {
        g->in_flight = 0; /* connection gone: the next start-up re-reads the heads */
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        /* The transaction did not run (EXECABORT, OOM…): our prices moved on but
         * Redis did not. Reconnecting re-reads the heads, so nothing is skipped. */
        ts_error("tick batch refused: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        g->stats.errors++;
        gen_redis_lost(g, "batch refused");
        return;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        if (is_duplicate(e)) {
            g->stats.duplicates++;
            g->stats.entries--;
        } else if (e->type == REDIS_REPLY_ERROR) {
            if (g->stats.errors++ == g->last_summary.errors)
                ts_error("command in tick batch failed: %s", e->str);
        }
    }
    if (privdata == NULL)
        return;
    int64_t lat = ts_mono_us() - g->batch_sent_us;
    g->stats.latency_us_sum += lat;
    g->stats.latency_us_max = lat > g->stats.latency_us_max ? lat : g->stats.latency_us_max;
    g->stats.batches++;
    g->in_flight = 0;
    if (g->stopping) {
        gen_shutdown(g, g->exit_code);
        return;
    }
    pump(g);
}

/* Queues up to GEN_SLICE_COMMANDS commands of the batch being sent, then
 * yields to the loop (a zero timer) so that hiredis writes them and Redis
 * works on them while the next slice is built: without slicing, building a
 * 100,000-command tick and Redis executing it would take turns. The batch is
 * still one batch: its last EXEC alone ends it. */
static void fill(gen *g)
{
    const gen_config *cfg = g->cfg;
    redisAsyncContext *c = g->redis;
    int64_t budget = GEN_SLICE_COMMANDS, n = cfg->instruments;
    if (!g->in_flight || c == NULL || g->fill_t > g->fill_end)
        return;
    while (budget > 0 && g->fill_t <= g->fill_end) {
        int64_t t = g->fill_t;
        uint64_t index = (uint64_t)(t / cfg->interval_ms);
        if (g->fill_i == 0) {
            g->fill_minid = ts_now_ms() - cfg->retention_ms;
            redisAsyncCommand(c, NULL, NULL, "MULTI");
        }
        int64_t stop = g->fill_i + budget < n ? g->fill_i + budget : n;
        for (int64_t i = g->fill_i; i < stop; i++) {
            g->prices[i] = ts_walk_next(cfg->seed, (uint32_t)i, index, g->prices[i], (int32_t)cfg->min_price,
                                        (int32_t)cfg->max_price);
            redisAsyncCommand(c, NULL, NULL, "XADD %s MINID ~ %lld %lld-0 p %d", g->keys[i],
                              (long long)g->fill_minid, (long long)t, g->prices[i]);
        }
        budget -= stop - g->fill_i;
        g->fill_i = stop;
        if (g->fill_i < n)
            break;
        msgpack_sbuffer_clear(&g->live_sb);
        if (ts_live_encode(&g->live_sb, g->epoch, t, g->prices, (uint32_t)n) == 0)
            redisAsyncCommand(c, NULL, NULL, "PUBLISH " TS_CHANNEL_LIVE " %b", g->live_sb.data, g->live_sb.size);
        else
            ts_error("encoding the live message of tick %" PRId64 " failed", t);
        redisAsyncCommand(c, on_exec, t == g->fill_end ? g : NULL, "EXEC");
        budget -= 3;
        g->last_t = t;
        g->stats.entries += (uint64_t)n;
        g->stats.ticks++;
        g->stats.backfilled += t < g->fill_due;
        g->fill_t += cfg->interval_ms;
        g->fill_i = 0;
    }
    if (g->fill_t <= g->fill_end) {
        struct timeval zero = {0, 0};
        evtimer_add(g->fill_ev, &zero);
    }
}

static void on_fill(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    fill(arg);
}

/* Starts the next batch if one is due and none is in flight. */
static void pump(gen *g)
{
    const gen_config *cfg = g->cfg;
    if (g->phase != GEN_RUNNING || g->in_flight || g->stopping || g->redis == NULL)
        return;
    int64_t iv = cfg->interval_ms, now = ts_now_ms(), due = now / iv * iv;
    if (g->last_t >= due) {
        arm_timer(g);
        return;
    }
    int64_t first = g->last_t > 0 ? g->last_t + iv : due;
    int64_t oldest = (now - cfg->retention_ms + iv - 1) / iv * iv;
    if (first < oldest) {
        ts_warn("last tick %" PRId64 " is older than the retention window: skipping to %" PRId64, g->last_t,
                oldest);
        first = oldest;
    }
    int64_t count = (due - first) / iv + 1, max = GEN_BATCH_COMMANDS / (cfg->instruments + 3);
    if (max < 1)
        max = 1;
    if (count > max)
        count = max;
    if (first < due && count > 1)
        ts_debug("backfilling %" PRId64 " intervals from %" PRId64, count, first);

    g->batch_sent_us = ts_mono_us();
    g->fill_t = first;
    g->fill_end = first + (count - 1) * iv;
    g->fill_i = 0;
    g->fill_due = due;
    g->in_flight = 1;
    fill(g);
}

static void on_summary(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    gen *g = arg;
    gen_stats *s = &g->stats, *p = &g->last_summary;
    uint64_t batches = s->batches - p->batches;
    ts_info("summary: %" PRIu64 " ticks (%" PRIu64 " entries), %" PRIu64 " backfilled, %" PRIu64
            " already written, %" PRIu64 " errors, %" PRIu64 " reconnects; redis batch latency avg %.1f ms "
            "max %.1f ms",
            s->ticks - p->ticks, s->entries - p->entries, s->backfilled - p->backfilled,
            s->duplicates - p->duplicates, s->errors - p->errors, s->reconnects - p->reconnects,
            batches ? (double)(s->latency_us_sum - p->latency_us_sum) / (double)batches / 1000.0 : 0.0,
            (double)s->latency_us_max / 1000.0);
    *p = *s;
    s->latency_us_max = 0;
}

int gen_ticker_init(gen *g)
{
    int64_t n = g->cfg->instruments;
    g->names = calloc((size_t)n, sizeof(*g->names));
    g->keys = calloc((size_t)n, sizeof(*g->keys));
    g->prices = calloc((size_t)n, sizeof(*g->prices));
    g->timer_ev = evtimer_new(g->base, on_timer, g);
    g->fill_ev = evtimer_new(g->base, on_fill, g);
    msgpack_sbuffer_init(&g->live_sb);
    g->summary_ev = event_new(g->base, -1, EV_PERSIST, on_summary, g);
    if (!g->names || !g->keys || !g->prices || !g->timer_ev || !g->fill_ev || !g->summary_ev)
        return -1;
    for (int64_t i = 0; i < n; i++) {
        ts_instrument_name(g->names[i], sizeof(g->names[i]), (uint32_t)i, (uint32_t)n);
        ts_tick_key(g->keys[i], sizeof(g->keys[i]), g->names[i]);
        g->prices[i] = (int32_t)g->cfg->start_price;
    }
    struct timeval tv = {.tv_sec = g->cfg->summary_ms / 1000, .tv_usec = (g->cfg->summary_ms % 1000) * 1000};
    evtimer_add(g->summary_ev, &tv);
    return 0;
}

void gen_ticker_resume(gen *g)
{
    pump(g);
}

void gen_ticker_stop(gen *g)
{
    evtimer_del(g->timer_ev);
    evtimer_del(g->fill_ev);
}

void gen_ticker_free(gen *g)
{
    if (g->timer_ev)
        event_free(g->timer_ev);
    if (g->summary_ev)
        event_free(g->summary_ev);
    if (g->fill_ev)
        event_free(g->fill_ev);
    msgpack_sbuffer_destroy(&g->live_sb);
    free(g->names);
    free(g->keys);
    free(g->prices);
    free(g->startup_heads);
}
