/* test_entry.c — the stream-entry and ts:meta readers on every reply shape:
 * replies are made by hiredis's own reader from RESP bytes (what a socket
 * would carry), plus hand-built trees for what RESP cannot say (NULL
 * elements). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "ts_candle.h"
#include "ts_entry.h"
#include "ts_meta.h"
#include "ts_names.h"

/* The reply hiredis makes of one RESP message; freeReplyObject it. */
static redisReply *resp(const char *bytes)
{
    redisReader *rd = redisReaderCreate();
    void *reply = NULL;
    assert_non_null(rd);
    assert_int_equal(redisReaderFeed(rd, bytes, strlen(bytes)), REDIS_OK);
    assert_int_equal(redisReaderGetReply(rd, &reply), REDIS_OK);
    assert_non_null(reply);
    redisReaderFree(rd);
    return reply;
}

/* One XRANGE entry [id, [fields...]] in RESP, each field a bulk string. */
static redisReply *entry(const char *id, int nf, ...)
{
    char b[1024];
    size_t n = (size_t)snprintf(b, sizeof(b), "*2\r\n$%zu\r\n%s\r\n*%d\r\n", strlen(id), id, nf);
    va_list ap;
    va_start(ap, nf);
    for (int i = 0; i < nf; i++) {
        const char *f = va_arg(ap, const char *);
        n += (size_t)snprintf(b + n, sizeof(b) - n, "$%zu\r\n%s\r\n", strlen(f), f);
    }
    va_end(ap);
    return resp(b);
}

static int from(redisReply *r, int64_t *t, int32_t *p)
{
    int rc = ts_entry_from_reply(r, t, p);
    freeReplyObject(r);
    return rc;
}

