/* gw_client.h — one worker's clients, whatever their transport: send
 * queues, closes, keepalive, and the one flush per loop turn.
 *
 * Two transports sit under one client type: WebSocket (gw_wsconn, wslay
 * framing) and Server-Sent Events (gw_sseconn). The layers above send
 * bytes encoded for the client's format and never ask which transport
 * carries them; the few places that differ (framing, a close, a keepalive)
 * switch on `kind` here.
 *
 * Sending: gw_client_send appends the framed message to the client's
 * output buffer (gw_wsconn_send, past wslay's queue) and marks the client
 * dirty; once per loop turn, after every event of the turn has run, the
 * flush hands each dirty client's frames to its socket in one write (as
 * Redis writes its clients' replies in beforeSleep). A broadcast therefore
 * costs one write per client, not one per message, and no caller flushes.
 *
 * The flush is a zero h2o timeout, armed when a client turns dirty: h2o 2.2
 * runs due timeouts after the turn's socket events, and runs the write
 * completions of a timeout callback before the turn ends — a flush after
 * h2o_evloop_run would leave them until the next wake-up.
 *
 * Pacing (--write-pace, gw_pace.h): live frames (gw_client_send_live, a
 * live gw_client_send_tick) of a client written less than the pace ago
 * wait in its buffer until a frame comes a pace after that write or, at
 * the latest, a pace after they began to wait (one timer per worker), so
 * ticks that come close together share one write. Anything else queued
 * — a reply, an error, a catch-up, a ping, a close — is written at the end
 * of the turn as without pacing, and takes the waiting frames with it in
 * front of it: the order of frames never changes.
 *
 * Events go up through the hooks the owner installs: a message, the start
 * of a close (no more sends), the end. A client is freed only by a hook's
 * caller here — from socket events, the tick and the flush, never from
 * inside gw_client_send — so the layers above may keep pointers to it
 * across a send. */
#ifndef GW_CLIENT_H
#define GW_CLIENT_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <stdint.h>

#include "gw_metrics.h"
#include "gw_pace.h"
#include "gw_sseconn.h"
#include "gw_wsconn.h"

typedef struct gw_clients gw_clients;
typedef struct gw_client gw_client;

typedef enum { GW_CLIENT_WS, GW_CLIENT_SSE } gw_client_kind;

struct gw_client {
    gw_clients *set;
    gw_client_kind kind;
    union {               /* by kind; both start with their gw_wire */
        gw_wsconn ws;
        gw_sseconn sse;
    };
    int text;             /* WebSocket: text frames (JSON) rather than binary (msgpack) */
    int closing;          /* read-only above: no more sends */
    int dirty;
    int urgent;           /* something besides live frames is queued: no pacing this flush */
    int64_t written_at;   /* monotonic ms (gw_mtick_now: the turn's start) of the last write the flush or pacing started */
    gw_pace_entry pace;   /* in set->paced while its live frames wait */
    int64_t ping_sent_ms; /* last keepalive ping; answered once the wire's last_rx_ms passes it */
    int64_t close_deadline;
    h2o_linklist_t link;         /* set->all */
    h2o_linklist_t dirty_link;   /* set->dirty */
    h2o_linklist_t closing_link; /* set->closing, once closing */
};

typedef struct gw_client_hooks {
    /* A data message from the peer (WebSocket only). */
    void (*on_msg)(gw_client *c, const char *data, size_t len, int is_text);
    /* The client started closing: nothing more will be sent to it. */
    void (*on_closing)(gw_client *c);
    /* The client is about to be freed. */
    void (*on_free)(gw_client *c);
} gw_client_hooks;

typedef struct gw_client_limits {
    int64_t max_msg;       /* bytes of one message from the peer */
    int64_t send_queue;    /* bytes queued before the client is closed 1008 */
    int64_t close_timeout; /* ms a closing client gets to take its close frame */
    int64_t ping_interval; /* ms of silence before a ping (SSE: a comment); twice that drops it */
    int deflate;           /* WebSocket permessage-deflate offered by a client is accepted */
    int64_t write_pace;    /* ms between writes of live frames to one client; 0: write at once */
} gw_client_limits;

gw_clients *gw_clients_new(h2o_loop_t *loop, int worker_id, const gw_client_limits *lim, gw_wmetrics *m,
                           const gw_client_hooks *hooks);
/* Frees every client (no close handshake), then the set. */
void gw_clients_free(gw_clients *set);

/* Answers the upgrade request and makes a client of `size` bytes (at least
 * sizeof(gw_client); the owner's struct starts with one). pmd: the
 * permessage-deflate answer (gw_pmd_accept) or "" — used only when the set
 * has deflate on. NULL when out of memory; then the caller answers the
 * request. */
gw_client *gw_clients_upgrade(gw_clients *set, h2o_req_t *req, const char *key, int text, const char *pmd,
                              size_t size);

/* Answers an SSE request (200, text/event-stream) and makes a client of
 * `size` bytes whose stream carries the instruments keys[0..n) (event ids:
 * gw_sseconn.h), each starting at since[i]. NULL when out of memory. */
gw_client *gw_clients_sse(gw_clients *set, h2o_req_t *req, const uint32_t *keys, const int64_t *since, uint32_t n,
                          size_t size);

/* Queues one message, written at the end of the loop turn; -1 when the
 * client is closing or was just closed as slow. */
int gw_client_send(gw_client *c, const char *data, size_t len);
/* The same for a live update (a tick, a board frame): it may wait for the
 * client's pacing point (--write-pace). */
int gw_client_send_live(gw_client *c, const char *data, size_t len);
/* Queues one tick message of instrument `key` at time t: for SSE the event's
 * `data:` line, ended here with its id; for WebSocket a message as above.
 * `live`: as gw_client_send_live, else as gw_client_send. */
int gw_client_send_tick(gw_client *c, uint32_t key, int64_t t, const char *data, size_t len, int live);
void gw_client_close(gw_client *c, uint16_t code, const char *reason);
size_t gw_client_queued(const gw_client *c);

void gw_clients_close_all(gw_clients *set, uint16_t code, const char *reason);
/* Drops closing clients past their deadline and pings or drops the silent
 * ones (keepalive off while stopping). */
void gw_clients_tick(gw_clients *set, int64_t now_ms, int stopping);
int gw_clients_empty(gw_clients *set);

#endif
