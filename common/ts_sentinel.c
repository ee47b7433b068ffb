/* ts_sentinel.c — see ts_sentinel.h. */
#include "ts_sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_log.h"
#include "ts_str.h"

void ts_sentinel_init(ts_sentinel *s, const ts_redis_url *u)
{
    memset(s, 0, sizeof(*s));
    s->url = u;
}

int ts_sentinel_target(const ts_sentinel *s, ts_redis_addr *to)
{
    const ts_redis_url *u = s->url;
    if (u->nsentinels == 0) {
        snprintf(to->host, sizeof(to->host), "%s", u->host);
        to->port = u->port;
        return 0;
    }
    if (s->resolved) {
        *to = s->master;
        return 0;
    }
    *to = u->sentinels[s->next];
    return 1;
}

int ts_sentinel_ask(redisAsyncContext *ac, const ts_sentinel *s, redisCallbackFn *fn, void *priv)
{
    return redisAsyncCommand(ac, fn, priv, "SENTINEL get-master-addr-by-name %s", s->url->master);
}

/* A sentinel answers [host, port], or nil when it does not know the name. */
static int parse_answer(const redisReply *r, ts_redis_addr *a, char *why, size_t n)
{
    if (r == NULL) {
        snprintf(why, n, "the sentinel closed the connection");
        return -1;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(why, n, "the sentinel answered %.100s", r->str);
        return -1;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[1]->type != REDIS_REPLY_STRING) {
        snprintf(why, n, "the sentinel does not know a master by that name");
        return -1;
    }
    int64_t port;
    size_t hlen = r->element[0]->len;
    if (hlen == 0 || hlen >= sizeof(a->host) ||
        ts_parse_digits(r->element[1]->str, r->element[1]->len, 65535, &port) != 0 || port < 1) {
        snprintf(why, n, "the sentinel named a bad address");
        return -1;
    }
    memcpy(a->host, r->element[0]->str, hlen);
    a->host[hlen] = '\0';
    a->port = (int)port;
    return 0;
}

int ts_sentinel_answer(ts_sentinel *s, const redisReply *r, char *why, size_t n)
{
    ts_redis_addr a;
    const ts_redis_addr *asked = &s->url->sentinels[s->next];
    if (parse_answer(r, &a, why, n) != 0)
        return -1;
    s->resolved = 1;
    int moved = s->master.port != 0 && (s->master.port != a.port || strcmp(s->master.host, a.host) != 0);
    if (moved) {
        s->changes++;
        ts_warn("redis: failover: sentinel %s:%d names %s:%d as master %s (was %s:%d)", asked->host, asked->port,
                a.host, a.port, s->url->master, s->master.host, s->master.port);
    } else if (s->master.port == 0) {
        ts_info("redis: sentinel %s:%d names %s:%d as master %s", asked->host, asked->port, a.host, a.port,
                s->url->master);
    }
    s->master = a;
    return moved;
}

void ts_sentinel_retry(ts_sentinel *s, int was_sentinel)
{
    if (s->url->nsentinels == 0)
        return;
    if (was_sentinel && !s->resolved)
        s->next = (s->next + 1) % s->url->nsentinels;
    s->resolved = 0;
}
