/* gw_worker.c — one worker thread: it makes the parts and wires them.
 *
 * Each part reports up through hooks installed here, never by calling a
 * part above it (docs/ARCHITECTURE.md):
 *
 *   Redis connections (net/gw_rconn)  up/down   → ts:meta, SUBSCRIBE, catch-up pump, /readyz
 *   the sentinel watch (net/gw_rconn) +switch-master → every Redis connection follows the new master
 *   the live feed (core/gw_feed)      hooks     → ring started, ts:meta stale, /readyz
 *   the clients (net/gw_client)       hooks     → gw_session.c
 *
 * The 20 ms tick drives everything time-based, since hiredis has no timers
 * and h2o 2.2's timeouts have one fixed delay each: Redis reconnects with
 * backoff and connect timeouts, ts:meta retries, live-repair restarts,
 * catch-ups waiting for a client to drain, closing clients that do not take
 * their close frame, and the shutdown sequence (SIGTERM: close every
 * WebSocket with 1001, wait up to --close-timeout for them, then stop).
 * Frames reach the sockets once per loop turn (gw_client.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw_worker.h"
#include "gw_rreply.h"
#include "gw_xreply.h"
#include "ts_log.h"
#include "ts_names.h"

#define TICK_MS 20
/* How long the listener rests after accept() failed (accept_failed). */
#define ACCEPT_REST_MS 100

void gw_worker_set_reason(gw_worker *w, const char *reason)
{
    pthread_mutex_lock(&w->g->mu); /* /readyz on other threads reads it */
    snprintf(w->reason, sizeof(w->reason), "%s", reason);
    pthread_mutex_unlock(&w->g->mu);
}

/* Ready when the worker has its four Redis connections, its subscription
 * and ts:meta; otherwise the first thing missing is the reason. */
static void set_ready(gw_worker *w)
{
    int subscribed = w->sub.up && w->feed != NULL && gw_feed_subscribed(w->feed);
    int ready = subscribed && w->cmd.up && w->cu.up && w->rng.up && w->meta.ok;
    pthread_mutex_lock(&w->g->mu);
    if (!w->cmd.up)
        snprintf(w->reason, sizeof(w->reason), "%s", w->cmd.why);
    else if (!w->cu.up)
        snprintf(w->reason, sizeof(w->reason), "%s", w->cu.why);
    else if (!w->rng.up)
        snprintf(w->reason, sizeof(w->reason), "%s", w->rng.why);
    else if (!subscribed)
        snprintf(w->reason, sizeof(w->reason), "%s", w->sub.up ? "subscribing to " TS_CHANNEL_LIVE : w->sub.why);
    else if (!w->meta.ok && strstr(w->reason, "ts:meta") == NULL)
        snprintf(w->reason, sizeof(w->reason), "reading ts:meta");
    else if (ready)
        snprintf(w->reason, sizeof(w->reason), "ok");
    pthread_mutex_unlock(&w->g->mu);
    if (ready && !GW_GET(w->ready))
        GW_SET(w->fresh_at, ts_mono_ms()); /* silence counts from here */
    GW_SET(w->ready, ready);
}

/* Stale: Redis answers and we are subscribed, yet no new tick for
 * --stale-after intervals. The gateway cannot tell a stopped generator from
 * a fenced one or one whose writes Redis refuses (it only reads), so it
 * names the symptom. It stays ready: every gateway sees the same streams,
 * and a 503 from all of them would empty the balancer's pool and cut every
 * session while the history is still worth serving (docs/RELIABILITY.md).
 * A deaf subscriber is gw_probe's business: it is dropped and redone. */
