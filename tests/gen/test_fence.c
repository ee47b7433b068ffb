/* test_fence.c — the fenced write's EVAL arguments and the reading of its
 * reply (generator/gen_fence.c). The script itself runs against a real
 * Redis in tests/gen/standby.test.js and, the chain, tests/gen/gap.test.js. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gen_fence.h"

static void assert_arg(const char **argv, const size_t *lens, int i, const char *want)
{
    assert_int_equal(lens[i], strlen(want));
    assert_memory_equal(argv[i], want, lens[i]);
}

static void test_argv(void **state)
{
    (void)state;
    gen_fence f;
    gen_fence_init(&f);
    const char **argv;
    const size_t *lens;
    /* No command: a bare renewal, with no chain. */
    assert_int_equal(gen_fence_argv(&f, "ts:lease:generator", "h:1:ab", 2000, &argv, &lens), 9);
    assert_arg(argv, lens, 0, "EVAL");
    assert_arg(argv, lens, 2, "2");
    assert_arg(argv, lens, 3, "ts:lease:generator");
    assert_arg(argv, lens, 4, "ts:last_tick");
    assert_arg(argv, lens, 5, "h:1:ab");
    assert_arg(argv, lens, 6, "2000");
    assert_arg(argv, lens, 7, "");
    assert_arg(argv, lens, 8, "");
    gen_fence_cmd(&f, "XADD %s MINID ~ %lld %lld-0 p %d", "ts:tick:{ticker_00}", 5LL, 1000LL, -3);
    gen_fence_cmd_bin(&f, "PUBLISH ts:live", "a b\0c", 5);
    const char *words[] = {"RPUSH", "ts:instruments", "ticker_00", "ticker_01"};
    gen_fence_cmd_argv(&f, 4, words);
    assert_int_equal(gen_fence_commands(&f), 3);
    int argc = gen_fence_argv(&f, "ts:lease:generator", "h:1:ab", 2000, &argv, &lens);
    assert_int_equal(argc, 9 + 9 + 4 + 5);
    const char *want[] = {"8", "XADD", "ts:tick:{ticker_00}", "MINID", "~", "5", "1000-0", "p", "-3", "3", "PUBLISH",
                          "ts:live"};
    for (int i = 0; i < 12; i++)
        assert_arg(argv, lens, 9 + i, want[i]);
    assert_int_equal(lens[21], 5); /* binary, with a space and a NUL */
    assert_memory_equal(argv[21], "a b\0c", 5);
    assert_arg(argv, lens, 22, "4");
    assert_arg(argv, lens, 26, "ticker_01");
    /* Reset keeps nothing of the commands. */
    gen_fence_reset(&f);
    assert_int_equal(gen_fence_commands(&f), 0);
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 9);
    /* The probe's variant takes a free lease first; a reset drops the flag. */
    const char *plain = argv[1];
    assert_null(strstr(plain, "'SET', KEYS[1]"));
    f.take_free = 1;
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 9);
    assert_non_null(strstr(argv[1], "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])"));
    assert_int_equal(lens[1], strlen(argv[1]));
    gen_fence_reset(&f);
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 9);
    assert_ptr_equal(argv[1], plain);
    gen_fence_free(&f);
}

/* A tick time's units carry the chain: the time ts:last_tick must hold,
 * and (its last unit) the time it holds afterwards. */
