/* ts_candle.h — candles (rollups) and the ladder of their widths
 * (docs/REDIS.md, "Rollups").
 *
 * A candle of width w starting at s (a multiple of w since the Unix epoch)
 * holds every tick with s <= t < s + w: open, high, low, close, count. Each
 * width of the ladder divides the next, so a candle of one level is the
 * merge of the candles of any finer level inside it; that is what lets the
 * generator derive an open candle from the level below it, and the gateway
 * combine stored candles into any multiple of a level's width. This file is
 * the one definition of a candle, its key and its stream entry, for both
 * daemons; it does no I/O. */
#ifndef TS_CANDLE_H
#define TS_CANDLE_H

#include <stddef.h>
#include <stdint.h>

struct redisReply;

#define TS_KEY_CANDLE_PREFIX "ts:candle:"
#define TS_LEVELS_MAX 8
/* The default ladder (tickgen --rollups, TS_ROLLUPS): width:retention, finest first. */
#define TS_ROLLUPS_DEFAULT "10s:7d,1m:30d,5m:90d,15m:365d,1h:730d,4h:1825d,1d:3650d"

typedef struct ts_candle {
    int64_t t; /* bucket start, ms */
    int32_t o, h, l, c;
    uint32_t n; /* ticks in it; 0 = empty (the other fields mean nothing) */
} ts_candle;

/* A level's longest retention: 50 years (see parse_level in ts_candle.c). */
#define TS_LEVEL_RETENTION_MAX_MS (18250LL * 86400000)

typedef struct ts_level {
    int64_t width_ms, retention_ms;
    char label[16]; /* the width as written: "1m", "15m", "100ms" */
} ts_level;

typedef struct ts_ladder {
    int n; /* 0 = no rollups */
    ts_level lv[TS_LEVELS_MAX];
} ts_ladder;

/* Start of the bucket of width w holding time t (t >= 0). */
static inline int64_t ts_bucket(int64_t t, int64_t w)
{
    return t / w * w;
}

/* Adds tick (t, p) to c, which must be empty or hold earlier ticks of the
 * same bucket; start is that bucket's start. */
void ts_candle_add(ts_candle *c, int64_t start, int64_t t, int32_t p);
/* Merges `later` (ticks all after into's) into `into`; an empty side is
 * nothing. into->t stays, or becomes later->t when into was empty. */
void ts_candle_merge(ts_candle *into, const ts_candle *later);

/* Parses "1m:30d,15m:365d" (width:retention, finest first; "" or "off" = no
 * rollups). Each width is a multiple of interval_ms and divides the next
 * (so 1m, 15m, 4h, 1d), retention >= width. Returns 0, or -1 with one line
 * in err. */
int ts_ladder_parse(const char *spec, int64_t interval_ms, ts_ladder *out, char *err, size_t errlen);
/* The spec back ("1m:30d,15m:365d,…", "off" for none), as ts:meta holds it. */
void ts_ladder_format(const ts_ladder *l, char *buf, size_t len);

/* The one way a candle is written (generator): key, MINID, bucket start,
 * o, h, l, c (int), n (unsigned). */
#define TS_CANDLE_XADD_FMT "XADD %s MINID ~ %lld %lld-0 o %d h %d l %d c %d n %u"

/* "ts:candle:1m:{ticker_07}"; returns its length (as snprintf). */
int ts_candle_key(char *buf, size_t len, const ts_level *lv, const char *name);

/* One candle stream entry as hiredis gives it: [ID, [o, v, h, v, l, v, c, v,
 * n, v]]. The ID's ms is the bucket start; fields in any order, others
 * ignored. Returns 0 when o/h/l/c are prices (ts_entry_parse_price), n is
 * 1..2^32-1 and l <= o, c <= h; else -1 (a malformed candle: skipped, like a
 * malformed tick). Never crashes on any reply shape. */
int ts_candle_from_reply(const struct redisReply *e, ts_candle *c);
/* The same rules for a reader that sees the entry field by field: each
 * key/value pair goes to ts_candle_field (seen collects what was read;
 * other keys are ignored), then ts_candle_check(c, seen) on the
 * whole entry (c->t < 0: its ID was unreadable) returns 0 or -1 as
 * ts_candle_from_reply would. */
void ts_candle_field(ts_candle *c, unsigned *seen, const char *k, size_t klen, const char *v, size_t vlen);
int ts_candle_check(ts_candle *c, unsigned seen);

#endif
