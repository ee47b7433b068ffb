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
 *    enters it through gw_feed.c's append_row, which in the same call
 *    fans it out to the LIVE subscriptions. So a subscription that is
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
 * Which of these cases a reply is, and so what comes next, is decided by
 * gw_cu.c, a pure function with a unit test per branch; this file sends
 * what it decides.
 *
 * The ticks read go out in runs (gw_hrun.c): one hist message per run of
 * up to --chunk consecutive ticks, flushed at the end of each step.
 * Live ticks then continue the client's series: a tick is sent as `tick` only
 * when it is last_sent + dt, where last_sent is what the client was last told
 * (the final hist's last; since when it was empty) — not cursor, which may
 * have skipped ring rows this instrument lacks. Any other tick starts a new
 * one-price hist run, so a hole is never a silent jump (gw_feed.c). */
#include "gw_catchup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_hrun.h"
#include "gw_xreply.h"
#include "ts_log.h"
#include "ts_names.h"

struct gw_catchup {
    int id;
    const gw_config *cfg;
    const gw_meta *meta;
    gw_feed *feed;
    gw_rconn *conn;
    gw_wmetrics *m;
    h2o_linklist_t queued, wait_sync, wait_drain;
    uint32_t inflight; /* XRANGEs awaiting their reply */
    gw_hrun *hr;       /* the run being sent */
};

gw_catchup *gw_catchup_new(int worker_id, const gw_config *cfg, const gw_meta *meta, gw_feed *feed, gw_rconn *conn,
                           gw_wmetrics *m)
{
    gw_catchup *ct = calloc(1, sizeof(*ct));
    if (ct == NULL)
        return NULL;
    *ct = (gw_catchup){.id = worker_id, .cfg = cfg, .meta = meta, .feed = feed, .conn = conn, .m = m};
    if ((ct->hr = gw_hrun_new(cfg, meta)) == NULL) {
        free(ct);
        return NULL;
    }
    h2o_linklist_init_anchor(&ct->queued);
    h2o_linklist_init_anchor(&ct->wait_sync);
    h2o_linklist_init_anchor(&ct->wait_drain);
    return ct;
}

void gw_catchup_free(gw_catchup *ct)
{
    if (ct == NULL)
        return;
    gw_hrun_free(ct->hr);
    free(ct);
}

/* What the decisions of gw_cu.c see of this worker now. */
static gw_cu_env env_of(const gw_catchup *ct)
{
    const gw_ring *r = gw_feed_ring(ct->feed);
    return (gw_cu_env){.dt = ct->meta->interval_ms,
                       .chunk = ct->cfg->chunk,
                       .epoch = ct->meta->epoch,
                       .ring_count = r->count,
                       .ring_first = r->first,
                       .ring_last = r->count > 0 ? gw_ring_last(r) : 0};
}

static void unlink_sub(gw_sub *s)
{
    if (h2o_linklist_is_linked(&s->link))
        h2o_linklist_unlink(&s->link);
}

static void sub_remove(gw_sub *s)
{
    unlink_sub(s);
    if (s->c != NULL) {
        h2o_linklist_unlink(&s->client_link);
        s->set->n--;
        GW_SUB(s->ct->m->subscriptions, 1);
        s->c = NULL;
        s->set = NULL;
    }
    if (!gw_cu_busy(&s->cu))
        free(s); /* else the last reply in flight frees the orphan */
}

/* ---- steps ---- */

static void go_live(gw_sub *s)
{
    gw_catchup *ct = s->ct;
    const gw_ring *r = gw_feed_ring(ct->feed);
    for (uint32_t i = gw_ring_after(r, s->cu.cursor); i < r->count; i++) {
        int32_t p = gw_ring_row(r, i)[s->inst];
        if (p != GW_MISSING)
            gw_hrun_add(ct->hr, s, gw_ring_time(r, i), p);
    }
    if (r->count > 0 && gw_ring_last(r) > s->cu.cursor)
        s->cu.cursor = gw_ring_last(r);
    gw_hrun_flush(ct->hr, s, 0);
    if (s->c->closing)
        return;
    gw_feed_join(ct->feed, s);
    gw_metrics_catchup_done(ct->m, ts_mono_us() - s->started_us);
}

static void queue_xrange(gw_sub *s)
{
    if (s->c->closing)
        return; /* closed by the send just made: nothing more to read for it */
    s->state = GW_SUB_QUEUED;
    h2o_linklist_insert(&s->ct->queued, &s->link);
}

static void step(gw_sub *s)
{
    gw_cu_env e = env_of(s->ct);
    if (gw_cu_resume(&s->cu, &e) == GW_CU_LIVE)
        go_live(s);
    else
        queue_xrange(s);
}

/* ---- reading the streams ---- */

static void on_xrange(redisAsyncContext *ac, void *r, void *priv);

static int slot_free(const gw_catchup *ct)
{
    return ct->conn->up && ct->meta->ok && ct->inflight < (uint32_t)ct->cfg->max_xrange;
}

/* Sends s's next XRANGE: a seek (cursor, +] COUNT chunk, or the window after
 * the windows in flight. Returns -1 when the connection refused it. */
static int send_xrange(gw_sub *s, int window)
{
    gw_catchup *ct = s->ct;
    gw_cu_env e = env_of(ct);
    int64_t from, to;
    gw_cu_next_range(&s->cu, &e, window, &from, &to);
    char key[64], end[24] = "+";
    ts_tick_key(key, sizeof(key), ct->meta->names[s->inst]);
    if (window)
        snprintf(end, sizeof(end), "%lld", (long long)to);
    if (redisAsyncCommand(ct->conn->ac, on_xrange, s, "XRANGE %s %lld %s COUNT %lld", key, (long long)(from + 1), end,
                          (long long)ct->cfg->chunk) != REDIS_OK) {
        gw_rconn_lost(ct->conn, "command refused");
        return -1;
    }
    gw_cu_sent(&s->cu, &e, window, from, to);
    s->state = GW_SUB_XRANGE;
    ct->inflight++;
    GW_ADD(ct->m->catchup_xrange_total, 1);
    return 0;
}

/* After a complete reply: keep up to GW_CU_PIPELINE windows in flight, so
 * Redis makes the next reply while this thread reads and encodes the last
 * one. Only when no other subscription waits for a slot (the queue stays
 * fair), and only as far as the client's queue allows: the bound of one
 * chunk past the pause mark that a sequential read had. */
static void read_on(gw_sub *s)
{
    gw_catchup *ct = s->ct;
    if (s->c->closing)
        return;
    size_t pace = gw_config_drain_mark(ct->cfg);
    size_t hist_max = (size_t)ct->cfg->chunk * (s->fmt == GW_FMT_JSON ? 12 : s->fmt == GW_FMT_SSE ? 96 : 5) + 256;
    size_t queued = gw_client_queued(s->c);
    gw_cu_env e = env_of(ct);
    while (slot_free(ct) && h2o_linklist_is_empty(&ct->queued) && gw_cu_may_pipeline(&s->cu, &e, queued, hist_max, pace))
        if (send_xrange(s, 1) != 0)
            break;
    if (gw_cu_busy(&s->cu))
        return; /* the next reply reads on */
    if (queued > pace) {
        s->state = GW_SUB_WAIT_DRAIN; /* resumed by gw_catchup_tick */
        h2o_linklist_insert(&ct->wait_drain, &s->link);
    } else {
        queue_xrange(s);
    }
}

/* Sends the reply's entries after `after` as hist runs; unreadable ones
 * are passed over like a hole (and counted). */
static void send_entries(gw_sub *s, const gw_xreply *x, int64_t after)
{
    for (size_t k = 0; k < x->n && !s->c->closing; k++) {
        int64_t t = x->t[k];
        if (t >= 0 && t <= after)
            continue; /* already sent */
        if (t < 0 || x->p[k] == GW_MISSING) {
            gw_metrics_malformed(s->ct->m, s->ct->id, s->ct->meta->names[s->inst], t);
            if (t >= 0)
                after = t; /* stepped past by its time, like a hole */
            continue;
        }
        gw_hrun_add(s->ct->hr, s, t, x->p[k]);
        after = t;
    }
}

static void on_xrange(redisAsyncContext *ac, void *r, void *priv)
{
    gw_sub *s = priv;
    gw_catchup *ct = s->ct;
    (void)ac;
    ct->inflight--;
    const gw_xreply *x = gw_xreply_of(r);
    gw_cu_reply rep = {.status = r == NULL ? GW_CU_REPLY_LOST : x == NULL ? GW_CU_REPLY_ERROR : GW_CU_REPLY_OK,
                       .n = x != NULL ? x->n : 0,
                       .last_t = INT64_MIN};
    for (size_t k = 0; x != NULL && k < x->n; k++)
        if (x->t[k] > rep.last_t)
            rep.last_t = x->t[k];
    gw_cu_where where = s->c == NULL ? GW_CU_ORPHAN
                        : s->state == GW_SUB_XRANGE && !s->c->closing ? GW_CU_READING
                                                                      : GW_CU_ELSEWHERE;
    gw_cu_env e = env_of(ct);
    int64_t after;
    gw_cu_step next = gw_cu_on_reply(&s->cu, &e, where, &rep, &after);
    switch (next) {
    case GW_CU_FREE:
        free(s); /* orphaned by unsub, re-sub or close */
        gw_catchup_pump(ct);
        return;
    case GW_CU_STALE:
        if (r == NULL)
            gw_rconn_lost(ct->conn, "lost during a catch-up");
        gw_catchup_pump(ct);
        return;
    case GW_CU_RETRY:
        /* The connection is gone: read from the cursor once it is back. */
        gw_rconn_lost(ct->conn, "lost during a catch-up");
        s->state = GW_SUB_QUEUED;
        h2o_linklist_insert(ct->queued.next, &s->link);
        return;
    case GW_CU_FAIL: {
        const redisReply *er = r;
        ts_warn("worker %d: catch-up XRANGE failed: %s", ct->id,
                x != NULL ? "the history changed (new epoch)" : er->type == REDIS_REPLY_ERROR ? er->str : "?");
        gw_hrun_err(ct->hr, s, GW_E_INTERNAL, "reading history failed; subscribe again");
        sub_remove(s); /* frees it, or the last reply in flight does */
        gw_catchup_pump(ct);
        return;
    }
    default:
        break;
    }
    send_entries(s, x, after);
    if (s->c->closing) {
        gw_hrun_drop(ct->hr);
    } else if (next == GW_CU_LIVE || next == GW_CU_SKIP_HOLE) {
        go_live(s); /* windows still in flight are stale now */
    } else {
        gw_hrun_flush(ct->hr, s, 1);
        if (s->c->closing) {
            /* closed as slow by that send: no more reads for it */
        } else if (next == GW_CU_READ_ON) {
            read_on(s);
        } else if (next == GW_CU_SEEK) {
            if (!slot_free(ct) || send_xrange(s, 0) != 0)
                queue_xrange(s);
        } else if (next == GW_CU_WAIT_SYNC) {
            s->state = GW_SUB_WAIT_SYNC;
            h2o_linklist_insert(&ct->wait_sync, &s->link);
        } else {
            queue_xrange(s);
        }
    }
    gw_catchup_pump(ct);
}

void gw_catchup_pump(gw_catchup *ct)
{
    while (slot_free(ct) && !h2o_linklist_is_empty(&ct->queued)) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, ct->queued.next);
        h2o_linklist_unlink(&s->link);
        gw_cu_env e = env_of(ct);
        if (gw_cu_resume(&s->cu, &e) == GW_CU_LIVE) {
            go_live(s); /* the ring caught up with it while it waited */
            continue;
        }
        if (send_xrange(s, 0) != 0) {
            h2o_linklist_insert(ct->queued.next, &s->link);
            break;
        }
    }
}

