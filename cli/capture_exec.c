/* `dfuscope capture` of a live bus, in dfuscope: find the helper program that
 * captures (dfuscope-capture, the only one that links libpcap) and execute it
 * with the same arguments (capture.h, helper_exec.c). */
#include <limits.h>
#include <stdio.h>

#include "capture.h"
#include "cli.h"

#ifndef DFS_CAPTURE_HELPER_REL
#define DFS_CAPTURE_HELPER_REL "../libexec/dfuscope/dfuscope-capture"
#endif

int capture_launch(char **argv, struct capture_cfg *c)
{
    (void)c; /* the helper reads the same arguments again */
    char path[PATH_MAX], why[PATH_MAX + 100];
    switch (cli_find_helper(CAPTURE_HELPER_ENV, DFS_CAPTURE_HELPER_REL, path, sizeof path, why,
                            sizeof why)) {
    case CLI_HELPER_FOUND:
        cli_exec_helper("capture", path, argv);
        return EXIT_USAGE;
    case CLI_HELPER_BAD_ENV: cli_err("capture", "%s", why); return EXIT_USAGE;
    case CLI_HELPER_NO_SELF:
        cli_err("capture", "cannot find the capture helper: %s; set %s to the path of "
                "dfuscope-capture", why, CAPTURE_HELPER_ENV);
        return EXIT_USAGE;
    case CLI_HELPER_MISSING: break;
    }
    cli_err("capture",
            "the capture helper %s is missing: it is built with dfuscope (cmake --build) and "
            "installed beside it (cmake --install; Debian package dfuscope); set %s to run "
            "another one. Reading a capture file (-r FILE, or dfuscope follow) needs no helper",
            path, CAPTURE_HELPER_ENV);
    return EXIT_USAGE;
}
