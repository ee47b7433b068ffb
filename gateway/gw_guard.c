/* gw_guard.c — who may connect and what may be read: the per-address
 * connection limit (at accept), the Origin check of WebSocket upgrades, and
 * the guard in front of the web page's files. The rules themselves are
 * pure functions in proto/gw_policy.c; this file applies them to sockets
 * and requests. docs/PROTOCOL.md, "Who may connect", says why each exists.
 *
 * The per-address count is shared by all workers (one listening socket,
 * any worker may accept): a small hash table under one mutex, touched once
 * at accept and once at close — never on the tick path. The close is seen
 * through h2o_socket_t's public on_close hook, as h2o's own server counts
 * its connections; the socket stays the same through a WebSocket upgrade,
 * so a WebSocket is counted until it closes.
 *
 * The same hook counts every client connection against the descriptors the
 * open-files limit leaves (gw_config's max_sockets): an idle HTTP keep-alive
 * connection takes one as a WebSocket does. Past the limit accept() fails
 * (EMFILE) and a client waits in the backlog with no answer; so a
 * connection accepted past max_sockets is marked, its first request gets a
 * 503 and the connection closes. GUARD_SPARE descriptors are kept for such
 * answers (out of main.c's 64 for tickgw's own); past them a connection is
 * closed at once. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_policy.h"
#include "gw_worker.h"
#include "ts_log.h"
#include "ts_time.h"

#define GUARD_BUCKETS 4096
/* Connections past max_sockets that may wait for their 503 at once. */
#define GUARD_SPARE 16

typedef struct peer {
    struct peer *next;
    uint8_t key[16];
    int64_t conns;
} peer;

struct gw_guard {
    pthread_mutex_t mu;
    gw_nets exempt;
    int64_t max_per_ip;
    int64_t sockets, max_sockets; /* client connections of every kind (atomic), and what the limit holds */
    char webui_real[PATH_MAX];
    peer *bucket[GUARD_BUCKETS];
};

/* One accepted connection, the data of its socket's on_close. */
typedef struct conn {
    struct gw_guard *gd;
    peer *p;  /* NULL: not counted under its address */
    int over; /* accepted past max_sockets: its first request gets a 503 */
} conn;

static size_t hash_key(const uint8_t key[16])
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ key[i]) * 1099511628211ULL;
    return (size_t)(h % GUARD_BUCKETS);
}

int gw_guard_init(gw_global *g, char *err, size_t errlen)
{
    struct gw_guard *gd = calloc(1, sizeof(*gd));
    if (gd == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char why[192];
    if (gw_nets_parse(g->cfg.per_ip_exempt, &gd->exempt, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "--per-ip-exempt: %s", why);
        free(gd);
        return -1;
    }
    if (realpath(g->cfg.webui, gd->webui_real) == NULL) {
        snprintf(err, errlen, "--webui: %s: %s", g->cfg.webui, strerror(errno));
        free(gd);
        return -1;
    }
    gd->max_per_ip = g->cfg.max_conns_per_ip;
    gd->max_sockets = g->cfg.max_sockets;
    pthread_mutex_init(&gd->mu, NULL);
    g->guard = gd;
    return 0;
}

static void uncount_peer(struct gw_guard *gd, peer *p)
{
    pthread_mutex_lock(&gd->mu);
    if (--p->conns == 0) {
        peer **pp = &gd->bucket[hash_key(p->key)];
        while (*pp != p)
            pp = &(*pp)->next;
        *pp = p->next;
        free(p);
    }
    pthread_mutex_unlock(&gd->mu);
}

static void on_sock_close(void *data)
{
    conn *c = data;
    if (c->p != NULL)
        uncount_peer(c->gd, c->p);
    __atomic_fetch_sub(&c->gd->sockets, 1, __ATOMIC_RELAXED);
    free(c);
}

/* Counts sock under its peer's address (c->p); 0 to serve it, -1 when over
 * the limit. Exempt and unknown peers are not counted. */
static int count_peer(struct gw_guard *gd, h2o_socket_t *sock, conn *c)
{
    struct sockaddr_storage ss;
    uint8_t key[16];
    if (gd->max_per_ip == 0 || h2o_socket_getpeername(sock, (struct sockaddr *)&ss) == 0 ||
        gw_peer_key((struct sockaddr *)&ss, key) != 0 || gw_nets_match(&gd->exempt, (struct sockaddr *)&ss))
        return 0;
    int rc = 0;
    pthread_mutex_lock(&gd->mu);
    peer **pp = &gd->bucket[hash_key(key)];
    while (*pp != NULL && memcmp((*pp)->key, key, 16) != 0)
        pp = &(*pp)->next;
    peer *p = *pp;
    if (p == NULL && (p = calloc(1, sizeof(*p))) != NULL) {
        memcpy(p->key, key, 16);
        *pp = p;
    }
    if (p == NULL || p->conns >= gd->max_per_ip) {
        rc = -1;
    } else {
        p->conns++;
        c->p = p;
    }
    pthread_mutex_unlock(&gd->mu);
    return rc;
}

/* Whether to log a refusal now: once per worker per minute at most for each
 * kind (a flood must not flood the log). `first`: the counter was 0. */
static int log_due(int64_t *logged_at, int first)
{
    int64_t now = ts_mono_ms();
    if (!first && now - *logged_at < 60000)
        return 0;
    *logged_at = now;
    return 1;
}

int gw_guard_accept(gw_worker *w, h2o_socket_t *sock)
{
    struct gw_guard *gd = w->g->guard;
    int64_t n = __atomic_add_fetch(&gd->sockets, 1, __ATOMIC_RELAXED);
    conn *c = n <= gd->max_sockets + GUARD_SPARE ? calloc(1, sizeof(*c)) : NULL;
    if (c == NULL) {
        /* not even a 503 to spare (or no memory): closed at once */
        __atomic_fetch_sub(&gd->sockets, 1, __ATOMIC_RELAXED);
        if (log_due(&w->nofile_logged_at, GW_ADD(w->m.nofile_refused_total, 1) == 0))
            ts_warn("worker %d: a connection was closed at once: %lld client connections, past the %lld the open "
                    "files limit holds and the 503s in flight (counted in tickgw_nofile_refused_total)",
                    w->id, (long long)n, (long long)gd->max_sockets);
        h2o_socket_close(sock);
        return -1;
    }
    c->gd = gd;
    if (count_peer(gd, sock, c) != 0) {
        free(c);
        __atomic_fetch_sub(&gd->sockets, 1, __ATOMIC_RELAXED);
        if (log_due(&w->guard_logged_at, GW_ADD(w->m.per_ip_refused_total, 1) == 0))
            ts_warn("worker %d: a connection over --max-conns-per-ip %lld was closed (counted in "
                    "tickgw_per_ip_refused_total)",
                    w->id, (long long)w->g->cfg.max_conns_per_ip);
        h2o_socket_close(sock);
        return -1;
    }
    sock->on_close.cb = on_sock_close;
    sock->on_close.data = c;
    if (n > gd->max_sockets) {
        c->over = 1;
        if (log_due(&w->nofile_logged_at, GW_ADD(w->m.nofile_refused_total, 1) == 0))
            ts_warn("worker %d: %lld client connections, past the %lld the open files limit holds: the new one is "
                    "answered 503 (counted in tickgw_nofile_refused_total); raise the limit (ulimit -n, "
                    "LimitNOFILE=, docker-compose TS_NOFILE)",
                    w->id, (long long)n, (long long)gd->max_sockets);
    }
    return 0;
}

/* Whether req came on a connection accepted past max_sockets. */
static int over(h2o_req_t *req)
{
    h2o_socket_t *sock = req->conn->callbacks->get_socket != NULL ? req->conn->callbacks->get_socket(req->conn) : NULL;
    return sock != NULL && sock->on_close.cb == on_sock_close && ((conn *)sock->on_close.data)->over;
}

/* Before a client path's handlers: such a connection gets a 503 and closes. */
static int on_client_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    if (!over(req))
        return -1;
    req->http1_is_persistent = 0;
    h2o_send_error_503(req, "Service Unavailable", "too many connections (open files limit)\n", 0);
    return 0;
}

