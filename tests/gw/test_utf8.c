/* test_utf8.c — gw_utf8_valid over RFC 3629's edge cases: the first and
 * last code point of each length, overlong forms, surrogates, past
 * U+10FFFF, stray and missing continuation bytes, a sequence cut short by
 * the end; then every code point encoded (valid unless a surrogate), and
 * every string of up to three bytes against the plain decoder of
 * utf8_ref.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "gw_utf8.h"
#include "utf8_ref.h"

#define VALID(...) check((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 1, __LINE__)
#define INVALID(...) check((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}), 0, __LINE__)

static void check(const uint8_t *s, size_t n, int want, int line)
{
    if (gw_utf8_valid(s, n) != want)
        fail_msg("line %d: gw_utf8_valid gave %d", line, !want);
    if (utf8_ref_valid(s, n) != want)
        fail_msg("line %d: the reference gave %d", line, !want);
    /* the same bytes after ASCII, and followed by ASCII, decide the same */
    uint8_t buf[16] = {'a', 'b'};
    memcpy(buf + 2, s, n);
    assert_int_equal(gw_utf8_valid(buf, n + 2), want);
    buf[n + 2] = 'z';
    assert_int_equal(gw_utf8_valid(buf, n + 3), want);
}

static void test_valid(void **state)
{
    (void)state;
    assert_int_equal(gw_utf8_valid(NULL, 0), 1);
    VALID('{', '"', 'o', 'p', '"', '}');
    VALID(0x00);                   /* U+0000 is a character */
    VALID(0x7f);                   /* last of one byte */
    VALID(0xc2, 0x80);             /* U+0080, first of two */
    VALID(0xc3, 0xa9);             /* é */
    VALID(0xdf, 0xbf);             /* U+07FF, last of two */
    VALID(0xe0, 0xa0, 0x80);       /* U+0800, first of three */
    VALID(0xe2, 0x82, 0xac);       /* € */
    VALID(0xed, 0x9f, 0xbf);       /* U+D7FF, just below the surrogates */
    VALID(0xee, 0x80, 0x80);       /* U+E000, just above them */
    VALID(0xef, 0xbf, 0xbf);       /* U+FFFF, last of three */
    VALID(0xef, 0xbb, 0xbf);       /* a BOM is a character */
    VALID(0xf0, 0x90, 0x80, 0x80); /* U+10000, first of four */
    VALID(0xf0, 0x9d, 0x84, 0x9e); /* 𝄞 */
    VALID(0xf3, 0xbf, 0xbf, 0xbf); /* U+FFFFF */
    VALID(0xf4, 0x8f, 0xbf, 0xbf); /* U+10FFFF, the last code point */
}

static void test_invalid(void **state)
{
    (void)state;
    /* stray continuation bytes */
    INVALID(0x80);
    INVALID(0xbf);
    INVALID(0xc3, 0xa9, 0xa9);
    /* overlong forms */
    INVALID(0xc0, 0xaf);             /* '/' in two bytes */
    INVALID(0xc1, 0xbf);             /* U+007F in two */
    INVALID(0xc0, 0x80);             /* U+0000 in two (modified UTF-8) */
    INVALID(0xe0, 0x80, 0xaf);       /* '/' in three */
    INVALID(0xe0, 0x9f, 0xbf);       /* U+07FF in three */
    INVALID(0xf0, 0x80, 0x80, 0xaf); /* '/' in four */
    INVALID(0xf0, 0x8f, 0xbf, 0xbf); /* U+FFFF in four */
    INVALID(0xf8, 0x88, 0x80, 0x80, 0x80); /* five bytes */
    /* surrogates U+D800..DFFF, alone and paired (CESU-8) */
    INVALID(0xed, 0xa0, 0x80);
    INVALID(0xed, 0xaf, 0xbf);
    INVALID(0xed, 0xb0, 0x80);
    INVALID(0xed, 0xbf, 0xbf);
    INVALID(0xed, 0xa0, 0xbd, 0xed, 0xb2, 0xa9);
    /* past U+10FFFF */
    INVALID(0xf4, 0x90, 0x80, 0x80); /* U+110000 */
    INVALID(0xf5, 0x80, 0x80, 0x80);
    INVALID(0xf7, 0xbf, 0xbf, 0xbf);
    INVALID(0xfe);
    INVALID(0xff);
    /* a lead byte without its continuation bytes */
    INVALID(0xc3, 0x41);
    INVALID(0xe2, 0x82, 0x41);
    INVALID(0xf0, 0x9d, 0x84, 0x41);
    INVALID(0xe2, 0x41, 0xac);
    /* cut short by the end (check also puts ASCII after: a missing byte, as above) */
    INVALID(0xc3);
    INVALID(0xe2, 0x82);
    INVALID(0xf0, 0x9d, 0x84);
    INVALID(0xf4);
}

static size_t encode(uint32_t cp, uint8_t *b)
{
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
        b[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
    b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_every_code_point(void **state)
{
    (void)state;
    uint8_t b[4];
    for (uint32_t cp = 0; cp <= 0x10ffff; cp++) {
        int want = cp < 0xd800 || cp > 0xdfff;
        if (gw_utf8_valid(b, encode(cp, b)) != want)
            fail_msg("U+%04X: gw_utf8_valid gave %d", cp, !want);
    }
    /* the same pattern one past the last code point */
    b[0] = 0xf4, b[1] = 0x90, b[2] = 0x80, b[3] = 0x80;
    assert_int_equal(gw_utf8_valid(b, 4), 0);
}

static void test_every_short_string(void **state)
{
    (void)state;
    uint8_t b[3];
    for (uint32_t v = 0; v < (1u << 24); v++) {
        b[0] = (uint8_t)(v >> 16), b[1] = (uint8_t)(v >> 8), b[2] = (uint8_t)v;
        for (size_t n = 1; n <= 3; n++) {
            if (n < 3 && (v & ((1u << (8 * (3 - n))) - 1)) != 0)
                continue; /* each shorter string once */
            if (gw_utf8_valid(b, n) != utf8_ref_valid(b, n))
                fail_msg("%zu bytes %02x %02x %02x: gw_utf8_valid gave %d", n, b[0], b[1], b[2], gw_utf8_valid(b, n));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_every_code_point),
        cmocka_unit_test(test_every_short_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
