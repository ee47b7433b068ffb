/* gw_board.c — board subscriptions: snapshot or resume, then one frame per tick.
 *
 * Why a watcher gets every tick after its `since` exactly once, in order —
 * the argument of gw_catchup.c, for rows instead of one instrument:
 *  - Every row enters the ring through gw_feed.c's append_row, which in the
 *    same call hands it to gw_boards_row, which sends it to every LIVE
 *    watcher with t > its cursor and moves the cursor to t.
 *  - A watcher goes LIVE in one synchronous step on the worker's thread:
 *    it is sent the ring's rows after `since` (or a snapshot at the ring's
 *    last row), its cursor is set to the ring's last row, and it joins the
 *    board's list. No row can be appended in between, so every later row
 *    comes by broadcast and every earlier one came from the ring.
 *  - The ring's rows are consecutive (gw_ring.h) and the feed fills a hole in
 *    ts:live from the streams before any newer row, so "the rows after
 *    since" are all the ticks after since, when the ring reaches back to
 *    since (first - dt <= since). Only then does a watcher resume; else it
 *    gets a fresh snapshot (its t tells the client what it missed).
 *  - With no ring yet (a gateway just started), the watcher waits for the
 *    ring's first row (gw_boards_ring_started), which the feed appends after
 *    reading the recent past from the streams (its prefill), and for the
 *    day's reference prices that row makes gw_dayref read (a snapshot
 *    carries them; a watcher's client rolls them itself at midnight, from
 *    the frames, as gw_dayref does).
 * The frame of a tick is encoded once per selection and format, at its
 * first watcher in that format, and copied to the others' send queues. */
#include "gw_board.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_benc.h"
#include "gw_dayref.h"
#include "ts_names.h"

typedef struct board {
    h2o_linklist_t link;     /* in bs->boards */
    h2o_linklist_t live;     /* its LIVE watchers */
    uint32_t refs;           /* watchers attached (waiting or live); 0: freed at the next gc */
    uint32_t n;              /* instruments */
    uint32_t *sel;           /* their indices, ascending; NULL: all of them */
    gw_buf enc[2];           /* the current tick's frame, per gw_fmt */
} board;

typedef enum { W_WAIT, W_LIVE, W_DETACHED } wstate;

struct gw_watch {
    board *b;
    gw_client *c;
    gw_fmt fmt;
    wstate state;
    gw_wmetrics *m; /* its worker's, for the watcher gauge */
    int64_t since;  /* the client's since, while waiting */
    int64_t cursor; /* every row with t <= cursor was sent, or predates the snapshot */
    h2o_linklist_t link; /* in its board's live list, or bs->waiting */
};

struct gw_boards {
    const gw_meta *meta;
    gw_feed *feed;
    gw_wmetrics *m;
    gw_dayref *day; /* the reference prices of the day's change */
    h2o_linklist_t boards, waiting;
    gw_buf scratch; /* one watcher's own message (snapshot, ring rows) */
    int32_t *snap;  /* a snapshot: snap_cap prices, then snap_cap references */
    uint32_t snap_cap;
};

static void join_waiting(void *arg);

gw_boards *gw_boards_new(const gw_meta *meta, gw_feed *feed, gw_rconn *cmd, gw_wmetrics *m)
{
    gw_boards *bs = calloc(1, sizeof(*bs));
    if (bs == NULL)
        return NULL;
    bs->day = gw_dayref_new(meta, cmd, join_waiting, bs);
    if (bs->day == NULL) {
        free(bs);
        return NULL;
    }
    bs->meta = meta;
    bs->feed = feed;
    bs->m = m;
    h2o_linklist_init_anchor(&bs->boards);
    h2o_linklist_init_anchor(&bs->waiting);
    return bs;
}

static void board_free(board *b)
{
    h2o_linklist_unlink(&b->link);
    gw_buf_free(&b->enc[0]);
    gw_buf_free(&b->enc[1]);
    free(b->sel);
    free(b);
}

/* Frees the boards nobody watches. Not from inside a send: a send may
 * detach a watcher of the board being walked. */
static void gc(gw_boards *bs)
{
    h2o_linklist_t *next;
    for (h2o_linklist_t *l = bs->boards.next; l != &bs->boards; l = next) {
        next = l->next;
        board *b = H2O_STRUCT_FROM_MEMBER(board, link, l);
        if (b->refs == 0)
            board_free(b);
    }
}

void gw_boards_free(gw_boards *bs)
{
    if (bs == NULL)
        return;
    while (!h2o_linklist_is_empty(&bs->boards))
        board_free(H2O_STRUCT_FROM_MEMBER(board, link, bs->boards.next));
    gw_buf_free(&bs->scratch);
    gw_dayref_free(bs->day);
    free(bs->snap);
    free(bs);
}

/* ---- selections ---- */

/* The request's instruments as ascending indices into *sel (NULL: all) and
 * their count into *n; GW_OK or the error, with msg. */
