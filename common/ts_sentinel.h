/* ts_sentinel.h — which server a redis-sentinel:// connection goes to next.
 *
 * Both daemons' connection code (generator/gen_redis.c on libevent,
 * gateway/net/gw_rconn.c on h2o) drive it the same way, each with its own
 * event loop: ask where to connect (ts_sentinel_target); when that is a
 * sentinel, send ts_sentinel_ask on the new connection, hand the reply to
 * ts_sentinel_answer, close it and connect again — now to the master it
 * named, whose ROLE the setup checks (ts_redis_send_setup). Any failure or
 * loss (ts_sentinel_retry) sends the next attempt to a sentinel again, the
 * next one in the URL (whether the sentinel or the master it named failed:
 * a stale sentinel naming a dead master is not asked again and again). So every reconnect
 * re-asks the sentinels, and after a failover the first attempt that finds
 * the promoted replica answering ROLE "master" is the reconnect.
 *
 * A master can also be replaced without dropping its clients (SENTINEL
 * FAILOVER, a partition that heals): the sentinels then publish
 * +switch-master. Each daemon keeps one more connection, a watch, to a
 * sentinel (ts_sentinel_init_watch: its target is always a sentinel, the
 * next one after each loss), subscribed with ts_sentinel_watch; a message
 * read by ts_sentinel_switch naming our master is handed to every data
 * connection's ts_sentinel_switched, which makes the new master their next
 * target, and the connection is dropped if it is elsewhere. A hung
 * sentinel (SIGSTOP, a frozen host) keeps the TCP connection open and says
 * nothing: the watch probes it (ts_sentinel_watch_probe), moves to the next
 * sentinel when no reply comes in time, and asks that one for the master
 * first, so a switch published meanwhile is caught up.
 *
 * With sentinel_password in the URL every sentinel connection starts with
 * AUTH [sentinel_user] sentinel_password (the sentinels' own, not the
 * servers'). No I/O of its own and no timers: the caller's backoff paces
 * the rounds. */
#ifndef TS_SENTINEL_H
#define TS_SENTINEL_H

#include <hiredis/async.h>
#include <stdint.h>

#include "ts_redis_url.h"

typedef struct ts_sentinel {
    const ts_redis_url *url;
    int next;              /* the sentinel to ask next */
    int resolved;          /* master holds a fresh answer: connect to it next */
    ts_redis_addr master;  /* the last answer; port 0: none yet */
    uint64_t changes;      /* answers naming another master than the one before: failovers */
    int watch;             /* a watch: every target is a sentinel (ts_sentinel_init_watch) */
    int pinned;            /* master came from +switch-master: the next loss keeps it as the target */
    int auth_pending;      /* 1: ts_sentinel_ask queued AUTH, its reply comes first; -1: it was refused */
} ts_sentinel;

void ts_sentinel_init(ts_sentinel *s, const ts_redis_url *u);
/* For the +switch-master watch: the target is always a sentinel (0 from
 * ts_sentinel_target: connect and subscribe), the next one after a retry. */
void ts_sentinel_init_watch(ts_sentinel *s, const ts_redis_url *u);
/* Queues AUTH for a sentinel connection when the URL has sentinel_password;
 * returns 1 queued, 0 none, -1 hiredis refused it. */
int ts_sentinel_send_auth(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv);
/* Starts a watch on a connection to a sentinel: queues SENTINEL
 * get-master-addr-by-name (a failover announced while no watch was up, the
 * previous sentinel hung, is not missed) and SUBSCRIBE +switch-master.
 * Every reply goes to fn. REDIS_OK or REDIS_ERR. */
int ts_sentinel_watch(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv);
/* The watch's liveness probe, every second or so: SUBSCRIBE +switch-master
 * again (why not PING: ts_sentinel.c), with the fn and priv of
 * ts_sentinel_watch. Its confirmation reaches fn as any reply does; the
 * caller counts the sentinel silent when no reply came within its
 * deadline, drops the watch and watches the next sentinel. */
int ts_sentinel_watch_probe(redisAsyncContext *ac, redisCallbackFn *fn, void *priv);
/* A reply on the watch: 1 when it is +switch-master for the URL's master
 * (to: the new master's address), 2 when it is the answer to the watch's
 * question (to: the master the sentinel names now), 0 anything else to
 * pass over (the subscription's confirmations, another master, nil), -1 an
 * error (why). */
int ts_sentinel_switch(const ts_redis_url *u, const redisReply *r, ts_redis_addr *to, char *why, size_t n);
/* A watch said the master is now `to` (asked: in the answer to its
 * question, else in +switch-master). Returns 0 when that is the master
 * this connection last used or is about to use, or (asked) when it has not
 * had a master yet: nothing to do. Else `to` becomes the next target, kept
 * through the next retry (the caller drops the connection), and it returns
 * 1 (a failover, logged and counted) — or 2 when no master had been named
 * yet. */
int ts_sentinel_switched(ts_sentinel *s, const ts_redis_addr *to, int asked);

/* Where to connect now: 1 and a sentinel's address (ask it), or 0 and the
 * master's (a sentinel just named it; also 0 with the server of a plain
 * redis:// URL). */
int ts_sentinel_target(ts_sentinel *s, ts_redis_addr *to);
/* Queues (AUTH and) SENTINEL get-master-addr-by-name on ac, both replies
 * to fn; REDIS_OK or REDIS_ERR. */
int ts_sentinel_ask(redisAsyncContext *ac, ts_sentinel *s, redisCallbackFn *fn, void *priv);
/* A reply to ts_sentinel_ask (NULL: the connection went). Returns 2 when
 * it is not the answer (an accepted AUTH: the answer follows; the NOAUTH
 * after a refused one: the caller is closing already), 1 when it names a master other than
 * the last one (a failover, logged once here), 0 when it names one, -1 when
 * it names none or AUTH was refused (why says why; the caller closes the
 * connection and calls ts_sentinel_retry). */
int ts_sentinel_answer(ts_sentinel *s, const redisReply *r, char *why, size_t n);
/* The attempt failed or the connection was lost; was_sentinel: the failed
 * peer was a sentinel. The next target is a sentinel. */
void ts_sentinel_retry(ts_sentinel *s, int was_sentinel);

#endif
