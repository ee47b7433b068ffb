/* gw_proto.c — client requests, msgpack or JSON, into gw_request (gw_proto.h).
 *
 * Reading client messages uses msgpack-c's unpacker, which validates
 * untrusted input for us; JSON input is parsed by a small strict reader
 * (gw_jread.c) of flat objects (nested values of unknown keys are skipped,
 * so clients may add fields). The encoders are in gw_enc.c. */
#include "gw_proto.h"

#include <math.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_jread.h"
#include "ts_codec.h"

/* ---- request parsing ---- */

/* What one key of a request held, independent of the input format: the
 * kinds of gw_jread's values. */
typedef enum {
    V_OTHER = GW_JREAD_OTHER,
    V_STR = GW_JREAD_STR,
    V_INT = GW_JREAD_INT,
    V_NUM = GW_JREAD_NUM,
    V_ARR = GW_JREAD_ARR
} vkind;

typedef struct field {
    vkind kind;
    const char *s;
    size_t slen;
    int64_t i;
    const msgpack_object *arr; /* V_ARR from msgpack; from JSON, s/slen span the array's text */
} field;

typedef struct req_fields {
    int have_op, have_sym, have_since, have_prefix, have_syms, have_from, have_to, have_points, have_id, have_width;
    field op, sym, since, prefix, syms, from, to, points, id, width;
} req_fields;

static int key_is(const char *key, size_t klen, const char *name)
{
    return klen == strlen(name) && !memcmp(key, name, klen);
}

static void note_field(req_fields *rf, const char *key, size_t klen, const field *v)
{
    if (key_is(key, klen, "from")) {
        rf->have_from = 1;
        rf->from = *v;
    } else if (key_is(key, klen, "to")) {
        rf->have_to = 1;
        rf->to = *v;
    } else if (key_is(key, klen, "points")) {
        rf->have_points = 1;
        rf->points = *v;
    } else if (key_is(key, klen, "width")) {
        rf->have_width = 1;
        rf->width = *v;
    } else if (key_is(key, klen, "id")) {
        rf->have_id = 1;
        rf->id = *v;
    } else if (key_is(key, klen, "op")) {
        rf->have_op = 1;
        rf->op = *v;
    } else if (key_is(key, klen, "sym")) {
        rf->have_sym = 1;
        rf->sym = *v;
    } else if (key_is(key, klen, "since")) {
        rf->have_since = 1;
        rf->since = *v;
    } else if (key_is(key, klen, "prefix")) {
        rf->have_prefix = 1;
        rf->prefix = *v;
    } else if (key_is(key, klen, "syms")) {
        rf->have_syms = 1;
        rf->syms = *v;
    }
}

static gw_err board_fields(const req_fields *rf, gw_request *req, char *msg, size_t msglen);

/* A whole number of 0..2^53 (-1: not one). */
static int64_t whole(const field *f)
{
    return f->kind == V_INT && f->i >= 0 && f->i <= GW_SINCE_MAX ? f->i : -1;
}

/* The fields of a range request, each optional: from (absent: the whole
 * stored history), to, points, id. */
static gw_err finish_range(const req_fields *rf, gw_request *req, char *msg, size_t msglen)
{
    req->from = rf->have_from ? whole(&rf->from) : -1;
    req->to = rf->have_to ? whole(&rf->to) : -1;
    req->points = rf->have_points ? whole(&rf->points) : 1000;
    req->id = rf->have_id ? whole(&rf->id) : -1;
    if (rf->have_id && req->id < 0) {
        snprintf(msg, msglen, "\"id\" must be a whole number from 0 to 2^53");
        return GW_E_BAD_REQUEST;
    }
    if ((rf->have_from && req->from < 0) || (rf->have_to && req->to < 0) || req->points < 0) {
        snprintf(msg, msglen, "\"from\", \"to\" and \"points\" must be whole numbers (ms since the Unix epoch; "
                              "points 1..10000)");
        return GW_E_BAD_RANGE;
    }
    return GW_OK;
}

/* A candle width: a duration ("1m", "90s", "4h") or a whole number of ms. */
static gw_err finish_width(const req_fields *rf, gw_request *req, char *msg, size_t msglen)
{
    const field *f = &rf->width;
    if (f->kind == V_STR) {
        if (gw_parse_width(f->s, f->slen, &req->width) != 0)
            req->width = 0;
    } else if (f->kind == V_INT) {
        req->width = whole(f);
    }
    if (req->width <= 0) {
        req->width = 0;
        snprintf(msg, msglen, "\"width\" must be a duration such as \"1m\", \"15m\", \"1h\", or a whole number of ms");
        return GW_E_BAD_WIDTH;
    }
    return GW_OK;
}

