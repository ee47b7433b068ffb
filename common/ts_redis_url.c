/* ts_redis_url.c — see ts_redis_url.h. Strict on purpose: a typo in a URL
 * must fail at start with a message, not connect somewhere surprising. */
#include "ts_redis_url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_str.h"
#include "ts_url_redact.h"

/* Parses n digits as an int in [lo, hi]. */
static int parse_int(const char *s, size_t n, int lo, int hi, int *out)
{
    int64_t v;
    if (ts_parse_digits(s, n, hi, &v) != 0 || v < lo)
        return -1;
    *out = (int)v;
    return 0;
}

/* Parses host[:port] in [p, end) into a, default port dflt: -1 for an
 * empty or too long host or one with other than name characters (ts_str.h:
 * a host is logged, and so must not be a password typed out of place), -2
 * for a bad port. */
static int parse_addr(const char *p, const char *end, int dflt, ts_redis_addr *a)
{
    const char *colon = memchr(p, ':', (size_t)(end - p));
    const char *namend = colon ? colon : end;
    size_t hlen = (size_t)(namend - p);
    if (hlen == 0 || hlen >= sizeof(a->host) || !ts_all_name_chars(p, hlen))
        return -1;
    memcpy(a->host, p, hlen);
    a->host[hlen] = '\0';
    a->port = dflt;
    if (colon && parse_int(colon + 1, (size_t)(end - colon - 1), 1, 65535, &a->port) != 0)
        return -2;
    return 0;
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A credential: [p, p+n) percent-decoded into dst[cap], as in any URL's
 * user info, so that a password may hold the characters that delimit the
 * URL ('@' ':' '/' '?' '&' '%' as %40 %3A %2F %3F %26 %25). -1 when it does
 * not fit, -3 for a '%' not followed by two hex digits or a %00 (Redis
 * passwords are sent as C strings here). */
static int copy_cred(char *dst, size_t cap, const char *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '%') {
            if (i + 2 >= n || hex_val(p[i + 1]) < 0 || hex_val(p[i + 2]) < 0)
                return -3;
            c = (char)(hex_val(p[i + 1]) * 16 + hex_val(p[i + 2]));
            if (c == '\0')
                return -3;
            i += 2;
        }
        if (o + 1 >= cap)
            return -1;
        dst[o++] = c;
    }
    dst[o] = '\0';
    return 0;
}

/* One name=value of the query; -1 for an unknown, repeated or bad one, -3
 * for a bad percent-escape in a credential. */
static int parse_param(const char *p, size_t n, ts_redis_url *out, unsigned *seen)
{
    static const char *const names[] = {"db=", "sentinel_user=", "sentinel_password="};
    for (unsigned i = 0; i < 3; i++) {
        size_t k = strlen(names[i]);
        if (n < k || strncmp(p, names[i], k) != 0)
            continue;
        if (*seen & (1u << i))
            return -1;
        *seen |= 1u << i;
        if (i == 0)
            return parse_int(p + k, n - k, 0, 100000, &out->db);
        if (i == 1)
            return copy_cred(out->sentinel_user, sizeof(out->sentinel_user), p + k, n - k);
        return n > k ? copy_cred(out->sentinel_password, sizeof(out->sentinel_password), p + k, n - k) : -1;
    }
    return -1;
}

/* The part after the addresses of a redis-sentinel:// URL: /master[?query]. */
static int parse_sentinel_path(const char *slash, ts_redis_url *out, char *err, size_t errlen)
{
    const char *name = slash ? slash + 1 : "";
    const char *q = strchr(name, '?');
    size_t nlen = q ? (size_t)(q - name) : strlen(name);
    if (nlen == 0 || nlen >= sizeof(out->master) || !ts_all_name_chars(name, nlen)) {
        /* sentinel.conf's charset; an '&' in it was a '?' forgotten, and it
         * would log the parameters after it as the name */
        snprintf(err, errlen, "needs the master's name (letters, digits, '.', '-', '_'), then any ?query: "
                              "redis-sentinel://host:26379,…/mymaster");
        return -1;
    }
    memcpy(out->master, name, nlen);
    if (q == NULL)
        return 0;
    if (strchr(q + 1, '?') != NULL) {
        /* db=1?sentinel_password=… was an '&' mistyped, not a value */
        snprintf(err, errlen, ": a second '?' in the query: its parameters are joined by & (a '?' in a value is %%3F)");
        return -1;
    }
    unsigned seen = 0;
    for (const char *p = q + 1;;) {
        size_t n = strcspn(p, "&");
        int rc = parse_param(p, n, out, &seen);
        if (rc == -3) {
            snprintf(err, errlen, ": a '%%' in sentinel_user or sentinel_password must start %%XX (two hex digits, not %%00)");
            return -1;
        }
        if (rc != 0) {
            snprintf(err, errlen,
                     ": the query takes db=N, sentinel_user=U and sentinel_password=P, each once, joined by &");
            return -1;
        }
        if (p[n] == '\0')
            break;
        p += n + 1;
    }
    if (out->sentinel_user[0] != '\0' && out->sentinel_password[0] == '\0') {
        snprintf(err, errlen, ": sentinel_user needs sentinel_password");
        return -1;
    }
    return 0;
}

