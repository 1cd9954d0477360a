/* The outcome of a session, from the evidence ("did my flash work?"): what
 * was erased, written and read back, whether every block was acknowledged
 * and carried out, and whether the device left and came back running its
 * application, never came back, or is still in DFU mode. `diagnose` prints
 * it before the findings, and as summary.outcome in its JSON. */
#ifndef DFS_CLI_OUTCOME_H
#define DFS_CLI_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"

struct outcome {
    uint64_t erases, mass_erases, erases_failed;
    uint64_t write_bytes, write_regions, writes_failed, writes_ok;
    uint64_t read_bytes, read_regions;
    uint32_t write_end, read_end;   /* where the last write/read ended (regions) */
    bool write_any, read_any;
    uint64_t blocks, blocks_acked, blocks_failed; /* DNLOAD data blocks */
    bool leave;                     /* a DfuSe leave or a DFU 1.1 manifestation was asked */
    uint64_t leave_frame;
    bool after_leave;               /* a DFU request other than GETSTATUS after the leave */
    /* a GETSTATUS after the leave said dfuERROR: the device refused the
     * download at its end (the ESP32-S2 ROM for an archive that fails its
     * MD5 check) */
    bool leave_refused;
    uint64_t refused_frame;
    uint8_t refused_status;         /* its bStatus, 0xff if not decoded */
    uint32_t last_dev;              /* the instance of the last DFU transaction */
    uint64_t last_frame;
    bool any_dfu;
    bool last_failed;               /* the last DFU transaction did not complete normally */
    uint8_t last_request;
};

void outcome_on_dfu(struct outcome *o, const struct dfs_dfu_txn *t);
void outcome_on_mem(struct outcome *o, const struct dfs_mem_op *op);

/* Where the device went: filled by outcome_finish. */
enum outcome_end {
    OUTCOME_NO_DFU,       /* no DFU session in the capture */
    OUTCOME_STAYED_DFU,   /* still on the bus, in DFU mode */
    OUTCOME_STAYED,       /* still on the bus (run-time, or no DFU state known) */
    OUTCOME_UNSEEN,       /* asked to leave; the capture ends before it shows more */
    OUTCOME_SILENT,       /* its last request failed, and nothing more came from it */
    OUTCOME_BACK_APP,     /* left, came back running its application */
    OUTCOME_BACK_DFU,     /* left, came back in DFU mode */
    OUTCOME_BACK_OTHER,   /* left, and a device came back that cannot be told */
    OUTCOME_GONE,         /* left, and did not come back in the capture */
};

struct outcome_result {
    enum outcome_end end;
    uint64_t gone_frame, back_frame;
    /* came back before the capture showed it leave (a reset, or a
     * disconnect only noticed when the new device got its address):
     * last_frame is the old instance's last record */
    bool gone_unseen;
    uint64_t last_frame;
    uint16_t back_vid, back_pid;
    bool back_runtime;              /* the device that came back has a DFU run-time interface */
    bool back_other_id;             /* ... and another VID:PID (or the first one is not known) */
    /* still in DFU mode after a download, on a device of a family known to
     * stay in its bootloader until it is reset (quirk R26), or NULL */
    const struct dfs_quirk_family *stays;
    uint16_t vid, pid;              /* the device's, when `stays` is set */
    char text[768];                 /* one paragraph, in words */
};

void outcome_finish(const struct outcome *o, dfs_decoder *dec, struct outcome_result *r);
/* summary.outcome of the JSON (docs/json.md) */
void outcome_json(FILE *f, const struct outcome *o, const struct outcome_result *r);

#endif
