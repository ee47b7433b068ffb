/* fuzz_meta.c — ts_meta_read and ts_meta_valid (common/ts_meta.c) on RESP
 * bytes fed through a hiredis reader, as HGETALL ts:meta arrives, then the
 * generator's reading of its rollups and rollups_from (generator/
 * gen_levels.c). Checks ts_meta.h's promises: every field is -1 or a
 * non-negative number, the strings end within their buffers; -1 from
 * ts_meta_read leaves all fields -1; ts_meta_valid gives a reason when it
 * refuses and only accepts what it says it accepts. And gen_levels.h's:
 * every level's from is GEN_LEVEL_NEW or >= 0, what gen_levels_format
 * writes reads back the same, a source is -1 or a finer level. */
#include "fuzz_resp.h"
#include "gen_levels.h"
#include "ts_meta.h"
#include "ts_names.h"

static void check_levels(const ts_meta *m)
{
    ts_ladder l;
    char err[160], buf[256];
    int64_t from[TS_LEVELS_MAX], back[TS_LEVELS_MAX];
    if (ts_ladder_parse("10ms:1h,50ms:1h,1s:1h,1m:1d,1h:7d,1d:30d", 10, &l, err, sizeof(err)) != 0)
        abort();
    gen_levels_read(&l, m->rollups, m->rollups_from, 10, from);
    for (int k = 0; k < l.n; k++) {
        FUZZ_CHECK(from[k] == GEN_LEVEL_NEW || from[k] >= 0);
        int src = gen_levels_source(&l, from, 1796060611370, k);
        FUZZ_CHECK(src >= -1 && src < k);
    }
    gen_levels_format(&l, from, buf, sizeof(buf));
    fuzz_check_msg(buf, sizeof(buf));
    gen_levels_read(&l, "", buf, 10, back);
    FUZZ_CHECK(memcmp(from, back, sizeof(int64_t) * (size_t)l.n) == 0);
}

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
    fuzz_check_msg(m.rollups, sizeof(m.rollups));
    fuzz_check_msg(m.rollups_from, sizeof(m.rollups_from));
    check_levels(&m);
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
