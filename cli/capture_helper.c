/* dfuscope-capture: the helper program that makes `dfuscope capture`'s live
 * captures.
 *
 * It is the only program of dfuscope that links libpcap (and, through
 * Debian's libpcap, libdbus, libsystemd and libgcrypt), so that dfuscope
 * itself loads none of them. dfuscope executes it with the arguments of its
 * capture command (capture_exec.c); they are read again by the same code
 * (cmd_capture.c), and the capture runs here (capture_live.c, capture_run.c)
 * with libpcap's live source. It is installed in LIBEXECDIR/dfuscope/, not on PATH. */
#include "cli.h"

int main(int argc, char **argv)
{
    /* the arguments of `dfuscope capture`, argv[0] being this program */
    return cmd_capture(argc, argv);
}
