/* The control-transfer stage (control.c). Internal. */
#ifndef DFS_DECODER_CONTROL_H
#define DFS_DECODER_CONTROL_H

#include "urb.h"

/* Rebuild a control transfer from its submit slot and/or its completion
 * (either may be NULL); `end` says which of the two the capture holds.
 * ctl->dfu is left false: classifying the request is the DFU layer's. */
void dfs__control_assemble(struct dfs_control *ctl, const struct dfs__urb_slot *slot,
                           const struct dfs_urb *c, enum dfs_ctl_end end);

/* usb.transfer-cancelled: a completed standard or class request (not a DFU
 * one: the DFU layer says more about those) that the host killed or
 * unlinked. */
void dfs__control_check_cancelled(dfs_decoder *d, const struct dfs_control *ctl);

#endif
