/* gw_candles.h — live candle subscriptions: a `sub` with a width
 * (docs/PROTOCOL.md "Live candles"). The history comes from range reads of
 * the candles in Redis, then the instrument's ticks folded into the open
 * candle (gw_candles.c says why no tick is missed or counted twice). */
#ifndef GW_CANDLES_H
#define GW_CANDLES_H

#include "gw_catchup.h"
#include "gw_config.h"
#include "gw_feed.h"
#include "gw_meta.h"
#include "gw_metrics.h"
#include "gw_rconn.h"

typedef struct gw_candles gw_candles;

/* A client's candle subscriptions; the client's owner embeds it. */
typedef struct gw_csubs {
    h2o_linklist_t list;
    uint32_t n;
} gw_csubs;

/* rng carries range reads, with gw_rreply's reader; the live part of each
 * subscription is a tick subscription of ct with a sink. */
gw_candles *gw_candles_new(const gw_config *cfg, const gw_meta *meta, gw_feed *feed, gw_catchup *ct, gw_rconn *rng);
void gw_candles_free(gw_candles *cs);
/* Every worker tick: history reads that waited for their client to drain go on. */
void gw_candles_tick(gw_candles *cs);

void gw_csubs_init(gw_csubs *set);

/* Subscribes c to the candles of width ms of inst since `since` (a
 * subscription of the same instrument and width restarts); others is the
 * client's count of other subscriptions, for --max-subs. GW_OK, or the
 * error to send with a reason in msg. */
gw_err gw_candles_sub(gw_candles *cs, gw_csubs *set, uint32_t others, gw_client *c, gw_fmt fmt, uint32_t inst,
                      int64_t width, int64_t since, char *msg, size_t msglen);
/* 0 when candles of width ms can be served (gw_candles_sub would not
 * refuse it as bad_width), else -1 with the reason in msg. */
int gw_candles_check(const gw_candles *cs, int64_t width, char *msg, size_t msglen);
/* Ends a subscription; -1 when there is none for (inst, width). */
int gw_candles_unsub(gw_candles *cs, gw_csubs *set, uint32_t inst, int64_t width);
/* The client started closing: nothing more is sent to it. */
void gw_candles_detach(gw_candles *cs, gw_csubs *set);
/* The client is gone: its subscriptions end (a read in flight frees its own). */
void gw_candles_drop(gw_candles *cs, gw_csubs *set);

#endif
