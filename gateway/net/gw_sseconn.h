/* gw_sseconn.h — Server-Sent Events transport over an h2o socket.
 *
 * The response head goes out through h2o_http1_upgrade (status 200,
 * text/event-stream), which hands the socket over to us, as for a
 * WebSocket. Owning the socket is what lets an SSE client have the same
 * limits as a WebSocket one: its bytes pile up in our gw_wire where the
 * send-queue cap sees them, one write per flush, and a client that does not
 * take its bytes is dropped by closing the socket — h2o's streaming
 * response API (h2o_send) has no way to drop a response whose write never
 * completes. The body ends when the connection closes (no length, no
 * chunking; RFC 9112 6.3, rule 8); h2o 2.2 writes `Connection: upgrade`
 * in that head, which clients and HAProxy ignore for a 200.
 *
 * Events are written by the layers above as bytes (`data:` lines); this
 * file adds each tick event's `id:` — the last tick time sent of every
 * instrument of the stream, in the order the client named them — so a
 * reconnecting EventSource resumes every instrument exactly where it
 * stopped (docs/PROTOCOL.md "Server-Sent Events"). */
#ifndef GW_SSECONN_H
#define GW_SSECONN_H

#include <stdint.h>

#include "gw_wire.h"

typedef struct gw_sseconn gw_sseconn;

/* The connection is gone (peer closed, I/O error, or ended and written):
 * the owner must then call gw_sseconn_dispose. */
typedef void (*gw_sseconn_cb)(gw_sseconn *conn);

struct gw_sseconn {
    gw_wire wire; /* first */
    gw_sseconn_cb on_gone;
    uint32_t n;         /* instruments of the stream */
    uint32_t *keys;     /* their indices, in the client's order */
    int64_t *pos;       /* the last tick time sent of each */
    int64_t last_tx_ms; /* monotonic time bytes were last queued */
    int64_t peer_timeout_ms;
    int ending;         /* the last event is queued: close once it is written */
    int failed;         /* on_gone has been called */
};

/* Sends the response head; events may be queued at once, they go out after
 * it. keys[i] starts at position since[i]. peer_timeout_ms bounds how long
 * sent bytes may stay unacknowledged by the peer (TCP_USER_TIMEOUT). */
int gw_sseconn_start(gw_sseconn *conn, h2o_req_t *req, gw_sseconn_cb on_gone, const uint32_t *keys,
                     const int64_t *since, uint32_t n, int64_t peer_timeout_ms);
/* Appends bytes (whole events or `data:` lines). */
void gw_sseconn_put(gw_sseconn *conn, const char *data, size_t len);
/* Ends the event whose `data:` line was just put: key is now at t; writes
 * the `id:` line and the blank line. */
void gw_sseconn_end_tick(gw_sseconn *conn, uint32_t key, int64_t t);
/* Queues the last bytes: the connection closes once they are written. */
void gw_sseconn_finish(gw_sseconn *conn);
/* Writes what is queued (one write); reports the end when finished. */
void gw_sseconn_proceed(gw_sseconn *conn);
size_t gw_sseconn_queued(const gw_sseconn *conn);
/* Closes the socket at once and frees everything. */
void gw_sseconn_dispose(gw_sseconn *conn);

#endif
