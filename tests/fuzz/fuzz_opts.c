/* fuzz_opts.c — ts_opts_parse (common/ts_opts.c): command-line flags and a
 * TS_* environment variable, with a table that has one option of every
 * type (int, duration, string, bool, Redis URL, u64). The input is split at
 * NUL bytes: the first piece becomes the environment variable TS_FZ_RETENTION
 * (unset when empty), the others are argv[1..]. Checks: an error names a
 * flag or an argument in one NUL-terminated line; on success every int lies
 * within its [min, max]. */
#include "fuzz.h"
#include "ts_opts.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = fuzz_copy(data, size, 1);
    if (copy == NULL)
        return 0;
    char *argv[MAX_ARGS + 2] = {"fuzz_opts"};
    int argc = 1;
    char *p = copy, *end = copy + size;
    if (*p != '\0')
        setenv("TS_FZ_RETENTION", p, 1);
    else
        unsetenv("TS_FZ_RETENTION");
    p += strlen(p) + 1;
    while (p < end && argc <= MAX_ARGS) {
        argv[argc++] = p;
        p += strlen(p) + 1;
    }
    argv[argc] = NULL;

    int64_t count = -1, retention = -1;
    const char *name = NULL;
    int flag = -1;
    ts_redis_url url;
    uint64_t seed = 0;
    const ts_opt opts[] = {
        {"count", "TS_FZ_COUNT", TS_OPT_INT, &count, "100", 1, 10000, "a count"},
        {"retention", "TS_FZ_RETENTION", TS_OPT_DURATION, &retention, "24h", 1000, 7LL * 86400 * 1000, "a time"},
        {"name", "TS_FZ_NAME", TS_OPT_STRING, &name, "x", 0, 0, "a string"},
        {"flag", "TS_FZ_FLAG", TS_OPT_BOOL, &flag, NULL, 0, 0, "a switch"},
        {"redis", "TS_FZ_REDIS", TS_OPT_REDIS, &url, "redis://127.0.0.1:6379", 0, 0, "a URL"},
        {"seed", "TS_FZ_SEED", TS_OPT_U64, &seed, "0x7469636b73747265", 0, 0, "a number"},
    };
    char err[512];
    memset(err, 'x', sizeof(err));
    ts_opts_result r = ts_opts_parse(opts, sizeof(opts) / sizeof(opts[0]), argc, argv, err, sizeof(err));
    FUZZ_CHECK(r == TS_OPTS_OK || r == TS_OPTS_HELP || r == TS_OPTS_ERROR);
    if (r == TS_OPTS_ERROR) {
        fuzz_check_msg(err, sizeof(err));
        FUZZ_CHECK(strchr(err, '\n') == NULL || strchr(err, '\n') > err + strlen(err) - 1);
    } else if (r == TS_OPTS_OK) {
        FUZZ_CHECK(count >= 1 && count <= 10000);
        FUZZ_CHECK(retention >= 1000 && retention <= 7LL * 86400 * 1000);
        FUZZ_CHECK(name != NULL && (flag == 0 || flag == 1));
        FUZZ_CHECK(fuzz_url_ok(&url));
    }
    free(copy);
    return 0;
}
