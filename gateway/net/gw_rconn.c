/* gw_rconn.c — hiredis on the worker's h2o evloop, with reconnects (gw_rconn.h).
 *
 * The adapter (NOTES-h2o.md): hiredis keeps its fd; h2o watches a dup() of it
 * with H2O_SOCKET_FLAG_DONT_READ, so h2o only reports readiness and hiredis
 * does the reading. notify_write is one-shot and cannot be cancelled, so
 * delWrite only clears want_write and the callback checks it.
 *
 * hiredis 0.14 has no timers and no reconnect: the worker's 20 ms tick calls
 * gw_rconn_tick, which connects when a retry is due (ts_backoff: 100 ms
 * doubling to 5 s) and drops a connect that takes longer than --redis-timeout.
 * A NULL reply means the connection is going away; whoever sees it first
 * marks the connection down so nothing more is sent on it.
 *
 * A peer that stops answering without closing (a hung Redis, a proxy or
 * firewall that drops the path) shows no error at all. TCP keepalive finds a
 * dead host; a PING every second on the command connection finds a live
 * host that does not answer: unanswered for max(3 × --redis-timeout, 5 s),
 * the connection is dropped and redone. The subscriber cannot PING (its
 * replies would be taken for messages by hiredis 0.14), so gw_feed.c checks
 * a silent feed against the streams instead.
 *
 * Sentinel (a redis-sentinel:// URL): an attempt goes to a sentinel first,
 * asks it for the master, closes, and is at once redone to the master named
 * (common/ts_sentinel.c); that connection is up only after AUTH/SELECT and a
 * ROLE answering "master". Every loss asks the sentinels again, so after a
 * failover the backoff's next attempt that finds the promoted replica is the
 * reconnect. While that lasts, why (and so /readyz) says "failover".
 * A master demoted without dropping its clients is followed through a watch
 * (opts.watch: a connection to a sentinel itself, subscribed by its owner to
 * +switch-master), whose owner calls gw_rconn_switch on the others. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_rconn.h"
#include "ts_log.h"
#include "ts_redis.h"

static void on_readable(h2o_socket_t *sock, const char *err)
{
    gw_rconn *rc = sock->data;
    (void)err;
    if (rc == NULL || rc->ac == NULL)
        return;
    redisAsyncHandleRead(rc->ac);
    if (rc->o.on_read != NULL)
        rc->o.on_read(rc);
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    gw_rconn *rc = sock->data;
    (void)err;
    if (rc == NULL)
        return;
    rc->notify_pending = 0;
    if (rc->want_write && rc->ac != NULL)
        redisAsyncHandleWrite(rc->ac);
}

static void ev_add_read(void *p)
{
    gw_rconn *rc = p;
    h2o_socket_read_start(rc->sock, on_readable);
}

static void ev_del_read(void *p)
{
    gw_rconn *rc = p;
    h2o_socket_read_stop(rc->sock);
}

static void ev_add_write(void *p)
{
    gw_rconn *rc = p;
    rc->want_write = 1;
    if (!rc->notify_pending) {
        rc->notify_pending = 1;
        h2o_socket_notify_write(rc->sock, on_writable);
    }
}

static void ev_del_write(void *p)
{
    gw_rconn *rc = p;
    rc->want_write = 0;
}

static void ev_cleanup(void *p)
{
    gw_rconn *rc = p;
    if (rc->sock != NULL) {
        rc->sock->data = NULL;
        h2o_socket_close(rc->sock);
        rc->sock = NULL;
    }
    rc->notify_pending = rc->want_write = 0;
}

void gw_rconn_init(gw_rconn *rc, h2o_loop_t *loop, int worker_id, const gw_rconn_opts *o)
{
    memset(rc, 0, sizeof(*rc));
    rc->o = *o;
    if (o->watch)
        ts_sentinel_init_watch(&rc->sentinel, o->url);
    else
        ts_sentinel_init(&rc->sentinel, o->url);
    rc->loop = loop;
    rc->worker_id = worker_id;
    ts_backoff_reset(&rc->backoff);
    rc->retry_at = 1; /* due at once */
    snprintf(rc->why, sizeof(rc->why), "not connected yet");
}

