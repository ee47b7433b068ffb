/* test_mtick.c — gw_mtick: what counts as a step of the wall clock, which
 * of a loop's pending timeouts a step moves (on a real h2o evloop, stamps
 * set by hand), and a slow loop turn that is not a step (a real loop, a real
 * timerfd, no clock changed).
 *
 * A step is the wall clock's change minus the monotonic clock's, beyond the
 * slack. Shifting moves the entries linked before the step and keeps each
 * one's time left and the entries' order; it leaves those linked after it,
 * which already carry the stepped clock, and clamps at 0 rather than wrap an
 * unsigned stamp: after a shift by -X an entry linked at T is due at T - X +
 * its timeout, as the loop's clock now counts. The turn's start on the
 * monotonic clock is now less the turn's age, and an age a step made is not
 * counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>

#include "gw_mtick.h"
#include "ts_time.h"

#define DAY 86400000
#define HOUR 3600000

static void test_step(void **state)
{
    (void)state;
    /* both clocks moved 20 ms: no step */
    assert_int_equal(gw_mtick_step(1000000, 50, 1000020, 70, 500), 0);
    /* within the slack either way: no step */
    assert_int_equal(gw_mtick_step(1000000, 50, 1000470, 70, 500), 0);
    assert_int_equal(gw_mtick_step(1000000, 50, 999570, 70, 500), 0);
    /* an hour back, a day forward */
    assert_int_equal(gw_mtick_step(10000000, 50, 10000000 - HOUR + 20, 70, 500), -HOUR);
    assert_int_equal(gw_mtick_step(10000000, 50, 10000000 + DAY + 20, 70, 500), DAY);
}

static void noop(h2o_timeout_entry_t *e)
{
    (void)e;
}

/* Three timeouts as the gateway has them (a zero-delay flush, a short and a
 * long one), entries linked in list order, then stamped by hand. */
typedef struct {
    h2o_evloop_t *loop;
    h2o_timeout_t t0, t20, t60s;
    h2o_timeout_entry_t a, b, c, z, y;
} fixture;

static void fixture_link(fixture *f, int64_t a, int64_t b, int64_t c, int64_t z, int64_t y)
{
    f->loop = h2o_evloop_create();
    h2o_timeout_init(f->loop, &f->t20, 20);
    h2o_timeout_init(f->loop, &f->t60s, 60000);
    h2o_timeout_init(f->loop, &f->t0, 0);
    h2o_timeout_entry_t *es[] = {&f->a, &f->b, &f->c, &f->z, &f->y};
    h2o_timeout_t *ts[] = {&f->t20, &f->t20, &f->t20, &f->t0, &f->t60s};
    int64_t at[] = {a, b, c, z, y};
    for (int i = 0; i < 5; i++) {
        *es[i] = (h2o_timeout_entry_t){.cb = noop};
        h2o_timeout_link(f->loop, ts[i], es[i]);
        es[i]->registered_at = (uint64_t)at[i];
    }
}

static void fixture_free(fixture *f)
{
    h2o_timeout_entry_t *es[] = {&f->a, &f->b, &f->c, &f->z, &f->y};
    for (int i = 0; i < 5; i++)
        h2o_timeout_unlink(es[i]);
    h2o_timeout_dispose(f->loop, &f->t20);
    h2o_timeout_dispose(f->loop, &f->t60s);
    h2o_timeout_dispose(f->loop, &f->t0);
    h2o_evloop_destroy(f->loop);
}

static void test_shift_back(void **state)
{
    (void)state;
    /* The last tick read W; 20 ms later the clock reads an hour less. a was
     * linked before the last tick, b after it, c and the flush z after the
     * step (z in the tick's own turn), y 30 s before the last tick. */
    const int64_t W = 1800000000000, step = -HOUR, wall1 = W + 20 + step;
    fixture f;
    fixture_link(&f, W - 10, W + 5, wall1 - 2, wall1, W - 30000);
    gw_mtick_shift(f.loop, W, wall1, step);
    assert_int_equal(f.a.registered_at, W - 10 + step);
    assert_int_equal(f.b.registered_at, W + 5 + step);
    assert_int_equal(f.c.registered_at, wall1 - 2);
    assert_int_equal(f.z.registered_at, wall1);
    assert_int_equal(f.y.registered_at, W - 30000 + step);
    /* the turn goes on with the reading the step was measured with */
    assert_int_equal(h2o_now(f.loop), wall1);
    fixture_free(&f);
}

static void test_shift_forward(void **state)
{
    (void)state;
    /* A day forward. The flush z, linked in the tick's turn by a Redis
     * reply that ran before the timerfd, carries the new clock: moved a day
     * on, it froze every client of the worker for a day. */
    const int64_t W = 1800000000000, step = DAY, wall1 = W + 20 + step;
    fixture f;
    fixture_link(&f, W - 10, W + 15, W + step + 12, wall1, W - 30000);
    gw_mtick_shift(f.loop, W, wall1, step);
    assert_int_equal(f.a.registered_at, W - 10 + step);
    assert_int_equal(f.b.registered_at, W + 15 + step);
    assert_int_equal(f.c.registered_at, W + step + 12);
    assert_int_equal(f.z.registered_at, wall1);
    assert_int_equal(f.y.registered_at, W - 30000 + step);
    fixture_free(&f);
}

