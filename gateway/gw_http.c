/* gw_http.c — the HTTP side: /ws upgrade, /sse streams, JSON API, probes, metrics, files.
 *
 * Every handler runs on the worker that accepted the connection and answers
 * from that worker's own view (its ts:meta, its command connection), except
 * /readyz and /metrics, which read every worker's atomics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_proto.h"
#include "gw_range.h"
#include "gw_worker.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_names.h"
#include "ts_time.h"

static void respond(h2o_req_t *req, int status, const char *reason, const char *type, gw_buf *body)
{
    req->res.status = status;
    req->res.reason = reason;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    if (body->oom) {
        req->res.status = 500;
        req->res.reason = "Internal Server Error";
        h2o_send_inline(req, H2O_STRLIT("out of memory\n"));
    } else {
        h2o_send_inline(req, body->data, body->len); /* copies the body */
    }
    gw_buf_free(body);
}

static void respond_json_error(h2o_req_t *req, int status, const char *reason, const char *msg)
{
    gw_buf b = {0};
    gw_buf_put(&b, "{\"error\":", 9);
    gw_json_str(&b, msg, strlen(msg));
    gw_buf_put(&b, "}\n", 2);
    respond(req, status, reason, "application/json", &b);
}

static int on_ws(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    return gw_session_upgrade(req, gw_worker_of(req->conn->ctx));
}

static int on_sse(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    return gw_session_sse(req, gw_worker_of(req->conn->ctx));
}

static int on_healthz(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_buf b = {0};
    gw_buf_put(&b, "ok\n", 3);
    respond(req, 200, "OK", "text/plain; charset=utf-8", &b);
    return 0;
}

/* Ready when every worker has Redis, its subscription and ts:meta. */
static int all_ready(gw_global *g, char *why, size_t len)
{
    int ready = 1;
    why[0] = '\0';
    pthread_mutex_lock(&g->mu);
    for (int i = 0; i < g->nworkers; i++) {
        if (!GW_GET(g->workers[i].ready)) {
            if (ready)
                snprintf(why, len, "worker %d: %s", i, g->workers[i].reason);
            ready = 0;
        }
    }
    pthread_mutex_unlock(&g->mu);
    return ready;
}

/* Ready but stale (gw_worker.c check_stale): why, with how long, or "". */
static void stale_note(gw_global *g, char *out, size_t len)
{
    out[0] = '\0';
    for (int i = 0; i < g->nworkers; i++) {
        if (GW_GET(g->workers[i].m.feed_stale)) {
            int64_t quiet = ts_mono_ms() - GW_GET(g->workers[i].fresh_at);
            snprintf(out, len,
                     " (stale: worker %d: no new tick for %.1f s while Redis answers; is the generator running, "
                     "or fenced, or refused by Redis?)",
                     i, (double)quiet / 1000.0);
            return;
        }
    }
}

static int on_readyz(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_worker *w = gw_worker_of(req->conn->ctx);
    char why[256];
    gw_buf b = {0};
    if (all_ready(w->g, why, sizeof(why))) {
        stale_note(w->g, why, sizeof(why));
        gw_buf_put(&b, "ready", 5);
        gw_buf_put(&b, why, strlen(why));
        gw_buf_put(&b, "\n", 1);
        respond(req, 200, "OK", "text/plain; charset=utf-8", &b);
    } else {
        gw_buf_put(&b, "not ready: ", 11);
        gw_buf_put(&b, why, strlen(why));
        gw_buf_put(&b, "\n", 1);
        respond(req, 503, "Service Unavailable", "text/plain; charset=utf-8", &b);
    }
    return 0;
}

static int on_metrics(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_global *g = gw_worker_of(req->conn->ctx)->g;
    const gw_wmetrics *ms[256];
    size_t n = 0;
    for (int i = 0; i < g->nworkers && n < 256; i++)
        ms[n++] = &g->workers[i].m;
    char why[256];
    gw_buf b = {0};
    gw_metrics_render(&b, ms, n, all_ready(g, why, sizeof(why)));
    respond(req, 200, "OK", "text/plain; version=0.0.4", &b);
    return 0;
}

