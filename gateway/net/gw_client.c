/* gw_client.c — see gw_client.h.
 *
 * Keepalive: a client that has sent nothing for --ping-interval gets a ping;
 * one silent for twice that is dropped (its peer is gone: a pulled cable or
 * a NAT that forgot it never shows up as a socket error).
 *
 * Memory bound: a client whose send queue (gw_client_queued) passes
 * --send-queue bytes is closed 1008 and counted; catch-up pauses at a
 * quarter of the cap until the client drains (gw_catchup.c), so only a
 * client that does not read hits it.
 * A closing client gets --close-timeout ms to take its close frame, then its
 * socket is dropped, which frees its queue.
 *
 * SSE clients never speak, so their keepalive runs the other way: a stream
 * quiet for --ping-interval gets a comment line, and one whose write has
 * not completed for twice that (the peer takes nothing: gone or stuck) is
 * dropped and counted as a ping timeout. A close is an `event: close` with
 * the same code and reason a WebSocket gets, then the end of the stream.
 *
 * Pacing (gw_client.h, gw_pace.h): the flush writes a dirty client at once
 * unless only live frames are queued and its last write is under
 * --write-pace ago; then it joins set->paced, until a later flush finds its
 * last write a pace ago or the pace timer finds its time up. Times are the
 * monotonic clock's, as everywhere else in the gateway, so no step of the
 * wall clock moves a pacing point: the turn's start on that clock
 * (gw_mtick_now), which is also where h2o counts a timeout's delay from,
 * so the timer linked for `due - now` is never woken early, and the flush
 * and the timer of one turn see one time. The worker's gw_mtick moves the
 * timer with the loop's other timeouts when the wall clock steps; should it
 * run early all the same (a step not yet seen), it writes only the clients
 * whose time is up and links itself again. h2o 2.2's
 * timeouts have one fixed delay per h2o_timeout_t; the pace timer holds one
 * entry only, so its delay (the public `timeout` field h2o_timeout_init
 * sets, read at every run) is set before each link. Its h2o_timeout_init
 * comes before the flush's: a turn's timeouts run in that order, and the
 * flush stays the last. A client the timer writes leaves the dirty list:
 * with nothing left to write, the flush of the same turn must not queue it
 * to wait again (a tick that came in that turn went out with that write). */
#include "gw_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_mtick.h"
#include "ts_log.h"
#include "ts_time.h"

struct gw_clients {
    h2o_loop_t *loop;
    int worker_id;
    gw_client_limits lim;
    gw_wmetrics *m;
    gw_client_hooks hooks;
    h2o_linklist_t all, dirty, closing;
    h2o_timeout_t flush_timeout; /* zero: fires at the end of the turn that armed it */
    h2o_timeout_entry_t flush_entry;
    gw_paceq paced;              /* clients waiting for their pacing point */
    h2o_timeout_t pace_timeout;  /* its delay set per link: the head's pacing point */
    h2o_timeout_entry_t pace_entry;
    int64_t pace_armed;          /* the pacing point the pace timer is linked for */
    int64_t ping_scan_at; /* mono ms of the next keepalive scan */
    gw_deflate *z;        /* with lim.deflate: the codec all of this worker's WebSockets share */
};

static void on_flush(h2o_timeout_entry_t *entry);
static void on_pace(h2o_timeout_entry_t *entry);

gw_clients *gw_clients_new(h2o_loop_t *loop, int worker_id, const gw_client_limits *lim, gw_wmetrics *m,
                           const gw_client_hooks *hooks)
{
    gw_clients *set = calloc(1, sizeof(*set));
    if (set == NULL)
        return NULL;
    set->loop = loop;
    set->worker_id = worker_id;
    set->lim = *lim;
    set->m = m;
    set->hooks = *hooks;
    if (lim->deflate && (set->z = gw_deflate_new()) == NULL) {
        free(set);
        return NULL;
    }
    h2o_linklist_init_anchor(&set->all);
    h2o_linklist_init_anchor(&set->dirty);
    h2o_linklist_init_anchor(&set->closing);
    gw_paceq_init(&set->paced);
    h2o_timeout_init(loop, &set->pace_timeout, 0);
    set->pace_entry.cb = on_pace;
    /* Initialised after every other timeout of the loop, so it runs last in a turn. */
    h2o_timeout_init(loop, &set->flush_timeout, 0);
    set->flush_entry.cb = on_flush;
    return set;
}

