/* gen_fence.c — see gen_fence.h.
 *
 * Why a script and not WATCH: a WATCH only sees changes made after it, and
 * EXEC drops it. A leader that pipelines several tick times would re-WATCH
 * after each EXEC; if it was paused and replaced, the first EXEC fails, but
 * the WATCH queued behind it is fresh and the next tick time's transaction
 * runs. The script checks the lease's value inside every unit it runs, so
 * every command of a replaced leader's pipeline is refused, however many
 * were queued before the pause. */
#include "gen_fence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_names.h"

/* KEYS[1] the lease, KEYS[2] ts:last_tick; ARGV[1] our token, ARGV[2] the
 * lease's ttl in ms, ARGV[3] the tick time ts:last_tick must hold ('' = no
 * check; absent counts as 0), ARGV[4] the one it holds afterwards ('' =
 * unchanged), then the commands, each as its argument count followed by
 * its arguments. The answer's fifth element is 1 when the script took a
 * free lease (TAKE).
 *
 * Every check comes before the first write, so a refused unit writes
 * nothing. Under maxmemory, Redis 7.0 refuses a script's command that may
 * grow memory (XADD, SET) only while the script has written nothing yet;
 * the PEXPIRE comes first and is a write that may not be refused that way,
 * so once it ran, the XADDs, the candles and ts:last_tick all run: a tick
 * time is written whole or not at all. (Inside MULTI, as every tick time
 * is, an OOM refuses the EVAL itself when it is queued.) MISCONF and
 * READONLY refuse the PEXPIRE, the first write: nothing is written. */
#define FENCE_CHECK                                                                                                \
    "if h ~= ARGV[1] then\n"                                                                                       \
    "  return redis.error_reply('FENCED the lease ' .. KEYS[1] .. ' is not held by ' .. ARGV[1])\n"               \
    "end\n"                                                                                                        \
    "if ARGV[3] ~= '' then\n"                                                                                      \
    "  local at = redis.call('GET', KEYS[2]) or '0'\n"                                                             \
    "  if tonumber(at) ~= tonumber(ARGV[3]) then\n"                                                                \
    "    return redis.error_reply('" GEN_FENCE_GAP " ' .. KEYS[2] .. ' holds ' .. at .. ', not ' .. ARGV[3] ..\n"   \
    "      ': a tick time before this one is not written')\n"                                                      \
    "  end\n"                                                                                                      \
    "end\n"                                                                                                        \
    "redis.call('PEXPIRE', KEYS[1], ARGV[2])\n"                                                                    \
    "local i, n, dup, err, first, last = 5, #ARGV, 0, 0, '', false\n"                                               \
    "while i <= n do\n"                                                                                            \
    "  local c = tonumber(ARGV[i])\n"                                                                              \
    "  last = redis.pcall(unpack(ARGV, i + 1, i + c))\n"                                                           \
    "  if type(last) == 'table' and last.err then\n"                                                               \
    "    if string.find(last.err, 'equal or smaller', 1, true) then dup = dup + 1\n"                               \
    "    else err = err + 1; if first == '' then first = last.err end end\n"                                       \
    "    last = false\n"                                                                                           \
    "  end\n"                                                                                                      \
    "  i = i + c + 1\n"                                                                                            \
    "end\n"                                                                                                        \
    "if ARGV[4] ~= '' then redis.call('SET', KEYS[2], ARGV[4]) end\n"                                              \
    "return {dup, err, first, last, taken}\n"

static const char SCRIPT[] = "local h, taken = redis.call('GET', KEYS[1]), 0\n" FENCE_CHECK;
/* The same, but a lease nobody holds (it expired) is taken first: what a
 * standby's SET NX would do. Only the probe of a refusal run uses it
 * (gen_batch.c): a Redis refusing every write (MISCONF) refuses the
 * lease's renewal too, so the lease lapses while nobody can write at all;
 * that is not a lost lease, and the leader keeps probing as the leader. A
 * lease another generator holds still fences it. */
static const char SCRIPT_TAKE[] = "local h, taken = redis.call('GET', KEYS[1]), 0\n"
                                  "if h == false then\n"
                                  "  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
                                  "  h, taken = ARGV[1], 1\n"
                                  "end\n" FENCE_CHECK;

void gen_fence_init(gen_fence *f)
{
    memset(f, 0, sizeof(*f));
}

void gen_fence_reset(gen_fence *f)
{
    f->len = f->n = f->ncmds = 0;
    f->oom = 0;
    f->take_free = 0;
    f->after[0] = f->sets[0] = '\0';
}

