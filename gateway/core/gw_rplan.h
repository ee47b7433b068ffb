/* gw_rplan.h — which stored level and which buckets answer a range request
 * (docs/PROTOCOL.md, "Ranges"), and the folding of stored pieces into those
 * buckets. Pure: no I/O, no clock (tests/gw/test_rplan.c).
 *
 * A window [from, to] asked for in about `points` buckets wants buckets of
 * target = ceil((to - from + 1) / points) ms. The source is the coarsest of
 * (raw ticks, then each level of the ladder) whose width is at most target —
 * it reads the fewest entries for that resolution — or, when that source no
 * longer holds `from` (older than its retention), the finest coarser one
 * that does. Buckets are width = ceil(target / w) * w wide (a multiple of
 * the source's width w, so between target and 2 × target, hence between
 * points / 2 and points + 1 buckets), aligned on multiples of width since
 * the Unix epoch, from the one holding `from` to the one holding `to`.
 * Because every width of the ladder divides the next, every stored candle
 * of the source or of a finer level lies in exactly one bucket, so a
 * bucket's high and low are the true extremes of its ticks.
 *
 * What a plan reads. A source of width w is taken only while the next
 * level's width exceeds target (or w itself does: a coarser source for
 * retention), so it reads at most span / w + 1 < points × (next width / w)
 * + 1 entries: points times the largest step of (interval, widths…) of the
 * ladder, or, from its coarsest level, that level's retention / width
 * (3,650 1d candles). With the default ladder at 1 s ticks the largest step
 * is 10 (1 s → 10s; then 6, 5, 3, 4, 4, 6), so any window at 1,000 points
 * reads at most 10,001 entries of its source, at any age and with any raw
 * retention (tests/gw/test_rplan.c); the live tail adds, per finer level,
 * at most two buckets of the level above it (gw_range.c): 76 entries. A
 * step of 60 (1 s → 1m, the ladder before issue 16) read up to 57,600
 * ticks for a 16 h window: over 30 ms at the gateway (docs/PERFORMANCE.md
 * "Range answers"). */
#ifndef GW_RPLAN_H
#define GW_RPLAN_H

#include <stdint.h>

#include "ts_candle.h"

/* At most this many buckets per request. */
#define GW_RANGE_POINTS_MAX 10000
/* Source entries read per point, at most, with the default ladder (above). */
#define GW_RPLAN_READS_PER_POINT 10

typedef struct gw_rplan_in {
    int64_t from, to; /* ms, inclusive */
    int64_t points;
    int64_t interval_ms, retention_ms; /* of the raw ticks (ts:meta) */
    int64_t now_ms;
    const ts_ladder *ladder;
} gw_rplan_in;

typedef struct gw_rplan {
    int64_t from, to; /* the window, clamped to the retained history: from >= now - the longest
                         retention, to <= now */
    int level;     /* the source: index in the ladder, or -1 for raw ticks */
    int64_t width; /* of each bucket */
    int64_t first; /* start of the first bucket */
    uint32_t count;
    int64_t points; /* as asked for */
    int whole;      /* from was not given (gw_range_plan): the read finds where the stored history starts,
                       then plans again over [that, to] */
} gw_rplan;

/* Returns 0, or -1 with a one-line reason (a bad window or points, or a
 * window wholly outside the retained history). */
int gw_rplan_make(const gw_rplan_in *in, gw_rplan *out, const char **why);

/* Where the whole stored history starts, for a range without `from`.
 * first[0] is the time of the raw stream's oldest entry, first[1 + k] the
 * start of level k's oldest stored candle, -1 for a source that holds none.
 * Every source's oldest entry is at or before the oldest tick it keeps, so
 * the earliest of them, m, starts the history; a source whose retention
 * reaches back past m has lost nothing to trimming (it drops only entries
 * older than now - its retention), so its oldest entry is the start of its
 * bucket holding the oldest tick: the finest such source gives the latest
 * start that still holds every tick (the raw stream: the oldest tick
 * itself). Returns that start, m when no source reaches back past m, or -1
 * when every source is empty. Uses in's retention_ms, now_ms and ladder. */
int64_t gw_rplan_start(const gw_rplan_in *in, const int64_t *first);

/* Folds a piece (a stored candle, or a tick as a candle of n = 1) into its
 * bucket of b (count buckets from plan->first); pieces of one bucket must
 * come oldest first. A piece outside the buckets is ignored. */
void gw_rplan_fold(const gw_rplan *plan, ts_candle *b, const ts_candle *piece);

#endif
