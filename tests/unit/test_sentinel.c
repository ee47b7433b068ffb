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
    ts_sentinel_retry(&s, 0); /* the master b named failed: ask c (b may be stale, naming a dead master) */
    assert_int_equal(ts_sentinel_target(&s, &to), 1);
    assert_string_equal(to.host, "c");
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
    h = (redisReply){.type = REDIS_REPLY_STRING, .str = "\0.0.0.1", .len = 7}; /* found by fuzz_sentinel: an empty C string */
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

/* +switch-master messages on the watch, and a data connection following one. */
static void test_switch(void **state)
{
    (void)state;
    char err[256], why[160];
    ts_redis_url u;
    assert_int_equal(ts_redis_url_parse("redis-sentinel://a:1,b:2/m", &u, err, sizeof(err)), 0);
    redisReply k = str("message"), ch = str("+switch-master"), body = str("m 10.0.0.1 6379 10.0.0.2 6380");
    redisReply *el[] = {&k, &ch, &body};
    redisReply msg = arr(el, 3);
    ts_redis_addr to;
    assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), 1);
    assert_string_equal(to.host, "10.0.0.2");
    assert_int_equal(to.port, 6380);
    body = str("other 10.0.0.1 6379 10.0.0.2 6380"); /* another master: not ours */
    assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), 0);
    body = str("mm 10.0.0.1 6379 10.0.0.2 6380");
    assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), 0);
    const char *bad[] = {"m 10.0.0.1 6379 10.0.0.2", "m 10.0.0.1 6379 10.0.0.2 0", "m 10.0.0.1 6379 10.0.0.2 6380 x",
                         "m 10.0.0.1 6379 10.0.0.2 65536", "m  6379 10.0.0.2 6380", "m 10.0.0.1 6379 10.0.0.2 63x"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        body = str(bad[i]);
        assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), -1);
    }
    body = (redisReply){.type = REDIS_REPLY_STRING, .str = "m\0x 10.0.0.1 6379 10.0.0.2 6380", .len = 31};
    assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), 0); /* "m\0x" is not m */
    body = (redisReply){.type = REDIS_REPLY_STRING, .str = "m 10.0.0.1 6379 \0.0.0.2 6380", .len = 28};
    assert_int_equal(ts_sentinel_switch(&u, &msg, &to, why, sizeof(why)), -1);
    redisReply sub = str("subscribe"), one = {.type = REDIS_REPLY_INTEGER, .integer = 1}, *sel[] = {&sub, &ch, &one};
    redisReply confirm = arr(sel, 3); /* the subscription's confirmation */
    assert_int_equal(ts_sentinel_switch(&u, &confirm, &to, why, sizeof(why)), 0);
    assert_int_equal(ts_sentinel_switch(&u, NULL, &to, why, sizeof(why)), 0);
    redisReply e = {.type = REDIS_REPLY_ERROR, .str = "NOAUTH Authentication required."};
    assert_int_equal(ts_sentinel_switch(&u, &e, &to, why, sizeof(why)), -1);
    /* The answer to the watch's question (SENTINEL get-master-addr-by-name): 2 and where. */
    redisReply ah = str("10.0.0.3"), ap = str("6381"), *aq[] = {&ah, &ap};
    redisReply named = arr(aq, 2);
    assert_int_equal(ts_sentinel_switch(&u, &named, &to, why, sizeof(why)), 2);
    assert_string_equal(to.host, "10.0.0.3");
    assert_int_equal(to.port, 6381);
    ap = str("0");
    assert_int_equal(ts_sentinel_switch(&u, &named, &to, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "bad address"));
    redisReply nil = {.type = REDIS_REPLY_NIL}; /* it does not know the master */
    assert_int_equal(ts_sentinel_switch(&u, &nil, &to, why, sizeof(why)), 0);

    /* The watch: always a sentinel, the next after each loss. */
    ts_sentinel w;
    ts_sentinel_init_watch(&w, &u);
    assert_int_equal(ts_sentinel_target(&w, &to), 0);
    assert_string_equal(to.host, "a");
    ts_sentinel_retry(&w, 0);
    assert_int_equal(ts_sentinel_target(&w, &to), 0);
    assert_string_equal(to.host, "b");

    /* A data connection on 10.0.0.1:6379 is told of 10.0.0.2:6380. */
    ts_sentinel s;
    ts_sentinel_init(&s, &u);
    redisReply h = str("10.0.0.1"), p = str("6379"), *ael[] = {&h, &p};
    redisReply ans = arr(ael, 2);
    assert_int_equal(ts_sentinel_answer(&s, &ans, why, sizeof(why)), 0);
    assert_int_equal(ts_sentinel_target(&s, &to), 0);
    ts_redis_addr now = {.host = "10.0.0.1", .port = 6379}, next = {.host = "10.0.0.2", .port = 6380};
    assert_int_equal(ts_sentinel_switched(&s, &now, 0), 0); /* already there */
    assert_int_equal(ts_sentinel_switched(&s, &next, 0), 1);
    assert_int_equal(s.changes, 1);
    ts_sentinel_retry(&s, 0); /* the drop that follows keeps the new master as the target */
    assert_int_equal(ts_sentinel_target(&s, &to), 0);
    assert_string_equal(to.host, "10.0.0.2");
    assert_int_equal(to.port, 6380);
    ts_sentinel_retry(&s, 0); /* a later loss asks the sentinels again */
    assert_int_equal(ts_sentinel_target(&s, &to), 1);

    /* The watch's answer moves a connection only off a master it had: one
     * still finding its first asks a sentinel itself. */
    ts_sentinel f;
    ts_sentinel_init(&f, &u);
    assert_int_equal(ts_sentinel_switched(&f, &next, 1), 0);
    assert_int_equal(f.master.port, 0);
    assert_int_equal(ts_sentinel_switched(&f, &next, 0), 2); /* +switch-master does name it */
    assert_int_equal(ts_sentinel_switched(&f, &next, 1), 0); /* already there */
    assert_int_equal(ts_sentinel_switched(&f, &now, 1), 1);  /* a failover the watch missed */
    assert_int_equal(f.changes, 1);
    assert_int_equal(ts_sentinel_target(&f, &to), 0);
    assert_int_equal(to.port, 6379);
}

