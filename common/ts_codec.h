/* ts_codec.h — the live tick batch published on ts:live.
 *
 * msgpack map {"e": epoch, "t": tick time ms, "p": [price per instrument, in
 * index order]}. One message per tick for all instruments: subscribers get
 * one Redis message per interval however many instruments there are. */
#ifndef TS_CODEC_H
#define TS_CODEC_H

#include <msgpack.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ts_live_msg {
    int64_t epoch;
    int64_t t;
    uint32_t count;
    int32_t *prices; /* malloc'ed by ts_live_decode, freed by ts_live_msg_free */
} ts_live_msg;

/* Appends the encoded message to sb (the caller clears it). Returns 0 or -1. */
int ts_live_encode(msgpack_sbuffer *sb, int64_t epoch, int64_t t, const int32_t *prices, uint32_t count);
/* Decodes one message. Unknown keys are skipped so the format can grow.
 * Returns 0, or -1 with err saying what is malformed. */
int ts_live_decode(const char *buf, size_t len, ts_live_msg *out, char *err, size_t errlen);
void ts_live_msg_free(ts_live_msg *m);

/* 1 when every length and element count in the one msgpack object at buf
 * fits in the len bytes there; 0 when one claims more than is left (or the
 * object is cut short or uses the unused type 0xc1).
 * msgpack-c allocates a container's elements from its header count before it
 * reads them: a 5-byte frame claiming 2^32 elements asks for 64 GiB. Every
 * element takes at least one byte, so a count larger than the bytes left is
 * a lie; call this on outside bytes before msgpack_unpack_next. Flat: it
 * only counts the objects still due, so nesting costs no stack. */
int ts_msgpack_sizes_fit(const char *buf, size_t len);

#endif
