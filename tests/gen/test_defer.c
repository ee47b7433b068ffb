/* test_defer.c — the closed candles waiting to be written
 * (generator/gen_defer.c): the overdue ones go out whatever the budget,
 * the others finest level first within it, each level in the order its
 * candles closed, and nothing is lost as the queues grow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gen_defer.h"

static ts_ladder ladder(void)
{
    ts_ladder l;
    char err[160];
    assert_int_equal(ts_ladder_parse("1s:1h,1m:1h,1h:1d", 1000, &l, err, sizeof(err)), 0);
    return l;
}

static ts_candle candle(int64_t t, uint32_t n)
{
    return (ts_candle){.t = t, .o = 1, .h = 2, .l = 0, .c = 1, .n = n};
}

/* Pops what tick time t writes with budget b; returns how many, their
 * levels and instruments in order in lv[] / in[]. */
static int pops(gen_defer *d, int64_t t, int64_t b, int *lv, uint32_t *in)
{
    int got = 0, k;
    uint32_t i;
    ts_candle x;
    while (gen_defer_pop(d, t, &b, &k, &i, &x)) {
        lv[got] = k;
        in[got++] = i;
    }
    return got;
}

static void test_budget_finest_first(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gen_defer *d = gen_defer_new(&l);
    int lv[16];
    uint32_t in[16];
    /* An hour boundary at 3600000 closes all three levels of two instruments. */
    for (uint32_t i = 0; i < 2; i++) {
        ts_candle h = candle(0, 3600), m = candle(3540000, 60), s = candle(3599000, 1);
        gen_defer_push(d, 2, i, &h);
        gen_defer_push(d, 1, i, &m);
        gen_defer_push(d, 0, i, &s);
    }
    assert_int_equal(gen_defer_count(d), 6);
    /* Budget 3: the two 1s candles, then the first 1m one. */
    assert_int_equal(pops(d, 3600000, 3, lv, in), 3);
    assert_int_equal(lv[0], 0), assert_int_equal(in[0], 0);
    assert_int_equal(lv[1], 0), assert_int_equal(in[1], 1);
    assert_int_equal(lv[2], 1), assert_int_equal(in[2], 0);
    /* Budget 0 and nothing overdue: nothing. */
    assert_int_equal(pops(d, 3601000, 0, lv, in), 0);
    assert_int_equal(pops(d, 3602000, 2, lv, in), 2);
    assert_int_equal(lv[0], 1), assert_int_equal(in[0], 1);
    assert_int_equal(lv[1], 2), assert_int_equal(in[1], 0);
    assert_int_equal(gen_defer_count(d), 1);
    gen_defer_free(d);
}

static void test_overdue_whatever_the_budget(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gen_defer *d = gen_defer_new(&l);
    int lv[16];
    uint32_t in[16];
    ts_candle s0 = candle(5000, 1), s1 = candle(6000, 1), m = candle(0, 60);
    gen_defer_push(d, 1, 7, &m);  /* 1m bucket 0: overdue from 120000 */
    gen_defer_push(d, 0, 3, &s0); /* 1s bucket 5000: overdue from 7000 */
    gen_defer_push(d, 0, 4, &s1); /* 1s bucket 6000: overdue from 8000 */
    assert_int_equal(pops(d, 6000, 0, lv, in), 0);
    assert_int_equal(pops(d, 7000, 0, lv, in), 1); /* its level's next bucket closed at 7000 */
    assert_int_equal(in[0], 3);
    assert_int_equal(pops(d, 119000, 0, lv, in), 1);
    assert_int_equal(in[0], 4);
    /* Overdue ones first, and they count against the budget. */
    ts_candle s2 = candle(200000, 1);
    gen_defer_push(d, 0, 5, &s2);
    assert_int_equal(pops(d, 120000, 1, lv, in), 1);
    assert_int_equal(lv[0], 1), assert_int_equal(in[0], 7);
    assert_int_equal(gen_defer_count(d), 1);
    gen_defer_free(d);
}

/* Many more than the first ring holds, pushed and popped across its wrap:
 * every candle comes back once, in order. */
