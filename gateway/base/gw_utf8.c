/* gw_utf8.c — see gw_utf8.h. One pass over the bytes; the lead byte decides
 * how many continuation bytes follow and the range of the first of them,
 * which is where overlongs, surrogates and code points past U+10FFFF show
 * (the Unicode Standard's table 3-7); the others are any of 80..BF. */
#include "gw_utf8.h"

int gw_utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t k;                  /* continuation bytes */
        uint8_t lo = 0x80, hi = 0xbf; /* the first one's range */
        if (c >= 0xc2 && c <= 0xdf) {
            k = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0)
                lo = 0xa0; /* below: overlong (< U+0800) */
            else if (c == 0xed)
                hi = 0x9f; /* above: a surrogate U+D800..DFFF */
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0)
                lo = 0x90; /* below: overlong (< U+10000) */
            else if (c == 0xf4)
                hi = 0x8f; /* above: past U+10FFFF */
        } else {
            return 0; /* 80..BF stray, C0/C1 overlong, F5..FF past U+10FFFF */
        }
        if (n - i - 1 < k || s[i + 1] < lo || s[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}