static gw_err select_of(const gw_boards *bs, const gw_request *req, uint32_t **sel, uint32_t *n, char *msg,
                        size_t msglen)
{
    const gw_meta *meta = bs->meta;
    *sel = NULL;
    *n = meta->count;
    if (!req->have_list && req->prefix[0] == '\0')
        return GW_OK;
    uint8_t *in = calloc(meta->count, 1);
    if (in == NULL)
        goto oom;
    uint32_t k = 0;
    if (req->have_list) {
        const char *name = req->list;
        for (uint32_t i = 0; i < req->nlist; i++, name += strlen(name) + 1) {
            int64_t inst = ts_instrument_index(name, meta->count);
            if (inst < 0) {
                snprintf(msg, msglen, "unknown instrument \"%s\" (see /api/config)", name);
                free(in);
                return GW_E_UNKNOWN_SYM;
            }
            k += !in[inst];
            in[inst] = 1;
        }
    } else {
        size_t pl = strlen(req->prefix);
        for (uint32_t i = 0; i < meta->count; i++)
            if (!strncmp(meta->names[i], req->prefix, pl))
                in[i] = 1, k++;
        if (k == 0) {
            snprintf(msg, msglen, "no instrument starts with \"%s\" (see /api/config)", req->prefix);
            free(in);
            return GW_E_UNKNOWN_SYM;
        }
    }
    *sel = malloc((size_t)k * sizeof(uint32_t));
    if (*sel == NULL) {
        free(in);
        goto oom;
    }
    *n = 0;
    for (uint32_t i = 0; i < meta->count; i++)
        if (in[i])
            (*sel)[(*n)++] = i;
    free(in);
    return GW_OK;
oom:
    snprintf(msg, msglen, "out of memory");
    return GW_E_INTERNAL;
}

/* The board of this selection, shared, or a new one; takes sel. */
static board *board_of(gw_boards *bs, uint32_t *sel, uint32_t n)
{
    for (h2o_linklist_t *l = bs->boards.next; l != &bs->boards; l = l->next) {
        board *b = H2O_STRUCT_FROM_MEMBER(board, link, l);
        if (b->n == n && (b->sel == NULL) == (sel == NULL) &&
            (sel == NULL || !memcmp(b->sel, sel, (size_t)n * sizeof(uint32_t)))) {
            free(sel);
            return b;
        }
    }
    board *b = calloc(1, sizeof(*b));
    if (b == NULL) {
        free(sel);
        return NULL;
    }
    b->n = n;
    b->sel = sel;
    h2o_linklist_init_anchor(&b->live);
    h2o_linklist_insert(&bs->boards, &b->link);
    return b;
}

/* 1 when row holds a price of one of b's instruments. */
static int row_has(const board *b, const int32_t *row)
{
    for (uint32_t i = 0; i < b->n; i++)
        if (row[b->sel ? b->sel[i] : i] != GW_MISSING)
            return 1;
    return 0;
}

/* ---- joining ---- */

static void send_scratch(gw_boards *bs, gw_watch *w)
{
    if (!bs->scratch.oom)
        gw_client_send(w->c, bs->scratch.data, bs->scratch.len);
    gw_buf_reset(&bs->scratch);
}

/* Each selected instrument's last price in the ring (GW_MISSING: none),
 * then its reference for the day's change, as known at the ring's last row. */
static const int32_t *snapshot(gw_boards *bs, const board *b, const gw_ring *r)
{
    if (bs->snap_cap < b->n) {
        int32_t *p = realloc(bs->snap, (size_t)b->n * 2 * sizeof(int32_t));
        if (p == NULL)
            return NULL;
        bs->snap = p;
        bs->snap_cap = b->n;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t inst = b->sel ? b->sel[i] : i;
        int32_t p = GW_MISSING;
        for (uint32_t k = r->count; k-- > 0 && p == GW_MISSING;)
            p = gw_ring_row(r, k)[inst];
        bs->snap[i] = p;
        bs->snap[b->n + i] = gw_dayref_at(bs->day, inst, gw_ring_last(r));
    }
    return bs->snap;
}

/* The one step from the ring to live (see the top of this file). */
static void join(gw_boards *bs, gw_watch *w)
{
    const gw_meta *meta = bs->meta;
    const gw_ring *r = gw_feed_ring(bs->feed);
    board *b = w->b;
    int64_t dt = meta->interval_ms, last = gw_ring_last(r);
    int resume = w->since > 0 && w->since >= r->first - dt;
    gw_board_head h = {.epoch = meta->epoch, .dt = dt, .names = meta->names, .sel = b->sel, .n = b->n};
    if (resume) {
        h.t = w->since;
        gw_enc_board(&bs->scratch, w->fmt, &h);
        send_scratch(bs, w);
        for (uint32_t i = gw_ring_after(r, w->since); i < r->count && !w->c->closing; i++) {
            const int32_t *row = gw_ring_row(r, i);
            if (!row_has(b, row))
                continue;
            gw_enc_btick(&bs->scratch, w->fmt, gw_ring_time(r, i), row, b->sel, b->n);
            send_scratch(bs, w);
        }
        w->cursor = w->since > last ? w->since : last;
        GW_ADD(bs->m->board_resumes_total, 1);
    } else {
        const int32_t *p = snapshot(bs, b, r);
        if (p == NULL) {
            gw_client_close(w->c, 1011, "out of memory");
            return;
        }
        h.t = last;
        h.p = p;
        h.day = gw_dayref_day(bs->day);
        h.ref = p + b->n;
        gw_enc_board(&bs->scratch, w->fmt, &h);
        send_scratch(bs, w);
        w->cursor = last;
        GW_ADD(bs->m->board_snapshots_total, 1);
    }
    if (w->c->closing)
        return; /* detached by that send */
    w->state = W_LIVE;
    h2o_linklist_insert(&b->live, &w->link);
}

