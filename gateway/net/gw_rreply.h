/* gw_rreply.h — a range read's MULTI/EXEC reply parsed straight into
 * candles.
 *
 * A range answer reads up to ~120,000 stream entries in one transaction
 * (gw_range.c). hiredis' default reader makes a redisReply tree of 5 objects
 * per tick entry and 13 per candle entry; measured with bench/range.sh on
 * 30 days of 1 s ticks, building and freeing them was 3/4 of a 16-hour
 * window's 37 ms (Redis's own XRANGEs took 10 ms). This reader, given to a
 * connection that carries only range reads, turns the EXEC reply into one
 * ts_candle per entry — a tick as a candle of one tick — with the same
 * rules as ts_entry_from_reply and ts_candle_from_reply, and leaves every
 * other reply (OK, QUEUED, PONG, errors) to hiredis. Same technique and
 * same hiredis version check as gw_xreply.h.
 *
 * The layout it expects is gw_range_read's: every command of the
 * transaction is an XRANGE, the last one of a tick stream (its entries are
 * read as ticks: field p), the others of candle streams (o h l c n). */
#ifndef GW_RREPLY_H
#define GW_RREPLY_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

#include "ts_candle.h"

/* The type of a gw_rreply: no REDIS_REPLY_* has this value. */
#define GW_RREPLY 0x7272

/* Per entry: what was read of it (GW_RSEEN_*; ts_candle_field's bits). */
#define GW_RSEEN_CANDLE 0x1f /* o h l c n */
#define GW_RSEEN_P 0x20      /* a tick's price p: c holds it as o = h = l = c */
#define GW_RSEEN_PREAD 0x40  /* a p was read (the first counts, readable or not) */

typedef struct gw_rpart {
    int ok;        /* an array (an XRANGE's reply), not an error */
    size_t n;      /* entries */
    ts_candle *c;  /* per entry; c[i].t = -1 when its ID is unreadable */
    uint8_t *seen; /* per entry */
} gw_rpart;

typedef struct gw_rreply {
    int type;     /* GW_RREPLY, first, like redisReply's type */
    size_t k;     /* parts: one per command of the transaction */
    gw_rpart *part;
    char key;     /* parse state: the single-letter field whose value comes next (0: another) */
} gw_rreply;

/* Gives c a reader whose array replies become gw_rreply; call it before c
 * has read a byte. Returns 0, or -1 when out of memory (c keeps its reader). */
int gw_rreader_attach(redisContext *c);

static inline const gw_rreply *gw_rreply_of(const void *reply)
{
    return reply != NULL && *(const int *)reply == GW_RREPLY ? reply : NULL;
}

/* Entry i of part p as a tick (0 with the candle of one tick in *c) or as a
 * candle (0 with it in *c); -1 when malformed, by the rules of ts_entry.h
 * and ts_candle.h. */
int gw_rpart_tick(const gw_rpart *p, size_t i, ts_candle *c);
int gw_rpart_candle(const gw_rpart *p, size_t i, ts_candle *c);

#endif
