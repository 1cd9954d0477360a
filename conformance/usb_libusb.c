/* The libusb-1.0 transport: the only file that includes <libusb.h>.
 * Finds the device by VID:PID, port path or serial, opens it (explaining a
 * permission problem with the fix), claims the DFU interface, sends
 * control transfers, notices when the device leaves and opens it again
 * after a re-enumeration. Under `dfuscope emulate` the same code talks to
 * an emulated device through umockdev. */
#include <libusb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/quirks.h"
#include "session.h"

struct usbt {
    libusb_context *ctx;
    libusb_device_handle *h;
    struct dfs_clock clock;
    bool claimed;
    uint8_t iface;
    struct dfs_usb_ident id;
    bool have_id;
};

static const char *errname(int r) { return libusb_error_name(r); }

static enum dfs_usb_speed speed_of(int s)
{
    switch (s) {
    case LIBUSB_SPEED_LOW: return DFS_SPEED_LOW;
    case LIBUSB_SPEED_FULL: return DFS_SPEED_FULL;
    case LIBUSB_SPEED_HIGH: return DFS_SPEED_HIGH;
    case LIBUSB_SPEED_SUPER:
    case LIBUSB_SPEED_SUPER_PLUS: return DFS_SPEED_SUPER;
    default: return DFS_SPEED_UNKNOWN;
    }
}

static void path_of(libusb_device *d, char *buf, size_t size)
{
    uint8_t ports[8];
    int n = libusb_get_port_numbers(d, ports, sizeof ports);
    dfs_run__fmt(buf, size, "%u", libusb_get_bus_number(d));
    for (int i = 0; i < n; i++)
        dfs_run__catf(buf, size, "%s%u", i ? "." : "-", ports[i]);
}

static size_t put_bytes(uint8_t *out, size_t size, size_t pos, const void *p, size_t n)
{
    if (pos + n > size)
        return size + 1; /* overflow marker */
    memcpy(out + pos, p, n);
    return pos + n;
}

/* The configuration set, rebuilt in its original order from what the
 * kernel read at enumeration (libusb keeps the unknown descriptors as
 * "extra" bytes in place), into cfg; its length, or cfg_size + 1 when it
 * was cut (at the last whole descriptor that fits). */
static size_t config_bytes(const struct libusb_config_descriptor *c, uint8_t *cfg,
                           size_t cfg_size)
{
    size_t pos = 0;
    uint8_t h[9] = {c->bLength,
                    c->bDescriptorType,
                    (uint8_t)c->wTotalLength,
                    (uint8_t)(c->wTotalLength >> 8),
                    c->bNumInterfaces,
                    c->bConfigurationValue,
                    c->iConfiguration,
                    c->bmAttributes,
                    c->MaxPower};
    pos = put_bytes(cfg, cfg_size, pos, h, 9);
    if (c->extra_length > 0)
        pos = put_bytes(cfg, cfg_size, pos, c->extra, (size_t)c->extra_length);
    for (int i = 0; i < c->bNumInterfaces && pos <= cfg_size; i++) {
        const struct libusb_interface *it = &c->interface[i];
        for (int a = 0; a < it->num_altsetting && pos <= cfg_size; a++) {
            const struct libusb_interface_descriptor *id = &it->altsetting[a];
            uint8_t ih[9] = {id->bLength,          id->bDescriptorType,    id->bInterfaceNumber,
                             id->bAlternateSetting, id->bNumEndpoints,     id->bInterfaceClass,
                             id->bInterfaceSubClass, id->bInterfaceProtocol, id->iInterface};
            pos = put_bytes(cfg, cfg_size, pos, ih, 9);
            if (id->extra_length > 0)
                pos = put_bytes(cfg, cfg_size, pos, id->extra, (size_t)id->extra_length);
            for (int e = 0; e < id->bNumEndpoints && pos <= cfg_size; e++) {
                const struct libusb_endpoint_descriptor *ep = &id->endpoint[e];
                uint8_t eh[9] = {ep->bLength,
                                 ep->bDescriptorType,
                                 ep->bEndpointAddress,
                                 ep->bmAttributes,
                                 (uint8_t)ep->wMaxPacketSize,
                                 (uint8_t)(ep->wMaxPacketSize >> 8),
                                 ep->bInterval,
                                 ep->bRefresh,
                                 ep->bSynchAddress};
                pos = put_bytes(cfg, cfg_size, pos, eh, ep->bLength >= 9 ? 9 : 7);
                if (ep->extra_length > 0)
                    pos = put_bytes(cfg, cfg_size, pos, ep->extra, (size_t)ep->extra_length);
            }
        }
    }
    return pos;
}

