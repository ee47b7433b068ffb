/* gen_redis.c — the generator's one Redis connection (gen_redis.h).
 *
 * hiredis 0.14 has no reconnect and no connect timeout, so both live here:
 * a lost or failed connection is logged once, and a libevent timer retries
 * with exponential backoff (ts_backoff). Nothing is lost meanwhile: the
 * ticker only advances its state when a batch is sent, and every (re)connect
 * re-reads where each stream stands (gen_startup.c), so the missed intervals
 * are backfilled from there. That is the owner's business: this file only
 * says "ready" and "down".
 *
 * With a redis-sentinel:// URL each attempt is two connections: one to a
 * sentinel, asked for the master (common/ts_sentinel.c), then one to the
 * master it names, ready only once ROLE says "master" (a demoted master is
 * never written). Every loss asks the sentinels again, so after a failover
 * the reconnect finds the promoted replica; start-up then reads where its
 * streams stand and the ticker rewrites whatever the old master had not
 * replicated (docs/REDIS.md, "Sentinel failover").
 *
 * A master demoted without dropping its clients (SENTINEL FAILOVER, a
 * partition that heals) would keep this connection until a write bounced:
 * so with Sentinel a second gen_redis, the watch, stays connected to a
 * sentinel, subscribed to +switch-master (ts_sentinel_watch). A switch of
 * our master makes the new one the next target and drops this connection
 * (after the replies in flight), so the move takes one reconnect. The watch
 * probes its sentinel every second (ts_sentinel_watch_probe) and moves to
 * the next one when a probe goes unanswered past the connect timeout. */
#include "gen_redis.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_log.h"
#include "ts_redis.h"
#include "ts_sentinel.h"
#include "ts_time.h"

#define GEN_CONNECT_TIMEOUT_MS 3000
/* The watch probes its sentinel this often, and a sentinel that has not
 * answered a probe within the connect timeout is taken for hung. */
#define GEN_WATCH_PROBE_MS 1000

struct gen_redis {
    struct event_base *base;
    const ts_redis_url *url;
    gen_redis_hooks hooks;
    ts_sentinel sentinel;  /* where the next attempt goes */
    ts_redis_addr peer;    /* where this attempt went */
    int asking;            /* peer is a sentinel being asked for the master */
    redisAsyncContext *ac; /* NULL while down */
    int connected;         /* ac has connected (it may not be set up yet) */
    int ready;             /* AUTH/SELECT answered: commands may be sent */
    int setup_pending;     /* AUTH/SELECT replies still to come */
    int closing;           /* gen_redis_close: no more retries */
    int freeing;           /* gen_redis_free: no more callbacks up */
    ts_backoff backoff;
    struct event *reconnect_ev;
    struct event *connect_timeout_ev;
    uint64_t reconnects;
    int watching;          /* this is a watch: connected to a sentinel, subscribed to +switch-master */
    const char *drop_why;  /* set by drop_soon: on_connect_timeout drops it now, for this reason */
    gen_redis *watch;      /* a data connection's watch (Sentinel only), else NULL */
    struct event *probe_ev; /* a watch's: the liveness probe */
    int64_t probe_sent;    /* a watch's: mono ms of the oldest probe unanswered; 0: none */
};

static gen_redis *start(struct event_base *base, const ts_redis_url *url, gen_redis_hooks hooks, int watching);

