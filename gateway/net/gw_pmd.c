/* gw_pmd.c — see gw_pmd.h. The grammar (RFC 6455 9.1, RFC 2616 2.2):
 *   list      = extension *( "," extension )
 *   extension = token *( ";" param )
 *   param     = token [ "=" ( token | quoted-string ) ]
 * with optional spaces and tabs around the separators. */
#include "gw_pmd.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ows(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* RFC 2616 token characters: visible ASCII but separators. */
static int is_tchar(char ch)
{
    return ch > 32 && ch < 127 && strchr("()<>@,;:\\\"/[]?={}", ch) == NULL;
}

/* A token, or with `quote` also a quoted-string without escapes (7.1: a
 * value's content must be a token anyway); its length, 0 when there is none. */
static size_t take_token(cursor *c, const char **s, int quote)
{
    int quoted = quote && c->p < c->end && *c->p == '"';
    const char *q = c->p + quoted;
    const char *e = q;
    while (e < c->end && is_tchar(*e))
        e++;
    if (quoted && (e >= c->end || *e != '"'))
        return 0;
    *s = q;
    c->p = e + quoted;
    return (size_t)(e - q);
}

static int is(const char *s, size_t n, const char *lit)
{
    return n == strlen(lit) && strncasecmp(s, lit, n) == 0;
}

/* 8..15 without leading zeros, else -1. */
static int window_bits(const char *v, size_t n)
{
    if (n == 1 && v[0] >= '8' && v[0] <= '9')
        return v[0] - '0';
    if (n == 2 && v[0] == '1' && v[1] >= '0' && v[1] <= '5')
        return 10 + v[1] - '0';
    return -1;
}

enum { SNCT = 1, CNCT = 2, SMWB = 4, CMWB = 8 };

/* One parameter of a permessage-deflate offer into *seen; 0 when we accept
 * it, -1 when the offer must be declined. */
static int take_param(const char *k, size_t kn, const char *v, size_t vn, int has_v, int *seen)
{
    int bit = is(k, kn, "server_no_context_takeover")   ? SNCT
              : is(k, kn, "client_no_context_takeover") ? CNCT
              : is(k, kn, "server_max_window_bits")     ? SMWB
              : is(k, kn, "client_max_window_bits")     ? CMWB
                                                        : 0;
    if (bit == 0 || (*seen & bit))
        return -1;
    *seen |= bit;
    if (bit == SNCT || bit == CNCT)
        return has_v ? -1 : 0;
    if (bit == SMWB)
        return has_v && window_bits(v, vn) == 15 ? 0 : -1;
    return !has_v || window_bits(v, vn) > 0 ? 0 : -1;
}

size_t gw_pmd_accept(const char *hdr, size_t len, char ans[GW_PMD_ANSWER_MAX])
{
    cursor c = {hdr, hdr + len};
    ans[0] = '\0';
    for (;;) {
        skip_ows(&c);
        const char *name;
        size_t nn = take_token(&c, &name, 0);
        if (nn == 0)
            return 0;
        int ok = is(name, nn, "permessage-deflate"), seen = 0;
        for (skip_ows(&c); c.p < c.end && *c.p == ';'; skip_ows(&c)) {
            c.p++;
            skip_ows(&c);
            const char *k, *v = NULL;
            size_t kn = take_token(&c, &k, 0), vn = 0;
            if (kn == 0)
                return 0;
            skip_ows(&c);
            int has_v = c.p < c.end && *c.p == '=';
            if (has_v) {
                c.p++;
                skip_ows(&c);
                if ((vn = take_token(&c, &v, 1)) == 0)
                    return 0;
            }
            if (ok && take_param(k, kn, v, vn, has_v, &seen) != 0)
                ok = 0;
        }
        if (ok) {
            int n = snprintf(ans, GW_PMD_ANSWER_MAX,
                             "permessage-deflate; server_no_context_takeover; client_no_context_takeover%s",
                             (seen & SMWB) ? "; server_max_window_bits=15" : "");
            if (n > 0 && n < GW_PMD_ANSWER_MAX)
                return (size_t)n;
            ans[0] = '\0';
            return 0;
        }
        if (c.p >= c.end || *c.p != ',')
            return 0;
        c.p++;
    }
}