/* Does the device have a DFU interface (dfs_quirk_find_dfu: class 0xFE/1,
 * or the interface its family is known to use instead), by what the kernel
 * read at enumeration? */
static bool has_dfu_interface(libusb_device *d, const struct libusb_device_descriptor *dd)
{
    struct libusb_config_descriptor *c = NULL;
    if (libusb_get_active_config_descriptor(d, &c) != 0 &&
        libusb_get_config_descriptor(d, 0, &c) != 0)
        return false;
    uint8_t cfg[DFS_RUN__CFG_MAX];
    size_t n = config_bytes(c, cfg, sizeof cfg);
    libusb_free_config_descriptor(c);
    return dfs_quirk_find_dfu(dd->idVendor, dd->idProduct, dd->bcdDevice, cfg,
                              n < sizeof cfg ? n : sizeof cfg, NULL, 0, NULL) > 0;
}

static void permission_msg(libusb_device *d, const struct libusb_device_descriptor *dd, char *msg,
                           size_t size)
{
    char path[32];
    path_of(d, path, sizeof path);
    dfs_run__fmt(msg, size,
                 "permission denied opening %04x:%04x at %s (/dev/bus/usb/%03u/%03u). Run dfuscope "
                 "as root, or let your user open the device with a udev rule: put\n"
                 "  SUBSYSTEM==\"usb\", ATTR{idVendor}==\"%04x\", ATTR{idProduct}==\"%04x\", "
                 "MODE=\"0660\", TAG+=\"uaccess\"\n"
                 "into /etc/udev/rules.d/70-dfuscope.rules, then run\n"
                 "  sudo udevadm control --reload-rules && sudo udevadm trigger\n"
                 "and plug the device in again",
                 dd->idVendor, dd->idProduct, path, libusb_get_bus_number(d),
                 libusb_get_device_address(d), dd->idVendor, dd->idProduct);
}

static void serial_of(libusb_device_handle *h, const struct libusb_device_descriptor *dd, char *out,
                      size_t size)
{
    out[0] = '\0';
    if (!dd->iSerialNumber)
        return;
    unsigned char buf[128];
    int n = libusb_get_string_descriptor_ascii(h, dd->iSerialNumber, buf, sizeof buf - 1);
    if (n > 0) {
        buf[n] = '\0';
        dfs_run__fmt(out, size, "%s", (const char *)buf);
    }
}

/* Find and open one device. exclude_bus/devnum: a device number not to
 * take (the instance that left). quiet_access: an access error is not
 * final (a device that just came back may not have its permissions yet). */
