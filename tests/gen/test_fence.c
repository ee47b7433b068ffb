/* test_fence.c — the fenced write's EVAL arguments and the reading of its
 * reply (generator/gen_fence.c). The script itself runs against a real
 * Redis in tests/gen/standby.test.js. */
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
    /* No command: a bare renewal. */
    assert_int_equal(gen_fence_argv(&f, "ts:lease:generator", "h:1:ab", 2000, &argv, &lens), 6);
    assert_arg(argv, lens, 0, "EVAL");
    assert_arg(argv, lens, 2, "1");
    assert_arg(argv, lens, 3, "ts:lease:generator");
    assert_arg(argv, lens, 4, "h:1:ab");
    assert_arg(argv, lens, 5, "2000");
    gen_fence_cmd(&f, "XADD %s MINID ~ %lld %lld-0 p %d", "ts:tick:{ticker_00}", 5LL, 1000LL, -3);
    gen_fence_cmd_bin(&f, "PUBLISH ts:live", "a b\0c", 5);
    const char *words[] = {"RPUSH", "ts:instruments", "ticker_00", "ticker_01"};
    gen_fence_cmd_argv(&f, 4, words);
    assert_int_equal(gen_fence_commands(&f), 3);
    int argc = gen_fence_argv(&f, "ts:lease:generator", "h:1:ab", 2000, &argv, &lens);
    assert_int_equal(argc, 6 + 9 + 4 + 5);
    const char *want[] = {"8", "XADD", "ts:tick:{ticker_00}", "MINID", "~", "5", "1000-0", "p", "-3", "3", "PUBLISH",
                          "ts:live"};
    for (int i = 0; i < 12; i++)
        assert_arg(argv, lens, 6 + i, want[i]);
    assert_int_equal(lens[18], 5); /* binary, with a space and a NUL */
    assert_memory_equal(argv[18], "a b\0c", 5);
    assert_arg(argv, lens, 19, "4");
    assert_arg(argv, lens, 23, "ticker_01");
    /* Reset keeps nothing of the commands. */
    gen_fence_reset(&f);
    assert_int_equal(gen_fence_commands(&f), 0);
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 6);
    /* The probe's variant takes a free lease first; a reset drops the flag. */
    const char *plain = argv[1];
    assert_null(strstr(plain, "'SET'"));
    f.take_free = 1;
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 6);
    assert_non_null(strstr(argv[1], "redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])"));
    assert_int_equal(lens[1], strlen(argv[1]));
    gen_fence_reset(&f);
    assert_int_equal(gen_fence_argv(&f, "k", "t", 1, &argv, &lens), 6);
    assert_ptr_equal(argv[1], plain);
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
