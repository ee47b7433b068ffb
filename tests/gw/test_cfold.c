/* test_cfold.c — a live candle subscription's decisions (core/gw_cfold.c):
 * the source and first candle of a width, where history ends and ticks
 * take over, and the fold of ticks into the open candle — checked against
 * candles computed directly from the ticks, for every split point. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gw_cfold.h"
#include "ladder.h"

#define SEC 1000LL

static gw_cplan cplan(const ts_ladder *l, int64_t since, int64_t width)
{
    gw_cplan_in in = {since, width, NOW, 1000, DAY, l};
    gw_cplan p;
    const char *why = NULL;
    assert_int_equal(gw_cplan_make(&in, &p, &why), 0);
    assert_int_equal(p.width, width);
    assert_int_equal(p.first % width, 0);
    assert_true(p.chunk >= 1 && p.chunk <= GW_RANGE_POINTS_MAX);
    return p;
}

static void test_bad_widths(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    const int64_t bad[] = {0, -MIN, 500, 1500, GW_CANDLE_WIDTH_MAX + 1000};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        gw_cplan_in in = {0, bad[i], NOW, 1000, DAY, &l};
        gw_cplan p;
        const char *why = NULL;
        assert_int_equal(gw_cplan_make(&in, &p, &why), -1);
        assert_non_null(why);
    }
    /* A width no level divides, read from raw ticks: at 100 ms ticks one
     * 86,401 s candle would fold 864,010 entries in one read (review
     * finding); 10,000 s (100,000 ticks) is the most one read folds. */
    ts_ladder none = {0};
    gw_cplan p;
    const char *why = NULL;
    gw_cplan_in big = {0, 86401 * SEC, NOW, 100, DAY, &none};
    assert_int_equal(gw_cplan_make(&big, &p, &why), -1);
    assert_non_null(strstr(why, "100000"));
    gw_cplan_in edge = {0, 10000 * SEC, NOW, 100, DAY, &none};
    assert_int_equal(gw_cplan_make(&edge, &p, &why), 0);
    assert_int_equal(p.chunk, 1);
}

