/* gw_feed.c — ts:live into the ring and out to live subscriptions, gapless.
 *
 * Every tick row enters the ring through append_row, in strictly increasing
 * time, and is fanned out right there; nothing else writes the ring. A live
 * message whose t is more than one interval after the ring's last row means
 * pub/sub lost messages (Redis restarted, our subscriber reconnected, or Redis
 * dropped us for a full output buffer). Then the hole is read from the
 * streams before anything newer is used:
 *
 *   repair chunk: XRANGE ts:tick:{each instrument} (from, to) COUNT rows,
 *   all pipelined on the command connection; when the last reply is in, the
 *   rows up to the lowest last-t among full replies are appended and
 *   fanned out, and the next chunk starts after them. Live messages that
 *   arrive meanwhile wait in `pending` and are replayed afterwards (older
 *   ones are dropped as duplicates, newer holes start another repair).
 *
 * The streams hold every tick <= t when t is published: the generator XADDs a
 * tick's prices before it PUBLISHes it, on one connection, and backfills
 * oldest first. So the repair reads a complete hole, and a hole the streams
 * do not fill (data lost with Redis, or entries unreadable: ts_entry.h)
 * stays GW_MISSING in the ring and reaches clients as a new hist run, never
 * as a silent jump.
 *
 * Fan-out (gw_fan.c): not row by row, but once per read of the ts:live
 * connection and at the end of a repair chunk, each live subscription gets
 * the rows after its cursor; several rows at once become one hist run. The
 * rows wait in the ring, so a fan-out is forced before an append would
 * push one of them out. */
#include "gw_feed.h"
#include "gw_fan.h"
#include "gw_probe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_codec.h"
#include "ts_log.h"
#include "ts_names.h"

#define REPAIR_ROWS 2000       /* rows per repair chunk and instrument */
#define PENDING_MAX 100000     /* live messages held during a repair */
#define PREFILL_MAX 12000      /* rows read into an empty ring at start */

/* The XRANGEs of one repair chunk, one per instrument, answered in the order
 * sent; freed by the last reply, even when the chunk was abandoned. */
typedef struct repair_chunk {
    gw_feed *f;
    uint32_t gen;  /* the feed's repair_gen when sent */
    uint32_t next; /* the instrument the next reply is for */
    uint32_t left; /* replies still to come */
} repair_chunk;

struct gw_feed {
    int id;
    const gw_config *cfg;
    const gw_meta *meta;
    gw_rconn *cmd, *sub;
    gw_wmetrics *m;
    gw_feed_hooks hooks;
    int subscribed;

    gw_ring ring;
    h2o_linklist_t *live;       /* per instrument: its GW_SUB_LIVE subscriptions */
    gw_fan fan;
    uint32_t fan_rows;          /* rows appended since the last fan-out */
    uint64_t sent;              /* messages fanned out so far */
    uint64_t sent_fanned;       /* `sent` after the last fan-out */

    /* Repair of a hole (ticks with repair_from < t < repair_to). */
    int repairing;              /* a repair chunk is in flight */
    int repair_wanted;          /* a repair must (re)start when the command connection is up */
    uint32_t repair_gen;        /* a reset abandons the chunk in flight by moving on */
    int64_t repair_from, repair_to;
    int64_t repair_bound;       /* lowest last-t of a full reply in this chunk */
    uint32_t repair_rows;
    int32_t *repair_m;          /* repair_rows x count prices */
    ts_live_msg *pending;       /* live messages held back while repairing */
    size_t npending, cap_pending;

    gw_probe *probe;            /* is a quiet feed a deaf subscriber? */
};

static void process(gw_feed *f, ts_live_msg *m);

gw_feed *gw_feed_new(int worker_id, const gw_config *cfg, const gw_meta *meta, gw_rconn *cmd, gw_rconn *sub,
                     gw_wmetrics *m, const gw_feed_hooks *hooks)
{
    gw_feed *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return NULL;
    f->id = worker_id;
    f->cfg = cfg;
    f->meta = meta;
    f->cmd = cmd;
    f->sub = sub;
    f->m = m;
    f->hooks = *hooks;
    f->probe = gw_probe_new(cmd, sub);
    if (f->probe == NULL) {
        free(f);
        return NULL;
    }
    return f;
}

/* Ring capacity in rows for this interval: --ring worth, at most --ring-max. */
static uint32_t ring_rows(const gw_feed *f)
{
    int64_t rows = f->cfg->ring_ms / f->meta->interval_ms;
    if (rows > f->cfg->ring_max)
        rows = f->cfg->ring_max;
    return rows < 16 ? 16 : (uint32_t)rows;
}

static void drop_pending(gw_feed *f)
{
    for (size_t i = 0; i < f->npending; i++)
        ts_live_msg_free(&f->pending[i]);
    f->npending = 0;
}

