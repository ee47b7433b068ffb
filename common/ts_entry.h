/* ts_entry.h — the one reader of a tick stream entry (docs/REDIS.md).
 *
 * An entry is  ID = "<tick time in ms>-0"  with one field  p = "<int32>".
 * Every program that reads ticks back from Redis (the generator at start-up,
 * the gateway's ring, catch-up and history) applies these rules, so that a
 * malformed entry is the same hole for everyone: skipped, never price 0. */
#ifndef TS_ENTRY_H
#define TS_ENTRY_H

#include <stddef.h>
#include <stdint.h>

struct redisReply;

/* Never a price: "no price here" (the gateway's ring filler). */
#define TS_PRICE_MISSING INT32_MIN

/* "1732350000000-0" -> 1732350000000. The ID must be <digits>-<digits> (or
 * bare <digits>); ms must fit int64. Returns 0, or -1 (then *ms = -1). */
int ts_entry_parse_id(const char *s, size_t len, int64_t *ms);
/* The same, also giving the sequence (0 for a bare <digits>; it must fit
 * uint64, as in Redis). Returns 0, or -1 (then *ms = -1 and *seq = 0). */
int ts_entry_parse_id_seq(const char *s, size_t len, int64_t *ms, uint64_t *seq);
/* A whole decimal int32 with optional '-', no spaces, not INT32_MIN (reserved
 * as TS_PRICE_MISSING). Returns 0 or -1 (then *p = TS_PRICE_MISSING). */
int ts_entry_parse_price(const char *s, size_t len, int32_t *p);
/* One XRANGE/XREVRANGE entry as hiredis gives it: [ID, [field, value, ...]].
 * Returns 0 with *t and *p when it is a well-formed tick: a readable ID (its
 * ms is the tick time; the sequence is not looked at: a second entry in the
 * same ms is a repeat of that time, which readers pass over), and a field "p" (the first one, when there are several) whose
 * value parses as above; other fields are ignored. Returns -1 when malformed:
 * then *t is the ID's ms if the ID alone is readable (so a reader can move
 * past it), else -1, and *p = TS_PRICE_MISSING. Every field and value must
 * be a string and the field list even. Never crashes on any reply shape
 * (NULL elements, wrong types, odd field counts). */
int ts_entry_from_reply(const struct redisReply *e, int64_t *t, int32_t *p);

#endif
