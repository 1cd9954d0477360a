/* Device-lost and option-byte rules. A request that failed (or a DfuSe
 * leave that was answered) says nothing yet: what comes next decides what
 * it was. Normal traffic afterwards shows the device stayed, so the failure
 * was a rejection (dfu.getstatus-stall, dfu.getstatus-failed); a disconnect,
 * a new enumeration or the silence until the end shows it left: the reset
 * of an option-byte write (dfuse.option-bytes-reset), the jump of a leave
 * (dfuse.leave-reset), or a device lost in the middle of a session
 * (dfu.device-lost), with whatever came back in its place. */
#include <string.h>

#include "finding_text.h"
#include "link.h"
#include "rules.h"
#include "usbll.h"

bool dfs__lost_pending(const struct dfs__dfu_dev *dd)
{
    return dd->lost.kind != DFS__LOST_NONE;
}

static void lost_start(struct dfs__lost *l, const struct dfs__failure *fl)
{
    const struct dfs_control *ctl = fl->ctl;
    memset(l, 0, sizeof *l);
    l->kind = fl->kind;
    l->req_frame = fl->pd->frame ? fl->pd->frame : fl->last_req_frame;
    l->fail_frame = ctl->complete_frame ? ctl->complete_frame : ctl->submit_frame;
    l->fail_submit_frame = ctl->submit_frame;
    l->req_done_frame = fl->pd->done_frame;
    l->fail_ts = ctl->complete_frame ? ctl->complete_ts : ctl->submit_ts;
    l->status = ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : ctl->status;
    l->linktype = ctl->linktype;
    l->os_status = ctl->os_status;
    l->addr = fl->pd->addr;
    l->len = fl->pd->len;
    l->ifnum = fl->ifnum;
    l->alt = fl->alt;
    l->state = fl->state;
    l->req = ctl->setup.bRequest;
    l->prev_req = fl->last_req;
    l->prev_frame = fl->last_req_frame;
    l->ob = fl->pd->ob;
    l->busy_op = fl->busy_op;
}

/* The completed transfer is a GETSTATUS reply of the interface that failed:
 * the STATUS rule below judges it, with the reply in hand. */
static bool status_of(const struct dfs__lost *l, const struct dfs_control *ctl)
{
    return ctl->dfu && ctl->setup.bRequest == DFS_DFU_GETSTATUS &&
           (uint8_t)ctl->setup.wIndex == l->ifnum && ctl->data_len >= DFS_GETSTATUS_LEN;
}

static void on_left(struct dfs__dfu_dev *dd, uint64_t frame)
{
    if (dd && dd->lost.kind != DFS__LOST_NONE && !dd->lost.left) {
        dd->lost.left = true;
        dd->lost.gone_frame = frame;
    }
}

/* What a device that appeared after the failure is: 1 the same device in DFU
 * mode, 2 the same device running its application (DFU run-time interface),
 * 3 something else (or not known yet). */
static int back_kind(dfs_decoder *d, const struct dfs__device *old,
                     const struct dfs__device *back)
{
    bool same_id = old->identified && back->identified && old->vid == back->vid &&
                   old->pid == back->pid;
    if (dfs__device_config_in_use(back)) {
        enum dfs__dfu_config_kind k = dfs__dfu_device_kind(d, back);
        return k == DFS__CONFIG_DFU_MODE ? 1 : k == DFS__CONFIG_DFU_RUNTIME ? 2 : 3;
    }
    return same_id ? 1 : 3;
}

/* Was the device in manifestation when it failed (after the zero-length
 * DNLOAD that ends a download)? Devices with manifestation bugs reset there
 * (dfu-quirks R14). */
static bool in_manifestation(const struct dfs__lost *l)
{
    return l->state == DFS_STATE_MANIFEST_SYNC || l->state == DFS_STATE_MANIFEST ||
           l->state == DFS_STATE_MANIFEST_WAIT_RESET;
}

/* The device left: report what the failure was. back: the device that
 * appeared afterwards, or NULL (never came back within the capture). */
