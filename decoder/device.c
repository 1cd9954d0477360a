/* Device instances: one per bus/device-number lifetime, with the descriptors
 * seen for it, followed across address assignment and re-enumeration. */
#include <string.h>

#include "finding_text.h"

/* A change goes out through the port the dispatcher wired (dispatch.c): the
 * stages above hear of it, then the sink. */
static void emit_device(dfs_decoder *d, enum dfs_device_change change, struct dfs__device *dev,
                        uint64_t frame)
{
    d->ports.device_changed(d, dev, change, frame);
}

/* A bus is allocated when its first record comes (2 KiB each: a decoder of
 * one bus neither allocates nor clears room for DFS__MAX_BUSES of them). */
static struct dfs__bus *bus_get(dfs_decoder *d, uint16_t bus, bool create)
{
    if (d->last_bus < DFS__MAX_BUSES && d->buses[d->last_bus] &&
        d->buses[d->last_bus]->bus == bus)
        return d->buses[d->last_bus];
    uint32_t free_slot = DFS__NONE;
    for (uint32_t i = 0; i < DFS__MAX_BUSES; i++) {
        if (d->buses[i] && d->buses[i]->bus == bus) {
            d->last_bus = i;
            return d->buses[i];
        }
        if (!d->buses[i] && free_slot == DFS__NONE)
            free_slot = i;
    }
    if (!create)
        return NULL;
    if (free_slot == DFS__NONE) {
        if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, d->cur_frame))
            dfs__say_limit_buses(d, d->cur_frame, DFS__MAX_BUSES, bus);
        return NULL;
    }
    struct dfs__bus *b = dfs__calloc(d, 1, sizeof *b);
    if (!b) {
        dfs__nomem(d, "cannot keep the devices of a bus");
        return NULL;
    }
    b->bus = bus;
    d->buses[free_slot] = b;
    d->last_bus = free_slot;
    return b;
}

void dfs__bus_note_paired(dfs_decoder *d, uint16_t bus, uint64_t frame)
{
    struct dfs__bus *b = bus_get(d, bus, false);
    if (b && !b->first_paired_frame)
        b->first_paired_frame = frame;
}

bool dfs__bus_paired_before(dfs_decoder *d, uint16_t bus)
{
    const struct dfs__bus *b = bus_get(d, bus, false);
    return b && b->first_paired_frame;
}

/* retire: the instance re-enumerated and is forgotten before the end of the
 * capture (the stages above run their end checks on it first). */
static void device_destroy(dfs_decoder *d, struct dfs__device *dev, bool retire)
{
    d->ports.device_dropped(d, dev, retire);
    if (d->dev_cache[dev->id % DFS__DEV_CACHE] == dev)
        d->dev_cache[dev->id % DFS__DEV_CACHE] = NULL;
    for (int i = 0; i < DFS__MAX_CONFIGS; i++)
        dfs__free(d, dev->cfg[i].data);
    dfs__free(d, dev->bos);
    dfs__free(d, dev->strings);
    dfs__free(d, dev);
}

static void unmap(dfs_decoder *d, struct dfs__device *dev)
{
    if (!dev->mapped)
        return;
    struct dfs__bus *b = bus_get(d, dev->bus, false);
    if (b && b->by_addr[dev->devnum] == dev)
        b->by_addr[dev->devnum] = NULL;
    dev->mapped = false;
}

/* Make room for one more device: drop the oldest unmapped (gone) one, else
 * the oldest one. */
static bool make_room(dfs_decoder *d)
{
    if (d->n_devs < d->opt.max_devices)
        return true;
    uint32_t victim = 0;
    for (uint32_t i = 0; i < d->n_devs; i++)
        if (!d->devs[i]->mapped) {
            victim = i;
            break;
        }
    struct dfs__device *dev = d->devs[victim];
    if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, d->cur_frame))
        dfs__say_limit_devices(d, dev, d->cur_frame, d->opt.max_devices);
    unmap(d, dev);
    device_destroy(d, dev, false);
    memmove(&d->devs[victim], &d->devs[victim + 1],
            (d->n_devs - victim - 1) * sizeof d->devs[0]);
    d->n_devs--;
    return true;
}

