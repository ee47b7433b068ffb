/* fuzz_query.c — gw_query_param (gateway/proto/gw_proto.c), the query string
 * of an HTTP request (/api/history?sym=&since=&until=, /api/range?from=&to=,
 * /ws?format=). The
 * input is the bytes after '?'. Checks: a found value lies inside the
 * input, right after "name=", and ends at '&' or at the end. */
#include "fuzz.h"
#include "gw_proto.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *q = fuzz_copy(data, size, 0);
    if (q == NULL)
        return 0;
    static const char *const names[] = {"sym", "since", "until", "from", "to", "format", "points", "s", ""};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        check(q, size, names[i]);
    free(q);
    return 0;
}
