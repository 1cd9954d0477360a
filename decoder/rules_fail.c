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

/* dfuERROR, once until the interface leaves it. */
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
    size_t len = 0;
    const uint8_t *raw =
        t->iString ? dfs__device_string(ev->dev, t->iString, ev->dev->langid, &len) : NULL;
    dfs__say_error_state(d, ev->dev, t, raw, len);
    r->error_reported = true;
}

DFS__RULE(dfs__rule_error_cleared)
{
    (void)d;
    ev->rules->error_reported = false;
}

DFS__RULE(dfs__rule_runtime_stall)
{
    dfs__say_runtime_getstatus_stall(d, ev->dev, ev->t);
}
