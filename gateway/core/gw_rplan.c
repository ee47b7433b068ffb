/* gw_rplan.c — see gw_rplan.h. */
#include "gw_rplan.h"

static int holds(int64_t from, int64_t now, int64_t retention)
{
    return from >= now - retention;
}

int gw_rplan_make(const gw_rplan_in *in, gw_rplan *out, const char **why)
{
    const ts_ladder *l = in->ladder;
    if (in->from < 0 || in->to < in->from) {
        *why = "want 0 <= from <= to (ms since the Unix epoch)";
        return -1;
    }
    if (in->points < 1 || in->points > GW_RANGE_POINTS_MAX) {
        *why = "points must be 1..10000";
        return -1;
    }
    int64_t oldest = in->retention_ms;
    for (int k = 0; k < l->n; k++)
        oldest = l->lv[k].retention_ms > oldest ? l->lv[k].retention_ms : oldest;
    oldest = in->now_ms - oldest;
    out->from = in->from > oldest ? in->from : (oldest > 0 ? oldest : 0);
    out->to = in->to < in->now_ms ? in->to : in->now_ms;
    if (out->to < out->from) {
        *why = "the window holds no retained history (see /api/config)";
        return -1;
    }
    int64_t span = out->to - out->from + 1;
    int64_t target = span / in->points + (span % in->points != 0);
    /* Sources finest first: -1 = raw ticks, then the ladder. */
    int src = -1;
    for (int k = 0; k < l->n && l->lv[k].width_ms <= target; k++)
        src = k;
    for (;;) {
        int64_t ret = src < 0 ? in->retention_ms : l->lv[src].retention_ms;
        if (holds(out->from, in->now_ms, ret) || src == l->n - 1)
            break;
        src++;
    }
    int64_t w = src < 0 ? in->interval_ms : l->lv[src].width_ms;
    int64_t width = target <= w ? w : (target / w + (target % w != 0)) * w;
    out->level = src;
    out->width = width;
    out->first = out->from / width * width;
    out->count = (uint32_t)(out->to / width - out->from / width + 1);
    out->points = in->points;
    out->whole = 0;
    return 0;
}

int64_t gw_rplan_start(const gw_rplan_in *in, const int64_t *first)
{
    const ts_ladder *l = in->ladder;
    int64_t m = -1;
    for (int s = 0; s <= l->n; s++)
        m = first[s] >= 0 && (m < 0 || first[s] < m) ? first[s] : m;
    for (int s = 0; s <= l->n && m >= 0; s++) {
        int64_t ret = s == 0 ? in->retention_ms : l->lv[s - 1].retention_ms;
        if (first[s] >= 0 && holds(m, in->now_ms, ret))
            return first[s];
    }
    return m;
}

void gw_rplan_fold(const gw_rplan *plan, ts_candle *b, const ts_candle *piece)
{
    if (piece->n == 0 || piece->t < plan->first)
        return;
    int64_t i = (piece->t - plan->first) / plan->width;
    if (i >= (int64_t)plan->count)
        return;
    if (b[i].n == 0) {
        b[i] = *piece;
        b[i].t = plan->first + i * plan->width;
        return;
    }
    ts_candle_merge(&b[i], piece);
}
