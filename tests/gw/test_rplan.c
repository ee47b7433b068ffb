/* test_rplan.c — the range planner (core/gw_rplan.c): which source, which
 * buckets, the clamping to the retained history, and the folding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw_rplan.h"
#include "ladder.h"


static gw_rplan plan(const ts_ladder *l, int64_t from, int64_t to, int64_t points)
{
    gw_rplan_in in = {from, to, points, 1000, DAY, NOW, l};
    gw_rplan p;
    const char *why = NULL;
    assert_int_equal(gw_rplan_make(&in, &p, &why), 0);
    /* Whatever the source: buckets a multiple of it, covering the window, at most points + 1. */
    assert_true(p.first <= p.from && p.first + (int64_t)p.count * p.width > p.to);
    assert_true(p.first % p.width == 0);
    assert_true(p.count >= 1 && p.count <= (uint32_t)points + 1);
    int64_t w = p.level < 0 ? 1000 : l->lv[p.level].width_ms;
    assert_int_equal(p.width % w, 0);
    return p;
}

static void test_source_is_the_coarsest_that_fits(void **state)
{
    (void)state;
    ts_ladder l = ladder(); /* 10s, 1m, 5m, 15m, 1h, 4h, 1d */
    gw_rplan p = plan(&l, NOW - 10 * MIN, NOW, 1000); /* 0.6 s a point: raw, 1 s buckets */
    assert_int_equal(p.level, -1);
    assert_int_equal(p.width, 1000);
    p = plan(&l, NOW - 2 * HOUR, NOW, 1000); /* 7.2 s: still raw, 8 s buckets */
    assert_int_equal(p.level, -1);
    assert_int_equal(p.width, 8000);
    p = plan(&l, NOW - HOUR + 1, NOW, 100); /* 36 s a point: 10s candles, 40 s buckets */
    assert_int_equal(p.level, 0);
    assert_int_equal(p.width, 40000);
    p = plan(&l, NOW - 16 * HOUR, NOW, 1000); /* 57.6 s: 10s candles, 1 min buckets */
    assert_int_equal(p.level, 0);
    assert_int_equal(p.width, MIN);
    p = plan(&l, NOW - DAY, NOW, 1000); /* 86.4 s: 1m candles, 2 min buckets */
    assert_int_equal(p.level, 1);
    assert_int_equal(p.width, 2 * MIN);
    p = plan(&l, NOW - 7 * DAY, NOW, 700); /* 14.4 min: 5m, 15 min buckets */
    assert_int_equal(p.level, 2);
    assert_int_equal(p.width, 15 * MIN);
    p = plan(&l, NOW - 10 * DAY, NOW, 1000); /* 14.4 min: 5m */
    assert_int_equal(p.level, 2);
    p = plan(&l, NOW - 30 * DAY, NOW, 1000); /* 43.2 min: 15m candles, 45 min */
    assert_int_equal(p.level, 3);
    assert_int_equal(p.width, 45 * MIN);
    p = plan(&l, NOW - 30 * DAY + 1, NOW, 200); /* 3.6 h: 1h candles, 4 h */
    assert_int_equal(p.level, 4);
    assert_int_equal(p.width, 4 * HOUR);
    p = plan(&l, NOW - 365 * DAY + 1, NOW, 1000); /* 8.76 h: 4h candles, 12 h */
    assert_int_equal(p.level, 5);
    assert_int_equal(p.width, 12 * HOUR);
    p = plan(&l, NOW - 365 * DAY, NOW, 300); /* 29.2 h: 1d candles, 2 days */
    assert_int_equal(p.level, 6);
    assert_int_equal(p.width, 2 * DAY);
    p = plan(&l, NOW - 3000 * DAY + 1, NOW, 100); /* 30 days: 1d */
    assert_int_equal(p.level, 6);
    assert_int_equal(p.width, 30 * DAY);
    p = plan(&l, NOW - 5000, NOW, 1); /* one point */
    assert_int_equal(p.count, 1 + (NOW / p.width != (NOW - 5000) / p.width));
}

