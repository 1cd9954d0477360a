/* Which rules consume which event, in the order they run: the catalogue of
 * the DFU diagnosis. A new rule is a function in the file of its family and
 * a row here; rules of one event run in the order of their rows, which is
 * the order their findings come out. */
#include <string.h>

#include "rules.h"

static const struct {
    enum dfs__ev kind;
    void (*rule)(dfs_decoder *d, const struct dfs__dfu_event *ev);
} table[] = {
    /* descriptors */
    {DFS__EV_DESC_PROBLEM, dfs__rule_desc_problem},
    {DFS__EV_DFU_INTERFACE, dfs__rule_dfu_protocol},
    {DFS__EV_FUNCTIONAL, dfs__rule_dfu_version},
    {DFS__EV_FUNCTIONAL, dfs__rule_functional_transfer_size},
    {DFS__EV_CONFIG_PARSED, dfs__rule_functional_missing},
    {DFS__EV_ALT_NAMED, dfs__rule_layout_invalid},
    {DFS__EV_ALT_NAMED, dfs__rule_duplicate_layouts},
    {DFS__EV_ALTS_FINAL, dfs__rule_duplicate_layouts_final},
    {DFS__EV_ALTS_FINAL, dfs__rule_fw_end},
    /* requests and replies */
    {DFS__EV_REQUEST, dfs__rule_clrstatus_seen},
    {DFS__EV_REQUEST, dfs__rule_fw_request},
    {DFS__EV_REQUEST, dfs__rule_request_state},
    {DFS__EV_REQUEST, dfs__rule_transfer_size},
    {DFS__EV_REQUEST, dfs__rule_dnload_stall},
    {DFS__EV_REQUEST, dfs__rule_request_timeout},
    {DFS__EV_BLOCK, dfs__rule_block_sequence},
    {DFS__EV_ACCESS, dfs__rule_outside_layout},
    {DFS__EV_ACCESS, dfs__rule_ob_offset_write},
    {DFS__EV_POLL, dfs__rule_poll_early},
    {DFS__EV_STATUS, dfs__rule_lost_status},
    {DFS__EV_STATUS, dfs__rule_status_values},
    {DFS__EV_STATUS, dfs__rule_reply_state},
    {DFS__EV_STATUS, dfs__rule_manifest_tolerance},
    {DFS__EV_STATUS, dfs__rule_stall_pairing},
    {DFS__EV_STATUS, dfs__rule_busy},
    {DFS__EV_EXECUTED, dfs__rule_operation_failed},
    {DFS__EV_ERASED, dfs__rule_erase_instant},
    {DFS__EV_LEAVE_ANSWERED, dfs__rule_lost_leave},
    {DFS__EV_STATE_REPORTED, dfs__rule_error_state},
    {DFS__EV_RUNTIME_STALL, dfs__rule_runtime_stall},
    {DFS__EV_STATUS_FAILED, dfs__rule_lost_failure},
    {DFS__EV_NO_DEVICE, dfs__rule_lost_no_device},
    {DFS__EV_GETSTATE, dfs__rule_getstate_value},
    {DFS__EV_CLEARED, dfs__rule_error_cleared},
    /* the device */
    {DFS__EV_TRAFFIC, dfs__rule_lost_traffic},
    {DFS__EV_DEVICE, dfs__rule_lost_device},
    {DFS__EV_END, dfs__rule_lost_end},
    {DFS__EV_END, dfs__rule_enumeration_missing},
    {DFS__EV_END, dfs__rule_never_opened},
};

_Static_assert(DFS__EV_COUNT <= DFS__RULE_KINDS, "DFS__RULE_KINDS too small");
_Static_assert(sizeof table / sizeof table[0] <= DFS__RULE_ROWS, "DFS__RULE_ROWS too small");

/* The rows of each kind in table order (a counting sort), so that an event
 * calls its own rules without scanning the others' rows. */
static void index_rules(dfs_decoder *d)
{
    const size_t rows = sizeof table / sizeof table[0];
    uint8_t next[DFS__RULE_KINDS] = {0};
    memset(d->rule_at, 0, sizeof d->rule_at);
    for (size_t i = 0; i < rows; i++)
        d->rule_at[table[i].kind + 1]++;
    for (size_t k = 0; k < DFS__RULE_KINDS; k++) {
        d->rule_at[k + 1] = (uint8_t)(d->rule_at[k + 1] + d->rule_at[k]);
        next[k] = d->rule_at[k];
    }
    for (size_t i = 0; i < rows; i++)
        d->rule_row[next[table[i].kind]++] = (uint8_t)i;
    d->rules_indexed = true;
}

void dfs__rules_raise(dfs_decoder *d, const struct dfs__dfu_event *ev)
{
    if (!d->rules_indexed)
        index_rules(d);
    if ((unsigned)ev->kind >= DFS__EV_COUNT)
        return;
    for (unsigned j = d->rule_at[ev->kind]; j < d->rule_at[ev->kind + 1]; j++)
        table[d->rule_row[j]].rule(d, ev);
}
