/* The decoder: usbmon records -> URBs (submit/complete pairing) -> control
 * transfers -> devices and descriptors -> DFU (dfu.c). */
#include <stdio.h>
#include <string.h>

#include "state.h"

/* ---- lifecycle ------------------------------------------------------------ */

void dfs_options_init(struct dfs_options *opt)
{
    if (!opt)
        return;
    memset(opt, 0, sizeof *opt);
    opt->size = sizeof *opt;
    opt->max_urbs = 4096;
    opt->max_devices = 256;
    opt->max_payload = 16u << 20;
}

dfs_result dfs_decoder_new(const struct dfs_options *opt, const struct dfs_sink *sink,
                           dfs_decoder **out)
{
    if (!out)
        return DFS_E_INVAL;
    struct dfs_options o;
    dfs_options_init(&o);
    if (opt) {
        if (opt->size < offsetof(struct dfs_options, alloc) || opt->size > sizeof o)
            return DFS_E_INVAL;
        memcpy(&o, opt, opt->size);
        o.size = sizeof o;
    }
    if (!o.max_urbs)
        o.max_urbs = 4096;
    if (!o.max_devices)
        o.max_devices = 256;
    if (o.max_urbs > (1u << 24) || o.max_devices > 65536)
        return DFS_E_INVAL;
    if (o.alloc && (!o.alloc->malloc || !o.alloc->realloc || !o.alloc->free))
        return DFS_E_INVAL;
    dfs_decoder *d = dfs__alloc_with(o.alloc, sizeof *d);
    if (!d)
        return DFS_E_NOMEM;
    memset(d, 0, sizeof *d);
    d->opt = o;
    if (sink)
        d->sink = *sink;
    dfs_result r = dfs__urb_table_init(d, &d->urbs, o.max_urbs);
    if (r == DFS_OK) {
        d->devs = dfs__calloc(d, o.max_devices, sizeof *d->devs);
        if (!d->devs)
            r = DFS_E_NOMEM;
    }
    if (r == DFS_OK)
        r = dfs__dfu_init(d);
    if (r != DFS_OK) {
        dfs_decoder_free(d);
        return r;
    }
    *out = d;
    return DFS_OK;
}

void dfs_decoder_free(dfs_decoder *d)
{
    if (!d)
        return;
    dfs__dfu_free(d);
    dfs__devices_free(d);
    dfs__free(d, d->devs);
    dfs__urb_table_free(d, &d->urbs);
    dfs__free_with(d->opt.alloc, d);
}

void dfs_decoder_reset(dfs_decoder *d)
{
    if (!d)
        return;
    dfs__dfu_free(d);
    dfs__devices_free(d);
    dfs__urb_table_clear(d, &d->urbs);
    d->payload_used = 0;
    memset(&d->stats, 0, sizeof d->stats);
    memset(d->limited, 0, sizeof d->limited);
    memset(&d->unmatched_frames, 0, sizeof d->unmatched_frames);
    d->unmatched_at_start = d->unmatched_later = 0;
    d->next_dev_id = 0;
    d->last_bus = 0;
    d->retired_pending = false;
    d->error = DFS_OK;
    d->errmsg[0] = '\0';
    d->finished = false;
    d->cur_frame = 0;
    d->cur_ts = (struct dfs_time){0, 0};
    d->has_end = false;
    if (dfs__dfu_init(d) != DFS_OK) {
        d->error = DFS_E_NOMEM;
        snprintf(d->errmsg, sizeof d->errmsg, "out of memory while resetting");
    }
}

const struct dfs_stats *dfs_decoder_stats(const dfs_decoder *d)
{
    return d ? &d->stats : NULL;
}

dfs_result dfs_decoder_error(const dfs_decoder *d, const char **msg)
{
    if (!d)
        return DFS_E_INVAL;
    if (msg)
        *msg = d->errmsg;
    return d->error;
}

/* ---- control transfers ---------------------------------------------------- */

static void setup_parse(const uint8_t *b, struct dfs_setup *s)
{
    s->bmRequestType = b[0];
    s->bRequest = b[1];
    s->wValue = dfs__le16(b + 2);
    s->wIndex = dfs__le16(b + 4);
    s->wLength = dfs__le16(b + 6);
}

