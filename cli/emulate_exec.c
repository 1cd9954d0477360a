/* `dfuscope emulate` in dfuscope: find the helper program that runs the
 * emulation (dfuscope-emulate, which links umockdev and glib) and execute
 * it with the same arguments (emulate.h).
 *
 * The helper is looked for relative to this program, where cmake --install
 * puts it (DFS_EMULATE_HELPER_REL: from BINDIR to LIBEXECDIR/dfuscope); the
 * build tree has the same layout (build/cli/dfuscope and
 * build/libexec/dfuscope/dfuscope-emulate), so the build tree, an installed
 * prefix, a prefix moved elsewhere and a DESTDIR staging area all work. The
 * environment variable DFS_EMULATE_HELPER names another helper. */
#include <limits.h>
#include <stdio.h>

#include "cli.h"
#include "emulate.h"

#ifndef DFS_EMULATE_HELPER_REL
#define DFS_EMULATE_HELPER_REL "../libexec/dfuscope/dfuscope-emulate"
#endif

/* The helper to run, in path; false with err saying what is missing. */
static bool find_helper(char *path, size_t size, char *err, size_t err_size)
{
    char why[PATH_MAX + 100];
    switch (cli_find_helper(EMULATE_HELPER_ENV, DFS_EMULATE_HELPER_REL, path, size, why,
                            sizeof why)) {
    case CLI_HELPER_FOUND: return true;
    case CLI_HELPER_BAD_ENV: snprintf(err, err_size, "%s", why); return false;
    case CLI_HELPER_NO_SELF:
        snprintf(err, err_size, "cannot find the emulation helper: %s; set %s to the path of "
                 "dfuscope-emulate", why, EMULATE_HELPER_ENV);
        return false;
    case CLI_HELPER_MISSING: break;
    }
#ifdef DFS_HAVE_EMU_BRIDGE
    snprintf(err, err_size,
             "the emulation helper %s is missing: it is built with dfuscope (cmake --build) "
             "and installed beside it (cmake --install; Debian package dfuscope); set %s to "
             "run another one",
             path, EMULATE_HELPER_ENV);
#else
    snprintf(err, err_size,
             "this dfuscope was built without the emulation helper (umockdev or glib "
             "missing at configure time, or DFS_BUILD_FIXTURES=OFF), and there is none at %s: "
             "install the Debian packages umockdev, libumockdev-dev and libglib2.0-dev, then "
             "configure with -DDFS_BUILD_FIXTURES=ON and build again",
             path);
#endif
    return false;
}

int emulate_launch(int argc, char **argv, const struct emulate_request *rq)
{
    (void)argc;
    (void)rq; /* the helper reads the same arguments again */
    char path[PATH_MAX], err[PATH_MAX + 400];
    if (!find_helper(path, sizeof path, err, sizeof err)) {
        cli_err("emulate", "%s", err);
        return EXIT_EMU_FAILED;
    }
    cli_exec_helper("emulate", path, argv);
    return EXIT_EMU_FAILED;
}
