/* gen_meta.c — start-up's steps 2 and 3 (gen_startup.c): the generator's
 * side of ts:meta, before any tick is written.
 *
 *   2. HGETALL ts:meta: refuse to run if it is not a history this generator
 *      can continue — interval or instrument count differ from the flags
 *      (appending 10 ms ticks to a 1 s history, or 50 streams to a
 *      100-instrument feed, would corrupt what clients read), or it is not a
 *      valid ts:meta (ts_meta_valid) at all. An empty one is a new history.
 *   3. Write ts:meta (with rollups_from: gen_levels.h) and ts:instruments;
 *      keep the epoch if there is one. Fenced, like every write of the
 *      generator: not if the lease was lost. On a reconnect, once this
 *      process has written them, they are only rewritten when they differ
 *      from what it would write (started_ms aside: it says when this
 *      generator started, not when it reconnected): a Redis refusing writes
 *      (OOM, MISCONF) would refuse the rewrite and stop the ticker from
 *      reaching its quiet probe. A refused write (a new history, or a
 *      changed one) is not a lost connection either: it is counted and
 *      logged like a refused batch (gen_ticker_refused, once per run of
 *      refusals) and tried again after a growing delay (ts_backoff), on the
 *      same connection.
 *
 * Its own file because it is the one part of start-up that writes, and the
 * one that knows ts:meta's fields; start-up (reset, stream heads) only
 * learns from on_done that the history is this generator's. */
#include "gen_meta.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gen_levels.h"
#include "ts_log.h"
#include "ts_meta.h"
#include "ts_str.h"
#include "ts_time.h"

#define GEN_ARGV_CHUNK 1024

struct gen_meta {
    const gen_config *cfg;
    gen_walk *walk;
    gen_redis *conn;
    gen_lease *lease;
    gen_meta_hooks hooks;
    gen_fence meta; /* the fenced write of step 3 */
    int meta_written;  /* this process has written ts:meta and ts:instruments once */
    int64_t meta_epoch; /* the epoch of the ts:meta being compared (step 3) */
    struct event *retry_ev; /* a refused meta write is tried again (step 3) */
    ts_backoff retry;
};

static void fatal(gen_meta *s, int code)
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

/* ---- 3. write meta ------------------------------------------------------- */

static void on_meta_written(redisAsyncContext *c, void *r, void *priv)
{
    gen_meta *s = priv;
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
    s->hooks.on_done(s->hooks.owner);
}

static void write_meta(gen_meta *s, int64_t epoch)
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
static int meta_same(gen_meta *s, const redisReply *r, int64_t epoch)
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
    gen_meta *s = priv;
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
    s->hooks.on_done(s->hooks.owner);
}

/* Step 3, or on a reconnect only when something differs. */
static void ensure_meta(gen_meta *s, const redisReply *meta, int64_t epoch)
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
    gen_meta *s = priv;
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

static void read_meta(gen_meta *s)
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

gen_meta *gen_meta_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                       gen_lease *lease, gen_meta_hooks hooks)
{
    gen_meta *s = calloc(1, sizeof(*s));
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
    return s;
}

void gen_meta_begin(gen_meta *s)
{
    read_meta(s);
}

void gen_meta_stop(gen_meta *s)
{
    evtimer_del(s->retry_ev);
}

void gen_meta_free(gen_meta *s)
{
    if (s == NULL)
        return;
    gen_fence_free(&s->meta);
    event_free(s->retry_ev);
    free(s);
}