/* Build a control transfer from its submit slot and/or completion record. */
static void emit_control(dfs_decoder *d, const struct dfs__urb_slot *slot,
                         const struct dfs_urb *c, enum dfs_ctl_end end)
{
    struct dfs_control ctl;
    memset(&ctl, 0, sizeof ctl);
    ctl.end = end;
    if (slot) {
        ctl.device = slot->device;
        ctl.bus = slot->bus;
        ctl.devnum = slot->devnum;
        ctl.endpoint = slot->endpoint;
        ctl.urb_id = slot->id;
        ctl.submit_frame = slot->frame;
        ctl.submit_ts = slot->ts;
        if (slot->has_setup) {
            ctl.has_setup = true;
            setup_parse(slot->setup, &ctl.setup);
        }
    }
    if (c) {
        if (!slot) {
            ctl.device = c->device;
            ctl.bus = c->bus;
            ctl.devnum = c->devnum;
            ctl.endpoint = c->endpoint;
            ctl.urb_id = c->id;
        }
        ctl.complete_frame = c->frame;
        ctl.complete_ts = c->ts;
        if (!ctl.has_setup && c->has_setup && c->xfer_type == DFS_XFER_CONTROL) {
            ctl.has_setup = true; /* writers that repeat the setup in the completion */
            setup_parse(c->setup, &ctl.setup);
        }
        ctl.status = c->status;
        ctl.actual_length = c->length > c->data_len ? c->length : c->data_len;
    }
    bool in = ctl.has_setup ? (ctl.setup.bmRequestType & DFS_REQTYPE_DIR_IN) != 0
                            : (ctl.endpoint & DFS_ENDPOINT_DIR_IN) != 0;
    if (in) {
        if (c && c->type == DFS_URB_COMPLETE) {
            ctl.data = c->data;
            ctl.data_len = c->data_len;
            ctl.data_partial = c->data_len < ctl.actual_length;
        }
    } else if (slot && (slot->payload || slot->payload_partial)) {
        ctl.data = slot->payload;
        ctl.data_len = slot->payload_len;
        ctl.data_partial = slot->payload_partial;
    } else if (c && c->data_len) {
        ctl.data = c->data; /* OUT data repeated in the completion */
        ctl.data_len = c->data_len;
    }
    d->stats.controls++;
    struct dfs__device *dev = dfs__device_by_id(d, ctl.device);
    if (dev && (end == DFS_CTL_COMPLETED || end == DFS_CTL_SUBMIT_ERROR))
        dev->last_failed = ctl.status != 0;
    ctl.dfu = dev && dfs__dfu_classify(d, dev, &ctl);

    if (end == DFS_CTL_COMPLETED && ctl.has_setup)
        dfs__device_on_control(d, &ctl);
    if (d->error)
        return;
    if (d->sink.on_control && dfs__stop(d, d->sink.on_control(d->sink.user, &ctl)))
        return;
    if (end == DFS_CTL_COMPLETED && ctl.has_setup && !ctl.dfu &&
        (ctl.status == -DFS_LINUX_ENOENT || ctl.status == -DFS_LINUX_ECONNRESET)) {
        struct dfs__frames fr = {0};
        dfs__frames_add(&fr, ctl.submit_frame);
        dfs__frames_add(&fr, ctl.complete_frame);
        char req[96];
        dfs_control_request_str(&ctl, req, sizeof req);
        dfs__emit_finding(d, DFS_F_USB_TRANSFER_CANCELLED, ctl.device, ctl.complete_frame, &fr,
                          "A cancelled control transfer usually means the host gave up "
                          "waiting: libusb cancels a transfer whose timeout expired (usbmon "
                          "shows -ECONNRESET), and the kernel kills its own on a timeout "
                          "(-ENOENT). Check that the device answers within the host's "
                          "timeout, or raise the timeout.",
                          "%s to device %u.%u (frame %llu) was %s at frame %llu (status %d "
                          "%s) after %.3f ms.",
                          req, ctl.bus, ctl.devnum, (unsigned long long)ctl.submit_frame,
                          ctl.status == -DFS_LINUX_ENOENT ? "killed" : "unlinked",
                          (unsigned long long)ctl.complete_frame, (int)ctl.status,
                          dfs_errno_name(ctl.status),
                          ctl.submit_frame
                              ? dfs__time_diff_us(ctl.complete_ts, ctl.submit_ts) / 1000.0
                              : 0.0);
    }
    if (d->error)
        return;
    dev = dfs__device_by_id(d, ctl.device); /* bookkeeping may have moved it */
    if (dev)
        dfs__dfu_on_control(d, dev, &ctl);
}

/* ---- record feeding -------------------------------------------------------- */

