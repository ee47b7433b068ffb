/* test_cu.c — every branch of the catch-up decisions (gw_cu.c), as plain
 * calls: state + reply summary in, next step out. The scenarios follow the
 * reasoning at the top of gateway/core/gw_catchup.c. Interval 1 s, chunks
 * of 10 ticks, epoch 7. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gw_cu.h"

#define DT 1000
#define T0 1000000 /* the subscription's since */

static gw_cu_env env(uint32_t ring_count, int64_t ring_first)
{
    return (gw_cu_env){.dt = DT,
                       .chunk = 10,
                       .epoch = 7,
                       .ring_count = ring_count,
                       .ring_first = ring_first,
                       .ring_last = ring_first + (int64_t)(ring_count ? ring_count - 1 : 0) * DT};
}

static gw_cu_reply ok(size_t n, int64_t last_t)
{
    return (gw_cu_reply){GW_CU_REPLY_OK, n, last_t};
}

/* Sends the next XRANGE as gw_catchup.c does; returns its (from, to]. */
static void send(gw_cu *cu, const gw_cu_env *e, int window, int64_t *from, int64_t *to)
{
    gw_cu_next_range(cu, e, window, from, to);
    gw_cu_sent(cu, e, window, *from, *to);
}

static gw_cu_step reply(gw_cu *cu, const gw_cu_env *e, gw_cu_where where, gw_cu_reply r, int64_t *after)
{
    return gw_cu_on_reply(cu, e, where, &r, after);
}

static void test_ring_covers_since(void **state)
{
    (void)state;
    gw_cu cu;
    gw_cu_init(&cu, T0, 7);
    assert_int_equal(cu.cursor, T0);
    assert_int_equal(cu.last_sent, T0);
    gw_cu_env in = env(100, T0 - 50 * DT), edge = env(100, T0 + DT), past = env(100, T0 + 2 * DT), none = env(0, 0);
    assert_int_equal(gw_cu_resume(&cu, &in), GW_CU_LIVE);   /* since inside the ring */
    assert_int_equal(gw_cu_resume(&cu, &edge), GW_CU_LIVE); /* the ring starts right after since */
    assert_int_equal(gw_cu_resume(&cu, &past), GW_CU_QUEUE); /* one tick between: read the stream */
    assert_int_equal(gw_cu_resume(&cu, &none), GW_CU_QUEUE); /* no ring yet */
    assert_false(gw_cu_busy(&cu));
}

static void test_seek_then_windows_to_the_ring(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 41 * DT); /* 40 ticks to read before the ring */
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(from, T0);
    assert_true(to == INT64_MAX);
    assert_true(cu.seeking);
    assert_int_equal(cu.seek_ring_last, e.ring_last);
    assert_false(gw_cu_may_pipeline(&cu, &e, 0, 100, 1000)); /* not while a seek is out */
    /* A full seek: the stream goes on. */
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 10 * DT), &after), GW_CU_READ_ON);
    assert_int_equal(after, T0);
    assert_int_equal(cu.cursor, T0 + 10 * DT);
    assert_false(cu.seeking);
    /* Two windows pipelined, no third. */
    assert_true(gw_cu_may_pipeline(&cu, &e, 0, 100, 1000));
    send(&cu, &e, 1, &from, &to);
    assert_int_equal(from, T0 + 10 * DT);
    assert_int_equal(to, T0 + 20 * DT);
    assert_true(gw_cu_may_pipeline(&cu, &e, 0, 100, 1000));
    send(&cu, &e, 1, &from, &to);
    assert_int_equal(from, T0 + 20 * DT);
    assert_int_equal(to, T0 + 30 * DT);
    assert_int_equal(cu.nwin, GW_CU_PIPELINE);
    assert_false(gw_cu_may_pipeline(&cu, &e, 0, 100, 1000));
    /* Window ends: each one full. */
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 20 * DT), &after), GW_CU_READ_ON);
    assert_int_equal(after, T0 + 10 * DT);
    assert_int_equal(cu.nwin, 1);
    send(&cu, &e, 1, &from, &to);
    assert_int_equal(from, T0 + 30 * DT);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 30 * DT), &after), GW_CU_READ_ON);
    /* The window that reaches the ring: live, whatever is still in flight. */
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 40 * DT), &after), GW_CU_LIVE);
    assert_int_equal(cu.cursor, T0 + 40 * DT);
    assert_false(gw_cu_busy(&cu));
}

