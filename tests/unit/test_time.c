/* Time arithmetic on values read from captures (include/dfuscope/events.h,
 * cli/timefmt.c): a damaged or hostile record may hold any time stamp, so
 * every difference either is exact or saturates at INT64_MIN/INT64_MAX; it
 * never overflows. The oracle is 128-bit arithmetic (__int128), clamped. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli.h"
#include "dfuscope/events.h"

__extension__ typedef __int128 i128;

static int64_t clamp(i128 v)
{
    return v > INT64_MAX ? INT64_MAX : v < INT64_MIN ? INT64_MIN : (int64_t)v;
}

static const int64_t secs[] = {
    INT64_MIN, INT64_MIN + 1, INT64_MIN / 2, -9223372037, -9223372036, -9223372036854, -1, 0, 1,
    1737511279, 4294967295, 9223372036, 9223372037, 9223372036854, INT64_MAX / 2, INT64_MAX - 1,
    INT64_MAX,
};
static const uint32_t nsecs[] = {
    0,         1,         999,        1000,       854775807,
    854775808, 999999999, 1000000000, 4294967295u}; /* the last two: damaged */
#define N(a) (sizeof(a) / sizeof((a)[0]))

static void sat_ops(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(secs); i++) {
        for (size_t j = 0; j < N(secs); j++) {
            int64_t a = secs[i], b = secs[j];
            assert_true(dfs_sat_add_i64(a, b) == clamp((i128)a + b));
            assert_true(dfs_sat_sub_i64(a, b) == clamp((i128)a - b));
        }
        static const int64_t ks[] = {1, 1000, 1000000, 1000000000, INT64_MAX};
        for (size_t k = 0; k < N(ks); k++)
            assert_true(dfs_sat_mul_i64(secs[i], ks[k]) == clamp((i128)secs[i] * ks[k]));
    }
}

/* the oracle: the exact difference in 1/per_sec s, nanoseconds truncated
 * toward zero as a whole (as dfs_time_diff_us always did), then clamped */
static int64_t want_diff(struct dfs_time a, struct dfs_time b, int64_t per_sec)
{
    i128 whole = (i128)a.sec - b.sec;
    i128 w = whole > INT64_MAX ? INT64_MAX : whole < INT64_MIN ? INT64_MIN : whole;
    i128 scaled = clamp(w * per_sec);
    return clamp(scaled + ((i128)a.nsec - (i128)b.nsec) / (1000000000 / per_sec));
}

static void time_diffs(void **state)
{
    (void)state;
    for (size_t i = 0; i < N(secs); i++)
        for (size_t j = 0; j < N(secs); j++)
            for (size_t m = 0; m < N(nsecs); m++)
                for (size_t n = 0; n < N(nsecs); n += 2) {
                    struct dfs_time a = {secs[i], nsecs[m]}, b = {secs[j], nsecs[n]};
                    assert_true(dfs_time_diff_ns(a, b) == want_diff(a, b, 1000000000));
                    assert_true(dfs_time_diff_us(a, b) == want_diff(a, b, 1000000));
                }
    /* exact where the result fits */
    struct dfs_time t0 = {1737511279, 259851000}, t1 = {1737511338, 416997000};
    assert_int_equal(dfs_time_diff_us(t1, t0), 59157146);
    assert_int_equal(dfs_time_diff_us(t0, t1), -59157146);
    assert_true(dfs_time_diff_ns(t1, t0) == 59157146000);
    /* the case: seconds far apart */
    struct dfs_time far = {INT64_MAX, 999999999}, early = {INT64_MIN, 0};
    assert_true(dfs_time_diff_ns(far, t0) == INT64_MAX);
    assert_true(dfs_time_diff_ns(early, t0) == INT64_MIN);
    assert_true(dfs_time_diff_us(far, early) == INT64_MAX);
    assert_true(dfs_time_diff_us(early, far) == INT64_MIN);
    assert_true(dfs_time_ns(far) == INT64_MAX);
    assert_true(dfs_time_ns(early) == INT64_MIN);
    assert_true(dfs_time_ns(t0) == (int64_t)1737511279259851000);
}

/* fmt_reltime against the exact decimal difference made with i128; *whole
 * gets the exact whole seconds */
static void reltime_text(struct dfs_time t, struct dfs_time base, char *out, size_t size,
                         i128 *whole)
{
    /* (a fraction of 10^9 ns or more counts as 999999999) */
    i128 tn = t.nsec < 1000000000u ? t.nsec : 999999999,
         bn = base.nsec < 1000000000u ? base.nsec : 999999999;
    i128 ns = ((i128)t.sec - base.sec) * 1000000000 + (tn - bn);
    i128 s = ns / 1000000000; /* toward zero, as is the fraction */
    i128 frac = (ns % 1000000000) / 1000;
    *whole = (i128)t.sec - base.sec;
    const char *sign = "";
    if (ns < 0) {
        sign = "-";
        s = -s;
        frac = -frac;
    }
    if (s > UINT64_MAX)
        s = UINT64_MAX; /* (compared only when not saturated) */
    snprintf(out, size, "%s%" PRIu64 ".%06u", sign, (uint64_t)s, (unsigned)frac);
}

static void reltime(void **state)
{
    (void)state;
    char got[64], want[64];
    for (size_t i = 0; i < N(secs); i++)
        for (size_t j = 0; j < N(secs); j++)
            for (size_t m = 0; m < N(nsecs); m++)
                for (size_t n = 0; n < N(nsecs); n++) {
                    struct dfs_time a = {secs[i], nsecs[m]}, b = {secs[j], nsecs[n]};
                    fmt_reltime(got, sizeof got, a, b);
                    i128 whole;
                    reltime_text(a, b, want, sizeof want, &whole);
                    /* a difference of 2^63 s and more is shown as the bound */
                    bool bound = got[0] == '>' || got[0] == '<';
                    bool beyond = whole >= INT64_MAX || whole <= INT64_MIN;
                    if (bound != beyond || (bound && (got[0] == '>') != (whole > 0)) ||
                        (!bound && strcmp(got, want) != 0))
                        fail_msg("fmt_reltime(%" PRId64 ".%u, %" PRId64 ".%u) = %s, want %s", a.sec,
                                 a.nsec, b.sec, b.nsec, got, want);
                }
    struct dfs_time base = {1737511279, 259851000};
    fmt_reltime(got, sizeof got, (struct dfs_time){18446744073709, 551615000}, base);
    assert_string_equal(got, "18445006562430.291764");
    fmt_reltime(got, sizeof got, (struct dfs_time){INT64_MAX, 0}, (struct dfs_time){INT64_MIN, 0});
    assert_string_equal(got, ">9223372036854775807");
    fmt_reltime(got, sizeof got, (struct dfs_time){INT64_MIN, 999999999}, (struct dfs_time){1, 0});
    assert_string_equal(got, "<-9223372036854775808");
    fmt_reltime(got, sizeof got, (struct dfs_time){1737511279, 0}, base);
    assert_string_equal(got, "-0.259851");
    /* a small buffer is cut, never overrun */
    char small[8];
    memset(small, 'x', sizeof small);
    fmt_reltime(small, sizeof small, (struct dfs_time){INT64_MAX, 0}, base);
    assert_int_equal(strlen(small), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sat_ops),
        cmocka_unit_test(time_diffs),
        cmocka_unit_test(reltime),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