/* Forgets the ring and any repair; a chunk in flight finishes into the void. */
static void reset(gw_feed *f)
{
    drop_pending(f);
    gw_ring_free(&f->ring);
    f->fan_rows = 0;
    f->repair_wanted = 0;
    f->repairing = 0;
    f->repair_gen++;
    free(f->live);
    free(f->repair_m);
    f->live = NULL;
    f->repair_m = NULL;
}

int gw_feed_configure(gw_feed *f)
{
    reset(f);
    uint32_t n = f->meta->count;
    f->live = calloc(n, sizeof(*f->live));
    f->repair_m = malloc((size_t)REPAIR_ROWS * n * sizeof(int32_t));
    if (f->live == NULL || f->repair_m == NULL || gw_ring_init(&f->ring, n, ring_rows(f), f->meta->interval_ms) != 0) {
        reset(f);
        return -1;
    }
    for (uint32_t i = 0; i < n; i++)
        h2o_linklist_init_anchor(&f->live[i]);
    return 0;
}

void gw_feed_free(gw_feed *f)
{
    if (f == NULL)
        return;
    reset(f);
    free(f->pending);
    gw_fan_free(&f->fan);
    gw_probe_free(f->probe);
    free(f);
}

const gw_ring *gw_feed_ring(const gw_feed *f)
{
    return &f->ring;
}

void gw_feed_join(gw_feed *f, gw_sub *s)
{
    s->state = GW_SUB_LIVE;
    h2o_linklist_insert(&f->live[s->inst], &s->link);
}

int gw_feed_subscribed(const gw_feed *f)
{
    return f->subscribed;
}

/* ---- fan-out ---- */

/* Sends the rows appended since the last fan-out; the fan-out's time
 * (tickgw_fanout_seconds) is not observed when nothing was queued. */
static void fan_now(gw_feed *f)
{
    if (f->fan_rows == 0)
        return;
    f->fan_rows = 0;
    f->sent += gw_fan_out(&f->fan, f->meta, &f->ring, f->live, f->cfg->chunk);
    if (f->sent == f->sent_fanned)
        gw_metrics_fanout_cancel(f->m);
    f->sent_fanned = f->sent;
}

void gw_feed_read_done(gw_feed *f)
{
    fan_now(f);
}

static void append_row(gw_feed *f, int64_t t, const int32_t *prices)
{
    int first = f->ring.count == 0;
    /* Rows not fanned out yet must stay in the ring, and the filler rows an
     * append puts before t count: two appends after gaps between fan-outs
     * could otherwise push an unsent row out. */
    int64_t add = first ? 1 : (t - gw_ring_last(&f->ring)) / f->meta->interval_ms;
    if (f->fan_rows > 0 && f->fan_rows + add >= f->ring.cap)
        fan_now(f);
    gw_ring_append(&f->ring, t, prices);
    f->fan_rows = add >= f->ring.cap ? f->ring.cap : f->fan_rows + (uint32_t)add;
    f->sent += f->hooks.row_appended(f->hooks.arg, t, prices);
    if (first)
        f->hooks.ring_started(f->hooks.arg);
}

/* ---- repair ---- */

static void repair_issue(gw_feed *f);

static void repair_finish_chunk(gw_feed *f)
{
    int64_t dt = f->meta->interval_ms;
    int64_t end = f->repair_bound; /* rows up to here are complete */
    uint32_t n = 0;
    for (int64_t t = f->repair_from + dt; t <= end && n < f->repair_rows; t += dt, n++)
        append_row(f, t, f->repair_m + (size_t)n * f->meta->count);
    fan_now(f);
    GW_ADD(f->m->repaired_ticks_total, n);
    f->repair_from = f->repair_from + (int64_t)n * dt;
    f->repairing = 0;
    if (f->repair_from + dt < f->repair_to) {
        repair_issue(f);
        return;
    }
    /* Hole closed: replay what arrived meanwhile, oldest first. */
    ts_info("worker %d: live hole repaired up to %lld", f->id, (long long)f->repair_from);
    size_t i = 0;
    while (i < f->npending && !f->repairing && !f->repair_wanted) {
        ts_live_msg m = f->pending[i++];
        size_t n = f->npending;
        process(f, &m);
        if (f->npending == n + 1) /* held again behind a new hole: it stays first */
            f->pending[--i] = f->pending[--f->npending];
    }
    memmove(f->pending, f->pending + i, (f->npending - i) * sizeof(*f->pending));
    f->npending -= i;
    fan_now(f);
}

/* No rows to read: replay the held messages at once. */
static void repair_finish_chunk_empty(gw_feed *f)
{
    f->repair_rows = 0;
    f->repair_bound = f->repair_from;
    repair_finish_chunk(f);
}

