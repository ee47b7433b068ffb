/* gen_progress.h — progress lines of a long operation (a backfill,
 * --rebuild-rollups): done of total, the rate, the time left, at most one
 * line every --progress interval, so an operator can tell a long start-up
 * from a hung one. No I/O but the log. */
#ifndef GEN_PROGRESS_H
#define GEN_PROGRESS_H

#include <stdint.h>

typedef struct gen_progress {
    const char *what; /* "backfill": the line's prefix */
    const char *unit; /* "intervals written" */
    int64_t every_us; /* at most one line this often */
    int64_t done, total;
    int64_t started_us, logged_us;
    int active;
} gen_progress;

/* Starts counting (logs nothing: the caller says what starts, in its words). */
void gen_progress_start(gen_progress *p, const char *what, const char *unit, int64_t total, int64_t every_ms);
/* Sets done and total; logs "WHAT: DONE of TOTAL UNIT (P%), R/s, about S s
 * left" when a line is due. */
void gen_progress_update(gen_progress *p, int64_t done, int64_t total);
/* Seconds since gen_progress_start. */
double gen_progress_seconds(const gen_progress *p);
/* Units done per second since the start. */
double gen_progress_rate(const gen_progress *p);

#endif
