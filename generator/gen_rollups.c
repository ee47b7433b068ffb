/* gen_rollups.c — the candles at start-up (gen_rollups.h).
 *
 * Restore. The open candle of level k is the bucket of width w_k holding
 * last_t, the last tick written, B_k. The bucket before it, B_k - w_k, is
 * closed, but its candle may not be in Redis: past --candle-budget a
 * closed candle waits in tickgen up to one bucket of its level before it
 * is written (gen_defer.h), and a restart loses what waited. Every older
 * candle is there. So level k is rebuilt from R_k = B_k - w_k: Redis holds
 * level k-1's stored candles from R_k up to level k-1's own R_(k-1), and
 * what follows is level k-1's rebuilt part (its bucket before the open
 * one, and its open one); level 0's is raw ticks. Per instrument, one
 * pipelined round:
 *
 *   level k:  XREVRANGE ts:candle:<k>:{N} + - COUNT 1      (is B_k - w_k stored?)
 *   level 0:  XRANGE ts:tick:{N}           R0 last_t        (≤ 2 w0 / interval ticks)
 *   level k:  XRANGE ts:candle:<k-1>:{N}   Rk (R(k-1) - 1)  (≤ 2 w_k / w_(k-1) candles)
 *
 * and prior_k, open_k = fold(those candles) + prior_(k-1) + open_(k-1),
 * each piece going to the bucket it lies in. A prior_k whose bucket Redis
 * lacks waits to be written like any closed candle. The reads are small
 * and bounded whatever the retention (20 + 12 + 10 + 6 + 8 + 8 + 12
 * entries with the default ladder), and exact as long as the finer level
 * was written — by this generator, or by --rebuild-rollups after an
 * upgrade from a history without candles (docs/REDIS.md, "Rollups").
 *
 * A new ladder on an old history: a level the ladder lacked has candles
 * only from the bucket that held the last tick when it was added, so it
 * cannot rebuild a coarser bucket that began before. ts:meta's
 * rollups_from keeps, per level, the bucket from which it holds every tick
 * (gen_levels.h) — across restarts, which is what the ladder alone could
 * not say: a restart within a coarse bucket after an upgrade read that
 * bucket from the new level below it and wrote it short. So level k reads
 * the nearest finer level j with from_j <= Rk ([Rk, Rj - 1], plus j's
 * rebuilt part), and when there is none, the raw ticks [Rk, last_t]; Rk is
 * Bk itself when level k holds nothing before Bk (gen_levels_rebuild). One
 * raw read per instrument serves every level that needs it: [Rm, last_t]
 * for the coarsest such level m folds into levels 0..m. A level added by this
 * start-up gets from = its bucket holding last_t once its open candle is
 * restored (exact, from what holds that bucket), written back to ts:meta
 * (a fenced HSET; should it be lost, the next start-up takes the level
 * for new again and reads its source again: later, never wrong). The raw
 * read is at most two buckets of the coarsest level with no finer level
 * that holds them: level 0 in the steady state (20 ticks at the default),
 * after an upgrade that added levels under an old one, up to two buckets
 * of that old level (1d at 1 s: what --retention keeps of two days, 86,400
 * ticks per instrument at 24 h, once; a waiting candle whose raw ticks were
 * trimmed is not rebuilt, and that is logged).
 *
 * Rebuild (--rebuild-rollups, once): each instrument's raw ticks are read
 * oldest first in chunks and fed to the builder; every candle it closes is
 * XADDed, and Redis refuses those at or before a candle stream's newest
 * entry — so it appends what is missing and never rewrites a candle. All
 * but a level's newest closed bucket when a finer level holds it: that may
 * be a candle that waited when the last run stopped, its first raw ticks
 * trimmed since, and the restore that follows the rebuild takes it from
 * the finer level (and the open candles from Redis, as at any start). Before it, one
 * pipelined XLEN per instrument gives the total for the progress lines. */
#include "gen_rollups.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_levels.h"
#include "gen_progress.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_time.h"

#define GEN_REBUILD_CHUNK 10000

typedef struct piece {
    gen_rollups *r;
    uint32_t i;
    int k, src;      /* level k is rebuilt from level src; -1: the raw ticks */
    int64_t from;    /* ... from here on (gen_levels_rebuild) */
    int64_t stored;  /* the start of level k's newest stored candle; -1: none, or not asked */
    ts_candle prior; /* level k's bucket before the open one, when from is its start */
    int prior_stored; /* ... as Redis holds it: it is not rebuilt (its raw ticks may be trimmed) */
} piece;

