/* test_fan.c — gw_fan: what each live subscription is sent of the rows
 * after its cursor. One new row that follows what the client was told is a
 * `tick`; several become one hist run (coalesced, in order, none dropped);
 * a hole in the instrument's rows splits the runs; runs stop at `chunk`;
 * SSE gets an event per tick; a subscription at the last row gets nothing;
 * a client that closes on a send gets nothing more.
 *
 * The clients here are plain structs: gw_client_send_live and
 * gw_client_send_tick are replaced by recorders (the messages a client
 * would have queued, JSON format), so the fan-out is tested without
 * sockets. Every send of the fan-out is a live one, which may wait for the
 * client's pacing point (gw_pace.h): the recorders check that. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gw_fan.h"

#define MAX_SENT 16

static struct {
    int n;
    gw_client *to[MAX_SENT];
    char msg[MAX_SENT][256];
    int64_t tick_t[MAX_SENT]; /* send_tick's t, or -1 for gw_client_send_live */
    gw_client *close_on_send; /* this client closes at its first send */
    gw_sub *subs;             /* the fixture's subs: a close unlinks the client's */
    int nsubs;
} rec;

static int record(gw_client *c, int64_t t, const char *data, size_t len)
{
    if (c->closing)
        return -1;
    assert_true(rec.n < MAX_SENT);
    rec.to[rec.n] = c;
    snprintf(rec.msg[rec.n], sizeof(rec.msg[0]), "%.*s", (int)len, data);
    rec.tick_t[rec.n++] = t;
    if (c == rec.close_on_send) {
        c->closing = 1;
        /* As gw_session's on_closing: every sub of the client leaves the live lists. */
        for (int k = 0; k < rec.nsubs; k++)
            if (rec.subs[k].c == c && h2o_linklist_is_linked(&rec.subs[k].link))
                h2o_linklist_unlink(&rec.subs[k].link);
        return -1;
    }
    return 0;
}

int gw_client_send_live(gw_client *c, const char *data, size_t len)
{
    return record(c, -1, data, len);
}

int gw_client_send_tick(gw_client *c, uint32_t key, int64_t t, const char *data, size_t len, int live)
{
    (void)key;
    assert_int_equal(live, 1);
    return record(c, t, data, len);
}

/* Two instruments, 10 ms apart; ticker_a's rows are given, ticker_b's are 0. */
typedef struct fix {
    char names[2][GW_SYM_MAX];
    gw_meta meta;
    gw_ring ring;
    h2o_linklist_t live[2];
    gw_fan fan;
    gw_client c[3];
    gw_sub s[3];
} fix;

static void fix_init(fix *f, const int32_t *a, int rows)
{
    memset(f, 0, sizeof(*f));
    memset(&rec, 0, sizeof(rec));
    strcpy(f->names[0], "ticker_a");
    strcpy(f->names[1], "ticker_b");
    f->meta = (gw_meta){.ok = 1, .interval_ms = 10, .epoch = 7, .count = 2, .names = f->names};
    assert_int_equal(gw_ring_init(&f->ring, 2, 64, 10), 0);
    for (int i = 0; i < rows; i++) {
        int32_t row[2] = {a[i], 0};
        assert_true(gw_ring_append(&f->ring, 1000 + 10 * i, row) >= 0);
    }
    h2o_linklist_init_anchor(&f->live[0]);
    h2o_linklist_init_anchor(&f->live[1]);
    rec.subs = f->s;
    rec.nsubs = 3;
}

/* Sub k of instrument inst, told up to `told`, format fmt, joined live. */
static gw_sub *join(fix *f, int k, uint32_t inst, int64_t told, gw_fmt fmt)
{
    gw_sub *s = &f->s[k];
    s->c = &f->c[k];
    s->inst = inst;
    s->fmt = fmt;
    s->state = GW_SUB_LIVE;
    s->cu.cursor = s->cu.last_sent = told;
    h2o_linklist_insert(&f->live[inst], &s->link);
    return s;
}

static void fix_free(fix *f)
{
    gw_fan_free(&f->fan);
    gw_ring_free(&f->ring);
}

static void test_one_row_is_a_tick_for_everyone(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {5, 6};
    fix_init(&f, a, 2);
    gw_sub *s0 = join(&f, 0, 0, 1000, GW_FMT_JSON), *s1 = join(&f, 1, 0, 1000, GW_FMT_JSON);
    assert_int_equal(gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100), 2);
    assert_int_equal(rec.n, 2);
    for (int i = 0; i < 2; i++) {
        assert_string_equal(rec.msg[i], "{\"op\":\"tick\",\"sym\":\"ticker_a\",\"t\":1010,\"p\":6}");
        assert_int_equal(rec.tick_t[i], 1010);
    }
    assert_int_equal(s0->cu.cursor, 1010);
    assert_int_equal(s1->cu.last_sent, 1010);
    /* Nothing new: nothing sent. */
    assert_int_equal(gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100), 0);
    assert_int_equal(rec.n, 2);
    fix_free(&f);
}

static void test_several_rows_are_one_hist(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {1, 2, 3, 4};
    fix_init(&f, a, 4);
    gw_sub *s = join(&f, 0, 0, 1000, GW_FMT_JSON);
    join(&f, 1, 0, 1020, GW_FMT_JSON); /* another cursor: its own message */
    assert_int_equal(gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100), 2);
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.msg[0], "{\"op\":\"hist\",\"sym\":\"ticker_a\",\"epoch\":7,\"t0\":1010,\"dt\":10,"
                                    "\"p\":[2,3,4],\"last\":1030,\"more\":false}");
    assert_string_equal(rec.msg[1], "{\"op\":\"tick\",\"sym\":\"ticker_a\",\"t\":1030,\"p\":4}");
    assert_int_equal(s->cu.cursor, 1030);
    assert_int_equal(s->cu.last_sent, 1030);
    fix_free(&f);
}

