/* gw_feed.h — the live feed of one worker: ts:live into the ring, holes
 * repaired from the streams, every new row fanned out to the live
 * subscriptions of its instruments (gw_feed.c tells why this is gapless). */
#ifndef GW_FEED_H
#define GW_FEED_H

#include "gw_config.h"
#include "gw_meta.h"
#include "gw_metrics.h"
#include "gw_rconn.h"
#include "gw_ring.h"
#include "gw_sub.h"

typedef struct gw_feed gw_feed;

/* How the feed reports up; each is called with arg. */
typedef struct gw_feed_hooks {
    void (*ring_started)(void *arg);  /* the first row entered an empty ring */
    void (*meta_stale)(void *arg);    /* a live message of another epoch or shape: reread ts:meta */
    void (*ready_changed)(void *arg); /* subscribed, or not any more */
    /* a row entered the ring, after its fan-out; returns the frames it queued */
    size_t (*row_appended)(void *arg, int64_t t, const int32_t *prices);
    void *arg;
} gw_feed_hooks;

/* cmd carries the repairs and the silence probe; sub is the subscriber.
 * Both and meta are the worker's and outlive the feed. */
gw_feed *gw_feed_new(int worker_id, const gw_config *cfg, const gw_meta *meta, gw_rconn *cmd, gw_rconn *sub,
                     gw_wmetrics *m, const gw_feed_hooks *hooks);
void gw_feed_free(gw_feed *f);
/* The worker's meta changed (or came first): drops the ring, the held
 * messages and the live lists, and sizes them for the new shape. The live
 * subscriptions must be gone (their clients closed). -1 when out of memory. */
int gw_feed_configure(gw_feed *f);

/* The subscriber connection came up (SUBSCRIBE) or went down. */
void gw_feed_sub_up(gw_feed *f);
void gw_feed_sub_down(gw_feed *f);
int gw_feed_subscribed(const gw_feed *f);

/* The subscriber connection's read is handled: fans out the rows it brought
 * (gw_fan.h). */
void gw_feed_read_done(gw_feed *f);
/* Restarts a repair the command connection lost; checks a silent feed. */
void gw_feed_tick(gw_feed *f);

const gw_ring *gw_feed_ring(const gw_feed *f);
/* s goes live: it gets every row appended from now on (gw_catchup.c has
 * sent it the ring up to now). */
void gw_feed_join(gw_feed *f, gw_sub *s);

#endif
