/* The system clock for real runs: CLOCK_MONOTONIC for intervals, the wall
 * clock for capture time stamps, nanosleep for waits. */
#include <errno.h>
#include <time.h>

#include "dfuscope/runner.h"

static uint64_t mono_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sleep_us(void *ctx, uint64_t us)
{
    (void)ctx;
    struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000}, rem;
    /* a signal (Ctrl-C) must not cut a wait short: the wait may be a
     * bwPollTimeout; the runner looks at its stop flag between steps */
    while (nanosleep(&ts, &rem) != 0 && errno == EINTR)
        ts = rem;
}

static struct dfs_time wall(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct dfs_time t = {(int64_t)ts.tv_sec, (uint32_t)ts.tv_nsec};
    return t;
}

void dfs_system_clock(struct dfs_clock *out)
{
    if (!out)
        return;
    out->now_us = mono_us;
    out->sleep_us = sleep_us;
    out->wall = wall;
    out->ctx = NULL;
}
