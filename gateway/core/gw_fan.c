/* gw_fan.c — see gw_fan.h.
 *
 * What a subscription is sent of the rows after its cursor: its
 * instrument's prices, skipping the rows it has none in (GW_MISSING), as
 * runs of consecutive ticks. A run of one tick that follows last_sent (what
 * the client was last told) is a `tick`; any other run is a hist with
 * `more: false` — several ticks at once, or a tick after a hole, which must
 * never look like a silent jump (gw_catchup.c). SSE has no runs: a tick
 * event each, every one carrying its id. A live candle subscription has
 * neither: its ticks go to its sink, one call each.
 *
 * Nearly always every subscription of an instrument stands at the same
 * cursor and the rows have no hole: then the message is encoded once per
 * instrument and format and the same bytes are queued to each client. */
#include "gw_fan.h"

#include <stdlib.h>

void gw_fan_free(gw_fan *fan)
{
    for (int k = 0; k < GW_FMT_COUNT; k++)
        gw_buf_free(&fan->enc[k]);
    gw_buf_free(&fan->one);
    free(fan->col);
    fan->col = NULL;
    fan->col_cap = 0;
}

/* Queues one run of col[a..a+n) starting at t0; *told is the client's
 * last_sent, moved to the run's last tick. -1 once the client is closing. */
static int send_run(gw_fan *fan, const gw_meta *meta, gw_sub *s, const int32_t *p, uint32_t n, int64_t t0,
                    int64_t *told)
{
    int64_t dt = meta->interval_ms, last = t0 + (int64_t)(n - 1) * dt;
    const char *name = meta->names[s->inst];
    gw_buf *b = &fan->one;
    int rc = 0;
    if (s->fmt == GW_FMT_SSE) {
        for (uint32_t k = 0; k < n && rc == 0; k++) {
            gw_buf_reset(b);
            gw_enc_tick(b, GW_FMT_SSE, name, t0 + (int64_t)k * dt, p[k]);
            if (!b->oom)
                rc = gw_client_send_tick(s->c, s->inst, t0 + (int64_t)k * dt, b->data, b->len, 1);
        }
    } else {
        gw_buf_reset(b);
        if (n == 1 && t0 == *told + dt)
            gw_enc_tick(b, s->fmt, name, t0, p[0]);
        else
            gw_enc_hist(b, s->fmt, name, meta->epoch, t0, dt, p, n, last, 0);
        if (!b->oom)
            rc = gw_client_send_live(s->c, b->data, b->len);
    }
    *told = last;
    return rc;
}

/* The rows a.. of a subscription whose rows have holes or exceed a run:
 * encoded for it alone. Returns the messages queued. */
static uint64_t send_split(gw_fan *fan, const gw_meta *meta, const gw_ring *r, gw_sub *s, uint32_t a, int64_t chunk)
{
    int64_t told = s->cu.last_sent;
    /* Moved first: a send may close the client, which frees s. */
    s->cu.cursor = gw_ring_last(r);
    for (uint32_t j = a; j < r->count; j++)
        if (fan->col[j] != GW_MISSING)
            s->cu.last_sent = gw_ring_time(r, j);
    uint64_t sent = 0;
    uint32_t j = a;
    while (j < r->count) {
        if (fan->col[j] == GW_MISSING) {
            j++;
            continue;
        }
        uint32_t n = 1;
        while (j + n < r->count && fan->col[j + n] != GW_MISSING && n < chunk)
            n++;
        sent++;
        if (send_run(fan, meta, s, fan->col + j, n, gw_ring_time(r, j), &told) != 0)
            break;
        j += n;
    }
    return sent;
}

/* A live candle subscription (gw_sub.h): each tick of rows a.. to its
 * sink, in order. A sink may send, and so close the client, which frees s
 * and the sink: the client itself stays (gw_client.h), so its `closing`
 * says when to stop. */
static void to_sink(const gw_fan *fan, const gw_ring *r, gw_sub *s, uint32_t a)
{
    gw_client *c = s->c;
    const gw_sink *k = s->sink;
    s->cu.cursor = gw_ring_last(r);
    for (uint32_t j = a; j < r->count; j++)
        if (fan->col[j] != GW_MISSING)
            s->cu.last_sent = gw_ring_time(r, j);
    for (uint32_t j = a; j < r->count && !c->closing; j++)
        if (fan->col[j] != GW_MISSING)
            k->tick(k->arg, gw_ring_time(r, j), fan->col[j], 1);
}

uint64_t gw_fan_out(gw_fan *fan, const gw_meta *meta, const gw_ring *r, h2o_linklist_t *live, int64_t chunk)
{
    if (r->count == 0)
        return 0;
    if (fan->col_cap < r->count) {
        int32_t *c = realloc(fan->col, (size_t)r->count * sizeof(int32_t));
        if (c == NULL)
            return 0; /* cursors stay: the next fan-out sends these rows */
        fan->col = c;
        fan->col_cap = r->count;
    }
    int64_t last = gw_ring_last(r), dt = meta->interval_ms;
    uint64_t sent = 0;
    for (uint32_t i = 0; i < meta->count; i++) {
        if (h2o_linklist_is_empty(&live[i]))
            continue;
        for (int k = 0; k < GW_FMT_COUNT; k++)
            fan->enc_tick[k] = -1;
        uint32_t filled = r->count; /* col[filled..count) holds instrument i */
        int64_t hole = -1;          /* the last row of those with no price, or -1 */
        h2o_linklist_t *next;
        /* A send may close its client, which unlinks all of the client's subs
         * (gw_session.c on_closing), and a client may hold several subs of
         * one instrument (ticks, candle widths): when the next one went with
         * them, start again from the head — every sub already served has its
         * cursor at `last` and is skipped. */
        for (h2o_linklist_t *l = live[i].next; l != &live[i];
             l = h2o_linklist_is_linked(next) ? next : live[i].next) {
            next = l->next;
            gw_sub *s = H2O_STRUCT_FROM_MEMBER(gw_sub, link, l);
            if (s->cu.cursor >= last)
                continue;
            uint32_t a = gw_ring_after(r, s->cu.cursor);
            for (; filled > a; filled--) {
                int32_t p = gw_ring_row(r, filled - 1)[i];
                fan->col[filled - 1] = p;
                if (p == GW_MISSING && hole < 0)
                    hole = filled - 1;
            }
            if (s->sink != NULL) {
                to_sink(fan, r, s, a);
                continue;
            }
            uint32_t n = r->count - a;
            if (hole >= a || n > chunk || (s->fmt == GW_FMT_SSE && n > 1)) {
                sent += send_split(fan, meta, r, s, a, chunk);
                continue;
            }
            int64_t t0 = gw_ring_time(r, a);
            int tick = s->fmt == GW_FMT_SSE || (n == 1 && t0 == s->cu.last_sent + dt);
            gw_buf *b = &fan->enc[s->fmt];
            if (fan->enc_tick[s->fmt] != tick || fan->enc_from[s->fmt] != a) {
                gw_buf_reset(b);
                if (tick)
                    gw_enc_tick(b, s->fmt, meta->names[i], t0, fan->col[a]);
                else
                    gw_enc_hist(b, s->fmt, meta->names[i], meta->epoch, t0, dt, fan->col + a, n, last, 0);
                fan->enc_tick[s->fmt] = tick;
                fan->enc_from[s->fmt] = a;
            }
            s->cu.cursor = s->cu.last_sent = last;
            if (!b->oom)
                gw_client_send_tick(s->c, i, last, b->data, b->len, 1);
            sent++;
        }
    }
    return sent;
}
