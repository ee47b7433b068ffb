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

int ts_live_decode(const char *buf, size_t len, ts_live_msg *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    int rc = -1, seen = 0;
    /* MSGPACK_UNPACK_SUCCESS is 2, not 0. */
    if (msgpack_unpack_next(&up, buf, len, NULL) != MSGPACK_UNPACK_SUCCESS) {
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
            if (out->prices != NULL || decode_prices(&kv->val, out, err, errlen) != 0)
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
