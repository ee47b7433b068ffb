/* wsload.c — WebSocket load client for tickgw benchmarks (libevent).
 *
 * live mode: opens --conns connections spread over --threads event-loop
 * threads, each connection subscribed to one instrument (connection i →
 * ticker_(i mod --instruments)) with since = now, so only live ticks flow.
 * After --warmup s it counts messages and bytes for --seconds s and records
 * two latencies per tick:
 *   tick-to-client  = wall clock on arrival − the tick's time t (includes the
 *                     generator's write and Redis' publish);
 *   redis-to-client = arrival − the arrival of the same ts:live message at
 *                     this program's own direct Redis subscriber (--redis):
 *                     what the gateway (and this client's reading) adds.
 * After a subscription's final hist, a hist run is live ticks too (a gateway
 * that fell behind coalesces them): each of its ticks counts, with its own t.
 * "timeline" has, per second of the window, the ticks and their p50 / p99
 * from t (log buckets of 2 %), to see whether latency grows over a run.
 *
 * catchup mode: --repeat times, a fresh connection subscribes to --sym with
 * since = 0 and waits for the final hist (more: false); it reports the time
 * from sending sub to that message, the ticks received and the bytes of the
 * WebSocket frames as they came (--deflate 1: offering permessage-deflate,
 * so compressed, and inflated here as a browser would, in the time).
 *
 * It prints one JSON line, with its own CPU time over the window: with every
 * client thread well under a core, the figures measure the gateway. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <math.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ts_codec.h"
#include "ts_names.h"
#include "ts_redis_url.h"
#include "ts_time.h"
#include "ts_walk.h"
#include "wsc.h"

#define LAT_BUCKETS 1000000 /* 10 µs each: up to 10 s */
#define SEC_MAX 600         /* timeline: seconds of the window */
#define SEC_BUCKETS 820     /* timeline: 1.02^k µs, up to ~11 s */
#define REF_SLOTS 65536

typedef struct worker worker;

typedef struct conn {
    worker *wk;
    struct bufferevent *bev;
    int open, idx, live; /* live: its final hist came */
    int64_t sent_us;
    uint64_t bytes, ticks;
} conn;

typedef struct hist {
    uint64_t n, max_us;
    uint32_t *b;
} hist;

/* One event-loop thread and its connections; results are summed at the end. */
struct worker {
    pthread_t th;
    struct event_base *base;
    msgpack_unpacked up;
    wsc_inflater inf;
    int first, count; /* its connections: L.c[first .. first+count) */
    int opened, failed, closed;
    uint64_t msgs, bytes;
    hist tick, gw;
    uint32_t (*sec)[SEC_BUCKETS]; /* timeline: per second of the window */
    double cpu_s;
};

/* Arrival of each ts:live message at the direct subscriber, by t. Written by
 * the main thread, read by workers: us is stored before t (release), so a
 * reader that sees t (acquire) sees its us. */
static struct {
    int64_t t, us;
} ref[REF_SLOTS];

static struct {
    const char *host, *mode, *sym, *redis;
    int port, conns, instruments, seconds, warmup, repeat, threads, deflate;
    struct sockaddr_in addr;
    conn *c;
    worker *wk;
    int measuring; /* atomic */
    int64_t t0_us;  /* mono start of the window, written before measuring */
    struct event_base *base; /* main thread: timers, Redis, catch-up */
    /* catchup */
    int rounds;
    double *catchup_ms;
    uint64_t catchup_bytes, catchup_ticks, catchup_hists;
} L;

static int64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void hist_add(hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    h->n++;
    if ((uint64_t)us > h->max_us)
        h->max_us = (uint64_t)us;
    h->b[us / 10 < LAT_BUCKETS ? us / 10 : LAT_BUCKETS - 1]++;
}

static double hist_pct(const hist *h, double q)
{
    uint64_t want = (uint64_t)(q * (double)h->n), seen = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > want)
            return (i * 10 + 5) / 1000.0;
    }
    return (double)h->max_us / 1000.0;
}

