/* test_pace.c — gw_pace: when a client's live frames must be written, and
 * the queue of clients whose frames wait.
 *
 * The decision: at once when pacing is off, when the client was never
 * written, or when the last write is the pace or more ago (a client at 1 Hz
 * with a 15 ms pace: never waits); else at the latest a pace from now. The
 * clock is the monotonic one, so a last write is never in the future. Played over a
 * tick stream (as gw_client.c's flush and timer use it): 1 Hz ticks never
 * wait; 10 ms ticks with a 15 ms pace share writes two by two, each write
 * when the second comes, so a tick waits 10 ms at most; 5 ms ticks three by
 * three. The queue: popped in order of pacing point, ties in order of
 * arrival, only what is due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_pace.h"

static void test_decision(void **state)
{
    (void)state;
    /* off: always now */
    assert_int_equal(gw_pace_at(0, 1000, 1001), 1001);
    /* never written, even right after boot on the monotonic clock, or written long ago: now */
    assert_int_equal(gw_pace_at(15, GW_PACE_NEVER, 5000), 5000);
    assert_int_equal(gw_pace_at(15, GW_PACE_NEVER, 3), 3);
    assert_int_equal(gw_pace_at(1000, GW_PACE_NEVER, 0), 0);
    assert_int_equal(gw_pace_at(15, 4000, 5000), 5000);
    /* exactly one pace ago: now */
    assert_int_equal(gw_pace_at(15, 4985, 5000), 5000);
    /* under one pace ago: at the latest a pace from now */
    assert_int_equal(gw_pace_at(15, 4986, 5000), 5015);
    assert_int_equal(gw_pace_at(15, 5000, 5000), 5015);
}

typedef struct played {
    int writes;
    int64_t max_wait; /* the longest a tick waited */
} played;

/* Ticks every `dt` ms from t = 1000 for 1 s, each arriving exactly on time;
 * the flush and the timer as gw_client.c runs them. */
static played play(int64_t pace, int64_t dt)
{
    played r = {0, 0};
    int64_t last = GW_PACE_NEVER, due = -1, first = -1; /* due: the waiting frames' time; first: the oldest waiting tick */
    for (int64_t t = 1000; t < 2000 + dt; t += dt) {
        if (due >= 0 && due <= t) { /* the timer: they waited long enough */
            if (due - first > r.max_wait)
                r.max_wait = due - first;
            last = due;
            due = -1;
            r.writes++;
        }
        if (t >= 2000)
            break;
        int64_t at = gw_pace_at(pace, last, t);
        if (at == t) { /* written at once, with whatever waited */
            if (due >= 0 && t - first > r.max_wait)
                r.max_wait = t - first;
            last = t;
            due = -1;
            r.writes++;
        } else if (due < 0) {
            due = at;
            first = t;
        }
    }
    return r;
}

static void test_rates(void **state)
{
    (void)state;
    played r = play(15, 1000); /* 1 Hz: every tick written at once */
    assert_int_equal(r.writes, 1);
    assert_int_equal(r.max_wait, 0);
    r = play(15, 10); /* 100 ticks: a write per two, when the second comes */
    assert_int_equal(r.writes, 50);
    assert_int_equal(r.max_wait, 10);
    r = play(15, 5); /* 200 ticks: a write per three */
    assert_int_equal(r.writes, 67);
    assert_int_equal(r.max_wait, 10);
    r = play(0, 10); /* off: a write per tick */
    assert_int_equal(r.writes, 100);
    assert_int_equal(r.max_wait, 0);
    r = play(15, 40); /* slower than the pace: nothing waits */
    assert_int_equal(r.writes, 25);
    assert_int_equal(r.max_wait, 0);
}

static void test_queue_order(void **state)
{
    (void)state;
    gw_paceq q;
    gw_pace_entry e[5] = {0};
    gw_paceq_init(&q);
    assert_int_equal(gw_paceq_next(&q), -1);
    assert_null(gw_paceq_pop(&q, 1000000));
    assert_int_equal(gw_paceq_add(&q, &e[0], 120), 1); /* the first is the head */
    assert_int_equal(gw_paceq_add(&q, &e[1], 120), 0); /* a tie goes behind */
    assert_int_equal(gw_paceq_add(&q, &e[2], 130), 0);
    assert_int_equal(gw_paceq_add(&q, &e[3], 110), 1); /* earlier: the new head, the timer moves */
    assert_int_equal(gw_paceq_add(&q, &e[4], 125), 0); /* in the middle */
    assert_true(gw_paceq_queued(&e[4]));
    assert_int_equal(gw_paceq_next(&q), 110);
    /* only what is due */
    assert_null(gw_paceq_pop(&q, 109));
    assert_ptr_equal(gw_paceq_pop(&q, 120), &e[3]);
    assert_ptr_equal(gw_paceq_pop(&q, 120), &e[0]);
    assert_false(gw_paceq_queued(&e[0]));
    /* a client written at once (an urgent message) leaves the queue */
    gw_paceq_remove(&e[1]);
    gw_paceq_remove(&e[1]); /* and a second remove is harmless */
    assert_int_equal(gw_paceq_next(&q), 125);
    assert_null(gw_paceq_pop(&q, 124));
    assert_ptr_equal(gw_paceq_pop(&q, 1000), &e[4]);
    assert_ptr_equal(gw_paceq_pop(&q, 1000), &e[2]);
    assert_null(gw_paceq_pop(&q, 1000));
    assert_int_equal(gw_paceq_next(&q), -1);
    /* an entry may be queued again once out */
    assert_int_equal(gw_paceq_add(&q, &e[0], 200), 1);
    assert_ptr_equal(gw_paceq_pop(&q, 200), &e[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_queue_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
