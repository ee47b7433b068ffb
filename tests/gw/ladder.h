/* ladder.h — what the unit tests of range and candle planning share: time
 * units, a fixed "now", and the default ladder at 1 s ticks. Include after
 * cmocka.h. */
#ifndef TESTS_GW_LADDER_H
#define TESTS_GW_LADDER_H

#include "ts_candle.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define NOW (20000 * DAY + 12345)

static inline ts_ladder ladder(void)
{
    ts_ladder l;
    char err[200];
    assert_int_equal(ts_ladder_parse(TS_ROLLUPS_DEFAULT, 1000, &l, err, sizeof(err)), 0);
    return l;
}

#endif
