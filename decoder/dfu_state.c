/* The DFU 1.1 state machine (DFU 1.1 section 6 and appendix A; dfu-facts.md
 * 1-4): each DFU class request with its reply becomes a transaction
 * (struct dfs_dfu_txn) with the interface's state before and after it.
 * What a DNLOAD asks for is kept until the GETSTATUS that executes it;
 * time moves dfuDNBUSY on to dfuDNLOAD-SYNC once bwPollTimeout has passed;
 * a stalled request leaves the device in dfuERROR. DfuSe commands and
 * memory operations are dfuse.c's; what the rules judge is raised as an
 * event where it happens (rules.h). */
#include <string.h>

#include "rules.h"

#define TIMING_SLACK_US 1000 /* time stamp granularity allowance */

/* One request being decoded. */
struct step {
    dfs_decoder *d;
    struct dfs__device *dev;
    struct dfs__dfu_dev *dd;
    struct dfs__dfu_if *f;
    const struct dfs_control *ctl;
    struct dfs_dfu_txn t;
    uint8_t st;  /* the state after the request, as far as it is known */
    bool ok, stalled;
    bool reached; /* the request may have reached the device: not one that
                   * completed with -ENODEV or -ESHUTDOWN, or never completed */
};

static void raise_event(struct step *s, struct dfs__dfu_event *ev, enum dfs__ev kind)
{
    ev->kind = kind;
    ev->dev = s->dev;
    ev->dd = s->dd;
    ev->rules = &s->f->rules;
    ev->t = &s->t;
    ev->frame = s->t.frame;
    dfs__rules_raise(s->d, ev);
}

/* ---- the state diagram ----------------------------------------------------------- */

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

/* FLIP: a DNLOAD carries a command wherever the device is idle, and a
 * zero-length one in dfuIDLE starts the application (flip.c) */
static bool flip_dnload_allowed(uint8_t req, uint8_t st)
{
    return req == DFS_DFU_DNLOAD && (st == DFS_STATE_DFU_IDLE || st == DFS_STATE_DNLOAD_IDLE ||
                                     st == DFS_STATE_UPLOAD_IDLE);
}

/* DfuSe: a zero-length DNLOAD in dfuIDLE is a leave that ST's USB device
 * middleware takes as in dfuDNLOAD-IDLE (DFU_Download() in usbd_dfu.c goes
 * to dfuMANIFEST-SYNC), and fwupd sends it so. AN3156 describes the leave
 * after a Set Address Pointer; some ROMs need that one (dfu-quirks R23). */