static void set_timer(struct event *ev, int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static void schedule_reconnect(gen_redis *r)
{
    if (r->closing)
        return;
    int64_t ms = ts_backoff_next(&r->backoff);
    r->reconnects++;
    ts_info("redis: retrying in %lld ms", (long long)ms);
    set_timer(r->reconnect_ev, ms);
}

static void on_disconnect(const redisAsyncContext *c, int status)
{
    gen_redis *r = c->data;
    (void)status;
    if (r == NULL)
        return; /* dropped by the connect timeout */
    r->ac = NULL; /* hiredis frees the context after this returns */
    r->connected = r->ready = 0;
    evtimer_del(r->connect_timeout_ev);
    if (r->freeing)
        return;
    if (r->asking) { /* we closed it: on to the master it named, or to the next sentinel */
        r->asking = 0;
        if (r->sentinel.resolved && !r->closing) {
            set_timer(r->reconnect_ev, 0);
        } else {
            ts_sentinel_retry(&r->sentinel, 1);
            schedule_reconnect(r);
        }
        return;
    }
    ts_sentinel_retry(&r->sentinel, 0);
    ts_warn("redis connection lost: %s", c->errstr[0] ? c->errstr : "closed");
    schedule_reconnect(r);
    r->hooks.on_down(r->hooks.owner);
}

static void set_ready(gen_redis *r)
{
    evtimer_del(r->connect_timeout_ev);
    ts_backoff_reset(&r->backoff);
    r->ready = 1;
    r->hooks.on_ready(r->hooks.owner);
}

/* Replies to AUTH and SELECT. A Redis still loading its data is waited
 * for; any other error (WRONGPASS, NOAUTH, a bad db) is the URL's, which a
 * retry cannot fix: the owner is told, and decides (tickgen exits). */
static void on_setup_reply(redisAsyncContext *c, void *reply, void *priv)
{
    gen_redis *r = priv;
    redisReply *rep = reply;
    (void)c;
    if (rep == NULL)
        return; /* the connection is going away; on_disconnect handles it */
    char err[256], why[600];
    int rc = ts_redis_setup_reply(rep, err, sizeof(err));
    if (rc == -2) { /* not (or no longer) the master: ask the sentinels again */
        ts_warn("redis %s:%d: %s; asking the sentinels again", r->peer.host, r->peer.port, err);
        gen_redis_lost(r, "not the master");
        return;
    }
    if (rc != 0) {
        snprintf(why, sizeof(why), "redis %.255s:%d refused AUTH/SELECT: %.200s", r->peer.host, r->peer.port, err);
        gen_redis_lost(r, "AUTH/SELECT failed");
        if (strncmp(err, "LOADING", 7) == 0)
            ts_warn("%s; retrying", why);
        else
            r->hooks.on_refused(r->hooks.owner, why);
        return;
    }
    if (--r->setup_pending == 0)
        set_ready(r);
}

/* A sentinel's answer: close its connection; on_disconnect goes on. */
static void on_sentinel_reply(redisAsyncContext *c, void *reply, void *priv)
{
    gen_redis *r = priv;
    char why[160];
    if (reply == NULL)
        return; /* freed or gone; on_disconnect moves to the next sentinel */
    int rc = ts_sentinel_answer(&r->sentinel, reply, why, sizeof(why)); /* a failover is logged there */
    if (rc == 2)
        return; /* AUTH accepted; the answer follows */
    if (rc < 0)
        ts_warn("redis sentinel %s:%d: %s", r->peer.host, r->peer.port, why);
    redisAsyncDisconnect(c);
}

/* A connection that cannot go on, from inside hiredis' connect callback:
 * dropped from a timer, once hiredis has returned. hiredis 0.14 frees a
 * context disconnected there at once when no reply is pending (no
 * REDIS_IN_CALLBACK around onConnect), then goes on using it: its
 * __redisAsyncHandleConnect returns into redisAsyncHandleWrite, which reads
 * c->flags and writes c->obuf of the freed context. Reached only when
 * hiredis cannot queue a command (out of memory). */
static void drop_soon(gen_redis *r, const char *why)
{
    r->ready = 0;
    r->drop_why = why;
    set_timer(r->connect_timeout_ev, 0);
}

static void on_connect(const redisAsyncContext *c, int status)
{
    gen_redis *r = c->data;
    if (r == NULL)
        return;
    evtimer_del(r->connect_timeout_ev);
    if (status != REDIS_OK) {
        r->ac = NULL; /* freed by hiredis after this callback */
        ts_warn("redis %s%s:%d unreachable: %s", r->asking ? "sentinel " : "", r->peer.host, r->peer.port, c->errstr);
        ts_sentinel_retry(&r->sentinel, r->asking);
        r->asking = 0;
        schedule_reconnect(r);
        return;
    }
    if (r->asking) { /* the answer must come within the connect timeout too */
        set_timer(r->connect_timeout_ev, GEN_CONNECT_TIMEOUT_MS);
        if (ts_sentinel_ask(r->ac, &r->sentinel, on_sentinel_reply, r) != REDIS_OK)
            drop_soon(r, "the question refused by hiredis");
        return;
    }
    ts_info("redis %s%s:%d connected%s", r->watching ? "sentinel " : "", r->peer.host, r->peer.port,
            r->watching ? ", watching +switch-master" : "");
    if (r->url->nsentinels == 0)
        ts_backoff_reset(&r->backoff);
    r->connected = 1;
    /* Connected is not answering: a stopped process or a frozen host still
     * accepts connections (the kernel does), so AUTH/SELECT/ROLE must be
     * answered within the connect timeout too; keepalive finds a peer that
     * went away without a word while we wait for nothing. */
    redisEnableKeepAlive(&r->ac->c);
    set_timer(r->connect_timeout_ev, GEN_CONNECT_TIMEOUT_MS);
    r->setup_pending = r->watching ? ts_sentinel_send_auth(r->ac, r->url, on_setup_reply, r)
                                   : ts_redis_send_setup(r->ac, r->url, on_setup_reply, r);
    if (r->setup_pending < 0)
        drop_soon(r, "AUTH/SELECT refused by hiredis");
    else if (r->setup_pending == 0)
        set_ready(r);
}

static void connect_now(gen_redis *r)
{
    r->drop_why = NULL;
    r->asking = ts_sentinel_target(&r->sentinel, &r->peer);
    redisAsyncContext *ac = redisAsyncConnect(r->peer.host, r->peer.port);
    if (ac == NULL || ac->err) {
        ts_warn("redis connect: %s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        ts_sentinel_retry(&r->sentinel, r->asking);
        r->asking = 0;
        schedule_reconnect(r);
        return;
    }
    ac->data = r;
    r->ac = ac;
    redisLibeventAttach(ac, r->base);
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    set_timer(r->connect_timeout_ev, GEN_CONNECT_TIMEOUT_MS);
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    connect_now(arg);
}

/* Gives up an attempt that is not connected yet (or a sentinel being
 * asked); the next target is chosen by ts_sentinel_retry. */
static void abandon(gen_redis *r)
{
    redisAsyncContext *ac = r->ac;
    r->ac = NULL;
    evtimer_del(r->connect_timeout_ev);
    ac->data = NULL; /* a sentinel's connection may be up: its disconnect callback is ignored */
    redisAsyncFree(ac);
    ts_sentinel_retry(&r->sentinel, r->asking);
    r->asking = 0;
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
    gen_redis *r = arg;
    (void)fd, (void)what;
    const char *why = r->drop_why;
    r->drop_why = NULL;
    if (r->ac == NULL || r->ready)
        return;
    if (why != NULL) {
        ts_warn("redis %s%s:%d: %s; dropping the connection", r->asking ? "sentinel " : "", r->peer.host,
                r->peer.port, why);
        if (r->connected) {
            redisAsyncFree(r->ac); /* on_disconnect schedules the retry */
        } else {
            abandon(r);
            schedule_reconnect(r);
        }
        return;
    }
    if (r->connected) {
        /* No answer to the setup, or to the close of gen_redis_lost (hiredis
         * waits for every reply in flight, and a frozen master sends none):
         * free it. Pending replies get NULL and on_disconnect, which runs
         * as for any loss, schedules the retry. */
        ts_warn("redis %s:%d: no answer in %d ms; dropping the connection", r->peer.host, r->peer.port,
                GEN_CONNECT_TIMEOUT_MS);
        redisAsyncFree(r->ac);
        return;
    }
    ts_warn("redis %s%s:%d: no answer in %d ms", r->asking ? "sentinel " : "", r->peer.host, r->peer.port,
            GEN_CONNECT_TIMEOUT_MS);
    abandon(r);
    schedule_reconnect(r);
}

/* ---- the watch: a second gen_redis whose owner is the data connection ---- */

static void on_watch_message(redisAsyncContext *c, void *reply, void *priv);

/* Every GEN_WATCH_PROBE_MS while the watch is set up: a probe, unless one
 * is unanswered; a sentinel silent past the connect timeout is hung (a
 * stopped process still has its connections accepted by the kernel), so
 * the watch is freed: on_disconnect retries on the next sentinel. */
static void on_probe_timer(evutil_socket_t fd, short what, void *arg)
{
    gen_redis *w = arg;
    (void)fd, (void)what;
    if (w->ac == NULL || !w->ready || w->closing)
        return; /* set up again: on_watch_ready re-arms */
    int64_t now = ts_mono_ms();
    if (w->probe_sent != 0 && now - w->probe_sent > GEN_CONNECT_TIMEOUT_MS) {
        ts_warn("redis sentinel %s:%d: no reply to the watch for %lld ms; watching the next sentinel", w->peer.host,
                w->peer.port, (long long)(now - w->probe_sent));
        redisAsyncFree(w->ac); /* not Disconnect: that waits for the replies a hung sentinel never sends */
        return;
    }
    if (w->probe_sent == 0 && ts_sentinel_watch_probe(w->ac, on_watch_message, w->hooks.owner) == REDIS_OK)
        w->probe_sent = now;
    set_timer(w->probe_ev, GEN_WATCH_PROBE_MS);
}

/* The sentinels switched masters: the new one is the data connection's next
 * target; drop the connection when it is elsewhere, or retry now when down. */
static void follow_switch(gen_redis *r, const ts_redis_addr *to, int asked)
{
    if (ts_sentinel_switched(&r->sentinel, to, asked) == 0 || r->closing)
        return;
    if (r->ac != NULL && r->connected) {
        gen_redis_lost(r, "+switch-master: following the new master");
        return;
    }
    if (r->ac != NULL) /* an attempt under way, to the old master (which may never answer) or a sentinel */
        abandon(r);
    evtimer_del(r->reconnect_ev);
    set_timer(r->reconnect_ev, 0);
}

static void on_watch_message(redisAsyncContext *c, void *reply, void *priv)
{
    gen_redis *r = priv;
    ts_redis_addr to;
    char why[160];
    (void)c;
    if (reply != NULL)
        r->watch->probe_sent = 0; /* the sentinel answers */
    int rc = ts_sentinel_switch(r->url, reply, &to, why, sizeof(why));
    if (rc >= 1) {
        follow_switch(r, &to, rc == 2);
    } else if (rc < 0) {
        ts_warn("redis sentinel %s:%d: %s", r->watch->peer.host, r->watch->peer.port, why);
        gen_redis_lost(r->watch, "the +switch-master watch failed");
    }
}

static void on_watch_ready(void *owner)
{
    gen_redis *r = owner;
    if (ts_sentinel_watch(r->watch->ac, r->url, on_watch_message, r) != REDIS_OK) {
        gen_redis_lost(r->watch, "SUBSCRIBE refused by hiredis");
        return;
    }
    r->watch->probe_sent = ts_mono_ms(); /* the question and SUBSCRIBE are the first probe */
    set_timer(r->watch->probe_ev, GEN_WATCH_PROBE_MS);
}

static void on_watch_down(void *owner)
{
    (void)owner; /* it retries by itself; the data connection does not depend on it */
}

static void on_watch_refused(void *owner, const char *why)
{
    (void)owner;
    ts_warn("%s (check sentinel_user/sentinel_password in the URL); retrying", why);
}

static gen_redis *start(struct event_base *base, const ts_redis_url *url, gen_redis_hooks hooks, int watching)
{
    gen_redis *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    r->base = base;
    r->url = url;
    r->hooks = hooks;
    r->watching = watching;
    if (watching)
        ts_sentinel_init_watch(&r->sentinel, url);
    else
        ts_sentinel_init(&r->sentinel, url);
    r->reconnect_ev = evtimer_new(base, on_reconnect_timer, r);
    r->connect_timeout_ev = evtimer_new(base, on_connect_timeout, r);
    if (watching && (r->probe_ev = evtimer_new(base, on_probe_timer, r)) == NULL) {
        gen_redis_free(r);
        return NULL;
    }
    if (!watching && url->nsentinels > 0)
        r->watch = start(base, url, (gen_redis_hooks){r, on_watch_ready, on_watch_down, on_watch_refused}, 1);
    if (r->reconnect_ev == NULL || r->connect_timeout_ev == NULL || (!watching && url->nsentinels > 0 && !r->watch)) {
        gen_redis_free(r);
        return NULL;
    }
    ts_backoff_reset(&r->backoff);
    connect_now(r);
    return r;
}

gen_redis *gen_redis_start(struct event_base *base, const ts_redis_url *url, gen_redis_hooks hooks)
{
    return start(base, url, hooks, 0);
}

redisAsyncContext *gen_redis_ctx(const gen_redis *r)
{
    return r->ready ? r->ac : NULL;
}

void gen_redis_lost(gen_redis *r, const char *why)
{
    if (r->ac == NULL || !r->connected)
        return;
    ts_warn("redis: dropping the connection (%s)", why);
    r->ready = 0; /* no new commands from now on */
    /* Replies still pending get NULL; on_disconnect then schedules the retry.
     * A server that never answers them (a frozen old master after a
     * failover) would hold the close forever: the timeout frees it. Armed
     * first, as the disconnect may complete (and disarm it) right here. */
    set_timer(r->connect_timeout_ev, GEN_CONNECT_TIMEOUT_MS);
    redisAsyncDisconnect(r->ac);
}

void gen_redis_close(gen_redis *r)
{
    r->closing = 1;
    if (r->watch != NULL)
        gen_redis_close(r->watch);
}

uint64_t gen_redis_reconnects(const gen_redis *r)
{
    return r->reconnects;
}

uint64_t gen_redis_failovers(const gen_redis *r)
{
    return r->sentinel.changes;
}

void gen_redis_free(gen_redis *r)
{
    if (r == NULL)
        return;
    r->freeing = 1;
    gen_redis_free(r->watch);
    if (r->ac != NULL)
        redisAsyncFree(r->ac);
    if (r->reconnect_ev)
        event_free(r->reconnect_ev);
    if (r->connect_timeout_ev)
        event_free(r->connect_timeout_ev);
    if (r->probe_ev)
        event_free(r->probe_ev);
    free(r);
}
