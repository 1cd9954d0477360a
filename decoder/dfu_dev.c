/* The DFU state of a device instance: created when a DFU interface or a
 * DFU request first shows up, with up to DFS__MAX_DFU_IFS interfaces and
 * DFS__MAX_ALTS alternate settings (grown as needed), freed with the
 * instance. */
#include <string.h>

#include "dfu_layer.h"

struct dfs__dfu_dev *dfs__dfu_dev_get(dfs_decoder *d, struct dfs__device *dev, bool create)
{
    if (!dev->dfu && create) {
        dev->dfu = dfs__calloc(d, 1, sizeof *dev->dfu);
        if (!dev->dfu) {
            dfs__nomem(d, "cannot track the DFU state of a device");
            return NULL;
        }
        for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
            dev->dfu->ifs[i].state = DFS_STATE_UNKNOWN;
    }
    return dev->dfu;
}

void dfs__dfu_dev_free(dfs_decoder *d, struct dfs__device *dev)
{
    if (!dev->dfu)
        return;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        dfs__free(d, dev->dfu->ifs[i].pend.data);
    dfs__free(d, dev->dfu->alts);
    dfs__free(d, dev->dfu);
    dev->dfu = NULL;
}

struct dfs__dfu_if *dfs__dfu_if_find(struct dfs__dfu_dev *dd, uint8_t ifnum, bool create)
{
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].ifnum == ifnum)
            return &dd->ifs[i];
    if (!create)
        return NULL;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        if (!dd->ifs[i].used) {
            struct dfs__dfu_if *f = &dd->ifs[i];
            memset(f, 0, sizeof *f);
            f->used = true;
            f->ifnum = ifnum;
            f->state = DFS_STATE_UNKNOWN;
            return f;
        }
    return NULL;
}

struct dfs__alt *dfs__dfu_alt_find(const struct dfs__dfu_dev *dd, uint8_t cfg, uint8_t ifnum,
                                   uint8_t alt)
{
    struct dfs__alt *first = NULL;
    for (unsigned i = 0; i < dd->n_alts; i++) {
        struct dfs__alt *a = &dd->alts[i];
        if (a->ifnum != ifnum || a->alt != alt)
            continue;
        if (a->cfg == cfg)
            return a;
        if (cfg == DFS__ANY_CONFIG && (!first || a->cfg < first->cfg))
            first = a;
    }
    return first;
}

struct dfs__alt *dfs__dfu_alt_add(dfs_decoder *d, struct dfs__dfu_dev *dd)
{
    if (dd->n_alts >= DFS__MAX_ALTS)
        return NULL;
    if (dd->n_alts == dd->cap_alts) {
        /* most devices have a few: grow, do not reserve DFS__MAX_ALTS */
        unsigned cap = dd->cap_alts ? dd->cap_alts * 2 : 4;
        if (cap > DFS__MAX_ALTS)
            cap = DFS__MAX_ALTS;
        struct dfs__alt *n = dfs__realloc(d, dd->alts, cap * sizeof *n);
        if (!n) {
            dfs__nomem(d, "cannot keep the alternate settings of a DFU interface");
            return NULL;
        }
        dd->alts = n;
        dd->cap_alts = cap;
    }
    struct dfs__alt *a = &dd->alts[dd->n_alts++];
    memset(a, 0, sizeof *a);
    return a;
}

uint8_t dfs__dfu_cur_alt(const struct dfs__device *dev, uint8_t ifnum)
{
    return ifnum < DFS__MAX_IFACES ? dev->alt[ifnum] : 0;
}

const struct dfs__alt *dfs__dfu_layout_alt(const struct dfs__dfu_dev *dd,
                                           const struct dfs__device *dev, uint8_t ifnum)
{
    uint8_t alt = dfs__dfu_cur_alt(dev, ifnum), cfg = DFS__ANY_CONFIG;
    /* the configuration in use, when SET_CONFIGURATION named one the capture holds */
    for (uint8_t i = 0; i < DFS__MAX_CONFIGS && dev->configuration; i++)
        if (dev->cfg[i].data && dev->cfg[i].data[5] == dev->configuration &&
            dfs__dfu_alt_find(dd, i, ifnum, alt))
            cfg = i;
    const struct dfs__alt *a = dfs__dfu_alt_find(dd, cfg, ifnum, alt);
    return a && a->layout_ok ? a : NULL;
}

void dfs__dfu_pend_clear(dfs_decoder *d, struct dfs__dfu_if *f)
{
    dfs__free(d, f->pend.data);
    memset(&f->pend, 0, sizeof f->pend);
}
