/* gen_progress.c — progress lines of a long operation (gen_progress.h). */
#include "gen_progress.h"

#include <inttypes.h>

#include "ts_log.h"
#include "ts_time.h"

void gen_progress_start(gen_progress *p, const char *what, const char *unit, int64_t total, int64_t every_ms)
{
    int64_t now = ts_mono_us();
    *p = (gen_progress){.what = what,
                        .unit = unit,
                        .every_us = every_ms * 1000,
                        .total = total,
                        .started_us = now,
                        .logged_us = now,
                        .active = 1};
}

double gen_progress_seconds(const gen_progress *p)
{
    return (double)(ts_mono_us() - p->started_us) / 1e6;
}

double gen_progress_rate(const gen_progress *p)
{
    double s = gen_progress_seconds(p);
    return s > 0 ? (double)p->done / s : 0.0;
}

void gen_progress_update(gen_progress *p, int64_t done, int64_t total)
{
    p->done = done;
    p->total = total;
    int64_t now = ts_mono_us();
    if (now - p->logged_us < p->every_us)
        return;
    p->logged_us = now;
    double rate = gen_progress_rate(p);
    int64_t left = total > done ? total - done : 0;
    ts_info("%s: %" PRId64 " of %" PRId64 " %s (%.0f%%), %.0f/s, about %.0f s left", p->what, done, total, p->unit,
            total > 0 ? 100.0 * (double)done / (double)total : 100.0, rate, rate > 0 ? (double)left / rate : 0.0);
}