static void test_a_tick_after_a_hole_is_a_hist(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {1, 2};
    fix_init(&f, a, 2);
    join(&f, 0, 0, 990, GW_FMT_JSON); /* told 990, cursor moved past 1000 (a row it lacked) */
    f.s[0].cu.cursor = 1000;
    gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.msg[0], "{\"op\":\"hist\",\"sym\":\"ticker_a\",\"epoch\":7,\"t0\":1010,\"dt\":10,"
                                    "\"p\":[2],\"last\":1010,\"more\":false}");
    fix_free(&f);
}

static void test_holes_split_runs_and_chunk_bounds_them(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {0, 1, GW_MISSING, 3, 4, 5, 6, 7};
    fix_init(&f, a, 8);
    gw_sub *s = join(&f, 0, 0, 1000, GW_FMT_JSON);
    assert_int_equal(gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 3), 3);
    assert_int_equal(rec.n, 3);
    assert_string_equal(rec.msg[0], "{\"op\":\"tick\",\"sym\":\"ticker_a\",\"t\":1010,\"p\":1}");
    assert_string_equal(rec.msg[1], "{\"op\":\"hist\",\"sym\":\"ticker_a\",\"epoch\":7,\"t0\":1030,\"dt\":10,"
                                    "\"p\":[3,4,5],\"last\":1050,\"more\":false}");
    assert_string_equal(rec.msg[2], "{\"op\":\"hist\",\"sym\":\"ticker_a\",\"epoch\":7,\"t0\":1060,\"dt\":10,"
                                    "\"p\":[6,7],\"last\":1070,\"more\":false}");
    assert_int_equal(s->cu.cursor, 1070);
    assert_int_equal(s->cu.last_sent, 1070);
    fix_free(&f);
}

static void test_trailing_missing_rows_move_the_cursor_only(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {0, 1, GW_MISSING};
    fix_init(&f, a, 3);
    gw_sub *s = join(&f, 0, 0, 1000, GW_FMT_JSON);
    gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.msg[0], "{\"op\":\"tick\",\"sym\":\"ticker_a\",\"t\":1010,\"p\":1}");
    assert_int_equal(s->cu.cursor, 1020);
    assert_int_equal(s->cu.last_sent, 1010);
    fix_free(&f);
}

static void test_sse_gets_an_event_per_tick(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {0, 1, 2};
    fix_init(&f, a, 3);
    join(&f, 0, 0, 1000, GW_FMT_SSE);
    assert_int_equal(gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100), 1);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.tick_t[0], 1010);
    assert_int_equal(rec.tick_t[1], 1020);
    assert_non_null(strstr(rec.msg[0], "\"t\":1010,\"p\":1"));
    assert_non_null(strstr(rec.msg[1], "\"t\":1020,\"p\":2"));
    fix_free(&f);
}

static void test_a_closing_client_gets_nothing_more(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {0, 1, GW_MISSING, 3};
    fix_init(&f, a, 4);
    gw_sub *s = join(&f, 0, 0, 1000, GW_FMT_JSON);
    join(&f, 1, 0, 1000, GW_FMT_JSON);
    rec.close_on_send = &f.c[0];
    gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100);
    /* c[0]: its first run only; c[1]: both runs. */
    assert_int_equal(rec.n, 3);
    assert_ptr_equal(rec.to[0], &f.c[0]);
    assert_ptr_equal(rec.to[1], &f.c[1]);
    assert_ptr_equal(rec.to[2], &f.c[1]);
    assert_int_equal(s->cu.cursor, 1030); /* moved before the send: nothing is sent twice */
    fix_free(&f);
}

/* A client may hold several subs of one instrument (ticks and candle
 * widths); closing it on the first unlinks the next one the loop held. */
static void test_a_close_that_unlinks_the_next_sub(void **state)
{
    (void)state;
    fix f;
    int32_t a[] = {5, 6};
    fix_init(&f, a, 2);
    join(&f, 0, 0, 1000, GW_FMT_JSON);
    gw_sub *s1 = join(&f, 1, 0, 1000, GW_FMT_JSON);
    s1->c = &f.c[0]; /* a second sub of the same client, next in the list */
    join(&f, 2, 0, 1000, GW_FMT_JSON);
    rec.close_on_send = &f.c[0];
    gw_fan_out(&f.fan, &f.meta, &f.ring, f.live, 100);
    assert_int_equal(rec.n, 2);
    assert_ptr_equal(rec.to[0], &f.c[0]);
    assert_ptr_equal(rec.to[1], &f.c[2]); /* the client after it is still served */
    assert_int_equal(f.s[2].cu.cursor, 1010);
    fix_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_row_is_a_tick_for_everyone),
        cmocka_unit_test(test_several_rows_are_one_hist),
        cmocka_unit_test(test_a_tick_after_a_hole_is_a_hist),
        cmocka_unit_test(test_holes_split_runs_and_chunk_bounds_them),
        cmocka_unit_test(test_trailing_missing_rows_move_the_cursor_only),
        cmocka_unit_test(test_sse_gets_an_event_per_tick),
        cmocka_unit_test(test_a_closing_client_gets_nothing_more),
        cmocka_unit_test(test_a_close_that_unlinks_the_next_sub),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
