/* What the capture cannot show, and what the host did not do, about a DFU
 * device: the descriptors of a device whose enumeration the capture missed
 * (capture.enumeration-missing), and a device that enumerated in DFU mode
 * and was then left alone: no DFU request, and no class or vendor request
 * or transfer of any other function either (dfu.never-opened; a composite
 * device whose other functions are in use is used as intended). Both at the end of
 * the capture, once per device instance. */
#include "finding_text.h"
#include "rules.h"

/* how long a DFU-mode device must stay without a DFU request before its
 * silence says something: a tool that waits for it opens it at once */
#define NEVER_OPENED_QUIET_US 1000000

DFS__RULE(dfs__rule_enumeration_missing)
{
    const struct dfs__device *dev = ev->dev;
    const struct dfs__dfu_dev *dd = ev->dd;
    if (!dd || !dd->requested)
        return;
    bool no_device = dev->devdesc_len < DFS_DEVICE_DESC_LEN;
    bool no_config = !dfs__device_config_in_use(dev);
    if (!no_device && !no_config)
        return;
    struct dfs__frames fr = dfs__frame_pair(dev->first_frame, dd->first_request_frame);
    dfs__say_enumeration_missing(d, dev, &fr, no_device, no_config, d->linktype);
}

/* An earlier instance of the same device (the same VID:PID) that was sent
 * DFU requests: then its driver is there, and a later instance that nobody
 * opens is the end of the tool's work, not a missing driver. */
static bool opened_before(dfs_decoder *d, const struct dfs__device *dev)
{
    uint32_t id = dev->previous;
    for (unsigned hops = 0; id && hops < 64; hops++) {
        const struct dfs__device *p = dfs__device_by_id(d, id);
        if (!p)
            return false;
        if (p->identified && p->vid == dev->vid && p->pid == dev->pid && p->dfu &&
            p->dfu->requested)
            return true;
        id = p->previous;
    }
    return false;
}

DFS__RULE(dfs__rule_never_opened)
{
    const struct dfs__device *dev = ev->dev;
    const struct dfs__dfu_dev *dd = ev->dd;
    if (!dd || dd->requested || !dev->identified || dev->used)
        return;
    const struct dfs__dfu_if *mode = NULL;
    for (int k = 0; k < DFS__MAX_DFU_IFS && !mode; k++)
        if (dd->ifs[k].used && dd->ifs[k].from_desc && !dd->ifs[k].runtime)
            mode = &dd->ifs[k];
    if (!mode || opened_before(d, dev))
        return;
    struct dfs_time end = dev->gone ? dev->gone_ts : dfs__capture_end_ts(d);
    int64_t quiet = dfs__time_diff_us(end, dev->last_ts);
    if (quiet < NEVER_OPENED_QUIET_US)
        return;
    const struct dfs__device *prev = dev->previous ? dfs__device_by_id(d, dev->previous) : NULL;
    struct dfs__frames fr = dfs__frame_pair(dev->first_frame, dev->last_frame);
    dfs__say_never_opened(d, dev, &fr, mode->ifnum, prev, quiet, d->linktype);
}
