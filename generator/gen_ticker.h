/* gen_ticker.h — the interval timer and the tick batches (XADD + PUBLISH),
 * written on the connection's context from the walk's state, every write
 * fenced by the lease (gen_lease.h). */
#ifndef GEN_TICKER_H
#define GEN_TICKER_H

#include <event2/event.h>

#include "gen.h"
#include "gen_lease.h"
#include "gen_redis.h"

typedef struct gen_ticker gen_ticker;

typedef struct gen_ticker_hooks {
    void *owner;
    /* After gen_ticker_finish: the batch that was in flight is answered. */
    void (*on_finished)(void *owner);
} gen_ticker_hooks;

/* Allocates the timers and starts the summary line; NULL when out of memory.
 * cfg, walk and conn outlive it. Writes nothing until gen_ticker_resume. */
gen_ticker *gen_ticker_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                           gen_lease *lease, gen_ticker_hooks hooks);
/* Start-up is done: write every tick due after walk->last_t, then one per interval. */
void gen_ticker_resume(gen_ticker *t);
/* The connection is gone: stop writing until the next resume. */
void gen_ticker_stop(gen_ticker *t);
/* Starts no new batch. Returns 1 when none is in flight; else 0, and
 * on_finished follows once it is answered (unless the connection drops first). */
int gen_ticker_finish(gen_ticker *t);
void gen_ticker_free(gen_ticker *t);
/* Its counters, for /metrics (gen_metrics.c); valid while t lives. */
/* Redis refused another write of the generator (start-up's ts:meta): counted
 * and logged like a refused batch, once per run of refusals; the first tick
 * after start-up then probes before it writes. */
void gen_ticker_refused(gen_ticker *t, const char *why);
const gen_stats *gen_ticker_stats(const gen_ticker *t);

#endif
