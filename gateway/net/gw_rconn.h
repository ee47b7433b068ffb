/* gw_rconn.h — one Redis connection on a worker's h2o loop: connect with a
 * timeout, AUTH/SELECT, notice a loss or a silent peer, reconnect with
 * backoff. With a redis-sentinel:// URL each attempt first asks a sentinel
 * for the master and the connection is up only once ROLE says "master"
 * (common/ts_sentinel.h). It knows nothing of what is sent on it: its owner
 * installs hooks and is told when the connection comes up and goes down. */
#ifndef GW_RCONN_H
#define GW_RCONN_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <hiredis/async.h>
#include <stdint.h>

#include "ts_redis_url.h"
#include "ts_sentinel.h"
#include "ts_time.h"

typedef struct gw_rconn gw_rconn;

typedef struct gw_rconn_opts {
    const char *name;             /* "command", "subscriber", "catch-up": for logs and /readyz */
    const ts_redis_url *url;
    int64_t timeout_ms;           /* to connect; a PING unanswered for max(3x, 5 s) drops it */
    int ping;                     /* send liveness PINGs (not on a subscriber: hiredis 0.14 takes their replies for messages) */
    /* Instead of PING, on a subscribed connection: sends the liveness probe
     * (0 sent), whose reply the owner reports with gw_rconn_heard, as any
     * reply. Unanswered past timeout_ms, the connection is dropped (a watch:
     * the next sentinel is watched). */
    int (*probe)(gw_rconn *rc);
    int watch;                    /* Sentinel only: connect to the sentinels themselves (AUTH, no ROLE), for +switch-master */
    /* Called right after the context is made, before any byte is read
     * (e.g. to give it another reply reader); non-zero fails the connect. */
    int (*setup)(redisContext *c);
    void (*on_up)(gw_rconn *rc);   /* commands may be sent */
    /* Lost or closed; nothing may be sent. Called once or more per loss
     * (when marked lost, when hiredis reports the disconnect, after a drop),
     * sometimes from inside hiredis' NULL-reply callbacks: it must be
     * idempotent and must not send. */
    void (*on_down)(gw_rconn *rc);
    /* The replies of one read of the socket have been handed to their
     * callbacks (NULL: not wanted); lets the owner act once per batch. */
    void (*on_read)(gw_rconn *rc);
    void *data;                    /* the owner's */
    uint64_t *reconnects;          /* a counter to add reconnects to, or NULL */
    uint64_t *failovers;           /* a counter to add failovers to (a new master named), or NULL */
} gw_rconn_opts;

struct gw_rconn {
    gw_rconn_opts o;
    h2o_loop_t *loop;
    int worker_id;
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
    char why[192];          /* why it is down */
    ts_sentinel sentinel;   /* where the next attempt goes */
    ts_redis_addr peer;     /* where this attempt went */
    int asking;             /* peer is a sentinel being asked for the master */
    int setup_left;         /* AUTH/SELECT/ROLE replies still to come */
    int failing_over;       /* the master it was up on is lost; until up again, /readyz says so */
};

void gw_rconn_init(gw_rconn *rc, h2o_loop_t *loop, int worker_id, const gw_rconn_opts *o);
/* Connects when down and due; enforces the connect timeout and the PING. */
void gw_rconn_tick(gw_rconn *rc, int64_t now_ms);
/* A reply came on a connection with a probe: the peer is alive. */
void gw_rconn_heard(gw_rconn *rc);
/* Marks the connection lost (a NULL reply arrived, a command was refused); idempotent. */
void gw_rconn_lost(gw_rconn *rc, const char *why);
/* Closes a connection that stopped answering; it is redone with backoff. */
void gw_rconn_drop(gw_rconn *rc, const char *why);
/* A watch read +switch-master naming `to` as the master (asked: read it in
 * the answer to its question, ts_sentinel_switched): unless this
 * connection is already there, `to` is its next target and the connection
 * is dropped (or, when down, retried now). */
void gw_rconn_switch(gw_rconn *rc, const ts_redis_addr *to, int asked);
/* For good (shutdown): pending callbacks get a NULL reply. */
void gw_rconn_close(gw_rconn *rc);

#endif
