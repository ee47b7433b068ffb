/* gw_session.c — one client of the API: a WebSocket (the upgrade, its
 * requests turned into subscriptions) or an SSE stream (GET /sse: its
 * instruments and where to resume are in the request, subscribed at once).
 *
 * A session is a gw_client (net/) with the client's subscriptions: the
 * client layer reports messages and closes through the hooks below, and
 * this file calls down into the parser (proto/) and the catch-up (core/).
 * Both kinds count against --max-conns and go through the same catch-up,
 * fan-out, send-queue cap and keepalive. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_pmd.h"
#include "gw_proto.h"
#include "gw_range.h"
#include "gw_worker.h"
#include <h2o/websocket.h> /* h2o_is_websocket_handshake */
#include "ts_names.h"
#include "ts_time.h"

/* Range reads in flight per connection; one more gets err "busy". */
#define RANGES_MAX 8

typedef struct session {
    gw_client c; /* first: the client layer allocates the session */
    gw_worker *w;
    gw_subs subs;
    gw_csubs csubs; /* its live candle subscriptions */
    gw_watch *board; /* its board subscription, or NULL */
    h2o_linklist_t ranges; /* ws_range.link: the reads in flight */
    int nranges;
} session;

/* One range read in flight. It outlives its session when the client goes
 * first (se = NULL then): the read always ends in on_range_done. */
typedef struct ws_range {
    session *se;
    int64_t id;
    h2o_linklist_t link;
} ws_range;

static gw_fmt fmt_of(const session *se)
{
    return se->c.text ? GW_FMT_JSON : GW_FMT_MSGPACK;
}

static void send_err(session *se, gw_err code, const char *msg, const char *sym, int64_t id)
{
    gw_buf b = {0};
    gw_enc_err(&b, fmt_of(se), code, msg, sym, id);
    GW_ADD(se->w->m.client_errors_total, 1);
    if (!b.oom)
        gw_client_send(&se->c, b.data, b.len);
    gw_buf_free(&b);
}

static void on_range_done(void *owner, const gw_range_result *res)
{
    ws_range *r = owner;
    session *se = r->se;
    if (se != NULL) {
        h2o_linklist_unlink(&r->link);
        se->nranges--;
        if (!res->ok) {
            send_err(se, GW_E_INTERNAL, "reading the streams failed; retry", res->sym, r->id);
        } else {
            gw_buf b = {0};
            gw_range_encode(&b, fmt_of(se), res, r->id);
            if (!b.oom)
                gw_client_send(&se->c, b.data, b.len);
            else
                send_err(se, GW_E_INTERNAL, "out of memory; retry", res->sym, r->id);
            gw_buf_free(&b);
        }
    }
    free(r);
}

/* A range request of instrument inst; GW_OK when the read went out (the
 * answer follows), else the error for msg. */
