/* test_board.c — the board's pure parts: its requests in gw_proto (board,
 * unboard; all, a prefix or a list; every refusal) and its messages in
 * gw_benc (board snapshot with the day's references, resume, bt; exact JSON,
 * msgpack decoded back, unknown prices as null, the selection's order). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "gw_benc.h"
#include "gw_proto.h"
#include "gw_ring.h"
#include "mp_read.h"

static gw_err parse(const char *s, gw_request *r)
{
    char msg[192] = "";
    gw_err e = gw_parse_request(s, strlen(s), 1, r, msg, sizeof(msg));
    if (e != GW_OK)
        assert_true(strlen(msg) > 0); /* every refusal says why */
    return e;
}

static void test_parse_board(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse("{\"op\":\"board\",\"since\":0}", &r), GW_OK);
    assert_int_equal(r.op, GW_OP_BOARD);
    assert_int_equal(r.since, 0);
    assert_string_equal(r.prefix, "");
    assert_false(r.have_list);
    assert_int_equal(parse("{\"op\":\"board\",\"since\":1795437517000,\"prefix\":\"ticker_1\"}", &r), GW_OK);
    assert_int_equal(r.since, 1795437517000LL);
    assert_string_equal(r.prefix, "ticker_1");
    assert_false(r.have_list);
    assert_int_equal(parse("{\"op\":\"board\",\"since\":0,\"prefix\":\"\"}", &r), GW_OK);
    assert_string_equal(r.prefix, "");
    /* a list keeps the client's order and repeats: the selection sorts them */
    assert_int_equal(parse("{\"op\":\"board\",\"since\":0,\"syms\":[ \"ticker_42\" , \"ticker_05\",\"ticker_42\"]}", &r), GW_OK);
    assert_true(r.have_list);
    assert_int_equal(r.nlist, 3);
    assert_memory_equal(r.list, "ticker_42\0ticker_05\0ticker_42\0", 30);
    assert_int_equal(parse("{\"op\":\"unboard\"}", &r), GW_OK);
    assert_int_equal(r.op, GW_OP_UNBOARD);
}

static void test_parse_board_refused(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse("{\"op\":\"board\"}", &r), GW_E_BAD_SINCE);
    assert_int_equal(parse("{\"op\":\"board\",\"since\":-1}", &r), GW_E_BAD_SINCE);
    assert_int_equal(parse("{\"op\":\"board\",\"since\":1.5}", &r), GW_E_BAD_SINCE);
    const char *bad[] = {
        "{\"op\":\"board\",\"since\":0,\"prefix\":7}",
        "{\"op\":\"board\",\"since\":0,\"prefix\":null}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[]}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[ ]}",
        "{\"op\":\"board\",\"since\":0,\"syms\":\"ticker_01\"}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[\"ticker_01\",5]}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[\"\"]}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[[\"ticker_01\"]]}",
        "{\"op\":\"board\",\"since\":0,\"syms\":[\"ticker_01\"],\"prefix\":\"ticker_0\"}",
        "{\"op\":\"board\",\"since\":0,\"prefix\":\"ticker_0\",\"syms\":[\"ticker_01\"]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        gw_err e = parse(bad[i], &r);
        if (e != GW_E_BAD_REQUEST)
            fail_msg("%s: %s, not bad_request", bad[i], gw_err_name(e));
    }
    /* not JSON at all */
    assert_int_equal(parse("{\"op\":\"board\",\"since\":0,\"syms\":[\"ticker_01\",]}", &r), GW_E_BAD_JSON);
    assert_int_equal(parse("{\"op\":\"board\",\"since\":0,\"syms\":[\"ticker_01\" \"ticker_02\"]}", &r), GW_E_BAD_JSON);
    /* a prefix longer than any name, and a list past GW_LIST_MAX bytes */
    char big[2 * GW_LIST_MAX];
    snprintf(big, sizeof(big), "{\"op\":\"board\",\"since\":0,\"prefix\":\"%0*d\"}", GW_SYM_MAX, 0);
    assert_int_equal(parse(big, &r), GW_E_BAD_REQUEST);
    size_t n = (size_t)snprintf(big, sizeof(big), "{\"op\":\"board\",\"since\":0,\"syms\":[");
    for (int i = 0; n < GW_LIST_MAX * 3 / 2; i++) /* 15 bytes of JSON, 13 of list a name */
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"ticker_%05d\"", i ? "," : "", i);
    snprintf(big + n, sizeof(big) - n, "]}");
    assert_int_equal(parse(big, &r), GW_E_BAD_REQUEST);
}

static void pack_str(msgpack_packer *pk, const char *s, size_t n)
{
    msgpack_pack_str(pk, n);
    msgpack_pack_str_body(pk, s, n);
}