struct gen_rollups {
    const gen_config *cfg;
    gen_walk *walk;
    gen_redis *conn;
    gen_lease *lease;
    gen_fence from; /* the HSET of rollups_from for the levels this start-up added */
    gen_rollups_hooks hooks;
    int rebuild_pending;
    int said_new; /* say_new_levels has spoken */
    piece *pieces; /* restore: one per instrument and level */
    uint64_t pending;
    uint64_t waiting; /* restore: candles Redis lacked, now waiting to be written */
    uint32_t rb_i;          /* rebuild: the instrument being read */
    char rb_from[48];       /* its next XRANGE start */
    uint64_t rb_ticks, rb_candles, rb_refused;
    uint32_t rb_lens;       /* XLEN replies still to come */
    int64_t rb_total;       /* ticks to read: the sum of the XLENs */
    gen_progress rb_progress;
};

static void on_from_written(redisAsyncContext *c, void *rep, void *priv)
{
    gen_fence_result res;
    (void)c, (void)priv;
    if (rep != NULL && gen_fence_read(rep, &res) != 0)
        ts_warn("rollups: ts:meta rollups_from not written (%s): the next start-up takes the new levels for new "
                "again", res.first_error[0] ? res.first_error : "fenced");
}

/* The open candles are Redis's: the levels this start-up added begin at the
 * bucket holding last_t (gen_levels.h), which ts:meta is told. */
static void done(gen_rollups *r)
{
    const ts_ladder *l = &r->cfg->ladder;
    char from[256];
    free(r->pieces);
    r->pieces = NULL;
    unsigned short_levels;
    int64_t kept_from = r->walk->last_t - r->cfg->retention_ms + r->cfg->interval_ms; /* a late write's MINID, slack */
    if (gen_levels_begin(l, r->walk->level_from, r->walk->last_t, kept_from, &short_levels) > 0) {
        for (int k = 0; short_levels != 0; k++, short_levels >>= 1)
            if (short_levels & 1)
                ts_warn("rollups: new level %s: its bucket holding the last tick began before the raw ticks kept "
                        "(--retention): its candle counts only the ticks left; the level is whole from %" PRId64,
                        l->lv[k].label, r->walk->level_from[k]);
        gen_levels_format(l, r->walk->level_from, from, sizeof(from));
        gen_fence_reset(&r->from);
        gen_fence_cmd(&r->from, "HSET " TS_KEY_META " rollups_from %s", from);
        if (gen_lease_send(r->lease, &r->from, on_from_written, r) != 0)
            ts_warn("rollups: ts:meta rollups_from not sent: the next start-up takes the new levels for new again");
    }
    r->hooks.on_done(r->hooks.owner);
}

