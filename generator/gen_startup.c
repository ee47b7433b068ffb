/* gen_startup.c — what the generator does on every (re)connect, before it
 * writes a tick:
 *
 *   0. (main.c) only once this generator holds the lease (gen_lease.h).
 *   1. --reset (first connect only): SCAN + UNLINK every ts:* key but the lease.
 *   2. HGETALL ts:meta: refuse to run if it is not a history this generator
 *      can continue (gen_meta.c).
 *   3. Write ts:meta and ts:instruments, fenced; keep the epoch if there is
 *      one. On a reconnect only when they differ; a refused write is tried
 *      again later, on the same connection (gen_meta.c).
 *   4. XREVRANGE COUNT 1 of every stream: the time and price each stands at;
 *      then GET ts:last_tick, which the first tick time's script checks.
 *
 * Step 4 runs on every reconnect, not only at start, because Redis is the
 * truth: a batch cut by a lost connection may or may not have been applied,
 * and a Redis restarted from its AOF may have lost the last second.
 *
 * This file owns the order of the steps, the reset and the stream heads;
 * steps 2 and 3 are gen_meta.c's, which reports back through its hooks. */
#include "gen_startup.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen_meta.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_str.h"

/* How far back a stream whose newest entry is malformed is searched for
 * the newest well-formed one. */
#define GEN_HEAD_SEARCH 16

/* One stream's head: the newest readable ID's time, which the next XADD
 * must exceed. The price is the walk's (walk->prices[i]). */
typedef struct head {
    gen_startup *s;
    int64_t t;
    int searched; /* the newest entry was malformed: GEN_HEAD_SEARCH were read */
} head;

struct gen_startup {
    const gen_config *cfg;
    gen_walk *walk;
    gen_redis *conn;
    gen_startup_hooks hooks;
    gen_meta *meta; /* steps 2 and 3 */
    int reset_pending; /* --reset is done once, on the first successful connect */
    head *heads;
    uint32_t heads_pending;
    uint32_t malformed; /* streams whose newest entry was malformed */
};

static void fatal(gen_startup *s, int code)
{
    s->hooks.on_fatal(s->hooks.owner, code);
}

/* ---- 1. reset ------------------------------------------------------------ */

static void on_scan(redisAsyncContext *c, void *r, void *priv)
{
    gen_startup *s = priv;
    redisReply *reply = r;
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        ts_error("reset: unexpected SCAN reply");
        fatal(s, 1);
        return;
    }
    redisReply *keys = reply->element[1];
    if (keys->elements > 0) {
        const char **argv = malloc((keys->elements + 1) * sizeof(*argv));
        size_t *lens = malloc((keys->elements + 1) * sizeof(*lens));
        if (argv == NULL || lens == NULL) {
            free(argv), free(lens);
            ts_error("out of memory in reset");
            fatal(s, 1);
            return;
        }
        argv[0] = "UNLINK", lens[0] = 6;
        int argc = 1;
        for (size_t i = 0; i < keys->elements; i++)
            if (strcmp(keys->element[i]->str, TS_KEY_LEASE) != 0) /* ours: keep holding it */
                argv[argc] = keys->element[i]->str, lens[argc++] = keys->element[i]->len;
        if (argc > 1)
            redisAsyncCommandArgv(c, NULL, NULL, argc, argv, lens);
        free(argv), free(lens);
    }
    if (strcmp(reply->element[0]->str, "0") != 0) {
        redisAsyncCommand(c, on_scan, s, "SCAN %s MATCH ts:* COUNT 1000", reply->element[0]->str);
        return;
    }
    ts_warn("reset: deleted every ts:* key (history, meta, instruments) but the lease");
    s->reset_pending = 0;
    gen_meta_begin(s->meta);
}

/* ---- 4. stream heads ----------------------------------------------------- */

static void heads_done(gen_startup *s)
{
    gen_walk *w = s->walk;
    int64_t last = 0;
    uint32_t behind = 0;
    for (uint32_t i = 0; i < w->n; i++)
        last = s->heads[i].t > last ? s->heads[i].t : last;
    for (uint32_t i = 0; i < w->n; i++)
        behind += s->heads[i].t < last;
    /* Batches are MULTI/EXEC per tick time, so streams end at the same time
     * unless someone deleted or trimmed one by hand. Such a stream rejoins at
     * the common time from its own last price: a hole in it, never a fork. */
    if (behind > 0)
        ts_warn("%u stream(s) end before the others (%" PRId64 "); they continue from their last price", behind,
                last);
    if (s->malformed > 1)
        ts_warn("%u streams end in malformed entries (the first is logged above)", s->malformed);
    free(s->heads);
    s->heads = NULL;
    w->last_t = last;
    if (last > 0)
        ts_info("resuming after tick %" PRId64 " (epoch %" PRId64 ")", last, w->epoch);
    else
        ts_info("no history: starting a new one (epoch %" PRId64 ")", w->epoch);
    s->hooks.on_done(s->hooks.owner);
}

static void on_head(redisAsyncContext *c, void *r, void *priv);

/* Reads the stream's newest entries, newest first: one, or when that one
 * is malformed, GEN_HEAD_SEARCH to find the newest well-formed. */
