/* gw_catchup.c — one subscription: streams, then ring, then live.
 *
 *   sub(since) ─▶ [ring holds cursor+dt?] ──yes──▶ ring rows > cursor ─▶ LIVE
 *                        │ no                           ▲
 *                        ▼                              │ reached the ring
 *                 seek: XRANGE (cursor, +] COUNT chunk ─┤
 *                        │ full: windows (lo, lo + chunk*dt], PIPELINE at once,
 *                        │       while the client drains; a short one: seek again
 *                        │ short, no ring yet: WAIT_SYNC until the first live row
 *
 * Why every tick reaches the client exactly once and in order, whatever the
 * timing of XRANGE replies and live messages:
 *  - `cursor` only grows, and each step sends only ticks with t > cursor,
 *    then sets cursor to the last time it covered. Nothing <= cursor is ever
 *    sent again, and everything sent is ascending.
 *  - The ring holds consecutive rows first..last (gw_ring.h), and every row
 *    enters it through gw_live.c's append_row, which in the same call
 *    broadcasts it to the LIVE subscriptions. So a subscription that is
 *    switched to LIVE right after sending ring rows up to `last` — in one
 *    synchronous step on the worker's only thread, with no chance for a live
 *    message to come in between — gets every later row by broadcast and
 *    every earlier one from the ring. No tick falls between the two.
 *  - The switch happens only when cursor + dt >= first, i.e. the streams have
 *    been read up to where the ring takes over, so no tick falls between the
 *    XRANGE part and the ring part either. XRANGE and the ring may overlap
 *    (a tick published after the XRANGE ran can be in both); the cursor
 *    makes the overlap harmless.
 *  - An XRANGE reply moves cursor only to entries it holds, and is used only
 *    when its range starts at or before cursor. Stream IDs only grow (XADD
 *    refuses an ID at or below the last), so once entry t existed no tick
 *    before t can appear: the reply held every tick of (cursor, t] there will
 *    ever be. This is what makes pipelining safe: windows are sent back to
 *    back, replies on the connection come in the order sent, and a window
 *    that comes back short (last entry before its end: a hole, or the
 *    stream's end) leaves cursor before the next window's start, so the
 *    windows behind it are dropped unread and a seek from cursor reads on.
 *    Windows are a guess that the stream is dense (one entry per dt); a
 *    wrong guess costs a round trip, never a tick.
 *  - A short seek reply means the stream ended at cursor when Redis ran it.
 *    If the ring still starts later, the ticks in (cursor, first) are either
 *    not in the stream at all or were XADDed after the XRANGE ran. The ring
 *    as it was when the seek was sent tells which: each of its rows, up to
 *    seek_ring_last, had been published before the seek was sent — and
 *    a tick is XADDed before it is published, oldest first — so every tick
 *    <= seek_ring_last there will ever be was in the stream when Redis ran
 *    the seek. If first - dt <= seek_ring_last, the missing ticks are all
 *    among those: the stream truly lacks them (lost with Redis), and the
 *    cursor skips to the ring. Otherwise the ring moved on while the reply
 *    was in flight (a generator backfill publishes thousands of ticks in one
 *    round trip), the reply says nothing about the ticks after
 *    seek_ring_last, and the seek is sent again from cursor — as often as
 *    needed: each round reads on to where the ring was when it was sent, and
 *    ends it once the ring no longer outruns a round trip. (A fixed count of
 *    retries skipped ticks Redis holds when two rounds ran during one
 *    backfill.)
 * A run is flushed as one hist message when it reaches --chunk prices, when
 * the next tick is not t0 + n*dt (a hole), and at the end of each step.
 * Live ticks then continue the client's series: a tick is sent as `tick` only
 * when it is last_sent + dt, where last_sent is what the client was last told
 * (the final hist's last; since when it was empty) — not cursor, which may
 * have skipped ring rows this instrument lacks. Any other tick starts a new
 * one-price hist run, so a hole is never a silent jump. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "ts_log.h"
#include "ts_names.h"

static void step(gw_sub *s);

gw_sub *gw_sub_find(gw_client *c, uint32_t inst)
{
    for (h2o_linklist_t *l = c->subs.next; l != &c->subs; l = l->next) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, l);
        if (s->inst == inst)
            return s;
    }
    return NULL;
}

static void unlink_sub(gw_sub *s)
{
    if (h2o_linklist_is_linked(&s->link))
        h2o_linklist_unlink(&s->link);
}

void gw_sub_remove(gw_sub *s)
{
    unlink_sub(s);
    if (s->c != NULL) {
        h2o_linklist_unlink(&s->client_link);
        s->c->nsubs--;
        GW_SUB(s->w->m.subscriptions, 1);
        s->c = NULL;
    }
    if (s->nwin == 0 && !s->seeking)
        free(s); /* else the last reply in flight frees the orphan */
}

