/* gw_enc.c — the gateway's messages to clients, msgpack and JSON (gw_proto.h).
 *
 * msgpack is written by hand (a dozen byte patterns) rather than through
 * msgpack_packer: the encoders run once per tick per subscribed instrument
 * and once per 10,000-price history chunk, and a direct append into one
 * reusable buffer is the cheapest shape. */
#include "gw_proto.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_mp.h"
#include "ts_candle.h"

static const char *const err_names[GW_E_COUNT] = {
    "ok", "bad_request", "bad_json", "unknown_sym", "bad_since", "too_many_subs", "not_subscribed", "internal",
    "bad_range", "busy", "bad_width",
};

const char *gw_err_name(gw_err e)
{
    return e < GW_E_COUNT ? err_names[e] : "internal";
}

/* ---- JSON writers ---- */

void gw_json_int(gw_buf *b, int64_t v)
{
    char tmp[24], *e = tmp + sizeof(tmp), *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    gw_buf_put(b, p, (size_t)(e - p));
}

void gw_json_str(gw_buf *b, const char *s, size_t n)
{
    put_byte(b, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            gw_buf_put(b, esc, 2);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            gw_buf_put(b, esc, 6);
        } else {
            put_byte(b, c);
        }
    }
    put_byte(b, '"');
}

#define PUT_LIT(b, s) gw_buf_put((b), (s), sizeof(s) - 1)

/* ---- encoders ---- */

void gw_enc_tick(gw_buf *b, gw_fmt f, const char *sym, int64_t t, int32_t p)
{
    size_t sl = strlen(sym);
    if (f == GW_FMT_JSON || f == GW_FMT_SSE) {
        if (f == GW_FMT_SSE)
            PUT_LIT(b, "data: {\"sym\":");
        else
            PUT_LIT(b, "{\"op\":\"tick\",\"sym\":");
        gw_json_str(b, sym, sl);
        PUT_LIT(b, ",\"t\":");
        gw_json_int(b, t);
        PUT_LIT(b, ",\"p\":");
        gw_json_int(b, p);
        if (f == GW_FMT_SSE)
            PUT_LIT(b, "}\n");
        else
            put_byte(b, '}');
        return;
    }
    mp_map(b, 4);
    mp_cstr(b, "op");
    mp_cstr(b, "tick");
    mp_cstr(b, "sym");
    mp_str(b, sym, sl);
    mp_cstr(b, "t");
    mp_int(b, t);
    mp_cstr(b, "p");
    mp_int(b, p);
}

void gw_enc_hist(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t t0, int64_t dt, const int32_t *p,
                 size_t n, int64_t last, int more)
{
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":\"hist\",\"sym\":");
        gw_json_str(b, sym, strlen(sym));
        PUT_LIT(b, ",\"epoch\":");
        gw_json_int(b, epoch);
        PUT_LIT(b, ",\"t0\":");
        gw_json_int(b, t0);
        PUT_LIT(b, ",\"dt\":");
        gw_json_int(b, dt);
        PUT_LIT(b, ",\"p\":[");
        for (size_t i = 0; i < n; i++) {
            if (i)
                put_byte(b, ',');
            gw_json_int(b, p[i]);
        }
        PUT_LIT(b, "],\"last\":");
        gw_json_int(b, last);
        if (more)
            PUT_LIT(b, ",\"more\":true}");
        else
            PUT_LIT(b, ",\"more\":false}");
        return;
    }
    mp_map(b, 8);
    mp_cstr(b, "op");
    mp_cstr(b, "hist");
    mp_cstr(b, "sym");
    mp_cstr(b, sym);
    mp_cstr(b, "epoch");
    mp_int(b, epoch);
    mp_cstr(b, "t0");
    mp_int(b, t0);
    mp_cstr(b, "dt");
    mp_int(b, dt);
    mp_cstr(b, "p");
    mp_array(b, n);
    for (size_t i = 0; i < n; i++)
        mp_int(b, p[i]);
    mp_cstr(b, "last");
    mp_int(b, last);
    mp_cstr(b, "more");
    put_byte(b, more ? 0xc3 : 0xc2);
}

