/* Stall and failure rules: a stall and dfuERROR that do not go together,
 * dfuERROR itself, an operation the device refused, a run-time interface
 * that stalls GETSTATUS. */
#include "finding_text.h"
#include "rules.h"

/* DFU 1.1 pairs a stalled request with dfuERROR/errSTALLEDPKT at the next
 * GETSTATUS, both ways. */
DFS__RULE(dfs__rule_stall_pairing)
{
    const struct dfs_dfu_txn *t = ev->t;
    if (ev->u.status.stall_pending && t->bState != DFS_STATE_ERROR) {
        struct dfs__frames fr = dfs__frame_pair(ev->u.status.stall_frame, t->frame);
        dfs__say_stall_without_error(d, ev->dev, &fr, ev->u.status.stall_req,
                                     ev->u.status.stall_frame, t);
    } else if (!ev->u.status.stall_pending && t->bState == DFS_STATE_ERROR &&
               t->bStatus == DFS_STATUS_ERR_STALLEDPKT && t->state_before != DFS_STATE_ERROR &&
               t->state_before != DFS_STATE_UNKNOWN && ev->u.status.last_req != DFS_DFU_GETSTATUS) {
        struct dfs__frames fr = dfs__frame_pair(ev->u.status.last_req_frame, t->frame);
        dfs__say_error_without_stall(d, ev->dev, &fr, ev->u.status.last_req,
                                     ev->u.status.last_req_frame, t);
    }
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
        dfs__say_operation_failed(d, ev->dev, &fr, pd, ev->t);
    ev->rules->error_reported = true;
}

static void say_error_state(dfs_decoder *d, const struct dfs__device *dev,
                            const struct dfs_dfu_txn *t)
{
    size_t len = 0;
    const uint8_t *raw = t->iString ? dfs__device_string(dev, t->iString, dev->langid, &len)
                                    : NULL;
    dfs__say_error_state(d, dev, t, raw, len);
}

/* dfuERROR, once until the interface leaves it. A session that opens in
 * dfuERROR/errFIRMWARE is a bootloader with no valid application: that waits
 * for the host's next request (dfs__rule_fw_request). */
DFS__RULE(dfs__rule_error_state)
{
    const struct dfs_dfu_txn *t = ev->t;
    struct dfs__if_rules *r = ev->rules;
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
    say_error_state(d, ev->dev, t);
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
    say_error_state(d, ev->dev, &r->fw_t);
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
            say_error_state(d, ev->dev, &r->fw_t);
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
    say_error_state(d, ev->dev, &r->fw_t);
}

DFS__RULE(dfs__rule_runtime_stall)
{
    dfs__say_runtime_getstatus_stall(d, ev->dev, ev->t);
}