/* ---- hist runs ---- */

static void send_enc(gw_sub *s)
{
    gw_buf *b = &s->w->enc[s->c->fmt];
    if (!b->oom)
        gw_client_send(s->c, b->data, b->len);
    b->len = 0;
    b->oom = 0;
}

static void run_flush(gw_sub *s, int more)
{
    gw_worker *w = s->w;
    int64_t dt = w->meta.interval_ms;
    gw_buf *b = &w->enc[s->c->fmt];
    if (w->run_n == 0) {
        if (more)
            return;
        /* Nothing (more) to catch up: the final hist is empty and repeats the
         * last time the client was told of (PROTOCOL.md), not cursor. */
        gw_enc_hist(b, s->c->fmt, w->meta.names[s->inst], w->meta.epoch, s->last_sent, dt, NULL, 0, s->last_sent,
                    0);
    } else {
        int64_t last = w->run_t0 + (int64_t)(w->run_n - 1) * dt;
        gw_enc_hist(b, s->c->fmt, w->meta.names[s->inst], w->meta.epoch, w->run_t0, dt, w->run, w->run_n, last,
                    more);
        s->last_sent = last;
        w->run_n = 0;
    }
    send_enc(s);
}

static void run_add(gw_sub *s, int64_t t, int32_t p)
{
    gw_worker *w = s->w;
    if (w->run_n > 0 && (t != w->run_t0 + (int64_t)w->run_n * w->meta.interval_ms ||
                         w->run_n >= (size_t)w->g->cfg.chunk))
        run_flush(s, 1);
    if (w->run_n == w->run_cap) {
        size_t cap = w->run_cap ? w->run_cap * 2 : 1024;
        int32_t *r = realloc(w->run, cap * sizeof(int32_t));
        if (r == NULL)
            return; /* the client sees a hole it can resume after; logged below */
        w->run = r;
        w->run_cap = cap;
    }
    if (w->run_n == 0)
        w->run_t0 = t;
    w->run[w->run_n++] = p;
}

/* ---- steps ---- */

static void go_live(gw_sub *s)
{
    gw_worker *w = s->w;
    const gw_ring *r = &w->ring;
    for (uint32_t i = gw_ring_after(r, s->cursor); i < r->count; i++) {
        int32_t p = gw_ring_row(r, i)[s->inst];
        if (p != GW_MISSING)
            run_add(s, gw_ring_time(r, i), p);
    }
    if (r->count > 0 && gw_ring_last(r) > s->cursor)
        s->cursor = gw_ring_last(r);
    run_flush(s, 0);
    if (s->c->closing)
        return;
    s->state = SUB_LIVE;
    h2o_linklist_insert(&w->live[s->inst], &s->link);
    gw_metrics_catchup_done(&w->m, ts_mono_us() - s->started_us);
}

static void queue_xrange(gw_sub *s)
{
    s->state = SUB_QUEUED;
    h2o_linklist_insert(&s->w->queued, &s->link);
}

/* The streams have been read up to where the ring takes over. */
static int reached_ring(const gw_sub *s)
{
    const gw_worker *w = s->w;
    return w->ring.count > 0 && s->cursor + w->meta.interval_ms >= w->ring.first;
}

