/* fuzz_url.c — ts_redis_url_parse (common/ts_redis_url.c), the --redis /
 * TS_REDIS_URL value, and ts_url_redact, which shows it in an error.
 * Checks: -1 with a reason, or 0 with a non-empty NUL-terminated host and a
 * port in 1..65535 (for redis-sentinel://: 1..8 such sentinels and a
 * non-empty master name), a db in 0..100000 and NUL-terminated credentials
 * (the sentinels' own only with Sentinel, a user only with a password), and
 * a description for the logs of name characters, digits, ':', ',' and ' '
 * only. Whatever the input, the redacted URL keeps ts_url_redact.c's
 * promises: every '@' follows ***, every "password=" is followed by *** or
 * nothing, every ':' but the scheme's by a digit, *** or a delimiter. */
#include "fuzz.h"
#include "ts_redis_url.h"
#include "ts_str.h"
#include "ts_url_redact.h"

static void check_redacted(const char *s)
{
    char shown[512];
    ts_url_redact(s, shown, sizeof(shown));
    FUZZ_CHECK(memchr(shown, '\0', sizeof(shown)) != NULL);
    const char *from = shown, *sep = strstr(shown, "://");
    if (sep != NULL) {
        const char *c = shown;
        while (c < sep && (ts_is_name_char(*c) || *c == '+'))
            c++;
        if (c == sep && c > shown)
            from = sep + 3; /* the scheme's ':' */
    }
    for (const char *c = from; *c != '\0'; c++) {
        if (*c == '@')
            FUZZ_CHECK(c - shown >= 3 && strncmp(c - 3, "***", 3) == 0);
        if (*c == ':')
            FUZZ_CHECK((c[1] >= '0' && c[1] <= '9') || strchr("*,/?&", c[1]) != NULL);
    }
    for (const char *c = shown; (c = strstr(c, "password=")) != NULL; c++)
        FUZZ_CHECK(c[9] == '\0' || strchr("*&?", c[9]) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_copy(data, size, 1);
    if (s == NULL)
        return 0;
    ts_redis_url u;
    char err[256];
    memset(err, 'x', sizeof(err));
    if (ts_redis_url_parse(s, &u, err, sizeof(err)) != 0) {
        fuzz_check_msg(err, sizeof(err));
    } else {
        FUZZ_CHECK(fuzz_url_ok(&u));
        FUZZ_CHECK(u.db >= 0 && u.db <= 100000);
        FUZZ_CHECK(memchr(u.user, '\0', sizeof(u.user)) != NULL);
        FUZZ_CHECK(memchr(u.password, '\0', sizeof(u.password)) != NULL);
        FUZZ_CHECK(memchr(u.sentinel_user, '\0', sizeof(u.sentinel_user)) != NULL);
        FUZZ_CHECK(memchr(u.sentinel_password, '\0', sizeof(u.sentinel_password)) != NULL);
        /* a sentinel user never comes without its password, and only with Sentinel */
        FUZZ_CHECK(u.sentinel_user[0] == '\0' || u.sentinel_password[0] != '\0');
        FUZZ_CHECK(u.sentinel_password[0] == '\0' || u.nsentinels > 0);
        char desc[2600];
        ts_redis_url_describe(&u, desc, sizeof(desc));
        for (const char *c = desc; *c != '\0'; c++)
            FUZZ_CHECK(ts_is_name_char(*c) || *c == ':' || *c == ',' || *c == ' ');
    }
    check_redacted(s);
    free(s);
    return 0;
}
