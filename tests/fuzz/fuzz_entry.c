/* fuzz_entry.c — the one reader of a stream entry (common/ts_entry.c).
 *
 * The first byte picks the mode. 0..127: the rest is one string given to
 * ts_entry_parse_id, ts_entry_parse_id_seq and ts_entry_parse_price (an
 * entry ID or a p value as Redis stores it). 128..255: the rest is RESP
 * bytes fed through a hiredis reader; every reply, and every element of an
 * array reply, goes to ts_entry_from_reply. Checks ts_entry.h's promises:
 * the failure values (-1, TS_PRICE_MISSING), never INT32_MIN as a price,
 * and a successful parse that agrees with a plain decimal reading. */
#include "fuzz_resp.h"
#include "ts_entry.h"

static void check_reply(const redisReply *e)
{
    int64_t t = 0;
    int32_t p = 0;
    if (ts_entry_from_reply(e, &t, &p) == 0) {
        FUZZ_CHECK(t >= 0 && p != TS_PRICE_MISSING);
    } else {
        FUZZ_CHECK(t >= -1 && p == TS_PRICE_MISSING);
    }
}

static void on_reply(void *reply, void *arg)
{
    (void)arg;
    const redisReply *r = reply;
    check_reply(r);
    if (r->type == REDIS_REPLY_ARRAY)
        for (size_t i = 0; i < r->elements; i++)
            check_reply(r->element[i]);
}

static void check_strings(const char *s, size_t n)
{
    int64_t ms = 0, ms2 = 0;
    uint64_t seq = 7;
    int32_t p = 0;
    int a = ts_entry_parse_id(s, n, &ms), b = ts_entry_parse_id_seq(s, n, &ms2, &seq);
    FUZZ_CHECK(a == b && ms == ms2);
    if (a == 0) {
        FUZZ_CHECK(ms >= 0 && n > 0 && s[0] >= '0' && s[0] <= '9');
    } else {
        FUZZ_CHECK(ms == -1 && seq == 0);
    }
    if (ts_entry_parse_price(s, n, &p) == 0) {
        char back[16];
        int len = snprintf(back, sizeof(back), "%d", (int)p);
        FUZZ_CHECK(p != TS_PRICE_MISSING && (size_t)len <= n);
        /* Leading zeros aside, the digits read are the digits written. */
        FUZZ_CHECK(strtoll(back, NULL, 10) == p);
    } else {
        FUZZ_CHECK(p == TS_PRICE_MISSING);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t n = size - 1;
    char *s = fuzz_copy(data + 1, n, 0);
    if (s == NULL)
        return 0;
    if (data[0] < 128) {
        check_strings(s, n);
    } else if (fuzz_resp_counts_fit(data + 1, n)) {
        redisReader *r = redisReaderCreate();
        if (r != NULL) {
            fuzz_resp_each(r, (const uint8_t *)s, n, on_reply, NULL);
            redisReaderFree(r);
        }
    }
    free(s);
    return 0;
}
