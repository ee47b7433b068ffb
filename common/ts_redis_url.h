/* ts_redis_url.h — parse redis://[[user]:password@]host[:port][/db] and
 * redis-sentinel://[[user]:password@]host[:port],host[:port],…/master
 * [?db=N][&sentinel_user=U][&sentinel_password=P] (the query's parameters in
 * any order, each at most once). User names and passwords are
 * percent-decoded as in any URL, so %40 %3A %2F %3F %26 %25 put '@' ':' '/'
 * '?' '&' '%' in them; a '%' not followed by two hex digits is an error.
 * Hosts and the master's name take letters, digits, '.', '-' and '_' only
 * (ts_str.h): they are logged. */
#ifndef TS_REDIS_URL_H
#define TS_REDIS_URL_H

#include <stddef.h>

#define TS_SENTINELS_MAX 8

typedef struct ts_redis_addr {
    char host[256];
    int port;
} ts_redis_addr;

typedef struct ts_redis_url {
    char host[256];     /* redis://: the server; redis-sentinel://: empty (asked of the sentinels) */
    int port;
    char user[128];     /* empty: AUTH with the password alone */
    char password[256]; /* empty: no AUTH */
    int db;
    /* redis-sentinel:// only: nsentinels > 0, the master's name. */
    int nsentinels;
    ts_redis_addr sentinels[TS_SENTINELS_MAX];
    char master[128];
    /* The sentinels' own AUTH (their requirepass or an ACL user), which is
     * not the servers': empty password, none. */
    char sentinel_user[128];
    char sentinel_password[256];
} ts_redis_url;

/* Returns 0, or -1 with a message in err naming what is wrong. */
int ts_redis_url_parse(const char *s, ts_redis_url *out, char *err, size_t errlen);

/* "host:port", or "sentinels host:port,… master NAME": for logs (no password). */
void ts_redis_url_describe(const ts_redis_url *u, char *buf, size_t n);

#endif
