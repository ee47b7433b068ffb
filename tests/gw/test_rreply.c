/* test_rreply.c — gw_rreader_attach on a bare hiredis reader, no socket: a
 * range read's EXEC reply (candle XRANGEs, then a tick XRANGE) becomes a
 * gw_rreply whole or fed byte by byte, with every entry read by the rules
 * of ts_candle_from_reply and ts_entry_from_reply (malformed ones refused),
 * an error in place of a part marks it not ok, and the replies around it
 * (OK, QUEUED) stay redisReply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>

#include "gw_rreply.h"

#include "fake_reader.h"

static void fake_init(fake *f)
{
    fake_init_with(f, gw_rreader_attach);
}

/* Part 0, candles: good (fields in another order, an extra field); l > o;
 * n missing; ID unreadable. Part 1, ticks: good; p after another field; two
 * p (the first, unreadable, counts); no p; an o field only. */
static const char EXEC[] =
    "*2\r\n"
    "*4\r\n"
    "*2\r\n$15\r\n1700000000000-0\r\n*12\r\n$1\r\nn\r\n$2\r\n60\r\n$1\r\nh\r\n$1\r\n5\r\n$1\r\no\r\n$1\r\n1\r\n"
    "$1\r\nl\r\n$2\r\n-2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nx\r\n$1\r\n9\r\n"
    "*2\r\n$15\r\n1700000060000-0\r\n*10\r\n$1\r\no\r\n$1\r\n1\r\n$1\r\nh\r\n$1\r\n5\r\n$1\r\nl\r\n$1\r\n2\r\n"
    "$1\r\nc\r\n$1\r\n3\r\n$1\r\nn\r\n$1\r\n4\r\n"
    "*2\r\n$15\r\n1700000120000-0\r\n*8\r\n$1\r\no\r\n$1\r\n1\r\n$1\r\nh\r\n$1\r\n5\r\n$1\r\nl\r\n$1\r\n1\r\n"
    "$1\r\nc\r\n$1\r\n3\r\n"
    "*2\r\n$3\r\nabc\r\n*10\r\n$1\r\no\r\n$1\r\n1\r\n$1\r\nh\r\n$1\r\n5\r\n$1\r\nl\r\n$1\r\n1\r\n"
    "$1\r\nc\r\n$1\r\n3\r\n$1\r\nn\r\n$1\r\n4\r\n"
    "*5\r\n"
    "*2\r\n$15\r\n1700000180000-0\r\n*2\r\n$1\r\np\r\n$2\r\n-7\r\n"
    "*2\r\n$15\r\n1700000181000-0\r\n*4\r\n$1\r\nq\r\n$1\r\n9\r\n$1\r\np\r\n$1\r\n8\r\n"
    "*2\r\n$15\r\n1700000182000-0\r\n*4\r\n$1\r\np\r\n$1\r\nz\r\n$1\r\np\r\n$1\r\n8\r\n"
    "*2\r\n$15\r\n1700000183000-0\r\n*2\r\n$1\r\nq\r\n$1\r\n1\r\n"
    "*2\r\n$15\r\n1700000184000-0\r\n*2\r\n$1\r\no\r\n$1\r\n1\r\n";

static void check_exec(const gw_rreply *x)
{
    assert_non_null(x);
    assert_int_equal(x->k, 2);
    assert_true(x->part[0].ok && x->part[1].ok);
    assert_int_equal(x->part[0].n, 4);
    assert_int_equal(x->part[1].n, 5);
    ts_candle c;
    assert_int_equal(gw_rpart_candle(&x->part[0], 0, &c), 0);
    assert_int_equal(c.t, 1700000000000LL);
    assert_true(c.o == 1 && c.h == 5 && c.l == -2 && c.c == 3 && c.n == 60);
    for (size_t i = 1; i < 4; i++)
        assert_int_equal(gw_rpart_candle(&x->part[0], i, &c), -1);
    assert_int_equal(gw_rpart_candle(&x->part[0], 4, &c), -1); /* past the end */
    assert_int_equal(gw_rpart_tick(&x->part[1], 0, &c), 0);
    assert_true(c.t == 1700000180000LL && c.o == -7 && c.h == -7 && c.l == -7 && c.c == -7 && c.n == 1);
    assert_int_equal(gw_rpart_tick(&x->part[1], 1, &c), 0);
    assert_true(c.t == 1700000181000LL && c.c == 8);
    for (size_t i = 2; i < 5; i++)
        assert_int_equal(gw_rpart_tick(&x->part[1], i, &c), -1);
}

static void test_exec_whole_and_byte_by_byte(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
    for (size_t step = sizeof(EXEC); step >= 1; step = step > 1 ? step / 7 : 0) {
        void *r = feed(&f, EXEC, step);
        check_exec(gw_rreply_of(r));
        f.c.reader->fn->freeObject(r);
    }
    redisReaderFree(f.c.reader);
}

static void test_other_replies_stay_redis_replies(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
    redisReply *r = feed(&f, "+QUEUED\r\n", 100);
    assert_null(gw_rreply_of(r));
    assert_int_equal(r->type, REDIS_REPLY_STATUS);
    f.c.reader->fn->freeObject(r);
    r = feed(&f, "-EXECABORT Transaction discarded\r\n", 100);
    assert_int_equal(r->type, REDIS_REPLY_ERROR);
    f.c.reader->fn->freeObject(r);
    r = feed(&f, "*-1\r\n", 100); /* an aborted EXEC */
    assert_null(gw_rreply_of(r));
    f.c.reader->fn->freeObject(r);
    /* An error in place of a part; an empty part. */
    const gw_rreply *x = gw_rreply_of(r = feed(&f, "*2\r\n-WRONGTYPE x\r\n*0\r\n", 3));
    assert_non_null(x);
    assert_false(x->part[0].ok);
    assert_true(x->part[1].ok);
    assert_int_equal(x->part[1].n, 0);
    f.c.reader->fn->freeObject(r);
    redisReaderFree(f.c.reader);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exec_whole_and_byte_by_byte),
        cmocka_unit_test(test_other_replies_stay_redis_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