static void step(gw_sub *s)
{
    if (reached_ring(s)) {
        go_live(s);
        return;
    }
    queue_xrange(s);
}

/* ---- reading the streams ---- */

static void on_xrange(redisAsyncContext *ac, void *r, void *priv);

static int slot_free(const gw_worker *w)
{
    return w->cmd.up && w->meta.ok && w->xrange_inflight < (uint32_t)w->g->cfg.max_xrange;
}

/* The end of the window after lo: `chunk` points of the dt grid, so that a
 * dense stream fills it exactly and its last entry is the window's end. */
static int64_t window_end(const gw_worker *w, int64_t lo)
{
    int64_t dt = w->meta.interval_ms;
    return (lo / dt + w->g->cfg.chunk) * dt;
}

/* Sends s's next XRANGE: a seek (cursor, +] COUNT chunk, or the window after
 * the windows in flight. Returns -1 when the connection refused it. */
static int send_xrange(gw_sub *s, int window)
{
    gw_worker *w = s->w;
    int64_t from = window && s->nwin > 0 ? s->win_end : s->cursor, to = window_end(w, from);
    char key[64], end[24] = "+";
    ts_tick_key(key, sizeof(key), w->meta.names[s->inst]);
    if (window)
        snprintf(end, sizeof(end), "%lld", (long long)to);
    gw_xreader_install(&w->xreader, w->cmd.ac, on_xrange);
    if (redisAsyncCommand(w->cmd.ac, on_xrange, s, "XRANGE %s %lld %s COUNT %lld", key, (long long)(from + 1), end,
                          (long long)w->g->cfg.chunk) != REDIS_OK) {
        gw_rconn_lost(&w->cmd, "command refused");
        return -1;
    }
    if (!window) {
        s->seeking = 1;
        s->seek_ring_last = w->ring.count > 0 ? gw_ring_last(&w->ring) : INT64_MIN;
    } else if (s->nwin++ == 0)
        s->win_lo = from;
    if (window)
        s->win_end = to;
    s->state = SUB_XRANGE;
    w->xrange_inflight++;
    GW_ADD(w->m.catchup_xrange_total, 1);
    return 0;
}

/* After a complete reply: keep up to PIPELINE windows in flight, so Redis
 * makes the next reply while this thread reads and encodes the last one.
 * Two, not more: Redis runs every command it has read before it writes any
 * reply, so a deeper burst only delays the first bytes (measured: 4 windows
 * sent at once came back after ~9 ms, 2 after ~5) and holds more replies in
 * its output buffer. Only when no other subscription waits for a slot (the
 * queue stays fair), and only as far as the client's queue allows: a window
 * is sent while the queue plus the windows in flight, each at its largest
 * hist, stays under the pause mark — the bound of one chunk past the mark
 * that a sequential read had. */
#define PIPELINE 2
static void read_on(gw_sub *s)
{
    gw_worker *w = s->w;
    size_t pace = (size_t)w->g->cfg.send_queue / 4;
    size_t hist_max = (size_t)w->g->cfg.chunk * (s->c->fmt == GW_FMT_JSON ? 12 : 5) + 256;
    size_t queued = gw_client_queued(s->c);
    while (s->nwin < PIPELINE && !s->seeking && slot_free(w) && h2o_linklist_is_empty(&w->queued) &&
           w->ring.count > 0 && (s->nwin > 0 ? s->win_end : s->cursor) + w->meta.interval_ms < w->ring.first &&
           queued + s->nwin * hist_max <= pace)
        if (send_xrange(s, 1) != 0)
            break;
    if (s->nwin > 0 || s->seeking)
        return; /* the next reply reads on */
    if (queued > pace) {
        s->state = SUB_WAIT_DRAIN; /* resumed by gw_catchup_tick */
        h2o_linklist_insert(&w->wait_drain, &s->link);
    } else {
        queue_xrange(s);
    }
}

