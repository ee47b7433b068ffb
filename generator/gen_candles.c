/* gen_candles.c — the candle builder (gen_candles.h). State: one open
 * candle per instrument and level, plus the time of the instrument's last
 * tick, in flat arrays (100,000 instruments × 4 levels = 11 MB). */
#include "gen_candles.h"

#include <stdlib.h>

struct gen_candles {
    ts_ladder ladder;
    uint32_t n;
    ts_candle *open; /* open[i * ladder.n + k] */
    int64_t *last;   /* last tick time of instrument i; -1 = none */
};

gen_candles *gen_candles_new(const ts_ladder *ladder, uint32_t instruments)
{
    gen_candles *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->ladder = *ladder;
    c->n = instruments;
    c->open = calloc((size_t)instruments * (size_t)(ladder->n ? ladder->n : 1), sizeof(*c->open));
    c->last = malloc((size_t)instruments * sizeof(*c->last));
    if (c->open == NULL || c->last == NULL) {
        gen_candles_free(c);
        return NULL;
    }
    for (uint32_t i = 0; i < instruments; i++)
        c->last[i] = -1;
    return c;
}

void gen_candles_free(gen_candles *c)
{
    if (c == NULL)
        return;
    free(c->open);
    free(c->last);
    free(c);
}

const ts_ladder *gen_candles_ladder(const gen_candles *c)
{
    return &c->ladder;
}

unsigned gen_candles_tick(gen_candles *c, uint32_t i, int64_t t, int32_t p, ts_candle out[TS_LEVELS_MAX])
{
    unsigned closed = 0;
    if (t <= c->last[i])
        return 0;
    c->last[i] = t;
    ts_candle *open = &c->open[(size_t)i * (size_t)c->ladder.n];
    for (int k = 0; k < c->ladder.n; k++) {
        int64_t start = ts_bucket(t, c->ladder.lv[k].width_ms);
        if (open[k].n > 0 && open[k].t != start) {
            out[k] = open[k];
            open[k].n = 0;
            closed |= 1u << k;
        }
        ts_candle_add(&open[k], start, t, p);
    }
    return closed;
}

ts_candle *gen_candles_open(gen_candles *c, uint32_t i, int k)
{
    return &c->open[(size_t)i * (size_t)c->ladder.n + (size_t)k];
}

void gen_candles_set_last(gen_candles *c, uint32_t i, int64_t t)
{
    c->last[i] = t;
}

void gen_candles_clear(gen_candles *c, uint32_t i)
{
    for (int k = 0; k < c->ladder.n; k++)
        c->open[(size_t)i * (size_t)c->ladder.n + (size_t)k].n = 0;
    c->last[i] = -1;
}
