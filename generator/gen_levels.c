/* gen_levels.c — see gen_levels.h. */
#include "gen_levels.h"

#include <stdio.h>
#include <string.h>

#include "ts_str.h"
#include "ts_time.h"

/* The level of l whose width is the label's, or -1. */
static int level_of(const ts_ladder *l, const char *label)
{
    int64_t w;
    char why[80];
    if (ts_parse_duration_ms(label, &w, why, sizeof(why)) != 0)
        return -1;
    for (int k = 0; k < l->n; k++)
        if (l->lv[k].width_ms == w)
            return k;
    return -1;
}

void gen_levels_all(const ts_ladder *l, int64_t from[TS_LEVELS_MAX])
{
    for (int k = 0; k < TS_LEVELS_MAX; k++)
        from[k] = k < l->n ? 0 : GEN_LEVEL_NEW;
}

void gen_levels_read(const ts_ladder *l, const char *meta_rollups, const char *meta_from, int64_t interval_ms,
                     int64_t from[TS_LEVELS_MAX])
{
    for (int k = 0; k < TS_LEVELS_MAX; k++)
        from[k] = GEN_LEVEL_NEW;
    if (meta_from[0] == '\0') { /* before rollups_from: the levels of its ladder were there from the start */
        ts_ladder old;
        char err[160];
        if (ts_ladder_parse(meta_rollups, interval_ms, &old, err, sizeof(err)) != 0)
            return;
        for (int j = 0; j < old.n; j++) {
            int k = level_of(l, old.lv[j].label);
            if (k >= 0)
                from[k] = 0;
        }
        return;
    }
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", meta_from);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(item, ':');
        int64_t ms;
        if (colon == NULL)
            continue;
        *colon = '\0';
        int k = level_of(l, item);
        if (k >= 0 && ts_parse_digits(colon + 1, strlen(colon + 1), INT64_MAX, &ms) == 0)
            from[k] = ms;
    }
}

int gen_levels_begin(const ts_ladder *l, int64_t from[TS_LEVELS_MAX], int64_t last_t, int64_t kept_from,
                     unsigned *short_levels)
{
    int added = 0, src[TS_LEVELS_MAX];
    *short_levels = 0;
    for (int k = 0; k < l->n; k++) /* before any from[] changes: as start-up read them */
        src[k] = last_t > 0 ? gen_levels_source(l, from, last_t, k) : 0;
    for (int k = 0; k < l->n; k++)
        if (from[k] == GEN_LEVEL_NEW) {
            int64_t start = last_t > 0 ? ts_bucket(last_t, l->lv[k].width_ms) : 0;
            if (last_t > 0 && src[k] < 0 && start < kept_from) {
                start += l->lv[k].width_ms;
                *short_levels |= 1u << k;
            }
            from[k] = start;
            added++;
        }
    return added;
}

void gen_levels_format(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int k = 0; k < l->n && at < len; k++)
        if (from[k] != GEN_LEVEL_NEW)
            at += (size_t)snprintf(buf + at, len - at, "%s%s:%lld", at ? "," : "", l->lv[k].label,
                                   (long long)from[k]);
    if (at == 0)
        snprintf(buf, len, "-");
}

int gen_levels_source(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], int64_t last_t, int k)
{
    return gen_levels_source_from(from, ts_bucket(last_t, l->lv[k].width_ms), k);
}

int64_t gen_levels_rebuild(const ts_ladder *l, const int64_t from[TS_LEVELS_MAX], int64_t last_t, int k)
{
    int64_t w = l->lv[k].width_ms, open = ts_bucket(last_t, w);
    return from[k] != GEN_LEVEL_NEW && open >= w && from[k] <= open - w ? open - w : open;
}

int gen_levels_source_from(const int64_t from[TS_LEVELS_MAX], int64_t start, int k)
{
    for (int j = k - 1; j >= 0; j--)
        if (from[j] != GEN_LEVEL_NEW && from[j] <= start)
            return j;
    return -1;
}