static void hist_merge(hist *into, const hist *from)
{
    into->n += from->n;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (int i = 0; i < LAT_BUCKETS; i++)
        into->b[i] += from->b[i];
}

static int sec_bucket(int64_t us)
{
    int k = us > 1 ? (int)(log((double)us) / log(1.02)) : 0;
    return k < SEC_BUCKETS ? k : SEC_BUCKETS - 1;
}

/* One live tick of time t (ms) arrived now (wall µs). */
static void live_tick(worker *wk, int64_t now, int64_t t)
{
    wk->msgs++;
    hist_add(&wk->tick, now - t * 1000);
    int64_t sec = (ts_mono_us() - L.t0_us) / 1000000;
    if (sec >= 0 && sec < SEC_MAX)
        wk->sec[sec][sec_bucket(now - t * 1000)]++;
    size_t slot = ts_splitmix64((uint64_t)t) % REF_SLOTS;
    if (__atomic_load_n(&ref[slot].t, __ATOMIC_ACQUIRE) == t)
        hist_add(&wk->gw, now - ref[slot].us);
}

static void send_sub(conn *c, const char *sym, int64_t since)
{
    c->sent_us = ts_mono_us();
    wsc_send_sub(c->bev, sym, since);
}

static void open_conn(worker *wk, int idx);

static void finish_catchup_round(conn *c)
{
    L.catchup_ms[L.rounds++] = (double)(ts_mono_us() - c->sent_us) / 1000.0;
    L.catchup_bytes = c->bytes;
    L.catchup_ticks = c->ticks;
    bufferevent_free(c->bev);
    c->bev = NULL;
    if (L.rounds < L.repeat)
        open_conn(c->wk, 0);
    else
        event_base_loopexit(c->wk->base, NULL);
}

/* One complete server frame. */
static void on_frame(conn *c, const char *p, size_t len, int opcode)
{
    worker *wk = c->wk;
    if (opcode == 8) {
        fprintf(stderr, "wsload: connection %d closed by the gateway (%u)\n", c->idx,
                len >= 2 ? (unsigned)((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 0);
        return;
    }
    if (opcode != 2)
        return;
    if (msgpack_unpack_next(&wk->up, p, len, NULL) != MSGPACK_UNPACK_SUCCESS || wk->up.data.type != MSGPACK_OBJECT_MAP)
        return;
    const msgpack_object *op = wsc_get(&wk->up.data, "op");
    if (op == NULL || op->type != MSGPACK_OBJECT_STR)
        return;
    if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "tick", 4)) {
        if (!__atomic_load_n(&L.measuring, __ATOMIC_RELAXED))
            return;
        wk->bytes += len;
        live_tick(wk, wall_us(), (int64_t)wsc_get(&wk->up.data, "t")->via.u64);
    } else if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "hist", 4)) {
        const msgpack_object *pp = wsc_get(&wk->up.data, "p"), *more = wsc_get(&wk->up.data, "more");
        c->ticks += pp ? pp->via.array.size : 0;
        if (c->live && pp != NULL && __atomic_load_n(&L.measuring, __ATOMIC_RELAXED)) {
            int64_t now = wall_us(), t0 = wsc_get(&wk->up.data, "t0")->via.i64, dt = wsc_get(&wk->up.data, "dt")->via.i64;
            wk->bytes += len;
            for (uint32_t i = 0; i < pp->via.array.size; i++)
                live_tick(wk, now, t0 + (int64_t)i * dt);
        }
        if (more != NULL && !more->via.boolean)
            c->live = 1;
        if (!strcmp(L.mode, "catchup")) {
            L.catchup_hists++;
            if (more != NULL && !more->via.boolean)
                finish_catchup_round(c);
        }
    } else if (op->via.str.size == 3 && !memcmp(op->via.str.ptr, "err", 3)) {
        const msgpack_object *m = wsc_get(&wk->up.data, "msg");
        fprintf(stderr, "wsload: err: %.*s\n", m ? (int)m->via.str.size : 0, m ? m->via.str.ptr : "");
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    worker *wk = c->wk;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!c->open) {
        char line[13];
        int up = wsc_upgraded(in, line);
        if (up == 0)
            return;
        if (up < 0) {
            fprintf(stderr, "wsload: upgrade refused: %s\n", line);
            wk->failed++;
            bufferevent_free(bev);
            c->bev = NULL;
            return;
        }
        c->open = 1;
        wk->opened++;
        if (!strcmp(L.mode, "catchup")) {
            send_sub(c, L.sym, 0);
        } else {
            char sym[TS_NAME_MAX];
            ts_instrument_name(sym, sizeof(sym), (uint32_t)(c->idx % L.instruments), (uint32_t)L.instruments);
            send_sub(c, sym, ts_now_ms());
        }
    }
    const char *p;
    size_t len, used;
    int opcode;
    while (wsc_next_frame(in, &p, &len, &opcode, &used)) {
        c->bytes += used;
        if ((opcode & WSC_RSV1) && wsc_inflate(&wk->inf, p, len, &p, &len) != 0)
            fprintf(stderr, "wsload: a compressed message did not inflate\n");
        on_frame(c, p, len, opcode & 0x0f);
        if (c->bev != bev)
            return; /* the catch-up round ended and freed it */
        evbuffer_drain(in, used);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        wsc_upgrade(bev, L.host, L.port, L.deflate);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (!c->open)
            c->wk->failed++;
        c->wk->closed++;
        bufferevent_free(bev);
        c->bev = NULL;
    }
}

