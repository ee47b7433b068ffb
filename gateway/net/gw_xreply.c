/* gw_xreply.c — see gw_xreply.h.
 *
 * An XRANGE reply is  *N  then per entry  *2 $ID *2k (field value)... .
 * The root array allocates the gw_xreply; every nested item is written into
 * it by its position (task->idx up the task stack) and returns the root
 * itself, a non-NULL placeholder hiredis only stores: the reader frees only
 * roots (read.c), so nothing else ever reaches freeObject. An item of any
 * other shape is skipped, which leaves its entry's -1 / TS_PRICE_MISSING. */
#include "gw_xreply.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

#include "ts_entry.h"

/* Written against hiredis 0.14's reader: the redisReadTask fields used here
 * (parent, idx, obj, privdata) and the reader freeing only roots. Check both
 * before building against another release. */
#if HIREDIS_MAJOR != 0 || HIREDIS_MINOR != 14
#error "gw_xreply.c: check redisReadTask and reply ownership in this hiredis release, then update this test"
#endif

static gw_xreply *new_reply(size_t n)
{
    /* One block: header, n times, n prices (8-byte aligned, then 4). */
    gw_xreply *x = malloc(sizeof(*x) + n * (sizeof(int64_t) + sizeof(int32_t)));
    if (x == NULL)
        return NULL;
    x->type = GW_XREPLY;
    x->p_next = 0;
    x->p_done = SIZE_MAX;
    x->n = n;
    x->t = (int64_t *)(x + 1);
    x->p = (int32_t *)(x->t + n);
    for (size_t i = 0; i < n; i++) {
        x->t[i] = -1;
        x->p[i] = TS_PRICE_MISSING;
    }
    return x;
}

/* The gw_xreply this item belongs to, or NULL when its root is a redisReply. */
static gw_xreply *root_of(const redisReadTask *task)
{
    while (task->parent != NULL)
        task = task->parent;
    return (gw_xreply *)gw_xreply_of(task->obj);
}

static void *create_string(const redisReadTask *task, char *s, size_t len)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    if (x == NULL)
        return dflt->createString(task, s, len);
    const redisReadTask *in = task->parent; /* entry array (depth 1) or field array (depth 2) */
    if (in->parent == NULL)
        return x; /* a plain string in the root array: not an entry */
    if (in->parent->parent == NULL) {
        if (task->idx == 0 && (size_t)in->idx < x->n)
            ts_entry_parse_id(s, len, &x->t[in->idx]);
    } else if (in->parent->parent->parent == NULL && in->idx == 1 && (size_t)in->parent->idx < x->n) {
        if (task->idx % 2 == 0)
            x->p_next = len == 1 && s[0] == 'p';
        else if (x->p_next && x->p_done != (size_t)in->parent->idx) {
            /* The first p counts (ts_entry.h). */
            ts_entry_parse_price(s, len, &x->p[in->parent->idx]);
            x->p_done = (size_t)in->parent->idx;
        }
    }
    return x;
}

static void *create_array(const redisReadTask *task, int elements)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    if (task->parent == NULL)
        return new_reply(elements > 0 ? (size_t)elements : 0);
    gw_xreply *x = root_of(task);
    return x != NULL ? x : dflt->createArray(task, elements);
}

static void *create_integer(const redisReadTask *task, long long v)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    return x != NULL ? x : dflt->createInteger(task, v);
}

static void *create_nil(const redisReadTask *task)
{
    const redisReplyObjectFunctions *dflt = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    return x != NULL ? x : dflt->createNil(task);
}

static void free_object(void *obj)
{
    if (gw_xreply_of(obj) != NULL)
        free(obj);
    else
        freeReplyObject(obj);
}

static redisReplyObjectFunctions xfns = {create_string, create_array, create_integer, create_nil, free_object};

int gw_xreader_attach(redisContext *c)
{
    return gw_reader_attach(c, &xfns);
}

int gw_reader_attach(redisContext *c, redisReplyObjectFunctions *fns)
{
    redisReader *old = c->reader, *r = redisReaderCreateWithFunctions(fns);
    if (r == NULL)
        return -1;
    /* hiredis' own functions (static storage) for every reply that is not
     * ours; each read task carries them as its privdata. */
    r->privdata = old->fn;
    r->maxbuf = old->maxbuf;
    redisReaderFree(old);
    c->reader = r;
    return 0;
}