static bool dfuse_leave_allowed(uint8_t req, uint8_t st, uint16_t wLength)
{
    return req == DFS_DFU_DNLOAD && st == DFS_STATE_DFU_IDLE && wLength == 0;
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

/* A DFU request was stalled: the device is in dfuERROR now, and the next
 * GETSTATUS should say so. Returns dfuERROR. */
static uint8_t stalled_request(struct dfs__dfu_if *f, uint64_t frame, uint8_t req)
{
    f->stall_pending = true;
    f->stall_frame = frame;
    f->stall_req = req;
    return DFS_STATE_ERROR;
}

/* Without a functional descriptor, the largest block seen. */
static void infer_xfer(struct dfs__dfu_if *f, uint16_t wLength)
{
    if (f->has_func && f->func.wTransferSize && f->func.wTransferSize != 0xffff)
        return;
    if (wLength > f->xfer) {
        f->xfer = wLength;
        f->xfer_inferred = true;
    }
}

/* ---- DNLOAD and UPLOAD ------------------------------------------------------------- */

/* A data block's number, against the sequence under way. */
static void block_number(struct step *s, bool upload, bool dfuse_low)
{
    struct dfs__dfu_if *f = s->f;
    bool *active = upload ? &f->ul_seq : &f->dl_seq;
    uint16_t *last = upload ? &f->ul_last : &f->dl_last;
    uint16_t block = s->t.wValue;
    struct dfs__dfu_event ev = {.u.block = {.upload = upload,
                                            .in_sequence = *active,
                                            .retry = !upload && block == *last && !f->dl_last_ok,
                                            .dfuse_low = dfuse_low,
                                            .block = block,
                                            .last = *last}};
    raise_event(s, &ev, DFS__EV_BLOCK);
    *active = true;
    *last = block;
}

/* An acknowledged DNLOAD: what the next GETSTATUS executes. Returns false
 * when its data could not be kept (out of memory). */
static bool dnload_pending(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    const struct dfs_dfu_txn *t = &s->t;
    const struct dfs_control *ctl = s->ctl;
    dfs__dfu_pend_clear(s->d, f);
    struct dfs__pending *pd = &f->pend;
    pd->frame = t->frame;
    pd->done_frame = t->reply_frame;
    pd->ts = t->ts;
    pd->block = t->wValue;
    pd->alt = t->alt;
    pd->len = t->wLength;
    if (t->wLength == 0) {
        pd->kind = f->dfuse ? DFS__PEND_LEAVE : DFS__PEND_MANIFEST;
        pd->addr = f->ptr;
        pd->has_addr = f->ptr_valid;
        s->st = DFS_STATE_MANIFEST_SYNC;
        f->dl_seq = false;
        return true;
    }
    s->st = DFS_STATE_DNLOAD_SYNC;
    if (t->cmd >= 0) {
        pd->kind = DFS__PEND_CMD;
        pd->cmd = (uint8_t)t->cmd;
        pd->mass = t->mass_erase;
        pd->has_addr = t->has_address;
        pd->addr = t->address;
        dfs__dfuse_command(s->d, s->dev, s->dd, f, t);
        return true;
    }
    pd->kind = DFS__PEND_WRITE;
    pd->has_addr = f->dfuse ? t->has_address : true;
    pd->addr = f->dfuse ? t->address : f->dl_offset;
    if (!f->dfuse) {
        /* more than 4 GiB of blocks (or blocks claimed without their data)
         * stop at the last offset instead of wrapping to 0 */
        uint32_t n = ctl->data_len ? ctl->data_len : t->wLength;
        f->dl_offset = n > UINT32_MAX - f->dl_offset ? UINT32_MAX : f->dl_offset + n;
    }
    if (ctl->data_len) {
        pd->data = dfs__malloc(s->d, ctl->data_len);
        if (!pd->data) {
            dfs__nomem(s->d, "cannot keep the data of a DFU download");
            return false;
        }
        memcpy(pd->data, ctl->data, ctl->data_len);
        pd->data_len = ctl->data_len;
    }
    if (f->dfuse && t->has_address)
        dfs__dfuse_write(s->d, s->dev, s->dd, f, t);
    return true;
}

/* A FLIP DNLOAD (flip.c): the device does the work inside the request; a
 * program start or a chip erase counts as executed at the GETSTATUS the
 * host sends after it, as a DfuSe command would. */
static bool on_flip_dnload(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    struct dfs_dfu_txn *t = &s->t;
    const struct dfs_control *ctl = s->ctl;
    if (t->wLength)
        infer_xfer(f, t->wLength);
    if (s->stalled) {
        s->st = stalled_request(f, t->frame, t->request);
        f->flip_exit = f->flip_read = false;
        return true;
    }
    if (!s->ok)
        return true;
    dfs__dfu_pend_clear(s->d, f);
    s->st = dfs__flip_effect(f, t, s->st);
    bool erase = t->flip_cmd == DFS_FLIP_CHIP_ERASE;
    if (!erase && t->flip_cmd != DFS_FLIP_PROGRAM_FLASH)
        return true;
    struct dfs__pending *pd = &f->pend;
    pd->frame = t->frame;
    pd->done_frame = t->reply_frame;
    pd->ts = t->ts;
    pd->block = t->wValue;
    pd->alt = t->alt;
    pd->has_addr = !erase;
    pd->addr = erase ? 0 : t->flip_start;
    if (erase) {
        pd->kind = DFS__PEND_CMD;
        pd->cmd = DFS_DFUSE_ERASE;
        pd->mass = true;
        return true;
    }
    pd->kind = DFS__PEND_WRITE;
    uint32_t n = t->flip_end >= t->flip_start ? t->flip_end - t->flip_start + 1 : 0;
    pd->len = n;
    /* the data end where the 16-byte trailer begins */
    if (n && ctl->data_len == t->wLength && ctl->data_len >= 32u + 16u + n) {
        pd->data = dfs__malloc(s->d, n);
        if (!pd->data) {
            dfs__nomem(s->d, "cannot keep the data of a FLIP program start");
            return false;
        }
        memcpy(pd->data, ctl->data + ctl->data_len - 16u - n, n);
        pd->data_len = n;
    }
    return true;
}

static bool on_dnload(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    if (f->flip)
        return on_flip_dnload(s);
    if (s->t.wLength)
        infer_xfer(f, s->t.wLength);
    bool data_block = dfs__dfuse_dnload(f, s->ctl, &s->t);
    if (data_block && s->t.wLength && s->reached)
        block_number(s, false, f->dfuse && s->t.wValue < 2);
    if (s->ok) {
        if (!dnload_pending(s))
            return false;
        f->dl_last_ok = true;
    } else if (s->stalled) {
        s->st = stalled_request(f, s->t.frame, s->t.request);
        f->dl_last_ok = false;
    } else {
        f->dl_last_ok = false;
    }
    return true;
}

static void on_upload(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    if (s->t.wLength)
        infer_xfer(f, s->t.wLength);
    if (f->flip) {
        if (s->ok) {
            s->st = dfs__flip_upload(f, &s->t, s->st);
            if (s->t.has_address)
                dfs__dfu_read(s->d, s->dev, s->dd, f, &s->t);
        } else if (s->stalled) {
            s->st = stalled_request(f, s->t.frame, s->t.request);
        }
        return;
    }
    dfs__dfuse_upload(f, &s->t);
    if (!(f->dfuse && s->t.wValue < 2) && s->reached)
        block_number(s, true, false);
    if (s->ok) {
        bool short_frame = s->ctl->actual_length < s->t.wLength;
        s->st = short_frame ? DFS_STATE_DFU_IDLE : DFS_STATE_UPLOAD_IDLE;
        if (short_frame)
            f->ul_seq = false;
        dfs__dfu_read(s->d, s->dev, s->dd, f, &s->t);
    } else if (s->stalled) {
        s->st = stalled_request(f, s->t.frame, s->t.request);
        dfs__dfuse_read_refused(s->d, s->dev, s->dd, f, &s->t);
    }
}

/* ---- GETSTATUS --------------------------------------------------------------------- */

/* What the reply says happened to the pending operation. */
static void execution(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    const struct dfs_dfu_txn *t = &s->t;
    struct dfs__pending *pd = &f->pend;
    if (pd->kind == DFS__PEND_NONE)
        return;
    bool failed = t->bState == DFS_STATE_ERROR || t->bStatus != DFS_STATUS_OK;
    bool done = failed || t->bState != DFS_STATE_DNBUSY;
    if (t->bState == DFS_STATE_DNBUSY)
        pd->busy_seen = true;
    if (pd->poll_stalled && failed) {
        /* after a stalled GETSTATUS the device's state was unknown: whether
         * this dfuERROR is about the operation or the stall cannot be told */
        dfs__dfu_pend_clear(s->d, f);
        return;
    }
    if (!done)
        return;
    struct dfs__dfu_event ev = {.u.exec = {.pd = pd, .failed = failed}};
    raise_event(s, &ev, DFS__EV_EXECUTED);
    dfs__dfu_executed(s->d, s->dev, s->dd, f, t, failed);
    if (pd->kind == DFS__PEND_LEAVE && !failed) {
        /* the device is about to jump: its departure is expected */
        struct dfs__dfu_event leave = {.u.failure = {.kind = DFS__LOST_LEAVE,
                                                     .ctl = s->ctl,
                                                     .pd = pd,
                                                     .ifnum = f->ifnum,
                                                     .state = t->state_before,
                                                     .alt = pd->alt,
                                                     .last_req = f->last_req,
                                                     .last_req_frame = f->last_req_frame}};
        raise_event(s, &leave, DFS__EV_LEAVE_ANSWERED);
    }
    dfs__dfu_pend_clear(s->d, f);
}

/* GETSTATUS answered: the reply, then what it executed. */
static void status_reply(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    struct dfs_dfu_txn *t = &s->t;
    const uint8_t *p = s->ctl->data;
    t->has_status = t->has_state = true;
    t->bStatus = p[0];
    t->poll_timeout_ms = dfs__le24(p + 1);
    t->bState = p[4];
    t->iString = p[5];
    struct dfs__dfu_event ev = {.u.status = {.reply_allowed = reply_allowed(t->state_before,
                                                                            t->bState),
                                             .stall_pending = f->stall_pending,
                                             .stall_req = f->stall_req,
                                             .last_req = f->last_req,
                                             .stall_frame = f->stall_frame,
                                             .last_req_frame = f->last_req_frame}};
    raise_event(s, &ev, DFS__EV_STATUS);
    f->stall_pending = false;
    if (t->bState == DFS_STATE_DNBUSY) {
        f->busy = true;
        f->busy_ts = t->reply_frame ? t->reply_ts : t->ts;
        f->busy_poll = t->poll_timeout_ms;
        f->busy_frame = t->reply_frame ? t->reply_frame : t->frame;
    } else {
        f->busy = false;
    }
    execution(s);
    struct dfs__dfu_event reported = {0};
    raise_event(s, &reported, DFS__EV_STATE_REPORTED);
}

/* GETSTATUS failed: stalled by a run-time interface (allowed), or perhaps
 * the device went away while executing what was pending, or stalled while
 * busy (dfu-quirks.md R2). Whatever it was, the state is unknown after it
 * until a reply says what it is. */
static void status_failed(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    const struct dfs_dfu_txn *t = &s->t;
    bool runtime = f->runtime || s->st == DFS_STATE_APP_IDLE;
    if (runtime && s->stalled) {
        struct dfs__dfu_event ev = {0};
        raise_event(s, &ev, DFS__EV_RUNTIME_STALL);
        return;
    }
    if (t->outcome != DFS_DFU_CANCELLED &&
               (t->outcome != DFS_DFU_NO_REPLY || f->pend.ob.is ||
                f->pend.kind == DFS__PEND_LEAVE)) {
        /* (a request still open at the end of the capture says nothing about
         * the device, unless it executes an option-byte write or a leave) */
        enum dfs__lost_kind k = f->pend.kind == DFS__PEND_LEAVE ? DFS__LOST_LEAVE
                                : f->pend.ob.is                 ? DFS__LOST_OB
                                                                : DFS__LOST_OTHER;
        /* a stall while an erase, a command or a write is pending may be a
         * busy device: the operation is kept for the reply that tells */
        bool keep = s->stalled && k == DFS__LOST_OTHER &&
                    (f->pend.kind == DFS__PEND_CMD || f->pend.kind == DFS__PEND_WRITE);
        struct dfs__dfu_event ev = {.u.failure = {.kind = k,
                                                  .busy_op = keep,
                                                  .ctl = s->ctl,
                                                  .pd = &f->pend,
                                                  .ifnum = f->ifnum,
                                                  .state = s->st,
                                                  .alt = t->alt,
                                                  .last_req = f->last_req,
                                                  .last_req_frame = f->last_req_frame}};
        raise_event(s, &ev, DFS__EV_STATUS_FAILED);
        if (s->stalled)
            f->stall_pending = false; /* a stalled GETSTATUS cannot report it */
        if (keep) {
            f->pend.poll_stalled = true;
            f->pend.busy_seen = true;
        } else {
            dfs__dfu_pend_clear(s->d, f);
        }
    }
    if (t->outcome == DFS_DFU_NO_DEVICE) {
        struct dfs__dfu_event ev = {0};
        raise_event(s, &ev, DFS__EV_NO_DEVICE);
    }
    s->st = DFS_STATE_UNKNOWN;
}

static void on_getstatus(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    struct dfs_dfu_txn *t = &s->t;
    if (f->busy) {
        t->poll_wait_us = dfs__time_diff_us(t->ts, f->busy_ts);
        t->poll_asked_ms = f->busy_poll;
        bool early = dfs_sat_add_i64(t->poll_wait_us, TIMING_SLACK_US) < (int64_t)f->busy_poll * 1000;
        struct dfs__dfu_event ev = {.u.poll = {.early = early, .busy_frame = f->busy_frame}};
        raise_event(s, &ev, DFS__EV_POLL);
    }
    if (s->ok && s->ctl->data_len >= DFS_GETSTATUS_LEN) {
        status_reply(s);
        s->st = t->bState <= DFS_STATE_ERROR ? t->bState : s->st;
    } else if (!s->ok) {
        status_failed(s);
    }
}

/* ---- the others ---------------------------------------------------------------------- */

static void on_getstate(struct step *s)
{
    if (s->ok && s->ctl->data_len >= 1) {
        s->t.has_state = true;
        s->t.bState = s->ctl->data[0];
        if (s->t.bState <= DFS_STATE_ERROR)
            s->st = s->t.bState;
        struct dfs__dfu_event ev = {0};
        raise_event(s, &ev, DFS__EV_GETSTATE);
    } else if (s->stalled) {
        s->st = stalled_request(s->f, s->t.frame, s->t.request);
    }
}

/* CLRSTATUS and ABORT: back to dfuIDLE */
static void on_clear(struct step *s)
{
    struct dfs__dfu_if *f = s->f;
    if (s->ok) {
        s->st = DFS_STATE_DFU_IDLE;
        f->dl_seq = f->ul_seq = false;
        f->busy = false;
        f->stall_pending = false;
        struct dfs__dfu_event ev = {0};
        raise_event(s, &ev, DFS__EV_CLEARED);
        dfs__dfu_pend_clear(s->d, f);
    } else if (s->stalled) {
        s->st = stalled_request(f, s->t.frame, s->t.request);
    }
}

/* ---- one request ------------------------------------------------------------------------- */

/* The transaction as the request and its reply show it, and the state
 * before it. */
static void begin(struct step *s)
{
    const struct dfs_control *ctl = s->ctl;
    struct dfs__dfu_if *f = s->f;
    struct dfs_dfu_txn *t = &s->t;
    memset(t, 0, sizeof *t);
    t->device = s->dev->id;
    t->lane = s->dev->lane;
    t->bus = s->dev->bus;
    t->devnum = s->dev->devnum;
    t->interface = f->ifnum;
    t->alt = dfs__dfu_cur_alt(s->dev, f->ifnum);
    t->frame = ctl->submit_frame ? ctl->submit_frame : ctl->complete_frame;
    t->reply_frame = ctl->complete_frame;
    t->ts = ctl->submit_frame ? ctl->submit_ts : ctl->complete_ts;
    t->reply_ts = ctl->complete_ts;
    t->request = ctl->setup.bRequest;
    t->wValue = ctl->setup.wValue;
    t->wLength = ctl->setup.wLength;
    t->length = ctl->actual_length;
    t->usb_status = ctl->status;
    t->naks = ctl->naks;
    t->nak_us = ctl->nak_us;
    t->outcome = outcome_of(ctl);
    t->cmd = -1;
    t->data = ctl->data;
    t->data_len = ctl->data_len;
    t->poll_wait_us = -1;
    /* FLIP command blocks on an Atmel bootloader; DfuSe semantics when the
     * descriptor says so, or the requests show it */
    if (f->flip)
        dfs__flip_decode(f, ctl, t);
    else if (!f->dfuse_known && dfs__dfu_looks_dfuse(ctl)) {
        f->dfuse = true;
        f->dfuse_known = true;
    }
    t->dfuse = f->dfuse;
    /* time moves dfuDNBUSY on to dfuDNLOAD-SYNC once bwPollTimeout passed */
    s->st = f->state;
    if (s->st == DFS_STATE_DNBUSY && f->busy &&
        dfs_sat_add_i64(dfs__time_diff_us(t->ts, f->busy_ts), TIMING_SLACK_US) >=
            (int64_t)f->busy_poll * 1000)
        s->st = DFS_STATE_DNLOAD_SYNC;
    t->state_before = s->st;
    s->ok = t->outcome == DFS_DFU_ACK;
    s->stalled = t->outcome == DFS_DFU_STALLED;
    s->reached = t->outcome != DFS_DFU_NO_DEVICE && t->outcome != DFS_DFU_NO_REPLY;
}

void dfs__dfu_request(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                      struct dfs__dfu_if *f, const struct dfs_control *ctl)
{
    /* begin() sets the rest: the transaction is cleared there, once */
    struct step s;
    s.d = d;
    s.dev = dev;
    s.dd = dd;
    s.f = f;
    s.ctl = ctl;
    begin(&s);
    const struct dfs_control *c = ctl;
    struct dfs__dfu_event req = {
        .u.request = {.allowed = request_allowed(s.t.request, s.st, s.t.wLength) ||
                                 (f->flip && flip_dnload_allowed(s.t.request, s.st)) ||
                                 (f->dfuse &&
                                  dfuse_leave_allowed(s.t.request, s.st, s.t.wLength)),
                      .reached = s.reached,
                      .transfer_size = f->has_func ? f->func.wTransferSize : 0,
                      .wait_us = c->submit_frame && c->complete_frame
                                     ? dfs__time_diff_us(c->complete_ts, c->submit_ts)
                                     : -1,
                      .submit_frame = c->submit_frame,
                      .complete_frame = c->complete_frame}};
    raise_event(&s, &req, DFS__EV_REQUEST);

    switch (s.t.request) {
    case DFS_DFU_DNLOAD:
        if (!on_dnload(&s))
            return;
        break;
    case DFS_DFU_UPLOAD: on_upload(&s); break;
    case DFS_DFU_GETSTATUS: on_getstatus(&s); break;
    case DFS_DFU_GETSTATE: on_getstate(&s); break;
    case DFS_DFU_CLRSTATUS:
    case DFS_DFU_ABORT: on_clear(&s); break;
    case DFS_DFU_DETACH:
        if (s.ok)
            s.st = DFS_STATE_APP_DETACH;
        break;
    default: break;
    }
    /* a request that failed otherwise than by a STALL (whose effect, dfuERROR,
     * DFU 1.1 defines) leaves the device in a state no one knows */
    if (!s.ok && !s.stalled)
        s.st = DFS_STATE_UNKNOWN;
    if (s.t.request != DFS_DFU_GETSTATUS && s.t.request != DFS_DFU_GETSTATE) {
        f->last_req = s.t.request;
        f->last_req_frame = s.t.frame;
    }
    f->state = s.st;
    s.t.state_after = s.st;
    if (d->error)
        return;
    d->stats.dfu_txns++;
    if (d->sink.on_dfu)
        dfs__stop(d, d->sink.on_dfu(d->sink.user, &s.t));
}
