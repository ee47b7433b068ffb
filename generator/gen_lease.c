/* gen_lease.c — see gen_lease.h.
 *
 * Taking the lease is SET ts:lease:generator <id> NX PX <ttl> followed by a
 * GET in the same pipeline: the GET says who holds it, us or another. A
 * standby repeats that every eighth of the ttl, so it takes over at most
 * ttl + ttl/8 after the holder's last write. The holder never renews with a
 * plain SET or PEXPIRE: every renewal is the fenced script (gen_fence.c),
 * which renews only a lease still holding our id, so a holder that was
 * replaced cannot take the lease back from under the new one either. */
#include "gen_lease.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "ts_log.h"
#include "ts_names.h"
#include "ts_time.h"

struct gen_lease {
    gen_redis *conn;
    int64_t ttl_ms;
    gen_lease_hooks hooks;
    gen_role role;
    char id[160];
    char holder[160]; /* who held it when we last looked (standby) */
    int keepalive;
    int renew_failing; /* the last renewal failed (the first of a run is logged) */
    struct event *poll_ev, *renew_ev;
    gen_fence renew; /* an empty fenced write: the renewal (and the release's DEL) */
    void (*released)(void *owner); /* gen_lease_release's done */
    void *released_owner;
};

static void set_timer(struct event *ev, int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    evtimer_add(ev, &tv);
}

static int64_t poll_ms(const gen_lease *l)
{
    return l->ttl_ms / 8 > 1 ? l->ttl_ms / 8 : 1;
}

static void arm_renew(gen_lease *l)
{
    if (l->role == GEN_ROLE_LEADER && l->keepalive)
        set_timer(l->renew_ev, l->ttl_ms / 3 > 1 ? l->ttl_ms / 3 : 1);
    else
        evtimer_del(l->renew_ev);
}

static void on_holder(redisAsyncContext *c, void *r, void *priv)
{
    gen_lease *l = priv;
    redisReply *reply = r;
    (void)c;
    if (reply == NULL || l->role == GEN_ROLE_DOWN)
        return; /* the connection went away meanwhile */
    if (reply->type == REDIS_REPLY_STRING && strcmp(reply->str, l->id) == 0) {
        if (l->role != GEN_ROLE_LEADER) {
            l->role = GEN_ROLE_LEADER;
            l->holder[0] = '\0';
            ts_info("role: leader (lease " TS_KEY_LEASE " = %s, ttl %lld ms)", l->id, (long long)l->ttl_ms);
            arm_renew(l);
            l->hooks.on_leader(l->hooks.owner);
        }
        return;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        ts_error("taking the lease " TS_KEY_LEASE " failed: %s", reply->str);
    } else {
        const char *who = reply->type == REDIS_REPLY_STRING ? reply->str : "(nobody)";
        if (l->role != GEN_ROLE_STANDBY || strcmp(who, l->holder) != 0)
            ts_info("role: standby (lease " TS_KEY_LEASE " held by %s; taking over when it expires)", who);
        snprintf(l->holder, sizeof(l->holder), "%s", who);
    }
    l->role = GEN_ROLE_STANDBY;
    set_timer(l->poll_ev, poll_ms(l));
}

static void try_take(gen_lease *l)
{
    redisAsyncContext *c = gen_redis_ctx(l->conn);
    if (c == NULL)
        return;
    redisAsyncCommand(c, NULL, NULL, "SET " TS_KEY_LEASE " %s NX PX %lld", l->id, (long long)l->ttl_ms);
    redisAsyncCommand(c, on_holder, l, "GET " TS_KEY_LEASE);
}

static void on_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    try_take(arg);
}

static void on_renewed(redisAsyncContext *c, void *r, void *priv)
{
    gen_lease *l = priv;
    gen_fence_result res;
    (void)c;
    if (r == NULL)
        return;
    int rc = gen_fence_read(r, &res);
    if (rc == 1)
        gen_lease_fenced(l, res.first_error);
    else if (rc == 0)
        l->renew_failing = 0;
    else if (!l->renew_failing) { /* once per run: MISCONF refuses every renewal */
        l->renew_failing = 1;
        ts_warn("renewing the lease: %s", res.first_error);
    }
}

static void on_renew(evutil_socket_t fd, short what, void *arg)
{
    gen_lease *l = arg;
    (void)fd, (void)what;
    gen_fence_reset(&l->renew);
    gen_lease_send(l, &l->renew, on_renewed, l);
    arm_renew(l);
}

