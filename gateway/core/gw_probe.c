/* gw_probe.c — see gw_probe.h. */
#include "gw_probe.h"

#include <stdlib.h>

#include "ts_entry.h"
#include "ts_time.h"

struct gw_probe {
    gw_rconn *cmd, *sub;
    int64_t rx_ms;       /* mono ms the last message arrived */
    int64_t at;          /* mono ms of the next look */
    int looking;         /* a look is in flight */
    int64_t look_rx_ms;  /* rx_ms when that look was sent */
    int64_t ring_last;   /* the feed's newest row when that look was sent */
    int strikes;         /* looks in a row that found the streams ahead of a silent feed */
};

gw_probe *gw_probe_new(gw_rconn *cmd, gw_rconn *sub)
{
    gw_probe *p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->cmd = cmd;
    p->sub = sub;
    p->rx_ms = p->at = ts_mono_ms();
    return p;
}

void gw_probe_free(gw_probe *p)
{
    free(p);
}

void gw_probe_heard(gw_probe *p)
{
    p->rx_ms = ts_mono_ms();
}

static void on_look(redisAsyncContext *ac, void *r, void *priv)
{
    gw_probe *p = priv;
    const redisReply *reply = r;
    (void)ac;
    p->looking = 0;
    p->at = ts_mono_ms() + 1000; /* while the feed stays quiet, look again soon */
    int ahead = 0;
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        int64_t t;
        int32_t price;
        ts_entry_from_reply(reply->element[0], &t, &price); /* only its time counts */
        ahead = t > p->ring_last;
    }
    /* Two looks in a row, with no message between: the first may just have
     * overtaken a message still unread on the subscriber's socket (a
     * generator that resumed a moment ago). */
    if (!ahead || p->rx_ms != p->look_rx_ms) {
        p->strikes = 0;
        return;
    }
    if (++p->strikes >= 2 && p->sub->up) {
        p->strikes = 0;
        gw_rconn_drop(p->sub, "no ts:live message while the streams moved on");
    }
}

void gw_probe_tick(gw_probe *p, const char *stream_key, int64_t ring_last, int64_t dt)
{
    int64_t now = ts_mono_ms(), quiet = 3 * dt > 3000 ? 3 * dt : 3000;
    if (now - p->rx_ms < quiet) {
        p->strikes = 0; /* the feed speaks */
        return;
    }
    if (!p->sub->up || !p->cmd->up || p->looking || now < p->at)
        return;
    if (redisAsyncCommand(p->cmd->ac, on_look, p, "XREVRANGE %s + - COUNT 1", stream_key) == REDIS_OK) {
        p->looking = 1;
        p->look_rx_ms = p->rx_ms;
        p->ring_last = ring_last;
    }
}
