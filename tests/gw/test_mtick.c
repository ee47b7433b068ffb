/* test_mtick.c — gw_mtick: what counts as a step of the wall clock, and the
 * shift of a loop's pending timeouts (on a real h2o evloop, nothing run).
 *
 * A step is the wall clock's change minus the monotonic clock's, beyond the
 * slack a loop turn can put between the two readings. Shifting keeps each
 * entry's time left and the entries' order, and clamps at 0 rather than
 * wrap an unsigned stamp: after a shift by -X an entry linked at T is due
 * at T - X + its timeout, as the loop's clock now counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_mtick.h"

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
    gw_mtick_shift(loop, -3600000);
    assert_int_equal(a.registered_at, at - 3600000);
    assert_int_equal(b.registered_at, at - 3600000);
    assert_int_equal(z.registered_at, at - 3600000);
    gw_mtick_shift(loop, 3600000 + 5);
    assert_int_equal(a.registered_at, at + 5);
    /* past zero: clamped, not wrapped */
    gw_mtick_shift(loop, -(int64_t)at - 1000);
    assert_int_equal(a.registered_at, 0);
    assert_int_equal(b.registered_at, 0);
    h2o_timeout_unlink(&a);
    h2o_timeout_unlink(&b);
    h2o_timeout_unlink(&z);
    /* an empty loop: nothing to move */
    h2o_timeout_dispose(loop, &t20);
    h2o_timeout_dispose(loop, &t0);
    gw_mtick_shift(loop, 1000);
    h2o_evloop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step),
        cmocka_unit_test(test_shift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
