/* gw_ring.h — the recent ticks of every instrument, in memory, without I/O.
 *
 * The live feed delivers one row per tick time (all instruments at once), so
 * the ring stores rows: row i holds the prices of every instrument at
 * first + i*dt. Rows are consecutive by construction — a later time leaves
 * GW_MISSING filler rows behind it, or restarts the ring when the gap is as
 * long as the ring — so "the ticks after T" is an index computation, and a
 * catch-up served from the ring can never skip a tick the ring holds. */
#ifndef GW_RING_H
#define GW_RING_H

#include <stddef.h>
#include <stdint.h>

#include "ts_entry.h"

/* A price the ring does not know (a hole in the source data). */
#define GW_MISSING TS_PRICE_MISSING

typedef struct gw_ring {
    uint32_t n;    /* instruments: prices per row */
    uint32_t cap;  /* rows */
    int64_t dt;    /* ms between rows */
    int32_t *rows; /* cap * n prices */
    uint32_t head; /* slot of the oldest row */
    uint32_t count;
    int64_t first; /* time of the oldest row, when count > 0 */
} gw_ring;

/* Returns 0, or -1 when out of memory (then the ring is empty and unusable). */
int gw_ring_init(gw_ring *r, uint32_t n, uint32_t cap, int64_t dt);
void gw_ring_free(gw_ring *r);
void gw_ring_clear(gw_ring *r);

static inline int64_t gw_ring_last(const gw_ring *r)
{
    return r->first + (int64_t)(r->count - 1) * r->dt;
}

/* Appends the row of time t (n prices, GW_MISSING allowed). t must be after
 * the last row. Returns 0 when the rows stay consecutive (filler rows may
 * have been added), 1 when the ring restarted at t (gap of a whole ring, or t
 * off the dt grid), -1 when t is not after the last row (nothing done). */
int gw_ring_append(gw_ring *r, int64_t t, const int32_t *prices);

/* Index of the first row with time > since: 0..count. */
uint32_t gw_ring_after(const gw_ring *r, int64_t since);

static inline const int32_t *gw_ring_row(const gw_ring *r, uint32_t i)
{
    uint32_t slot = r->head + i;
    if (slot >= r->cap)
        slot -= r->cap;
    return r->rows + (size_t)slot * r->n;
}

static inline int64_t gw_ring_time(const gw_ring *r, uint32_t i)
{
    return r->first + (int64_t)i * r->dt;
}

#endif