static void test_ids(void **state)
{
    (void)state;
    int64_t ms;
    uint64_t seq;
    assert_int_equal(ts_entry_parse_id("1732350000000-0", 15, &ms), 0);
    assert_int_equal(ms, 1732350000000);
    assert_int_equal(ts_entry_parse_id("42", 2, &ms), 0);
    assert_int_equal(ms, 42);
    assert_int_equal(ts_entry_parse_id("0-0", 3, &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(ts_entry_parse_id("9223372036854775807-0", 21, &ms), 0);
    assert_int_equal(ms, INT64_MAX);
    assert_int_equal(ts_entry_parse_id_seq("5-1", 3, &ms, &seq), 0);
    assert_int_equal(ms, 5);
    assert_int_equal(seq, 1);
    assert_int_equal(ts_entry_parse_id_seq("5-18446744073709551615", 22, &ms, &seq), 0);
    assert_true(seq == UINT64_MAX);
    /* The length bounds the ID: what follows is not read. */
    assert_int_equal(ts_entry_parse_id("123-0xyz", 5, &ms), 0);
    assert_int_equal(ms, 123);

    const char *bad[] = {"", "abc", "12-", "-1", "1-2-3", "99999999999999999999-0", "9223372036854775808-0",
                         "5-18446744073709551616", " 5-0", "5-0 ", "+5-0", "5_0", "5--0", "-", "0x10-0", "5-a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ms = 7, seq = 7;
        assert_int_equal(ts_entry_parse_id_seq(bad[i], strlen(bad[i]), &ms, &seq), -1);
        assert_int_equal(ms, -1);
        assert_int_equal(seq, 0);
        ms = 7;
        assert_int_equal(ts_entry_parse_id(bad[i], strlen(bad[i]), &ms), -1);
        assert_int_equal(ms, -1);
    }
    assert_int_equal(ts_entry_parse_id(NULL, 0, &ms), -1);
    assert_int_equal(ms, -1);
}

static void test_prices(void **state)
{
    (void)state;
    int32_t p;
    const struct {
        const char *s;
        int32_t want;
    } good[] = {{"0", 0}, {"-0", 0}, {"17", 17}, {"-17", -17}, {"007", 7},
                {"2147483647", INT32_MAX}, {"-2147483647", INT32_MIN + 1}};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        assert_int_equal(ts_entry_parse_price(good[i].s, strlen(good[i].s), &p), 0);
        assert_int_equal(p, good[i].want);
    }
    const char *bad[] = {"",   "-",  "+5",   " 5", "5 ", "1.5", "1e3", "0x10", "abc", "--5",
                         "2147483648", "-2147483648" /* INT32_MIN: TS_PRICE_MISSING */,
                         "-2147483649", "99999999999999999999999", "5-", "\t5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        p = 7;
        assert_int_equal(ts_entry_parse_price(bad[i], strlen(bad[i]), &p), -1);
        assert_int_equal(p, TS_PRICE_MISSING);
    }
    assert_int_equal(ts_entry_parse_price("12", 1, &p), 0); /* the length bounds it */
    assert_int_equal(p, 1);
    assert_int_equal(ts_entry_parse_price(NULL, 0, &p), -1);
}

static void test_well_formed_entries(void **state)
{
    (void)state;
    int64_t t;
    int32_t p;
    assert_int_equal(from(entry("1732350000000-0", 2, "p", "-42"), &t, &p), 0);
    assert_int_equal(t, 1732350000000);
    assert_int_equal(p, -42);
    /* Fields before and after p are ignored; the first p counts. */
    assert_int_equal(from(entry("10-0", 6, "x", "1", "q", "zz", "p", "5"), &t, &p), 0);
    assert_int_equal(p, 5);
    assert_int_equal(from(entry("10-0", 4, "p", "5", "p", "6"), &t, &p), 0);
    assert_int_equal(p, 5);
    assert_int_equal(from(entry("10-0", 4, "p", "5", "z", "abc"), &t, &p), 0);
    assert_int_equal(p, 5);
    assert_int_equal(from(entry("10", 2, "p", "1"), &t, &p), 0); /* bare ms: sequence 0 */
    assert_int_equal(t, 10);
}

/* A malformed entry whose ID is readable: -1, *t the ms, no price. */
static void assert_hole_at(redisReply *r, int64_t want_t)
{
    int64_t t = 99;
    int32_t p = 99;
    assert_int_equal(from(r, &t, &p), -1);
    assert_int_equal(t, want_t);
    assert_int_equal(p, TS_PRICE_MISSING);
}

static void test_malformed_prices(void **state)
{
    (void)state;
    assert_hole_at(entry("10-0", 0), 10);                               /* no fields */
    assert_hole_at(entry("10-0", 2, "q", "5"), 10);                     /* missing p */
    assert_hole_at(entry("10-0", 2, "P", "5"), 10);                     /* field names are exact */
    assert_hole_at(entry("10-0", 2, "pp", "5"), 10);
    assert_hole_at(entry("10-0", 2, "p", "abc"), 10);                   /* not an integer */
    assert_hole_at(entry("10-0", 2, "p", "1.5"), 10);
    assert_hole_at(entry("10-0", 2, "p", "2147483648"), 10);            /* out of int32 */
    assert_hole_at(entry("10-0", 2, "p", "-2147483649"), 10);
    assert_hole_at(entry("10-0", 2, "p", "-2147483648"), 10);           /* INT32_MIN */
    assert_hole_at(entry("10-0", 2, "p", ""), 10);                      /* empty value */
    assert_hole_at(entry("10-0", 4, "x", "1", "p", " 5"), 10);          /* extra fields, bad p */
    assert_hole_at(entry("10-0", 4, "p", "x", "p", "5"), 10);           /* the first p counts */
    {
        int64_t t;
        int32_t p;
        assert_int_equal(from(entry("5-1", 2, "p", "5"), &t, &p), 0); /* the sequence is not looked at */
        assert_int_equal(t, 5);
        assert_int_equal(p, 5);
    }
    assert_hole_at(entry("10-0", 3, "x", "p", "5"), 10);                /* odd field count */
    assert_hole_at(entry("10-0", 1, "p"), 10);
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*2\r\n$1\r\np\r\n:5\r\n"), 10);        /* integer value */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*2\r\n$1\r\np\r\n$-1\r\n"), 10);       /* nil value */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*2\r\n:1\r\n$1\r\n5\r\n"), 10);        /* integer field */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*2\r\n*0\r\n$1\r\n5\r\n"), 10);        /* array field */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*4\r\n:1\r\n:2\r\n$1\r\np\r\n$1\r\n5\r\n"), 10); /* odd type before p */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n$1\r\np\r\n"), 10);                    /* fields not an array */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n$-1\r\n"), 10);                        /* nil fields (deleted) */
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n*-1\r\n"), 10);
    assert_hole_at(resp("*2\r\n$4\r\n10-0\r\n:3\r\n"), 10);
}