static int reply_ok(gen_rollups *r, const redisReply *reply, const char *what, uint32_t i)
{
    if (reply->type == REDIS_REPLY_ARRAY)
        return 1;
    ts_error("%s: %s failed: %s", r->walk->names[i], what,
             reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
    r->hooks.on_fatal(r->hooks.owner, 1);
    return 0;
}

/* ---- restore ---- */

/* The last reply of a restore came. */
static void restored(gen_rollups *r)
{
    if (r->waiting > 0)
        ts_info("open candles restored from redis; %" PRIu64 " closed candles it lacked wait to be written",
                r->waiting);
    else
        ts_info("open candles restored from redis");
    done(r);
}

/* The newest candle of level p->k came: whether its bucket before the open
 * one is stored, or still waited to be written when the last run stopped. */
static void on_newest(redisAsyncContext *c, void *rep, void *priv)
{
    piece *p = priv;
    gen_rollups *r = p->r;
    redisReply *reply = rep;
    (void)c;
    if (reply == NULL || !reply_ok(r, reply, "reading the newest candle", p->i))
        return;
    const redisReply *e = reply->elements > 0 ? reply->element[0] : NULL;
    if (e != NULL && e->type == REDIS_REPLY_ARRAY && e->elements > 0 && e->element[0]->type == REDIS_REPLY_STRING &&
        ts_entry_parse_id(e->element[0]->str, e->element[0]->len, &p->stored) != 0)
        p->stored = -1;
    /* Stored: the candle itself is the exact one (the raw ticks it was
     * written from may have been trimmed since), and nothing is rebuilt. */
    if (p->stored == p->from && ts_candle_from_reply(e, &p->prior) == 0)
        p->prior_stored = 1;
    if (--r->pending == 0)
        restored(r);
}

/* Folds piece x, which lies at or after p->from, into level k's prior or
 * open candle of instrument p->i. */
static void fold(gen_rollups *r, piece *p, int k, const ts_candle *x)
{
    int64_t open = ts_bucket(r->walk->last_t, r->cfg->ladder.lv[k].width_ms);
    piece *q = &r->pieces[(size_t)p->i * (size_t)r->cfg->ladder.n + (size_t)k];
    if (x->n == 0 || x->t < q->from || (x->t < open && q->prior_stored))
        return;
    ts_candle_merge(x->t >= open ? gen_candles_open(r->walk->candles, p->i, k) : &q->prior, x);
}

/* Level k of instrument p->i is rebuilt: its candle before the open one
 * waits to be written when Redis lacks it (gen_defer.h). */
static void settle(gen_rollups *r, piece *p, int k)
{
    const ts_ladder *l = &r->cfg->ladder;
    piece *q = &r->pieces[(size_t)p->i * (size_t)l->n + (size_t)k];
    gen_candles_open(r->walk->candles, p->i, k)->t = ts_bucket(r->walk->last_t, l->lv[k].width_ms);
    q->prior.t = q->from;
    if (q->prior.n == 0 || q->stored >= q->from)
        return;
    if (q->src < 0 && q->from <= r->walk->last_t - r->cfg->retention_ms) /* cannot happen: such a level never waits */
        ts_warn("%s: the %s candle at %" PRId64 " was not written and its raw ticks are partly trimmed: it counts "
                "what is left", r->walk->names[p->i], l->lv[k].label, q->from);
    if (gen_defer_push(r->walk->defer, k, p->i, &q->prior) != 0) {
        ts_error("out of memory restoring the candles still to write");
        r->hooks.on_fatal(r->hooks.owner, 1);
    } else {
        r->waiting++;
    }
}

static void on_piece(redisAsyncContext *c, void *rep, void *priv)
{
    piece *p = priv;
    gen_rollups *r = p->r;
    redisReply *reply = rep;
    (void)c;
    if (reply == NULL || !reply_ok(r, reply, "reading the open candles", p->i))
        return; /* connection gone: the next start-up begins again */
    const ts_ladder *l = &r->cfg->ladder;
    piece *lv = &r->pieces[(size_t)p->i * (size_t)l->n];
    int low = p->src < 0 ? 0 : p->k; /* the raw ticks fill levels 0..k */
    for (size_t e = 0; e < reply->elements; e++) {
        ts_candle x;
        int64_t t;
        int32_t price;
        if (p->src < 0 && ts_entry_from_reply(reply->element[e], &t, &price) == 0) {
            for (int k = 0; k <= p->k; k++) {
                ts_candle one = {0};
                ts_candle_add(&one, ts_bucket(t, l->lv[k].width_ms), t, price);
                fold(r, p, k, &one);
            }
        } else if (p->src >= 0 && ts_candle_from_reply(reply->element[e], &x) == 0) {
            fold(r, p, p->k, &x);
        }
    }
    if (p->src >= 0) { /* the source's rebuilt part comes after what was read of it */
        fold(r, p, p->k, &lv[p->src].prior);
        fold(r, p, p->k, gen_candles_open(r->walk->candles, p->i, p->src));
    }
    for (int k = low; k <= p->k; k++)
        settle(r, p, k);
    if (--r->pending == 0)
        restored(r);
}

/* Says once which levels are new and how to fill their past. */
static void say_new_levels(gen_rollups *r)
{
    const ts_ladder *l = &r->cfg->ladder;
    char names[160] = "";
    size_t len = 0;
    for (int k = 0; k < l->n && len < sizeof(names); k++)
        if (r->walk->level_from[k] == GEN_LEVEL_NEW)
            len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s", len ? ", " : "", l->lv[k].label);
    if (r->said_new || len == 0 || r->walk->last_t <= 0)
        return;
    r->said_new = 1;
    ts_warn("rollups: the ladder was %s; level(s) %s are new: written from now on, each from its bucket holding "
            "tick %" PRId64 ", that bucket whole (read from a finer level that holds it, or the raw ticks)%s",
            r->walk->meta_rollups[0] ? r->walk->meta_rollups : "(none)", names, r->walk->last_t,
            r->cfg->rebuild_rollups ? "; --rebuild-rollups fills their past from the raw ticks"
                                    : ". To fill their past as far as the raw ticks go (--retention): stop, "
                                      "DEL their streams (ts:candle:<width>:*, only what was written since), "
                                      "start once with --rebuild-rollups (TS_REBUILD_ROLLUPS=1)");
}

static void restore(gen_rollups *r)
{
    gen_walk *w = r->walk;
    const ts_ladder *l = &r->cfg->ladder;
    redisAsyncContext *c = gen_redis_ctx(r->conn);
    gen_defer_clear(w->defer);
    r->waiting = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        gen_candles_clear(w->candles, i);
        gen_candles_set_last(w->candles, i, w->last_t > 0 ? w->last_t : -1);
    }
    if (l->n == 0 || w->last_t <= 0 || c == NULL) {
        if (c != NULL)
            done(r);
        return;
    }
    free(r->pieces);
    r->pieces = calloc((size_t)w->n * (size_t)l->n, sizeof(*r->pieces));
    if (r->pieces == NULL) {
        ts_error("out of memory restoring the open candles");
        r->hooks.on_fatal(r->hooks.owner, 1);
        return;
    }
    int src[TS_LEVELS_MAX], raw = 0, asks = 0; /* raw: the coarsest level read from the raw ticks */
    int64_t from[TS_LEVELS_MAX];
    for (int k = 0; k < l->n; k++) {
        from[k] = gen_levels_rebuild(l, w->level_from, w->last_t, k);
        asks += from[k] < ts_bucket(w->last_t, l->lv[k].width_ms);
        if ((src[k] = gen_levels_source_from(w->level_from, from[k], k)) < 0)
            raw = k;
    }
    r->pending = (uint64_t)w->n * (uint64_t)(l->n - raw + asks);
    say_new_levels(r);
    char key[TS_NAME_MAX + 48];
    for (uint32_t i = 0; i < w->n; i++) {
        piece *lv = &r->pieces[(size_t)i * (size_t)l->n];
        for (int k = 0; k < l->n; k++) {
            lv[k] = (piece){r, i, k, k <= raw ? -1 : src[k], from[k], -1, {0}, 0};
            if (from[k] < ts_bucket(w->last_t, l->lv[k].width_ms)) {
                ts_candle_key(key, sizeof(key), &l->lv[k], w->names[i]);
                redisAsyncCommand(c, on_newest, &lv[k], "XREVRANGE %s + - COUNT 1", key);
            }
        }
        redisAsyncCommand(c, on_piece, &lv[raw], "XRANGE %s %lld %lld", w->keys[i], (long long)from[raw],
                          (long long)w->last_t);
        for (int k = raw + 1; k < l->n; k++) {
            ts_candle_key(key, sizeof(key), &l->lv[src[k]], w->names[i]);
            redisAsyncCommand(c, on_piece, &lv[k], "XRANGE %s %lld %lld", key, (long long)from[k],
                              (long long)from[src[k]] - 1);
        }
    }
}

