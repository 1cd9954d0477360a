/* State rules: requests and replies against the DFU 1.1 state diagram, the
 * values of states and statuses, block numbers and transfer sizes. */
#include "finding_text.h"
#include "rules.h"

/* dfu.state-violation or dfu.clrstatus-outside-error: a request the state
 * does not allow (GETSTATUS is allowed everywhere). Not for a request that
 * reached no device, nor in a state no one knows (after a failure). Known
 * quirks that explain it: R18 when the state was the dfuERROR assumed after
 * a STALL no GETSTATUS has confirmed (a device that keeps its state after a
 * STALL was not in it); R19 for a DNLOAD in dfuDNLOAD-SYNC (a device that
 * goes to dfuDNLOAD-IDLE by itself takes it). */
DFS__RULE(dfs__rule_request_state)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
    if (!ev->u.request.reached)
        return;
    bool after_stall = r && r->stall_unchecked;
    if (r)
        r->stall_unchecked = t->outcome == DFS_DFU_STALLED && t->request != DFS_DFU_GETSTATUS;
    if (t->state_before == DFS_STATE_UNKNOWN || ev->u.request.allowed ||
        t->request == DFS_DFU_GETSTATUS)
        return;
    if (t->request == DFS_DFU_CLRSTATUS) {
        dfs__say_clrstatus_outside_error(d, ev->dev, t);
        return;
    }
    uint32_t quirks = 0;
    if (after_stall && t->state_before == DFS_STATE_ERROR)
        quirks |= DFS__QUIRK_BIT(18);
    if (t->request == DFS_DFU_DNLOAD && t->state_before == DFS_STATE_DNLOAD_SYNC)
        quirks |= DFS__QUIRK_BIT(19);
    dfs__say_request_not_allowed(d, ev->dev, t, quirks);
}

/* once per interface */
DFS__RULE(dfs__rule_transfer_size)
{
    const struct dfs_dfu_txn *t = ev->t;
    uint16_t size = ev->u.request.transfer_size;
    if ((t->request != DFS_DFU_DNLOAD && t->request != DFS_DFU_UPLOAD) || !size ||
        !ev->u.request.reached ||
        size == 0xffff || t->wLength <= size || ev->rules->size_reported)
        return;
    ev->rules->size_reported = true;
    dfs__say_transfer_size_exceeded(d, ev->dev, t, size);
}

DFS__RULE(dfs__rule_block_sequence)
{
    const struct dfs_dfu_txn *t = ev->t;
    uint16_t block = ev->u.block.block, last = ev->u.block.last;
    if (ev->u.block.in_sequence && block != (uint16_t)(last + 1) && !ev->u.block.retry)
        dfs__say_block_sequence(d, ev->dev, ev->u.block.upload, block, last, t->frame);
    if (ev->u.block.dfuse_low)
        dfs__say_dfuse_block_number(d, ev->dev, t);
}

DFS__RULE(dfs__rule_status_values)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (t->bState <= DFS_STATE_ERROR && t->bStatus <= DFS_STATUS_ERR_STALLEDPKT)
        return;
    /* ST's middleware puts errSTALLEDPKT into bState after an UPLOAD (R16) */
    bool r16 = t->bState == DFS_STATUS_ERR_STALLEDPKT && ev->u.status.last_req == DFS_DFU_UPLOAD;
    dfs__say_bad_status_values(d, ev->dev, t, r16 ? DFS__QUIRK_BIT(16) : 0);
}

/* A reply state the diagram does not lead to (after a stall, dfuERROR is
 * the stall rules' to judge). */
DFS__RULE(dfs__rule_reply_state)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (t->state_before != DFS_STATE_UNKNOWN && t->bState <= DFS_STATE_ERROR &&
        !ev->u.status.stall_pending && !ev->u.status.reply_allowed)
        dfs__say_reply_not_allowed(d, ev->dev, t);
}

/* dfu.manifest-wait-reset: a device whose functional descriptor says
 * bitManifestationTolerant reports dfuMANIFEST-WAIT-RESET, the state DFU
 * 1.1 reserves for devices that are not (dfu-quirks R14: TinyUSB's DFU
 * class read the bit the wrong way round). Once per interface. */
DFS__RULE(dfs__rule_manifest_tolerance)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (t->bState != DFS_STATE_MANIFEST_WAIT_RESET || !ev->dd || !ev->rules ||
        ev->rules->manifest_reported)
        return;
    const struct dfs__dfu_if *f = NULL;
    for (unsigned i = 0; i < DFS__MAX_DFU_IFS && !f; i++)
        if (ev->dd->ifs[i].used && ev->dd->ifs[i].ifnum == t->interface)
            f = &ev->dd->ifs[i];
    if (!f || !f->has_func || !(f->func.bmAttributes & DFS_DFU_ATTR_MANIFEST_TOLERANT))
        return;
    ev->rules->manifest_reported = true;
    dfs__say_manifest_wait_reset(d, ev->dev, t, f->func.bmAttributes);
}

DFS__RULE(dfs__rule_getstate_value)
{
    if (ev->t->bState > DFS_STATE_ERROR)
        dfs__say_bad_getstate_value(d, ev->dev, ev->t);
}
