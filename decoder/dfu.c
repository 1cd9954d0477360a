/* DFU 1.1 and DfuSe: which interfaces are DFU, the state of each through
 * every request and reply, DfuSe commands and addresses, memory operations,
 * and the diagnosis rules that need this state (dfu-facts.md 1-4,
 * dfu-quirks.md). */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"

#define MAX_IGNORED_REPORTS 3
#define ZERO_POLL_LIMIT 3
#define TIMING_SLACK_US 1000 /* time stamp granularity allowance */

/* The frames of a finding that two frames prove (either may be 0: none). */
static struct dfs__frames frame_pair(uint64_t a, uint64_t b)
{
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, a);
    dfs__frames_add(&fr, b);
    return fr;
}

static struct dfs__dfu_dev *dfu_dev(dfs_decoder *d, struct dfs__device *dev, bool create)
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

static struct dfs__dfu_if *find_if(struct dfs__dfu_dev *dd, uint8_t ifnum, bool create)
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

static struct dfs__alt *find_alt(struct dfs__dfu_dev *dd, uint8_t ifnum, uint8_t alt)
{
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == ifnum && dd->alts[i].alt == alt)
            return &dd->alts[i];
    return NULL;
}

static uint8_t cur_alt(const struct dfs__device *dev, uint8_t ifnum)
{
    return ifnum < DFS__MAX_IFACES ? dev->alt[ifnum] : 0;
}

static void pend_clear(dfs_decoder *d, struct dfs__dfu_if *f)
{
    dfs__free(d, f->pend.data);
    memset(&f->pend, 0, sizeof f->pend);
}

/* ---- descriptors ------------------------------------------------------------- */

static void check_duplicates(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                             uint8_t ifnum, bool at_end)
{
    int slot = -1;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].ifnum == ifnum)
            slot = i;
    if (slot < 0 || dd->dup_reported[slot])
        return;
    unsigned n = 0, named = 0;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == ifnum) {
            n++;
            named += dd->alts[i].named;
        }
    if (n < 2 || (named < n && !at_end))
        return;
    /* the largest group of alternate settings sharing one string */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        const struct dfs__alt *a = &dd->alts[i];
        if (a->ifnum != ifnum || !a->named || a->name[0] != '@')
            continue;
        struct dfs__frames fr = {0};
        uint8_t same_alts[DFS__MAX_ALTS];
        unsigned same = 0;
        for (unsigned j = 0; j < dd->n_alts; j++) {
            const struct dfs__alt *b = &dd->alts[j];
            if (b->ifnum == ifnum && b->named && strcmp(a->name, b->name) == 0) {
                same_alts[same++] = b->alt;
                dfs__frames_add(&fr, b->name_frame);
            }
        }
        if (same < 2)
            continue;
        dd->dup_reported[slot] = true;
        bool ob_missing = true;
        for (unsigned j = 0; j < dd->n_alts; j++)
            if (dd->alts[j].ifnum == ifnum && dd->alts[j].layout_ok &&
                dfs_ob_area_find(dd->alts[j].layout.regions[0].start))
                ob_missing = false;
        dfs__say_desc_duplicate_alt_layouts(d, dev, fr.n ? fr.v[fr.n - 1] : d->cur_frame, &fr,
                                            ifnum, same_alts, same, a->name, n, named,
                                            ob_missing);
        return;
    }
}

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
    struct dfs__dfu_if *f = find_if(dd, a->ifnum, false);
    bool dfuse_like = a->name[0] == '@' || (f && f->dfuse);
    if (dfuse_like) {
        a->layout_tried = true;
        dfs_result r = dfs_layout_parse(a->name, strlen(a->name), &a->layout, a->why, sizeof a->why);
        a->layout_ok = r == DFS_OK;
        if (!a->layout_ok)
            dfs__say_desc_layout_invalid(d, dev, a);
    }
    check_duplicates(d, dev, dd, a->ifnum, false);
}

static void parse_config(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                         uint64_t frame)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    struct dfs_desc_problem pr;
    dfs_desc_walk_init(&w, dev->config, dev->config_len);
    int rc;
    dd->n_alts = 0;
    while ((rc = dfs_desc_walk_next(&w, &it, &pr)) == 1) {
        if (pr.code == DFS_DESC_FUNCTIONAL_SHORT)
            dfs__say_desc_functional_short(d, dev, frame, pr.msg);
        else if (pr.code != DFS_DESC_OK)
            dfs__say_desc_invalid_length(d, dev, frame, pr.msg, false);
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
            struct dfs__dfu_if *f = find_if(dd, it.u.interface.bInterfaceNumber, true);
            if (f) {
                f->from_desc = true;
                f->confirmed = true;
                f->runtime = it.u.interface.bInterfaceProtocol == DFS_DFU_PROTO_RUNTIME;
            }
            uint8_t proto = it.u.interface.bInterfaceProtocol;
            if (proto != DFS_DFU_PROTO_RUNTIME && proto != DFS_DFU_PROTO_DFU && f &&
                !f->proto_reported) {
                f->proto_reported = true;
                dfs__say_desc_dfu_protocol_invalid(d, dev, frame, &it.u.interface);
            }
            if (dd->n_alts < DFS__MAX_ALTS && !find_alt(dd, it.u.interface.bInterfaceNumber,
                                                   it.u.interface.bAlternateSetting)) {
                if (dd->n_alts == dd->cap_alts) {
                    /* most devices have a few: grow, do not reserve DFS__MAX_ALTS */
                    unsigned cap = dd->cap_alts ? dd->cap_alts * 2 : 4;
                    if (cap > DFS__MAX_ALTS)
                        cap = DFS__MAX_ALTS;
                    struct dfs__alt *n = dfs__realloc(d, dd->alts, cap * sizeof *n);
                    if (!n) {
                        dfs__nomem(d, "cannot keep the alternate settings of a DFU interface");
                        return;
                    }
                    dd->alts = n;
                    dd->cap_alts = cap;
                }
                struct dfs__alt *a = &dd->alts[dd->n_alts++];
                memset(a, 0, sizeof *a);
                a->ifnum = it.u.interface.bInterfaceNumber;
                a->alt = it.u.interface.bAlternateSetting;
                a->proto = it.u.interface.bInterfaceProtocol;
                a->iInterface = it.u.interface.iInterface;
            }
        } else if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
            struct dfs__dfu_if *f = find_if(dd, it.iface.bInterfaceNumber, true);
            if (f) {
                f->has_func = true;
                f->func = it.u.dfu;
                if (it.u.dfu.wTransferSize && it.u.dfu.wTransferSize != 0xffff) {
                    f->xfer = it.u.dfu.wTransferSize;
                    f->xfer_inferred = false;
                }
                if (it.u.dfu.has_version) {
                    uint16_t v = it.u.dfu.bcdDFUVersion;
                    f->dfuse = v == DFS_DFU_VERSION_DFUSE;
                    f->dfuse_known = true;
                    if (v != DFS_DFU_VERSION_1_1 && v != DFS_DFU_VERSION_DFUSE && v != 0x0100)
                        dfs__say_desc_dfu_version_unknown(d, dev, frame,
                                                          it.iface.bInterfaceNumber, v);
                }
                if (it.u.dfu.wTransferSize == 0 || it.u.dfu.wTransferSize == 0xffff)
                    dfs__say_desc_transfer_size_invalid(d, dev, frame, it.iface.bInterfaceNumber,
                                                        it.u.dfu.wTransferSize);
            }
        }
    }
    if (rc < 0)
        dfs__say_desc_invalid_length(d, dev, frame, pr.msg, true);
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++) {
        struct dfs__dfu_if *f = &dd->ifs[i];
        if (f->used && f->from_desc && !f->has_func)
            dfs__say_desc_functional_missing(d, dev, frame, f->ifnum, dev->config_len);
        if (f->used && !f->dfuse_known && dev->identified && dev->vid == 0x0483 &&
            dev->pid == 0xdf11) {
            f->dfuse = true; /* ST's DfuSe bootloader PID */
            f->dfuse_known = true;
        }
    }
    dd->config_parsed = true;
    /* strings read before the configuration */
    for (unsigned i = 0; i < dd->n_alts; i++) {
        size_t len;
        const uint8_t *raw = dfs__device_string(dev, dd->alts[i].iInterface, dev->langid, &len);
        if (raw && dd->alts[i].iInterface)
            load_alt_name(d, dev, dd, &dd->alts[i], raw, len, frame);
    }
}

