/* gw_jread.c — see gw_jread.h. */
#include "gw_jread.h"

#include <string.h>

void gw_jread_ws(gw_jread *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

int gw_jread_string(gw_jread *r, const char **s, size_t *n)
{
    if (r->p >= r->end || *r->p != '"')
        return -1;
    const char *start = ++r->p;
    while (r->p < r->end && *r->p != '"') {
        if ((unsigned char)*r->p < 0x20)
            return -1;
        if (*r->p == '\\') {
            if (++r->p >= r->end)
                return -1;
        }
        r->p++;
    }
    if (r->p >= r->end)
        return -1;
    *s = start;
    *n = (size_t)(r->p - start);
    r->p++;
    return 0;
}

static int j_container(gw_jread *r, char close, int depth)
{
    r->p++;
    gw_jread_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 0;
    }
    for (;;) {
        gw_jval ignored;
        gw_jread_ws(r);
        if (close == '}') {
            const char *k;
            size_t kn;
            if (gw_jread_string(r, &k, &kn) != 0)
                return -1;
            gw_jread_ws(r);
            if (r->p >= r->end || *r->p++ != ':')
                return -1;
        }
        if (gw_jread_value(r, &ignored, depth + 1) != 0)
            return -1;
        gw_jread_ws(r);
        if (r->p >= r->end)
            return -1;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p++ != close)
            return -1;
        return 0;
    }
}

static int j_number(gw_jread *r, gw_jval *f)
{
    const char *s = r->p;
    int integral = 1;
    if (r->p < r->end && *r->p == '-')
        r->p++;
    const char *digits = r->p;
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
        r->p++;
    if (r->p == digits || (r->p - digits > 1 && *digits == '0'))
        return -1;
    if (r->p < r->end && *r->p == '.') {
        integral = 0;
        const char *d = ++r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == d)
            return -1;
    }
    if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
        integral = 0;
        r->p++;
        if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
            r->p++;
        const char *d = r->p;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
        if (r->p == d)
            return -1;
    }
    f->kind = GW_JREAD_NUM;
    if (integral && r->p - digits <= 18) {
        int64_t v = 0;
        for (const char *q = digits; q < r->p; q++)
            v = v * 10 + (*q - '0');
        f->kind = GW_JREAD_INT;
        f->i = *s == '-' ? -v : v;
    }
    return 0;
}

static int j_literal(gw_jread *r, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(r->end - r->p) < n || memcmp(r->p, lit, n) != 0)
        return -1;
    r->p += n;
    return 0;
}

int gw_jread_value(gw_jread *r, gw_jval *f, int depth)
{
    f->kind = GW_JREAD_OTHER;
    gw_jread_ws(r);
    if (r->p >= r->end || depth > 16)
        return -1;
    switch (*r->p) {
    case '"':
        f->kind = GW_JREAD_STR;
        return gw_jread_string(r, &f->s, &f->slen);
    case '{':
        return j_container(r, '}', depth);
    case '[': {
        const char *start = r->p;
        int rc = j_container(r, ']', depth);
        *f = (gw_jval){.kind = GW_JREAD_ARR, .s = start, .slen = (size_t)(r->p - start)};
        return rc;
    }
    case 't':
        return j_literal(r, "true");
    case 'f':
        return j_literal(r, "false");
    case 'n':
        return j_literal(r, "null");
    default:
        return j_number(r, f);
    }
}
