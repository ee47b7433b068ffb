/* gw_hrun.h — a catch-up's ticks on their way to one subscription: runs of
 * history, sent as hist messages (WebSocket), as one event per tick (SSE),
 * or handed to the subscription's sink (a live candle subscription).
 *
 * A run is flushed as one hist message when it reaches --chunk prices, when
 * the next tick is not t0 + n*dt (a hole), and at the end of each step of
 * the catch-up (gw_catchup.c). Each flush moves the subscription's
 * last_sent to the last time the client was told of; the final flush
 * (more = 0) ends the catch-up: the final hist, or SSE's `live` event, or
 * the sink's caught_up.
 *
 * One per worker, owned by its gw_catchup: the scratch of the run being
 * gathered and one message per format. One subscription's run at a time:
 * each step gathers and flushes before the next begins. */
#ifndef GW_HRUN_H
#define GW_HRUN_H

#include <stdint.h>

#include "gw_config.h"
#include "gw_meta.h"
#include "gw_sub.h"

typedef struct gw_hrun gw_hrun;

/* NULL when out of memory. cfg and meta are the worker's, read at each use. */
gw_hrun *gw_hrun_new(const gw_config *cfg, const gw_meta *meta);
void gw_hrun_free(gw_hrun *h);

/* Adds s's tick (t, p), after the ticks added before: flushes the run first
 * when t does not continue it or it is full. Out of memory: the tick is
 * left out (the client sees a hole it can resume after). */
void gw_hrun_add(gw_hrun *h, gw_sub *s, int64_t t, int32_t p);
/* Sends what was gathered for s; more = 0 at the end of the catch-up. */
void gw_hrun_flush(gw_hrun *h, gw_sub *s, int more);
/* Forgets what was gathered (s's client closed). */
void gw_hrun_drop(gw_hrun *h);
/* Sends s's client an err message about s's instrument. */
void gw_hrun_err(gw_hrun *h, gw_sub *s, gw_err code, const char *msg);

#endif
