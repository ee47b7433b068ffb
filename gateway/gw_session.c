/* gw_session.c — one WebSocket client of the API: the upgrade (connection
 * limits, format) and its requests, turned into subscriptions.
 *
 * A session is a gw_client (net/) with the client's subscriptions: the
 * client layer reports messages and closes through the hooks below, and
 * this file calls down into the parser (proto/) and the catch-up (core/). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_proto.h"
#include "gw_worker.h"
#include <h2o/websocket.h> /* h2o_is_websocket_handshake */
#include "ts_names.h"

typedef struct session {
    gw_client c; /* first: the client layer allocates the session */
    gw_worker *w;
    gw_subs subs;
} session;

static void send_err(session *se, gw_err code, const char *msg, const char *sym)
{
    gw_fmt f = se->c.text ? GW_FMT_JSON : GW_FMT_MSGPACK;
    gw_buf b = {0};
    gw_enc_err(&b, f, code, msg, sym);
    GW_ADD(se->w->m.client_errors_total, 1);
    if (!b.oom)
        gw_client_send(&se->c, b.data, b.len);
    gw_buf_free(&b);
}

static void on_msg(gw_client *c, const char *data, size_t len, int is_text)
{
    session *se = (session *)c;
    gw_worker *w = se->w;
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
        gw_fmt f = c->text ? GW_FMT_JSON : GW_FMT_MSGPACK;
        e = gw_catchup_sub(w->catchup, &se->subs, c, f, (uint32_t)inst, req.since);
        if (e == GW_E_TOO_MANY_SUBS)
            snprintf(msg, sizeof(msg), "at most %lld subscriptions per connection", (long long)w->g->cfg.max_subs);
        else if (e != GW_OK)
            snprintf(msg, sizeof(msg), "out of memory");
    } else if (e == GW_OK && req.op == GW_OP_UNSUB) {
        if (gw_catchup_unsub(w->catchup, &se->subs, (uint32_t)inst) != 0) {
            e = GW_E_NOT_SUBSCRIBED;
            snprintf(msg, sizeof(msg), "not subscribed to this instrument");
        }
    }
    if (e != GW_OK)
        send_err(se, e, msg, req.sym[0] ? req.sym : NULL);
}

static void on_closing(gw_client *c)
{
    session *se = (session *)c;
    gw_catchup_detach(se->w->catchup, &se->subs); /* no more sends to it */
}

static void on_free(gw_client *c)
{
    session *se = (session *)c;
    gw_catchup_drop(se->w->catchup, &se->subs);
    __atomic_fetch_sub(&se->w->g->ws_conns, 1, __ATOMIC_RELAXED);
}

const gw_client_hooks *gw_session_hooks(void)
{
    static const gw_client_hooks hooks = {on_msg, on_closing, on_free};
    return &hooks;
}

static int want_json(h2o_req_t *req)
{
    h2o_iovec_t v;
    return gw_http_query(req, "format", &v) == 0 && h2o_memis(v.base, v.len, H2O_STRLIT("json"));
}

int gw_session_upgrade(h2o_req_t *req, gw_worker *w)
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
    if (!gw_guard_origin(req, w)) {
        h2o_send_error_403(req, "Forbidden", "origin not allowed (see --allowed-origins)\n", 0);
        return 0;
    }
    int64_t n = __atomic_add_fetch(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
    if (n > w->g->cfg.max_conns) {
        __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
        GW_ADD(w->m.rejected_total, 1);
        h2o_send_error_503(req, "Service Unavailable", "too many connections (--max-conns)\n", 0);
        return 0;
    }
    session *se = (session *)gw_clients_upgrade(w->clients, req, key, want_json(req), sizeof(session));
    if (se == NULL) {
        __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
        return 0;
    }
    se->w = w;
    gw_subs_init(&se->subs);
    return 0;
}
