/* gw_jread.h — a strict reader of JSON values, for client requests
 * (gw_proto.c) — no I/O.
 *
 * Strings are returned raw (escapes left in): op and sym values are plain
 * ASCII, and an escaped one simply does not match an op or an instrument.
 * Objects and arrays are checked and skipped whole (a request's nested
 * values of unknown keys), 16 levels deep at most; an array's text is
 * returned so a caller may read its strings (a board's "syms"). */
#ifndef GW_JREAD_H
#define GW_JREAD_H

#include <stddef.h>
#include <stdint.h>

typedef enum { GW_JREAD_OTHER, GW_JREAD_STR, GW_JREAD_INT, GW_JREAD_NUM, GW_JREAD_ARR } gw_jread_kind;

/* One value: STR (s, slen: between the quotes), INT (i: an integer of at
 * most 18 digits), NUM (any other number), ARR (s, slen: the brackets and
 * all between), OTHER (an object, true, false, null). */
typedef struct gw_jval {
    gw_jread_kind kind;
    const char *s;
    size_t slen;
    int64_t i;
} gw_jval;

/* The bytes left to read: [p, end). */
typedef struct gw_jread {
    const char *p, *end;
} gw_jread;

/* Skips white space. */
void gw_jread_ws(gw_jread *r);
/* A string at p; -1 when there is none or it is not closed. */
int gw_jread_string(gw_jread *r, const char **s, size_t *n);
/* A value at p (after white space), `depth` levels in; -1 when malformed. */
int gw_jread_value(gw_jread *r, gw_jval *v, int depth);

#endif
