/* test_sentinel.c — ts_sentinel's choice of the next server and its reading
 * of a sentinel's answer, and ts_redis_setup_reply's reading of ROLE: reply
 * objects built by hand, no socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ts_redis.h"
#include "ts_sentinel.h"

static redisReply str(const char *s)
{
    return (redisReply){.type = REDIS_REPLY_STRING, .str = (char *)s, .len = strlen(s)};
}

static redisReply arr(redisReply **el, size_t n)
{
    return (redisReply){.type = REDIS_REPLY_ARRAY, .element = el, .elements = n};
}

static void test_rounds(void **state)
{
    (void)state;
    char err[256], why[160];
    ts_redis_url u;
    assert_int_equal(ts_redis_url_parse("redis-sentinel://a:1,b:2,c:3/m", &u, err, sizeof(err)), 0);
    ts_sentinel s;
    ts_sentinel_init(&s, &u);
    ts_redis_addr to;
    assert_int_equal(ts_sentinel_target(&s, &to), 1);
    assert_string_equal(to.host, "a");
    ts_sentinel_retry(&s, 1); /* a unreachable: b next */
    assert_int_equal(ts_sentinel_target(&s, &to), 1);
    assert_string_equal(to.host, "b");

    redisReply h = str("10.0.0.1"), p = str("6379"), *el[] = {&h, &p};
    redisReply ok = arr(el, 2);
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), 0); /* the first answer is no failover */
    assert_int_equal(ts_sentinel_target(&s, &to), 0);
    assert_string_equal(to.host, "10.0.0.1");
    assert_int_equal(to.port, 6379);
    ts_sentinel_retry(&s, 0); /* the master lost: ask b again */
    assert_int_equal(ts_sentinel_target(&s, &to), 1);
    assert_string_equal(to.host, "b");
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), 0);
    ts_sentinel_retry(&s, 0);
    p = str("6380");
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), 1); /* another master: a failover */
    assert_int_equal(s.changes, 1);

    ts_sentinel_retry(&s, 0);
    redisReply nil = {.type = REDIS_REPLY_NIL};
    assert_int_equal(ts_sentinel_answer(&s, &nil, why, sizeof(why)), -1);
    assert_int_equal(ts_sentinel_answer(&s, NULL, why, sizeof(why)), -1);
    p = str("0");
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), -1);
    p = str("70000");
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), -1);
    h = str("");
    p = str("6379");
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), -1);
    redisReply e = {.type = REDIS_REPLY_ERROR, .str = "ERR unknown"};
    assert_int_equal(ts_sentinel_answer(&s, &e, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "ERR unknown"));
    assert_int_equal(ts_sentinel_target(&s, &to), 1);
}

static void test_plain_url(void **state)
{
    (void)state;
    char err[256];
    ts_redis_url u;
    assert_int_equal(ts_redis_url_parse("redis://h:7/1", &u, err, sizeof(err)), 0);
    ts_sentinel s;
    ts_sentinel_init(&s, &u);
    ts_redis_addr to;
    ts_sentinel_retry(&s, 1);
    assert_int_equal(ts_sentinel_target(&s, &to), 0);
    assert_string_equal(to.host, "h");
    assert_int_equal(to.port, 7);
}

static void test_role(void **state)
{
    (void)state;
    char why[256];
    redisReply m = str("master"), off = {.type = REDIS_REPLY_INTEGER}, *el[] = {&m, &off};
    redisReply role = arr(el, 2);
    assert_int_equal(ts_redis_setup_reply(&role, why, sizeof(why)), 0);
    m = str("slave");
    assert_int_equal(ts_redis_setup_reply(&role, why, sizeof(why)), -2);
    assert_non_null(strstr(why, "slave"));
    redisReply empty = arr(NULL, 0);
    assert_int_equal(ts_redis_setup_reply(&empty, why, sizeof(why)), -2);
    redisReply okr = {.type = REDIS_REPLY_STATUS, .str = "OK"};
    assert_int_equal(ts_redis_setup_reply(&okr, why, sizeof(why)), 0);
    redisReply e = {.type = REDIS_REPLY_ERROR, .str = "WRONGPASS no"};
    assert_int_equal(ts_redis_setup_reply(&e, why, sizeof(why)), -1);
    assert_string_equal(why, "WRONGPASS no");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rounds), cmocka_unit_test(test_plain_url),
                                       cmocka_unit_test(test_role)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
