/* gen_candles.h — the candle builder: the open candle of every instrument at
 * every level of the ladder, advanced tick by tick. Pure (no I/O, no clock):
 * the ticker feeds it each tick it writes and XADDs the candles it closes in
 * the same MULTI/EXEC, or later past --candle-budget (gen_defer.h);
 * start-up (gen_rollups.c) refills the open candles from Redis. tests/gen/test_candles.c. */
#ifndef GEN_CANDLES_H
#define GEN_CANDLES_H

#include <stdint.h>

#include "ts_candle.h"

typedef struct gen_candles gen_candles;

/* NULL when out of memory. The ladder is copied. */
gen_candles *gen_candles_new(const ts_ladder *ladder, uint32_t instruments);
void gen_candles_free(gen_candles *c);
const ts_ladder *gen_candles_ladder(const gen_candles *c);

/* Tick (t, p) of instrument i; ticks of an instrument come in increasing t.
 * Each level whose open candle belongs to an earlier bucket closes it: the
 * closed candles are written to out[level] and the return value has bit
 * `level` set (0 when nothing closed). A tick at or before the open
 * candle's last one is a repeat and changes nothing. */
unsigned gen_candles_tick(gen_candles *c, uint32_t i, int64_t t, int32_t p, ts_candle out[TS_LEVELS_MAX]);

/* Instrument i's open candle at level k (n = 0: none), for start-up to
 * fill; also the last tick time folded in, which later ticks must exceed. */
ts_candle *gen_candles_open(gen_candles *c, uint32_t i, int k);
void gen_candles_set_last(gen_candles *c, uint32_t i, int64_t t);
/* Empties instrument i's open candles. */
void gen_candles_clear(gen_candles *c, uint32_t i);

#endif
