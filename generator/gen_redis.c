/* gen_redis.c — the generator's one Redis connection.
 *
 * hiredis 0.14 has no reconnect and no connect timeout, so both live here:
 * a lost or failed connection is logged once, and a libevent timer retries
 * with exponential backoff (ts_backoff). Nothing is lost meanwhile: the
 * ticker only advances its state when a batch is sent, and every (re)connect
 * re-reads where each stream stands (gen_startup.c), so the missed intervals
 * are backfilled from there. */
#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <string.h>

#include "gen.h"
#include "ts_log.h"

#define GEN_CONNECT_TIMEOUT_MS 3000

static void schedule_reconnect(gen *g);

static void set_timer(struct event *ev, int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    gen *g = c->data;
    g->redis = NULL; /* hiredis frees the context after this returns */
    evtimer_del(g->connect_timeout_ev);
    if (g->stopping) {
        gen_shutdown(g, g->exit_code);
        return;
    }
    if (g->phase != GEN_DOWN || status != REDIS_OK)
        ts_warn("redis connection lost: %s", c->errstr[0] ? c->errstr : "closed");
    g->phase = GEN_DOWN;
    g->in_flight = 0;
    gen_ticker_stop(g);
    schedule_reconnect(g);
}

/* Replies to AUTH and SELECT: either is fatal for this connection only. */
static void on_setup_reply(redisAsyncContext *c, void *r, void *privdata)
{
    gen *g = c->data;
    redisReply *reply = r;
    const char *what = privdata;
    if (reply == NULL)
        return; /* the connection is going away; on_disconnect handles it */
    if (reply->type == REDIS_REPLY_ERROR) {
        ts_error("redis %s failed: %s", what, reply->str);
        gen_redis_lost(g, what);
        return;
    }
    if (strcmp(what, "SELECT") == 0 || (strcmp(what, "AUTH") == 0 && g->cfg->redis.db == 0))
        gen_startup_begin(g);
}

static void on_connect(const redisAsyncContext *c, int status)
{
    gen *g = c->data;
    evtimer_del(g->connect_timeout_ev);
    if (status != REDIS_OK) {
        g->redis = NULL; /* freed by hiredis after this callback */
        ts_warn("redis %s:%d unreachable: %s", g->cfg->redis.host, g->cfg->redis.port, c->errstr);
        schedule_reconnect(g);
        return;
    }
    ts_info("redis %s:%d connected", g->cfg->redis.host, g->cfg->redis.port);
    ts_backoff_reset(&g->backoff);
    g->phase = GEN_STARTING;
    redisAsyncContext *ac = (redisAsyncContext *)c;
    const ts_redis_url *u = &g->cfg->redis;
    if (u->password[0] != '\0') {
        if (u->user[0] != '\0')
            redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s %s", u->user, u->password);
        else
            redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s", u->password);
    }
    if (u->db != 0)
        redisAsyncCommand(ac, on_setup_reply, "SELECT", "SELECT %d", u->db);
    if (u->password[0] == '\0' && u->db == 0)
        gen_startup_begin(g);
}

static void connect_now(gen *g)
{
    redisAsyncContext *ac = redisAsyncConnect(g->cfg->redis.host, g->cfg->redis.port);
    if (ac == NULL || ac->err) {
        ts_warn("redis connect: %s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        schedule_reconnect(g);
        return;
    }
    ac->data = g;
    g->redis = ac;
    redisLibeventAttach(ac, g->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    set_timer(g->connect_timeout_ev, GEN_CONNECT_TIMEOUT_MS);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    connect_now(arg);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    gen *g = arg;
    if (g->redis == NULL || g->phase != GEN_DOWN)
        return;
    ts_warn("redis %s:%d: no answer in %d ms", g->cfg->redis.host, g->cfg->redis.port, GEN_CONNECT_TIMEOUT_MS);
    redisAsyncContext *ac = g->redis;
    g->redis = NULL;
    redisAsyncFree(ac); /* not connected yet: no disconnect callback */
    schedule_reconnect(g);
}

static void schedule_reconnect(gen *g)
{
    if (g->stopping) {
        gen_shutdown(g, g->exit_code);
        return;
    }
    int64_t ms = ts_backoff_next(&g->backoff);
    g->stats.reconnects++;
    ts_info("redis: retrying in %lld ms", (long long)ms);
    set_timer(g->reconnect_ev, ms);
}

int gen_redis_start(gen *g)
{
    g->reconnect_ev = evtimer_new(g->base, on_reconnect_timer, g);
    g->connect_timeout_ev = evtimer_new(g->base, on_connect_timeout, g);
    if (g->reconnect_ev == NULL || g->connect_timeout_ev == NULL)
        return -1;
    ts_backoff_reset(&g->backoff);
    g->phase = GEN_DOWN;
    connect_now(g);
    return 0;
}

void gen_redis_lost(gen *g, const char *why)
{
    if (g->redis == NULL)
        return;
    ts_warn("redis: dropping the connection (%s)", why);
    /* Replies still pending get NULL; on_disconnect then schedules the retry. */
    redisAsyncDisconnect(g->redis);
}
