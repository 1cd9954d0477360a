/* In-process DFU devices for the runner's tests (see fakedev.h). The
 * protocol follows dfu-facts.md sections 1-4: DFU 1.1 state machine,
 * DfuSe commands executed on the GETSTATUS after their DNLOAD, the
 * STM32G0C1 bootloader's descriptors from the seed report. */
#include "fakedev.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/dfu.h"
#include "dfuscope/usb.h"

#define NEVER UINT64_MAX

enum { R_READ = 1, R_WRITE = 2, R_ERASE = 4, R_OB = 8, R_OTP = 16 };

struct region {
    uint32_t start, size, page;
    unsigned flags;
    uint8_t *mem;
};

enum op_kind { OP_NONE, OP_CMDS, OP_SET_ADDRESS, OP_ERASE, OP_MASS, OP_UNPROTECT, OP_WRITE,
               OP_BLOCK, OP_LEAVE, OP_MANIFEST };

struct fake {
    struct fake_opts o;
    uint64_t now;
    /* descriptors */
    uint8_t dev[18];
    uint8_t cfg[256];
    size_t cfg_len;
    const char *strings[16];
    uint16_t vid, pid;
    uint32_t xfer;        /* what the device accepts */
    bool dfuse;
    uint8_t n_alts;
    struct region regions[4];
    unsigned n_regions;
    uint8_t *image;       /* plain DFU firmware */
    uint32_t image_len, image_cap;
    /* state */
    uint8_t devnum;
    unsigned enumerations;
    uint8_t alt;
    uint8_t state, status;
    uint32_t pointer;
    enum op_kind op;
    uint32_t op_addr;
    uint16_t op_block;
    uint8_t op_data[4096];
    uint32_t op_len;
    uint64_t busy_until;
    uint32_t upload_pos;
    uint64_t reset_at, leave_at, back_at;
    bool resetting;
    /* counters */
    unsigned dfu_req[8];
    unsigned requests, data_dnloads;
};