static void test_unreadable_entries(void **state)
{
    (void)state;
    const char *ids[] = {"", "abc", "12-", "-1", "1-2-3", "99999999999999999999-0"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
        assert_hole_at(entry(ids[i], 2, "p", "5"), -1);
    assert_hole_at(resp("*2\r\n:10\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n"), -1);          /* integer ID */
    assert_hole_at(resp("*2\r\n$-1\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n"), -1);          /* nil ID */
    assert_hole_at(resp("*2\r\n+10-0\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n"), -1);        /* status, not bulk */
    assert_hole_at(resp("*2\r\n*0\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n"), -1);           /* array ID */
    assert_hole_at(resp("*1\r\n$4\r\n10-0\r\n"), -1);                               /* too short */
    assert_hole_at(resp("*3\r\n$4\r\n10-0\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n:1\r\n"), -1); /* too long */
    assert_hole_at(resp("*0\r\n"), -1);
    assert_hole_at(resp("*-1\r\n"), -1);
    assert_hole_at(resp("$4\r\n10-0\r\n"), -1);
    assert_hole_at(resp(":10\r\n"), -1);
    assert_hole_at(resp("+OK\r\n"), -1);
    assert_hole_at(resp("-ERR no\r\n"), -1);
    assert_hole_at(resp("$-1\r\n"), -1);
    /* An XRANGE reply (array of entries) is not an entry. */
    assert_hole_at(resp("*1\r\n*2\r\n$4\r\n10-0\r\n*2\r\n$1\r\np\r\n$1\r\n5\r\n"), -1);
    int64_t t = 9;
    int32_t p = 9;
    assert_int_equal(ts_entry_from_reply(NULL, &t, &p), -1);
    assert_int_equal(t, -1);
    assert_int_equal(p, TS_PRICE_MISSING);
}

/* Trees RESP cannot express: NULL element pointers at every level. */
static void test_null_elements(void **state)
{
    (void)state;
    char id[] = "10-0", k[] = "p", v[] = "5";
    redisReply sid = {.type = REDIS_REPLY_STRING, .str = id, .len = 4};
    redisReply sk = {.type = REDIS_REPLY_STRING, .str = k, .len = 1};
    redisReply sv = {.type = REDIS_REPLY_STRING, .str = v, .len = 1};
    redisReply nostr = {.type = REDIS_REPLY_STRING, .str = NULL, .len = 0};
    redisReply *fv[2] = {&sk, &sv};
    redisReply fields = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = fv};
    redisReply *ev[2] = {&sid, &fields};
    redisReply e = {.type = REDIS_REPLY_ARRAY, .elements = 2, .element = ev};
    int64_t t;
    int32_t p;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), 0); /* the tree itself is good */
    assert_int_equal(p, 5);

    fv[1] = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, 10);
    fv[1] = &sv, fv[0] = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    fv[0] = &nostr;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    fv[0] = &sk, fv[1] = &nostr;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(p, TS_PRICE_MISSING);
    fv[1] = &sv;
    fields.element = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, 10);
    fields.element = fv;
    ev[1] = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, 10);
    ev[1] = &fields, ev[0] = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, -1);
    ev[0] = &nostr;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, -1);
    ev[0] = &sid;
    e.element = NULL;
    assert_int_equal(ts_entry_from_reply(&e, &t, &p), -1);
    assert_int_equal(t, -1);
}

/* ---- ts:meta ------------------------------------------------------------ */

#define META_OK                                                                                                \
    "*12\r\n$11\r\ninterval_ms\r\n$4\r\n1000\r\n$12\r\nretention_ms\r\n$8\r\n86400000\r\n$11\r\ninstruments\r\n" \
    "$3\r\n100\r\n$5\r\nepoch\r\n$16\r\n4503599627370497\r\n$7\r\nversion\r\n$1\r\n1\r\n$4\r\nseed\r\n$1\r\n7\r\n"

static int meta(const char *bytes, ts_meta *m)
{
    redisReply *r = resp(bytes);
    int rc = ts_meta_read(r, m);
    freeReplyObject(r);
    return rc;
}

static void assert_all_absent(const ts_meta *m)
{
    assert_int_equal(m->interval_ms, -1);
    assert_int_equal(m->retention_ms, -1);
    assert_int_equal(m->epoch, -1);
    assert_int_equal(m->instruments, -1);
    assert_int_equal(m->version, -1);
}

