/* fuzz_origin.c — gw_origin_allowed and gw_nets_parse (gateway/proto/
 * gw_policy.c): the Origin and Host headers of a WebSocket upgrade, and the
 * --per-ip-exempt list. The input is split at its first NUL: Origin, then
 * Host. Checks: no Origin is always allowed; an Origin byte-equal to
 * "http://" + Host is allowed; "*" allows anything; a list parses or says
 * why in one line. */
#include "fuzz.h"
#include "gw_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, '\0', size);
    size_t olen = nul ? (size_t)(nul - data) : size, hlen = nul ? size - olen - 1 : 0;
    char *origin = fuzz_copy(data, olen, 0), *host = fuzz_copy(data + olen + (nul ? 1 : 0), hlen, 0);
    char *same = malloc(hlen + 8), *list = fuzz_copy(data, size, 1);
    if (origin && host && same && list) {
        FUZZ_CHECK(gw_origin_allowed(NULL, 0, host, hlen, "") == 1);
        FUZZ_CHECK(gw_origin_allowed(origin, olen, host, hlen, "*") == 1);
        gw_origin_allowed(origin, olen, host, hlen, "http://a.example:3000,https://b.example,null");
        memcpy(same, "http://", 7);
        memcpy(same + 7, host, hlen);
        if (hlen > 0 && memchr(host, '/', hlen) == NULL && memchr(host, '\0', hlen) == NULL)
            FUZZ_CHECK(gw_origin_allowed(same, hlen + 7, host, hlen, "") == 1);
        /* The whole input as an address list. */
        gw_nets nets;
        char err[256];
        memset(err, 'x', sizeof(err));
        if (gw_nets_parse(list, &nets, err, sizeof(err)) != 0)
            fuzz_check_msg(err, sizeof(err));
        else
            FUZZ_CHECK(nets.n <= GW_NETS_MAX);
    }
    free(origin);
    free(host);
    free(same);
    free(list);
    return 0;
}
