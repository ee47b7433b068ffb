/* gw_cu.h — the catch-up decisions of one subscription, without I/O.
 *
 * A catch-up reads a stream with XRANGEs (a seek from the cursor, then
 * pipelined windows), then takes the rest from the ring and goes live. What
 * to do next after each reply is decided here, from the subscription's read
 * state, the worker's view (ring bounds, interval, epoch) and a summary of
 * the reply; gw_catchup.c does what the decision says (sends, queues, lists).
 * So every branch of the state machine is a plain function call in
 * tests/gw/test_cu.c. Why the branches keep every tick exactly once and in
 * order is told at the top of gw_catchup.c, where the sending happens. */
#ifndef GW_CU_H
#define GW_CU_H

#include <stddef.h>
#include <stdint.h>

/* Window XRANGEs in flight per subscription: Redis runs every command it has
 * read before it writes a reply, so a deeper burst only delays the first
 * bytes (measured: 4 windows came back after ~9 ms, 2 after ~5). */
#define GW_CU_PIPELINE 2

typedef struct gw_cu {
    int64_t cursor;         /* every tick with t <= cursor has been sent, or does not exist */
    int64_t last_sent;      /* the last tick time the client was told of (since, when nothing was sent) */
    int64_t epoch;          /* the history being read; replies of another are stale */
    int64_t seek_ring_last; /* the ring's last row when the seek in flight was sent (INT64_MIN: no ring) */
    int seeking;            /* a seek XRANGE (cursor, +] is in flight, behind any windows */
    uint32_t nwin;          /* window XRANGEs in flight */
    int64_t win_lo;         /* the oldest window in flight covers (win_lo, its end] */
    int64_t win_end;        /* the newest window in flight ends here */
} gw_cu;

/* What the decisions see of the worker. */
typedef struct gw_cu_env {
    int64_t dt;    /* the interval */
    int64_t chunk; /* COUNT of an XRANGE, and ticks in a window */
    int64_t epoch;
    uint32_t ring_count; /* 0: no ring yet */
    int64_t ring_first, ring_last;
} gw_cu_env;

typedef enum {
    GW_CU_REPLY_OK,    /* entries (possibly none) */
    GW_CU_REPLY_ERROR, /* Redis refused the XRANGE */
    GW_CU_REPLY_LOST,  /* the connection went away: no reply */
} gw_cu_rstatus;

typedef struct gw_cu_reply {
    gw_cu_rstatus status;
    size_t n;       /* entries in the reply, readable or not */
    int64_t last_t; /* the newest readable entry ID in it; INT64_MIN when none */
} gw_cu_reply;

/* Where the subscription stands when a reply comes. */
typedef enum {
    GW_CU_READING,  /* reading the streams; its client is open */
    GW_CU_ELSEWHERE, /* live, waiting, or its client is closing */
    GW_CU_ORPHAN,   /* unsubscribed or its client gone: only the replies in flight hold it */
} gw_cu_where;

typedef enum {
    GW_CU_STALE,      /* nothing to do with this reply */
    GW_CU_FREE,       /* an orphan's last reply: free the subscription */
    GW_CU_RETRY,      /* connection lost and nothing else in flight: queue again (first), read from cursor */
    GW_CU_FAIL,       /* Redis refused, or the epoch changed: tell the client and end the subscription */
    GW_CU_QUEUE,      /* read the stream from cursor when a slot is free */
    GW_CU_LIVE,       /* the streams are read up to the ring: ring rows after cursor, then live */
    GW_CU_READ_ON,    /* the stream goes on: more windows, or wait for the client to drain */
    GW_CU_SEEK,       /* a window came back short (a hole or the end): seek from cursor now */
    GW_CU_WAIT_SYNC,  /* read to the stream's end, and no ring yet: wait for the first live row */
    GW_CU_SKIP_HOLE,  /* the stream lacks ticks the ring held before the seek: cursor moved to the ring; go live */
} gw_cu_step;

void gw_cu_init(gw_cu *cu, int64_t since, int64_t epoch);

/* Reads in flight: the subscription cannot be freed before they return. */
static inline int gw_cu_busy(const gw_cu *cu)
{
    return cu->nwin > 0 || cu->seeking;
}

/* The next step of a subscription that is not reading: GW_CU_LIVE when the
 * ring takes over from cursor, else GW_CU_QUEUE. */
gw_cu_step gw_cu_resume(const gw_cu *cu, const gw_cu_env *e);

/* The end of the window after lo: `chunk` points of the dt grid, so that a
 * dense stream fills it exactly and its last entry is the window's end. */
int64_t gw_cu_window_end(const gw_cu_env *e, int64_t lo);

/* The range (*from, *to] of the next XRANGE: a seek from cursor (to is the
 * stream's end, reported as INT64_MAX) or the window after those in flight. */
void gw_cu_next_range(const gw_cu *cu, const gw_cu_env *e, int window, int64_t *from, int64_t *to);
/* Records that the XRANGE of gw_cu_next_range was sent. */
void gw_cu_sent(gw_cu *cu, const gw_cu_env *e, int window, int64_t from, int64_t to);

/* Whether another window may be sent now: fewer than GW_CU_PIPELINE in
 * flight, no seek, a ring to read up to and not reached yet, and the
 * client's queue plus the windows in flight (each at its largest hist,
 * hist_max bytes) under the pause mark. */
int gw_cu_may_pipeline(const gw_cu *cu, const gw_cu_env *e, size_t queued, size_t hist_max, size_t pace);

/* One XRANGE reply arrived (replies come in the order sent: the windows,
 * then a seek behind them). Accounts for it, moves cursor over its entries
 * and returns what to do next. When the step uses the reply (LIVE, READ_ON,
 * SEEK, WAIT_SYNC, QUEUE, SKIP_HOLE), *after is the cursor before the reply:
 * the caller sends the reply's entries with t > *after, in order, before it
 * acts on the step. */
gw_cu_step gw_cu_on_reply(gw_cu *cu, const gw_cu_env *e, gw_cu_where where, const gw_cu_reply *r, int64_t *after);

const char *gw_cu_step_name(gw_cu_step s);

#endif
