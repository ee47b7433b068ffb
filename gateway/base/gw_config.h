/* gw_config.h — tickgw's options, as main.c parsed them; read-only after. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stdint.h>

#include "ts_redis_url.h"

typedef struct gw_config {
    const char *listen;
    ts_redis_url redis;
    const char *webui;
    const char *log_level;
    int64_t threads;
    int64_t max_conns;
    int64_t max_sockets;    /* client connections of every kind the open files limit holds (main.c) */
    int64_t max_subs;       /* per connection */
    int64_t max_msg;        /* bytes of one client message */
    int64_t send_queue;     /* bytes queued for one client before it is closed 1008 */
    int64_t write_pace;     /* ms between writes of live frames to one client; 0: at once */
    int64_t ring_ms;        /* time the ring covers */
    int64_t ring_max;       /* rows the ring may hold, whatever ring_ms says */
    int64_t chunk;          /* XRANGE COUNT of a catch-up step */
    int64_t max_xrange;     /* catch-up XRANGEs in flight per worker */
    int64_t history_max;    /* ticks in one /api/history answer */
    int64_t close_timeout;  /* ms a closing client gets to take its close frame */
    int64_t ping_interval;  /* ms of client silence before a ping; twice that drops it */
    int64_t redis_timeout;  /* ms to connect to Redis */
    const char *allowed_origins; /* besides the same origin; "*": any (gw_policy.h) */
    int64_t max_conns_per_ip;    /* TCP connections from one address; 0: no limit */
    const char *per_ip_exempt;   /* addresses/networks not counted (load balancers) */
    int64_t header_timeout;      /* ms to read a request's headers (h2o http1 req_timeout) */
    int64_t stale_after;         /* intervals without a new tick before the feed counts as stale */
    int ws_deflate;              /* accept WebSocket permessage-deflate offers */
} gw_config;

#include <stddef.h>

/* Queued bytes over which a client's next history read (ticks or candles)
 * waits for it to drain: a quarter of the send queue, so a slow reader of
 * a long history is paced, not closed as slow. */
static inline size_t gw_config_drain_mark(const gw_config *c)
{
    return (size_t)c->send_queue / 4;
}

#endif
