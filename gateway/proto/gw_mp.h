/* gw_mp.h — the msgpack writers of the encoders (gw_enc.c, gw_benc.c):
 * direct appends into one reusable gw_buf, cheaper than msgpack_packer on
 * the per-tick path. */
#ifndef GW_MP_H
#define GW_MP_H

#include <stdint.h>
#include <string.h>

#include "gw_buf.h"

static inline void put_byte(gw_buf *b, uint8_t c)
{
    gw_buf_put(b, &c, 1);
}

static inline void put_be(gw_buf *b, uint8_t tag, uint64_t v, int bytes)
{
    uint8_t tmp[9];
    tmp[0] = tag;
    for (int i = 0; i < bytes; i++)
        tmp[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
    gw_buf_put(b, tmp, (size_t)bytes + 1);
}

/* ---- msgpack writers ---- */

static inline void mp_map(gw_buf *b, uint32_t n)
{
    put_byte(b, (uint8_t)(0x80 | n)); /* our maps have < 16 keys */
}

static inline void mp_array(gw_buf *b, size_t n)
{
    if (n < 16)
        put_byte(b, (uint8_t)(0x90 | n));
    else if (n < 65536)
        put_be(b, 0xdc, n, 2);
    else
        put_be(b, 0xdd, n, 4);
}

static inline void mp_str(gw_buf *b, const char *s, size_t n)
{
    if (n < 32)
        put_byte(b, (uint8_t)(0xa0 | n));
    else if (n < 256)
        put_be(b, 0xd9, n, 1);
    else if (n < 65536)
        put_be(b, 0xda, n, 2);
    else
        put_be(b, 0xdb, n, 4);
    gw_buf_put(b, s, n);
}

static inline void mp_cstr(gw_buf *b, const char *s)
{
    mp_str(b, s, strlen(s));
}

static inline void mp_int(gw_buf *b, int64_t v)
{
    if (v >= 0) {
        if (v < 128)
            put_byte(b, (uint8_t)v);
        else if (v < 256)
            put_be(b, 0xcc, (uint64_t)v, 1);
        else if (v < 65536)
            put_be(b, 0xcd, (uint64_t)v, 2);
        else if (v <= 0xffffffffLL)
            put_be(b, 0xce, (uint64_t)v, 4);
        else
            put_be(b, 0xcf, (uint64_t)v, 8);
    } else {
        if (v >= -32)
            put_byte(b, (uint8_t)(int8_t)v);
        else if (v >= -128)
            put_be(b, 0xd0, (uint64_t)v & 0xff, 1);
        else if (v >= -32768)
            put_be(b, 0xd1, (uint64_t)v & 0xffff, 2);
        else if (v >= INT32_MIN)
            put_be(b, 0xd2, (uint64_t)v & 0xffffffff, 4);
        else
            put_be(b, 0xd3, (uint64_t)v, 8);
    }
}

#endif
