/* fuzz_url.c — ts_redis_url_parse (common/ts_redis_url.c), the --redis /
 * TS_REDIS_URL value. Checks: -1 with a reason, or 0 with a non-empty
 * NUL-terminated host and a port in 1..65535 (for redis-sentinel://: 1..8
 * such sentinels and a non-empty master name), a db in 0..100000 and
 * NUL-terminated credentials (the sentinels' own only with Sentinel, a user
 * only with a password). */
#include "fuzz.h"
#include "ts_redis_url.h"

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
    }
    free(s);
    return 0;
}
