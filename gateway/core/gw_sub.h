/* gw_sub.h — one subscription of one client to one instrument.
 *
 * Owned by gw_catchup.c, which creates, moves and frees it; gw_feed.c only
 * walks the live ones (state GW_SUB_LIVE, linked into the feed's list of
 * their instrument) to fan each new tick out. */
#ifndef GW_SUB_H
#define GW_SUB_H

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o/linklist.h>
#include <stdint.h>

#include "gw_client.h"
#include "gw_cu.h"
#include "gw_proto.h"

typedef enum {
    GW_SUB_QUEUED,     /* waits for an XRANGE slot or for the catch-up connection */
    GW_SUB_XRANGE,     /* reading the streams: XRANGEs in flight */
    GW_SUB_WAIT_SYNC,  /* streams read to their end, the ring is not started yet */
    GW_SUB_WAIT_DRAIN, /* the client's send queue must shrink before the next chunk */
    GW_SUB_LIVE,
} gw_sub_state;

struct gw_catchup;
struct gw_subs;

/* Where a subscription's ticks go instead of hist and tick messages: a live
 * candle subscription folds them into candles (gw_candles.c). tick gets
 * every tick after since exactly once and in order, live = 0 while catching
 * up, 1 once live; caught_up comes once, between the two. */
typedef struct gw_sink {
    void (*tick)(void *arg, int64_t t, int32_t p, int live);
    void (*caught_up)(void *arg);
    void *arg;
} gw_sink;

typedef struct gw_sub {
    struct gw_catchup *ct; /* its owner */
    struct gw_subs *set;   /* its client's subscriptions */
    gw_client *c;   /* NULL once orphaned: the last XRANGE reply in flight frees it */
    gw_fmt fmt;
    uint32_t inst;
    gw_sub_state state;
    gw_cu cu;       /* cursor, last_sent and the reads in flight (gw_cu.h) */
    int64_t started_us;
    const gw_sink *sink; /* NULL: the client gets hist and tick messages */
    h2o_linklist_t link;        /* in the feed's live list of inst, or one of the catch-up's wait lists */
    h2o_linklist_t client_link; /* in its client's gw_subs */
} gw_sub;

/* A client's subscriptions; the client's owner embeds it. */
typedef struct gw_subs {
    h2o_linklist_t list;
    uint32_t n;
} gw_subs;

static inline void gw_subs_init(gw_subs *set)
{
    h2o_linklist_init_anchor(&set->list);
    set->n = 0;
}

static inline gw_sub *gw_subs_find(gw_subs *set, uint32_t inst)
{
    for (h2o_linklist_t *l = set->list.next; l != &set->list; l = l->next) {
        gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, client_link, l);
        if (s->inst == inst)
            return s;
    }
    return NULL;
}

#endif
