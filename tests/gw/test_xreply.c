/* test_xreply.c — gw_xreader on a bare hiredis reader, no socket: XRANGE
 * replies of the chosen callback become gw_xreply (whole or fed byte by
 * byte), every other reply stays a redisReply tree, odd entries are marked
 * unreadable, and installing while another reply is half read is safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "gw_ring.h"
#include "gw_xreply.h"

static void target(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)r, (void)priv;
}

static void other(redisAsyncContext *ac, void *r, void *priv)
{
    (void)ac, (void)r, (void)priv;
}

/* An async context with only what the reader functions look at. */
typedef struct fake {
    redisAsyncContext ac;
    redisCallback cb;
    gw_xreader xr;
} fake;

static void fake_init(fake *f, redisCallbackFn *owner)
{
    memset(f, 0, sizeof(*f));
    f->ac.c.reader = redisReaderCreate();
    assert_non_null(f->ac.c.reader);
    f->cb.fn = owner;
    f->ac.replies.head = &f->cb;
    gw_xreader_install(&f->xr, &f->ac, target);
}

static void fake_free(fake *f)
{
    redisReaderFree(f->ac.c.reader);
}

/* Feeds s in pieces of `step` bytes; returns the one reply it makes. */
static void *feed(fake *f, const char *s, size_t step)
{
    void *reply = NULL;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i += step) {
        assert_null(reply);
        size_t n = len - i < step ? len - i : step;
        assert_int_equal(redisReaderFeed(f->ac.c.reader, s + i, n), REDIS_OK);
        assert_int_equal(redisReaderGetReply(f->ac.c.reader, &reply), REDIS_OK);
    }
    assert_non_null(reply);
    return reply;
}

static void drop(fake *f, void *reply)
{
    f->ac.c.reader->fn->freeObject(reply);
}

/* Entries: plain; p after another field; no p; sequence 5; p not a number. */
static const char XR[] = "*5\r\n"
                         "*2\r\n$15\r\n1700000000000-0\r\n*2\r\n$1\r\np\r\n$2\r\n-3\r\n"
                         "*2\r\n$15\r\n1700000001000-0\r\n*4\r\n$1\r\nq\r\n$1\r\n9\r\n$1\r\np\r\n$1\r\n7\r\n"
                         "*2\r\n$15\r\n1700000002000-0\r\n*2\r\n$1\r\nq\r\n$1\r\n1\r\n"
                         "*2\r\n$15\r\n1700000003000-5\r\n*2\r\n$1\r\np\r\n$10\r\n2147483647\r\n"
                         "*2\r\n$15\r\n1700000004000-0\r\n*2\r\n$1\r\np\r\n$2\r\nx1\r\n";

static void check_xr(const gw_xreply *x)
{
    assert_non_null(x);
    assert_int_equal(x->n, 5);
    const int64_t t[] = {1700000000000, 1700000001000, 1700000002000, 1700000003000, 1700000004000};
    const int32_t p[] = {-3, 7, GW_MISSING, 2147483647, GW_MISSING};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(x->t[i], t[i]);
        assert_int_equal(x->p[i], p[i]);
    }
}

static void test_xrange_whole_and_bytewise(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, target);
    for (size_t step = sizeof(XR); step >= 1; step = step > 7 ? step / 2 : step - 1) {
        void *r = feed(&f, XR, step);
        check_xr(gw_xreply_of(r));
        drop(&f, r);
    }
    void *r = feed(&f, "*0\r\n", 4);
    assert_int_equal(gw_xreply_of(r)->n, 0);
    drop(&f, r);
    fake_free(&f);
}

static void test_other_replies_stay_trees(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, other);
    redisReply *r = feed(&f, XR, 3);
    assert_null(gw_xreply_of(r));
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 5);
    assert_string_equal(r->element[3]->element[0]->str, "1700000003000-5");
    assert_string_equal(r->element[1]->element[1]->element[3]->str, "7");
    drop(&f, r);
    /* The target's own error and nil replies are redisReplies too. */
    f.cb.fn = target;
    r = feed(&f, "-ERR wrong type\r\n", 5);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR wrong type");
    drop(&f, r);
    r = feed(&f, "*-1\r\n", 1);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    drop(&f, r);
    fake_free(&f);
}

static void test_odd_shapes(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, target);
    /* Not entries: a string, an integer, a nil entry, an entry with a nil
     * field list, an ID that is not a number, out-of-range prices. */
    const gw_xreply *x;
    void *r = feed(&f,
                   "*8\r\n$3\r\nabc\r\n:5\r\n*-1\r\n*2\r\n$3\r\n1-0\r\n*-1\r\n"
                   "*2\r\n$3\r\nz-0\r\n*2\r\n$1\r\np\r\n$1\r\n1\r\n"
                   "*2\r\n$3\r\n2-0\r\n*2\r\n$1\r\np\r\n$11\r\n-2147483648\r\n"
                   "*2\r\n$3\r\n3-0\r\n*2\r\n$1\r\np\r\n$10\r\n2147483648\r\n"
                   "*2\r\n$1\r\n4\r\n*2\r\n$1\r\np\r\n$2\r\n-0\r\n",
                   2);
    x = gw_xreply_of(r);
    assert_non_null(x);
    assert_int_equal(x->n, 8);
    const int64_t t[] = {-1, -1, -1, 1, -1, 2, 3, 4};
    const int32_t p[] = {GW_MISSING, GW_MISSING, GW_MISSING, GW_MISSING, 1, GW_MISSING, GW_MISSING, 0};
    for (int i = 0; i < 8; i++) {
        assert_int_equal(x->t[i], t[i]);
        assert_int_equal(x->p[i], p[i]);
    }
    drop(&f, r);
    fake_free(&f);
}

/* The reader may be in the middle of another reply when the gateway installs
 * the functions (a repair or ts:meta reply arriving in pieces). */
static void test_install_mid_reply(void **state)
{
    (void)state;
    fake f;
    memset(&f, 0, sizeof(f));
    f.ac.c.reader = redisReaderCreate();
    f.cb.fn = other;
    f.ac.replies.head = &f.cb;
    static const char HASH[] = "*4\r\n$11\r\ninterval_ms\r\n$4\r\n1000\r\n$5\r\nepoch\r\n$1\r\n7\r\n";
    void *r = NULL;
    assert_int_equal(redisReaderFeed(f.ac.c.reader, HASH, 30), REDIS_OK);
    assert_int_equal(redisReaderGetReply(f.ac.c.reader, &r), REDIS_OK);
    assert_null(r);
    gw_xreader_install(&f.xr, &f.ac, target);
    gw_xreader_install(&f.xr, &f.ac, target); /* idempotent */
    redisReply *h = feed(&f, HASH + 30, 1);
    assert_int_equal(h->type, REDIS_REPLY_ARRAY);
    assert_int_equal(h->elements, 4);
    assert_string_equal(h->element[3]->str, "7");
    drop(&f, h);
    f.cb.fn = target;
    r = feed(&f, XR, 64);
    check_xr(gw_xreply_of(r));
    drop(&f, r);
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xrange_whole_and_bytewise),
        cmocka_unit_test(test_other_replies_stay_trees),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_install_mid_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
