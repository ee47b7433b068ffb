/* gw_ring.c — see gw_ring.h. */
#include "gw_ring.h"

#include <stdlib.h>
#include <string.h>

int gw_ring_init(gw_ring *r, uint32_t n, uint32_t cap, int64_t dt)
{
    memset(r, 0, sizeof(*r));
    if (n == 0 || cap == 0 || dt <= 0)
        return -1;
    r->rows = malloc((size_t)n * cap * sizeof(int32_t));
    if (r->rows == NULL)
        return -1;
    r->n = n;
    r->cap = cap;
    r->dt = dt;
    return 0;
}

void gw_ring_free(gw_ring *r)
{
    free(r->rows);
    memset(r, 0, sizeof(*r));
}

void gw_ring_clear(gw_ring *r)
{
    r->head = 0;
    r->count = 0;
    r->first = 0;
}

/* Writes one row after the last, dropping the oldest when full. */
static void push(gw_ring *r, const int32_t *prices)
{
    uint32_t slot;
    if (r->count < r->cap) {
        slot = r->head + r->count;
        if (slot >= r->cap)
            slot -= r->cap;
        r->count++;
    } else {
        slot = r->head;
        r->head = r->head + 1 == r->cap ? 0 : r->head + 1;
        r->first += r->dt;
    }
    int32_t *row = r->rows + (size_t)slot * r->n;
    if (prices != NULL) {
        memcpy(row, prices, (size_t)r->n * sizeof(int32_t));
    } else {
        for (uint32_t i = 0; i < r->n; i++)
            row[i] = GW_MISSING;
    }
}

int gw_ring_append(gw_ring *r, int64_t t, const int32_t *prices)
{
    if (r->count == 0) {
        r->first = t;
        push(r, prices);
        return 0;
    }
    int64_t last = gw_ring_last(r);
    if (t <= last)
        return -1;
    int64_t gap = t - last;
    if (gap % r->dt != 0 || gap / r->dt > (int64_t)r->cap) {
        gw_ring_clear(r);
        r->first = t;
        push(r, prices);
        return 1;
    }
    for (int64_t k = gap / r->dt - 1; k > 0; k--)
        push(r, NULL);
    push(r, prices);
    return 0;
}

uint32_t gw_ring_after(const gw_ring *r, int64_t since)
{
    if (r->count == 0 || since < r->first)
        return 0;
    int64_t i = (since - r->first) / r->dt + 1;
    return i >= (int64_t)r->count ? r->count : (uint32_t)i;
}
