/* test_proto.c — gw_proto: the client-message parser (JSON and msgpack, every
 * error code) and the encoders (exact JSON, msgpack decoded back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <msgpack.h>

#include "gw_proto.h"
#include "mp_read.h"
#include "ts_candle.h"

static gw_err parse_json(const char *s, gw_request *r)
{
    char msg[192];
    gw_err e = gw_parse_request(s, strlen(s), 1, r, msg, sizeof(msg));
    if (e != GW_OK)
        assert_true(strlen(msg) > 0); /* every error says why */
    return e;
}

static void test_json_ok(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":\"ticker_07\",\"since\":1732350000000}", &r), GW_OK);
    assert_int_equal(r.op, GW_OP_SUB);
    assert_string_equal(r.sym, "ticker_07");
    assert_int_equal(r.since, 1732350000000LL);
    assert_int_equal(parse_json(" { \"since\" : 0 , \"sym\":\"a\", \"x\":[1,{\"y\":null}], \"op\":\"sub\" } ", &r), GW_OK);
    assert_int_equal(r.since, 0);
    assert_int_equal(parse_json("{\"op\":\"unsub\",\"sym\":\"ticker_07\"}", &r), GW_OK);
    assert_int_equal(r.op, GW_OP_UNSUB);
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":\"s\",\"since\":9007199254740992}", &r), GW_OK);
}

static void test_json_errors(void **state)
{
    (void)state;
    gw_request r;
    const char *bad_json[] = {"", "{", "[]", "nope", "{\"op\":\"sub\",}", "{\"op\" \"sub\"}", "{\"op\":\"sub\"} x",
                              "{\"op\":tru}", "{\"op\":\"s\nb\"}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}"};
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(*bad_json); i++)
        assert_int_equal(parse_json(bad_json[i], &r), GW_E_BAD_JSON);
    assert_int_equal(parse_json("{}", &r), GW_E_BAD_REQUEST);
    assert_int_equal(parse_json("{\"op\":1}", &r), GW_E_BAD_REQUEST);
    assert_int_equal(parse_json("{\"op\":\"buy\",\"sym\":\"a\"}", &r), GW_E_BAD_REQUEST);
    assert_int_equal(parse_json("{\"op\":\"sub\",\"since\":0}", &r), GW_E_BAD_REQUEST);
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":7,\"since\":0}", &r), GW_E_BAD_REQUEST);
    const char *bad_since[] = {"{\"op\":\"sub\",\"sym\":\"a\"}", "{\"op\":\"sub\",\"sym\":\"a\",\"since\":-1}",
                               "{\"op\":\"sub\",\"sym\":\"a\",\"since\":1.5}", "{\"op\":\"sub\",\"sym\":\"a\",\"since\":\"0\"}",
                               "{\"op\":\"sub\",\"sym\":\"a\",\"since\":1e3}",
                               "{\"op\":\"sub\",\"sym\":\"a\",\"since\":9007199254740993}",
                               "{\"op\":\"sub\",\"sym\":\"a\",\"since\":99999999999999999999999}"};
    for (size_t i = 0; i < sizeof(bad_since) / sizeof(*bad_since); i++) {
        assert_int_equal(parse_json(bad_since[i], &r), GW_E_BAD_SINCE);
        assert_string_equal(r.sym, "a"); /* known, so the err can name it */
    }
    char longsym[200];
    snprintf(longsym, sizeof(longsym), "{\"op\":\"sub\",\"sym\":\"%0100d\",\"since\":0}", 0);
    assert_int_equal(parse_json(longsym, &r), GW_OK);
    assert_true(r.sym_too_long);
}

static gw_err parse_mp(msgpack_sbuffer *sb, gw_request *r)
{
    char msg[192];
    return gw_parse_request(sb->data, sb->size, 0, r, msg, sizeof(msg));
}

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