static gw_err start_range(session *se, const gw_request *req, uint32_t inst, char *msg, size_t msglen)
{
    gw_worker *w = se->w;
    gw_rplan plan;
    const char *why;
    if (gw_range_plan(&w->meta, req->from, req->to, req->points, ts_now_ms(), &plan, &why) != 0) {
        snprintf(msg, msglen, "%s", why);
        return GW_E_BAD_RANGE;
    }
    if (se->nranges >= RANGES_MAX) {
        snprintf(msg, msglen, "%d range requests already in flight on this connection; retry", RANGES_MAX);
        return GW_E_BUSY;
    }
    ws_range *r = calloc(1, sizeof(*r));
    if (r == NULL || !w->rng.up ||
        gw_range_read(w->rng.ac, &w->meta, inst, &plan, gw_feed_ring(w->feed), on_range_done, r) != 0) {
        free(r);
        snprintf(msg, msglen, "Redis is not reachable; retry");
        return GW_E_INTERNAL;
    }
    r->se = se;
    r->id = req->id;
    h2o_linklist_insert(&se->ranges, &r->link);
    se->nranges++;
    return GW_OK;
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
    if (e == GW_OK && (req.op == GW_OP_BOARD || req.op == GW_OP_UNBOARD)) {
        gw_fmt f = c->text ? GW_FMT_JSON : GW_FMT_MSGPACK;
        if (req.op == GW_OP_BOARD)
            e = gw_board_watch(w->boards, &se->board, c, f, &req, msg, sizeof(msg));
        else if (gw_board_unwatch(w->boards, &se->board) != 0) {
            e = GW_E_NOT_SUBSCRIBED;
            snprintf(msg, sizeof(msg), "no board subscribed");
        }
        if (e != GW_OK)
            send_err(se, e, msg, NULL, -1);
        return;
    }
    if (e == GW_OK) {
        inst = req.sym_too_long ? -1 : ts_instrument_index(req.sym, w->meta.count);
        if (inst < 0) {
            e = GW_E_UNKNOWN_SYM;
            snprintf(msg, sizeof(msg), "unknown instrument (see /api/config)");
        }
    }
    if (e == GW_OK && req.op == GW_OP_SUB && req.width > 0) {
        e = gw_candles_sub(w->candles, &se->csubs, se->subs.n, c, fmt_of(se), (uint32_t)inst, req.width, req.since,
                           msg, sizeof(msg));
    } else if (e == GW_OK && req.op == GW_OP_UNSUB && req.width > 0) {
        if (gw_candles_unsub(w->candles, &se->csubs, (uint32_t)inst, req.width) != 0) {
            e = GW_E_NOT_SUBSCRIBED;
            snprintf(msg, sizeof(msg), "not subscribed to candles of this instrument and width");
        }
    } else if (e == GW_OK && req.op == GW_OP_SUB) {
        /* Candle subscriptions count against --max-subs too. */
        if (se->csubs.n > 0 && se->subs.n + se->csubs.n >= (uint32_t)w->g->cfg.max_subs &&
            gw_subs_find(&se->subs, (uint32_t)inst) == NULL)
            e = GW_E_TOO_MANY_SUBS;
        else
            e = gw_catchup_sub(w->catchup, &se->subs, c, fmt_of(se), (uint32_t)inst, req.since, NULL);
        if (e == GW_E_TOO_MANY_SUBS)
            snprintf(msg, sizeof(msg), "at most %lld subscriptions per connection", (long long)w->g->cfg.max_subs);
        else if (e != GW_OK)
            snprintf(msg, sizeof(msg), "out of memory");
    } else if (e == GW_OK && req.op == GW_OP_RANGE) {
        e = start_range(se, &req, (uint32_t)inst, msg, sizeof(msg));
    } else if (e == GW_OK && req.op == GW_OP_UNSUB) {
        if (gw_catchup_unsub(w->catchup, &se->subs, (uint32_t)inst) != 0) {
            e = GW_E_NOT_SUBSCRIBED;
            snprintf(msg, sizeof(msg), "not subscribed to this instrument");
        }
    }
    if (e != GW_OK)
        send_err(se, e, msg, req.sym[0] ? req.sym : NULL, req.op == GW_OP_RANGE ? req.id : -1);
}

static void on_closing(gw_client *c)
{
    session *se = (session *)c;
    gw_catchup_detach(se->w->catchup, &se->subs); /* no more sends to it */
    gw_candles_detach(se->w->candles, &se->csubs);
    gw_board_detach(se->board);
}