static void report_parse_problem(dfs_decoder *d, enum dfs_finding_code code,
                                 const struct dfs_record *rec, const char *msg, bool skipped)
{
    if (!dfs__limited(d, code, rec->frame))
        return;
    dfs__emit_finding(d, code, 0, rec->frame, NULL, NULL, "frame %llu: %s%s",
                      (unsigned long long)rec->frame, msg,
                      skipped ? "; record skipped" : "; decoding what is there");
}

static bool is_gone_status(int32_t status)
{
    return status == -DFS_LINUX_ENODEV || status == -DFS_LINUX_ESHUTDOWN;
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

static void keep_payload(dfs_decoder *d, struct dfs__urb_slot *s, const struct dfs_urb *u)
{
    if (!u->has_setup || u->xfer_type != DFS_XFER_CONTROL)
        return;
    if ((u->setup[0] & DFS_REQTYPE_DIR_IN) || !u->data_len)
        return;
    uint32_t n = u->data_len;
    s->payload_partial = u->data_len < u->len_cap || u->len_cap < u->length;
    if (d->payload_used + n > d->opt.max_payload) {
        s->payload_partial = true;
        if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, u->frame))
            dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, u->device, u->frame, NULL,
                              "Raise the payload limit (--max-payload).",
                              "frame %llu: %u bytes of OUT data not kept: outstanding URBs "
                              "already hold %zu bytes (limit %zu)",
                              (unsigned long long)u->frame, n, d->payload_used,
                              d->opt.max_payload);
        return;
    }
    s->payload = dfs__malloc(d, n);
    if (!s->payload) {
        dfs__nomem(d, "cannot keep the OUT data of a control transfer");
        return;
    }
    memcpy(s->payload, u->data, n);
    s->payload_len = n;
    d->payload_used += n;
}

static void slot_release(dfs_decoder *d, uint32_t s)
{
    d->payload_used -= d->urbs.slots[s].payload_len;
    dfs__urb_remove(d, &d->urbs, s);
}

/* An outstanding URB that will never complete (evicted, id reused, end). */
static void slot_abandon(dfs_decoder *d, uint32_t s)
{
    struct dfs__urb_slot *e = &d->urbs.slots[s];
    if (e->xfer_type == DFS_XFER_CONTROL)
        emit_control(d, e, NULL, DFS_CTL_NEVER_COMPLETED);
    slot_release(d, s);
}

