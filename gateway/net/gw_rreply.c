/* gw_rreply.c — see gw_rreply.h.
 *
 * The EXEC reply is  *K  then per command  *N  (or an error), then per
 * entry  *2 $ID *2m (field value)... . The root allocates the gw_rreply; a
 * part's array its entries; every other item is written into them by its
 * position (task->idx up the task stack) and returns the root itself, a
 * non-NULL placeholder hiredis only stores: the reader frees only roots
 * (read.c), so nothing else reaches free_object. */
#include "gw_rreply.h"

#include <stdlib.h>
#include <string.h>

#include "gw_xreply.h" /* gw_reader_attach */
#include "ts_entry.h"

/* Written against hiredis 0.14's reader, as gw_xreply.c. */
#if HIREDIS_MAJOR != 0 || HIREDIS_MINOR != 14
#error "gw_rreply.c: check redisReadTask and reply ownership in this hiredis release, then update this test"
#endif

static gw_rreply *root_of(const redisReadTask *task, int *depth)
{
    *depth = 0;
    while (task->parent != NULL) {
        task = task->parent;
        ++*depth;
    }
    return (gw_rreply *)gw_rreply_of(task->obj);
}

/* The part an item at depth d (>= 2) belongs to, and its entry index. */
static gw_rpart *part_of(gw_rreply *x, const redisReadTask *task, int d, size_t *entry)
{
    const redisReadTask *e = task; /* the entry array: depth 2 */
    for (int i = d; i > 2; i--)
        e = e->parent;
    if (d < 2 || e->parent == NULL || (size_t)e->parent->idx >= x->k)
        return NULL;
    gw_rpart *p = &x->part[e->parent->idx];
    *entry = (size_t)e->idx;
    return *entry < p->n ? p : NULL;
}

static void *create_string(const redisReadTask *task, char *s, size_t len)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    int d;
    gw_rreply *x = task->parent != NULL ? root_of(task, &d) : NULL;
    if (x == NULL)
        return dflt->createString(task, s, len);
    size_t i;
    gw_rpart *p = part_of(x, task, d, &i);
    if (p == NULL)
        return x; /* an error in place of a part (ok stays 0), or not an entry's */
    if (d == 3 && task->idx == 0) {
        ts_entry_parse_id(s, len, &p->c[i].t);
    } else if (d == 4 && task->parent->idx == 1) {
        if (task->idx % 2 == 0) {
            x->key = len == 1 ? s[0] : 0;
        } else if (p == &x->part[x->k - 1]) { /* the ticks: the first p counts (ts_entry.h) */
            if (x->key == 'p' && !(p->seen[i] & GW_RSEEN_PREAD)) {
                ts_candle *c = &p->c[i];
                if (ts_entry_parse_price(s, len, &c->o) == 0) {
                    c->h = c->l = c->c = c->o;
                    p->seen[i] |= GW_RSEEN_P;
                }
                p->seen[i] |= GW_RSEEN_PREAD;
            }
        } else if (x->key != 0) {
            unsigned seen = p->seen[i];
            ts_candle_field(&p->c[i], &seen, &x->key, 1, s, len);
            p->seen[i] = (uint8_t)seen;
        }
    }
    return x;
}

static void *create_array(const redisReadTask *task, int elements)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    size_t n = elements > 0 ? (size_t)elements : 0;
    if (task->parent == NULL) {
        gw_rreply *x = calloc(1, sizeof(*x) + n * sizeof(gw_rpart));
        if (x == NULL)
            return NULL;
        x->type = GW_RREPLY;
        x->k = n;
        x->part = (gw_rpart *)(x + 1);
        return x;
    }
    int d;
    gw_rreply *x = root_of(task, &d);
    if (x == NULL)
        return dflt->createArray(task, elements);
    if (d == 1 && (size_t)task->idx < x->k) {
        gw_rpart *p = &x->part[task->idx];
        p->c = malloc(n * sizeof(ts_candle) + n + 1);
        if (p->c == NULL)
            return NULL; /* hiredis reports out of memory */
        p->seen = (uint8_t *)(p->c + n);
        memset(p->seen, 0, n);
        for (size_t i = 0; i < n; i++)
            p->c[i] = (ts_candle){.t = -1};
        p->n = n;
        p->ok = 1;
    }
    return x;
}

static void *create_integer(const redisReadTask *task, long long v)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    int d;
    gw_rreply *x = task->parent != NULL ? root_of(task, &d) : NULL;
    return x != NULL ? x : dflt->createInteger(task, v);
}

static void *create_nil(const redisReadTask *task)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    int d;
    gw_rreply *x = task->parent != NULL ? root_of(task, &d) : NULL;
    return x != NULL ? x : dflt->createNil(task);
}

static void free_object(void *obj)
{
    gw_rreply *x = (gw_rreply *)gw_rreply_of(obj);
    if (x == NULL) {
        freeReplyObject(obj);
        return;
    }
    for (size_t k = 0; k < x->k; k++)
        free(x->part[k].c);
    free(x);
}

static redisReplyObjectFunctions rfns = {create_string, create_array, create_integer, create_nil, free_object};

int gw_rreader_attach(redisContext *c)
{
    return gw_reader_attach(c, &rfns);
}

int gw_rpart_tick(const gw_rpart *p, size_t i, ts_candle *c)
{
    if (i >= p->n || p->c[i].t < 0 || !(p->seen[i] & GW_RSEEN_P))
        return -1;
    *c = p->c[i];
    c->n = 1;
    return 0;
}

int gw_rpart_candle(const gw_rpart *p, size_t i, ts_candle *c)
{
    if (i >= p->n)
        return -1;
    *c = p->c[i];
    return ts_candle_check(c, p->seen[i] & GW_RSEEN_CANDLE);
}
