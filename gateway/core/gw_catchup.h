/* gw_catchup.h — subscriptions: each reads its instrument's stream from its
 * `since`, then the ring, then goes live on the feed (gw_catchup.c). */
#ifndef GW_CATCHUP_H
#define GW_CATCHUP_H

#include "gw_config.h"
#include "gw_feed.h"
#include "gw_meta.h"
#include "gw_metrics.h"
#include "gw_rconn.h"
#include "gw_sub.h"

typedef struct gw_catchup gw_catchup;

/* conn carries nothing but catch-up XRANGEs, with gw_xreply's reader. */
gw_catchup *gw_catchup_new(int worker_id, const gw_config *cfg, const gw_meta *meta, gw_feed *feed, gw_rconn *conn,
                           gw_wmetrics *m);
void gw_catchup_free(gw_catchup *cu);

/* Subscribes c to inst from since (a re-sub restarts the catch-up); with a
 * sink, the ticks go to it instead of to the client (gw_sub.h).
 * GW_E_TOO_MANY_SUBS past --max-subs, GW_E_INTERNAL out of memory. */
gw_err gw_catchup_sub(gw_catchup *cu, gw_subs *set, gw_client *c, gw_fmt fmt, uint32_t inst, int64_t since,
                      const gw_sink *sink);
/* Ends a subscription; -1 when there is none for inst. */
int gw_catchup_unsub(gw_catchup *cu, gw_subs *set, uint32_t inst);
/* The client started closing: its subscriptions leave every list. */
void gw_catchup_detach(gw_catchup *cu, gw_subs *set);
/* The client is gone: its subscriptions end (reads in flight free them). */
void gw_catchup_drop(gw_catchup *cu, gw_subs *set);

/* Sends what waits for a slot (the connection came up, a reply freed one). */
void gw_catchup_pump(gw_catchup *cu);
/* The ring started: subscriptions waiting for it go on. */
void gw_catchup_ring_started(gw_catchup *cu);
/* Resumes subscriptions whose client drained its queue. */
void gw_catchup_tick(gw_catchup *cu);

#endif
