/* gw_pace.h — write pacing: when a client's live frames go to its socket.
 *
 * Why: at 1,000 clients × 100 ticks/s each tick was its own loop turn and
 * so its own writev per client, and 85 % of the gateway's CPU per tick was
 * the kernel's, per write (docs/PERFORMANCE.md, issue 12). So a client
 * last written less than `pace` ms ago is not written at once: its live
 * frames wait in its buffer, in order, until a frame comes `pace` or more
 * after that write (then all go in one write, at once), or at the latest
 * until `pace` after the first of them began to wait. At 10 ms ticks and a
 * 15 ms pace every write carries two ticks, right when the second comes:
 * one waits 10 ms, the other not at all. A client written longer ago
 * (every client at 1 Hz with a pace under 1 s) is written at once, as
 * without pacing: no added latency where there is nothing to share, and
 * never more than `pace` where there is.
 *
 * (Waiting until last write + pace instead, the first idea, cost more: the
 * pacing point and the next tick came in the same millisecond, and when the
 * timer won the race the tick waited a whole pace — 15 ms median at 10 ms
 * ticks and a 20 ms pace, against 3.6 ms without pacing.)
 *
 * Pure: the decision and the queue of waiting clients, no
 * sockets and no timers (gw_client.c owns the one timer per worker that
 * serves the head of the queue); times are ms of a clock that never goes
 * back (gw_client.c: the monotonic one, at the turn's start: gw_mtick_now). */
#ifndef GW_PACE_H
#define GW_PACE_H

#include <stdint.h>

#include <h2o/linklist.h>

/* When a client last written at `last` (GW_PACE_NEVER: not yet) that has
 * live frames queued at `now` must be written: `now` when pacing is off
 * (pace <= 0) or when the last write is pace or more ago; else at the
 * latest now + pace (a client already waiting keeps the time it got
 * first). */
#define GW_PACE_NEVER INT64_MIN
int64_t gw_pace_at(int64_t pace, int64_t last, int64_t now);

/* A client's place in the queue; embedded in the client. */
typedef struct gw_pace_entry {
    h2o_linklist_t link;
    int64_t due;
} gw_pace_entry;

/* The clients whose live frames wait, in order of the time they must be
 * written by (their pacing point; ties in order of arrival). Each is queued
 * for now + pace, so nearly always at the tail: one step. */
typedef struct gw_paceq {
    h2o_linklist_t head;
} gw_paceq;

void gw_paceq_init(gw_paceq *q);
/* Queues e, not queued, for `due`; 1 when it is now the head (the timer
 * must be moved earlier), else 0. */
int gw_paceq_add(gw_paceq *q, gw_pace_entry *e, int64_t due);
/* Unlinks and returns the head when it is due by `now`, else NULL. */
gw_pace_entry *gw_paceq_pop(gw_paceq *q, int64_t now);
/* The head's pacing point, or -1 when nothing waits. */
int64_t gw_paceq_next(const gw_paceq *q);
/* Takes e out of the queue if it is in it. */
void gw_paceq_remove(gw_pace_entry *e);
int gw_paceq_queued(const gw_pace_entry *e);

#endif
