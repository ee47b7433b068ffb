/* gw_xreply.h — catch-up XRANGE replies parsed straight into two arrays.
 *
 * hiredis' default reader turns every stream entry of an XRANGE reply into a
 * redisReply tree of 5 objects and 10 allocations (entry array, ID, field
 * array, field, value), which the gateway reads once and hiredis frees again:
 * measured, that malloc/free work was 3/4 of the gateway's CPU in a 86,400-tick
 * catch-up. A gw_xreader is a reader function set for one async context that
 * builds a gw_xreply — times and prices, one allocation per reply — for
 * every array reply of one connection, and leaves every other reply (status,
 * errors, nil, PONG) to hiredis' own functions.
 *
 * The gateway gives this reader to a Redis connection that carries nothing
 * but catch-up XRANGEs (gw_worker.c), right after the context is made. An
 * earlier version shared the command connection and picked the replies to
 * parse by peeking at the async context's callback list, a private detail
 * of hiredis; now only the public reader API is used: reply object
 * functions (redisReaderCreateWithFunctions) and the redisReadTask they are
 * given, and redisContext's reader pointer. Entry IDs and prices are read
 * by ts_entry.h, the rules every reader of a stream entry follows. */
#ifndef GW_XREPLY_H
#define GW_XREPLY_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* The type of a gw_xreply: no REDIS_REPLY_* has this value. */
#define GW_XREPLY 0x7852

typedef struct gw_xreply {
    int type;   /* GW_XREPLY; first, like redisReply's type, so a callback can tell them apart */
    int p_next; /* parse state: the next string is the value of field p */
    size_t p_done; /* parse state: the entry whose first p has been read */
    size_t n;   /* entries: the reply's array length */
    int64_t *t; /* per entry: ID milliseconds, -1 when the ID is unreadable */
    int32_t *p; /* per entry: field p, TS_PRICE_MISSING when absent or unreadable (ts_entry.h) */
} gw_xreply;

/* Gives c a reader whose array replies become gw_xreply (hiredis frees them
 * after the callback, as usual). Call it before c has read a byte. Returns
 * 0, or -1 when out of memory (c keeps its reader). */
int gw_xreader_attach(redisContext *c);

/* Gives c a reader made of fns, each of which passes what it does not
 * parse to hiredis' own functions (its read task's privdata). The same for
 * gw_xreader_attach and gw_rreader_attach (gw_rreply.h). */
int gw_reader_attach(redisContext *c, redisReplyObjectFunctions *fns);

static inline const gw_xreply *gw_xreply_of(const void *reply)
{
    return reply != NULL && *(const int *)reply == GW_XREPLY ? reply : NULL;
}

#endif