/* AUTH before SENTINEL get-master-addr-by-name: its reply comes first. */
static void test_sentinel_auth(void **state)
{
    (void)state;
    char err[256], why[200];
    ts_redis_url u;
    assert_int_equal(ts_redis_url_parse("redis-sentinel://a:1/m?sentinel_password=pw", &u, err, sizeof(err)), 0);
    ts_sentinel s;
    ts_sentinel_init(&s, &u);
    s.auth_pending = 1; /* as ts_sentinel_ask leaves it */
    redisReply ok = {.type = REDIS_REPLY_STATUS, .str = "OK"};
    assert_int_equal(ts_sentinel_answer(&s, &ok, why, sizeof(why)), 2);
    redisReply h = str("10.0.0.1"), p = str("6379"), *el[] = {&h, &p};
    redisReply ans = arr(el, 2);
    assert_int_equal(ts_sentinel_answer(&s, &ans, why, sizeof(why)), 0);
    ts_sentinel_retry(&s, 0);
    s.auth_pending = 1;
    redisReply wrong = {.type = REDIS_REPLY_ERROR, .str = "WRONGPASS invalid username-password pair"};
    assert_int_equal(ts_sentinel_answer(&s, &wrong, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "refused AUTH"));
    assert_null(strstr(why, "pw\"")); /* the reason names the URL's parameters, not the password */
    redisReply noauth = {.type = REDIS_REPLY_ERROR, .str = "NOAUTH Authentication required."};
    assert_int_equal(ts_sentinel_answer(&s, &noauth, why, sizeof(why)), 2); /* reported already */
    assert_non_null(strstr(why, "refused AUTH"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_rounds), cmocka_unit_test(test_plain_url),
                                       cmocka_unit_test(test_role), cmocka_unit_test(test_switch),
                                       cmocka_unit_test(test_sentinel_auth)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
