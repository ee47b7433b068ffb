/* ts_names.c — see ts_names.h. */
#include "ts_names.h"

#include <stdio.h>
#include <string.h>

#include "ts_str.h"

#define TS_NAME_PREFIX "ticker_"

int ts_instrument_width(uint32_t count)
{
    int w = 1;
    for (uint32_t top = count > 0 ? count - 1 : 0; top >= 10; top /= 10)
        w++;
    return w < 2 ? 2 : w;
}

void ts_instrument_name(char *buf, size_t len, uint32_t index, uint32_t count)
{
    snprintf(buf, len, TS_NAME_PREFIX "%0*u", ts_instrument_width(count), index);
}

int ts_tick_key(char *buf, size_t len, const char *name)
{
    return snprintf(buf, len, TS_KEY_TICK_PREFIX "{%s}", name);
}

int64_t ts_instrument_index(const char *name, uint32_t count)
{
    size_t plen = sizeof(TS_NAME_PREFIX) - 1;
    if (strncmp(name, TS_NAME_PREFIX, plen) != 0)
        return -1;
    const char *d = name + plen;
    size_t n = strlen(d);
    if (n != (size_t)ts_instrument_width(count))
        return -1;
    int64_t v;
    if (ts_parse_digits(d, n, INT64_MAX, &v) != 0)
        return -1;
    return v < (int64_t)count ? v : -1;
}
