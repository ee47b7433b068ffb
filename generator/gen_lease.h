/* gen_lease.h — the generator's lease (ts:lease:generator): which one of
 * any number of tickgen processes writes. The holder renews it with every
 * write; the others poll and take it once it expires. Every write of the
 * holder goes through gen_lease_send, which Redis runs only while the lease
 * is still ours (gen_fence.h), so a holder that was paused and replaced
 * writes nothing: its first refused write makes it drop the connection
 * and come back as a standby. */
#ifndef GEN_LEASE_H
#define GEN_LEASE_H

#include <event2/event.h>
#include <stdint.h>

#include "gen_fence.h"
#include "gen_redis.h"

typedef struct gen_lease gen_lease;

typedef enum { GEN_ROLE_DOWN, GEN_ROLE_STANDBY, GEN_ROLE_LEADER } gen_role;

typedef struct gen_lease_hooks {
    void *owner;
    /* The lease is ours: read where Redis stands, then write. */
    void (*on_leader)(void *owner);
} gen_lease_hooks;

/* ttl_ms: how long the lease lives without renewal. The holder id (the
 * lease's value) is "<host>:<pid>:<random>". NULL when out of memory. */
gen_lease *gen_lease_new(struct event_base *base, gen_redis *conn, int64_t ttl_ms, gen_lease_hooks hooks);
/* The connection is ready: try to take the lease; standby (polling) if held. */
void gen_lease_begin(gen_lease *l);
/* The connection is gone: no role until the next begin. */
void gen_lease_down(gen_lease *l);
/* While on, a leader renews the lease by itself every third of its ttl
 * (during start-up; once ticks are written, each write renews it). */
void gen_lease_keepalive(gen_lease *l, int on);
/* Sends f's commands as one fenced EVAL (gen_fence.h); fn gets its reply.
 * -1 when not leader, no connection, or out of memory. */
int gen_lease_send(gen_lease *l, gen_fence *f, redisCallbackFn *fn, void *priv);
/* A fenced write was refused: the lease is someone else's. Logs it and
 * drops the connection (every pending reply gets NULL); the reconnect finds
 * the lease held and waits as a standby. */
void gen_lease_fenced(gen_lease *l, const char *why);
/* Exiting (SIGTERM): a leader gives the lease up — a fenced DEL of it —
 * so a standby takes over at its next poll, not after the lease expires.
 * done(owner) is called once the DEL is answered (or the connection is
 * gone). Returns 0 when sent, -1 when there is nothing to release (not
 * leader, no connection): done is not called. */
int gen_lease_release(gen_lease *l, void (*done)(void *owner), void *owner);
gen_role gen_lease_role(const gen_lease *l);
const char *gen_lease_id(const gen_lease *l);
void gen_lease_free(gen_lease *l);

#endif
