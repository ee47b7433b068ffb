/* test_levels.c — since when each level holds every tick (generator/
 * gen_levels.c): ts:meta's rollups_from read, written back, and the source
 * each open candle is rebuilt from. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_levels.h"

#define LADDER "50ms:1h,1s:1h,5s:1h"

static ts_ladder ladder(const char *spec)
{
    ts_ladder l;
    char err[160];
    assert_int_equal(ts_ladder_parse(spec, 10, &l, err, sizeof(err)), 0);
    return l;
}

/* A history written before rollups_from: the levels its ladder had are
 * there since the start, the others are new. */
static void test_read_before_the_field(void **state)
{
    (void)state;
    ts_ladder l = ladder(LADDER);
    int64_t from[TS_LEVELS_MAX];
    char buf[256];
    gen_levels_read(&l, "50ms:1h,5s:2h", "", 10, from);
    assert_int_equal(from[0], 0);
    assert_int_equal(from[1], GEN_LEVEL_NEW);
    assert_int_equal(from[2], 0);
    gen_levels_format(&l, from, buf, sizeof(buf));
    assert_string_equal(buf, "50ms:0,5s:0");
    /* No ladder at all (rollups off, or none written): every level is new. */
    gen_levels_read(&l, "off", "", 10, from);
    for (int k = 0; k < 3; k++)
        assert_int_equal(from[k], GEN_LEVEL_NEW);
    gen_levels_format(&l, from, buf, sizeof(buf));
    assert_string_equal(buf, "-");
    gen_levels_read(&l, "", "", 10, from);
    assert_int_equal(from[0], GEN_LEVEL_NEW);
}

/* rollups_from, once there, is the truth: the ladder no longer says which
 * levels are new (it is ours from the first start-up on). Labels are
 * matched by width; what cannot be read leaves its level new. */
static void test_read_back(void **state)
{
    (void)state;
    ts_ladder l = ladder(LADDER);
    int64_t from[TS_LEVELS_MAX];
    char buf[256];
    gen_levels_read(&l, LADDER, "50ms:0,1000ms:1796060611000", 10, from);
    assert_int_equal(from[0], 0);
    assert_int_equal(from[1], 1796060611000);
    assert_int_equal(from[2], GEN_LEVEL_NEW);
    gen_levels_read(&l, LADDER, "-", 10, from);
    assert_int_equal(from[0], GEN_LEVEL_NEW);
    gen_levels_read(&l, LADDER, "50ms:x,1s,5s:12,3m:0", 10, from);
    assert_int_equal(from[0], GEN_LEVEL_NEW);
    assert_int_equal(from[1], GEN_LEVEL_NEW);
    assert_int_equal(from[2], 12);
    gen_levels_read(&l, LADDER, "50ms:0,1s:1796060611000,5s:1796060610000", 10, from);
    gen_levels_format(&l, from, buf, sizeof(buf));
    assert_string_equal(buf, "50ms:0,1s:1796060611000,5s:1796060610000");
}

/* Added levels begin at their bucket holding the last tick; a new history at 0. */
static void test_begin(void **state)
{
    (void)state;
    unsigned shorts;
    ts_ladder l = ladder(LADDER);
    int64_t from[TS_LEVELS_MAX];
    gen_levels_read(&l, "50ms:1h", "", 10, from);
    assert_int_equal(gen_levels_begin(&l, from, 1796060611370, 0, &shorts), 2);
    assert_int_equal(from[0], 0);
    assert_int_equal(from[1], 1796060611000);
    assert_int_equal(from[2], 1796060610000);
    assert_int_equal(gen_levels_begin(&l, from, 1796060611370, 0, &shorts), 0);
    gen_levels_read(&l, "", "", 10, from);
    assert_int_equal(gen_levels_begin(&l, from, 0, 0, &shorts), 3);
    assert_int_equal(from[2], 0);
    gen_levels_all(&l, from);
    assert_int_equal(gen_levels_begin(&l, from, 1796060611370, 0, &shorts), 0);
    assert_int_equal(shorts, 0);
    /* 1s and 5s added under an old 50ms, the raw ticks kept from …609000
     * on only (a --retention shorter than 5 s): both are rebuilt from 50ms,
     * which holds their buckets whole. */
    gen_levels_read(&l, "50ms:1h", "", 10, from);
    assert_int_equal(gen_levels_begin(&l, from, 1796060611370, 1796060609000, &shorts), 2);
    assert_int_equal(shorts, 0);
    assert_int_equal(from[1], 1796060611000);
    assert_int_equal(from[2], 1796060610000);
    /* 50ms and 1s added under an old 5s, the raw ticks kept from …611200
     * on: both are rebuilt from the raw ticks. 50ms's bucket (…611350) is
     * all kept; 1s's (…611000) began before: 1s is whole from …612000. */
    gen_levels_read(&l, "5s:1h", "", 10, from);
    assert_int_equal(gen_levels_begin(&l, from, 1796060611370, 1796060611200, &shorts), 2);
    assert_int_equal(shorts, 1u << 1);
    assert_int_equal(from[0], 1796060611350);
    assert_int_equal(from[1], 1796060612000);
}

