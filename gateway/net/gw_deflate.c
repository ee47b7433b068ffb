/* gw_deflate.c — see gw_deflate.h.
 *
 * Level 1: on a real 86,400-tick catch-up (225 KB of msgpack hist runs)
 * level 1 made 49 KB in 1.3 ms, level 4 36 KB in 2.1 ms, level 6 36 KB in
 * 4.4 ms (zlib 1.2.13, this machine; docs/PERFORMANCE.md). The catch-up
 * budget is 20 ms of which Redis takes 13-16, and level 1 is already far
 * under the 100 KB target. */
#include "gw_deflate.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gw_buf.h"

#define LEVEL 1
#define WBITS 15 /* negative below: raw deflate, no zlib header (RFC 7692 7.2.1) */

struct gw_deflate {
    z_stream def, inf;
    int def_ok, inf_ok;
    gw_buf in;       /* the last message compressed */
    gw_buf out;      /* its compressed form */
    uint8_t *big;    /* inflate output, cap bytes */
    size_t cap;
};

gw_deflate *gw_deflate_new(void)
{
    gw_deflate *z = calloc(1, sizeof(*z));
    if (z == NULL)
        return NULL;
    z->def_ok = deflateInit2(&z->def, LEVEL, Z_DEFLATED, -WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    z->inf_ok = inflateInit2(&z->inf, -WBITS) == Z_OK;
    if (!z->def_ok || !z->inf_ok) {
        gw_deflate_free(z);
        return NULL;
    }
    return z;
}

void gw_deflate_free(gw_deflate *z)
{
    if (z == NULL)
        return;
    if (z->def_ok)
        deflateEnd(&z->def);
    if (z->inf_ok)
        inflateEnd(&z->inf);
    gw_buf_free(&z->in);
    gw_buf_free(&z->out);
    free(z->big);
    free(z);
}

int gw_deflate_msg(gw_deflate *z, const void *in, size_t len, const uint8_t **out, size_t *outlen)
{
    if (z->in.len == len && z->out.len > 0 && len > 0 && memcmp(z->in.data, in, len) == 0)
        goto done;
    gw_buf_reset(&z->in);
    gw_buf_reset(&z->out);
    /* deflateBound covers one deflate() that ends the stream; a sync flush
     * may add an empty stored block (5 bytes) and a few bits more. */
    size_t bound = deflateBound(&z->def, (uLong)len) + 16;
    if (z->out.cap < bound) {
        char *d = realloc(z->out.data, bound);
        if (d == NULL)
            return -1;
        z->out.data = d;
        z->out.cap = bound;
    }
    if (deflateReset(&z->def) != Z_OK)
        return -1;
    z->def.next_in = (Bytef *)in;
    z->def.avail_in = (uInt)len;
    z->def.next_out = (Bytef *)z->out.data;
    z->def.avail_out = (uInt)bound;
    int r = deflate(&z->def, Z_SYNC_FLUSH);
    size_t n = bound - z->def.avail_out;
    if (r != Z_OK || z->def.avail_in != 0 || z->def.avail_out == 0 || n < 4)
        return -1;
    z->out.len = n - 4; /* the sync flush's 00 00 ff ff */
    if (len > 0) /* in may be NULL then */
        gw_buf_put(&z->in, in, len);
    if (z->in.oom) {
        gw_buf_reset(&z->in);
        z->out.len = 0;
        return -1;
    }
done:
    *out = (const uint8_t *)z->out.data;
    *outlen = z->out.len;
    return 0;
}

/* Runs inflate over next_in until it is used up or the output is full. */
static int inflate_some(z_stream *s)
{
    while (s->avail_in > 0 && s->avail_out > 0) {
        int r = inflate(s, Z_SYNC_FLUSH);
        if (r == Z_STREAM_END)
            return 1;
        if (r != Z_OK)
            return -1;
    }
    return 0;
}

gw_inflate_result gw_inflate_msg(gw_deflate *z, const void *in, size_t len, size_t max, const uint8_t **out,
                                 size_t *outlen)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xff, 0xff};
    if (z->cap < max + 1) {
        uint8_t *b = realloc(z->big, max + 1);
        if (b == NULL)
            return GW_INFLATE_BAD;
        z->big = b;
        z->cap = max + 1;
    }
    if (inflateReset(&z->inf) != Z_OK)
        return GW_INFLATE_BAD;
    z->inf.next_out = z->big;
    z->inf.avail_out = (uInt)(max + 1);
    z->inf.next_in = (Bytef *)in;
    z->inf.avail_in = (uInt)len;
    int r = len > 0 ? inflate_some(&z->inf) : 0;
    if (r == 0 && z->inf.avail_out > 0) {
        /* A message may end its deflate stream (BFINAL); only then is the
         * tail not needed. */
        z->inf.next_in = (Bytef *)tail;
        z->inf.avail_in = sizeof(tail);
        r = inflate_some(&z->inf);
    }
    size_t n = max + 1 - z->inf.avail_out;
    if (n > max)
        return GW_INFLATE_TOO_BIG;
    if (r < 0 || z->inf.avail_in > 0) /* an error, or bytes after the stream's end */
        return GW_INFLATE_BAD;
    /* The tail completes the empty stored block a sync flush ends with, so
     * a whole message leaves inflate between blocks (zlib: data_type bit
     * 128); a truncated one leaves it inside a block, having read the tail
     * as more of it. (A message of no bytes at all is let through empty.) */
    if (r == 0 && len > 0 && !(z->inf.data_type & 128))
        return GW_INFLATE_BAD;
    *out = z->big;
    *outlen = n;
    return GW_INFLATE_OK;
}