static void test_source_is_the_coarsest_level_dividing_the_width(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    const struct {
        int64_t w;
        int level;
    } cases[] = {{SEC, -1},     {15 * SEC, -1},   {90 * SEC, 0},    {MIN, 1},      {3 * MIN, 1},
                 {5 * MIN, 2},  {10 * MIN, 2},    {15 * MIN, 3},    {HOUR, 4},     {2 * HOUR, 4},
                 {4 * HOUR, 5}, {12 * HOUR, 5},   {DAY, 6},         {7 * DAY, 6}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(cplan(&l, NOW - HOUR, cases[i].w).level, cases[i].level);
    /* No ladder: raw ticks for any width. */
    ts_ladder none = {0};
    assert_int_equal(cplan(&none, NOW - HOUR, DAY).level, -1);
}

static void test_first_candle_and_retention(void **state)
{
    (void)state;
    ts_ladder l = ladder();
    /* The candle holding since + 1: a since inside a bucket starts there. */
    gw_cplan p = cplan(&l, NOW - HOUR + 17 * SEC, MIN);
    assert_int_equal(p.first, (NOW - HOUR + 17 * SEC + 1) / MIN * MIN);
    /* since on a bucket's last ms: the next one. */
    p = cplan(&l, NOW / MIN * MIN - HOUR + MIN - 1, MIN);
    assert_int_equal(p.first, NOW / MIN * MIN - HOUR + MIN);
    /* since 0: the oldest whole bucket the source keeps (1m: 30 days). */
    p = cplan(&l, 0, MIN);
    assert_int_equal(p.first, (NOW - 30 * DAY + MIN - 1) / MIN * MIN);
    /* raw ticks: the raw retention (a day). */
    p = cplan(&l, 0, 45 * SEC);
    assert_int_equal(p.first, (NOW - DAY + 45 * SEC - 1) / (45 * SEC) * (45 * SEC));
    /* Chunks: at most GW_CANDLE_READ_ENTRIES stored entries per read. */
    assert_int_equal(p.chunk, GW_CANDLE_READ_ENTRIES / 45);
    assert_int_equal(cplan(&l, 0, MIN).chunk, GW_RANGE_POINTS_MAX);
    gw_rplan rp;
    gw_cplan_chunk(&p, p.first, &rp);
    assert_int_equal(rp.first, p.first);
    assert_int_equal(rp.count, p.chunk);
    assert_int_equal(rp.level, -1);
    assert_int_equal(rp.to, p.first + (int64_t)p.chunk * p.width - 1);
}

static gw_rplan chunk_of(int64_t first, int64_t width, uint32_t count)
{
    gw_rplan rp = {.from = first, .to = first + (int64_t)count * width - 1, .level = -1, .width = width,
                   .first = first, .count = count};
    return rp;
}

static void test_history_split(void **state)
{
    (void)state;
    ts_candle b[4] = {{0, 1, 2, 0, 2, 5}, {0}, {10 * SEC, 3, 4, 3, 4, 2}, {0}};
    b[0].t = 0;
    gw_rplan rp = chunk_of(0, 5 * SEC, 4); /* [0, 20 s) */
    gw_cfold f;
    uint32_t closed;
    /* A tick heard after the chunk: all of it is history. */
    assert_int_equal(gw_cfold_history(&f, &rp, b, 12 * SEC, 25 * SEC, &closed), 1);
    assert_int_equal(closed, 4);
    assert_int_equal(f.last, 20 * SEC - 1);
    /* The snapshot ends at 12 s (a tick at 11 s): the third bucket is open. */
    assert_int_equal(gw_cfold_history(&f, &rp, b, 11 * SEC + 1, 9 * SEC, &closed), 0);
    assert_int_equal(closed, 2);
    assert_int_equal(f.open.t, 10 * SEC);
    assert_int_equal(f.open.n, 2);
    assert_int_equal(f.last, 11 * SEC);
    /* Heard later than the snapshot's last piece: the ticks between do not exist. */
    assert_int_equal(gw_cfold_history(&f, &rp, b, 11 * SEC + 1, 16 * SEC, &closed), 0);
    assert_int_equal(closed, 3);
    assert_int_equal(f.open.n, 0);
    assert_int_equal(f.open.t, 15 * SEC);
    assert_int_equal(f.last, 16 * SEC);
    /* Nothing read, nothing heard: every candle comes from ticks. */
    ts_candle none[4] = {{0}};
    assert_int_equal(gw_cfold_history(&f, &rp, none, 0, -1, &closed), 0);
    assert_int_equal(closed, 0);
    assert_int_equal(f.open.n, 0);
    assert_int_equal(f.last, -1);
}

static void test_tick_fold(void **state)
{
    (void)state;
    gw_cfold f = {.width = 5 * SEC, .open = {0}, .last = 999};
    ts_candle closed;
    assert_int_equal(gw_cfold_tick(&f, 999, 3, &closed), -1); /* already folded */
    assert_int_equal(gw_cfold_tick(&f, 2000, 3, &closed), 0);
    assert_int_equal(gw_cfold_tick(&f, 3000, 7, &closed), 0);
    assert_int_equal(gw_cfold_tick(&f, 4000, -1, &closed), 0);
    assert_int_equal(f.open.t, 0);
    assert_int_equal(f.open.o, 3);
    assert_int_equal(f.open.h, 7);
    assert_int_equal(f.open.l, -1);
    assert_int_equal(f.open.c, -1);
    assert_int_equal(f.open.n, 3);
    /* A tick two buckets on (a hole): the open candle closes, a new one opens. */
    assert_int_equal(gw_cfold_tick(&f, 12000, 5, &closed), 1);
    assert_int_equal(closed.t, 0);
    assert_int_equal(closed.n, 3);
    assert_int_equal(f.open.t, 10000);
    assert_int_equal(f.open.n, 1);
    assert_int_equal(f.last, 12000);
}

/* Candles of width w from ticks t[i] = i s (p[i]; holes where p is INT32_MIN) directly. */
static void direct(const int32_t *p, int n, int64_t w, ts_candle *out, int nb)
{
    memset(out, 0, (size_t)nb * sizeof(*out));
    for (int i = 0; i < n; i++)
        if (p[i] != INT32_MIN)
            ts_candle_add(&out[(int64_t)i * SEC / w], (int64_t)i * SEC / w * w, (int64_t)i * SEC, p[i]);
}

/* The client's view: a candle replaces the one with its t. */
static void client_put(ts_candle *view, int64_t w, const ts_candle *c)
{
    view[c->t / w] = *c;
}

/* For every split point (where the snapshot ends, what was heard) and every
 * resume point: history buckets + folded ticks give the direct candles. */
static void test_every_split_equals_direct(void **state)
{
    (void)state;
    enum { N = 60, NB = 12 };
    const int64_t w = 5 * SEC;
    int32_t p[N];
    srand(7);
    for (int i = 0, v = 0; i < N; i++) {
        v += rand() % 2 ? 1 : -1;
        p[i] = i % 17 == 16 || (i >= 31 && i <= 38) ? INT32_MIN : v; /* holes, one over a whole bucket */
    }
    ts_candle want[NB];
    direct(p, N, w, want, NB);
    for (int since = -1; since < N; since += 3) {
        for (int snap = 0; snap <= N; snap++) {        /* the snapshot holds ticks < snap s */
            for (int heard = -1; heard < snap; heard += 4) { /* heard <= the snapshot's newest */
                ts_candle view[NB];
                memset(view, 0, sizeof(view));
                /* Resume: the client held the direct candles up to since (those after it: none). */
                int64_t s_ms = since < 0 ? 0 : (int64_t)since * SEC;
                int64_t first = since < 0 ? 0 : (s_ms + 1) / w * w;
                for (int b = 0; b < first / w; b++)
                    view[b] = want[b];
                if (since >= 0 && first / w < NB) { /* and a partial open candle, which must be replaced */
                    view[first / w] = (ts_candle){first, 99, 99, 99, 99, 1};
                }
                gw_rplan rp = chunk_of(first, w, 4);
                int64_t stop = first;
                int more = 1;
                gw_cfold f;
                uint32_t closed = 0;
                while (more && stop < NB * w) {
                    rp = chunk_of(stop, w, 4);
                    ts_candle b[4] = {{0}};
                    int64_t end = rp.first;
                    for (int i = 0; i < snap; i++)
                        if (p[i] != INT32_MIN && i * SEC >= rp.first && i * SEC <= rp.to) {
                            ts_candle x = {i * SEC, p[i], p[i], p[i], p[i], 1};
                            gw_rplan_fold(&rp, b, &x);
                            end = i * SEC + 1;
                        }
                    more = gw_cfold_history(&f, &rp, b, end, heard < 0 ? -1 : heard * SEC, &closed);
                    for (uint32_t k = 0; k < closed; k++)
                        if (b[k].n > 0)
                            client_put(view, w, &b[k]);
                    stop = rp.first + 4 * w;
                }
                if (!more) {
                    for (int i = 0; i < N; i++) { /* the tick subscription since f.last */
                        ts_candle c;
                        if (p[i] == INT32_MIN || i * SEC <= f.last)
                            continue;
                        if (gw_cfold_tick(&f, i * SEC, p[i], &c) == 1)
                            client_put(view, w, &c);
                        client_put(view, w, &f.open);
                    }
                    if (f.open.n > 0)
                        client_put(view, w, &f.open);
                }
                for (int b = 0; b < NB; b++) {
                    assert_int_equal(view[b].n, want[b].n);
                    if (want[b].n == 0)
                        continue;
                    assert_int_equal(view[b].t, want[b].t);
                    assert_int_equal(view[b].o, want[b].o);
                    assert_int_equal(view[b].h, want[b].h);
                    assert_int_equal(view[b].l, want[b].l);
                    assert_int_equal(view[b].c, want[b].c);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_widths),
        cmocka_unit_test(test_source_is_the_coarsest_level_dividing_the_width),
        cmocka_unit_test(test_first_candle_and_retention),
        cmocka_unit_test(test_history_split),
        cmocka_unit_test(test_tick_fold),
        cmocka_unit_test(test_every_split_equals_direct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
