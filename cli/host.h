/* Which host program drove the session, from its request pattern: dfu-util
 * (before 0.10, or 0.10 and later, where the pattern tells), fwupd,
 * dfu-programmer, STM32CubeProgrammer, pydfu-like hosts, or unknown. Each
 * mark is a habit of one host (or a few) seen in its sources and in
 * captures it made (docs/hosts.md); a host is named only when at least two
 * marks agree and no mark rules it out. `diagnose` prints it beside the
 * outcome, as summary.host in its JSON, and adds what is known of that host
 * to the remedies of the findings it concerns. */
#ifndef DFS_CLI_HOST_H
#define DFS_CLI_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

enum host_family {
    HOST_NONE,           /* no DFU request in the capture: nothing to tell */
    HOST_UNKNOWN,
    HOST_DFU_UTIL,
    HOST_FWUPD,
    HOST_DFU_PROGRAMMER,
    HOST_CUBEPROG,
    HOST_PYDFU,
    HOST__COUNT
};

enum host_version {
    HOST_VERSION_ANY,
    HOST_VERSION_DFU_UTIL_OLD,  /* dfu-util before 0.10 */
    HOST_VERSION_DFU_UTIL_NEW,  /* dfu-util 0.10 or later */
};

#define HOST_MARKS 20
#define HOST_DEVS 8

struct host_mark_seen {
    uint64_t frame;             /* first frame that shows it, 0 when not seen */
};

struct host_dev {
    uint32_t device;            /* instance */
    bool used;
    uint8_t hist[3];            /* the last standard requests (bRequest + 1), newest first */
    uint16_t hist_wvalue[3], hist_wlength[3];
    uint64_t hist_frame[3];
    unsigned dfu_since_std;     /* DFU requests since the last standard request */
};

struct host {
    struct host_mark_seen mark[HOST_MARKS];
    struct host_dev dev[HOST_DEVS];
    uint64_t n_dfu;
    uint32_t cur_device;        /* instance of the previous DFU transaction */
    bool have_prev;
    struct dfs_dfu_txn prev;    /* the previous DFU transaction (data not kept) */
    bool prev2_valid;
    struct dfs_dfu_txn prev2;
    unsigned n_in_session;      /* DFU requests on this instance so far */
    int last_cmd;               /* last DfuSe command of this instance, -1 none */
    bool cmd_since_write;       /* a SET_ADDRESS since the last data block */
    /* dfu-util's erase order within one download run (no ABORT between) */
    bool run_written;           /* a data block written in this run */
    bool run_erase_after_write; /* ... and an erase after it */
    bool first_on_device;       /* the first DFU request of this instance */
    unsigned run_erases_before_write;
    unsigned run_writes;
    uint64_t run_first_erase;
    uint32_t prev_write_addr, prev_write_end;
    unsigned setaddr_blocks;    /* data blocks with a SET_ADDRESS just before */
    uint64_t flip_first;        /* the first FLIP command block */
    uint64_t after_initial_clrstatus; /* the DFU request after a CLRSTATUS sent first */
};

void host_init(struct host *h);
void host_on_control(struct host *h, const struct dfs_control *c);
void host_on_dfu(struct host *h, const struct dfs_dfu_txn *t);

struct host_result {
    enum host_family family;
    enum host_version version;
    const char *name;           /* "dfu-util", "unknown" */
    const char *version_text;   /* "before 0.10", "0.10 or later", or NULL */
    const char *confidence;     /* "likely", "very likely", or NULL (unknown) */
    unsigned score;
    uint64_t frames[8];         /* the first frame of each mark counted */
    unsigned n_frames;
    uint64_t initial_clrstatus; /* frame of a CLRSTATUS sent first, or 0 */
    uint64_t after_initial_clrstatus; /* ... and of the DFU request after it */
    uint64_t leave_no_setaddr;  /* frame of a DfuSe leave without SET_ADDRESS, or 0 */
    char text[900];             /* one paragraph, in words, with the frames */
};

void host_finish(const struct host *h, struct host_result *r);
/* summary.host of the JSON (docs/json.md) */
void host_json(FILE *f, const struct host_result *r);
/* What is known of this host that bears on the finding `id`, one or two
 * sentences to add to its remedy, or NULL. */
const char *host_note(const struct host_result *r, const char *id, enum dfs_severity sev,
                      const uint64_t *frames, unsigned n_frames, const char *remedy);

#endif