void fake_opts_init(struct fake_opts *o, enum fake_model m)
{
    memset(o, 0, sizeof *o);
    o->model = m;
    o->after_reset = FAKE_GONE;
    o->reset_ms = 200;
    o->return_ms = 1000;
    o->speed = DFS_SPEED_FULL;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void add_region(struct fake *f, uint32_t start, uint32_t size, uint32_t page,
                       unsigned flags, uint8_t fill)
{
    struct region *r = &f->regions[f->n_regions++];
    r->start = start;
    r->size = size;
    r->page = page;
    r->flags = flags;
    r->mem = malloc(size);
    memset(r->mem, fill, size);
}

static void build(struct fake *f)
{
    const struct fake_opts *o = &f->o;
    uint16_t bcd_device, bcd_dfu;
    uint8_t attrs;
    f->strings[1] = "STMicroelectronics";
    f->strings[2] = "DFU in FS Mode";
    switch (o->model) {
    case FAKE_G0C1:
        f->vid = 0x0483;
        f->pid = 0xdf11;
        bcd_device = 0x0200;
        bcd_dfu = DFS_DFU_VERSION_DFUSE;
        attrs = 0x0B;
        f->xfer = 1024;
        f->dfuse = true;
        f->n_alts = 3;
        f->strings[3] = "2065315A5342";
        f->strings[6] = f->strings[7] = f->strings[8] = "@Internal Flash /0x08000000/256*02Kg";
        add_region(f, 0x08000000, 512 * 1024, 2048, R_READ | R_WRITE | R_ERASE, 0xff);
        add_region(f, 0x1FFF7800, 128, 128, R_READ | R_WRITE | R_OB, 0xaa);
        add_region(f, 0x1FFF7000, 1024, 1024, R_READ | R_WRITE | R_OTP, 0xff);
        break;
    case FAKE_DFUSE:
        f->vid = 0x0483;
        f->pid = 0xdf11;
        bcd_device = 0x2200;
        bcd_dfu = DFS_DFU_VERSION_DFUSE;
        attrs = 0x0B;
        f->xfer = 1024;
        f->dfuse = true;
        f->n_alts = 3;
        f->strings[3] = "3677375B3031";
        f->strings[6] = "@Internal Flash /0x08000000/04*016Kg";
        f->strings[7] = "@Option Bytes /0x1FFFC000/01*016 e";
        f->strings[8] = "@OTP Memory /0x1FFF7800/01*512 e,01*016 e";
        add_region(f, 0x08000000, 64 * 1024, 16 * 1024, R_READ | R_WRITE | R_ERASE, 0xff);
        add_region(f, 0x1FFFC000, 16, 16, R_READ | R_WRITE | R_OB, 0x55);
        add_region(f, 0x1FFF7800, 528, 528, R_READ | R_WRITE | R_OTP, 0xff);
        break;
    case FAKE_DFU11:
    default:
        f->vid = 0x1209;
        f->pid = 0xdf11;
        bcd_device = 0x0100;
        bcd_dfu = DFS_DFU_VERSION_1_1;
        attrs = DFS_DFU_ATTR_CAN_DNLOAD | DFS_DFU_ATTR_CAN_UPLOAD | DFS_DFU_ATTR_MANIFEST_TOLERANT;
        f->xfer = 1024;
        f->dfuse = false;
        f->n_alts = 1;
        f->strings[1] = "dfuscope tests";
        f->strings[2] = "DFU 1.1 device";
        f->strings[3] = "0001";
        f->strings[6] = "Firmware";
        f->image_len = 6000;
        f->image_cap = 64 * 1024;
        f->image = malloc(f->image_cap);
        for (uint32_t i = 0; i < f->image_cap; i++)
            f->image[i] = (uint8_t)(i * 13 + 7);
        break;
    }
    uint8_t d[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 1, 2, 3, 1};
    put16(d + 8, f->vid);
    put16(d + 10, f->pid);
    put16(d + 12, bcd_device);
    memcpy(f->dev, d, sizeof d);
    uint8_t *c = f->cfg;
    size_t n = 9;
    for (uint8_t a = 0; a < f->n_alts; a++) {
        uint8_t i[9] = {9, 4, 0, a, 0, DFS_DFU_CLASS, DFS_DFU_SUBCLASS, DFS_DFU_PROTO_DFU,
                        (uint8_t)(6 + a)};
        memcpy(c + n, i, 9);
        n += 9;
    }
    if (!(o->faults & FAULT_NO_FUNCTIONAL)) {
        uint8_t fd[9] = {9, DFS_DT_DFU_FUNCTIONAL, attrs, 255, 0, 0, 0, 0, 0};
        uint32_t announced = o->faults & FAULT_OVERSIZED_XFER ? f->xfer * 2 : f->xfer;
        put16(fd + 5, (uint16_t)announced);
        put16(fd + 7, bcd_dfu);
        if (o->faults & FAULT_FUNCTIONAL_7)
            fd[0] = 7;
        memcpy(c + n, fd, fd[0]);
        n += fd[0];
    }
    uint8_t h[9] = {9, 2, 0, 0, 1, 1, 2, 0xC0, 50};
    put16(h + 2, (uint16_t)n);
    memcpy(c, h, 9);
    f->cfg_len = n;
}

static void power_on(struct fake *f)
{
    f->state = DFS_STATE_DFU_IDLE;
    f->status = DFS_STATUS_OK;
    f->alt = 0;
    f->pointer = 0x08000000;
    f->op = OP_NONE;
    f->upload_pos = 0;
    f->resetting = false;
    f->reset_at = f->leave_at = f->back_at = NEVER;
    f->enumerations++;
}

struct fake *fake_new(const struct fake_opts *o)
{
    struct fake *f = calloc(1, sizeof *f);
    f->o = *o;
    f->now = 1000;
    f->devnum = 6;
    build(f);
    power_on(f);
    return f;
}

void fake_free(struct fake *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->n_regions; i++)
        free(f->regions[i].mem);
    free(f->image);
    free(f);
}

