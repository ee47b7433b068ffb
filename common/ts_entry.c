/* ts_entry.c — see ts_entry.h. Strict on purpose: what one reader accepts,
 * every reader accepts, and nothing else becomes a price. */
#include "ts_entry.h"

#include <hiredis/hiredis.h>
#include <string.h>

#include "ts_str.h"

/* Exactly n digits (n > 0) as a uint64; -1 on anything else or overflow. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0)
        return -1;
    while (n > 1 && s[0] == '0')
        s++, n--;
    if (n > 20)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        /* Only a 20th digit can overflow: check then, not at every digit. */
        if (d > 9 || (i == 19 && v > (UINT64_MAX - d) / 10))
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int ts_entry_parse_id_seq(const char *s, size_t len, int64_t *ms, uint64_t *seq)
{
    const char *dash = s != NULL ? memchr(s, '-', len) : NULL;
    size_t mlen = dash != NULL ? (size_t)(dash - s) : len;
    int64_t m;
    uint64_t q = 0;
    if (s == NULL || ts_parse_digits(s, mlen, INT64_MAX, &m) != 0 ||
        (dash != NULL && parse_u64(dash + 1, len - mlen - 1, &q) != 0)) {
        *ms = -1;
        *seq = 0;
        return -1;
    }
    *ms = m;
    *seq = q;
    return 0;
}

int ts_entry_parse_id(const char *s, size_t len, int64_t *ms)
{
    uint64_t seq;
    return ts_entry_parse_id_seq(s, len, ms, &seq);
}

int ts_entry_parse_price(const char *s, size_t len, int32_t *p)
{
    int neg = s != NULL && len > 0 && s[0] == '-';
    int64_t v;
    /* Up to INT32_MAX digits-wise; INT32_MIN's magnitude is refused with it. */
    if (s == NULL || ts_parse_digits(s + neg, len - (size_t)neg, INT32_MAX, &v) != 0) {
        *p = TS_PRICE_MISSING;
        return -1;
    }
    *p = (int32_t)(neg ? -v : v);
    return 0;
}

static int is_string(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_STRING && r->str != NULL;
}

int ts_entry_from_reply(const struct redisReply *e, int64_t *t, int32_t *p)
{
    *t = -1;
    *p = TS_PRICE_MISSING;
    if (e == NULL || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element == NULL ||
        !is_string(e->element[0]))
        return -1;
    if (ts_entry_parse_id(e->element[0]->str, e->element[0]->len, t) != 0)
        return -1;
    const redisReply *f = e->element[1];
    if (f == NULL || f->type != REDIS_REPLY_ARRAY || f->elements % 2 != 0 ||
        (f->elements > 0 && f->element == NULL))
        return -1;
    for (size_t i = 0; i < f->elements; i++)
        if (!is_string(f->element[i]))
            return -1;
    for (size_t i = 0; i < f->elements; i += 2) {
        const redisReply *k = f->element[i], *v = f->element[i + 1];
        if (k->len == 1 && k->str[0] == 'p')
            return ts_entry_parse_price(v->str, v->len, p);
    }
    return -1;
}