static void test_retention_moves_to_a_coarser_source(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    /* An hour two days ago: raw ticks are gone (24 h), so 10s candles. */
    gw_rplan p = plan(&l, NOW - 2 * DAY, NOW - 2 * DAY + HOUR, 1000);
    assert_int_equal(p.level, 0);
    assert_int_equal(p.width, 10000);
    /* Ten days ago: 10s candles are kept 7 days, 1m 30 days. */
    p = plan(&l, NOW - 10 * DAY, NOW - 10 * DAY + HOUR, 1000);
    assert_int_equal(p.level, 1);
    assert_int_equal(p.width, MIN);
    /* 100 days ago: 1m (30 days) and 5m (90 days) are gone, 15m kept a year. */
    p = plan(&l, NOW - 100 * DAY, NOW - 100 * DAY + HOUR, 1000);
    assert_int_equal(p.level, 3);
    /* Before everything: clamped to the longest retention (1d, 3650 days). */
    p = plan(&l, 0, NOW, 100);
    assert_int_equal(p.from, NOW - 3650 * DAY);
    assert_int_equal(p.level, 6);
    /* No ladder: raw ticks only, clamped to their retention, to clamped to now. */
    ts_ladder none = {0};
    p = plan(&none, NOW - 10 * DAY, NOW + DAY, 100);
    assert_int_equal(p.level, -1);
    assert_int_equal(p.from, NOW - DAY);
    assert_int_equal(p.to, NOW);
    assert_int_equal(p.width, 865000); /* (1 day + 1 ms) / 100, up to whole seconds */
}

/* The stored entries a plan reads from its source, at most: those of the
 * window that the source still holds. */
static int64_t source_reads(const ts_ladder *l, const gw_rplan *p, int64_t retention_ms)
{
    int64_t w = p->level < 0 ? 1000 : l->lv[p->level].width_ms;
    int64_t ret = p->level < 0 ? retention_ms : l->lv[p->level].retention_ms;
    int64_t from = p->from > NOW - ret ? p->from : NOW - ret;
    return from > p->to ? 0 : p->to / w - from / w + 1;
}

/* gw_rplan.h's bound: with the default ladder at 1 s ticks, any window at
 * 1,000 points reads at most 10 × 1,000 + 1 entries of its source, and the
 * live tail at most the ratios below it (10 + 6 + 5 + 3 + 4 + 4 + 6):
 * spans from a second to ten years, ending now or as far back as the
 * history goes, with the raw ticks kept a day (the default) or 30 days. */
static void test_reads_are_bounded(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    const int64_t raw[] = {DAY, 30 * DAY};
    int64_t worst = 0;
    for (size_t r = 0; r < 2; r++)
        for (int64_t span = 1000; span <= 3650 * DAY; span = span * 11 / 10 + 7)
            for (int64_t age = 0; age <= 3650 * DAY; age = age == 0 ? HOUR : age * 3) {
                gw_rplan_in in = {NOW - age - span, NOW - age, 1000, 1000, raw[r], NOW, &l};
                gw_rplan p;
                const char *why = NULL;
                if (gw_rplan_make(&in, &p, &why) != 0)
                    continue; /* wholly before the history */
                int64_t n = source_reads(&l, &p, raw[r]);
                worst = n > worst ? n : worst;
                assert_true(n <= GW_RPLAN_READS_PER_POINT * 1000 + 1);
            }
    assert_true(worst > 9000); /* the bound is reached (e.g. 2.7 h of raw ticks), not loose */
    /* The ratio the bound rests on: the largest step of (interval, ladder). */
    int64_t prev = 1000, ratio = 0;
    for (int k = 0; k < l.n; k++) {
        int64_t q = l.lv[k].width_ms / prev;
        ratio = q > ratio ? q : ratio;
        prev = l.lv[k].width_ms;
    }
    assert_int_equal(ratio, GW_RPLAN_READS_PER_POINT);
}

static void test_bad_requests(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gw_rplan p;
    const char *why = NULL;
    const gw_rplan_in bad[] = {
        {NOW, NOW - 1, 10, 1000, DAY, NOW, &l},                  /* to before from */
        {-5, NOW, 10, 1000, DAY, NOW, &l},                       /* negative */
        {NOW - 1000, NOW, 0, 1000, DAY, NOW, &l},                /* no points */
        {NOW - 1000, NOW, GW_RANGE_POINTS_MAX + 1, 1000, DAY, NOW, &l},
        {1, 2, 10, 1000, DAY, NOW, &l},                          /* before every retention */
        {NOW + DAY, NOW + 2 * DAY, 10, 1000, DAY, NOW, &l},      /* wholly in the future */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        assert_int_equal(gw_rplan_make(&bad[i], &p, &why), -1);
        assert_non_null(why);
    }
}

