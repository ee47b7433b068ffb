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
 * Inside the MULTI the commands are fenced EVALs, so a replaced leader
 * writes nothing, not even half a tick: gen_batch.c builds and sends them,
 * this file decides when and reads what Redis answers.
 *
 * At most GEN_INFLIGHT_MAX batches are in flight (gen_inflight.h says why
 * two): when Redis is slower still, the next firing finds more intervals
 * due and writes them together.
 *
 * A batch Redis refuses while up (OOM, MISCONF) moved our prices on but not
 * Redis's: the connection is dropped once, so start-up re-reads the heads.
 * Until Redis accepts writes again, one fenced probe per interval (an XADD
 * that can never add) instead of a batch, logged once at each end; then the
 * ticks held back are backfilled like after any stall. Without the probe, a
 * long OOM cost a reconnect, a re-read of every head and log lines each interval. */
#include "gen_ticker.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_batch.h"
#include "gen_inflight.h"
#include "gen_progress.h"
#include "ts_log.h"
#include "ts_time.h"

/* Commands per batch: bounds the pipeline's memory during a long backfill. */
#define GEN_BATCH_COMMANDS 65536

struct gen_ticker {
    const gen_config *cfg;
    gen_walk *walk;
    gen_redis *conn;
    gen_lease *lease;
    gen_ticker_hooks hooks;
    gen_batch batch; /* what is sent: the batch being queued, the probe */
    struct event *timer_ev;
    struct event *summary_ev;
    int running;   /* between resume and stop */
    int finishing; /* gen_ticker_finish: no new batch */
    gen_inflight inflight; /* the batches sent and not yet answered */
    int probing;   /* a probe has been sent and its reply is pending */
    int dropped;   /* this connection's batch was refused: ignore the rest of its replies */
    gen_stats stats, last_summary;
    gen_progress bf; /* a backfill longer than one batch, for its progress lines */
};

static void pump(gen_ticker *g);
/* Wakes at the next tick time to the µs (the base has a precise timer,
 * main.c): each ms of wake-up delay is a ms of latency for every client. */
static void arm_timer(gen_ticker *g)
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

/* Redis refused a batch or a probe: the first refusal of a run is logged. */
static void refused(gen_ticker *g, const char *why)
{
    g->stats.refusals++;
    if (g->stats.refused_since_ms != 0)
        return;
    g->stats.refused_since_ms = ts_now_ms();
    ts_error("redis refuses writes: %s; ticks are held back, a write is tried every interval, and what is held back "
             "is backfilled once redis accepts writes again",
             why);
}

/* Commands in the script failed because Redis refuses writes while up. */
static int refusal(const gen_fence_result *res)
{
    return res->errors > 0 && gen_fence_refusal(res->first_error);
}

/* Reply to one tick time's EXEC; 0 when the batch cannot go on. */
static int exec_reply(gen_ticker *g, const redisReply *reply)
{
    if (reply == NULL) {
        gen_inflight_clear(&g->inflight); /* connection gone: the next start-up re-reads the heads */
        return 0;
    }
    if (g->dropped)
        return 0;
    if (reply->type == REDIS_REPLY_NIL) {
        ts_error("tick batch aborted by Redis (EXEC returned nil)");
        g->dropped = 1;
        gen_redis_lost(g->conn, "batch aborted");
        return 0;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        /* The transaction did not run (EXECABORT after an OOM or MISCONF at
         * queueing): our prices moved on but Redis did not. Reconnecting
         * re-reads the heads, so nothing is skipped. */
        refused(g, g->batch.queue_error[0]                   ? g->batch.queue_error
                   : reply->type == REDIS_REPLY_ERROR ? reply->str
                                                      : "bad reply to EXEC");
        g->stats.errors++;
        g->dropped = 1;
        gen_redis_lost(g->conn, "batch refused");
        return 0;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        gen_fence_result res;
        int rc = gen_fence_read(reply->element[i], &res);
        if (rc == -1 || refusal(&res)) {
            /* The script stopped at its first write (MISCONF refuses the
             * lease's PEXPIRE), Redis refused the writes in it, or the
             * chain did (GAP: an earlier tick time is not in Redis): this
             * tick time is not in Redis, whatever our prices say. */
            refused(g, res.first_error);
            g->stats.errors++;
            g->dropped = 1;
            gen_redis_lost(g->conn, "batch refused");
            return 0;
        }
        switch (rc) {
        case 1:
            gen_lease_fenced(g->lease, res.first_error);
            return 0;
        case 0:
            g->stats.duplicates += (uint64_t)res.duplicates;
            g->stats.entries -= (uint64_t)res.duplicates;
            break;
        default:
            res.errors = 1;
        }
        if (res.errors > 0 && g->stats.errors == g->last_summary.errors)
            ts_error("command in tick batch failed: %s", res.first_error);
        g->stats.errors += (uint64_t)res.errors;
    }
    return 1;
}

