/* The transport in front of an emulated device's (watched.h). */
#include "watched.h"

#include "dfuscope/dfu.h"
#include "dfuscope/emulator.h"

static dfs_result w_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    struct watched *w = ctx;
    return w->emu->ops->open(w->emu->ctx, sel, id, msg, size);
}

static dfs_result w_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct watched *w = ctx;
    return w->emu->ops->cached_descriptors(w->emu->ctx, dev, cfg, cfg_size, cfg_len);
}

static dfs_result w_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    struct watched *w = ctx;
    return w->emu->ops->claim(w->emu->ctx, iface, msg, size);
}

static void w_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct watched *w = ctx;
    if (w->vanish_after && w->seen.requests == w->vanish_after)
        dfs_emu_transport_unplug(w->emu, DFS_EMU_NEVER);
    w->emu->ops->control(w->emu->ctx, su, data, timeout_ms, reply);
    if (reply->status == DFS_XFER_NO_DEVICE)
        return;
    w->seen.requests++;
    bool dfu = su->bmRequestType == DFS_DFU_REQTYPE_IN || su->bmRequestType == DFS_DFU_REQTYPE_OUT;
    if (dfu && su->bRequest < 8)
        w->seen.dfu[su->bRequest]++;
    if (dfu && su->bRequest == DFS_DFU_DNLOAD && su->wLength)
        w->seen.data_dnloads++;
}

static bool w_present(void *ctx)
{
    struct watched *w = ctx;
    return w->emu->ops->present(w->emu->ctx);
}

static dfs_result w_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct watched *w = ctx;
    return w->emu->ops->reopen(w->emu->ctx, sel, within_ms, id, msg, size);
}

static void w_close(void *ctx)
{
    struct watched *w = ctx;
    w->emu->ops->close(w->emu->ctx);
}

static const struct dfs_transport_ops watched_ops = {w_open,    w_cached, w_claim, w_control,
                                                     w_present, w_reopen, w_close};

void watched_init(struct watched *w, struct dfs_transport *emu, unsigned vanish_after,
                  struct dfs_transport *tp)
{
    w->emu = emu;
    w->vanish_after = vanish_after;
    w->seen = (struct seen_by_device){0};
    tp->ops = &watched_ops;
    tp->ctx = w;
}
