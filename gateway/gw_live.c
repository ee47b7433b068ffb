/* gw_live.c — ts:live into the ring and out to live subscriptions, gapless.
 *
 * Every tick row enters the ring through append_row, in strictly increasing
 * time, and is broadcast right there; nothing else writes the ring. A live
 * message whose t is more than one interval after the ring's last row means
 * pub/sub lost messages (Redis restarted, our subscriber reconnected, or Redis
 * dropped us for a full output buffer). Then the hole is read from the
 * streams before anything newer is used:
 *
 *   repair chunk: XRANGE ts:tick:{each instrument} (from, to) COUNT rows,
 *   all pipelined on the command connection; when the last reply is in, the
 *   rows up to the lowest last-t among full replies are appended and
 *   broadcast, and the next chunk starts after them. Live messages that
 *   arrive meanwhile wait in `pending` and are replayed afterwards (older
 *   ones are dropped as duplicates, newer holes start another repair).
 *
 * The streams hold every tick <= t when t is published: the generator XADDs a
 * tick's prices before it PUBLISHes it, on one connection, and backfills
 * oldest first. So the repair reads a complete hole, and a hole the streams
 * do not fill (data lost with Redis) stays GW_MISSING in the ring and reaches
 * clients as a new hist run, never as a silent jump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "ts_log.h"
#include "ts_names.h"

#define REPAIR_ROWS 2000       /* rows per repair chunk and instrument */
#define PENDING_MAX 100000     /* live messages held during a repair */
#define PREFILL_MAX 12000      /* rows read into an empty ring at start */

static void process(gw_worker *w, ts_live_msg *m);
static void repair_finish_chunk_empty(gw_worker *w);

/* Ring capacity in rows for this interval: --ring worth, at most --ring-max. */
static uint32_t ring_rows(const gw_worker *w)
{
    int64_t rows = w->g->cfg.ring_ms / w->meta.interval_ms;
    if (rows > w->g->cfg.ring_max)
        rows = w->g->cfg.ring_max;
    return rows < 16 ? 16 : (uint32_t)rows;
}

void gw_live_reset(gw_worker *w)
{
    for (size_t i = 0; i < w->npending; i++)
        ts_live_msg_free(&w->pending[i]);
    w->npending = 0;
    gw_ring_clear(&w->ring);
    w->synced = 0;
    w->repair_wanted = 0;
    /* A repair in flight finishes into the void: its replies see repairing == 0. */
    w->repairing = 0;
}

void gw_live_meta_loaded(gw_worker *w, const gw_meta *m)
{
    int same = w->meta.ok && w->meta.epoch == m->epoch && w->meta.count == m->count &&
               w->meta.interval_ms == m->interval_ms;
    if (same) {
        w->meta.retention_ms = m->retention_ms;
        gw_worker_set_ready(w);
        return;
    }
    if (w->meta.count != 0) {
        /* New history (epoch) or a new shape: what clients hold is void. They
         * reconnect, resubscribe and get hist with the new epoch. */
        ts_warn("worker %d: ts:meta changed (epoch %lld -> %lld); closing clients", w->id,
                (long long)w->meta.epoch, (long long)m->epoch);
        gw_ws_close_all(w, 1012, "history changed (new epoch); reconnect");
        gw_live_reset(w);
        gw_ring_free(&w->ring);
        free(w->live);
        free(w->meta.names);
        free(w->repair_m);
        w->live = NULL;
        w->meta.names = NULL;
        w->repair_m = NULL;
    }
    w->meta = *m;
    w->meta.names = calloc(m->count, sizeof(*w->meta.names));
    w->live = calloc(m->count, sizeof(*w->live));
    w->repair_m = malloc((size_t)REPAIR_ROWS * m->count * sizeof(int32_t));
    if (w->meta.names == NULL || w->live == NULL || w->repair_m == NULL ||
        gw_ring_init(&w->ring, m->count, ring_rows(w), m->interval_ms) != 0) {
        ts_error("worker %d: out of memory for %u instruments", w->id, m->count);
        w->meta.ok = 0;
        w->meta.count = 0;
        w->meta_retry_at = ts_mono_ms() + 5000;
        return;
    }
    for (uint32_t i = 0; i < m->count; i++) {
        ts_instrument_name(w->meta.names[i], GW_SYM_MAX, i, m->count);
        h2o_linklist_init_anchor(&w->live[i]);
    }
    ts_info("worker %d: %u instruments every %lld ms, epoch %lld, ring %u rows", w->id, m->count,
            (long long)m->interval_ms, (long long)m->epoch, w->ring.cap);
    gw_worker_set_ready(w);
}