static int busy(const gen_ticker *g)
{
    return g->probing || g->batch.filling || gen_inflight_count(&g->inflight) > 0;
}

/* The EXEC of one tick time: a batch is done with its last one. */
static void on_exec(redisAsyncContext *c, void *r, void *priv)
{
    gen_ticker *g = priv;
    (void)c;
    int last = exec_reply(g, r) ? gen_inflight_ack(&g->inflight, ts_now_ms(), ts_mono_us(), &g->stats) : -1;
    if (last < 0)
        return;
    if (g->cfg->candle_budget > 0) /* how late this answer came sets the next tick times' candle budget */
        g->batch.candle_budget = gen_defer_budget(g->batch.candle_budget, g->cfg->candle_budget,
                                                  g->inflight.last_delay_ms, g->cfg->interval_ms);
    if (last != 1)
        return;
    if (g->finishing) {
        if (!busy(g))
            g->hooks.on_finished(g->hooks.owner);
        return;
    }
    pump(g);
}

/* Logs a backfill that takes more than one batch: its start, a progress
 * line every --progress, its end. left counts the intervals due, this
 * batch's among them. */
static void backfill_progress(gen_ticker *g, int64_t left, int64_t batch)
{
    gen_progress *p = &g->bf;
    if (!p->active) {
        if (left <= batch)
            return; /* one batch: the usual tick, or a short catch-up */
        gen_progress_start(p, "backfill", "intervals written", left, g->cfg->progress_ms);
        ts_info("backfill: %" PRId64 " intervals due (%" PRId64 " s), in batches of %" PRId64, left,
                left * g->cfg->interval_ms / 1000, batch);
    } else if (left <= batch) {
        ts_info("backfill: done, %" PRId64 " intervals in %.1f s", p->done + left, gen_progress_seconds(p));
        p->active = 0;
        return;
    }
    gen_progress_update(p, p->done, p->done + left);
    p->done += batch;
}

static void on_probe(redisAsyncContext *c, void *r, void *priv)
{
    gen_ticker *g = priv;
    const redisReply *reply = r;
    gen_fence_result res;
    (void)c;
    if (reply == NULL)
        return; /* connection gone: gen_ticker_stop, then start-up again */
    g->probing = 0;
    int rc = -1;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1)
        rc = gen_fence_read(reply->element[0], &res);
    else
        snprintf(res.first_error, sizeof(res.first_error), "%s",
                 g->batch.queue_error[0] ? g->batch.queue_error : reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
    if (rc == 1) {
        gen_lease_fenced(g->lease, res.first_error); /* the lease ran out meanwhile */
        return;
    }
    if (rc == 0 && !refusal(&res)) {
        ts_info("redis accepts writes again after %.1f s (%" PRIu64 " refusals)%s: backfilling",
                (double)(ts_now_ms() - g->stats.refused_since_ms) / 1000.0, g->stats.refusals,
                res.taken ? "; the lease had lapsed meanwhile (its renewal was refused too) and is taken again" : "");
        g->stats.refused_since_ms = 0;
        pump(g);
        return;
    }
    refused(g, res.first_error);
    arm_timer(g);
}

/* While Redis refuses writes: a probe instead of a batch (gen_batch_probe). */
static void probe(gen_ticker *g)
{
    g->probing = 1;
    if (gen_batch_probe(&g->batch) != 0) {
        g->probing = 0;
        gen_redis_lost(g->conn, "a fenced write could not be sent");
    }
}

