/* Stall and failure rules: a stall and dfuERROR that do not go together,
 * dfuERROR itself, an operation the device refused, a DNLOAD it stalled, a
 * run-time interface that stalls GETSTATUS. */
#include "dfuscope/quirks.h"
#include "finding_text.h"
#include "rules.h"

/* DFU 1.1 pairs a stalled request with dfuERROR/errSTALLEDPKT at the next
 * GETSTATUS, both ways. dfuERROR/errSTALLEDPKT without a STALL is proven
 * only when a DFU request (not GETSTATUS or GETSTATE) reached the device
 * since the last GETSTATUS reply and was acknowledged: with nothing but
 * GETSTATUS since the device last told a state other than dfuERROR, the
 * request it stalled is one this rule does not see (a standard or vendor
 * request, or another interface's: DFU 1.1's errSTALLEDPKT is "device
 * stalled an unexpected request", any request), so no deviation is shown;
 * dfu.error-state reports the dfuERROR. */
DFS__RULE(dfs__rule_stall_pairing)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (ev->u.status.stall_pending && t->bState != DFS_STATE_ERROR) {
        struct dfs__frames fr = dfs__frame_pair(ev->u.status.stall_frame, t->frame);
        dfs__say_stall_without_error(d, ev->dev, &fr, ev->u.status.stall_req,
                                     ev->u.status.stall_frame, t);
    } else if (!ev->u.status.stall_pending && t->bState == DFS_STATE_ERROR &&
               t->bStatus == DFS_STATUS_ERR_STALLEDPKT && t->state_before != DFS_STATE_ERROR &&
               t->state_before != DFS_STATE_UNKNOWN &&
               ev->u.status.last_req_frame > ev->rules->shown_frame) {
        struct dfs__frames fr = dfs__frame_pair(ev->u.status.last_req_frame, t->frame);
        dfs__say_error_without_stall(d, ev->dev, &fr, ev->u.status.last_req,
                                     ev->u.status.last_req_frame, t);
    }
}

/* Zephyr with MCUboot takes downloads on alt 1 only: on alt 0 the write
 * ends in dfuERROR/errWRITE (dfu-quirks R29). */
static uint32_t write_alt0(const struct dfs_dfu_txn *t)
{
    return t->alt == 0 && t->bStatus == DFS_STATUS_ERR_WRITE ? DFS__QUIRK_BIT(29) : 0;
}

/* The pending write, erase or command was refused (dfuERROR, or a status
 * other than OK); the dfuERROR that says so is not reported again. */
DFS__RULE(dfs__rule_operation_failed)
{
    const struct dfs__pending *pd = ev->u.exec.pd;
    if (!ev->u.exec.failed)
        return;
    struct dfs__frames fr = dfs__frame_pair(pd->frame, ev->t->frame);
    if (pd->ob.is)
        dfs__say_option_bytes_rejected(d, ev->dev, &fr, pd, ev->t);
    else
        dfs__say_operation_failed(d, ev->dev, &fr, pd, ev->t, write_alt0(ev->t));
    ev->rules->error_reported = true;
}

/* The first family of the quirk table the device belongs to that shows
 * quirk `id`, or NULL. */
static const struct dfs_quirk_family *family_with(const struct dfs__device *dev, unsigned id)
{
    if (!dev->identified)
        return NULL;
    int32_t bcd = dev->devdesc_len >= 14 ? (int32_t)dfs__le16(dev->devdesc + 12) : -1;
    const struct dfs_quirk_family *fam[8];
    size_t n = dfs_quirk_match(dev->vid, dev->pid, bcd, fam, sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < n && i < sizeof fam / sizeof fam[0]; i++)
        if (dfs_quirk_family_has(fam[i], id))
            return fam[i];
    return NULL;
}

/* The CLRSTATUS before a request: was the request that reached the device
 * before it a CLRSTATUS the device acknowledged outside a known dfuERROR?
 * Outside: in a state other than dfuERROR, or one no one knows, or right
 * after a GETSTATUS reply with no DFU state (the decoder kept the dfuERROR
 * of a STALL, but the device did not say so). Runs before the rules of the
 * request that read it. */
DFS__RULE(dfs__rule_clrstatus_seen)
{
    (void)d;
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
    if (!r || !ev->u.request.reached)
        return;
    r->clr_before = r->clr_last;
    r->clr_last = t->request == DFS_DFU_CLRSTATUS && t->outcome == DFS_DFU_ACK &&
                  (t->state_before != DFS_STATE_ERROR || r->shown_undefined);
    if (r->clr_last) {
        r->clr_frame = t->frame;
        r->clr_state = r->shown_undefined ? r->shown_state : t->state_before;
    }
    r->shown_undefined = false;
}

