/* gw_wsconn.h — WebSocket transport: wslay framing over an h2o socket.
 *
 * Why not h2o's own h2o_upgrade_to_websocket: its wslay send callback writes
 * each piece wslay hands it as its own socket write and refuses the next one
 * until that write completes. wslay hands over a frame's header and its
 * payload separately, so every message cost two writes in two loop turns,
 * and a burst of N messages 2N. The fan-out of one tick to 1,000 clients was
 * dominated by those writes (docs/PERFORMANCE.md). Here wslay's frames are
 * appended to the connection's gw_wire, and a flush hands everything queued
 * since the last one to the socket in one write. */
#ifndef GW_WSCONN_H
#define GW_WSCONN_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <stdint.h>
#include <wslay/wslay.h>

#include "gw_deflate.h"
#include "gw_wire.h"

typedef struct gw_wsconn gw_wsconn;

/* arg is NULL once the connection is gone (peer closed, I/O error, closing
 * handshake done): the owner must then call gw_wsconn_dispose. */
typedef void (*gw_wsconn_cb)(gw_wsconn *conn, const struct wslay_event_on_msg_recv_arg *arg);

struct gw_wsconn {
    gw_wire wire;                /* first; its socket is NULL until the 101 response is out */
    wslay_event_context_ptr ctx;
    gw_wsconn_cb cb;
    int failed;                  /* cb(NULL) has been called */
    int in_proceed;              /* gw_wsconn_proceed is on the stack */
    int refused;                 /* we queued a close for a bad message: later data messages are dropped */
    gw_deflate *z;               /* permessage-deflate negotiated: the worker's codec; else NULL */
    uint64_t max_msg;            /* bytes of one message from the peer, also once inflated */
};

/* Sends the 101 response; frames may be queued at once, they go out after it.
 * With z (the worker's codec) and pmd (gw_pmd_accept's answer) the
 * connection uses permessage-deflate: the answer goes out as the response's
 * Sec-WebSocket-Extensions, the peer may send compressed messages (RSV1),
 * and ours of GW_DEFLATE_MIN bytes or more go out compressed. */
int gw_wsconn_upgrade(gw_wsconn *conn, h2o_req_t *req, const char *client_key, gw_wsconn_cb cb,
                      uint64_t max_msg, gw_deflate *z, const char *pmd);
/* Queues one whole data message (text or binary frame) in the wire's buffer,
 * past wslay; -1 once a close is queued or seen, or out of memory. A
 * compressed message whose inflated form passes max_msg closes the
 * connection 1009, as a longer frame does; one that does not inflate, 1007;
 * a text message that is not UTF-8, 1007 (wslay checks plain ones, we the
 * inflated ones). */
int gw_wsconn_send(gw_wsconn *conn, int text, const char *data, size_t len);
/* Reads what the peer sent, then writes every queued frame in one write. */
void gw_wsconn_proceed(gw_wsconn *conn);
/* Bytes queued for the peer: in wslay, in our buffer and in the socket's write. */
size_t gw_wsconn_queued(const gw_wsconn *conn);
/* Closes the socket at once (no close frame) and frees everything. */
void gw_wsconn_dispose(gw_wsconn *conn);

#endif
