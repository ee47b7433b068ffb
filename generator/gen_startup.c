/* gen_startup.c — what the generator does on every (re)connect, before it
 * writes a tick:
 *
 *   0. (main.c) only once this generator holds the lease (gen_lease.h).
 *   1. --reset (first connect only): SCAN + UNLINK every ts:* key but the lease.
 *   2. HGETALL ts:meta: refuse to run if it is not a history this generator
 *      can continue — interval or instrument count differ from the flags
 *      (appending 10 ms ticks to a 1 s history, or 50 streams to a
 *      100-instrument feed, would corrupt what clients read), or it is not a
 *      valid ts:meta (ts_meta_valid) at all. An empty one is a new history.
 *   3. Write ts:meta (with rollups_from: gen_levels.h) and ts:instruments;
 *      keep the epoch if there is one. Fenced, like every write. On a
 *      reconnect, once this process has written them, only when they differ
 *      from what it would write (started_ms aside): a Redis refusing writes
 *      (OOM, MISCONF) would refuse the rewrite and stop the ticker from
 *      reaching its quiet probe. A refused write is counted and logged like
 *      a refused batch (gen_ticker_refused) and tried again after a growing
 *      delay (ts_backoff), on the same connection.
 *   4. XREVRANGE COUNT 1 of every stream: the time and price each stands at;
 *      then GET ts:last_tick, which the first tick time's script checks.
 *
 * Step 4 runs on every reconnect, not only at start, because Redis is the
 * truth: a batch cut by a lost connection may or may not have been applied,
 * and a Redis restarted from its AOF may have lost the last second. */
#include "gen_startup.h"

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gen_levels.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_meta.h"
#include "ts_str.h"
#include "ts_time.h"

#define GEN_ARGV_CHUNK 1024
#define GEN_HEAD_SEARCH 16 /* entries searched for a well-formed one when the newest is malformed */

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
    gen_lease *lease;
    gen_startup_hooks hooks;
    gen_fence meta; /* the fenced write of step 3 */
    int reset_pending; /* --reset is done once, on the first successful connect */
    int meta_written;  /* this process has written ts:meta and ts:instruments once */
    int64_t meta_epoch; /* the epoch of the ts:meta being compared (step 3) */
    struct event *retry_ev; /* a refused meta write is tried again (step 3) */
    ts_backoff retry;
    head *heads;
    uint32_t heads_pending;
    uint32_t malformed; /* streams whose newest entry was malformed */
};

static void read_meta(gen_startup *s);

static void fatal(gen_startup *s, int code)
{
    s->hooks.on_fatal(s->hooks.owner, code);
}

