/* Control transfers rebuilt from packet-level transactions on endpoint 0
 * (USB 2.0 sections 8.5.3 and 11.17-11.18 for split transactions):
 *
 *   setup stage   SETUP + DATA0 (8 bytes) + ACK
 *   data stage    IN or OUT transactions in the direction bmRequestType
 *                 says, DATA1/DATA0 toggling; NAK, NYET and PING are flow
 *                 control; a repeated toggle is a retry whose data is kept
 *                 once
 *   status stage  a zero-length transaction the other way (IN when there
 *                 is no data stage), ACKed
 *   STALL         ends the transfer at any stage
 *
 * Behind a high-speed hub a start-split carries the SETUP or OUT packet to
 * the hub and the complete-split says what the device answered; an IN's
 * data comes with the complete-split.
 *
 * Each transfer is handed on as the URB events a usbmon capture gives: a
 * submit in the frame of its SETUP packet (with the setup bytes and any OUT
 * data, so sent once the data stage is over) and a completion in the frame
 * of the handshake that ended it (status 0, or -EPIPE after a STALL). */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"
#include "usbll.h"

#define USBLL_BUS 1 /* an analyzer sees one bus */

enum outcome { O_NONE, O_OK, O_STALL };

/* What a transaction means for the transfer: did the device take or give
 * its data (O_OK), refuse (O_STALL), or neither (NAK, NYET, a start-split,
 * no handshake)? For a complete-split of a SETUP or OUT, the data is the
 * start-split's. */
static enum outcome outcome_of(struct dfs__usbll_state *s, const struct dfs__usbll_txn *t,
                               const uint8_t **data, uint32_t *len, uint8_t *pid)
{
    *data = t->data;
    *len = t->has_data ? t->data_len : 0;
    *pid = t->has_data ? t->data_pid : 0;
    if (t->handshake == DFS__PID_STALL)
        return O_STALL;
    bool in = t->token == DFS__PID_IN;
    if (!t->split) {
        if (in)
            return t->has_data ? O_OK : O_NONE;
        if (t->token == DFS__PID_PING || !t->has_data)
            return O_NONE;
        return t->handshake == DFS__PID_ACK || t->handshake == DFS__PID_NYET ? O_OK : O_NONE;
    }
    struct dfs__usbll_split_out *so = &s->split_out;
    if (!t->split_complete) {
        /* a start-split: what goes out waits for its complete-split */
        if (!in && t->has_data && t->handshake == DFS__PID_ACK) {
            so->used = true;
            so->token = t->token;
            so->addr = t->addr;
            so->ep = t->ep;
            so->data_pid = t->data_pid;
            so->len = (uint8_t)(t->data_len > DFS__USBLL_SPLIT_DATA ? DFS__USBLL_SPLIT_DATA
                                                                     : t->data_len);
            memcpy(so->data, t->data, so->len);
        }
        return O_NONE;
    }
    if (in)
        return t->has_data ? O_OK : O_NONE;
    if (t->handshake != DFS__PID_ACK || !so->used || so->token != t->token ||
        so->addr != t->addr || so->ep != t->ep)
        return O_NONE;
    so->used = false;
    *data = so->data;
    *len = so->len;
    *pid = so->data_pid;
    return O_OK;
}

/* The capture lost a data packet of the transfer that the bus carried: its
 * data as decoded is incomplete. */
static void say_lost(dfs_decoder *d, const struct dfs__usbll_ctl *c,
                     const struct dfs__usbll_txn *t)
{
    if (!dfs__limited(d, DFS_F_CAPTURE_RECORD_TRUNCATED, t->last_frame))
        return;
    char what[200], len[40] = "";
    if (c->lost_first_len)
        snprintf(len, sizeof len, " of %u bytes", c->lost_first_len);
    snprintf(what, sizeof what,
             "the control transfer of frame %llu moved a data packet%s that the capture %s "
             "%llu); its data is incomplete",
             (unsigned long long)c->setup_frame, len,
             c->lost_in_capture ? "holds damaged (frame" : "lacks (before frame",
             (unsigned long long)c->lost_frame);
    dfs__say_record_problem(d, DFS_F_CAPTURE_RECORD_TRUNCATED, t->last_frame, what, false);
}