/* ---- classification ---------------------------------------------------------- */

static bool config_has_dfu_interface(const struct dfs__device *dev, uint16_t ifnum)
{
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, dev->config, dev->config_len);
    while (dfs_desc_walk_next(&w, &it, NULL) == 1)
        if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceNumber == ifnum &&
            it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
            it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS)
            return true;
    return false;
}

bool dfs__dfu_classify(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    if (!ctl->has_setup)
        return false;
    const struct dfs_setup *s = &ctl->setup;
    if (s->bmRequestType != DFS_DFU_REQTYPE_OUT && s->bmRequestType != DFS_DFU_REQTYPE_IN)
        return false;
    if (s->bRequest > DFS_DFU_ABORT || (s->wIndex >> 8) != 0)
        return false;
    bool in = s->bmRequestType == DFS_DFU_REQTYPE_IN;
    /* the direction each request must have */
    bool want_in = s->bRequest == DFS_DFU_UPLOAD || s->bRequest == DFS_DFU_GETSTATUS ||
                   s->bRequest == DFS_DFU_GETSTATE;
    if (in != want_in)
        return false;
    uint8_t ifnum = (uint8_t)s->wIndex;
    if (dev->config && !dev->config_partial)
        return config_has_dfu_interface(dev, ifnum);
    /* No configuration descriptor in the capture: take the interface for DFU
     * only once a GETSTATUS or GETSTATE gets a reply only DFU gives. */
    struct dfs__dfu_dev *dd = dev->dfu;
    struct dfs__dfu_if *f = dd ? find_if(dd, ifnum, false) : NULL;
    if (f && f->confirmed)
        return true;
    bool ok = ctl->end == DFS_CTL_COMPLETED && ctl->status == 0;
    bool pattern = false;
    if (s->bRequest == DFS_DFU_GETSTATUS && s->wValue == 0 && s->wLength == DFS_GETSTATUS_LEN &&
        ok && ctl->data_len == DFS_GETSTATUS_LEN && ctl->data[4] <= 15 && ctl->data[0] <= 15)
        pattern = true;
    if (s->bRequest == DFS_DFU_GETSTATE && s->wValue == 0 && s->wLength == 1 && ok &&
        ctl->data_len == 1 && ctl->data[0] <= DFS_STATE_ERROR)
        pattern = true;
    if (!pattern)
        return false;
    dd = dfu_dev(d, dev, true);
    if (!dd)
        return false;
    f = find_if(dd, ifnum, true);
    if (!f)
        return false;
    f->confirmed = true;
    if (!f->dfuse_known && dev->identified && dev->vid == 0x0483 && dev->pid == 0xdf11) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    return true;
}

/* ---- transactions -------------------------------------------------------------- */

static enum dfs_dfu_outcome outcome_of(const struct dfs_control *ctl)
{
    if (ctl->end == DFS_CTL_NEVER_COMPLETED)
        return DFS_DFU_NO_REPLY;
    switch (-(int64_t)ctl->status) { /* 64 bits: the status may be INT32_MIN */
    case 0: return DFS_DFU_ACK;
    case DFS_LINUX_EPIPE: return DFS_DFU_STALLED;
    case DFS_LINUX_ENODEV:
    case DFS_LINUX_ESHUTDOWN: return DFS_DFU_NO_DEVICE;
    case DFS_LINUX_ENOENT:
    case DFS_LINUX_ECONNRESET: return DFS_DFU_CANCELLED;
    default: return DFS_DFU_BUS_ERROR;
    }
}

static bool request_allowed(uint8_t req, uint8_t st, uint16_t wLength)
{
    switch (req) {
    case DFS_DFU_DETACH: return st == DFS_STATE_APP_IDLE;
    case DFS_DFU_DNLOAD:
        return st == DFS_STATE_DNLOAD_IDLE || (st == DFS_STATE_DFU_IDLE && wLength > 0);
    case DFS_DFU_UPLOAD: return st == DFS_STATE_DFU_IDLE || st == DFS_STATE_UPLOAD_IDLE;
    case DFS_DFU_GETSTATUS: return true;
    case DFS_DFU_CLRSTATUS: return st == DFS_STATE_ERROR;
    case DFS_DFU_GETSTATE: return st != DFS_STATE_DNBUSY && st != DFS_STATE_MANIFEST;
    case DFS_DFU_ABORT:
        return st == DFS_STATE_DFU_IDLE || st == DFS_STATE_DNLOAD_SYNC ||
               st == DFS_STATE_DNLOAD_IDLE || st == DFS_STATE_MANIFEST_SYNC ||
               st == DFS_STATE_UPLOAD_IDLE;
    }
    return false;
}