static int on_config(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_worker *w = gw_worker_of(req->conn->ctx);
    if (!w->meta.ok) {
        respond_json_error(req, 503, "Service Unavailable", "instruments not known yet (Redis or ts:meta missing)");
        return 0;
    }
    gw_buf b = {0};
    gw_buf_put(&b, "{\"instruments\":[", 16);
    for (uint32_t i = 0; i < w->meta.count; i++) {
        if (i)
            gw_buf_put(&b, ",", 1);
        gw_json_str(&b, w->meta.names[i], strlen(w->meta.names[i]));
    }
    gw_buf_put(&b, "],\"interval_ms\":", 16);
    gw_json_int(&b, w->meta.interval_ms);
    gw_buf_put(&b, ",\"retention_ms\":", 16);
    gw_json_int(&b, w->meta.retention_ms);
    gw_buf_put(&b, ",\"epoch\":", 9);
    gw_json_int(&b, w->meta.epoch);
    char ladder[256];
    ts_ladder_format(&w->meta.ladder, ladder, sizeof(ladder));
    gw_buf_put(&b, ",\"rollups\":", 11);
    gw_json_str(&b, ladder, strlen(ladder));
    gw_buf_put(&b, "}\n", 2);
    respond(req, 200, "OK", "application/json", &b);
    return 0;
}

/* ---- /api/history ---- */

/* History reads in flight per worker. Each is an XRANGE of up to
 * --history-max entries on the command connection that catch-ups and live
 * repairs share; Redis answers them in order, so a flood of them would put
 * seconds of work ahead of every catch-up. Past this, 503 and retry. */
#define HISTORY_INFLIGHT_MAX 8

/* This file's state of one worker. */
struct gw_http_worker {
    uint32_t history_inflight; /* /api/history XRANGEs awaiting their reply */
};

int gw_http_worker_init(gw_worker *w)
{
    w->http = calloc(1, sizeof(*w->http));
    return w->http != NULL ? 0 : -1;
}

void gw_http_worker_free(gw_worker *w)
{
    free(w->http);
    w->http = NULL;
}

/* Lives until both the XRANGE reply and the request's pool are done with it:
 * the client may hang up while Redis answers. */
typedef struct history_req {
    h2o_req_t *req;
    gw_worker *w;
    uint32_t inst;
    int64_t since;
    int refs;
} history_req;

/* A history_req for req (two refs: the reply and the pool), counted in
 * flight; NULL (answered with 503) when too many are or memory ran out. */
static history_req *history_req_new(gw_worker *w, h2o_req_t *req, uint32_t inst);

static void history_unref(history_req *h)
{
    if (--h->refs == 0)
        free(h);
}

static void on_pool_dispose(void *p)
{
    history_req *h = *(history_req **)p;
    h->req = NULL;
    history_unref(h);
}

