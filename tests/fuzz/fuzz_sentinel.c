/* fuzz_sentinel.c — the readers of what a sentinel sends (common/ts_sentinel.c):
 * its answer to SENTINEL get-master-addr-by-name (ts_sentinel_answer, with
 * and without an AUTH reply expected first) and the messages of the
 * +switch-master watch (ts_sentinel_switch: messages, confirmations and
 * the answer to its question). RESP bytes through a hiredis
 * reader; every reply goes to both. Checks ts_sentinel.h's promises: the
 * return values, a reason with every -1, and a named master with a
 * NUL-terminated, non-empty host and a port in 1..65535. */
#include "fuzz_resp.h"
#include "ts_sentinel.h"

static ts_redis_url url;

static void check_addr(const ts_redis_addr *a)
{
    FUZZ_CHECK(memchr(a->host, '\0', sizeof(a->host)) != NULL && a->host[0] != '\0');
    FUZZ_CHECK(a->port >= 1 && a->port <= 65535);
}

static void on_reply(void *reply, void *arg)
{
    (void)arg;
    const redisReply *r = reply;
    char why[160];
    ts_redis_addr to;
    memset(why, 'x', sizeof(why));
    int rc = ts_sentinel_switch(&url, r, &to, why, sizeof(why));
    FUZZ_CHECK(rc >= -1 && rc <= 2);
    if (rc >= 1)
        check_addr(&to);
    if (rc == -1)
        fuzz_check_msg(why, sizeof(why));
    for (int auth = 0; auth < 2; auth++) {
        ts_sentinel s;
        ts_sentinel_init(&s, &url);
        s.auth_pending = auth; /* as ts_sentinel_ask leaves it with sentinel_password */
        memset(why, 'x', sizeof(why));
        rc = ts_sentinel_answer(&s, r, why, sizeof(why));
        FUZZ_CHECK(rc >= -1 && rc <= 2);
        if (rc == -1)
            fuzz_check_msg(why, sizeof(why));
        if (rc == 0) { /* the first answer names a master and is no failover */
            FUZZ_CHECK(s.resolved && s.changes == 0);
            check_addr(&s.master);
        }
        FUZZ_CHECK(rc != 1); /* no failover without an earlier master */
        FUZZ_CHECK(rc != 2 || auth == 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    if (url.nsentinels == 0 && ts_redis_url_parse("redis-sentinel://127.0.0.1:26379/mymaster?sentinel_password=pw", &url, err,
                                                  sizeof(err)) != 0)
        abort();
    if (!fuzz_resp_counts_fit(data, size))
        return 0;
    char *s = fuzz_copy(data, size, 0);
    if (s == NULL)
        return 0;
    redisReader *r = redisReaderCreate();
    if (r != NULL) {
        fuzz_resp_each(r, (const uint8_t *)s, size, on_reply, NULL);
        redisReaderFree(r);
    }
    free(s);
    return 0;
}
