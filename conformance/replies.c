/* What the runner reads from a device's replies: the fields of
 * descriptors, through the decoder's parsers (include/dfuscope/
 * descriptors.h), and a GETSTATUS reply. */
#include <string.h>

#include "dfuscope/descriptors.h"
#include "internal.h"

void dfs_run__desc_header(const uint8_t *p, uint32_t len, uint8_t *bLength, uint8_t *type)
{
    *bLength = len > 0 ? p[0] : 0;
    *type = len > 1 ? p[1] : 0;
}

/* A copy of the reply's first size bytes (zeros past its end) with the
 * header a descriptor of that type has. */
static void with_header(uint8_t *copy, size_t size, const uint8_t *p, uint32_t len, uint8_t type)
{
    memset(copy, 0, size);
    memcpy(copy, p, len < size ? len : size);
    copy[0] = (uint8_t)size;
    copy[1] = type;
}

void dfs_run__device_fields(const uint8_t *p, uint32_t len, struct dfs_desc_device *dev)
{
    uint8_t b[DFS_DEVICE_DESC_LEN];
    with_header(b, sizeof b, p, len, DFS_DT_DEVICE);
    if (dfs_desc_parse_device(b, sizeof b, dev, NULL, NULL) != DFS_OK)
        memset(dev, 0, sizeof *dev); /* (it cannot fail on this copy) */
}

void dfs_run__config_fields(const uint8_t *p, uint32_t len, struct dfs_desc_config *cfg)
{
    uint8_t b[DFS_CONFIG_DESC_LEN];
    with_header(b, sizeof b, p, len, DFS_DT_CONFIGURATION);
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, b, sizeof b);
    memset(cfg, 0, sizeof *cfg);
    if (dfs_desc_walk_next(&w, &it, NULL) == 1 && it.kind == DFS_DK_CONFIG)
        *cfg = it.u.config;
}

bool dfs_run__first_langid(const uint8_t *p, uint32_t len, uint16_t *langid)
{
    uint8_t b[255];
    if (len > sizeof b)
        len = sizeof b;
    with_header(b, len, p, len, DFS_DT_STRING);
    return len >= 2 && dfs_desc_langids(b, len, langid, 1) == 1;
}

bool dfs_run__getstatus_parse(const uint8_t *b, uint32_t len, struct dfs_run__getstatus *gs)
{
    if (len < DFS_GETSTATUS_LEN)
        return false;
    gs->bStatus = b[0];
    gs->poll_ms = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
    gs->bState = b[4];
    gs->iString = b[5];
    return true;
}
