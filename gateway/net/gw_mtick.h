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
 * clock delays; before each call it reads both clocks and moves the loop's
 * timeouts linked before any step it saw since the last call by that step,
 * so each keeps the time it had left, and leaves those linked after it
 * (gw_mtick.c says how it tells them apart).
 *
 * What it cannot do: the turns between a step and the next tick (up to one
 * period) run with the stepped clock. After a step forward they fire the
 * older timeouts that fall due within the step — in this gateway only
 * HTTP/1's (--header-timeout: an idle keep-alive connection closed early);
 * ours are the flush (zero-delay) and the pace timer (at most --write-pace,
 * and it checks the monotonic clock again).
 *
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

/* The wall clock's step between two readings of both clocks, each pair read
 * at one moment: the change of the wall clock minus that of the monotonic
 * one, 0 when under `slack` ms either way. Pure. */
int64_t gw_mtick_step(int64_t wall0, int64_t mono0, int64_t wall1, int64_t mono1, int64_t slack);

/* Moves by `step` ms (clamped at 0) every timeout pending on the loop that
 * was linked before the step, measured between the wall clock's readings
 * `wall0` and `wall1`; leaves those linked after it; sets the loop's reading
 * of the clock to `wall1`. */
void gw_mtick_shift(h2o_evloop_t *loop, int64_t wall0, int64_t wall1, int64_t step);

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
