/* ts_redis_url.c — see ts_redis_url.h. Strict on purpose: a typo in a URL
 * must fail at start with a message, not connect somewhere surprising. */
#include "ts_redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_str.h"

/* Parses n digits as an int in [lo, hi]. */
static int parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
    int64_t v;
    if (ts_parse_digits(s, n, hi, &v) != 0 || v < lo)
        return -1;
    *out = (int)v;
    return 0;
}

int ts_redis_url_parse(const char *s, ts_redis_url *out, char *err, size_t errlen)
{
    static const char scheme[] = "redis://";
    memset(out, 0, sizeof(*out));
    out->port = 6379;

    if (strncmp(s, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(err, errlen, "'%s' is not a redis:// URL", s);
        return -1;
    }
    const char *p = s + sizeof(scheme) - 1;
    const char *at = strrchr(p, '@');
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL) {
            snprintf(err, errlen, "'%s': credentials must be ':password@' or 'user:password@'", s);
            return -1;
        }
        size_t ulen = (size_t)(colon - p), plen = (size_t)(at - colon - 1);
        if (ulen >= sizeof(out->user) || plen >= sizeof(out->password)) {
            snprintf(err, errlen, "'%s': user or password too long", s);
            return -1;
        }
        memcpy(out->user, p, ulen);
        memcpy(out->password, colon + 1, plen);
        p = at + 1;
    }
    const char *slash = strchr(p, '/');
    const char *hostend = slash ? slash : p + strlen(p);
    const char *colon = memchr(p, ':', (size_t)(hostend - p));
    const char *namend = colon ? colon : hostend;
    size_t hlen = (size_t)(namend - p);
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        snprintf(err, errlen, "'%s' has no host", s);
        return -1;
    }
    memcpy(out->host, p, hlen);
    if (colon && parse_int(colon + 1, (size_t)(hostend - colon - 1), 1, 65535, &out->port) != 0) {
        snprintf(err, errlen, "'%s' has a bad port (1-65535)", s);
        return -1;
    }
    if (slash && slash[1] != '\0' && parse_int(slash + 1, strlen(slash + 1), 0, 100000, &out->db) != 0) {
        snprintf(err, errlen, "'%s' has a bad database number", s);
        return -1;
    }
    return 0;
}