static struct dfs__device *device_new(dfs_decoder *d, struct dfs__bus *b, uint16_t bus,
                                      uint8_t devnum)
{
    if (!make_room(d))
        return NULL;
    struct dfs__device *dev = dfs__calloc(d, 1, sizeof *dev);
    if (!dev) {
        dfs__nomem(d, "cannot track a new device");
        return NULL;
    }
    dev->id = ++d->next_dev_id;
    dev->lane = dev->id;
    dev->bus = bus;
    dev->devnum = devnum;
    dev->first_frame = dev->last_frame = d->cur_frame;
    dev->first_ts = dev->last_ts = d->cur_ts;
    d->devs[d->n_devs++] = dev;
    d->stats.devices++;
    if (b) {
        if (b->by_addr[devnum])
            b->by_addr[devnum]->mapped = false;
        b->by_addr[devnum] = dev;
        dev->mapped = true;
    }
    emit_device(d, DFS_DEV_NEW, dev, d->cur_frame);
    return dev;
}

static struct dfs__device *device_get(dfs_decoder *d, uint16_t bus, uint8_t devnum,
                                      bool create)
{
    struct dfs__bus *b = bus_get(d, bus, create);
    struct dfs__device *dev = b ? b->by_addr[devnum] : NULL;
    if (dev || !create)
        return dev;
    return device_new(d, b, bus, devnum);
}

struct dfs__device *dfs__device_by_id(dfs_decoder *d, uint32_t id)
{
    struct dfs__device **cached = &d->dev_cache[id % DFS__DEV_CACHE];
    if (*cached && (*cached)->id == id)
        return *cached;
    /* devices are kept oldest first with increasing ids: binary search */
    uint32_t lo = 0, hi = d->n_devs;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->devs[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= d->n_devs || d->devs[lo]->id != id)
        return NULL;
    *cached = d->devs[lo];
    return *cached;
}

bool dfs__device_ids(dfs_decoder *d, uint32_t id, uint16_t *vid, uint16_t *pid, int32_t *bcd)
{
    const struct dfs__device *dev = dfs__device_by_id(d, id);
    if (!dev || !dev->identified)
        return false;
    *vid = dev->vid;
    *pid = dev->pid;
    *bcd = dev->devdesc_len >= 14 ? (int32_t)(dev->devdesc[12] | dev->devdesc[13] << 8) : -1;
    return true;
}

void dfs__device_touch(struct dfs__device *dev, uint64_t frame, struct dfs_time ts)
{
    dev->last_frame = frame;
    dev->last_ts = ts;
}

void dfs__device_note_use(struct dfs__device *dev, const struct dfs_urb *u)
{
    if (u->type != DFS_URB_SUBMIT)
        return;
    if (u->xfer_type != DFS_XFER_CONTROL || (u->has_setup && (u->setup[0] & 0x60) != 0))
        dev->used = true;
}

void dfs__device_mark_gone(dfs_decoder *d, struct dfs__device *dev, uint64_t frame,
                           struct dfs_time ts, const struct dfs__gone *why)
{
    if (dev->gone)
        return;
    dev->gone = true;
    dev->gone_frame = frame;
    dev->gone_ts = ts;
    emit_device(d, DFS_DEV_GONE, dev, frame);
    dfs__say_device_disconnected(d, dev, frame, why);
}

static void device_link(dfs_decoder *d, struct dfs__device *newer, struct dfs__device *older,
                        uint64_t frame)
{
    if (newer->previous || older->successor || newer == older)
        return;
    if (!older->gone) {
        struct dfs__gone why = {.why = DFS__GONE_REENUMERATED, .by = newer};
        dfs__device_mark_gone(d, older, newer->first_frame, newer->first_ts, &why);
    }
    newer->previous = older->id;
    newer->lane = older->lane;
    older->successor = newer->id;
    d->retired_pending = true;
    emit_device(d, DFS_DEV_REENUMERATED, newer, frame);
}

static bool retired(const dfs_decoder *d, const struct dfs__device *dev)
{
    return dev->successor && (dev->gone || !dev->mapped) && !d->ports.device_held(dev);
}

void dfs__devices_forget_retired(dfs_decoder *d)
{
    d->retired_pending = false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < d->n_devs; i++)
        n += retired(d, d->devs[i]);
    if (n <= DFS_DECODER_KEEP_RETIRED)
        return;
    uint32_t drop = n - DFS_DECODER_KEEP_RETIRED, w = 0;
    for (uint32_t i = 0; i < d->n_devs; i++) {
        struct dfs__device *dev = d->devs[i];
        if (drop && retired(d, dev) && !d->error) {
            /* oldest first: the array is in creation order */
            unmap(d, dev);
            device_destroy(d, dev, true);
            d->stats.devices_forgotten++;
            drop--;
            continue;
        }
        d->devs[w++] = dev;
    }
    d->n_devs = w;
}

