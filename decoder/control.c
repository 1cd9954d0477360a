/* Control-transfer assembly: a control transfer rebuilt from its submit
 * (the outstanding URB slot, with the setup packet and the OUT data kept)
 * and its completion record, or from either alone when the other is not in
 * the capture; and the one rule about control transfers as such,
 * usb.transfer-cancelled. */
#include <string.h>

#include "control.h"
#include "finding_text.h"

static void setup_parse(const uint8_t *b, struct dfs_setup *s)
{
    s->bmRequestType = b[0];
    s->bRequest = b[1];
    s->wValue = dfs__le16(b + 2);
    s->wIndex = dfs__le16(b + 4);
    s->wLength = dfs__le16(b + 6);
}

void dfs__control_assemble(struct dfs_control *ctl, const struct dfs__urb_slot *slot,
                           const struct dfs_urb *c, enum dfs_ctl_end end)
{
    memset(ctl, 0, sizeof *ctl);
    ctl->end = end;
    if (slot) {
        ctl->device = slot->device;
        ctl->bus = slot->bus;
        ctl->devnum = slot->devnum;
        ctl->endpoint = slot->endpoint;
        ctl->urb_id = slot->id;
        ctl->submit_frame = slot->frame;
        ctl->submit_ts = slot->ts;
        if (slot->has_setup) {
            ctl->has_setup = true;
            setup_parse(slot->setup, &ctl->setup);
        }
    }
    if (c) {
        if (!slot) {
            ctl->device = c->device;
            ctl->bus = c->bus;
            ctl->devnum = c->devnum;
            ctl->endpoint = c->endpoint;
            ctl->urb_id = c->id;
        }
        ctl->complete_frame = c->frame;
        ctl->complete_ts = c->ts;
        if (!ctl->has_setup && c->has_setup && c->xfer_type == DFS_XFER_CONTROL) {
            ctl->has_setup = true; /* writers that repeat the setup in the completion */
            setup_parse(c->setup, &ctl->setup);
        }
        ctl->status = c->status;
        ctl->linktype = c->linktype;
        ctl->os_status = c->os_status;
        ctl->naks = c->naks;
        ctl->nak_us = c->nak_us;
        ctl->actual_length = c->length > c->data_len ? c->length : c->data_len;
    }
    bool in = ctl->has_setup ? (ctl->setup.bmRequestType & DFS_REQTYPE_DIR_IN) != 0
                             : (ctl->endpoint & DFS_ENDPOINT_DIR_IN) != 0;
    if (in) {
        if (c && c->type == DFS_URB_COMPLETE) {
            ctl->data = c->data;
            ctl->data_len = c->data_len;
            ctl->data_partial = c->data_len < ctl->actual_length;
        }
    } else if (slot && (slot->payload || slot->payload_partial)) {
        ctl->data = slot->payload;
        ctl->data_len = slot->payload_len;
        ctl->data_partial = slot->payload_partial;
    } else if (c && c->data_len) {
        ctl->data = c->data; /* OUT data repeated in the completion */
        ctl->data_len = c->data_len;
    }
}

void dfs__control_check_cancelled(dfs_decoder *d, const struct dfs_control *ctl)
{
    if (ctl->end != DFS_CTL_COMPLETED || !ctl->has_setup || ctl->dfu ||
        (ctl->status != -DFS_LINUX_ENOENT && ctl->status != -DFS_LINUX_ECONNRESET))
        return;
    dfs__say_transfer_cancelled(d, ctl);
}
