/* ts_meta.c — see ts_meta.h. */
#include "ts_meta.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>

#include "ts_names.h"
#include "ts_str.h"

static const struct {
    const char *name;
    size_t off;
} fields[] = {
    {"interval_ms", offsetof(ts_meta, interval_ms)}, {"retention_ms", offsetof(ts_meta, retention_ms)},
    {"epoch", offsetof(ts_meta, epoch)},             {"instruments", offsetof(ts_meta, instruments)},
    {"version", offsetof(ts_meta, version)},
};

static int is_string(const redisReply *r)
{
    return r != NULL && r->type == REDIS_REPLY_STRING && r->str != NULL;
}

/* A string field that fits: copied into dst. */
static void copy_field(const redisReply *k, const redisReply *v, const char *name, char *dst, size_t cap)
{
    size_t n = strlen(name);
    if (k->len == n && memcmp(k->str, name, n) == 0 && is_string(v) && v->len < cap) {
        memcpy(dst, v->str, v->len);
        dst[v->len] = '\0';
    }
}

int ts_meta_read(const struct redisReply *r, ts_meta *m)
{
    m->interval_ms = m->retention_ms = m->epoch = m->instruments = m->version = -1;
    m->rollups[0] = m->rollups_from[0] = '\0';
    if (r == NULL || r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0 ||
        (r->elements > 0 && r->element == NULL))
        return -1;
    for (size_t i = 0; i < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        if (!is_string(k))
            continue;
        copy_field(k, v, "rollups", m->rollups, sizeof(m->rollups));
        copy_field(k, v, "rollups_from", m->rollups_from, sizeof(m->rollups_from));
        for (size_t j = 0; j < sizeof(fields) / sizeof(fields[0]); j++) {
            if (strlen(fields[j].name) != k->len || memcmp(fields[j].name, k->str, k->len) != 0)
                continue;
            int64_t *dst = (int64_t *)((char *)m + fields[j].off);
            if (!is_string(v) || ts_parse_digits(v->str, v->len, INT64_MAX, dst) != 0)
                *dst = -1;
        }
    }
    return 0;
}

int ts_meta_valid(const ts_meta *m, char *err, size_t errlen)
{
    if (m->interval_ms <= 0)
        snprintf(err, errlen, "ts:meta has no interval_ms (a positive whole number)");
    else if (m->retention_ms < m->interval_ms)
        snprintf(err, errlen, "ts:meta has no retention_ms of at least interval_ms");
    else if (m->epoch <= 0)
        snprintf(err, errlen, "ts:meta has no epoch (a positive whole number)");
    else if (m->instruments <= 0 || m->instruments > TS_INSTRUMENTS_MAX)
        snprintf(err, errlen, "ts:meta has no instruments count in 1..%d", TS_INSTRUMENTS_MAX);
    else if (m->version != TS_LAYOUT_VERSION)
        snprintf(err, errlen, "ts:meta version is %lld, this program reads version %d", (long long)m->version,
                 TS_LAYOUT_VERSION);
    else
        return 1;
    return 0;
}