/* The serial string of a device, when its descriptor names one and the
 * capture holds it; NULL otherwise. */
static const uint8_t *serial_of(const struct dfs__device *dev, size_t *len)
{
    if (dev->devdesc_len < DFS_DEVICE_DESC_LEN || !dev->devdesc[16])
        return NULL;
    return dfs__device_string(dev, dev->devdesc[16], dev->langid, len);
}

/* A newly identified device continues an earlier instance with the same
 * VID:PID on the same bus that has gone quiet (dfu-facts 5: re-enumeration
 * gives a new device number). Two boards of one model look alike: when the
 * earlier one has a serial number in the capture and did not visibly leave
 * or fail, wait for the new one's serial number and link only if it is the
 * same. */
static void link_reenumeration(dfs_decoder *d, struct dfs__device *dev, uint64_t frame)
{
    for (uint32_t i = d->n_devs; i-- > 0;) {
        struct dfs__device *old = d->devs[i];
        if (old == dev || old->bus != dev->bus || !old->identified || old->successor)
            continue;
        if (old->vid != dev->vid || old->pid != dev->pid)
            continue;
        if (old->devnum == dev->devnum && old->mapped)
            continue;
        if (!old->gone && old->last_frame > dev->first_frame)
            continue;
        size_t len;
        if (!old->gone && !old->last_failed && serial_of(old, &len)) {
            dev->link_candidate = old->id;
            return;
        }
        device_link(d, dev, old, frame);
        return;
    }
}

/* The new device's serial number arrived: link it to its candidate when
 * the two serial numbers are the same. */
static void check_serial_link(dfs_decoder *d, struct dfs__device *dev, uint8_t index,
                              uint64_t frame)
{
    if (!dev->link_candidate || dev->previous || dev->devdesc_len < DFS_DEVICE_DESC_LEN ||
        index != dev->devdesc[16])
        return;
    struct dfs__device *old = dfs__device_by_id(d, dev->link_candidate);
    dev->link_candidate = 0;
    size_t a = 0, b = 0; /* set by serial_of; initialised for gcc -O3 -Werror */
    const uint8_t *sa = old ? serial_of(old, &a) : NULL, *sb = serial_of(dev, &b);
    if (old && !old->successor && sa && sb && a == b && memcmp(sa, sb, a) == 0)
        device_link(d, dev, old, frame);
}

/* Keep a string descriptor (the longest read of each index and LANGID);
 * returns where it is kept, or NULL. */
static struct dfs__string *store_string(dfs_decoder *d, struct dfs__device *dev, uint8_t index,
                                        uint16_t langid, const uint8_t *data, uint32_t len)
{
    if (len < 2)
        return NULL;
    if (len > 255)
        len = 255;
    for (uint16_t i = 0; i < dev->n_strings; i++) {
        struct dfs__string *s = &dev->strings[i];
        if (s->index == index && s->langid == langid) {
            if (len >= s->len) { /* keep the longest read */
                s->len = (uint8_t)len;
                memcpy(s->bytes, data, len);
            }
            return s;
        }
    }
    if (dev->n_strings >= DFS__MAX_STRINGS)
        return NULL;
    if (dev->n_strings == dev->cap_strings) {
        /* most devices have a handful of strings: grow, do not reserve 64 */
        uint16_t cap = dev->cap_strings ? (uint16_t)(dev->cap_strings * 2) : 4;
        if (cap > DFS__MAX_STRINGS)
            cap = DFS__MAX_STRINGS;
        struct dfs__string *n = dfs__realloc(d, dev->strings, cap * sizeof *n);
        if (!n) {
            dfs__nomem(d, "cannot keep a string descriptor");
            return NULL;
        }
        dev->strings = n;
        dev->cap_strings = cap;
    }
    struct dfs__string *s = &dev->strings[dev->n_strings++];
    s->index = index;
    s->langid = langid;
    s->judged = false;
    s->len = (uint8_t)len;
    memcpy(s->bytes, data, len);
    return s;
}

