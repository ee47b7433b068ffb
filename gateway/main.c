/* main.c — tickgw: configuration and wiring only.
 *
 * Parses the options (flag > TS_* env > default, one table for --help too),
 * binds the listening socket once, starts --threads workers that share it
 * (gw_worker.c), and waits for SIGTERM/SIGINT: then the workers close every
 * WebSocket with 1001 and stop, and the process exits 0. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gw_worker.h"
#include "ts_log.h"
#include "ts_opts.h"

static gw_global G;

/* host:port → a bound, listening, non-blocking socket. */
static int open_listener(const char *spec, char *desc, size_t desclen, char *err, size_t errlen)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (colon == NULL || colon == spec || (size_t)(colon - spec) >= sizeof(host) || colon[1] == '\0') {
        snprintf(err, errlen, "--listen: '%s' is not host:port", spec);
        return -1;
    }
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = '\0';
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host, colon + 1, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "--listen: %s: %s", spec, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int on = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 4096) != 0) {
        snprintf(err, errlen, "--listen: cannot listen on %s: %s", spec, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return -1;
    }
    freeaddrinfo(ai);
    snprintf(desc, desclen, strchr(host, ':') ? "http://[%s]%s" : "http://%s%s", host, colon);
    return fd;
}

/* Makes room for client connections besides the process's own descriptors:
 * the soft open-files limit is raised to the hard one (a shell on Debian
 * starts at 1,024, with a hard limit far above; Go's runtime does the same),
 * so idle HTTP keep-alive connections, which take descriptors too, do not
 * eat into --max-conns. What the limit then holds besides tickgw's own is
 * max_sockets, which every client connection counts against (gw_guard.c:
 * past it a 503, never a client left waiting while accept() fails); when
 * that is under --max-conns, the cap is lowered to fit and said so.
 * (Containers get the limit from the engine: TS_NOFILE.) */
