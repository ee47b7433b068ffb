/* test_pmd.c — gw_pmd.c (which permessage-deflate offer is taken, the
 * answer) and gw_deflate.c (a message out and back, the same bytes twice,
 * the inflate bound), without sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "gw_deflate.h"
#include "gw_pmd.h"

#define ANSWER "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

static const char *accept_of(const char *hdr)
{
    static char ans[GW_PMD_ANSWER_MAX];
    size_t n = gw_pmd_accept(hdr, strlen(hdr), ans);
    assert_int_equal(n, strlen(ans));
    return ans;
}

static void test_offers(void **state)
{
    (void)state;
    assert_string_equal(accept_of("permessage-deflate"), ANSWER);
    assert_string_equal(accept_of("permessage-deflate; client_max_window_bits"), ANSWER);
    assert_string_equal(accept_of("Permessage-Deflate;client_max_window_bits=8 ;client_no_context_takeover"), ANSWER);
    assert_string_equal(accept_of("permessage-deflate; server_max_window_bits=15"), ANSWER "; server_max_window_bits=15");
    assert_string_equal(accept_of("permessage-deflate; server_max_window_bits=\"15\""), ANSWER "; server_max_window_bits=15");
    assert_string_equal(accept_of("foo; x=\"a,b\", permessage-deflate; server_max_window_bits=9, permessage-deflate"), "");
    assert_string_equal(accept_of("foo; x=y, permessage-deflate; server_max_window_bits=9, permessage-deflate"), ANSWER);
    /* declined: each offer has something we do not do */
    assert_string_equal(accept_of("permessage-deflate; server_max_window_bits=14"), "");
    assert_string_equal(accept_of("permessage-deflate; server_max_window_bits"), "");
    assert_string_equal(accept_of("permessage-deflate; client_max_window_bits=7"), "");
    assert_string_equal(accept_of("permessage-deflate; client_max_window_bits=015"), "");
    assert_string_equal(accept_of("permessage-deflate; client_no_context_takeover; client_no_context_takeover"), "");
    assert_string_equal(accept_of("permessage-deflate; server_no_context_takeover=1"), "");
    assert_string_equal(accept_of("permessage-deflate; x"), "");
    /* malformed: no extension at all */
    assert_string_equal(accept_of("permessage-deflate;"), "");
    assert_string_equal(accept_of("permessage-deflate; a="), "");
    assert_string_equal(accept_of("permessage-deflate; a=\"b"), "");
    assert_string_equal(accept_of("\"permessage-deflate\""), "");
    assert_string_equal(accept_of(""), "");
    assert_string_equal(accept_of(" , "), "");
    /* the header is not NUL-terminated where it ends */
    char ans[GW_PMD_ANSWER_MAX];
    assert_int_equal(gw_pmd_accept("permessage-deflatex", 18, ans), strlen(ANSWER));
}

static void test_roundtrip(void **state)
{
    (void)state;
    gw_deflate *z = gw_deflate_new();
    assert_non_null(z);
    char msg[5000];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)("ab"[(i * 7 / 3) % 2] + (i % 5 == 0));
    const uint8_t *out, *back;
    size_t n, m;
    assert_int_equal(gw_deflate_msg(z, msg, sizeof(msg), &out, &n), 0);
    assert_true(n < sizeof(msg) / 4);
    uint8_t *copy = malloc(n);
    memcpy(copy, out, n);
    /* the same bytes again: the kept result, the same bytes out */
    assert_int_equal(gw_deflate_msg(z, msg, sizeof(msg), &out, &m), 0);
    assert_int_equal(m, n);
    assert_memory_equal(out, copy, n);
    assert_int_equal(gw_inflate_msg(z, copy, n, sizeof(msg), &back, &m), GW_INFLATE_OK);
    assert_int_equal(m, sizeof(msg));
    assert_memory_equal(back, msg, sizeof(msg));
    /* one byte fewer allowed: too big, and nothing past the bound */
    assert_int_equal(gw_inflate_msg(z, copy, n, sizeof(msg) - 1, &back, &m), GW_INFLATE_TOO_BIG);
    /* each message stands alone: a different one after it inflates alone */
    msg[0] = 'z';
    assert_int_equal(gw_deflate_msg(z, msg, sizeof(msg), &out, &n), 0);
    assert_int_equal(gw_inflate_msg(z, out, n, sizeof(msg), &back, &m), GW_INFLATE_OK);
    assert_memory_equal(back, msg, sizeof(msg));
    /* cut short: inflate would read the tail as more of the last block */
    for (size_t cut = 1; cut <= 3; cut++)
        assert_int_not_equal(gw_inflate_msg(z, copy, n - cut, sizeof(msg), &back, &m), GW_INFLATE_OK); /* bad, or too big */
    /* not deflate data */
    static const uint8_t junk[] = {0xff, 0xfe, 0xfd};
    assert_int_equal(gw_inflate_msg(z, junk, sizeof(junk), 100, &back, &m), GW_INFLATE_BAD);
    /* an empty message (0x00 alone, as RFC 7692 7.2.3.6 shows) */
    static const uint8_t empty[] = {0x00};
    assert_int_equal(gw_inflate_msg(z, empty, sizeof(empty), 100, &back, &m), GW_INFLATE_OK);
    assert_int_equal(m, 0);
    /* RFC 7692 7.2.3.1: "Hello" */
    static const uint8_t hello[] = {0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00};
    assert_int_equal(gw_inflate_msg(z, hello, sizeof(hello), 100, &back, &m), GW_INFLATE_OK);
    assert_int_equal(m, 5);
    assert_memory_equal(back, "Hello", 5);
    for (size_t cut = 1; cut < sizeof(hello); cut++)
        assert_int_equal(gw_inflate_msg(z, hello, sizeof(hello) - cut, 100, &back, &m), GW_INFLATE_BAD);
    free(copy);
    gw_deflate_free(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offers),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
