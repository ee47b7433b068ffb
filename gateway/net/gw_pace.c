/* gw_pace.c — see gw_pace.h. */
#include "gw_pace.h"

#include <stddef.h>

int64_t gw_pace_at(int64_t pace, int64_t last, int64_t now)
{
    if (pace <= 0 || last <= now - pace) /* not now - last: GW_PACE_NEVER would overflow it */
        return now;
    return now + pace;
}

void gw_paceq_init(gw_paceq *q)
{
    h2o_linklist_init_anchor(&q->head);
}

static gw_pace_entry *entry_of(const h2o_linklist_t *l)
{
    return (gw_pace_entry *)((char *)l - offsetof(gw_pace_entry, link));
}

int gw_paceq_add(gw_paceq *q, gw_pace_entry *e, int64_t due)
{
    e->due = due;
    h2o_linklist_t *at = q->head.prev; /* insert after the last entry due no later */
    while (at != &q->head && entry_of(at)->due > due)
        at = at->prev;
    h2o_linklist_insert(at->next, &e->link);
    return q->head.next == &e->link;
}

gw_pace_entry *gw_paceq_pop(gw_paceq *q, int64_t now)
{
    if (h2o_linklist_is_empty(&q->head))
        return NULL;
    gw_pace_entry *e = entry_of(q->head.next);
    if (e->due > now)
        return NULL;
    h2o_linklist_unlink(&e->link);
    return e;
}

int64_t gw_paceq_next(const gw_paceq *q)
{
    return q->head.next == &q->head ? -1 : entry_of(q->head.next)->due;
}

void gw_paceq_remove(gw_pace_entry *e)
{
    if (h2o_linklist_is_linked(&e->link))
        h2o_linklist_unlink(&e->link);
}

int gw_paceq_queued(const gw_pace_entry *e)
{
    return e->link.next != NULL;
}