static void open_conn(worker *wk, int idx)
{
    conn *c = &L.c[idx];
    memset(c, 0, sizeof(*c));
    c->wk = wk;
    c->idx = idx;
    c->bev = bufferevent_socket_new(wk->base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&L.addr, sizeof(L.addr)) != 0) {
        wk->failed++;
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
}

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg; /* only wakes the loop so it sees the window start */
}

static void *run_worker(void *arg)
{
    worker *wk = arg;
    struct timeval tick = {0, 50000};
    struct event *wake = event_new(wk->base, -1, EV_PERSIST, on_wake, NULL);
    event_add(wake, &tick);
    for (int i = wk->first; i < wk->first + wk->count; i++)
        open_conn(wk, i);
    while (!__atomic_load_n(&L.measuring, __ATOMIC_ACQUIRE))
        event_base_loop(wk->base, EVLOOP_ONCE);
    double c0 = thread_cpu_s();
    event_base_dispatch(wk->base); /* until the main thread ends the window */
    wk->cpu_s = thread_cpu_s() - c0;
    event_free(wake);
    return NULL;
}

/* ---- the reference subscriber ---- */

static void on_live(redisAsyncContext *ac, void *r, void *priv)
{
    redisReply *reply = r;
    (void)ac;
    (void)priv;
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
        reply->element[2]->type != REDIS_REPLY_STRING)
        return;
    int64_t now = wall_us();
    ts_live_msg m;
    char err[64];
    if (ts_live_decode(reply->element[2]->str, reply->element[2]->len, &m, err, sizeof(err)) != 0)
        return;
    size_t slot = ts_splitmix64((uint64_t)m.t) % REF_SLOTS;
    ref[slot].us = now;
    __atomic_store_n(&ref[slot].t, m.t, __ATOMIC_RELEASE);
    ts_live_msg_free(&m);
}

static void start_reference(void)
{
    ts_redis_url u;
    char err[128];
    if (L.redis == NULL || ts_redis_url_parse(L.redis, &u, err, sizeof(err)) != 0)
        return;
    redisAsyncContext *ac = redisAsyncConnect(u.host, u.port);
    if (ac == NULL || ac->err)
        return;
    redisLibeventAttach(ac, L.base);
    redisAsyncCommand(ac, on_live, NULL, "SUBSCRIBE " TS_CHANNEL_LIVE);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    event_base_loopbreak(L.base);
}

