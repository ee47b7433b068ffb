/* gw_benc.c — the board's messages (gw_benc.h). A bt frame is one array of
 * prices per tick: with the generator's ±1 walk every price moves every
 * tick, so sending only the changed ones would add an index per price and
 * save nothing (docs/PERFORMANCE.md "Boards" measures both). */
#include "gw_benc.h"

#include "gw_mp.h"
#include "ts_entry.h"

#define PUT_LIT(b, s) gw_buf_put((b), (s), sizeof(s) - 1)

static void price(gw_buf *b, gw_fmt f, int32_t p)
{
    if (p == TS_PRICE_MISSING && f == GW_FMT_JSON)
        PUT_LIT(b, "null");
    else if (p == TS_PRICE_MISSING)
        put_byte(b, 0xc0); /* nil */
    else if (f == GW_FMT_JSON)
        gw_json_int(b, p);
    else
        mp_int(b, p);
}

/* An array of the prices p[i] (sel NULL) or p[sel[i]], i < n. */
static void price_array(gw_buf *b, gw_fmt f, const int32_t *p, const uint32_t *sel, uint32_t n)
{
    if (f == GW_FMT_JSON)
        put_byte(b, '[');
    else
        mp_array(b, n);
    for (uint32_t i = 0; i < n; i++) {
        if (i && f == GW_FMT_JSON)
            put_byte(b, ',');
        price(b, f, p[sel ? sel[i] : i]);
    }
    if (f == GW_FMT_JSON)
        put_byte(b, ']');
}

/* A board's p, day and ref: all null for a resume. */
static void board_tail(gw_buf *b, gw_fmt f, const gw_board_head *h)
{
    gw_enc_key(b, f, "p");
    if (h->p == NULL)
        price(b, f, TS_PRICE_MISSING); /* null */
    else
        price_array(b, f, h->p, NULL, h->n);
    gw_enc_key(b, f, "day");
    if (h->p == NULL)
        price(b, f, TS_PRICE_MISSING);
    else if (f == GW_FMT_JSON)
        gw_json_int(b, h->day);
    else
        mp_int(b, h->day);
    gw_enc_key(b, f, "ref");
    if (h->p == NULL)
        price(b, f, TS_PRICE_MISSING);
    else
        price_array(b, f, h->ref, NULL, h->n);
}

void gw_enc_board(gw_buf *b, gw_fmt f, const gw_board_head *h)
{
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":\"board\",\"epoch\":");
        gw_json_int(b, h->epoch);
        PUT_LIT(b, ",\"dt\":");
        gw_json_int(b, h->dt);
        PUT_LIT(b, ",\"t\":");
        gw_json_int(b, h->t);
        PUT_LIT(b, ",\"syms\":[");
        for (uint32_t i = 0; i < h->n; i++) {
            if (i)
                put_byte(b, ',');
            const char *s = h->names[h->sel ? h->sel[i] : i];
            gw_json_str(b, s, strlen(s));
        }
        put_byte(b, ']');
        board_tail(b, f, h);
        put_byte(b, '}');
        return;
    }
    mp_map(b, 8);
    mp_cstr(b, "op");
    mp_cstr(b, "board");
    mp_cstr(b, "epoch");
    mp_int(b, h->epoch);
    mp_cstr(b, "dt");
    mp_int(b, h->dt);
    mp_cstr(b, "t");
    mp_int(b, h->t);
    mp_cstr(b, "syms");
    mp_array(b, h->n);
    for (uint32_t i = 0; i < h->n; i++)
        mp_cstr(b, h->names[h->sel ? h->sel[i] : i]);
    board_tail(b, f, h);
}

void gw_enc_btick(gw_buf *b, gw_fmt f, int64_t t, const int32_t *row, const uint32_t *sel, uint32_t n)
{
    if (f == GW_FMT_JSON) {
        PUT_LIT(b, "{\"op\":\"bt\",\"t\":");
        gw_json_int(b, t);
        gw_enc_key(b, f, "p");
        price_array(b, f, row, sel, n);
        put_byte(b, '}');
        return;
    }
    mp_map(b, 3);
    mp_cstr(b, "op");
    mp_cstr(b, "bt");
    mp_cstr(b, "t");
    mp_int(b, t);
    gw_enc_key(b, f, "p");
    price_array(b, f, row, sel, n);
}
