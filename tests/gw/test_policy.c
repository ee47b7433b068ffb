/* test_policy.c — gw_policy.c: the Origin rule of WebSocket upgrades and
 * the address lists of --per-ip-exempt, without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "gw_policy.h"

static int allowed(const char *origin, const char *host, const char *list)
{
    return gw_origin_allowed(origin, origin ? strlen(origin) : 0, host, host ? strlen(host) : 0, list);
}

static void test_origin(void **state)
{
    (void)state;
    assert_true(allowed(NULL, "a:8080", ""));               /* no Origin: not a browser */
    assert_true(allowed("http://a:8080", "a:8080", ""));    /* same origin */
    assert_true(allowed("https://a:8080", "a:8080", ""));   /* TLS ended at the load balancer */
    assert_true(allowed("HTTP://A:8080", "a:8080", NULL));  /* case */
    assert_true(allowed("http://a", "a:80", ""));           /* default port */
    assert_true(allowed("https://a:443", "a", ""));
    assert_true(allowed("https://a", "a:443", ""));
    /* Found by fuzz_origin: the Host was read with both default ports
     * dropped, so http://a:443 (an odd but real origin) was not its own. */
    assert_true(allowed("http://a:443", "a:443", ""));
    assert_false(allowed("http://a", "a:443", ""));
    assert_false(allowed("https://a", "a:80", ""));
    assert_false(allowed("http://a:8081", "a:8080", ""));
    assert_false(allowed("http://a:8080.evil", "a:8080", ""));
    assert_false(allowed("http://a:8080/", "a:8080", "")); /* an origin has no path */
    assert_false(allowed("ws://a:8080", "a:8080", ""));
    assert_false(allowed("null", "a:8080", ""));
    assert_false(allowed("http://a:8080", NULL, ""));      /* no Host to compare with */
    assert_false(allowed("", "", ""));
    assert_false(allowed("http://", "", ""));

    const char *list = " http://app.example:3000 ,https://b.example,null";
    assert_true(allowed("http://app.example:3000", "gw:1", list));
    assert_true(allowed("https://b.example:443", "gw:1", list));
    assert_true(allowed("null", "gw:1", list));             /* opaque, only when listed */
    assert_false(allowed("http://b.example", "gw:1", list)); /* scheme differs */
    assert_false(allowed("http://app.example:300", "gw:1", list));
    assert_false(allowed("http://app.example:30000", "gw:1", list));
    assert_true(allowed("http://anything", "gw:1", "x,*"));
    assert_false(allowed("http://anything", "gw:1", ",,"));
    /* Embedded NUL: never equal to a Host. */
    assert_false(gw_origin_allowed("http://a\0b", 10, "a\0b", 3, ""));
}

static struct sockaddr_storage addr(const char *s)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(s, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, s, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, s, &a->sin_addr), 1);
    }
    return ss;
}

static int in(const gw_nets *l, const char *s)
{
    struct sockaddr_storage ss = addr(s);
    return gw_nets_match(l, (struct sockaddr *)&ss);
}

static void test_nets(void **state)
{
    (void)state;
    gw_nets l;
    char err[256];
    assert_int_equal(gw_nets_parse("127.0.0.1, ::1,10.0.0.0/8,172.16.0.0/12,fd00::/8,192.168.1.0/25", &l, err,
                                   sizeof(err)),
                     0);
    assert_int_equal(l.n, 6);
    assert_true(in(&l, "127.0.0.1"));
    assert_false(in(&l, "127.0.0.2"));
    assert_true(in(&l, "::1"));
    assert_true(in(&l, "::ffff:127.0.0.1")); /* IPv4-mapped on a dual-stack socket */
    assert_true(in(&l, "10.255.0.1"));
    assert_true(in(&l, "172.31.255.255"));
    assert_false(in(&l, "172.32.0.0"));
    assert_true(in(&l, "192.168.1.127"));
    assert_false(in(&l, "192.168.1.128"));
    assert_true(in(&l, "fd12::1"));
    assert_false(in(&l, "fe80::1"));

    assert_int_equal(gw_nets_parse("", &l, err, sizeof(err)), 0);
    assert_int_equal(l.n, 0);
    assert_false(in(&l, "127.0.0.1"));
    assert_int_equal(gw_nets_parse("0.0.0.0/0", &l, err, sizeof(err)), 0);
    assert_true(in(&l, "8.8.8.8"));

    const char *bad[] = {"localhost", "10.0.0.0/33", "::/129", "1.2.3.4/", "1.2.3.4/x", "1.2.3", "10.0.0.0/8,,",
                         "1.2.3.4/0008"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(gw_nets_parse(bad[i], &l, err, sizeof(err)), -1);
        assert_non_null(strstr(err, "not an address"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_origin), cmocka_unit_test(test_nets)};
    return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