static void sleep_on_base(int seconds)
{
    struct timeval tv = {seconds, 0};
    event_base_once(L.base, -1, EV_TIMEOUT, on_timer, NULL, &tv);
    event_base_dispatch(L.base);
}

/* Ends the JSON line printed before: "timeline":[[second, ticks, p50_ms, p99_ms], ...]}. */
static void print_timeline(double secs)
{
    printf(",\"timeline\":[");
    for (int s = 0; s < SEC_MAX && s < (int)secs; s++) {
        uint64_t n = 0, seen = 0;
        double q[2] = {0, 0}, want[2] = {0.5, 0.99};
        for (int t = 0; t < L.threads; t++)
            for (int k = 0; k < SEC_BUCKETS; k++)
                n += L.wk[t].sec[s][k];
        for (int k = 0, w = 0; k < SEC_BUCKETS && w < 2; k++) {
            for (int t = 0; t < L.threads; t++)
                seen += L.wk[t].sec[s][k];
            while (w < 2 && n > 0 && (double)seen > want[w] * (double)n)
                q[w++] = pow(1.02, k + 0.5) / 1000.0;
        }
        printf("%s[%d,%llu,%.2f,%.2f]", s ? "," : "", s, (unsigned long long)n, q[0], q[1]);
    }
    printf("]}\n");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int usage(void)
{
    fprintf(stderr, "usage: wsload [--host H] [--port P] [--mode live|catchup] [--conns N] [--threads T]\n"
                    "              [--instruments M] [--seconds S] [--warmup W] [--redis URL] [--sym SYM] [--repeat K]\n"
                    "              [--deflate 0|1]\n");
    return 2;
}

int main(int argc, char **argv)
{
    L.host = "127.0.0.1";
    L.mode = "live";
    L.sym = "ticker_00";
    L.port = 8080;
    L.conns = 100;
    L.instruments = 100;
    L.seconds = 10;
    L.warmup = 2;
    L.repeat = 10;
    L.threads = 1;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) L.port = atoi(v);
        else if (!strcmp(k, "--host")) L.host = v;
        else if (!strcmp(k, "--conns")) L.conns = atoi(v);
        else if (!strcmp(k, "--threads")) L.threads = atoi(v);
        else if (!strcmp(k, "--instruments")) L.instruments = atoi(v);
        else if (!strcmp(k, "--seconds")) L.seconds = atoi(v);
        else if (!strcmp(k, "--warmup")) L.warmup = atoi(v);
        else if (!strcmp(k, "--redis")) L.redis = v;
        else if (!strcmp(k, "--mode")) L.mode = v;
        else if (!strcmp(k, "--sym")) L.sym = v;
        else if (!strcmp(k, "--repeat")) L.repeat = atoi(v);
        else if (!strcmp(k, "--deflate")) L.deflate = atoi(v);
        else return usage();
    }
    if (L.threads < 1 || L.conns < 1 || L.instruments < 1)
        return usage();
    L.addr.sin_family = AF_INET;
    L.addr.sin_port = htons((uint16_t)L.port);
    inet_pton(AF_INET, L.host, &L.addr.sin_addr);
    evthread_use_pthreads(); /* the main thread ends the workers' loops */
    L.base = event_base_new();

    if (!strcmp(L.mode, "catchup")) {
        worker wk = {0};
        wk.base = L.base;
        msgpack_unpacked_init(&wk.up);
        L.c = calloc(1, sizeof(conn));
        L.catchup_ms = calloc((size_t)L.repeat, sizeof(double));
        double c0 = thread_cpu_s();
        open_conn(&wk, 0);
        event_base_dispatch(L.base);
        qsort(L.catchup_ms, (size_t)L.rounds, sizeof(double), cmp_double);
        printf("{\"mode\":\"catchup\",\"sym\":\"%s\",\"rounds\":%d,\"ticks\":%llu,\"bytes\":%llu,\"hists_per_round\":%.1f,"
               "\"ms_min\":%.2f,\"ms_median\":%.2f,\"ms_max\":%.2f,\"client_cpu_s\":%.3f}\n",
               L.sym, L.rounds, (unsigned long long)L.catchup_ticks, (unsigned long long)L.catchup_bytes,
               L.rounds ? (double)L.catchup_hists / L.rounds : 0, L.rounds ? L.catchup_ms[0] : 0,
               L.rounds ? L.catchup_ms[L.rounds / 2] : 0, L.rounds ? L.catchup_ms[L.rounds - 1] : 0,
               thread_cpu_s() - c0);
        return L.rounds == L.repeat ? 0 : 1;
    }

    start_reference();
    L.c = calloc((size_t)L.conns, sizeof(conn));
    L.wk = calloc((size_t)L.threads, sizeof(worker));
    for (int t = 0, first = 0; t < L.threads; t++) {
        worker *wk = &L.wk[t];
        wk->first = first;
        wk->count = L.conns / L.threads + (t < L.conns % L.threads);
        first += wk->count;
        wk->base = event_base_new();
        msgpack_unpacked_init(&wk->up);
        wk->tick.b = calloc(LAT_BUCKETS, sizeof(uint32_t));
        wk->gw.b = calloc(LAT_BUCKETS, sizeof(uint32_t));
        wk->sec = calloc(SEC_MAX, sizeof(*wk->sec));
        pthread_create(&wk->th, NULL, run_worker, wk);
    }
    sleep_on_base(L.warmup);
    L.t0_us = ts_mono_us();
    __atomic_store_n(&L.measuring, 1, __ATOMIC_RELEASE);
    int64_t t0 = L.t0_us;
    sleep_on_base(L.seconds);
    __atomic_store_n(&L.measuring, 0, __ATOMIC_RELEASE);
    double secs = (double)(ts_mono_us() - t0) / 1e6;
    hist tick = {0, 0, calloc(LAT_BUCKETS, sizeof(uint32_t))}, gw = {0, 0, calloc(LAT_BUCKETS, sizeof(uint32_t))};
    uint64_t msgs = 0, bytes = 0;
    int opened = 0, failed = 0, closed = 0;
    double cpu = 0, cpu_max = 0;
    for (int t = 0; t < L.threads; t++) {
        worker *wk = &L.wk[t];
        event_base_loopexit(wk->base, NULL);
        pthread_join(wk->th, NULL);
        hist_merge(&tick, &wk->tick);
        hist_merge(&gw, &wk->gw);
        msgs += wk->msgs;
        bytes += wk->bytes;
        opened += wk->opened;
        failed += wk->failed;
        closed += wk->closed;
        cpu += wk->cpu_s;
        if (wk->cpu_s > cpu_max)
            cpu_max = wk->cpu_s;
    }
    printf("{\"mode\":\"live\",\"conns\":%d,\"threads\":%d,\"open\":%d,\"failed\":%d,\"closed\":%d,\"seconds\":%.2f,"
           "\"msgs\":%llu,\"msgs_per_s\":%.0f,\"bytes_per_s\":%.0f,"
           "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
           "\"gw_n\":%llu,\"gw_p50_ms\":%.2f,\"gw_p99_ms\":%.2f,\"gw_max_ms\":%.2f,"
           "\"client_cpu_pct\":%.1f,\"client_busiest_thread_pct\":%.1f",
           L.conns, L.threads, opened, failed, closed, secs, (unsigned long long)msgs, (double)msgs / secs,
           (double)bytes / secs, hist_pct(&tick, 0.5), hist_pct(&tick, 0.99), (double)tick.max_us / 1000.0,
           (unsigned long long)gw.n, hist_pct(&gw, 0.5), hist_pct(&gw, 0.99), (double)gw.max_us / 1000.0,
           100.0 * cpu / secs, 100.0 * cpu_max / secs);
    print_timeline(secs);
    return failed ? 1 : 0;
}