static void test_pipeline_limits(void **state)
{
    (void)state;
    gw_cu cu;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env far = env(100, T0 + 1000 * DT), near = env(100, T0 + DT), none = env(0, 0);
    assert_true(gw_cu_may_pipeline(&cu, &far, 0, 100, 1000));
    assert_false(gw_cu_may_pipeline(&cu, &near, 0, 100, 1000)); /* the ring is next */
    assert_false(gw_cu_may_pipeline(&cu, &none, 0, 100, 1000)); /* no ring: nothing to read up to */
    assert_false(gw_cu_may_pipeline(&cu, &far, 1001, 100, 1000)); /* the client's queue is past the mark */
    int64_t from, to;
    send(&cu, &far, 1, &from, &to);
    assert_true(gw_cu_may_pipeline(&cu, &far, 900, 100, 1000));
    assert_false(gw_cu_may_pipeline(&cu, &far, 901, 100, 1000)); /* queue + a window at its largest */
}

static void test_hole_inside_a_window(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 1, &from, &to); /* (T0, T0+10] */
    send(&cu, &e, 1, &from, &to); /* (T0+10, T0+20] */
    /* The first window ends early (a hole, or the stream's end): seek past it. */
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(6, T0 + 6 * DT), &after), GW_CU_SEEK);
    assert_int_equal(cu.cursor, T0 + 6 * DT);
    /* The window behind it starts after the cursor: unread, dropped. */
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 20 * DT), &after), GW_CU_STALE);
    assert_int_equal(cu.cursor, T0 + 6 * DT);
    assert_false(gw_cu_busy(&cu));
    /* An empty window is short too. */
    send(&cu, &e, 1, &from, &to);
    assert_int_equal(from, T0 + 6 * DT);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(0, INT64_MIN), &after), GW_CU_SEEK);
    assert_int_equal(cu.cursor, T0 + 6 * DT);
}

static void test_short_seek_without_ring(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(0, 0);
    send(&cu, &e, 0, &from, &to);
    assert_true(cu.seek_ring_last == INT64_MIN);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(3, T0 + 3 * DT), &after), GW_CU_WAIT_SYNC);
    assert_int_equal(cu.cursor, T0 + 3 * DT);
}

/* The generator backfills: the ring ran ahead while the seek was out, so
 * the stream may hold more than the reply showed. Read on, as often as it
 * takes; never skip. */
static void test_short_seek_during_a_backfill(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env before = env(5, T0 + 50 * DT); /* ring ends at T0+54 when the seek is sent */
    send(&cu, &before, 0, &from, &to);
    gw_cu_env moved = env(5, T0 + 5000 * DT); /* a backfill published thousands since */
    assert_int_equal(reply(&cu, &moved, GW_CU_READING, ok(4, T0 + 4 * DT), &after), GW_CU_QUEUE);
    assert_int_equal(cu.cursor, T0 + 4 * DT);
    send(&cu, &moved, 0, &from, &to);
    assert_int_equal(cu.seek_ring_last, moved.ring_last);
    gw_cu_env again = env(5, T0 + 9000 * DT);
    assert_int_equal(reply(&cu, &again, GW_CU_READING, ok(7, T0 + 11 * DT), &after), GW_CU_QUEUE);
    assert_int_equal(after, T0 + 4 * DT);
    assert_int_equal(cu.cursor, T0 + 11 * DT);
}

/* The stream truly lacks ticks: the ring held them when the seek was sent
 * (they were XADDed before), yet the seek came back short. Skip to the ring. */
static void test_short_seek_real_hole(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 50 * DT);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(4, T0 + 4 * DT), &after), GW_CU_SKIP_HOLE);
    assert_int_equal(after, T0); /* the caller sends the 4 entries first */
    assert_int_equal(cu.cursor, T0 + 49 * DT);
    assert_int_equal(gw_cu_resume(&cu, &e), GW_CU_LIVE);
    /* The same when the ring moved but not past what it held at the seek. */
    gw_cu_init(&cu, T0, 7);
    send(&cu, &e, 0, &from, &to);
    gw_cu_env slid = env(100, e.ring_last + DT);
    assert_int_equal(reply(&cu, &slid, GW_CU_READING, ok(0, INT64_MIN), &after), GW_CU_SKIP_HOLE);
    assert_int_equal(cu.cursor, e.ring_last);
}

static void test_full_seek_reaching_the_ring(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 11 * DT);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 + 10 * DT), &after), GW_CU_LIVE);
}

static void test_epoch_change(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 0, &from, &to);
    gw_cu_env newer = e;
    newer.epoch = 8;
    /* The subscription fails (the client is told, and subscribes again) rather
     * than hang with nothing in flight. */
    assert_int_equal(reply(&cu, &newer, GW_CU_READING, ok(10, T0 + 10 * DT), &after), GW_CU_FAIL);
    assert_int_equal(cu.cursor, T0); /* nothing of the old history is taken */
    assert_false(gw_cu_busy(&cu));
    /* A reply for a closing client or an orphan is stale as ever. */
    send(&cu, &newer, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_ELSEWHERE, ok(10, T0 + 10 * DT), &after), GW_CU_STALE);
}