static void append_row(gw_worker *w, int64_t t, const int32_t *prices)
{
    int first = w->ring.count == 0;
    gw_ring_append(&w->ring, t, prices);
    w->synced = 1;
    gw_catchup_broadcast_row(w, t, prices);
    if (first)
        gw_catchup_ring_started(w);
}

/* ---- repair ---- */

static void repair_issue(gw_worker *w);

static void repair_finish_chunk(gw_worker *w)
{
    int64_t dt = w->meta.interval_ms;
    int64_t end = w->repair_bound; /* rows up to here are complete */
    uint32_t n = 0;
    for (int64_t t = w->repair_from + dt; t <= end && n < w->repair_rows; t += dt, n++)
        append_row(w, t, w->repair_m + (size_t)n * w->meta.count);
    GW_ADD(w->m.repaired_ticks_total, n);
    w->repair_from = w->repair_from + (int64_t)n * dt;
    w->repairing = 0;
    if (w->repair_from + dt < w->repair_to) {
        repair_issue(w);
        return;
    }
    /* Hole closed: replay what arrived meanwhile, oldest first. */
    ts_info("worker %d: live hole repaired up to %lld", w->id, (long long)w->repair_from);
    size_t i = 0;
    while (i < w->npending && !w->repairing && !w->repair_wanted) {
        ts_live_msg m = w->pending[i++];
        size_t n = w->npending;
        process(w, &m);
        if (w->npending == n + 1) /* held again behind a new hole: it stays first */
            w->pending[--i] = w->pending[--w->npending];
    }
    memmove(w->pending, w->pending + i, (w->npending - i) * sizeof(*w->pending));
    w->npending -= i;
}

/* No rows to read: replay the held messages at once. */
static void repair_finish_chunk_empty(gw_worker *w)
{
    w->repair_rows = 0;
    w->repair_bound = w->repair_from;
    repair_finish_chunk(w);
}

static void on_repair(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = ac->data ? ((gw_rconn *)ac->data)->w : NULL;
    redisReply *reply = r;
    uint32_t inst = (uint32_t)((uintptr_t)priv & 0xffffffffu);
    uint32_t gen = (uint32_t)((uint64_t)(uintptr_t)priv >> 32);
    if (w == NULL || !w->repairing || gen != w->repair_gen)
        return; /* a reset or shutdown abandoned this chunk */
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply == NULL)
            gw_rconn_lost(&w->cmd, "lost during a live repair");
        else
            ts_warn("worker %d: repair XRANGE failed: %s", w->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        w->repairing = 0;
        w->repair_wanted = 1; /* restarted by gw_live_tick */
        return;
    }
    int64_t dt = w->meta.interval_ms;
    int64_t last = w->repair_from;
    for (size_t k = 0; k < reply->elements; k++) {
        const redisReply *e = reply->element[k];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        int64_t t = strtoll(e->element[0]->str, NULL, 10);
        const redisReply *f = e->element[1];
        if (f->type != REDIS_REPLY_ARRAY || f->elements < 2 || (t - w->repair_from) % dt != 0)
            continue;
        int64_t row = (t - w->repair_from) / dt - 1;
        if (row < 0 || row >= w->repair_rows)
            continue;
        w->repair_m[(size_t)row * w->meta.count + inst] = (int32_t)strtol(f->element[1]->str, NULL, 10);
        last = t;
    }
    if (reply->elements >= w->repair_rows && last < w->repair_bound)
        w->repair_bound = last; /* this instrument may have more after `last` */
    if (--w->repair_left == 0)
        repair_finish_chunk(w);
    gw_ws_flush(w);
}