void gen_fence_free(gen_fence *f)
{
    free(f->buf);
    free(f->off);
    free(f->alen);
    free(f->argv);
    free(f->lens);
    gen_fence_init(f);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (q == NULL)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Appends one argument; returns its index. */
static size_t add_arg(gen_fence *f, const char *s, size_t n)
{
    size_t ncap = f->ncap;
    if (grow((void **)&f->buf, &f->cap, f->len + n, 1) != 0 || grow((void **)&f->off, &ncap, f->n + 1, sizeof(size_t)) != 0 ||
        grow((void **)&f->alen, &f->ncap, f->n + 1, sizeof(size_t)) != 0) {
        f->oom = 1;
        return f->n;
    }
    if (n > 0) /* an empty argument may come before buf has any memory: memcpy(NULL, …, 0) is undefined */
        memcpy(f->buf + f->len, s, n);
    f->off[f->n] = f->len;
    f->alen[f->n] = n;
    f->len += n;
    return f->n++;
}

/* Adds the command count placeholder and the words of s; returns the
 * placeholder's index (its text is written by end_cmd). */
static size_t begin_cmd(gen_fence *f, const char *s)
{
    size_t slot = add_arg(f, "", 0);
    while (*s != '\0') {
        while (*s == ' ')
            s++;
        size_t w = strcspn(s, " ");
        if (w > 0)
            add_arg(f, s, w);
        s += w;
    }
    return slot;
}

static void end_cmd(gen_fence *f, size_t slot)
{
    if (f->oom)
        return;
    char num[24];
    int k = snprintf(num, sizeof(num), "%zu", f->n - slot - 1);
    size_t at = f->len; /* the count's text goes at the end of buf */
    if (grow((void **)&f->buf, &f->cap, f->len + (size_t)k, 1) != 0) {
        f->oom = 1;
        return;
    }
    memcpy(f->buf + at, num, (size_t)k);
    f->len += (size_t)k;
    f->off[slot] = at;
    f->alen[slot] = (size_t)k;
    f->ncmds++;
}

void gen_fence_cmd(gen_fence *f, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof(line)) {
        f->oom = 1; /* no command of ours is that long */
        return;
    }
    end_cmd(f, begin_cmd(f, line));
}

void gen_fence_cmd_bin(gen_fence *f, const char *words, const void *bin, size_t n)
{
    size_t slot = begin_cmd(f, words);
    add_arg(f, bin, n);
    end_cmd(f, slot);
}

void gen_fence_cmd_argv(gen_fence *f, int argc, const char *const *argv)
{
    size_t slot = add_arg(f, "", 0);
    for (int i = 0; i < argc; i++)
        add_arg(f, argv[i], strlen(argv[i]));
    end_cmd(f, slot);
}

void gen_fence_chain(gen_fence *f, int64_t after_t, int64_t sets_t)
{
    snprintf(f->after, sizeof(f->after), "%lld", (long long)after_t);
    if (sets_t > 0)
        snprintf(f->sets, sizeof(f->sets), "%lld", (long long)sets_t);
    else
        f->sets[0] = '\0';
}

size_t gen_fence_commands(const gen_fence *f)
{
    return f->ncmds;
}

int gen_fence_argv(gen_fence *f, const char *key, const char *token, int64_t ttl_ms, const char ***argv,
                   const size_t **lens)
{
    const size_t head = 9;
    size_t vcap = f->vcap;
    if (f->oom || grow((void **)&f->argv, &vcap, f->n + head, sizeof(*f->argv)) != 0 ||
        grow((void **)&f->lens, &f->vcap, f->n + head, sizeof(*f->lens)) != 0)
        return -1;
    snprintf(f->ttl, sizeof(f->ttl), "%lld", (long long)ttl_ms);
    const char *h[] = {"EVAL", f->take_free ? SCRIPT_TAKE : SCRIPT, "2", key, TS_KEY_LAST_TICK, token, f->ttl,
                       f->after, f->sets};
    for (size_t i = 0; i < head; i++) {
        f->argv[i] = h[i];
        f->lens[i] = strlen(h[i]);
    }
    for (size_t i = 0; i < f->n; i++) {
        f->argv[head + i] = f->buf + f->off[i];
        f->lens[head + i] = f->alen[i];
    }
    *argv = f->argv;
    *lens = f->lens;
    return (int)(f->n + head);
}

int gen_fence_read(const redisReply *r, gen_fence_result *out)
{
    memset(out, 0, sizeof(*out));
    if (r == NULL) {
        snprintf(out->first_error, sizeof(out->first_error), "no reply");
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(out->first_error, sizeof(out->first_error), "%s", r->str);
        return strncmp(r->str, "FENCED", 6) == 0 ? 1 : -1;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[1]->type != REDIS_REPLY_INTEGER || r->element[2]->type != REDIS_REPLY_STRING) {
        snprintf(out->first_error, sizeof(out->first_error), "unexpected reply to the fenced script");
        return -1;
    }
    out->duplicates = r->element[0]->integer;
    out->errors = r->element[1]->integer;
    snprintf(out->first_error, sizeof(out->first_error), "%s", r->element[2]->str);
    out->last = r->elements > 3 ? r->element[3] : NULL;
    out->taken = r->elements > 4 && r->element[4]->type == REDIS_REPLY_INTEGER && r->element[4]->integer == 1;
    return 0;
}

int gen_fence_refusal(const char *err)
{
    return strncmp(err, "OOM", 3) == 0 || strncmp(err, "MISCONF", 7) == 0 || strncmp(err, "READONLY", 8) == 0;
}