/* ---- time and presence ------------------------------------------------------------------- */

static void tick(struct fake *f)
{
    if (f->back_at != NEVER && f->now >= f->back_at) {
        f->devnum = (uint8_t)(f->devnum + 1);
        power_on(f);
    }
}

bool fake_present(const struct fake *f)
{
    if (f->back_at != NEVER && f->now >= f->back_at)
        return true;
    return f->leave_at == NEVER || f->now < f->leave_at;
}

static void leave_bus(struct fake *f, uint64_t at, bool come_back, uint32_t return_ms)
{
    f->leave_at = at;
    f->back_at = come_back ? at + (uint64_t)return_ms * 1000 : NEVER;
}

/* ---- memory ------------------------------------------------------------------------------- */

static struct region *region_at(struct fake *f, uint32_t addr, uint32_t len)
{
    for (unsigned i = 0; i < f->n_regions; i++) {
        struct region *r = &f->regions[i];
        if (addr >= r->start && (uint64_t)addr + (len ? len : 1) <= (uint64_t)r->start + r->size)
            return r;
    }
    return NULL;
}

const uint8_t *fake_mem(const struct fake *f, uint32_t addr, uint32_t len)
{
    struct region *r = region_at((struct fake *)f, addr, len);
    return r ? r->mem + (addr - r->start) : NULL;
}

/* ---- replies ------------------------------------------------------------------------------ */

struct reply {
    enum dfs_xfer_status st;
    uint32_t len;
};

static void give(struct reply *rp, uint8_t *buf, uint16_t wLength, const void *p, size_t n)
{
    if (n > wLength)
        n = wLength;
    if (n)
        memcpy(buf, p, n);
    rp->st = DFS_XFER_OK;
    rp->len = (uint32_t)n;
}

static void invalid(struct fake *f, struct reply *rp)
{
    rp->st = DFS_XFER_STALL;
    if (!(f->o.faults & FAULT_NO_ERROR_AFTER_STALL)) {
        f->state = DFS_STATE_ERROR;
        f->status = DFS_STATUS_ERR_STALLEDPKT;
    }
}

static void string_desc(struct fake *f, uint8_t index, uint8_t *out, size_t *len)
{
    if (index == 0) {
        uint8_t s0[4] = {4, 3, 0x09, 0x04};
        memcpy(out, s0, 4);
        *len = 4;
        return;
    }
    const char *s = index < 16 ? f->strings[index] : NULL;
    if (!s) {
        *len = 0;
        return;
    }
    size_t n = strlen(s);
    if (n > 120)
        n = 120;
    out[0] = (uint8_t)(2 + 2 * n);
    out[1] = 3;
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = (uint8_t)s[i];
        out[3 + 2 * i] = 0;
    }
    *len = 2 + 2 * n;
    if ((f->o.faults & FAULT_ODD_STRING) && index == 2) {
        out[0]--; /* claims one byte less than it sends */
        (*len)--;
        out[0] |= 1;
        *len = out[0];
    }
}