/* dfu.dnload-stall: the device STALLed a DNLOAD with data (not longer than
 * wTransferSize: that is dfu.transfer-size-exceeded) either in a state
 * where DFU 1.1 allows one, dfuIDLE or dfuDNLOAD-IDLE, or right after a
 * CLRSTATUS it acknowledged outside a known dfuERROR with no GETSTATUS
 * since: then the state is unknown, and ST's middleware is in dfuERROR
 * (dfu-quirks R15). Not for a request that reached no device, nor in a
 * state no one knows (after a failure), nor on FLIP's own protocol. */
DFS__RULE(dfs__rule_dnload_stall)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
    if (!r || !ev->u.request.reached)
        return;
    bool after_clr = r->clr_before;
    if (t->request != DFS_DFU_DNLOAD || t->outcome != DFS_DFU_STALLED || !t->wLength || t->flip)
        return;
    uint16_t size = ev->u.request.transfer_size;
    if (size && size != 0xffff && t->wLength > size)
        return;
    if (!after_clr && t->state_before != DFS_STATE_DFU_IDLE &&
        t->state_before != DFS_STATE_DNLOAD_IDLE)
        return;
    struct dfs__frames fr = dfs__frame_pair(after_clr ? r->clr_frame : 0, t->frame);
    struct dfs__clr_before clr = {.frame = after_clr ? r->clr_frame : 0,
                                  .state = r->clr_state,
                                  .r15 = after_clr ? family_with(ev->dev, 15) : NULL};
    dfs__say_dnload_stall(d, ev->dev, &fr, t, size, &clr);
}

/* dfu.error-state, with the quirks its context shows: R15 when the request
 * just before the GETSTATUS was a CLRSTATUS the device acknowledged outside
 * dfuERROR and the status is errUNKNOWN (what ST's middleware sets); R29
 * for errWRITE on alt 0. */
static void say_error_state(dfs_decoder *d, const struct dfs__device *dev,
                            const struct dfs_dfu_txn *t, bool after_clr)
{
    size_t len = 0;
    const uint8_t *raw = t->iString ? dfs__device_string(dev, t->iString, dev->langid, &len)
                                    : NULL;
    uint32_t quirks = write_alt0(t);
    if (after_clr && t->bStatus == DFS_STATUS_ERR_UNKNOWN)
        quirks |= DFS__QUIRK_BIT(15);
    dfs__say_error_state(d, dev, t, raw, len, quirks);
}

/* dfuERROR, once until the interface leaves it. A session that opens in
 * dfuERROR/errFIRMWARE is a bootloader with no valid application: that waits
 * for the host's next request (dfs__rule_fw_request). */
DFS__RULE(dfs__rule_error_state)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
    r->shown_state = t->bState;
    r->shown_undefined = t->bState > DFS_STATE_ERROR;
    r->shown_frame = t->frame;
    if (t->bState != DFS_STATE_ERROR) {
        r->error_reported = false;
        return;
    }
    if (r->error_reported)
        return;
    r->error_reported = true;
    if (t->state_before == DFS_STATE_UNKNOWN && t->bStatus == DFS_STATUS_ERR_FIRMWARE) {
        r->fw_pending = true;
        r->fw_t = *t;
        r->fw_t.data = NULL;
        r->fw_t.data_len = 0;
        return;
    }
    say_error_state(d, ev->dev, t, r->clr_before);
}

/* After a session opened in errFIRMWARE: GETSTATUS and CLRSTATUS are what a
 * host sends to clear it; any other request leaves the dfuERROR unexplained. */
DFS__RULE(dfs__rule_fw_request)
{
    struct dfs__if_rules *r = ev->rules;
    if (!r->fw_pending || ev->t->request == DFS_DFU_GETSTATUS ||
        ev->t->request == DFS_DFU_CLRSTATUS)
        return;
    r->fw_pending = false;
    say_error_state(d, ev->dev, &r->fw_t, false);
}

DFS__RULE(dfs__rule_error_cleared)
{
    struct dfs__if_rules *r = ev->rules;
    r->error_reported = false;
    if (r->fw_pending) {
        r->fw_pending = false;
        if (ev->t->request == DFS_DFU_CLRSTATUS)
            dfs__say_no_valid_application(d, ev->dev, &r->fw_t, ev->t->frame);
        else
            say_error_state(d, ev->dev, &r->fw_t, false);
    }
}

/* The capture ended (or the instance was forgotten) before the host cleared
 * an opening errFIRMWARE: it is reported as it stands. */
DFS__RULE(dfs__rule_fw_end)
{
    struct dfs__if_rules *r = ev->rules;
    if (!r || !r->fw_pending)
        return;
    r->fw_pending = false;
    say_error_state(d, ev->dev, &r->fw_t, false);
}

DFS__RULE(dfs__rule_runtime_stall)
{
    dfs__say_runtime_getstatus_stall(d, ev->dev, ev->t);
}
