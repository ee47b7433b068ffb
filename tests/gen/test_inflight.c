/* test_inflight.c — the batches in flight (generator/gen_inflight.c): which
 * tick time an EXEC answer is for, the delay and lateness counted, and
 * the bound on batches in flight. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gen_inflight.h"

static void test_answers_in_order(void **state)
{
    (void)state;
    gen_inflight f;
    gen_stats s;
    memset(&s, 0, sizeof(s));
    gen_inflight_init(&f, 1000);
    assert_int_equal(gen_inflight_ack(&f, 0, 0, &s), -1); /* nothing in flight */
    /* A backfill of three tick times, then one live tick queued behind it. */
    assert_int_equal(gen_inflight_push(&f, 10000, 12000, 5000000), 0);
    assert_int_equal(gen_inflight_push(&f, 13000, 13000, 5100000), 0);
    assert_int_equal(gen_inflight_count(&f), 2);
    assert_int_equal(gen_inflight_push(&f, 14000, 14000, 5200000), -1); /* GEN_INFLIGHT_MAX */
    assert_int_equal(gen_inflight_ack(&f, 13200, 5200000, &s), 0);      /* 10000: 3.2 s late */
    assert_int_equal(gen_inflight_ack(&f, 13300, 5300000, &s), 0);      /* 11000: 2.3 s */
    assert_int_equal(gen_inflight_ack(&f, 13400, 5400000, &s), 1);      /* 12000: 1.4 s, the batch's last */
    assert_int_equal(s.late, 3);
    assert_int_equal(s.delay_ms_max, 3200);
    assert_int_equal(f.last_delay_ms, 400); /* backfilled: from its batch's start (5.0 s) to the answer (5.4 s) */
    assert_int_equal(s.batches, 1);
    assert_int_equal(s.latency_us_max, 400000);
    assert_int_equal(gen_inflight_count(&f), 1);
    assert_int_equal(gen_inflight_push(&f, 14000, 14000, 5500000), 0);
    assert_int_equal(gen_inflight_ack(&f, 13900, 5600000, &s), 1); /* 13000 within its interval: on time */
    assert_int_equal(s.late, 3);
    assert_int_equal(gen_inflight_ack(&f, 15000, 6000000, &s), 1); /* 14000 answered exactly one interval on */
    assert_int_equal(s.late, 3);
    assert_int_equal(s.batches, 3);
    assert_int_equal(s.lat_count[GEN_LAT_BUCKETS], 0); /* 0.1 to 0.5 s: below the last bound */
    assert_int_equal(gen_inflight_count(&f), 0);
}

static void test_clear(void **state)
{
    (void)state;
    gen_inflight f;
    gen_stats s;
    memset(&s, 0, sizeof(s));
    gen_inflight_init(&f, 1000);
    gen_inflight_push(&f, 1000, 5000, 0);
    gen_inflight_clear(&f);
    assert_int_equal(gen_inflight_count(&f), 0);
    assert_int_equal(gen_inflight_ack(&f, 9000, 0, &s), -1);
    assert_int_equal(s.late, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answers_in_order),
        cmocka_unit_test(test_clear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