static void check_stale(gw_worker *w, int64_t now)
{
    int ready = GW_GET(w->ready) && w->meta.ok;
    int64_t quiet = now - GW_GET(w->fresh_at);
    int stale = ready && quiet >= w->g->cfg.stale_after * w->meta.interval_ms;
    if (stale == w->stale)
        return;
    w->stale = stale;
    GW_SET(w->m.feed_stale, (uint64_t)stale);
    if (stale) {
        w->stale_since = now - quiet;
        GW_ADD(w->m.feed_stale_total, 1);
        ts_warn("worker %d: no new tick for %lld intervals (%.1f s) while Redis answers: the generator is stopped, "
                "fenced or its writes are refused (/readyz says so, tickgw_feed_stale)",
                w->id, (long long)(quiet / w->meta.interval_ms), (double)quiet / 1000.0);
    } else if (ready) {
        ts_info("worker %d: new ticks again after %.1f s without", w->id, (double)(now - w->stale_since) / 1000.0);
    }
}

/* ---- ts:meta ---- */

static void meta_apply(gw_worker *w, const ts_meta *m)
{
    if (gw_meta_same(&w->meta, m)) {
        gw_meta_update(&w->meta, m);
        set_ready(w);
        return;
    }
    if (w->meta.count != 0) {
        /* New history (epoch) or a new shape: what clients hold is void. They
         * reconnect, resubscribe and get hist with the new epoch. */
        ts_warn("worker %d: ts:meta changed (epoch %lld -> %lld); closing clients", w->id, (long long)w->meta.epoch,
                (long long)m->epoch);
        gw_clients_close_all(w->clients, 1012, "history changed (new epoch); reconnect");
        GW_ADD(w->m.epoch_changes_total, 1);
    }
    if (gw_meta_set(&w->meta, m) != 0 || gw_feed_configure(w->feed) != 0) {
        ts_error("worker %d: out of memory for %lld instruments", w->id, (long long)m->instruments);
        gw_meta_free(&w->meta);
        w->meta_retry_at = ts_mono_ms() + 5000;
        set_ready(w);
        return;
    }
    ts_info("worker %d: %u instruments every %lld ms, epoch %lld, ring %u rows", w->id, w->meta.count,
            (long long)w->meta.interval_ms, (long long)w->meta.epoch, gw_feed_ring(w->feed)->cap);
    set_ready(w);
}

static void on_meta(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = priv;
    (void)ac;
    w->meta_loading = 0;
    if (r == NULL) {
        gw_rconn_lost(&w->cmd, "lost while reading ts:meta");
        return;
    }
    ts_meta m;
    char why[128];
    if (ts_meta_read(r, &m) != 0 || !ts_meta_valid(&m, why, sizeof(why))) {
        gw_worker_set_reason(w, "ts:meta is missing or incomplete (is the generator running?)");
        w->meta_retry_at = ts_mono_ms() + 500;
        set_ready(w);
        return;
    }
    meta_apply(w, &m);
}

static void load_meta(gw_worker *w)
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

/* The catch-up and range connections cannot read ROLE (their readers turn
 * every array reply into their own structs), so with Sentinel they are
 * trusted only on the server whose ROLE the command connection read as
 * "master": one up elsewhere (a sentinel's stale answer naming a replica)
 * is dropped and asks again. A replica lagging behind would answer a
 * catch-up with a stream that ends early, and the catch-up could take the
 * missing ticks for a real hole (docs/REDIS.md, "Sentinel failover"). */
static void check_peer(gw_worker *w, gw_rconn *rc)
{
    if (w->g->cfg.redis.nsentinels == 0 || !w->cmd.up || !rc->up)
        return;
    if (rc->peer.port != w->cmd.peer.port || strcmp(rc->peer.host, w->cmd.peer.host) != 0)
        gw_rconn_drop(rc, "not on the server whose ROLE the command connection read as master");
}

/* ---- hooks ---- */

static void cmd_up(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    check_peer(w, &w->cu);
    check_peer(w, &w->rng);
    load_meta(w);
}

static void cmd_down(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    w->meta_loading = 0;
    set_ready(w);
}

static void sub_up(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    gw_feed_sub_up(w->feed);
}

static void sub_read(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    gw_feed_read_done(w->feed);
}

static void sub_down(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    gw_feed_sub_down(w->feed);
    set_ready(w);
}