static void test_msgpack(void **state)
{
    (void)state;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    gw_request r;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    pack_str(&pk, "op");
    pack_str(&pk, "sub");
    pack_str(&pk, "sym");
    pack_str(&pk, "ticker_01");
    pack_str(&pk, "since");
    msgpack_pack_uint64(&pk, 1795436530600ULL);
    assert_int_equal(parse_mp(&sb, &r), GW_OK);
    assert_int_equal(r.since, 1795436530600LL);
    /* trailing bytes */
    msgpack_pack_nil(&pk);
    assert_int_equal(parse_mp(&sb, &r), GW_E_BAD_REQUEST);

    /* since as an integral double is fine, 1.5 is not */
    double vals[] = {42.0, 1.5, -3.0};
    gw_err want[] = {GW_OK, GW_E_BAD_SINCE, GW_E_BAD_SINCE};
    for (int i = 0; i < 3; i++) {
        msgpack_sbuffer_clear(&sb);
        msgpack_pack_map(&pk, 3);
        pack_str(&pk, "op");
        pack_str(&pk, "sub");
        pack_str(&pk, "sym");
        pack_str(&pk, "x");
        pack_str(&pk, "since");
        msgpack_pack_double(&pk, vals[i]);
        assert_int_equal(parse_mp(&sb, &r), want[i]);
    }
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_int(&pk, 1);
    assert_int_equal(parse_mp(&sb, &r), GW_E_BAD_REQUEST);
    char msg[64];
    assert_int_equal(gw_parse_request("\xc1", 1, 0, &r, msg, sizeof(msg)), GW_E_BAD_REQUEST);
    assert_int_equal(gw_parse_request("", 0, 0, &r, msg, sizeof(msg)), GW_E_BAD_REQUEST);

    /* Counts and lengths past the end are refused before msgpack-c would
     * allocate for them (an ASan build aborts on a 64 GiB request). */
    static const struct {
        const char *p;
        size_t n;
    } lies[] = {
        {"\xdd\xff\xff\xff\xff", 5},             /* array32 of 2^32 - 1 */
        {"\xdf\xff\xff\xff\xff", 5},             /* map32 */
        {"\x81\xa2op\xdd\xff\xff\xff\xff", 9}, /* {op: array32} */
        {"\x81\xa2op\xdb\xff\xff\xff\xff", 9}, /* {op: str32} */
        {"\x82\xa2op\xa3sub", 8},                  /* a map short of a pair */
        {"\xc7\x05\x01\x00", 4},                  /* ext8 longer than the frame */
    };
    for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++)
        assert_int_equal(gw_parse_request(lies[i].p, lies[i].n, 0, &r, msg, sizeof(msg)), GW_E_BAD_REQUEST);

    /* Every other msgpack type, under a key the gateway ignores, still parses. */
    msgpack_sbuffer_clear(&sb);
    msgpack_pack_map(&pk, 4);
    pack_str(&pk, "op");
    pack_str(&pk, "sub");
    pack_str(&pk, "sym");
    pack_str(&pk, "x");
    pack_str(&pk, "since");
    msgpack_pack_int64(&pk, 7);
    pack_str(&pk, "extra");
    msgpack_pack_array(&pk, 9);
    msgpack_pack_bin(&pk, 3);
    msgpack_pack_bin_body(&pk, "abc", 3);
    msgpack_pack_ext(&pk, 4, 1);
    msgpack_pack_ext_body(&pk, "wxyz", 4);
    msgpack_pack_ext(&pk, 5, 2);
    msgpack_pack_ext_body(&pk, "vwxyz", 5);
    msgpack_pack_float(&pk, 1.5f);
    msgpack_pack_int64(&pk, -5000000000LL);
    msgpack_pack_uint16(&pk, 60000);
    msgpack_pack_true(&pk);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_nil(&pk);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_str(&pk, 40);
    msgpack_pack_str_body(&pk, "0123456789012345678901234567890123456789", 40);
    assert_int_equal(parse_mp(&sb, &r), GW_OK);
    assert_int_equal(r.since, 7);
    msgpack_sbuffer_destroy(&sb);
}

static void test_json_encoders(void **state)
{
    (void)state;
    gw_buf b = {0};
    gw_enc_tick(&b, GW_FMT_JSON, "ticker_07", 1795436530600LL, -12);
    assert_buf(&b, "{\"op\":\"tick\",\"sym\":\"ticker_07\",\"t\":1795436530600,\"p\":-12}");
    int32_t p[] = {1, -2, INT32_MIN, INT32_MAX};
    gw_enc_hist(&b, GW_FMT_JSON, "s", 9007199254740991LL, 100, 10, p, 4, 130, 1);
    assert_buf(&b, "{\"op\":\"hist\",\"sym\":\"s\",\"epoch\":9007199254740991,\"t0\":100,\"dt\":10,"
                   "\"p\":[1,-2,-2147483648,2147483647],\"last\":130,\"more\":true}");
    gw_enc_hist(&b, GW_FMT_JSON, "s", 1, 500, 10, NULL, 0, 500, 0);
    assert_buf(&b, "{\"op\":\"hist\",\"sym\":\"s\",\"epoch\":1,\"t0\":500,\"dt\":10,\"p\":[],\"last\":500,\"more\":false}");
    gw_enc_err(&b, GW_FMT_JSON, GW_E_UNKNOWN_SYM, "no \"such\"\n", "a\\b", -1);
    assert_buf(&b, "{\"op\":\"err\",\"code\":\"unknown_sym\",\"msg\":\"no \\\"such\\\"\\u000a\",\"sym\":\"a\\\\b\"}");
    gw_enc_err(&b, GW_FMT_JSON, GW_E_BAD_JSON, "x", NULL, -1);
    assert_buf(&b, "{\"op\":\"err\",\"code\":\"bad_json\",\"msg\":\"x\"}");
    gw_buf_free(&b);
}