/* A reply that cannot be used: its sub went live or is closing, or it is a
 * window behind one that came back short (the seek sent then reads past it). */
static int stale(const gw_sub *s, int64_t lo)
{
    return s->state != SUB_XRANGE || s->c->closing || lo > s->cursor;
}

static void on_xrange(redisAsyncContext *ac, void *r, void *priv)
{
    gw_sub *s = priv;
    gw_worker *w = s->w;
    (void)ac;
    /* Replies come in the order sent: the windows, then a seek behind them. */
    int window = s->nwin > 0;
    int64_t lo = s->cursor, hi = 0;
    if (window) {
        lo = s->win_lo;
        hi = s->win_lo = window_end(w, lo);
        s->nwin--;
    } else {
        s->seeking = 0;
    }
    int busy = s->nwin > 0 || s->seeking;
    w->xrange_inflight--;
    if (s->c == NULL) {
        if (!busy)
            free(s); /* orphaned by unsub, re-sub or close */
        gw_catchup_pump(w);
        return;
    }
    if (r == NULL) {
        /* Command connection lost: retry from the cursor once it is back. */
        gw_rconn_lost(&w->cmd, "lost during a catch-up");
        if (s->state == SUB_XRANGE && !busy) {
            s->state = SUB_QUEUED;
            h2o_linklist_insert(w->queued.next, &s->link);
        }
        return;
    }
    const gw_xreply *x = gw_xreply_of(r);
    if (x == NULL && !stale(s, lo)) {
        const redisReply *e = r;
        ts_warn("worker %d: catch-up XRANGE failed: %s", w->id, e->type == REDIS_REPLY_ERROR ? e->str : "?");
        gw_buf *b = &w->enc[s->c->fmt];
        gw_enc_err(b, s->c->fmt, GW_E_INTERNAL, "reading history failed; subscribe again", w->meta.names[s->inst]);
        send_enc(s);
        gw_sub_remove(s); /* frees it, or the last reply in flight does */
        gw_catchup_pump(w);
        gw_ws_flush(w);
        return;
    }
    if (x == NULL || stale(s, lo)) {
        gw_catchup_pump(w);
        return;
    }
    for (size_t k = 0; k < x->n && !s->c->closing; k++) {
        if (x->t[k] <= s->cursor)
            continue; /* already sent (or an entry without a readable ID) */
        /* An entry without a readable p is passed over like a hole; the
         * cursor still moves past it, or a chunk of them would be read again
         * and again. */
        if (x->p[k] != GW_MISSING)
            run_add(s, x->t[k], x->p[k]);
        s->cursor = x->t[k];
    }
    /* Complete: the stream goes on after this reply, as far as it tells. */
    int complete = window ? s->cursor >= hi : x->n >= (size_t)w->g->cfg.chunk;
    if (s->c->closing) {
        w->run_n = 0;
    } else if (reached_ring(s)) {
        go_live(s); /* windows still in flight are stale now */
    } else if (complete) {
        run_flush(s, 1);
        read_on(s);
    } else if (window) {
        /* A hole, or the stream's end, inside the window: seek past it. */
        run_flush(s, 1);
        if (!slot_free(w) || send_xrange(s, 0) != 0)
            queue_xrange(s);
    } else if (w->ring.count == 0) {
        run_flush(s, 1);
        s->state = SUB_WAIT_SYNC;
        h2o_linklist_insert(&w->wait_sync, &s->link);
    } else if (w->ring.first - w->meta.interval_ms > s->seek_ring_last) {
        /* The ring moved past what it held when the seek was sent: the ticks
         * before it may have been XADDed after the seek ran. Read on. */
        run_flush(s, 1);
        queue_xrange(s);
    } else {
        /* The stream lacks ticks the ring held before the seek: skip the hole. */
        s->cursor = w->ring.first - w->meta.interval_ms;
        go_live(s);
    }
    gw_catchup_pump(w);
    gw_ws_flush(w);
}

