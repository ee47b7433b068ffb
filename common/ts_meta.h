/* ts_meta.h — the one reader of ts:meta (docs/REDIS.md), for the generator
 * (which continues a history only when it matches its flags) and the gateway
 * (which serves nothing until a generator has written it). */
#ifndef TS_META_H
#define TS_META_H

#include <stddef.h>
#include <stdint.h>

struct redisReply;

typedef struct ts_meta {
    /* -1 when absent or not a whole non-negative number */
    int64_t interval_ms, retention_ms, epoch, instruments, version;
    /* The rollup ladder as tickgen --rollups wrote it (ts_ladder_parse);
     * "" when absent (a history written before rollups, or not a string). */
    char rollups[256];
    /* Since when each level holds every tick (generator/gen_levels.h):
     * "" when absent (written before the field) or not a string. */
    char rollups_from[256];
} ts_meta;

/* Reads an HGETALL ts:meta reply. Returns 0 when r is a field/value array
 * (possibly empty: a fresh Redis) — fields absent or malformed stay -1, pairs
 * whose field is not a string are ignored, unknown fields too; -1 (all fields
 * -1) when r is not such a reply (NULL, error, wrong type, odd element count).
 * A number is decimal digits only that fit int64. RESP3 maps not handled
 * (hiredis 0.14). */
int ts_meta_read(const struct redisReply *r, ts_meta *m);

/* 1 when what a reader needs is there and sane: interval_ms > 0, epoch > 0,
 * 0 < instruments <= TS_INSTRUMENTS_MAX, retention_ms >= interval_ms (what
 * tickgen accepts) and version == TS_LAYOUT_VERSION (a newer layout is
 * refused, not misread); else 0 with a one-line reason in err (naming the
 * first field at fault). */
int ts_meta_valid(const ts_meta *m, char *err, size_t errlen);

#endif
