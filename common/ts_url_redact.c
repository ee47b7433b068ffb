/* ts_url_redact.c — see ts_url_redact.h. What is shown, part by part:
 *
 * - the scheme, when it is one (letters, digits, '+', '-', '.');
 * - credentials, all before the last '@' (when it is before the query): the
 *   user when it is made of name characters, then :***@. When that '@' is
 *   in a sentinel URL's query, ***@ for all before it and *** for the rest
 *   of its parameter;
 * - each address: a host of name characters (ts_str.h), a port of digits;
 *   *** for any other (redis://user:password with the '@host' forgotten);
 * - the path: a db of digits, a master's name of name characters; an '&'
 *   there starts the query (a '?' forgotten);
 * - the query, parameters split at every '&' and '?' (a '?' typed for an
 *   '&' would otherwise make one parameter of db=1?sentinel_password=…):
 *   db= and sentinel_user= with their value when it is made of name
 *   characters, '~' or '%', any other key as key=***, anything else ***.
 *
 * The promises, which fuzz_url checks on any input: every '@' shown follows
 * ***, every "password=" is followed by *** (or nothing), and every ':' but
 * the scheme's by a digit, *** or a delimiter. */
#include "ts_url_redact.h"

#include <string.h>

#include "ts_str.h"

typedef struct {
    char *buf;
    size_t cap, len;
} out_t;

static void put(out_t *o, const char *text, size_t n)
{
    while (n-- > 0 && o->len + 1 < o->cap)
        o->buf[o->len++] = *text++;
}

static void puts_(out_t *o, const char *text)
{
    put(o, text, strlen(text));
}

/* text[0, n) when every character passes ok, else *** (nothing for n 0). */
static void put_if(out_t *o, const char *text, size_t n, int (*ok)(char))
{
    for (size_t i = 0; i < n; i++)
        if (!ok(text[i])) {
            puts_(o, "***");
            return;
        }
    put(o, text, n);
}

static int is_name(char c)
{
    return ts_is_name_char(c);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_value(char c)
{
    return ts_is_name_char(c) || c == '~' || c == '%';
}

static int is_scheme(char c)
{
    return ts_is_name_char(c) || c == '+';
}

/* One query parameter p[0, n) (no '&' or '?' in it). */
static void param(out_t *o, const char *p, size_t n)
{
    const char *eq = memchr(p, '=', n);
    if (eq == NULL || eq == p || !ts_all_name_chars(p, (size_t)(eq - p))) {
        if (n > 0)
            puts_(o, "***");
        return;
    }
    size_t klen = (size_t)(eq - p), vlen = n - klen - 1;
    put(o, p, klen + 1);
    int plain = (klen == 2 && strncmp(p, "db", 2) == 0) || (klen == 13 && strncmp(p, "sentinel_user", 13) == 0);
    if (plain)
        put_if(o, eq + 1, vlen, is_value);
    else if (vlen > 0)
        puts_(o, "***");
}

/* The query from p (at a '?' or '&', or, masked, inside a parameter). */
static void query(out_t *o, const char *p, int masked)
{
    for (;;) {
        size_t n = strcspn(p, "&?");
        if (masked)
            puts_(o, n > 0 ? "***" : "");
        else
            param(o, p, n);
        masked = 0;
        p += n;
        if (*p == '\0')
            return;
        put(o, p++, 1);
    }
}

/* host[:port],… in p[0, n). */
static void addresses(out_t *o, const char *p, size_t n)
{
    const char *end = p + n;
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *iend = comma ? comma : end;
        const char *colon = memchr(p, ':', (size_t)(iend - p));
        put_if(o, p, (size_t)((colon ? colon : iend) - p), is_name);
        if (colon != NULL) {
            put(o, ":", 1);
            put_if(o, colon + 1, (size_t)(iend - colon - 1), is_digit);
        }
        p = iend;
        if (comma != NULL)
            put(o, p++, 1);
    }
}

void ts_url_redact(const char *s, char *buf, size_t n)
{
    out_t o = {buf, n, 0};
    if (n == 0)
        return;
    const char *sep = strstr(s, "://");
    const char *p = s;
    if (sep != NULL && sep > s) {
        size_t i = 0;
        while (s + i < sep && is_scheme(s[i]))
            i++;
        if (s + i == sep)
            p = sep + 3; /* any scheme: an http://user:pw@ typo too */
    }
    put(&o, s, (size_t)(p - s));
    int sentinel = strncmp(s, "redis-sentinel://", 17) == 0;
    const char *at = strrchr(p, '@'), *q = strchr(p, '?');
    if (!sentinel && q != NULL && at != NULL && q < at)
        q = NULL; /* redis:// has no query: a '?' before its '@' is the password's */
    if (at != NULL && q != NULL && q < at) {
        puts_(&o, "***@");
        query(&o, at + 1, 1);
        goto done;
    }
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon != NULL) {
            put_if(&o, p, (size_t)(colon - p), is_value);
            put(&o, ":", 1);
        }
        puts_(&o, "***@");
        p = at + 1;
    }
    size_t alen = strcspn(p, "/?&");
    addresses(&o, p, alen);
    p += alen;
    if (*p == '/') {
        put(&o, p++, 1);
        size_t plen = strcspn(p, "?&");
        put_if(&o, p, plen, sentinel ? is_name : is_digit);
        p += plen;
    }
    if (*p != '\0') {
        put(&o, p++, 1);
        query(&o, p, 0);
    }
done:
    o.buf[o.len] = '\0';
}
