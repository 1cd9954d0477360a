/* The DFU side of a configuration descriptor set: its DFU interfaces (from
 * dfs_desc_find_dfu) with their alternate settings, their DFU functional
 * descriptors (wTransferSize, bcdDFUVersion: DfuSe or not), and the names
 * of the alternate settings, which on DfuSe devices are memory layouts
 * ("@Internal Flash /0x08000000/64*02Kg"). What is wrong with them is the
 * descriptor rules' to say (rules_desc.c). */
#include <stdio.h>
#include <string.h>

#include "rules.h"

static void raise_event(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                  struct dfs__dfu_event *ev, enum dfs__ev kind, uint64_t frame)
{
    ev->config = dfs__device_config_label(dev, ev->cfg);
    ev->kind = kind;
    ev->dev = dev;
    ev->dd = dd;
    ev->frame = frame;
    dfs__rules_raise(d, ev);
}

/* A name arrived for alternate setting a: a DfuSe layout when it looks
 * like one or the interface is DfuSe. */
static void load_alt_name(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                          struct dfs__alt *a, const uint8_t *raw, size_t len, uint64_t frame)
{
    char utf8[256];
    if (dfs_desc_string_utf8(raw, len, utf8, sizeof utf8, NULL) != DFS_OK)
        return;
    if (a->named && strcmp(a->name, utf8) == 0)
        return;
    snprintf(a->name, sizeof a->name, "%s", utf8);
    a->named = true;
    a->name_frame = frame;
    a->layout_ok = false;
    a->why[0] = '\0';
    struct dfs__dfu_if *f = dfs__dfu_if_find(dd, a->ifnum, false);
    bool dfuse_like = a->name[0] == '@' || (f && f->dfuse);
    if (dfuse_like)
        a->layout_ok = dfs_layout_parse(a->name, strlen(a->name), &a->layout, a->why,
                                        sizeof a->why) == DFS_OK;
    struct dfs__dfu_event ev = {.rules = f ? &f->rules : NULL,
                                .cfg = a->cfg,
                                .u.named = {.alt = a, .parsed = dfuse_like}};
    raise_event(d, dev, dd, &ev, DFS__EV_ALT_NAMED, frame);
}

void dfs__dfu_name_alts(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        const struct dfs_control *ctl)
{
    if (!ctl->has_setup || ctl->end != DFS_CTL_COMPLETED || ctl->status != 0 ||
        ctl->setup.bmRequestType != 0x80 || ctl->setup.bRequest != DFS_REQ_GET_DESCRIPTOR ||
        (ctl->setup.wValue >> 8) != DFS_DT_STRING || !(uint8_t)ctl->setup.wValue)
        return;
    uint8_t idx = (uint8_t)ctl->setup.wValue;
    for (unsigned i = 0; i < dd->n_alts && !d->error; i++)
        if (dd->alts[i].iInterface == idx && ctl->data_len >= 2)
            load_alt_name(d, dev, dd, &dd->alts[i], ctl->data, ctl->data_len,
                          ctl->complete_frame);
}

/* An alternate setting of a DFU interface in configuration cfg. Returns
 * false when no memory was left to keep it. */
static bool dfu_interface(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                          uint8_t cfg, const struct dfs_desc_interface *in, uint64_t frame)
{
    struct dfs__dfu_if *f = dfs__dfu_if_find(dd, in->bInterfaceNumber, true);
    if (f) {
        f->from_desc = true;
        f->confirmed = true;
        f->runtime = in->bInterfaceProtocol == DFS_DFU_PROTO_RUNTIME;
        f->desc_cfgs |= (uint8_t)(1u << cfg);
    }
    struct dfs__dfu_event ev = {.rules = f ? &f->rules : NULL, .cfg = cfg, .u.iface = in};
    raise_event(d, dev, dd, &ev, DFS__EV_DFU_INTERFACE, frame);
    if (dd->n_alts >= DFS__MAX_ALTS ||
        dfs__dfu_alt_find(dd, cfg, in->bInterfaceNumber, in->bAlternateSetting))
        return true;
    struct dfs__alt *a = dfs__dfu_alt_add(d, dd);
    if (!a)
        return false;
    a->cfg = cfg;
    a->ifnum = in->bInterfaceNumber;
    a->alt = in->bAlternateSetting;
    a->proto = in->bInterfaceProtocol;
    a->iInterface = in->iInterface;
    return true;
}

