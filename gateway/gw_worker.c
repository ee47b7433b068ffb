/* gw_worker.c — one worker thread: its loop, its listener, its 20 ms tick.
 *
 * The tick drives everything time-based, since hiredis has no timers and h2o
 * 2.2's timeouts have one fixed delay each: Redis reconnects with backoff and
 * connect timeouts, ts:meta retries, live-repair restarts, catch-ups waiting
 * for a client to drain, closing clients that do not take their close frame,
 * and the shutdown sequence (SIGTERM: close every WebSocket with 1001, wait
 * up to --close-timeout for them, then stop). */
#include <errno.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "ts_log.h"

#define TICK_MS 20

static void on_accept(h2o_socket_t *listener, const char *err)
{
    gw_worker *w = listener->data;
    if (err != NULL)
        return;
    /* Level-triggered and shared by all workers: take a few, let others have the rest. */
    for (int i = 0; i < 16; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            return;
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
    gw_ws_close_all(w, 1001, "server shutting down");
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    gw_worker *w = H2O_STRUCT_FROM_MEMBER(gw_worker, tick_entry, entry);
    int64_t now = ts_mono_ms();
    if (!w->stopping && __atomic_load_n(&w->g->stopping, __ATOMIC_RELAXED))
        begin_stop(w, now);
    if (w->stopping) {
        gw_ws_tick(w, now);
        if (h2o_linklist_is_empty(&w->clients) || now > w->stop_deadline + 500) {
            w->done = 1;
            return;
        }
        h2o_timeout_link(w->loop, &w->tick_timeout, &w->tick_entry);
        return;
    }
    gw_rconn_tick(&w->cmd, now);
    gw_rconn_tick(&w->sub, now);
    if (w->cmd.up && !w->meta_loading && w->meta_retry_at != 0 && now >= w->meta_retry_at)
        gw_redis_load_meta(w);
    gw_live_tick(w);
    gw_catchup_tick(w);
    gw_ws_tick(w, now);
    h2o_timeout_link(w->loop, &w->tick_timeout, &w->tick_entry);
}

static void *run(void *arg)
{
    gw_worker *w = arg;
    h2o_context_init(&w->ctx, w->loop, &w->g->h2o);
    w->accept.ctx = &w->ctx;
    w->accept.hosts = w->g->h2o.hosts;
    gw_redis_start(w);
    h2o_timeout_init(w->loop, &w->tick_timeout, TICK_MS);
    w->tick_entry.cb = on_tick;
    h2o_timeout_link(w->loop, &w->tick_timeout, &w->tick_entry);
    h2o_socket_read_start(w->listener, on_accept);

    while (!w->done)
        h2o_evloop_run(w->loop, INT32_MAX);

    /* Leave nothing behind for the sanitizers: Redis first (its replies may touch clients). */
    gw_rconn_close(&w->cmd);
    gw_rconn_close(&w->sub);
    gw_ws_tick(w, INT64_MAX);
    if (h2o_timeout_is_linked(&w->tick_entry))
        h2o_timeout_unlink(&w->tick_entry);
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
    h2o_linklist_init_anchor(&w->clients);
    h2o_linklist_init_anchor(&w->dirty);
    h2o_linklist_init_anchor(&w->closing);
    h2o_linklist_init_anchor(&w->queued);
    h2o_linklist_init_anchor(&w->wait_sync);
    h2o_linklist_init_anchor(&w->wait_drain);
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
