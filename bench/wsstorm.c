/* wsstorm.c — the reconnect storm (docs/RELIABILITY.md): --conns WebSocket
 * clients on gateway --port, each subscribed to ticker_(i mod
 * --instruments) since --since-ago ms before now; once all are live it
 * prints "READY <n>" and waits. When their gateway dies (the caller kills
 * it), every client reconnects to --to with since = the last tick it holds,
 * as the page does, and the program reports how long until the last one is
 * live again there (its final hist), and whether any series has a hole, a
 * duplicate or a step other than ±1 across the move.
 *
 * One libevent thread, a few hundred bytes per client: 5,000 clients cost
 * this program far less than the gateways it measures. Connects are paced
 * (--pace in flight at once) as many browsers' would be; a refused or
 * failed reconnect is retried after --retry-ms. One JSON line on stdout at
 * the end; exit 0 only when every client is live again with no fault. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <msgpack.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_names.h"
#include "ts_time.h"
#include "wsc.h"

typedef struct client {
    struct bufferevent *bev;
    int idx, phase; /* phase 0: on the first gateway; 1: moved to the second */
    int open, live, pending; /* upgraded; final hist seen on this connection; waiting for a connect slot */
    int64_t last_t, live_us;
    int32_t last_p;
    int have;
    uint64_t ticks_after; /* live ticks on the second gateway */
} client;

static struct {
    const char *host;
    int port, to, conns, instruments, pace, retry_ms, timeout_s, settle_ms;
    int64_t since_ago, dt;
    struct sockaddr_in addr[2];
    struct event_base *base;
    msgpack_unpacked up;
    client *c;
    int connecting, live[2], ready, closes_logged;
    int *queue, qhead, qlen; /* clients waiting for a connect slot */
    int64_t lost_us;        /* the first close seen on the first gateway */
    uint64_t holes, dups, steps, retries0, retries, refused, closed2;
    struct event *deadline, *settle;
} S;

static void start(client *c);

static void pump_queue(void)
{
    while (S.qlen > 0 && S.connecting < S.pace) {
        client *c = &S.c[S.queue[S.qhead]];
        S.qhead = (S.qhead + 1) % S.conns;
        S.qlen--;
        c->pending = 0;
        start(c);
    }
}

static void enqueue(client *c)
{
    if (c->pending)
        return;
    c->pending = 1;
    S.queue[(S.qhead + S.qlen) % S.conns] = c->idx;
    S.qlen++;
    pump_queue();
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what;
    enqueue(arg);
}

static void drop(client *c)
{
    if (c->bev != NULL) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    if (!c->open)
        S.connecting--;
    c->open = c->live = 0;
}

/* The connection is gone: on the first gateway that is the storm; on the
 * second, a failed attempt to retry. */
static void lost(client *c)
{
    int was_open = c->open;
    drop(c);
    if (c->phase == 0 && !S.ready) { /* before the storm: try the first gateway again */
        S.retries0++;
        struct timeval tv = {S.retry_ms / 1000, (S.retry_ms % 1000) * 1000};
        event_base_once(S.base, -1, EV_TIMEOUT, on_retry, c, &tv);
    } else if (c->phase == 0) {
        if (S.lost_us == 0)
            S.lost_us = ts_mono_us();
        if (was_open)
            S.live[0]--;
        c->phase = 1;
        enqueue(c);
    } else {
        if (c->live_us != 0)
            S.closed2++; /* closed after it was live there: not expected */
        S.retries++;
        struct timeval tv = {S.retry_ms / 1000, (S.retry_ms % 1000) * 1000};
        event_base_once(S.base, -1, EV_TIMEOUT, on_retry, c, &tv);
    }
    pump_queue();
}

/* Appends one tick to c's series, checking that it follows the last. */
static void tick(client *c, int64_t t, int32_t p)
{
    if (c->have) {
        if (t <= c->last_t)
            S.dups++;
        else if (t != c->last_t + S.dt)
            S.holes++;
        else if (p - c->last_p != 1 && c->last_p - p != 1)
            S.steps++;
        if (t <= c->last_t)
            return;
    }
    c->last_t = t;
    c->last_p = p;
    c->have = 1;
}

static void on_settled(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    event_base_loopexit(S.base, NULL);
}

