/* gw_wsconn.c — WebSocket transport: wslay framing over an h2o socket, one
 * write per flush (why: gw_wsconn.h).
 *
 * wslay does the protocol (framing, masking checks, control frames, the
 * closing handshake, the message size limit); this file only moves bytes:
 * the socket's input buffer into wslay, and wslay's frames into the wire's
 * output buffer, which gw_wire.c hands to the socket.
 *
 * Data messages bypass wslay's queue (gw_wsconn_send): wslay_event_queue_msg
 * mallocs a copy of every message and its queue entry, and its send frees
 * both after handing header and payload over in two callbacks. On a fan-out
 * that was over half of the gateway's instructions (callgrind, 1,000
 * clients: docs/PERFORMANCE.md). A server frame is a 2–10 byte header and
 * the payload, so it is written straight into the wire's buffer. This keeps
 * the order of frames: send_cb never takes less than it is given, so wslay
 * never holds half a frame, and its control frames (pong, ping, close)
 * land between whole messages, where RFC 6455 allows them.
 *
 * permessage-deflate (RFC 7692) sits here too, as the transport's business:
 * a long message is compressed by the worker's codec (gw_deflate.h) and its
 * frame gets RSV1; a message the peer sent with RSV1 is inflated before the
 * owner sees it, bounded by the same max_msg as an uncompressed one. */
#include <string.h>

#include "gw_wsconn.h"
#include <h2o/http1.h>
#include <openssl/sha.h>

#include "gw_utf8.h"
#include "ts_time.h"

static void on_written(gw_wire *w, const char *err);

/* Reports the end once; the owner frees conn from inside the callback. */
static void fail(gw_wsconn *conn)
{
    if (conn->failed)
        return;
    conn->failed = 1;
    conn->cb(conn, NULL);
}

static ssize_t recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
    (void)flags;
    gw_wsconn *conn = user;
    h2o_buffer_t *in = conn->wire.sock->input;
    if (in->size == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    if (len > in->size)
        len = in->size;
    memcpy(buf, in->bytes, len);
    h2o_buffer_consume(&conn->wire.sock->input, len);
    return (ssize_t)len;
}

/* Never blocks: the caller bounds what a client may queue (gw_client_send). */
static ssize_t send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *user)
{
    (void)flags;
    gw_wsconn *conn = user;
    gw_buf_put(&conn->wire.out, data, len);
    if (conn->wire.out.oom) {
        wslay_event_set_error(ctx, WSLAY_ERR_NOMEM);
        return -1;
    }
    return (ssize_t)len;
}

/* A long message compressed by the worker's codec: RSV1 for the frame's
 * first byte, and *data, *len replaced; 0 and nothing changed when that
 * fails or saves nothing. Out of line: the live ticks' path stays as it was
 * (callgrind: docs/PERFORMANCE.md). */
static __attribute__((noinline)) uint8_t compress(gw_wsconn *conn, const char **data, size_t *len)
{
    const uint8_t *zd;
    size_t zlen;
    if (gw_deflate_msg(conn->z, *data, *len, &zd, &zlen) != 0 || zlen >= *len)
        return 0;
    *data = (const char *)zd;
    *len = zlen;
    return 0x40;
}

int gw_wsconn_send(gw_wsconn *conn, int text, const char *data, size_t len)
{
    /* wslay would refuse a message once a close is on its way (ours or the
     * peer's); refuse it the same. */
    if (!wslay_event_get_write_enabled(conn->ctx) || wslay_event_get_close_received(conn->ctx) ||
        wslay_event_get_close_sent(conn->ctx))
        return -1;
    /* RFC 6455 5.2: FIN + opcode, then the length in 7, 7+16 or 7+64 bits;
     * a server's frames are not masked. RFC 7692 6: RSV1 on a compressed
     * message's first (here: only) frame. */
    uint8_t h[10];
    size_t n = 2;
    h[0] = 0x80 | (text ? WSLAY_TEXT_FRAME : WSLAY_BINARY_FRAME);
    if (__builtin_expect(len >= GW_DEFLATE_MIN, 0) && conn->z != NULL)
        h[0] |= compress(conn, &data, &len);
    if (len < 126) {
        h[1] = (uint8_t)len;
    } else if (len <= 0xffff) {
        h[1] = 126;
        h[2] = (uint8_t)(len >> 8);
        h[3] = (uint8_t)len;
        n = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
        n = 10;
    }
    gw_buf_put(&conn->wire.out, h, n);
    if (len > 0) /* an empty message may come with data NULL */
        gw_buf_put(&conn->wire.out, data, len);
    return conn->wire.out.oom ? -1 : 0;
}