/* Checks the fields common to both formats. */
static gw_err finish_request(const req_fields *rf, gw_request *req, char *msg, size_t msglen)
{
    if (rf->have_sym && rf->sym.kind == V_STR) {
        size_t n = rf->sym.slen;
        req->sym_too_long = n >= GW_SYM_MAX;
        if (n >= GW_SYM_MAX)
            n = GW_SYM_MAX - 1;
        memcpy(req->sym, rf->sym.s, n);
        req->sym[n] = '\0';
        if (memchr(req->sym, '\0', n) != NULL)
            req->sym_too_long = 1; /* embedded NUL: cannot name an instrument */
    }
    if (!rf->have_op || rf->op.kind != V_STR) {
        snprintf(msg, msglen, "\"op\" (a string) is required");
        return GW_E_BAD_REQUEST;
    }
    if (rf->op.slen == 3 && !memcmp(rf->op.s, "sub", 3))
        req->op = GW_OP_SUB;
    else if (rf->op.slen == 5 && !memcmp(rf->op.s, "unsub", 5))
        req->op = GW_OP_UNSUB;
    else if (rf->op.slen == 5 && !memcmp(rf->op.s, "board", 5))
        req->op = GW_OP_BOARD;
    else if (rf->op.slen == 7 && !memcmp(rf->op.s, "unboard", 7))
        req->op = GW_OP_UNBOARD;
    else if (rf->op.slen == 5 && !memcmp(rf->op.s, "range", 5))
        req->op = GW_OP_RANGE;
    else {
        snprintf(msg, msglen, "unknown op \"%.*s\" (sub, unsub, board, unboard, range)", (int)(rf->op.slen > 32 ? 32 : rf->op.slen),
                 rf->op.s);
        return GW_E_BAD_REQUEST;
    }
    if (req->op <= GW_OP_UNSUB && (!rf->have_sym || rf->sym.kind != V_STR)) {
        snprintf(msg, msglen, "\"sym\" (a string) is required");
        return GW_E_BAD_REQUEST;
    }
    if (req->op <= GW_OP_UNSUB && rf->have_width) {
        gw_err e = finish_width(rf, req, msg, msglen);
        if (e != GW_OK)
            return e;
    }
    if (req->op == GW_OP_SUB || req->op == GW_OP_BOARD) {
        if (!rf->have_since) {
            snprintf(msg, msglen, "\"since\" (ms, 0 for all history) is required");
            return GW_E_BAD_SINCE;
        }
        if (rf->since.kind != V_INT || rf->since.i < 0 || rf->since.i > GW_SINCE_MAX) {
            snprintf(msg, msglen, "\"since\" must be a whole number of ms from 0 to 2^53");
            return GW_E_BAD_SINCE;
        }
        req->since = rf->since.i;
    }
    if (req->op == GW_OP_RANGE)
        return finish_range(rf, req, msg, msglen);
    return req->op == GW_OP_BOARD ? board_fields(rf, req, msg, msglen) : GW_OK;
}

/* msgpack object → field. Integral floats count as integers: some encoders
 * send every JS number as a double. */
static field mp_field(const msgpack_object *o)
{
    field f = {V_OTHER, NULL, 0, 0, NULL};
    switch (o->type) {
    case MSGPACK_OBJECT_STR:
        f.kind = V_STR;
        f.s = o->via.str.ptr;
        f.slen = o->via.str.size;
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        f.kind = o->via.u64 <= INT64_MAX ? V_INT : V_NUM;
        f.i = (int64_t)o->via.u64;
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        f.kind = V_INT;
        f.i = o->via.i64;
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        f.kind = V_NUM;
        if (o->via.f64 == floor(o->via.f64) && fabs(o->via.f64) < 9.2e18) {
            f.kind = V_INT;
            f.i = (int64_t)o->via.f64;
        }
        break;
    case MSGPACK_OBJECT_ARRAY:
        f.kind = V_ARR;
        f.arr = o;
        break;
    default:
        break;
    }
    return f;
}

