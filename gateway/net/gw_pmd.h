/* gw_pmd.h — permessage-deflate negotiation (RFC 7692 5, 7.1): which offer
 * of a client's Sec-WebSocket-Extensions we accept, and the answer. No I/O.
 *
 * The answer is always "permessage-deflate; server_no_context_takeover;
 * client_no_context_takeover" (plus "server_max_window_bits=15" when the
 * offer named it): every message in either direction stands alone, so a
 * worker's one deflate and one inflate stream serve all its clients
 * (gw_deflate.h). npm ws and Chromium take client_no_context_takeover in
 * an answer whether or not they offered it (tests/gw/deflate.test.js,
 * tests/browser).
 * An offer is declined — the next one is tried — when it has a parameter
 * we do not know, one twice, a bad value, or server_max_window_bits below
 * 15 (our deflate stream uses a 32 KB window). client_max_window_bits, with
 * or without a value, is accepted: our inflate window of 32 KB reads any
 * smaller one. A header that does not parse gets no extension (the
 * upgrade goes on without compression). */
#ifndef GW_PMD_H
#define GW_PMD_H

#include <stddef.h>

/* The answer's longest form, with its NUL. */
#define GW_PMD_ANSWER_MAX 128

/* Looks through one Sec-WebSocket-Extensions value (a comma-separated list
 * of offers, RFC 6455 9.1) for a permessage-deflate offer we accept; writes
 * the answer to ans (GW_PMD_ANSWER_MAX bytes) and returns its length, or 0
 * when none is accepted (ans is then ""). */
size_t gw_pmd_accept(const char *hdr, size_t len, char ans[GW_PMD_ANSWER_MAX]);

#endif
