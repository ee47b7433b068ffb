/* gen_defer.c — see gen_defer.h. One ring per level, grown by doubling:
 * a day boundary at 100,000 instruments parks at most 700,000 candles
 * (about 27 MB), and only for the seconds the budget needs to write them. */
#include "gen_defer.h"

#include <stdlib.h>
#include <string.h>

typedef struct item {
    uint32_t i;
    ts_candle x;
} item;

typedef struct ring {
    item *a;
    size_t cap, head, n; /* cap: 0 or a power of two */
} ring;

struct gen_defer {
    ts_ladder ladder;
    ring q[TS_LEVELS_MAX];
    uint64_t count;
    unsigned urgent; /* levels whose candles do not wait */
};

gen_defer *gen_defer_new(const ts_ladder *ladder)
{
    gen_defer *d = calloc(1, sizeof(*d));
    if (d != NULL)
        d->ladder = *ladder;
    return d;
}

void gen_defer_free(gen_defer *d)
{
    if (d == NULL)
        return;
    for (int k = 0; k < TS_LEVELS_MAX; k++)
        free(d->q[k].a);
    free(d);
}

static int grow(ring *r)
{
    size_t cap = r->cap ? r->cap * 2 : 1024;
    item *a = malloc(cap * sizeof(*a));
    if (a == NULL)
        return -1;
    for (size_t e = 0; e < r->n; e++) /* unwrapped, oldest first */
        a[e] = r->a[(r->head + e) & (r->cap - 1)];
    free(r->a);
    r->a = a;
    r->cap = cap;
    r->head = 0;
    return 0;
}

int gen_defer_push(gen_defer *d, int k, uint32_t i, const ts_candle *x)
{
    ring *r = &d->q[k];
    if (r->n == r->cap && grow(r) != 0)
        return -1;
    r->a[(r->head + r->n) & (r->cap - 1)] = (item){i, *x};
    r->n++;
    d->count++;
    return 0;
}

static void take(gen_defer *d, int k, uint32_t *i, ts_candle *x)
{
    ring *r = &d->q[k];
    const item *it = &r->a[r->head];
    *i = it->i;
    *x = it->x;
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
    d->count--;
}

int gen_defer_pop(gen_defer *d, int64_t t, int64_t *budget, int *k, uint32_t *i, ts_candle *x)
{
    if (d->count == 0)
        return 0;
    /* Overdue: the bucket after this candle's closes at or before t. The
     * queues hold their candles in bucket order, so a head that is not
     * overdue has nothing overdue behind it. */
    for (int j = 0; j < d->ladder.n; j++) {
        const ring *r = &d->q[j];
        if (r->n > 0 && ((d->urgent >> j & 1) || r->a[r->head].x.t + 2 * d->ladder.lv[j].width_ms <= t)) {
            take(d, j, i, x);
            *k = j;
            (*budget)--;
            return 1;
        }
    }
    if (*budget <= 0)
        return 0;
    for (int j = 0; j < d->ladder.n; j++)
        if (d->q[j].n > 0) {
            take(d, j, i, x);
            *k = j;
            (*budget)--;
            return 1;
        }
    return 0;
}

int64_t gen_defer_budget(int64_t cur, int64_t max, int64_t delay_ms, int64_t interval_ms)
{
    int64_t step = max / 8 > 0 ? max / 8 : 1;
    if (4 * delay_ms > 3 * interval_ms)
        cur /= 2;
    else if (2 * delay_ms < interval_ms)
        cur += step;
    return cur < step ? step : cur > max ? max : cur;
}

int64_t gen_defer_need(const gen_defer *d, int64_t t, int64_t interval_ms)
{
    int64_t need = 0;
    for (int k = 0; k < d->ladder.n; k++) {
        const ring *r = &d->q[k];
        if (r->n == 0)
            continue;
        int64_t left = (r->a[r->head].x.t + 2 * d->ladder.lv[k].width_ms - t) / interval_ms;
        left = left > 1 && !(d->urgent >> k & 1) ? left : 1;
        need += ((int64_t)r->n + left - 1) / left;
    }
    return need;
}

void gen_defer_urgent(gen_defer *d, unsigned levels)
{
    d->urgent = levels;
}

uint64_t gen_defer_count(const gen_defer *d)
{
    return d->count;
}

void gen_defer_clear(gen_defer *d)
{
    for (int k = 0; k < TS_LEVELS_MAX; k++)
        d->q[k].head = d->q[k].n = 0;
    d->count = 0;
}