static gw_err parse_msgpack(const char *data, size_t len, gw_request *req, char *msg, size_t msglen)
{
    msgpack_unpacked up;
    msgpack_unpacked_init(&up);
    size_t off = 0;
    gw_err rc;
    /* MSGPACK_UNPACK_SUCCESS is 2, not 0; trailing bytes are refused. */
    if (!ts_msgpack_sizes_fit(data, len) ||
        msgpack_unpack_next(&up, data, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf(msg, msglen, "binary frame is not one msgpack object");
        rc = GW_E_BAD_REQUEST;
        goto done;
    }
    if (up.data.type != MSGPACK_OBJECT_MAP) {
        snprintf(msg, msglen, "message must be a map");
        rc = GW_E_BAD_REQUEST;
        goto done;
    }
    req_fields rf;
    memset(&rf, 0, sizeof(rf));
    for (uint32_t i = 0; i < up.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &up.data.via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            continue;
        field v = mp_field(&kv->val);
        note_field(&rf, kv->key.via.str.ptr, kv->key.via.str.size, &v);
    }
    rc = finish_request(&rf, req, msg, msglen);
done:
    msgpack_unpacked_destroy(&up);
    return rc;
}

/* Appends one name to a board's list; -1 when it does not fit. */
static int list_add(gw_request *req, size_t *used, const char *s, size_t n)
{
    if (n == 0 || n >= GW_SYM_MAX || memchr(s, '\0', n) != NULL || *used + n + 1 > sizeof(req->list))
        return -1;
    memcpy(req->list + *used, s, n);
    req->list[*used + n] = '\0';
    *used += n + 1;
    req->nlist++;
    return 0;
}

/* A board's selection: "prefix" (a string) or "syms" (an array of names). */
static gw_err board_fields(const req_fields *rf, gw_request *req, char *msg, size_t msglen)
{
    if (rf->have_prefix) {
        if (rf->prefix.kind != V_STR || rf->prefix.slen >= GW_SYM_MAX ||
            (rf->prefix.slen > 0 && memchr(rf->prefix.s, '\0', rf->prefix.slen) != NULL)) {
            snprintf(msg, msglen, "\"prefix\" must be a string of at most %d bytes", GW_SYM_MAX - 1);
            return GW_E_BAD_REQUEST;
        }
        if (rf->prefix.slen > 0)
            memcpy(req->prefix, rf->prefix.s, rf->prefix.slen);
    }
    if (!rf->have_syms)
        return GW_OK;
    int ok = rf->syms.kind == V_ARR && !rf->have_prefix;
    size_t used = 0;
    req->have_list = 1;
    if (ok && rf->syms.arr != NULL) {
        const msgpack_object_array *a = &rf->syms.arr->via.array;
        for (uint32_t i = 0; ok && i < a->size; i++)
            ok = a->ptr[i].type == MSGPACK_OBJECT_STR &&
                 list_add(req, &used, a->ptr[i].via.str.ptr, a->ptr[i].via.str.size) == 0;
    } else if (ok) {
        gw_jread r = {rf->syms.s + 1, rf->syms.s + rf->syms.slen - 1}; /* inside the brackets */
        gw_jread_ws(&r);
        while (ok && r.p < r.end) {
            const char *s;
            size_t n;
            ok = gw_jread_string(&r, &s, &n) == 0 && list_add(req, &used, s, n) == 0;
            gw_jread_ws(&r);
            if (ok && r.p < r.end && *r.p == ',') {
                r.p++;
                gw_jread_ws(&r);
                ok = r.p < r.end;
            } else if (r.p < r.end) {
                ok = 0;
            }
        }
    }
    if (!ok || req->nlist == 0) {
        snprintf(msg, msglen, "\"syms\" must be a non-empty array of instrument names (and no \"prefix\" with it)");
        return GW_E_BAD_REQUEST;
    }
    return GW_OK;
}

static gw_err parse_json(const char *data, size_t len, gw_request *req, char *msg, size_t msglen)
{
    gw_jread r = {data, data + len};
    req_fields rf;
    memset(&rf, 0, sizeof(rf));
    gw_jread_ws(&r);
    if (r.p >= r.end || *r.p != '{') {
        snprintf(msg, msglen, "message must be a JSON object");
        return GW_E_BAD_JSON;
    }
    r.p++;
    gw_jread_ws(&r);
    if (r.p < r.end && *r.p == '}') {
        r.p++;
    } else {
        for (;;) {
            const char *k;
            size_t kn;
            gw_jval jv = {0};
            gw_jread_ws(&r);
            if (gw_jread_string(&r, &k, &kn) != 0)
                goto bad;
            gw_jread_ws(&r);
            if (r.p >= r.end || *r.p++ != ':')
                goto bad;
            if (gw_jread_value(&r, &jv, 1) != 0)
                goto bad;
            field v = {.kind = (vkind)jv.kind, .s = jv.s, .slen = jv.slen, .i = jv.i};
            note_field(&rf, k, kn, &v);
            gw_jread_ws(&r);
            if (r.p >= r.end)
                goto bad;
            if (*r.p == ',') {
                r.p++;
                continue;
            }
            if (*r.p++ != '}')
                goto bad;
            break;
        }
    }
    gw_jread_ws(&r);
    if (r.p != r.end)
        goto bad;
    return finish_request(&rf, req, msg, msglen);
bad:
    snprintf(msg, msglen, "invalid JSON at byte %zu", (size_t)(r.p - data));
    return GW_E_BAD_JSON;
}

gw_err gw_parse_request(const char *data, size_t len, int is_text, gw_request *req, char *msg, size_t msglen)
{
    memset(req, 0, sizeof(*req));
    msg[0] = '\0';
    return is_text ? parse_json(data, len, req, msg, msglen) : parse_msgpack(data, len, req, msg, msglen);
}