static void repair_issue(gw_worker *w)
{
    if (!w->cmd.up) {
        w->repair_wanted = 1;
        return;
    }
    int64_t dt = w->meta.interval_ms;
    int64_t rows = (w->repair_to - w->repair_from) / dt - 1;
    if (rows > REPAIR_ROWS)
        rows = REPAIR_ROWS;
    if (rows < 1)
        rows = 1;
    w->repair_rows = (uint32_t)rows;
    for (size_t i = 0; i < (size_t)rows * w->meta.count; i++)
        w->repair_m[i] = GW_MISSING;
    w->repair_bound = w->repair_from + rows * dt;
    if (w->repair_bound >= w->repair_to)
        w->repair_bound = w->repair_to - dt;
    w->repair_left = w->meta.count;
    w->repairing = 1;
    w->repair_gen++;
    w->repair_wanted = 0;
    for (uint32_t i = 0; i < w->meta.count; i++) {
        char key[64];
        ts_tick_key(key, sizeof(key), w->meta.names[i]);
        /* The range ends at this chunk's last row, not at the hole's end: a
         * stream whose entries start after the chunk would otherwise fill
         * a full reply with rows past it, all skipped, and the same chunk
         * would be read again forever. */
        if (redisAsyncCommand(w->cmd.ac, on_repair, (void *)(uintptr_t)(((uint64_t)w->repair_gen << 32) | i),
                              "XRANGE %s %lld %lld COUNT %lld", key, (long long)(w->repair_from + 1),
                              (long long)w->repair_bound, (long long)rows) != REDIS_OK) {
            gw_rconn_lost(&w->cmd, "command refused");
            w->repairing = 0;
            w->repair_wanted = 1;
            return;
        }
    }
}

/* ---- live messages ---- */

static void hold(gw_worker *w, ts_live_msg *m)
{
    if (w->npending == PENDING_MAX) {
        ts_live_msg_free(m); /* a later gap check reads it from the streams */
        return;
    }
    if (w->npending == w->cap_pending) {
        size_t cap = w->cap_pending ? w->cap_pending * 2 : 64;
        ts_live_msg *p = realloc(w->pending, cap * sizeof(*p));
        if (p == NULL) {
            ts_live_msg_free(m);
            return;
        }
        w->pending = p;
        w->cap_pending = cap;
    }
    w->pending[w->npending++] = *m;
}

/* Takes ownership of m's prices. */
static void process(gw_worker *w, ts_live_msg *m)
{
    if (w->repairing || w->repair_wanted) {
        hold(w, m);
        return;
    }
    int64_t dt = w->meta.interval_ms;
    int64_t last = w->ring.count ? gw_ring_last(&w->ring) : 0;
    if (m->t % dt != 0) {
        /* Tick times are multiples of the interval (docs/REDIS.md). Another
         * would look like a hole with no rows to read, over and over. */
        ts_warn("worker %d: ts:live message with t %lld off the %lld ms grid, dropped", w->id, (long long)m->t,
                (long long)dt);
        ts_live_msg_free(m);
        return;
    }
    if (w->ring.count == 0) {
        /* First tick since start or reset: fill the ring from the streams
         * first, so catch-ups inside its window need no XRANGE right away. */
        int64_t rows = w->ring.cap - 1 < PREFILL_MAX ? w->ring.cap - 1 : PREFILL_MAX;
        w->repair_from = m->t - (rows + 1) * dt;
        w->repair_to = m->t;
        hold(w, m);
        if (rows > 0) {
            ts_info("worker %d: filling the ring with %lld ticks from the streams", w->id, (long long)rows);
            repair_issue(w);
        } else {
            w->repair_from = m->t - dt;
            repair_finish_chunk_empty(w);
        }
        return;
    }
    if (m->t == last + dt) {
        append_row(w, m->t, m->prices);
    } else if (m->t > last) {
        /* Ticks between last and m->t were published while we did not listen. */
        GW_ADD(w->m.live_gaps_total, 1);
        ts_info("worker %d: live hole %lld..%lld (%lld ticks), repairing from the streams", w->id,
                (long long)last, (long long)m->t, (long long)((m->t - last) / dt - 1));
        w->repair_from = last;
        w->repair_to = m->t;
        hold(w, m);
        repair_issue(w);
        return;
    }
    /* else: t <= last, a duplicate (e.g. a generator backfilling after a restart). */
    ts_live_msg_free(m);
}

