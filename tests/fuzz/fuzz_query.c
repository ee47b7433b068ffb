/* fuzz_query.c — gw_query_param (gateway/proto/gw_proto.c), the query string
 * of an HTTP request (/api/history?sym=&since=&until=, /api/range?from=&to=,
 * /ws?format=). The
 * input is the bytes after '?'. Checks: a found value lies inside the
 * input, right after "name=", and ends at '&' or at the end; a width=
 * value that gw_parse_width takes (/sse's live candles) is a duration with
 * its unit, above 0, that ts_format_duration_ms writes back as a number
 * and a unit. */
#include "fuzz.h"
#include "gw_proto.h"
#include "ts_time.h"

static void check(const char *q, size_t len, const char *name)
{
    const char *v = NULL;
    size_t vlen = 0, nl = strlen(name);
    if (gw_query_param(q, len, name, &v, &vlen) != 0)
        return;
    FUZZ_CHECK(v >= q + nl + 1 && v + vlen <= q + len);
    FUZZ_CHECK(v[-1] == '=' && memcmp(v - 1 - nl, name, nl) == 0);
    FUZZ_CHECK(v - 1 - nl == q || v[-2 - (ptrdiff_t)nl] == '&');
    FUZZ_CHECK(v + vlen == q + len || v[vlen] == '&');
    FUZZ_CHECK(memchr(v, '&', vlen) == NULL);
}

static void check_width(const char *q, size_t len)
{
    const char *v = NULL;
    size_t vlen = 0;
    int64_t w = -7;
    if (gw_query_param(q, len, "width", &v, &vlen) != 0)
        return;
    if (gw_parse_width(v, vlen, &w) != 0) {
        FUZZ_CHECK(w == -7); /* untouched */
        return;
    }
    FUZZ_CHECK(w > 0 && vlen >= 2 && v[0] >= '0' && v[0] <= '9');
    FUZZ_CHECK(v[vlen - 1] == 's' || v[vlen - 1] == 'm' || v[vlen - 1] == 'h' || v[vlen - 1] == 'd');
    char back[32];
    ts_format_duration_ms(w, back, sizeof(back));
    FUZZ_CHECK(back[0] >= '1' && back[0] <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_copy(data, size, 0);
    if (q == NULL)
        return 0;
    static const char *const names[] = {"sym", "since", "until", "from", "to", "width", "format", "points", "s", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        check(q, size, names[i]);
    check_width(q, size);
    free(q);
    return 0;
}
