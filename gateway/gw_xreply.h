/* gw_xreply.h — catch-up XRANGE replies parsed straight into two arrays.
 *
 * hiredis' default reader turns every stream entry of an XRANGE reply into a
 * redisReply tree of 5 objects and 10 allocations (entry array, ID, field
 * array, field, value), which the gateway reads once and hiredis frees again:
 * measured, that malloc/free work was 3/4 of the gateway's CPU in a 86,400-tick
 * catch-up. A gw_xreader is a reader function set for one async context that
 * builds a gw_xreply — times and prices, one allocation per reply — for the
 * replies of one callback, and leaves every other reply (ts:meta, repairs,
 * /api/history, errors) to hiredis' own functions.
 *
 * Which callback a reply belongs to is known while it is parsed: hiredis
 * shifts a command's callback off ac->replies only after its reply is
 * complete, so the head of that list is the reply's owner (hiredis 0.14
 * async.c, redisProcessCallbacks). Only the root decides; nested items follow
 * their root. */
#ifndef GW_XREPLY_H
#define GW_XREPLY_H

#include <hiredis/async.h>
#include <stddef.h>
#include <stdint.h>

/* The type of a gw_xreply: no REDIS_REPLY_* has this value. */
#define GW_XREPLY 0x7852

typedef struct gw_xreply {
    int type;   /* GW_XREPLY; first, like redisReply's type, so a callback can tell them apart */
    int p_next; /* parse state: the next string is the value of field p */
    size_t n;   /* entries: the reply's array length */
    int64_t *t; /* per entry: ID milliseconds, -1 when the ID is unreadable */
    int32_t *p; /* per entry: field p, GW_MISSING when absent or not an int32 */
} gw_xreply;

typedef struct gw_xreader {
    redisReplyObjectFunctions fns;   /* the context's reader uses these */
    redisReplyObjectFunctions *dflt; /* hiredis' own, for every other reply */
    redisAsyncContext *ac;
    redisCallbackFn *fn; /* replies to this callback become gw_xreply */
} gw_xreader;

/* Makes ac's replies to fn arrive as gw_xreply (hiredis frees them after the
 * callback, as usual). Idempotent; call it before sending such a command, so
 * a new connection is covered. xr must outlive ac. */
void gw_xreader_install(gw_xreader *xr, redisAsyncContext *ac, redisCallbackFn *fn);

static inline const gw_xreply *gw_xreply_of(const void *reply)
{
    return reply != NULL && *(const int *)reply == GW_XREPLY ? reply : NULL;
}

#endif
