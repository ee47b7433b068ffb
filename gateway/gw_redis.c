/* gw_redis.c — hiredis on the worker's h2o evloop, reconnects, ts:meta, ts:live.
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
 * replies would be taken for messages by hiredis 0.14), so gw_live.c checks
 * a silent feed against the streams instead. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "ts_log.h"
#include "ts_names.h"

static void on_readable(h2o_socket_t *sock, const char *err)
{
    gw_rconn *rc = sock->data;
    (void)err;
    if (rc != NULL && rc->ac != NULL)
        redisAsyncHandleRead(rc->ac);
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

void gw_rconn_init(gw_rconn *rc, gw_worker *w, const char *name, void (*on_up)(gw_rconn *),
                   void (*on_down)(gw_rconn *))
{
    memset(rc, 0, sizeof(*rc));
    rc->w = w;
    rc->name = name;
    rc->on_up = on_up;
    rc->on_down = on_down;
    ts_backoff_reset(&rc->backoff);
    rc->retry_at = 1; /* due at once */
    snprintf(rc->why, sizeof(rc->why), "not connected yet");
}

/* The reason /readyz shows while the connection is down. `why` may point
 * into rc->why (an earlier reason), hence the copy. */
static void set_why(gw_rconn *rc, const char *why)
{
    char tmp[sizeof(rc->why)];
    snprintf(tmp, sizeof(tmp), "redis %s connection: %.100s", rc->name, why);
    memcpy(rc->why, tmp, sizeof(tmp));
}

/* The connection is gone (or never came): schedule the next attempt. */
static void went_down(gw_rconn *rc, const char *why)
{
    int was_up = rc->up;
    rc->up = 0;
    rc->ac = NULL;
    if (rc->retry_at == 0)
        rc->retry_at = ts_mono_ms() + ts_backoff_next(&rc->backoff);
    if (why != NULL)
        set_why(rc, why);
    if (was_up)
        ts_warn("worker %d: %s", rc->w->id, rc->why);
    rc->on_down(rc);
}

void gw_rconn_lost(gw_rconn *rc, const char *why)
{
    if (!rc->up)
        return;
    rc->up = 0;
    rc->lost_at = ts_mono_ms();
    set_why(rc, why);
    GW_SET(rc->w->ready, 0);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    gw_rconn *rc = ac->data;
    if (rc == NULL)
        return;
    if (status != REDIS_OK) {
        ts_debug("worker %d: redis %s connect failed: %s", rc->w->id, rc->name, ac->errstr);
        went_down(rc, ac->errstr[0] ? ac->errstr : "connect failed");
        return;
    }
    rc->up = 1;
    rc->deadline = 0;
    rc->lost_at = 0;
    rc->ping_sent = 0;
    rc->next_ping = ts_mono_ms() + 1000;
    ts_backoff_reset(&rc->backoff);
    if (rc->connects++ > 0)
        GW_ADD(rc->w->m.redis_reconnects_total, 1);
    ts_info("worker %d: redis %s connection up", rc->w->id, rc->name);
    rc->on_up(rc);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    gw_rconn *rc = ac->data;
    (void)status;
    if (rc == NULL)
        return;
    went_down(rc, ac->errstr[0] ? ac->errstr : "connection closed");
}

static void on_auth_reply(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;
    (void)priv;
    gw_rconn *rc = ac->data;
    if (rc != NULL && reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        ts_error("worker %d: redis %s: AUTH/SELECT refused: %s", rc->w->id, rc->name, reply->str);
        gw_rconn_lost(rc, "AUTH/SELECT refused");
        redisAsyncDisconnect(ac);
    }
}

static void connect_now(gw_rconn *rc)
{
    const ts_redis_url *u = &rc->w->g->cfg.redis;
    rc->retry_at = 0;
    redisAsyncContext *ac = redisAsyncConnect(u->host, u->port);
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
    rc->sock = h2o_evloop_socket_create(rc->w->loop, dupfd, H2O_SOCKET_FLAG_DONT_READ);
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
    rc->deadline = ts_mono_ms() + rc->w->g->cfg.redis_timeout;
    /* Queued now, sent first once connected. */
    if (u->password[0]) {
        if (u->user[0])
            redisAsyncCommand(ac, on_auth_reply, NULL, "AUTH %s %s", u->user, u->password);
        else
            redisAsyncCommand(ac, on_auth_reply, NULL, "AUTH %s", u->password);
    }
    if (u->db != 0)
        redisAsyncCommand(ac, on_auth_reply, NULL, "SELECT %d", u->db);
    ev_add_write(rc); /* the first writable event completes the connect */
}

static void on_pong(redisAsyncContext *ac, void *r, void *priv)
{
    gw_rconn *rc = ac->data;
    (void)priv;
    if (rc == NULL || r == NULL)
        return;
    rc->ping_sent = 0;
    rc->next_ping = ts_mono_ms() + 1000;
}

void gw_rconn_drop(gw_rconn *rc, const char *why)
{
    if (rc->ac == NULL)
        return;
    ts_warn("worker %d: redis %s connection: %s; reconnecting", rc->w->id, rc->name, why);
    gw_rconn_lost(rc, why);
    /* Pending callbacks get a NULL reply, then on_disconnect schedules the retry. */
    redisAsyncFree(rc->ac);
    set_why(rc, why); /* on_disconnect put hiredis' "connection closed" there */
    gw_worker_set_ready(rc->w);
}