static int ask_head(gen_startup *s, head *h)
{
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    return c == NULL ? REDIS_ERR
                     : redisAsyncCommand(c, on_head, h, "XREVRANGE %s + - COUNT %d", s->walk->keys[h - s->heads],
                                         h->searched ? GEN_HEAD_SEARCH : 1);
}

/* The head keeps the newest readable ID's time even when its price is
 * malformed (XADD must exceed the stream's real last ID); the price comes
 * from the newest well-formed entry, or stays --start-price if none. A
 * malformed entry is a hole for every reader (docs/REDIS.md), so skipping
 * it here keeps the generator's view the same as the gateway's. */
static void on_head(redisAsyncContext *c, void *r, void *priv)
{
    head *h = priv;
    gen_startup *s = h->s;
    redisReply *reply = r;
    size_t i = (size_t)(h - s->heads);
    (void)c;
    if (reply == NULL)
        return; /* connection gone: the next start-up begins again */
    if (reply->type == REDIS_REPLY_ERROR) {
        ts_error("%s: XREVRANGE failed: %s", s->walk->names[i], reply->str);
        fatal(s, 1);
        return;
    }
    int found = 0;
    for (size_t k = 0; reply->type == REDIS_REPLY_ARRAY && k < reply->elements && !found; k++) {
        int64_t t;
        int32_t p;
        found = ts_entry_from_reply(reply->element[k], &t, &p) == 0;
        if (t > h->t)
            h->t = t;
        if (found)
            s->walk->prices[i] = p;
    }
    if (!found && !h->searched && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        if (s->malformed++ == 0)
            ts_warn("%s: newest entry is malformed (docs/REDIS.md); continuing from the newest well-formed one",
                    s->walk->names[i]);
        h->searched = 1;
        if (ask_head(s, h) == REDIS_OK)
            return; /* this head is still pending */
    } else if (!found && h->searched) {
        ts_warn("%s: none of its newest %d entries is well-formed; restarting its walk at %" PRId64,
                s->walk->names[i], GEN_HEAD_SEARCH, s->cfg->start_price);
    }
    if (--s->heads_pending == 0)
        heads_done(s);
}

/* ts:last_tick, read after the heads: the tick time the fenced script
 * wants before our first one (gen_fence.h). Missing is 0: a new history,
 * or one written before the chain. */
static void on_chain(redisAsyncContext *c, void *r, void *priv)
{
    gen_startup *s = priv;
    const redisReply *reply = r;
    (void)c;
    if (reply == NULL)
        return;
    s->walk->chain_t = 0;
    if (reply->type == REDIS_REPLY_STRING ? ts_parse_digits(reply->str, reply->len, INT64_MAX, &s->walk->chain_t) != 0
                                          : reply->type != REDIS_REPLY_NIL) {
        int str = reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_ERROR;
        ts_error("refusing to start: " TS_KEY_LAST_TICK " holds '%.40s', not a tick time; DEL it (the next tick "
                 "time writes it again)",
                 str ? reply->str : "?");
        fatal(s, 1);
        return;
    }
    if (--s->heads_pending == 0)
        heads_done(s);
}

static void read_heads(gen_startup *s)
{
    gen_walk *w = s->walk;
    free(s->heads);
    s->heads = calloc(w->n, sizeof(*s->heads));
    if (s->heads == NULL) {
        ts_error("out of memory reading stream heads");
        fatal(s, 1);
        return;
    }
    s->heads_pending = w->n + 1; /* and ts:last_tick */
    s->malformed = 0;
    for (uint32_t i = 0; i < w->n; i++) {
        s->heads[i].s = s;
        w->prices[i] = (int32_t)s->cfg->start_price;
        ask_head(s, &s->heads[i]);
    }
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    if (c != NULL)
        redisAsyncCommand(c, on_chain, s, "GET " TS_KEY_LAST_TICK);
}

/* ---- gen_meta's hooks: steps 2 and 3 are done, or failed ---------------- */

static void on_meta_done(void *owner)
{
    read_heads(owner);
}

static void on_meta_fatal(void *owner, int code)
{
    fatal(owner, code);
}

static void on_meta_refused(void *owner, const char *why)
{
    gen_startup *s = owner;
    s->hooks.on_refused(s->hooks.owner, why);
}

gen_startup *gen_startup_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                             gen_lease *lease, gen_startup_hooks hooks)
{
    gen_startup *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    gen_meta_hooks mh = {.owner = s, .on_done = on_meta_done, .on_fatal = on_meta_fatal, .on_refused = on_meta_refused};
    s->meta = gen_meta_new(base, cfg, walk, conn, lease, mh);
    if (s->meta == NULL) {
        free(s);
        return NULL;
    }
    s->cfg = cfg;
    s->walk = walk;
    s->conn = conn;
    s->hooks = hooks;
    s->reset_pending = cfg->reset;
    return s;
}

void gen_startup_begin(gen_startup *s)
{
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    gen_meta_stop(s->meta);
    if (c != NULL && s->reset_pending)
        redisAsyncCommand(c, on_scan, s, "SCAN 0 MATCH ts:* COUNT 1000");
    else
        gen_meta_begin(s->meta);
}

void gen_startup_stop(gen_startup *s)
{
    gen_meta_stop(s->meta);
}

void gen_startup_free(gen_startup *s)
{
    if (s == NULL)
        return;
    free(s->heads);
    gen_meta_free(s->meta);
    free(s);
}
