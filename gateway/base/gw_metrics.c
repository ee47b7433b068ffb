/* gw_metrics.c — see gw_metrics.h. Names follow Prometheus conventions:
 * tickgw_ prefix, _total for counters, base units (seconds) for latencies. */
#include "gw_metrics.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "gw_buf.h"
#include "ts_log.h"
#include "ts_time.h"

const double gw_lat_bounds_s[GW_LAT_BUCKETS] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                0.025,  0.05,    0.1,    0.25,  0.5,    1,     10};

void gw_metrics_observe(uint64_t *bucket, uint64_t *sum_us, uint64_t *count, int64_t us)
{
    int i = 0;
    while (i < GW_LAT_BUCKETS && (double)us / 1e6 > gw_lat_bounds_s[i])
        i++;
    GW_ADD(bucket[i], 1);
    GW_ADD(*sum_us, (uint64_t)us);
    GW_ADD(*count, 1);
}

void gw_metrics_catchup_done(gw_wmetrics *m, int64_t us)
{
    gw_metrics_observe(m->catchup_bucket, &m->catchup_sum_us, &m->catchup_total, us);
}

void gw_metrics_fanout_begin(gw_wmetrics *m)
{
    if (m->fanout_t0_us == 0)
        m->fanout_t0_us = ts_mono_us();
}

void gw_metrics_fanout_cancel(gw_wmetrics *m)
{
    m->fanout_t0_us = 0;
}

void gw_metrics_fanout_flushed(gw_wmetrics *m)
{
    if (m->fanout_t0_us == 0)
        return;
    gw_metrics_observe(m->fanout_bucket, &m->fanout_sum_us, &m->fanout_total, ts_mono_us() - m->fanout_t0_us);
    m->fanout_t0_us = 0;
}

void gw_metrics_malformed(gw_wmetrics *m, int worker_id, const char *sym, int64_t t)
{
    if (GW_ADD(m->malformed_entries_total, 1) == 0)
        ts_warn("worker %d: skipped an unreadable entry of %s (ID ms %lld): no whole int32 price p or a bad ID; "
                "later ones are only counted (tickgw_malformed_entries_total)",
                worker_id, sym, (long long)t);
}

static void line(gw_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
    char tmp[512];
    int n = snprintf(tmp, sizeof(tmp), "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, help, name, type, name,
                     (unsigned long long)v);
    gw_buf_put(b, tmp, (size_t)n);
}

#define SUM(field)                                                                                                 \
    ({                                                                                                             \
        uint64_t s_ = 0;                                                                                           \
        for (size_t i_ = 0; i_ < n; i_++)                                                                          \
            s_ += GW_GET(ms[i_]->field);                                                                           \
        s_;                                                                                                        \
    })

static uint64_t field_sum(const gw_wmetrics *const *ms, size_t n, size_t off)
{
    uint64_t s = 0;
    for (size_t i = 0; i < n; i++)
        s += __atomic_load_n((const uint64_t *)((const char *)ms[i] + off), __ATOMIC_RELAXED);
    return s;
}

