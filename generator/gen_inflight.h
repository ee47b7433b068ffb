/* gen_inflight.h — the tick batches sent and not yet answered, oldest
 * first, and what their answers say about time (docs/PERFORMANCE.md
 * "Generator").
 *
 * Up to GEN_INFLIGHT_MAX batches are in flight: a batch that is late (a
 * boundary tick carrying 100,000 candles per closing level keeps Redis busy
 * for over a second) does not hold the next tick time back. Its commands
 * are queued behind it on the connection the moment it is due, so Redis
 * starts on it as soon as it is done with the one before, instead of after
 * the answer has come back and the next batch has been built and sent
 * (which cost 0.2 s per 100,000 instruments). More than two would only
 * queue more behind a Redis that is not keeping up; then the next firing
 * takes the intervals due together, as before.
 *
 * Every tick time of a batch has its own EXEC, answered in order, so the
 * n-th answer of a batch is for its n-th tick time: the delay from a tick
 * time to its answer is what "on time" means (at most one interval). Pure:
 * no I/O (tests/gen/test_inflight.c). */
#ifndef GEN_INFLIGHT_H
#define GEN_INFLIGHT_H

#include <stdint.h>

#include "gen.h"

#ifndef GEN_INFLIGHT_MAX /* -DGEN_INFLIGHT_MAX=1 builds the one-batch generator, for a benchmark's before */
#define GEN_INFLIGHT_MAX 2
#endif

typedef struct gen_inflight_batch {
    int64_t next_t, end_t; /* the next tick time to be answered, the batch's last */
    int64_t sent_us;       /* monotonic, when the batch began */
} gen_inflight_batch;

typedef struct gen_inflight {
    gen_inflight_batch q[GEN_INFLIGHT_MAX];
    int head, n;
    int64_t interval_ms;
    int64_t last_delay_ms; /* of the last answer: from its tick time, or from its batch's start when later */
} gen_inflight;

void gen_inflight_init(gen_inflight *f, int64_t interval_ms);
/* Forgets every batch (the connection is gone). */
void gen_inflight_clear(gen_inflight *f);
int gen_inflight_count(const gen_inflight *f);
/* A batch of tick times first..end (every interval) begins; -1 when
 * GEN_INFLIGHT_MAX are in flight already. */
int gen_inflight_push(gen_inflight *f, int64_t first, int64_t end, int64_t sent_us);
/* The next EXEC answer came at now_ms (wall clock) / mono_us: counts its
 * tick time's delay in s (late, delay_ms_max) and last_delay_ms, and, for a batch's last, the
 * batch's latency. Returns 1 when that was its batch's last tick time, 0
 * when not, -1 when no batch is in flight. */
int gen_inflight_ack(gen_inflight *f, int64_t now_ms, int64_t mono_us, gen_stats *s);

#endif
