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

void ts_sentinel_init_watch(ts_sentinel *s, const ts_redis_url *u)
{
    ts_sentinel_init(s, u);
    s->watch = 1;
}

int ts_sentinel_target(ts_sentinel *s, ts_redis_addr *to)
{
    const ts_redis_url *u = s->url;
    if (s->watch) {
        *to = u->sentinels[s->next];
        return 0;
    }
    if (u->nsentinels == 0) {
        snprintf(to->host, sizeof(to->host), "%s", u->host);
        to->port = u->port;
        return 0;
    }
    if (s->resolved) {
        s->pinned = 0; /* used: a later loss asks the sentinels again */
        *to = s->master;
        return 0;
    }
    *to = u->sentinels[s->next];
    return 1;
}

int ts_sentinel_send_auth(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv)
{
    if (u->sentinel_password[0] == '\0')
        return 0;
    int rc = u->sentinel_user[0] != '\0'
                 ? redisAsyncCommand(ac, fn, priv, "AUTH %s %s", u->sentinel_user, u->sentinel_password)
                 : redisAsyncCommand(ac, fn, priv, "AUTH %s", u->sentinel_password);
    return rc == REDIS_OK ? 1 : -1;
}

int ts_sentinel_ask(redisAsyncContext *ac, ts_sentinel *s, redisCallbackFn *fn, void *priv)
{
    int auth = ts_sentinel_send_auth(ac, s->url, fn, priv);
    if (auth < 0)
        return REDIS_ERR;
    s->auth_pending = auth;
    return redisAsyncCommand(ac, fn, priv, "SENTINEL get-master-addr-by-name %s", s->url->master);
}

int ts_sentinel_watch(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv)
{
    /* The question first: once subscribed, a RESP2 connection takes only
     * (UN)SUBSCRIBE and PING. */
    if (redisAsyncCommand(ac, fn, priv, "SENTINEL get-master-addr-by-name %s", u->master) != REDIS_OK)
        return REDIS_ERR;
    return ts_sentinel_watch_probe(ac, fn, priv);
}

/* Not PING: hiredis 0.14 hands a subscribed connection's replies that are
 * arrays to the callback of the channel or pattern named in their second
 * element, choosing patterns when the first starts with 'p' — so PING's
 * ["pong", ""] finds no callback and is dropped, while PING's own callback
 * stays queued (ac->sub.invalid) until the context is freed, one more per
 * probe. SUBSCRIBE to the channel we are on is answered with a
 * ["subscribe", "+switch-master", 1] confirmation that reaches fn, and
 * hiredis replaces its entry for the channel rather than adding one. */
int ts_sentinel_watch_probe(redisAsyncContext *ac, redisCallbackFn *fn, void *priv)
{
    return redisAsyncCommand(ac, fn, priv, "SUBSCRIBE +switch-master");
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
    if (hlen == 0 || hlen >= sizeof(a->host) || memchr(r->element[0]->str, '\0', hlen) != NULL ||
        ts_parse_digits(r->element[1]->str, r->element[1]->len, 65535, &port) != 0 || port < 1) {
        snprintf(why, n, "the sentinel named a bad address");
        return -1;
    }
    memcpy(a->host, r->element[0]->str, hlen);
    a->host[hlen] = '\0';
    a->port = (int)port;
    return 0;
}

static int same_addr(const ts_redis_addr *a, const ts_redis_addr *b)
{
    return a->port == b->port && strcmp(a->host, b->host) == 0;
}

