/* gw_ws.c — WebSocket connections: upgrade, requests, sends, closes.
 *
 * Sending: gw_client_send queues a copy into wslay and marks the client
 * dirty; gw_ws_flush runs gw_wsconn_proceed once per dirty client after a
 * batch (a Redis reply, a timer), so a broadcast costs one write per client,
 * not one per message (gw_wsconn.c puts all queued frames in one write).
 * Inside a client's own message callback nothing is flushed: its proceed is
 * on the stack and sends what was queued when the callback returns.
 *
 * Keepalive: a client that has sent nothing for --ping-interval gets a ping;
 * one silent for twice that is dropped (its peer is gone: a pulled cable or
 * a NAT that forgot it never shows up as a socket error).
 *
 * Memory bound: a client whose wslay queue passes --send-queue bytes is
 * closed 1008 and counted; catch-up pauses at a quarter of the cap until the
 * client drains (gw_catchup.c), so only a client that does not read hits it.
 * A closing client gets --close-timeout ms to take its close frame, then its
 * socket is dropped, which frees its queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include <h2o/websocket.h> /* h2o_is_websocket_handshake */
#include "ts_log.h"
#include "ts_names.h"

static void mark_dirty(gw_client *c)
{
    if (!c->dirty) {
        c->dirty = 1;
        h2o_linklist_insert(&c->w->dirty, &c->dirty_link);
    }
}

static void client_free(gw_client *c)
{
    gw_worker *w = c->w;
    gw_wsconn_dispose(&c->ws);
    while (!h2o_linklist_is_empty(&c->subs))
        gw_sub_remove(H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, c->subs.next));
    h2o_linklist_unlink(&c->link);
    if (c->dirty)
        h2o_linklist_unlink(&c->dirty_link);
    if (h2o_linklist_is_linked(&c->closing_link))
        h2o_linklist_unlink(&c->closing_link);
    GW_SUB(w->m.connections, 1);
    __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
    free(c);
}

size_t gw_client_queued(gw_client *c)
{
    return gw_wsconn_queued(&c->ws);
}

void gw_client_close(gw_client *c, uint16_t code, const char *reason)
{
    if (c->closing)
        return;
    c->closing = 1;
    c->close_deadline = ts_mono_ms() + c->w->g->cfg.close_timeout;
    h2o_linklist_insert(&c->w->closing, &c->closing_link);
    /* No more sends to it: take its subscriptions off every worker list. */
    for (h2o_linklist_t *l = c->subs.next; l != &c->subs; l = l->next) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, l);
        if (h2o_linklist_is_linked(&s->link))
            h2o_linklist_unlink(&s->link);
    }
    wslay_event_queue_close(c->ws.ctx, code, (const uint8_t *)reason, strlen(reason));
    mark_dirty(c);
}

int gw_client_send(gw_client *c, const char *data, size_t len)
{
    if (c->closing)
        return -1;
    struct wslay_event_msg m = {c->fmt == GW_FMT_JSON ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME,
                                (const uint8_t *)data, len};
    if (wslay_event_queue_msg(c->ws.ctx, &m) != 0) {
        gw_client_close(c, 1011, "internal error");
        return -1;
    }
    GW_ADD(c->w->m.messages_sent_total, 1);
    GW_ADD(c->w->m.bytes_sent_total, len);
    mark_dirty(c);
    size_t queued = gw_wsconn_queued(&c->ws);
    if (queued > (size_t)c->w->g->cfg.send_queue) {
        char reason[96];
        snprintf(reason, sizeof(reason), "slow client: send queue over %lld bytes",
                 (long long)c->w->g->cfg.send_queue);
        GW_ADD(c->w->m.slow_closes_total, 1);
        ts_info("worker %d: closing a slow client (%zu bytes queued)", c->w->id, queued);
        gw_client_close(c, 1008, reason);
        return -1;
    }
    return 0;
}

void gw_ws_flush(gw_worker *w)
{
    if (w->in_ws_cb)
        return; /* h2o's proceed for that client is on the stack */
    while (!h2o_linklist_is_empty(&w->dirty)) {
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, dirty_link, w->dirty.next);
        h2o_linklist_unlink(&c->dirty_link);
        c->dirty = 0;
        gw_wsconn_proceed(&c->ws); /* may free c */
    }
}

static void send_err(gw_client *c, gw_err code, const char *msg, const char *sym)
{
    gw_buf *b = &c->w->enc[c->fmt];
    b->len = 0;
    b->oom = 0;
    gw_enc_err(b, c->fmt, code, msg, sym);
    GW_ADD(c->w->m.client_errors_total, 1);
    if (!b->oom)
        gw_client_send(c, b->data, b->len);
    b->len = 0;
}