static bool reply_allowed(uint8_t before, uint8_t after)
{
    if (after == DFS_STATE_ERROR)
        return true;
    switch (before) {
    case DFS_STATE_APP_IDLE: return after == DFS_STATE_APP_IDLE;
    case DFS_STATE_APP_DETACH: return after == DFS_STATE_APP_DETACH || after == DFS_STATE_APP_IDLE;
    case DFS_STATE_DFU_IDLE: return after == DFS_STATE_DFU_IDLE;
    case DFS_STATE_DNLOAD_SYNC:
    case DFS_STATE_DNBUSY:
        return after == DFS_STATE_DNBUSY || after == DFS_STATE_DNLOAD_IDLE ||
               after == DFS_STATE_DNLOAD_SYNC;
    case DFS_STATE_DNLOAD_IDLE: return after == DFS_STATE_DNLOAD_IDLE;
    case DFS_STATE_MANIFEST_SYNC:
    case DFS_STATE_MANIFEST:
        return after == DFS_STATE_MANIFEST || after == DFS_STATE_MANIFEST_SYNC ||
               after == DFS_STATE_MANIFEST_WAIT_RESET || after == DFS_STATE_DFU_IDLE;
    case DFS_STATE_MANIFEST_WAIT_RESET: return after == DFS_STATE_MANIFEST_WAIT_RESET;
    case DFS_STATE_UPLOAD_IDLE: return after == DFS_STATE_UPLOAD_IDLE;
    case DFS_STATE_ERROR: return false;
    default: return true;
    }
}

static int emit_txn(dfs_decoder *d, const struct dfs_dfu_txn *t)
{
    d->stats.dfu_txns++;
    if (!d->sink.on_dfu)
        return 0;
    return dfs__stop(d, d->sink.on_dfu(d->sink.user, t));
}

static void emit_mem(dfs_decoder *d, const struct dfs__device *dev, const struct dfs__dfu_if *f,
                     enum dfs_mem_kind kind, uint32_t addr, uint32_t len, const uint8_t *data,
                     uint32_t data_len, bool ok, uint8_t bstatus, uint16_t block, uint64_t frame,
                     uint64_t exec_frame, struct dfs_time ts, uint8_t alt)
{
    if (!d->sink.on_mem || d->error)
        return;
    struct dfs_mem_op op = {
        .device = dev->id,
        .lane = dev->lane,
        .interface = f->ifnum,
        .alt = alt,
        .kind = kind,
        .dfuse = f->dfuse,
        .address = addr,
        .length = len,
        .data = data,
        .data_len = data_len,
        .ok = ok,
        .bStatus = bstatus,
        .block = block,
        .frame = frame,
        .exec_frame = exec_frame,
        .ts = ts,
    };
    dfs__stop(d, d->sink.on_mem(d->sink.user, &op));
}

/* The layout of the alternate setting in use, when it parsed. */
static const struct dfs__alt *layout_alt(const struct dfs__dfu_dev *dd, const struct dfs__device *dev,
                                    uint8_t ifnum)
{
    const struct dfs__alt *a = find_alt((struct dfs__dfu_dev *)dd, ifnum, cur_alt(dev, ifnum));
    return a && a->layout_ok ? a : NULL;
}

static void check_layout(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                         struct dfs__dfu_if *f, uint32_t addr, uint32_t len, uint8_t need,
                         const char *what, uint64_t frame)
{
    const struct dfs__alt *a = layout_alt(dd, dev, f->ifnum);
    if (!a || dfs_layout_allows(&a->layout, addr, len, need))
        return;
    /* one report per address and kind of access */
    for (unsigned i = 0; i < f->n_outside; i++)
        if (f->outside[i] == addr && f->outside_need[i] == need)
            return;
    if (f->n_outside >= DFS__MAX_OUTSIDE)
        return;
    f->outside_need[f->n_outside] = need;
    f->outside[f->n_outside++] = addr;
    /* another alternate setting that advertises it? */
    const struct dfs__alt *other = NULL;
    for (unsigned i = 0; i < dd->n_alts; i++)
        if (dd->alts[i].ifnum == f->ifnum && dd->alts[i].layout_ok && &dd->alts[i] != a &&
            dfs_layout_allows(&dd->alts[i].layout, addr, len, need))
            other = &dd->alts[i];
    struct dfs__frames fr = frame_pair(a->name_frame, frame);
    dfs__say_address_outside_layout(d, dev, &fr, frame, what, addr, len, need, f->ifnum, a, other,
                                    dfs_layout_find(&a->layout, addr) != NULL);
}

static void seq_check(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_if *f, bool upload,
                      uint16_t block, uint64_t frame)
{
    bool *active = upload ? &f->ul_seq : &f->dl_seq;
    uint16_t *last = upload ? &f->ul_last : &f->dl_last;
    if (*active && block != (uint16_t)(*last + 1)) {
        bool retry = !upload && block == *last && !f->dl_last_ok;
        if (!retry)
            dfs__say_block_sequence(d, dev, upload, block, *last, frame);
    }
    *active = true;
    *last = block;
}

static uint32_t block_address(const struct dfs__dfu_if *f, uint16_t block)
{
    return f->ptr + (uint32_t)(block - 2) * f->xfer;
}

static void infer_xfer(struct dfs__dfu_if *f, uint16_t wLength)
{
    if (f->has_func && f->func.wTransferSize && f->func.wTransferSize != 0xffff)
        return;
    if (wLength > f->xfer) {
        f->xfer = wLength;
        f->xfer_inferred = true;
    }
}

/* A request failed and nothing later shows the device stayed: remember it
 * until later traffic, a disconnect, a return, or the end says more. */
static void lost_start(struct dfs__dfu_dev *dd, enum dfs__lost_kind kind, const struct dfs__dfu_if *f,
                       const struct dfs_control *ctl, uint8_t state_before, uint8_t alt)
{
    struct dfs__lost *l = &dd->lost;
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->req_frame = f->pend.frame ? f->pend.frame : f->last_req_frame;
    l->fail_frame = ctl->complete_frame ? ctl->complete_frame : ctl->submit_frame;
    l->fail_submit_frame = ctl->submit_frame;
    l->req_done_frame = f->pend.done_frame;
    l->fail_ts = ctl->complete_frame ? ctl->complete_ts : ctl->submit_ts;
    l->status = ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : ctl->status;
    l->addr = f->pend.addr;
    l->len = f->pend.len;
    l->ifnum = f->ifnum;
    l->alt = alt;
    l->state = state_before;
    l->req = ctl->setup.bRequest;
    l->prev_req = f->last_req;
    l->prev_frame = f->last_req_frame;
    l->ob = f->pend.ob;
}

