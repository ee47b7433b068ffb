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
 * step it saw since the last call, so each keeps the time it had left.
 * gw_mtick_now is the turn's start on the monotonic clock, for a timeout
 * linked for a monotonic time (the pace timer, gw_client.c). */
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

/* Moves the timeouts pending on the loop by `step` ms (clamped at 0), but
 * not those linked after the step, already stamped on the new clock (the
 * step is seen up to a tick after it happened, and a turn's flush or a
 * pace timer is linked in that while). After a step forward those are the
 * entries stamped after `newest`, the latest the old clock can have read;
 * after a step back, those after a stamp that went back in their
 * timeout's list (h2o links each entry at its tail). An entry linked after
 * a step back that is the first of its list cannot be told from an old
 * one and is moved: it runs early, which the loop's timeouts here allow
 * (the pace timer checks the monotonic clock again), where a step forward
 * kept would hold it for the whole step. */
void gw_mtick_shift(h2o_evloop_t *loop, int64_t step, int64_t newest);

/* The monotonic clock (ts_mono_ms) as it read when the loop's turn began
 * (h2o_now, which is on the wall clock): now less the turn's age. A delay
 * counted from it is the one an h2o timeout linked in this turn counts
 * from h2o_now, so a timeout linked for `due - gw_mtick_now` runs once the
 * monotonic clock reads `due`, not before (the pace timer, gw_client.c). */
int64_t gw_mtick_now(h2o_evloop_t *loop);
/* Its arithmetic, pure: loop_ms is h2o_now; wall_us and mono_us are read
 * now. The age (wall_us - loop_ms) counts only within `slack` ms: outside,
 * the wall clock stepped in the turn (the tick will move the loop's
 * timeouts), and the answer is the monotonic clock now. */
int64_t gw_mtick_now_at(int64_t loop_ms, int64_t wall_us, int64_t mono_us, int64_t slack);

#endif
