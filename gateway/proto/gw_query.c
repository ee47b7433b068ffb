/* gw_query.c — URL query strings and the ms values in them (gw_proto.h):
 * the HTTP API's parameters, the WebSocket upgrade's format=, SSE's since,
 * width and Last-Event-ID, and a candle width as a request gives it. No I/O, so a fuzzer calls them directly. */
#include "gw_proto.h"

#include <string.h>

#include "ts_time.h"

int gw_query_param(const char *q, size_t len, const char *name, const char **val, size_t *vlen)
{
    const char *end = q + len;
    size_t nl = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp ? amp : end;
        if ((size_t)(stop - q) > nl && memcmp(q, name, nl) == 0 && q[nl] == '=') {
            *val = q + nl + 1;
            *vlen = (size_t)(stop - q - nl - 1);
            return 0;
        }
        q = stop + 1;
    }
    return -1;
}

int gw_parse_ms(const char *s, size_t n, int64_t *out)
{
    if (n == 0 || n > 16)
        return -1;
    int64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        x = x * 10 + (s[i] - '0');
    }
    *out = x;
    return x <= GW_SINCE_MAX ? 0 : -1;
}

int gw_parse_ms_list(const char *s, size_t n, int64_t *out, size_t max)
{
    size_t k = 0;
    const char *end = s + n;
    for (;;) {
        const char *comma = memchr(s, ',', (size_t)(end - s));
        const char *stop = comma ? comma : end;
        if (k == max || gw_parse_ms(s, (size_t)(stop - s), &out[k]) != 0)
            return -1;
        k++;
        if (comma == NULL)
            return (int)k;
        s = comma + 1;
    }
}

int gw_parse_width(const char *s, size_t n, int64_t *out)
{
    char d[24], err[8];
    int64_t w = 0;
    if (n == 0 || n >= sizeof(d) || s[0] < '0' || s[0] > '9' || memchr(s, '\0', n) != NULL)
        return -1; /* digits first: strtoll would skip spaces and take a sign */
    memcpy(d, s, n);
    d[n] = '\0';
    if (ts_parse_duration_ms(d, &w, err, sizeof(err)) != 0 || w <= 0)
        return -1;
    *out = w;
    return 0;
}
