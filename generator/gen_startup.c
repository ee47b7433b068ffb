/* gen_startup.c — what the generator does on every (re)connect, before it
 * writes a tick:
 *
 *   1. --reset (first connect only): SCAN + UNLINK every ts:* key.
 *   2. HGETALL ts:meta: refuse to run if interval or instrument count differ
 *      from the flags — appending 10 ms ticks to a 1 s history, or 50 streams
 *      to a 100-instrument feed, would corrupt what clients read.
 *   3. Write ts:meta and ts:instruments; keep the epoch if there is one.
 *   4. XREVRANGE COUNT 1 of every stream: the price and time each stands at.
 *
 * Step 4 runs on every reconnect, not only at start, because Redis is the
 * truth: a batch cut by a lost connection may or may not have been applied,
 * and a Redis restarted from its AOF may have lost the last second. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gen.h"
#include "ts_log.h"
#include "ts_names.h"
#include "ts_time.h"

#define GEN_ARGV_CHUNK 1024

static void read_meta(gen *g);

static int64_t new_epoch(void)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != sizeof(r))
        r = (uint64_t)ts_now_ms() ^ ts_mono_us();
    /* Below 2^53 so that JavaScript and JSON carry it exactly; never 0. */
    return (int64_t)((r & ((1ULL << 53) - 1)) | 1);
}

/* ---- 1. reset ------------------------------------------------------------ */

static void on_scan(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        return;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 || reply->element[1]->type != REDIS_REPLY_ARRAY) {
        ts_error("reset: unexpected SCAN reply");
        gen_shutdown(g, 1);
        return;
    }
    redisReply *keys = reply->element[1];
    if (keys->elements > 0) {
        const char **argv = malloc((keys->elements + 1) * sizeof(*argv));
        size_t *lens = malloc((keys->elements + 1) * sizeof(*lens));
        if (argv == NULL || lens == NULL) {
            free(argv), free(lens);
            gen_shutdown(g, 1);
            return;
        }
        argv[0] = "UNLINK", lens[0] = 6;
        for (size_t i = 0; i < keys->elements; i++)
            argv[i + 1] = keys->element[i]->str, lens[i + 1] = keys->element[i]->len;
        redisAsyncCommandArgv(c, NULL, NULL, (int)keys->elements + 1, argv, lens);
        free(argv), free(lens);
    }
    if (strcmp(reply->element[0]->str, "0") != 0) {
        redisAsyncCommand(c, on_scan, NULL, "SCAN %s MATCH ts:* COUNT 1000", reply->element[0]->str);
        return;
    }
    ts_warn("reset: deleted every ts:* key (history, meta, instruments)");
    g->reset_pending = 0;
    read_meta(g);
}

/* ---- 4. stream heads ----------------------------------------------------- */

static int parse_entry(const redisReply *e, int64_t *t, int32_t *p)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
        return -1;
    char *end;
    *t = strtoll(e->element[0]->str, &end, 10);
    const redisReply *f = e->element[1];
    if (*end != '-' || f->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        if (strcmp(f->element[i]->str, "p") == 0) {
            long long v = strtoll(f->element[i + 1]->str, &end, 10);
            if (*end != '\0' || v < INT32_MIN || v > INT32_MAX)
                return -1;
            *p = (int32_t)v;
            return 0;
        }
    }
    return -1;
}

static void heads_done(gen *g)
{
    int64_t n = g->cfg->instruments, last = 0, *heads = (int64_t *)g->startup_heads;
    uint32_t behind = 0;
    for (int64_t i = 0; i < n; i++)
        last = heads[i] > last ? heads[i] : last;
    for (int64_t i = 0; i < n; i++)
        behind += heads[i] < last;
    /* Batches are MULTI/EXEC per tick time, so streams end at the same time
     * unless someone deleted or trimmed one by hand. Such a stream rejoins at
     * the common time from its own last price: a hole in it, never a fork. */
    if (behind > 0)
        ts_warn("%u stream(s) end before the others (%" PRId64 "); they continue from their last price", behind,
                last);
    free(g->startup_heads);
    g->startup_heads = NULL;
    g->last_t = last;
    g->phase = GEN_RUNNING;
    if (last > 0)
        ts_info("resuming after tick %" PRId64 " (epoch %" PRId64 ")", last, g->epoch);
    else
        ts_info("no history: starting a new one (epoch %" PRId64 ")", g->epoch);
    gen_ticker_resume(g);
}

static void on_head(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    uint32_t i = (uint32_t)(uintptr_t)privdata;
    if (reply == NULL || g->startup_heads == NULL)
        return;
    int64_t *heads = (int64_t *)g->startup_heads;
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 1) {
        int64_t t;
        int32_t p;
        if (parse_entry(reply->element[0], &t, &p) == 0) {
            heads[i] = t;
            g->prices[i] = p;
        } else {
            ts_warn("%s: last entry is malformed; restarting its walk", g->names[i]);
        }
    } else if (reply->type == REDIS_REPLY_ERROR) {
        ts_error("%s: XREVRANGE failed: %s", g->names[i], reply->str);
        gen_shutdown(g, 1);
        return;
    }
    if (--g->heads_pending == 0)
        heads_done(g);
}

