/* gw_candles.c — live candle subscriptions: history, then folded ticks.
 *
 *   sub(width, since) ─▶ range read of the next `chunk` buckets (gw_range.c:
 *        │               one MULTI/EXEC of stored candles and raw ticks)
 *        │ the chunk ends before where the snapshot is known complete:
 *        │ its candles are closed: send them, read the next chunk
 *        ▼ else, with c = where it is known complete:
 *   the candles before c's bucket are closed; c's bucket so far is the open
 *   candle; a tick subscription since c - 1 (gw_catchup.c: streams, ring,
 *   live) hands every later tick to this file's sink, which folds it.
 *
 * Why every tick is counted exactly once:
 *  - A range read is one snapshot, and its pieces (candles of the source
 *    level and finer ones, then raw ticks, each taken only after the end of
 *    those before it) hold every tick of its buckets that the snapshot
 *    holds, once (gw_range.c). Its `end` is the end of the newest piece:
 *    the snapshot holds no tick of the window at or after it.
 *  - Every tick before c exists in the snapshot: stream IDs only grow, so
 *    once a tick at end - 1 (or a candle ending at end, written with or after the
 *    tick that closed it) is in Redis, no older tick can appear; and every
 *    tick up to `heard`, the newest time this worker had heard on ts:live
 *    when it sent the read, was XADDed before it was published. So c =
 *    max(end, heard + 1) (at most the chunk's end): the buckets hold every
 *    tick before c there will ever be, and none at or after c.
 *  - The tick subscription since c - 1 sends every tick after c - 1 exactly
 *    once and in order (gw_catchup.c's promise). So the open candle is the
 *    snapshot's part of its bucket plus these ticks: nothing twice, no gap —
 *    also when the bucket closed while the read was in flight (its closing
 *    tick comes as a tick), and when the generator backfills (its ticks
 *    come in order, late).
 *  - The client is sent whole candles, never increments: a candle with a
 *    time it holds replaces it. A reconnect with since = the `last` it was
 *    told starts from the candle holding since + 1, whole, so an open
 *    candle is replaced, not counted twice.
 * An epoch change closes every client (gw_worker.c), these with them. */
#include "gw_candles.h"

#include <stdio.h>
#include <stdlib.h>

#include "gw_cfold.h"
#include "gw_range.h"
#include "ts_time.h"

/* History reads in flight per worker; more wait their turn in order. Each
 * folds at most GW_CANDLE_READ_ENTRIES entries, so this bounds what the
 * range connection's replies hold at once, however many subscribe. */
#define READS_MAX 8

struct gw_candles {
    const gw_config *cfg;
    const gw_meta *meta;
    gw_feed *feed;
    gw_catchup *ct;
    gw_rconn *rng;
    gw_buf enc;
    uint32_t reads;          /* in flight */
    h2o_linklist_t waiting;  /* csub.wait: subscriptions whose next read waits for a slot */
    h2o_linklist_t draining; /* csub.wait: those whose next read waits for their client to drain */
};

typedef struct csub {
    gw_candles *cs;
    gw_csubs *set;
    gw_client *c; /* NULL once orphaned: the read in flight frees it */
    gw_fmt fmt;
    uint32_t inst;
    int reading;   /* a range read in flight */
    int64_t heard; /* the ring's newest when it was sent */
    int64_t next;  /* the start of the chunk to read, while waiting */
    h2o_linklist_t wait; /* in cs->waiting or cs->draining while its next read waits */
    gw_cplan plan;
    gw_cfold fold;
    gw_subs ticks; /* the live part: one tick subscription with the sink */
    gw_sink sink;
    ts_candle *pend; /* closed candles to send with the next candles message */
    uint32_t npend, cap;
    h2o_linklist_t link; /* in set->list */
} csub;

gw_candles *gw_candles_new(const gw_config *cfg, const gw_meta *meta, gw_feed *feed, gw_catchup *ct, gw_rconn *rng)
{
    gw_candles *cs = calloc(1, sizeof(*cs));
    if (cs == NULL)
        return NULL;
    *cs = (gw_candles){.cfg = cfg, .meta = meta, .feed = feed, .ct = ct, .rng = rng};
    h2o_linklist_init_anchor(&cs->waiting);
    h2o_linklist_init_anchor(&cs->draining);
    return cs;
}

