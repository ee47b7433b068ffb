/* wsload.c — WebSocket load client for tickgw benchmarks (libevent, one thread).
 *
 * live mode: opens --conns connections, each subscribed to one instrument
 * (connection i → ticker_(i mod --instruments)) with since = now, so only live
 * ticks flow; after --warmup s it counts messages and bytes for --seconds s
 * and records each tick's latency = this machine's wall clock on arrival −
 * the tick's time t (the generator's schedule: so it includes the
 * generator's write and Redis' publish, not only the gateway).
 *
 * catchup mode: --repeat times, a fresh connection subscribes to --sym with
 * since = 0 and waits for the final hist (more: false): reports the time
 * from sending sub to that message, the ticks received and the bytes read
 * from the socket (WebSocket headers included).
 *
 * It prints one JSON line. Its own CPU time is in it: with the client well
 * under one core, the numbers measure the gateway, not the client. Parsing
 * is msgpack-c's unpacker on each frame; frames are read straight from
 * libevent's buffers. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

#include "ts_names.h"
#include "ts_time.h"

#define LAT_BUCKETS 1000000 /* 10 µs each: up to 10 s */

typedef struct conn {
    struct bufferevent *bev;
    int open, idx;
    int64_t sent_us;
    uint64_t bytes;
    uint64_t ticks;
} conn;

static struct {
    const char *host, *mode, *sym;
    int port, conns, instruments, seconds, warmup, repeat;
    struct event_base *base;
    struct sockaddr_in addr;
    conn *c;
    int opened, failed, closed;
    int measuring;
    int64_t t_start_us, t_end_us;
    uint64_t msgs, bytes, lat_n, lat_max_us;
    uint32_t *lat;
    msgpack_unpacked up;
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

static void send_frame(conn *c, const char *data, size_t len)
{
    uint8_t hdr[14];
    size_t h = 0;
    hdr[h++] = 0x82;
    if (len < 126) {
        hdr[h++] = 0x80 | (uint8_t)len;
    } else {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (uint8_t)(len >> 8);
        hdr[h++] = (uint8_t)len;
    }
    uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    memcpy(hdr + h, mask, 4);
    h += 4;
    char body[512];
    for (size_t i = 0; i < len && i < sizeof(body); i++)
        body[i] = (char)(data[i] ^ mask[i % 4]);
    bufferevent_write(c->bev, hdr, h);
    bufferevent_write(c->bev, body, len);
}

static void send_sub(conn *c, const char *sym, int64_t since)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 3);
    msgpack_pack_str_with_body(&pk, "op", 2);
    msgpack_pack_str_with_body(&pk, "sub", 3);
    msgpack_pack_str_with_body(&pk, "sym", 3);
    msgpack_pack_str_with_body(&pk, sym, strlen(sym));
    msgpack_pack_str_with_body(&pk, "since", 5);
    msgpack_pack_int64(&pk, since);
    c->sent_us = ts_mono_us();
    send_frame(c, sb.data, sb.size);
    msgpack_sbuffer_destroy(&sb);
}

static const msgpack_object *get(const msgpack_object *m, const char *k)
{
    size_t kl = strlen(k);
    for (uint32_t i = 0; i < m->via.map.size; i++) {
        const msgpack_object_kv *kv = &m->via.map.ptr[i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == kl && !memcmp(kv->key.via.str.ptr, k, kl))
            return &kv->val;
    }
    return NULL;
}

static void open_conn(int idx);

static void finish_catchup_round(conn *c)
{
    L.catchup_ms[L.rounds++] = (double)(ts_mono_us() - c->sent_us) / 1000.0;
    L.catchup_bytes = c->bytes;
    L.catchup_ticks = c->ticks;
    bufferevent_free(c->bev);
    c->bev = NULL;
    if (L.rounds < L.repeat)
        open_conn(0);
    else
        event_base_loopexit(L.base, NULL);
}

