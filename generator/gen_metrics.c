/* gen_metrics.c — see gen_metrics.h. Metric names and meanings are listed
 * in README.md ("The generator") and queried by deploy/grafana/. */
#include "gen_metrics.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_time.h"

struct gen_metrics {
    struct evhttp *http;
    const gen_stats *stats;
    const gen_walk *walk;
    const gen_redis *conn;
    const gen_lease *lease;
    const gen_memcheck *memcheck;
};

static void counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %" PRIu64 "\n", name, help, name, name, v);
}

static void gauge(struct evbuffer *b, const char *name, const char *help, double v)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %.15g\n", name, help, name, name, v);
}

static void render(const gen_metrics *m, struct evbuffer *b)
{
    const gen_stats *s = m->stats;
    counter(b, "tickgen_ticks_written_total", "Tick times written to every stream (live and backfilled).", s->ticks);
    counter(b, "tickgen_ticks_backfilled_total", "Of those, tick times written after their interval had passed.",
            s->backfilled);
    counter(b, "tickgen_ticks_late_total",
            "Tick times whose write was answered more than one interval after their time.", s->late);
    counter(b, "tickgen_entries_written_total", "Stream entries added (one per instrument per tick).", s->entries);
    counter(b, "tickgen_duplicates_total", "XADDs refused because the entry was already written.", s->duplicates);
    counter(b, "tickgen_errors_total", "Failed Redis commands other than duplicates.", s->errors);
    counter(b, "tickgen_redis_reconnects_total", "Redis connections lost and retried.", gen_redis_reconnects(m->conn));
    counter(b, "tickgen_write_refusals_total",
            "Tick batches and write probes Redis refused while up (OOM, MISCONF, …).", s->refusals);
    gauge(b, "tickgen_writes_refused",
          "1 while Redis refuses writes: ticks are held back and backfilled when it accepts them again.",
          s->refused_since_ms != 0);
    counter(b, "tickgen_histories_lost_total",
            "Times Redis came back without the history this generator wrote (restarted empty): a new epoch.",
            m->walk->histories_lost);
    counter(b, "tickgen_redis_failovers_total", "Times the Redis sentinels named a new master.", gen_redis_failovers(m->conn));
    gauge(b, "tickgen_redis_up", "1 while the Redis connection is set up.", gen_redis_ctx(m->conn) != NULL);
    gen_role role = gen_lease_role(m->lease);
    gauge(b, "tickgen_leader", "1 while this generator holds the lease and writes; 0 as a standby or while down.",
          role == GEN_ROLE_LEADER);
    gauge(b, "tickgen_standby", "1 while this generator waits for the lease another one holds.",
          role == GEN_ROLE_STANDBY);
    int64_t last = m->walk->last_t;
    gauge(b, "tickgen_last_tick_timestamp_seconds", "Time of the last tick written to every stream (0: none yet).",
          (double)last / 1000.0);
    if (last > 0)
        gauge(b, "tickgen_lag_seconds", "Wall clock minus the time of the last tick written.",
              (double)(ts_now_ms() - last) / 1000.0);
    gauge(b, "tickgen_candles_waiting",
          "Closed candles past --candle-budget, waiting for the next tick times to be written (gen_defer.h).",
          (double)gen_defer_count(m->walk->defer));
    gauge(b, "tickgen_redis_memory_estimate_bytes",
          "Redis memory this configuration needs once every retention is reached (docs/REDIS.md Sizing).",
          gen_memcheck_estimate(m->memcheck));
    gauge(b, "tickgen_redis_maxmemory_bytes", "Redis's maxmemory as INFO memory said (0: none; -1: not read).",
          (double)gen_memcheck_maxmemory(m->memcheck));
    const char *h = "tickgen_redis_batch_seconds";
    evbuffer_add_printf(b, "# HELP %s Redis round trip of one tick batch, sent to last reply.\n# TYPE %s histogram\n",
                        h, h);
    uint64_t cum = 0;
    for (int i = 0; i < GEN_LAT_BUCKETS; i++) {
        cum += s->lat_count[i];
        evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", h, (double)gen_lat_bounds_us[i] / 1e6, cum);
    }
    cum += s->lat_count[GEN_LAT_BUCKETS];
    evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n%s_sum %.6f\n%s_count %" PRIu64 "\n", h, cum, h,
                        (double)s->latency_us_sum / 1e6, h, cum);
}

static void reply(struct evhttp_request *req, int code, const char *reason, const char *type, struct evbuffer *b)
{
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", type);
    evhttp_send_reply(req, code, reason, b);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    gen_metrics *m = arg;
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    struct evbuffer *b = evbuffer_new();
    if (b == NULL) {
        evhttp_send_error(req, 500, "out of memory");
        return;
    }
    if (evhttp_request_get_command(req) != EVHTTP_REQ_GET && evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
        evbuffer_add_printf(b, "GET only\n");
        reply(req, 405, "Method Not Allowed", "text/plain; charset=utf-8", b);
    } else if (path != NULL && strcmp(path, "/metrics") == 0) {
        render(m, b);
        reply(req, 200, "OK", "text/plain; version=0.0.4", b);
    } else if (path != NULL && strcmp(path, "/healthz") == 0) {
        evbuffer_add_printf(b, "ok\n");
        reply(req, 200, "OK", "text/plain; charset=utf-8", b);
    } else {
        evbuffer_add_printf(b, "not found: /metrics and /healthz are served here\n");
        reply(req, 404, "Not Found", "text/plain; charset=utf-8", b);
    }
    evbuffer_free(b);
}

gen_metrics *gen_metrics_start(struct event_base *base, const char *listen, const gen_stats *stats,
                               const gen_walk *walk, const gen_redis *conn, const gen_lease *lease,
                               const gen_memcheck *memcheck, char *err, size_t errlen)
{
    const char *colon = strrchr(listen, ':');
    char host[256];
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    size_t hl = colon ? (size_t)(colon - listen) : 0;
    if (colon == NULL || hl == 0 || hl >= sizeof(host) || end == colon + 1 || *end != '\0' || port < 1 ||
        port > 65535) {
        snprintf(err, errlen, "--metrics-listen: '%s' is not host:port", listen);
        return NULL;
    }
    memcpy(host, listen, hl);
    host[hl] = '\0';
    gen_metrics *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->http = evhttp_new(base)) == NULL) {
        snprintf(err, errlen, "--metrics-listen: out of memory");
        free(m);
        return NULL;
    }
    m->stats = stats;
    m->walk = walk;
    m->conn = conn;
    m->lease = lease;
    m->memcheck = memcheck;
    evhttp_set_gencb(m->http, on_request, m);
    if (evhttp_bind_socket(m->http, host, (ev_uint16_t)port) != 0) {
        snprintf(err, errlen, "--metrics-listen: cannot listen on %s", listen);
        gen_metrics_free(m);
        return NULL;
    }
    return m;
}

void gen_metrics_free(gen_metrics *m)
{
    if (m == NULL)
        return;
    if (m->http != NULL)
        evhttp_free(m->http);
    free(m);
}