/* The reason /readyz shows while the connection is down. `why` may point
 * into rc->why (an earlier reason), hence the copy. */
static void set_why(gw_rconn *rc, const char *why)
{
    char tmp[sizeof(rc->why)];
    if (rc->failing_over)
        snprintf(tmp, sizeof(tmp), "redis %s connection: failover of master %.40s: %.100s", rc->o.name,
                 rc->o.url->master, why);
    else
        snprintf(tmp, sizeof(tmp), "redis %s connection: %.100s", rc->o.name, why);
    memcpy(rc->why, tmp, sizeof(tmp));
}

/* The connection is gone (or never came): schedule the next attempt. */
static void went_down(gw_rconn *rc, const char *why)
{
    int was_up = rc->up;
    rc->up = 0;
    rc->ac = NULL;
    if (rc->o.url->nsentinels > 0 && rc->connects > 0 && !rc->o.watch)
        rc->failing_over = 1;
    ts_sentinel_retry(&rc->sentinel, rc->asking);
    rc->asking = 0;
    if (rc->retry_at == 0)
        rc->retry_at = ts_mono_ms() + ts_backoff_next(&rc->backoff);
    if (why != NULL)
        set_why(rc, why);
    if (was_up)
        ts_warn("worker %d: %s", rc->worker_id, rc->why);
    rc->o.on_down(rc);
}

void gw_rconn_lost(gw_rconn *rc, const char *why)
{
    if (!rc->up)
        return;
    rc->up = 0;
    rc->lost_at = ts_mono_ms();
    set_why(rc, why);
    rc->o.on_down(rc);
}

