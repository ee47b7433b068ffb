/* ts_redis.h — what every new Redis connection sends before anything else. */
#ifndef TS_REDIS_H
#define TS_REDIS_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "ts_redis_url.h"

/* Queues AUTH [user] password (when u has a password), SELECT db (when
 * db != 0) and, for a redis-sentinel:// URL, ROLE (the server a sentinel
 * named must still be the master: a demoted one is a replica, and a master
 * not yet reconfigured after a partition must not be written either) on ac,
 * each reply going to fn(ac, reply, priv). Returns how many commands were
 * queued (0 to 3), or -1 when hiredis refused one (a command queued before
 * it still gets its reply, NULL when ac is freed). The caller counts the
 * replies, each judged by ts_redis_setup_reply: the connection is ready
 * after the last. */
int ts_redis_send_setup(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv);

/* A reply to one of those commands: 0 fine, -1 an error (why: Redis's
 * message), -2 ROLE says this server is not a master (why says its role). */
int ts_redis_setup_reply(const redisReply *r, char *why, size_t n);

#endif