static void standard(struct fake *f, const struct dfs_setup *su, uint8_t *buf, struct reply *rp)
{
    uint8_t type = (uint8_t)(su->wValue >> 8), index = (uint8_t)su->wValue;
    uint8_t tmp[256];
    size_t n = 0;
    switch (su->bRequest) {
    case DFS_REQ_GET_DESCRIPTOR:
        if (!(su->bmRequestType & DFS_REQTYPE_DIR_IN))
            break;
        if (type == DFS_DT_DEVICE) {
            give(rp, buf, su->wLength, f->dev, sizeof f->dev);
            return;
        }
        if (type == DFS_DT_CONFIGURATION && index == 0) {
            give(rp, buf, su->wLength, f->cfg, f->cfg_len);
            return;
        }
        if (type == DFS_DT_STRING) {
            string_desc(f, index, tmp, &n);
            if (n) {
                give(rp, buf, su->wLength, tmp, n);
                return;
            }
        }
        if (type == DFS_DT_DEVICE_QUALIFIER &&
            (f->o.speed == DFS_SPEED_HIGH || (f->o.faults & FAULT_QUALIFIER_ANSWERED))) {
            uint8_t q[10] = {10, 6, 0x00, 0x02, 0, 0, 0, 64, 1, 0};
            give(rp, buf, su->wLength, q, sizeof q);
            return;
        }
        break;
    case DFS_REQ_GET_STATUS:
        if (su->bmRequestType & DFS_REQTYPE_DIR_IN) {
            uint8_t s[2] = {(su->bmRequestType & 0x1f) == 0 ? 1 : 0, 0};
            give(rp, buf, su->wLength, s, 2);
            return;
        }
        break;
    case DFS_REQ_SET_CONFIGURATION:
        if (su->wValue <= 1) {
            rp->st = DFS_XFER_OK;
            return;
        }
        break;
    case DFS_REQ_SET_INTERFACE:
        if (su->wIndex == 0 && su->wValue < f->n_alts) {
            f->alt = (uint8_t)su->wValue;
            rp->st = DFS_XFER_OK;
            return;
        }
        break;
    case DFS_REQ_CLEAR_FEATURE:
        rp->st = DFS_XFER_OK;
        return;
    default:
        break;
    }
    rp->st = DFS_XFER_STALL;
}

/* Time the work takes, and what the device announces. */
static void op_timing(const struct fake *f, uint32_t *poll_ms, uint32_t *work_us)
{
    switch (f->op) {
    case OP_SET_ADDRESS: *poll_ms = 5; *work_us = 2000; break;
    case OP_ERASE: *poll_ms = 50; *work_us = 40000; break;
    case OP_MASS: *poll_ms = 200; *work_us = 150000; break;
    case OP_UNPROTECT: *poll_ms = 200; *work_us = 150000; break;
    case OP_WRITE: *poll_ms = 10; *work_us = 6000; break;
    case OP_BLOCK: *poll_ms = 20; *work_us = 15000; break;
    case OP_MANIFEST: *poll_ms = 20; *work_us = 10000; break;
    default: *poll_ms = 0; *work_us = 0; break;
    }
    if (*work_us > 1000 && (f->o.faults & FAULT_SHORT_POLL))
        *poll_ms = 1;
    if (f->o.faults & FAULT_ZERO_POLL)
        *poll_ms = 0;
}

static void status_reply(struct fake *f, uint8_t *buf, uint16_t wLength, uint32_t poll,
                         struct reply *rp)
{
    uint8_t s[6] = {f->status, (uint8_t)poll, (uint8_t)(poll >> 8), (uint8_t)(poll >> 16),
                    f->state, 0};
    give(rp, buf, wLength, s, 6);
}

/* The work is done: apply it. Returns false when the chip resets instead
 * of answering. */