static int64_t new_epoch(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (uint64_t)ts_now_ms() ^ ts_mono_us();
    /* Below 2^53 so that JavaScript and JSON carry it exactly; never 0. */
    return (int64_t)((r & ((1ULL << 53) - 1)) | 1);
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
    read_meta(s);
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

/* ---- 3. write meta ------------------------------------------------------- */

static void on_meta_written(redisAsyncContext *c, void *r, void *priv)
{
    gen_startup *s = priv;
    redisReply *reply = r;
    (void)c;
    gen_fence_result res;
    if (reply == NULL)
        return;
    /* The last command is HGET ts:meta epoch: whichever generator's HSETNX won. */
    int rc = gen_fence_read(reply, &res);
    if (rc == 1) {
        gen_lease_fenced(s->lease, res.first_error);
        return;
    }
    const redisReply *ep = rc == 0 && res.errors == 0 ? res.last : NULL;
    if ((rc == -1 || (rc == 0 && res.errors > 0)) && gen_fence_refusal(res.first_error)) {
        /* Nothing of it to undo: MISCONF and READONLY stop the script at
         * its first write (the lease's PEXPIRE); under OOM that PEXPIRE
         * lets the rest run. Read ts:meta again later: it may change. */
        int64_t ms = ts_backoff_next(&s->retry);
        s->hooks.on_refused(s->hooks.owner, res.first_error);
        struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
        evtimer_add(s->retry_ev, &tv);
        return;
    }
    if (ep == NULL || ep->type != REDIS_REPLY_STRING) {
        ts_error("writing ts:meta failed: %s", res.first_error[0] ? res.first_error : "bad reply");
        gen_redis_lost(s->conn, "meta write failed");
        return;
    }
    if (ts_parse_digits(ep->str, ep->len, INT64_MAX, &s->walk->epoch) != 0 || s->walk->epoch == 0) {
        ts_error("refusing to start: ts:meta epoch '%s' is not a positive whole number; add --reset to delete "
                 "the tickstream keys (ts:*) and start a new history",
                 ep->str);
        fatal(s, 1);
        return;
    }
    ts_backoff_reset(&s->retry);
    s->meta_written = 1;
    read_heads(s);
}

static void write_meta(gen_startup *s, int64_t epoch)
{
    const gen_config *cfg = s->cfg;
    gen_fence *f = &s->meta;
    gen_fence_reset(f);
    gen_fence_cmd(f,
                      "HSET " TS_KEY_META " interval_ms %lld retention_ms %lld instruments %lld started_ms %lld "
                      "version %d seed %llu min_price %lld max_price %lld",
                      (long long)cfg->interval_ms, (long long)cfg->retention_ms, (long long)cfg->instruments,
                      (long long)ts_now_ms(), TS_LAYOUT_VERSION, (unsigned long long)cfg->seed,
                      (long long)cfg->min_price, (long long)cfg->max_price);
    char ladder[256], from[256]; /* with the levels it lacks left out of rollups_from: gen_levels.h */
    ts_ladder_format(&cfg->ladder, ladder, sizeof(ladder));
    gen_levels_format(&cfg->ladder, s->walk->level_from, from, sizeof(from));
    gen_fence_cmd(f, "HSET " TS_KEY_META " rollups %s rollups_from %s", ladder, from);
    gen_fence_cmd(f, "HSETNX " TS_KEY_META " epoch %lld", (long long)epoch);
    gen_fence_cmd(f, "DEL " TS_KEY_INSTRUMENTS);
    const char *argv[GEN_ARGV_CHUNK + 2];
    for (uint32_t i = 0; i < s->walk->n; i += GEN_ARGV_CHUNK) {
        int argc = 0;
        argv[argc++] = "RPUSH";
        argv[argc++] = TS_KEY_INSTRUMENTS;
        for (uint32_t j = i; j < s->walk->n && j < i + GEN_ARGV_CHUNK; j++)
            argv[argc++] = s->walk->names[j];
        gen_fence_cmd_argv(f, argc, argv);
    }
    gen_fence_cmd(f, "HGET " TS_KEY_META " epoch");
    if (gen_lease_send(s->lease, f, on_meta_written, s) != 0)
        gen_redis_lost(s->conn, "meta write not sent"); /* dropped meanwhile, or out of memory */
}

/* ---- 3a. unchanged? ------------------------------------------------------ */

static int field_is(const redisReply *r, const char *name, const char *want)
{
    size_t n = strlen(name), w = strlen(want);
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (k->type == REDIS_REPLY_STRING && k->len == n && memcmp(k->str, name, n) == 0)
            return v->type == REDIS_REPLY_STRING && v->len == w && memcmp(v->str, want, w) == 0;
    }
    return 0;
}

/* The HGETALL reply holds every field write_meta sets (started_ms aside),
 * with the same values, and epoch. */
static int meta_same(gen_startup *s, const redisReply *r, int64_t epoch)
{
    const gen_config *cfg = s->cfg;
    char v[256], from[256];
#define SAME(name, fmt, x) (snprintf(v, sizeof(v), fmt, x), field_is(r, name, v))
    if (!SAME("interval_ms", "%lld", (long long)cfg->interval_ms) ||
        !SAME("retention_ms", "%lld", (long long)cfg->retention_ms) ||
        !SAME("instruments", "%lld", (long long)cfg->instruments) || !SAME("version", "%d", TS_LAYOUT_VERSION) ||
        !SAME("seed", "%llu", (unsigned long long)cfg->seed) || !SAME("min_price", "%lld", (long long)cfg->min_price) ||
        !SAME("max_price", "%lld", (long long)cfg->max_price) || !SAME("epoch", "%lld", (long long)epoch))
        return 0;
#undef SAME
    ts_ladder_format(&cfg->ladder, v, sizeof(v));
    gen_levels_format(&cfg->ladder, s->walk->level_from, from, sizeof(from));
    return field_is(r, "rollups", v) && field_is(r, "rollups_from", from);
}

/* LRANGE ts:instruments: when it is our names in order too, nothing is
 * rewritten; otherwise both are. */
static void on_instruments(redisAsyncContext *c, void *r, void *priv)
{
    gen_startup *s = priv;
    const redisReply *reply = r;
    (void)c;
    if (reply == NULL)
        return;
    int same = reply->type == REDIS_REPLY_ARRAY && reply->elements == s->walk->n;
    for (size_t i = 0; same && i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        same = e->type == REDIS_REPLY_STRING && e->len == strlen(s->walk->names[i]) &&
               memcmp(e->str, s->walk->names[i], e->len) == 0;
    }
    if (!same) {
        write_meta(s, s->meta_epoch);
        return;
    }
    ts_debug("ts:meta and ts:instruments are unchanged: not rewritten");
    ts_backoff_reset(&s->retry);
    s->walk->epoch = s->meta_epoch;
    read_heads(s);
}

