/* test_dayref.c — gw_dayref without Redis: with the command connection down
 * the read waits (not ready), and the rows alone fill the references, roll
 * the day at midnight UTC (ready then, with no read), and a snapshot of an
 * earlier time does not show a reference whose tick came later. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gw_dayref.h"
#include "gw_ring.h"

/* gw_dayref only calls it when a command is refused on an up connection. */
void gw_rconn_lost(gw_rconn *rc, const char *why)
{
    (void)rc;
    (void)why;
    fail_msg("no command may be sent on a connection that is down");
}

static int readies;
static int32_t ready_ref0; /* instrument 0's reference when it was called */

#define M GW_MISSING
#define DT 1000
static const int64_t DAY = 1795392000000LL; /* a UTC midnight */

static void on_ready(void *arg)
{
    readies++;
    ready_ref0 = gw_dayref_at(*(gw_dayref **)arg, 0, DAY);
}

static void test_rows_roll_at_midnight(void **state)
{
    (void)state;
    char names[3][GW_SYM_MAX] = {"a", "b", "c"};
    gw_meta meta = {.ok = 1, .interval_ms = DT, .count = 3, .names = names};
    gw_rconn cmd;
    memset(&cmd, 0, sizeof(cmd)); /* down: the read waits for it */
    gw_dayref *d = NULL;
    d = gw_dayref_new(&meta, &cmd, on_ready, &d);
    assert_non_null(d);
    readies = 0;

    /* The ring's first row, the day before: a read is wanted, not sent. */
    int32_t r0[] = {1, 2, M};
    gw_dayref_row(d, DAY - 2 * DT, r0, 1);
    assert_false(gw_dayref_ready(d));
    assert_int_equal(gw_dayref_day(d), DAY - GW_DAY_MS);
    gw_dayref_tick(d); /* still down: nothing sent */
    assert_false(gw_dayref_ready(d));
    int32_t r1[] = {2, 3, 5};
    gw_dayref_row(d, DAY - DT, r1, 0);
    assert_int_equal(gw_dayref_at(d, 0, DAY - DT), 1); /* the first seen stays */
    assert_int_equal(gw_dayref_at(d, 2, DAY - DT), 5);
    assert_int_equal(gw_dayref_at(d, 2, DAY - 2 * DT), M); /* its tick came later */

    /* Midnight: the first row of the day is the references, no read needed. */
    int32_t r2[] = {7, M, 9};
    gw_dayref_row(d, DAY, r2, 0);
    assert_true(gw_dayref_ready(d));
    assert_int_equal(readies, 1);
    assert_int_equal(ready_ref0, 7); /* a board joining then sees this row's */
    assert_int_equal(gw_dayref_day(d), DAY);
    assert_int_equal(gw_dayref_at(d, 0, DAY), 7);
    assert_int_equal(gw_dayref_at(d, 1, DAY), M);
    assert_int_equal(gw_dayref_at(d, 2, DAY), 9);
    int32_t r3[] = {8, 4, 10};
    gw_dayref_row(d, DAY + DT, r3, 0);
    assert_int_equal(gw_dayref_at(d, 0, DAY + DT), 7);
    assert_int_equal(gw_dayref_at(d, 1, DAY + DT), 4); /* its first tick of the day */
    assert_int_equal(gw_dayref_at(d, 1, DAY), M);
    assert_int_equal(readies, 1);

    /* The next midnight, while ready: ready again, no second call. */
    int32_t r4[] = {M, 6, 6};
    gw_dayref_row(d, DAY + GW_DAY_MS + 5 * DT, r4, 0);
    assert_int_equal(gw_dayref_day(d), DAY + GW_DAY_MS);
    assert_int_equal(gw_dayref_at(d, 0, DAY + GW_DAY_MS + 5 * DT), M);
    assert_int_equal(gw_dayref_at(d, 1, DAY + GW_DAY_MS + 5 * DT), 6);
    assert_int_equal(readies, 1);

    /* A new ring (a new history): everything is forgotten and read again. */
    gw_dayref_row(d, DAY + 10 * DT, r3, 1);
    assert_false(gw_dayref_ready(d));
    assert_int_equal(gw_dayref_day(d), DAY);
    assert_int_equal(gw_dayref_at(d, 1, DAY + 10 * DT), 4);
    assert_int_equal(gw_dayref_at(d, 7, DAY + 10 * DT), M); /* no such instrument */
    gw_dayref_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_roll_at_midnight),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
