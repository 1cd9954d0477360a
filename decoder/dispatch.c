/* The dispatcher: feeds each record through the pipeline and hands each
 * stage's output to the next.
 *
 *   record parser (link.c: usbmon.c)  ->  URB pairing (pair.c, urb.c)
 *     ->  control-transfer assembly (control.c)
 *     ->  devices and descriptors (device.c)  ->  the DFU layer (dfu.c)
 *
 * Every event goes to the sink as it is made. A stage never calls a later
 * one: it returns its result here, or, for what happens in the middle of
 * its own work (a device changing while its descriptors are read), hands it
 * to the port this file wires when the decoder is created (state.h). */
#include "control.h"
#include "dfu_layer.h"
#include "finding_text.h"
#include "link.h"

/* ---- control transfers ------------------------------------------------------ */

static void dispatch_control(dfs_decoder *d, struct dfs_control *ctl)
{
    d->stats.controls++;
    struct dfs__device *dev = dfs__device_by_id(d, ctl->device);
    if (dev)
        dfs__device_note_outcome(dev, ctl);
    ctl->dfu = dev && dfs__dfu_classify(d, dev, ctl);

    if (ctl->end == DFS_CTL_COMPLETED && ctl->has_setup)
        dfs__device_on_control(d, ctl);
    if (d->error)
        return;
    if (d->sink.on_control && dfs__stop(d, d->sink.on_control(d->sink.user, ctl)))
        return;
    dfs__control_check_cancelled(d, ctl);
    if (d->error)
        return;
    dev = dfs__device_by_id(d, ctl->device); /* bookkeeping may have moved it */
    if (dev)
        dfs__dfu_on_control(d, dev, ctl);
}

/* An outstanding URB that will never complete (dropped, id reused, end of
 * the capture): a control URB still makes a control transfer. */
static void abandon(dfs_decoder *d, uint32_t s)
{
    const struct dfs__urb_slot *e = &d->urbs.slots[s];
    if (e->xfer_type == DFS_XFER_CONTROL) {
        struct dfs_control ctl;
        dfs__control_assemble(&ctl, e, NULL, DFS_CTL_NEVER_COMPLETED);
        dispatch_control(d, &ctl);
    }
    dfs__pair_release(d, s);
}

/* ---- URBs --------------------------------------------------------------------- */

static void dispatch_submit(dfs_decoder *d, struct dfs_urb *u)
{
    if (d->sink.on_urb && dfs__stop(d, d->sink.on_urb(d->sink.user, u)))
        return;
    uint32_t s = dfs__pair_reused(d, u);
    if (s != DFS__NONE) {
        abandon(d, s);
        if (d->error)
            return;
    }
    s = dfs__pair_evict(d, u);
    if (s != DFS__NONE) {
        abandon(d, s);
        if (d->error)
            return;
    }
    dfs__pair_submit(d, u);
}

/* A completion or submission error, with the slot of its submit (or
 * DFS__NONE when the capture does not hold it). */
static void dispatch_completion(dfs_decoder *d, struct dfs_urb *u, uint32_t s,
                                struct dfs__device *dev)
{
    if (s != DFS__NONE) {
        dfs__bus_note_paired(d, u->bus, u->frame);
        dfs__pair_matched(d, u, s);
    } else {
        dfs__pair_unmatched(d, u, dfs__bus_paired_before(d, u->bus));
    }
    if (d->sink.on_urb && dfs__stop(d, d->sink.on_urb(d->sink.user, u)))
        return;
    if (u->xfer_type == DFS_XFER_CONTROL ||
        (s != DFS__NONE && d->urbs.slots[s].xfer_type == DFS_XFER_CONTROL)) {
        struct dfs_control ctl;
        dfs__control_assemble(&ctl, s != DFS__NONE ? &d->urbs.slots[s] : NULL, u,
                              s == DFS__NONE             ? DFS_CTL_NO_SUBMIT
                              : u->type == DFS_URB_ERROR ? DFS_CTL_SUBMIT_ERROR
                                                         : DFS_CTL_COMPLETED);
        dispatch_control(d, &ctl);
    }
    if (s != DFS__NONE)
        dfs__pair_release(d, s);
    if (d->error)
        return;
    if (dev)
        dfs__device_check_gone(d, dev, u);
}

/* A further part of a transfer another record began (DFS_URB_PART): never
 * paired on its own; OUT data joins the submit it follows. */
static void dispatch_part(dfs_decoder *d, struct dfs_urb *u, uint32_t s)
{
    if (s != DFS__NONE) {
        u->link_frame = d->urbs.slots[s].frame;
        dfs__pair_more_payload(d, u, s);
        if (d->error)
            return;
    }
    if (d->sink.on_urb)
        dfs__stop(d, d->sink.on_urb(d->sink.user, u));
}

/* One URB event of a record: which device instance it belongs to (a
 * completion: the instance of its submit), then pairing. */