/* A DFU functional descriptor, of the DFU interface it follows. The first
 * configuration (by descriptor index) that gives one sets what the state
 * machine uses. */
static void functional(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                       uint8_t cfg, uint8_t ifnum, const struct dfs_desc_dfu_functional *fd,
                       uint64_t frame)
{
    struct dfs__dfu_if *f = dfs__dfu_if_find(dd, ifnum, true);
    if (!f)
        return;
    bool first = (f->func_cfgs & ((1u << cfg) - 1)) == 0;
    f->func_cfgs |= (uint8_t)(1u << cfg);
    if (first) {
        f->has_func = true;
        f->func = *fd;
        if (fd->wTransferSize && fd->wTransferSize != 0xffff) {
            f->xfer = fd->wTransferSize;
            f->xfer_inferred = false;
        }
        if (fd->has_version) {
            f->dfuse = fd->bcdDFUVersion == DFS_DFU_VERSION_DFUSE;
            f->dfuse_known = true;
        }
    }
    struct dfs__dfu_event ev = {
        .rules = &f->rules, .cfg = cfg, .u.functional = {.ifnum = ifnum, .desc = fd}};
    raise_event(d, dev, dd, &ev, DFS__EV_FUNCTIONAL, frame);
}

/* Forget the alternate settings configuration cfg gave (it is read again). */
static void drop_alts(struct dfs__dfu_dev *dd, uint8_t cfg)
{
    unsigned w = 0;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].cfg != cfg)
            dd->alts[w++] = dd->alts[i];
    dd->n_alts = w;
}

/* Walk configuration cfg: its problems, DFU interfaces and functional
 * descriptors. Returns false when no memory was left. */
static bool walk_config(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        uint8_t cfg, uint64_t frame)
{
    const struct dfs__config *c = &dev->cfg[cfg];
    struct dfs__dfu_list dfu;
    dfs__dfu_list_get(d, &dfu, c->data, c->len);
    if (!dfu.v)
        return false;
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    dfs_desc_walk_init(&w, c->data, c->len);
    int rc;
    size_t next = 0; /* the next DFU interface, in descriptor order */
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        if (pr.code != DFS_DESC_OK) {
            struct dfs__dfu_event ev = {.cfg = cfg, .u.problem = {.pr = &pr}};
            raise_event(d, dev, dd, &ev, DFS__EV_DESC_PROBLEM, frame);
        }
        if (next < dfu.n && dfu.v[next].offset == it.offset) {
            if (!dfu_interface(d, dev, dd, cfg, &dfu.v[next++].iface, frame)) {
                dfs__dfu_list_free(d, &dfu);
                return false;
            }
        } else if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            functional(d, dev, dd, cfg, it.iface.bInterfaceNumber, &it.u.dfu, frame);
        }
    }
    dfs__dfu_list_free(d, &dfu);
    if (rc < 0) {
        struct dfs__dfu_event ev = {.cfg = cfg, .u.problem = {.pr = &pr, .walk_stopped = true}};
        raise_event(d, dev, dd, &ev, DFS__EV_DESC_PROBLEM, frame);
    }
    return true;
}

void dfs__dfu_parse_config(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                           uint8_t cfg, uint64_t frame)
{
    if (cfg >= DFS__MAX_CONFIGS || !dev->cfg[cfg].data)
        return;
    drop_alts(dd, cfg);
    if (!walk_config(d, dev, dd, cfg, frame))
        return;
    struct dfs__dfu_event parsed = {.cfg = cfg};
    raise_event(d, dev, dd, &parsed, DFS__EV_CONFIG_PARSED, frame);
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++) {
        struct dfs__dfu_if *f = &dd->ifs[i];
        if (f->used && !f->dfuse_known && dfs__dfu_is_st_bootloader(dev)) {
            f->dfuse = true; /* ST's DfuSe bootloader PID */
            f->dfuse_known = true;
        }
    }
    /* strings read before the configuration */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        size_t len;
        const uint8_t *raw = dfs__device_string(dev, dd->alts[i].iInterface, dev->langid, &len);
        if (dd->alts[i].cfg == cfg && raw && dd->alts[i].iInterface)
            load_alt_name(d, dev, dd, &dd->alts[i], raw, len, frame);
    }
}
