/* dfuscope capture and follow: the pipeline they share.
 *
 *   source (usbmon through libpcap | file | pipe | growing file)
 *     -> follower (--device: only that device, across re-enumeration)
 *     -> writer (-w) and the decoder with the live diagnosis (--diagnose)
 */
#ifndef DFS_CLI_CAPTURE_H
#define DFS_CLI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/live.h"

/* Live capture runs in the helper program dfuscope-capture, the only program
 * of dfuscope that links libpcap (capture_helper.c); dfuscope executes it with
 * the arguments of its capture command (capture_exec.c), which the same code
 * (cmd_capture.c) reads again there. Reading a file (-r) and `follow` run in
 * dfuscope itself. The environment variable below names another helper. */
#define CAPTURE_HELPER_ENV "DFS_CAPTURE_HELPER"

struct capture_cfg {
    const char *cmd;         /* "capture" or "follow", for messages */
    /* where records come from */
    const char *read_path;   /* a file or "-"; NULL: live usbmon */
    bool follow;             /* read_path is a pipe or a file still being written */
    const char *iface;       /* -i usbmonN, or NULL/"auto" */
    int buffer_size;         /* kernel buffer, bytes (0: default) */
    /* which records */
    const char *device;      /* --device BUS.DEV or VID:PID, or NULL for all */
    uint32_t max_held;       /* hold-back limit of the follower (0: default) */
    /* what to do with them */
    const char *write_path;  /* -w FILE ("-" for standard output), or NULL */
    bool diagnose;           /* live DFU transactions, findings, diagnosis at the end */
    bool json;
    const char *color;       /* --color WHEN */
    bool status;             /* progress line on stderr when it is a terminal */
    /* when to stop (besides end of input and Ctrl-C) */
    double duration;         /* seconds, 0: no limit */
    double idle;             /* seconds without a record, 0: no limit */
    uint64_t count;          /* records written, 0: no limit */
    /* opens a live usbmon interface: dfs_source_open_live in the capture
     * helper; NULL in dfuscope, which reads files only */
    dfs_result (*open_live)(const struct dfs_live_options *opt, dfs_source **out, char *err,
                            size_t err_size);
};

/* Run the pipeline; returns the exit code (0, 1 with --diagnose and error
 * findings, 2 when the capture could not be made). */
int capture_run(const struct capture_cfg *cfg);

/* Live capture of c (no read_path): in dfuscope, execute the capture helper
 * with argv (the capture command's arguments, argv[0] being "capture");
 * in the helper, run the capture. Returns the exit code. */
int capture_launch(char **argv, struct capture_cfg *c);

/* Options capture and follow share (getopt_long values). */
enum {
    CAPOPT_DEVICE = 256, CAPOPT_JSON, CAPOPT_COLOR, CAPOPT_DURATION, CAPOPT_MAXHELD,
    CAPOPT_NOSTATUS, CAPOPT_FIRST_OWN /* a command's own options start here */
};
#define CAPTURE_COMMON_OPTIONS                                                  \
    {"device", required_argument, NULL, CAPOPT_DEVICE},                         \
    {"write", required_argument, NULL, 'w'},                                    \
    {"json", no_argument, NULL, CAPOPT_JSON},                                   \
    {"color", required_argument, NULL, CAPOPT_COLOR},                           \
    {"duration", required_argument, NULL, CAPOPT_DURATION},                     \
    {"max-held", required_argument, NULL, CAPOPT_MAXHELD},                      \
    {"no-status", no_argument, NULL, CAPOPT_NOSTATUS},                          \
    {"help", no_argument, NULL, 'h'}

/* Take one of the shared options into *c. Returns 1 when it was one, 0 when
 * it is not, -1 on a bad value (message printed). */
int capture_option(struct capture_cfg *c, int opt, const char *arg);

/* Parse a positive number option (at most max); false with a message. */
bool capture_parse_number(const char *cmd, const char *opt, const char *arg, double max,
                          double *out);

#endif