/* USB 2.0 9.6.7: a string descriptor other than 0 is UTF-16LE; once per
 * string, 8-bit ASCII text in its place (dfs_desc_string_8bit) */
static void judge_string(dfs_decoder *d, struct dfs__device *dev, struct dfs__string *s,
                         uint64_t frame)
{
    if (!s || s->index == 0 || s->judged || !dfs_desc_string_8bit(s->bytes, s->len))
        return;
    s->judged = true;
    const char *role = dev->devdesc_len < 17           ? NULL
                       : s->index == dev->devdesc[16] ? "iSerialNumber"
                       : s->index == dev->devdesc[15] ? "iProduct"
                       : s->index == dev->devdesc[14] ? "iManufacturer"
                                                      : NULL;
    dfs__say_desc_string_not_utf16(d, dev, frame, s->index, role, s->bytes, s->len);
}

const uint8_t *dfs__device_string(const struct dfs__device *dev, uint8_t index, uint16_t langid,
                                  size_t *len)
{
    const struct dfs__string *best = NULL;
    for (uint16_t i = 0; i < dev->n_strings; i++) {
        const struct dfs__string *s = &dev->strings[i];
        if (s->index != index)
            continue;
        if (s->langid == langid) {
            best = s;
            break;
        }
        if (!best && (langid == 0 || index == 0))
            best = s;
    }
    if (!best)
        return NULL;
    *len = best->len;
    return best->bytes;
}

static void store_blob(dfs_decoder *d, uint8_t **dst, size_t *dst_len, const uint8_t *data,
                       uint32_t len)
{
    if (len <= *dst_len && *dst)
        return; /* keep the longest read */
    uint8_t *p = dfs__realloc(d, *dst, len);
    if (!p) {
        dfs__nomem(d, "cannot keep a descriptor");
        return;
    }
    memcpy(p, data, len);
    *dst = p;
    *dst_len = len;
}

/* The number of configurations a device may have: its bNumConfigurations
 * when the device descriptor holds it, within DFS__MAX_CONFIGS. */
static unsigned max_configs(const struct dfs__device *dev)
{
    if (dev->devdesc_len >= DFS_DEVICE_DESC_LEN && dev->devdesc[17] &&
        dev->devdesc[17] < DFS__MAX_CONFIGS)
        return dev->devdesc[17];
    return DFS__MAX_CONFIGS;
}

/* A configuration descriptor set read with GET_DESCRIPTOR index `index`:
 * kept when the device may have that many configurations. */
static void store_config(dfs_decoder *d, struct dfs__device *dev, uint8_t index,
                         const uint8_t *p, uint32_t n, uint64_t frame)
{
    if (index >= max_configs(dev) || n < DFS_CONFIG_DESC_LEN || p[1] != DFS_DT_CONFIGURATION)
        return;
    if (n > 0xffff)
        n = 0xffff; /* wTotalLength cannot say more */
    struct dfs__config *c = &dev->cfg[index];
    if (n <= c->len)
        return;
    store_blob(d, &c->data, &c->len, p, n);
    dev->dfu_ifs_known = false;
    if (d->error)
        return;
    c->partial = c->len < dfs__le16(p + 2);
    if (!c->partial) {
        dev->cfg_last = index;
        emit_device(d, DFS_DEV_CONFIGURED, dev, frame);
    }
}

const struct dfs__config *dfs__device_config_in_use(const struct dfs__device *dev)
{
    const struct dfs__config *first = NULL;
    for (int i = 0; i < DFS__MAX_CONFIGS; i++) {
        const struct dfs__config *c = &dev->cfg[i];
        if (!c->data || c->partial)
            continue;
        if (dev->configuration && c->data[5] == dev->configuration)
            return c;
        if (!first)
            first = c;
    }
    return first;
}

bool dfs__device_multi_config(const struct dfs__device *dev)
{
    if (dev->devdesc_len >= DFS_DEVICE_DESC_LEN && dev->devdesc[17] > 1)
        return true;
    for (int i = 1; i < DFS__MAX_CONFIGS; i++)
        if (dev->cfg[i].data)
            return true;
    return false;
}

uint8_t dfs__device_config_label(const struct dfs__device *dev, uint8_t index)
{
    if (index >= DFS__MAX_CONFIGS || !dev->cfg[index].data || !dfs__device_multi_config(dev))
        return 0;
    return dev->cfg[index].data[5];
}