static void went_live(client *c)
{
    c->live = 1;
    if (c->phase == 0 && ++S.live[0] == S.conns && !S.ready) {
        S.ready = 1;
        printf("READY %d\n", S.conns);
        fflush(stdout);
    }
    if (c->phase == 1 && c->live_us == 0) { /* the first time only: a later reconnect is counted as a fault */
        S.live[1]++;
        c->live_us = ts_mono_us();
        if (S.live[1] == S.conns) {
            struct timeval tv = {S.settle_ms / 1000, (S.settle_ms % 1000) * 1000};
            evtimer_add(S.settle, &tv); /* a few live ticks each, then report */
        }
    }
}

static void on_frame(client *c, const char *p, size_t len, int opcode)
{
    if (opcode != 2 || msgpack_unpack_next(&S.up, p, len, NULL) != MSGPACK_UNPACK_SUCCESS)
        return;
    const msgpack_object *m = &S.up.data, *op = wsc_get(m, "op");
    if (op == NULL || op->type != MSGPACK_OBJECT_STR)
        return;
    if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "tick", 4)) {
        tick(c, wsc_get(m, "t")->via.i64, (int32_t)wsc_get(m, "p")->via.i64);
        c->ticks_after += c->phase == 1;
    } else if (op->via.str.size == 4 && !memcmp(op->via.str.ptr, "hist", 4)) {
        const msgpack_object *ps = wsc_get(m, "p"), *more = wsc_get(m, "more");
        int64_t t0 = wsc_get(m, "t0")->via.i64, dt = wsc_get(m, "dt")->via.i64;
        for (uint32_t i = 0; i < ps->via.array.size; i++)
            tick(c, t0 + (int64_t)i * dt, (int32_t)ps->via.array.ptr[i].via.i64);
        if (c->live) /* live ticks the gateway coalesced into a run (PROTOCOL.md) */
            c->ticks_after += c->phase == 1 ? ps->via.array.size : 0;
        else if (!more->via.boolean)
            went_live(c);
    } else if (op->via.str.size == 3 && !memcmp(op->via.str.ptr, "err", 3)) {
        const msgpack_object *msg = wsc_get(m, "msg");
        fprintf(stderr, "wsstorm: client %d: err %.*s\n", c->idx, msg ? (int)msg->via.str.size : 0,
                msg ? msg->via.str.ptr : "");
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    client *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    if (!c->open) {
        char line[13];
        int up = wsc_upgraded(in, line);
        if (up == 0)
            return;
        if (up < 0) {
            S.refused++;
            lost(c);
            return;
        }
        c->open = 1;
        S.connecting--;
        pump_queue();
        char sym[TS_NAME_MAX];
        ts_instrument_name(sym, sizeof(sym), (uint32_t)(c->idx % S.instruments), (uint32_t)S.instruments);
        wsc_send_sub(bev, sym, c->have ? c->last_t : ts_now_ms() - S.since_ago);
    }
    const char *p;
    size_t len, used;
    int opcode;
    while (c->bev == bev && wsc_next_frame(in, &p, &len, &opcode, &used)) {
        if (opcode == 8) {
            if (S.closes_logged++ < 3)
                fprintf(stderr, "wsstorm: client %d closed by the gateway: %u %.*s\n", c->idx,
                        len >= 2 ? (unsigned)((uint8_t)p[0] << 8 | (uint8_t)p[1]) : 0, len > 2 ? (int)len - 2 : 0,
                        p + 2);
            lost(c);
            return;
        }
        on_frame(c, p, len, opcode);
        evbuffer_drain(in, used);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    client *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        wsc_upgrade(bev, S.host, c->phase ? S.to : S.port, 0);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (c->phase == 1 && S.closes_logged++ < 3)
            fprintf(stderr, "wsstorm: client %d lost on the second gateway (%s): %s\n", c->idx,
                    c->open ? "open" : "connecting", (what & BEV_EVENT_ERROR)
                    ? evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()) : "end of stream");
        lost(c);
    }
}

