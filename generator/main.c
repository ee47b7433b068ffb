/* main.c — tickgen: parse the configuration, wire the parts, run the loop.
 *
 * Exit codes: 0 after SIGINT/SIGTERM, 1 when Redis holds an incompatible
 * history (or another fatal condition), 2 for a bad flag or variable. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_lease.h"
#include "gen_memcheck.h"
#include "gen_redis.h"
#include "gen_rollups.h"
#include "gen_startup.h"
#include "gen_metrics.h"
#include "gen_ticker.h"
#include "ts_entry.h"
#include "ts_log.h"
#include "ts_names.h"
#include "ts_opts.h"
#include "ts_walk.h"

/* The process: its parts and how they are wired. */
typedef struct app {
    struct event_base *base;
    gen_walk walk;
    gen_redis *conn;
    gen_lease *lease;
    gen_startup *startup;
    gen_rollups *rollups;
    gen_ticker *ticker;
    gen_metrics *metrics; /* --metrics-listen, or NULL */
    gen_memcheck *memcheck;
    int stopping; /* SIGINT/SIGTERM seen: exit once nothing is in flight */
    int exit_code;
} app;

/* Stops the loop with an exit code: the only way the process ends. */
static void app_exit(app *a, int code)
{
    a->stopping = 1;
    a->exit_code = code;
    event_base_loopbreak(a->base);
}

static void on_lease_released(void *owner)
{
    app *a = owner;
    app_exit(a, a->exit_code);
}

/* The last batch is answered: give the lease up (a standby takes over at
 * once instead of after its expiry), then exit. */
static void finish(app *a)
{
    if (gen_lease_release(a->lease, on_lease_released, a) != 0)
        app_exit(a, a->exit_code);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    app *a = arg;
    (void)what;
    if (a->stopping)
        return;
    ts_info("%s: finishing the batch in flight, then exiting", sig == SIGINT ? "SIGINT" : "SIGTERM");
    a->stopping = 1;
    gen_redis_close(a->conn);
    if (gen_ticker_finish(a->ticker))
        finish(a);
}

/* ---- the wiring: each part's hooks ---- */

static void on_redis_ready(void *owner)
{
    app *a = owner;
    if (a->stopping)
        return;
    gen_memcheck_begin(a->memcheck);
    gen_lease_begin(a->lease);
}

/* The lease is ours: start-up (renewing the lease meanwhile), then ticks. */
static void on_leader(void *owner)
{
    app *a = owner;
    gen_lease_keepalive(a->lease, 1);
    gen_startup_begin(a->startup);
}

static void on_redis_down(void *owner)
{
    app *a = owner;
    gen_lease_down(a->lease);
    gen_startup_stop(a->startup);
    gen_ticker_stop(a->ticker);
    if (a->stopping)
        app_exit(a, a->exit_code);
}

static void on_redis_refused(void *owner, const char *why)
{
    app *a = owner;
    ts_error("%s (check the password, user and db in --redis / TS_REDIS_URL); exiting", why);
    gen_redis_close(a->conn);
    app_exit(a, 1);
}

static void on_startup_done(void *owner)
{
    app *a = owner;
    gen_rollups_begin(a->rollups);
}

static void on_rollups_done(void *owner)
{
    app *a = owner;
    if (gen_lease_role(a->lease) != GEN_ROLE_LEADER)
        return; /* fenced meanwhile: the reconnect waits as a standby */
    gen_lease_keepalive(a->lease, 0); /* from now on every tick renews it */
    gen_ticker_resume(a->ticker);
}

static void on_startup_refused(void *owner, const char *why)
{
    app *a = owner;
    gen_ticker_refused(a->ticker, why);
}

static void on_startup_fatal(void *owner, int code)
{
    app_exit(owner, code);
}

static void on_ticker_finished(void *owner)
{
    finish(owner);
}

static int walk_init(gen_walk *w, const gen_config *cfg)
{
    w->n = (uint32_t)cfg->instruments;
    w->candles = gen_candles_new(&cfg->ladder, w->n);
    w->defer = gen_defer_new(&cfg->ladder);
    w->names = calloc(w->n, sizeof(*w->names));
    w->keys = calloc(w->n, sizeof(*w->keys));
    w->prices = calloc(w->n, sizeof(*w->prices));
    if (!w->names || !w->keys || !w->prices || !w->candles || !w->defer)
        return -1;
    for (uint32_t i = 0; i < w->n; i++) {
        ts_instrument_name(w->names[i], sizeof(w->names[i]), i, w->n);
        ts_tick_key(w->keys[i], sizeof(w->keys[i]), w->names[i]);
        w->prices[i] = (int32_t)cfg->start_price;
    }
    return 0;
}

static void walk_free(gen_walk *w)
{
    free(w->names);
    free(w->keys);
    free(w->prices);
    gen_candles_free(w->candles);
    gen_defer_free(w->defer);
}

