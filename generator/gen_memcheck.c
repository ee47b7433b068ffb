/* gen_memcheck.c — see gen_memcheck.h. What happens at maxmemory is
 * docs/RELIABILITY.md's (the row "Redis at maxmemory"): with the default
 * policy, noeviction, Redis refuses writes (OOM) and the ticker holds the
 * ticks back and backfills them once writes are accepted again; with an
 * allkeys-* policy Redis evicts whole keys instead — a stream, or ts:meta
 * (the history then starts anew). The warning says which. */
#include "gen_memcheck.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_log.h"

struct gen_memcheck {
    gen_redis *conn;
    gen_sizing est;
    int64_t maxmemory; /* -1: not read */
    int64_t said;      /* the maxmemory value last spoken of; -2: none yet */
    int said_unreadable;
};

gen_memcheck *gen_memcheck_new(const gen_config *cfg, gen_redis *conn)
{
    gen_memcheck *m = calloc(1, sizeof(*m));
    if (m == NULL)
        return NULL;
    m->conn = conn;
    m->maxmemory = -1;
    m->said = -2;
    gen_sizing_estimate(cfg->instruments, cfg->interval_ms, cfg->retention_ms, &cfg->ladder, &m->est);
    return m;
}

void gen_memcheck_announce(const gen_memcheck *m)
{
    char all[32], per[32], day[32], ticks[32], candles[32], floor[32];
    gen_sizing_format(m->est.total, all, sizeof(all));
    gen_sizing_format(m->est.per_instrument, per, sizeof(per));
    gen_sizing_format(m->est.per_instrument_day, day, sizeof(day));
    gen_sizing_format(m->est.ticks, ticks, sizeof(ticks));
    gen_sizing_format(m->est.candles, candles, sizeof(candles));
    gen_sizing_format(m->est.floor, floor, sizeof(floor));
    ts_info("redis memory this configuration needs once every retention is full: about %s, %s per instrument "
            "(raw ticks %s, candles %s, and %s that its %.0f streams take even when empty); a day adds up to %s "
            "per instrument until then (docs/REDIS.md \"Sizing\")",
            all, per, ticks, candles, floor, m->est.streams, day);
}

static void say(gen_memcheck *m, const char *policy)
{
    char est[32], max[32];
    if (m->said == m->maxmemory)
        return;
    m->said = m->maxmemory;
    gen_sizing_format(m->est.total, est, sizeof(est));
    gen_sizing_format((double)m->maxmemory, max, sizeof(max));
    if (m->maxmemory == 0)
        ts_info("redis has no maxmemory: it will grow to about %s (the estimate above); the host needs that much",
                est);
    else if (m->est.total <= (double)m->maxmemory)
        ts_info("redis maxmemory is %s: the estimate, %s, fits (%.0f %%)", max, est,
                100.0 * m->est.total / (double)m->maxmemory);
    else if (strncmp(policy, "allkeys-", 8) == 0)
        ts_warn("redis maxmemory is %s, below the %s this configuration needs: once it is reached Redis evicts "
                "whole keys (maxmemory-policy %s) — a stream of ticks or candles, or ts:meta, and then the history "
                "starts anew. Set maxmemory-policy noeviction and raise maxmemory, or shorten --retention or the "
                "--rollups retentions (docs/REDIS.md \"Sizing\")",
                max, est, policy);
    else
        ts_warn("redis maxmemory is %s, below the %s this configuration needs: once it is reached Redis refuses "
                "every write (OOM; maxmemory-policy %s): tickgen holds the ticks back and backfills them when "
                "writes are accepted again (those held back longer than --retention are never written). Raise "
                "maxmemory, or shorten --retention or the --rollups retentions (docs/REDIS.md \"Sizing\")",
                max, est, policy[0] ? policy : "?");
}

static void on_info(redisAsyncContext *c, void *rep, void *priv)
{
    gen_memcheck *m = priv;
    const redisReply *r = rep;
    char policy[64];
    (void)c;
    if (r == NULL)
        return; /* connection gone: asked again on the next */
    if (r->type == REDIS_REPLY_STRING && gen_sizing_info(r->str, &m->maxmemory, policy, sizeof(policy)) == 0) {
        say(m, policy);
        return;
    }
    m->maxmemory = -1;
    if (!m->said_unreadable++)
        ts_info("redis maxmemory not read (INFO memory: %s): the estimate is not compared with it (the tickgen "
                "user of deploy/redis/users.acl may run INFO)",
                r->type == REDIS_REPLY_ERROR ? r->str : "no maxmemory line");
}

void gen_memcheck_begin(gen_memcheck *m)
{
    redisAsyncContext *c = gen_redis_ctx(m->conn);
    if (c != NULL)
        redisAsyncCommand(c, on_info, m, "INFO memory");
}

double gen_memcheck_estimate(const gen_memcheck *m)
{
    return m->est.total;
}

int64_t gen_memcheck_maxmemory(const gen_memcheck *m)
{
    return m->maxmemory;
}

void gen_memcheck_free(gen_memcheck *m)
{
    free(m);
}
