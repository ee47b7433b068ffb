/* fuzz_resp.h — RESP bytes through a hiredis reader, for the targets that
 * read replies (ts_entry, ts_meta, gw_xreply, gw_rreply).
 *
 * hiredis 0.14 allocates an array's element table from the count in its
 * header before any element arrives (and msgpack-c does the same, see
 * ts_msgpack_sizes_fit). Redis is trusted for that: a Redis that sends
 * "*2147483647" can make any hiredis client allocate 16 GB, and that is not
 * a bug of ours to find. So inputs whose array headers claim more elements
 * than the input has bytes are skipped; everything else is fed as is. */
#ifndef FUZZ_RESP_H
#define FUZZ_RESP_H

#include <hiredis/hiredis.h>

#include "fuzz.h"

static inline int fuzz_resp_counts_fit(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (d[i] != '*')
            continue;
        uint64_t v = 0;
        size_t j = i + 1;
        while (j < n && d[j] >= '0' && d[j] <= '9' && v <= n)
            v = v * 10 + (uint64_t)(d[j++] - '0');
        if (v > n)
            return 0;
    }
    return 1;
}

/* Feeds d to r and hands every complete reply to fn, then frees it with
 * r's own free function. Stops at the first protocol error. */
static inline void fuzz_resp_each(redisReader *r, const uint8_t *d, size_t n, void (*fn)(void *reply, void *arg),
                                  void *arg)
{
    /* Two feeds when the input is long enough: a reply split across reads. */
    size_t half = n / 2;
    const char *s = (const char *)d;
    for (int part = 0; part < 2; part++) {
        size_t off = part == 0 ? 0 : half, len = part == 0 ? half : n - half;
        if (len > 0 && redisReaderFeed(r, s + off, len) != REDIS_OK)
            return;
        for (;;) {
            void *reply = NULL;
            if (redisReaderGetReply(r, &reply) != REDIS_OK || reply == NULL)
                break;
            fn(reply, arg);
            r->fn->freeObject(reply);
        }
        if (r->err)
            return;
    }
}

/* One input of a reply-reader target: a bare redisContext whose reader
 * attach replaces (gw_xreader_attach, gw_rreader_attach), fed d; every
 * reply goes to fn. */
static inline void fuzz_reader_input(const uint8_t *d, size_t n, int (*attach)(redisContext *),
                                     void (*fn)(void *reply, void *arg))
{
    if (!fuzz_resp_counts_fit(d, n))
        return;
    redisContext c;
    memset(&c, 0, sizeof(c));
    c.reader = redisReaderCreate();
    if (c.reader == NULL)
        return;
    FUZZ_CHECK(attach(&c) == 0);
    char *s = fuzz_copy(d, n, 0);
    if (s != NULL)
        fuzz_resp_each(c.reader, (const uint8_t *)s, n, fn, NULL);
    redisReaderFree(c.reader);
    free(s);
}

#endif