static void handle_request(gw_client *c, const char *data, size_t len, int is_text)
{
    gw_worker *w = c->w;
    gw_request req;
    char msg[192];
    gw_err e = gw_parse_request(data, len, is_text, &req, msg, sizeof(msg));
    int64_t inst = -1;
    if (e == GW_OK && !w->meta.ok) {
        e = GW_E_INTERNAL;
        snprintf(msg, sizeof(msg), "gateway not ready: %s; retry", "instruments not known yet");
    }
    if (e == GW_OK) {
        inst = req.sym_too_long ? -1 : ts_instrument_index(req.sym, w->meta.count);
        if (inst < 0) {
            e = GW_E_UNKNOWN_SYM;
            snprintf(msg, sizeof(msg), "unknown instrument (see /api/config)");
        }
    }
    if (e == GW_OK && req.op == GW_OP_SUB) {
        e = gw_sub_start(c, (uint32_t)inst, req.since);
        if (e == GW_E_TOO_MANY_SUBS)
            snprintf(msg, sizeof(msg), "at most %lld subscriptions per connection", (long long)w->g->cfg.max_subs);
        else if (e != GW_OK)
            snprintf(msg, sizeof(msg), "out of memory");
    } else if (e == GW_OK && req.op == GW_OP_UNSUB) {
        gw_sub *s = gw_sub_find(c, (uint32_t)inst);
        if (s == NULL) {
            e = GW_E_NOT_SUBSCRIBED;
            snprintf(msg, sizeof(msg), "not subscribed to this instrument");
        } else {
            gw_sub_remove(s);
        }
    }
    if (e != GW_OK)
        send_err(c, e, msg, req.sym[0] ? req.sym : NULL);
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
    gw_worker *w = c->w;
    w->in_ws_cb = 1;
    handle_request(c, (const char *)arg->msg, arg->msg_length, arg->opcode == WSLAY_TEXT_FRAME);
    w->in_ws_cb = 0;
    if (c->dirty) { /* h2o sends it when this callback returns */
        h2o_linklist_unlink(&c->dirty_link);
        c->dirty = 0;
    }
    gw_ws_flush(w);
}

static int want_json(h2o_req_t *req)
{
    if (req->query_at == SIZE_MAX)
        return 0;
    const char *q = req->path.base + req->query_at + 1;
    size_t n = req->path.len - req->query_at - 1;
    static const char key[] = "format=json";
    for (size_t i = 0; i + sizeof(key) - 1 <= n; i++)
        if ((i == 0 || q[i - 1] == '&') && memcmp(q + i, key, sizeof(key) - 1) == 0 &&
            (i + sizeof(key) - 1 == n || q[i + sizeof(key) - 1] == '&'))
            return 1;
    return 0;
}

int gw_ws_handle(h2o_req_t *req, gw_worker *w)
{
    const char *key;
    if (h2o_is_websocket_handshake(req, &key) != 0 || key == NULL || req->version >= 0x200) {
        h2o_send_error_400(req, "Bad Request", "/ws expects an HTTP/1.1 WebSocket upgrade\n", 0);
        return 0;
    }
    if (w->stopping) {
        h2o_send_error_503(req, "Service Unavailable", "shutting down\n", 0);
        return 0;
    }
    int64_t n = __atomic_add_fetch(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
    if (n > w->g->cfg.max_conns) {
        __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
        GW_ADD(w->m.rejected_total, 1);
        h2o_send_error_503(req, "Service Unavailable", "too many connections (--max-conns)\n", 0);
        return 0;
    }
    gw_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    c->w = w;
    c->fmt = want_json(req) ? GW_FMT_JSON : GW_FMT_MSGPACK;
    h2o_linklist_init_anchor(&c->subs);
    h2o_linklist_insert(&w->clients, &c->link);
    GW_ADD(w->m.connections, 1);
    GW_ADD(w->m.accepted_total, 1);
    if (gw_wsconn_upgrade(&c->ws, req, key, on_ws_msg, (uint64_t)w->g->cfg.max_msg) != 0) {
        client_free(c);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
    }
    return 0;
}

void gw_ws_close_all(gw_worker *w, uint16_t code, const char *reason)
{
    for (h2o_linklist_t *l = w->clients.next; l != &w->clients; l = l->next)
        gw_client_close(H2O_STRUCT_FROM_MEMBER(gw_client, link, l), code, reason);
    gw_ws_flush(w);
}

/* Once a second at most: ping the silent, drop the ones silent for two intervals. */
static void keepalive(gw_worker *w, int64_t now)
{
    int64_t iv = w->g->cfg.ping_interval;
    if (now < w->ping_scan_at || w->stopping)
        return;
    w->ping_scan_at = now + (iv / 4 < 1000 ? iv / 4 : 1000);
    h2o_linklist_t *next;
    for (h2o_linklist_t *l = w->clients.next; l != &w->clients; l = next) {
        next = l->next;
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, link, l);
        if (c->closing || c->ws.sock == NULL)
            continue;
        int64_t idle = now - c->ws.last_rx_ms;
        if (idle >= 2 * iv) {
            ts_info("worker %d: dropping a client silent for %lld ms", w->id, (long long)idle);
            GW_ADD(w->m.ping_timeouts_total, 1);
            client_free(c);
        } else if (idle >= iv && c->ping_sent_ms <= c->ws.last_rx_ms) {
            struct wslay_event_msg m = {WSLAY_PING, NULL, 0};
            if (wslay_event_queue_msg(c->ws.ctx, &m) == 0) {
                c->ping_sent_ms = now;
                mark_dirty(c);
            }
        }
    }
}

void gw_ws_tick(gw_worker *w, int64_t now)
{
    h2o_linklist_t *next;
    for (h2o_linklist_t *l = w->closing.next; l != &w->closing; l = next) {
        next = l->next;
        gw_client *c = H2O_STRUCT_FROM_MEMBER(gw_client, closing_link, l);
        if (now > c->close_deadline && c->ws.sock != NULL)
            client_free(c); /* it did not take its close frame in time: drop socket and queue */
    }
    keepalive(w, now);
    gw_ws_flush(w);
}