/* What a device that appeared after the failure is: 1 the same device in DFU
 * mode, 2 the same device running its application (DFU run-time interface),
 * 3 something else (or not known yet). */
static int back_kind(const struct dfs__device *old, const struct dfs__device *back)
{
    bool same_id = old->identified && back->identified && old->vid == back->vid &&
                   old->pid == back->pid;
    if (back->config && !back->config_partial) {
        struct dfs_desc_walker w;
        struct dfs_desc_item it;
        dfs_desc_walk_init(&w, back->config, back->config_len);
        bool dfu_mode = false, other_dfu = false;
        while (dfs_desc_walk_next(&w, &it, NULL) == 1)
            if (it.kind == DFS_DK_INTERFACE && it.u.interface.bInterfaceClass == DFS_DFU_CLASS &&
                it.u.interface.bInterfaceSubClass == DFS_DFU_SUBCLASS) {
                if (it.u.interface.bInterfaceProtocol == DFS_DFU_PROTO_DFU)
                    dfu_mode = true;
                else /* run-time, or the protocol 0 some devices use */
                    other_dfu = true;
            }
        return dfu_mode ? 1 : other_dfu ? 2 : 3;
    }
    return same_id ? 1 : 3;
}

/* back: the device that appeared afterwards, or NULL (never came back within
 * the capture). */
static void lost_report(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        const struct dfs__device *back)
{
    struct dfs__lost *l = &dd->lost;
    if (l->kind == DFS__LOST_NONE)
        return;
    struct dfs__comeback cb = {.back = back, .came = back ? back_kind(dev, back) : 0};
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->req_done_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    if (l->gone_frame)
        dfs__frames_add(&fr, l->gone_frame);
    if (back && back->first_frame)
        dfs__frames_add(&fr, back->first_frame);
    if (back) {
        cb.after = (double)dfs__time_diff_us(back->first_ts, l->fail_ts) / 1e6;
    } else {
        /* the capture may have gone on after its last record (its end
         * time): the silence until then counts */
        cb.after = (double)dfs__time_diff_us(dfs__capture_end_ts(d), l->fail_ts) / 1e6;
        cb.last = (double)dfs__time_diff_us(d->cur_ts, l->fail_ts) / 1e6;
        cb.end_extends = dfs__end_extends(d);
    }
    /* the device stayed away long enough to say it did not come back */
    cb.stayed_away = !back && cb.after >= 2.0 && dfs__end_extends(d);
    if (l->kind == DFS__LOST_OB)
        dfs__say_option_bytes_reset(d, dev, &fr, l, &cb);
    else if (l->kind == DFS__LOST_LEAVE)
        dfs__say_leave_reset(d, dev, &fr, l, &cb);
    else
        dfs__say_device_lost(d, dev, &fr, l, &cb);
    l->kind = DFS__LOST_NONE;
}

/* The device stayed: the failure was a rejection. */
static void lost_stayed(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        uint64_t frame)
{
    struct dfs__lost *l = &dd->lost;
    if (l->kind == DFS__LOST_NONE)
        return;
    if (l->kind == DFS__LOST_LEAVE) { /* the jump did not happen: nothing to add */
        l->kind = DFS__LOST_NONE;
        return;
    }
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    dfs__frames_add(&fr, frame);
    if (l->req == DFS_DFU_GETSTATUS && l->status != -DFS_LINUX_EPIPE)
        dfs__say_getstatus_failed(d, dev, &fr, l, frame);
    else if (l->req == DFS_DFU_GETSTATUS)
        dfs__say_getstatus_stall(d, dev, &fr, l, frame);
    l->kind = DFS__LOST_NONE;
}

/* A DFU request was stalled: the device is in dfuERROR now, and the next
 * GETSTATUS should say so (report_stall_pairing). Returns dfuERROR. */
static uint8_t stalled_request(struct dfs__dfu_if *f, uint64_t frame, uint8_t req)
{
    f->stall_pending = true;
    f->stall_frame = frame;
    f->stall_req = req;
    return DFS_STATE_ERROR;
}

static void report_stall_pairing(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_if *f,
                                 const struct dfs_dfu_txn *t)
{
    if (f->stall_pending && t->bState != DFS_STATE_ERROR) {
        struct dfs__frames fr = frame_pair(f->stall_frame, t->frame);
        dfs__say_stall_without_error(d, dev, &fr, f->stall_req, f->stall_frame, t);
    } else if (!f->stall_pending && t->bState == DFS_STATE_ERROR &&
               t->bStatus == DFS_STATUS_ERR_STALLEDPKT && t->state_before != DFS_STATE_ERROR &&
               t->state_before != DFS_STATE_UNKNOWN && f->last_req != DFS_DFU_GETSTATUS) {
        struct dfs__frames fr = frame_pair(f->last_req_frame, t->frame);
        dfs__say_error_without_stall(d, dev, &fr, f->last_req, f->last_req_frame, t);
    }
    f->stall_pending = false;
}

static void end_episode(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_if *f,
                        const struct dfs_dfu_txn *t)
{
    if (!f->episode)
        return;
    f->episode = false;
    int64_t busy_us = dfs__time_diff_us(t->reply_frame ? t->reply_ts : t->ts, f->episode_ts);
    if (f->episode_polls >= 3 && !f->episode_ignored && f->episode_max_poll > 0 &&
        busy_us >= 100000 && busy_us > 3 * (int64_t)f->episode_max_poll * 1000) {
        struct dfs__frames fr = frame_pair(f->episode_frame, t->frame);
        dfs__say_poll_timeout_too_short(d, dev, &fr, t->frame, busy_us, f->episode_polls,
                                        f->episode_frame, f->episode_max_poll);
    }
}