static void on_submit(dfs_decoder *d, struct dfs_urb *u, struct dfs__device *dev)
{
    uint32_t s = dfs__urb_find(&d->urbs, u->bus, u->id);
    if (s != DFS__NONE) {
        uint64_t old_frame = d->urbs.slots[s].frame;
        if (dfs__limited(d, DFS_F_CAPTURE_URB_ID_REUSED, u->frame)) {
            struct dfs__frames fr = {0};
            dfs__frames_add(&fr, old_frame);
            dfs__frames_add(&fr, u->frame);
            dfs__emit_finding(d, DFS_F_CAPTURE_URB_ID_REUSED, u->device, u->frame, &fr, NULL,
                              "frame %llu submits URB 0x%llx on bus %u, which frame %llu "
                              "submitted and which has not completed; the earlier one is "
                              "treated as never completed (records lost?)",
                              (unsigned long long)u->frame, (unsigned long long)u->id, u->bus,
                              (unsigned long long)old_frame);
        }
        slot_abandon(d, s);
        if (d->error)
            return;
    }
    if (d->urbs.count >= d->urbs.cap) {
        uint32_t old = d->urbs.oldest;
        d->stats.urbs_evicted++;
        if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, u->frame))
            dfs__emit_finding(d, DFS_F_CAPTURE_LIMIT, u->device, u->frame, NULL,
                              "Raise the limit (--max-urbs) if the capture really has that "
                              "many transfers in flight.",
                              "frame %llu: %u URBs are outstanding (the limit); the oldest, "
                              "submitted at frame %llu, is dropped and its completion will "
                              "not be paired",
                              (unsigned long long)u->frame, d->urbs.cap,
                              (unsigned long long)d->urbs.slots[old].frame);
        slot_abandon(d, old);
        if (d->error)
            return;
    }
    s = dfs__urb_insert(&d->urbs, u->bus, u->id);
    struct dfs__urb_slot *e = &d->urbs.slots[s];
    e->xfer_type = u->xfer_type;
    e->endpoint = u->endpoint;
    e->devnum = u->devnum;
    e->has_setup = u->has_setup && u->xfer_type == DFS_XFER_CONTROL;
    memcpy(e->setup, u->setup, 8);
    e->frame = u->frame;
    e->ts = u->ts;
    e->length = u->length;
    e->device = dev ? dev->id : 0;
    keep_payload(d, e, u);
}

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
    if (rec->linktype != DFS_LINKTYPE_USB_LINUX &&
        rec->linktype != DFS_LINKTYPE_USB_LINUX_MMAPPED) {
        d->stats.records_skipped++;
        return DFS_E_LINKTYPE;
    }

    struct dfs_urb u;
    char msg[200];
    enum dfs__parse_status ps =
        dfs__usbmon_parse(rec->data, rec->caplen, rec->linktype, rec->order, &u, msg, sizeof msg);
    if (ps == DFS__PARSE_SHORT || ps == DFS__PARSE_BAD) {
        d->stats.records_skipped++;
        report_parse_problem(d, ps == DFS__PARSE_SHORT ? DFS_F_CAPTURE_RECORD_SHORT
                                                       : DFS_F_CAPTURE_BAD_HEADER,
                             rec, msg, true);
        return d->error;
    }
    if (ps == DFS__PARSE_DAMAGED) {
        d->stats.records_damaged++;
        report_parse_problem(d, DFS_F_CAPTURE_RECORD_TRUNCATED, rec, msg, false);
        if (d->error)
            return d->error;
    }
    u.frame = rec->frame;
    u.ts = rec->ts;
    u.link_frame = 0;

    /* Which device instance? A completion belongs to the instance of its submit. */
    uint32_t s = u.type == DFS_URB_SUBMIT ? DFS__NONE : dfs__urb_find(&d->urbs, u.bus, u.id);
    struct dfs__device *dev = NULL;
    if (s != DFS__NONE) {
        dev = dfs__device_by_id(d, d->urbs.slots[s].device);
    } else {
        dev = dfs__device_get(d, u.bus, u.devnum, false);
        if (!dev || (dev->gone && u.type == DFS_URB_SUBMIT && starts_device(&u)))
            dev = dfs__device_arrive(d, u.bus, u.devnum, reads_device_descriptor(&u));
    }
    if (d->error)
        return d->error;
    u.device = dev ? dev->id : 0;
    if (dev)
        dfs__device_touch(dev, u.frame, u.ts);

    if (u.type == DFS_URB_SUBMIT) {
        if (d->sink.on_urb && dfs__stop(d, d->sink.on_urb(d->sink.user, &u)))
            return d->error;
        on_submit(d, &u, dev);
        return d->error;
    }

    /* completion or submission error */
    if (s != DFS__NONE) {
        struct dfs__bus *b = dfs__bus_find(d, u.bus);
        if (b && !b->first_paired_frame)
            b->first_paired_frame = u.frame;
        u.link_frame = d->urbs.slots[s].frame;
        d->stats.urbs_paired++;
    } else {
        d->stats.urbs_unmatched++;
        dfs__frames_add(&d->unmatched_frames, u.frame);
        const struct dfs__bus *b = dfs__bus_find(d, u.bus);
        bool at_start = !b || !b->first_paired_frame;
        if (at_start)
            d->unmatched_at_start++;
        else
            d->unmatched_later++;
    }
    if (d->sink.on_urb && dfs__stop(d, d->sink.on_urb(d->sink.user, &u)))
        return d->error;

    if (u.xfer_type == DFS_XFER_CONTROL || (s != DFS__NONE &&
                                             d->urbs.slots[s].xfer_type == DFS_XFER_CONTROL)) {
        emit_control(d, s != DFS__NONE ? &d->urbs.slots[s] : NULL, &u,
                     s == DFS__NONE            ? DFS_CTL_NO_SUBMIT
                     : u.type == DFS_URB_ERROR ? DFS_CTL_SUBMIT_ERROR
                                               : DFS_CTL_COMPLETED);
    }
    if (s != DFS__NONE)
        slot_release(d, s);
    if (d->error)
        return d->error;
    if (dev && is_gone_status(u.status) && !dev->gone) {
        char why[96];
        snprintf(why, sizeof why, "a %s with status %d (%s, %s)",
                 u.type == DFS_URB_ERROR ? "submission failed" : "transfer completed",
                 (int)u.status, dfs_errno_name(u.status), dfs_status_meaning(u.status));
        dfs__device_mark_gone(d, dev, u.frame, u.ts, why);
    }
    return d->error;
}

dfs_result dfs_decoder_capture_end(dfs_decoder *d, struct dfs_time end)
{
    if (!d || end.nsec >= 1000000000u)
        return DFS_E_INVAL;
    if (d->finished)
        return DFS_E_STATE;
    d->has_end = true;
    d->end_ts = end;
    return DFS_OK;
}

