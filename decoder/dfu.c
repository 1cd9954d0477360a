/* DFU layer: which interfaces are DFU. */
#include <string.h>

#include "state.h"

dfs_result dfs__dfu_init(dfs_decoder *d)
{
    (void)d;
    return DFS_OK;
}

void dfs__dfu_free(dfs_decoder *d)
{
    (void)d;
}

void dfs__dfu_device_free(dfs_decoder *d, struct dfs__device *dev)
{
    (void)d;
    (void)dev;
}

/* Is interface `ifnum` of the device's configuration a DFU interface? */
static bool config_has_dfu_interface(const struct dfs__device *dev, uint16_t ifnum)
{
    if (!dev->config)
        return false;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, dev->config, dev->config_len);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1) {
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceNumber == ifnum &&
            it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS)
            return true;
    }
    return false;
}

bool dfs__dfu_classify(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    (void)d;
    if (!ctl->has_setup)
        return false;
    uint8_t rt = ctl->setup.bmRequestType;
    if (rt != DFS_DFU_REQTYPE_OUT && rt != DFS_DFU_REQTYPE_IN)
        return false;
    if (ctl->setup.bRequest > DFS_DFU_ABORT)
        return false;
    return config_has_dfu_interface(dev, ctl->setup.wIndex & 0xff);
}

void dfs__dfu_on_control(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    (void)d;
    (void)dev;
    (void)ctl;
}

void dfs__dfu_on_device(dfs_decoder *d, struct dfs__device *dev, enum dfs_device_change change,
                        uint64_t frame)
{
    (void)d;
    (void)dev;
    (void)change;
    (void)frame;
}

void dfs__dfu_finish(dfs_decoder *d)
{
    (void)d;
}