/* GETSTATUS answered: execution of what is pending, state checks. */
static void on_getstatus_reply(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                               struct dfs__dfu_if *f, struct dfs_dfu_txn *t,
                               const struct dfs_control *ctl)
{
    const uint8_t *p = ctl->data;
    t->has_status = t->has_state = true;
    t->bStatus = p[0];
    t->poll_timeout_ms = dfs__le24(p + 1);
    t->bState = p[4];
    t->iString = p[5];
    if (t->bState > DFS_STATE_ERROR || t->bStatus > DFS_STATUS_ERR_STALLEDPKT)
        dfs__say_bad_status_values(d, dev, t);
    uint8_t before = t->state_before;
    if (before != DFS_STATE_UNKNOWN && t->bState <= DFS_STATE_ERROR && !f->stall_pending &&
        !reply_allowed(before, t->bState))
        dfs__say_reply_not_allowed(d, dev, t);
    report_stall_pairing(d, dev, f, t);

    /* busy bookkeeping */
    if (t->bState == DFS_STATE_DNBUSY) {
        if (!f->episode) {
            f->episode = true;
            f->episode_frame = t->frame;
            f->episode_ts = t->reply_frame ? t->reply_ts : t->ts;
            f->episode_polls = 0;
            f->episode_max_poll = 0;
            f->episode_ignored = false;
        }
        f->episode_polls++;
        if (t->poll_timeout_ms > f->episode_max_poll)
            f->episode_max_poll = t->poll_timeout_ms;
        f->busy = true;
        f->busy_ts = t->reply_frame ? t->reply_ts : t->ts;
        f->busy_poll = t->poll_timeout_ms;
        f->busy_frame = t->reply_frame ? t->reply_frame : t->frame;
        if (t->poll_timeout_ms == 0) {
            if (!f->zero_polls)
                f->zero_first_frame = t->frame;
            if (++f->zero_polls >= ZERO_POLL_LIMIT && !f->zero_reported) {
                f->zero_reported = true;
                struct dfs__frames fr = frame_pair(f->zero_first_frame, t->frame);
                dfs__say_zero_poll_timeout(d, dev, &fr, t->frame, f->zero_polls,
                                           f->zero_first_frame);
            }
        } else {
            f->zero_polls = 0;
        }
    } else {
        f->busy = false;
        f->zero_polls = 0;
        end_episode(d, dev, f, t);
    }

    /* execution of the pending command or block */
    struct dfs__pending *pd = &f->pend;
    if (pd->kind != DFS__PEND_NONE) {
        bool failed = t->bState == DFS_STATE_ERROR || t->bStatus != DFS_STATUS_OK;
        bool done = failed || t->bState != DFS_STATE_DNBUSY;
        if (t->bState == DFS_STATE_DNBUSY)
            pd->busy_seen = true;
        if (done) {
            uint64_t xf = t->frame;
            if (failed) {
                struct dfs__frames fr = frame_pair(pd->frame, xf);
                if (pd->ob.is)
                    dfs__say_option_bytes_rejected(d, dev, &fr, pd, t);
                else
                    dfs__say_operation_failed(d, dev, &fr, pd, t);
                f->error_reported = true;
            } else if (pd->kind == DFS__PEND_CMD && pd->cmd == DFS_DFUSE_SET_ADDRESS && pd->has_addr) {
                f->ptr = pd->addr;
                f->ptr_valid = true;
                f->ptr_frame = pd->frame;
                f->dl_seq = f->ul_seq = false;
            }
            if (pd->kind == DFS__PEND_WRITE)
                emit_mem(d, dev, f, DFS_MEM_OP_WRITE, pd->addr, pd->len, pd->data, pd->data_len,
                         !failed, t->bStatus, pd->block, pd->frame, xf, pd->ts, pd->alt);
            else if (pd->kind == DFS__PEND_CMD && pd->cmd == DFS_DFUSE_ERASE) {
                uint32_t page = 0;
                if (!pd->mass) {
                    const struct dfs__alt *a = layout_alt(dd, dev, f->ifnum);
                    const struct dfs_layout_region *r =
                        a ? dfs_layout_find(&a->layout, pd->addr) : NULL;
                    page = r ? r->size : 0;
                }
                emit_mem(d, dev, f, pd->mass ? DFS_MEM_OP_MASS_ERASE : DFS_MEM_OP_ERASE,
                         pd->addr, page, NULL, 0, !failed, t->bStatus, 0, pd->frame, xf, pd->ts,
                         pd->alt);
                if (!failed && !pd->busy_seen) {
                    struct dfs__frames fr = frame_pair(pd->frame, xf);
                    dfs__say_erase_instant(d, dev, &fr, pd, t);
                }
            }
            if (pd->kind == DFS__PEND_LEAVE && !failed) {
                /* the device is about to jump: its departure is expected */
                lost_start(dd, DFS__LOST_LEAVE, f, ctl, t->state_before, pd->alt);
                dd->lost.answered = true;
                dd->lost.reply_state = t->bState;
            }
            pend_clear(d, f);
        }
    }
    if (t->bState == DFS_STATE_ERROR) {
        if (!f->error_reported) {
            size_t len = 0;
            const uint8_t *raw =
                t->iString ? dfs__device_string(dev, t->iString, dev->langid, &len) : NULL;
            dfs__say_error_state(d, dev, t, raw, len);
            f->error_reported = true;
        }
    } else {
        f->error_reported = false;
    }
}