static void test_msgpack_hist(void **state)
{
    (void)state;
    /* every integer width the writer has */
    int32_t p[] = {0, 1, 127, 128, 255, 256, 65535, 65536, -1, -32, -33, -128, -129, -32768, -32769, INT32_MIN, INT32_MAX};
    size_t n = sizeof(p) / sizeof(*p);
    int32_t many[70000];
    for (size_t i = 0; i < 70000; i++)
        many[i] = (int32_t)i - 35000;
    gw_buf b = {0};
    for (int round = 0; round < 2; round++) {
        const int32_t *src = round ? many : p;
        size_t cnt = round ? 70000 : n;
        b.len = 0;
        gw_enc_hist(&b, GW_FMT_MSGPACK, "ticker_07", 9007199254740991LL, 1795436530600LL, 10, src, cnt,
                    1795436530600LL + 10 * (int64_t)(cnt - 1), round == 0);
        msgpack_unpacked up;
        msgpack_unpacked_init(&up);
        size_t off = 0;
        assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
        assert_int_equal(off, b.len);
        assert_int_equal(up.data.type, MSGPACK_OBJECT_MAP);
        assert_memory_equal(get(&up.data, "op")->via.str.ptr, "hist", 4);
        assert_int_equal(ival(get(&up.data, "epoch")), 9007199254740991LL);
        assert_int_equal(ival(get(&up.data, "t0")), 1795436530600LL);
        assert_int_equal(ival(get(&up.data, "dt")), 10);
        const msgpack_object *arr = get(&up.data, "p");
        assert_int_equal(arr->via.array.size, cnt);
        for (size_t i = 0; i < cnt; i++)
            assert_int_equal(ival(&arr->via.array.ptr[i]), src[i]);
        assert_int_equal(get(&up.data, "more")->via.boolean, round == 0);
        msgpack_unpacked_destroy(&up);
    }
    /* tick and err decode too */
    b.len = 0;
    gw_enc_tick(&b, GW_FMT_MSGPACK, "ticker_07", 1795436530600LL, -40000);
    gw_enc_err(&b, GW_FMT_MSGPACK, GW_E_TOO_MANY_SUBS, "at most 3", "ticker_09", -1);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(ival(get(&up.data, "p")), -40000);
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_memory_equal(get(&up.data, "code")->via.str.ptr, "too_many_subs", 13);
    assert_memory_equal(get(&up.data, "sym")->via.str.ptr, "ticker_09", 9);
    assert_int_equal(off, b.len);
    msgpack_unpacked_destroy(&up);
    gw_buf_free(&b);
}

static void test_sse_encoders(void **state)
{
    (void)state;
    gw_buf b = {0};
    gw_enc_tick(&b, GW_FMT_SSE, "ticker_07", 1795436530600LL, -12);
    assert_buf(&b, "data: {\"sym\":\"ticker_07\",\"t\":1795436530600,\"p\":-12}\n");
    gw_enc_sse_hello(&b, 42, 1000, 1000);
    assert_buf(&b, "retry: 1000\nevent: hello\ndata: {\"epoch\":42,\"dt\":1000}\n\n");
    gw_enc_sse_live(&b, "ticker_07", 42, 1795436530600LL);
    assert_buf(&b, "event: live\ndata: {\"sym\":\"ticker_07\",\"epoch\":42,\"last\":1795436530600}\n\n");
    gw_enc_err(&b, GW_FMT_SSE, GW_E_INTERNAL, "retry", "s", -1);
    assert_buf(&b, "event: err\ndata: {\"op\":\"err\",\"code\":\"internal\",\"msg\":\"retry\",\"sym\":\"s\"}\n\n");
    gw_buf_free(&b);
}

