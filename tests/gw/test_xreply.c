/* test_xreply.c — gw_xreader_attach on a bare hiredis reader, no socket:
 * XRANGE replies become gw_xreply (whole or fed byte by byte), every reply
 * that is not an array stays a redisReply, odd entries are marked
 * unreadable, and replies of both kinds follow each other on one reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "gw_ring.h"
#include "gw_xreply.h"

#include "fake_reader.h"

static void fake_init(fake *f)
{
    fake_init_with(f, gw_xreader_attach);
}

static void fake_free(fake *f)
{
    redisReaderFree(f->c.reader);
}

static void drop(fake *f, void *reply)
{
    f->c.reader->fn->freeObject(reply);
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
    fake_init(&f);
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
    fake_init(&f);
    /* Errors and nil are redisReplies: the catch-up tells them apart. */
    redisReply *r = feed(&f, "-ERR wrong type\r\n", 5);
    assert_null(gw_xreply_of(r));
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    assert_string_equal(r->str, "ERR wrong type");
    drop(&f, r);
    r = feed(&f, "*-1\r\n", 1);
    assert_int_equal(r->type, REDIS_REPLY_NIL);
    drop(&f, r);
    /* So are the replies to AUTH, SELECT and the liveness PING. */
    r = feed(&f, "+PONG\r\n", 2);
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    assert_string_equal(r->str, "PONG");
    drop(&f, r);
    r = feed(&f, ":7\r\n", 1);
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 7);
    drop(&f, r);
    fake_free(&f);
}

static void test_odd_shapes(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
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

/* Replies of both kinds follow each other on one reader, whole or in
 * pieces that split them anywhere. */
static void test_mixed_sequence(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
    char all[1024];
    snprintf(all, sizeof(all), "+OK\r\n%s-ERR x\r\n%s", XR, XR);
    size_t len = strlen(all);
    for (size_t step = 1; step <= len; step = step * 3 + 1) {
        void *got[4] = {0};
        int n = 0;
        for (size_t i = 0; i < len; i += step) {
            size_t k = len - i < step ? len - i : step;
            assert_int_equal(redisReaderFeed(f.c.reader, all + i, k), REDIS_OK);
            void *r;
            while (redisReaderGetReply(f.c.reader, &r) == REDIS_OK && r != NULL) {
                assert_true(n < 4);
                got[n++] = r;
            }
        }
        assert_int_equal(n, 4);
        assert_int_equal(((redisReply *)got[0])->type, REDIS_REPLY_STATUS);
        check_xr(gw_xreply_of(got[1]));
        assert_int_equal(((redisReply *)got[2])->type, REDIS_REPLY_ERROR);
        check_xr(gw_xreply_of(got[3]));
        for (int i = 0; i < 4; i++)
            drop(&f, got[i]);
    }
    fake_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xrange_whole_and_bytewise),
        cmocka_unit_test(test_other_replies_stay_trees),
        cmocka_unit_test(test_odd_shapes),
        cmocka_unit_test(test_mixed_sequence),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
