/* ts_redis.c — see ts_redis.h. */
#include "ts_redis.h"

#include <stdio.h>
#include <string.h>

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
    if (u->nsentinels > 0) {
        if (redisAsyncCommand(ac, fn, priv, "ROLE") != REDIS_OK)
            return -1;
        n++;
    }
    return n;
}

int ts_redis_setup_reply(const redisReply *r, char *why, size_t n)
{
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(why, n, "%.200s", r->str);
        return -1;
    }
    if (r->type != REDIS_REPLY_ARRAY)
        return 0; /* +OK of AUTH or SELECT */
    const redisReply *role = r->elements > 0 ? r->element[0] : NULL;
    if (role != NULL && role->type == REDIS_REPLY_STRING && strcmp(role->str, "master") == 0)
        return 0;
    snprintf(why, n, "ROLE is %.40s, not master", role != NULL && role->type == REDIS_REPLY_STRING ? role->str : "?");
    return -2;
}
