/* ts_redis.h — what every new Redis connection sends before anything else. */
#ifndef TS_REDIS_H
#define TS_REDIS_H

#include <hiredis/async.h>

#include "ts_redis_url.h"

/* Queues AUTH [user] password (when u has a password) and SELECT db (when
 * db != 0) on ac, each reply going to fn(ac, reply, priv). Returns how many
 * commands were queued (0, 1 or 2), or -1 when hiredis refused one (a
 * command queued before it still gets its reply, NULL when ac is freed).
 * The caller counts the replies: the connection is ready after the last. */
int ts_redis_send_setup(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv);

#endif
