/* utf8_ref.h — a second, plain UTF-8 check for test_utf8.c and fuzz_utf8.c
 * to hold gw_utf8_valid against: decode each code point the long way (its
 * bits from the lead and continuation bytes), then refuse what RFC 3629
 * refuses by value — a longer form than the code point needs, a surrogate,
 * past U+10FFFF. Not the same method as gw_utf8.c (which decides by byte
 * ranges), so the two agreeing means something. */
#ifndef UTF8_REF_H
#define UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

static inline int utf8_ref_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        uint32_t cp, min;
        size_t len;
        if (c < 0x80) {
            len = 1, cp = c, min = 0;
        } else if ((c & 0xe0) == 0xc0) {
            len = 2, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            len = 3, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (len > n - i)
            return 0;
        for (size_t j = 1; j < len; j++) {
            if ((s[i + j] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        i += len;
    }
    return 1;
}

#endif
