/* test_sizing.c — the memory estimate (generator/gen_sizing.c) against
 * figures worked out by hand from its constants (docs/REDIS.md "Sizing"),
 * and the reading of INFO memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_sizing.h"

static ts_ladder ladder(const char *spec)
{
    ts_ladder l;
    char err[160];
    assert_int_equal(ts_ladder_parse(spec, 1000, &l, err, sizeof(err)), 0);
    return l;
}

/* The default configuration: 100 instruments at 1 s, 24 h of raw ticks,
 * the default ladder. By hand:
 *   ticks   86,400 + 100 = 86,500 an instrument × 16 B × 100 = 138,400,000
 *   candles 10s 60,480 + 1m 43,200 + 5m 25,920 + 15m 35,040 + 1h 17,520
 *           + 4h 10,950 + 1d 3,650 = 196,760, + 7 × 100 = 197,460
 *           × 27 B × 100 = 533,142,000
 *   floor   100 × 8 streams × 4,400 B = 3,520,000
 *   total   675,062,000 B (643.8 MiB), 6,750,620 an instrument
 *   a day   86,400 × 16 + (8,640 + 1,440 + 288 + 96 + 24 + 6 + 1) × 27 = 1,665,765 */
static void test_default(void **state)
{
    (void)state;
    ts_ladder l = ladder(TS_ROLLUPS_DEFAULT);
    gen_sizing s;
    gen_sizing_estimate(100, 1000, 86400000, &l, &s);
    assert_true(s.streams == 800);
    assert_true(s.tick_entries == 86500);
    assert_true(s.candle_entries == 197460);
    assert_true(s.ticks == 138400000.0);
    assert_true(s.candles == 533142000.0);
    assert_true(s.floor == 3520000.0);
    assert_true(s.total == 675062000.0);
    assert_true(s.per_instrument == 6750620.0);
    assert_true(s.per_instrument_day == 1665765.0);
    char buf[32];
    gen_sizing_format(s.total, buf, sizeof(buf));
    assert_string_equal(buf, "643.8 MiB");
}

/* The per-stream floor of the brief: 100,000 instruments × (1 + 7) streams
 * before any history = 3,520,000,000 B (3.3 GiB). And no rollups, 1 h at
 * 1 s: 100,000 × ((3,600 + 100) × 16 + 4,400) = 6,360,000,000. */
static void test_many(void **state)
{
    (void)state;
    ts_ladder l = ladder(TS_ROLLUPS_DEFAULT), off = ladder("off");
    gen_sizing s;
    gen_sizing_estimate(100000, 1000, 86400000, &l, &s);
    assert_true(s.floor == 3520000000.0);
    char buf[32];
    gen_sizing_format(s.floor, buf, sizeof(buf));
    assert_string_equal(buf, "3.3 GiB");
    gen_sizing_estimate(100000, 1000, 3600000, &off, &s);
    assert_true(s.candles == 0);
    assert_true(s.total == 6360000000.0);
    /* 10 ms ticks for 90 s: 9,000 + 100 entries. */
    gen_sizing_estimate(1, 10, 90000, &off, &s);
    assert_true(s.total == 9100 * 16 + 4400);
}

static void test_format(void **state)
{
    (void)state;
    char buf[32];
    gen_sizing_format(0, buf, sizeof(buf));
    assert_string_equal(buf, "0 B");
    gen_sizing_format(1023, buf, sizeof(buf));
    assert_string_equal(buf, "1023 B");
    gen_sizing_format(1536, buf, sizeof(buf));
    assert_string_equal(buf, "1.5 KiB");
    gen_sizing_format(10485760, buf, sizeof(buf));
    assert_string_equal(buf, "10.0 MiB");
}

static void test_info(void **state)
{
    (void)state;
    int64_t max = -5;
    char policy[32];
    const char *info = "# Memory\r\nused_memory:1182064\r\nmaxmemory_human:10.00M\r\nmaxmemory:10485760\r\n"
                       "maxmemory_policy:allkeys-lru\r\n";
    assert_int_equal(gen_sizing_info(info, &max, policy, sizeof(policy)), 0);
    assert_int_equal(max, 10485760);
    assert_string_equal(policy, "allkeys-lru");
    assert_int_equal(gen_sizing_info("maxmemory:0\r\nmaxmemory_policy:noeviction", &max, policy, sizeof(policy)), 0);
    assert_int_equal(max, 0);
    assert_string_equal(policy, "noeviction");
    /* No maxmemory line, or not a number: -1. */
    assert_int_equal(gen_sizing_info("# Memory\r\nmaxmemory_human:0B\r\n", &max, policy, sizeof(policy)), -1);
    assert_string_equal(policy, "");
    assert_int_equal(gen_sizing_info("maxmemory:-1\r\n", &max, policy, sizeof(policy)), -1);
    assert_int_equal(gen_sizing_info("", &max, policy, sizeof(policy)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
