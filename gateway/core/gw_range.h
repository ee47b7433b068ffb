/* gw_range.h — a range request's read: one MULTI/EXEC on a Redis
 * connection, folded into the buckets gw_rplan chose (gw_range.c says why
 * one transaction is exact, live tail included). */
#ifndef GW_RANGE_H
#define GW_RANGE_H

#include <hiredis/async.h>
#include <stdint.h>

#include "gw_rplan.h"

typedef struct gw_range_result {
    int ok;                   /* 0: the connection was lost or Redis refused */
    const gw_rplan *plan;
    const ts_candle *buckets; /* plan->count of them; n = 0: no tick in that bucket */
    uint64_t malformed;       /* entries skipped as malformed */
} gw_range_result;

typedef void (*gw_range_done)(void *owner, const gw_range_result *res);

/* Reads sym's pieces for plan on ac. newest is the newest tick time the
 * caller has seen on ts:live (-1: none), which bounds the live tail's reads.
 * Returns 0 and calls done exactly once later (ok = 0 if the connection is
 * lost), or -1 when nothing was sent (out of memory, no connection). */
int gw_range_read(redisAsyncContext *ac, const char *sym, const ts_ladder *ladder, const gw_rplan *plan,
                  int64_t newest, gw_range_done done, void *owner);

#endif