/* Starts the next batch if one is due, the last one is queued whole and
 * fewer than GEN_INFLIGHT_MAX are in flight; else arms the timer or waits
 * for an answer. */
static void pump(gen_ticker *g)
{
    const gen_config *cfg = g->cfg;
    int64_t last_t = g->walk->last_t;
    if (!g->running || g->probing || g->batch.filling || g->finishing || gen_redis_ctx(g->conn) == NULL)
        return;
    if (g->stats.refused_since_ms != 0) {
        if (gen_inflight_count(&g->inflight) == 0)
            probe(g);
        return;
    }
    if (gen_inflight_count(&g->inflight) == GEN_INFLIGHT_MAX)
        return; /* the oldest's answer calls pump again */
    int64_t iv = cfg->interval_ms, now = ts_now_ms(), due = now / iv * iv;
    if (last_t >= due) {
        arm_timer(g);
        return;
    }
    int64_t first = last_t > 0 ? last_t + iv : due;
    int64_t oldest = (now - cfg->retention_ms + iv - 1) / iv * iv;
    if (first < oldest) {
        ts_warn("last tick %" PRId64 " is older than the retention window: skipping to %" PRId64, last_t, oldest);
        first = oldest;
    }
    int64_t count = (due - first) / iv + 1, max = GEN_BATCH_COMMANDS / (g->walk->n + 3);
    if (max < 1)
        max = 1;
    if (count > max)
        count = max;
    backfill_progress(g, (due - first) / iv + 1, count);

    gen_inflight_push(&g->inflight, first, first + (count - 1) * iv, ts_mono_us());
    gen_batch_start(&g->batch, first, first + (count - 1) * iv, due);
}

/* The batch is queued whole: the next may begin while it runs, or the
 * timer waits for it. */
static void on_sent(void *owner)
{
    pump(owner);
}

static void on_summary(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    gen_ticker *g = arg;
    g->stats.reconnects = gen_redis_reconnects(g->conn);
    gen_stats_summary(&g->stats, &g->last_summary);
}

gen_ticker *gen_ticker_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                           gen_lease *lease, gen_ticker_hooks hooks)
{
    gen_ticker *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->cfg = cfg;
    g->walk = walk;
    g->conn = conn;
    g->lease = lease;
    g->hooks = hooks;
    gen_inflight_init(&g->inflight, cfg->interval_ms);
    g->timer_ev = evtimer_new(base, on_timer, g);
    g->summary_ev = event_new(base, -1, EV_PERSIST, on_summary, g);
    gen_batch_hooks bh = {.owner = g, .on_exec = on_exec, .on_probe = on_probe, .on_sent = on_sent};
    int batch_rc = gen_batch_init(&g->batch, base, cfg, walk, conn, lease, &g->stats, bh);
    if (batch_rc != 0 || !g->timer_ev || !g->summary_ev) {
        gen_ticker_free(g);
        return NULL;
    }
    struct timeval tv = {.tv_sec = cfg->summary_ms / 1000, .tv_usec = (cfg->summary_ms % 1000) * 1000};
    evtimer_add(g->summary_ev, &tv);
    return g;
}

void gen_ticker_refused(gen_ticker *g, const char *why)
{
    refused(g, why);
}

const gen_stats *gen_ticker_stats(const gen_ticker *g)
{
    return &g->stats;
}

void gen_ticker_resume(gen_ticker *g)
{
    g->running = 1;
    g->dropped = 0;
    g->batch.queue_error[0] = '\0';
    pump(g);
}

void gen_ticker_stop(gen_ticker *g)
{
    g->running = 0;
    g->probing = 0;
    gen_inflight_clear(&g->inflight);
    evtimer_del(g->timer_ev);
    gen_batch_stop(&g->batch);
}

int gen_ticker_finish(gen_ticker *g)
{
    g->finishing = 1;
    evtimer_del(g->timer_ev);
    return !busy(g);
}

void gen_ticker_free(gen_ticker *g)
{
    if (g == NULL)
        return;
    if (g->timer_ev)
        event_free(g->timer_ev);
    if (g->summary_ev)
        event_free(g->summary_ev);
    gen_batch_free(&g->batch);
    free(g);
}
