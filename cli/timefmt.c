/* Capture times as the command line shows them. Time stamps come from
 * captures and may be anything a damaged or hostile file holds: no
 * arithmetic here overflows (tests/unit/test_time.c). */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"

void fmt_reltime(char *buf, size_t size, struct dfs_time t, struct dfs_time base)
{
    /* exact for any time stamps a capture can hold (a damaged one may lie
     * centuries away); a difference of 2^63 s or more is shown as a bound,
     * ">9223372036854775807" or "<-9223372036854775808", rather than a value.
     * A fraction of 10^9 ns or more (a damaged record's) counts as 999999999. */
    int64_t s = dfs_sat_sub_i64(t.sec, base.sec);
    if (s == INT64_MAX || s == INT64_MIN) {
        snprintf(buf, size, "%s%" PRId64, s > 0 ? ">" : "<", s);
        return;
    }
    int64_t ns = (int64_t)(t.nsec < 1000000000u ? t.nsec : 999999999u) -
                 (int64_t)(base.nsec < 1000000000u ? base.nsec : 999999999u);
    if (s > 0 && ns < 0) {
        s--;
        ns += 1000000000;
    } else if (s < 0 && ns > 0) {
        s++;
        ns -= 1000000000;
    }
    const char *sign = s < 0 || ns < 0 ? "-" : "";
    uint64_t whole = s < 0 ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
    uint64_t frac = (uint64_t)(ns < 0 ? -ns : ns);
    snprintf(buf, size, "%s%" PRIu64 ".%06" PRIu64, sign, whole, frac / 1000u);
}

void fmt_abstime(char *buf, size_t size, struct dfs_time t)
{
    snprintf(buf, size, "%" PRId64 ".%09u", t.sec, t.nsec);
}
