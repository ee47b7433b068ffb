/* mp_read.h — reading back what the gateway's encoders wrote, for the
 * cmocka tests of gw_enc and gw_benc (test_proto.c, test_board.c): exact
 * bytes for JSON, a key of a decoded msgpack map, an integer of either sign.
 * Include after cmocka.h and msgpack.h. */
#ifndef MP_READ_H
#define MP_READ_H

#include <string.h>

#include "gw_buf.h"

/* The buffer holds exactly want; then it is emptied for the next message. */
static void assert_buf(gw_buf *b, const char *want)
{
    assert_false(b->oom);
    assert_int_equal(b->len, strlen(want));
    assert_memory_equal(b->data, want, b->len);
    b->len = 0;
}

/* Finds key in a decoded msgpack map. */
static const msgpack_object *get(const msgpack_object *map, const char *key)
{
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object_kv *kv = &map->via.map.ptr[i];
        if (kv->key.via.str.size == strlen(key) && !memcmp(kv->key.via.str.ptr, key, strlen(key)))
            return &kv->val;
    }
    fail_msg("key %s missing", key);
    return NULL;
}

static int64_t ival(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? (int64_t)o->via.u64 : o->via.i64;
}

#endif