static void fit_nofile(gw_config *c)
{
    const int64_t own = 64 + 8 * c->threads; /* listener, Redis connections, files served, logs, the 503s' spare */
    int64_t need = c->max_conns + own;
    struct rlimit rl;
    c->max_sockets = INT64_MAX / 2;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return;
    rlim_t was = rl.rlim_cur;
    if (rl.rlim_max != rl.rlim_cur) {
        rl.rlim_cur = rl.rlim_max;
        int ok = setrlimit(RLIMIT_NOFILE, &rl) == 0;
        if (!ok && (int64_t)was < need) {
            /* an unlimited hard limit is refused above fs.nr_open: then what --max-conns needs */
            rl.rlim_cur = (rlim_t)need;
            ok = setrlimit(RLIMIT_NOFILE, &rl) == 0;
        }
        if (ok)
            ts_info("open files limit raised from %llu to %llu", (unsigned long long)was,
                    (unsigned long long)rl.rlim_cur);
        else
            rl.rlim_cur = was;
    }
    if (rl.rlim_cur == RLIM_INFINITY)
        return;
    c->max_sockets = (int64_t)rl.rlim_cur - own < 1 ? 1 : (int64_t)rl.rlim_cur - own;
    if ((int64_t)rl.rlim_cur >= need)
        return;
    ts_warn("open files limit %llu (hard limit %llu) holds %lld connections besides tickgw's own %lld descriptors: "
            "--max-conns lowered from %lld to %lld; raise the limit (ulimit -n, LimitNOFILE=, docker-compose "
            "TS_NOFILE) for more",
            (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, (long long)c->max_sockets,
            (long long)own, (long long)c->max_conns, (long long)c->max_sockets);
    c->max_conns = c->max_sockets;
}

int main(int argc, char **argv)
{
    gw_config *c = &G.cfg;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    char threads_def[24];
    snprintf(threads_def, sizeof(threads_def), "%ld", cores > 0 ? cores : 1);
    const ts_opt opts[] = {
        {"listen", "TS_LISTEN", TS_OPT_STRING, &c->listen, "127.0.0.1:8080", 0, 0, "address to serve HTTP and /ws on"},
        {"redis", "TS_REDIS_URL", TS_OPT_REDIS, &c->redis, "redis://127.0.0.1:6379", 0, 0,
         "Redis URL redis://[[user]:password@]host:port[/db], or "
         "redis-sentinel://[[user]:password@]host:26379,host:26379,.../master[?db=N&sentinel_user=U&sentinel_password=P] "
         "(each query parameter optional; sentinel_*: the sentinels' own AUTH)"},
        {"webui", "TS_WEBUI", TS_OPT_STRING, &c->webui, "webui", 0, 0, "directory of the web page, served at /"},
        {"threads", "TS_THREADS", TS_OPT_INT, &c->threads, threads_def, 1, 256,
         "worker threads, each with its own loop and Redis connections (default: cores)"},
        {"max-conns", "TS_MAX_CONNS", TS_OPT_INT, &c->max_conns, "20000", 1, 10000000,
         "WebSocket and SSE connections at once; more get HTTP 503"},
        {"max-subs", "TS_MAX_SUBS", TS_OPT_INT, &c->max_subs, "256", 1, 1000000,
         "subscriptions per connection (instruments per SSE stream); more get err too_many_subs"},
        {"max-msg", "TS_MAX_MSG", TS_OPT_INT, &c->max_msg, "4096", 64, 1 << 20,
         "bytes of one client message; larger closes the connection with 1009"},
        {"send-queue", "TS_SEND_QUEUE", TS_OPT_INT, &c->send_queue, "4194304", 4096, 1LL << 32,
         "bytes queued for one client; past it the client is closed with 1008"},
        {"write-pace", "TS_WRITE_PACE", TS_OPT_DURATION, &c->write_pace, "15ms", 0, 1000,
         "least time between two writes of live ticks to one client: ticks that come sooner wait for it (at most "
         "this long) and share one write, which saves CPU at fast intervals; 0ms: every tick written at once"},
        {"ring", "TS_RING", TS_OPT_DURATION, &c->ring_ms, "120s", 1000, 7LL * 24 * 3600 * 1000,
         "recent ticks kept in memory per instrument, for catch-ups without Redis"},
        {"ring-max", "TS_RING_MAX", TS_OPT_INT, &c->ring_max, "100000", 16, 100000000,
         "at most this many ticks per instrument in the ring, whatever --ring says"},
        {"chunk", "TS_CHUNK", TS_OPT_INT, &c->chunk, "10000", 100, 1000000,
         "ticks per catch-up XRANGE and per hist message"},
        {"max-xrange", "TS_MAX_XRANGE", TS_OPT_INT, &c->max_xrange, "16", 1, 100000,
         "catch-up XRANGEs in flight per worker; more wait in a queue"},
        {"history-max", "TS_HISTORY_MAX", TS_OPT_INT, &c->history_max, "100000", 1, 10000000,
         "ticks in one /api/history answer (more: true when cut)"},
        {"close-timeout", "TS_CLOSE_TIMEOUT", TS_OPT_DURATION, &c->close_timeout, "2s", 10, 600000,
         "time a closing client gets to take its close frame"},
        {"ping-interval", "TS_PING_INTERVAL", TS_OPT_DURATION, &c->ping_interval, "30s", 100, 3600000,
         "client silence before a WebSocket ping (twice this drops it); SSE: a comment"},
        {"redis-timeout", "TS_REDIS_TIMEOUT", TS_OPT_DURATION, &c->redis_timeout, "2s", 10, 600000,
         "time to connect to Redis before retrying; also how long a sentinel watch waits for its sentinel to answer"},
        {"allowed-origins", "TS_ALLOWED_ORIGINS", TS_OPT_STRING, &c->allowed_origins, "", 0, 0,
         "WebSocket upgrades from a browser page are allowed from the gateway's own origin and these "
         "(comma-separated scheme://host[:port], or *); others get 403"},
        {"max-conns-per-ip", "TS_MAX_CONNS_PER_IP", TS_OPT_INT, &c->max_conns_per_ip, "256", 0, 10000000,
         "TCP connections at once from one address (0: no limit); more are closed at accept"},
        {"per-ip-exempt", "TS_PER_IP_EXEMPT", TS_OPT_STRING, &c->per_ip_exempt, "127.0.0.1,::1", 0, 0,
         "addresses or networks (10.0.0.0/8) not limited by --max-conns-per-ip: the load balancers"},
        {"header-timeout", "TS_HEADER_TIMEOUT", TS_OPT_DURATION, &c->header_timeout, "10s", 100, 600000,
         "time a connection gets to send a whole request (headers and body); then it is closed"},
        {"stale-after", "TS_STALE_AFTER", TS_OPT_INT, &c->stale_after, "5", 2, 1000000,
         "intervals with Redis up but no new tick before /readyz and tickgw_feed_stale say the generator is "
         "not writing (still 200: the history is served)"},
        {"ws-deflate", "TS_WS_DEFLATE", TS_OPT_BOOL, &c->ws_deflate, "1", 0, 0,
         "accept a WebSocket client's permessage-deflate offer (RFC 7692): messages of 1 KB or more (history, "
         "ranges, board snapshots) go out compressed, live ticks do not; --ws-deflate=0 turns it off"},
        {"log-level", "TS_LOG_LEVEL", TS_OPT_STRING, &c->log_level, "info", 0, 0, "debug, info, warn or error"},
    };
    size_t nopts = sizeof(opts) / sizeof(opts[0]);
    char err[512];
    ts_opts_result r = ts_opts_parse(opts, nopts, argc, argv, err, sizeof(err));
    if (r == TS_OPTS_HELP) {
        ts_opts_usage("tickgw", "tickstream gateway: serves the web page, the JSON API and live ticks over WebSocket.",
                      opts, nopts);
        return 0;
    }
    if (r == TS_OPTS_ERROR) {
        fprintf(stderr, "tickgw: %s\n", err);
        return 2;
    }
    ts_log_level level;
    if (ts_log_parse_level(c->log_level, &level) != 0) {
        fprintf(stderr, "tickgw: --log-level: '%s' is not debug, info, warn or error\n", c->log_level);
        return 2;
    }
    ts_log_init("tickgw", level);
    fit_nofile(c);

    G.listen_fd = open_listener(c->listen, G.listen_desc, sizeof(G.listen_desc), err, sizeof(err));
    if (G.listen_fd < 0) {
        fprintf(stderr, "tickgw: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    /* Workers inherit a mask without SIGTERM/SIGINT: only sigwait below sees them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    pthread_mutex_init(&G.mu, NULL);
    pthread_cond_init(&G.stopped_cond, NULL);
    h2o_config_init(&G.h2o);
    /* h2o 2.2's HTTP/1 deadline for a whole request, from the first byte
     * (not renewed per read): a client that drips its headers is closed. */
    G.h2o.http1.req_timeout = (uint64_t)c->header_timeout;
    if (gw_guard_init(&G, err, sizeof(err)) != 0) {
        fprintf(stderr, "tickgw: %s\n", err);
        return 2;
    }
    h2o_hostconf_t *host = h2o_config_register_host(&G.h2o, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    gw_http_register(&G, host);

    G.nworkers = (int)c->threads;
    G.workers = calloc((size_t)G.nworkers, sizeof(gw_worker));
    if (G.workers == NULL) {
        fprintf(stderr, "tickgw: out of memory\n");
        return 1;
    }
    for (int i = 0; i < G.nworkers; i++) {
        G.workers[i].g = &G;
        G.workers[i].id = i;
        snprintf(G.workers[i].reason, sizeof(G.workers[i].reason), "starting");
    }
    int started = 0;
    for (; started < G.nworkers; started++)
        if (gw_worker_start(&G.workers[started]) != 0)
            break;
    if (started == G.nworkers) {
        char where[600];
        ts_redis_url_describe(&c->redis, where, sizeof(where));
        ts_info("listening on %s with %d threads, redis %s, webui %s", G.listen_desc, G.nworkers, where, c->webui);
    }

    int status = started == G.nworkers ? 0 : 1;
    if (status == 0) {
        int sig = 0;
        sigwait(&stop, &sig);
        ts_info("%s: closing connections and stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    }
    __atomic_store_n(&G.stopping, 1, __ATOMIC_RELAXED);
    /* Workers park once stopped (see gw_worker.c); wait for all of them. */
    pthread_mutex_lock(&G.mu);
    while (G.stopped < started)
        pthread_cond_wait(&G.stopped_cond, &G.mu);
    pthread_mutex_unlock(&G.mu);
    close(G.listen_fd);
    ts_info("stopped");
    return status;
}