static void test_chain(void **state)
{
    (void)state;
    gen_fence f;
    gen_fence_init(&f);
    const char **argv;
    const size_t *lens;
    gen_fence_cmd(&f, "XADD k 1100-0 p 1");
    gen_fence_chain(&f, 1000, 1100);
    assert_int_equal(gen_fence_argv(&f, "l", "t", 1, &argv, &lens), 9 + 6);
    assert_arg(argv, lens, 7, "1000");
    assert_arg(argv, lens, 8, "1100");
    /* A slice before the tick time's last: checks, sets nothing. A new
     * history: ts:last_tick missing counts as 0. */
    gen_fence_chain(&f, 0, 0);
    assert_int_equal(gen_fence_argv(&f, "l", "t", 1, &argv, &lens), 9 + 6);
    assert_arg(argv, lens, 7, "0");
    assert_arg(argv, lens, 8, "");
    gen_fence_reset(&f);
    assert_int_equal(gen_fence_argv(&f, "l", "t", 1, &argv, &lens), 9);
    assert_arg(argv, lens, 7, "");
    assert_arg(argv, lens, 8, "");
    /* Every check before the first write (the PEXPIRE), so a refused unit
     * writes nothing; ts:last_tick set after the commands, which under
     * maxmemory run once the PEXPIRE has (gen_fence.c). */
    const char *sc = argv[1];
    const char *fenced = strstr(sc, "FENCED"), *gap = strstr(sc, "'" GEN_FENCE_GAP " '"), *pexpire = strstr(sc, "'PEXPIRE'");
    const char *cmds = strstr(sc, "redis.pcall"), *set = strstr(sc, "redis.call('SET', KEYS[2], ARGV[4])");
    assert_non_null(fenced);
    assert_non_null(gap);
    assert_non_null(set);
    assert_true(fenced < gap && gap < pexpire && pexpire < cmds && cmds < set);
    gen_fence_free(&f);
}

static void test_read(void **state)
{
    (void)state;
    gen_fence_result res;
    redisReply err = {.type = REDIS_REPLY_ERROR, .str = "FENCED the lease ts:lease:generator is not held by x", .len = 53};
    assert_int_equal(gen_fence_read(&err, &res), 1);
    redisReply other = {.type = REDIS_REPLY_ERROR, .str = "NOPERM this user has no permissions", .len = 35};
    assert_int_equal(gen_fence_read(&other, &res), -1);
    assert_string_equal(res.first_error, "NOPERM this user has no permissions");
    assert_int_equal(gen_fence_read(NULL, &res), -1);

    redisReply dup = {.type = REDIS_REPLY_INTEGER, .integer = 2};
    redisReply errs = {.type = REDIS_REPLY_INTEGER, .integer = 1};
    redisReply first = {.type = REDIS_REPLY_STRING, .str = "WRONGTYPE", .len = 9};
    redisReply last = {.type = REDIS_REPLY_STRING, .str = "42", .len = 2};
    redisReply *el[] = {&dup, &errs, &first, &last};
    redisReply arr = {.type = REDIS_REPLY_ARRAY, .elements = 4, .element = el};
    assert_int_equal(gen_fence_read(&arr, &res), 0);
    assert_int_equal(res.duplicates, 2);
    assert_int_equal(res.errors, 1);
    assert_string_equal(res.first_error, "WRONGTYPE");
    assert_ptr_equal(res.last, &last);
    assert_int_equal(res.taken, 0);
    redisReply taken = {.type = REDIS_REPLY_INTEGER, .integer = 1};
    redisReply *el5[] = {&dup, &errs, &first, &last, &taken};
    redisReply arr5 = {.type = REDIS_REPLY_ARRAY, .elements = 5, .element = el5};
    assert_int_equal(gen_fence_read(&arr5, &res), 0);
    assert_int_equal(res.taken, 1);
    arr.elements = 2; /* not the script's answer */
    assert_int_equal(gen_fence_read(&arr, &res), -1);
    /* The chain's refusal is an error of its own: not fenced, and not
     * Redis refusing writes (a retry on this connection would not help:
     * start-up must read where Redis stands). */
    redisReply gap = {.type = REDIS_REPLY_ERROR,
                      .str = GEN_FENCE_GAP " ts:last_tick holds 900, not 1000: a tick time before this one is not written"};
    gap.len = strlen(gap.str);
    assert_int_equal(gen_fence_read(&gap, &res), -1);
    assert_int_equal(strncmp(res.first_error, "GAP ", 4), 0);
    assert_int_equal(gen_fence_refusal(res.first_error), 0);
    assert_int_equal(gen_fence_refusal("OOM command not allowed when used memory > 'maxmemory'."), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
