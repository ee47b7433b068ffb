/* test_walk.c — the price path: determinism, ±1 steps, reflection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "ts_walk.h"

static void test_move_is_pure_and_balanced(void **state)
{
    (void)state;
    int ups = 0;
    for (uint64_t n = 0; n < 100000; n++) {
        int m = ts_walk_move(42, 7, n);
        assert_true(m == 1 || m == -1);
        assert_int_equal(m, ts_walk_move(42, 7, n)); /* same inputs, same move */
        ups += m > 0;
    }
    /* A fair coin: 50 % ± 1 % over 100k draws (the bound is > 6 sigma). */
    assert_in_range(ups, 49000, 51000);
}

static void test_move_depends_on_every_input(void **state)
{
    (void)state;
    int diff_seed = 0, diff_inst = 0, diff_index = 0;
    for (uint64_t n = 0; n < 1000; n++) {
        diff_seed += ts_walk_move(1, 3, n) != ts_walk_move(2, 3, n);
        diff_inst += ts_walk_move(1, 3, n) != ts_walk_move(1, 4, n);
        diff_index += ts_walk_move(1, 3, n) != ts_walk_move(1, 3, n + 1);
    }
    assert_in_range(diff_seed, 400, 600);
    assert_in_range(diff_inst, 400, 600);
    assert_in_range(diff_index, 400, 600);
}

static void test_steps_are_plus_minus_one(void **state)
{
    (void)state;
    int32_t p = 0;
    for (uint64_t n = 1; n < 10000; n++) {
        int32_t q = ts_walk_next(99, 0, n, p, INT32_MIN, INT32_MAX);
        assert_true(q - p == 1 || q - p == -1);
        p = q;
    }
}

static void test_reflects_at_both_bounds(void **state)
{
    (void)state;
    assert_int_equal(ts_walk_step(10, +1, 0, 10), 9);
    assert_int_equal(ts_walk_step(10, -1, 0, 10), 9);
    assert_int_equal(ts_walk_step(0, -1, 0, 10), 1);
    assert_int_equal(ts_walk_step(0, +1, 0, 10), 1);
    assert_int_equal(ts_walk_step(5, +1, 0, 10), 6);
    assert_int_equal(ts_walk_step(5, -1, 0, 10), 4);
    assert_int_equal(ts_walk_step(INT32_MAX, +1, INT32_MIN, INT32_MAX), INT32_MAX - 1);
    assert_int_equal(ts_walk_step(INT32_MIN, -1, INT32_MIN, INT32_MAX), INT32_MIN + 1);
    /* A long walk in a narrow band never leaves it and touches both ends. */
    int32_t p = 2, lo = 2, hi = 2;
    for (uint64_t n = 1; n < 5000; n++) {
        int32_t q = ts_walk_next(7, 1, n, p, 0, 4);
        assert_in_range(q, 0, 4);
        assert_true(q - p == 1 || q - p == -1);
        p = q;
        lo = q < lo ? q : lo;
        hi = q > hi ? q : hi;
    }
    assert_int_equal(lo, 0);
    assert_int_equal(hi, 4);
}

static void test_out_of_band_price_is_clamped(void **state)
{
    (void)state;
    assert_int_equal(ts_walk_step(50, -1, 0, 10), 10);
    assert_int_equal(ts_walk_step(-5, +1, 0, 10), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_move_is_pure_and_balanced), cmocka_unit_test(test_move_depends_on_every_input),
        cmocka_unit_test(test_steps_are_plus_minus_one),  cmocka_unit_test(test_reflects_at_both_bounds),
        cmocka_unit_test(test_out_of_band_price_is_clamped),
    };
    return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
