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
 * selection's order) is the board at t, a snapshot; NULL when the client
 * resumes: it keeps what it holds, and bt frames after t follow. */
void gw_enc_board(gw_buf *b, gw_fmt f, int64_t epoch, int64_t dt, const char (*names)[GW_SYM_MAX], const uint32_t *sel,
                  uint32_t n, int64_t t, const int32_t *p);
/* One tick of a board: row holds every instrument's price at t (a ring row);
 * the frame carries row[sel[i]] for i < n (sel NULL: row[0..n)). */
void gw_enc_btick(gw_buf *b, gw_fmt f, int64_t t, const int32_t *row, const uint32_t *sel, uint32_t n);

#endif