static void lost_report(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        const struct dfs__device *back)
{
    struct dfs__lost *l = &dd->lost;
    if (l->kind == DFS__LOST_NONE)
        return;
    struct dfs__comeback cb = {.back = back, .came = back ? back_kind(d, dev, back) : 0};
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
    /* a packet-level capture may have recorded the reset itself */
    cb.bus_event_frame =
        dfs__usbll_bus_event_after(dfs__link_state(d, DFS_LINKTYPE_USB_2_0), l->fail_frame,
                                   back ? back->first_frame : UINT64_MAX, &cb.bus_event);
    if (cb.bus_event_frame)
        dfs__frames_add(&fr, cb.bus_event_frame);
    /* the device stayed away long enough to say it did not come back */
    cb.stayed_away = !back && cb.after >= 2.0 && dfs__end_extends(d);
    if (l->kind == DFS__LOST_OB)
        dfs__say_option_bytes_reset(d, dev, &fr, l, &cb);
    else if (l->kind == DFS__LOST_LEAVE)
        dfs__say_leave_reset(d, dev, &fr, l, &cb);
    else
        dfs__say_device_lost(d, dev, &fr, l, &cb, in_manifestation(l) ? DFS__QUIRK_BIT(14) : 0);
    l->kind = DFS__LOST_NONE;
}

/* Any normal completion after the failure shows the device stayed: the
 * failure was a rejection. So does a later request the device STALLed (a
 * STALL is a handshake only a device on the bus can send): noted, and the
 * failure stays pending until normal traffic, a departure or the end. Not
 * after an option-byte write or a leave: the chip may still answer for a
 * moment before its reset (the seed stalls twice, then leaves). */
DFS__RULE(dfs__rule_lost_traffic)
{
    const struct dfs_control *ctl = ev->u.ctl;
    struct dfs__lost *l = &ev->dd->lost;
    if (l->kind == DFS__LOST_NONE || l->left || ctl->end != DFS_CTL_COMPLETED ||
        ctl->complete_frame <= l->fail_frame)
        return;
    if (ctl->status == -DFS_LINUX_EPIPE && l->kind == DFS__LOST_OTHER) {
        if (!l->stall_frame)
            l->stall_frame = ctl->complete_frame;
        return;
    }
    if (ctl->status != 0)
        return;
    uint64_t frame = ctl->complete_frame;
    if (l->kind == DFS__LOST_LEAVE) { /* the jump did not happen: nothing to add */
        l->kind = DFS__LOST_NONE;
        return;
    }
    if (l->req == DFS_DFU_GETSTATUS && status_of(l, ctl))
        return; /* dfs__rule_lost_status */
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    dfs__frames_add(&fr, frame);
    if (l->req == DFS_DFU_GETSTATUS && l->status != -DFS_LINUX_EPIPE)
        dfs__say_getstatus_failed(d, ev->dev, &fr, l, frame);
    else if (l->req == DFS_DFU_GETSTATUS)
        dfs__say_getstatus_stall(d, ev->dev, &fr, l, frame);
    l->kind = DFS__LOST_NONE;
}

/* A GETSTATUS reply after a failed GETSTATUS of the same interface: the
 * device stayed. A stall while an operation was pending, answered now with
 * status OK and a state the operation leads to, was the device being busy
 * (dfu-quirks.md R2); any other stall a rejection, any other failure a bus
 * error. */
DFS__RULE(dfs__rule_lost_status)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__lost *l = &ev->dd->lost;
    if (l->kind == DFS__LOST_NONE || l->kind == DFS__LOST_LEAVE || l->left ||
        l->req != DFS_DFU_GETSTATUS || l->ifnum != t->interface ||
        t->reply_frame <= l->fail_frame)
        return;
    struct dfs__frames fr = {0};
    dfs__frames_add(&fr, l->req_frame);
    dfs__frames_add(&fr, l->fail_submit_frame);
    dfs__frames_add(&fr, l->fail_frame);
    dfs__frames_add(&fr, t->reply_frame);
    bool busy_reply = t->bStatus == DFS_STATUS_OK &&
                      (t->bState == DFS_STATE_DNBUSY || t->bState == DFS_STATE_DNLOAD_SYNC ||
                       t->bState == DFS_STATE_DNLOAD_IDLE);
    if (l->status != -DFS_LINUX_EPIPE)
        dfs__say_getstatus_failed(d, ev->dev, &fr, l, t->reply_frame);
    else if (l->busy_op && busy_reply) {
        dfs__frames_add(&fr, t->frame);
        dfs__say_getstatus_busy_stall(d, ev->dev, &fr, l, t);
    }
    else
        dfs__say_getstatus_stall(d, ev->dev, &fr, l, t->reply_frame);
    l->kind = DFS__LOST_NONE;
}

