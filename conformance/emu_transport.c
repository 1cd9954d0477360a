/* The transport to an emulated device (library dfs_conform_emu): a model of
 * fixtures/models on the emulated bus, with the host on the bus's virtual
 * clock (dfs_emu_bus_config.virtual_host). The bus enumerates the device,
 * passes each request to it at its virtual time, and takes it off and puts
 * it back on the bus when it resets; what the host holds of its
 * descriptors is what the enumeration read. libc only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/emulator.h"
#include "session.h"

struct emu_link {
    struct dfs_emu_device *dev;
    dfs_emu_bus *bus;
    int64_t now;             /* the host's clock: virtual us, the bus's time base */
    uint8_t opened;          /* device number of the device the runner has open, 0 none */
    /* what the kernel holds since the last enumeration */
    uint8_t descs[DFS_DEVICE_DESC_LEN + DFS_RUN__CFG_MAX];
    size_t descs_len;
    char serial[128];
    uint16_t busnum;
};

static void on_attached(void *user, const struct dfs_emu_attach *a)
{
    struct emu_link *l = user;
    size_t n = a->descriptors_len < sizeof l->descs ? a->descriptors_len : sizeof l->descs;
    memcpy(l->descs, a->descriptors, n);
    l->descs_len = n;
    dfs_run__fmt(l->serial, sizeof l->serial, "%s", a->serial ? a->serial : "");
    l->busnum = a->bus;
}

/* Everything due by now has happened; the device number now, 0 off the bus. */
static uint8_t address_now(struct emu_link *l)
{
    dfs_emu_bus_poll(l->bus, l->now);
    return dfs_emu_bus_address(l->bus);
}

static void device_ids(const struct emu_link *l, uint16_t *vid, uint16_t *pid)
{
    struct dfs_desc_device d;
    memset(&d, 0, sizeof d);
    dfs_desc_parse_device(l->descs, l->descs_len < DFS_DEVICE_DESC_LEN ? l->descs_len
                                                                         : DFS_DEVICE_DESC_LEN,
                          &d, NULL, NULL);
    *vid = d.idVendor;
    *pid = d.idProduct;
}

static void ident(const struct emu_link *l, uint8_t address, struct dfs_usb_ident *id)
{
    memset(id, 0, sizeof *id);
    device_ids(l, &id->vid, &id->pid);
    id->bus = l->busnum;
    id->devnum = address;
    dfs_run__fmt(id->path, sizeof id->path, "%u-1", (unsigned)l->busnum);
    dfs_run__fmt(id->serial, sizeof id->serial, "%s", l->serial);
    id->speed = DFS_SPEED_FULL;
}

static bool matches(const struct emu_link *l, const struct dfs_device_sel *sel)
{
    uint16_t vid, pid;
    device_ids(l, &vid, &pid);
    char path[32];
    dfs_run__fmt(path, sizeof path, "%u-1", (unsigned)l->busnum);
    return (!sel->by_id || (sel->vid == vid && sel->pid == pid)) &&
           (!sel->path[0] || strcmp(sel->path, path) == 0) &&
           (!sel->serial[0] || strcmp(sel->serial, l->serial) == 0);
}

static void wanted(const struct dfs_device_sel *sel, char *buf, size_t size)
{
    if (sel->by_id)
        dfs_run__fmt(buf, size, "%04x:%04x", sel->vid, sel->pid);
    else
        dfs_run__fmt(buf, size, "device");
    if (sel->path[0])
        dfs_run__catf(buf, size, " at %s", sel->path);
    if (sel->serial[0])
        dfs_run__catf(buf, size, " with serial %s", sel->serial);
}

/* ---- the transport ------------------------------------------------------------------------- */

static dfs_result t_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    struct emu_link *l = ctx;
    uint8_t address = address_now(l);
    if (!address || !matches(l, sel)) {
        char want[200];
        wanted(sel, want, sizeof want);
        uint16_t vid, pid;
        device_ids(l, &vid, &pid);
        if (address)
            dfs_run__fmt(msg, size, "no %s is connected (the emulated %s is %04x:%04x)", want,
                         l->dev->model->name, vid, pid);
        else
            dfs_run__fmt(msg, size, "no %s is connected (the emulated %s is off the bus)", want,
                         l->dev->model->name);
        return DFS_E_NOTFOUND;
    }
    l->opened = address;
    ident(l, address, id);
    return DFS_OK;
}

static dfs_result t_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct emu_link *l = ctx;
    if (l->descs_len < DFS_DEVICE_DESC_LEN)
        return DFS_E_IO;
    memcpy(dev, l->descs, DFS_DEVICE_DESC_LEN);
    size_t n = l->descs_len - DFS_DEVICE_DESC_LEN;
    if (n > cfg_size)
        n = cfg_size;
    memcpy(cfg, l->descs + DFS_DEVICE_DESC_LEN, n);
    *cfg_len = n;
    return DFS_OK;
}

static dfs_result t_claim(void *ctx, uint8_t interface, char *msg, size_t size)
{
    struct emu_link *l = ctx;
    if (!l->opened || address_now(l) != l->opened) {
        dfs_run__fmt(msg, size, "cannot claim interface %u: the device left the bus",
                     interface);
        return DFS_E_IO;
    }
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    if (l->descs_len > DFS_DEVICE_DESC_LEN)
        dfs_desc_walk_init(&w, l->descs + DFS_DEVICE_DESC_LEN,
                           l->descs_len - DFS_DEVICE_DESC_LEN);
    else
        dfs_desc_walk_init(&w, NULL, 0);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1)
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceNumber == interface)
            return DFS_OK;
    dfs_run__fmt(msg, size, "cannot claim interface %u: the device has no such interface",
                 interface);
    return DFS_E_IO;
}

