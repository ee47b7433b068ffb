/* gen_stats.c — the generator's summary line (gen.h): the ticker counts,
 * this says what the counts did since the last line. */
#include <inttypes.h>

#include "gen.h"
#include "ts_log.h"

void gen_stats_summary(gen_stats *s, gen_stats *p)
{
    uint64_t batches = s->batches - p->batches;
    ts_info("summary: %" PRIu64 " ticks (%" PRIu64 " entries, %" PRIu64 " candles), %" PRIu64 " backfilled, %" PRIu64
            " already written, %" PRIu64 " errors, %" PRIu64 " reconnects; redis batch latency avg %.1f ms "
            "max %.1f ms; written %" PRIu64 " late, delay max %" PRId64 " ms",
            s->ticks - p->ticks, s->entries - p->entries, s->candles - p->candles, s->backfilled - p->backfilled,
            s->duplicates - p->duplicates, s->errors - p->errors, s->reconnects - p->reconnects,
            batches ? (double)(s->latency_us_sum - p->latency_us_sum) / (double)batches / 1000.0 : 0.0,
            (double)s->latency_us_max / 1000.0, s->late - p->late, s->delay_ms_max);
    *p = *s;
    s->latency_us_max = 0;
    s->delay_ms_max = 0;
}
