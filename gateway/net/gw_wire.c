/* gw_wire.c — see gw_wire.h. */
#include "gw_wire.h"

#include <string.h>

#include "ts_time.h"

/* A written buffer up to this size is kept for the next bytes; a bigger one
 * (a catch-up burst) is freed, so an idle connection holds at most this. */
#define KEEP_CAP 4096

static void on_write_done(h2o_socket_t *sock, const char *err)
{
    gw_wire *w = sock->data;
    if (w->out.data == NULL && w->wr.cap <= KEEP_CAP) {
        w->out = w->wr;
        w->out.len = 0;
        memset(&w->wr, 0, sizeof(w->wr));
    } else {
        gw_buf_free(&w->wr);
    }
    w->on_written(w, err); /* may dispose w */
}

void gw_wire_attach(gw_wire *w, h2o_socket_t *sock, size_t reqsize)
{
    w->sock = sock;
    sock->data = w;
    h2o_buffer_consume(&sock->input, reqsize);
}

int gw_wire_flush(gw_wire *w)
{
    if (h2o_socket_is_writing(w->sock))
        return 1;
    if (w->out.len == 0)
        return 0;
    /* The socket takes `out`; the transport starts a new one while it is written. */
    w->wr = w->out;
    memset(&w->out, 0, sizeof(w->out));
    w->write_at_ms = ts_mono_ms();
    h2o_iovec_t b = h2o_iovec_init(w->wr.data, w->wr.len);
    h2o_socket_write(w->sock, &b, 1, on_write_done);
    return 1;
}

size_t gw_wire_queued(const gw_wire *w)
{
    return w->out.len + w->wr.len;
}

void gw_wire_dispose(gw_wire *w)
{
    if (w->sock != NULL) {
        h2o_socket_close(w->sock);
        w->sock = NULL;
    }
    gw_buf_free(&w->out);
    gw_buf_free(&w->wr);
}
