/* gen_sizing.c — see gen_sizing.h. */
#include "gen_sizing.h"

#include <stdio.h>
#include <string.h>

#include "ts_str.h"

void gen_sizing_estimate(int64_t instruments, int64_t interval_ms, int64_t retention_ms, const ts_ladder *l,
                         gen_sizing *out)
{
    double n = (double)instruments, per_day = 86400000.0;
    memset(out, 0, sizeof(*out));
    out->streams = n * (1 + l->n);
    out->tick_entries = (double)(retention_ms / interval_ms) + GEN_SIZING_NODE_ENTRIES;
    out->per_instrument_day = per_day / (double)interval_ms * GEN_SIZING_TICK_BYTES;
    for (int k = 0; k < l->n; k++) {
        out->candle_entries += (double)(l->lv[k].retention_ms / l->lv[k].width_ms) + GEN_SIZING_NODE_ENTRIES;
        out->per_instrument_day += per_day / (double)l->lv[k].width_ms * GEN_SIZING_CANDLE_BYTES;
    }
    out->ticks = n * out->tick_entries * GEN_SIZING_TICK_BYTES;
    out->candles = n * out->candle_entries * GEN_SIZING_CANDLE_BYTES;
    out->floor = out->streams * GEN_SIZING_STREAM_BYTES;
    out->total = out->ticks + out->candles + out->floor;
    out->per_instrument = n > 0 ? out->total / n : 0;
}

void gen_sizing_format(double bytes, char *buf, size_t len)
{
    static const char *units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        snprintf(buf, len, "%.0f B", bytes);
        return;
    }
    int u = 0;
    for (bytes /= 1024; bytes >= 1024 && u < 4; u++)
        bytes /= 1024;
    snprintf(buf, len, "%.1f %s", bytes, units[u]);
}

/* The value of INFO's "name:value" line, its length in *n; NULL if none. */
static const char *field(const char *info, const char *name, size_t *n)
{
    size_t nl = strlen(name);
    const char *p = info;
    while (p != NULL) {
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            *n = strcspn(p + nl + 1, "\r\n");
            return p + nl + 1;
        }
        p = strchr(p, '\n');
        p = p != NULL ? p + 1 : NULL;
    }
    return NULL;
}

int gen_sizing_info(const char *info, int64_t *maxmemory, char *policy, size_t policylen)
{
    size_t n = 0;
    const char *v = field(info, "maxmemory_policy", &n);
    snprintf(policy, policylen, "%.*s", v ? (int)n : 0, v ? v : "");
    v = field(info, "maxmemory", &n);
    return v != NULL && ts_parse_digits(v, n, INT64_MAX, maxmemory) == 0 ? 0 : -1;
}