static dfs_result find_open(struct usbt *t, const struct dfs_device_sel *sel, uint16_t exclude_bus,
                            uint8_t exclude_dev, char *msg, size_t size)
{
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(t->ctx, &list);
    if (n < 0) {
        dfs_run__fmt(msg, size, "cannot list USB devices: %s", errname((int)n));
        return DFS_E_IO;
    }
    libusb_device *match = NULL;
    libusb_device_handle *match_h = NULL;
    unsigned n_match = 0;
    char seen[400] = "", matches[400] = "";
    bool access_denied = false;
    char access_msg[700] = "";
    bool by_serial = sel->serial[0] != '\0';
    bool any = !sel->by_id && !sel->path[0] && !by_serial;
    for (ssize_t i = 0; i < n; i++) {
        libusb_device *d = list[i];
        struct libusb_device_descriptor dd;
        if (libusb_get_device_descriptor(d, &dd) != 0)
            continue;
        char path[32];
        path_of(d, path, sizeof path);
        if (dd.bDeviceClass != LIBUSB_CLASS_HUB)
            dfs_run__catf(seen, sizeof seen, "%s%04x:%04x at %s", seen[0] ? ", " : "", dd.idVendor,
                          dd.idProduct, path);
        if (libusb_get_bus_number(d) == exclude_bus && libusb_get_device_address(d) == exclude_dev)
            continue;
        if (sel->by_id && (dd.idVendor != sel->vid || dd.idProduct != sel->pid))
            continue;
        if (sel->path[0] && strcmp(path, sel->path) != 0)
            continue;
        if (any && !has_dfu_interface(d, &dd))
            continue;
        libusb_device_handle *h = NULL;
        char serial[128] = "";
        if (by_serial) {
            int r = libusb_open(d, &h);
            if (r == LIBUSB_ERROR_ACCESS) {
                access_denied = true;
                permission_msg(d, &dd, access_msg, sizeof access_msg);
                continue;
            }
            if (r != 0)
                continue;
            serial_of(h, &dd, serial, sizeof serial);
            if (strcmp(serial, sel->serial) != 0) {
                libusb_close(h);
                continue;
            }
        }
        dfs_run__catf(matches, sizeof matches, "%s%s", matches[0] ? ", " : "", path);
        if (n_match++ == 0) {
            match = libusb_ref_device(d);
            match_h = h;
        } else if (h) {
            libusb_close(h);
        }
    }
    libusb_free_device_list(list, 1);
    char want[200];
    if (sel->by_id)
        dfs_run__fmt(want, sizeof want, "%04x:%04x", sel->vid, sel->pid);
    else
        dfs_run__fmt(want, sizeof want, "%s", any ? "DFU device" : "device");
    if (sel->path[0])
        dfs_run__catf(want, sizeof want, " at %s", sel->path);
    if (by_serial)
        dfs_run__catf(want, sizeof want, " with serial %s", sel->serial);
    if (n_match == 0) {
        if (access_denied) {
            dfs_run__fmt(msg, size, "%s", access_msg);
            return DFS_E_IO;
        }
        dfs_run__fmt(msg, size, "no %s is connected (USB devices seen: %s)%s", want,
                     seen[0] ? seen : "none",
                     seen[0] ? ""
                             : "; is /dev/bus/usb present? in a container, pass the USB devices "
                               "through");
        return DFS_E_NOTFOUND;
    }
    if (n_match > 1) {
        if (match_h)
            libusb_close(match_h);
        libusb_unref_device(match);
        dfs_run__fmt(msg, size,
                     "%u devices match (%s at %s); choose one with --path BUS-PORT or "
                     "--serial SERIAL",
                     n_match, want, matches);
        return DFS_E_NOTFOUND;
    }
    struct libusb_device_descriptor dd;
    libusb_get_device_descriptor(match, &dd);
    libusb_device_handle *h = match_h;
    if (!h) {
        int r = libusb_open(match, &h);
        if (r != 0) {
            if (r == LIBUSB_ERROR_ACCESS)
                permission_msg(match, &dd, msg, size);
            else
                dfs_run__fmt(msg, size, "cannot open %04x:%04x at %s: %s", dd.idVendor,
                             dd.idProduct, matches, errname(r));
            libusb_unref_device(match);
            return r == LIBUSB_ERROR_NO_DEVICE ? DFS_E_NOTFOUND : DFS_E_IO;
        }
    }
    t->h = h;
    memset(&t->id, 0, sizeof t->id);
    t->id.vid = dd.idVendor;
    t->id.pid = dd.idProduct;
    t->id.bus = libusb_get_bus_number(match);
    t->id.devnum = libusb_get_device_address(match);
    path_of(match, t->id.path, sizeof t->id.path);
    t->id.speed = speed_of(libusb_get_device_speed(match));
    serial_of(h, &dd, t->id.serial, sizeof t->id.serial);
    t->have_id = true;
    t->claimed = false;
    libusb_unref_device(match);
    return DFS_OK;
}

static dfs_result op_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                          char *msg, size_t size)
{
    struct usbt *t = ctx;
    if (t->h) {
        dfs_run__fmt(msg, size, "a device is open already");
        return DFS_E_STATE;
    }
    dfs_result r = find_open(t, sel, 0xffff, 0, msg, size);
    if (r == DFS_OK)
        *id = t->id;
    return r;
}

