/* test_redis.c — ts_redis_send_setup against a listening socket of our own:
 * what it writes on the wire, and that each reply reaches the callback. No
 * event loop: hiredis's handlers are called by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ts_redis.h"

typedef struct peer {
    int lfd;  /* listening */
    int sfd;  /* the accepted side: the "server" */
    redisAsyncContext *ac;
    int replies;
    char seen[4][64];
} peer;

static void on_reply(redisAsyncContext *ac, void *r, void *priv)
{
    peer *p = priv;
    redisReply *reply = r;
    assert_ptr_equal(ac, p->ac);
    if (reply != NULL && p->replies < 4)
        snprintf(p->seen[p->replies], sizeof(p->seen[0]), "%s", reply->str);
    p->replies += reply != NULL;
}

static void open_peer(peer *p)
{
    memset(p, 0, sizeof(*p));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    p->lfd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(p->lfd >= 0);
    assert_int_equal(bind(p->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(p->lfd, 1), 0);
    assert_int_equal(getsockname(p->lfd, (struct sockaddr *)&a, &alen), 0);
    p->ac = redisAsyncConnect("127.0.0.1", ntohs(a.sin_port));
    assert_non_null(p->ac);
    assert_int_equal(p->ac->err, 0);
    p->sfd = accept(p->lfd, NULL, NULL);
    assert_true(p->sfd >= 0);
}

static void close_peer(peer *p)
{
    redisAsyncFree(p->ac);
    close(p->sfd);
    close(p->lfd);
}

/* Lets hiredis write what it queued; reads want bytes on the server side. */
static void flush_to_server(peer *p, char *buf, size_t want)
{
    size_t n = 0;
    redisAsyncHandleWrite(p->ac); /* completes the connect, then writes */
    while (n < want && poll(&(struct pollfd){p->sfd, POLLIN, 0}, 1, 2000) > 0) {
        ssize_t k = read(p->sfd, buf + n, want - n);
        assert_true(k > 0);
        n += (size_t)k;
    }
    buf[n] = '\0';
}

static void answer(peer *p, const char *resp)
{
    assert_int_equal(write(p->sfd, resp, strlen(resp)), (ssize_t)strlen(resp));
    for (int i = 0; i < 100 && poll(&(struct pollfd){p->ac->c.fd, POLLIN, 0}, 1, 10) == 0; i++)
        ;
    redisAsyncHandleRead(p->ac);
}

static void test_nothing_to_send(void **state)
{
    (void)state;
    peer p;
    open_peer(&p);
    ts_redis_url u;
    char err[128];
    assert_int_equal(ts_redis_url_parse("redis://127.0.0.1:1", &u, err, sizeof(err)), 0);
    assert_int_equal(ts_redis_send_setup(p.ac, &u, on_reply, &p), 0);
    assert_int_equal(ts_redis_url_parse("redis://127.0.0.1:1/0", &u, err, sizeof(err)), 0);
    assert_int_equal(ts_redis_send_setup(p.ac, &u, on_reply, &p), 0);
    close_peer(&p);
}

static void test_auth_and_select(void **state)
{
    (void)state;
    const struct {
        const char *url;
        int n;
        const char *wire;
    } cases[] = {
        {"redis://:sekret@h:1", 1, "*2\r\n$4\r\nAUTH\r\n$6\r\nsekret\r\n"},
        {"redis://bob:sekret@h:1", 1, "*3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$6\r\nsekret\r\n"},
        {"redis://h:1/3", 1, "*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n"},
        {"redis://bob:se cret@h:1/12", 2,
         "*3\r\n$4\r\nAUTH\r\n$3\r\nbob\r\n$7\r\nse cret\r\n*2\r\n$6\r\nSELECT\r\n$2\r\n12\r\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        peer p;
        ts_redis_url u;
        char err[128], wire[512];
        open_peer(&p);
        assert_int_equal(ts_redis_url_parse(cases[i].url, &u, err, sizeof(err)), 0);
        assert_int_equal(ts_redis_send_setup(p.ac, &u, on_reply, &p), cases[i].n);
        flush_to_server(&p, wire, strlen(cases[i].wire));
        assert_string_equal(wire, cases[i].wire);
        answer(&p, cases[i].n == 2 ? "+OK\r\n-ERR DB index is out of range\r\n" : "+OK\r\n");
        assert_int_equal(p.replies, cases[i].n);
        assert_string_equal(p.seen[0], "OK");
        if (cases[i].n == 2)
            assert_string_equal(p.seen[1], "ERR DB index is out of range");
        close_peer(&p);
    }
}

static void test_refused(void **state)
{
    (void)state;
    peer p;
    ts_redis_url u;
    char err[128];
    open_peer(&p);
    assert_int_equal(ts_redis_url_parse("redis://:pw@h:1/2", &u, err, sizeof(err)), 0);
    /* With a reply pending, a disconnecting context stays and refuses commands. */
    assert_int_equal(redisAsyncCommand(p.ac, on_reply, &p, "PING"), REDIS_OK);
    redisAsyncDisconnect(p.ac);
    assert_int_equal(ts_redis_send_setup(p.ac, &u, on_reply, &p), -1);
    close_peer(&p); /* the PING's callback gets NULL */
    assert_int_equal(p.replies, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nothing_to_send),
        cmocka_unit_test(test_auth_and_select),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