/* {op: board, since: 7, <key>: <packed by fill>} as msgpack, parsed. */
static gw_err parse_mp(gw_request *r, const char *key, void (*fill)(msgpack_packer *))
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "op", 2);
    pack_str(&pk, "board", 5);
    pack_str(&pk, "since", 5);
    msgpack_pack_int(&pk, 7);
    pack_str(&pk, key, strlen(key));
    fill(&pk);
    char msg[192] = "";
    gw_err e = gw_parse_request(sb.data, sb.size, 0, r, msg, sizeof(msg));
    msgpack_sbuffer_destroy(&sb);
    return e;
}

static void two_names(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 2);
    pack_str(pk, "ticker_05", 9);
    pack_str(pk, "ticker_42", 9);
}

static void name_with_nul(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    pack_str(pk, "tick\0er", 7);
}

static void name_as_bin(msgpack_packer *pk)
{
    msgpack_pack_array(pk, 1);
    msgpack_pack_bin(pk, 3);
    msgpack_pack_bin_body(pk, "abc", 3);
}

static void prefix_str(msgpack_packer *pk)
{
    pack_str(pk, "ticker_1", 8);
}

static void prefix_nul(msgpack_packer *pk)
{
    pack_str(pk, "t\0", 2);
}

static void test_parse_board_msgpack(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse_mp(&r, "syms", two_names), GW_OK);
    assert_int_equal(r.op, GW_OP_BOARD);
    assert_int_equal(r.since, 7);
    assert_int_equal(r.nlist, 2);
    assert_memory_equal(r.list, "ticker_05\0ticker_42\0", 20);
    assert_int_equal(parse_mp(&r, "prefix", prefix_str), GW_OK);
    assert_string_equal(r.prefix, "ticker_1");
    assert_int_equal(parse_mp(&r, "syms", name_with_nul), GW_E_BAD_REQUEST);
    assert_int_equal(parse_mp(&r, "syms", name_as_bin), GW_E_BAD_REQUEST);
    assert_int_equal(parse_mp(&r, "syms", prefix_str), GW_E_BAD_REQUEST);
    assert_int_equal(parse_mp(&r, "prefix", prefix_nul), GW_E_BAD_REQUEST);
    assert_int_equal(parse_mp(&r, "prefix", two_names), GW_E_BAD_REQUEST);
}

/* ---- gw_benc ---- */

static const char NAMES[4][GW_SYM_MAX] = {"ticker_0", "ticker_1", "ticker_2", "ticker_3"};

static void test_benc_json(void **state)
{
    (void)state;
    gw_buf b = {0};
    int32_t snap[] = {-3, GW_MISSING, INT32_MAX};
    int32_t ref[] = {7, 9, GW_MISSING}; /* in the selection's order, as p */
    uint32_t sel[] = {0, 2, 3};
    gw_board_head h = {.epoch = 9007199254740991LL, .dt = 1000, .t = 1795437517000LL, .day = 1795392000000LL,
                       .names = NAMES, .sel = sel, .n = 3, .p = snap, .ref = ref};
    gw_enc_board(&b, GW_FMT_JSON, &h);
    assert_buf(&b, "{\"op\":\"board\",\"epoch\":9007199254740991,\"dt\":1000,\"t\":1795437517000,"
                   "\"syms\":[\"ticker_0\",\"ticker_2\",\"ticker_3\"],\"p\":[-3,null,2147483647],"
                   "\"day\":1795392000000,\"ref\":[7,9,null]}");
    /* a resume: no prices, the client keeps its own (and its references) */
    gw_board_head r = {.epoch = 1, .dt = 50, .t = 100, .day = 5, .names = NAMES, .n = 2, .ref = ref};
    gw_enc_board(&b, GW_FMT_JSON, &r);
    assert_buf(&b, "{\"op\":\"board\",\"epoch\":1,\"dt\":50,\"t\":100,\"syms\":[\"ticker_0\",\"ticker_1\"],"
                   "\"p\":null,\"day\":null,\"ref\":null}");
    /* a bt takes its prices from a whole ring row, through the selection */
    int32_t row[] = {10, 11, GW_MISSING, -2147483647};
    gw_enc_btick(&b, GW_FMT_JSON, 1795437518000LL, row, sel, 3);
    assert_buf(&b, "{\"op\":\"bt\",\"t\":1795437518000,\"p\":[10,null,-2147483647]}");
    gw_enc_btick(&b, GW_FMT_JSON, 5, row, NULL, 4);
    assert_buf(&b, "{\"op\":\"bt\",\"t\":5,\"p\":[10,11,null,-2147483647]}");
    gw_buf_free(&b);
}

