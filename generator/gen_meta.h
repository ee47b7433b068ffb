/* gen_meta.h — start-up's steps 2 and 3 (gen_startup.c): check ts:meta
 * against the flags, then write ts:meta and ts:instruments, fenced, keeping
 * the epoch if there is one (gen_meta.c says why each rule). */
#ifndef GEN_META_H
#define GEN_META_H

#include <event2/event.h>

#include "gen.h"
#include "gen_lease.h"
#include "gen_redis.h"

typedef struct gen_meta gen_meta;

typedef struct gen_meta_hooks {
    void *owner;
    /* ts:meta and ts:instruments hold this generator's history: the walk's
     * epoch and level_from are set. */
    void (*on_done)(void *owner);
    /* As gen_startup_hooks' on_fatal and on_refused. */
    void (*on_fatal)(void *owner, int code);
    void (*on_refused)(void *owner, const char *why);
} gen_meta_hooks;

/* NULL when out of memory. cfg, walk, conn and lease outlive it. */
gen_meta *gen_meta_new(struct event_base *base, const gen_config *cfg, gen_walk *walk, gen_redis *conn,
                       gen_lease *lease, gen_meta_hooks hooks);
/* Reads ts:meta on conn's connection and goes on from what it holds. A
 * connection lost meanwhile simply ends it: call it again when ready. */
void gen_meta_begin(gen_meta *m);
/* No retry of a refused write any more (the connection went down, or a
 * new start-up begins). */
void gen_meta_stop(gen_meta *m);
void gen_meta_free(gen_meta *m);

#endif
