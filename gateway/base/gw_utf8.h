/* gw_utf8.h — is a byte string well-formed UTF-8 (RFC 3629 4, the Unicode
 * Standard's table 3-7)?
 *
 * RFC 6455 8.1: a text message that is not fails the connection with 1007.
 * wslay 1.1.1 checks plain text frames itself, but not those with RSV1: a
 * permessage-deflate message is only text once inflated, and that happens
 * past wslay (gw_wsconn.c). So the inflated text is checked here. */
#ifndef GW_UTF8_H
#define GW_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* 1 when s[0..n) is well-formed UTF-8 (the empty string is), else 0:
 * a stray continuation byte, an overlong form (C0, C1, E0 80..9F, F0
 * 80..8F), a surrogate (ED A0..BF: U+D800..DFFF), past U+10FFFF (F4 90..,
 * F5..FF), or a sequence cut short by the end. s may be NULL when n is 0. */
int gw_utf8_valid(const uint8_t *s, size_t n);

#endif