/* urgent: something besides live frames was queued (gw_client.h). */
static void mark_dirty(gw_client *c, int urgent)
{
    c->urgent |= urgent;
    if (c->dirty)
        return;
    c->dirty = 1;
    h2o_linklist_insert(&c->set->dirty, &c->dirty_link);
    if (!h2o_timeout_is_linked(&c->set->flush_entry))
        h2o_timeout_link(c->set->loop, &c->set->flush_timeout, &c->set->flush_entry);
}

static gw_wire *wire_of(gw_client *c)
{
    return c->kind == GW_CLIENT_SSE ? &c->sse.wire : &c->ws.wire;
}

static void client_free(gw_client *c)
{
    gw_clients *set = c->set;
    set->hooks.on_free(c);
    if (c->kind == GW_CLIENT_SSE)
        gw_sseconn_dispose(&c->sse);
    else
        gw_wsconn_dispose(&c->ws);
    h2o_linklist_unlink(&c->link);
    if (c->dirty)
        h2o_linklist_unlink(&c->dirty_link);
    gw_paceq_remove(&c->pace);
    if (h2o_linklist_is_linked(&c->closing_link))
        h2o_linklist_unlink(&c->closing_link);
    GW_SUB(set->m->connections, 1);
    free(c);
}

/* Hands c's queued frames to its socket in one write; may free c. */
static void client_write(gw_client *c, int64_t now)
{
    gw_paceq_remove(&c->pace);
    if (c->dirty) {
        h2o_linklist_unlink(&c->dirty_link);
        c->dirty = 0;
    }
    c->urgent = 0;
    c->written_at = now;
    if (c->kind == GW_CLIENT_SSE)
        gw_sseconn_proceed(&c->sse);
    else
        gw_wsconn_proceed(&c->ws);
}

/* Links the pace timer for the head of set->paced, unless it already is. */
static void arm_pace(gw_clients *set, int64_t now)
{
    int64_t due = gw_paceq_next(&set->paced);
    if (h2o_timeout_is_linked(&set->pace_entry)) {
        if (due == set->pace_armed)
            return;
        h2o_timeout_unlink(&set->pace_entry);
    }
    if (due < 0)
        return;
    set->pace_armed = due;
    set->pace_timeout.timeout = (uint64_t)(due > now ? due - now : 0);
    h2o_timeout_link(set->loop, &set->pace_timeout, &set->pace_entry);
}

/* The only flush: every dirty client's queued frames go out in one write
 * each, but for the clients whose live frames wait for their pacing point. */
static void on_flush(h2o_timeout_entry_t *entry)
{
    gw_clients *set = H2O_STRUCT_FROM_MEMBER(gw_clients, flush_entry, entry);
    int64_t now = gw_mtick_now(set->loop), pace = set->lim.write_pace;
    int moved = 0;
    while (!h2o_linklist_is_empty(&set->dirty)) {
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, dirty_link, set->dirty.next);
        h2o_linklist_unlink(&c->dirty_link);
        c->dirty = 0;
        if (!c->urgent && !c->closing) {
            int64_t at = gw_pace_at(pace, c->written_at, now);
            if (at > now && gw_paceq_queued(&c->pace))
                continue; /* waits already, until the time it got first */
            if (at > now) {
                moved |= gw_paceq_add(&set->paced, &c->pace, at);
                GW_ADD(set->m->writes_paced_total, 1);
                continue;
            }
        }
        client_write(c, now); /* may free c */
    }
    if (moved || !h2o_timeout_is_linked(&set->pace_entry))
        arm_pace(set, now);
    gw_metrics_fanout_flushed(set->m);
}

/* Waited long enough (a pace since the first frame waited): those clients'
 * frames go out, one write each. */
static void on_pace(h2o_timeout_entry_t *entry)
{
    gw_clients *set = H2O_STRUCT_FROM_MEMBER(gw_clients, pace_entry, entry);
    int64_t now = gw_mtick_now(set->loop);
    gw_pace_entry *e;
    while ((e = gw_paceq_pop(&set->paced, now)) != NULL)
        client_write(H2O_STRUCT_FROM_MEMBER(gw_client, pace, e), now); /* may free it */
    arm_pace(set, now);
}

size_t gw_client_queued(const gw_client *c)
{
    return c->kind == GW_CLIENT_SSE ? gw_sseconn_queued(&c->sse) : gw_wsconn_queued(&c->ws);
}

/* `event: close` with the code and reason a WebSocket would get (ours: no
 * quotes or backslashes to escape). */