/* ---- NAKs ---------------------------------------------------------------------- */

/* A NAK run of the data stage ends at `end` (the data packet, or its own
 * last NAK) */
static void end_nak_run(struct dfs__usbll_ctl *c, struct dfs_time end)
{
    if (!c->nak_run)
        return;
    c->nak_run = false;
    int64_t us = dfs_time_diff_us(end, c->nak_first);
    c->nak_us = dfs_sat_add_i64(c->nak_us, us > 0 ? us : 0);
}

/* ---- URB events -------------------------------------------------------------- */

static uint8_t *slot_data(struct dfs__usbll_state *s, const struct dfs__usbll_ctl *c)
{
    return s->ctl_data + (size_t)(c - s->ctl) * DFS__USBLL_CTL_DATA;
}

static bool dir_in(const struct dfs__usbll_ctl *c) { return (c->setup[0] & 0x80) != 0; }
static uint16_t w_length(const struct dfs__usbll_ctl *c) { return dfs__le16(c->setup + 6); }

/* Hand on a URB event as the record of its frame: the stages after this one
 * take the frame being decoded to be the URB's (a device seen leaving, the
 * last record of a device), as they would in a usbmon capture. */
static void hand_on(dfs_decoder *d, struct dfs_urb *u)
{
    uint64_t frame = d->cur_frame;
    struct dfs_time ts = d->cur_ts;
    d->cur_frame = u->frame;
    d->cur_ts = u->ts;
    d->ports.urb(d, u);
    d->cur_frame = frame;
    d->cur_ts = ts;
}

static void base_urb(struct dfs_urb *u, const struct dfs__usbll_ctl *c)
{
    memset(u, 0, sizeof *u);
    u->id = c->urb_id;
    u->xfer_type = DFS_XFER_CONTROL;
    u->endpoint = dir_in(c) ? DFS_ENDPOINT_DIR_IN : 0;
    u->devnum = c->addr;
    u->bus = USBLL_BUS;
    u->linktype = DFS_LINKTYPE_USB_2_0;
}

static void submit(dfs_decoder *d, struct dfs__usbll_state *s, struct dfs__usbll_ctl *c)
{
    if (c->submitted)
        return;
    c->submitted = true;
    struct dfs_urb u;
    base_urb(&u, c);
    u.frame = c->setup_frame;
    u.ts = c->setup_ts;
    u.type = DFS_URB_SUBMIT;
    u.urb_ts_sec = c->setup_ts.sec;
    u.urb_ts_usec = (int32_t)(c->setup_ts.nsec / 1000);
    u.status = -DFS_LINUX_EINPROGRESS;
    u.length = w_length(c);
    u.has_setup = true;
    u.flag_setup = 0;
    memcpy(u.setup, c->setup, 8);
    bool out_data = !dir_in(c) && (c->len || c->lost);
    u.flag_data = out_data ? 0 : '<';
    u.data = out_data ? slot_data(s, c) : NULL;
    u.data_len = u.len_cap = out_data ? c->len : 0;
    if (out_data && c->lost)
        u.len_cap = c->len + c->lost_len; /* what went out, of which data_len is known */
    hand_on(d, &u);
}