static void test_parse_ms(void **state)
{
    (void)state;
    int64_t v[3];
    assert_int_equal(gw_parse_ms("0", 1, v), 0);
    assert_int_equal(v[0], 0);
    assert_int_equal(gw_parse_ms("9007199254740992", 16, v), 0);
    assert_int_equal(gw_parse_ms("9007199254740993", 16, v), -1);
    assert_int_equal(gw_parse_ms("", 0, v), -1);
    assert_int_equal(gw_parse_ms("-1", 2, v), -1);
    assert_int_equal(gw_parse_ms("1.5", 3, v), -1);
    assert_int_equal(gw_parse_ms_list("17", 2, v, 3), 1);
    assert_int_equal(v[0], 17);
    assert_int_equal(gw_parse_ms_list("1,2,3", 5, v, 3), 3);
    assert_int_equal(v[2], 3);
    assert_int_equal(gw_parse_ms_list("1,2,3", 5, v, 2), -1);
    assert_int_equal(gw_parse_ms_list("1,,3", 4, v, 3), -1);
    assert_int_equal(gw_parse_ms_list("1,", 2, v, 3), -1);
    assert_int_equal(gw_parse_ms_list("", 0, v, 3), -1);
}

/* The range op: from, to, points optional (no from: the whole stored
 * history, -1), id echoed in the answer and in an err (JSON and msgpack). */
static void test_range(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse_json("{\"op\":\"range\",\"sym\":\"a\",\"from\":5,\"to\":9,\"points\":3,\"id\":7}", &r),
                     GW_OK);
    assert_int_equal(r.op, GW_OP_RANGE);
    assert_int_equal(r.from, 5);
    assert_int_equal(r.to, 9);
    assert_int_equal(r.points, 3);
    assert_int_equal(r.id, 7);
    assert_int_equal(parse_json("{\"op\":\"range\",\"sym\":\"a\",\"from\":5}", &r), GW_OK);
    assert_int_equal(r.to, -1);
    assert_int_equal(r.points, 1000);
    assert_int_equal(r.id, -1);
    assert_int_equal(parse_json("{\"op\":\"range\",\"sym\":\"a\",\"points\":640}", &r), GW_OK);
    assert_int_equal(r.from, -1);
    assert_int_equal(r.to, -1);
    assert_int_equal(r.points, 640);
    const char *bad[] = {"{\"op\":\"range\",\"sym\":\"a\",\"from\":\"start\"}",
                         "{\"op\":\"range\",\"sym\":\"a\",\"from\":-1}",
                         "{\"op\":\"range\",\"sym\":\"a\",\"from\":1,\"to\":\"x\"}",
                         "{\"op\":\"range\",\"sym\":\"a\",\"from\":1,\"points\":1.5}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        assert_int_equal(parse_json(bad[i], &r), GW_E_BAD_RANGE);
        assert_string_equal(r.sym, "a");
    }
    assert_int_equal(parse_json("{\"op\":\"range\",\"sym\":\"a\",\"from\":1,\"id\":\"q\"}", &r), GW_E_BAD_REQUEST);
    /* id is only read for range: a sub with a string id stays fine */
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"id\":\"q\"}", &r), GW_OK);

    gw_buf b = {0};
    ts_candle c[3] = {{100, 1, 3, 0, 2, 4}, {0}, {300, -1, -1, -5, -5, 2}};
    gw_enc_range(&b, GW_FMT_JSON, "a", 9, 150, 399, "1m", 100, c, 3, 42);
    assert_buf(&b, "{\"op\":\"range\",\"id\":42,\"sym\":\"a\",\"epoch\":9,\"from\":150,\"to\":399,\"source\":\"1m\","
                   "\"width\":100,\"t\":[100,300],\"o\":[1,-1],\"h\":[3,-1],\"l\":[0,-5],\"c\":[2,-5],\"n\":[4,2]}");
    gw_enc_err(&b, GW_FMT_JSON, GW_E_BAD_RANGE, "x", "a", 3);
    assert_buf(&b, "{\"op\":\"err\",\"code\":\"bad_range\",\"msg\":\"x\",\"sym\":\"a\",\"id\":3}");
    gw_enc_range(&b, GW_FMT_MSGPACK, "a", 9, 150, 399, "1m", 100, c, 3, 42);
    gw_enc_err(&b, GW_FMT_MSGPACK, GW_E_BUSY, "y", NULL, 4);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(ival(get(&up.data, "id")), 42);
    assert_int_equal(ival(get(&up.data, "width")), 100);
    assert_int_equal(get(&up.data, "l")->via.array.size, 2);
    assert_int_equal(ival(&get(&up.data, "l")->via.array.ptr[1]), -5);
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_memory_equal(get(&up.data, "code")->via.str.ptr, "busy", 4);
    assert_int_equal(ival(get(&up.data, "id")), 4);
    assert_int_equal(off, b.len);
    msgpack_unpacked_destroy(&up);
    gw_buf_free(&b);
}