static void dispatch_urb(dfs_decoder *d, struct dfs_urb *u)
{
    uint32_t s = dfs__pair_find(d, u);
    struct dfs__device *dev =
        dfs__device_of_urb(d, u, s != DFS__NONE, s != DFS__NONE ? d->urbs.slots[s].device : 0);
    if (d->error)
        return;
    u->device = dev ? dev->id : 0;
    if (dev) {
        dfs__device_touch(dev, u->frame, u->ts);
        dfs__device_note_use(dev, u);
    }
    if (u->type == DFS_URB_SUBMIT)
        dispatch_submit(d, u);
    else if (u->type == DFS_URB_PART)
        dispatch_part(d, u, s);
    else
        dispatch_completion(d, u, s, dev);
}

/* ---- records ------------------------------------------------------------------- */

dfs_result dfs_decoder_feed(dfs_decoder *d, const struct dfs_record *rec)
{
    if (!d)
        return DFS_E_INVAL;
    if (d->error)
        return d->error;
    if (d->finished)
        return DFS_E_STATE;
    if (!rec || (!rec->data && rec->caplen))
        return DFS_E_INVAL;
    if (d->retired_pending) {
        dfs__devices_forget_retired(d);
        if (d->error)
            return d->error;
    }
    d->stats.records++;
    d->cur_frame = rec->frame;
    d->cur_ts = rec->ts;
    return dfs__links_feed(d, rec);
}

/* ---- end of capture ------------------------------------------------------------- */

/* One finding per rate-limited code that had more occurrences than were
 * reported, with how many more. */
static void report_limited_tail(dfs_decoder *d)
{
    for (int c = 0; c < DFS_F__COUNT && !d->error; c++) {
        const struct dfs__limited *l = &d->limited[c];
        if (l->count > DFS__RATE_LIMIT)
            dfs__say_more_records(d, (enum dfs_finding_code)c, l->count - DFS__RATE_LIMIT,
                                  l->first_frame, l->last_frame);
    }
}

dfs_result dfs_decoder_finish(dfs_decoder *d)
{
    if (!d)
        return DFS_E_INVAL;
    if (d->error)
        return d->error;
    if (d->finished)
        return DFS_E_STATE;
    d->finished = true;
    dfs__links_finish(d);
    if (d->error)
        return d->error;

    /* Transfers still open at the end of the capture, oldest first. A host
     * keeps reads of interrupt, bulk and isochronous IN endpoints pending all
     * the time (hubs, keyboards, serial ports, audio), so one open at the end
     * is normal: it is counted, not reported. */
    struct dfs__frames open_frames = {0};
    uint64_t n_open = 0, n_reported = 0;
    while (d->urbs.oldest != DFS__NONE && !d->error) {
        uint32_t s = d->urbs.oldest;
        const struct dfs__urb_slot *e = &d->urbs.slots[s];
        bool polling = e->xfer_type != DFS_XFER_CONTROL && (e->endpoint & 0x80);
        if (!polling) {
            dfs__frames_add(&open_frames, e->frame);
            n_reported++;
        }
        n_open++;
        abandon(d, s);
    }
    d->stats.urbs_open = n_open;
    if (d->error)
        return d->error;
    dfs__dfu_finish(d);
    if (d->error)
        return d->error;
    dfs__pair_report_unmatched(d);
    if (!d->error && n_reported)
        dfs__say_urb_never_completed(d, &open_frames, n_reported);
    if (!d->error)
        report_limited_tail(d);
    return d->error;
}

/* ---- the device stage's port ------------------------------------------------------- */

/* A device instance changed: the DFU layer first (what it reports about the
 * change comes before the change itself), then the sink. */
static void device_changed(dfs_decoder *d, struct dfs__device *dev,
                           enum dfs_device_change change, uint64_t frame)
{
    dfs__dfu_on_device(d, dev, change, frame);
    if (!d->sink.on_device || d->error)
        return; /* nothing more is emitted after an error */
    struct dfs_device_event ev = {
        .change = change,
        .frame = frame,
        .device = dev->id,
        .lane = dev->lane,
        .previous = dev->previous,
        .bus = dev->bus,
        .devnum = dev->devnum,
        .vid = dev->vid,
        .pid = dev->pid,
    };
    dfs__stop(d, d->sink.on_device(d->sink.user, &ev));
}

/* An instance is about to be forgotten: the DFU layer runs the end checks
 * of one that re-enumerated (retire), then drops what it keeps about it. */
static void device_dropped(dfs_decoder *d, struct dfs__device *dev, bool retire)
{
    if (retire)
        dfs__dfu_device_retire(d, dev);
    dfs__dfu_device_free(d, dev);
}

void dfs__dispatch_init(dfs_decoder *d)
{
    d->ports.urb = dispatch_urb;
    d->ports.device_changed = device_changed;
    d->ports.device_held = dfs__dfu_device_busy;
    d->ports.device_dropped = device_dropped;
    d->ports.device_ids = dfs__device_ids;
}