void gw_enc_key(gw_buf *b, gw_fmt f, const char *k)
{
    if (f != GW_FMT_JSON) {
        mp_cstr(b, k);
        return;
    }
    PUT_LIT(b, ",\"");
    gw_buf_put(b, k, strlen(k));
    PUT_LIT(b, "\":");
}

/* "name":v (JSON, after a first key) or the pair (msgpack). */
static void put_int(gw_buf *b, gw_fmt f, const char *name, int64_t v)
{
    gw_enc_key(b, f, name);
    if (f == GW_FMT_JSON)
        gw_json_int(b, v);
    else
        mp_int(b, v);
}

/* ,"id":N (JSON) or the pair (msgpack) when id >= 0. */
static void put_id(gw_buf *b, gw_fmt f, int64_t id)
{
    if (id >= 0)
        put_int(b, f, "id", id);
}

void gw_enc_err(gw_buf *b, gw_fmt f, gw_err code, const char *msg, const char *sym, int64_t id)
{
    const char *name = gw_err_name(code);
    if (f == GW_FMT_SSE) {
        PUT_LIT(b, "event: err\ndata: ");
        gw_enc_err(b, GW_FMT_JSON, code, msg, sym, id);
        PUT_LIT(b, "\n\n");
        return;
    }
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":\"err\",\"code\":");
        gw_json_str(b, name, strlen(name));
        PUT_LIT(b, ",\"msg\":");
        gw_json_str(b, msg, strlen(msg));
        if (sym != NULL) {
            PUT_LIT(b, ",\"sym\":");
            gw_json_str(b, sym, strlen(sym));
        }
        put_id(b, f, id);
        put_byte(b, '}');
        return;
    }
    mp_map(b, (sym != NULL ? 4 : 3) + (id >= 0));
    mp_cstr(b, "op");
    mp_cstr(b, "err");
    mp_cstr(b, "code");
    mp_cstr(b, name);
    mp_cstr(b, "msg");
    mp_cstr(b, msg);
    if (sym != NULL) {
        mp_cstr(b, "sym");
        mp_cstr(b, sym);
    }
    put_id(b, f, id);
}

/* One column of the non-empty buckets: field at offset off, int32 or int64. */
static void range_col(gw_buf *b, gw_fmt f, const char *name, const ts_candle *c, size_t n, size_t filled, size_t off)
{
    int one = filled == SIZE_MAX; /* a single value, not an array */
    if (f == GW_FMT_JSON) {
        put_byte(b, ',');
        gw_json_str(b, name, strlen(name));
        gw_buf_put(b, ":[", one ? 1 : 2);
    } else {
        mp_cstr(b, name);
        if (!one)
            mp_array(b, filled);
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (c[i].n == 0)
            continue;
        const char *base = (const char *)&c[i] + off;
        int64_t v = off == offsetof(ts_candle, t) ? c[i].t
                    : off == offsetof(ts_candle, n) ? (int64_t)c[i].n
                                                     : (int64_t) * (const int32_t *)base;
        if (f == GW_FMT_JSON) {
            if (k++)
                put_byte(b, ',');
            gw_json_int(b, v);
        } else {
            mp_int(b, v);
        }
    }
    if (f == GW_FMT_JSON && !one)
        put_byte(b, ']');
}

static const struct {
    const char *name;
    size_t off;
} candle_cols[] = {{"t", offsetof(ts_candle, t)}, {"o", offsetof(ts_candle, o)}, {"h", offsetof(ts_candle, h)},
                   {"l", offsetof(ts_candle, l)}, {"c", offsetof(ts_candle, c)}, {"n", offsetof(ts_candle, n)}};

/* The columns t, o, h, l, c, n of the non-empty candles of c[0..n); as a
 * single value each (no array) when one is set. */
static void candle_cols_put(gw_buf *b, gw_fmt f, const ts_candle *c, size_t n, int one)
{
    size_t filled = 0;
    for (size_t i = 0; i < n; i++)
        filled += c[i].n > 0;
    for (size_t k = 0; k < sizeof(candle_cols) / sizeof(candle_cols[0]); k++)
        range_col(b, f, candle_cols[k].name, c, n, one ? SIZE_MAX : filled, candle_cols[k].off);
}

