/* dfuscope-emulate: emulate_launch() in the helper program, where the
 * emulation runs under libumockdev-preload (fixtures/bridge). emulate.h says
 * how the two programs share cmd_emulate.c. */
#include <stdlib.h>

#include "bridge.h"
#include "cli.h"
#include "emulate.h"

int emulate_launch(int argc, char **argv, const struct emulate_request *rq)
{
    (void)argc;
    char err[600];
    if (!dfs_emu_preload_active()) {
        /* run again under libumockdev-preload: the emulator must see its
         * own test bed the way the command does (argv is this program's:
         * main passes its own) */
        dfs_emu_reexec_with_preload(argv, err, sizeof err);
        cli_err("emulate", "%s", err);
        return EXIT_EMU_FAILED;
    }
    struct dfs_emu_run_options ro = {
        .model = rq->model,
        .assignments = rq->assignments,
        .n_assignments = rq->n_assignments,
        .pcap_path = rq->pcap,
        .pcap_linktype = rq->pcap_linktype,
        .bus = (uint16_t)rq->bus,
        .address = (uint8_t)rq->address,
        .trace = rq->trace,
        .argv = rq->command,
    };
    err[0] = '\0';
    int status = dfs_emu_run(&ro, err, sizeof err);
    if (status < 0 || status == EXIT_CMD_NOT_FOUND) {
        if (*err)
            cli_err("emulate", "%s", err);
        return status < 0 ? EXIT_EMU_FAILED : status;
    }
    return status;
}
