/* test_candles.c — the ladder spec, candle merging and the candle builder
 * (generator/gen_candles.c) against a brute-force aggregate of the ticks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_candles.h"
#include "ts_candle.h"

static void test_ladder_parse(void **state)
{
    (void)state;
    ts_ladder l;
    char err[200], buf[200];
    assert_int_equal(ts_ladder_parse(TS_ROLLUPS_DEFAULT, 1000, &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 7);
    assert_int_equal(l.lv[0].width_ms, 10000);
    assert_int_equal(l.lv[6].width_ms, 86400000);
    assert_int_equal(l.lv[0].retention_ms, 7LL * 86400000);
    assert_int_equal(l.lv[1].retention_ms, 30LL * 86400000);
    assert_string_equal(l.lv[5].label, "4h");
    ts_ladder_format(&l, buf, sizeof(buf));
    assert_string_equal(buf, TS_ROLLUPS_DEFAULT);
    assert_int_equal(ts_ladder_parse("off", 1000, &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 0);
    ts_ladder_format(&l, buf, sizeof(buf));
    assert_string_equal(buf, "off");
    assert_int_equal(ts_ladder_parse("100ms:1h,1s:2h", 10, &l, err, sizeof(err)), 0);
    assert_string_equal(l.lv[0].label, "100ms");
    /* The longest retention, 50 years: MINID now - retention stays positive. */
    assert_int_equal(ts_ladder_parse("1d:18250d", 1000, &l, err, sizeof(err)), 0);
    /* Refused, each with a reason: not divisible, not a multiple of the
     * interval, retention below width, no colon, no unit, decreasing, a
     * retention over 50 years (Redis refused every write of that level). */
    const char *bad[] = {"1m:1d,90s:1d", "1500ms:1d", "1m:30s", "1m", "1m:30", "15m:1d,1m:1d", ",", "1m:1d,1m:1d",
                         "1m:30000d", "1m:18251d"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(ts_ladder_parse(bad[i], 1000, &l, err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
}

static void test_merge(void **state)
{
    (void)state;
    ts_candle a = {0}, b = {0}, e = {0};
    ts_candle_add(&a, 0, 1, 5);
    ts_candle_add(&a, 0, 2, 7);
    ts_candle_add(&b, 0, 3, 2);
    ts_candle_add(&b, 0, 4, 3);
    ts_candle m = a;
    ts_candle_merge(&m, &b);
    assert_int_equal(m.o, 5), assert_int_equal(m.h, 7), assert_int_equal(m.l, 2), assert_int_equal(m.c, 3);
    assert_int_equal(m.n, 4);
    ts_candle_merge(&m, &e); /* empty: nothing */
    assert_int_equal(m.n, 4);
    ts_candle_merge(&e, &b);
    assert_int_equal(e.o, 2), assert_int_equal(e.n, 2);
}

/* Every candle the builder closes equals the aggregate of the ticks in its
 * bucket, buckets are closed in order, none is empty; a gap (no ticks for
 * whole buckets, as after a long outage) writes no candle for it, and a
 * coarser candle equals the merge of the finer ones inside it. */
static void test_builder_matches_brute_force(void **state)
{
    (void)state;
    ts_ladder l;
    char err[200];
    assert_int_equal(ts_ladder_parse("50ms:1h,200ms:1h,1s:1h", 10, &l, err, sizeof(err)), 0);
    enum { N = 3, T = 4000 };
    gen_candles *g = gen_candles_new(&l, N);
    assert_non_null(g);
    static int64_t ts[T];
    static int32_t ps[N][T];
    int64_t t = 1000;
    srand(7);
    for (int k = 0; k < T; k++) {
        t += 10 * (rand() % 8 == 0 ? 1 + rand() % 40 : 1); /* sometimes a gap */
        ts[k] = t;
        for (int i = 0; i < N; i++)
            ps[i][k] = (k ? ps[i][k - 1] : 0) + (rand() % 2 ? 1 : -1);
    }
    int closed_total[TS_LEVELS_MAX] = {0};
    for (int i = 0; i < N; i++) {
        int64_t prev_start[TS_LEVELS_MAX];
        for (int k = 0; k < l.n; k++)
            prev_start[k] = -1;
        ts_candle fine_sum[TS_LEVELS_MAX] = {{0}};
        for (int k = 0; k < T; k++) {
            ts_candle out[TS_LEVELS_MAX];
            unsigned c = gen_candles_tick(g, (uint32_t)i, ts[k], ps[i][k], out);
            assert_int_equal(gen_candles_tick(g, (uint32_t)i, ts[k], 99, out), 0); /* a repeat: nothing */
            for (int lv = 0; lv < l.n; lv++) {
                if (lv > 0 && (c & (1u << (lv - 1))))
                    ts_candle_merge(&fine_sum[lv], &out[lv - 1]);
                if (!(c & (1u << lv)))
                    continue;
                closed_total[lv]++;
                const ts_candle *x = &out[lv];
                int64_t w = l.lv[lv].width_ms;
                assert_true(x->t > prev_start[lv]);
                assert_true(ts[k] >= x->t + w); /* closed by a tick after it */
                prev_start[lv] = x->t;
                ts_candle want = {0};
                for (int j = 0; j < k; j++)
                    if (ts[j] >= x->t && ts[j] < x->t + w)
                        ts_candle_add(&want, x->t, ts[j], ps[i][j]);
                assert_true(want.n > 0);
                assert_memory_equal(x, &want, sizeof(want));
                if (lv > 0) { /* the finer level closed every candle inside this one already */
                    assert_int_equal(fine_sum[lv].n, x->n);
                    assert_int_equal(fine_sum[lv].h, x->h), assert_int_equal(fine_sum[lv].l, x->l);
                    assert_int_equal(fine_sum[lv].o, x->o), assert_int_equal(fine_sum[lv].c, x->c);
                    memset(&fine_sum[lv], 0, sizeof(fine_sum[lv]));
                }
            }
        }
        /* The open candle holds the ticks of the last bucket. */
        ts_candle *open = gen_candles_open(g, (uint32_t)i, 0);
        assert_int_equal(open->t, ts[T - 1] / 50 * 50);
        assert_int_equal(open->c, ps[i][T - 1]);
    }
    for (int lv = 0; lv < l.n; lv++)
        assert_true(closed_total[lv] > 10);
    /* Cleared: the next tick opens a new candle and closes nothing. */
    ts_candle out[TS_LEVELS_MAX];
    gen_candles_clear(g, 0);
    assert_int_equal(gen_candles_open(g, 0, 1)->n, 0);
    assert_int_equal(gen_candles_tick(g, 0, ts[T - 1] + 10000, 1, out), 0);
    gen_candles_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ladder_parse),
        cmocka_unit_test(test_merge),
        cmocka_unit_test(test_builder_matches_brute_force),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
