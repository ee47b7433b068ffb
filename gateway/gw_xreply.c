/* gw_xreply.c — see gw_xreply.h.
 *
 * An XRANGE reply is  *N  then per entry  *2 $ID *2k (field value)... .
 * The root array allocates the gw_xreply; every nested item is written into
 * it by its position (task->idx up the task stack) and returns the root
 * itself, a non-NULL placeholder hiredis only stores: the reader frees only
 * roots (read.c), so nothing else ever reaches freeObject. An item of any
 * other shape is skipped, which leaves its entry's -1 / GW_MISSING. */
#include "gw_xreply.h"

#include <hiredis/hiredis.h>
#include <stdlib.h>

#include "gw_ring.h"

static gw_xreply *new_reply(size_t n)
{
    /* One block: header, n times, n prices (8-byte aligned, then 4). */
    gw_xreply *x = malloc(sizeof(*x) + n * (sizeof(int64_t) + sizeof(int32_t)));
    if (x == NULL)
        return NULL;
    x->type = GW_XREPLY;
    x->p_next = 0;
    x->n = n;
    x->t = (int64_t *)(x + 1);
    x->p = (int32_t *)(x->t + n);
    for (size_t i = 0; i < n; i++) {
        x->t[i] = -1;
        x->p[i] = GW_MISSING;
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

/* "1732350000000-0" → 1732350000000; -1 unless digits then '-' or the end. */
static int64_t parse_id(const char *s, size_t len)
{
    int64_t v = 0;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        if (v > (INT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return i > 0 && (i == len || s[i] == '-') ? v : -1;
}

/* A whole decimal int32 (GW_MISSING itself excluded), else GW_MISSING. */
static int32_t parse_price(const char *s, size_t len)
{
    size_t i = len > 0 && s[0] == '-';
    int64_t v = 0;
    if (i == len || len - i > 10)
        return GW_MISSING;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return GW_MISSING;
        v = v * 10 + (s[i] - '0');
    }
    if (s[0] == '-')
        v = -v;
    return v > INT32_MAX || v <= INT32_MIN ? GW_MISSING : (int32_t)v;
}

static void *create_string(const redisReadTask *task, char *s, size_t len)
{
    gw_xreader *xr = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    if (x == NULL)
        return xr->dflt->createString(task, s, len);
    const redisReadTask *in = task->parent; /* entry array (depth 1) or field array (depth 2) */
    if (in->parent == NULL)
        return x; /* a plain string in the root array: not an entry */
    if (in->parent->parent == NULL) {
        if (task->idx == 0 && (size_t)in->idx < x->n)
            x->t[in->idx] = parse_id(s, len);
    } else if (in->parent->parent->parent == NULL && in->idx == 1 && (size_t)in->parent->idx < x->n) {
        if (task->idx % 2 == 0)
            x->p_next = len == 1 && s[0] == 'p';
        else if (x->p_next)
            x->p[in->parent->idx] = parse_price(s, len);
    }
    return x;
}

static void *create_array(const redisReadTask *task, int elements)
{
    gw_xreader *xr = task->privdata;
    if (task->parent == NULL) {
        const redisCallback *cb = xr->ac->replies.head;
        if (cb != NULL && cb->fn == xr->fn)
            return new_reply(elements > 0 ? (size_t)elements : 0);
        return xr->dflt->createArray(task, elements);
    }
    gw_xreply *x = root_of(task);
    return x != NULL ? x : xr->dflt->createArray(task, elements);
}

static void *create_integer(const redisReadTask *task, long long v)
{
    gw_xreader *xr = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    return x != NULL ? x : xr->dflt->createInteger(task, v);
}

static void *create_nil(const redisReadTask *task)
{
    gw_xreader *xr = task->privdata;
    gw_xreply *x = task->parent != NULL ? root_of(task) : NULL;
    return x != NULL ? x : xr->dflt->createNil(task);
}

static void free_object(void *obj)
{
    if (gw_xreply_of(obj) != NULL)
        free(obj);
    else
        freeReplyObject(obj);
}

void gw_xreader_install(gw_xreader *xr, redisAsyncContext *ac, redisCallbackFn *fn)
{
    redisReader *r = ac->c.reader;
    if (r->fn == &xr->fns && xr->ac == ac)
        return;
    if (r->fn != &xr->fns)
        xr->dflt = r->fn;
    xr->fns = (redisReplyObjectFunctions){create_string, create_array, create_integer, create_nil, free_object};
    xr->ac = ac;
    xr->fn = fn;
    /* Tasks copy r->privdata only when pushed, and the reader may already hold
     * pushed tasks (a reply begun, or the root primed with no data yet). */
    r->privdata = xr;
    for (size_t i = 0; i < sizeof(r->rstack) / sizeof(r->rstack[0]); i++)
        r->rstack[i].privdata = xr;
    r->fn = &xr->fns;
}