/* Live candles: width on sub and unsub (a duration or ms), and the two messages. */
static void test_candles(void **state)
{
    (void)state;
    gw_request r;
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":\"a\",\"since\":5,\"width\":\"15m\"}", &r), GW_OK);
    assert_int_equal(r.width, 900000);
    assert_int_equal(parse_json("{\"op\":\"unsub\",\"sym\":\"a\",\"width\":60000}", &r), GW_OK);
    assert_int_equal(r.op, GW_OP_UNSUB);
    assert_int_equal(r.width, 60000);
    assert_int_equal(parse_json("{\"op\":\"sub\",\"sym\":\"a\",\"since\":5}", &r), GW_OK);
    assert_int_equal(r.width, 0); /* ticks */
    const char *bad[] = {"{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":\"1x\"}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":\"60\"}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":0}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":-60000}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":1.5}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":[1]}",
                         "{\"op\":\"sub\",\"sym\":\"a\",\"since\":0,\"width\":\"100000000000000000000000d\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse_json(bad[i], &r), GW_E_BAD_WIDTH);
        assert_int_equal(r.width, 0);
    }
    /* width is not read for other ops */
    assert_int_equal(parse_json("{\"op\":\"range\",\"sym\":\"a\",\"from\":1,\"width\":\"x\"}", &r), GW_OK);

    gw_buf b = {0};
    ts_candle c[3] = {{0, 1, 3, 0, 2, 4}, {0}, {120, -1, -1, -5, -5, 2}};
    gw_enc_candles(&b, GW_FMT_JSON, "a", 9, 60, c, 3, 150, 1);
    assert_buf(&b, "{\"op\":\"candles\",\"sym\":\"a\",\"epoch\":9,\"width\":60,\"t\":[0,120],\"o\":[1,-1],"
                   "\"h\":[3,-1],\"l\":[0,-5],\"c\":[2,-5],\"n\":[4,2],\"last\":150,\"more\":true}");
    gw_enc_candles(&b, GW_FMT_JSON, "a", 9, 60, c, 0, 59, 0);
    assert_buf(&b, "{\"op\":\"candles\",\"sym\":\"a\",\"epoch\":9,\"width\":60,\"t\":[],\"o\":[],"
                   "\"h\":[],\"l\":[],\"c\":[],\"n\":[],\"last\":59,\"more\":false}");
    gw_enc_candle(&b, GW_FMT_JSON, "a", 60, &c[2], 170);
    assert_buf(&b, "{\"op\":\"candle\",\"sym\":\"a\",\"width\":60,\"t\":120,\"o\":-1,\"h\":-1,\"l\":-5,"
                   "\"c\":-5,\"n\":2,\"last\":170}");
    gw_enc_err(&b, GW_FMT_JSON, GW_E_BAD_WIDTH, "x", "a", -1);
    assert_buf(&b, "{\"op\":\"err\",\"code\":\"bad_width\",\"msg\":\"x\",\"sym\":\"a\"}");
    gw_enc_candles(&b, GW_FMT_MSGPACK, "a", 9, 60, c, 3, 150, 0);
    gw_enc_candle(&b, GW_FMT_MSGPACK, "a", 60, &c[0], 30);
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(up.data.via.map.size, 12);
    assert_int_equal(ival(get(&up.data, "epoch")), 9);
    assert_int_equal(get(&up.data, "n")->via.array.size, 2);
    assert_int_equal(ival(&get(&up.data, "t")->via.array.ptr[1]), 120);
    assert_int_equal(ival(get(&up.data, "last")), 150);
    assert_true(get(&up.data, "more")->type == MSGPACK_OBJECT_BOOLEAN && !get(&up.data, "more")->via.boolean);
    assert_int_equal(msgpack_unpack_next(&up, b.data, b.len, &off), MSGPACK_UNPACK_SUCCESS);
    assert_int_equal(up.data.via.map.size, 10);
    assert_int_equal(ival(get(&up.data, "h")), 3);
    assert_int_equal(ival(get(&up.data, "n")), 4);
    assert_int_equal(ival(get(&up.data, "last")), 30);
    assert_int_equal(off, b.len);
    msgpack_unpacked_destroy(&up);
    gw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_ok),    cmocka_unit_test(test_json_errors),   cmocka_unit_test(test_msgpack),
        cmocka_unit_test(test_json_encoders), cmocka_unit_test(test_msgpack_hist), cmocka_unit_test(test_sse_encoders),
        cmocka_unit_test(test_parse_ms),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_candles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
