/* fuzz_live.c — ts_live_decode (common/ts_codec.c), a ts:live message as any
 * Redis client may PUBLISH it. Checks ts_codec.h's promises: -1 with a
 * reason and nothing to free, or 0 with count prices; and a decoded message
 * encodes and decodes again to the same values. */
#include "fuzz.h"
#include "ts_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = fuzz_copy(data, size, 0);
    if (buf == NULL)
        return 0;
    ts_live_msg m;
    char err[128];
    memset(err, 'x', sizeof(err));
    if (ts_live_decode(buf, size, &m, err, sizeof(err)) != 0) {
        fuzz_check_msg(err, sizeof(err));
        FUZZ_CHECK(m.prices == NULL && m.count == 0);
        free(buf);
        return 0;
    }
    FUZZ_CHECK(m.prices != NULL);
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    FUZZ_CHECK(ts_live_encode(&sb, m.epoch, m.t, m.prices, m.count) == 0);
    ts_live_msg again;
    FUZZ_CHECK(ts_live_decode(sb.data, sb.size, &again, err, sizeof(err)) == 0);
    FUZZ_CHECK(again.epoch == m.epoch && again.t == m.t && again.count == m.count);
    FUZZ_CHECK(m.count == 0 || memcmp(again.prices, m.prices, m.count * sizeof(int32_t)) == 0);
    ts_live_msg_free(&again);
    msgpack_sbuffer_destroy(&sb);
    ts_live_msg_free(&m);
    free(buf);
    return 0;
}
