/* gw_benc.h — the board's messages to clients (docs/PROTOCOL.md "Boards"),
 * msgpack and JSON, without I/O. A board is a selection of instruments, in
 * index order; its messages carry prices in the selection's order, and a
 * price the board does not know (GW_MISSING) as null. */
#ifndef GW_BENC_H
#define GW_BENC_H

#include <stddef.h>
#include <stdint.h>

#include "gw_buf.h"
#include "gw_proto.h"

/* The start of a board's answer: its names (names[sel[i]]), the interval and
 * epoch, and the time t it brings the client to. p (n prices, in the
 * selection's order) is the board at t, a snapshot, with the start of t's day
 * and ref (n prices, in the same order), each instrument's reference price
 * for the day's change; p NULL when the client resumes: it keeps what it
 * holds (day and ref are then sent as null), and bt frames after t follow. */
typedef struct gw_board_head {
    int64_t epoch, dt, t, day;
    const char (*names)[GW_SYM_MAX];
    const uint32_t *sel; /* NULL: names[0..n) */
    uint32_t n;
    const int32_t *p;   /* n prices, or NULL: a resume */
    const int32_t *ref; /* n prices; with p only */
} gw_board_head;
void gw_enc_board(gw_buf *b, gw_fmt f, const gw_board_head *h);
/* One tick of a board: row holds every instrument's price at t (a ring row);
 * the frame carries row[sel[i]] for i < n (sel NULL: row[0..n)). */
void gw_enc_btick(gw_buf *b, gw_fmt f, int64_t t, const int32_t *row, const uint32_t *sel, uint32_t n);

#endif
