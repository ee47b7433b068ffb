/* gen_fence.h — fenced writes: commands that Redis runs only while this
 * generator holds the lease (docs/REDIS.md, "Standby generators").
 *
 * A gen_fence collects commands; gen_fence_argv turns them into one
 *   EVAL <script> 1 ts:lease:generator <token> <ttl_ms> <argc> <arg>… <argc> <arg>…
 * The script runs them only when the lease key still holds <token>, renews
 * it for ttl_ms, and answers {duplicates, errors, first error, last reply};
 * otherwise it runs none and answers the error "FENCED …" (take_free: a
 * lease nobody holds is taken first, for the probe while Redis refuses
 * writes: gen_fence.c says why). A script is
 * atomic, so no other client's write comes between the check and the
 * commands. Pure: no I/O (tests/gen/test_fence.c). */
#ifndef GEN_FENCE_H
#define GEN_FENCE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

typedef struct gen_fence {
    char *buf; /* every argument's bytes, back to back */
    size_t len, cap;
    size_t *off, *alen; /* argument i is buf[off[i]], alen[i] bytes */
    size_t n, ncap;
    size_t ncmds;
    const char **argv; /* built by gen_fence_argv */
    size_t *lens;
    size_t vcap;
    char ttl[24]; /* ARGV[2] of the EVAL being sent */
    int oom; /* an allocation failed: gen_fence_argv refuses */
    int take_free; /* set after a reset: a lease nobody holds is taken first (gen_fence.c SCRIPT_TAKE) */
} gen_fence;

typedef struct gen_fence_result {
    int64_t duplicates; /* XADDs refused because the entry existed */
    int64_t errors;     /* other failed commands */
    char first_error[160];
    const redisReply *last; /* the last command's reply (inside the reply) */
    int taken;              /* take_free: the lease was free and the script took it */
} gen_fence_result;

void gen_fence_init(gen_fence *f);
/* Empties f, keeping its memory; take_free back to 0. */
void gen_fence_reset(gen_fence *f);
void gen_fence_free(gen_fence *f);
/* Adds one command. fmt is printf-like; the result is split at spaces into
 * arguments (keys, numbers, names: none holds a space). */
void gen_fence_cmd(gen_fence *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds one command: the words of `words` (no format), then bin as a last argument. */
void gen_fence_cmd_bin(gen_fence *f, const char *words, const void *bin, size_t n);
/* Adds one command from argc arguments (strings). */
void gen_fence_cmd_argv(gen_fence *f, int argc, const char *const *argv);
size_t gen_fence_commands(const gen_fence *f);
/* The EVAL of every command added, as argc/argv/lens for
 * redisAsyncCommandArgv (valid until f changes). -1 when out of memory. */
int gen_fence_argv(gen_fence *f, const char *key, const char *token, int64_t ttl_ms, const char ***argv,
                   const size_t **lens);
/* Reads the EVAL's reply: 0 the commands ran (out filled), 1 fenced (the
 * lease is not ours: nothing ran), -1 anything else (out->first_error says). */
int gen_fence_read(const redisReply *r, gen_fence_result *out);
/* 1 when err is Redis refusing writes while up: OOM (maxmemory), MISCONF
 * (a failed save or AOF write), READONLY (a replica). A retry may succeed
 * later; reconnecting at once does not help. */
int gen_fence_refusal(const char *err);

#endif
