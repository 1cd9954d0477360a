/* extract --format dfu|dfuse: what a session wrote, as a DFU file (the
 * image with a suffix naming the device) or a DfuSe file (one target per
 * alternate setting, one element per extent), written by the firmware
 * library (include/dfuscope/firmware.h). */
#include "extract_fw.h"

int extract_fw_new(dfs_fw_session **out, bool upload, int alt, uint64_t limit)
{
    struct dfs_fw_session_options o;
    dfs_fw_session_options_init(&o);
    o.reads = upload;
    o.alt = alt;
    o.max_bytes = limit;
    if (dfs_fw_session_new(&o, out) != DFS_OK) {
        cli_err("extract", "out of memory");
        return EXIT_USAGE;
    }
    return 0;
}

int extract_fw_build(const dfs_fw_session *s, bool dfuse, int fill, uint64_t limit,
                     const char *path, uint8_t **file, size_t *len)
{
    char why[300];
    dfs_result r = dfs_fw_session_build(s, dfuse ? DFS_FW_OUT_DFUSE : DFS_FW_OUT_DFU,
                                        (uint8_t)fill, limit, file, len, why, sizeof why);
    if (r == DFS_OK)
        return 0;
    cli_err("extract", "%s: %s; nothing written", path, why);
    return EXIT_USAGE;
}