/* One complete server frame. */
static void on_frame(conn *c, const char *p, size_t len, int opcode)
{
    if (opcode == 8) {
        fprintf(stderr, "wsload: connection %d closed by the gateway (%u)\n", c->idx,
                len >= 2 ? (unsigned)((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 0);
        return;
    }
    if (opcode != 2)
        return;
    if (msgpack_unpack_next(&L.up, p, len, NULL) != MSGPACK_UNPACK_SUCCESS || L.up.data.type != MSGPACK_OBJECT_MAP)
        return;
    const msgpack_object *op = get(&L.up.data, "op");
    if (op == NULL || op->type != MSGPACK_OBJECT_STR)
        return;
    if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "tick", 4)) {
        if (!L.measuring)
            return;
        const msgpack_object *t = get(&L.up.data, "t");
        int64_t lat = wall_us() - (int64_t)t->via.u64 * 1000;
        if (lat < 0)
            lat = 0;
        L.msgs++;
        L.bytes += len;
        L.lat_n++;
        if ((uint64_t)lat > L.lat_max_us)
            L.lat_max_us = (uint64_t)lat;
        L.lat[lat / 10 < LAT_BUCKETS ? lat / 10 : LAT_BUCKETS - 1]++;
    } else if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "hist", 4)) {
        const msgpack_object *pp = get(&L.up.data, "p"), *more = get(&L.up.data, "more");
        c->ticks += pp ? pp->via.array.size : 0;
        L.catchup_hists++;
        if (!strcmp(L.mode, "catchup") && more != NULL && !more->via.boolean)
            finish_catchup_round(c);
    } else if (op->via.str.size == 3 && !memcmp(op->via.str.ptr, "err", 3)) {
        const msgpack_object *m = get(&L.up.data, "msg");
        fprintf(stderr, "wsload: err: %.*s\n", m ? (int)m->via.str.size : 0, m ? m->via.str.ptr : "");
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!c->open) {
        struct evbuffer_ptr e = evbuffer_search(in, "\r\n\r\n", 4, NULL);
        if (e.pos < 0)
            return;
        char line[16] = {0};
        evbuffer_copyout(in, line, 12);
        if (strncmp(line, "HTTP/1.1 101", 12) != 0) {
            fprintf(stderr, "wsload: upgrade refused: %.12s\n", line);
            L.failed++;
            bufferevent_free(bev);
            c->bev = NULL;
            return;
        }
        evbuffer_drain(in, (size_t)e.pos + 4);
        c->open = 1;
        L.opened++;
        if (!strcmp(L.mode, "catchup")) {
            c->bytes = 0;
            c->ticks = 0;
            send_sub(c, L.sym, 0);
        } else {
            char sym[TS_NAME_MAX];
            ts_instrument_name(sym, sizeof(sym), (uint32_t)(c->idx % L.instruments), (uint32_t)L.instruments);
            send_sub(c, sym, ts_now_ms());
        }
    }
    for (;;) {
        size_t avail = evbuffer_get_length(in);
        if (avail < 2)
            return;
        uint8_t h[10];
        evbuffer_copyout(in, h, avail < 10 ? avail : 10);
        size_t hl = 2, len = h[1] & 0x7f;
        if (len == 126) {
            if (avail < 4)
                return;
            len = (size_t)h[2] << 8 | h[3];
            hl = 4;
        } else if (len == 127) {
            if (avail < 10)
                return;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | h[2 + i];
            hl = 10;
        }
        if (avail < hl + len)
            return;
        if (c->bev == NULL)
            return;
        const char *p = (const char *)evbuffer_pullup(in, (ssize_t)(hl + len));
        struct bufferevent *keep = c->bev;
        if (!strcmp(L.mode, "catchup"))
            c->bytes += hl + len;
        on_frame(c, p + hl, len, h[0] & 0x0f);
        if (c->bev != keep)
            return; /* the round ended and freed it */
        evbuffer_drain(in, hl + len);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        char req[512];
        int n = snprintf(req, sizeof(req),
                         "GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                         L.host, L.port);
        bufferevent_write(bev, req, (size_t)n);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (!c->open)
            L.failed++;
        L.closed++;
        bufferevent_free(bev);
        c->bev = NULL;
    }
}

static void open_conn(int idx)
{
    conn *c = &L.c[idx];
    memset(c, 0, sizeof(*c));
    c->idx = idx;
    c->bev = bufferevent_socket_new(L.base, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&L.addr, sizeof(L.addr)) != 0) {
        L.failed++;
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    if (!L.measuring) {
        L.measuring = 1;
        L.t_start_us = ts_mono_us();
        struct timeval tv = {L.seconds, 0};
        event_base_once(L.base, -1, EV_TIMEOUT, on_timer, NULL, &tv);
    } else {
        L.t_end_us = ts_mono_us();
        event_base_loopexit(L.base, NULL);
    }
}

