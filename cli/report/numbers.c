/* dfuscope report: the floating-point functions the timeline and the memory
 * map use (logarithmic widths and heights, the steps of the time axis),
 * written out so that dfuscope does not link libm: that library alone adds
 * about 400 KiB to the peak memory of every command (bench/RESULTS.md). */
#include <stdint.h>

#include "report.h"

#define LN2 0.69314718055994530941723212145817657

double rp_log2(double x)
{
    if (!(x >= 1))
        return 0; /* not used below 1 (nor for NaN) */
    /* x = m * 2^e with m in [1, 2): halving is exact */
    int e = 0;
    while (x >= 2 && e < 2048) {
        x /= 2;
        e++;
    }
    /* ln(m) = 2 atanh(z), z = (m - 1) / (m + 1) in [0, 1/3): the terms
     * z^(2k+1) / (2k+1) fall by 9 at least each step */
    double z = (x - 1) / (x + 1), z2 = z * z, term = z, sum = 0;
    for (int k = 1; k < 80 && term > 1e-18; k += 2) {
        sum += term / k;
        term *= z2;
    }
    return e + 2 * sum / LN2;
}

double rp_ceil(double x)
{
    /* beyond 2^52 every double is an integer */
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0))
        return x;
    double i = (double)(int64_t)x; /* towards zero */
    return i < x ? i + 1 : i;
}

double rp_pow10_below(double x)
{
    if (!(x > 0) || x > 1e300)
        return 1;
    /* 10^k exact by multiplication up to 10^22; 10^-k as one division, the
     * correctly rounded value, like pow(10, -k) */
    double p = 1;
    if (x >= 1) {
        while (p * 10 <= x)
            p *= 10;
        return p;
    }
    while (1 / p > x)
        p *= 10;
    return 1 / p;
}