static void start(client *c)
{
    c->bev = bufferevent_socket_new(S.base, -1, BEV_OPT_CLOSE_ON_FREE);
    S.connecting++;
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)&S.addr[c->phase], sizeof(S.addr[0])) != 0) {
        if (S.closes_logged++ < 3)
            fprintf(stderr, "wsstorm: client %d: connect: %s\n", c->idx,
                    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        lost(c);
    }
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd, (void)what, (void)arg;
    fprintf(stderr, "wsstorm: timed out: %d of %d live on the first gateway, %d on the second\n", S.live[0], S.conns,
            S.live[1]);
    event_base_loopexit(S.base, NULL);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int usage(void)
{
    fprintf(stderr, "usage: wsstorm --port P --to P2 --interval-ms DT [--host H] [--conns N] [--instruments M]\n"
                    "               [--since-ago MS] [--pace K] [--retry-ms MS] [--timeout S] [--settle-ms MS]\n");
    return 2;
}

int main(int argc, char **argv)
{
    S.host = "127.0.0.1";
    S.conns = 1000;
    S.instruments = 100;
    S.since_ago = 10000;
    S.pace = 256;
    S.retry_ms = 200;
    S.timeout_s = 120;
    S.settle_ms = 1000;
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc)
            return usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port")) S.port = atoi(v);
        else if (!strcmp(k, "--to")) S.to = atoi(v);
        else if (!strcmp(k, "--host")) S.host = v;
        else if (!strcmp(k, "--conns")) S.conns = atoi(v);
        else if (!strcmp(k, "--instruments")) S.instruments = atoi(v);
        else if (!strcmp(k, "--interval-ms")) S.dt = atoll(v);
        else if (!strcmp(k, "--since-ago")) S.since_ago = atoll(v);
        else if (!strcmp(k, "--pace")) S.pace = atoi(v);
        else if (!strcmp(k, "--retry-ms")) S.retry_ms = atoi(v);
        else if (!strcmp(k, "--timeout")) S.timeout_s = atoi(v);
        else if (!strcmp(k, "--settle-ms")) S.settle_ms = atoi(v);
        else return usage();
    }
    if (S.port <= 0 || S.to <= 0 || S.dt <= 0 || S.conns < 1 || S.instruments < 1 || S.pace < 1)
        return usage();
    for (int g = 0; g < 2; g++) {
        S.addr[g].sin_family = AF_INET;
        S.addr[g].sin_port = htons((uint16_t)(g ? S.to : S.port));
        inet_pton(AF_INET, S.host, &S.addr[g].sin_addr);
    }
    S.base = event_base_new();
    msgpack_unpacked_init(&S.up);
    S.c = calloc((size_t)S.conns, sizeof(client));
    S.queue = calloc((size_t)S.conns, sizeof(int));
    S.deadline = evtimer_new(S.base, on_deadline, NULL);
    S.settle = evtimer_new(S.base, on_settled, NULL);
    if (S.base == NULL || S.c == NULL || S.queue == NULL || S.deadline == NULL || S.settle == NULL) {
        fprintf(stderr, "wsstorm: out of memory\n");
        return 1;
    }
    struct timeval tv = {S.timeout_s, 0};
    evtimer_add(S.deadline, &tv);
    for (int i = 0; i < S.conns; i++) {
        S.c[i].idx = i;
        enqueue(&S.c[i]);
    }
    event_base_dispatch(S.base);

    int64_t *ms = calloc((size_t)S.conns, sizeof(int64_t));
    int n = 0;
    uint64_t quiet = 0, holes = S.holes, dups = S.dups, steps = S.steps, closed2 = S.closed2;
    for (int i = 0; i < S.conns; i++) {
        if (S.c[i].live_us != 0 && S.lost_us != 0)
            ms[n++] = (S.c[i].live_us - S.lost_us) / 1000;
        quiet += S.c[i].live_us != 0 && S.c[i].ticks_after == 0;
    }
    qsort(ms, (size_t)n, sizeof(int64_t), cmp_i64);
    printf("{\"conns\":%d,\"moved\":%d,\"ms_to_last_live\":%lld,\"ms_p50\":%lld,\"ms_p99\":%lld,\"holes\":%llu,"
           "\"duplicates\":%llu,\"bad_steps\":%llu,\"refused\":%llu,\"retries_before\":%llu,\"retries\":%llu,\"closed_after_live\":%llu,"
           "\"no_live_tick\":%llu}\n",
           S.conns, n, n ? (long long)ms[n - 1] : -1, n ? (long long)ms[n / 2] : -1,
           n ? (long long)ms[n * 99 / 100] : -1, (unsigned long long)S.holes, (unsigned long long)S.dups,
           (unsigned long long)S.steps, (unsigned long long)S.refused, (unsigned long long)S.retries0,
           (unsigned long long)S.retries,
           (unsigned long long)S.closed2, (unsigned long long)quiet);
    free(ms);
    for (int i = 0; i < S.conns; i++)
        if (S.c[i].bev != NULL)
            bufferevent_free(S.c[i].bev);
    event_free(S.deadline);
    event_free(S.settle);
    event_base_free(S.base);
    msgpack_unpacked_destroy(&S.up);
    free(S.c);
    free(S.queue);
    int ok = n == S.conns && holes == 0 && dups == 0 && steps == 0 && closed2 == 0 && quiet == 0;
    return ok ? 0 : 1;
}