void gw_candles_free(gw_candles *cs)
{
    if (cs == NULL)
        return;
    gw_buf_free(&cs->enc);
    free(cs);
}

void gw_csubs_init(gw_csubs *set)
{
    h2o_linklist_init_anchor(&set->list);
    set->n = 0;
}

static csub *find(gw_csubs *set, uint32_t inst, int64_t width)
{
    for (h2o_linklist_t *l = set->list.next; l != &set->list; l = l->next) {
        csub *s = H2O_STRUCT_FROM_MEMBER(csub, link, l);
        if (s->inst == inst && s->plan.width == width)
            return s;
    }
    return NULL;
}

static void csub_free(csub *s)
{
    free(s->pend);
    free(s);
}

/* Ends s: its tick subscription goes, and s itself unless a read holds it. */
static void csub_remove(csub *s)
{
    gw_catchup_drop(s->cs->ct, &s->ticks);
    if (h2o_linklist_is_linked(&s->wait))
        h2o_linklist_unlink(&s->wait);
    if (s->c != NULL) {
        h2o_linklist_unlink(&s->link);
        s->set->n--;
        s->c = NULL;
    }
    if (!s->reading)
        csub_free(s);
}

/* ---- messages ---- */

/* live: the open candle's update of a live tick, which may wait for the
 * client's pacing point (gw_client_send_live). */
static void send_enc(csub *s, int live)
{
    gw_buf *b = &s->cs->enc;
    if (!b->oom && b->len != 0 && !s->c->closing)
        (live ? gw_client_send_live : gw_client_send)(s->c, b->data, b->len);
    gw_buf_reset(b);
}

static void send_err(csub *s, const char *msg)
{
    gw_enc_err(&s->cs->enc, s->fmt, GW_E_INTERNAL, msg, s->cs->meta->names[s->inst], -1);
    send_enc(s, 0);
}

/* Room for one more candle in pend; -1 when out of memory. */
static int reserve(csub *s)
{
    if (s->npend < s->cap)
        return 0;
    uint32_t cap = s->cap ? s->cap * 2 : 64;
    ts_candle *p = realloc(s->pend, cap * sizeof(*p));
    if (p == NULL)
        return -1;
    s->pend = p;
    s->cap = cap;
    return 0;
}

/* One candle x, after which every tick <= last is in the candles sent: a
 * candle message, or for SSE an event whose id moves the instrument to last;
 * live as for send_enc. */
static void send_one(csub *s, const ts_candle *x, int64_t last, int live)
{
    gw_buf *b = &s->cs->enc;
    gw_enc_candle(b, s->fmt, s->cs->meta->names[s->inst], s->plan.width, x, last);
    if (!b->oom && !s->c->closing)
        gw_client_send_tick(s->c, s->inst, last, b->data, b->len, live);
    gw_buf_reset(b);
}

/* SSE has no candles message: each candle is its own event (a closed one
 * holds every tick up to its end), and the end of the history is told by
 * a `live` event, as for ticks. */
static void send_sse(csub *s, int64_t last, int final)
{
    for (uint32_t k = 0; k < s->npend && !s->c->closing; k++) {
        int open = final && k == s->npend - 1 && s->fold.open.n > 0;
        send_one(s, &s->pend[k], open ? last : s->pend[k].t + s->plan.width - 1, 0);
    }
    s->npend = 0;
    if (final) {
        gw_enc_sse_live(&s->cs->enc, s->cs->meta->names[s->inst], s->cs->meta->epoch, last);
        send_enc(s, 0);
    }
}

/* The closed candles held back, then (final) the open one: a candles
 * message after which every tick <= last is in the candles sent. */
static void send_candles(csub *s, int64_t last, int final)
{
    const gw_meta *m = s->cs->meta;
    if (final && s->fold.open.n > 0) {
        if (reserve(s) != 0) {
            gw_client_close(s->c, 1011, "out of memory");
            return;
        }
        s->pend[s->npend++] = s->fold.open;
    }
    if (s->fmt == GW_FMT_SSE) {
        send_sse(s, last, final);
        return;
    }
    gw_enc_candles(&s->cs->enc, s->fmt, m->names[s->inst], m->epoch, s->plan.width, s->pend, s->npend, last, !final);
    s->npend = 0;
    send_enc(s, 0);
}

/* Holds closed candle x for the next candles message (a long run is sent
 * in parts of plan.chunk). -1 when out of memory. */
