/* gw_policy.h — who may connect: the pure checks behind --allowed-origins
 * and --trusted-proxies (docs/PROTOCOL.md, "Who may connect"). No I/O, so
 * tests/gw/test_policy.c and tests/fuzz/fuzz_origin.c call them directly.
 *
 * Origin: a browser sends the page's origin with every WebSocket upgrade,
 * and sends the user's cookies to the gateway whatever page opened the
 * socket. Once a deployment puts auth cookies in front of the gateway, any
 * web page could open a socket in the user's name; refusing foreign origins
 * stops that. Programs that are not browsers send no Origin (or any they
 * like): the check protects browser users, it does not authenticate. */
#ifndef GW_POLICY_H
#define GW_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* 1 when a WebSocket upgrade with this Origin header may proceed: no Origin
 * at all (not a browser); the same origin as the Host header (scheme http
 * or https, host and port compared without case, a default port :80/:443
 * the same as none); or an origin listed in allowed (comma-separated, each
 * "scheme://host[:port]", compared the same way; "*" allows every origin).
 * origin == NULL means the header is absent; host may be NULL. */
int gw_origin_allowed(const char *origin, size_t olen, const char *host, size_t hlen, const char *allowed);

/* A list of addresses and networks: "127.0.0.1,::1,10.0.0.0/8,fd00::/8". */
#define GW_NETS_MAX 32
typedef struct gw_nets {
    size_t n;
    struct {
        int family; /* AF_INET or AF_INET6 */
        uint8_t addr[16];
        int bits; /* prefix length */
    } net[GW_NETS_MAX];
} gw_nets;

/* Parses spec (may be empty: no entries). Returns 0, or -1 with a one-line
 * reason in err naming the bad entry. */
int gw_nets_parse(const char *spec, gw_nets *out, char *err, size_t errlen);
/* 1 when sa (IPv4, IPv6 or IPv4-mapped IPv6) lies in one of the nets. */
int gw_nets_match(const gw_nets *l, const struct sockaddr *sa);

/* The key a connection is counted under for --max-conns-per-ip: the 16
 * bytes of its IPv6 address (IPv4 as ::ffff:a.b.c.d). Returns 0, or -1
 * for another family (a Unix socket). */
int gw_peer_key(const struct sockaddr *sa, uint8_t key[16]);

#endif