static void cu_up(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    check_peer(w, rc);
    if (!rc->up)
        return;
    gw_catchup_pump(w->catchup);
    set_ready(w);
}

static void cu_down(gw_rconn *rc)
{
    set_ready(rc->o.data);
}

/* The range connection: up or down only changes readiness (a read in
 * flight when it goes gets its NULL reply: gw_range.c). */
static void rng_changed(gw_rconn *rc)
{
    check_peer(rc->o.data, rc);
    set_ready(rc->o.data);
}

/* A message on the sentinel watch: a +switch-master of our master moves
 * every connection of this worker to the new master. */
static void on_watch_message(redisAsyncContext *ac, void *r, void *priv)
{
    gw_worker *w = priv;
    ts_redis_addr to;
    char why[160];
    (void)ac;
    if (r != NULL)
        gw_rconn_heard(&w->watch);
    int rc = ts_sentinel_switch(&w->g->cfg.redis, r, &to, why, sizeof(why));
    if (rc >= 1) {
        ts_info("worker %d: sentinel %s:%d: %s names %s:%d", w->id, w->watch.peer.host, w->watch.peer.port,
                rc == 1 ? "+switch-master" : "the watch's answer", to.host, to.port);
        gw_rconn_switch(&w->cmd, &to, rc == 2);
        gw_rconn_switch(&w->sub, &to, rc == 2);
        gw_rconn_switch(&w->cu, &to, rc == 2);
        gw_rconn_switch(&w->rng, &to, rc == 2);
    } else if (rc < 0) {
        gw_rconn_drop(&w->watch, why);
    }
}

/* The watch's liveness probe (gw_rconn.h); its reply is heard above. */
static int watch_probe(gw_rconn *rc)
{
    return ts_sentinel_watch_probe(rc->ac, on_watch_message, rc->o.data) == REDIS_OK ? 0 : -1;
}

static void watch_up(gw_rconn *rc)
{
    gw_worker *w = rc->o.data;
    if (ts_sentinel_watch(rc->ac, rc->o.url, on_watch_message, w) != REDIS_OK) {
        gw_rconn_lost(rc, "SUBSCRIBE refused by hiredis");
        return;
    }
    rc->ping_sent = ts_mono_ms(); /* the question and SUBSCRIBE are the first probe */
    ts_info("worker %d: watching +switch-master on sentinel %s:%d", w->id, rc->peer.host, rc->peer.port);
}

/* The watch does not make the worker unready: it only speeds a move up. */
static void watch_down(gw_rconn *rc)
{
    (void)rc;
}

static void feed_ring_started(void *arg)
{
    gw_worker *w = arg;
    gw_catchup_ring_started(w->catchup);
    gw_boards_ring_started(w->boards);
}

static size_t feed_row_appended(void *arg, int64_t t, const int32_t *prices)
{
    gw_worker *w = arg;
    GW_SET(w->fresh_at, ts_mono_ms());
    return gw_boards_row(w->boards, t, prices);
}

static void feed_meta_stale(void *arg)
{
    load_meta(arg);
}

static void feed_ready_changed(void *arg)
{
    set_ready(arg);
}

/* ---- the loop ---- */

/* accept() failed with the connection still queued (EMFILE: out of
 * descriptors, which gw_guard.c's count should leave none to reach): the
 * listener is level-triggered, so it rests for ACCEPT_REST_MS, resumed by
 * the tick, rather than wake the loop at once again, and it is said, once a
 * minute at most. */