static int pend_add(csub *s, const ts_candle *x)
{
    if (reserve(s) != 0)
        return -1;
    s->pend[s->npend++] = *x;
    if (s->npend >= s->plan.chunk)
        send_candles(s, x->t + s->plan.width - 1, 0);
    return 0;
}

/* ---- the live part: the tick subscription's sink ---- */

static void on_tick(void *arg, int64_t t, int32_t p, int live)
{
    csub *s = arg;
    ts_candle closed;
    int r = gw_cfold_tick(&s->fold, t, p, &closed);
    if (r < 0 || s->c == NULL || s->c->closing)
        return;
    if (!live) {
        if (r == 1 && pend_add(s, &closed) != 0)
            gw_client_close(s->c, 1011, "out of memory");
        return;
    }
    /* The closed candle's last state went with its last tick: only the open one. */
    send_one(s, &s->fold.open, t, 1);
}

static void on_caught_up(void *arg)
{
    csub *s = arg;
    if (s->c != NULL && !s->c->closing)
        send_candles(s, s->fold.last, 1);
}

/* ---- the history ---- */

static void read_chunk(csub *s, int64_t from);
static void pump(gw_candles *cs);
static void on_read_step(csub *s, const gw_range_result *res);

static void on_read(void *owner, const gw_range_result *res)
{
    csub *s = owner;
    gw_candles *cs = s->cs;
    s->reading = 0;
    cs->reads--;
    if (s->c == NULL)
        csub_free(s); /* orphaned while its read was in flight */
    else if (!s->c->closing)
        on_read_step(s, res);
    pump(cs);
}

static void on_read_step(csub *s, const gw_range_result *res)
{
    gw_candles *cs = s->cs;
    if (!res->ok || res->epoch != cs->meta->epoch) {
        send_err(s, "reading the candles failed; subscribe again");
        csub_remove(s);
        return;
    }
    uint32_t closed;
    const gw_rplan *rp = res->plan;
    int more = gw_cfold_history(&s->fold, rp, res->buckets, res->end, s->heard, &closed);
    for (uint32_t k = 0; k < closed; k++)
        if (res->buckets[k].n > 0 && pend_add(s, &res->buckets[k]) != 0) {
            gw_client_close(s->c, 1011, "out of memory");
            return;
        }
    if (more) {
        if (s->npend > 0)
            send_candles(s, s->fold.last, 0);
        if (s->c->closing)
            return;
        int64_t next = rp->first + (int64_t)rp->count * rp->width;
        /* A long history (43,200 one-minute candles for 30 days, one SSE
         * event each) is read no faster than the client takes it, as the
         * tick catch-up is (gw_catchup.c): else a reader slower than Redis
         * reaches --send-queue and is closed as slow, and its resume bursts
         * the rest again. */
        if (gw_client_queued(s->c) > gw_config_drain_mark(cs->cfg)) {
            s->next = next;
            h2o_linklist_insert(&cs->draining, &s->wait);
        } else {
            read_chunk(s, next);
        }
        return;
    }
    if (s->c->closing)
        return;
    if (gw_catchup_sub(cs->ct, &s->ticks, s->c, s->fmt, s->inst, s->fold.last, &s->sink) != GW_OK) {
        send_err(s, "out of memory; subscribe again");
        csub_remove(s);
    }
}

/* Sends the range read of the chunk from `from`, or queues it while
 * READS_MAX are in flight; when the connection refuses it, tells the
 * client and ends s. */
static void read_chunk(csub *s, int64_t from)
{
    gw_candles *cs = s->cs;
    if (cs->reads >= READS_MAX) {
        s->next = from;
        h2o_linklist_insert(&cs->waiting, &s->wait);
        return;
    }
    gw_rplan rp;
    gw_cplan_chunk(&s->plan, from, &rp);
    const gw_ring *ring = gw_feed_ring(cs->feed);
    s->heard = ring->count > 0 ? gw_ring_last(ring) : -1;
    if (!cs->rng->up || gw_range_read(cs->rng->ac, cs->meta, s->inst, &rp, ring, on_read, s) != 0) {
        send_err(s, "Redis is not reachable; subscribe again");
        csub_remove(s);
        return;
    }
    s->reading = 1;
    cs->reads++;
}

