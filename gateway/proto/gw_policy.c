/* gw_policy.c — see gw_policy.h. */
#include "gw_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* host[:port] with the scheme's default port dropped: what two spellings of
 * one origin share. s/n is the authority; returns its length without ":80"
 * (http) or ":443" (https). The Host header is read with the Origin's
 * scheme: the gateway cannot know whether TLS ended in front of it. */
static size_t authority_len(const char *s, size_t n, int https)
{
    const char *port = https ? ":443" : ":80";
    size_t pl = strlen(port);
    return n > pl && !memcmp(s + n - pl, port, pl) ? n - pl : n;
}

/* Splits "scheme://authority" (no path); returns 0 with the authority and
 * https = 0/1, or -1. */
static int split_origin(const char *o, size_t n, const char **auth, size_t *alen, int *https)
{
    if (n > 7 && !strncasecmp(o, "http://", 7)) {
        *https = 0;
        *auth = o + 7;
        *alen = n - 7;
    } else if (n > 8 && !strncasecmp(o, "https://", 8)) {
        *https = 1;
        *auth = o + 8;
        *alen = n - 8;
    } else {
        return -1;
    }
    return memchr(*auth, '/', *alen) == NULL ? 0 : -1;
}

/* The next comma-separated item of a list, spaces trimmed: 1 and the item
 * (possibly empty), or 0 at the end of the list. */
static int next_item(const char **cur, const char **item, size_t *n)
{
    const char *p = *cur;
    if (p == NULL || *p == '\0')
        return 0;
    const char *comma = strchr(p, ','), *end = comma ? comma : p + strlen(p);
    while (p < end && *p == ' ')
        p++;
    *item = p;
    *n = (size_t)(end - p);
    while (*n > 0 && p[*n - 1] == ' ')
        (*n)--;
    *cur = comma ? comma + 1 : end;
    return 1;
}

static int same_authority(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && an > 0 && strncasecmp(a, b, an) == 0 && memchr(a, '\0', an) == NULL;
}

int gw_origin_allowed(const char *origin, size_t olen, const char *host, size_t hlen, const char *allowed)
{
    if (origin == NULL)
        return 1;
    const char *auth;
    size_t alen;
    int https;
    int parsed = split_origin(origin, olen, &auth, &alen, &https) == 0;
    if (parsed && host != NULL &&
        same_authority(auth, authority_len(auth, alen, https), host, authority_len(host, hlen, https)))
        return 1;
    const char *cur = allowed, *p;
    size_t n;
    while (next_item(&cur, &p, &n)) {
        const char *la;
        size_t llen;
        int lhttps;
        if (n == 1 && *p == '*')
            return 1;
        if (parsed && split_origin(p, n, &la, &llen, &lhttps) == 0 && lhttps == https &&
            same_authority(auth, authority_len(auth, alen, https), la, authority_len(la, llen, lhttps)))
            return 1;
        if (!parsed && n == olen && n > 0 && !memcmp(p, origin, n))
            return 1; /* "null" and other opaque origins, only when listed */
    }
    return 0;
}

static int parse_net(const char *s, size_t n, gw_nets *out)
{
    char buf[64];
    if (n == 0 || n >= sizeof(buf) || out->n >= GW_NETS_MAX)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *slash = strchr(buf, '/');
    if (slash != NULL)
        *slash = '\0';
    int family = strchr(buf, ':') ? AF_INET6 : AF_INET, max = family == AF_INET6 ? 128 : 32, bits = max;
    if (inet_pton(family, buf, out->net[out->n].addr) != 1)
        return -1;
    if (slash != NULL) {
        char *q = slash + 1;
        if (*q == '\0' || strlen(q) > 3)
            return -1;
        bits = 0;
        for (; *q; q++) {
            if (*q < '0' || *q > '9')
                return -1;
            bits = bits * 10 + (*q - '0');
        }
        if (bits > max)
            return -1;
    }
    out->net[out->n].family = family;
    out->net[out->n].bits = bits;
    out->n++;
    return 0;
}

int gw_nets_parse(const char *spec, gw_nets *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    const char *cur = spec, *p;
    size_t n;
    while (next_item(&cur, &p, &n)) {
        if (parse_net(p, n, out) != 0) {
            snprintf(err, errlen, "'%.*s' is not an address or network like 10.0.0.0/8 or ::1 (at most %d)",
                     (int)(n > 64 ? 64 : n), p, GW_NETS_MAX);
            return -1;
        }
    }
    return 0;
}

static int prefix_equal(const uint8_t *a, const uint8_t *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return 0;
    if (rest == 0)
        return 1;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

/* ::ffff:0:0/96, where an IPv4 address sits in a gw_peer_key. */
static const uint8_t V4_MAPPED[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int gw_peer_key(const struct sockaddr *sa, uint8_t key[16])
{
    if (sa->sa_family == AF_INET6) {
        memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
        return 0;
    }
    if (sa->sa_family == AF_INET) {
        memcpy(key, V4_MAPPED, 12);
        memcpy(key + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    return -1;
}

int gw_nets_match(const gw_nets *l, const struct sockaddr *sa)
{
    uint8_t key[16];
    if (gw_peer_key(sa, key) != 0)
        return 0;
    int v4 = memcmp(key, V4_MAPPED, 12) == 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->net[i].family == AF_INET && v4 && prefix_equal(key + 12, l->net[i].addr, l->net[i].bits))
            return 1;
        if (l->net[i].family == AF_INET6 && prefix_equal(key, l->net[i].addr, l->net[i].bits))
            return 1;
    }
    return 0;
}
