/* wsc.h — the WebSocket client side the load tools share (bench/wsload.c,
 * bench/wsstorm.c): the upgrade request, masked frames, a sub, reading
 * whole server frames from a libevent buffer, and map lookups in msgpack.
 * Just enough of RFC 6455 for tickgw's messages; no I/O of its own. */
#ifndef WSC_H
#define WSC_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* On a connected bev: TCP_NODELAY, then the upgrade request for /ws (with
 * deflate, offering permessage-deflate as browsers do). */
void wsc_upgrade(struct bufferevent *bev, const char *host, int port, int deflate);
/* After the upgrade request: 1 when the response head is complete and 101
 * (drained from in), -1 when it is complete and not 101 (status in
 * line[12]), 0 when more bytes are needed. */
int wsc_upgraded(struct evbuffer *in, char line[13]);
/* One masked binary frame (payloads up to 120 bytes: our requests). */
void wsc_send_frame(struct bufferevent *bev, const char *data, size_t len);
/* {"op":"sub","sym":sym,"since":since} in msgpack. */
void wsc_send_sub(struct bufferevent *bev, const char *sym, int64_t since);
/* The next complete frame in `in`: its payload (pulled up, still in the
 * buffer), length and opcode (| WSC_RSV1 for a compressed message); *used
 * is what to drain after handling it. 0 when no whole frame is there yet. */
#define WSC_RSV1 0x40
int wsc_next_frame(struct evbuffer *in, const char **payload, size_t *len, int *opcode, size_t *used);
/* The value of key k in a msgpack map, or NULL. */
const msgpack_object *wsc_get(const msgpack_object *m, const char *k);

/* A compressed message's payload inflated (RFC 7692 7.2.2), as a browser
 * does: one stream, reset per message (the gateway answers
 * no_context_takeover). */
typedef struct wsc_inflater {
    z_stream z;
    int ok;
    char *buf;
    size_t cap;
} wsc_inflater;
/* 0 and out/outlen (valid until the next call), or -1. */
int wsc_inflate(wsc_inflater *f, const char *p, size_t len, const char **out, size_t *outlen);

#endif