static void test_unsub_and_close_with_reads_in_flight(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 1, &from, &to);
    send(&cu, &e, 1, &from, &to);
    /* Unsubscribed (or re-subscribed, or the client gone): orphaned. The
     * last reply frees it, not one before. */
    assert_int_equal(reply(&cu, &e, GW_CU_ORPHAN, ok(10, T0 + 10 * DT), &after), GW_CU_STALE);
    assert_true(gw_cu_busy(&cu));
    assert_int_equal(reply(&cu, &e, GW_CU_ORPHAN, ok(10, T0 + 20 * DT), &after), GW_CU_FREE);
    assert_int_equal(cu.cursor, T0);
    /* A lost connection frees an orphan the same way. */
    gw_cu_init(&cu, T0, 7);
    send(&cu, &e, 0, &from, &to);
    gw_cu_reply lost = {GW_CU_REPLY_LOST, 0, INT64_MIN};
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_ORPHAN, &lost, &after), GW_CU_FREE);
    /* A closing client: replies are dropped, nothing is retried. */
    gw_cu_init(&cu, T0, 7);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_ELSEWHERE, ok(10, T0 + 10 * DT), &after), GW_CU_STALE);
    assert_int_equal(cu.cursor, T0);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_ELSEWHERE, &lost, &after), GW_CU_STALE);
}

static void test_connection_lost(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_reply lost = {GW_CU_REPLY_LOST, 0, INT64_MIN};
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 1, &from, &to);
    send(&cu, &e, 1, &from, &to);
    /* Every read in flight gets no reply; only the last one retries. */
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_READING, &lost, &after), GW_CU_STALE);
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_READING, &lost, &after), GW_CU_RETRY);
    assert_int_equal(cu.cursor, T0);
    assert_false(gw_cu_busy(&cu));
}

static void test_redis_refused(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_reply err = {GW_CU_REPLY_ERROR, 0, INT64_MIN};
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_READING, &err, &after), GW_CU_FAIL);
    /* An error for a window behind a short one is stale like its data. */
    gw_cu_init(&cu, T0, 7);
    send(&cu, &e, 1, &from, &to);
    send(&cu, &e, 1, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(2, T0 + 2 * DT), &after), GW_CU_SEEK);
    assert_int_equal(gw_cu_on_reply(&cu, &e, GW_CU_READING, &err, &after), GW_CU_STALE);
}

/* Entries whose IDs could not be read move nothing; readable ones move the
 * cursor even when their price was unreadable (checked by the caller). */
static void test_unreadable_entries(void **state)
{
    (void)state;
    gw_cu cu;
    int64_t from, to, after;
    gw_cu_init(&cu, T0, 7);
    gw_cu_env e = env(100, T0 + 100 * DT);
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, INT64_MIN), &after), GW_CU_READ_ON);
    assert_int_equal(cu.cursor, T0);
    /* An older ID than the cursor moves nothing back. */
    send(&cu, &e, 0, &from, &to);
    assert_int_equal(reply(&cu, &e, GW_CU_READING, ok(10, T0 - 5 * DT), &after), GW_CU_READ_ON);
    assert_int_equal(cu.cursor, T0);
}

static void test_window_grid_and_names(void **state)
{
    (void)state;
    gw_cu_env e = env(0, 0);
    assert_int_equal(gw_cu_window_end(&e, T0), T0 + 10 * DT);
    assert_int_equal(gw_cu_window_end(&e, T0 + 400), T0 + 10 * DT); /* off-grid since: back on the grid */
    assert_string_equal(gw_cu_step_name(GW_CU_SKIP_HOLE), "skip_hole");
    assert_string_equal(gw_cu_step_name((gw_cu_step)99), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ring_covers_since),
        cmocka_unit_test(test_seek_then_windows_to_the_ring),
        cmocka_unit_test(test_pipeline_limits),
        cmocka_unit_test(test_hole_inside_a_window),
        cmocka_unit_test(test_short_seek_without_ring),
        cmocka_unit_test(test_short_seek_during_a_backfill),
        cmocka_unit_test(test_short_seek_real_hole),
        cmocka_unit_test(test_full_seek_reaching_the_ring),
        cmocka_unit_test(test_epoch_change),
        cmocka_unit_test(test_unsub_and_close_with_reads_in_flight),
        cmocka_unit_test(test_connection_lost),
        cmocka_unit_test(test_redis_refused),
        cmocka_unit_test(test_unreadable_entries),
        cmocka_unit_test(test_window_grid_and_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
