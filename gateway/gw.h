/* gw.h — the gateway's shared types: configuration, worker, client, subscription.
 *
 * Threading model (NOTES-h2o.md "Multi-core"): --threads workers, each with
 * its own h2o evloop, its own Redis subscriber and command connections, its
 * own ring and its own clients. Redis does the fan-out to the workers, so
 * nothing on the tick path is shared between threads: no locks, no copies
 * across threads. Only the counters read by /metrics and /readyz, the
 * connection count and the stop flag are shared, through atomics.
 * A worker's state is touched only by its own thread. */
#ifndef GW_H
#define GW_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <hiredis/async.h>
#include <pthread.h>
#include <stdint.h>

#include "gw_metrics.h"
#include "gw_proto.h"
#include "gw_ring.h"
#include "gw_wsconn.h"
#include "gw_xreply.h"
#include "ts_codec.h"
#include "ts_opts.h"
#include "ts_time.h"

typedef struct gw_config {
    const char *listen;
    ts_redis_url redis;
    const char *webui;
    const char *log_level;
    int64_t threads;
    int64_t max_conns;
    int64_t max_subs;       /* per connection */
    int64_t max_msg;        /* bytes of one client message */
    int64_t send_queue;     /* bytes queued for one client before it is closed 1008 */
    int64_t ring_ms;        /* time the ring covers */
    int64_t ring_max;       /* rows the ring may hold, whatever ring_ms says */
    int64_t chunk;          /* XRANGE COUNT of a catch-up step */
    int64_t max_xrange;     /* catch-up XRANGEs in flight per worker */
    int64_t history_max;    /* ticks in one /api/history answer */
    int64_t close_timeout;  /* ms a closing client gets to take its close frame */
    int64_t ping_interval;  /* ms of client silence before a ping; twice that drops it */
    int64_t redis_timeout;  /* ms to connect to Redis */
} gw_config;

struct gw_worker;

/* A Redis connection on a worker's loop (gw_redis.c). */
typedef struct gw_rconn {
    struct gw_worker *w;
    const char *name;
    redisAsyncContext *ac;
    h2o_socket_t *sock;
    int notify_pending, want_write;
    int up;                 /* connected; commands may be sent */
    int64_t retry_at;       /* mono ms of the next connect attempt; 0: none scheduled */
    int64_t deadline;       /* mono ms by which the connect must have succeeded */
    ts_backoff backoff;
    int connects;           /* successful connects so far */
    int64_t ping_sent;      /* mono ms of the PING awaiting its reply; 0: none */
    int64_t lost_at;        /* mono ms gw_rconn_lost marked it down; 0: not lost */
    int64_t next_ping;      /* mono ms of the next liveness PING */
    char why[160];          /* why it is down */
    void (*on_up)(struct gw_rconn *rc);
    void (*on_down)(struct gw_rconn *rc);
} gw_rconn;

/* ts:meta as this worker last read it. */
typedef struct gw_meta {
    int ok;
    int64_t interval_ms, retention_ms, epoch;
    uint32_t count;
    char (*names)[GW_SYM_MAX];
} gw_meta;

typedef enum {
    SUB_QUEUED,     /* waits for an XRANGE slot or for the command connection */
    SUB_XRANGE,     /* reading the streams: XRANGEs in flight */
    SUB_WAIT_SYNC,  /* streams read to their end, the ring is not started yet */
    SUB_WAIT_DRAIN, /* the client's send queue must shrink before the next chunk */
    SUB_LIVE,
} gw_sub_state;

typedef struct gw_client gw_client;

/* One subscription of one connection to one instrument (gw_catchup.c). */
typedef struct gw_sub {
    struct gw_worker *w;
    gw_client *c;        /* NULL once orphaned: the last XRANGE reply in flight frees it */
    uint32_t inst;
    gw_sub_state state;
    int64_t cursor;      /* every tick with t <= cursor has been sent, or does not exist */
    int64_t last_sent;   /* the last tick time the client was told of (since, when nothing was sent) */
    int64_t seek_ring_last; /* the ring's last row when the seek in flight was sent (INT64_MIN: no ring) */
    int seeking;         /* a seek XRANGE (cursor, +] is in flight, behind any windows */
    uint32_t nwin;       /* window XRANGEs in flight (gw_catchup.c: pipelining) */
    int64_t win_lo;      /* the oldest window in flight covers (win_lo, its end] */
    int64_t win_end;     /* the newest window in flight ends here */
    int64_t started_us;
    h2o_linklist_t link;        /* in w->live[inst] or one of the worker's wait lists */
    h2o_linklist_t client_link; /* in c->subs */
} gw_sub;

struct gw_client {
    struct gw_worker *w;
    gw_wsconn ws;
    gw_fmt fmt;
    int closing;
    int dirty;
    int64_t ping_sent_ms;  /* last keepalive ping; answered once ws.last_rx_ms passes it */
    uint32_t nsubs;
    int64_t close_deadline;
    h2o_linklist_t link;       /* w->clients */
    h2o_linklist_t dirty_link; /* w->dirty */
    h2o_linklist_t closing_link; /* w->closing, once closing */
    h2o_linklist_t subs;
};

typedef struct gw_global gw_global;

