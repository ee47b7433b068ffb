/* test_ring.c — gw_ring: consecutive rows, filler rows for holes, restart on
 * a whole-ring gap or an off-grid time, wrap-around, lookup by time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_ring.h"

static void row(int32_t *p, int32_t v)
{
    p[0] = v;
    p[1] = -v;
}

static void test_append_and_lookup(void **state)
{
    (void)state;
    gw_ring r;
    int32_t p[2];
    assert_int_equal(gw_ring_init(&r, 2, 4, 10), 0);
    assert_int_equal(gw_ring_after(&r, 0), 0);
    for (int i = 0; i < 3; i++) {
        row(p, i);
        assert_int_equal(gw_ring_append(&r, 1000 + i * 10, p), 0);
    }
    assert_int_equal(r.count, 3);
    assert_int_equal(r.first, 1000);
    assert_int_equal(gw_ring_last(&r), 1020);
    assert_int_equal(gw_ring_after(&r, 0), 0);
    assert_int_equal(gw_ring_after(&r, 999), 0);
    assert_int_equal(gw_ring_after(&r, 1000), 1);
    assert_int_equal(gw_ring_after(&r, 1005), 1);
    assert_int_equal(gw_ring_after(&r, 1010), 2);
    assert_int_equal(gw_ring_after(&r, 1020), 3);
    assert_int_equal(gw_ring_after(&r, 5000), 3);
    assert_int_equal(gw_ring_row(&r, 2)[1], -2);
    assert_int_equal(gw_ring_time(&r, 2), 1020);
    /* not after the last row: refused */
    assert_int_equal(gw_ring_append(&r, 1020, p), -1);
    assert_int_equal(gw_ring_append(&r, 1000, p), -1);
    assert_int_equal(r.count, 3);
    gw_ring_free(&r);
}

static void test_wrap(void **state)
{
    (void)state;
    gw_ring r;
    int32_t p[2];
    assert_int_equal(gw_ring_init(&r, 2, 4, 10), 0);
    for (int i = 0; i < 10; i++) {
        row(p, i);
        gw_ring_append(&r, i * 10, p);
    }
    assert_int_equal(r.count, 4);
    assert_int_equal(r.first, 60);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(gw_ring_row(&r, i)[0], 6 + (int)i);
        assert_int_equal(gw_ring_time(&r, i), 60 + 10 * (int64_t)i);
    }
    assert_int_equal(gw_ring_after(&r, 75), 2);
    gw_ring_free(&r);
}

static void test_holes(void **state)
{
    (void)state;
    gw_ring r;
    int32_t p[2];
    assert_int_equal(gw_ring_init(&r, 2, 8, 10), 0);
    row(p, 1);
    gw_ring_append(&r, 100, p);
    row(p, 2);
    /* two missing rows are filled with GW_MISSING, rows stay consecutive */
    assert_int_equal(gw_ring_append(&r, 130, p), 0);
    assert_int_equal(r.count, 4);
    assert_int_equal(gw_ring_row(&r, 1)[0], GW_MISSING);
    assert_int_equal(gw_ring_row(&r, 2)[1], GW_MISSING);
    assert_int_equal(gw_ring_row(&r, 3)[0], 2);
    /* a gap as long as the ring: restart at t */
    assert_int_equal(gw_ring_append(&r, 130 + 9 * 10, p), 1);
    assert_int_equal(r.count, 1);
    assert_int_equal(r.first, 220);
    /* off the dt grid: restart */
    assert_int_equal(gw_ring_append(&r, 225, p), 1);
    assert_int_equal(r.first, 225);
    /* NULL prices: a filler row */
    assert_int_equal(gw_ring_append(&r, 235, NULL), 0);
    assert_int_equal(gw_ring_row(&r, 1)[0], GW_MISSING);
    gw_ring_clear(&r);
    assert_int_equal(r.count, 0);
    gw_ring_free(&r);
}

static void test_init_errors(void **state)
{
    (void)state;
    gw_ring r;
    assert_int_equal(gw_ring_init(&r, 0, 4, 10), -1);
    assert_int_equal(gw_ring_init(&r, 2, 0, 10), -1);
    assert_int_equal(gw_ring_init(&r, 2, 4, 0), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_lookup),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_holes),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