static int parse_sentinels(const char *p, ts_redis_url *out, char *err, size_t errlen)
{
    const char *slash = strchr(p, '/');
    const char *end = slash ? slash : p + strlen(p);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *aend = comma ? comma : end;
        if (out->nsentinels == TS_SENTINELS_MAX) {
            snprintf(err, errlen, "names more than %d sentinels", TS_SENTINELS_MAX);
            return -1;
        }
        int rc = parse_addr(p, aend, 26379, &out->sentinels[out->nsentinels]);
        if (rc != 0) {
            snprintf(err, errlen, "%s",
                     rc == -1 ? "has an empty, too long or bad sentinel host (letters, digits, '.', '-', '_')"
                              : "has a bad sentinel port (1-65535)");
            return -1;
        }
        out->nsentinels++;
        p = comma ? comma + 1 : aend;
    }
    if (out->nsentinels == 0) {
        snprintf(err, errlen, "names no sentinel");
        return -1;
    }
    out->port = 0;
    return parse_sentinel_path(slash, out, err, errlen);
}

/* The '@' that ends the credentials of the addresses part p (after the
 * scheme), or NULL: the last '@', before the query of a sentinel URL (a
 * password may hold '@'). ts_url_redact does not use it: it masks more. */
static const char *cred_end(const char *p, int sentinel)
{
    const char *q = sentinel ? strchr(p, '?') : NULL;
    const char *at = NULL;
    for (const char *c = p; *c != '\0' && c != q; c++)
        if (*c == '@')
            at = c;
    return at;
}

static const char scheme[] = "redis://", sscheme[] = "redis-sentinel://";

/* Parses s; on error, what is wrong in err, to follow the URL. */
static int parse_url(const char *s, ts_redis_url *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;

    int sentinel = strncmp(s, sscheme, sizeof(sscheme) - 1) == 0;
    if (!sentinel && strncmp(s, scheme, sizeof(scheme) - 1) != 0) {
        snprintf(err, errlen, "is not a redis:// or redis-sentinel:// URL");
        return -1;
    }
    const char *p = s + (sentinel ? sizeof(sscheme) : sizeof(scheme)) - 1;
    const char *at = cred_end(p, sentinel);
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon == NULL) {
            snprintf(err, errlen, ": credentials must be ':password@' or 'user:password@'");
            return -1;
        }
        int ru = copy_cred(out->user, sizeof(out->user), p, (size_t)(colon - p));
        int rp = copy_cred(out->password, sizeof(out->password), colon + 1, (size_t)(at - colon - 1));
        if (ru != 0 || rp != 0) {
            snprintf(err, errlen, "%s",
                     ru == -3 || rp == -3 ? ": a '%' in the user or password must start %XX (two hex digits, not %00)"
                                          : ": user or password too long");
            return -1;
        }
        p = at + 1;
    }
    if (sentinel)
        return parse_sentinels(p, out, err, errlen);
    const char *slash = strchr(p, '/');
    const char *hostend = slash ? slash : p + strlen(p);
    ts_redis_addr a;
    int rc = parse_addr(p, hostend, 6379, &a);
    if (rc != 0) {
        snprintf(err, errlen, "%s",
                 rc == -1 ? "has no host, or a bad one (letters, digits, '.', '-', '_')" : "has a bad port (1-65535)");
        return -1;
    }
    memcpy(out->host, a.host, sizeof(out->host));
    out->port = a.port;
    if (slash && slash[1] != '\0' && parse_int(slash + 1, strlen(slash + 1), 0, 100000, &out->db) != 0) {
        snprintf(err, errlen, "has a bad database number");
        return -1;
    }
    return 0;
}

int ts_redis_url_parse(const char *s, ts_redis_url *out, char *err, size_t errlen)
{
    char why[256] = "";
    if (parse_url(s, out, why, sizeof(why)) == 0)
        return 0;
    char shown[512];
    ts_url_redact(s, shown, sizeof(shown));
    snprintf(err, errlen, "'%s'%s%s", shown, why[0] == ':' ? "" : " ", why);
    return -1;
}

void ts_redis_url_describe(const ts_redis_url *u, char *buf, size_t n)
{
    if (u->nsentinels == 0) {
        snprintf(buf, n, "%s:%d", u->host, u->port);
        return;
    }
    size_t off = (size_t)snprintf(buf, n, "sentinels ");
    for (int i = 0; i < u->nsentinels && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, "%s%s:%d", i ? "," : "", u->sentinels[i].host, u->sentinels[i].port);
    if (off < n)
        snprintf(buf + off, n - off, " master %s", u->master);
}