/* Decodes exactly one msgpack map from b. */
static void unpack_one(const gw_buf *b, msgpack_unpacked *up)
{
    size_t off = 0;
    assert_false(b->oom);
    msgpack_unpacked_init(up);
    assert_int_equal(msgpack_unpack_next(up, b->data, b->len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(off, b->len);
    assert_int_equal(up->data.type, MSGPACK_OBJECT_MAP);
}

static void assert_str(const msgpack_object *o, const char *s)
{
    assert_int_equal(o->type, MSGPACK_OBJECT_STR);
    assert_int_equal(o->via.str.size, strlen(s));
    assert_memory_equal(o->via.str.ptr, s, strlen(s));
}

/* p holds want[i] (GW_MISSING: nil), i < n. */
static void assert_prices(const msgpack_object *p, const int32_t *want, uint32_t n)
{
    assert_int_equal(p->type, MSGPACK_OBJECT_ARRAY);
    assert_int_equal(p->via.array.size, n);
    for (uint32_t i = 0; i < n; i++) {
        const msgpack_object *o = &p->via.array.ptr[i];
        if (want[i] == GW_MISSING)
            assert_int_equal(o->type, MSGPACK_OBJECT_NIL);
        else
            assert_int_equal(ival(o), want[i]);
    }
}

static void test_benc_msgpack(void **state)
{
    (void)state;
    /* every integer width the writer has, and the unknown price */
    int32_t row[] = {0, 127, 128, -32, -33, 65536, GW_MISSING, -2147483647, INT32_MAX};
    uint32_t n = sizeof(row) / sizeof(*row);
    char (*names)[GW_SYM_MAX] = calloc(n, GW_SYM_MAX);
    assert_non_null(names);
    for (uint32_t i = 0; i < n; i++)
        snprintf(names[i], GW_SYM_MAX, "ticker_%02u", i);
    gw_buf b = {0};
    msgpack_unpacked up;

    int32_t ref[] = {1, 2, 3, 4, 5, 6, 7, 8, GW_MISSING};
    gw_board_head h = {.epoch = 9007199254740991LL, .dt = 1000, .t = 1795437517000LL, .day = 1795392000000LL,
                       .names = (const char (*)[GW_SYM_MAX])names, .n = n, .p = row, .ref = ref};
    gw_enc_board(&b, GW_FMT_MSGPACK, &h);
    unpack_one(&b, &up);
    assert_int_equal(up.data.via.map.size, 8);
    assert_int_equal(ival(get(&up.data, "day")), 1795392000000LL);
    assert_prices(get(&up.data, "ref"), ref, n);
    assert_str(get(&up.data, "op"), "board");
    assert_int_equal(ival(get(&up.data, "epoch")), 9007199254740991LL);
    assert_int_equal(ival(get(&up.data, "dt")), 1000);
    assert_int_equal(ival(get(&up.data, "t")), 1795437517000LL);
    const msgpack_object *syms = get(&up.data, "syms");
    assert_int_equal(syms->via.array.size, n);
    for (uint32_t i = 0; i < n; i++)
        assert_str(&syms->via.array.ptr[i], names[i]);
    assert_prices(get(&up.data, "p"), row, n);
    msgpack_unpacked_destroy(&up);

    b.len = 0;
    uint32_t sel[] = {8, 6, 1}; /* the encoder follows sel, whatever its order */
    h = (gw_board_head){.epoch = 1, .dt = 50, .t = 100, .names = (const char (*)[GW_SYM_MAX])names, .sel = sel, .n = 3};
    gw_enc_board(&b, GW_FMT_MSGPACK, &h);
    unpack_one(&b, &up);
    assert_int_equal(up.data.via.map.size, 8);
    assert_int_equal(get(&up.data, "day")->type, MSGPACK_OBJECT_NIL);
    assert_int_equal(get(&up.data, "ref")->type, MSGPACK_OBJECT_NIL);
    assert_str(&get(&up.data, "syms")->via.array.ptr[0], "ticker_08");
    assert_str(&get(&up.data, "syms")->via.array.ptr[2], "ticker_01");
    assert_int_equal(get(&up.data, "p")->type, MSGPACK_OBJECT_NIL);
    msgpack_unpacked_destroy(&up);

    b.len = 0;
    gw_enc_btick(&b, GW_FMT_MSGPACK, 1795437518000LL, row, sel, 3);
    unpack_one(&b, &up);
    assert_int_equal(up.data.via.map.size, 3);
    assert_str(get(&up.data, "op"), "bt");
    assert_int_equal(ival(get(&up.data, "t")), 1795437518000LL);
    int32_t want[] = {INT32_MAX, GW_MISSING, 127};
    assert_prices(get(&up.data, "p"), want, 3);
    msgpack_unpacked_destroy(&up);
    gw_buf_free(&b);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_board),  cmocka_unit_test(test_parse_board_refused),
        cmocka_unit_test(test_parse_board_msgpack), cmocka_unit_test(test_benc_json),
        cmocka_unit_test(test_benc_msgpack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
