/* ts_candle.c — candles, the ladder, the candle entry reader. No I/O. */
#include "ts_candle.h"

#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_entry.h"
#include "ts_str.h"
#include "ts_time.h"

void ts_candle_add(ts_candle *c, int64_t start, int64_t t, int32_t p)
{
    (void)t;
    if (c->n == 0) {
        c->t = start;
        c->o = c->h = c->l = p;
    }
    c->h = p > c->h ? p : c->h;
    c->l = p < c->l ? p : c->l;
    c->c = p;
    c->n++;
}

void ts_candle_merge(ts_candle *into, const ts_candle *later)
{
    if (later->n == 0)
        return;
    if (into->n == 0) {
        *into = *later;
        return;
    }
    into->h = later->h > into->h ? later->h : into->h;
    into->l = later->l < into->l ? later->l : into->l;
    into->c = later->c;
    into->n += later->n;
}

static int parse_level(const char *item, int64_t interval_ms, ts_level *lv, char *err, size_t errlen)
{
    char buf[64], why[160];
    const char *colon = strchr(item, ':');
    if (colon == NULL || (size_t)(colon - item) >= sizeof(buf) || colon[1] == '\0') {
        snprintf(err, errlen, "'%s' is not width:retention (e.g. 1m:30d)", item);
        return -1;
    }
    memcpy(buf, item, (size_t)(colon - item));
    buf[colon - item] = '\0';
    if (ts_parse_duration_ms(buf, &lv->width_ms, why, sizeof(why)) != 0 ||
        ts_parse_duration_ms(colon + 1, &lv->retention_ms, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "'%s': %s", item, why);
        return -1;
    }
    if (lv->width_ms <= 0 || lv->width_ms % interval_ms != 0) {
        snprintf(err, errlen, "'%s': the width must be a positive multiple of the interval (%" PRId64 " ms)", item,
                 interval_ms);
        return -1;
    }
    if (lv->retention_ms < lv->width_ms) {
        snprintf(err, errlen, "'%s': the retention must be at least the width", item);
        return -1;
    }
    /* The generator trims with MINID now - retention: a retention longer
     * than the time since 1970 made that negative, and Redis refused every
     * write of the level ("Invalid stream ID"). 50 years keeps it positive. */
    if (lv->retention_ms > TS_LEVEL_RETENTION_MAX_MS) {
        snprintf(err, errlen, "'%s': the retention can be at most 18250d (50 years)", item);
        return -1;
    }
    ts_format_duration_ms(lv->width_ms, lv->label, sizeof(lv->label));
    return 0;
}

int ts_ladder_parse(const char *spec, int64_t interval_ms, ts_ladder *out, char *err, size_t errlen)
{
    char buf[512];
    memset(out, 0, sizeof(*out));
    if (spec[0] == '\0' || strcmp(spec, "off") == 0)
        return 0;
    if (strlen(spec) >= sizeof(buf)) {
        snprintf(err, errlen, "too long");
        return -1;
    }
    strcpy(buf, spec);
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item != NULL; item = strtok_r(NULL, ",", &save)) {
        if (out->n == TS_LEVELS_MAX) {
            snprintf(err, errlen, "at most %d levels", TS_LEVELS_MAX);
            return -1;
        }
        ts_level *lv = &out->lv[out->n];
        if (parse_level(item, interval_ms, lv, err, errlen) != 0)
            return -1;
        if (out->n > 0 && (lv->width_ms <= lv[-1].width_ms || lv->width_ms % lv[-1].width_ms != 0)) {
            snprintf(err, errlen, "'%s': each width must be a larger multiple of the one before (%s)", item,
                     lv[-1].label);
            return -1;
        }
        out->n++;
    }
    if (out->n == 0) {
        snprintf(err, errlen, "'%s' names no level", spec);
        return -1;
    }
    return 0;
}

void ts_ladder_format(const ts_ladder *l, char *buf, size_t len)
{
    size_t off = 0;
    if (l->n == 0)
        snprintf(buf, len, "off");
    for (int k = 0; k < l->n && off < len; k++) {
        char ret[32];
        ts_format_duration_ms(l->lv[k].retention_ms, ret, sizeof(ret));
        int w = snprintf(buf + off, len - off, "%s%s:%s", k ? "," : "", l->lv[k].label, ret);
        off += w > 0 ? (size_t)w : 0;
    }
}

int ts_candle_key(char *buf, size_t len, const ts_level *lv, const char *name)
{
    return snprintf(buf, len, TS_KEY_CANDLE_PREFIX "%s:{%s}", lv->label, name);
}

void ts_candle_field(ts_candle *c, unsigned *seen, const char *k, size_t klen, const char *v, size_t vlen)
{
    if (klen != 1)
        return;
    int64_t n;
    switch (k[0]) {
    case 'o': *seen |= (ts_entry_parse_price(v, vlen, &c->o) == 0) << 0; break;
    case 'h': *seen |= (ts_entry_parse_price(v, vlen, &c->h) == 0) << 1; break;
    case 'l': *seen |= (ts_entry_parse_price(v, vlen, &c->l) == 0) << 2; break;
    case 'c': *seen |= (ts_entry_parse_price(v, vlen, &c->c) == 0) << 3; break;
    case 'n':
        if (ts_parse_digits(v, vlen, UINT32_MAX, &n) == 0 && n > 0) {
            c->n = (uint32_t)n;
            *seen |= 1 << 4;
        }
        break;
    default: break;
    }
}

int ts_candle_check(ts_candle *c, unsigned seen)
{
    if (c->t < 0 || seen != 0x1f || c->l > c->o || c->l > c->c || c->h < c->o || c->h < c->c) {
        c->n = 0;
        return -1;
    }
    return 0;
}

int ts_candle_from_reply(const redisReply *e, ts_candle *c)
{
    memset(c, 0, sizeof(*c));
    c->t = -1;
    if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0] == NULL ||
        e->element[1] == NULL || e->element[0]->type != REDIS_REPLY_STRING ||
        e->element[1]->type != REDIS_REPLY_ARRAY || e->element[1]->elements % 2 != 0)
        return -1;
    if (ts_entry_parse_id(e->element[0]->str, e->element[0]->len, &c->t) != 0)
        return -1;
    const redisReply *f = e->element[1];
    unsigned seen = 0;
    for (size_t i = 0; i + 1 < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k == NULL || v == NULL || k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            return -1;
        ts_candle_field(c, &seen, k->str, k->len, v->str, v->len);
    }
    return ts_candle_check(c, seen);
}
