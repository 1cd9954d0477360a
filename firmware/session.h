/* dfs_firmware internals: the session collector (session.c), shared with
 * the comparison (compare.c) and the writer (build.c). */
#ifndef DFS_FW_SESSION_H
#define DFS_FW_SESSION_H

#include "fw_internal.h"

#define DFS_FW__GONE_MAX 16

struct dfs_fw_session {
    struct dfs_fw_session_options o;
    struct dfs_fw__map map;        /* what the device holds now, as far as written */
    uint8_t **chunks;              /* the copies the map points into */
    size_t n_chunks, cap_chunks;
    uint64_t copied;               /* bytes copied (overwritten ones too) */
    bool nomem, full;
    uint64_t ops, failed_ops, missing_bytes;
    uint64_t first_frame, last_frame;
    bool any_dfuse, any_plain, mixed;
    uint32_t plain_lane;           /* of the DFU 1.1 image (its offsets) */
    uint8_t plain_alt;
    bool has_last_ok;
    struct dfs_mem_op last_ok;     /* without data */
    struct dfs_mem_op first_failed;
    struct {
        uint32_t lane;
        uint64_t frame;
    } gone[DFS_FW__GONE_MAX];      /* the last departure of each device lane */
    unsigned n_gone;
    uint64_t errors;               /* error findings of the capture */
    char first_error_id[64], first_error_title[160];
    uint64_t first_error_frame;
    bool has_device;
    struct dfs_fw_device device;
};

#endif
