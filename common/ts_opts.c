/* ts_opts.c — see ts_opts.h. */
#include "ts_opts.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_time.h"

static int parse_bool(const char *s, int *out)
{
    if (!strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
        *out = 1;
    else if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
        *out = 0;
    else
        return -1;
    return 0;
}

/* Parses one value into o->dst; on error writes why into err. */
static int set_value(const ts_opt *o, const char *v, char *err, size_t errlen)
{
    char why[256] = "";
    int64_t i64 = 0;
    char *end;

    switch (o->type) {
    case TS_OPT_STRING:
        *(const char **)o->dst = v;
        return 0;
    case TS_OPT_BOOL:
        if (parse_bool(v, (int *)o->dst) == 0)
            return 0;
        snprintf(why, sizeof(why), "'%s' is not 1/0/true/false", v);
        break;
    case TS_OPT_REDIS:
        if (ts_redis_url_parse(v, (ts_redis_url *)o->dst, why, sizeof(why)) == 0)
            return 0;
        break;
    case TS_OPT_U64:
        errno = 0;
        *(uint64_t *)o->dst = strtoull(v, &end, 0);
        if (errno == 0 && end != v && *end == '\0' && v[0] != '-')
            return 0;
        snprintf(why, sizeof(why), "'%s' is not an unsigned 64-bit number", v);
        break;
    case TS_OPT_INT:
        errno = 0;
        i64 = strtoll(v, &end, 10);
        if (errno != 0 || end == v || *end != '\0') {
            snprintf(why, sizeof(why), "'%s' is not a whole number", v);
            break;
        }
        /* fall through */
    case TS_OPT_DURATION:
        if (o->type == TS_OPT_DURATION && ts_parse_duration_ms(v, &i64, why, sizeof(why)) != 0)
            break;
        if (i64 < o->min || i64 > o->max) {
            if (o->type == TS_OPT_DURATION) {
                char lo[32], hi[32];
                ts_format_duration_ms(o->min, lo, sizeof(lo));
                ts_format_duration_ms(o->max, hi, sizeof(hi));
                snprintf(why, sizeof(why), "'%s' is out of range (%s to %s)", v, lo, hi);
            } else {
                snprintf(why, sizeof(why), "%" PRId64 " is out of range (%" PRId64 " to %" PRId64 ")", i64,
                         o->min, o->max);
            }
            break;
        }
        *(int64_t *)o->dst = i64;
        return 0;
    }
    snprintf(err, errlen, "--%s: %s", o->name, why);
    return -1;
}

static const ts_opt *find_flag(const ts_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

/* An error quotes what the user gave, which may hold control characters
 * (a newline in an argument): err stays one printable line (fuzz_opts). */
static ts_opts_result fail(char *err)
{
    for (char *c = err; *c != '\0'; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
    return TS_OPTS_ERROR;
}

ts_opts_result ts_opts_parse(const ts_opt *opts, size_t n, int argc, char **argv, char *err, size_t errlen)
{
    for (int a = 1; a < argc; a++)
        if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h"))
            return TS_OPTS_HELP;
    /* Defaults, then the environment: both lose to flags below. */
    for (size_t i = 0; i < n; i++) {
        const ts_opt *o = &opts[i];
        if (o->type == TS_OPT_BOOL)
            *(int *)o->dst = 0;
        if (o->def != NULL && set_value(o, o->def, err, errlen) != 0)
            return fail(err);
        const char *env = o->env ? getenv(o->env) : NULL;
        if (env != NULL && env[0] != '\0' && set_value(o, env, err, errlen) != 0) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " (from %s)", o->env);
            return fail(err);
        }
    }
    for (int a = 1; a < argc; a++) {
        const char *arg = argv[a];
        if (strncmp(arg, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s' (see --help)", arg);
            return fail(err);
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const ts_opt *o = find_flag(opts, n, name, nlen);
        if (o == NULL) {
            snprintf(err, errlen, "unknown option '--%.*s' (see --help)", (int)nlen, name);
            return fail(err);
        }
        const char *val = eq ? eq + 1 : NULL;
        if (o->type == TS_OPT_BOOL && val == NULL) {
            *(int *)o->dst = 1;
            continue;
        }
        if (val == NULL) {
            if (a + 1 >= argc) {
                snprintf(err, errlen, "--%s needs a value", o->name);
                return fail(err);
            }
            val = argv[++a];
        }
        if (set_value(o, val, err, errlen) != 0)
            return fail(err);
    }
    return TS_OPTS_OK;
}

void ts_opts_usage(const char *prog, const char *summary, const ts_opt *opts, size_t n)
{
    printf("Usage: %s [OPTIONS]\n%s\n\nOptions (flag, environment variable, default):\n", prog, summary);
    for (size_t i = 0; i < n; i++) {
        const ts_opt *o = &opts[i];
        char flag[64];
        snprintf(flag, sizeof(flag), "--%s%s", o->name, o->type == TS_OPT_BOOL ? "" : " VALUE");
        printf("  %-26s %s\n  %-26s env %s", flag, o->help, "", o->env ? o->env : "-");
        if (o->def != NULL)
            printf(", default %s", o->def);
        printf("\n");
    }
    printf("  %-26s %s\n", "--help", "show this help and exit");
}
