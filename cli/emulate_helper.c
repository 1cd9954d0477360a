/* dfuscope-emulate: the helper program that runs `dfuscope emulate`.
 *
 * It is the only program of dfuscope that links umockdev and glib, so that
 * dfuscope itself loads neither. dfuscope executes it with the arguments of
 * its emulate command (emulate_exec.c); they are read again by the same code
 * (cmd_emulate.c), then the emulation runs under libumockdev-preload
 * (emulate_run.c, fixtures/bridge). It is installed in LIBEXECDIR/dfuscope/,
 * not on PATH. */
#include "cli.h"

int main(int argc, char **argv)
{
    /* the arguments of `dfuscope emulate`, argv[0] being this program */
    return cmd_emulate(argc, argv);
}
