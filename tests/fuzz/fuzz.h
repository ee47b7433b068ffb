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

#endif