/* Sends the reads that wait, oldest first, while slots are free. */
static void pump(gw_candles *cs)
{
    while (cs->reads < READS_MAX && !h2o_linklist_is_empty(&cs->waiting)) {
        csub *s = H2O_STRUCT_FROM_MEMBER(csub, wait, cs->waiting.next);
        h2o_linklist_unlink(&s->wait);
        if (!s->c->closing) /* else it ends when its client is freed */
            read_chunk(s, s->next);
    }
}

void gw_candles_tick(gw_candles *cs)
{
    h2o_linklist_t ready, *next;
    h2o_linklist_init_anchor(&ready);
    for (h2o_linklist_t *l = cs->draining.next; l != &cs->draining; l = next) {
        next = l->next;
        csub *s = H2O_STRUCT_FROM_MEMBER(csub, wait, l);
        /* a closing one ends when its client is freed */
        if (!s->c->closing && gw_client_queued(s->c) <= gw_config_drain_mark(cs->cfg)) {
            h2o_linklist_unlink(&s->wait);
            h2o_linklist_insert(&ready, &s->wait);
        }
    }
    /* Popped one at a time: a failed read may end its client, and with it
     * that client's other subscriptions, which csub_remove unlinks from here. */
    while (!h2o_linklist_is_empty(&ready)) {
        csub *s = H2O_STRUCT_FROM_MEMBER(csub, wait, ready.next);
        h2o_linklist_unlink(&s->wait);
        read_chunk(s, s->next);
    }
}

/* ---- subscriptions ---- */

/* The plan of candles of width ms since `since`: 0, or -1 with the reason in msg. */
static int make_plan(const gw_candles *cs, int64_t since, int64_t width, gw_cplan *plan, char *msg, size_t msglen)
{
    const gw_meta *m = cs->meta;
    gw_cplan_in in = {.since = since, .width = width, .now_ms = ts_now_ms(), .interval_ms = m->interval_ms,
                      .retention_ms = m->retention_ms, .ladder = &m->ladder};
    const char *why;
    if (gw_cplan_make(&in, plan, &why) == 0)
        return 0;
    snprintf(msg, msglen, "%s", why);
    return -1;
}

gw_err gw_candles_sub(gw_candles *cs, gw_csubs *set, uint32_t others, gw_client *c, gw_fmt fmt, uint32_t inst,
                      int64_t width, int64_t since, char *msg, size_t msglen)
{
    gw_cplan plan;
    if (make_plan(cs, since, width, &plan, msg, msglen) != 0)
        return GW_E_BAD_WIDTH;
    csub *old = find(set, inst, width);
    if (old != NULL)
        csub_remove(old); /* a re-sub restarts it */
    if (set->n + others >= (uint32_t)cs->cfg->max_subs) {
        snprintf(msg, msglen, "at most %lld subscriptions per connection", (long long)cs->cfg->max_subs);
        return GW_E_TOO_MANY_SUBS;
    }
    csub *s = calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(msg, msglen, "out of memory");
        return GW_E_INTERNAL;
    }
    *s = (csub){.cs = cs, .set = set, .c = c, .fmt = fmt, .inst = inst, .plan = plan};
    s->sink = (gw_sink){on_tick, on_caught_up, s};
    gw_subs_init(&s->ticks);
    h2o_linklist_insert(&set->list, &s->link);
    set->n++;
    read_chunk(s, plan.first); /* a failure is told to the client as an err */
    return GW_OK;
}

int gw_candles_unsub(gw_candles *cs, gw_csubs *set, uint32_t inst, int64_t width)
{
    (void)cs;
    csub *s = find(set, inst, width);
    if (s == NULL)
        return -1;
    csub_remove(s);
    return 0;
}

int gw_candles_check(const gw_candles *cs, int64_t width, char *msg, size_t msglen)
{
    gw_cplan plan;
    return make_plan(cs, 0, width, &plan, msg, msglen);
}

void gw_candles_detach(gw_candles *cs, gw_csubs *set)
{
    for (h2o_linklist_t *l = set->list.next; l != &set->list; l = l->next)
        gw_catchup_detach(cs->ct, &H2O_STRUCT_FROM_MEMBER(csub, link, l)->ticks);
}

void gw_candles_drop(gw_candles *cs, gw_csubs *set)
{
    (void)cs;
    while (!h2o_linklist_is_empty(&set->list))
        csub_remove(H2O_STRUCT_FROM_MEMBER(csub, link, set->list.next));
}
