/* gw_fan.h — the live fan-out: each live subscription gets the ring's rows
 * after its cursor, several of them coalesced into one hist run.
 *
 * The feed appends rows to the ring and calls gw_fan_out once per read of
 * the ts:live connection (and after a repair), not once per row. In a quiet
 * feed that is one row, sent as `tick` exactly as before; when the gateway
 * falls behind, the subscriber's socket holds several messages by the time
 * it is read, and every client gets them as one message instead of one per
 * tick: fewer frames to encode, queue, write and parse, so the work per tick
 * shrinks as the load grows instead of the queues (docs/PERFORMANCE.md,
 * "Overload"). Nothing is dropped or reordered: a subscription's cursor
 * moves only over rows it was sent, and they are sent in time order. */
#ifndef GW_FAN_H
#define GW_FAN_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o/linklist.h>
#include <stdint.h>

#include "gw_buf.h"
#include "gw_meta.h"
#include "gw_ring.h"
#include "gw_sub.h"

typedef struct gw_fan {
    gw_buf enc[GW_FMT_COUNT]; /* the message of the instrument at hand, shared by its subscriptions */
    uint32_t enc_from[GW_FMT_COUNT]; /* ... for those whose rows start at this ring index */
    int enc_tick[GW_FMT_COUNT];      /* ... and which continue their run (`tick`), or not (`hist`); -1: none */
    gw_buf one;                      /* a message for one subscription alone */
    int32_t *col;                    /* one instrument's prices of the rows being sent */
    uint32_t col_cap;
} gw_fan;

void gw_fan_free(gw_fan *fan);
/* Sends every subscription of live[0..meta->count) the rows of r after its
 * cursor, in runs of at most `chunk` prices; returns the messages queued. */
uint64_t gw_fan_out(gw_fan *fan, const gw_meta *meta, const gw_ring *r, h2o_linklist_t *live, int64_t chunk);

#endif