/* ---- rebuild ---- */

static void rebuild_next(gen_rollups *r);

static void on_candle_written(redisAsyncContext *c, void *rep, void *priv)
{
    gen_rollups *r = priv;
    redisReply *reply = rep;
    (void)c;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
        r->rb_refused++; /* the stream already has it, or a later candle */
}

static void on_rebuild_chunk(redisAsyncContext *c, void *rep, void *priv)
{
    gen_rollups *r = priv;
    redisReply *reply = rep;
    gen_walk *w = r->walk;
    const ts_ladder *l = &r->cfg->ladder;
    if (reply == NULL || !reply_ok(r, reply, "XRANGE (rebuilding the rollups)", r->rb_i))
        return;
    int64_t now = ts_now_ms();
    char key[TS_NAME_MAX + 48];
    for (size_t e = 0; e < reply->elements; e++) {
        const redisReply *el = reply->element[e];
        int64_t t;
        int32_t p;
        int ok = ts_entry_from_reply(el, &t, &p) == 0;
        if (el != NULL && el->type == REDIS_REPLY_ARRAY && el->elements > 0 && el->element[0] != NULL &&
            el->element[0]->type == REDIS_REPLY_STRING)
            snprintf(r->rb_from, sizeof(r->rb_from), "(%s", el->element[0]->str);
        if (!ok)
            continue;
        ts_candle out[TS_LEVELS_MAX];
        unsigned closed = gen_candles_tick(w->candles, r->rb_i, t, p, out);
        r->rb_ticks++;
        for (int k = 0; closed != 0; k++, closed >>= 1) {
            if (!(closed & 1))
                continue;
            /* The newest closed bucket may be a candle that waited when the
             * last run stopped (gen_defer.h), and its first raw ticks may
             * be trimmed by now: when a finer level holds it, the restore
             * that follows rebuilds it from there, exactly. */
            int64_t w_k = l->lv[k].width_ms, newest = ts_bucket(w->last_t, w_k) - w_k;
            if (out[k].t == newest && w->level_from[k] != GEN_LEVEL_NEW && w->level_from[k] <= newest &&
                gen_levels_source_from(w->level_from, newest, k) >= 0)
                continue;
            ts_candle_key(key, sizeof(key), &l->lv[k], w->names[r->rb_i]);
            redisAsyncCommand(c, on_candle_written, r, TS_CANDLE_XADD_FMT, key,
                              (long long)(now - l->lv[k].retention_ms), (long long)out[k].t, out[k].o, out[k].h,
                              out[k].l, out[k].c, out[k].n);
            r->rb_candles++;
        }
    }
    gen_progress_update(&r->rb_progress, (int64_t)r->rb_ticks,
                        r->rb_total > (int64_t)r->rb_ticks ? r->rb_total : (int64_t)r->rb_ticks);
    if (reply->elements < GEN_REBUILD_CHUNK) {
        r->rb_i++;
        r->rb_from[0] = '\0';
    }
    rebuild_next(r);
}