/* Before a probe's (/healthz, /readyz, /metrics): it is answered, as a full
 * gateway is not a dead one, then closed. */
static int on_probe_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    if (over(req))
        req->http1_is_persistent = 0;
    return -1;
}

void gw_guard_register_any(h2o_pathconf_t *pc, int probe)
{
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = probe ? on_probe_req : on_client_req;
}

int gw_guard_origin(h2o_req_t *req, gw_worker *w)
{
    /* h2o 2.2 has no token for Origin: found by name (h2o lower-cases names). */
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("origin"), -1);
    const h2o_iovec_t *o = i >= 0 ? &req->headers.entries[i].value : NULL;
    if (gw_origin_allowed(o ? o->base : NULL, o ? o->len : 0, req->input.authority.base, req->input.authority.len,
                          w->g->cfg.allowed_origins))
        return 1;
    GW_ADD(w->m.origin_refused_total, 1);
    return 0;
}

/* In front of the file handler: a path whose file lies outside --webui once
 * symlinks are resolved, a dot file, or a build fragment (*.mk) is 404. */
static int on_file_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    struct gw_guard *gd = gw_worker_of(req->conn->ctx)->g->guard;
    char path[PATH_MAX], real[PATH_MAX];
    h2o_iovec_t p = req->path_normalized;
    int n = snprintf(path, sizeof(path), "%s%.*s%s", gd->webui_real, (int)p.len, p.base,
                     p.len > 0 && p.base[p.len - 1] == '/' ? "index.html" : "");
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    size_t nl = strlen(name), rl = strlen(gd->webui_real);
    int refuse = n < 0 || (size_t)n >= sizeof(path) || memchr(p.base, '\0', p.len) != NULL || name[0] == '.' ||
                 (nl >= 3 && !strcmp(name + nl - 3, ".mk"));
    /* A file that does not exist is the file handler's 404; one that does
     * must resolve to a place under the page's directory. */
    if (!refuse && realpath(path, real) != NULL)
        refuse = strncmp(real, gd->webui_real, rl) != 0 || (real[rl] != '/' && real[rl] != '\0');
    if (!refuse)
        return -1; /* the next handler: h2o's files */
    h2o_send_error_404(req, "Not Found", "not found\n", 0);
    return 0;
}

void gw_guard_register_files(h2o_pathconf_t *pc)
{
    h2o_handler_t *h = h2o_create_handler(pc, sizeof(*h));
    h->on_req = on_file_req;
}