static void read_heads(gen *g)
{
    int64_t n = g->cfg->instruments;
    free(g->startup_heads);
    g->startup_heads = calloc((size_t)n, sizeof(int64_t));
    if (g->startup_heads == NULL) {
        ts_error("out of memory reading stream heads");
        gen_shutdown(g, 1);
        return;
    }
    g->heads_pending = (uint32_t)n;
    for (int64_t i = 0; i < n; i++) {
        g->prices[i] = (int32_t)g->cfg->start_price;
        char key[64];
        ts_tick_key(key, sizeof(key), g->names[i]);
        redisAsyncCommand(g->redis, on_head, (void *)(uintptr_t)i, "XREVRANGE %s + - COUNT 1", key);
    }
}

/* ---- 3. write meta ------------------------------------------------------- */

static void on_meta_written(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        return;
    /* EXEC's last element is HGET ts:meta epoch: whichever generator's HSETNX won. */
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements == 0 ||
        reply->element[reply->elements - 1]->type != REDIS_REPLY_STRING) {
        ts_error("writing ts:meta failed: %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        gen_redis_lost(g, "meta write failed");
        return;
    }
    g->epoch = strtoll(reply->element[reply->elements - 1]->str, NULL, 10);
    read_heads(g);
}

static void write_meta(gen *g, int64_t epoch)
{
    const gen_config *cfg = g->cfg;
    redisAsyncContext *c = g->redis;
    redisAsyncCommand(c, NULL, NULL, "MULTI");
    redisAsyncCommand(c, NULL, NULL,
                      "HSET " TS_KEY_META " interval_ms %lld retention_ms %lld instruments %lld started_ms %lld "
                      "version %d seed %llu min_price %lld max_price %lld",
                      (long long)cfg->interval_ms, (long long)cfg->retention_ms, (long long)cfg->instruments,
                      (long long)ts_now_ms(), TS_LAYOUT_VERSION, (unsigned long long)cfg->seed,
                      (long long)cfg->min_price, (long long)cfg->max_price);
    redisAsyncCommand(c, NULL, NULL, "HSETNX " TS_KEY_META " epoch %lld", (long long)epoch);
    redisAsyncCommand(c, NULL, NULL, "DEL " TS_KEY_INSTRUMENTS);
    const char *argv[GEN_ARGV_CHUNK + 2];
    for (int64_t i = 0; i < cfg->instruments; i += GEN_ARGV_CHUNK) {
        int argc = 0;
        argv[argc++] = "RPUSH";
        argv[argc++] = TS_KEY_INSTRUMENTS;
        for (int64_t j = i; j < cfg->instruments && j < i + GEN_ARGV_CHUNK; j++)
            argv[argc++] = g->names[j];
        redisAsyncCommandArgv(c, NULL, NULL, argc, argv, NULL);
    }
    redisAsyncCommand(c, NULL, NULL, "HGET " TS_KEY_META " epoch");
    redisAsyncCommand(c, on_meta_written, NULL, "EXEC");
}

/* ---- 2. check meta ------------------------------------------------------- */

static const char *meta_field(const redisReply *r, const char *name)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, name) == 0)
            return r->element[i + 1]->str;
    return NULL;
}

static void on_meta(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    (void)privdata;
    if (reply == NULL)
        return;
    if (reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "LOADING", 7) == 0) {
        /* A restarted Redis replays its AOF before it answers: wait for it. */
        ts_info("redis is still loading its data");
        gen_redis_lost(g, "redis loading");
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        ts_error("HGETALL " TS_KEY_META ": %s", reply->type == REDIS_REPLY_ERROR ? reply->str : "bad reply");
        gen_redis_lost(g, "meta read failed");
        return;
    }
    const char *iv = meta_field(reply, "interval_ms"), *n = meta_field(reply, "instruments");
    const char *ep = meta_field(reply, "epoch");
    long long have_iv = iv ? atoll(iv) : g->cfg->interval_ms, have_n = n ? atoll(n) : g->cfg->instruments;
    if (have_iv != g->cfg->interval_ms || have_n != g->cfg->instruments) {
        ts_error("refusing to start: the history in Redis was written with interval_ms=%lld instruments=%lld, "
                 "but this generator has interval_ms=%lld instruments=%lld. Run with --interval-ms %lld "
                 "--instruments %lld to continue it, or add --reset to delete the tickstream keys (ts:*) "
                 "and start a new history",
                 have_iv, have_n, (long long)g->cfg->interval_ms, (long long)g->cfg->instruments, have_iv, have_n);
        gen_shutdown(g, 1);
        return;
    }
    write_meta(g, ep ? atoll(ep) : new_epoch());
}

static void read_meta(gen *g)
{
    redisAsyncCommand(g->redis, on_meta, NULL, "HGETALL " TS_KEY_META);
}

void gen_startup_begin(gen *g)
{
    g->phase = GEN_STARTING;
    if (g->reset_pending)
        redisAsyncCommand(g->redis, on_scan, NULL, "SCAN 0 MATCH ts:* COUNT 1000");
    else
        read_meta(g);
}