static dfs_result op_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                            size_t *cfg_len)
{
    struct usbt *t = ctx;
    if (!t->h)
        return DFS_E_STATE;
    libusb_device *d = libusb_get_device(t->h);
    struct libusb_device_descriptor dd;
    if (libusb_get_device_descriptor(d, &dd) != 0)
        return DFS_E_IO;
    uint8_t b[18] = {dd.bLength,
                     dd.bDescriptorType,
                     (uint8_t)dd.bcdUSB,
                     (uint8_t)(dd.bcdUSB >> 8),
                     dd.bDeviceClass,
                     dd.bDeviceSubClass,
                     dd.bDeviceProtocol,
                     dd.bMaxPacketSize0,
                     (uint8_t)dd.idVendor,
                     (uint8_t)(dd.idVendor >> 8),
                     (uint8_t)dd.idProduct,
                     (uint8_t)(dd.idProduct >> 8),
                     (uint8_t)dd.bcdDevice,
                     (uint8_t)(dd.bcdDevice >> 8),
                     dd.iManufacturer,
                     dd.iProduct,
                     dd.iSerialNumber,
                     dd.bNumConfigurations};
    memcpy(dev, b, sizeof b);
    struct libusb_config_descriptor *c = NULL;
    if (libusb_get_active_config_descriptor(d, &c) != 0 &&
        libusb_get_config_descriptor(d, 0, &c) != 0) {
        *cfg_len = 0;
        return DFS_OK;
    }
    size_t pos = config_bytes(c, cfg, cfg_size);
    libusb_free_config_descriptor(c);
    if (pos > cfg_size)
        pos = cfg_size; /* cut: the walk reports it */
    *cfg_len = pos;
    return DFS_OK;
}

static dfs_result op_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    struct usbt *t = ctx;
    if (!t->h)
        return DFS_E_STATE;
    libusb_set_auto_detach_kernel_driver(t->h, 1);
    int r = libusb_claim_interface(t->h, iface);
    if (r != 0) {
        if (r == LIBUSB_ERROR_BUSY)
            dfs_run__fmt(msg, size,
                         "interface %u of %04x:%04x is in use by another program (dfu-util, "
                         "another dfuscope, ...) or by a kernel driver that could not be detached",
                         iface, t->id.vid, t->id.pid);
        else if (r == LIBUSB_ERROR_ACCESS)
            dfs_run__fmt(msg, size,
                         "permission denied claiming interface %u of %04x:%04x: run as "
                         "root or install a udev rule (see the message for opening it)",
                         iface, t->id.vid, t->id.pid);
        else
            dfs_run__fmt(msg, size, "cannot claim interface %u of %04x:%04x: %s", iface, t->id.vid,
                         t->id.pid, errname(r));
        return r == LIBUSB_ERROR_NO_DEVICE ? DFS_E_NOTFOUND : DFS_E_IO;
    }
    t->claimed = true;
    t->iface = iface;
    return DFS_OK;
}

static enum dfs_xfer_status map_err(int r)
{
    switch (r) {
    case LIBUSB_ERROR_PIPE: return DFS_XFER_STALL;
    case LIBUSB_ERROR_TIMEOUT: return DFS_XFER_TIMEOUT;
    case LIBUSB_ERROR_NO_DEVICE: return DFS_XFER_NO_DEVICE;
    case LIBUSB_ERROR_OVERFLOW: return DFS_XFER_OVERFLOW;
    default: return DFS_XFER_IO;
    }
}

