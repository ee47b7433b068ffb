/* gen_startup.h — what the generator does on every (re)connect before it
 * writes a tick: check and write ts:meta, then learn where each stream
 * stands (gen_startup.c says why each step). */
#ifndef GEN_STARTUP_H
#define GEN_STARTUP_H

#include "gen.h"
#include "gen_lease.h"
#include "gen_redis.h"

typedef struct gen_startup gen_startup;

typedef struct gen_startup_hooks {
    void *owner;
    /* The walk's prices, last_t and epoch are Redis's: writing may start. */
    void (*on_done)(void *owner);
    /* Redis holds what this generator must not write to (another history,
     * an unreadable ts:meta) or memory ran out: the process should exit with
     * code. The reason is logged. */
    void (*on_fatal)(void *owner, int code);
    /* Redis refused the ts:meta write while up (OOM, MISCONF, READONLY):
     * why is Redis's error. Not logged here; it is tried again later. */
    void (*on_refused)(void *owner, const char *why);
} gen_startup_hooks;

/* NULL when out of memory. cfg, walk and conn outlive it. */
gen_startup *gen_startup_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                             gen_lease *lease, gen_startup_hooks hooks);
/* Runs the start-up on conn's fresh connection; --reset only the first time.
 * A connection lost meanwhile simply ends it: call it again when ready. */
void gen_startup_begin(gen_startup *s);
/* The connection went down: no retry of a refused write on it. */
void gen_startup_stop(gen_startup *s);
void gen_startup_free(gen_startup *s);

#endif