static void test_shift_unsure(void **state)
{
    (void)state;
    /* 600 ms forward seen 900 ms after the last tick (a stalled turn): b,
     * stamped 700 ms after the last tick, may be either side of the step. It
     * stays (fires early, not late); a, before the last tick, moves. */
    const int64_t W = 1800000000000, step = 600, wall1 = W + 900 + step;
    fixture f;
    fixture_link(&f, W - 10, W + 700, W + 800 + step, wall1, W - 30000);
    gw_mtick_shift(f.loop, W, wall1, step);
    assert_int_equal(f.a.registered_at, W - 10 + step);
    assert_int_equal(f.b.registered_at, W + 700);
    assert_int_equal(f.c.registered_at, W + 800 + step);
    assert_int_equal(f.z.registered_at, wall1);
    fixture_free(&f);
}

static void test_shift_clamp(void **state)
{
    (void)state;
    /* back past zero: clamped, not wrapped; the order kept */
    fixture f;
    fixture_link(&f, 1000, 1500, 1990, 1995, 500);
    gw_mtick_shift(f.loop, 2000, 2020 - 5000, -5000);
    assert_int_equal(f.a.registered_at, 0);
    assert_int_equal(f.b.registered_at, 0);
    assert_int_equal(f.c.registered_at, 0);
    assert_int_equal(f.z.registered_at, 0);
    assert_int_equal(f.y.registered_at, 0);
    fixture_free(&f);
    /* an empty loop: nothing to move */
    h2o_evloop_t *loop = h2o_evloop_create();
    gw_mtick_shift(loop, 1000, 2000, 1000);
    h2o_evloop_destroy(loop);
}

static void test_now(void **state)
{
    (void)state;
    /* the loop read 1000 ms (wall) when the turn began; now the wall reads
     * 1003.2 ms and the monotonic clock 50.7: the turn began at mono 47.5 */
    assert_int_equal(gw_mtick_now_at(1000, 1003200, 50700, 500), 47);
    assert_int_equal(gw_mtick_now_at(1000, 1000000, 50000, 500), 50);
    /* a loaded turn of 300 ms: counted */
    assert_int_equal(gw_mtick_now_at(1000, 1300000, 350000, 500), 50);
    /* the wall clock went back or leapt in the turn: no age, the clock now */
    assert_int_equal(gw_mtick_now_at(1000, 990000, 50700, 500), 50);
    assert_int_equal(gw_mtick_now_at(1000, 1000000 + 3600000000LL, 50700, 500), 50);
    /* on the live clocks: between the loop's reading and now */
    h2o_evloop_t *loop = h2o_evloop_create();
    int64_t before = ts_mono_ms();
    h2o_evloop_run(loop, 0); /* the loop reads its clock */
    int64_t now = gw_mtick_now(loop);
    assert_true(now >= before - 1 && now <= ts_mono_ms());
    h2o_evloop_destroy(loop);
}

/* A slow turn: a socket whose callback works 600 ms (over the 500 ms
 * slack) runs before the timerfd's in the same turn. The loop's reading of
 * the wall clock is the turn's start; the tick took it with a monotonic
 * reading 600 ms later for a step back, and moved every timeout. */
static int ticks;

static void on_tick(void *data)
{
    (void)data;
    ticks++;
}

static void on_slow(h2o_socket_t *sock, const char *err)
{
    (void)err;
    h2o_buffer_consume(&sock->input, sock->input->size);
    int64_t end = ts_mono_ms() + 600;
    while (ts_mono_ms() < end)
        ;
}

static void run_until_ticks(h2o_evloop_t *loop, int n)
{
    int64_t deadline = ts_mono_ms() + 5000;
    while (ticks < n && ts_mono_ms() < deadline)
        h2o_evloop_run(loop, 10);
    assert_true(ticks >= n); /* a 20 ms tick, 5 s to see it */
}

static void test_slow_turn(void **state)
{
    (void)state;
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_timeout_t t60s;
    h2o_timeout_init(loop, &t60s, 60000);
    h2o_timeout_entry_t e = {.cb = noop};
    h2o_timeout_link(loop, &t60s, &e);
    uint64_t at = e.registered_at;
    ticks = 0;
    gw_mtick *t = gw_mtick_start(loop, 20, on_tick, NULL);
    assert_non_null(t);
    int p[2];
    assert_int_equal(pipe(p), 0);
    h2o_socket_t *slow = h2o_evloop_socket_create(loop, p[0], 0);
    h2o_socket_read_start(slow, on_slow);
    run_until_ticks(loop, 2);
    /* The timerfd expires, then the pipe is readable: h2o runs the sockets
     * of a turn latest first, so the slow one runs before the tick. */
    usleep(25000);
    assert_int_equal(write(p[1], "x", 1), 1);
    int before = ticks;
    h2o_evloop_run(loop, 10);
    assert_int_equal(ticks, before + 1); /* the tick ran in the slow turn */
    assert_int_equal(e.registered_at, at);
    run_until_ticks(loop, before + 3);
    assert_int_equal(e.registered_at, at);
    h2o_socket_read_stop(slow);
    h2o_socket_close(slow);
    close(p[1]);
    gw_mtick_free(t);
    h2o_evloop_run(loop, 0); /* the closed sockets are freed in a turn */
    h2o_timeout_unlink(&e);
    h2o_timeout_dispose(loop, &t60s);
    h2o_evloop_destroy(loop);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step),          cmocka_unit_test(test_shift_back),
        cmocka_unit_test(test_shift_forward), cmocka_unit_test(test_shift_unsure),
        cmocka_unit_test(test_shift_clamp),   cmocka_unit_test(test_now),
        cmocka_unit_test(test_slow_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