static bool execute(struct fake *f)
{
    struct region *r;
    enum op_kind op = f->op;
    f->op = OP_NONE;
    f->state = DFS_STATE_DNLOAD_IDLE;
    f->status = DFS_STATUS_OK;
    switch (op) {
    case OP_SET_ADDRESS:
        if (region_at(f, f->op_addr, 1) || (f->o.faults & FAULT_SILENT_OUTSIDE))
            f->pointer = f->op_addr;
        else {
            f->state = DFS_STATE_ERROR;
            f->status = DFS_STATUS_ERR_ADDRESS;
        }
        return true;
    case OP_ERASE:
        r = region_at(f, f->op_addr, 1);
        if (!r || !(r->flags & R_ERASE)) {
            f->state = DFS_STATE_ERROR;
            f->status = DFS_STATUS_ERR_ADDRESS;
        } else {
            uint32_t page = (f->op_addr - r->start) / r->page * r->page;
            memset(r->mem + page, 0xff, r->page);
        }
        return true;
    case OP_MASS:
        for (unsigned i = 0; i < f->n_regions; i++)
            if (f->regions[i].flags & R_ERASE)
                memset(f->regions[i].mem, 0xff, f->regions[i].size);
        return true;
    case OP_UNPROTECT:
        for (unsigned i = 0; i < f->n_regions; i++)
            if (f->regions[i].flags & R_ERASE)
                memset(f->regions[i].mem, 0xff, f->regions[i].size);
        f->resetting = true;
        leave_bus(f, f->now + (uint64_t)f->o.reset_ms * 1000, f->o.after_reset == FAKE_BACK_DFU,
                  f->o.return_ms);
        return false;
    case OP_WRITE: {
        uint32_t addr = f->pointer + (uint32_t)(f->op_block - 2) * f->xfer;
        r = region_at(f, addr, f->op_len);
        if (!r || !(r->flags & R_WRITE)) {
            f->state = DFS_STATE_ERROR;
            f->status = DFS_STATUS_ERR_ADDRESS;
            return true;
        }
        memcpy(r->mem + (addr - r->start), f->op_data, f->op_len);
        if ((r->flags & R_OB) && f->o.model == FAKE_G0C1) {
            /* RM0444: the option bytes are reloaded, the chip resets */
            f->resetting = true;
            leave_bus(f, f->now + (uint64_t)f->o.reset_ms * 1000,
                      f->o.after_reset == FAKE_BACK_DFU, f->o.return_ms);
            return false;
        }
        return true;
    }
    case OP_BLOCK: {
        uint32_t off = (uint32_t)f->op_block * f->xfer;
        if (off + f->op_len <= f->image_cap) {
            memcpy(f->image + off, f->op_data, f->op_len);
            if (off + f->op_len > f->image_len)
                f->image_len = off + f->op_len;
        } else {
            f->state = DFS_STATE_ERROR;
            f->status = DFS_STATUS_ERR_ADDRESS;
        }
        return true;
    }
    case OP_MANIFEST:
        f->state = DFS_STATE_DFU_IDLE;
        return true;
    default:
        return true;
    }
}

