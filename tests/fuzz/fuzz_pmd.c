/* fuzz_pmd.c — permessage-deflate's parsers of outside bytes: gw_pmd_accept
 * (a client's Sec-WebSocket-Extensions, gateway/net/gw_pmd.c) and
 * gw_inflate_msg (a client's compressed message, gw_deflate.c). Checks: an
 * answer is "" or our one answer, its length returned; an inflated message
 * is never longer than the bound, however the bytes ask (a deflate bomb);
 * and any input compressed by gw_deflate_msg inflates back to itself. */
#include "fuzz.h"
#include "gw_deflate.h"
#include "gw_pmd.h"

#define ANSWER "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
#define MAX 4096

static gw_deflate *z;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (z == NULL && (z = gw_deflate_new()) == NULL)
        abort();
    char *hdr = fuzz_copy(data, size, 0);
    if (hdr == NULL)
        return 0;
    char ans[GW_PMD_ANSWER_MAX];
    size_t n = gw_pmd_accept(hdr, size, ans);
    FUZZ_CHECK(n == strlen(ans));
    FUZZ_CHECK(n == 0 || strncmp(ans, ANSWER, strlen(ANSWER)) == 0);

    const uint8_t *out, *back;
    size_t len, blen;
    gw_inflate_result r = gw_inflate_msg(z, data, size, MAX, &out, &len);
    FUZZ_CHECK(r == GW_INFLATE_OK || r == GW_INFLATE_BAD || r == GW_INFLATE_TOO_BIG);
    if (r == GW_INFLATE_OK)
        FUZZ_CHECK(len <= MAX);

    if (size <= MAX && gw_deflate_msg(z, data, size, &out, &len) == 0) {
        uint8_t *c = (uint8_t *)fuzz_copy(out, len, 0);
        if (c != NULL) {
            FUZZ_CHECK(gw_inflate_msg(z, c, len, MAX, &back, &blen) == GW_INFLATE_OK);
            FUZZ_CHECK(blen == size && (size == 0 || memcmp(back, data, size) == 0));
            free(c);
        }
    }
    free(hdr);
    return 0;
}