static void on_free(gw_client *c)
{
    session *se = (session *)c;
    while (!h2o_linklist_is_empty(&se->ranges)) {
        ws_range *r = H2O_STRUCT_FROM_MEMBER(ws_range, link, se->ranges.next);
        h2o_linklist_unlink(&r->link);
        r->se = NULL; /* freed when its read ends */
    }
    gw_catchup_drop(se->w->catchup, &se->subs);
    gw_candles_drop(se->w->candles, &se->csubs);
    gw_board_drop(se->w->boards, &se->board);
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

/* Admits a new client of either kind: not while stopping (503), only from
 * an allowed Origin (403), and within --max-conns (503); -1 after answering. */
static int take_conn(h2o_req_t *req, gw_worker *w)
{
    if (w->stopping) {
        h2o_send_error_503(req, "Service Unavailable", "shutting down\n", 0);
        return -1;
    }
    if (!gw_guard_origin(req, w)) {
        h2o_send_error_403(req, "Forbidden", "origin not allowed (see --allowed-origins)\n", 0);
        return -1;
    }
    int64_t n = __atomic_add_fetch(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
    if (n > w->g->cfg.max_conns) {
        __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
        GW_ADD(w->m.rejected_total, 1);
        h2o_send_error_503(req, "Service Unavailable", "too many connections (--max-conns)\n", 0);
        return -1;
    }
    return 0;
}

/* The rest of a new session of either kind (the client layer zeroed it). */
static void session_init(session *se, gw_worker *w)
{
    se->w = w;
    gw_subs_init(&se->subs);
    gw_csubs_init(&se->csubs);
    se->board = NULL;
    h2o_linklist_init_anchor(&se->ranges);
}

/* The client was not made: gives its connection back and answers 503. */
static int no_session(h2o_req_t *req, gw_worker *w)
{
    __atomic_fetch_sub(&w->g->ws_conns, 1, __ATOMIC_RELAXED);
    h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
    return 0;
}

/* The permessage-deflate answer to the request's Sec-WebSocket-Extensions
 * (each header in order, the first accepted offer wins), or "". */
static void pmd_answer(h2o_req_t *req, char ans[GW_PMD_ANSWER_MAX])
{
    ans[0] = '\0';
    for (ssize_t i = -1;
         (i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("sec-websocket-extensions"), i)) != -1;) {
        const h2o_iovec_t *v = &req->headers.entries[i].value;
        if (gw_pmd_accept(v->base, v->len, ans) > 0)
            return;
    }
}

int gw_session_upgrade(h2o_req_t *req, gw_worker *w)
{
    const char *key;
    if (h2o_is_websocket_handshake(req, &key) != 0 || key == NULL || req->version >= 0x200) {
        h2o_send_error_400(req, "Bad Request", "/ws expects an HTTP/1.1 WebSocket upgrade\n", 0);
        return 0;
    }
    if (take_conn(req, w) != 0)
        return 0;
    char pmd[GW_PMD_ANSWER_MAX];
    pmd_answer(req, pmd);
    session *se = (session *)gw_clients_upgrade(w->clients, req, key, want_json(req), pmd, sizeof(session));
    if (se == NULL)
        return no_session(req, w);
    session_init(se, w);
    return 0;
}

/* ---- GET /sse?sym=A[&sym=B|,B…][&since=T][&width=W], Last-Event-ID: T or T1,T2… ---- */

static int sse_bad(h2o_req_t *req, const char *why)
{
    h2o_send_error_400(req, "Bad Request", why, 0);
    return -1;
}

/* The stream's instruments, in the client's order, without repeats; their
 * count, or -1 after answering. */
static int sse_syms(h2o_req_t *req, gw_worker *w, uint32_t *keys, uint32_t max)
{
    if (req->query_at == SIZE_MAX)
        return sse_bad(req, "sym is required: /sse?sym=ticker_07 (see /api/config)\n");
    const char *q = req->path.base + req->query_at + 1, *v;
    size_t qn = req->path.len - req->query_at - 1, vn;
    uint32_t n = 0;
    while (gw_query_param(q, qn, "sym", &v, &vn) == 0) {
        qn -= (size_t)(v + vn - q);
        q = v + vn;
        for (const char *p = v, *end = v + vn; p != NULL;) {
            const char *comma = memchr(p, ',', (size_t)(end - p)), *stop = comma ? comma : end;
            char sym[GW_SYM_MAX];
            size_t len = (size_t)(stop - p);
            int64_t inst = -1;
            if (len < sizeof(sym)) {
                memcpy(sym, p, len);
                sym[len] = '\0';
                inst = ts_instrument_index(sym, w->meta.count);
            }
            if (inst < 0)
                return sse_bad(req, "unknown instrument in sym (see /api/config)\n");
            uint32_t k = 0;
            while (k < n && keys[k] != (uint32_t)inst)
                k++;
            if (k == n && n == max)
                return sse_bad(req, "too many instruments in one stream (--max-subs)\n");
            if (k == n)
                keys[n++] = (uint32_t)inst;
            p = comma ? comma + 1 : NULL;
        }
    }
    if (n == 0)
        return sse_bad(req, "sym is required: /sse?sym=ticker_07 (see /api/config)\n");
    return (int)n;
}

/* Where each instrument starts: Last-Event-ID (one time for all, or one per
 * instrument, as our ids are), else ?since=, else 0 (all history). */
static int sse_since(h2o_req_t *req, int64_t *since, uint32_t n)
{
    int64_t t = 0;
    h2o_iovec_t v;
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("last-event-id"), -1);
    if (i >= 0) {
        v = req->headers.entries[i].value;
        int k = gw_parse_ms_list(v.base, v.len, since, n);
        if (k == 1)
            t = since[0];
        else if (k == (int)n)
            return 0;
        else
            return sse_bad(req, "Last-Event-ID must be one time or one per sym, as the stream's ids are\n");
    } else if (gw_http_query(req, "since", &v) == 0 && gw_parse_ms(v.base, v.len, &t) != 0) {
        return sse_bad(req, "since must be a whole number of ms (0 = all history)\n");
    }
    for (uint32_t k = 0; k < n; k++)
        since[k] = t;
    return 0;
}