/* Replies come in order: after this PING's, every XADD has been answered. */
static void on_rebuilt(redisAsyncContext *c, void *rep, void *priv)
{
    gen_rollups *r = priv;
    (void)c;
    if (rep == NULL)
        return;
    ts_info("rollups rebuilt: %" PRIu64 " ticks read, %" PRIu64 " candles closed, of which %" PRIu64
            " were already there, in %.1f s (%.0f ticks/s)",
            r->rb_ticks, r->rb_candles, r->rb_refused, gen_progress_seconds(&r->rb_progress),
            gen_progress_rate(&r->rb_progress));
    r->rebuild_pending = 0;
    restore(r); /* the candles left to it above, and the open ones */
}

static void rebuild_next(gen_rollups *r)
{
    gen_walk *w = r->walk;
    redisAsyncContext *c = gen_redis_ctx(r->conn);
    if (c == NULL)
        return;
    if (r->rb_i >= w->n) {
        redisAsyncCommand(c, on_rebuilt, r, "PING");
        return;
    }
    if (r->rb_from[0] == '\0')
        gen_candles_clear(w->candles, r->rb_i);
    redisAsyncCommand(c, on_rebuild_chunk, r, "XRANGE %s %s %lld COUNT %d", w->keys[r->rb_i],
                      r->rb_from[0] ? r->rb_from : "-", (long long)w->last_t, GEN_REBUILD_CHUNK);
}

gen_rollups *gen_rollups_new(const gen_config *cfg, gen_walk *walk, gen_redis *conn, gen_lease *lease,
                             gen_rollups_hooks hooks)
{
    gen_rollups *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->cfg = cfg;
    r->walk = walk;
    r->conn = conn;
    r->lease = lease;
    gen_fence_init(&r->from);
    r->hooks = hooks;
    r->rebuild_pending = cfg->rebuild_rollups && cfg->ladder.n > 0;
    return r;
}

static void on_len(redisAsyncContext *c, void *rep, void *priv)
{
    gen_rollups *r = priv;
    const redisReply *reply = rep;
    (void)c;
    if (reply == NULL)
        return; /* connection gone: the next start-up begins again */
    if (reply->type == REDIS_REPLY_INTEGER)
        r->rb_total += reply->integer;
    if (--r->rb_lens > 0)
        return;
    ts_info("rebuilding the rollups from the raw ticks: %" PRId64 " ticks of %u instruments (up to %" PRId64 ")",
            r->rb_total, r->walk->n, r->walk->last_t);
    gen_progress_start(&r->rb_progress, "rebuilding the rollups", "ticks read", r->rb_total, r->cfg->progress_ms);
    rebuild_next(r);
}

void gen_rollups_begin(gen_rollups *r)
{
    redisAsyncContext *c = gen_redis_ctx(r->conn);
    if (r->rebuild_pending && r->walk->last_t > 0 && c != NULL) {
        r->rb_i = 0;
        r->rb_from[0] = '\0';
        r->rb_ticks = r->rb_candles = r->rb_refused = 0;
        r->rb_total = 0;
        r->rb_lens = r->walk->n;
        for (uint32_t i = 0; i < r->walk->n; i++)
            redisAsyncCommand(c, on_len, r, "XLEN %s", r->walk->keys[i]);
        return;
    }
    restore(r);
}

void gen_rollups_free(gen_rollups *r)
{
    if (r == NULL)
        return;
    free(r->pieces);
    gen_fence_free(&r->from);
    free(r);
}
