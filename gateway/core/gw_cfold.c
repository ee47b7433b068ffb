/* gw_cfold.c — see gw_cfold.h. */
#include "gw_cfold.h"

int gw_cplan_make(const gw_cplan_in *in, gw_cplan *out, const char **why)
{
    int64_t w = in->width, dt = in->interval_ms;
    if (w < dt || w % dt != 0 || w > GW_CANDLE_WIDTH_MAX) {
        *why = "width must be a multiple of the interval (see /api/config), at most 366d";
        return -1;
    }
    /* The coarsest stored level whose candles lie each in one bucket: it
     * reads the fewest entries, and every bucket stays exact. */
    int level = -1;
    for (int k = 0; k < in->ladder->n; k++)
        if (w % in->ladder->lv[k].width_ms == 0)
            level = k;
    int64_t sw = level < 0 ? dt : in->ladder->lv[level].width_ms;
    int64_t ret = level < 0 ? in->retention_ms : in->ladder->lv[level].retention_ms;
    /* The oldest bucket the source still holds whole: trimming keeps every
     * entry at or after now - retention (docs/REDIS.md). */
    int64_t oldest = in->now_ms - ret;
    oldest = oldest <= 0 ? 0 : (oldest + w - 1) / w * w;
    int64_t first = ts_bucket(in->since + 1, w);
    int64_t per = w / sw, chunk = GW_CANDLE_READ_ENTRIES / per;
    /* One bucket is folded from one read: a width no level divides, far
     * above the source's, would read a bucket's every tick at once. */
    if (per > GW_CANDLE_READ_ENTRIES) {
        *why = "width too wide: each candle would be folded from over 100000 stored entries; pick a width that a rollup "
               "level (see /api/config) divides";
        return -1;
    }
    out->level = level;
    out->width = w;
    out->first = first > oldest ? first : oldest;
    out->chunk = (uint32_t)(chunk < 1 ? 1 : chunk > GW_RANGE_POINTS_MAX ? GW_RANGE_POINTS_MAX : chunk);
    return 0;
}

void gw_cplan_chunk(const gw_cplan *p, int64_t from, gw_rplan *out)
{
    *out = (gw_rplan){.from = from, .to = from + (int64_t)p->chunk * p->width - 1, .level = p->level,
                      .width = p->width, .first = from, .count = p->chunk, .points = p->chunk};
}

int gw_cfold_history(gw_cfold *f, const gw_rplan *rp, const ts_candle *b, int64_t end, int64_t heard,
                     uint32_t *closed)
{
    int64_t stop = rp->first + (int64_t)rp->count * rp->width;
    /* Every tick before c is in the buckets: those the read found, and
     * those heard before it was sent (a hole up to there is a real one). */
    int64_t c = end, h = heard < 0 ? -1 : heard + 1 < stop ? heard + 1 : stop;
    c = h > c ? h : c;
    c = c < rp->first ? rp->first : c;
    f->width = rp->width;
    f->open = (ts_candle){0};
    if (c >= stop) {
        *closed = rp->count;
        f->last = stop - 1;
        return 1;
    }
    uint32_t k = (uint32_t)((c - rp->first) / rp->width);
    *closed = k;
    f->open = b[k]; /* the ticks of its bucket before c; n = 0 when none */
    f->open.t = rp->first + (int64_t)k * rp->width;
    f->last = c - 1;
    return 0;
}

int gw_cfold_tick(gw_cfold *f, int64_t t, int32_t p, ts_candle *closed)
{
    if (t <= f->last)
        return -1;
    int64_t s = ts_bucket(t, f->width);
    int r = 0;
    if (f->open.t != s) {
        if (f->open.n > 0) {
            *closed = f->open;
            r = 1;
        }
        f->open = (ts_candle){.t = s};
    }
    ts_candle_add(&f->open, s, t, p);
    f->last = t;
    return r;
}
