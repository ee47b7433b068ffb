/* gw_buf.h — a growable byte buffer, the one the encoders and the WebSocket
 * transport append to. oom is sticky, so a sequence of puts is checked once. */
#ifndef GW_BUF_H
#define GW_BUF_H

#include <stddef.h>

typedef struct gw_buf {
    char *data;
    size_t len, cap;
    int oom;
} gw_buf;

void gw_buf_put(gw_buf *b, const void *p, size_t n);
/* Empties b for the next message, keeping its memory. */
static inline void gw_buf_reset(gw_buf *b)
{
    b->len = 0;
    b->oom = 0;
}
void gw_buf_free(gw_buf *b);

#endif
