/* gw_range.c — a range request's read (gw_range.h).
 *
 * Why one transaction is exact, live tail included. The generator writes a
 * closed candle of level k, bucket [s, s + w_k), in the MULTI/EXEC of the
 * tick that closes it, or — when a boundary closes more candles than
 * tickgen's --candle-budget — in a later one, but always before level k's
 * next bucket closes (generator/gen_defer.h). So in any snapshot whose last
 * tick is T_r, every tick before B_k(T_r) - w_k (the start of the bucket
 * before level k's bucket holding T_r) is in a stored candle of level k;
 * the candles of the newest closed bucket may or may not be there, and no
 * later one is. So the buckets are made of, oldest first:
 *
 *   the source level L's candles in the window,
 *   then level L-1's candles after the last piece so far, …, down to level 0,
 *   then the raw ticks after the last piece so far
 *
 * ("after the last piece": a piece is taken only if it starts at or after
 * the end of the pieces taken before it, so nothing is counted twice). Each
 * finer level only has to be read from B_(j+1)(newest) - w_(j+1), where
 * newest is a tick the caller heard on ts:live: ts:live is published after
 * the XADDs, so newest <= T_r and the read starts early enough — two
 * buckets of the level above, the newest closed one of which may be
 * missing there. One MULTI/EXEC makes the reads one snapshot (the
 * generator's transactions are atomic too), so a candle written meanwhile
 * is either wholly in the candles or wholly in the finer pieces.
 *
 * A range without `from` (the whole stored history) first reads the oldest
 * entry of every source, one MULTI/EXEC of XRANGE … COUNT 1, and plans over
 * what exists from there (gw_rplan_start); the read above is then a second
 * transaction. What changes in between does not make it inexact: new ticks
 * are read by the second one, and trimming only empties the oldest bucket. */
#include "gw_range.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_rreply.h"
#include "ts_names.h"
#include "ts_time.h"

typedef struct range_req {
    gw_rplan plan;
    ts_ladder ladder;
    int64_t interval_ms, retention_ms; /* of the raw ticks, for a whole plan's second planning */
    int64_t newest;                    /* the ring's newest tick when the request came, -1: none */
    char sym[GW_SYM_MAX];
    int64_t epoch;
    gw_range_done done;
    void *owner;
} range_req;

static void finish(range_req *q, ts_candle *b, int ok, uint64_t malformed, int64_t end)
{
    const char *source = q->plan.level < 0 ? "ticks" : q->ladder.lv[q->plan.level].label;
    gw_range_result res = {ok, q->sym, q->epoch, source, &q->plan, b, malformed, end};
    q->done(q->owner, &res);
    free(b);
    free(q);
}

/* Folds one XRANGE reply of level k (-1: raw) from *end on; moves *end. */
static void take(range_req *q, ts_candle *b, const gw_rpart *part, int k, int64_t *end, uint64_t *malformed)
{
    int64_t w = k < 0 ? 1 : q->ladder.lv[k].width_ms, next = *end;
    for (size_t e = 0; e < part->n; e++) {
        ts_candle x;
        if ((k < 0 ? gw_rpart_tick(part, e, &x) : gw_rpart_candle(part, e, &x)) != 0) {
            (*malformed)++;
            continue;
        }
        if (x.t < *end)
            continue; /* already in a coarser piece */
        gw_rplan_fold(&q->plan, b, &x);
        next = x.t + w > next ? x.t + w : next;
    }
    *end = next;
}

static void on_exec(redisAsyncContext *ac, void *r, void *priv)
{
    range_req *q = priv;
    const gw_rreply *x = gw_rreply_of(r);
    (void)ac;
    int L = q->plan.level;
    size_t want = (size_t)(L < 0 ? 1 : L + 2);
    int ok = x != NULL && x->k == want;
    for (size_t k = 0; ok && k < want; k++)
        ok = x->part[k].ok;
    ts_candle *b = ok ? calloc(q->plan.count, sizeof(*b)) : NULL;
    if (b == NULL) {
        finish(q, NULL, 0, 0, q->plan.first);
        return;
    }
    int64_t end = q->plan.first;
    uint64_t malformed = 0;
    size_t e = 0;
    for (int k = L; k >= 0; k--)
        take(q, b, &x->part[e++], k, &end, &malformed);
    take(q, b, &x->part[e], -1, &end, &malformed);
    finish(q, b, 1, malformed, end);
}

int gw_range_plan(const gw_meta *m, int64_t from, int64_t to, int64_t points, int64_t now_ms, gw_rplan *out,
                  const char **why)
{
    gw_rplan_in in = {.from = from < 0 ? 0 : from, .to = to < 0 ? now_ms : to, .points = points,
                      .interval_ms = m->interval_ms, .retention_ms = m->retention_ms, .now_ms = now_ms,
                      .ladder = &m->ladder};
    int rc = gw_rplan_make(&in, out, why);
    out->whole = from < 0;
    return rc;
}

void gw_range_encode(gw_buf *b, gw_fmt f, const gw_range_result *res, int64_t id)
{
    const gw_rplan *p = res->plan;
    gw_enc_range(b, f, res->sym, res->epoch, p->from, p->to, res->source, p->width, res->buckets, p->count, id);
}