void dfs__dfu_on_control(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    /* any normal completion after a failure shows the device stayed */
    if (dd && dd->lost.kind != DFS__LOST_NONE && !dd->lost.left && ctl->end == DFS_CTL_COMPLETED &&
        ctl->status == 0 && ctl->complete_frame > dd->lost.fail_frame)
        lost_stayed(d, dev, dd, ctl->complete_frame);
    if (d->error)
        return;

    /* string descriptors naming alternate settings */
    if (dd && ctl->has_setup && ctl->end == DFS_CTL_COMPLETED && ctl->status == 0 &&
        ctl->setup.bmRequestType == 0x80 && ctl->setup.bRequest == DFS_REQ_GET_DESCRIPTOR &&
        (ctl->setup.wValue >> 8) == DFS_DT_STRING && (uint8_t)ctl->setup.wValue) {
        uint8_t idx = (uint8_t)ctl->setup.wValue;
        for (unsigned i = 0; i < dd->n_alts && !d->error; i++)
            if (dd->alts[i].iInterface == idx && ctl->data_len >= 2)
                load_alt_name(d, dev, dd, &dd->alts[i], ctl->data, ctl->data_len,
                              ctl->complete_frame);
    }
    if (!ctl->dfu || d->error)
        return;
    dd = dfu_dev(d, dev, true);
    if (!dd)
        return;
    const struct dfs_setup *s = &ctl->setup;
    struct dfs__dfu_if *f = find_if(dd, (uint8_t)s->wIndex, true);
    if (!f)
        return;
    f->confirmed = true;
    uint8_t alt = cur_alt(dev, f->ifnum);

    struct dfs_dfu_txn t;
    memset(&t, 0, sizeof t);
    t.device = dev->id;
    t.lane = dev->lane;
    t.bus = dev->bus;
    t.devnum = dev->devnum;
    t.interface = f->ifnum;
    t.alt = alt;
    t.frame = ctl->submit_frame ? ctl->submit_frame : ctl->complete_frame;
    t.reply_frame = ctl->complete_frame;
    t.ts = ctl->submit_frame ? ctl->submit_ts : ctl->complete_ts;
    t.reply_ts = ctl->complete_ts;
    t.request = s->bRequest;
    t.wValue = s->wValue;
    t.wLength = s->wLength;
    t.length = ctl->actual_length;
    t.usb_status = ctl->status;
    t.outcome = outcome_of(ctl);
    t.cmd = -1;
    t.data = ctl->data;
    t.data_len = ctl->data_len;
    t.poll_wait_us = -1;

    /* DfuSe semantics when the descriptor says so, or the requests show it */
    if (!f->dfuse_known && s->bRequest == DFS_DFU_DNLOAD && s->wValue == 0 && ctl->data_len &&
        ((ctl->data_len == 5 && (ctl->data[0] == DFS_DFUSE_SET_ADDRESS ||
                                 ctl->data[0] == DFS_DFUSE_ERASE)) ||
         (ctl->data_len == 1 && (ctl->data[0] == DFS_DFUSE_ERASE ||
                                 ctl->data[0] == DFS_DFUSE_READ_UNPROTECT)))) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    t.dfuse = f->dfuse;

    /* time moves dfuDNBUSY on to dfuDNLOAD-SYNC once bwPollTimeout passed */
    uint8_t st = f->state;
    if (st == DFS_STATE_DNBUSY && f->busy &&
        dfs__time_diff_us(t.ts, f->busy_ts) + TIMING_SLACK_US >= (int64_t)f->busy_poll * 1000)
        st = DFS_STATE_DNLOAD_SYNC;
    t.state_before = st;
    bool ok = t.outcome == DFS_DFU_ACK;
    bool stalled = t.outcome == DFS_DFU_STALLED;

    /* requests not allowed in the current state */
    if (st != DFS_STATE_UNKNOWN && !request_allowed(s->bRequest, st, s->wLength) &&
        !(s->bRequest == DFS_DFU_GETSTATUS)) {
        if (s->bRequest == DFS_DFU_CLRSTATUS)
            dfs__say_clrstatus_outside_error(d, dev, &t);
        else
            dfs__say_request_not_allowed(d, dev, &t);
    }

    /* transfer size */
    if ((s->bRequest == DFS_DFU_DNLOAD || s->bRequest == DFS_DFU_UPLOAD) && f->has_func &&
        f->func.wTransferSize && f->func.wTransferSize != 0xffff &&
        s->wLength > f->func.wTransferSize && !f->size_reported) {
        f->size_reported = true;
        dfs__say_transfer_size_exceeded(d, dev, &t, f->func.wTransferSize);
    }

    if (t.outcome == DFS_DFU_NO_REPLY || t.outcome == DFS_DFU_CANCELLED) {
        int64_t us = ctl->submit_frame && ctl->complete_frame
                         ? dfs__time_diff_us(ctl->complete_ts, ctl->submit_ts)
                         : -1;
        struct dfs__frames fr = frame_pair(ctl->submit_frame, ctl->complete_frame);
        dfs__say_request_timeout(d, dev, &fr, &t, us);
    }

    switch (s->bRequest) {
    case DFS_DFU_DNLOAD: {
        if (s->wLength)
            infer_xfer(f, s->wLength);
        bool data_block = s->wLength > 0;
        if (f->dfuse && s->wValue == 0 && ctl->data_len >= 1) {
            t.cmd = ctl->data[0];
            if (ctl->data_len >= 5) {
                t.has_address = true;
                t.address = dfs__le32(ctl->data + 1);
            }
            t.mass_erase = ctl->data[0] == DFS_DFUSE_ERASE && ctl->data_len == 1;
            data_block = false;
        } else if (f->dfuse && s->wLength && s->wValue >= 2 && f->ptr_valid) {
            t.has_address = true;
            t.address = block_address(f, s->wValue);
        }
        if (f->dfuse && s->wLength == 0)
            t.leave = true;
        if (data_block && s->wLength)
            seq_check(d, dev, f, false, s->wValue, t.frame);
        if (f->dfuse && data_block && s->wValue < 2 && s->wLength)
            dfs__say_dfuse_block_number(d, dev, &t);
        if (ok) {
            pend_clear(d, f);
            struct dfs__pending *pd = &f->pend;
            pd->frame = t.frame;
            pd->done_frame = t.reply_frame;
            pd->ts = t.ts;
            pd->block = s->wValue;
            pd->alt = alt;
            pd->len = s->wLength;
            if (s->wLength == 0) {
                pd->kind = f->dfuse ? DFS__PEND_LEAVE : DFS__PEND_MANIFEST;
                pd->addr = f->ptr;
                pd->has_addr = f->ptr_valid;
                st = DFS_STATE_MANIFEST_SYNC;
                f->dl_seq = false;
            } else {
                st = DFS_STATE_DNLOAD_SYNC;
                if (t.cmd >= 0) {
                    pd->kind = DFS__PEND_CMD;
                    pd->cmd = (uint8_t)t.cmd;
                    pd->mass = t.mass_erase;
                    pd->has_addr = t.has_address;
                    pd->addr = t.address;
                    if (t.cmd == DFS_DFUSE_ERASE && t.has_address)
                        check_layout(d, dev, dd, f, t.address, 0, DFS_MEM_ERASABLE, "erases",
                                     t.frame);
                } else {
                    pd->kind = DFS__PEND_WRITE;
                    pd->has_addr = f->dfuse ? t.has_address : true;
                    pd->addr = f->dfuse ? t.address : f->dl_offset;
                    if (!f->dfuse)
                        f->dl_offset += ctl->data_len ? ctl->data_len : s->wLength;
                    if (ctl->data_len) {
                        pd->data = dfs__malloc(d, ctl->data_len);
                        if (!pd->data) {
                            dfs__nomem(d, "cannot keep the data of a DFU download");
                            return;
                        }
                        memcpy(pd->data, ctl->data, ctl->data_len);
                        pd->data_len = ctl->data_len;
                    }
                    if (f->dfuse && t.has_address) {
                        check_layout(d, dev, dd, f, t.address, s->wLength, DFS_MEM_WRITABLE,
                                     "writes", t.frame);
                        const struct dfs_ob_area *ob = dfs_ob_area_find(t.address);
                        const struct dfs__alt *la = layout_alt(dd, dev, f->ifnum);
                        const struct dfs_layout_region *lr =
                            la ? dfs_layout_find(&la->layout, t.address) : NULL;
                        if (ob) {
                            pd->ob.is = true;
                            pd->ob.start = ob->start;
                            pd->ob.end = ob->end;
                            snprintf(pd->ob.what, sizeof pd->ob.what, "%s", ob->families);
                        } else if (lr && strstr(la->layout.name, "Option")) {
                            pd->ob.is = true;
                            pd->ob.start = la->layout.regions[0].start;
                            pd->ob.end = la->layout.regions[la->layout.n_regions - 1].end;
                            snprintf(pd->ob.what, sizeof pd->ob.what,
                                     "\"%s\" of alternate setting %u", la->layout.name, la->alt);
                        }
                        if (pd->ob.is) {
                            if (t.address != pd->ob.start) {
                                struct dfs__frames fr = frame_pair(f->ptr_frame, t.frame);
                                dfs__say_option_bytes_offset_write(d, dev, &fr, t.frame,
                                                                   t.address, &pd->ob);
                            }
                        }
                    }
                }
            }
            f->dl_last_ok = true;
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
            f->dl_last_ok = false;
        } else {
            f->dl_last_ok = false;
        }
        break;
    }
    case DFS_DFU_UPLOAD:
        if (s->wLength)
            infer_xfer(f, s->wLength);
        if (f->dfuse && s->wValue >= 2 && f->ptr_valid) {
            t.has_address = true;
            t.address = block_address(f, s->wValue);
        } else if (f->dfuse && s->wValue == 0) {
            t.cmd = DFS_DFUSE_GET_COMMANDS;
        }
        if (!(f->dfuse && s->wValue < 2))
            seq_check(d, dev, f, true, s->wValue, t.frame);
        if (ok) {
            bool short_frame = ctl->actual_length < s->wLength;
            st = short_frame ? DFS_STATE_DFU_IDLE : DFS_STATE_UPLOAD_IDLE;
            if (short_frame)
                f->ul_seq = false;
            if (f->dfuse && t.has_address) {
                check_layout(d, dev, dd, f, t.address, ctl->actual_length, DFS_MEM_READABLE,
                             "reads", t.frame);
                emit_mem(d, dev, f, DFS_MEM_OP_READ, t.address, ctl->actual_length, ctl->data,
                         ctl->data_len, true, 0, s->wValue, t.frame, 0, t.ts, alt);
            } else if (!f->dfuse) {
                emit_mem(d, dev, f, DFS_MEM_OP_READ, f->ul_offset, ctl->actual_length, ctl->data,
                         ctl->data_len, true, 0, s->wValue, t.frame, 0, t.ts, alt);
                f->ul_offset += ctl->actual_length;
            }
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_GETSTATUS:
        if (f->busy) {
            t.poll_wait_us = dfs__time_diff_us(t.ts, f->busy_ts);
            t.poll_asked_ms = f->busy_poll;
            if (t.poll_wait_us + TIMING_SLACK_US < (int64_t)f->busy_poll * 1000) {
                f->episode_ignored = true;
                if (f->ignored_reports < MAX_IGNORED_REPORTS) {
                    f->ignored_reports++;
                    struct dfs__frames fr = frame_pair(f->busy_frame, t.frame);
                    dfs__say_poll_timeout_ignored(d, dev, &t, &fr, f->busy_frame,
                                                  f->ignored_reports == MAX_IGNORED_REPORTS);
                }
            }
        }
        if (ok && ctl->data_len >= DFS_GETSTATUS_LEN) {
            on_getstatus_reply(d, dev, dd, f, &t, ctl);
            st = t.bState <= DFS_STATE_ERROR ? t.bState : st;
        } else if (!ok) {
            bool runtime = f->runtime || st == DFS_STATE_APP_IDLE;
            if (runtime && stalled) {
                dfs__say_runtime_getstatus_stall(d, dev, &t);
            } else if (t.outcome != DFS_DFU_CANCELLED &&
                       (t.outcome != DFS_DFU_NO_REPLY || f->pend.ob.is ||
                        f->pend.kind == DFS__PEND_LEAVE)) {
                /* (a request still open at the end of the capture says nothing about
                 * the device, unless it executes an option-byte write or a leave) */
                /* What did it execute? Decide when we know whether the device stayed. */
                enum dfs__lost_kind k = f->pend.kind == DFS__PEND_LEAVE ? DFS__LOST_LEAVE
                                   : f->pend.ob.is            ? DFS__LOST_OB
                                                              : DFS__LOST_OTHER;
                if (dd->lost.kind == DFS__LOST_LEAVE) {
                    /* the poll after an answered leave: still the leave */
                    dd->lost.answered = false;
                    dd->lost.fail_frame = t.reply_frame ? t.reply_frame : t.frame;
                    dd->lost.fail_ts = t.reply_frame ? t.reply_ts : t.ts;
                    dd->lost.status = ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : ctl->status;
                } else if (dd->lost.kind == DFS__LOST_NONE) {
                    lost_start(dd, k, f, ctl, st, alt);
                    if (!f->pend.frame)
                        dd->lost.req_frame = f->last_req_frame ? f->last_req_frame : t.frame;
                }
                if (stalled) {
                    st = DFS_STATE_ERROR;
                    f->stall_pending = false; /* a stalled GETSTATUS cannot report it */
                }
                pend_clear(d, f);
            }
            if (t.outcome == DFS_DFU_NO_DEVICE && dd->lost.kind != DFS__LOST_NONE) {
                dd->lost.left = true;
                dd->lost.gone_frame = t.reply_frame;
            }
        }
        break;
    case DFS_DFU_GETSTATE:
        if (ok && ctl->data_len >= 1) {
            t.has_state = true;
            t.bState = ctl->data[0];
            if (t.bState <= DFS_STATE_ERROR)
                st = t.bState;
            else
                dfs__say_bad_getstate_value(d, dev, &t);
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_CLRSTATUS:
    case DFS_DFU_ABORT:
        if (ok) {
            st = DFS_STATE_DFU_IDLE;
            f->dl_seq = f->ul_seq = false;
            f->busy = false;
            f->stall_pending = false;
            f->error_reported = false;
            pend_clear(d, f);
        } else if (stalled) {
            st = stalled_request(f, t.frame, s->bRequest);
        }
        break;
    case DFS_DFU_DETACH:
        if (ok)
            st = DFS_STATE_APP_DETACH;
        break;
    default:
        break;
    }
    if (s->bRequest != DFS_DFU_GETSTATUS && s->bRequest != DFS_DFU_GETSTATE) {
        f->last_req = s->bRequest;
        f->last_req_frame = t.frame;
    }
    f->state = st;
    t.state_after = st;
    if (!d->error)
        emit_txn(d, &t);
}

/* ---- device life ---------------------------------------------------------------- */

static void on_left(struct dfs__device *dev, uint64_t frame)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    if (dd && dd->lost.kind != DFS__LOST_NONE && !dd->lost.left) {
        dd->lost.left = true;
        dd->lost.gone_frame = frame;
    }
}

void dfs__dfu_on_device(dfs_decoder *d, struct dfs__device *dev, enum dfs_device_change change,
                        uint64_t frame)
{
    switch (change) {
    case DFS_DEV_CONFIGURED:
        if (dev->config && !dev->config_partial) {
            struct dfs__dfu_dev *dd = dfu_dev(d, dev, true);
            if (dd)
                parse_config(d, dev, dd, frame);
            /* the device that came back after a failure: now we know what it is */
            for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
                struct dfs__device *old = d->devs[i];
                if (old != dev && old->dfu && old->dfu->lost.kind != DFS__LOST_NONE &&
                    old->dfu->lost.back_id == dev->id)
                    lost_report(d, old, old->dfu, dev);
            }
        }
        break;
    case DFS_DEV_GONE:
        on_left(dev, frame);
        break;
    case DFS_DEV_REENUMERATED: {
        struct dfs__device *old = dfs__device_by_id(d, dev->previous);
        if (old && old->dfu && old->dfu->lost.kind != DFS__LOST_NONE) {
            on_left(old, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = frame;
            if (dev->config && !dev->config_partial)
                lost_report(d, old, old->dfu, dev);
        }
        break;
    }
    case DFS_DEV_IDENTIFIED:
        /* a different device appearing on the bus of a device that failed and
         * went quiet: perhaps the same board with other firmware */
        for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
            struct dfs__device *old = d->devs[i];
            if (old == dev || old->bus != dev->bus || !old->dfu ||
                old->dfu->lost.kind == DFS__LOST_NONE || old->dfu->lost.back_id ||
                old->last_frame > dev->first_frame || old->first_frame > dev->first_frame)
                continue;
            if (old->identified && old->vid == dev->vid && old->pid == dev->pid)
                continue; /* a re-enumeration: linked right after this */
            on_left(old, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = frame;
        }
        break;
    default:
        break;
    }
}

void dfs__dfu_finish(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
        struct dfs__device *dev = d->devs[i];
        struct dfs__dfu_dev *dd = dev->dfu;
        if (!dd)
            continue;
        for (int k = 0; k < DFS__MAX_DFU_IFS; k++)
            if (dd->ifs[k].used)
                check_duplicates(d, dev, dd, dd->ifs[k].ifnum, true);
        if (dd->lost.kind != DFS__LOST_NONE) {
            /* no later normal traffic: it left (or went silent) */
            on_left(dev, 0);
            lost_report(d, dev, dd,
                        dd->lost.back_id ? dfs__device_by_id(d, dd->lost.back_id) : NULL);
        }
    }
}

