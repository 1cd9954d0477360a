/* The DFU layer's entry points: the dispatcher hands it each control
 * transfer and each change of a device instance, and the end of the
 * capture; it keeps the DFU state of each instance and answers
 * dfs_decoder_dfu_info. The work is in the files dfu_layer.h lists. */
#include <stdio.h>
#include <string.h>

#include "rules.h"

static void raise_event(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_event *ev,
                        enum dfs__ev kind, uint64_t frame)
{
    ev->kind = kind;
    ev->dev = dev;
    ev->dd = dev->dfu;
    ev->frame = frame;
    dfs__rules_raise(d, ev);
}

void dfs__dfu_free(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs; i++)
        dfs__dfu_dev_free(d, d->devs[i]);
}

void dfs__dfu_device_free(dfs_decoder *d, struct dfs__device *dev)
{
    dfs__dfu_dev_free(d, dev);
}

/* An Atmel FLIP bootloader (dfu-quirks R25): its interface has class
 * 0/0/0 and no functional descriptor; DFU requests to it are DFU. */
static bool flip_interface(dfs_decoder *d, struct dfs__device *dev, uint8_t ifnum)
{
    struct dfs__dfu_dev *dd = dfs__dfu_dev_get(d, dev, true);
    struct dfs__dfu_if *f = dd ? dfs__dfu_if_find(dd, ifnum, true) : NULL;
    if (!f)
        return false;
    f->confirmed = true;
    f->flip = true;
    f->dfuse_known = true;
    return true;
}

bool dfs__dfu_classify(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    if (!ctl->has_setup || !dfs__dfu_request_shape(&ctl->setup))
        return false;
    uint8_t ifnum = (uint8_t)ctl->setup.wIndex;
    if (dfs__flip_device(dev))
        return flip_interface(d, dev, ifnum);
    if (dfs__device_config_in_use(dev))
        return dfs__dfu_device_has_interface(d, dev, ifnum);
    /* No configuration descriptor in the capture: take the interface for DFU
     * only once a GETSTATUS or GETSTATE gets a reply only DFU gives. */
    struct dfs__dfu_dev *dd = dev->dfu;
    struct dfs__dfu_if *f = dd ? dfs__dfu_if_find(dd, ifnum, false) : NULL;
    if (f && f->confirmed)
        return true;
    if (!dfs__dfu_reply_pattern(ctl))
        return false;
    dd = dfs__dfu_dev_get(d, dev, true);
    if (!dd)
        return false;
    f = dfs__dfu_if_find(dd, ifnum, true);
    if (!f)
        return false;
    f->confirmed = true;
    if (!f->dfuse_known && dfs__dfu_is_st_bootloader(dev)) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    return true;
}

void dfs__dfu_on_control(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    if (dd) {
        struct dfs__dfu_event ev = {.u.ctl = ctl};
        raise_event(d, dev, &ev, DFS__EV_TRAFFIC, ctl->complete_frame);
        if (d->error)
            return;
        dfs__dfu_name_alts(d, dev, dd, ctl);
    }
    if (!ctl->dfu || d->error)
        return;
    dd = dfs__dfu_dev_get(d, dev, true);
    if (!dd)
        return;
    if (!dd->requested) {
        dd->requested = true;
        dd->first_request_frame = ctl->submit_frame ? ctl->submit_frame : ctl->complete_frame;
    }
    struct dfs__dfu_if *f = dfs__dfu_if_find(dd, (uint8_t)ctl->setup.wIndex, true);
    if (!f)
        return;
    f->confirmed = true;
    dfs__dfu_request(d, dev, dd, f, ctl);
}

void dfs__dfu_on_device(dfs_decoder *d, struct dfs__device *dev, enum dfs_device_change change,
                        uint64_t frame)
{
    if (change == DFS_DEV_CONFIGURED) {
        const struct dfs__config *c = &dev->cfg[dev->cfg_last];
        if (!c->data || c->partial)
            return;
        struct dfs__dfu_dev *dd = dfs__dfu_dev_get(d, dev, true);
        if (dd)
            dfs__dfu_parse_config(d, dev, dd, dev->cfg_last, frame);
    }
    struct dfs__dfu_event ev = {.u.change = change};
    raise_event(d, dev, &ev, DFS__EV_DEVICE, frame);
}

/* No more names will come for the alternate settings of this instance. */
static void alts_final(dfs_decoder *d, struct dfs__device *dev, bool stop_on_error)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    for (int k = 0; k < DFS__MAX_DFU_IFS && !(stop_on_error && d->error); k++) {
        struct dfs__dfu_if *f = &dd->ifs[k];
        if (!f->used)
            continue;
        struct dfs__dfu_event ev = {.rules = &f->rules, .u.ifnum = f->ifnum};
        raise_event(d, dev, &ev, DFS__EV_ALTS_FINAL, d->cur_frame);
    }
}

void dfs__dfu_finish(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
        struct dfs__device *dev = d->devs[i];
        if (!dev->dfu)
            continue;
        alts_final(d, dev, false);
        struct dfs__dfu_event ev = {0};
        raise_event(d, dev, &ev, DFS__EV_END, d->cur_frame);
    }
}

bool dfs__dfu_device_busy(const struct dfs__device *dev)
{
    return dev->dfu && dfs__lost_pending(dev->dfu);
}

void dfs__dfu_device_retire(dfs_decoder *d, struct dfs__device *dev)
{
    if (dev->dfu)
        alts_final(d, dev, true);
}

dfs_result dfs_decoder_dfu_info(const dfs_decoder *d, uint32_t device, struct dfs_dfu_info *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev)
        return DFS_E_NOTFOUND;
    memset(out, 0, sizeof *out);
    out->state = DFS_STATE_UNKNOWN;
    const struct dfs__dfu_dev *dd = dev->dfu;
    if (!dd)
        return DFS_OK;
    const struct dfs__dfu_if *f = NULL;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].confirmed) {
            f = &dd->ifs[i];
            break;
        }
    if (!f)
        return DFS_OK;
    out->present = true;
    out->from_descriptor = f->from_desc;
    out->interface = f->ifnum;
    out->runtime = f->runtime;
    out->has_functional = f->has_func;
    out->functional = f->func;
    out->transfer_size = f->xfer;
    out->transfer_size_inferred = f->xfer_inferred;
    out->dfuse = f->dfuse;
    out->flip = f->flip;
    out->state = f->state;
    out->address_valid = f->ptr_valid;
    out->address = f->ptr;
    for (unsigned i = 0; i < dd->n_alts && out->n_alts < DFS_DFU_MAX_ALTS; i++) {
        const struct dfs__alt *a = &dd->alts[i];
        struct dfs_dfu_alt_info *o = &out->alts[out->n_alts++];
        o->interface = a->ifnum;
        o->alt = a->alt;
        o->protocol = a->proto;
        o->iInterface = a->iInterface;
        o->has_name = a->named;
        snprintf(o->name, sizeof o->name, "%s", a->name);
        o->name_frame = a->name_frame;
        o->layout_parsed = a->layout_ok;
        if (a->layout_ok)
            o->layout = a->layout;
        snprintf(o->layout_error, sizeof o->layout_error, "%s", a->why);
        o->configuration = a->cfg < DFS__MAX_CONFIGS && dev->cfg[a->cfg].data
                               ? dev->cfg[a->cfg].data[5]
                               : 0;
    }
    return DFS_OK;
}