/* Step 3, or on a reconnect only when something differs. */
static void ensure_meta(gen_startup *s, const redisReply *meta, int64_t epoch)
{
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    if (!s->meta_written || c == NULL || !meta_same(s, meta, epoch)) {
        write_meta(s, epoch);
        return;
    }
    s->meta_epoch = epoch;
    if (redisAsyncCommand(c, on_instruments, s, "LRANGE " TS_KEY_INSTRUMENTS " 0 -1") != REDIS_OK)
        gen_redis_lost(s->conn, "instruments read not sent");
}

/* ---- 2. check meta ------------------------------------------------------- */

static void on_meta(redisAsyncContext *c, void *r, void *priv)
{
    gen_startup *s = priv;
    const gen_config *cfg = s->cfg;
    redisReply *reply = r;
    ts_meta m;
    char why[160];
    (void)c;
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "LOADING", 7) == 0) {
        /* A restarted Redis replays its AOF before it answers: wait for it. */
        ts_info("redis is still loading its data");
        gen_redis_lost(s->conn, "redis loading");
        return;
    }
    if (ts_meta_read(reply, &m) != 0) {
        ts_error("HGETALL " TS_KEY_META ": %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        gen_redis_lost(s->conn, "meta read failed");
        return;
    }
    if (reply->elements == 0) { /* a new history (or one whose ts:meta was deleted) */
        gen_levels_all(&cfg->ladder, s->walk->level_from);
        if (s->walk->epoch != 0) {
            s->walk->histories_lost++;
            ts_warn("redis holds no " TS_KEY_META " any more (restarted empty, flushed or deleted): the history of "
                    "epoch %" PRId64 " is gone; a new one starts, and the gateways close their clients with 1012",
                    s->walk->epoch);
        }
        write_meta(s, new_epoch());
        return;
    }
    if (!ts_meta_valid(&m, why, sizeof(why))) {
        ts_error("refusing to start: %s, so it is no history this generator can continue. Add --reset to delete "
                 "the tickstream keys (ts:*) and start a new history",
                 why);
        fatal(s, 1);
        return;
    }
    if (m.interval_ms != cfg->interval_ms || m.instruments != cfg->instruments) {
        ts_error("refusing to start: the history in Redis was written with interval_ms=%lld instruments=%lld, "
                 "but this generator has interval_ms=%lld instruments=%lld. Run with --interval-ms %lld "
                 "--instruments %lld to continue it, or add --reset to delete the tickstream keys (ts:*) "
                 "and start a new history",
                 (long long)m.interval_ms, (long long)m.instruments, (long long)cfg->interval_ms,
                 (long long)cfg->instruments, (long long)m.interval_ms, (long long)m.instruments);
        fatal(s, 1);
        return;
    }
    if (!s->walk->meta_rollups_seen++) /* before write_meta sets ours: gen_rollups.c names the new levels */
        memcpy(s->walk->meta_rollups, m.rollups, sizeof(m.rollups));
    gen_levels_read(&cfg->ladder, m.rollups, m.rollups_from, cfg->interval_ms, s->walk->level_from);
    ensure_meta(s, reply, m.epoch);
}

static void read_meta(gen_startup *s)
{
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    if (c != NULL)
        redisAsyncCommand(c, on_meta, s, "HGETALL " TS_KEY_META);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    read_meta(arg);
}

gen_startup *gen_startup_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                             gen_lease *lease, gen_startup_hooks hooks)
{
    gen_startup *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->retry_ev = evtimer_new(base, on_retry, s);
    if (s->retry_ev == NULL) {
        free(s);
        return NULL;
    }
    ts_backoff_reset(&s->retry);
    s->cfg = cfg;
    s->walk = walk;
    s->conn = conn;
    s->lease = lease;
    s->hooks = hooks;
    gen_fence_init(&s->meta);
    s->reset_pending = cfg->reset;
    return s;
}

void gen_startup_begin(gen_startup *s)
{
    redisAsyncContext *c = gen_redis_ctx(s->conn);
    evtimer_del(s->retry_ev);
    if (c != NULL && s->reset_pending)
        redisAsyncCommand(c, on_scan, s, "SCAN 0 MATCH ts:* COUNT 1000");
    else
        read_meta(s);
}

void gen_startup_stop(gen_startup *s)
{
    evtimer_del(s->retry_ev);
}

void gen_startup_free(gen_startup *s)
{
    if (s == NULL)
        return;
    free(s->heads);
    gen_fence_free(&s->meta);
    event_free(s->retry_ev);
    free(s);
}