static void op_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                       struct dfs_xfer_reply *reply)
{
    struct usbt *t = ctx;
    reply->length = 0;
    if (!t->h) {
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
    unsigned recip = su->bmRequestType & DFS_REQTYPE_RECIP_MASK;
    bool out_std = type == DFS_REQTYPE_STANDARD && !(su->bmRequestType & DFS_REQTYPE_DIR_IN);
    int r;
    /* requests the kernel must see go through their libusb calls, so that
     * its view of the device stays right */
    if (out_std && su->bRequest == DFS_REQ_SET_INTERFACE && recip == DFS_REQTYPE_RECIP_INTERFACE) {
        r = libusb_set_interface_alt_setting(t->h, su->wIndex, su->wValue);
        if (r == LIBUSB_ERROR_NOT_FOUND && !(t->claimed && t->iface == su->wIndex)) {
            /* not claimed: claim it for the request */
            if (libusb_claim_interface(t->h, su->wIndex) == 0) {
                r = libusb_set_interface_alt_setting(t->h, su->wIndex, su->wValue);
                libusb_release_interface(t->h, su->wIndex);
            }
        }
    } else if (out_std && su->bRequest == DFS_REQ_SET_CONFIGURATION &&
               recip == DFS_REQTYPE_RECIP_DEVICE) {
        if (t->claimed)
            libusb_release_interface(t->h, t->iface);
        r = libusb_set_configuration(t->h, su->wValue);
        if (t->claimed && libusb_claim_interface(t->h, t->iface) != 0)
            t->claimed = false;
    } else if (out_std && su->bRequest == DFS_REQ_CLEAR_FEATURE &&
               recip == DFS_REQTYPE_RECIP_ENDPOINT && su->wValue == DFS_FEATURE_ENDPOINT_HALT &&
               (su->wIndex & 0x7f) != 0) {
        r = libusb_clear_halt(t->h, (unsigned char)su->wIndex);
    } else {
        r = libusb_control_transfer(t->h, su->bmRequestType, su->bRequest, su->wValue, su->wIndex,
                                    data, su->wLength, timeout_ms);
        if (r >= 0) {
            reply->status = DFS_XFER_OK;
            reply->length = (uint32_t)r;
            return;
        }
    }
    if (r >= 0) {
        reply->status = DFS_XFER_OK;
        return;
    }
    reply->status = map_err(r);
}

static bool op_present(void *ctx)
{
    struct usbt *t = ctx;
    if (!t->h)
        return false;
    /* let libusb take in hot-plug events, then look for the device */
    struct timeval zero = {0, 0};
    libusb_handle_events_timeout_completed(t->ctx, &zero, NULL);
    libusb_device *mine = libusb_get_device(t->h);
    libusb_device **list = NULL;
    ssize_t n = libusb_get_device_list(t->ctx, &list);
    if (n < 0)
        return true; /* cannot tell: assume it is there */
    bool found = false;
    for (ssize_t i = 0; i < n && !found; i++)
        found = list[i] == mine ||
                (libusb_get_bus_number(list[i]) == t->id.bus &&
                 libusb_get_device_address(list[i]) == t->id.devnum);
    libusb_free_device_list(list, 1);
    return found;
}

static void close_handle(struct usbt *t)
{
    if (!t->h)
        return;
    if (t->claimed)
        libusb_release_interface(t->h, t->iface);
    libusb_close(t->h);
    t->h = NULL;
    t->claimed = false;
}

static dfs_result op_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                            struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct usbt *t = ctx;
    uint16_t old_bus = t->have_id ? t->id.bus : 0xffff;
    uint8_t old_dev = t->have_id ? t->id.devnum : 0;
    close_handle(t);
    uint64_t start = t->clock.now_us(t->clock.ctx);
    uint64_t deadline = start + (uint64_t)within_ms * 1000;
    char last[700] = "";
    for (;;) {
        struct timeval zero = {0, 0};
        libusb_handle_events_timeout_completed(t->ctx, &zero, NULL);
        dfs_result r = find_open(t, sel, old_bus, old_dev, last, sizeof last);
        if (r == DFS_OK) {
            *id = t->id;
            return DFS_OK;
        }
        if (t->clock.now_us(t->clock.ctx) >= deadline)
            break;
        t->clock.sleep_us(t->clock.ctx, 50000);
    }
    dfs_run__fmt(msg, size, "%s", last[0] ? last : "no matching device appeared");
    return DFS_E_NOTFOUND;
}

static void op_close(void *ctx) { close_handle(ctx); }

static const struct dfs_transport_ops usb_ops = {
    op_open, op_cached, op_claim, op_control, op_present, op_reopen, op_close,
};

dfs_result dfs_usb_transport_new(const struct dfs_clock *clock, struct dfs_transport *out,
                                 char *msg, size_t msg_size)
{
    if (!out || !clock || !clock->now_us || !clock->sleep_us)
        return DFS_E_INVAL;
    struct usbt *t = calloc(1, sizeof *t);
    if (!t)
        return DFS_E_NOMEM;
    int r = libusb_init(&t->ctx);
    if (r != 0) {
        dfs_run__fmt(msg, msg_size,
                     "cannot initialise libusb: %s (is /dev/bus/usb available? in a "
                     "container, pass the USB devices through)",
                     errname(r));
        free(t);
        return DFS_E_IO;
    }
    t->clock = *clock;
    out->ops = &usb_ops;
    out->ctx = t;
    return DFS_OK;
}

void dfs_usb_transport_free(struct dfs_transport *tp)
{
    if (!tp || !tp->ctx)
        return;
    struct usbt *t = tp->ctx;
    close_handle(t);
    libusb_exit(t->ctx);
    free(t);
    tp->ctx = NULL;
    tp->ops = NULL;
}
