/* gen_memcheck.h — says before it is too late whether Redis can hold what
 * this configuration will store (docs/REDIS.md, "Sizing"): logs the
 * estimate (gen_sizing.h) once at start, and on every connection reads
 * INFO memory and warns when Redis's maxmemory is below the estimate —
 * once per maxmemory value seen, so a reconnect does not repeat it. */
#ifndef GEN_MEMCHECK_H
#define GEN_MEMCHECK_H

#include "gen.h"
#include "gen_redis.h"
#include "gen_sizing.h"

typedef struct gen_memcheck gen_memcheck;

/* Estimates the memory cfg needs. NULL when out of memory; conn outlives it. */
gen_memcheck *gen_memcheck_new(const gen_config *cfg, gen_redis *conn);
/* Logs the estimate, in words (once, at start). */
void gen_memcheck_announce(const gen_memcheck *m);
/* The connection is ready: INFO memory, and the comparison. */
void gen_memcheck_begin(gen_memcheck *m);
/* The estimate, bytes. */
double gen_memcheck_estimate(const gen_memcheck *m);
/* Redis's maxmemory as last read (0: none), -1 before or when unreadable. */
int64_t gen_memcheck_maxmemory(const gen_memcheck *m);
void gen_memcheck_free(gen_memcheck *m);

#endif
