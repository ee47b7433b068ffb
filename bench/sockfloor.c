/* sockfloor — the kernel's floor for a tick fan-out on this machine.
 *
 * One thread writes a 37-byte message (the size of a msgpack live tick in a
 * WebSocket frame) to each of N loopback TCP sockets, as tickgw does for one
 * tick; a child process reads the peers with epoll, as wsload does. Printed:
 * the time of one such round (median and best of R rounds, one every 200 ms)
 * and per write. No h2o, no wslay, no Redis: what is left is the kernel's
 * cost of a small loopback write, which includes the receiver's TCP input
 * and its wake-up. bench/gateway.sh prints it beside tickgw's fan-out time,
 * so the gateway's overhead is a ratio from one run.
 *
 * usage: sockfloor [N] [R] [CPU]   (default 1000 sockets, 20 rounds; CPU: pin
 * the writer there, the reader keeps the affinity it was started with) */
#include <arpa/inet.h>
#include <sched.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MSG_BYTES 37

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The reader: drains every socket until it has seen all rounds or 5 s pass idle. */
static void reader(const int *fds, int n, long expect)
{
    int ep = epoll_create1(0);
    for (int i = 0; i < n; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.fd = fds[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e);
    }
    struct epoll_event ev[256];
    char buf[4096];
    long got = 0;
    while (got < expect) {
        int k = epoll_wait(ep, ev, 256, 5000);
        if (k <= 0)
            break;
        for (int j = 0; j < k; j++) {
            ssize_t r = read(ev[j].data.fd, buf, sizeof(buf));
            if (r > 0)
                got += r;
        }
    }
    _exit(got == expect ? 0 : 1);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = argc > 2 ? atoi(argv[2]) : 20;
    if (n < 1 || n > 60000 || rounds < 1 || rounds > 10000) {
        fprintf(stderr, "usage: sockfloor [sockets 1..60000] [rounds 1..10000]\n");
        return 2;
    }
    struct rlimit rl = {(rlim_t)2 * n + 64, (rlim_t)2 * n + 64};
    setrlimit(RLIMIT_NOFILE, &rl);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 4096) != 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
        perror("sockfloor: listen");
        return 1;
    }
    int *cl = calloc((size_t)n, sizeof(int)), *sv = calloc((size_t)n, sizeof(int)), one = 1;
    for (int i = 0; i < n; i++) {
        cl[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (cl[i] < 0 || connect(cl[i], (struct sockaddr *)&a, sizeof(a)) != 0 || (sv[i] = accept(ls, NULL, NULL)) < 0) {
            perror("sockfloor: connect");
            return 1;
        }
        setsockopt(sv[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    pid_t child = fork();
    if (child == 0) {
        for (int i = 0; i < n; i++)
            close(sv[i]);
        reader(cl, n, (long)n * rounds * MSG_BYTES);
    }
    for (int i = 0; i < n; i++)
        close(cl[i]);
    if (argc > 3) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(atoi(argv[3]), &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            perror("sockfloor: sched_setaffinity");
    }
    char msg[MSG_BYTES];
    memset(msg, 'x', sizeof(msg));
    double *d = calloc((size_t)rounds, sizeof(double));
    for (int r = 0; r < rounds; r++) {
        usleep(200000); /* let the reader go back to sleep, as between two ticks */
        double t0 = now_s();
        for (int i = 0; i < n; i++)
            if (write(sv[i], msg, sizeof(msg)) != (ssize_t)sizeof(msg)) {
                perror("sockfloor: write");
                return 1;
            }
        d[r] = now_s() - t0;
    }
    int status = 1;
    waitpid(child, &status, 0);
    qsort(d, (size_t)rounds, sizeof(double), cmp_double);
    double med = d[rounds / 2];
    printf("{\"sockets\":%d,\"rounds\":%d,\"median_ms\":%.3f,\"best_ms\":%.3f,\"us_per_write\":%.2f,\"reader_ok\":%s}\n", n,
           rounds, med * 1e3, d[0] * 1e3, med / n * 1e6, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "true" : "false");
    return 0;
}
