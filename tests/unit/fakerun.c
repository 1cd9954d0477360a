/* `dfuscope run` and `dfuscope script-from` (the real command code) with the
 * in-process device of fakedev.c in place of libusb, for the command-line
 * tests. The device is chosen from the environment:
 *   DFS_FAKE_MODEL      dfuse | dfu11 | stm32g0c1 (default dfuse)
 *   DFS_FAKE_FAULTS     comma-separated fault names, as the emulated devices
 *                       name them (zero-poll-timeout, short-poll-timeout, ...)
 *   DFS_FAKE_AFTER_RESET gone | dfu
 *   DFS_FAKE_VANISH_AFTER N: the device leaves the bus at its Nth request
 *   DFS_FAKE_REALTIME   1: waits also take real time */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dfuscope/runner.h"
#include "fakedev.h"

static struct fake *the_fake;

static const struct {
    const char *name;
    unsigned bit;
} fault_names[] = {
    {"zero-poll-timeout", FAULT_ZERO_POLL},
    {"short-poll-timeout", FAULT_SHORT_POLL},
    {"oversized-transfer-size", FAULT_OVERSIZED_XFER},
    {"no-functional-descriptor", FAULT_NO_FUNCTIONAL},
    {"short-functional-descriptor", FAULT_FUNCTIONAL_7},
    {"no-error-after-stall", FAULT_NO_ERROR_AFTER_STALL},
    {"upload-never-short", FAULT_UPLOAD_NEVER_SHORT},
    {"clrstatus-idle-error", FAULT_CLRSTATUS_IDLE},
    {"odd-string", FAULT_ODD_STRING},
    {"qualifier-answered", FAULT_QUALIFIER_ANSWERED},
    {"silent-outside", FAULT_SILENT_OUTSIDE},
};

static struct fake *get_fake(void)
{
    if (the_fake)
        return the_fake;
    struct fake_opts o;
    const char *m = getenv("DFS_FAKE_MODEL");
    enum fake_model model = FAKE_DFUSE;
    if (m && strcmp(m, "dfu11") == 0)
        model = FAKE_DFU11;
    else if (m && strcmp(m, "stm32g0c1") == 0)
        model = FAKE_G0C1;
    fake_opts_init(&o, model);
    const char *f = getenv("DFS_FAKE_FAULTS");
    if (f) {
        char buf[400];
        snprintf(buf, sizeof buf, "%s", f);
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            bool known = false;
            for (size_t i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
                if (strcmp(t, fault_names[i].name) == 0) {
                    o.faults |= fault_names[i].bit;
                    known = true;
                }
            if (!known) {
                fprintf(stderr, "DFS_FAKE_FAULTS: unknown fault '%s'\n", t);
                exit(2);
            }
        }
    }
    const char *a = getenv("DFS_FAKE_AFTER_RESET");
    if (a && strcmp(a, "dfu") == 0)
        o.after_reset = FAKE_BACK_DFU;
    const char *v = getenv("DFS_FAKE_VANISH_AFTER");
    if (v) {
        o.vanish_after = true;
        o.vanish_after_requests = (unsigned)strtoul(v, NULL, 10);
    }
    the_fake = fake_new(&o);
    return the_fake;
}

/* DFS_FAKE_REALTIME=1: waits take real time too (for the Ctrl-C test) */
static struct dfs_clock virtual_clock;

static uint64_t rt_now(void *ctx) { return virtual_clock.now_us(ctx); }
static void rt_sleep(void *ctx, uint64_t us)
{
    struct dfs_clock sys;
    dfs_system_clock(&sys);
    sys.sleep_us(sys.ctx, us);
    virtual_clock.sleep_us(ctx, us);
}

void cli_run_clock(struct dfs_clock *clock)
{
    fake_clock(get_fake(), &virtual_clock);
    *clock = virtual_clock;
    const char *rt = getenv("DFS_FAKE_REALTIME");
    if (rt && strcmp(rt, "1") == 0) {
        clock->now_us = rt_now;
        clock->sleep_us = rt_sleep;
    }
}

dfs_result cli_run_transport_new(const struct dfs_clock *clock, struct dfs_transport *tp,
                                 char *msg, size_t msg_size)
{
    (void)clock;
    const char *m = getenv("DFS_FAKE_MODEL");
    if (m && strcmp(m, "none") == 0) {
        snprintf(msg, msg_size, "no USB devices (fake)");
        return DFS_E_IO;
    }
    fake_transport(get_fake(), tp);
    return DFS_OK;
}

void cli_run_transport_free(struct dfs_transport *tp) { (void)tp; }

int main(int argc, char **argv)
{
    int rc = 2;
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        rc = cmd_run(argc - 1, argv + 1);
    else if (argc >= 2 && strcmp(argv[1], "script-from") == 0)
        rc = cmd_script_from(argc - 1, argv + 1);
    else
        fprintf(stderr, "usage: %s run|script-from ...\n", argv[0]);
    fake_free(the_fake);
    return rc;
}