/* ---- subscriptions ---- */

gw_err gw_catchup_sub(gw_catchup *ct, gw_subs *set, gw_client *c, gw_fmt fmt, uint32_t inst, int64_t since,
                      const gw_sink *sink)
{
    gw_sub *old = gw_subs_find(set, inst);
    if (old != NULL)
        sub_remove(old); /* a re-sub restarts the catch-up */
    if (set->n >= (uint32_t)ct->cfg->max_subs)
        return GW_E_TOO_MANY_SUBS;
    gw_sub *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return GW_E_INTERNAL;
    s->ct = ct;
    s->set = set;
    s->c = c;
    s->fmt = fmt;
    s->inst = inst;
    s->sink = sink;
    gw_cu_init(&s->cu, since, ct->meta->epoch);
    s->started_us = ts_mono_us();
    h2o_linklist_insert(&set->list, &s->client_link);
    set->n++;
    GW_ADD(ct->m->subscriptions, 1);
    step(s);
    gw_catchup_pump(ct);
    return GW_OK;
}

int gw_catchup_unsub(gw_catchup *ct, gw_subs *set, uint32_t inst)
{
    (void)ct;
    gw_sub *s = gw_subs_find(set, inst);
    if (s == NULL)
        return -1;
    sub_remove(s);
    return 0;
}

void gw_catchup_detach(gw_catchup *ct, gw_subs *set)
{
    (void)ct;
    for (h2o_linklist_t *l = set->list.next; l != &set->list; l = l->next)
        unlink_sub(H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, l));
}

void gw_catchup_drop(gw_catchup *ct, gw_subs *set)
{
    (void)ct;
    while (!h2o_linklist_is_empty(&set->list))
        sub_remove(H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, set->list.next));
}

void gw_catchup_ring_started(gw_catchup *ct)
{
    while (!h2o_linklist_is_empty(&ct->wait_sync)) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, ct->wait_sync.next);
        h2o_linklist_unlink(&s->link);
        step(s);
    }
    gw_catchup_pump(ct);
}

void gw_catchup_tick(gw_catchup *ct)
{
    size_t pace = gw_config_drain_mark(ct->cfg);
    h2o_linklist_t ready, *next;
    h2o_linklist_init_anchor(&ready);
    for (h2o_linklist_t *l = ct->wait_drain.next; l != &ct->wait_drain; l = next) {
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
    gw_catchup_pump(ct);
}
