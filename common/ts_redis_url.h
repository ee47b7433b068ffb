/* ts_redis_url.h — parse redis://[[user]:password@]host[:port][/db]. */
#ifndef TS_REDIS_URL_H
#define TS_REDIS_URL_H

#include <stddef.h>

typedef struct ts_redis_url {
    char host[256];
    int port;
    char user[128];     /* empty: AUTH with the password alone */
    char password[256]; /* empty: no AUTH */
    int db;
} ts_redis_url;

/* Returns 0, or -1 with a message in err naming what is wrong. */
int ts_redis_url_parse(const char *s, ts_redis_url *out, char *err, size_t errlen);

#endif
