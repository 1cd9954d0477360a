/* A transport that answers from a byte string: the device's descriptors and
 * then, request by request, an outcome and the reply's bytes, for the
 * runner's handling of device replies (test_replies.c: any bytes are a
 * valid input). Time is virtual. Format in replay_transport.h. */
#include "replay_transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/usb.h"

struct replay {
    const uint8_t *p;
    size_t len, pos;
    uint8_t dev[18];
    uint8_t cfg[1024];
    size_t cfg_len;
    uint64_t now;
    bool open;
    uint8_t devnum;
};

static bool take(struct replay *r, size_t n, const uint8_t **out)
{
    if (r->len - r->pos < n)
        return false;
    *out = r->p + r->pos;
    r->pos += n;
    return true;
}

static void ident(struct replay *r, struct dfs_usb_ident *id)
{
    memset(id, 0, sizeof *id);
    id->vid = (uint16_t)(r->dev[8] | r->dev[9] << 8);
    id->pid = (uint16_t)(r->dev[10] | r->dev[11] << 8);
    id->bus = 1;
    id->devnum = r->devnum;
    snprintf(id->path, sizeof id->path, "1-1");
    id->speed = DFS_SPEED_FULL;
}

static dfs_result r_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    (void)sel;
    struct replay *r = ctx;
    if (r->pos >= r->len) {
        snprintf(msg, size, "no device (the replay holds no requests)");
        return DFS_E_NOTFOUND;
    }
    r->open = true;
    ident(r, id);
    return DFS_OK;
}

static dfs_result r_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct replay *r = ctx;
    memcpy(dev, r->dev, 18);
    size_t n = r->cfg_len < cfg_size ? r->cfg_len : cfg_size;
    memcpy(cfg, r->cfg, n);
    *cfg_len = n;
    return DFS_OK;
}

static dfs_result r_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    (void)ctx;
    (void)iface;
    (void)msg;
    (void)size;
    return DFS_OK;
}

static void r_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct replay *r = ctx;
    const uint8_t *b;
    reply->length = 0;
    r->now += 100;
    if (!take(r, 1, &b)) {
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    static const enum dfs_xfer_status map[8] = {
        DFS_XFER_OK, DFS_XFER_STALL, DFS_XFER_TIMEOUT, DFS_XFER_NO_DEVICE,
        DFS_XFER_IO, DFS_XFER_OVERFLOW, DFS_XFER_OK, DFS_XFER_OK,
    };
    reply->status = map[b[0] & 7];
    if (reply->status == DFS_XFER_TIMEOUT)
        r->now += (uint64_t)timeout_ms * 1000;
    if (reply->status == DFS_XFER_NO_DEVICE) {
        r->pos = r->len;
        return;
    }
    if (!(su->bmRequestType & DFS_REQTYPE_DIR_IN) || reply->status != DFS_XFER_OK) {
        reply->length = reply->status == DFS_XFER_OK ? su->wLength : 0;
        return;
    }
    const uint8_t *lb;
    if (!take(r, 2, &lb)) {
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    uint32_t n = (uint32_t)(lb[0] | lb[1] << 8);
    if (n > su->wLength)
        n = su->wLength;
    if (n > r->len - r->pos)
        n = (uint32_t)(r->len - r->pos);
    if (n && take(r, n, &b))
        memcpy(data, b, n);
    reply->length = n;
}

static bool r_present(void *ctx)
{
    struct replay *r = ctx;
    return r->pos < r->len;
}

static dfs_result r_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    (void)sel;
    struct replay *r = ctx;
    r->now += (uint64_t)within_ms * 1000 / 2;
    if (r->pos >= r->len) {
        snprintf(msg, size, "the replay holds nothing more");
        return DFS_E_NOTFOUND;
    }
    r->devnum++;
    ident(r, id);
    return DFS_OK;
}

static void r_close(void *ctx) { ((struct replay *)ctx)->open = false; }

static const struct dfs_transport_ops replay_ops = {
    r_open, r_cached, r_claim, r_control, r_present, r_reopen, r_close,
};

static uint64_t c_now(void *ctx) { return ((struct replay *)ctx)->now; }
static void c_sleep(void *ctx, uint64_t us) { ((struct replay *)ctx)->now += us; }

dfs_result replay_transport_new(const uint8_t *data, size_t len, struct dfs_transport *out,
                                    struct dfs_clock *clock)
{
    if ((!data && len) || !out || !clock)
        return DFS_E_INVAL;
    struct replay *r = calloc(1, sizeof *r);
    if (!r)
        return DFS_E_NOMEM;
    r->p = data;
    r->len = len;
    r->devnum = 2;
    /* descriptors: 18 bytes, a 2-byte length, that many configuration bytes */
    const uint8_t *b;
    if (take(r, 18, &b))
        memcpy(r->dev, b, 18);
    const uint8_t *lb;
    if (take(r, 2, &lb)) {
        size_t n = (size_t)(lb[0] | lb[1] << 8);
        if (n > sizeof r->cfg)
            n = sizeof r->cfg;
        if (n > r->len - r->pos)
            n = r->len - r->pos;
        if (n && take(r, n, &b))
            memcpy(r->cfg, b, n);
        r->cfg_len = n;
    }
    out->ops = &replay_ops;
    out->ctx = r;
    clock->now_us = c_now;
    clock->sleep_us = c_sleep;
    clock->wall = NULL;
    clock->ctx = r;
    return DFS_OK;
}

void replay_transport_free(struct dfs_transport *t)
{
    if (!t)
        return;
    free(t->ctx);
    t->ctx = NULL;
    t->ops = NULL;
}
