/* fuzz_xreply.c — the catch-up connection's reply reader (gw_xreply.c)
 * attached to a bare redisContext, fed RESP bytes as tests/gw/test_xreply.c
 * does. Checks gw_xreply.h's promises: an array reply becomes a gw_xreply
 * laid out as the header says, whose times are -1 or >= 0; any other reply
 * stays a redisReply. */
#include "fuzz_resp.h"
#include "gw_xreply.h"
#include "ts_entry.h"

static void on_reply(void *reply, void *arg)
{
    (void)arg;
    const gw_xreply *x = gw_xreply_of(reply);
    if (x == NULL) {
        const redisReply *r = reply;
        FUZZ_CHECK(r->type != REDIS_REPLY_ARRAY);
        return;
    }
    FUZZ_CHECK(x->t == (const int64_t *)(x + 1) && x->p == (const int32_t *)(x->t + x->n));
    for (size_t i = 0; i < x->n; i++)
        FUZZ_CHECK(x->t[i] >= -1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader_input(data, size, gw_xreader_attach, on_reply);
    return 0;
}
