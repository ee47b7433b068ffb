/* gen_inflight.c — see gen_inflight.h. */
#include "gen_inflight.h"

#include <string.h>

void gen_inflight_init(gen_inflight *f, int64_t interval_ms)
{
    memset(f, 0, sizeof(*f));
    f->interval_ms = interval_ms;
}

void gen_inflight_clear(gen_inflight *f)
{
    f->head = f->n = 0;
}

int gen_inflight_count(const gen_inflight *f)
{
    return f->n;
}

int gen_inflight_push(gen_inflight *f, int64_t first, int64_t end, int64_t sent_us)
{
    if (f->n == GEN_INFLIGHT_MAX)
        return -1;
    int i = (f->head + f->n) % GEN_INFLIGHT_MAX;
    f->q[i].next_t = first;
    f->q[i].end_t = end;
    f->q[i].sent_us = sent_us;
    f->n++;
    return 0;
}

int gen_inflight_ack(gen_inflight *f, int64_t now_ms, int64_t mono_us, gen_stats *s)
{
    if (f->n == 0)
        return -1;
    gen_inflight_batch *b = &f->q[f->head];
    int64_t t = b->next_t, delay = now_ms - t, since_sent = (mono_us - b->sent_us) / 1000;
    /* A backfilled tick time was due before its batch began: what its
     * answer says of Redis is the time since then. */
    f->last_delay_ms = since_sent < delay ? since_sent : delay;
    s->delay_ms_max = delay > s->delay_ms_max ? delay : s->delay_ms_max;
    s->late += delay > f->interval_ms;
    if (t < b->end_t) {
        b->next_t = t + f->interval_ms;
        return 0;
    }
    int64_t lat = mono_us - b->sent_us;
    s->latency_us_sum += lat;
    s->latency_us_max = lat > s->latency_us_max ? lat : s->latency_us_max;
    int k = 0;
    while (k < GEN_LAT_BUCKETS && lat > gen_lat_bounds_us[k])
        k++;
    s->lat_count[k]++;
    s->batches++;
    f->head = (f->head + 1) % GEN_INFLIGHT_MAX;
    f->n--;
    return 1;
}
