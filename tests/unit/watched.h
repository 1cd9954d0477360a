/* A transport in front of an emulated device's (dfs_emu_transport), for the
 * runner's tests (runner_rig.c) and the command-line fake (fakerun.c): what
 * reaches the device is counted, and the device is pulled off the bus at
 * the request after vanish_after of them (0: never). */
#ifndef DFS_TEST_WATCHED_H
#define DFS_TEST_WATCHED_H

#include "dfuscope/runner.h"

/* What reached the device: requests (not those that found it gone), DFU
 * class requests by bRequest, DNLOADs with data. */
struct seen_by_device {
    unsigned requests, dfu[8], data_dnloads;
};

struct watched {
    struct dfs_transport *emu;
    unsigned vanish_after;
    struct seen_by_device seen;
};

/* Make *tp the transport in front of emu (w stays in use while tp is). */
void watched_init(struct watched *w, struct dfs_transport *emu, unsigned vanish_after,
                  struct dfs_transport *tp);

#endif
