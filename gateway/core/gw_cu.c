/* gw_cu.c — see gw_cu.h; the reasons behind each branch are in gw_catchup.c. */
#include "gw_cu.h"

void gw_cu_init(gw_cu *cu, int64_t since, int64_t epoch)
{
    *cu = (gw_cu){.cursor = since, .last_sent = since, .epoch = epoch, .seek_ring_last = INT64_MIN};
}

/* The streams have been read up to where the ring takes over. */
static int reached_ring(const gw_cu *cu, const gw_cu_env *e)
{
    return e->ring_count > 0 && cu->cursor + e->dt >= e->ring_first;
}

gw_cu_step gw_cu_resume(const gw_cu *cu, const gw_cu_env *e)
{
    return reached_ring(cu, e) ? GW_CU_LIVE : GW_CU_QUEUE;
}

int64_t gw_cu_window_end(const gw_cu_env *e, int64_t lo)
{
    return (lo / e->dt + e->chunk) * e->dt;
}

void gw_cu_next_range(const gw_cu *cu, const gw_cu_env *e, int window, int64_t *from, int64_t *to)
{
    *from = window && cu->nwin > 0 ? cu->win_end : cu->cursor;
    *to = window ? gw_cu_window_end(e, *from) : INT64_MAX;
}

void gw_cu_sent(gw_cu *cu, const gw_cu_env *e, int window, int64_t from, int64_t to)
{
    if (!window) {
        cu->seeking = 1;
        cu->seek_ring_last = e->ring_count > 0 ? e->ring_last : INT64_MIN;
        return;
    }
    if (cu->nwin++ == 0)
        cu->win_lo = from;
    cu->win_end = to;
}

int gw_cu_may_pipeline(const gw_cu *cu, const gw_cu_env *e, size_t queued, size_t hist_max, size_t pace)
{
    int64_t read_to = cu->nwin > 0 ? cu->win_end : cu->cursor;
    return cu->nwin < GW_CU_PIPELINE && !cu->seeking && e->ring_count > 0 && read_to + e->dt < e->ring_first &&
           queued + cu->nwin * hist_max <= pace;
}

gw_cu_step gw_cu_on_reply(gw_cu *cu, const gw_cu_env *e, gw_cu_where where, const gw_cu_reply *r, int64_t *after)
{
    /* Which read this reply answers: the oldest window, else the seek. */
    int window = cu->nwin > 0;
    int64_t lo = cu->cursor, hi = 0;
    if (window) {
        lo = cu->win_lo;
        hi = cu->win_lo = gw_cu_window_end(e, lo);
        cu->nwin--;
    } else {
        cu->seeking = 0;
    }
    *after = cu->cursor;
    if (where == GW_CU_ORPHAN)
        return gw_cu_busy(cu) ? GW_CU_STALE : GW_CU_FREE;
    if (r->status == GW_CU_REPLY_LOST)
        return where == GW_CU_READING && !gw_cu_busy(cu) ? GW_CU_RETRY : GW_CU_STALE;
    /* Unusable: the subscription went live or is closing, the history
     * changed, or a window behind one that came back short (the seek sent
     * then reads past it). */
    if (where != GW_CU_READING || lo > cu->cursor)
        return GW_CU_STALE;
    /* Refused, or the history changed under the read: the client is told and
     * subscribes again (the worker closes clients on a new epoch anyway). */
    if (r->status == GW_CU_REPLY_ERROR || cu->epoch != e->epoch)
        return GW_CU_FAIL;
    if (r->last_t != INT64_MIN && r->last_t > cu->cursor)
        cu->cursor = r->last_t;
    /* Complete: the stream goes on after this reply, as far as it tells. */
    int complete = window ? cu->cursor >= hi : r->n >= (size_t)e->chunk;
    if (reached_ring(cu, e))
        return GW_CU_LIVE; /* windows still in flight are stale now */
    if (complete)
        return GW_CU_READ_ON;
    if (window)
        return GW_CU_SEEK;
    if (e->ring_count == 0)
        return GW_CU_WAIT_SYNC;
    if (e->ring_first - e->dt > cu->seek_ring_last)
        return GW_CU_QUEUE; /* the ring moved on while the seek was out: read on */
    cu->cursor = e->ring_first - e->dt;
    return GW_CU_SKIP_HOLE;
}

const char *gw_cu_step_name(gw_cu_step s)
{
    static const char *const names[] = {"stale", "free", "retry", "fail", "queue", "live",
                                        "read_on", "seek", "wait_sync", "skip_hole"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
