/* gen_metrics.h — tickgen's optional HTTP port (--metrics-listen): /metrics
 * in Prometheus' text format and /healthz, served by libevent's evhttp on
 * the generator's own loop. It only reads: the ticker's counters, the walk
 * (the last tick written) and the connection's state. */
#ifndef GEN_METRICS_H
#define GEN_METRICS_H

#include <event2/event.h>
#include <stddef.h>

#include "gen.h"
#include "gen_lease.h"
#include "gen_memcheck.h"
#include "gen_redis.h"

typedef struct gen_metrics gen_metrics;

/* Listens on host:port; NULL with a one-line reason in err. stats, walk,
 * conn, lease and memcheck outlive it. */
gen_metrics *gen_metrics_start(struct event_base *base, const char *listen, const gen_stats *stats,
                               const gen_walk *walk, const gen_redis *conn, const gen_lease *lease,
                               const gen_memcheck *memcheck, char *err, size_t errlen);
void gen_metrics_free(gen_metrics *m);

#endif