static double pct(double q)
{
    uint64_t want = (uint64_t)(q * (double)L.lat_n), seen = 0;
    for (int i = 0; i < LAT_BUCKETS; i++) {
        seen += L.lat[i];
        if (seen > want)
            return (i * 10 + 5) / 1000.0;
    }
    return (double)L.lat_max_us / 1000.0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) L.port = atoi(v);
        else if (!strcmp(k, "--host")) L.host = v;
        else if (!strcmp(k, "--conns")) L.conns = atoi(v);
        else if (!strcmp(k, "--instruments")) L.instruments = atoi(v);
        else if (!strcmp(k, "--seconds")) L.seconds = atoi(v);
        else if (!strcmp(k, "--warmup")) L.warmup = atoi(v);
        else if (!strcmp(k, "--mode")) L.mode = v;
        else if (!strcmp(k, "--sym")) L.sym = v;
        else if (!strcmp(k, "--repeat")) L.repeat = atoi(v);
        else {
            fprintf(stderr, "usage: wsload [--host H] [--port P] [--mode live|catchup] [--conns N] [--instruments M]\n"
                            "              [--seconds S] [--warmup W] [--sym SYM] [--repeat K]\n");
            return 2;
        }
    }
    L.base = event_base_new();
    L.addr.sin_family = AF_INET;
    L.addr.sin_port = htons((uint16_t)L.port);
    inet_pton(AF_INET, L.host, &L.addr.sin_addr);
    msgpack_unpacked_init(&L.up);
    L.lat = calloc(LAT_BUCKETS, sizeof(uint32_t));
    if (!strcmp(L.mode, "catchup")) {
        L.c = calloc(1, sizeof(conn));
        L.catchup_ms = calloc((size_t)L.repeat, sizeof(double));
        double c0 = cpu_s();
        open_conn(0);
        event_base_dispatch(L.base);
        qsort(L.catchup_ms, (size_t)L.rounds, sizeof(double), cmp_double);
        printf("{\"mode\":\"catchup\",\"sym\":\"%s\",\"rounds\":%d,\"ticks\":%llu,\"bytes\":%llu,\"hists_per_round\":%.1f,"
               "\"ms_min\":%.2f,\"ms_median\":%.2f,\"ms_max\":%.2f,\"client_cpu_s\":%.3f}\n",
               L.sym, L.rounds, (unsigned long long)L.catchup_ticks, (unsigned long long)L.catchup_bytes,
               L.rounds ? (double)L.catchup_hists / L.rounds : 0, L.rounds ? L.catchup_ms[0] : 0,
               L.rounds ? L.catchup_ms[L.rounds / 2] : 0, L.rounds ? L.catchup_ms[L.rounds - 1] : 0, cpu_s() - c0);
        return L.rounds == L.repeat ? 0 : 1;
    }
    L.c = calloc((size_t)L.conns, sizeof(conn));
    for (int i = 0; i < L.conns; i++)
        open_conn(i);
    struct timeval tv = {L.warmup, 0};
    event_base_once(L.base, -1, EV_TIMEOUT, on_timer, NULL, &tv);
    /* CPU is measured over the window only: connecting is not load. */
    while (!L.measuring && event_base_loop(L.base, EVLOOP_ONCE) == 0)
        ;
    double c0 = cpu_s();
    event_base_dispatch(L.base);
    double secs = (double)(L.t_end_us - L.t_start_us) / 1e6;
    printf("{\"mode\":\"live\",\"conns\":%d,\"open\":%d,\"failed\":%d,\"closed\":%d,\"seconds\":%.2f,\"msgs\":%llu,"
           "\"msgs_per_s\":%.0f,\"bytes_per_s\":%.0f,\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"max_ms\":%.2f,"
           "\"client_cpu_pct\":%.1f}\n",
           L.conns, L.opened, L.failed, L.closed, secs, (unsigned long long)L.msgs, (double)L.msgs / secs,
           (double)L.bytes / secs, pct(0.5), pct(0.99), (double)L.lat_max_us / 1000.0,
           100.0 * (cpu_s() - c0) / secs);
    return L.failed ? 1 : 0;
}
