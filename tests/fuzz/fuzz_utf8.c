/* fuzz_utf8.c — gw_utf8_valid (gateway/base/gw_utf8.c), the check of a
 * client's inflated text message. Checks: it agrees with the plain decoder
 * of tests/gw/utf8_ref.h on the input, and on every prefix cut at a byte
 * that starts a character (a valid string cut there stays valid, an
 * invalid one need not); it reads no byte past the input (ASan: the copy
 * ends with the bytes). */
#include "fuzz.h"
#include "gw_utf8.h"
#include "../gw/utf8_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *s = (uint8_t *)fuzz_copy(data, size, 0);
    if (s == NULL)
        return 0;
    int ok = gw_utf8_valid(s, size);
    FUZZ_CHECK(ok == utf8_ref_valid(s, size));
    for (size_t i = 0; i < size; i++) {
        if ((s[i] & 0xc0) == 0x80)
            continue;
        int pre = gw_utf8_valid(s, i);
        FUZZ_CHECK(pre == utf8_ref_valid(s, i));
        FUZZ_CHECK(!ok || pre);
    }
    free(s);
    return 0;
}