int ts_sentinel_answer(ts_sentinel *s, const redisReply *r, char *why, size_t n)
{
    ts_redis_addr a;
    const ts_redis_addr *asked = &s->url->sentinels[s->next];
    if (s->auth_pending == -1 && r != NULL) { /* the NOAUTH after a refused AUTH: reported already */
        s->auth_pending = 0;
        return 2;
    }
    if (s->auth_pending == 1 && r != NULL) {
        s->auth_pending = r->type == REDIS_REPLY_ERROR ? -1 : 0;
        if (r->type != REDIS_REPLY_ERROR)
            return 2;
        snprintf(why, n, "the sentinel refused AUTH (sentinel_user/sentinel_password of the URL): %.100s", r->str);
        return -1;
    }
    if (parse_answer(r, &a, why, n) != 0)
        return -1;
    s->resolved = 1;
    s->pinned = 0;
    int moved = s->master.port != 0 && !same_addr(&s->master, &a);
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

/* Copies one word of [*p, end) (up to a space) into buf; -1 when empty,
 * too long or holding a NUL (which would cut it short as a C string). */
static int take_word(const char **p, const char *end, char *buf, size_t cap)
{
    size_t k = 0;
    while (*p < end && **p != ' ') {
        if (k + 1 >= cap || **p == '\0')
            return -1;
        buf[k++] = *(*p)++;
    }
    buf[k] = '\0';
    if (*p < end)
        (*p)++;
    return k > 0 ? 0 : -1;
}

/* A +switch-master message is ["message", "+switch-master",
 * "<name> <old ip> <old port> <new ip> <new port>"]. */
int ts_sentinel_switch(const ts_redis_url *u, const redisReply *r, ts_redis_addr *to, char *why, size_t n)
{
    if (r == NULL || r->type == REDIS_REPLY_NIL) /* nil: the sentinel does not know the master (yet) */
        return 0;
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(why, n, "the sentinel answered %.100s", r->str);
        return -1;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements == 2) /* the answer to the watch's question */
        return parse_answer(r, to, why, n) == 0 ? 2 : -1;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || r->element[0]->type != REDIS_REPLY_STRING ||
        r->element[2]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "message") != 0)
        return 0;
    const char *p = r->element[2]->str, *end = p + r->element[2]->len;
    char name[sizeof(u->master)], old[sizeof(to->host)], oldport[8], port[8];
    int64_t v;
    if (take_word(&p, end, name, sizeof(name)) != 0 || strcmp(name, u->master) != 0)
        return 0;
    if (take_word(&p, end, old, sizeof(old)) != 0 || take_word(&p, end, oldport, sizeof(oldport)) != 0 ||
        take_word(&p, end, to->host, sizeof(to->host)) != 0 || take_word(&p, end, port, sizeof(port)) != 0 ||
        p != end || ts_parse_digits(port, strlen(port), 65535, &v) != 0 || v < 1) {
        snprintf(why, n, "a +switch-master message that does not parse");
        return -1;
    }
    to->port = (int)v;
    return 1;
}

int ts_sentinel_switched(ts_sentinel *s, const ts_redis_addr *to, int asked)
{
    if (s->master.port != 0 && same_addr(&s->master, to))
        return 0; /* already there (or going there) */
    if (asked && s->master.port == 0)
        return 0; /* still finding its first master: it asks a sentinel itself */
    int moved = s->master.port != 0;
    if (moved) {
        s->changes++;
        ts_warn("redis: failover: %s names %s:%d as master %s (was %s:%d)",
                asked ? "the sentinel watch's first answer" : "+switch-master", to->host, to->port, s->url->master,
                s->master.host, s->master.port);
    }
    s->master = *to;
    s->resolved = 1;
    s->pinned = 1;
    return moved ? 1 : 2;
}

void ts_sentinel_retry(ts_sentinel *s, int was_sentinel)
{
    if (s->url->nsentinels == 0)
        return;
    if (s->watch) {
        s->next = (s->next + 1) % s->url->nsentinels;
        return;
    }
    if (s->pinned) { /* the loss was ours, to move to the master a +switch-master named */
        s->pinned = 0;
        s->resolved = 1;
        return;
    }
    s->auth_pending = 0;
    /* A sentinel that failed, or one whose master failed: the next one is
     * asked. The latter matters when a stale or partitioned sentinel names
     * a dead master: asking it again would loop on that master forever
     * while the other sentinels know the live one. */
    if (!was_sentinel || !s->resolved)
        s->next = (s->next + 1) % s->url->nsentinels;
    s->resolved = 0;
}