typedef struct gw_worker {
    gw_global *g;
    int id;
    pthread_t thread;
    h2o_evloop_t *loop;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept;
    h2o_socket_t *listener;
    h2o_timeout_t tick_timeout;
    h2o_timeout_entry_t tick_entry;
    int stopping, done;
    int in_ws_cb;               /* inside a client's message callback */
    int64_t ping_scan_at;       /* mono ms of the next keepalive scan */
    int64_t stop_deadline;

    gw_rconn sub, cmd;
    int subscribed;
    int meta_loading;
    int64_t meta_retry_at;
    gw_meta meta;

    /* Live feed (gw_live.c). */
    gw_ring ring;
    int synced;                 /* the ring holds the latest tick seen */
    int repairing;              /* a repair chunk is in flight */
    int repair_wanted;          /* a repair must (re)start when the command connection is up */
    uint32_t repair_left;
    uint32_t repair_gen;        /* tags replies, so a reset abandons a chunk cleanly */       /* replies of the current chunk still to come */
    int64_t repair_from, repair_to; /* the hole: ticks with repair_from < t < repair_to */
    int64_t repair_bound;       /* lowest last-t of a full reply in this chunk */
    uint32_t repair_rows;
    int32_t *repair_m;          /* repair_rows x count prices */
    int64_t live_rx_ms;         /* mono ms the last ts:live message arrived */
    int64_t probe_at;           /* mono ms of the next check of a silent feed; 0: one in flight */
    int64_t probe_rx_ms;        /* live_rx_ms when that check was sent */
    int probe_strikes;          /* checks in a row that found the streams ahead of a silent feed */
    ts_live_msg *pending;       /* live messages held back while repairing */
    size_t npending, cap_pending;
    h2o_linklist_t *live;       /* per instrument: its SUB_LIVE subscriptions */

    /* Clients and catch-up. */
    h2o_linklist_t clients, dirty, closing, queued, wait_sync, wait_drain;
    uint32_t xrange_inflight;
    uint32_t history_inflight;  /* /api/history XRANGEs awaiting their reply */
    gw_xreader xreader;         /* parses the catch-up XRANGE replies on cmd (gw_xreply.h) */
    gw_buf enc[2];              /* scratch for one message, per gw_fmt */
    int32_t *run;               /* scratch for one hist run */
    size_t run_n, run_cap;
    int64_t run_t0;

    gw_wmetrics m;
    int ready;                  /* atomic: read by other workers' /readyz */
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
};

static inline gw_worker *gw_worker_of(h2o_context_t *ctx)
{
    return H2O_STRUCT_FROM_MEMBER(gw_worker, ctx, ctx);
}

/* gw_redis.c */
void gw_rconn_init(gw_rconn *rc, gw_worker *w, const char *name, void (*on_up)(gw_rconn *),
                   void (*on_down)(gw_rconn *));
/* Connects when down and due; enforces the connect timeout. */
void gw_rconn_tick(gw_rconn *rc, int64_t now_ms);
/* Marks the connection lost (a NULL reply arrived); idempotent. */
void gw_rconn_lost(gw_rconn *rc, const char *why);
/* Closes a connection that stopped answering; it is redone with backoff. */
void gw_rconn_drop(gw_rconn *rc, const char *why);
void gw_rconn_close(gw_rconn *rc);
/* Loads ts:meta on the command connection; calls gw_live_meta_loaded. */
void gw_redis_load_meta(gw_worker *w);
void gw_redis_start(gw_worker *w);
void gw_worker_set_ready(gw_worker *w);

/* gw_live.c */
void gw_live_meta_loaded(gw_worker *w, const gw_meta *m);
void gw_live_on_message(gw_worker *w, const char *data, size_t len);
void gw_live_tick(gw_worker *w);
void gw_live_reset(gw_worker *w);

/* gw_catchup.c */
gw_sub *gw_sub_find(gw_client *c, uint32_t inst);
gw_err gw_sub_start(gw_client *c, uint32_t inst, int64_t since);
void gw_sub_remove(gw_sub *s);
/* Sends row time t to every live subscription of instrument inst. */
void gw_catchup_broadcast_row(gw_worker *w, int64_t t, const int32_t *prices);
/* Resumes waiting subscriptions: the queue, the ring start, drained clients. */
void gw_catchup_pump(gw_worker *w);
void gw_catchup_ring_started(gw_worker *w);
void gw_catchup_tick(gw_worker *w);

/* gw_ws.c */
int gw_ws_handle(h2o_req_t *req, gw_worker *w);
/* Queues one message; returns -1 when the client is closing or was just closed as slow. */
int gw_client_send(gw_client *c, const char *data, size_t len);
void gw_client_close(gw_client *c, uint16_t code, const char *reason);
size_t gw_client_queued(gw_client *c);
void gw_ws_flush(gw_worker *w);
void gw_ws_close_all(gw_worker *w, uint16_t code, const char *reason);
void gw_ws_tick(gw_worker *w, int64_t now_ms);

/* gw_worker.c */
int gw_worker_start(gw_worker *w);

/* gw_http.c */
void gw_http_register(gw_global *g, h2o_hostconf_t *host);

#endif