/* A watcher can join once the ring has rows and the day its references. */
static int can_join(const gw_boards *bs)
{
    return gw_feed_ring(bs->feed)->count > 0 && gw_dayref_ready(bs->day);
}

static void start(gw_boards *bs, gw_watch *w)
{
    if (can_join(bs)) {
        join(bs, w);
    } else {
        w->state = W_WAIT;
        h2o_linklist_insert(&bs->waiting, &w->link);
    }
}

static void join_waiting(void *arg)
{
    gw_boards *bs = arg;
    /* One at a time: a send may close a client and unlink its watcher. */
    while (can_join(bs) && !h2o_linklist_is_empty(&bs->waiting)) {
        gw_watch *w = H2O_STRUCT_FROM_MEMBER(gw_watch, link, bs->waiting.next);
        h2o_linklist_unlink(&w->link);
        join(bs, w);
    }
}

void gw_boards_ring_started(gw_boards *bs)
{
    join_waiting(bs);
}

void gw_boards_tick(gw_boards *bs)
{
    gw_dayref_tick(bs->day);
}

/* ---- watchers ---- */

void gw_board_detach(gw_watch *w)
{
    if (w == NULL || w->state == W_DETACHED)
        return;
    if (h2o_linklist_is_linked(&w->link))
        h2o_linklist_unlink(&w->link);
    w->state = W_DETACHED;
    GW_SUB(w->m->board_watchers, 1);
    w->b->refs--; /* the board is freed by a later gc, never under a send */
}

void gw_board_drop(gw_boards *bs, gw_watch **slot)
{
    (void)bs;
    gw_board_detach(*slot);
    free(*slot);
    *slot = NULL;
}

int gw_board_unwatch(gw_boards *bs, gw_watch **slot)
{
    if (*slot == NULL)
        return -1;
    gw_board_drop(bs, slot);
    return 0;
}

gw_err gw_board_watch(gw_boards *bs, gw_watch **slot, gw_client *c, gw_fmt fmt, const gw_request *req, char *msg,
                      size_t msglen)
{
    uint32_t *sel, n;
    gw_err e = select_of(bs, req, &sel, &n, msg, msglen);
    if (e != GW_OK)
        return e;
    gw_board_drop(bs, slot); /* a new board request replaces the old one */
    gc(bs);
    gw_watch *w = calloc(1, sizeof(*w));
    board *b = w != NULL ? board_of(bs, sel, n) : (free(sel), NULL);
    if (b == NULL) {
        free(w);
        snprintf(msg, msglen, "out of memory");
        return GW_E_INTERNAL;
    }
    b->refs++;
    *w = (gw_watch){.b = b, .c = c, .fmt = fmt, .m = bs->m, .since = req->since};
    GW_ADD(bs->m->board_watchers, 1);
    *slot = w;
    start(bs, w);
    return GW_OK;
}

/* ---- the tick ---- */

size_t gw_boards_row(gw_boards *bs, int64_t t, const int32_t *row)
{
    size_t sent = 0;
    gc(bs);
    /* Before the frames: a midnight may complete the references, and the
     * watchers waiting for them join with the ring as it is now. */
    gw_dayref_row(bs->day, t, row, gw_feed_ring(bs->feed)->count == 1);
    for (h2o_linklist_t *l = bs->boards.next; l != &bs->boards; l = l->next) {
        board *b = H2O_STRUCT_FROM_MEMBER(board, link, l);
        if (h2o_linklist_is_empty(&b->live) || !row_has(b, row))
            continue;
        int encoded[2] = {0, 0};
        h2o_linklist_t *next;
        for (h2o_linklist_t *wl = b->live.next; wl != &b->live; wl = next) {
            next = wl->next; /* a send may close this client and unlink its watcher */
            gw_watch *w = H2O_STRUCT_FROM_MEMBER(gw_watch, link, wl);
            if (t <= w->cursor)
                continue;
            gw_buf *e = &b->enc[w->fmt];
            if (!encoded[w->fmt]) {
                gw_buf_reset(e);
                gw_enc_btick(e, w->fmt, t, row, b->sel, b->n);
                encoded[w->fmt] = 1;
                GW_ADD(bs->m->board_frames_encoded_total, 1);
            }
            w->cursor = t;
            if (!e->oom)
                gw_client_send_live(w->c, e->data, e->len);
            sent++;
        }
    }
    GW_ADD(bs->m->board_frames_sent_total, sent);
    return sent;
}