static void accept_failed(gw_worker *w, int e)
{
    int64_t now = ts_mono_ms();
    if (GW_ADD(w->m.accept_failed_total, 1) == 0 || now - w->accept_logged_at >= 60000) {
        w->accept_logged_at = now;
        ts_error("worker %d: accept failed (%s): clients wait in the listen backlog; raise the open files limit "
                 "(counted in tickgw_accept_failed_total)",
                 w->id, strerror(e));
    }
    h2o_socket_read_stop(w->listener);
    w->accept_paused_until = now + ACCEPT_REST_MS;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    gw_worker *w = listener->data;
    if (err != NULL)
        return;
    /* Level-triggered and shared by all workers: take a few, let others have the rest. */
    for (int i = 0; i < 16; i++) {
        errno = 0;
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL) {
            if (errno != 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED && errno != EINTR)
                accept_failed(w, errno);
            return;
        }
        if (gw_guard_accept(w, sock) == 0)
            h2o_accept(&w->accept, sock);
    }
}

static void begin_stop(gw_worker *w, int64_t now)
{
    w->stopping = 1;
    w->stop_deadline = now + w->g->cfg.close_timeout;
    if (w->listener != NULL) {
        h2o_socket_read_stop(w->listener);
        h2o_socket_close(w->listener);
        w->listener = NULL;
    }
    gw_clients_close_all(w->clients, 1001, "server shutting down");
}

static void tick_rconns(gw_worker *w, int64_t now)
{
    gw_rconn_tick(&w->cmd, now);
    gw_rconn_tick(&w->sub, now);
    gw_rconn_tick(&w->cu, now);
    gw_rconn_tick(&w->rng, now);
    if (w->g->cfg.redis.nsentinels > 0)
        gw_rconn_tick(&w->watch, now);
}

static void on_tick(void *data)
{
    gw_worker *w = data;
    int64_t now = ts_mono_ms();
    if (!w->stopping && __atomic_load_n(&w->g->stopping, __ATOMIC_RELAXED))
        begin_stop(w, now);
    if (w->stopping) {
        gw_clients_tick(w->clients, now, 1);
        if (gw_clients_empty(w->clients) || now > w->stop_deadline + 500)
            w->done = 1;
        return;
    }
    if (w->accept_paused_until != 0 && now >= w->accept_paused_until) {
        w->accept_paused_until = 0;
        h2o_socket_read_start(w->listener, on_accept);
    }
    tick_rconns(w, now);
    if (w->cmd.up && !w->meta_loading && w->meta_retry_at != 0 && now >= w->meta_retry_at)
        load_meta(w);
    gw_feed_tick(w->feed);
    check_stale(w, now);
    gw_boards_tick(w->boards);
    gw_catchup_tick(w->catchup);
    gw_candles_tick(w->candles);
    gw_clients_tick(w->clients, now, 0);
}

static void rconn_start(gw_worker *w, gw_rconn *rc, const char *name, int ping, int (*setup)(redisContext *),
                        void (*up)(gw_rconn *), void (*down)(gw_rconn *))
{
    gw_rconn_opts o = {.name = name,
                       .watch = rc == &w->watch,
                       .url = &w->g->cfg.redis,
                       .timeout_ms = w->g->cfg.redis_timeout,
                       .ping = ping,
                       .probe = rc == &w->watch ? watch_probe : NULL,
                       .setup = setup,
                       .on_up = up,
                       .on_down = down,
                       .on_read = rc == &w->sub ? sub_read : NULL,
                       .data = w,
                       .reconnects = rc == &w->watch ? NULL : &w->m.redis_reconnects_total,
                       /* one count per worker and failover: the command connection's */
                       .failovers = rc == &w->cmd ? &w->m.redis_failovers_total : NULL};
    gw_rconn_init(rc, w->loop, w->id, &o);
}