/* Move an instance enumerating on address 0 to its new number, keeping its
 * id; a device still holding that number is taken as gone. */
static void move_to_address(dfs_decoder *d, struct dfs__bus *b, struct dfs__device *dev,
                            uint8_t addr, uint64_t frame)
{
    struct dfs__device *prev = b->by_addr[addr];
    if (prev && prev != dev) {
        if (!prev->gone)
            dfs__device_mark_gone(d, prev, frame, d->cur_ts,
                                  &(struct dfs__gone){.why = DFS__GONE_ADDRESS_TAKEN});
        prev->mapped = false;
    }
    if (b->by_addr[0] == dev)
        b->by_addr[0] = NULL;
    dev->devnum = addr;
    b->by_addr[addr] = dev;
    dev->mapped = true;
}

/* Enumeration on address 0 ends with SET_ADDRESS. */
static void on_set_address(dfs_decoder *d, struct dfs__device *dev, uint8_t addr,
                           uint64_t frame)
{
    if (dev->devnum != 0 || addr == 0 || addr > 127)
        return;
    struct dfs__bus *b = bus_get(d, dev->bus, false);
    if (b)
        move_to_address(d, b, dev, addr, frame);
}

/* xHCI controllers give a device its address themselves (the Address Device
 * command), so no SET_ADDRESS appears in the capture: the device read on
 * address 0 next shows up on its new number, where the hub driver asks for
 * its device descriptor. USB core enumerates one device per bus at a time,
 * so that first request on an unknown number belongs to the device waiting
 * on address 0. */
static struct dfs__device *device_arrive(dfs_decoder *d, uint16_t bus, uint8_t devnum,
                                         bool reads_device_descriptor)
{
    struct dfs__bus *b = bus_get(d, bus, true);
    if (b && devnum != 0 && reads_device_descriptor) {
        struct dfs__device *waiting = b->by_addr[0];
        if (waiting && !waiting->gone && waiting->devnum == 0) {
            move_to_address(d, b, waiting, devnum, d->cur_frame);
            return waiting;
        }
    }
    return device_new(d, b, bus, devnum);
}

void dfs__device_on_control(dfs_decoder *d, const struct dfs_control *ctl)
{
    struct dfs__device *dev = dfs__device_by_id(d, ctl->device);
    if (!dev || !ctl->has_setup)
        return;
    const struct dfs_setup *s = &ctl->setup;
    if ((s->bmRequestType & DFS_REQTYPE_TYPE_MASK) != DFS_REQTYPE_STANDARD)
        return;
    bool ok = ctl->end == DFS_CTL_COMPLETED && ctl->status == 0;
    bool in = s->bmRequestType & DFS_REQTYPE_DIR_IN;
    uint8_t recip = s->bmRequestType & DFS_REQTYPE_RECIP_MASK;

    if (in && s->bRequest == DFS_REQ_GET_DESCRIPTOR && recip == DFS_REQTYPE_RECIP_DEVICE) {
        uint8_t type = (uint8_t)(s->wValue >> 8), index = (uint8_t)s->wValue;
        if (type == DFS_DT_DEVICE_QUALIFIER && ctl->end == DFS_CTL_COMPLETED &&
            ctl->status == -DFS_LINUX_EPIPE)
            dev->qual_stalled = true;
        if (!ok || !ctl->data_len)
            return;
        const uint8_t *p = ctl->data;
        uint32_t n = ctl->data_len;
        switch (type) {
        case DFS_DT_DEVICE: {
            struct dfs_desc_device dd;
            bool complete = false;
            if (n > DFS_DEVICE_DESC_LEN)
                n = DFS_DEVICE_DESC_LEN;
            if (n < dev->devdesc_len)
                return;
            if (dfs_desc_parse_device(p, n, &dd, &complete, NULL) != DFS_OK)
                return;
            memcpy(dev->devdesc, p, n);
            dev->devdesc_len = (uint8_t)n;
            if (complete && !dev->identified) {
                dev->identified = true;
                dev->vid = dd.idVendor;
                dev->pid = dd.idProduct;
                emit_device(d, DFS_DEV_IDENTIFIED, dev, ctl->complete_frame);
                link_reenumeration(d, dev, ctl->complete_frame);
            }
            break;
        }
        case DFS_DT_CONFIGURATION:
            store_config(d, dev, index, p, n, ctl->complete_frame);
            break;
        case DFS_DT_BOS:
            if (n >= DFS_BOS_DESC_LEN && p[1] == DFS_DT_BOS)
                store_blob(d, &dev->bos, &dev->bos_len, p, n);
            break;
        case DFS_DT_DEVICE_QUALIFIER:
            if (n > sizeof dev->qual)
                n = sizeof dev->qual;
            memcpy(dev->qual, p, n);
            dev->qual_len = (uint8_t)n;
            break;
        case DFS_DT_STRING:
            judge_string(d, dev, store_string(d, dev, index, s->wIndex, p, n),
                         ctl->complete_frame);
            check_serial_link(d, dev, index, ctl->complete_frame);
            if (index == 0 && n >= 4 && !dev->langid)
                dev->langid = dfs__le16(p + 2);
            break;
        default:
            break;
        }
        return;
    }
    if (!ok || in)
        return;
    switch (s->bRequest) {
    case DFS_REQ_SET_ADDRESS:
        if (recip == DFS_REQTYPE_RECIP_DEVICE)
            on_set_address(d, dev, (uint8_t)s->wValue, ctl->complete_frame);
        break;
    case DFS_REQ_SET_CONFIGURATION:
        if (recip == DFS_REQTYPE_RECIP_DEVICE) {
            dev->configuration = (uint8_t)s->wValue;
            dev->dfu_ifs_known = false;
        }
        break;
    case DFS_REQ_SET_INTERFACE:
        if (recip == DFS_REQTYPE_RECIP_INTERFACE && s->wIndex < DFS__MAX_IFACES)
            dev->alt[s->wIndex] = (uint8_t)s->wValue;
        break;
    default:
        break;
    }
}