/* Reads one instrument's XRANGE reply into its column of the chunk. */
static void repair_read(gw_feed *f, uint32_t inst, const redisReply *reply)
{
    int64_t dt = f->meta->interval_ms, last = f->repair_from;
    for (size_t k = 0; k < reply->elements; k++) {
        int64_t t;
        int32_t p;
        int ok = ts_entry_from_reply(reply->element[k], &t, &p) == 0;
        if (!ok)
            gw_metrics_malformed(f->m, f->id, f->meta->names[inst], t);
        if (t <= last || (t - f->repair_from) % dt != 0)
            continue; /* unreadable ID, or a repeat of a time already read: the first counts */
        int64_t row = (t - f->repair_from) / dt - 1;
        if (row < 0 || row >= f->repair_rows)
            continue;
        if (ok)
            f->repair_m[(size_t)row * f->meta->count + inst] = p;
        last = t; /* read, even if unreadable: the next chunk starts after it */
    }
    if (reply->elements >= f->repair_rows && last < f->repair_bound)
        f->repair_bound = last; /* this instrument may have more after `last` */
}

static void on_repair(redisAsyncContext *ac, void *r, void *priv)
{
    repair_chunk *ch = priv;
    gw_feed *f = ch->f;
    const redisReply *reply = r;
    uint32_t inst = ch->next++;
    int mine = ch->gen == f->repair_gen && f->repairing;
    (void)ac;
    if (--ch->left == 0)
        free(ch);
    if (!mine)
        return; /* a reset or an earlier failure abandoned this chunk */
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply == NULL)
            gw_rconn_lost(f->cmd, "lost during a live repair");
        else
            ts_warn("worker %d: repair XRANGE failed: %s", f->id, reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        f->repairing = 0;
        f->repair_gen++;
        f->repair_wanted = 1; /* restarted by gw_feed_tick */
        return;
    }
    repair_read(f, inst, reply);
    if (inst + 1 == f->meta->count)
        repair_finish_chunk(f);
}

static void repair_issue(gw_feed *f)
{
    if (!f->cmd->up) {
        f->repair_wanted = 1;
        return;
    }
    uint32_t n = f->meta->count;
    int64_t dt = f->meta->interval_ms;
    int64_t rows = (f->repair_to - f->repair_from) / dt - 1;
    if (rows > REPAIR_ROWS)
        rows = REPAIR_ROWS;
    if (rows < 1)
        rows = 1;
    repair_chunk *ch = malloc(sizeof(*ch));
    if (ch == NULL) {
        f->repair_wanted = 1; /* out of memory: try again at the next tick */
        return;
    }
    f->repair_rows = (uint32_t)rows;
    for (size_t i = 0; i < (size_t)rows * n; i++)
        f->repair_m[i] = GW_MISSING;
    f->repair_bound = f->repair_from + rows * dt;
    if (f->repair_bound >= f->repair_to)
        f->repair_bound = f->repair_to - dt;
    f->repairing = 1;
    f->repair_wanted = 0;
    *ch = (repair_chunk){.f = f, .gen = ++f->repair_gen, .next = 0, .left = 0};
    for (uint32_t i = 0; i < n; i++) {
        char key[64];
        ts_tick_key(key, sizeof(key), f->meta->names[i]);
        /* The range ends at this chunk's last row, not at the hole's end: a
         * stream whose entries start after the chunk would otherwise fill
         * a full reply with rows past it, all skipped, and the same chunk
         * would be read again forever. */
        if (redisAsyncCommand(f->cmd->ac, on_repair, ch, "XRANGE %s %lld %lld COUNT %lld", key,
                              (long long)(f->repair_from + 1), (long long)f->repair_bound, (long long)rows) != REDIS_OK) {
            f->repairing = 0;
            f->repair_gen++;
            f->repair_wanted = 1;
            if (ch->left == 0)
                free(ch);
            gw_rconn_lost(f->cmd, "command refused");
            return;
        }
        ch->left++;
    }
}

/* ---- live messages ---- */

static void hold(gw_feed *f, ts_live_msg *m)
{
    if (f->npending == PENDING_MAX) {
        ts_live_msg_free(m); /* a later gap check reads it from the streams */
        return;
    }
    if (f->npending == f->cap_pending) {
        size_t cap = f->cap_pending ? f->cap_pending * 2 : 64;
        ts_live_msg *p = realloc(f->pending, cap * sizeof(*p));
        if (p == NULL) {
            ts_live_msg_free(m);
            return;
        }
        f->pending = p;
        f->cap_pending = cap;
    }
    f->pending[f->npending++] = *m;
}

