/* gw_mtick.c — see gw_mtick.h. */
#include "gw_mtick.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ts_log.h"
#include "ts_time.h"

/* A step under this is a loop turn between the readings, not a step. */
#define MTICK_SLACK_MS 500

struct gw_mtick {
    h2o_evloop_t *loop;
    h2o_socket_t *sock; /* the timerfd */
    gw_mtick_cb cb;
    void *data;
    int64_t wall, mono; /* both clocks at the last call */
};

int64_t gw_mtick_step(int64_t wall0, int64_t mono0, int64_t wall1, int64_t mono1, int64_t slack)
{
    int64_t step = (wall1 - wall0) - (mono1 - mono0);
    return step > slack || step < -slack ? step : 0;
}

void gw_mtick_shift(h2o_evloop_t *loop, int64_t step, int64_t newest)
{
    /* h2o 2.2.5's lists (h2o/timeout.h, h2o/socket/evloop.h): the loop's
     * timeouts, each with its entries in the order they were linked. The
     * same shift for all that were linked before the step keeps that order. */
    for (h2o_linklist_t *tl = loop->_timeouts.next; tl != &loop->_timeouts; tl = tl->next) {
        h2o_timeout_t *to = H2O_STRUCT_FROM_MEMBER(h2o_timeout_t, _link, tl);
        uint64_t prev = 0;
        for (h2o_linklist_t *el = to->_entries.next; el != &to->_entries; el = el->next) {
            h2o_timeout_entry_t *e = H2O_STRUCT_FROM_MEMBER(h2o_timeout_entry_t, _link, el);
            if (step > 0 ? e->registered_at > (uint64_t)newest : e->registered_at < prev)
                break; /* this one and the rest were linked on the new clock */
            prev = e->registered_at;
            e->registered_at = step < 0 && (uint64_t)-step > e->registered_at ? 0 : e->registered_at + (uint64_t)step;
        }
    }
}

int64_t gw_mtick_now_at(int64_t loop_ms, int64_t wall_us, int64_t mono_us, int64_t slack)
{
    int64_t age = wall_us - loop_ms * 1000; /* µs since the loop read its clock */
    if (age < 0 || age > slack * 1000)
        age = 0;
    return (mono_us - age) / 1000;
}

int64_t gw_mtick_now(h2o_evloop_t *loop)
{
    int64_t wall = ts_now_us(), mono = ts_mono_us();
    return gw_mtick_now_at((int64_t)h2o_now(loop), wall, mono, MTICK_SLACK_MS);
}

static void on_expire(h2o_socket_t *sock, const char *err)
{
    gw_mtick *t = sock->data;
    if (err != NULL) {
        /* A timerfd does not fail; if it ever did, the worker would lose its
         * housekeeping: say so loudly. */
        ts_error("monotonic tick: read failed (%s)", err);
        return;
    }
    h2o_buffer_consume(&sock->input, sock->input->size); /* the count of expirations */
    int64_t wall = (int64_t)h2o_now(t->loop), mono = ts_mono_ms();
    int64_t step = gw_mtick_step(t->wall, t->mono, wall, mono, MTICK_SLACK_MS);
    if (step != 0) {
        ts_warn("the wall clock stepped %s by %lld ms: the loop's timeouts moved with it", step < 0 ? "back" : "forward",
                (long long)(step < 0 ? -step : step));
        /* the old clock read t->wall at t->mono: since then it can have
         * gone only as far as the monotonic clock (and a turn's slack) */
        gw_mtick_shift(t->loop, step, t->wall + (mono - t->mono) + MTICK_SLACK_MS / 2);
    }
    t->wall = wall;
    t->mono = mono;
    t->cb(t->data);
}

gw_mtick *gw_mtick_start(h2o_evloop_t *loop, int64_t period_ms, gw_mtick_cb cb, void *data)
{
    gw_mtick *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    struct itimerspec its = {.it_interval = {period_ms / 1000, (period_ms % 1000) * 1000000},
                             .it_value = {period_ms / 1000, (period_ms % 1000) * 1000000}};
    if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        free(t);
        errno = e;
        return NULL;
    }
    t->loop = loop;
    t->cb = cb;
    t->data = data;
    t->wall = (int64_t)h2o_now(loop);
    t->mono = ts_mono_ms();
    t->sock = h2o_evloop_socket_create(loop, fd, 0);
    t->sock->data = t;
    h2o_socket_read_start(t->sock, on_expire);
    return t;
}

void gw_mtick_free(gw_mtick *t)
{
    if (t == NULL)
        return;
    h2o_socket_read_stop(t->sock);
    h2o_socket_close(t->sock); /* closes the timerfd */
    free(t);
}