/* The stream's candle width (0: ticks), or -1 after answering. */
static int64_t sse_width(h2o_req_t *req, gw_worker *w)
{
    h2o_iovec_t v;
    int64_t width = 0;
    char why[256], msg[300];
    if (gw_http_query(req, "width", &v) != 0)
        return 0;
    if (gw_parse_width(v.base, v.len, &width) != 0)
        return sse_bad(req, "width must be a duration such as 1m, 15m, 1h (see /api/config's interval)\n");
    if (gw_candles_check(w->candles, width, why, sizeof(why)) != 0) {
        snprintf(msg, sizeof(msg), "%s\n", why);
        h2o_send_error_400(req, "Bad Request", h2o_strdup(&req->pool, msg, SIZE_MAX).base, 0);
        return -1;
    }
    return width;
}

int gw_session_sse(h2o_req_t *req, gw_worker *w)
{
    if (req->version >= 0x200) {
        h2o_send_error_400(req, "Bad Request", "/sse is served over HTTP/1.x\n", 0);
        return 0;
    }
    if (!w->meta.ok) {
        h2o_send_error_503(req, "Service Unavailable", "instruments not known yet (Redis or ts:meta missing); retry\n", 0);
        return 0;
    }
    uint32_t max = (uint32_t)w->g->cfg.max_subs, *keys = malloc(max * sizeof(*keys));
    int64_t *since = malloc(max * sizeof(*since));
    int n = keys && since ? sse_syms(req, w, keys, max) : -2;
    int64_t width = n >= 0 ? sse_width(req, w) : -1;
    if (n == -2)
        h2o_send_error_503(req, "Service Unavailable", "out of memory\n", 0);
    if (n < 0 || width < 0 || sse_since(req, since, (uint32_t)n) != 0 || take_conn(req, w) != 0)
        goto out;
    session *se = (session *)gw_clients_sse(w->clients, req, keys, since, (uint32_t)n, sizeof(session));
    if (se == NULL) {
        no_session(req, w);
        goto out;
    }
    session_init(se, w);
    gw_buf b = {0};
    gw_enc_sse_hello(&b, w->meta.epoch, w->meta.interval_ms, 1000);
    if (!b.oom)
        gw_client_send(&se->c, b.data, b.len);
    gw_buf_free(&b);
    char msg[160];
    for (int k = 0; k < n && !se->c.closing; k++)
        if ((width > 0 ? gw_candles_sub(w->candles, &se->csubs, 0, &se->c, GW_FMT_SSE, keys[k], width, since[k], msg,
                                        sizeof(msg))
                       : gw_catchup_sub(w->catchup, &se->subs, &se->c, GW_FMT_SSE, keys[k], since[k], NULL)) != GW_OK)
            gw_client_close(&se->c, 1011, "internal error");
out:
    free(keys);
    free(since);
    return 0;
}