static void sse_close(gw_sseconn *sse, uint16_t code, const char *reason)
{
    char ev[192];
    int n = snprintf(ev, sizeof(ev), "event: close\ndata: {\"code\":%u,\"reason\":\"%s\"}\n\n", code, reason);
    gw_sseconn_put(sse, ev, n > 0 && (size_t)n < sizeof(ev) ? (size_t)n : 0);
    gw_sseconn_finish(sse);
}

void gw_client_close(gw_client *c, uint16_t code, const char *reason)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->close_deadline = ts_mono_ms() + c->set->lim.close_timeout;
    h2o_linklist_insert(&c->set->closing, &c->closing_link);
    c->set->hooks.on_closing(c);
    if (c->kind == GW_CLIENT_SSE)
        sse_close(&c->sse, code, reason);
    else
        wslay_event_queue_close(c->ws.ctx, code, (const uint8_t *)reason, strlen(reason));
    mark_dirty(c, 1);
}

/* After a message was queued: counts it, marks the client dirty, and closes
 * it when its queue passed the cap. */
static int queued_one(gw_client *c, size_t len, int live)
{
    gw_clients *set = c->set;
    GW_ADD(set->m->messages_sent_total, 1);
    GW_ADD(set->m->bytes_sent_total, len);
    mark_dirty(c, !live);
    size_t queued = gw_client_queued(c);
    if (queued > (size_t)set->lim.send_queue) {
        char reason[96];
        snprintf(reason, sizeof(reason), "slow client: send queue over %lld bytes", (long long)set->lim.send_queue);
        GW_ADD(set->m->slow_closes_total, 1);
        ts_info("worker %d: closing a slow client (%zu bytes queued)", set->worker_id, queued);
        gw_client_close(c, 1008, reason);
        return -1;
    }
    return 0;
}

static int send_msg(gw_client *c, const char *data, size_t len, int live)
{
    if (c->closing)
        return -1;
    if (c->kind == GW_CLIENT_SSE) {
        gw_sseconn_put(&c->sse, data, len);
        return queued_one(c, len, live);
    }
    if (gw_wsconn_send(&c->ws, c->text, data, len) != 0) {
        gw_client_close(c, 1011, "internal error");
        return -1;
    }
    return queued_one(c, len, live);
}

int gw_client_send(gw_client *c, const char *data, size_t len)
{
    return send_msg(c, data, len, 0);
}

int gw_client_send_live(gw_client *c, const char *data, size_t len)
{
    return send_msg(c, data, len, 1);
}

int gw_client_send_tick(gw_client *c, uint32_t key, int64_t t, const char *data, size_t len, int live)
{
    if (c->kind != GW_CLIENT_SSE)
        return send_msg(c, data, len, live);
    if (c->closing)
        return -1;
    gw_sseconn_put(&c->sse, data, len);
    gw_sseconn_end_tick(&c->sse, key, t);
    return queued_one(c, len, live);
}

static void on_ws_msg(gw_wsconn *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, ws, conn);
    if (arg == NULL) {
        client_free(c);
        return;
    }
    if (wslay_is_ctrl_frame(arg->opcode) || c->closing)
        return;
    c->set->hooks.on_msg(c, (const char *)arg->msg, arg->msg_length, arg->opcode == WSLAY_TEXT_FRAME);
}

static void on_sse_gone(gw_sseconn *conn)
{
    client_free(H2O_STRUCT_FROM_MEMBER(gw_client, sse, conn));
}

static gw_client *client_new(gw_clients *set, gw_client_kind kind, size_t size)
{
    gw_client *c = calloc(1, size < sizeof(gw_client) ? sizeof(gw_client) : size);
    if (c == NULL)
        return NULL;
    c->set = set;
    c->kind = kind;
    c->written_at = GW_PACE_NEVER;
    return c;
}

static gw_client *client_added(gw_clients *set, gw_client *c)
{
    h2o_linklist_insert(&set->all, &c->link);
    GW_ADD(set->m->connections, 1);
    GW_ADD(set->m->accepted_total, 1);
    return c;
}

gw_client *gw_clients_upgrade(gw_clients *set, h2o_req_t *req, const char *key, int text, const char *pmd,
                              size_t size)
{
    gw_client *c = client_new(set, GW_CLIENT_WS, size);
    if (c == NULL)
        return NULL;
    c->text = text;
    if (gw_wsconn_upgrade(&c->ws, req, key, on_ws_msg, (uint64_t)set->lim.max_msg, set->z, pmd) != 0) {
        gw_wsconn_dispose(&c->ws);
        free(c);
        return NULL;
    }
    return client_added(set, c);
}