void gw_rconn_tick(gw_rconn *rc, int64_t now)
{
    if (rc->up && rc->ping_sent != 0) {
        int64_t limit = 3 * rc->w->g->cfg.redis_timeout > 5000 ? 3 * rc->w->g->cfg.redis_timeout : 5000;
        if (now - rc->ping_sent > limit) {
            char why[96];
            snprintf(why, sizeof(why), "no reply to PING for %lld ms", (long long)(now - rc->ping_sent));
            gw_rconn_drop(rc, why);
        }
    } else if (rc->up && rc == &rc->w->cmd && now >= rc->next_ping) {
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
        redisAsyncContext *ac = rc->ac;
        rc->deadline = 0;
        ac->data = NULL; /* our callbacks ignore it from here on */
        redisAsyncFree(ac);
        went_down(rc, "connect timed out");
    }
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

/* ---- ts:meta ---- */

static int64_t reply_int(const redisReply *r)
{
    if (r->type == REDIS_REPLY_INTEGER)
        return r->integer;
    if (r->type == REDIS_REPLY_STRING)
        return strtoll(r->str, NULL, 10);
    return -1;
}

static void on_meta(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = priv;
    redisReply *reply = r;
    (void)ac;
    w->meta_loading = 0;
    if (reply == NULL) {
        gw_rconn_lost(&w->cmd, "lost while reading ts:meta");
        return;
    }
    gw_meta m;
    memset(&m, 0, sizeof(m));
    m.interval_ms = m.retention_ms = m.epoch = -1;
    int64_t count = -1;
    if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < reply->elements; i += 2) {
            const char *k = reply->element[i]->str;
            int64_t v = reply_int(reply->element[i + 1]);
            if (k == NULL)
                continue;
            if (!strcmp(k, "interval_ms"))
                m.interval_ms = v;
            else if (!strcmp(k, "retention_ms"))
                m.retention_ms = v;
            else if (!strcmp(k, "epoch"))
                m.epoch = v;
            else if (!strcmp(k, "instruments"))
                count = v;
        }
    }
    if (m.interval_ms <= 0 || m.epoch <= 0 || count <= 0 || count > TS_INSTRUMENTS_MAX) {
        pthread_mutex_lock(&w->g->mu); /* /readyz on other threads reads it */
        snprintf(w->reason, sizeof(w->reason), "ts:meta is missing or incomplete (is the generator running?)");
        pthread_mutex_unlock(&w->g->mu);
        w->meta_retry_at = ts_mono_ms() + 500;
        gw_worker_set_ready(w);
        return;
    }
    m.count = (uint32_t)count;
    m.ok = 1;
    gw_live_meta_loaded(w, &m);
}

void gw_redis_load_meta(gw_worker *w)
{
    if (!w->cmd.up || w->meta_loading)
        return;
    w->meta_loading = 1;
    w->meta_retry_at = 0;
    if (redisAsyncCommand(w->cmd.ac, on_meta, w, "HGETALL " TS_KEY_META) != REDIS_OK) {
        w->meta_loading = 0;
        gw_rconn_lost(&w->cmd, "command refused");
    }
}

/* ---- ts:live ---- */

static void on_live(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = priv;
    redisReply *reply = r;
    (void)ac;
    if (reply == NULL) {
        w->subscribed = 0;
        gw_rconn_lost(&w->sub, "subscription lost");
        return;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3)
        return;
    const redisReply *kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING)
        return;
    if (!strcmp(kind->str, "message") && reply->element[2]->type == REDIS_REPLY_STRING) {
        gw_live_on_message(w, reply->element[2]->str, reply->element[2]->len);
    } else if (!strcmp(kind->str, "subscribe")) {
        w->subscribed = 1;
        w->live_rx_ms = ts_mono_ms(); /* the silence check counts from here */
        w->probe_at = w->live_rx_ms;
        ts_info("worker %d: subscribed to " TS_CHANNEL_LIVE, w->id);
        gw_worker_set_ready(w);
    }
}

static void sub_up(gw_rconn *rc)
{
    gw_worker *w = rc->w;
    /* Whatever was published while we were away is found by the gap check. */
    if (redisAsyncCommand(rc->ac, on_live, w, "SUBSCRIBE " TS_CHANNEL_LIVE) != REDIS_OK)
        gw_rconn_lost(rc, "SUBSCRIBE refused");
}

static void sub_down(gw_rconn *rc)
{
    rc->w->subscribed = 0;
    gw_worker_set_ready(rc->w);
}

static void cmd_up(gw_rconn *rc)
{
    gw_worker *w = rc->w;
    gw_redis_load_meta(w);
    gw_catchup_pump(w);
}

static void cmd_down(gw_rconn *rc)
{
    rc->w->meta_loading = 0;
    gw_worker_set_ready(rc->w);
}

void gw_redis_start(gw_worker *w)
{
    gw_rconn_init(&w->sub, w, "subscriber", sub_up, sub_down);
    gw_rconn_init(&w->cmd, w, "command", cmd_up, cmd_down);
    gw_rconn_tick(&w->cmd, ts_mono_ms());
    gw_rconn_tick(&w->sub, ts_mono_ms());
}

void gw_worker_set_ready(gw_worker *w)
{
    int ready = w->sub.up && w->subscribed && w->cmd.up && w->meta.ok;
    pthread_mutex_lock(&w->g->mu);
    if (!w->cmd.up)
        snprintf(w->reason, sizeof(w->reason), "%s", w->cmd.why);
    else if (!w->sub.up || !w->subscribed)
        snprintf(w->reason, sizeof(w->reason), "%s", w->sub.up ? "subscribing to " TS_CHANNEL_LIVE : w->sub.why);
    else if (!w->meta.ok && strstr(w->reason, "ts:meta") == NULL)
        snprintf(w->reason, sizeof(w->reason), "reading ts:meta");
    else if (ready)
        snprintf(w->reason, sizeof(w->reason), "ok");
    pthread_mutex_unlock(&w->g->mu);
    GW_SET(w->ready, ready);
}