/* Sends q's read: one MULTI/EXEC of XRANGEs, the source level's candles
 * first, the raw ticks last (gw_rreply.h's layout). 0, or -1 when not sent. */
/* Where a source finer than the plan's level is read from: the window's
 * first bucket, or, when later, two buckets of width w (the level above)
 * back from the one holding newest — the newest closed one may lack its
 * candle there (see the top of this file). */
static int64_t tail_from(int64_t first, int64_t newest, int64_t w)
{
    int64_t tail = ts_bucket(newest, w) - w;
    return newest >= 0 && tail > first ? tail : first;
}

static int send_read(redisAsyncContext *ac, range_req *q)
{
    const gw_rplan *plan = &q->plan;
    const ts_ladder *ladder = &q->ladder;
    int64_t newest = q->newest;
    long long last = (long long)(plan->first + (int64_t)plan->count * plan->width - 1);
    char key[TS_NAME_MAX + 48];
    redisAsyncCommand(ac, NULL, NULL, "MULTI");
    for (int k = plan->level; k >= 0; k--) {
        int64_t from = k < plan->level ? tail_from(plan->first, newest, ladder->lv[k + 1].width_ms) : plan->first;
        ts_candle_key(key, sizeof(key), &ladder->lv[k], q->sym);
        redisAsyncCommand(ac, NULL, NULL, "XRANGE %s %lld %lld", key, (long long)from, last);
    }
    int64_t from = plan->level >= 0 ? tail_from(plan->first, newest, ladder->lv[0].width_ms) : plan->first;
    ts_tick_key(key, sizeof(key), q->sym);
    redisAsyncCommand(ac, NULL, NULL, "XRANGE %s %lld %lld", key, (long long)from, last);
    return redisAsyncCommand(ac, on_exec, q, "EXEC") == REDIS_OK ? 0 : -1;
}

/* The oldest entry of every source came (a whole plan): plans again over
 * [where the stored history starts, to], then reads that. */
static void on_oldest(redisAsyncContext *ac, void *r, void *priv)
{
    range_req *q = priv;
    const gw_rreply *x = gw_rreply_of(r);
    int L = q->ladder.n;
    if (x == NULL || x->k != (size_t)L + 1) {
        finish(q, NULL, 0, 0, q->plan.first);
        return;
    }
    /* part k < L is level L-1-k (coarsest first), part L the raw ticks: gw_rplan_start's order reversed */
    int64_t first[TS_LEVELS_MAX + 1];
    for (int s = 0; s <= L; s++) {
        const gw_rpart *p = &x->part[s == 0 ? L : L - s];
        first[s] = p->ok && p->n > 0 ? p->c[0].t : -1;
    }
    gw_rplan_in in = {.to = q->plan.to, .points = q->plan.points, .interval_ms = q->interval_ms,
                      .retention_ms = q->retention_ms, .now_ms = ts_now_ms(), .ladder = &q->ladder};
    int64_t start = gw_rplan_start(&in, first);
    in.from = start < 0 || start > in.to ? in.to : start;
    const char *why;
    if (gw_rplan_make(&in, &q->plan, &why) != 0 || send_read(ac, q) != 0)
        finish(q, NULL, 0, 0, q->plan.first);
}

/* Asks for the oldest entry of every source of q's instrument, in the
 * layout of a read (gw_rreply.h): the levels coarsest first, the ticks last. */
static int send_oldest(redisAsyncContext *ac, range_req *q)
{
    char key[TS_NAME_MAX + 48];
    redisAsyncCommand(ac, NULL, NULL, "MULTI");
    for (int k = q->ladder.n - 1; k >= 0; k--) {
        ts_candle_key(key, sizeof(key), &q->ladder.lv[k], q->sym);
        redisAsyncCommand(ac, NULL, NULL, "XRANGE %s - + COUNT 1", key);
    }
    ts_tick_key(key, sizeof(key), q->sym);
    redisAsyncCommand(ac, NULL, NULL, "XRANGE %s - + COUNT 1", key);
    return redisAsyncCommand(ac, on_oldest, q, "EXEC") == REDIS_OK ? 0 : -1;
}

int gw_range_read(redisAsyncContext *ac, const gw_meta *m, uint32_t inst, const gw_rplan *plan, const gw_ring *ring,
                  gw_range_done done, void *owner)
{
    if (ac == NULL || !m->ok || inst >= m->count)
        return -1;
    range_req *q = calloc(1, sizeof(*q));
    if (q == NULL)
        return -1;
    q->plan = *plan;
    q->ladder = m->ladder;
    q->interval_ms = m->interval_ms;
    q->retention_ms = m->retention_ms;
    q->newest = ring != NULL && ring->count > 0 ? gw_ring_last(ring) : -1;
    snprintf(q->sym, sizeof(q->sym), "%s", m->names[inst]);
    q->epoch = m->epoch;
    q->done = done;
    q->owner = owner;
    if ((plan->whole ? send_oldest(ac, q) : send_read(ac, q)) != 0) {
        free(q);
        return -1;
    }
    return 0;
}