static void complete(dfs_decoder *d, struct dfs__usbll_state *s, struct dfs__usbll_ctl *c,
                     const struct dfs__usbll_txn *t, int32_t status)
{
    submit(d, s, c);
    if (d->error)
        return;
    struct dfs_urb u;
    base_urb(&u, c);
    u.frame = t->last_frame;
    u.ts = t->last_ts;
    u.type = DFS_URB_COMPLETE;
    u.urb_ts_sec = t->last_ts.sec;
    u.urb_ts_usec = (int32_t)(t->last_ts.nsec / 1000);
    u.status = status;
    end_nak_run(c, c->nak_last);
    u.naks = c->naks;
    u.nak_us = c->nak_us;
    u.length = c->len + c->lost_len;
    u.flag_setup = '-';
    bool in_data = dir_in(c) && (c->len || c->lost);
    u.flag_data = in_data ? 0 : '>';
    u.data = in_data ? slot_data(s, c) : NULL;
    u.data_len = u.len_cap = in_data ? c->len : 0;
    if (in_data && c->lost)
        u.len_cap = u.length; /* what came in, of which data_len is known */
    c->used = false;
    if (c->lost)
        say_lost(d, c, t);
    if (d->error)
        return;
    hand_on(d, &u);
}

/* ---- transfers ------------------------------------------------------------------ */

/* A data-stage transaction whose handshake says its data went through (the
 * host ACKed an IN, the device an OUT) although the capture has no good
 * data packet in it: the packet was bad in the capture, or missing. */
static bool data_went_missing(const struct dfs__usbll_txn *t)
{
    if (t->has_data || t->split)
        return false;
    if (t->token == DFS__PID_IN)
        return t->handshake == DFS__PID_ACK;
    return t->token == DFS__PID_OUT && t->data_lost &&
           (t->handshake == DFS__PID_ACK || t->handshake == DFS__PID_NYET);
}

static void lose_data(struct dfs__usbll_ctl *c, const struct dfs__usbll_txn *t)
{
    uint32_t room = w_length(c) - c->len - c->lost_len;
    uint32_t n = t->data_lost ? t->lost_len : 0;
    n = n < room ? n : room;
    if (!c->lost) {
        c->lost_frame = t->data_lost ? t->lost_frame : t->last_frame;
        c->lost_in_capture = t->data_lost;
        c->lost_first_len = n;
    }
    c->lost = true;
    c->had_data = true;
    c->lost_len += n;
    c->last_toggle = -1; /* its toggle is not known */
}

static struct dfs__usbll_ctl *find(struct dfs__usbll_state *s, uint8_t addr)
{
    for (unsigned i = 0; i < DFS__USBLL_CTL_SLOTS; i++)
        if (s->ctl[i].used && s->ctl[i].addr == addr)
            return &s->ctl[i];
    return NULL;
}

/* The device NAKed a data-stage transaction (an IN, an OUT or a PING; behind
 * a hub, the complete-split: a start-split's NAK is the hub's) */
static void note_nak(struct dfs__usbll_state *s, const struct dfs__usbll_txn *t)
{
    if (t->split && !t->split_complete)
        return;
    struct dfs__usbll_ctl *c = find(s, t->addr);
    if (!c || c->in_status || !w_length(c) || (t->token == DFS__PID_IN) != dir_in(c))
        return;
    if (c->naks < UINT32_MAX)
        c->naks++;
    if (!c->nak_run) {
        c->nak_run = true;
        c->nak_first = t->first_ts;
    }
    c->nak_last = t->last_ts;
}

/* A slot for a new transfer: a free one, else the least recently used, whose
 * transfer goes out as submitted and never completed. */
static struct dfs__usbll_ctl *take(dfs_decoder *d, struct dfs__usbll_state *s)
{
    struct dfs__usbll_ctl *old = &s->ctl[0];
    for (unsigned i = 0; i < DFS__USBLL_CTL_SLOTS; i++) {
        if (!s->ctl[i].used)
            return &s->ctl[i];
        if (s->ctl[i].age < old->age)
            old = &s->ctl[i];
    }
    submit(d, s, old);
    old->used = false;
    return old;
}