void gw_catchup_pump(gw_worker *w)
{
    while (slot_free(w) && !h2o_linklist_is_empty(&w->queued)) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, w->queued.next);
        h2o_linklist_unlink(&s->link);
        if (reached_ring(s)) {
            go_live(s); /* the ring caught up with it while it waited */
            continue;
        }
        if (send_xrange(s, 0) != 0) {
            h2o_linklist_insert(w->queued.next, &s->link);
            break;
        }
    }
    gw_ws_flush(w);
}

gw_err gw_sub_start(gw_client *c, uint32_t inst, int64_t since)
{
    gw_worker *w = c->w;
    gw_sub *old = gw_sub_find(c, inst);
    if (old != NULL)
        gw_sub_remove(old); /* a re-sub restarts the catch-up */
    if (c->nsubs >= (uint32_t)w->g->cfg.max_subs)
        return GW_E_TOO_MANY_SUBS;
    gw_sub *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return GW_E_INTERNAL;
    s->w = w;
    s->c = c;
    s->inst = inst;
    s->cursor = s->last_sent = since;
    s->started_us = ts_mono_us();
    h2o_linklist_insert(&c->subs, &s->client_link);
    c->nsubs++;
    GW_ADD(w->m.subscriptions, 1);
    step(s);
    gw_catchup_pump(w);
    return GW_OK;
}

void gw_catchup_broadcast_row(gw_worker *w, int64_t t, const int32_t *prices)
{
    int64_t dt = w->meta.interval_ms;
    for (uint32_t i = 0; i < w->meta.count; i++) {
        if (h2o_linklist_is_empty(&w->live[i]) || prices == NULL || prices[i] == GW_MISSING)
            continue;
        int encoded[2] = {0, 0};
        h2o_linklist_t *next;
        for (h2o_linklist_t *l = w->live[i].next; l != &w->live[i]; l = next) {
            next = l->next; /* a send may close this client and unlink its sub */
            gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, l);
            if (t <= s->cursor)
                continue;
            gw_fmt f = s->c->fmt;
            gw_buf *b = &w->enc[f];
            int hole = t != s->last_sent + dt;
            s->cursor = s->last_sent = t;
            if (hole) {
                /* The client's run ends before a hole: this tick starts a new one. */
                gw_buf one = {0};
                gw_enc_hist(&one, f, w->meta.names[i], w->meta.epoch, t, dt, &prices[i], 1, t, 0);
                if (!one.oom)
                    gw_client_send(s->c, one.data, one.len);
                gw_buf_free(&one);
                continue;
            }
            if (!encoded[f]) {
                b->len = 0;
                b->oom = 0;
                gw_enc_tick(b, f, w->meta.names[i], t, prices[i]);
                encoded[f] = 1;
            }
            if (!b->oom)
                gw_client_send(s->c, b->data, b->len);
        }
        w->enc[0].len = w->enc[1].len = 0;
    }
}

void gw_catchup_ring_started(gw_worker *w)
{
    while (!h2o_linklist_is_empty(&w->wait_sync)) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, w->wait_sync.next);
        h2o_linklist_unlink(&s->link);
        step(s);
    }
    gw_catchup_pump(w);
}

void gw_catchup_tick(gw_worker *w)
{
    size_t pace = (size_t)w->g->cfg.send_queue / 4;
    h2o_linklist_t ready, *next;
    h2o_linklist_init_anchor(&ready);
    for (h2o_linklist_t *l = w->wait_drain.next; l != &w->wait_drain; l = next) {
        next = l->next;
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, l);
        if (gw_client_queued(s->c) <= pace) {
            h2o_linklist_unlink(&s->link);
            h2o_linklist_insert(&ready, &s->link);
        }
    }
    /* Popped one at a time: a step may close a client and unlink its other subs. */
    while (!h2o_linklist_is_empty(&ready)) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, ready.next);
        h2o_linklist_unlink(&s->link);
        step(s);
    }
    gw_catchup_pump(w);
}
