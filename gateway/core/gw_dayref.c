/* gw_dayref.c — the day's reference prices (gw_dayref.h tells where they
 * come from).
 *
 * Why a row never spoils a read, nor a read a row: while the XRANGEs are
 * out, rows keep arriving on the subscriber connection and fill the
 * references still unknown; a reply then replaces that guess with the
 * stream's first tick of the day, which is never later than any row of the
 * day (the generator XADDs a tick before it PUBLISHes it). A reply that
 * finds no tick of the day leaves the row's guess, which is then the first:
 * the XRANGE ran before that tick was written. A read of a day the rows have
 * since left is dropped (gen), and the new day's references come from its
 * first row. */
#include "gw_dayref.h"

#include <stdlib.h>

#include "gw_ring.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_names.h"
#include "ts_time.h"

typedef enum { D_NONE, D_WANT, D_READING, D_READY } dstate;

/* One read: its XRANGEs, answered in the order sent; freed by the last reply. */
typedef struct read_batch {
    gw_dayref *d;
    uint32_t gen, next, left;
} read_batch;

struct gw_dayref {
    const gw_meta *meta;
    gw_rconn *cmd;
    void (*on_ready)(void *arg);
    void *arg;
    dstate state;
    uint32_t gen;     /* a restart or a roll abandons the read in flight */
    int64_t day;      /* start of the current day, ms */
    uint32_t n;       /* instruments in ref */
    uint32_t unknown; /* references still GW_MISSING */
    int32_t *ref;
    int64_t *ref_t;   /* the time of each reference's tick */
    int64_t read_us;  /* mono us the read in flight was sent */
};

gw_dayref *gw_dayref_new(const gw_meta *meta, gw_rconn *cmd, void (*on_ready)(void *arg), void *arg)
{
    gw_dayref *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->meta = meta;
    d->cmd = cmd;
    d->on_ready = on_ready;
    d->arg = arg;
    return d;
}

void gw_dayref_free(gw_dayref *d)
{
    if (d == NULL)
        return;
    free(d->ref);
    free(d->ref_t);
    free(d);
}

int gw_dayref_ready(const gw_dayref *d)
{
    return d->state == D_READY;
}

int64_t gw_dayref_day(const gw_dayref *d)
{
    return d->day;
}

int32_t gw_dayref_at(const gw_dayref *d, uint32_t inst, int64_t t)
{
    return inst < d->n && d->ref_t[inst] <= t ? d->ref[inst] : GW_MISSING;
}

static int64_t day_of(int64_t t)
{
    return t - t % GW_DAY_MS;
}

/* Forgets every reference: a new day (or a new ring) of n instruments. */
static int forget(gw_dayref *d, int64_t day)
{
    uint32_t n = d->meta->count;
    if (n != d->n) {
        int32_t *p = realloc(d->ref, (size_t)(n ? n : 1) * sizeof(int32_t));
        if (p != NULL)
            d->ref = p;
        int64_t *pt = realloc(d->ref_t, (size_t)(n ? n : 1) * sizeof(int64_t));
        if (pt != NULL)
            d->ref_t = pt;
        if (p == NULL || pt == NULL)
            return -1;
        d->n = n;
    }
    for (uint32_t i = 0; i < n; i++) {
        d->ref[i] = GW_MISSING;
        d->ref_t[i] = INT64_MAX;
    }
    d->unknown = n;
    d->day = day;
    d->gen++;
    return 0;
}

static void on_read(redisAsyncContext *ac, void *r, void *priv)
{
    read_batch *rb = priv;
    gw_dayref *d = rb->d;
    const redisReply *reply = r;
    uint32_t inst = rb->next++;
    int mine = rb->gen == d->gen && d->state == D_READING;
    (void)ac;
    if (--rb->left == 0)
        free(rb);
    if (!mine)
        return;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        ts_warn("day references: XRANGE failed (%s); read again when the connection is up",
                reply == NULL ? "connection lost" : reply->type == REDIS_REPLY_ERROR ? reply->str : "?");
        d->state = D_WANT;
        d->gen++;
        return;
    }
    int64_t t;
    int32_t p;
    if (reply->elements > 0 && ts_entry_from_reply(reply->element[0], &t, &p) == 0 && t < d->day + GW_DAY_MS &&
        inst < d->n) {
        d->unknown -= d->ref[inst] == GW_MISSING;
        d->ref[inst] = p;
        d->ref_t[inst] = t;
    }
    if (inst + 1 == d->n) {
        ts_info("day references of %u instruments read from the streams in %lld ms", d->n,
                (long long)((ts_mono_us() - d->read_us) / 1000));
        d->state = D_READY;
        d->on_ready(d->arg);
    }
}

static void read_day(gw_dayref *d)
{
    d->state = D_WANT;
    if (!d->cmd->up)
        return;
    read_batch *rb = malloc(sizeof(*rb));
    if (rb == NULL)
        return; /* tried again at the next tick */
    *rb = (read_batch){.d = d, .gen = ++d->gen};
    d->state = D_READING;
    d->read_us = ts_mono_us();
    for (uint32_t i = 0; i < d->n; i++) {
        char key[64];
        ts_tick_key(key, sizeof(key), d->meta->names[i]);
        if (redisAsyncCommand(d->cmd->ac, on_read, rb, "XRANGE %s %lld + COUNT 1", key, (long long)d->day) != REDIS_OK) {
            d->state = D_WANT;
            d->gen++;
            if (rb->left == 0)
                free(rb);
            gw_rconn_lost(d->cmd, "command refused");
            return;
        }
        rb->left++;
    }
    if (d->n == 0) {
        free(rb);
        d->state = D_READY;
        d->on_ready(d->arg);
    }
}

void gw_dayref_tick(gw_dayref *d)
{
    if (d->state == D_WANT && d->cmd->up)
        read_day(d);
}

/* Unknown references take this row's prices: the first of the day seen. */
static void fill(gw_dayref *d, int64_t t, const int32_t *row)
{
    for (uint32_t i = 0; i < d->n && d->unknown > 0; i++)
        if (d->ref[i] == GW_MISSING && row[i] != GW_MISSING) {
            d->ref[i] = row[i];
            d->ref_t[i] = t;
            d->unknown--;
        }
}

void gw_dayref_row(gw_dayref *d, int64_t t, const int32_t *row, int first)
{
    int64_t day = day_of(t);
    int now_ready = 0;
    if (first || d->state == D_NONE) {
        if (forget(d, day) != 0) {
            d->state = D_NONE; /* out of memory: the next row tries again */
            return;
        }
        read_day(d);
    } else if (day > d->day) {
        /* Midnight: this row is the new day's first (rows come with no hole),
         * so the new day needs no read; one in flight is of the old day. */
        now_ready = d->state != D_READY;
        if (forget(d, day) != 0) {
            d->state = D_NONE;
            return;
        }
        d->state = D_READY;
    }
    fill(d, t, row);
    if (now_ready) /* after the fill: a board that joins now holds this row */
        d->on_ready(d->arg);
}
