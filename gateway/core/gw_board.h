/* gw_board.h — board subscriptions: many instruments (all, a prefix or a
 * list) in one frame per tick, the frame built once per worker and tick and
 * shared by every watcher of the same selection (gw_board.c tells why a
 * watcher gets every tick exactly once). */
#ifndef GW_BOARD_H
#define GW_BOARD_H

#include "gw_client.h"
#include "gw_feed.h"
#include "gw_meta.h"
#include "gw_metrics.h"
#include "gw_proto.h"

typedef struct gw_boards gw_boards;
typedef struct gw_watch gw_watch; /* one client's board subscription */

/* cmd carries the reads of the day's reference prices (gw_dayref.h). */
gw_boards *gw_boards_new(const gw_meta *meta, gw_feed *feed, gw_rconn *cmd, gw_wmetrics *m);
/* Every watcher must have been dropped. */
void gw_boards_free(gw_boards *bs);

/* A board request of c (req->op GW_OP_BOARD): *slot, the client's watcher
 * or NULL, is replaced. GW_OK, or the error to send with msg filled. */
gw_err gw_board_watch(gw_boards *bs, gw_watch **slot, gw_client *c, gw_fmt fmt, const gw_request *req, char *msg,
                      size_t msglen);
/* Ends *slot; -1 when there is none. */
int gw_board_unwatch(gw_boards *bs, gw_watch **slot);
/* The client started closing: nothing more is sent to *slot. */
void gw_board_detach(gw_watch *w);
/* The client is gone: frees *slot. */
void gw_board_drop(gw_boards *bs, gw_watch **slot);

/* The feed appended the row of time t (every instrument's price): one frame
 * per selection, sent to its live watchers. Returns the frames queued. */
size_t gw_boards_row(gw_boards *bs, int64_t t, const int32_t *row);
/* The ring started: watchers that waited for it get their answer. */
void gw_boards_ring_started(gw_boards *bs);
/* The worker's tick: a lost read of the day's references is sent again. */
void gw_boards_tick(gw_boards *bs);

#endif