/* Takes ownership of m's prices. */
static void process(gw_feed *f, ts_live_msg *m)
{
    if (f->repairing || f->repair_wanted) {
        hold(f, m);
        return;
    }
    int64_t dt = f->meta->interval_ms;
    int64_t last = f->ring.count ? gw_ring_last(&f->ring) : 0;
    if (m->t % dt != 0) {
        /* Tick times are multiples of the interval (docs/REDIS.md). Another
         * would look like a hole with no rows to read, over and over. */
        ts_warn("worker %d: ts:live message with t %lld off the %lld ms grid, dropped", f->id, (long long)m->t,
                (long long)dt);
        ts_live_msg_free(m);
        return;
    }
    if (f->ring.count == 0) {
        /* First tick since start or reset: fill the ring from the streams
         * first, so catch-ups inside its window need no XRANGE right away. */
        int64_t rows = f->ring.cap - 1 < PREFILL_MAX ? f->ring.cap - 1 : PREFILL_MAX;
        f->repair_from = m->t - (rows + 1) * dt;
        f->repair_to = m->t;
        hold(f, m);
        if (rows > 0) {
            ts_info("worker %d: filling the ring with %lld ticks from the streams", f->id, (long long)rows);
            repair_issue(f);
        } else {
            f->repair_from = m->t - dt;
            repair_finish_chunk_empty(f);
        }
        return;
    }
    if (m->t == last + dt) {
        append_row(f, m->t, m->prices);
    } else if (m->t > last) {
        /* Ticks between last and m->t were published while we did not listen. */
        GW_ADD(f->m->live_gaps_total, 1);
        ts_info("worker %d: live hole %lld..%lld (%lld ticks), repairing from the streams", f->id,
                (long long)last, (long long)m->t, (long long)((m->t - last) / dt - 1));
        f->repair_from = last;
        f->repair_to = m->t;
        hold(f, m);
        repair_issue(f);
        return;
    }
    /* else: t <= last, a duplicate (e.g. a generator backfilling after a restart). */
    ts_live_msg_free(m);
}

static void on_message(gw_feed *f, const char *data, size_t len)
{
    ts_live_msg m;
    char err[128];
    GW_ADD(f->m->live_messages_total, 1);
    gw_probe_heard(f->probe);
    if (ts_live_decode(data, len, &m, err, sizeof(err)) != 0) {
        ts_warn("worker %d: bad ts:live message: %s", f->id, err);
        return;
    }
    GW_SET(f->m->live_last_t, m.t);
    if (!f->meta->ok || f->live == NULL) {
        ts_live_msg_free(&m);
        return;
    }
    if (m.epoch != f->meta->epoch || m.count != f->meta->count) {
        /* The generator started a new history or shape: reread ts:meta. */
        ts_live_msg_free(&m);
        f->hooks.meta_stale(f->hooks.arg);
        return;
    }
    /* Timed from the first message of a fan-out until the flush hands the
     * frames to the sockets; not timed when nothing is sent (no live
     * subscriber, or held during a repair: fan_now). */
    int timing = f->m->fanout_t0_us == 0;
    gw_metrics_fanout_begin(f->m);
    process(f, &m);
    if (timing && f->fan_rows == 0)
        gw_metrics_fanout_cancel(f->m);
}

static void on_live(redisAsyncContext *ac, void *r, void *priv)
{
    gw_feed *f = priv;
    redisReply *reply = r;
    (void)ac;
    if (reply == NULL) {
        f->subscribed = 0;
        gw_rconn_lost(f->sub, "subscription lost");
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    const redisReply *kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (!strcmp(kind->str, "message") && reply->element[2]->type == REDIS_REPLY_STRING) {
        on_message(f, reply->element[2]->str, reply->element[2]->len);
    } else if (!strcmp(kind->str, "subscribe")) {
        f->subscribed = 1;
        gw_probe_heard(f->probe); /* the silence check counts from here */
        ts_info("worker %d: subscribed to " TS_CHANNEL_LIVE, f->id);
        f->hooks.ready_changed(f->hooks.arg);
    }
}

void gw_feed_sub_up(gw_feed *f)
{
    /* Whatever was published while we were away is found by the gap check. */
    if (redisAsyncCommand(f->sub->ac, on_live, f, "SUBSCRIBE " TS_CHANNEL_LIVE) != REDIS_OK)
        gw_rconn_lost(f->sub, "SUBSCRIBE refused");
}

void gw_feed_sub_down(gw_feed *f)
{
    f->subscribed = 0;
}

void gw_feed_tick(gw_feed *f)
{
    if (!f->meta->ok || f->live == NULL)
        return;
    if (f->repair_wanted && !f->repairing && f->cmd->up)
        repair_issue(f);
    if (f->subscribed && f->ring.count > 0 && !f->repairing) {
        char key[64];
        ts_tick_key(key, sizeof(key), f->meta->names[0]);
        gw_probe_tick(f->probe, key, gw_ring_last(&f->ring), f->meta->interval_ms);
    }
}