/* Fails the connection with a close frame; what the peer sends after it is
 * not handed to the owner (no replies to queue ahead of the close). */
static void refuse(gw_wsconn *conn, uint16_t code, const char *reason)
{
    conn->refused = 1;
    wslay_event_queue_close(conn->ctx, code, (const uint8_t *)reason, reason != NULL ? strlen(reason) : 0);
}

/* A compressed message (RSV1 on a data frame: wslay lets it through only
 * when we allowed it, and refuses it on control and continuation frames).
 * wslay checks that a plain text message is UTF-8 (1007, RFC 6455 8.1) but
 * not one with RSV1, which is only text once inflated: checked here. */
static void on_compressed(gw_wsconn *conn, const struct wslay_event_on_msg_recv_arg *arg)
{
    struct wslay_event_on_msg_recv_arg plain = *arg;
    const uint8_t *out;
    size_t n;
    gw_inflate_result r = gw_inflate_msg(conn->z, arg->msg, arg->msg_length, (size_t)conn->max_msg, &out, &n);
    if (r == GW_INFLATE_TOO_BIG) {
        refuse(conn, WSLAY_CODE_MESSAGE_TOO_BIG, NULL);
        return;
    }
    if (r != GW_INFLATE_OK) {
        refuse(conn, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, NULL);
        return;
    }
    if (arg->opcode == WSLAY_TEXT_FRAME && !gw_utf8_valid(out, n)) {
        refuse(conn, WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA, "invalid UTF-8");
        return;
    }
    plain.rsv = 0;
    plain.msg = out;
    plain.msg_length = n;
    conn->cb(conn, &plain);
}

static void on_msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *arg, void *user)
{
    (void)ctx;
    gw_wsconn *conn = user;
    if (conn->refused && !wslay_is_ctrl_frame(arg->opcode))
        return;
    if (conn->z != NULL && wslay_get_rsv1(arg->rsv) && !wslay_is_ctrl_frame(arg->opcode))
        on_compressed(conn, arg);
    else
        conn->cb(conn, arg);
}

/* RFC 6455 4.2.2: base64(SHA-1(key + GUID)). h2o 2.2.5 keeps its own copy static. */
static void accept_key(char dst[29], const char *client_key)
{
    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    uint8_t src[24 + sizeof(guid) - 1], sha[SHA_DIGEST_LENGTH];
    memcpy(src, client_key, 24); /* h2o_is_websocket_handshake checked: 24 bytes */
    memcpy(src + 24, guid, sizeof(guid) - 1);
    SHA1(src, sizeof(src), sha);
    h2o_base64_encode(dst, sha, sizeof(sha), 0);
}

static const struct wslay_event_callbacks callbacks = {
    .recv_callback = recv_cb,
    .send_callback = send_cb,
    .on_msg_recv_callback = on_msg_cb,
};

static void on_read(h2o_socket_t *sock, const char *err)
{
    gw_wsconn *conn = H2O_STRUCT_FROM_MEMBER(gw_wsconn, wire, (gw_wire *)sock->data);
    if (err != NULL) {
        fail(conn);
        return;
    }
    conn->wire.last_rx_ms = ts_mono_ms();
    gw_wsconn_proceed(conn);
}

