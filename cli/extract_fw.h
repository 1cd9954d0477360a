/* extract --format dfu|dfuse: the firmware library's writer behind
 * cmd_extract.c (extract_fw.c). */
#ifndef DFS_CLI_EXTRACT_FW_H
#define DFS_CLI_EXTRACT_FW_H

#include "cli.h"
#include "dfuscope/firmware.h"

/* A session collector for the operations extract keeps (reads when
 * upload, one alternate setting when alt >= 0, at most limit bytes).
 * Returns 0, or EXIT_USAGE after saying why. */
int extract_fw_new(dfs_fw_session **out, bool upload, int alt, uint64_t limit);
/* The DFU (dfuse false) or DfuSe file of what was collected, into *file
 * (malloc'd) and *len; fill fills the gaps of a DFU file, limit bounds its
 * size. Returns 0, or EXIT_USAGE after saying why (naming path). */
int extract_fw_build(const dfs_fw_session *s, bool dfuse, int fill, uint64_t limit,
                     const char *path, uint8_t **file, size_t *len);

#endif
