/* test_parse.c — names, durations, Redis URLs and the option table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ts_names.h"
#include "ts_opts.h"
#include "ts_redis_url.h"
#include "ts_time.h"

static void test_names(void **state)
{
    (void)state;
    char b[32];
    ts_instrument_name(b, sizeof(b), 7, 100);
    assert_string_equal(b, "ticker_07");
    ts_instrument_name(b, sizeof(b), 0, 1);
    assert_string_equal(b, "ticker_00");
    ts_instrument_name(b, sizeof(b), 99, 100);
    assert_string_equal(b, "ticker_99");
    ts_instrument_name(b, sizeof(b), 5, 101);
    assert_string_equal(b, "ticker_005");
    ts_instrument_name(b, sizeof(b), 999, 1000);
    assert_string_equal(b, "ticker_999");
    ts_instrument_name(b, sizeof(b), 1000, 1001);
    assert_string_equal(b, "ticker_1000");
    ts_tick_key(b, sizeof(b), "ticker_07");
    assert_string_equal(b, "ts:tick:{ticker_07}");
    assert_int_equal(ts_instrument_index("ticker_07", 100), 7);
    assert_int_equal(ts_instrument_index("ticker_7", 100), -1);
    assert_int_equal(ts_instrument_index("ticker_007", 100), -1);
    assert_int_equal(ts_instrument_index("ticker_99", 50), -1);
    assert_int_equal(ts_instrument_index("ticker_0x", 100), -1);
    assert_int_equal(ts_instrument_index("tick_07", 100), -1);
    assert_int_equal(ts_instrument_index("", 100), -1);
}

static void test_durations(void **state)
{
    (void)state;
    char err[128];
    int64_t ms;
    assert_int_equal(ts_parse_duration_ms("90s", &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(ts_parse_duration_ms("15m", &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 900000);
    assert_int_equal(ts_parse_duration_ms("24h", &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 86400000);
    assert_int_equal(ts_parse_duration_ms("250ms", &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(ts_parse_duration_ms("2d", &ms, err, sizeof(err)), 0);
    assert_int_equal(ms, 172800000);
    const char *bad[] = {"", "90", "s", "-5s", "+5s", "5x", "5 s", "1.5h", "99999999999999999999d", "5ss"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(ts_parse_duration_ms(bad[i], &ms, err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
    char b[32];
    ts_format_duration_ms(86400000, b, sizeof(b));
    assert_string_equal(b, "1d");
    ts_format_duration_ms(90000, b, sizeof(b));
    assert_string_equal(b, "90s");
    ts_format_duration_ms(1500, b, sizeof(b));
    assert_string_equal(b, "1500ms");
}

static void test_redis_urls(void **state)
{
    (void)state;
    char err[256];
    ts_redis_url u;
    assert_int_equal(ts_redis_url_parse("redis://127.0.0.1:6390", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "127.0.0.1");
    assert_int_equal(u.port, 6390);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.password, "");
    assert_int_equal(ts_redis_url_parse("redis://:s3cret@redis:6379/2", &u, err, sizeof(err)), 0);
    assert_string_equal(u.host, "redis");
    assert_string_equal(u.password, "s3cret");
    assert_string_equal(u.user, "");
    assert_int_equal(u.db, 2);
    assert_int_equal(ts_redis_url_parse("redis://app:pw@h", &u, err, sizeof(err)), 0);
    assert_string_equal(u.user, "app");
    assert_int_equal(u.port, 6379);
    assert_int_equal(ts_redis_url_parse("redis-sentinel://app:pw@s1:26379,s2,10.0.0.3:26380/mymaster?db=3", &u, err,
                                        sizeof(err)), 0);
    assert_int_equal(u.nsentinels, 3);
    assert_string_equal(u.sentinels[0].host, "s1");
    assert_int_equal(u.sentinels[0].port, 26379);
    assert_string_equal(u.sentinels[1].host, "s2");
    assert_int_equal(u.sentinels[1].port, 26379);
    assert_string_equal(u.sentinels[2].host, "10.0.0.3");
    assert_int_equal(u.sentinels[2].port, 26380);
    assert_string_equal(u.master, "mymaster");
    assert_string_equal(u.user, "app");
    assert_string_equal(u.password, "pw");
    assert_int_equal(u.db, 3);
    assert_string_equal(u.host, "");
    char desc[600];
    ts_redis_url_describe(&u, desc, sizeof(desc));
    assert_string_equal(desc, "sentinels s1:26379,s2:26379,10.0.0.3:26380 master mymaster");
    assert_int_equal(ts_redis_url_parse("redis-sentinel://h/m", &u, err, sizeof(err)), 0);
    assert_int_equal(u.nsentinels, 1);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.sentinel_password, "");
    /* The sentinels' own credentials, in any order with db. */
    assert_int_equal(ts_redis_url_parse("redis-sentinel://h/m?sentinel_password=sp&db=2&sentinel_user=su", &u, err,
                                        sizeof(err)), 0);
    assert_string_equal(u.sentinel_user, "su");
    assert_string_equal(u.sentinel_password, "sp");
    assert_int_equal(u.db, 2);
    assert_string_equal(u.master, "m");
    assert_int_equal(ts_redis_url_parse("redis-sentinel://h/m?sentinel_password=a:b@c", &u, err, sizeof(err)), 0);
    assert_string_equal(u.sentinel_password, "a:b@c");
    assert_string_equal(u.sentinel_user, "");
    /* Credentials are percent-decoded: the delimiters can be in a password. */
    assert_int_equal(ts_redis_url_parse("redis://us%65r:p%40ss%3Aw%2Fo%3F%25@h:7/1", &u, err, sizeof(err)), 0);
    assert_string_equal(u.user, "user");
    assert_string_equal(u.password, "p@ss:w/o?%");
    assert_string_equal(u.host, "h");
    assert_int_equal(u.db, 1);
    assert_int_equal(ts_redis_url_parse("redis-sentinel://:a%3Fb@s1/m?sentinel_password=x%26y%3d&db=4", &u, err,
                                        sizeof(err)), 0);
    assert_string_equal(u.password, "a?b");
    assert_string_equal(u.sentinel_password, "x&y=");
    assert_int_equal(u.db, 4);
    assert_string_equal(u.master, "m");
    const char *bad_escapes[] = {"redis://:50%@h", "redis://:a%4@h", "redis://:a%zz@h", "redis://:a%00b@h",
                                 "redis://u%g1:p@h", "redis-sentinel://h/m?sentinel_password=%2"};
    for (size_t i = 0; i < sizeof(bad_escapes) / sizeof(bad_escapes[0]); i++) {
        err[0] = '\0';
        assert_int_equal(ts_redis_url_parse(bad_escapes[i], &u, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "%XX"));
    }
    /* An error shows the URL with its passwords as ***: it goes to logs. */
    assert_int_equal(ts_redis_url_parse("redis://app:Pw1@h:0", &u, err, sizeof(err)), -1);
    assert_string_equal(err, "'redis://app:***@h:0' has a bad port (1-65535)");
    assert_int_equal(ts_redis_url_parse("redis-sentinel://:Pw1@s/m?sentinel_password=Pw2&db=x", &u, err, sizeof(err)), -1);
    assert_null(strstr(err, "Pw1"));
    assert_null(strstr(err, "Pw2"));
    assert_non_null(strstr(err, "'redis-sentinel://:***@s/m?sentinel_password=***&db=x': the query takes"));
    /* A '?' in a redis:// password is the password's (no query there): masked whole. */
    assert_int_equal(ts_redis_url_parse("redis://:a?Pw3@h:0", &u, err, sizeof(err)), -1);
    assert_string_equal(err, "'redis://:***@h:0' has a bad port (1-65535)");
    /* URLs that do not parse as the writer meant, so nothing the parser
     * read can be trusted: a raw '?' in a sentinel URL's password, a raw '&'
     * in sentinel_password, a misspelled key, an '@' in the query. */
    const char *leaky[][2] = {
        {"redis-sentinel://:se?Pw4@s1:26379/mymaster", "'redis-sentinel://***@***'"},
        {"redis-sentinel://s/m?sentinel_password=Pw5&Pw6", "'redis-sentinel://s/m?sentinel_password=***&***'"},
        {"redis-sentinel://s/m?sentinel_pasword=Pw7", "'redis-sentinel://s/m?sentinel_pasword=***'"},
        {"redis-sentinel://s/m?sentinel_password=Pw8@Pw9&db=x", "'redis-sentinel://***@***&db=x'"},
        {"redis-sentinel://u:Pw1@s/m?db=x&sentinel_user=v", "'redis-sentinel://u:***@s/m?db=x&sentinel_user=v'"},
        /* Found by a review: a '?' typed for an '&' made db= or
         * sentinel_user= one parameter with the password after it. */
        {"redis-sentinel://:Pw1@h1:26379/m?db=1?sentinel_password=Pw2",
         "'redis-sentinel://:***@h1:26379/m?db=1?sentinel_password=***': a second '?'"},
        {"redis-sentinel://:Pw1@h1:26379/m?sentinel_user=u?sentinel_password=Pw2",
         "'redis-sentinel://:***@h1:26379/m?sentinel_user=u?sentinel_password=***'"},
        {"redis-sentinel://h/m?sentinel_user=Pw1:Pw2", "'redis-sentinel://h/m?sentinel_user=***'"},
        /* the '@host' forgotten, an '&' for the '?', a password where a
         * host, a name or a db goes, no scheme */
        {"redis://u:Pw1", "'redis://u:***' has a bad port"},
        {"redis-sentinel://h1:26379/m&sentinel_password=Pw1", "'redis-sentinel://h1:26379/m&sentinel_password=***'"},
        {"redis-sentinel://h&sentinel_password=Pw1/m", "'redis-sentinel://h&sentinel_password=***'"},
        {"redis-sentinel://s/sentinel_password=Pw1", "'redis-sentinel://s/***'"},
        {"redis://:Pw1@h:6379/0?password=Pw2", "'redis://:***@h:6379/0?password=***'"},
        {"redis://h/Pw1", "'redis://h/***'"},
        {"u:Pw1@h://x", "'u:***@h:/***'"},
    };
    for (size_t i = 0; i < sizeof(leaky) / sizeof(leaky[0]); i++) {
        assert_int_equal(ts_redis_url_parse(leaky[i][0], &u, err, sizeof(err)), -1);
        for (const char *pw = strstr(leaky[i][0], "Pw"); pw != NULL; pw = strstr(pw + 1, "Pw"))
            assert_null(strstr(err, (char[]){pw[0], pw[1], pw[2], 0}));
        assert_non_null(strstr(err, leaky[i][1]));
    }
    const char *bad[] = {"http://h:1", "redis://", "redis://:6379", "redis://h:0", "redis://h:70000",
                         "redis://h:12x", "redis://h:1/x", "redis://pw@h:1", "h:6379",
                         "redis-sentinel://h:26379", "redis-sentinel://h:26379/", "redis-sentinel:///m",
                         "redis-sentinel://h:0/m", "redis-sentinel://h,,i/m", "redis-sentinel://h/m?db=x",
                         "redis-sentinel://h/m?x=1", "redis-sentinel://h/m/n", "redis-sentinel://h/m?",
                         "redis-sentinel://h/m?db=1&db=2", "redis-sentinel://h/m?sentinel_password=",
                         "redis-sentinel://h/m?sentinel_user=u", "redis-sentinel://h/m?db=1&",
                         "redis-sentinel://h/m?sentinel_password=a&sentinel_password=b",
                         "redis-sentinel://a,b,c,d,e,f,g,h,i/m", "redis-sentinel://h/m&db=1",
                         "redis-sentinel://h/m?db=1?db=2", "redis://h=x:1", "redis-sentinel://h@/m"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(ts_redis_url_parse(bad[i], &u, err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
}

typedef struct {
    int64_t n, d;
    const char *s;
    int b;
    ts_redis_url r;
} opt_vals;

static ts_opts_result parse(opt_vals *v, int argc, char **argv, char *err)
{
    const ts_opt opts[] = {
        {"count", "TS_TEST_COUNT", TS_OPT_INT, &v->n, "5", 1, 10, "a count"},
        {"wait", "TS_TEST_WAIT", TS_OPT_DURATION, &v->d, "2s", 1, 60000, "a duration"},
        {"name", "TS_TEST_NAME", TS_OPT_STRING, &v->s, "x", 0, 0, "a name"},
        {"flag", "TS_TEST_FLAG", TS_OPT_BOOL, &v->b, NULL, 0, 0, "a flag"},
        {"redis", "TS_TEST_REDIS", TS_OPT_REDIS, &v->r, "redis://127.0.0.1:6379", 0, 0, "a url"},
    };
    return ts_opts_parse(opts, 5, argc, argv, err, 256);
}

static void test_options(void **state)
{
    (void)state;
    char err[256];
    opt_vals v;
    char *a0[] = {"prog"};
    unsetenv("TS_TEST_COUNT");
    assert_int_equal(parse(&v, 1, a0, err), TS_OPTS_OK);
    assert_int_equal(v.n, 5);
    assert_int_equal(v.d, 2000);
    assert_string_equal(v.s, "x");
    assert_int_equal(v.b, 0);
    assert_int_equal(v.r.port, 6379);

    setenv("TS_TEST_COUNT", "7", 1);
    char *a1[] = {"prog", "--wait=15s", "--flag", "--name", "y", "--redis", "redis://h:1"};
    assert_int_equal(parse(&v, 7, a1, err), TS_OPTS_OK);
    assert_int_equal(v.n, 7); /* from the environment */
    assert_int_equal(v.d, 15000);
    assert_int_equal(v.b, 1);
    assert_string_equal(v.s, "y");
    assert_string_equal(v.r.host, "h");

    char *a2[] = {"prog", "--count", "9"};
    assert_int_equal(parse(&v, 3, a2, err), TS_OPTS_OK);
    assert_int_equal(v.n, 9); /* the flag beats the environment */

    setenv("TS_TEST_COUNT", "70", 1);
    assert_int_equal(parse(&v, 1, a0, err), TS_OPTS_ERROR);
    assert_non_null(strstr(err, "--count"));
    assert_non_null(strstr(err, "TS_TEST_COUNT"));
    unsetenv("TS_TEST_COUNT");

    char *bad[][3] = {{"prog", "--count", "0"},    {"prog", "--count", "abc"}, {"prog", "--wait", "5"},
                      {"prog", "--redis", "h:1"},  {"prog", "--nope", "1"},    {"prog", "stray", "1"},
                      {"prog", "--flag=maybe", ""}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int argc = bad[i][2][0] ? 3 : 2;
        err[0] = '\0';
        assert_int_equal(parse(&v, argc, bad[i], err), TS_OPTS_ERROR);
        assert_true(strlen(err) > 0 && strchr(err, '\n') == NULL);
    }
    char *missing[] = {"prog", "--count"};
    assert_int_equal(parse(&v, 2, missing, err), TS_OPTS_ERROR);
    assert_non_null(strstr(err, "needs a value"));
    /* Found by fuzz_opts: an argument with a newline was quoted into err
     * as is, so the "one line" error was two. */
    char *nl[][2] = {{"prog", "\n--x"}, {"prog", "--count=1\n2"}, {"prog", "--redis=h\r\n:1"}};
    for (size_t i = 0; i < sizeof(nl) / sizeof(nl[0]); i++) {
        assert_int_equal(parse(&v, 2, nl[i], err), TS_OPTS_ERROR);
        assert_null(strchr(err, '\n'));
        assert_null(strchr(err, '\r'));
        /* shown as '?'; a URL's host with them in is shown as *** */
        assert_non_null(strstr(err, i < 2 ? "?" : "'***:1'"));
    }
    char *help[] = {"prog", "--count", "bad", "--help"};
    assert_int_equal(parse(&v, 4, help, err), TS_OPTS_HELP);
}

static void test_backoff(void **state)
{
    (void)state;
    ts_backoff b;
    ts_backoff_reset(&b);
    assert_int_equal(ts_backoff_next(&b), 100);
    assert_int_equal(ts_backoff_next(&b), 200);
    for (int i = 0; i < 20; i++)
        assert_true(ts_backoff_next(&b) <= 5000);
    assert_int_equal(ts_backoff_next(&b), 5000);
    ts_backoff_reset(&b);
    assert_int_equal(ts_backoff_next(&b), 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),   cmocka_unit_test(test_durations), cmocka_unit_test(test_redis_urls),
        cmocka_unit_test(test_options), cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
