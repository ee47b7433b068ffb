/* gen_fence.h — fenced writes: commands that Redis runs only while this
 * generator holds the lease (docs/REDIS.md, "Standby generators").
 *
 * A gen_fence collects commands; gen_fence_argv turns them into one
 *   EVAL <script> 2 ts:lease:generator ts:last_tick <token> <ttl_ms> <after> <sets>
 *        <argc> <arg>… <argc> <arg>…
 * The script runs them only when the lease key still holds <token>, renews
 * it for ttl_ms, and answers {duplicates, errors, first error, last reply};
 * otherwise it runs none and answers the error "FENCED …" (take_free: a
 * lease nobody holds is taken first, for the probe while Redis refuses
 * writes: gen_fence.c says why). A script is
 * atomic, so no other client's write comes between the check and the
 * commands.
 *
 * The chain (gen_fence_chain, tick times only): ts:last_tick holds the
 * last tick time written to every stream. A tick time's unit runs only
 * when ts:last_tick holds the tick time this generator wrote before it,
 * and then sets it to its own; otherwise it runs nothing and answers
 * "GAP …". So when Redis refuses one tick time of a pipelined batch (OOM,
 * MISCONF) and would accept the next (the fault ended in between), the
 * next is refused too: no tick time is written before an earlier one,
 * which could then never be written (an XADD must exceed the stream's
 * last ID). Pure: no I/O (tests/gen/test_fence.c). */
#ifndef GEN_FENCE_H
#define GEN_FENCE_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <stdint.h>

/* The first word of the error of a unit refused by the chain. */
#define GEN_FENCE_GAP "GAP"

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
    char after[24], sets[24]; /* gen_fence_chain's ARGV[3] and ARGV[4]; "" when not set */
} gen_fence;

typedef struct gen_fence_result {
    int64_t duplicates; /* XADDs refused because the entry existed */
    int64_t errors;     /* other failed commands */
    char first_error[160];
    const redisReply *last; /* the last command's reply (inside the reply) */
    int taken;              /* take_free: the lease was free and the script took it */
} gen_fence_result;

void gen_fence_init(gen_fence *f);
/* Empties f, keeping its memory; take_free and the chain back to none. */
void gen_fence_reset(gen_fence *f);
void gen_fence_free(gen_fence *f);
/* Adds one command. fmt is printf-like; the result is split at spaces into
 * arguments (keys, numbers, names: none holds a space). */
void gen_fence_cmd(gen_fence *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds one command: the words of `words` (no format), then bin as a last argument. */
void gen_fence_cmd_bin(gen_fence *f, const char *words, const void *bin, size_t n);
/* Adds one command from argc arguments (strings). */
void gen_fence_cmd_argv(gen_fence *f, int argc, const char *const *argv);
/* The commands run only when ts:last_tick holds after_t (a missing key
 * counts as 0); then ts:last_tick becomes sets_t (0: left as it is, for a
 * slice of a tick time that is not its last). */
void gen_fence_chain(gen_fence *f, int64_t after_t, int64_t sets_t);
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