static void dfu(struct fake *f, const struct dfs_setup *su, const uint8_t *out, uint8_t *buf,
                struct reply *rp)
{
    if (su->bRequest < 8)
        f->dfu_req[su->bRequest]++;
    switch (su->bRequest) {
    case DFS_DFU_GETSTATUS: {
        if (su->wLength < 6) {
            invalid(f, rp);
            return;
        }
        uint32_t poll, work;
        if (f->state == DFS_STATE_DNLOAD_SYNC || f->state == DFS_STATE_MANIFEST_SYNC) {
            bool manifest = f->state == DFS_STATE_MANIFEST_SYNC;
            if (manifest && f->dfuse) {
                /* DfuSe leave: the device starts the application */
                f->state = DFS_STATE_MANIFEST;
                status_reply(f, buf, su->wLength, 10, rp);
                leave_bus(f, f->now + 10000, f->o.after_reset == FAKE_BACK_DFU, f->o.return_ms);
                return;
            }
            if (manifest)
                f->op = OP_MANIFEST;
            op_timing(f, &poll, &work);
            if (f->op == OP_CMDS || f->op == OP_NONE) {
                f->state = DFS_STATE_DNLOAD_IDLE;
                f->op = OP_NONE;
                status_reply(f, buf, su->wLength, 0, rp);
                return;
            }
            f->busy_until = f->now + work;
            f->state = manifest ? DFS_STATE_MANIFEST : DFS_STATE_DNBUSY;
            status_reply(f, buf, su->wLength, poll, rp);
            return;
        }
        if (f->state == DFS_STATE_DNBUSY || f->state == DFS_STATE_MANIFEST) {
            if (f->now < f->busy_until) {
                if (f->o.faults & FAULT_SHORT_POLL) {
                    rp->st = DFS_XFER_STALL;
                    f->state = DFS_STATE_ERROR;
                    f->status = DFS_STATUS_ERR_STALLEDPKT;
                    f->op = OP_NONE;
                    return;
                }
                uint32_t left = (uint32_t)((f->busy_until - f->now + 999) / 1000);
                status_reply(f, buf, su->wLength, f->o.faults & FAULT_ZERO_POLL ? 0 : left, rp);
                return;
            }
            if (!execute(f)) {
                rp->st = DFS_XFER_STALL; /* the chip is resetting */
                return;
            }
            status_reply(f, buf, su->wLength, 0, rp);
            return;
        }
        status_reply(f, buf, su->wLength, 0, rp);
        return;
    }
    case DFS_DFU_GETSTATE: {
        uint8_t s = f->state;
        give(rp, buf, su->wLength, &s, 1);
        return;
    }
    case DFS_DFU_CLRSTATUS:
        if (f->state == DFS_STATE_ERROR) {
            f->state = DFS_STATE_DFU_IDLE;
            f->status = DFS_STATUS_OK;
            rp->st = DFS_XFER_OK;
        } else if (f->o.faults & FAULT_CLRSTATUS_IDLE) {
            f->state = DFS_STATE_ERROR;
            f->status = DFS_STATUS_ERR_UNKNOWN;
            rp->st = DFS_XFER_OK;
        } else {
            invalid(f, rp);
        }
        return;
    case DFS_DFU_ABORT:
        if (f->state == DFS_STATE_DFU_IDLE || f->state == DFS_STATE_DNLOAD_IDLE ||
            f->state == DFS_STATE_UPLOAD_IDLE) {
            f->state = DFS_STATE_DFU_IDLE;
            f->status = DFS_STATUS_OK;
            f->op = OP_NONE;
            f->upload_pos = 0;
            rp->st = DFS_XFER_OK;
        } else {
            invalid(f, rp);
        }
        return;
    case DFS_DFU_DETACH:
        invalid(f, rp);
        return;
    case DFS_DFU_DNLOAD: {
        if (f->state != DFS_STATE_DFU_IDLE && f->state != DFS_STATE_DNLOAD_IDLE) {
            invalid(f, rp);
            return;
        }
        if (su->wLength > f->xfer) {
            invalid(f, rp);
            return;
        }
        if (su->wLength == 0) {
            if (!f->dfuse && f->state == DFS_STATE_DFU_IDLE) {
                invalid(f, rp);
                return;
            }
            f->state = DFS_STATE_MANIFEST_SYNC;
            rp->st = DFS_XFER_OK;
            return;
        }
        f->data_dnloads++;
        f->op_len = su->wLength;
        memcpy(f->op_data, out, su->wLength);
        f->op_block = su->wValue;
        if (f->dfuse) {
            if (su->wValue == 0) {
                uint32_t a = su->wLength >= 5 ? (uint32_t)out[1] | (uint32_t)out[2] << 8 |
                                                    (uint32_t)out[3] << 16 |
                                                    (uint32_t)out[4] << 24
                                              : 0;
                if (out[0] == DFS_DFUSE_SET_ADDRESS && su->wLength == 5)
                    f->op = OP_SET_ADDRESS;
                else if (out[0] == DFS_DFUSE_ERASE && su->wLength == 5)
                    f->op = OP_ERASE;
                else if (out[0] == DFS_DFUSE_ERASE && su->wLength == 1)
                    f->op = OP_MASS;
                else if (out[0] == DFS_DFUSE_READ_UNPROTECT && su->wLength == 1)
                    f->op = OP_UNPROTECT;
                else if (out[0] == DFS_DFUSE_GET_COMMANDS && su->wLength == 1)
                    f->op = OP_CMDS;
                else {
                    invalid(f, rp);
                    return;
                }
                f->op_addr = a;
            } else if (su->wValue == 1) {
                invalid(f, rp);
                return;
            } else {
                f->op = OP_WRITE;
            }
        } else {
            f->op = OP_BLOCK;
        }
        f->state = DFS_STATE_DNLOAD_SYNC;
        rp->st = DFS_XFER_OK;
        return;
    }
    case DFS_DFU_UPLOAD: {
        if (f->state != DFS_STATE_DFU_IDLE && f->state != DFS_STATE_UPLOAD_IDLE) {
            invalid(f, rp);
            return;
        }
        if (su->wLength > f->xfer) {
            invalid(f, rp);
            return;
        }
        bool never_short = f->o.faults & FAULT_UPLOAD_NEVER_SHORT;
        uint32_t n = 0;
        if (f->dfuse) {
            if (su->wValue == 0) {
                uint8_t cmds[4] = {0x00, 0x21, 0x41, 0x92};
                n = su->wLength < 4 ? su->wLength : 4;
                memcpy(buf, cmds, n);
                if (never_short) {
                    memset(buf + n, 0, su->wLength - n);
                    n = su->wLength;
                }
            } else if (su->wValue == 1) {
                invalid(f, rp);
                return;
            } else {
                uint32_t addr = f->pointer + (uint32_t)(su->wValue - 2) * su->wLength;
                struct region *r = region_at(f, addr, 1);
                if (!r || !(r->flags & R_READ)) {
                    if (f->o.faults & FAULT_SILENT_OUTSIDE) {
                        memset(buf, 0, su->wLength);
                        n = su->wLength;
                    } else {
                        rp->st = DFS_XFER_STALL;
                        f->state = DFS_STATE_ERROR;
                        f->status = DFS_STATUS_ERR_ADDRESS;
                        return;
                    }
                } else {
                    uint32_t avail = r->start + r->size - addr;
                    n = su->wLength < avail ? su->wLength : avail;
                    memcpy(buf, r->mem + (addr - r->start), n);
                }
            }
        } else {
            if (f->state == DFS_STATE_DFU_IDLE)
                f->upload_pos = 0;
            uint32_t avail = f->upload_pos < f->image_len ? f->image_len - f->upload_pos : 0;
            n = su->wLength < avail ? su->wLength : avail;
            memcpy(buf, f->image + f->upload_pos, n);
            if (never_short && n < su->wLength) {
                memset(buf + n, 0, su->wLength - n);
                n = su->wLength;
            }
            f->upload_pos += n;
        }
        f->state = n < su->wLength ? DFS_STATE_DFU_IDLE : DFS_STATE_UPLOAD_IDLE;
        rp->st = DFS_XFER_OK;
        rp->len = n;
        return;
    }
    default:
        invalid(f, rp);
        return;
    }
}

