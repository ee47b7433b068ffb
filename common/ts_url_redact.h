/* ts_url_redact.h — a Redis URL as an error message may show it: whatever
 * may be a password as ***.
 *
 * Why: ts_redis_url_parse quotes the URL it refused, and a start-up error
 * ends up in the journal or a container's log, which others can read. The
 * URL did not parse, so the parser's reading of it cannot be trusted (a raw
 * '?' or '&' in a password, a '?' typed for an '&', a misspelled key, a
 * forgotten '@host'): it shows only what cannot be a password, and masks
 * more rather than less (ts_url_redact.c has the rules). */
#ifndef TS_URL_REDACT_H
#define TS_URL_REDACT_H

#include <stddef.h>

/* s redacted into out[n], NUL-terminated, cut short if it does not fit. */
void ts_url_redact(const char *s, char *out, size_t n);

#endif
