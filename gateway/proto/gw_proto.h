/* gw_proto.h — the gateway's wire protocol (docs/PROTOCOL.md), without I/O.
 *
 * The client-message parser and the msgpack/JSON encoders take bytes and
 * return bytes, so tests/gw/test_proto.c checks them without sockets. Every
 * gateway → client message exists in both formats with the same keys: a
 * connection opened with ?format=json gets text frames, others msgpack. */
#ifndef GW_PROTO_H
#define GW_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "gw_buf.h"

/* SSE: Server-Sent Events, one event per tick (docs/PROTOCOL.md). */
typedef enum { GW_FMT_MSGPACK = 0, GW_FMT_JSON = 1, GW_FMT_SSE = 2, GW_FMT_COUNT } gw_fmt;

typedef enum { GW_OP_SUB = 1, GW_OP_UNSUB = 2, GW_OP_BOARD = 3, GW_OP_UNBOARD = 4, GW_OP_RANGE = 5 } gw_op;

/* Error codes of {"op":"err"}; gw_err_name gives the wire string. */
typedef enum {
    GW_OK = 0,
    GW_E_BAD_REQUEST,
    GW_E_BAD_JSON,
    GW_E_UNKNOWN_SYM,
    GW_E_BAD_SINCE,
    GW_E_TOO_MANY_SUBS,
    GW_E_NOT_SUBSCRIBED,
    GW_E_INTERNAL,
    GW_E_BAD_RANGE,
    GW_E_BUSY,
    GW_E_BAD_WIDTH,
    GW_E_COUNT
} gw_err;

const char *gw_err_name(gw_err e);

#define GW_SYM_MAX 64
#define GW_LIST_MAX 4096 /* bytes of a board's list of names (a request is at most --max-msg) */
/* Largest accepted since: 2^53, the last integer a JS number holds exactly,
 * and far from int64 overflow when the gateway adds intervals to it. */
#define GW_SINCE_MAX 9007199254740992LL

typedef struct gw_request {
    gw_op op;
    char sym[GW_SYM_MAX]; /* NUL-terminated; "" when absent */
    int sym_too_long;     /* the given sym did not fit: unknown_sym */
    int64_t since;
    int64_t width;        /* sub, unsub: candles of this many ms (0: ticks) */
    /* board: a name prefix ("" = every instrument), or a list of names */
    char prefix[GW_SYM_MAX];
    int have_list;
    uint32_t nlist;          /* names in list */
    char list[GW_LIST_MAX];  /* nlist NUL-terminated names, back to back */
    /* range: from = -1 means the whole stored history, to = -1 now, points defaults to 1000;
     * id (-1: none) is echoed in the answer or err */
    int64_t from, to, points, id;
} gw_request;

/* Parses one client message: JSON when is_text, else msgpack. Returns GW_OK
 * or the error code to send back, with a one-line reason in msg. When the
 * request could be read far enough to know its sym, req->sym holds it. */
gw_err gw_parse_request(const char *data, size_t len, int is_text, gw_request *req, char *msg, size_t msglen);

/* Finds name=value among the &-separated pairs of a URL query string (the
 * bytes after '?'); returns 0 with the value (not decoded), or -1. */
int gw_query_param(const char *q, size_t len, const char *name, const char **val, size_t *vlen);

/* A time in ms as a URL or header gives it: decimal digits, 0 to 2^53.
 * 0 and the value, or -1. */
int gw_parse_ms(const char *s, size_t n, int64_t *out);
/* A comma-separated list of such times (an SSE Last-Event-ID): how many
 * were read into out[0..max), or -1 when one is bad or there are more. */
int gw_parse_ms_list(const char *s, size_t n, int64_t *out, size_t max);

/* A candle width given as a string: a duration with its unit ("50ms",
 * "90s", "1m", "4h", "1d"; bare digits are refused, 60 of what?), above 0.
 * 0 and the ms, or -1. */
int gw_parse_width(const char *s, size_t n, int64_t *out);

/* Encoders append one complete message to b; for GW_FMT_SSE, gw_enc_tick
 * appends an event's `data:` line, which the transport ends with its id
 * (gw_client_send_tick), and gw_enc_hist is not used: a run is sent as one
 * tick event per price, then gw_enc_sse_live. */
void gw_enc_tick(gw_buf *b, gw_fmt f, const char *sym, int64_t t, int32_t p);
void gw_enc_hist(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t t0, int64_t dt, const int32_t *p,
                 size_t n, int64_t last, int more);
struct ts_candle;
/* Live candles (docs/PROTOCOL.md "Live candles"): the history, as columns
 * of the non-empty candles of c[0..n), resumable after last; and one update
 * of the open candle c. */
void gw_enc_candles(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t width, const struct ts_candle *c,
                    size_t n, int64_t last, int more);
void gw_enc_candle(gw_buf *b, gw_fmt f, const char *sym, int64_t width, const struct ts_candle *c, int64_t last);
/* For GW_FMT_SSE, gw_enc_candle appends an `event: candle` and its `data:`
 * line (the JSON message), which the transport ends with its id, as for a
 * tick; gw_enc_candles is not used (each candle is its own event). */
/* A range answer (docs/PROTOCOL.md "Ranges"): the non-empty buckets of b[0..n)
 * as columns t, o, h, l, c, n; source is "ticks" or a level's label; id < 0:
 * none, else the request's id, echoed. */
void gw_enc_range(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t from, int64_t to, const char *source,
                  int64_t width, const struct ts_candle *c, size_t n, int64_t id);
/* sym may be NULL (the error is not about one instrument); id < 0: none
 * (else the request's id, echoed). */
void gw_enc_err(gw_buf *b, gw_fmt f, gw_err code, const char *msg, const char *sym, int64_t id);

/* SSE only: the first event of a stream, and the end of an instrument's catch-up. */
void gw_enc_sse_hello(gw_buf *b, int64_t epoch, int64_t dt, int64_t retry_ms);
void gw_enc_sse_live(gw_buf *b, const char *sym, int64_t epoch, int64_t last);

/* A key of a map that has keys before it: JSON's comma and quotes (k is
 * a plain literal, not escaped), or a msgpack string. */
void gw_enc_key(gw_buf *b, gw_fmt f, const char *k);

/* JSON helpers shared with the HTTP API. */
void gw_json_str(gw_buf *b, const char *s, size_t n);
void gw_json_int(gw_buf *b, int64_t v);

#endif
