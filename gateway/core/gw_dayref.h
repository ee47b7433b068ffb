/* gw_dayref.h — each instrument's reference price for the board's change
 * over the day: the price of its first tick at or after the start of the UTC
 * day of the newest row (docs/PROTOCOL.md "Boards"). With a retention shorter
 * than the day, the oldest tick Redis held when it was read.
 *
 * Where it comes from, cheaply: once when the ring starts, one
 * `XRANGE ts:tick:{NAME} <day start> + COUNT 1` per instrument, pipelined on
 * the command connection (a seek in the stream's radix tree, as cheap as
 * reading a 1d candle, and exact while the day's first candle is still open
 * and not stored). After that the rows themselves: the feed hands over every
 * row in order with no hole (gw_feed.c), so at midnight UTC the first row of
 * the new day is each instrument's first tick of it, with no Redis read. */
#ifndef GW_DAYREF_H
#define GW_DAYREF_H

#include <stdint.h>

#include "gw_meta.h"
#include "gw_rconn.h"

#define GW_DAY_MS 86400000LL

typedef struct gw_dayref gw_dayref;

/* cmd (for the reads) and meta are the worker's and outlive it; on_ready(arg)
 * is called when a read has finished and the references are complete. */
gw_dayref *gw_dayref_new(const gw_meta *meta, gw_rconn *cmd, void (*on_ready)(void *arg), void *arg);
void gw_dayref_free(gw_dayref *d);

/* A row entered the ring (every row, in order). The first row of a ring (ring
 * started: first set) forgets everything and reads the day of t from the
 * streams; later rows roll the day at midnight and fill references not known
 * yet (an instrument whose first tick of the day is this one). */
void gw_dayref_row(gw_dayref *d, int64_t t, const int32_t *row, int first);
/* 1 when the references of the current day are complete. */
int gw_dayref_ready(const gw_dayref *d);
/* The start of the current day (ms). */
int64_t gw_dayref_day(const gw_dayref *d);
/* Instrument inst's reference as a board at time t knows it: GW_MISSING when
 * its first tick of the day is after t (the ring being filled at start-up is
 * behind what Redis was asked) or not there yet. */
int32_t gw_dayref_at(const gw_dayref *d, uint32_t inst, int64_t t);
/* Sends again a read the command connection lost, once it is up. */
void gw_dayref_tick(gw_dayref *d);

#endif
