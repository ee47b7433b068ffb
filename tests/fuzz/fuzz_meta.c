/* fuzz_meta.c — ts_meta_read and ts_meta_valid (common/ts_meta.c) on RESP
 * bytes fed through a hiredis reader, as HGETALL ts:meta arrives. Checks
 * ts_meta.h's promises: every field is -1 or a non-negative number; -1 from
 * ts_meta_read leaves all fields -1; ts_meta_valid gives a reason when it
 * refuses and only accepts what it says it accepts. */
#include "fuzz_resp.h"
#include "ts_meta.h"
#include "ts_names.h"

static void on_reply(void *reply, void *arg)
{
    (void)arg;
    ts_meta m;
    int rc = ts_meta_read(reply, &m);
    const int64_t f[] = {m.interval_ms, m.retention_ms, m.epoch, m.instruments, m.version};
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        FUZZ_CHECK(f[i] >= -1 && (rc == 0 || f[i] == -1));
    char err[256];
    memset(err, 'x', sizeof(err));
    if (ts_meta_valid(&m, err, sizeof(err))) {
        FUZZ_CHECK(rc == 0 && m.interval_ms > 0 && m.epoch > 0 && m.retention_ms >= m.interval_ms);
        FUZZ_CHECK(m.instruments > 0 && m.instruments <= TS_INSTRUMENTS_MAX && m.version == TS_LAYOUT_VERSION);
    } else {
        fuzz_check_msg(err, sizeof(err));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!fuzz_resp_counts_fit(data, size))
        return 0;
    char *s = fuzz_copy(data, size, 0);
    redisReader *r = redisReaderCreate();
    if (s != NULL && r != NULL) {
        fuzz_resp_each(r, (const uint8_t *)s, size, on_reply, NULL);
    }
    if (r != NULL)
        redisReaderFree(r);
    free(s);
    return 0;
}