void gw_live_on_message(gw_worker *w, const char *data, size_t len)
{
    ts_live_msg m;
    char err[128];
    GW_ADD(w->m.live_messages_total, 1);
    w->live_rx_ms = ts_mono_ms();
    if (ts_live_decode(data, len, &m, err, sizeof(err)) != 0) {
        ts_warn("worker %d: bad ts:live message: %s", w->id, err);
        return;
    }
    GW_SET(w->m.live_last_t, m.t);
    if (!w->meta.ok) {
        ts_live_msg_free(&m);
        return;
    }
    if (m.epoch != w->meta.epoch || m.count != w->meta.count) {
        /* The generator started a new history or shape: reread ts:meta. */
        ts_live_msg_free(&m);
        if (!w->meta_loading)
            gw_redis_load_meta(w);
        return;
    }
    int64_t t0 = ts_mono_us();
    process(w, &m);
    gw_ws_flush(w);
    gw_metrics_observe(w->m.fanout_bucket, &w->m.fanout_sum_us, &w->m.fanout_total, ts_mono_us() - t0);
}

/* ---- a silent feed ---- */

/* How long ts:live may be quiet before the streams are asked whether the
 * generator is quiet too (then all is well) or the subscriber is deaf. */
static int64_t silent_ms(const gw_worker *w)
{
    int64_t ms = 3 * w->meta.interval_ms;
    return ms > 3000 ? ms : 3000;
}

static void on_probe(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = ac->data ? ((gw_rconn *)ac->data)->w : NULL;
    const redisReply *reply = r;
    (void)priv;
    if (w == NULL)
        return;
    w->probe_at = ts_mono_ms() + 1000; /* while the feed stays quiet, look again soon */
    int ahead = 0;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 && w->meta.ok) {
        const redisReply *e = reply->element[0];
        if (e->type == REDIS_REPLY_ARRAY && e->elements >= 1 && e->element[0]->type == REDIS_REPLY_STRING)
            ahead = w->ring.count != 0 && strtoll(e->element[0]->str, NULL, 10) > gw_ring_last(&w->ring);
    }
    /* Two looks in a row, with no message between: the first may just have
     * overtaken a message still unread on the subscriber's socket (a
     * generator that resumed a moment ago). */
    if (!ahead || w->live_rx_ms != w->probe_rx_ms) {
        w->probe_strikes = 0;
        return;
    }
    if (++w->probe_strikes >= 2 && w->sub.up) {
        w->probe_strikes = 0;
        gw_rconn_drop(&w->sub, "no ts:live message while the streams moved on");
    }
}

static void check_silence(gw_worker *w)
{
    int64_t now = ts_mono_ms();
    if (now - w->live_rx_ms < silent_ms(w)) {
        w->probe_strikes = 0; /* the feed speaks */
        return;
    }
    if (!w->sub.up || !w->subscribed || !w->cmd.up || !w->meta.ok || w->ring.count == 0 || w->repairing ||
        w->probe_at == 0 || now < w->probe_at)
        return;
    char key[64];
    ts_tick_key(key, sizeof(key), w->meta.names[0]);
    if (redisAsyncCommand(w->cmd.ac, on_probe, NULL, "XREVRANGE %s + - COUNT 1", key) == REDIS_OK) {
        w->probe_at = 0;
        w->probe_rx_ms = w->live_rx_ms;
    }
}

void gw_live_tick(gw_worker *w)
{
    if (w->repair_wanted && !w->repairing && w->cmd.up && w->meta.ok)
        repair_issue(w);
    check_silence(w);
}
