/* gw_buf.c — see gw_buf.h. */
#include "gw_buf.h"

#include <stdlib.h>
#include <string.h>

void gw_buf_put(gw_buf *b, const void *p, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (d == NULL) {
            b->oom = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void gw_buf_free(gw_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
