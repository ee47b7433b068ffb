/* ts_opts.h — command-line flags and TS_* environment variables, one table.
 *
 * Each daemon describes its options once; the same table parses flags,
 * environment variables and defaults and prints --help, so the three can
 * never disagree. Precedence: flag, then environment, then default. */
#ifndef TS_OPTS_H
#define TS_OPTS_H

#include <stddef.h>
#include <stdint.h>

#include "ts_redis_url.h"

typedef enum {
    TS_OPT_INT,      /* int64_t, checked against [min, max] */
    TS_OPT_DURATION, /* int64_t ms from "90s", "15m", "24h"; checked against [min, max] */
    TS_OPT_STRING,   /* const char *, points into argv/environ/default */
    TS_OPT_BOOL,     /* int; a flag takes no value, the env var takes 1/0/true/false */
    TS_OPT_REDIS,    /* ts_redis_url */
    TS_OPT_U64,      /* uint64_t, decimal or 0x hex */
} ts_opt_type;

typedef struct ts_opt {
    const char *name; /* "interval-ms": the flag is --interval-ms */
    const char *env;  /* "TS_INTERVAL_MS" */
    ts_opt_type type;
    void *dst;
    const char *def; /* default, written as a user would; NULL for none (BOOL: off) */
    int64_t min, max;
    const char *help;
} ts_opt;

typedef enum { TS_OPTS_OK = 0, TS_OPTS_HELP = 1, TS_OPTS_ERROR = -1 } ts_opts_result;

/* Fills every dst. On TS_OPTS_ERROR err holds one line naming the flag. */
ts_opts_result ts_opts_parse(const ts_opt *opts, size_t n, int argc, char **argv, char *err, size_t errlen);
void ts_opts_usage(const char *prog, const char *summary, const ts_opt *opts, size_t n);

#endif
