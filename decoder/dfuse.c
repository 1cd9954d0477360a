/* DfuSe (ST AN3156, UM0424; dfu-facts.md 2-3): commands in DNLOAD block 0
 * (SET_ADDRESS, ERASE, READ_UNPROTECT), data blocks at the address pointer
 * plus (block - 2) * wTransferSize, the leave request (a zero-length
 * DNLOAD), option-byte areas; and the memory operations of DfuSe and plain
 * DFU 1.1 alike (at a memory address, or at an offset in the image), each
 * reported when the request or the GETSTATUS that executes it says it
 * happened. */
#include <string.h>

#include "rules.h"

static uint32_t block_address(const struct dfs__dfu_if *f, uint16_t block)
{
    return f->ptr + (uint32_t)(block - 2) * f->xfer;
}

bool dfs__dfuse_dnload(const struct dfs__dfu_if *f, const struct dfs_control *ctl,
                       struct dfs_dfu_txn *t)
{
    bool data_block = t->wLength > 0;
    if (f->dfuse && t->wValue == 0 && ctl->data_len >= 1) {
        t->cmd = ctl->data[0];
        if (ctl->data_len >= 5) {
            t->has_address = true;
            t->address = dfs__le32(ctl->data + 1);
        }
        t->mass_erase = ctl->data[0] == DFS_DFUSE_ERASE && ctl->data_len == 1;
        data_block = false;
    } else if (f->dfuse && t->wLength && t->wValue >= 2 && f->ptr_valid) {
        t->has_address = true;
        t->address = block_address(f, t->wValue);
    }
    if (f->dfuse && t->wLength == 0)
        t->leave = true;
    return data_block;
}

void dfs__dfuse_upload(const struct dfs__dfu_if *f, struct dfs_dfu_txn *t)
{
    if (f->dfuse && t->wValue >= 2 && f->ptr_valid) {
        t->has_address = true;
        t->address = block_address(f, t->wValue);
    } else if (f->dfuse && t->wValue == 0) {
        t->cmd = DFS_DFUSE_GET_COMMANDS;
    }
}

/* A memory access at a DfuSe address, for the layout rules. */
static void access(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                   struct dfs__dfu_if *f, const struct dfs_dfu_txn *t, uint8_t need, uint32_t len,
                   const struct dfs__ob_ref *ob, bool refused)
{
    struct dfs__dfu_event ev = {.kind = DFS__EV_ACCESS,
                                .dev = dev,
                                .dd = dd,
                                .rules = &f->rules,
                                .t = t,
                                .frame = t->frame,
                                .u.access = {.refused = refused,
                                             .need = need,
                                             .ifnum = f->ifnum,
                                             .addr = t->address,
                                             .len = len,
                                             .in_use = dfs__dfu_layout_alt(dd, dev, f->ifnum),
                                             .ob = ob,
                                             .ptr_frame = f->ptr_frame}};
    dfs__rules_raise(d, &ev);
}

void dfs__dfuse_command(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        struct dfs__dfu_if *f, const struct dfs_dfu_txn *t)
{
    if (t->cmd == DFS_DFUSE_ERASE && t->has_address)
        access(d, dev, dd, f, t, DFS_MEM_ERASABLE, 0, NULL, false);
}

/* The option-byte area a write at addr falls in: a known area of ST's
 * chips, or a region of the alternate setting in use whose layout is named
 * "Option Bytes". */
static void option_bytes(struct dfs__ob_ref *ob, const struct dfs__alt *la, uint32_t addr)
{
    const struct dfs_ob_area *known = dfs_ob_area_find(addr);
    const struct dfs_layout_region *lr = la ? dfs_layout_find(&la->layout, addr) : NULL;
    if (known) {
        ob->is = true;
        ob->start = known->start;
        ob->end = known->end;
        ob->families = known->families;
    } else if (lr && strstr(la->layout.name, "Option")) {
        ob->is = true;
        ob->start = la->layout.regions[0].start;
        ob->end = la->layout.regions[la->layout.n_regions - 1].end;
        memcpy(ob->layout, la->layout.name, sizeof ob->layout);
        ob->alt = la->alt;
    }
}

void dfs__dfuse_write(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                      struct dfs__dfu_if *f, const struct dfs_dfu_txn *t)
{
    option_bytes(&f->pend.ob, dfs__dfu_layout_alt(dd, dev, f->ifnum), t->address);
    access(d, dev, dd, f, t, DFS_MEM_WRITABLE, t->wLength, &f->pend.ob, false);
}