static void on_upgraded(void *user, h2o_socket_t *sock, size_t reqsize)
{
    gw_wsconn *conn = user;
    if (sock == NULL) {
        fail(conn);
        return;
    }
    gw_wire_attach(&conn->wire, sock, reqsize);
    gw_wsconn_proceed(conn);
}

int gw_wsconn_upgrade(gw_wsconn *conn, h2o_req_t *req, const char *client_key, gw_wsconn_cb cb,
                      uint64_t max_msg, gw_deflate *z, const char *pmd)
{
    conn->cb = cb;
    conn->max_msg = max_msg;
    conn->wire.last_rx_ms = ts_mono_ms();
    conn->wire.on_written = on_written;
    if (wslay_event_context_server_init(&conn->ctx, &callbacks, conn) != 0) {
        conn->ctx = NULL; /* wslay 1.1.1 frees it on failure but leaves the pointer */
        return -1;
    }
    wslay_event_config_set_max_recv_msg_length(conn->ctx, max_msg);
    if (z != NULL && pmd != NULL && pmd[0] != '\0') {
        conn->z = z;
        wslay_event_config_set_allowed_rsv_bits(conn->ctx, WSLAY_RSV1_BIT);
        h2o_iovec_t e = h2o_strdup(&req->pool, pmd, strlen(pmd));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-extensions"), 0, NULL, e.base,
                              e.len);
    }
    char key[29];
    accept_key(key, client_key);
    req->res.status = 101;
    req->res.reason = "Switching Protocols";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_UPGRADE, NULL, H2O_STRLIT("websocket"));
    h2o_iovec_t v = h2o_strdup(&req->pool, key, strlen(key));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("sec-websocket-accept"), 0, NULL, v.base, v.len);
    h2o_http1_upgrade(req, NULL, 0, on_upgraded, conn);
    return 0;
}

static void on_written(gw_wire *w, const char *err)
{
    gw_wsconn *conn = H2O_STRUCT_FROM_MEMBER(gw_wsconn, wire, w);
    if (err != NULL) {
        fail(conn);
        return;
    }
    gw_wsconn_proceed(conn);
}

/* One pass: read what came, send what is queued. Returns -1 once conn has
 * been reported gone (its owner has freed it), else 0. */
static int proceed_once(gw_wsconn *conn)
{
    h2o_socket_t *sock = conn->wire.sock;
    while (sock->input->size != 0 && wslay_event_want_read(conn->ctx)) {
        if (wslay_event_recv(conn->ctx) != 0)
            goto gone;
    }
    if (wslay_event_want_write(conn->ctx) && wslay_event_send(conn->ctx) != 0)
        goto gone;
    int writing = gw_wire_flush(&conn->wire);
    if (wslay_event_want_read(conn->ctx))
        h2o_socket_read_start(sock, on_read);
    else if (writing)
        h2o_socket_read_stop(sock);
    else
        goto gone; /* closing handshake done and the close frame written */
    return 0;
gone:
    fail(conn);
    return -1;
}

void gw_wsconn_proceed(gw_wsconn *conn)
{
    if (conn->wire.sock == NULL || conn->failed)
        return; /* before the 101 is out: on_upgraded proceeds */
    /* A flush from inside our own message callback (wslay_event_recv is on
     * the stack): the outer pass sends what was queued when it returns. */
    if (conn->in_proceed)
        return;
    conn->in_proceed = 1;
    if (proceed_once(conn) == 0)
        conn->in_proceed = 0;
}

size_t gw_wsconn_queued(const gw_wsconn *conn)
{
    size_t n = gw_wire_queued(&conn->wire);
    if (conn->ctx != NULL)
        n += wslay_event_get_queued_msg_length(conn->ctx);
    return n;
}

void gw_wsconn_dispose(gw_wsconn *conn)
{
    gw_wire_dispose(&conn->wire);
    if (conn->ctx != NULL)
        wslay_event_context_free(conn->ctx);
    conn->ctx = NULL;
}