bool dfs__end_extends(const dfs_decoder *d)
{
    return d->has_end && d->stats.records && dfs__time_diff_us(d->end_ts, d->cur_ts) > 0;
}

struct dfs_time dfs__capture_end_ts(const dfs_decoder *d)
{
    return dfs__end_extends(d) ? d->end_ts : d->cur_ts;
}

dfs_result dfs_decoder_end_time(const dfs_decoder *d, struct dfs_time *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    if (!d->has_end || (d->stats.records && dfs__time_diff_us(d->end_ts, d->cur_ts) < 0))
        return DFS_E_NOTFOUND;
    *out = d->end_ts;
    return DFS_OK;
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
        slot_abandon(d, s);
    }
    d->stats.urbs_open = n_open;
    if (d->error)
        return d->error;
    dfs__dfu_finish(d);
    if (d->error)
        return d->error;
    if (d->stats.urbs_unmatched) {
        dfs__emit_finding(
            d, DFS_F_CAPTURE_STARTS_MID_TRANSFER, 0, d->unmatched_frames.v[0],
            &d->unmatched_frames, NULL,
            "%llu completion%s without %s submit (%llu before the first complete pair of "
            "its bus: the capture started while %s in flight; %llu later: records lost or "
            "the outstanding-URB limit was reached). The first at frame %llu.",
            (unsigned long long)d->stats.urbs_unmatched, d->stats.urbs_unmatched == 1 ? "" : "s",
            d->stats.urbs_unmatched == 1 ? "its" : "their",
            (unsigned long long)d->unmatched_at_start,
            d->unmatched_at_start == 1 ? "it was" : "they were",
            (unsigned long long)d->unmatched_later,
            (unsigned long long)d->unmatched_frames.v[0]);
    }
    if (!d->error && n_reported)
        dfs__emit_finding(d, DFS_F_CAPTURE_URB_NEVER_COMPLETED, 0, open_frames.v[0],
                          &open_frames, NULL,
                          "%llu submitted control or OUT transfer%s had no completion when "
                          "the capture ended; the first submitted at frame %llu.",
                          (unsigned long long)n_reported, n_reported == 1 ? "" : "s",
                          (unsigned long long)open_frames.v[0]);
    if (!d->error)
        dfs__report_limited_tail(d);
    return d->error;
}

/* ---- device queries --------------------------------------------------------- */

size_t dfs_decoder_device_count(const dfs_decoder *d)
{
    return d ? d->n_devs : 0;
}

dfs_result dfs_decoder_device_info(const dfs_decoder *d, size_t index,
                                   struct dfs_device_info *out)
{
    if (!d || !out)
        return DFS_E_INVAL;
    if (index >= d->n_devs)
        return DFS_E_NOTFOUND;
    const struct dfs__device *dev = d->devs[index];
    memset(out, 0, sizeof *out);
    out->id = dev->id;
    out->lane = dev->lane;
    out->previous = dev->previous;
    out->bus = dev->bus;
    out->devnum = dev->devnum;
    out->first_frame = dev->first_frame;
    out->last_frame = dev->last_frame;
    out->first_ts = dev->first_ts;
    out->last_ts = dev->last_ts;
    out->gone = dev->gone;
    out->gone_frame = dev->gone_frame;
    if (dev->devdesc_len >= 8 &&
        dfs_desc_parse_device(dev->devdesc, dev->devdesc_len, &out->desc,
                              &out->device_desc_complete, NULL) == DFS_OK)
        out->has_device_desc = true;
    out->config = dev->config;
    out->config_len = dev->config_len;
    out->config_partial = dev->config_partial;
    out->bos = dev->bos;
    out->bos_len = dev->bos_len;
    out->qualifier = dev->qual_len ? dev->qual : NULL;
    out->qualifier_len = dev->qual_len;
    out->qualifier_stalled = dev->qual_stalled;
    out->configuration = dev->configuration;
    out->langid = dev->langid;
    return DFS_OK;
}

dfs_result dfs_decoder_device_string(const dfs_decoder *d, uint32_t device, uint8_t index,
                                     uint16_t langid, const uint8_t **raw, size_t *len)
{
    if (!d || !raw || !len)
        return DFS_E_INVAL;
    const struct dfs__device *dev = dfs__device_by_id((dfs_decoder *)d, device);
    if (!dev)
        return DFS_E_NOTFOUND;
    size_t n = 0;
    const uint8_t *p = dfs__device_string(dev, index, langid, &n);
    if (!p)
        return DFS_E_NOTFOUND;
    *raw = p;
    *len = n;
    return DFS_OK;
}