void dfs__devices_free(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs; i++)
        device_destroy(d, d->devs[i], false);
    d->n_devs = 0;
    for (uint32_t i = 0; i < DFS__MAX_BUSES; i++) {
        dfs__free(d, d->buses[i]);
        d->buses[i] = NULL;
    }
    memset(d->dev_cache, 0, sizeof d->dev_cache);
}

/* Can this submit be the first record of a new device? Enumeration starts
 * with standard requests on endpoint 0; anything else sent to the address
 * of a device that has left (a driver resubmitting, a host tool polling)
 * is that device's leftover and fails the same way. */
static bool starts_device(const struct dfs_urb *u)
{
    return u->xfer_type == DFS_XFER_CONTROL && (u->endpoint & 0x0f) == 0 && u->has_setup &&
           (u->setup[0] & DFS_REQTYPE_TYPE_MASK) == DFS_REQTYPE_STANDARD;
}

static bool reads_device_descriptor(const struct dfs_urb *u)
{
    return u->type == DFS_URB_SUBMIT && starts_device(u) &&
           u->setup[0] == (DFS_REQTYPE_DIR_IN | DFS_REQTYPE_STANDARD | DFS_REQTYPE_RECIP_DEVICE) &&
           u->setup[1] == DFS_REQ_GET_DESCRIPTOR && u->setup[3] == DFS_DT_DEVICE;
}

struct dfs__device *dfs__device_of_urb(dfs_decoder *d, const struct dfs_urb *u, bool paired,
                                       uint32_t submit_device)
{
    if (paired)
        return dfs__device_by_id(d, submit_device);
    struct dfs__device *dev = device_get(d, u->bus, u->devnum, false);
    if (!dev || (dev->gone && u->type == DFS_URB_SUBMIT && starts_device(u)))
        dev = device_arrive(d, u->bus, u->devnum, reads_device_descriptor(u));
    return dev;
}

void dfs__device_note_outcome(struct dfs__device *dev, const struct dfs_control *ctl)
{
    if (ctl->end == DFS_CTL_COMPLETED || ctl->end == DFS_CTL_SUBMIT_ERROR)
        dev->last_failed = ctl->status != 0;
}

void dfs__device_check_gone(dfs_decoder *d, struct dfs__device *dev, const struct dfs_urb *u)
{
    if (dev->gone || (u->status != -DFS_LINUX_ENODEV && u->status != -DFS_LINUX_ESHUTDOWN))
        return;
    struct dfs__gone why = {.why = DFS__GONE_STATUS, .status = u};
    dfs__device_mark_gone(d, dev, u->frame, u->ts, &why);
}