gen_lease *gen_lease_new(struct event_base *base, gen_redis *conn, int64_t ttl_ms, gen_lease_hooks hooks)
{
    gen_lease *l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->conn = conn;
    l->ttl_ms = ttl_ms;
    l->hooks = hooks;
    gen_fence_init(&l->renew);
    char host[64] = "";
    uint32_t rnd = 0;
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0')
        snprintf(host, sizeof(host), "localhost");
    if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
        rnd = (uint32_t)ts_mono_us();
    snprintf(l->id, sizeof(l->id), "%s:%ld:%08x", host, (long)getpid(), rnd);
    l->poll_ev = evtimer_new(base, on_poll, l);
    l->renew_ev = evtimer_new(base, on_renew, l);
    if (l->poll_ev == NULL || l->renew_ev == NULL) {
        gen_lease_free(l);
        return NULL;
    }
    return l;
}

void gen_lease_begin(gen_lease *l)
{
    l->role = GEN_ROLE_STANDBY; /* until the GET says otherwise */
    l->holder[0] = '\0';
    try_take(l);
}

void gen_lease_down(gen_lease *l)
{
    if (l->role == GEN_ROLE_LEADER)
        ts_warn("role: none (connection lost while leader; the lease expires in %lld ms unless we are back)",
                (long long)l->ttl_ms);
    l->role = GEN_ROLE_DOWN;
    evtimer_del(l->poll_ev);
    evtimer_del(l->renew_ev);
}

void gen_lease_keepalive(gen_lease *l, int on)
{
    l->keepalive = on;
    arm_renew(l);
}

int gen_lease_send(gen_lease *l, gen_fence *f, redisCallbackFn *fn, void *priv)
{
    redisAsyncContext *c = gen_redis_ctx(l->conn);
    const char **argv;
    const size_t *lens;
    if (l->role != GEN_ROLE_LEADER || c == NULL)
        return -1;
    int argc = gen_fence_argv(f, TS_KEY_LEASE, l->id, l->ttl_ms, &argv, &lens);
    if (argc < 0) {
        ts_error("out of memory building a fenced write");
        return -1;
    }
    return redisAsyncCommandArgv(c, fn, priv, argc, argv, lens) == REDIS_OK ? 0 : -1;
}

void gen_lease_fenced(gen_lease *l, const char *why)
{
    if (l->role != GEN_ROLE_LEADER)
        return;
    ts_warn("role: leader -> standby: fenced, a write was refused (%s); reconnecting to wait", why);
    l->role = GEN_ROLE_STANDBY;
    evtimer_del(l->renew_ev);
    gen_redis_lost(l->conn, "fenced");
}

static void on_released(redisAsyncContext *c, void *r, void *priv)
{
    gen_lease *l = priv;
    gen_fence_result res;
    (void)c;
    int rc = gen_fence_read(r, &res);
    if (rc == 0)
        ts_info("role: leader -> none: lease " TS_KEY_LEASE " released; a standby takes over at its next poll");
    else
        ts_warn("releasing the lease " TS_KEY_LEASE ": %s; it expires in %lld ms", res.first_error,
                (long long)l->ttl_ms);
    l->role = GEN_ROLE_DOWN;
    void (*done)(void *) = l->released;
    l->released = NULL;
    if (done != NULL)
        done(l->released_owner);
}

int gen_lease_release(gen_lease *l, void (*done)(void *owner), void *owner)
{
    evtimer_del(l->renew_ev);
    evtimer_del(l->poll_ev);
    if (l->role != GEN_ROLE_LEADER)
        return -1;
    /* Fenced like every write: a leader replaced meanwhile deletes nothing. */
    gen_fence_reset(&l->renew);
    gen_fence_cmd(&l->renew, "DEL " TS_KEY_LEASE);
    l->released = done;
    l->released_owner = owner;
    if (gen_lease_send(l, &l->renew, on_released, l) != 0) {
        l->released = NULL;
        return -1;
    }
    return 0;
}

gen_role gen_lease_role(const gen_lease *l)
{
    return l->role;
}

const char *gen_lease_id(const gen_lease *l)
{
    return l->id;
}

void gen_lease_free(gen_lease *l)
{
    if (l == NULL)
        return;
    if (l->poll_ev)
        event_free(l->poll_ev);
    if (l->renew_ev)
        event_free(l->renew_ev);
    gen_fence_free(&l->renew);
    free(l);
}
