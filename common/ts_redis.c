/* ts_redis.c — see ts_redis.h. */
#include "ts_redis.h"

int ts_redis_send_setup(redisAsyncContext *ac, const ts_redis_url *u, redisCallbackFn *fn, void *priv)
{
    int n = 0;
    if (u->password[0] != '\0') {
        int rc = u->user[0] != '\0' ? redisAsyncCommand(ac, fn, priv, "AUTH %s %s", u->user, u->password)
                                    : redisAsyncCommand(ac, fn, priv, "AUTH %s", u->password);
        if (rc != REDIS_OK)
            return -1;
        n++;
    }
    if (u->db != 0) {
        if (redisAsyncCommand(ac, fn, priv, "SELECT %d", u->db) != REDIS_OK)
            return -1;
        n++;
    }
    return n;
}
