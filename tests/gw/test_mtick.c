/* test_mtick.c — gw_mtick: what counts as a step of the wall clock, and the
 * shift of a loop's pending timeouts (on a real h2o evloop, nothing run).
 *
 * A step is the wall clock's change minus the monotonic clock's, beyond the
 * slack a loop turn can put between the two readings. Shifting keeps each
 * entry's time left and the entries' order, and clamps at 0 rather than
 * wrap an unsigned stamp: after a shift by -X an entry linked at T is due
 * at T - X + its timeout, as the loop's clock now counts. An entry linked
 * after the step (stamped on the new clock) keeps its stamp: after a step
 * forward it is newer than the old clock can read, after a step back it
 * follows a stamp that went back. The turn's start on the monotonic clock
 * is now less the turn's age, and an age a step made is not counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_mtick.h"
#include "ts_time.h"

static void test_step(void **state)
{
    (void)state;
    /* both clocks moved 20 ms: no step */
    assert_int_equal(gw_mtick_step(1000000, 50, 1000020, 70, 500), 0);
    /* within the slack either way: no step */
    assert_int_equal(gw_mtick_step(1000000, 50, 1000470, 70, 500), 0);
    assert_int_equal(gw_mtick_step(1000000, 50, 999570, 70, 500), 0);
    /* an hour back, a day forward */
    assert_int_equal(gw_mtick_step(10000000, 50, 10000000 - 3600000 + 20, 70, 500), -3600000);
    assert_int_equal(gw_mtick_step(10000000, 50, 10000000 + 86400000 + 20, 70, 500), 86400000);
}

static void noop(h2o_timeout_entry_t *e)
{
    (void)e;
}

static void test_shift(void **state)
{
    (void)state;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_timeout_t t20, t0;
    h2o_timeout_init(loop, &t20, 20);
    h2o_timeout_init(loop, &t0, 0);
    h2o_timeout_entry_t a = {.cb = noop}, b = {.cb = noop}, z = {.cb = noop};
    h2o_timeout_link(loop, &t20, &a);
    h2o_timeout_link(loop, &t20, &b);
    h2o_timeout_link(loop, &t0, &z);
    uint64_t at = a.registered_at;
    assert_true(at > 3600000); /* the wall clock in ms since 1970 */
    gw_mtick_shift(loop, -3600000, 0);
    assert_int_equal(a.registered_at, at - 3600000);
    assert_int_equal(b.registered_at, at - 3600000);
    assert_int_equal(z.registered_at, at - 3600000);
    gw_mtick_shift(loop, 3600000 + 5, INT64_MAX);
    assert_int_equal(a.registered_at, at + 5);
    /* past zero: clamped, not wrapped */
    gw_mtick_shift(loop, -(int64_t)at - 1000, 0);
    assert_int_equal(a.registered_at, 0);
    assert_int_equal(b.registered_at, 0);
    h2o_timeout_unlink(&a);
    h2o_timeout_unlink(&b);
    h2o_timeout_unlink(&z);
    /* an empty loop: nothing to move */
    h2o_timeout_dispose(loop, &t20);
    h2o_timeout_dispose(loop, &t0);
    gw_mtick_shift(loop, 1000, INT64_MAX);
    h2o_evloop_destroy(loop);
}

/* Entries linked between the step and the tick that saw it stay put. */
static void test_shift_newer(void **state)
{
    (void)state;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_timeout_t t20, t0;
    h2o_timeout_init(loop, &t20, 20);
    h2o_timeout_init(loop, &t0, 0);
    h2o_timeout_entry_t a = {.cb = noop}, b = {.cb = noop}, c = {.cb = noop}, z = {.cb = noop};
    h2o_timeout_link(loop, &t20, &a);
    h2o_timeout_link(loop, &t20, &b);
    h2o_timeout_link(loop, &t20, &c);
    h2o_timeout_link(loop, &t0, &z);
    uint64_t at = a.registered_at;
    /* a day forward: b, c and z were linked after it (a flush, a pace timer) */
    b.registered_at = c.registered_at = z.registered_at = at + 86400000;
    gw_mtick_shift(loop, 86400000, (int64_t)at + 270);
    assert_int_equal(a.registered_at, at + 86400000);
    assert_int_equal(b.registered_at, at + 86400000); /* not 2 days on: it would wait a day */
    assert_int_equal(c.registered_at, at + 86400000);
    assert_int_equal(z.registered_at, at + 86400000);
    /* an hour back: c and z linked after it; z, the first of its list, cannot
     * be told from an old entry and is moved (runs early, not late) */
    a.registered_at = b.registered_at = at;
    c.registered_at = z.registered_at = at - 3600000 + 10;
    gw_mtick_shift(loop, -3600000, 0);
    assert_int_equal(a.registered_at, at - 3600000);
    assert_int_equal(b.registered_at, at - 3600000);
    assert_int_equal(c.registered_at, at - 3600000 + 10);
    assert_int_equal(z.registered_at, at - 7200000 + 10);
    h2o_timeout_unlink(&a);
    h2o_timeout_unlink(&b);
    h2o_timeout_unlink(&c);
    h2o_timeout_unlink(&z);
    h2o_timeout_dispose(loop, &t20);
    h2o_timeout_dispose(loop, &t0);
    h2o_evloop_destroy(loop);
}

static void test_now(void **state)
{
    (void)state;
    /* the loop read 1000 ms (wall) when the turn began; now the wall reads
     * 1003.2 ms and the monotonic clock 50.7: the turn began at mono 47.5 */
    assert_int_equal(gw_mtick_now_at(1000, 1003200, 50700, 500), 47);
    assert_int_equal(gw_mtick_now_at(1000, 1000000, 50000, 500), 50);
    /* a loaded turn of 300 ms: counted */
    assert_int_equal(gw_mtick_now_at(1000, 1300000, 350000, 500), 50);
    /* the wall clock went back or leapt in the turn: no age, the clock now */
    assert_int_equal(gw_mtick_now_at(1000, 990000, 50700, 500), 50);
    assert_int_equal(gw_mtick_now_at(1000, 1000000 + 3600000000LL, 50700, 500), 50);
    /* on the live clocks: between the loop's reading and now */
    h2o_evloop_t *loop = h2o_evloop_create();
    int64_t before = ts_mono_ms();
    h2o_evloop_run(loop, 0); /* the loop reads its clock */
    int64_t now = gw_mtick_now(loop);
    assert_true(now >= before - 1 && now <= ts_mono_ms());
    h2o_evloop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_shift_newer),
        cmocka_unit_test(test_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
