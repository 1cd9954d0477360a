/* URB pairing: each submit is kept (with a control transfer's setup packet
 * and OUT data) until the completion or submission error with its URB id
 * arrives on its bus. Memory is bounded: at most max_urbs outstanding URBs
 * (the oldest is dropped beyond that) and max_payload bytes of OUT data.
 * What cannot be paired is counted for capture.starts-mid-transfer. The
 * dispatcher turns a dropped or never completed control URB into a control
 * transfer; this stage only says which one it is. */
#include <string.h>

#include "finding_text.h"

uint32_t dfs__pair_reused(dfs_decoder *d, const struct dfs_urb *u)
{
    uint32_t s = dfs__urb_find(&d->urbs, u->bus, u->id);
    if (s == DFS__NONE)
        return s;
    uint64_t old_frame = d->urbs.slots[s].frame;
    if (dfs__limited(d, DFS_F_CAPTURE_URB_ID_REUSED, u->frame))
        dfs__say_urb_id_reused(d, u, old_frame);
    return s;
}

uint32_t dfs__pair_evict(dfs_decoder *d, const struct dfs_urb *u)
{
    if (d->urbs.count < d->urbs.cap)
        return DFS__NONE;
    uint32_t old = d->urbs.oldest;
    d->stats.urbs_evicted++;
    if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, u->frame))
        dfs__say_limit_urbs(d, u, d->urbs.cap, d->urbs.slots[old].frame);
    return old;
}

/* The OUT data of a control submit, within max_payload. */
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
            dfs__say_limit_payload(d, u, n, d->payload_used, d->opt.max_payload);
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

void dfs__pair_submit(dfs_decoder *d, const struct dfs_urb *u)
{
    uint32_t s = dfs__urb_insert(d, &d->urbs, u->bus, u->id);
    if (s == DFS__NONE) {
        dfs__nomem(d, "cannot keep an outstanding URB");
        return;
    }
    struct dfs__urb_slot *e = &d->urbs.slots[s];
    e->xfer_type = u->xfer_type;
    e->endpoint = u->endpoint;
    e->devnum = u->devnum;
    e->has_setup = u->has_setup && u->xfer_type == DFS_XFER_CONTROL;
    memcpy(e->setup, u->setup, 8);
    e->frame = u->frame;
    e->ts = u->ts;
    e->length = u->length;
    e->device = u->device;
    keep_payload(d, e, u);
}

uint32_t dfs__pair_find(const dfs_decoder *d, const struct dfs_urb *u)
{
    return u->type == DFS_URB_SUBMIT ? DFS__NONE : dfs__urb_find(&d->urbs, u->bus, u->id);
}

void dfs__pair_matched(dfs_decoder *d, struct dfs_urb *u, uint32_t s)
{
    u->link_frame = d->urbs.slots[s].frame;
    d->stats.urbs_paired++;
}

void dfs__pair_unmatched(dfs_decoder *d, const struct dfs_urb *u, bool bus_paired_before)
{
    d->stats.urbs_unmatched++;
    dfs__frames_add(&d->unmatched_frames, u->frame);
    if (bus_paired_before)
        d->unmatched_later++;
    else
        d->unmatched_at_start++;
}

void dfs__pair_more_payload(dfs_decoder *d, const struct dfs_urb *u, uint32_t slot)
{
    struct dfs__urb_slot *s = &d->urbs.slots[slot];
    if (!s->has_setup || (s->setup[0] & DFS_REQTYPE_DIR_IN) || !u->data_len)
        return;
    uint32_t n = u->data_len;
    if (u->data_len < u->len_cap)
        s->payload_partial = true;
    if (n > UINT32_MAX - s->payload_len || d->payload_used + n > d->opt.max_payload) {
        s->payload_partial = true;
        if (dfs__limited(d, DFS_F_CAPTURE_LIMIT, u->frame))
            dfs__say_limit_payload(d, u, n, d->payload_used, d->opt.max_payload);
        return;
    }
    uint8_t *p = dfs__realloc(d, s->payload, (size_t)s->payload_len + n);
    if (!p) {
        dfs__nomem(d, "cannot keep the OUT data of a control transfer");
        return;
    }
    memcpy(p + s->payload_len, u->data, n);
    s->payload = p;
    s->payload_len += n;
    d->payload_used += n;
}

void dfs__pair_release(dfs_decoder *d, uint32_t s)
{
    d->payload_used -= d->urbs.slots[s].payload_len;
    dfs__urb_remove(d, &d->urbs, s);
}

void dfs__pair_report_unmatched(dfs_decoder *d)
{
    if (!d->stats.urbs_unmatched)
        return;
    dfs__say_starts_mid_transfer(d, &d->unmatched_frames, d->stats.urbs_unmatched,
                                 d->unmatched_at_start, d->unmatched_later);
}
