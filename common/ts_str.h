/* ts_str.h — small string helpers shared by the parsers in common/. */
#ifndef TS_STR_H
#define TS_STR_H

#include <stddef.h>
#include <stdint.h>

/* Parses exactly n decimal digits (no sign, no space) as a value <= max.
 * Returns 0, or -1 if a character is not a digit, n is 0 or the value is
 * above max (checked before it can overflow). */
int ts_parse_digits(const char *s, size_t n, int64_t max, int64_t *out);

#endif
