/* gw_deflate.h — permessage-deflate's codec (RFC 7692 7.2): one message in,
 * one message out, each standing alone.
 *
 * One per worker, not per client. A zlib deflate stream costs ~270 KB and an
 * inflate stream ~40 KB with a 32 KB window; kept per client that is 1.5 GB
 * at 5,000 clients. Both ends are negotiated "no context takeover"
 * (gw_pmd.h), so no message refers to an earlier one and the worker's two
 * streams are reset before each message. No I/O. */
#ifndef GW_DEFLATE_H
#define GW_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

/* Messages shorter than this go out uncompressed (RFC 7692 allows it; RSV1
 * marks the compressed ones): a live tick is 30-40 bytes, deflate would
 * save little and cost a compression per client. Catch-up runs, range
 * answers and board snapshots are longer. */
#define GW_DEFLATE_MIN 1024

typedef struct gw_deflate gw_deflate;

/* NULL when out of memory. */
gw_deflate *gw_deflate_new(void);
void gw_deflate_free(gw_deflate *z);

/* Compresses in[0..len) to a message's payload: raw deflate ended by a sync
 * flush without its 00 00 ff ff tail (7.2.1). *out stays valid until the
 * next call. The same bytes sent to many clients in a row (a fan-out, a
 * board frame) are compressed once: the last input and output are kept.
 * 0, or -1 (out of memory, zlib error: send it uncompressed). */
int gw_deflate_msg(gw_deflate *z, const void *in, size_t len, const uint8_t **out, size_t *outlen);

typedef enum { GW_INFLATE_OK = 0, GW_INFLATE_BAD = -1, GW_INFLATE_TOO_BIG = -2 } gw_inflate_result;

/* Inflates a compressed message's payload (7.2.2: the tail appended). Never
 * makes more than max bytes: a message that would is GW_INFLATE_TOO_BIG,
 * found once max + 1 bytes came out (a deflate bomb allocates nothing
 * more). GW_INFLATE_BAD: not valid deflate data, or out of memory. *out
 * stays valid until the next call. */
gw_inflate_result gw_inflate_msg(gw_deflate *z, const void *in, size_t len, size_t max, const uint8_t **out,
                                 size_t *outlen);

#endif