static void test_meta_read(void **state)
{
    (void)state;
    ts_meta m;
    char err[128];
    assert_int_equal(meta(META_OK, &m), 0);
    assert_int_equal(m.interval_ms, 1000);
    assert_int_equal(m.retention_ms, 86400000);
    assert_int_equal(m.instruments, 100);
    assert_int_equal(m.epoch, 4503599627370497);
    assert_int_equal(m.version, 1);
    assert_int_equal(ts_meta_valid(&m, err, sizeof(err)), 1);

    /* A fresh Redis: an empty hash is a reply, just an empty one. */
    assert_int_equal(meta("*0\r\n", &m), 0);
    assert_all_absent(&m);
    err[0] = '\0';
    assert_int_equal(ts_meta_valid(&m, err, sizeof(err)), 0);
    assert_string_equal(err, "ts:meta has no interval_ms (a positive whole number)");

    /* Missing fields stay -1, present ones are read. */
    assert_int_equal(meta("*4\r\n$11\r\ninterval_ms\r\n$2\r\n10\r\n$11\r\ninstruments\r\n$1\r\n5\r\n", &m), 0);
    assert_int_equal(m.interval_ms, 10);
    assert_int_equal(m.instruments, 5);
    assert_int_equal(m.epoch, -1);
    assert_int_equal(m.retention_ms, -1);
    assert_int_equal(m.version, -1);

    /* Non-numeric, signed, spaced, overflowing or non-string values: -1. */
    assert_int_equal(meta("*12\r\n$11\r\ninterval_ms\r\n$3\r\nabc\r\n$12\r\nretention_ms\r\n$2\r\n-5\r\n"
                          "$11\r\ninstruments\r\n$3\r\n 10\r\n$5\r\nepoch\r\n$20\r\n99999999999999999999\r\n"
                          "$7\r\nversion\r\n:1\r\n$4\r\nseed\r\n$0\r\n\r\n",
                          &m),
                     0);
    assert_all_absent(&m);
    assert_int_equal(meta("*4\r\n$11\r\ninterval_ms\r\n$-1\r\n$5\r\nepoch\r\n*0\r\n", &m), 0);
    assert_all_absent(&m);
    assert_int_equal(meta("*2\r\n$11\r\ninterval_ms\r\n$0\r\n\r\n", &m), 0);
    assert_all_absent(&m);
    /* A field that is not a string is passed over; the next pair still counts. */
    assert_int_equal(meta("*4\r\n:7\r\n$1\r\n1\r\n$5\r\nepoch\r\n$1\r\n9\r\n", &m), 0);
    assert_int_equal(m.epoch, 9);
    assert_int_equal(meta("*4\r\n$-1\r\n$1\r\n1\r\n$5\r\nEPOCH\r\n$1\r\n9\r\n", &m), 0); /* names are exact */
    assert_all_absent(&m);

    /* Not a field/value array: -1, all -1. */
    const char *bad[] = {"-ERR wrong\r\n", "-WRONGTYPE Operation against a key\r\n", "+OK\r\n", ":3\r\n",
                         "$5\r\nepoch\r\n", "$-1\r\n", "*-1\r\n", "*3\r\n$11\r\ninterval_ms\r\n$2\r\n10\r\n$5\r\nepoch\r\n",
                         "*1\r\n$5\r\nepoch\r\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(meta(bad[i], &m), -1);
        assert_all_absent(&m);
    }
    assert_int_equal(ts_meta_read(NULL, &m), -1);
    assert_all_absent(&m);

    /* NULL elements in a hand-built tree. */
    char k[] = "epoch", v[] = "9";
    redisReply sk = {.type = REDIS_REPLY_STRING, .str = k, .len = 5};
    redisReply sv = {.type = REDIS_REPLY_STRING, .str = v, .len = 1};
    redisReply *el[4] = {NULL, &sv, &sk, NULL};
    redisReply r = {.type = REDIS_REPLY_ARRAY, .elements = 4, .element = el};
    assert_int_equal(ts_meta_read(&r, &m), 0);
    assert_all_absent(&m);
    el[3] = &sv;
    assert_int_equal(ts_meta_read(&r, &m), 0);
    assert_int_equal(m.epoch, 9);
    r.element = NULL;
    assert_int_equal(ts_meta_read(&r, &m), -1);
}