/* The device answered a leave: its departure is expected. */
DFS__RULE(dfs__rule_lost_leave)
{
    (void)d;
    struct dfs__lost *l = &ev->dd->lost;
    lost_start(l, &ev->u.failure);
    l->answered = true;
    l->reply_state = ev->t->bState;
}

/* A GETSTATUS failed. What did it execute? Decided when it is known
 * whether the device stayed. */
DFS__RULE(dfs__rule_lost_failure)
{
    (void)d;
    const struct dfs_dfu_txn *t = ev->t;
    const struct dfs__failure *fl = &ev->u.failure;
    struct dfs__lost *l = &ev->dd->lost;
    if (l->kind == DFS__LOST_LEAVE) {
        /* the poll after an answered leave: still the leave */
        l->answered = false;
        l->fail_frame = t->reply_frame ? t->reply_frame : t->frame;
        l->fail_ts = t->reply_frame ? t->reply_ts : t->ts;
        l->status = fl->ctl->end == DFS_CTL_NEVER_COMPLETED ? 1 : fl->ctl->status;
        l->linktype = fl->ctl->linktype;
        l->os_status = fl->ctl->os_status;
    } else if (l->kind == DFS__LOST_NONE) {
        lost_start(l, fl);
        if (!fl->pd->frame)
            l->req_frame = fl->last_req_frame ? fl->last_req_frame : t->frame;
    }
}

DFS__RULE(dfs__rule_lost_no_device)
{
    (void)d;
    struct dfs__lost *l = &ev->dd->lost;
    if (l->kind != DFS__LOST_NONE) {
        l->left = true;
        l->gone_frame = ev->t->reply_frame;
    }
}

DFS__RULE(dfs__rule_lost_device)
{
    struct dfs__device *dev = ev->dev;
    switch (ev->u.change) {
    case DFS_DEV_CONFIGURED:
        /* the device that came back after a failure: now we know what it is */
        for (uint32_t i = 0; i < d->n_devs && !d->error; i++) {
            struct dfs__device *old = d->devs[i];
            if (old != dev && old->dfu && old->dfu->lost.kind != DFS__LOST_NONE &&
                old->dfu->lost.back_id == dev->id)
                lost_report(d, old, old->dfu, dev);
        }
        break;
    case DFS_DEV_GONE:
        on_left(dev->dfu, ev->frame);
        break;
    case DFS_DEV_REENUMERATED: {
        struct dfs__device *old = dfs__device_by_id(d, dev->previous);
        if (old && old->dfu && old->dfu->lost.kind != DFS__LOST_NONE) {
            on_left(old->dfu, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = ev->frame;
            if (dfs__device_config_in_use(dev))
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
            on_left(old->dfu, dev->first_frame);
            old->dfu->lost.back_id = dev->id;
            old->dfu->lost.back_frame = ev->frame;
        }
        break;
    default:
        break;
    }
}

/* No later normal traffic: the device left (or went silent). */
DFS__RULE(dfs__rule_lost_end)
{
    struct dfs__dfu_dev *dd = ev->dd;
    struct dfs__lost *l = &dd->lost;
    if (l->kind == DFS__LOST_NONE)
        return;
    if (!l->left && l->stall_frame && l->req == DFS_DFU_GETSTATUS) {
        /* it kept answering with STALLs to the end: a rejection */
        struct dfs__frames fr = {0};
        dfs__frames_add(&fr, l->req_frame);
        dfs__frames_add(&fr, l->fail_submit_frame);
        dfs__frames_add(&fr, l->fail_frame);
        dfs__frames_add(&fr, l->stall_frame);
        if (l->status != -DFS_LINUX_EPIPE)
            dfs__say_getstatus_failed(d, ev->dev, &fr, l, l->stall_frame);
        else
            dfs__say_getstatus_stall(d, ev->dev, &fr, l, l->stall_frame);
        l->kind = DFS__LOST_NONE;
        return;
    }
    on_left(dd, 0);
    lost_report(d, ev->dev, dd, dd->lost.back_id ? dfs__device_by_id(d, dd->lost.back_id) : NULL);
}