/* Checks what the option table cannot: relations between values. */
static int validate(gen_config *c, char *err, size_t len)
{
    char why[256];
    if (c->min_price >= c->max_price)
        snprintf(err, len, "--min-price (%lld) must be below --max-price (%lld)", (long long)c->min_price,
                 (long long)c->max_price);
    else if (c->start_price < c->min_price || c->start_price > c->max_price)
        snprintf(err, len, "--start-price %lld is outside [--min-price, --max-price]", (long long)c->start_price);
    else if (c->retention_ms < c->interval_ms)
        snprintf(err, len, "--retention must be at least one interval");
    else if (c->lease_ms != 0 && c->lease_ms <= c->interval_ms)
        snprintf(err, len, "--lease must be longer than one interval (each tick renews it)");
    else if (ts_ladder_parse(c->rollups, c->interval_ms, &c->ladder, why, sizeof(why)) != 0)
        snprintf(err, len, "--rollups: %s", why);
    else
        return 0;
    return -1;
}

int main(int argc, char **argv)
{
    gen_config cfg;
    const char *log_level, *metrics_listen;
    memset(&cfg, 0, sizeof(cfg));
    const ts_opt opts[] = {
        {"redis", "TS_REDIS_URL", TS_OPT_REDIS, &cfg.redis, "redis://127.0.0.1:6379", 0, 0,
         "Redis URL, redis://[[user]:password@]host:port[/db], or "
         "redis-sentinel://[[user]:password@]host:26379,host:26379,.../master[?db=N&sentinel_user=U&sentinel_password=P] "
         "(each query parameter optional; sentinel_*: the sentinels' own AUTH)"},
        {"instruments", "TS_INSTRUMENTS", TS_OPT_INT, &cfg.instruments, "100", 1, TS_INSTRUMENTS_MAX,
         "number of instruments, named ticker_00.."},
        {"interval-ms", "TS_INTERVAL_MS", TS_OPT_INT, &cfg.interval_ms, "1000", 1, 86400000,
         "tick interval in ms; ticks sit on multiples of it"},
        {"retention", "TS_RETENTION", TS_OPT_DURATION, &cfg.retention_ms, "24h", 1, 366LL * 86400000,
         "history kept in Redis (e.g. 90s, 15m, 24h)"},
        {"seed", "TS_SEED", TS_OPT_U64, &cfg.seed, TS_DEFAULT_SEED_STR, 0, 0,
         "random-walk seed; the same seed writes the same ticks"},
        {"start-price", "TS_START_PRICE", TS_OPT_INT, &cfg.start_price, "0", TS_PRICE_MISSING + 1, INT32_MAX,
         "price of a new instrument"},
        {"min-price", "TS_MIN_PRICE", TS_OPT_INT, &cfg.min_price, "-2147483647", TS_PRICE_MISSING + 1, INT32_MAX,
         "lower bound; the walk reflects there (-2147483648 is reserved: 'no price')"},
        {"max-price", "TS_MAX_PRICE", TS_OPT_INT, &cfg.max_price, "2147483647", TS_PRICE_MISSING + 1, INT32_MAX,
         "upper bound; the walk reflects there"},
        {"reset", "TS_RESET", TS_OPT_BOOL, &cfg.reset, NULL, 0, 0,
         "delete every tickstream key (ts:*) at start, then begin a new history"},
        {"rollups", "TS_ROLLUPS", TS_OPT_STRING, &cfg.rollups, TS_ROLLUPS_DEFAULT, 0, 0,
         "candles (ts:candle:<width>:{NAME}): width:retention,... finest first, each width dividing the next; off = none"},
        {"rebuild-rollups", "TS_REBUILD_ROLLUPS", TS_OPT_BOOL, &cfg.rebuild_rollups, NULL, 0, 0,
         "at start, write every candle the raw ticks make that the candle streams lack (after an upgrade)"},
        {"candle-budget", "TS_CANDLE_BUDGET", TS_OPT_INT, &cfg.candle_budget, "25000", 0, INT32_MAX,
         "candles a tick time writes at most; the rest of a boundary's wait for the next tick times, finest "
         "level first, each before its level's next bucket closes; 0 = no limit"},
        {"summary", "TS_SUMMARY", TS_OPT_DURATION, &cfg.summary_ms, "60s", 100, 86400000,
         "how often to log the summary line"},
        {"progress", "TS_PROGRESS", TS_OPT_DURATION, &cfg.progress_ms, "2s", 10, 3600000,
         "how often a long operation (a backfill, --rebuild-rollups) logs done/total, rate and time left"},
        {"lease", "TS_LEASE", TS_OPT_DURATION, &cfg.lease_ms, "0ms", 0, 86400000,
         "standby lease (ts:lease:generator): the leader writes, others wait and take over this long after "
         "its last write; 0ms = 2 intervals, at least 2s"},
        {"metrics-listen", "TS_METRICS_LISTEN", TS_OPT_STRING, &metrics_listen, "", 0, 0,
         "host:port to serve /metrics (Prometheus) and /healthz on; empty: none"},
        {"log-level", "TS_LOG_LEVEL", TS_OPT_STRING, &log_level, "info", 0, 0, "debug, info, warn or error"},
    };
    const size_t nopts = sizeof(opts) / sizeof(opts[0]);
    char err[512];
    ts_log_level level;

    switch (ts_opts_parse(opts, nopts, argc, argv, err, sizeof(err))) {
    case TS_OPTS_HELP:
        ts_opts_usage("tickgen",
                      "Moves every instrument by a ±1 random walk each interval, writes each tick to a\n"
                      "Redis stream (ts:tick:{NAME}, entry ID = tick time in ms) and publishes the batch\n"
                      "on ts:live. Backfills missed intervals after a stall or restart.",
                      opts, nopts);
        return 0;
    case TS_OPTS_ERROR:
        fprintf(stderr, "tickgen: %s\n", err);
        return 2;
    case TS_OPTS_OK:
        break;
    }
    if (ts_log_parse_level(log_level, &level) != 0) {
        fprintf(stderr, "tickgen: --log-level: '%s' is not debug, info, warn or error\n", log_level);
        return 2;
    }
    if (validate(&cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "tickgen: %s\n", err);
        return 2;
    }
    if (cfg.lease_ms == 0)
        cfg.lease_ms = 2 * cfg.interval_ms > 2000 ? 2 * cfg.interval_ms : 2000;
    ts_log_init("tickgen", level);
    signal(SIGPIPE, SIG_IGN);

    app a;
    memset(&a, 0, sizeof(a));
    /* Precise timer: libevent then sleeps on a timerfd with µs resolution
     * instead of epoll_wait's ms, which woke us up to 1 ms after a tick time. */
    struct event_config *ecfg = event_config_new();
    if (ecfg != NULL) {
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_PRECISE_TIMER);
        a.base = event_base_new_with_config(ecfg);
        event_config_free(ecfg);
    }
    struct event *sigint = a.base ? evsignal_new(a.base, SIGINT, on_signal, &a) : NULL;
    struct event *sigterm = a.base ? evsignal_new(a.base, SIGTERM, on_signal, &a) : NULL;
    if (sigint && sigterm && event_add(sigint, NULL) == 0 && event_add(sigterm, NULL) == 0 &&
        walk_init(&a.walk, &cfg) == 0) {
        /* Hooks run from the loop only, so the order of creation is free. */
        a.conn = gen_redis_start(a.base, &cfg.redis, (gen_redis_hooks){&a, on_redis_ready, on_redis_down, on_redis_refused});
        a.lease = a.conn ? gen_lease_new(a.base, a.conn, cfg.lease_ms, (gen_lease_hooks){&a, on_leader}) : NULL;
        a.startup = a.lease ? gen_startup_new(a.base, &cfg, &a.walk, a.conn, a.lease,
                                             (gen_startup_hooks){&a, on_startup_done, on_startup_fatal,
                                                                 on_startup_refused})
                           : NULL;
        a.rollups = a.conn ? gen_rollups_new(&cfg, &a.walk, a.conn, a.lease,
                                             (gen_rollups_hooks){&a, on_rollups_done, on_startup_fatal})
                           : NULL;
        a.ticker = a.lease ? gen_ticker_new(a.base, &cfg, &a.walk, a.conn, a.lease,
                                            (gen_ticker_hooks){&a, on_ticker_finished})
                           : NULL;
        a.memcheck = a.conn ? gen_memcheck_new(&cfg, a.conn) : NULL;
    }
    if (a.ticker == NULL || a.startup == NULL || a.rollups == NULL || a.memcheck == NULL) {
        ts_error("out of memory at start");
        return 1;
    }
    if (metrics_listen[0] != '\0') {
        a.metrics = gen_metrics_start(a.base, metrics_listen, gen_ticker_stats(a.ticker), &a.walk, a.conn, a.lease,
                                      a.memcheck, err, sizeof(err));
        if (a.metrics == NULL) {
            fprintf(stderr, "tickgen: %s\n", err);
            a.exit_code = 2; /* after the cleanup below */
        } else {
            ts_info("serving /metrics and /healthz on %s", metrics_listen);
        }
    }
    if (a.exit_code == 0) {
        char ladder[256];
        ts_ladder_format(&cfg.ladder, ladder, sizeof(ladder));
        char where[600];
        ts_redis_url_describe(&cfg.redis, where, sizeof(where));
        ts_info("%lld instruments every %lld ms, retention %lld ms, rollups %s, redis %s, lease %lld ms as %s",
                (long long)cfg.instruments, (long long)cfg.interval_ms, (long long)cfg.retention_ms, ladder, where,
                (long long)cfg.lease_ms, gen_lease_id(a.lease));
        gen_memcheck_announce(a.memcheck);
        event_base_dispatch(a.base);
    }

    gen_redis_free(a.conn); /* first: pending callbacks (NULL replies) reach start-up and the ticker */
    gen_startup_free(a.startup);
    gen_lease_free(a.lease);
    gen_rollups_free(a.rollups);
    gen_ticker_free(a.ticker);
    gen_metrics_free(a.metrics);
    gen_memcheck_free(a.memcheck);
    walk_free(&a.walk);
    event_free(sigint);
    event_free(sigterm);
    event_base_free(a.base);
    ts_info("exit %d", a.exit_code);
    return a.exit_code;
}