static void test_meta_valid(void **state)
{
    (void)state;
    const ts_meta good = {.interval_ms = 1000, .retention_ms = 1000, .epoch = 1, .instruments = 1, .version = 1};
    char err[128];
    ts_meta m = good;
    assert_int_equal(ts_meta_valid(&m, err, sizeof(err)), 1);
    m.instruments = TS_INSTRUMENTS_MAX;
    assert_int_equal(ts_meta_valid(&m, err, sizeof(err)), 1);

    const struct {
        size_t off;
        int64_t v;
        const char *why;
    } bad[] = {
        {offsetof(ts_meta, interval_ms), -1, "interval_ms"},
        {offsetof(ts_meta, interval_ms), 0, "interval_ms"},
        {offsetof(ts_meta, retention_ms), -1, "retention_ms"},
        {offsetof(ts_meta, retention_ms), 999, "retention_ms"},
        {offsetof(ts_meta, epoch), -1, "epoch"},
        {offsetof(ts_meta, epoch), 0, "epoch"},
        {offsetof(ts_meta, instruments), -1, "instruments"},
        {offsetof(ts_meta, instruments), 0, "instruments"},
        {offsetof(ts_meta, instruments), TS_INSTRUMENTS_MAX + 1, "instruments"},
        {offsetof(ts_meta, version), -1, "version"},
        {offsetof(ts_meta, version), 2, "version"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        m = good;
        *(int64_t *)((char *)&m + bad[i].off) = bad[i].v;
        err[0] = '\0';
        assert_int_equal(ts_meta_valid(&m, err, sizeof(err)), 0);
        assert_non_null(strstr(err, bad[i].why));
        assert_null(strchr(err, '\n'));
    }
    /* A short buffer is cut, not overrun. */
    m = good;
    m.epoch = 0;
    char tiny[8];
    assert_int_equal(ts_meta_valid(&m, tiny, sizeof(tiny)), 0);
    assert_int_equal(strlen(tiny), sizeof(tiny) - 1);
}

static int candle(redisReply *r, ts_candle *c)
{
    int rc = ts_candle_from_reply(r, c);
    freeReplyObject(r);
    return rc;
}

/* Candle entries (docs/REDIS.md "Rollups") go through the same price rules. */
static void test_candle_entries(void **state)
{
    (void)state;
    ts_candle c;
    assert_int_equal(candle(entry("1800000060000-0", 10, "o", "5", "h", "9", "l", "-3", "c", "0", "n", "60"), &c), 0);
    assert_int_equal(c.t, 1800000060000);
    assert_int_equal(c.o, 5), assert_int_equal(c.h, 9), assert_int_equal(c.l, -3), assert_int_equal(c.c, 0);
    assert_int_equal(c.n, 60);
    /* Any order, unknown fields ignored. */
    assert_int_equal(candle(entry("60000-0", 12, "n", "1", "x", "y", "c", "2", "l", "2", "h", "2", "o", "2"), &c), 0);
    assert_int_equal(c.t, 60000), assert_int_equal(c.n, 1);
    /* Malformed: a field missing, a bad price, n = 0, low above open, high below close, odd fields, bad ID. */
    assert_int_equal(candle(entry("60000-0", 8, "o", "1", "h", "1", "l", "1", "c", "1"), &c), -1);
    assert_int_equal(c.n, 0);
    assert_int_equal(candle(entry("60000-0", 10, "o", "1.5", "h", "2", "l", "1", "c", "1", "n", "2"), &c), -1);
    assert_int_equal(candle(entry("60000-0", 10, "o", "1", "h", "2", "l", "1", "c", "1", "n", "0"), &c), -1);
    assert_int_equal(candle(entry("60000-0", 10, "o", "1", "h", "2", "l", "2", "c", "2", "n", "3"), &c), -1);
    assert_int_equal(candle(entry("60000-0", 10, "o", "1", "h", "2", "l", "1", "c", "3", "n", "3"), &c), -1);
    assert_int_equal(candle(entry("60000-0", 9, "o", "1", "h", "2", "l", "1", "c", "3", "n"), &c), -1);
    assert_int_equal(candle(entry("abc", 10, "o", "1", "h", "1", "l", "1", "c", "1", "n", "1"), &c), -1);
    assert_int_equal(c.t, -1);
    assert_int_equal(ts_candle_from_reply(NULL, &c), -1);
    redisReply *r = resp("*2\r\n:1\r\n*0\r\n");
    assert_int_equal(candle(r, &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids),
        cmocka_unit_test(test_prices),
        cmocka_unit_test(test_well_formed_entries),
        cmocka_unit_test(test_malformed_prices),
        cmocka_unit_test(test_unreadable_entries),
        cmocka_unit_test(test_null_elements),
        cmocka_unit_test(test_meta_read),
        cmocka_unit_test(test_meta_valid),
        cmocka_unit_test(test_candle_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
