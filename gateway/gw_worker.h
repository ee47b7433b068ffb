/* gw_worker.h — the top of the gateway: the process (gw_global) and its
 * workers, and what the app-level files (main.c, gw_worker.c, gw_session.c,
 * gw_http.c) call of each other. docs/ARCHITECTURE.md draws the layers.
 *
 * Threading model (NOTES-h2o.md "Multi-core"): --threads workers, each with
 * its own h2o evloop, its own Redis connections, its own ring and its own
 * clients. Redis does the fan-out to the workers, so nothing on the tick
 * path is shared between threads: no locks, no copies across threads. Only
 * the counters read by /metrics and /readyz, the connection count and the
 * stop flag are shared, through atomics. A worker's state is touched only
 * by its own thread. */
#ifndef GW_WORKER_H
#define GW_WORKER_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <pthread.h>
#include <stdint.h>

#include "gw_board.h"
#include "gw_candles.h"
#include "gw_catchup.h"
#include "gw_client.h"
#include "gw_config.h"
#include "gw_feed.h"
#include "gw_meta.h"
#include "gw_metrics.h"
#include "gw_proto.h"
#include "gw_mtick.h"
#include "gw_rconn.h"

typedef struct gw_global gw_global;
struct gw_http_worker;

typedef struct gw_worker {
    gw_global *g;
    int id;
    pthread_t thread;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    gw_mtick *tick; /* the housekeeping, every TICK_MS of the monotonic clock */
    int stopping, done;
    int64_t stop_deadline;

    /* Redis: commands (ts:meta, repairs, /api/history), the ts:live
     * subscriber, catch-up XRANGEs (with gw_xreply's reader), and range
     * reads (with gw_rreply's reader); with Sentinel, the watch of
     * +switch-master on a sentinel. */
    gw_rconn cmd, sub, cu, rng, watch;
    gw_meta meta;
    int meta_loading;
    int64_t meta_retry_at;

    gw_feed *feed;
    gw_catchup *catchup;
    gw_boards *boards;
    gw_candles *candles;
    gw_clients *clients;
    struct gw_http_worker *http; /* gw_http.c's own */

    gw_wmetrics m;
    int64_t guard_logged_at;    /* gw_guard.c: last "over --max-conns-per-ip" line */
    int64_t nofile_logged_at;   /* gw_guard.c: last "past the open files limit" line */
    int64_t accept_paused_until; /* mono ms: accept() failed, the listener rests until then (0: not) */
    int64_t accept_logged_at;   /* last "accept failed" line */
    int ready;                  /* atomic: read by other workers' /readyz */
    int64_t fresh_at;           /* atomic: mono ms of the last new tick row, or of becoming ready */
    int stale;                  /* no new tick for --stale-after intervals (gw_worker.c) */
    int64_t stale_since;        /* fresh_at when it went stale: for the line when ticks resume */
    char reason[192];           /* guarded by g->mu */
} gw_worker;

struct gw_global {
    gw_config cfg;
    h2o_globalconf_t h2o;
    int listen_fd;
    char listen_desc[128];
    gw_worker *workers;
    int nworkers;
    int stopping;      /* atomic */
    int64_t ws_conns;  /* atomic */
    pthread_mutex_t mu;
    pthread_cond_t stopped_cond; /* workers signal it when they have stopped */
    int stopped;                 /* guarded by mu */
    struct gw_guard *guard;      /* gw_guard.c's own: per-address counts, the page's real path */
};

static inline gw_worker *gw_worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(gw_worker, ctx, ctx);
}

/* gw_worker.c */
int gw_worker_start(gw_worker *w);
/* Writes w's /readyz reason under g->mu. */
void gw_worker_set_reason(gw_worker *w, const char *reason);

/* gw_session.c: a WebSocket client's requests, an SSE client's stream. */
const gw_client_hooks *gw_session_hooks(void);
int gw_session_upgrade(h2o_req_t *req, gw_worker *w);
int gw_session_sse(h2o_req_t *req, gw_worker *w);

/* gw_guard.c: who may connect, what may be read (proto/gw_policy.h). */
int gw_guard_init(gw_global *g, char *err, size_t errlen);
/* Counts a just-accepted socket under its peer address and among all client
 * connections: 0 to serve it (past what the open files limit holds, with a
 * 503), -1 when over --max-conns-per-ip or past the spare for those 503s
 * (then it is closed and counted). */
int gw_guard_accept(gw_worker *w, h2o_socket_t *sock);
/* Puts on pc, before any other handler, what a connection accepted past the
 * open files limit gets: a 503, or for a probe (/healthz, /readyz,
 * /metrics) its answer; then it closes. */
void gw_guard_register_any(h2o_pathconf_t *pc, int probe);
/* 1 when a WebSocket upgrade's Origin is allowed, else 0 (counted). */
int gw_guard_origin(h2o_req_t *req, gw_worker *w);
/* Puts the file guard on pc, before h2o's file handler. */
void gw_guard_register_files(h2o_pathconf_t *pc);

/* gw_http.c */
void gw_http_register(gw_global *g, h2o_hostconf_t *host);
int gw_http_worker_init(gw_worker *w);
void gw_http_worker_free(gw_worker *w);
/* Finds name=value in a request's query string; 0 and the value, or -1. */
static inline int gw_http_query(h2o_req_t *req, const char *name, h2o_iovec_t *out)
{
    if (req->query_at == SIZE_MAX)
        return -1;
    const char *q = req->path.base + req->query_at + 1;
    size_t n = req->path.len - req->query_at - 1, vlen;
    const char *v;
    if (gw_query_param(q, n, name, &v, &vlen) != 0)
        return -1;
    *out = h2o_iovec_init(v, vlen);
    return 0;
}

#endif