/* Where the whole stored history starts: the finest source that has lost
 * nothing to its retention, else the oldest entry of any. */
static void test_start(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    gw_rplan_in in = {0, 0, 1000, 1000, DAY, NOW, &l};
    /* first[]: raw, 10s, 1m, 5m, 15m, 1h, 4h, 1d. 30.5 days of history: raw (24 h), 10s (7 d) and 1m (30 d)
     * are trimmed, 5m (90 d) is whole. */
    int64_t t0 = NOW - 30 * DAY - 12 * HOUR - 7 * MIN - 3000;
    int64_t f30[] = {NOW - DAY,
                     NOW - 7 * DAY,
                     NOW - 30 * DAY,
                     t0 / (5 * MIN) * (5 * MIN),
                     t0 / (15 * MIN) * (15 * MIN),
                     t0 / HOUR * HOUR,
                     t0 / (4 * HOUR) * (4 * HOUR),
                     t0 / DAY * DAY};
    assert_int_equal(gw_rplan_start(&in, f30), t0 / (5 * MIN) * (5 * MIN));
    /* 5 hours of history: the raw stream holds the oldest tick itself (the 1d candle is still open). */
    int64_t t1 = NOW - 5 * HOUR + 2000;
    int64_t f5[] = {t1,
                    t1 / 10000 * 10000,
                    t1 / MIN * MIN,
                    t1 / (5 * MIN) * (5 * MIN),
                    t1 / (15 * MIN) * (15 * MIN),
                    t1 / HOUR * HOUR,
                    t1 / (4 * HOUR) * (4 * HOUR),
                    -1};
    assert_int_equal(gw_rplan_start(&in, f5), t1);
    /* Entries older than every retention (trimming is approximate): the oldest of them. */
    int64_t fold[] = {NOW - DAY, -1, -1, -1, -1, -1, -1, NOW - 4000 * DAY};
    assert_int_equal(gw_rplan_start(&in, fold), NOW - 4000 * DAY);
    /* No rollups, a raw stream alone. */
    ts_ladder none = {0};
    gw_rplan_in raw = {0, 0, 1000, 1000, DAY, NOW, &none};
    int64_t fr[] = {NOW - HOUR};
    assert_int_equal(gw_rplan_start(&raw, fr), NOW - HOUR);
    /* Nothing stored. */
    int64_t fe[] = {-1, -1, -1, -1, -1, -1, -1, -1};
    assert_int_equal(gw_rplan_start(&in, fe), -1);
}

static void test_fold(void **state)
{
    (void)state;
    gw_rplan p = {.from = 1000, .to = 3999, .level = 0, .width = 1000, .first = 1000, .count = 3};
    ts_candle b[3] = {{0}};
    ts_candle a = {1000, 5, 9, 1, 2, 10}, c = {1500, 2, 3, -4, 0, 5}, d = {3500, 7, 7, 7, 7, 1};
    ts_candle before = {500, 1, 1, 1, 1, 1}, after = {4000, 1, 1, 1, 1, 1}, empty = {2000, 0, 0, 0, 0, 0};
    gw_rplan_fold(&p, b, &before);
    gw_rplan_fold(&p, b, &a);
    gw_rplan_fold(&p, b, &c);
    gw_rplan_fold(&p, b, &empty);
    gw_rplan_fold(&p, b, &d);
    gw_rplan_fold(&p, b, &after);
    assert_int_equal(b[0].t, 1000);
    assert_int_equal(b[0].o, 5), assert_int_equal(b[0].h, 9), assert_int_equal(b[0].l, -4);
    assert_int_equal(b[0].c, 0), assert_int_equal(b[0].n, 15);
    assert_int_equal(b[1].n, 0);
    assert_int_equal(b[2].t, 3000); /* the bucket's start, not the piece's */
    assert_int_equal(b[2].n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_source_is_the_coarsest_that_fits),
        cmocka_unit_test(test_retention_moves_to_a_coarser_source),
        cmocka_unit_test(test_reads_are_bounded),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_start),
        cmocka_unit_test(test_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
