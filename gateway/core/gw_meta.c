/* gw_meta.c — see gw_meta.h. */
#include "gw_meta.h"

#include <stdlib.h>

#include "ts_names.h"

int gw_meta_same(const gw_meta *have, const ts_meta *m)
{
    return have->ok && have->epoch == m->epoch && have->count == (uint32_t)m->instruments &&
           have->interval_ms == m->interval_ms;
}

void gw_meta_free(gw_meta *have)
{
    free(have->names);
    *have = (gw_meta){0};
}

int gw_meta_set(gw_meta *have, const ts_meta *m)
{
    gw_meta_free(have);
    have->names = calloc((size_t)m->instruments, sizeof(*have->names));
    if (have->names == NULL)
        return -1;
    have->interval_ms = m->interval_ms;
    gw_meta_update(have, m);
    have->epoch = m->epoch;
    have->count = (uint32_t)m->instruments;
    for (uint32_t i = 0; i < have->count; i++)
        ts_instrument_name(have->names[i], GW_SYM_MAX, i, have->count);
    have->ok = 1;
    return 0;
}

void gw_meta_update(gw_meta *have, const ts_meta *m)
{
    char why[200];
    have->retention_ms = m->retention_ms;
    if (ts_ladder_parse(m->rollups, have->interval_ms, &have->ladder, why, sizeof(why)) != 0)
        have->ladder.n = 0;
}
