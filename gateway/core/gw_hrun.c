/* gw_hrun.c — see gw_hrun.h. */
#include "gw_hrun.h"

#include <stdlib.h>

#include "gw_buf.h"

struct gw_hrun {
    const gw_config *cfg;
    const gw_meta *meta;
    gw_buf enc[GW_FMT_COUNT]; /* scratch for one message, per gw_fmt */
    int32_t *run;             /* the prices of the run being gathered */
    size_t run_n, run_cap;
    int64_t run_t0;
};

gw_hrun *gw_hrun_new(const gw_config *cfg, const gw_meta *meta)
{
    gw_hrun *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->cfg = cfg;
    h->meta = meta;
    return h;
}

void gw_hrun_free(gw_hrun *h)
{
    if (h == NULL)
        return;
    for (int f = 0; f < GW_FMT_COUNT; f++)
        gw_buf_free(&h->enc[f]);
    free(h->run);
    free(h);
}

static void send_enc(gw_hrun *h, gw_sub *s)
{
    gw_buf *b = &h->enc[s->fmt];
    if (!b->oom && b->len != 0)
        gw_client_send(s->c, b->data, b->len);
    gw_buf_reset(b);
}

void gw_hrun_err(gw_hrun *h, gw_sub *s, gw_err code, const char *msg)
{
    gw_enc_err(&h->enc[s->fmt], s->fmt, code, msg, h->meta->names[s->inst], -1);
    send_enc(h, s);
}

/* SSE: an event per tick (a cut stream resumes after the last), `live` left in b at the end. */
static void run_flush_sse(gw_hrun *h, gw_sub *s, gw_buf *b, int more)
{
    for (size_t i = 0; i < h->run_n && !s->c->closing; i++, gw_buf_reset(b)) {
        s->cu.last_sent = h->run_t0 + (int64_t)i * h->meta->interval_ms;
        gw_enc_tick(b, GW_FMT_SSE, h->meta->names[s->inst], s->cu.last_sent, h->run[i]);
        if (!b->oom)
            gw_client_send_tick(s->c, s->inst, s->cu.last_sent, b->data, b->len, 0);
    }
    h->run_n = 0;
    if (!more)
        gw_enc_sse_live(b, h->meta->names[s->inst], h->meta->epoch, s->cu.last_sent);
}

void gw_hrun_flush(gw_hrun *h, gw_sub *s, int more)
{
    const gw_meta *meta = h->meta;
    int64_t dt = meta->interval_ms;
    gw_buf *b = &h->enc[s->fmt];
    if (s->sink != NULL) {
        if (!more)
            s->sink->caught_up(s->sink->arg);
        return;
    }
    if (s->fmt == GW_FMT_SSE) {
        run_flush_sse(h, s, b, more); /* b is empty unless more == 0 */
    } else if (h->run_n == 0) {
        if (more)
            return;
        /* Nothing (more) to catch up: the final hist is empty and repeats the
         * last time the client was told of (PROTOCOL.md), not cursor. */
        gw_enc_hist(b, s->fmt, meta->names[s->inst], meta->epoch, s->cu.last_sent, dt, NULL, 0, s->cu.last_sent, 0);
    } else {
        int64_t last = h->run_t0 + (int64_t)(h->run_n - 1) * dt;
        gw_enc_hist(b, s->fmt, meta->names[s->inst], meta->epoch, h->run_t0, dt, h->run, h->run_n, last, more);
        s->cu.last_sent = last;
        h->run_n = 0;
    }
    send_enc(h, s);
}

void gw_hrun_add(gw_hrun *h, gw_sub *s, int64_t t, int32_t p)
{
    if (s->sink != NULL) { /* a candle subscription folds its ticks (gw_candles.c) */
        s->cu.last_sent = t;
        s->sink->tick(s->sink->arg, t, p, 0);
        return;
    }
    if (h->run_n > 0 && (t != h->run_t0 + (int64_t)h->run_n * h->meta->interval_ms ||
                         h->run_n >= (size_t)h->cfg->chunk))
        gw_hrun_flush(h, s, 1);
    if (h->run_n == h->run_cap) {
        size_t cap = h->run_cap ? h->run_cap * 2 : 1024;
        int32_t *r = realloc(h->run, cap * sizeof(int32_t));
        if (r == NULL)
            return; /* the client sees a hole it can resume after */
        h->run = r;
        h->run_cap = cap;
    }
    if (h->run_n == 0)
        h->run_t0 = t;
    h->run[h->run_n++] = p;
}

void gw_hrun_drop(gw_hrun *h)
{
    h->run_n = 0;
}
