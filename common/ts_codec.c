/* ts_codec.c — see ts_codec.h. */
#include "ts_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void pack_key(msgpack_packer *pk, const char *k)
{
    msgpack_pack_str(pk, 1);
    msgpack_pack_str_body(pk, k, 1);
}

int ts_live_encode(msgpack_sbuffer *sb, int64_t epoch, int64_t t, const int32_t *prices, uint32_t count)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    int rc = msgpack_pack_map(&pk, 3);
    pack_key(&pk, "e");
    rc |= msgpack_pack_int64(&pk, epoch);
    pack_key(&pk, "t");
    rc |= msgpack_pack_int64(&pk, t);
    pack_key(&pk, "p");
    rc |= msgpack_pack_array(&pk, count);
    for (uint32_t i = 0; i < count; i++)
        rc |= msgpack_pack_int32(&pk, prices[i]);
    return rc == 0 ? 0 : -1;
}

static int obj_int64(const msgpack_object *o, int64_t *out)
{
    if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX) {
        *out = (int64_t)o->via.u64;
        return 0;
    }
    if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
        *out = o->via.i64;
        return 0;
    }
    return -1;
}

static int decode_prices(const msgpack_object *o, ts_live_msg *out, char *err, size_t errlen)
{
    if (o->type != MSGPACK_OBJECT_ARRAY) {
        snprintf(err, errlen, "\"p\" is not an array");
        return -1;
    }
    uint32_t n = o->via.array.size;
    out->prices = malloc(n ? n * sizeof(int32_t) : 1);
    if (out->prices == NULL) {
        snprintf(err, errlen, "out of memory for %u prices", n);
        return -1;
    }
    out->count = n;
    for (uint32_t i = 0; i < n; i++) {
        int64_t v;
        if (obj_int64(&o->via.array.ptr[i], &v) != 0 || v < INT32_MIN || v > INT32_MAX) {
            snprintf(err, errlen, "price %u is not an int32", i);
            return -1;
        }
        out->prices[i] = (int32_t)v;
    }
    return 0;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int ts_msgpack_sizes_fit(const char *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)buf, *end = p + len;
    uint64_t due = 1;
    while (due > 0) {
        if (p >= end)
            return 0;
        uint8_t b = *p++;
        uint64_t left = (uint64_t)(end - p), skip = 0, more = 0;
        int n = 0; /* bytes of a length or count field */
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
            /* a value in the type byte */
        } else if (b <= 0x8f) {
            more = 2 * (uint64_t)(b & 0x0f);
        } else if (b <= 0x9f) {
            more = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else if (b == 0xc4 || b == 0xd9) {
            n = 1;
        } else if (b == 0xc5 || b == 0xda) {
            n = 2;
        } else if (b == 0xc6 || b == 0xdb) {
            n = 4;
        } else if (b >= 0xc7 && b <= 0xc9) {
            n = b == 0xc7 ? 1 : b == 0xc8 ? 2 : 4;
            skip = 1; /* the ext type byte */
        } else if (b == 0xca || b == 0xce || b == 0xd2) {
            skip = 4;
        } else if (b == 0xcb || b == 0xcf || b == 0xd3) {
            skip = 8;
        } else if (b == 0xcc || b == 0xd0) {
            skip = 1;
        } else if (b == 0xcd || b == 0xd1) {
            skip = 2;
        } else if (b >= 0xd4 && b <= 0xd8) {
            skip = 1 + ((uint64_t)1 << (b - 0xd4));
        } else if (b == 0xdc || b == 0xdd) {
            n = b == 0xdc ? 2 : 4;
        } else if (b == 0xde || b == 0xdf) {
            n = b == 0xde ? 2 : 4;
        } else {
            return 0; /* 0xc1: never used */
        }
        if (n > 0) {
            if (left < (uint64_t)n)
                return 0;
            uint64_t v = be(p, n);
            p += n;
            left -= (uint64_t)n;
            if (b >= 0xdc && b <= 0xdf)
                more = b >= 0xde ? 2 * v : v;
            else
                skip += v;
        }
        if (skip > left)
            return 0;
        p += skip;
        due = due - 1 + more;
        if (due > (uint64_t)(end - p))
            return 0;
    }
    return 1;
}


int ts_live_decode(const char *buf, size_t len, ts_live_msg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = -1, seen = 0;
    /* MSGPACK_UNPACK_SUCCESS is 2, not 0. */
    /* The message comes from anyone who may PUBLISH on Redis: a count in a
     * header is checked before msgpack-c allocates for it (fuzz_live). */
    if (!ts_msgpack_sizes_fit(buf, len) || msgpack_unpack_next(&up, buf, len, NULL) != MSGPACK_UNPACK_SUCCESS) {
        snprintf(err, errlen, "not a msgpack object");
        goto done;
    }
    if (up.data.type != MSGPACK_OBJECT_MAP) {
        snprintf(err, errlen, "not a msgpack map");
        goto done;
    }
    for (uint32_t i = 0; i < up.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->key.via.str.size != 1)
            continue;
        switch (kv->key.via.str.ptr[0]) {
        case 'e':
            if (obj_int64(&kv->val, &out->epoch) != 0) {
                snprintf(err, errlen, "\"e\" is not an integer");
                goto done;
            }
            seen |= 1;
            break;
        case 't':
            if (obj_int64(&kv->val, &out->t) != 0) {
                snprintf(err, errlen, "\"t\" is not an integer");
                goto done;
            }
            seen |= 2;
            break;
        case 'p':
            if (out->prices != NULL) {
                snprintf(err, errlen, "\"p\" given twice"); /* fuzz_live: err was left unset */
                goto done;
            }
            if (decode_prices(&kv->val, out, err, errlen) != 0)
                goto done;
            seen |= 4;
            break;
        }
    }
    if (seen != 7) {
        snprintf(err, errlen, "missing key %s", !(seen & 1) ? "\"e\"" : !(seen & 2) ? "\"t\"" : "\"p\"");
        goto done;
    }
    rc = 0;
done:
    msgpack_unpacked_destroy(&up);
    if (rc != 0)
        ts_live_msg_free(out);
    return rc;
}

void ts_live_msg_free(ts_live_msg *m)
{
    free(m->prices);
    m->prices = NULL;
    m->count = 0;
}
