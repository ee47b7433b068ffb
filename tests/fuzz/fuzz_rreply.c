/* fuzz_rreply.c — the range connection's reply reader (gw_rreply.c)
 * attached to a bare redisContext, fed RESP bytes as tests/gw/test_rreply.c
 * does. Checks gw_rreply.h's promises: an array reply becomes a gw_rreply
 * whose parts hold n entries each; an entry read as a tick or a candle is
 * either refused or well formed (t >= 0, l <= o, c <= h, n >= 1); any other
 * reply stays a redisReply. */
#include "fuzz_resp.h"
#include "gw_rreply.h"

static void on_reply(void *reply, void *arg)
{
    (void)arg;
    const gw_rreply *x = gw_rreply_of(reply);
    if (x == NULL) {
        const redisReply *r = reply;
        FUZZ_CHECK(r->type != REDIS_REPLY_ARRAY);
        return;
    }
    FUZZ_CHECK(x->part == (const gw_rpart *)(x + 1));
    for (size_t k = 0; k < x->k; k++) {
        const gw_rpart *p = &x->part[k];
        FUZZ_CHECK(p->ok || p->n == 0);
        for (size_t i = 0; i < p->n; i++) {
            ts_candle c;
            if (gw_rpart_tick(p, i, &c) == 0)
                FUZZ_CHECK(c.t >= 0 && c.n == 1 && c.o == c.h && c.l == c.c && c.o == c.c);
            if (gw_rpart_candle(p, i, &c) == 0)
                FUZZ_CHECK(c.t >= 0 && c.n >= 1 && c.l <= c.o && c.l <= c.c && c.h >= c.o && c.h >= c.c);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader_input(data, size, gw_rreader_attach, on_reply);
    return 0;
}
