/* dfuscope emulate: the command line is read by cmd_emulate.c in two
 * programs. In dfuscope (libc, libpcap and libusb only) emulate_launch()
 * finds the helper program dfuscope-emulate and executes it with the same
 * arguments (emulate_exec.c); in the helper, which links umockdev and glib,
 * emulate_launch() runs the emulation (emulate_run.c). --help, --list and
 * usage errors are answered by dfuscope itself, without the helper. */
#ifndef DFS_CLI_EMULATE_H
#define DFS_CLI_EMULATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu.h"

/* Exit codes of the emulator itself (the command's own status otherwise),
 * the convention of env(1) and timeout(1). */
#define EXIT_EMU_FAILED 125
#define EXIT_CMD_NOT_FOUND 127

/* The environment variable naming the helper to run instead of the one
 * installed beside dfuscope (tests, other builds). */
#define EMULATE_HELPER_ENV "DFS_EMULATE_HELPER"

/* What cmd_emulate read and checked. */
struct emulate_request {
    const struct dfs_emu_model *model;
    const char *const *assignments; /* "NAME=VALUE" model options */
    size_t n_assignments;
    const char *pcap;               /* capture to write, or NULL */
    int linktype;                   /* its link type: 0 (220), 249, 266 or 288 */
    unsigned bus, address;          /* 0: the defaults */
    bool trace;
    char **command;                 /* the command after "--", NULL-terminated */
    dfs_emu_twin *twin;             /* --from-capture: the model instead of model */
};

/* Where cmd_emulate runs: dfuscope checks the arguments (and the capture)
 * and executes the helper; the helper executes itself again under the
 * preload library, then runs the emulation and speaks of the twin. */
enum emulate_stage { EMULATE_CHECK, EMULATE_REEXEC, EMULATE_RUN };
enum emulate_stage emulate_stage(void);

/* --from-capture: read the capture and build its twin (emulate_twin.c).
 * Returns 0 and *out, or the exit status after printing why (2: the file
 * or the device). verbose: say what the twin is and what was made up. */
int emulate_twin_load(const char *path, const char *device, bool strict, bool verbose,
                      dfs_emu_twin **out);
/* At exit: every answer the twin had to make up or refused. */
void emulate_twin_report(const dfs_emu_twin *t);

/* Run the emulation of rq. argc/argv are the arguments cmd_emulate was
 * given (argv[0] is "emulate" in dfuscope, the helper's path in the helper;
 * argv[argc] is NULL). Returns the exit status of the emulate command. */
int emulate_launch(int argc, char **argv, const struct emulate_request *rq);

#endif
