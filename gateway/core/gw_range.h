/* gw_range.h — a range request's read: one MULTI/EXEC on a Redis
 * connection, folded into the buckets gw_rplan chose (gw_range.c says why
 * one transaction is exact, live tail included). */
#ifndef GW_RANGE_H
#define GW_RANGE_H

#include <hiredis/async.h>
#include <stdint.h>

#include "gw_meta.h"
#include "gw_proto.h"
#include "gw_ring.h"
#include "gw_rplan.h"

typedef struct gw_range_result {
    int ok;                   /* 0: the connection was lost or Redis refused */
    const char *sym;          /* as of the request (the meta may change meanwhile) */
    int64_t epoch;
    const char *source;       /* "ticks" or the level's label */
    const gw_rplan *plan;
    const ts_candle *buckets; /* plan->count of them; n = 0: no tick in that bucket */
    uint64_t malformed;       /* entries skipped as malformed */
    int64_t end;              /* every tick of the window before end is in the buckets, none after:
                                 the end of the newest piece read (plan->first when none) */
} gw_range_result;

typedef void (*gw_range_done)(void *owner, const gw_range_result *res);

/* Plans a request of HTTP or WebSocket alike: window [from, to] (to < 0:
 * now; from < 0: the whole stored history, a plan with `whole` set that
 * gw_range_read plans again once it knows where that starts) in about
 * points buckets, with m's retention and ladder. Returns 0, or -1 with a
 * one-line reason (gw_rplan_make). */
int gw_range_plan(const gw_meta *m, int64_t from, int64_t to, int64_t points, int64_t now_ms, gw_rplan *out,
                  const char **why);

/* Reads instrument inst's pieces for plan on ac, a connection with
 * gw_rreply's reader (net/gw_rreply.h). ring (may be NULL) gives
 * the newest tick time the worker has heard on ts:live, which bounds the
 * live tail's reads. Returns 0 and calls done exactly once later (ok = 0 if
 * the connection is lost), or -1 when nothing was sent (out of memory, no
 * connection). */
int gw_range_read(redisAsyncContext *ac, const gw_meta *m, uint32_t inst, const gw_rplan *plan, const gw_ring *ring,
                  gw_range_done done, void *owner);

/* Appends the answer of res (ok) in format f; id < 0: none, else echoed. */
void gw_range_encode(gw_buf *b, gw_fmt f, const gw_range_result *res, int64_t id);

#endif