static void on_setup(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs__usbll_txn *t,
                     const uint8_t *data, uint32_t len)
{
    if (len != 8) {
        if (dfs__limited(d, DFS_F_CAPTURE_HALF_TRANSACTION, t->last_frame)) {
            char what[100];
            snprintf(what, sizeof what, "SETUP transaction with %u data bytes; a setup packet "
                     "has 8", len);
            dfs__say_record_problem(d, DFS_F_CAPTURE_HALF_TRANSACTION, t->last_frame, what,
                                    false);
        }
        return;
    }
    struct dfs__usbll_ctl *c = find(s, t->addr);
    if (c) {
        /* a new SETUP ends the transfer before it without a status stage:
         * it goes out as never completed */
        submit(d, s, c);
        c->used = false;
    } else {
        c = take(d, s);
    }
    if (d->error)
        return;
    memset(c, 0, sizeof *c);
    c->used = true;
    c->addr = t->addr;
    memcpy(c->setup, data, 8);
    c->setup_frame = t->first_frame;
    c->setup_ts = t->first_ts;
    c->urb_id = ++s->next_urb_id;
    c->last_toggle = -1;
    c->age = ++s->age;
    if (dir_in(c) || !w_length(c))
        submit(d, s, c);
}

void dfs__usbll_ctl_txn(dfs_decoder *d, struct dfs__usbll_state *s,
                        const struct dfs__usbll_txn *t)
{
    if (t->ep != 0)
        return; /* control transfers on other endpoints are not rebuilt */
    const uint8_t *data;
    uint32_t len;
    uint8_t pid;
    enum outcome o = outcome_of(s, t, &data, &len, &pid);
    if (o == O_NONE && data_went_missing(t)) {
        struct dfs__usbll_ctl *c = find(s, t->addr);
        if (!c)
            return;
        c->age = ++s->age;
        if (w_length(c) && !c->in_status && (t->token == DFS__PID_IN) == dir_in(c)) {
            end_nak_run(c, t->first_ts);
            lose_data(c, t);
            return;
        }
        c->in_status = true; /* a status stage whose empty data packet is lost */
        complete(d, s, c, t, 0);
        return;
    }
    if (o == O_NONE) {
        if (t->handshake == DFS__PID_NAK)
            note_nak(s, t);
        return;
    }
    if (t->token == DFS__PID_SETUP) {
        if (o == O_OK)
            on_setup(d, s, t, data, len);
        return;
    }
    struct dfs__usbll_ctl *c = find(s, t->addr);
    if (!c)
        return; /* the capture started after its SETUP */
    c->age = ++s->age;
    if (o == O_STALL) {
        complete(d, s, c, t, -DFS_LINUX_EPIPE);
        return;
    }
    bool in = t->token == DFS__PID_IN;
    bool data_stage = w_length(c) && !c->in_status && in == dir_in(c);
    if (!data_stage) {
        if (w_length(c) && !c->had_data && !c->in_status) {
            /* a data stage is never left out on the bus (USB 2.0 8.5.3):
             * the capture lacks its packets */
            struct dfs__usbll_txn none = *t;
            none.data_lost = false;
            lose_data(c, &none);
            c->lost_frame = t->first_frame;
        }
        c->in_status = true;
        complete(d, s, c, t, 0);
        return;
    }
    c->had_data = true;
    end_nak_run(c, t->first_ts);
    if (pid == (uint8_t)c->last_toggle)
        return; /* the same toggle again: a retry of data already kept */
    c->last_toggle = (int8_t)pid;
    if (c->lost) { /* after a lost packet the offsets are unknown: count only */
        uint32_t left = w_length(c) - c->len - c->lost_len;
        c->lost_len += len < left ? len : left;
        return;
    }
    uint32_t room = w_length(c) - c->len;
    uint32_t n = len < room ? len : room;
    memcpy(slot_data(s, c) + c->len, data, n);
    c->len += n;
    if (!dir_in(c) && c->len + c->lost_len == w_length(c))
        submit(d, s, c); /* the OUT data is all there */
}

void dfs__usbll_ctl_finish(dfs_decoder *d, struct dfs__usbll_state *s)
{
    for (unsigned i = 0; i < DFS__USBLL_CTL_SLOTS && !d->error; i++)
        if (s->ctl[i].used) {
            submit(d, s, &s->ctl[i]);
            s->ctl[i].used = false;
        }
}