/* ---- lifecycle --------------------------------------------------------------------- */

dfs_result dfs__dfu_init(dfs_decoder *d)
{
    (void)d;
    return DFS_OK;
}

void dfs__dfu_free(dfs_decoder *d)
{
    for (uint32_t i = 0; i < d->n_devs; i++)
        dfs__dfu_device_free(d, d->devs[i]);
}

bool dfs__dfu_device_busy(const struct dfs__device *dev)
{
    return dev->dfu && dev->dfu->lost.kind != DFS__LOST_NONE;
}

void dfs__dfu_device_retire(dfs_decoder *d, struct dfs__device *dev)
{
    struct dfs__dfu_dev *dd = dev->dfu;
    if (!dd)
        return;
    for (int k = 0; k < DFS__MAX_DFU_IFS && !d->error; k++)
        if (dd->ifs[k].used)
            check_duplicates(d, dev, dd, dd->ifs[k].ifnum, true);
}

void dfs__dfu_device_free(dfs_decoder *d, struct dfs__device *dev)
{
    if (!dev->dfu)
        return;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        dfs__free(d, dev->dfu->ifs[i].pend.data);
    dfs__free(d, dev->dfu->alts);
    dfs__free(d, dev->dfu);
    dev->dfu = NULL;
}

dfs_result dfs_decoder_dfu_info(const dfs_decoder *d, uint32_t device, struct dfs_dfu_info *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev)
        return DFS_E_NOTFOUND;
    memset(out, 0, sizeof *out);
    out->state = DFS_STATE_UNKNOWN;
    const struct dfs__dfu_dev *dd = dev->dfu;
    if (!dd)
        return DFS_OK;
    const struct dfs__dfu_if *f = NULL;
    for (int i = 0; i < DFS__MAX_DFU_IFS; i++)
        if (dd->ifs[i].used && dd->ifs[i].confirmed) {
            f = &dd->ifs[i];
            break;
        }
    if (!f)
        return DFS_OK;
    out->present = true;
    out->from_descriptor = f->from_desc;
    out->interface = f->ifnum;
    out->runtime = f->runtime;
    out->has_functional = f->has_func;
    out->functional = f->func;
    out->transfer_size = f->xfer;
    out->transfer_size_inferred = f->xfer_inferred;
    out->dfuse = f->dfuse;
    out->state = f->state;
    out->address_valid = f->ptr_valid;
    out->address = f->ptr;
    for (unsigned i = 0; i < dd->n_alts && out->n_alts < DFS_DFU_MAX_ALTS; i++) {
        const struct dfs__alt *a = &dd->alts[i];
        struct dfs_dfu_alt_info *o = &out->alts[out->n_alts++];
        o->interface = a->ifnum;
        o->alt = a->alt;
        o->protocol = a->proto;
        o->iInterface = a->iInterface;
        o->has_name = a->named;
        snprintf(o->name, sizeof o->name, "%s", a->name);
        o->name_frame = a->name_frame;
        o->layout_parsed = a->layout_ok;
        if (a->layout_ok)
            o->layout = a->layout;
        snprintf(o->layout_error, sizeof o->layout_error, "%s", a->why);
    }
    return DFS_OK;
}
