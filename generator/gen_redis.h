/* gen_redis.h — the generator's one Redis connection, kept up forever: it
 * connects (to the master the sentinels name, with a redis-sentinel:// URL),
 * sends AUTH/SELECT (and ROLE), and after a loss or a failed attempt retries
 * with backoff. It knows nothing of what runs on it and reports up only
 * through the hooks its owner installs. */
#ifndef GEN_REDIS_H
#define GEN_REDIS_H

#include <event2/event.h>
#include <hiredis/async.h>
#include <stdint.h>

#include "ts_redis_url.h"

typedef struct gen_redis gen_redis;

typedef struct gen_redis_hooks {
    void *owner;
    /* Connected and set up: commands may be sent on gen_redis_ctx(). */
    void (*on_ready)(void *owner);
    /* A connection that had connected is gone (every pending reply has had
     * its callback, with NULL). A retry is already scheduled, unless closing. */
    void (*on_down)(void *owner);
    /* Redis refused the credentials or the database of the URL (AUTH or
     * SELECT answered an error other than "still loading"): retrying cannot
     * help; the reason is in why. The connection is being dropped. */
    void (*on_refused)(void *owner, const char *why);
} gen_redis_hooks;

/* Allocates the connection and makes the first attempt. NULL when out of memory. */
gen_redis *gen_redis_start(struct event_base *base, const ts_redis_url *url, gen_redis_hooks hooks);
/* The context while ready, else NULL. */
redisAsyncContext *gen_redis_ctx(const gen_redis *r);
/* Drops the connection (a command failed in a way only a fresh connection
 * and a fresh start-up can repair); on_down follows, then a retry. */
void gen_redis_lost(gen_redis *r, const char *why);
/* The owner is finishing: no retry after a loss or a failed attempt. The
 * connection itself stays while it lasts, so replies still arrive. */
void gen_redis_close(gen_redis *r);
/* Retry attempts scheduled so far (for the summary line). */
uint64_t gen_redis_reconnects(const gen_redis *r);
/* Failovers seen: times the sentinels named another master (0 without Sentinel). */
uint64_t gen_redis_failovers(const gen_redis *r);
/* Closes without callbacks: pending replies are dropped. */
void gen_redis_free(gen_redis *r);

#endif
