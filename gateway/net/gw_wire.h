/* gw_wire.h — the byte pipe under both client transports (WebSocket,
 * Server-Sent Events): an h2o socket taken over after the response head,
 * an output buffer the transport appends to, and one socket write per flush.
 *
 * While the socket writes one buffer (`wr`), the transport fills the next
 * (`out`); the flush hands `out` over when no write is in flight, and the
 * write's completion hands over what piled up meanwhile. So a burst of
 * messages costs one write, whatever the framing (gw_wsconn.h says why that
 * matters). An idle connection keeps one small buffer at most. */
#ifndef GW_WIRE_H
#define GW_WIRE_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>
#include <stdint.h>

#include "gw_buf.h"

typedef struct gw_wire gw_wire;

/* A write finished (err NULL) or failed; the transport goes on or ends. */
typedef void (*gw_wire_written_cb)(gw_wire *w, const char *err);

struct gw_wire {
    h2o_socket_t *sock;  /* NULL until the response head is out; sock->data is the wire */
    gw_buf out;          /* bytes made by the transport, not yet given to the socket */
    gw_buf wr;           /* the buffer the socket is writing (h2o holds it until done) */
    int64_t last_rx_ms;  /* monotonic time the peer last sent us bytes */
    int64_t write_at_ms; /* monotonic time the write in flight started */
    gw_wire_written_cb on_written;
};

/* Takes the socket h2o_http1_upgrade handed over: drops the request's bytes
 * from its input; sock->data becomes w. */
void gw_wire_attach(gw_wire *w, h2o_socket_t *sock, size_t reqsize);
/* Starts writing `out` unless a write is in flight or nothing is queued;
 * 1 when a write is in flight afterwards. */
int gw_wire_flush(gw_wire *w);
/* Bytes queued here: in `out` and in the socket's write. */
size_t gw_wire_queued(const gw_wire *w);
/* Closes the socket at once and frees the buffers. */
void gw_wire_dispose(gw_wire *w);

#endif
