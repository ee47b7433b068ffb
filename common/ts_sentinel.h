/* ts_sentinel.h — which server a redis-sentinel:// connection goes to next.
 *
 * Both daemons' connection code (generator/gen_redis.c on libevent,
 * gateway/net/gw_rconn.c on h2o) drive it the same way, each with its own
 * event loop: ask where to connect (ts_sentinel_target); when that is a
 * sentinel, send ts_sentinel_ask on the new connection, hand the reply to
 * ts_sentinel_answer, close it and connect again — now to the master it
 * named, whose ROLE the setup checks (ts_redis_send_setup). Any failure or
 * loss (ts_sentinel_retry) sends the next attempt to a sentinel again, the
 * next one in the URL when a sentinel was what failed. So every reconnect
 * re-asks the sentinels, and after a failover the first attempt that finds
 * the promoted replica answering ROLE "master" is the reconnect.
 * No I/O of its own and no timers: the caller's backoff paces the rounds. */
#ifndef TS_SENTINEL_H
#define TS_SENTINEL_H

#include <hiredis/async.h>
#include <stdint.h>

#include "ts_redis_url.h"

typedef struct ts_sentinel {
    const ts_redis_url *url;
    int next;              /* the sentinel to ask next */
    int resolved;          /* master holds a fresh answer: connect to it next */
    ts_redis_addr master;  /* the last answer; port 0: none yet */
    uint64_t changes;      /* answers naming another master than the one before: failovers */
} ts_sentinel;

void ts_sentinel_init(ts_sentinel *s, const ts_redis_url *u);
/* Where to connect now: 1 and a sentinel's address (ask it), or 0 and the
 * master's (a sentinel just named it; also 0 with the server of a plain
 * redis:// URL). */
int ts_sentinel_target(const ts_sentinel *s, ts_redis_addr *to);
/* Queues SENTINEL get-master-addr-by-name on ac; REDIS_OK or REDIS_ERR. */
int ts_sentinel_ask(redisAsyncContext *ac, const ts_sentinel *s, redisCallbackFn *fn, void *priv);
/* The reply to ts_sentinel_ask (NULL: the connection went). Returns 1 when
 * it names a master other than the last one (a failover, logged once here),
 * 0 when it names one, -1 when it names none (why says why; the caller
 * closes the connection and calls ts_sentinel_retry). */
int ts_sentinel_answer(ts_sentinel *s, const redisReply *r, char *why, size_t n);
/* The attempt failed or the connection was lost; was_sentinel: the failed
 * peer was a sentinel. The next target is a sentinel. */
void ts_sentinel_retry(ts_sentinel *s, int was_sentinel);

#endif
