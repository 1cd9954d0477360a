/* The report's floating-point helpers (cli/report/numbers.c), which replace
 * libm in dfuscope, against libm itself: log2, ceil and 10^floor(log10 x)
 * on integers, powers and their neighbours, and pseudo-random values over
 * the ranges the timeline and the memory map use. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "report.h"

static uint64_t rng = 0x9e3779b97f4a7c15u;
static double next_unit(void) /* [0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void check_log2(double x)
{
    double want = log2(x), got = rp_log2(x);
    if (fabs(got - want) > 1e-13 * (want > 1 ? want : 1))
        fail_msg("rp_log2(%.17g) = %.17g, log2 = %.17g", x, got, want);
}

static void log2_values(void **state)
{
    (void)state;
    for (uint64_t n = 1; n <= 70000; n++)
        check_log2((double)n);
    for (int e = 0; e < 64; e++) {
        double p = ldexp(1, e);
        check_log2(p);
        check_log2(nextafter(p, 0) >= 1 ? nextafter(p, 0) : 1);
        check_log2(nextafter(p, INFINITY));
    }
    check_log2(18446744073709551615.0);
    for (int i = 0; i < 200000; i++)
        check_log2(1 + next_unit() * ldexp(1, (int)(next_unit() * 64)));
    assert_true(rp_log2(1) == 0);
    assert_true(rp_log2(1024) == 10);
}

static void check_ceil(double x)
{
    if (rp_ceil(x) != ceil(x))
        fail_msg("rp_ceil(%.17g) = %.17g, ceil = %.17g", x, rp_ceil(x), ceil(x));
}

static void ceil_values(void **state)
{
    (void)state;
    static const double fixed[] = {0, -0.0, 0.5, -0.5, 1, -1, 1.0000000000000002, 2.5, -2.5,
                                   4503599627370495.5, 4503599627370496.0, 9.5e15, -9.5e15,
                                   1e300, -1e300};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        check_ceil(fixed[i]);
    for (int i = 0; i < 200000; i++)
        check_ceil((next_unit() - 0.5) * ldexp(1, (int)(next_unit() * 60)));
    check_ceil(INFINITY);
    check_ceil(-INFINITY);
}

static void check_pow10(double x)
{
    double want = pow(10, floor(log10(x))), got = rp_pow10_below(x);
    /* at an exact power of ten log10 may round up where the comparison
     * does not; anywhere else both agree to the last bit */
    if (got != want && !(fabs(x / want - 1) < 1e-15 || fabs(x / got - 10) < 1e-14))
        fail_msg("rp_pow10_below(%.17g) = %.17g, pow(10, floor(log10)) = %.17g", x, got, want);
}

static void pow10_values(void **state)
{
    (void)state;
    for (int k = -12; k <= 15; k++) {
        double p = pow(10, k);
        check_pow10(p);
        check_pow10(p * 2);
        check_pow10(p * 5);
        check_pow10(p * 9.99);
    }
    for (int i = 0; i < 200000; i++)
        check_pow10(next_unit() * pow(10, (int)(next_unit() * 24) - 10) + 1e-12);
    assert_true(rp_pow10_below(1) == 1);
    assert_true(rp_pow10_below(0.25) == 0.1);
    assert_true(rp_pow10_below(999) == 100);
    assert_true(rp_pow10_below(1000) == 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log2_values),
        cmocka_unit_test(ceil_values),
        cmocka_unit_test(pow10_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