/* ---- the transport --------------------------------------------------------------------------- */

static void ident(struct fake *f, struct dfs_usb_ident *id)
{
    memset(id, 0, sizeof *id);
    id->vid = f->vid;
    id->pid = f->pid;
    id->bus = 1;
    id->devnum = f->devnum;
    snprintf(id->path, sizeof id->path, "1-1");
    snprintf(id->serial, sizeof id->serial, "%s", f->strings[3] ? f->strings[3] : "");
    id->speed = f->o.speed;
}

static bool matches(struct fake *f, const struct dfs_device_sel *sel)
{
    if (sel->by_id && (sel->vid != f->vid || sel->pid != f->pid))
        return false;
    if (sel->path[0] && strcmp(sel->path, "1-1") != 0)
        return false;
    if (sel->serial[0] && (!f->strings[3] || strcmp(sel->serial, f->strings[3]) != 0))
        return false;
    return true;
}

static dfs_result t_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    struct fake *f = ctx;
    tick(f);
    if (!fake_present(f) || !matches(f, sel)) {
        snprintf(msg, size, "no %04x:%04x is connected (fake)", sel->vid, sel->pid);
        return DFS_E_NOTFOUND;
    }
    ident(f, id);
    return DFS_OK;
}

static dfs_result t_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct fake *f = ctx;
    memcpy(dev, f->dev, 18);
    size_t n = f->cfg_len < cfg_size ? f->cfg_len : cfg_size;
    memcpy(cfg, f->cfg, n);
    *cfg_len = n;
    return DFS_OK;
}

