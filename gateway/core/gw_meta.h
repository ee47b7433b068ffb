/* gw_meta.h — ts:meta as one worker last read it, with the instrument names. */
#ifndef GW_META_H
#define GW_META_H

#include <stdint.h>

#include "gw_proto.h" /* GW_SYM_MAX */
#include "ts_candle.h"
#include "ts_meta.h"

typedef struct gw_meta {
    int ok;
    int64_t interval_ms, retention_ms, epoch;
    uint32_t count;
    char (*names)[GW_SYM_MAX];
    ts_ladder ladder; /* the rollups (n = 0: none, or unreadable) */
} gw_meta;

/* 1 when m describes the same history and shape as the worker's meta. */
int gw_meta_same(const gw_meta *have, const ts_meta *m);
/* Replaces the worker's meta with m (names made for its count); -1 when out of memory (then have->ok is 0). */
int gw_meta_set(gw_meta *have, const ts_meta *m);
void gw_meta_free(gw_meta *have);
/* Takes the fields that may change within one history (retention, rollups)
 * from m; a ladder that does not parse counts as none. */
void gw_meta_update(gw_meta *have, const ts_meta *m);

#endif