/* Makes the parts, bottom up; -1 when out of memory. */
static int make_parts(gw_worker *w)
{
    const gw_config *cfg = &w->g->cfg;
    gw_client_limits lim = {cfg->max_msg,       cfg->send_queue, cfg->close_timeout,
                            cfg->ping_interval, cfg->ws_deflate, cfg->write_pace};
    gw_feed_hooks fh = {feed_ring_started, feed_meta_stale, feed_ready_changed, feed_row_appended, w};
    /* The clients' flush is a zero timeout that must run last in a turn:
     * gw_clients_new is the worker's last h2o_timeout_init (gw_client.h). */
    w->clients = gw_clients_new(w->loop, w->id, &lim, &w->m, gw_session_hooks());
    w->feed = gw_feed_new(w->id, cfg, &w->meta, &w->cmd, &w->sub, &w->m, &fh);
    w->catchup = gw_catchup_new(w->id, cfg, &w->meta, w->feed, &w->cu, &w->m);
    w->boards = gw_boards_new(&w->meta, w->feed, &w->cmd, &w->m);
    w->candles = gw_candles_new(cfg, &w->meta, w->feed, w->catchup, &w->rng);
    if (w->clients == NULL || w->feed == NULL || w->catchup == NULL || w->boards == NULL || w->candles == NULL ||
        gw_http_worker_init(w) != 0)
        return -1;
    rconn_start(w, &w->cmd, "command", 1, NULL, cmd_up, cmd_down);
    rconn_start(w, &w->sub, "subscriber", 0, NULL, sub_up, sub_down);
    rconn_start(w, &w->cu, "catch-up", 1, gw_xreader_attach, cu_up, cu_down);
    rconn_start(w, &w->rng, "range", 1, gw_rreader_attach, rng_changed, rng_changed);
    rconn_start(w, &w->watch, "sentinel watch", 0, NULL, watch_up, watch_down);
    return 0;
}

static void *run(void *arg)
{
    gw_worker *w = arg;
    h2o_context_init(&w->ctx, w->loop, &w->g->h2o);
    w->accept.ctx = &w->ctx;
    w->accept.hosts = w->g->h2o.hosts;
    const char *why = make_parts(w) != 0 ? "out of memory"
                      : (w->tick = gw_mtick_start(w->loop, TICK_MS, on_tick, w)) == NULL ? strerror(errno)
                                                                                         : NULL;
    if (why != NULL) {
        ts_error("worker %d: cannot start: %s", w->id, why);
        __atomic_store_n(&w->g->stopping, 1, __ATOMIC_RELAXED);
        w->done = 1;
    } else {
        tick_rconns(w, ts_mono_ms()); /* connect to Redis now, not at the first tick */
        h2o_socket_read_start(w->listener, on_accept);
    }

    while (!w->done)
        h2o_evloop_run(w->loop, INT32_MAX);

    /* Leave nothing behind for the sanitizers: Redis first (its NULL replies
     * reach subscriptions), then the clients, then the parts they use. */
    gw_rconn_close(&w->cmd);
    gw_rconn_close(&w->sub);
    gw_rconn_close(&w->cu);
    gw_rconn_close(&w->rng);
    gw_rconn_close(&w->watch);
    gw_clients_free(w->clients);
    gw_candles_free(w->candles);
    gw_catchup_free(w->catchup);
    gw_boards_free(w->boards);
    gw_feed_free(w->feed);
    gw_meta_free(&w->meta);
    gw_http_worker_free(w);
    gw_mtick_free(w->tick);
    /* Report done and park rather than return: h2o keeps per-thread free
     * lists (thread-local) and idle HTTP keep-alive connections that it has
     * no API to release; a thread that stays alive until exit() keeps them
     * reachable, so LeakSanitizer reports only real leaks. */
    pthread_mutex_lock(&w->g->mu);
    w->g->stopped++;
    pthread_cond_signal(&w->g->stopped_cond);
    pthread_mutex_unlock(&w->g->mu);
    for (;;)
        pause();
    return NULL;
}

int gw_worker_start(gw_worker *w)
{
    w->loop = h2o_evloop_create();
    int fd = dup(w->g->listen_fd);
    if (fd < 0) {
        ts_error("dup of the listening socket failed: %s", strerror(errno));
        return -1;
    }
    w->listener = h2o_evloop_socket_create(w->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    w->listener->data = w;
    int rc = pthread_create(&w->thread, NULL, run, w);
    if (rc != 0) {
        ts_error("cannot start worker thread: %s", strerror(rc));
        return -1;
    }
    return 0;
}