/* Connected and set up (for a sentinel URL: ROLE said master). */
static void became_up(gw_rconn *rc)
{
    rc->up = 1;
    rc->failing_over = 0;
    rc->deadline = 0;
    rc->lost_at = 0;
    rc->ping_sent = 0;
    rc->next_ping = ts_mono_ms() + 1000;
    ts_backoff_reset(&rc->backoff);
    if (rc->connects++ > 0 && rc->o.reconnects != NULL)
        __atomic_fetch_add(rc->o.reconnects, 1, __ATOMIC_RELAXED);
    ts_info("worker %d: redis %s connection up", rc->worker_id, rc->o.name);
    rc->o.on_up(rc);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    gw_rconn *rc = ac->data;
    if (rc == NULL)
        return;
    if (status != REDIS_OK) {
        ts_debug("worker %d: redis %s connect to %s:%d failed: %s", rc->worker_id, rc->o.name, rc->peer.host,
                 rc->peer.port, ac->errstr);
        went_down(rc, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    if (rc->o.url->nsentinels == 0 || (rc->o.watch && rc->setup_left == 0))
        became_up(rc);
    /* else: a sentinel's answer, its AUTH or the master's ROLE comes next, within the deadline */
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    gw_rconn *rc = ac->data;
    (void)status;
    if (rc == NULL)
        return;
    if (rc->asking && rc->sentinel.resolved) { /* we closed it: on to the master it named, now */
        rc->asking = 0;
        rc->ac = NULL;
        rc->retry_at = 1;
        return;
    }
    /* A sentinel we closed after a useless answer: keep the answer's reason (set_why). */
    went_down(rc, ac->errstr[0] ? ac->errstr : rc->asking ? NULL : "connection closed");
}

static void on_auth_reply(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;
    (void)priv;
    gw_rconn *rc = ac->data;
    char why[256];
    if (rc == NULL || reply == NULL)
        return;
    switch (ts_redis_setup_reply(reply, why, sizeof(why))) {
    case 0:
        /* ROLE is the last. The catch-up connection's reader makes every
         * array a gw_xreply, so its ROLE is not read: it only reads, from
         * the server the sentinels named. */
        if (--rc->setup_left == 0 && !rc->up && rc->o.url->nsentinels > 0)
            became_up(rc);
        return;
    case -2:
        ts_warn("worker %d: redis %s: %s:%d %s; asking the sentinels again", rc->worker_id, rc->o.name,
                rc->peer.host, rc->peer.port, why);
        set_why(rc, why);
        break;
    default:
        ts_error("worker %d: redis %s: AUTH/SELECT refused: %s", rc->worker_id, rc->o.name, why);
        gw_rconn_lost(rc, "AUTH/SELECT refused");
    }
    rc->lost_at = ts_mono_ms(); /* not up: gw_rconn_tick frees it should the disconnect not come */
    redisAsyncDisconnect(ac);
}

/* A sentinel's answer: close its connection; on_disconnect goes on. */
static void on_sentinel_reply(redisAsyncContext *ac, void *r, void *priv)
{
    gw_rconn *rc = ac->data;
    char why[160];
    (void)priv;
    if (rc == NULL || r == NULL)
        return;
    int rv = ts_sentinel_answer(&rc->sentinel, r, why, sizeof(why));
    if (rv == 2)
        return; /* AUTH accepted; the answer follows */
    if (rv < 0) {
        ts_warn("worker %d: redis %s: sentinel %s:%d: %s", rc->worker_id, rc->o.name, rc->peer.host, rc->peer.port,
                why);
        set_why(rc, why);
    } else if (rv == 1 && rc->o.failovers != NULL) {
        __atomic_fetch_add(rc->o.failovers, 1, __ATOMIC_RELAXED);
    }
    redisAsyncDisconnect(ac);
}

static void connect_now(gw_rconn *rc)
{
    const ts_redis_url *u = rc->o.url;
    rc->retry_at = 0;
    rc->asking = ts_sentinel_target(&rc->sentinel, &rc->peer);
    redisAsyncContext *ac = redisAsyncConnect(rc->peer.host, rc->peer.port);
    if (ac != NULL && !ac->err && !rc->asking && rc->o.setup != NULL && rc->o.setup(&ac->c) != 0) {
        redisAsyncFree(ac);
        ac = NULL;
    }
    if (ac == NULL || ac->err) {
        char why[128];
        snprintf(why, sizeof(why), "%s", ac ? ac->errstr : "out of memory");
        if (ac)
            redisAsyncFree(ac);
        went_down(rc, why);
        return;
    }
    redisEnableKeepAlive(&ac->c); /* TCP probes after 15 s idle: a vanished host is noticed */
    int dupfd = dup(ac->c.fd);
    if (dupfd < 0) {
        redisAsyncFree(ac);
        went_down(rc, strerror(errno));
        return;
    }
    rc->sock = h2o_evloop_socket_create(rc->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
    rc->sock->data = rc;
    rc->ac = ac;
    ac->data = rc;
    ac->ev.data = rc;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    rc->deadline = ts_mono_ms() + rc->o.timeout_ms;
    if (rc->asking) /* queued now, sent first once connected */
        ts_sentinel_ask(ac, &rc->sentinel, on_sentinel_reply, NULL);
    else if (rc->o.watch)
        rc->setup_left = ts_sentinel_send_auth(ac, u, on_auth_reply, NULL);
    else
        rc->setup_left = ts_redis_send_setup(ac, u, on_auth_reply, NULL);
    ev_add_write(rc); /* the first writable event completes the connect */
}

void gw_rconn_heard(gw_rconn *rc)
{
    rc->ping_sent = 0;
    rc->next_ping = ts_mono_ms() + 1000;
}

static void on_pong(redisAsyncContext *ac, void *r, void *priv)
{
    gw_rconn *rc = ac->data;
    (void)priv;
    if (rc == NULL || r == NULL)
        return;
    gw_rconn_heard(rc);
}

void gw_rconn_drop(gw_rconn *rc, const char *why)
{
    if (rc->ac == NULL)
        return;
    ts_warn("worker %d: redis %s connection: %s; reconnecting", rc->worker_id, rc->o.name, why);
    gw_rconn_lost(rc, why);
    /* Pending callbacks get a NULL reply, then on_disconnect schedules the retry. */
    redisAsyncFree(rc->ac);
    set_why(rc, why); /* on_disconnect put hiredis' "connection closed" there */
    rc->o.on_down(rc);
}

/* Gives up an attempt that is not up yet. hiredis calls no disconnect
 * callback for a context that has not connected, so went_down is called
 * here, and our callbacks ignore the context from now on. */
static void abandon(gw_rconn *rc, const char *why)
{
    redisAsyncContext *ac = rc->ac;
    rc->deadline = 0;
    ac->data = NULL;
    redisAsyncFree(ac);
    went_down(rc, why);
}

void gw_rconn_tick(gw_rconn *rc, int64_t now)
{
    if (rc->up && rc->ping_sent != 0) {
        /* A probe goes to a sentinel, which has no long replies to wait behind. */
        int64_t limit = rc->o.probe != NULL          ? rc->o.timeout_ms
                        : 3 * rc->o.timeout_ms > 5000 ? 3 * rc->o.timeout_ms
                                                      : 5000;
        if (now - rc->ping_sent > limit) {
            char why[96];
            snprintf(why, sizeof(why), "no reply to %s for %lld ms", rc->o.probe != NULL ? "the probe" : "PING",
                     (long long)(now - rc->ping_sent));
            gw_rconn_drop(rc, why);
        }
    } else if (rc->up && rc->o.probe != NULL && now >= rc->next_ping) {
        if (rc->o.probe(rc) == 0)
            rc->ping_sent = now;
    } else if (rc->up && rc->o.ping && now >= rc->next_ping) {
        if (redisAsyncCommand(rc->ac, on_pong, NULL, "PING") == REDIS_OK)
            rc->ping_sent = now;
    }
    if (rc->ac != NULL && !rc->up && rc->deadline == 0 && rc->lost_at != 0 && now - rc->lost_at > 2000) {
        /* Marked lost, yet hiredis never reported the disconnect (the loss
         * was ours, e.g. a refused command): free it so it is redone. */
        rc->lost_at = 0;
        redisAsyncFree(rc->ac);
    }
    if (rc->ac == NULL && rc->retry_at != 0 && now >= rc->retry_at) {
        connect_now(rc);
    } else if (rc->ac != NULL && !rc->up && rc->deadline != 0 && now > rc->deadline) {
        abandon(rc, "connect timed out");
    }
}

void gw_rconn_switch(gw_rconn *rc, const ts_redis_addr *to, int asked)
{
    int rv = ts_sentinel_switched(&rc->sentinel, to, asked);
    if (rv == 0)
        return;
    if (rv == 1 && rc->o.failovers != NULL)
        __atomic_fetch_add(rc->o.failovers, 1, __ATOMIC_RELAXED);
    const char *why = asked ? "the sentinel watch names another master: following it"
                            : "+switch-master: following the new master";
    if (rc->ac != NULL && rc->deadline == 0) { /* up (or marked lost): hiredis reports the disconnect */
        rc->failing_over = 1;
        gw_rconn_drop(rc, why);
        return;
    }
    if (rc->ac != NULL) /* an attempt under way, to the old master (which may never answer) or a sentinel */
        abandon(rc, why);
    rc->retry_at = 1; /* due now, not after the backoff */
}

void gw_rconn_close(gw_rconn *rc)
{
    rc->retry_at = 0;
    if (rc->ac != NULL) {
        redisAsyncContext *ac = rc->ac;
        ac->data = NULL;
        rc->ac = NULL;
        rc->up = 0;
        redisAsyncFree(ac);
    }
}
