/* gw_metrics.h — counters of one worker, summed over workers by /metrics.
 *
 * Each worker only adds to its own struct (relaxed atomics, no contention);
 * a scrape on any thread reads all of them. */
#ifndef GW_METRICS_H
#define GW_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct gw_buf;

#define GW_LAT_BUCKETS 14
extern const double gw_lat_bounds_s[GW_LAT_BUCKETS];

typedef struct gw_wmetrics {
    uint64_t connections;        /* gauge: open WebSocket connections */
    uint64_t subscriptions;      /* gauge */
    uint64_t accepted_total;
    uint64_t rejected_total;     /* over --max-conns */
    uint64_t origin_refused_total; /* upgrades from an origin not allowed (--allowed-origins) */
    uint64_t per_ip_refused_total; /* connections closed at accept: over --max-conns-per-ip */
    uint64_t nofile_refused_total; /* connections past what the open files limit holds: 503, or closed at once */
    uint64_t accept_failed_total;  /* accept() failures: out of descriptors (EMFILE, ENFILE) or other */
    uint64_t messages_sent_total;
    uint64_t bytes_sent_total;
    uint64_t slow_closes_total;
    uint64_t writes_paced_total; /* times a client's live frames began to wait (--write-pace) */
    uint64_t ping_timeouts_total; /* clients dropped for not answering pings */
    uint64_t client_errors_total;
    uint64_t redis_reconnects_total;
    uint64_t redis_failovers_total;
    uint64_t live_messages_total;
    uint64_t live_gaps_total;
    uint64_t repaired_ticks_total;
    uint64_t malformed_entries_total; /* stream entries skipped as unreadable (ts_entry.h) */
    uint64_t catchup_total;
    uint64_t catchup_xrange_total; /* XRANGE calls made for catch-ups */
    uint64_t board_watchers;     /* gauge: board subscriptions of open connections */
    uint64_t board_snapshots_total, board_resumes_total; /* board answers, by kind */
    uint64_t board_frames_encoded_total; /* bt frames built: one per tick, selection and format */
    uint64_t board_frames_sent_total;    /* bt frames queued to watchers: copies of those */
    uint64_t catchup_bucket[GW_LAT_BUCKETS + 1];
    uint64_t catchup_sum_us;
    uint64_t fanout_bucket[GW_LAT_BUCKETS + 1];
    uint64_t fanout_sum_us, fanout_total;
    uint64_t epoch_changes_total; /* ts:meta changed under open clients (closed 1012); max over workers */
    uint64_t feed_stale;         /* gauge: 1 while Redis answers but no new tick came for --stale-after intervals */
    uint64_t feed_stale_total;   /* times the feed went stale */
    int64_t live_last_t;         /* t of the last live tick received (lag = now - it, at scrape) */
    int64_t fanout_t0_us;        /* the worker's own: mono us a fan-out began, 0 when none is pending */
} gw_wmetrics;

#define GW_ADD(field, v) __atomic_fetch_add(&(field), (v), __ATOMIC_RELAXED)
#define GW_SUB(field, v) __atomic_fetch_sub(&(field), (v), __ATOMIC_RELAXED)
#define GW_SET(field, v) __atomic_store_n(&(field), (v), __ATOMIC_RELAXED)
#define GW_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

/* Adds one observation of us microseconds to a latency histogram. */
void gw_metrics_observe(uint64_t *bucket, uint64_t *sum_us, uint64_t *count, int64_t us);
void gw_metrics_catchup_done(gw_wmetrics *m, int64_t us);
/* A fan-out began (a live message arrived): timed until the flush that
 * hands its frames to the sockets calls gw_metrics_fanout_flushed. Several
 * messages of one loop turn make one observation, from the first. */
void gw_metrics_fanout_begin(gw_wmetrics *m);
/* The message queued nothing for any client: no observation for it. */
void gw_metrics_fanout_cancel(gw_wmetrics *m);
void gw_metrics_fanout_flushed(gw_wmetrics *m);
/* Counts a stream entry skipped as unreadable (ts_entry.h); the first one
 * of a worker is logged, the rest only counted. */
void gw_metrics_malformed(gw_wmetrics *m, int worker_id, const char *sym, int64_t t);
/* Appends the Prometheus text of the sum of n workers' metrics (stride bytes apart). */
void gw_metrics_render(struct gw_buf *b, const gw_wmetrics *const *ms, size_t n, int ready);

#endif
