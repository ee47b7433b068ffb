/* gw_sseconn.c — Server-Sent Events over an h2o socket (why: gw_sseconn.h).
 *
 * The peer sends nothing after its request, so its silence says nothing:
 * a gone peer shows up as a read error (it closed), a write error, or —
 * for a dead path, which sends no reset — as bytes it never acknowledges.
 * Keepalive comments (gw_client.c) keep bytes in flight, and
 * TCP_USER_TIMEOUT makes the kernel end a connection whose bytes stay
 * unacknowledged past the limit. */
#include "gw_sseconn.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <h2o/http1.h>

#include "ts_time.h"

static void gone(gw_sseconn *conn)
{
    if (conn->failed)
        return;
    conn->failed = 1;
    conn->on_gone(conn);
}

static void on_read(h2o_socket_t *sock, const char *err)
{
    gw_sseconn *conn = H2O_STRUCT_FROM_MEMBER(gw_sseconn, wire, (gw_wire *)sock->data);
    if (err != NULL) {
        gone(conn); /* the peer closed: EventSource.close(), a closed tab, curl ^C */
        return;
    }
    conn->wire.last_rx_ms = ts_mono_ms();
    h2o_buffer_consume(&sock->input, sock->input->size); /* nothing is expected: ignored */
}

static void on_written(gw_wire *w, const char *err)
{
    gw_sseconn *conn = H2O_STRUCT_FROM_MEMBER(gw_sseconn, wire, w);
    if (err != NULL) {
        gone(conn);
        return;
    }
    gw_sseconn_proceed(conn);
}

static void on_head_sent(void *user, h2o_socket_t *sock, size_t reqsize)
{
    gw_sseconn *conn = user;
    if (sock == NULL) {
        gone(conn);
        return;
    }
    gw_wire_attach(&conn->wire, sock, reqsize);
    int ms = conn->peer_timeout_ms > 0 && conn->peer_timeout_ms < INT32_MAX ? (int)conn->peer_timeout_ms : 0;
    if (ms > 0) /* best effort: a failure leaves the kernel's default */
        (void)setsockopt(h2o_socket_get_fd(sock), IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
    h2o_socket_read_start(sock, on_read);
    gw_sseconn_proceed(conn);
}

int gw_sseconn_start(gw_sseconn *conn, h2o_req_t *req, gw_sseconn_cb on_gone, const uint32_t *keys,
                     const int64_t *since, uint32_t n, int64_t peer_timeout_ms)
{
    conn->on_gone = on_gone;
    conn->wire.on_written = on_written;
    conn->wire.last_rx_ms = conn->last_tx_ms = ts_mono_ms();
    conn->peer_timeout_ms = peer_timeout_ms;
    conn->keys = malloc((n ? n : 1) * sizeof(*conn->keys));
    conn->pos = malloc((n ? n : 1) * sizeof(*conn->pos));
    if (conn->keys == NULL || conn->pos == NULL)
        return -1;
    memcpy(conn->keys, keys, n * sizeof(*keys));
    memcpy(conn->pos, since, n * sizeof(*since));
    conn->n = n;
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("text/event-stream"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    /* Proxies that buffer responses (nginx) must pass each event at once. */
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-accel-buffering"), 0, NULL, H2O_STRLIT("no"));
    h2o_http1_upgrade(req, NULL, 0, on_head_sent, conn);
    return 0;
}

void gw_sseconn_put(gw_sseconn *conn, const char *data, size_t len)
{
    gw_buf_put(&conn->wire.out, data, len);
    conn->last_tx_ms = ts_mono_ms();
}

void gw_sseconn_end_tick(gw_sseconn *conn, uint32_t key, int64_t t)
{
    char num[24];
    gw_buf *b = &conn->wire.out;
    gw_buf_put(b, "id: ", 4);
    for (uint32_t i = 0; i < conn->n; i++) {
        if (conn->keys[i] == key)
            conn->pos[i] = t;
        int len = snprintf(num, sizeof(num), i ? ",%lld" : "%lld", (long long)conn->pos[i]);
        gw_buf_put(b, num, (size_t)len);
    }
    gw_buf_put(b, "\n\n", 2);
}

void gw_sseconn_finish(gw_sseconn *conn)
{
    conn->ending = 1;
}

void gw_sseconn_proceed(gw_sseconn *conn)
{
    if (conn->wire.sock == NULL || conn->failed)
        return; /* before the head is out: on_head_sent proceeds */
    if (conn->wire.out.oom) {
        gone(conn);
        return;
    }
    if (!gw_wire_flush(&conn->wire) && conn->ending)
        gone(conn); /* the last event is written */
}

size_t gw_sseconn_queued(const gw_sseconn *conn)
{
    return gw_wire_queued(&conn->wire);
}

void gw_sseconn_dispose(gw_sseconn *conn)
{
    gw_wire_dispose(&conn->wire);
    free(conn->keys);
    free(conn->pos);
    conn->keys = NULL;
    conn->pos = NULL;
    conn->n = 0;
}
