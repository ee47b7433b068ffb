/* gw_cfold.h — the decisions of a live candle subscription, without I/O
 * (docs/PROTOCOL.md "Live candles"; tests/gw/test_cfold.c).
 *
 * A subscription asks for candles of `width` ms since a time. Its history
 * is read as range reads (gw_range.c) of at most `chunk` buckets each, from
 * the source gw_cplan_make picks; the rest comes as ticks (gw_catchup.c),
 * folded here into the open candle. gw_candles.c does the I/O and says why
 * no tick is missed or counted twice. */
#ifndef GW_CFOLD_H
#define GW_CFOLD_H

#include <stdint.h>

#include "gw_rplan.h"
#include "ts_candle.h"

/* Widest candle a subscription may ask for: 366 days. */
#define GW_CANDLE_WIDTH_MAX (366LL * 86400000)
/* Stored entries one history read may fold, at most: a bucket of width w
 * from a source of width s reads w / s of them. */
#define GW_CANDLE_READ_ENTRIES 100000

typedef struct gw_cplan_in {
    int64_t since, width, now_ms;
    int64_t interval_ms, retention_ms; /* of the raw ticks (ts:meta) */
    const ts_ladder *ladder;
} gw_cplan_in;

typedef struct gw_cplan {
    int level;      /* the source: the coarsest ladder level whose width divides width; -1: raw ticks */
    int64_t width;
    int64_t first;  /* the first candle: the one holding since + 1, or the oldest whole one the source keeps */
    uint32_t chunk; /* buckets per history read */
} gw_cplan;

/* Returns 0, or -1 with a one-line reason (a width that is no positive
 * multiple of the interval, or wider than GW_CANDLE_WIDTH_MAX). */
int gw_cplan_make(const gw_cplan_in *in, gw_cplan *out, const char **why);
/* The range plan of the history read whose first bucket starts at from. */
void gw_cplan_chunk(const gw_cplan *p, int64_t from, gw_rplan *out);

typedef struct gw_cfold {
    int64_t width;
    ts_candle open; /* the open candle so far; n = 0: none */
    int64_t last;   /* every tick with t <= last is in what was folded */
} gw_cfold;

/* A history read of rp came back: b[0..rp->count) are its buckets, every
 * tick before `end` was in them and none after (gw_range_result.end), and
 * heard is the newest tick time the worker had heard live when the read was
 * sent (-1: none; every tick up to it was in Redis then). Returns 1 when the
 * whole chunk is history (its candles are closed: read the next chunk, from
 * rp->first + count * width), else 0: *closed buckets are closed, the one
 * after them is the open candle so far (in f), and ticks after f->last
 * follow. */
int gw_cfold_history(gw_cfold *f, const gw_rplan *rp, const ts_candle *b, int64_t end, int64_t heard,
                     uint32_t *closed);

/* Folds tick (t, p), t > f->last (else it is ignored: -1). Returns 1 when
 * it opened a new bucket after a non-empty one, which it copies to *closed,
 * else 0. */
int gw_cfold_tick(gw_cfold *f, int64_t t, int32_t p, ts_candle *closed);

#endif
