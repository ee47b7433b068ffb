/* fuzz.h — what the libFuzzer targets of tests/fuzz share.
 *
 * Each target feeds outside bytes to one parser and checks what the parser
 * promises in its header (FUZZ_CHECK aborts, which libFuzzer reports as a
 * crash with the input that caused it). Built with clang
 * -fsanitize=fuzzer,address,undefined (tests/fuzz/module.mk). */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_redis_url.h"

#define FUZZ_CHECK(cond)                                                                                               \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                    \
            abort();                                                                                                   \
        }                                                                                                              \
    } while (0)

/* A message buffer the parser must leave NUL-terminated. */
static inline void fuzz_check_msg(const char *msg, size_t size)
{
    FUZZ_CHECK(memchr(msg, '\0', size) != NULL);
}

/* A malloc'ed copy of d[0..n), or NULL. With nul, a NUL follows (for the
 * parsers of C strings); without, the block ends with the bytes, so ASan
 * reports a read even one byte past them. */
static inline char *fuzz_copy(const uint8_t *d, size_t n, int nul)
{
    char *s = malloc(n + (nul || n == 0 ? 1 : 0));
    if (s != NULL) {
        memcpy(s, d, n);
        if (nul)
            s[n] = '\0';
    }
    return s;
}

/* What a parsed Redis URL promises (ts_redis_url.h): a server host:port, or
 * for redis-sentinel:// 1..TS_SENTINELS_MAX sentinels and a master name. */
static inline int fuzz_addr_ok(const char *host, size_t size, int port)
{
    return host[0] != '\0' && memchr(host, '\0', size) != NULL && port >= 1 && port <= 65535;
}

static inline int fuzz_url_ok(const ts_redis_url *u)
{
    if (u->nsentinels == 0)
        return fuzz_addr_ok(u->host, sizeof(u->host), u->port);
    if (u->nsentinels < 0 || u->nsentinels > TS_SENTINELS_MAX || u->master[0] == '\0' ||
        memchr(u->master, '\0', sizeof(u->master)) == NULL)
        return 0;
    for (int i = 0; i < u->nsentinels; i++)
        if (!fuzz_addr_ok(u->sentinels[i].host, sizeof(u->sentinels[i].host), u->sentinels[i].port))
            return 0;
    return 1;
}

#endif