/* A DfuSe UPLOAD at a known address that the device STALLed: the read it
 * refused, for the layout rules (no data, so no memory operation). */
void dfs__dfuse_read_refused(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                             struct dfs__dfu_if *f, const struct dfs_dfu_txn *t)
{
    if (f->dfuse && !f->flip && t->has_address && t->wLength)
        access(d, dev, dd, f, t, DFS_MEM_READABLE, t->wLength, NULL, true);
}

/* ---- memory operations ---------------------------------------------------------------- */

static void emit_mem(dfs_decoder *d, const struct dfs__device *dev, const struct dfs__dfu_if *f,
                     const struct dfs_mem_op *op)
{
    if (!d->sink.on_mem || d->error)
        return;
    struct dfs_mem_op o = *op;
    o.device = dev->id;
    o.lane = dev->lane;
    o.interface = f->ifnum;
    o.dfuse = f->dfuse || f->flip; /* the address is a memory address */
    dfs__stop(d, d->sink.on_mem(d->sink.user, &o));
}

void dfs__dfu_read(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                   struct dfs__dfu_if *f, const struct dfs_dfu_txn *t)
{
    struct dfs_mem_op op = {.alt = t->alt,
                            .kind = DFS_MEM_OP_READ,
                            .length = t->length,
                            .data = t->data,
                            .data_len = t->data_len,
                            .ok = true,
                            .block = t->wValue,
                            .frame = t->frame,
                            .ts = t->ts};
    if (f->flip) {
        op.address = t->address;
        if (t->has_address)
            emit_mem(d, dev, f, &op);
    } else if (f->dfuse && t->has_address) {
        access(d, dev, dd, f, t, DFS_MEM_READABLE, t->length, NULL, false);
        op.address = t->address;
        emit_mem(d, dev, f, &op);
    } else if (!f->dfuse) {
        op.address = f->ul_offset;
        emit_mem(d, dev, f, &op);
        f->ul_offset = t->length > UINT32_MAX - f->ul_offset ? UINT32_MAX
                                                              : f->ul_offset + t->length;
    }
}

void dfs__dfu_executed(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                       struct dfs__dfu_if *f, const struct dfs_dfu_txn *t, bool failed)
{
    const struct dfs__pending *pd = &f->pend;
    if (!failed && pd->kind == DFS__PEND_CMD && pd->cmd == DFS_DFUSE_SET_ADDRESS &&
        pd->has_addr) {
        f->ptr = pd->addr;
        f->ptr_valid = true;
        f->ptr_frame = pd->frame;
        f->dl_seq = f->ul_seq = false;
    }
    struct dfs_mem_op op = {.alt = pd->alt,
                            .address = pd->addr,
                            .ok = !failed,
                            .bStatus = t->bStatus,
                            .frame = pd->frame,
                            .exec_frame = t->frame,
                            .ts = pd->ts};
    if (pd->kind == DFS__PEND_WRITE) {
        op.kind = DFS_MEM_OP_WRITE;
        op.length = pd->len;
        op.data = pd->data;
        op.data_len = pd->data_len;
        op.block = pd->block;
        emit_mem(d, dev, f, &op);
    } else if (pd->kind == DFS__PEND_CMD && pd->cmd == DFS_DFUSE_ERASE) {
        /* the page erased, from the layout of the alternate setting in use */
        if (!pd->mass) {
            const struct dfs__alt *a = dfs__dfu_layout_alt(dd, dev, f->ifnum);
            const struct dfs_layout_region *r = a ? dfs_layout_find(&a->layout, pd->addr) : NULL;
            op.length = r ? r->size : 0;
        }
        op.kind = pd->mass ? DFS_MEM_OP_MASS_ERASE : DFS_MEM_OP_ERASE;
        emit_mem(d, dev, f, &op);
        if (f->flip)
            return; /* done inside the DNLOAD: no busy time to judge */
        struct dfs__dfu_event ev = {.kind = DFS__EV_ERASED,
                                    .dev = dev,
                                    .dd = dd,
                                    .rules = &f->rules,
                                    .t = t,
                                    .frame = t->frame,
                                    .u.exec = {.pd = pd, .failed = failed}};
        dfs__rules_raise(d, &ev);
    }
}
