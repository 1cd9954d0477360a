/* How `dfuscope run` reaches devices: libusb-1.0 and the system clock.
 * (The tests link cmd_run.c with an in-process device instead.) */
#include "cli.h"
#include "dfuscope/runner.h"

void cli_run_clock(struct dfs_clock *clock) { dfs_system_clock(clock); }

dfs_result cli_run_transport_new(const struct dfs_clock *clock, struct dfs_transport *tp,
                                 char *msg, size_t msg_size)
{
    return dfs_usb_transport_new(clock, tp, msg, msg_size);
}

void cli_run_transport_free(struct dfs_transport *tp) { dfs_usb_transport_free(tp); }