static void histogram(gw_buf *b, const gw_wmetrics *const *ms, size_t n, const char *name, const char *help,
                      size_t buckets, size_t sum_us, size_t count)
{
    char tmp[512];
    int len = snprintf(tmp, sizeof(tmp), "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    gw_buf_put(b, tmp, (size_t)len);
    uint64_t cum = 0;
    for (int k = 0; k <= GW_LAT_BUCKETS; k++) {
        cum += field_sum(ms, n, buckets + (size_t)k * sizeof(uint64_t));
        if (k < GW_LAT_BUCKETS)
            len = snprintf(tmp, sizeof(tmp), "%s_bucket{le=\"%g\"} %llu\n", name, gw_lat_bounds_s[k],
                           (unsigned long long)cum);
        else
            len = snprintf(tmp, sizeof(tmp), "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
        gw_buf_put(b, tmp, (size_t)len);
    }
    len = snprintf(tmp, sizeof(tmp), "%s_sum %.6f\n%s_count %llu\n", name, (double)field_sum(ms, n, sum_us) / 1e6,
                   name, (unsigned long long)field_sum(ms, n, count));
    gw_buf_put(b, tmp, (size_t)len);
}

void gw_metrics_render(gw_buf *b, const gw_wmetrics *const *ms, size_t n, int ready)
{
    line(b, "tickgw_ready", "gauge", "1 when Redis is reachable and ts:live is subscribed on every worker",
         (uint64_t)ready);
    line(b, "tickgw_connections", "gauge", "open client connections (WebSocket and SSE)", SUM(connections));
    line(b, "tickgw_subscriptions", "gauge", "instrument subscriptions of open connections", SUM(subscriptions));
    line(b, "tickgw_connections_accepted_total", "counter", "client connections accepted (WebSocket and SSE)", SUM(accepted_total));
    line(b, "tickgw_connections_rejected_total", "counter", "WebSocket upgrades and SSE requests refused by --max-conns",
         SUM(rejected_total));
    line(b, "tickgw_origin_refused_total", "counter", "WebSocket upgrades and SSE requests refused with 403 for their Origin",
         SUM(origin_refused_total));
    line(b, "tickgw_per_ip_refused_total", "counter", "connections closed at accept: over --max-conns-per-ip",
         SUM(per_ip_refused_total));
    line(b, "tickgw_nofile_refused_total", "counter",
         "connections past what the open files limit holds: answered 503, or closed at once past the spare",
         SUM(nofile_refused_total));
    line(b, "tickgw_accept_failed_total", "counter", "accept() failures (EMFILE: out of descriptors)",
         SUM(accept_failed_total));
    line(b, "tickgw_messages_sent_total", "counter", "messages (SSE: events and their parts) queued to clients",
         SUM(messages_sent_total));
    line(b, "tickgw_bytes_sent_total", "counter", "payload bytes of those messages", SUM(bytes_sent_total));
    line(b, "tickgw_slow_client_closes_total", "counter", "connections closed 1008 for a send queue over the cap",
         SUM(slow_closes_total));
    line(b, "tickgw_writes_paced_total", "counter",
         "times a client's live frames began to wait (--write-pace) instead of a write at once",
         SUM(writes_paced_total));
    line(b, "tickgw_ping_timeouts_total", "counter", "connections dropped for silence past twice --ping-interval",
         SUM(ping_timeouts_total));
    line(b, "tickgw_client_errors_total", "counter", "err messages sent for bad requests", SUM(client_errors_total));
    line(b, "tickgw_redis_reconnects_total", "counter", "Redis connections re-established after a loss",
         SUM(redis_reconnects_total));
    line(b, "tickgw_redis_failovers_total", "counter",
         "times the Redis sentinels named a new master (counted once per worker thread)", SUM(redis_failovers_total));
    line(b, "tickgw_live_messages_total", "counter", "ts:live messages received", SUM(live_messages_total));
    line(b, "tickgw_live_gaps_total", "counter", "holes in the live feed repaired from the streams",
         SUM(live_gaps_total));
    line(b, "tickgw_repaired_ticks_total", "counter", "tick rows read from the streams to fill live holes",
         SUM(repaired_ticks_total));
    line(b, "tickgw_malformed_entries_total", "counter",
         "stream entries skipped because their ID or price p was unreadable", SUM(malformed_entries_total));
    uint64_t changes = 0; /* every worker sees each change: the most any saw */
    for (size_t i = 0; i < n; i++)
        if (GW_GET(ms[i]->epoch_changes_total) > changes)
            changes = GW_GET(ms[i]->epoch_changes_total);
    line(b, "tickgw_epoch_changes_total", "counter",
         "times ts:meta changed (a new epoch: Redis restarted empty, --reset; or a new shape) and clients were "
         "closed 1012",
         changes);
    line(b, "tickgw_feed_stale", "gauge",
         "workers whose Redis answers but that had no new tick for --stale-after intervals (the generator is "
         "stopped, fenced or refused)",
         SUM(feed_stale));
    line(b, "tickgw_feed_stale_total", "counter", "times a worker's feed went stale", SUM(feed_stale_total));
    line(b, "tickgw_catchup_xrange_total", "counter", "XRANGE calls made for catch-ups", SUM(catchup_xrange_total));
    line(b, "tickgw_board_watchers", "gauge", "board subscriptions of open connections", SUM(board_watchers));
    line(b, "tickgw_board_snapshots_total", "counter", "board answers that were a snapshot (since 0, or older than the ring)",
         SUM(board_snapshots_total));
    line(b, "tickgw_board_resumes_total", "counter", "board answers that resumed from the ring", SUM(board_resumes_total));
    line(b, "tickgw_board_frames_encoded_total", "counter",
         "bt frames encoded: one per tick, board selection and format on each worker", SUM(board_frames_encoded_total));
    line(b, "tickgw_board_frames_sent_total", "counter",
         "bt frames queued to board watchers (sent / encoded = watchers sharing one encoding)", SUM(board_frames_sent_total));

    /* At scrape time, so a feed that went quiet shows a growing lag. */
    int64_t oldest = 0, lag = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t t = GW_GET(ms[i]->live_last_t);
        if (t != 0 && (oldest == 0 || t < oldest))
            oldest = t;
    }
    if (oldest != 0)
        lag = ts_now_ms() - oldest;
    line(b, "tickgw_live_lag_ms", "gauge", "ms from the time of the last live tick received to now (worst worker)",
         (uint64_t)(lag < 0 ? 0 : lag));
    char tmp[256];
    int len = snprintf(tmp, sizeof(tmp),
                       "# HELP tickgw_live_lag_seconds the same in seconds (tickgw_live_lag_ms is kept for old "
                       "dashboards)\n# TYPE tickgw_live_lag_seconds gauge\ntickgw_live_lag_seconds %.3f\n",
                       (double)(lag < 0 ? 0 : lag) / 1000.0);
    gw_buf_put(b, tmp, (size_t)len);

    histogram(b, ms, n, "tickgw_catchup_seconds", "time from a sub to its final hist", offsetof(gw_wmetrics, catchup_bucket),
              offsetof(gw_wmetrics, catchup_sum_us), offsetof(gw_wmetrics, catchup_total));
    histogram(b, ms, n, "tickgw_fanout_seconds",
              "time from a ts:live message's arrival to its ticks handed to every live client's socket, or left "
              "waiting in its buffer (--write-pace)",
              offsetof(gw_wmetrics, fanout_bucket), offsetof(gw_wmetrics, fanout_sum_us),
              offsetof(gw_wmetrics, fanout_total));
}
