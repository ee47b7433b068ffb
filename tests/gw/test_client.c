/* test_client.c — gw_client's flush and pace timer on a real h2o evloop,
 * with its transports replaced at link time by counters (a "write" is a
 * gw_wsconn_proceed that finds frames queued). No socket, no Redis.
 *
 * What it holds to (gw_client.h, gw_pace.h): a live frame of a client
 * written less than a pace ago waits; the pace timer writes it a pace after
 * it began to wait, never before (on the monotonic clock, though h2o counts
 * the timer on the wall clock); a reply written meanwhile takes it along
 * and leaves the queue. And a tick that comes in the turn the timer runs
 * goes out with the timer's write: the flush of that turn does not queue
 * the client, now with nothing to write, to wait again (which cost a
 * wake-up for an empty write and a count too many in
 * tickgw_writes_paced_total). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include "gw_client.h"
#include "ts_time.h"

/* Long enough that two turns back to back are well inside it on a loaded machine. */
#define PACE 100

/* The one WebSocket of a test: frames queued, writes, empty proceeds. */
static struct {
    int queued, frames_written, writes, empty;
    int64_t written_at; /* ts_mono_ms() of the last write */
} ws;

int gw_wsconn_upgrade(gw_wsconn *conn, h2o_req_t *req, const char *client_key, gw_wsconn_cb cb, uint64_t max_msg,
                      gw_deflate *z, const char *pmd)
{
    (void)conn, (void)req, (void)client_key, (void)cb, (void)max_msg, (void)z, (void)pmd;
    return 0;
}

int gw_wsconn_send(gw_wsconn *conn, int text, const char *data, size_t len)
{
    (void)conn, (void)text, (void)data, (void)len;
    ws.queued++;
    return 0;
}

void gw_wsconn_proceed(gw_wsconn *conn)
{
    (void)conn;
    if (ws.queued == 0) {
        ws.empty++;
        return;
    }
    ws.frames_written += ws.queued;
    ws.queued = 0;
    ws.writes++;
    ws.written_at = ts_mono_ms();
}

size_t gw_wsconn_queued(const gw_wsconn *conn)
{
    (void)conn;
    return (size_t)ws.queued * 10;
}

void gw_wsconn_dispose(gw_wsconn *conn)
{
    (void)conn;
}

/* SSE and deflate are not used here (no SSE client, deflate off). */
int gw_sseconn_start(gw_sseconn *conn, h2o_req_t *req, gw_sseconn_cb on_gone, const uint32_t *keys,
                     const int64_t *since, uint32_t n, int64_t peer_timeout_ms)
{
    (void)conn, (void)req, (void)on_gone, (void)keys, (void)since, (void)n, (void)peer_timeout_ms;
    return -1;
}
void gw_sseconn_put(gw_sseconn *conn, const char *data, size_t len)
{
    (void)conn, (void)data, (void)len;
}
void gw_sseconn_end_tick(gw_sseconn *conn, uint32_t key, int64_t t)
{
    (void)conn, (void)key, (void)t;
}
void gw_sseconn_finish(gw_sseconn *conn)
{
    (void)conn;
}
void gw_sseconn_proceed(gw_sseconn *conn)
{
    (void)conn;
}
size_t gw_sseconn_queued(const gw_sseconn *conn)
{
    (void)conn;
    return 0;
}
void gw_sseconn_dispose(gw_sseconn *conn)
{
    (void)conn;
}
gw_deflate *gw_deflate_new(void)
{
    return NULL;
}
void gw_deflate_free(gw_deflate *z)
{
    (void)z;
}

static void hook_msg(gw_client *c, const char *data, size_t len, int is_text)
{
    (void)c, (void)data, (void)len, (void)is_text;
}
static void hook_client(gw_client *c)
{
    (void)c;
}

typedef struct fixture {
    h2o_evloop_t *loop;
    gw_wmetrics *m;
    gw_clients *set;
    gw_client *c;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->loop = h2o_evloop_create();
    f->m = calloc(1, sizeof(*f->m));
    gw_client_limits lim = {.max_msg = 1 << 16, .send_queue = 1 << 20, .close_timeout = 1000, .ping_interval = 30000,
                            .write_pace = PACE};
    gw_client_hooks hooks = {hook_msg, hook_client, hook_client};
    f->set = gw_clients_new(f->loop, 0, &lim, f->m, &hooks);
    f->c = gw_clients_upgrade(f->set, NULL, "", 0, "", sizeof(gw_client));
    ws.queued = ws.frames_written = ws.writes = ws.empty = 0;
    *state = f;
    return f->set == NULL || f->c == NULL;
}

static int teardown(void **state)
{
    fixture *f = *state;
    gw_clients_free(f->set);
    h2o_evloop_destroy(f->loop);
    free(f->m);
    free(f);
    return 0;
}

/* One loop turn that waits for nothing: its socket events (none) and its due timeouts. */
static void turn(fixture *f)
{
    h2o_evloop_run(f->loop, 0);
}

static void sleep_until(int64_t mono_ms)
{
    int64_t left;
    while ((left = mono_ms - ts_mono_ms()) > 0) {
        struct timespec ts = {0, left * 1000000};
        nanosleep(&ts, NULL);
    }
}

/* A reply written, then a live frame right after: it waits. Returns its pacing point. */
static int64_t written_then_waiting(fixture *f)
{
    gw_client_send(f->c, "reply", 5);
    turn(f);
    assert_int_equal(ws.writes, 1);
    int64_t since = ts_mono_ms();
    gw_client_send_live(f->c, "tick1", 5);
    turn(f);
    assert_int_equal(ws.writes, 1);
    assert_int_equal(f->m->writes_paced_total, 1);
    return since + PACE;
}

static void test_timer_writes_at_pace(void **state)
{
    fixture *f = *state;
    int64_t due = written_then_waiting(f);
    /* turns on the loop's own waits until the timer writes it */
    for (int i = 0; i < 100 && ws.writes < 2; i++)
        h2o_evloop_run(f->loop, 100);
    assert_int_equal(ws.writes, 2);
    assert_int_equal(ws.frames_written, 2);
    assert_true(ws.written_at >= due - 1); /* a pace after it began to wait (the turn's ms), not before */
    assert_int_equal(ws.empty, 0);
}

static void test_reply_takes_waiting_along(void **state)
{
    fixture *f = *state;
    int64_t due = written_then_waiting(f);
    gw_client_send(f->c, "err", 3);
    turn(f);
    assert_int_equal(ws.writes, 2);
    assert_int_equal(ws.frames_written, 3); /* the waiting tick went with the reply */
    /* out of the queue: the pacing point passes without a write */
    sleep_until(due + 5);
    turn(f);
    turn(f);
    assert_int_equal(ws.writes, 2);
    assert_int_equal(ws.empty, 0);
}

static void test_tick_in_the_timers_turn(void **state)
{
    fixture *f = *state;
    int64_t due = written_then_waiting(f);
    /* the timer is due; a tick comes in the same turn */
    sleep_until(due + 10);
    gw_client_send_live(f->c, "tick2", 5);
    turn(f);
    assert_int_equal(ws.writes, 2);
    assert_int_equal(ws.frames_written, 3); /* both ticks, one write */
    assert_int_equal(f->m->writes_paced_total, 1); /* the flush did not queue it again, empty */
    /* and no wake-up a pace later for nothing */
    sleep_until(ts_mono_ms() + PACE + 5);
    turn(f);
    turn(f);
    assert_int_equal(ws.empty, 0);
    assert_int_equal(ws.writes, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timer_writes_at_pace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_takes_waiting_along, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tick_in_the_timers_turn, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
