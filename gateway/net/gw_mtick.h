/* gw_mtick.h — a loop's periodic tick on the monotonic clock, and its
 * timeouts kept in step with it.
 *
 * Why: h2o 2.2.5's evloop stamps its timeouts with the wall clock
 * (gettimeofday, h2o_now). When that clock steps back by X, a timeout
 * linked before the step fires X late, and every entry linked after it in
 * the same h2o_timeout_t waits behind it (one timeout's entries run in
 * order; the first not yet due ends the run). The worker's tick re-links
 * itself from its callback, so it stopped for X: Redis reconnects, pings,
 * the stale check, slow clients and SIGTERM all waited as long as the step
 * (a step back of an hour: an hour; tests/gw/clockstep.test.js). A step
 * forward made every pending timeout due at once.
 *
 * A gw_mtick calls back every `period_ms` from a timerfd on
 * CLOCK_MONOTONIC, read as a socket of the loop, which no step of the wall
 * clock delays; before each call it moves the loop's pending timeouts by any
 * step it saw since the last call, so each keeps the time it had left. */
#ifndef GW_MTICK_H
#define GW_MTICK_H

#include <stdint.h>

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 0
#endif
#include <h2o.h>

typedef struct gw_mtick gw_mtick;
typedef void (*gw_mtick_cb)(void *data);

/* NULL (errno set) when the timerfd cannot be made. */
gw_mtick *gw_mtick_start(h2o_evloop_t *loop, int64_t period_ms, gw_mtick_cb cb, void *data);
/* Stops the tick and frees it; NULL is fine. */
void gw_mtick_free(gw_mtick *t);

/* The wall clock's step between two readings of both clocks: the change of
 * the wall clock minus that of the monotonic one, 0 when under `slack` ms
 * either way (a loop turn between the two readings is not a step). Pure. */
int64_t gw_mtick_step(int64_t wall0, int64_t mono0, int64_t wall1, int64_t mono1, int64_t slack);

/* Moves every timeout pending on the loop by `step` ms (clamped at 0). */
void gw_mtick_shift(h2o_evloop_t *loop, int64_t step);

#endif
