/* Interface classification: which interfaces are DFU, and which flavour.
 * From the configuration descriptor (dfs_desc_find_dfu, the one search for
 * DFU interfaces, class 0xFE subclass 0x01) when the capture holds it, else
 * from requests and replies only DFU produces: other class requests (an
 * audio SET_CUR shares bRequest 1 with DNLOAD) are never taken for DFU. */
#include <string.h>

#include "dfu_layer.h"

bool dfs__dfu_request_shape(const struct dfs_setup *s)
{
    if (s->bmRequestType != DFS_DFU_REQTYPE_OUT && s->bmRequestType != DFS_DFU_REQTYPE_IN)
        return false;
    if (s->bRequest > DFS_DFU_ABORT || (s->wIndex >> 8) != 0)
        return false;
    bool in = s->bmRequestType == DFS_DFU_REQTYPE_IN;
    /* the direction each request must have */
    bool want_in = s->bRequest == DFS_DFU_UPLOAD || s->bRequest == DFS_DFU_GETSTATUS ||
                   s->bRequest == DFS_DFU_GETSTATE;
    return in == want_in;
}

bool dfs__dfu_reply_pattern(const struct dfs_control *ctl)
{
    const struct dfs_setup *s = &ctl->setup;
    bool ok = ctl->end == DFS_CTL_COMPLETED && ctl->status == 0;
    if (s->bRequest == DFS_DFU_GETSTATUS && s->wValue == 0 && s->wLength == DFS_GETSTATUS_LEN &&
        ok && ctl->data_len == DFS_GETSTATUS_LEN && ctl->data[4] <= 15 && ctl->data[0] <= 15)
        return true;
    return s->bRequest == DFS_DFU_GETSTATE && s->wValue == 0 && s->wLength == 1 && ok &&
           ctl->data_len == 1 && ctl->data[0] <= DFS_STATE_ERROR;
}

void dfs__dfu_list_get(dfs_decoder *d, struct dfs__dfu_list *l, const uint8_t *config,
                       size_t len)
{
    const size_t max = sizeof l->buf / sizeof l->buf[0];
    l->v = l->buf;
    l->n = dfs_desc_find_dfu(config, len, l->buf, max);
    if (l->n <= max)
        return;
    /* more alternate settings than a device has in practice: all of them */
    l->v = dfs__calloc(d, l->n, sizeof *l->v);
    if (!l->v) {
        dfs__nomem(d, "cannot list the DFU interfaces of a configuration");
        l->n = 0;
        return;
    }
    l->n = dfs_desc_find_dfu(config, len, l->v, l->n);
}

void dfs__dfu_list_free(dfs_decoder *d, struct dfs__dfu_list *l)
{
    if (l->v != l->buf)
        dfs__free(d, l->v);
    l->v = NULL;
    l->n = 0;
}

/* Add the numbers of a configuration's DFU interfaces to dev->dfu_ifs. */
static void add_dfu_ifs(dfs_decoder *d, struct dfs__device *dev, const struct dfs__config *c)
{
    struct dfs__dfu_list l;
    dfs__dfu_list_get(d, &l, c->data, c->len);
    for (size_t i = 0; i < l.n; i++) {
        uint8_t n = l.v[i].iface.bInterfaceNumber;
        dev->dfu_ifs[n / 8] = (uint8_t)(dev->dfu_ifs[n / 8] | 1u << (n % 8));
    }
    dfs__dfu_list_free(d, &l);
}

enum dfs__dfu_config_kind dfs__dfu_config_kind(dfs_decoder *d, const uint8_t *config, size_t len)
{
    struct dfs__dfu_list l;
    dfs__dfu_list_get(d, &l, config, len);
    bool dfu_mode = false, other_dfu = false;
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i].iface.bInterfaceProtocol == DFS_DFU_PROTO_DFU)
            dfu_mode = true;
        else /* run-time, or the protocol 0 some devices use */
            other_dfu = true;
    }
    dfs__dfu_list_free(d, &l);
    return dfu_mode ? DFS__CONFIG_DFU_MODE : other_dfu ? DFS__CONFIG_DFU_RUNTIME
                                                       : DFS__CONFIG_NO_DFU;
}

enum dfs__dfu_config_kind dfs__dfu_device_kind(dfs_decoder *d, const struct dfs__device *dev)
{
    enum dfs__dfu_config_kind best = DFS__CONFIG_NO_DFU;
    for (int i = 0; i < DFS__MAX_CONFIGS; i++) {
        const struct dfs__config *c = &dev->cfg[i];
        if (!c->data || c->partial)
            continue;
        enum dfs__dfu_config_kind k = dfs__dfu_config_kind(d, c->data, c->len);
        if (k < best) /* DFU mode, then run-time, then none */
            best = k;
    }
    return best;
}

bool dfs__dfu_device_has_interface(dfs_decoder *d, struct dfs__device *dev, uint8_t ifnum)
{
    if (!dev->dfu_ifs_known) {
        memset(dev->dfu_ifs, 0, sizeof dev->dfu_ifs);
        const struct dfs__config *in_use = dfs__device_config_in_use(dev);
        if (dev->configuration && in_use && in_use->data[5] == dev->configuration) {
            add_dfu_ifs(d, dev, in_use);
        } else {
            /* the configuration in use is not known: a DFU interface of any
             * of them (dfu-util looks in every configuration) */
            for (int i = 0; i < DFS__MAX_CONFIGS; i++) {
                const struct dfs__config *c = &dev->cfg[i];
                if (c->data && !c->partial)
                    add_dfu_ifs(d, dev, c);
            }
        }
        /* without memory for a long list, ask again next time */
        dev->dfu_ifs_known = !d->error;
    }
    return dev->dfu_ifs[ifnum / 8] >> (ifnum % 8) & 1u;
}

bool dfs__dfu_is_st_bootloader(const struct dfs__device *dev)
{
    return dev->identified && dev->vid == 0x0483 && dev->pid == 0xdf11;
}

bool dfs__dfu_looks_dfuse(const struct dfs_control *ctl)
{
    const struct dfs_setup *s = &ctl->setup;
    if (s->bRequest != DFS_DFU_DNLOAD || s->wValue != 0 || !ctl->data_len)
        return false;
    uint8_t cmd = ctl->data[0];
    return (ctl->data_len == 5 && (cmd == DFS_DFUSE_SET_ADDRESS || cmd == DFS_DFUSE_ERASE)) ||
           (ctl->data_len == 1 && (cmd == DFS_DFUSE_ERASE || cmd == DFS_DFUSE_READ_UNPROTECT));
}
