/* gw_mtick.c — see gw_mtick.h.
 *
 * Which timeouts a step moves. h2o stamps an entry with the loop's reading
 * of the wall clock (registered_at = h2o_now) when it is linked. Between two
 * ticks some turns may already have read the stepped clock: entries linked
 * in them — the clients' zero-delay flush in the very turn of the tick, when
 * a Redis reply ran before the timerfd — carry the new clock and must stay
 * where they are (moved forward by a day, the flush froze every client of
 * the worker for a day); every entry linked before the step carries the old
 * clock and must move (left behind a step back, it fires that much late).
 *
 * A stamp taken after the step lies between wall0 + step (the last tick's
 * reading plus the step) and wall1 (the reading now); one taken before it
 * and since the last tick's turn began lies at wall0 or later, less that
 * turn's work before the tick: outside that range whenever the step is
 * longer than the time between the readings. Entries are linked at a list's
 * tail, so those linked after the step are a tail of each list: the run of
 * stamps in that range at the end of a list stays, the rest moves. Where the
 * two ranges meet (a step no longer than a stalled turn or a stop of the
 * process), the entries in both stay: after a step forward they fire early,
 * never late; after a step back, late by the step, which is then shorter
 * than the stall. And after a step back, an entry linked a whole step before it and
 * still pending (its timeout longer than the step) looks linked after it,
 * stays, and fires the step late. */
#include "gw_mtick.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "ts_log.h"
#include "ts_time.h"

/* The private fields read and written here (h2o_evloop_t's _timeouts and
 * _now, each h2o_timeout_t's _entries) are those of h2o 2.2's evloop. */
#if !defined(H2O_VERSION_MAJOR) || H2O_VERSION_MAJOR != 2 || H2O_VERSION_MINOR != 2
#error "gw_mtick.c reads h2o 2.2's timeout lists; check them against this h2o"
#endif

/* A step under this is not acted on: its timeouts fire that much early or
 * late. A turn's age (gw_mtick_now) past it is a step, not an age. */
#define MTICK_SLACK_MS 500
/* Both clocks are read in whole ms: a step measured from them is off by up
 * to 2 ms, a stamp by 1. */
#define MTICK_ROUND_MS 3

struct gw_mtick {
    h2o_evloop_t *loop;
    h2o_socket_t *sock; /* the timerfd */
    gw_mtick_cb cb;
    void *data;
    int64_t wall, mono; /* both clocks, read together at the last call */
};

int64_t gw_mtick_step(int64_t wall0, int64_t mono0, int64_t wall1, int64_t mono1, int64_t slack)
{
    int64_t step = (wall1 - wall0) - (mono1 - mono0);
    return step > slack || step < -slack ? step : 0;
}

/* Whether the loop can have read `at` after the step (see the top). */
static int after_step(uint64_t at, int64_t wall0, int64_t wall1, int64_t step)
{
    return (int64_t)at >= wall0 + step - MTICK_ROUND_MS && (int64_t)at <= wall1 + MTICK_ROUND_MS;
}

static h2o_timeout_entry_t *entry_of(h2o_linklist_t *l)
{
    return H2O_STRUCT_FROM_MEMBER(h2o_timeout_entry_t, _link, l);
}

void gw_mtick_shift(h2o_evloop_t *loop, int64_t wall0, int64_t wall1, int64_t step)
{
    /* h2o 2.2.5's lists (h2o/timeout.h, h2o/socket/evloop.h): the loop's
     * timeouts, each with its entries in the order they were linked. The
     * same shift for all that move keeps that order. */
    for (h2o_linklist_t *tl = loop->_timeouts.next; tl != &loop->_timeouts; tl = tl->next) {
        h2o_timeout_t *to = H2O_STRUCT_FROM_MEMBER(h2o_timeout_t, _link, tl);
        h2o_linklist_t *stay = &to->_entries;
        while (stay->prev != &to->_entries && after_step(entry_of(stay->prev)->registered_at, wall0, wall1, step))
            stay = stay->prev;
        for (h2o_linklist_t *el = to->_entries.next; el != stay; el = el->next) {
            h2o_timeout_entry_t *e = entry_of(el);
            e->registered_at = step < 0 && (uint64_t)-step > e->registered_at ? 0 : e->registered_at + (uint64_t)step;
        }
    }
    /* The turn's reading, against which the timeouts run after this call and
     * entries linked later in the turn are stamped, may predate the step:
     * take the one the step was measured with, as h2o's own update_now does
     * at the end of a busy turn. */
    loop->_now = (uint64_t)wall1;
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
    /* Both clocks now, together: the loop's h2o_now was read when the turn
     * began, and a slow turn before this call is not a step. */
    int64_t wall = ts_now_ms(), mono = ts_mono_ms();
    int64_t step = gw_mtick_step(t->wall, t->mono, wall, mono, MTICK_SLACK_MS);
    if (step != 0) {
        ts_warn("the wall clock stepped %s by %lld ms: the loop's timeouts moved with it", step < 0 ? "back" : "forward",
                (long long)(step < 0 ? -step : step));
        gw_mtick_shift(t->loop, t->wall, wall, step);
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
    t->wall = ts_now_ms();
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