gw_client *gw_clients_sse(gw_clients *set, h2o_req_t *req, const uint32_t *keys, const int64_t *since, uint32_t n,
                          size_t size)
{
    gw_client *c = client_new(set, GW_CLIENT_SSE, size);
    if (c == NULL)
        return NULL;
    if (gw_sseconn_start(&c->sse, req, on_sse_gone, keys, since, n, 2 * set->lim.ping_interval) != 0) {
        gw_sseconn_dispose(&c->sse);
        free(c);
        return NULL;
    }
    return client_added(set, c);
}

void gw_clients_close_all(gw_clients *set, uint16_t code, const char *reason)
{
    for (h2o_linklist_t *l = set->all.next; l != &set->all; l = l->next)
        gw_client_close(H2O_STRUCT_FROM_MEMBER(gw_client, link, l), code, reason);
}

/* An SSE stream: a comment when quiet, dropped when its peer takes nothing. */
static void sse_keepalive(gw_client *c, int64_t now)
{
    gw_clients *set = c->set;
    int64_t iv = set->lim.ping_interval;
    gw_wire *w = &c->sse.wire;
    if (h2o_socket_is_writing(w->sock) && now - w->write_at_ms >= 2 * iv) {
        ts_info("worker %d: dropping an SSE client that took nothing for %lld ms", set->worker_id,
                (long long)(now - w->write_at_ms));
        GW_ADD(set->m->ping_timeouts_total, 1);
        client_free(c);
    } else if (now - c->sse.last_tx_ms >= iv) {
        gw_sseconn_put(&c->sse, ": keepalive\n\n", 13);
        mark_dirty(c, 1);
    }
}

/* Once a second at most: ping the silent, drop the ones silent for two intervals. */
static void keepalive(gw_clients *set, int64_t now)
{
    int64_t iv = set->lim.ping_interval;
    if (now < set->ping_scan_at)
        return;
    set->ping_scan_at = now + (iv / 4 < 1000 ? iv / 4 : 1000);
    h2o_linklist_t *next;
    for (h2o_linklist_t *l = set->all.next; l != &set->all; l = next) {
        next = l->next;
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, link, l);
        gw_wire *w = wire_of(c);
        if (c->closing || w->sock == NULL)
            continue;
        if (c->kind == GW_CLIENT_SSE) {
            sse_keepalive(c, now);
            continue;
        }
        int64_t idle = now - w->last_rx_ms;
        if (idle >= 2 * iv) {
            ts_info("worker %d: dropping a client silent for %lld ms", set->worker_id, (long long)idle);
            GW_ADD(set->m->ping_timeouts_total, 1);
            client_free(c);
        } else if (idle >= iv && c->ping_sent_ms <= w->last_rx_ms) {
            struct wslay_event_msg m = {WSLAY_PING, NULL, 0};
            if (wslay_event_queue_msg(c->ws.ctx, &m) == 0) {
                c->ping_sent_ms = now;
                mark_dirty(c, 1);
            }
        }
    }
}

void gw_clients_tick(gw_clients *set, int64_t now, int stopping)
{
    h2o_linklist_t *next;
    for (h2o_linklist_t *l = set->closing.next; l != &set->closing; l = next) {
        next = l->next;
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, closing_link, l);
        if (now > c->close_deadline && wire_of(c)->sock != NULL)
            client_free(c); /* it did not take its close frame in time: drop socket and queue */
    }
    if (!stopping)
        keepalive(set, now);
}

int gw_clients_empty(gw_clients *set)
{
    return h2o_linklist_is_empty(&set->all);
}

void gw_clients_free(gw_clients *set)
{
    if (set == NULL)
        return;
    while (!h2o_linklist_is_empty(&set->all))
        client_free(H2O_STRUCT_FROM_MEMBER(gw_client, link, set->all.next));
    if (h2o_timeout_is_linked(&set->flush_entry))
        h2o_timeout_unlink(&set->flush_entry);
    if (h2o_timeout_is_linked(&set->pace_entry))
        h2o_timeout_unlink(&set->pace_entry);
    h2o_timeout_dispose(set->loop, &set->flush_timeout);
    h2o_timeout_dispose(set->loop, &set->pace_timeout);
    gw_deflate_free(set->z);
    free(set);
}