static enum dfs_xfer_status status_of(int32_t r)
{
    switch (r) {
    case -EPIPE: return DFS_XFER_STALL;
    case -ETIMEDOUT: return DFS_XFER_TIMEOUT;
    case -ENODEV: return DFS_XFER_NO_DEVICE;
    default: return r >= 0 ? DFS_XFER_OK : DFS_XFER_IO;
    }
}

static void t_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct emu_link *l = ctx;
    reply->length = 0;
    if (!l->opened || address_now(l) != l->opened) {
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    uint8_t raw[8] = {su->bmRequestType,        su->bRequest,
                      (uint8_t)su->wValue,      (uint8_t)(su->wValue >> 8),
                      (uint8_t)su->wIndex,      (uint8_t)(su->wIndex >> 8),
                      (uint8_t)su->wLength,     (uint8_t)(su->wLength >> 8)};
    int32_t r = dfs_emu_bus_sync_control(l->bus, l->now, l->opened, raw, data, timeout_ms);
    int64_t done = dfs_emu_bus_now(l->bus);
    if (done > l->now)
        l->now = done;
    reply->status = status_of(r);
    reply->length = r > 0 ? (uint32_t)r : 0;
}

static bool t_present(void *ctx)
{
    struct emu_link *l = ctx;
    return l->opened && address_now(l) == l->opened;
}

static dfs_result t_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct emu_link *l = ctx;
    int64_t deadline = l->now + (int64_t)within_ms * 1000;
    uint8_t old = l->opened;
    l->opened = 0;
    for (;;) {
        uint8_t address = address_now(l);
        if (address && address != old && matches(l, sel)) {
            l->opened = address;
            ident(l, address, id);
            return DFS_OK;
        }
        int64_t next = dfs_emu_bus_poll(l->bus, l->now);
        if (next < 0 || next > deadline)
            break;
        l->now = next > l->now ? next : l->now;
    }
    if (l->now < deadline)
        l->now = deadline;
    char want[200];
    wanted(sel, want, sizeof want);
    dfs_run__fmt(msg, size, "no %s came back within %u ms (the emulated %s)", want,
                 (unsigned)within_ms, l->dev->model->name);
    return DFS_E_NOTFOUND;
}

static void t_close(void *ctx) { ((struct emu_link *)ctx)->opened = 0; }

static const struct dfs_transport_ops emu_ops = {
    t_open, t_cached, t_claim, t_control, t_present, t_reopen, t_close,
};

/* ---- the clock ------------------------------------------------------------------------------ */

static uint64_t c_now(void *ctx) { return (uint64_t)((struct emu_link *)ctx)->now; }

static void c_sleep(void *ctx, uint64_t us)
{
    struct emu_link *l = ctx;
    if (us > (uint64_t)INT64_MAX - (uint64_t)l->now)
        us = (uint64_t)INT64_MAX - (uint64_t)l->now;
    l->now += (int64_t)us;
}

static struct dfs_time c_wall(void *ctx)
{
    int64_t now = ((struct emu_link *)ctx)->now;
    struct dfs_time t = {now / 1000000, (uint32_t)(now % 1000000) * 1000};
    return t;
}

/* ---- the API -------------------------------------------------------------------------------- */

dfs_result dfs_emu_transport_new(struct dfs_emu_device *dev, struct dfs_transport *out,
                                 struct dfs_clock *clock, char *msg, size_t msg_size)
{
    char dummy[8];
    if (!msg) {
        msg = dummy;
        msg_size = sizeof dummy;
    }
    if (!dev || !dev->model || !out || !clock) {
        dfs_run__fmt(msg, msg_size, "no emulated device");
        return DFS_E_INVAL;
    }
    struct emu_link *l = calloc(1, sizeof *l);
    if (!l) {
        dfs_run__fmt(msg, msg_size, "out of memory");
        return DFS_E_NOMEM;
    }
    l->dev = dev;
    struct dfs_emu_bus_ops ops = {.attached = on_attached, .user = l};
    struct dfs_emu_bus_config cfg = {.no_hub = true, .virtual_host = true};
    dfs_result r = dfs_emu_bus_new(&cfg, dev, &ops, &l->bus);
    if (r != DFS_OK) {
        free(l);
        dfs_run__fmt(msg, msg_size, "cannot make the emulated bus: %s", dfs_result_str(r));
        return r;
    }
    l->now = dfs_emu_bus_start_us(l->bus);
    if (dfs_emu_bus_plug(l->bus, l->now) != DFS_OK) {
        dfs_emu_bus_free(l->bus);
        free(l);
        dfs_run__fmt(msg, msg_size, "the emulated %s could not be enumerated",
                     dev->model->name);
        return DFS_E_IO;
    }
    l->now = dfs_emu_bus_now(l->bus);
    out->ops = &emu_ops;
    out->ctx = l;
    clock->now_us = c_now;
    clock->sleep_us = c_sleep;
    clock->wall = c_wall;
    clock->ctx = l;
    return DFS_OK;
}

void dfs_emu_transport_free(struct dfs_transport *t)
{
    if (!t || t->ops != &emu_ops)
        return;
    struct emu_link *l = t->ctx;
    dfs_emu_bus_free(l->bus);
    free(l);
    t->ctx = NULL;
    t->ops = NULL;
}

uint8_t dfs_emu_transport_address(const struct dfs_transport *t)
{
    if (!t || t->ops != &emu_ops)
        return 0;
    return address_now(t->ctx);
}

dfs_result dfs_emu_transport_unplug(const struct dfs_transport *t, int64_t return_after_us)
{
    if (!t || t->ops != &emu_ops)
        return DFS_E_INVAL;
    struct emu_link *l = t->ctx;
    return dfs_emu_bus_unplug(l->bus, l->now, return_after_us);
}