/* The source of each open candle: the nearest finer level that holds its
 * whole bucket, else the raw ticks (-1). */
static void test_source(void **state)
{
    (void)state;
    unsigned shorts;
    ts_ladder l = ladder(LADDER);
    int64_t from[TS_LEVELS_MAX];
    gen_levels_all(&l, from);
    assert_int_equal(gen_levels_source(&l, from, 1796060611370, 0), -1);
    assert_int_equal(gen_levels_source(&l, from, 1796060611370, 1), 0);
    assert_int_equal(gen_levels_source(&l, from, 1796060611370, 2), 1);
    /* 1s and 5s added at 1796060611370 (upgrade), restarted at …612100: 5s's
     * bucket (…610000) began before 1s did (…611000): from 50ms. */
    gen_levels_read(&l, "50ms:1h", "", 10, from);
    gen_levels_begin(&l, from, 1796060611370, 0, &shorts);
    assert_int_equal(gen_levels_source(&l, from, 1796060612100, 1), 0);
    assert_int_equal(gen_levels_source(&l, from, 1796060612100, 2), 0);
    /* In the next 5s bucket, 1s holds it whole. */
    assert_int_equal(gen_levels_source(&l, from, 1796060615000, 2), 1);
    /* 50ms and 1s added under 5s: 1s and 5s have no finer level that holds
     * their bucket at the upgrade: the raw ticks. */
    gen_levels_read(&l, "5s:1h", "", 10, from);
    assert_int_equal(gen_levels_source(&l, from, 1796060611370, 1), -1);
    assert_int_equal(gen_levels_source(&l, from, 1796060611370, 2), -1);
    gen_levels_begin(&l, from, 1796060611370, 0, &shorts);
    /* Restarted in the same second: 50ms began at …611350, after 1s's bucket. */
    assert_int_equal(gen_levels_source(&l, from, 1796060611380, 1), -1);
    assert_int_equal(gen_levels_source(&l, from, 1796060611380, 2), -1);
    assert_int_equal(gen_levels_source(&l, from, 1796060612000, 1), 0);
}

/* Where start-up rebuilds each level from: the bucket before the open one
 * (its candle may still wait to be written, gen_defer.h) when the level
 * holds it, else the open one; and the source that holds every tick from
 * there. */
static void test_rebuild(void **state)
{
    (void)state;
    unsigned shorts;
    ts_ladder l = ladder(LADDER);
    int64_t from[TS_LEVELS_MAX];
    gen_levels_all(&l, from);
    assert_int_equal(gen_levels_rebuild(&l, from, 1796060611370, 0), 1796060611300);
    assert_int_equal(gen_levels_rebuild(&l, from, 1796060611370, 1), 1796060610000);
    assert_int_equal(gen_levels_rebuild(&l, from, 1796060611370, 2), 1796060605000);
    assert_int_equal(gen_levels_source_from(from, 1796060605000, 2), 1);
    /* A level added at …611370: it holds nothing before its open bucket. */
    gen_levels_read(&l, "50ms:1h,5s:1h", "", 10, from);
    gen_levels_begin(&l, from, 1796060611370, 0, &shorts);
    assert_int_equal(from[1], 1796060611000);
    assert_int_equal(gen_levels_rebuild(&l, from, 1796060611370, 1), 1796060611000);
    assert_int_equal(gen_levels_rebuild(&l, from, 1796060612370, 1), 1796060611000); /* a bucket on: the one before */
    /* 5s's bucket before the open one (…605000) began before 1s did: from 50ms. */
    assert_int_equal(gen_levels_source_from(from, gen_levels_rebuild(&l, from, 1796060612370, 2), 2), 0);
    /* The first bucket of the history has none before it. */
    assert_int_equal(gen_levels_rebuild(&l, from, 30, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuild),
        cmocka_unit_test(test_read_before_the_field),
        cmocka_unit_test(test_read_back),
        cmocka_unit_test(test_begin),
        cmocka_unit_test(test_source),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