static dfs_result t_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    (void)ctx;
    if (iface != 0) {
        snprintf(msg, size, "no interface %u", iface);
        return DFS_E_IO;
    }
    return DFS_OK;
}

static void t_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct fake *f = ctx;
    f->now += 100; /* a control transfer takes a little while */
    tick(f);
    reply->length = 0;
    if (!fake_present(f)) {
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    f->requests++;
    if (f->o.vanish_after && f->requests > f->o.vanish_after_requests) {
        leave_bus(f, f->now, false, 0);
        reply->status = DFS_XFER_NO_DEVICE;
        return;
    }
    if (f->resetting) {
        reply->status = DFS_XFER_STALL;
        return;
    }
    struct reply rp = {DFS_XFER_STALL, 0};
    unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
    if (type == DFS_REQTYPE_STANDARD) {
        standard(f, su, data, &rp);
    } else if ((su->bmRequestType == DFS_DFU_REQTYPE_IN ||
                su->bmRequestType == DFS_DFU_REQTYPE_OUT) &&
               su->wIndex == 0) {
        dfu(f, su, data, data, &rp);
    } else if (type == DFS_REQTYPE_VENDOR && su->bRequest == 0xEE) {
        /* a request this device never answers */
        f->now += (uint64_t)timeout_ms * 1000;
        rp.st = DFS_XFER_TIMEOUT;
    }
    reply->status = rp.st;
    reply->length = rp.st == DFS_XFER_OK ? rp.len : 0;
}

static bool t_present(void *ctx)
{
    struct fake *f = ctx;
    tick(f);
    return fake_present(f);
}

static dfs_result t_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct fake *f = ctx;
    uint64_t deadline = f->now + (uint64_t)within_ms * 1000;
    uint8_t old = f->devnum;
    for (;;) {
        tick(f);
        if (fake_present(f) && f->devnum != old && matches(f, sel)) {
            ident(f, id);
            return DFS_OK;
        }
        if (f->now >= deadline)
            break;
        f->now += 10000;
    }
    snprintf(msg, size, "no %04x:%04x came back (fake)", sel->vid, sel->pid);
    return DFS_E_NOTFOUND;
}

static void t_close(void *ctx) { (void)ctx; }

static const struct dfs_transport_ops fake_ops = {
    t_open, t_cached, t_claim, t_control, t_present, t_reopen, t_close,
};

void fake_transport(struct fake *f, struct dfs_transport *t)
{
    t->ops = &fake_ops;
    t->ctx = f;
}

static uint64_t c_now(void *ctx) { return ((struct fake *)ctx)->now; }
static void c_sleep(void *ctx, uint64_t us) { ((struct fake *)ctx)->now += us; }
static struct dfs_time c_wall(void *ctx)
{
    (void)ctx;
    struct dfs_time t = {1700000000, 0};
    return t;
}

void fake_clock(struct fake *f, struct dfs_clock *c)
{
    c->now_us = c_now;
    c->sleep_us = c_sleep;
    c->wall = c_wall;
    c->ctx = f;
}

uint64_t fake_now_us(const struct fake *f) { return f->now; }
unsigned fake_dfu_requests(const struct fake *f, uint8_t r) { return r < 8 ? f->dfu_req[r] : 0; }
unsigned fake_requests(const struct fake *f) { return f->requests; }
unsigned fake_data_dnloads(const struct fake *f) { return f->data_dnloads; }
unsigned fake_enumerations(const struct fake *f) { return f->enumerations; }
uint8_t fake_devnum(const struct fake *f) { return f->devnum; }