static void test_grows_in_order(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gen_defer *d = gen_defer_new(&l);
    uint32_t next_in = 0, next_out = 0;
    for (int round = 0; round < 40; round++) {
        for (int e = 0; e < 700; e++, next_in++) {
            ts_candle x = candle((int64_t)next_in * 1000, next_in + 1);
            assert_int_equal(gen_defer_push(d, 0, next_in, &x), 0);
        }
        int64_t b = 500;
        int k;
        uint32_t i;
        ts_candle x;
        while (gen_defer_pop(d, 0, &b, &k, &i, &x)) {
            assert_int_equal(i, next_out);
            assert_int_equal(x.t, (int64_t)next_out * 1000);
            assert_int_equal(x.n, next_out + 1);
            next_out++;
        }
    }
    assert_int_equal(gen_defer_count(d), next_in - next_out);
    assert_int_equal(next_in - next_out, 40 * 200);
    gen_defer_clear(d);
    assert_int_equal(gen_defer_count(d), 0);
    int64_t b = 10;
    int k;
    uint32_t i;
    ts_candle x;
    assert_int_equal(gen_defer_pop(d, INT64_MAX / 4, &b, &k, &i, &x), 0);
    gen_defer_free(d);
}

/* The budget follows the answers' delay: halved when late, regrown when
 * on time, between max / 8 and max. */
static void test_budget_follows_the_answers(void **state)
{
    (void)state;
    int64_t b = 25000;
    b = gen_defer_budget(b, 25000, 400, 1000); /* on time: stays at max */
    assert_int_equal(b, 25000);
    b = gen_defer_budget(b, 25000, 900, 1000); /* a slow answer: halved */
    assert_int_equal(b, 12500);
    b = gen_defer_budget(b, 25000, 600, 1000); /* between: kept */
    assert_int_equal(b, 12500);
    for (int k = 0; k < 10; k++)
        b = gen_defer_budget(b, 25000, 2500, 1000);
    assert_int_equal(b, 3125); /* never below max / 8 */
    b = gen_defer_budget(b, 25000, 100, 1000);
    assert_int_equal(b, 6250); /* regrown by max / 8 */
    for (int k = 0; k < 10; k++)
        b = gen_defer_budget(b, 25000, 100, 1000);
    assert_int_equal(b, 25000);
    assert_int_equal(gen_defer_budget(1, 1, 5000, 1000), 1); /* a budget of 1 stays 1 */
}

/* What a tick time must write so that nothing waits until its deadline. */
static void test_need(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gen_defer *d = gen_defer_new(&l);
    assert_int_equal(gen_defer_need(d, 60000, 1000), 0);
    /* 100 1s candles of bucket 59000, closed at 60000: overdue at 61000, one tick time left. */
    for (uint32_t i = 0; i < 100; i++) {
        ts_candle s = candle(59000, 1), m = candle(0, 60);
        gen_defer_push(d, 0, i, &s);
        gen_defer_push(d, 1, i, &m); /* 1m bucket 0, closed at 60000: overdue at 120000 */
    }
    /* all 100 1s ones now, and 100 / 60 of the 1m ones, rounded up */
    assert_int_equal(gen_defer_need(d, 60000, 1000), 100 + 2);
    /* At 100 ms ticks the 1s ones have 10 tick times (10 each), the 1m ones 600 (1). */
    assert_int_equal(gen_defer_need(d, 60000, 100), 10 + 1);
    /* Past the deadline: everything now. */
    assert_int_equal(gen_defer_need(d, 200000, 1000), 200);
    gen_defer_free(d);
}

/* An urgent level's candles go out at once, whatever the budget. */
static void test_urgent(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gen_defer *d = gen_defer_new(&l);
    int lv[16];
    uint32_t in[16];
    ts_candle s = candle(59000, 1), m = candle(0, 60);
    gen_defer_push(d, 0, 1, &s);
    gen_defer_push(d, 1, 2, &m);
    gen_defer_urgent(d, 1u << 1);
    assert_int_equal(gen_defer_need(d, 60000, 1000), 1 + 1);
    assert_int_equal(pops(d, 60000, 0, lv, in), 1);
    assert_int_equal(lv[0], 1), assert_int_equal(in[0], 2);
    gen_defer_urgent(d, 0);
    assert_int_equal(pops(d, 60000, 0, lv, in), 0); /* the 1s one is not overdue yet */
    gen_defer_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urgent),
        cmocka_unit_test(test_need),
        cmocka_unit_test(test_budget_follows_the_answers),
        cmocka_unit_test(test_budget_finest_first),
        cmocka_unit_test(test_overdue_whatever_the_budget),
        cmocka_unit_test(test_grows_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
