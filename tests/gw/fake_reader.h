/* fake_reader.h — a hiredis reader without a socket, for the tests of the
 * gateway's reply readers (test_xreply.c, test_rreply.c): a context with
 * only what the reader functions look at, and feeding bytes in pieces.
 * Include after cmocka.h and hiredis.h. */
#ifndef FAKE_READER_H
#define FAKE_READER_H

#include <string.h>

typedef struct fake {
    redisContext c;
} fake;

/* A reader given to attach (gw_xreader_attach, gw_rreader_attach). */
static void fake_init_with(fake *f, int (*attach)(redisContext *))
{
    memset(f, 0, sizeof(*f));
    f->c.reader = redisReaderCreate();
    assert_non_null(f->c.reader);
    assert_int_equal(attach(&f->c), 0);
}

/* Feeds s in pieces of `step` bytes; returns the one reply it makes. */
static void *feed(fake *f, const char *s, size_t step)
{
    void *reply = NULL;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i += step) {
        assert_null(reply);
        size_t n = len - i < step ? len - i : step;
        assert_int_equal(redisReaderFeed(f->c.reader, s + i, n), REDIS_OK);
        assert_int_equal(redisReaderGetReply(f->c.reader, &reply), REDIS_OK);
    }
    assert_non_null(reply);
    return reply;
}

#endif