static void on_history_reply(redisAsyncContext *ac, void *r, void *priv)
{
    history_req *h = priv;
    redisReply *reply = r;
    (void)ac;
    h->w->http->history_inflight--;
    if (h->req == NULL) {
        history_unref(h);
        return;
    }
    gw_worker *w = h->w;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        if (reply == NULL)
            gw_rconn_lost(&w->cmd, "lost during /api/history");
        respond_json_error(h->req, 503, "Service Unavailable", "reading the stream failed");
        history_unref(h);
        return;
    }
    /* One run, like a hist message: it stops at the first hole (more: true). */
    int64_t dt = w->meta.interval_ms, t0 = h->since, last = h->since;
    size_t n = 0, cap = reply->elements ? reply->elements : 1;
    int32_t *p = malloc(cap * sizeof(int32_t));
    int more = reply->elements >= (size_t)w->g->cfg.history_max;
    for (size_t k = 0; p != NULL && k < reply->elements; k++) {
        int64_t t;
        int32_t price;
        if (ts_entry_from_reply(reply->element[k], &t, &price) != 0) {
            /* Unreadable: skipped like a hole, which ends the run. */
            gw_metrics_malformed(&w->m, w->id, w->meta.names[h->inst], t);
            if (n > 0) {
                more = 1;
                break;
            }
            continue;
        }
        if (n > 0 && t != t0 + (int64_t)n * dt) {
            more = 1;
            break;
        }
        if (n == 0)
            t0 = t;
        p[n++] = price;
        last = t;
    }
    gw_buf b = {0};
    if (p == NULL)
        b.oom = 1;
    else
        gw_enc_hist(&b, GW_FMT_JSON, w->meta.names[h->inst], w->meta.epoch, t0, dt, p, n, last, more);
    gw_buf_put(&b, "\n", 1);
    free(p);
    respond(h->req, 200, "OK", "application/json", &b);
    history_unref(h);
}

/* The instrument index of ?sym= for a read on the command connection, or
 * -1 when the request was answered (503 no Redis, 400 no sym, 404 unknown). */
static int64_t sym_of(gw_worker *w, h2o_req_t *req)
{
    h2o_iovec_t v;
    char sym[GW_SYM_MAX];
    if (!w->meta.ok || !w->cmd.up) {
        respond_json_error(req, 503, "Service Unavailable", "Redis is not reachable; retry");
        return -1;
    }
    if (gw_http_query(req, "sym", &v) != 0 || v.len >= sizeof(sym)) {
        respond_json_error(req, 400, "Bad Request", "sym is required (see /api/config)");
        return -1;
    }
    memcpy(sym, v.base, v.len);
    sym[v.len] = '\0';
    int64_t inst = ts_instrument_index(sym, w->meta.count);
    if (inst < 0)
        respond_json_error(req, 404, "Not Found", "unknown instrument (see /api/config)");
    return inst;
}

static int on_history(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_worker *w = gw_worker_of(req->conn->ctx);
    h2o_iovec_t v;
    int64_t since = 0, until = -1;
    int64_t inst = sym_of(w, req);
    if (inst < 0)
        return 0;
    if (gw_http_query(req, "since", &v) == 0 && gw_parse_ms(v.base, v.len, &since) != 0) {
        respond_json_error(req, 400, "Bad Request", "since must be a whole number of ms (0 = all history)");
        return 0;
    }
    if (gw_http_query(req, "until", &v) == 0 && gw_parse_ms(v.base, v.len, &until) != 0) {
        respond_json_error(req, 400, "Bad Request", "until must be a whole number of ms");
        return 0;
    }
    history_req *h = history_req_new(w, req, (uint32_t)inst);
    if (h == NULL)
        return 0;
    h->since = since;
    char key[64], to[24];
    ts_tick_key(key, sizeof(key), w->meta.names[inst]);
    if (until >= 0)
        snprintf(to, sizeof(to), "%lld", (long long)until);
    else
        snprintf(to, sizeof(to), "+");
    if (redisAsyncCommand(w->cmd.ac, on_history_reply, h, "XRANGE %s %lld %s COUNT %lld", key, (long long)(since + 1),
                          to, (long long)w->g->cfg.history_max) != REDIS_OK) {
        w->http->history_inflight--;
        history_unref(h);
        respond_json_error(req, 503, "Service Unavailable", "Redis is not reachable; retry");
        return 0;
    }
    return 0;
}

