/* dfuscope capture and follow: the pipeline they share.
 *
 *   source (usbmon through libpcap | file | pipe | growing file)
 *     -> follower (--device: only that device, across re-enumeration)
 *     -> writer (-w) and the decoder with the live diagnosis (--diagnose)
 */
#ifndef DFS_CLI_CAPTURE_H
#define DFS_CLI_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>

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
};

/* Run the pipeline; returns the exit code (0, 1 with --diagnose and error
 * findings, 2 when the capture could not be made). */
int capture_run(const struct capture_cfg *cfg);

/* Parse a positive number option (at most max); false with a message. */
bool capture_parse_number(const char *cmd, const char *opt, const char *arg, double max,
                          double *out);

#endif