/* {"op":op,"sym":sym (JSON, left open) or its map head and the two pairs. */
static void put_head(gw_buf *b, gw_fmt f, const char *op, const char *sym, size_t pairs)
{
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":");
        gw_json_str(b, op, strlen(op));
        PUT_LIT(b, ",\"sym\":");
        gw_json_str(b, sym, strlen(sym));
    } else {
        mp_map(b, pairs);
        mp_cstr(b, "op");
        mp_cstr(b, op);
        mp_cstr(b, "sym");
        mp_cstr(b, sym);
    }
}

void gw_enc_candles(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t width, const ts_candle *c,
                    size_t n, int64_t last, int more)
{
    put_head(b, f, "candles", sym, 12);
    put_int(b, f, "epoch", epoch);
    put_int(b, f, "width", width);
    candle_cols_put(b, f, c, n, 0);
    put_int(b, f, "last", last);
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, ",\"more\":");
        gw_buf_put(b, more ? "true}" : "false}", more ? 5 : 6);
    } else {
        mp_cstr(b, "more");
        put_byte(b, more ? 0xc3 : 0xc2);
    }
}

void gw_enc_candle(gw_buf *b, gw_fmt f, const char *sym, int64_t width, const ts_candle *c, int64_t last)
{
    if (f == GW_FMT_SSE) {
        PUT_LIT(b, "event: candle\ndata: ");
        gw_enc_candle(b, GW_FMT_JSON, sym, width, c, last);
        put_byte(b, '\n');
        return;
    }
    put_head(b, f, "candle", sym, 10);
    put_int(b, f, "width", width);
    candle_cols_put(b, f, c, 1, 1);
    put_int(b, f, "last", last);
    if (f == GW_FMT_JSON)
        put_byte(b, '}');
}

void gw_enc_range(gw_buf *b, gw_fmt f, const char *sym, int64_t epoch, int64_t from, int64_t to, const char *source,
                  int64_t width, const ts_candle *c, size_t n, int64_t id)
{
    const char *keys[] = {"sym", "epoch", "from", "to", "source", "width"};
    int64_t vals[] = {0, epoch, from, to, 0, width};
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":\"range\"");
    } else {
        mp_map(b, 13 + (id >= 0));
        mp_cstr(b, "op");
        mp_cstr(b, "range");
    }
    put_id(b, f, id);
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const char *sv = k == 0 ? sym : k == 4 ? source : NULL;
        if (f == GW_FMT_JSON) {
            put_byte(b, ',');
            gw_json_str(b, keys[k], strlen(keys[k]));
            put_byte(b, ':');
            if (sv)
                gw_json_str(b, sv, strlen(sv));
            else
                gw_json_int(b, vals[k]);
        } else {
            mp_cstr(b, keys[k]);
            if (sv)
                mp_cstr(b, sv);
            else
                mp_int(b, vals[k]);
        }
    }
    candle_cols_put(b, f, c, n, 0);
    if (f == GW_FMT_JSON)
        put_byte(b, '}');
}

void gw_enc_sse_hello(gw_buf *b, int64_t epoch, int64_t dt, int64_t retry_ms)
{
    PUT_LIT(b, "retry: ");
    gw_json_int(b, retry_ms);
    PUT_LIT(b, "\nevent: hello\ndata: {\"epoch\":");
    gw_json_int(b, epoch);
    PUT_LIT(b, ",\"dt\":");
    gw_json_int(b, dt);
    PUT_LIT(b, "}\n\n");
}

void gw_enc_sse_live(gw_buf *b, const char *sym, int64_t epoch, int64_t last)
{
    PUT_LIT(b, "event: live\ndata: {\"sym\":");
    gw_json_str(b, sym, strlen(sym));
    PUT_LIT(b, ",\"epoch\":");
    gw_json_int(b, epoch);
    PUT_LIT(b, ",\"last\":");
    gw_json_int(b, last);
    PUT_LIT(b, "}\n\n");
}