static history_req *history_req_new(gw_worker *w, h2o_req_t *req, uint32_t inst)
{
    if (w->http->history_inflight >= HISTORY_INFLIGHT_MAX) {
        respond_json_error(req, 503, "Service Unavailable", "too many history reads in flight; retry");
        return NULL;
    }
    history_req *h = calloc(1, sizeof(*h));
    if (h == NULL) {
        respond_json_error(req, 503, "Service Unavailable", "out of memory");
        return NULL;
    }
    h->req = req;
    h->w = w;
    h->inst = inst;
    h->refs = 2;
    history_req **slot = h2o_mem_alloc_shared(&req->pool, sizeof(*slot), on_pool_dispose);
    *slot = h;
    w->http->history_inflight++;
    return h;
}

/* ---- /api/range ---- */

static void on_range_done(void *owner, const gw_range_result *res)
{
    history_req *h = owner;
    gw_worker *w = h->w;
    w->http->history_inflight--;
    if (h->req != NULL && !res->ok) {
        respond_json_error(h->req, 503, "Service Unavailable", "reading the streams failed; retry");
    } else if (h->req != NULL) {
        gw_buf b = {0};
        gw_range_encode(&b, GW_FMT_JSON, res, -1);
        gw_buf_put(&b, "\n", 1);
        respond(h->req, 200, "OK", "application/json", &b);
    }
    history_unref(h);
}

/* GET /api/range?sym=[&from=][&to=][&points=N]: at most ~N buckets over the
 * window (docs/PROTOCOL.md "Ranges"); from defaults to where the stored
 * history starts, to to now, points to 1000. */
static int on_range(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    gw_worker *w = gw_worker_of(req->conn->ctx);
    h2o_iovec_t v;
    int64_t from = -1, to = -1, points = 1000;
    int64_t inst = sym_of(w, req);
    if (inst < 0)
        return 0;
    if ((gw_http_query(req, "from", &v) == 0 && gw_parse_ms(v.base, v.len, &from) != 0) ||
        (gw_http_query(req, "to", &v) == 0 && gw_parse_ms(v.base, v.len, &to) != 0) ||
        (gw_http_query(req, "points", &v) == 0 && gw_parse_ms(v.base, v.len, &points) != 0)) {
        respond_json_error(req, 400, "Bad Request",
                           "from, to and points must be whole numbers (ms since the Unix epoch)");
        return 0;
    }
    gw_rplan plan;
    const char *why;
    if (gw_range_plan(&w->meta, from, to, points, ts_now_ms(), &plan, &why) != 0) {
        respond_json_error(req, 400, "Bad Request", why);
        return 0;
    }
    history_req *h = history_req_new(w, req, (uint32_t)inst);
    if (h == NULL)
        return 0;
    if (!w->rng.up ||
        gw_range_read(w->rng.ac, &w->meta, (uint32_t)inst, &plan, gw_feed_ring(w->feed), on_range_done, h) != 0) {
        w->http->history_inflight--;
        history_unref(h);
        respond_json_error(req, 503, "Service Unavailable", "Redis is not reachable; retry");
    }
    return 0;
}

/* probe: /healthz, /readyz, /metrics (gw_guard_register_any). */
static void add(h2o_hostconf_t *host, const char *path, int (*fn)(h2o_handler_t *, h2o_req_t *), int probe)
{
    h2o_pathconf_t *pc = h2o_config_register_path(host, path, 0);
    gw_guard_register_any(pc, probe);
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = fn;
}

void gw_http_register(gw_global *g, h2o_hostconf_t *host)
{
    /* Longest paths first; "/" (the files) last. */
    add(host, "/api/history", on_history, 0);
    add(host, "/api/range", on_range, 0);
    add(host, "/api/config", on_config, 0);
    add(host, "/healthz", on_healthz, 1);
    add(host, "/readyz", on_readyz, 1);
    add(host, "/metrics", on_metrics, 1);
    add(host, "/ws", on_ws, 0);
    add(host, "/sse", on_sse, 0);
    h2o_pathconf_t *files = h2o_config_register_path(host, "/", 0);
    gw_guard_register_any(files, 0);
    gw_guard_register_files(files);
    h2o_file_register(files, g->cfg.webui, NULL, NULL, 0);
}
