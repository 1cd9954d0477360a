/* The diagnosis rules and the typed events they consume (dfu-facts.md 1-4;
 * the deviations of real devices and hosts they know: dfu-quirks.md).
 * Internal.
 *
 * The DFU layer raises an event where something a rule judges happens
 * (dfs__rules_raise); rules.c hands it to the rules that consume that kind
 * of event, in the order of its table. A rule reads the event, remembers
 * what it needs in its own memory (struct dfs__if_rules of the interface,
 * struct dfs__lost of the device) and reports through finding_text.c; it
 * never calls back into the state machine. One file per family of
 * findings:
 *   rules_desc.c    desc.*: descriptors and layout strings
 *   rules_state.c   requests and replies against the state diagram, block
 *                   numbers, transfer sizes, state values
 *   rules_poll.c    bwPollTimeout and busy time, unanswered requests,
 *                   erases without busy time
 *   rules_fail.c    stalls, dfuERROR, refused operations
 *   rules_lost.c    a device that failed and left: reset by option bytes,
 *                   by a leave, lost; or stayed: a rejection
 *   rules_layout.c  DfuSe addresses against the layout, option-byte writes */
#ifndef DFS_DECODER_RULES_H
#define DFS_DECODER_RULES_H

#include "dfu_layer.h"

enum dfs__ev {
    /* descriptors (dfu_desc.c, dfu.c) */
    DFS__EV_DESC_PROBLEM,   /* a descriptor of the configuration is malformed */
    DFS__EV_DFU_INTERFACE,  /* an alternate setting of a DFU interface in the configuration */
    DFS__EV_FUNCTIONAL,     /* a DFU functional descriptor */
    DFS__EV_CONFIG_PARSED,  /* the configuration was read */
    DFS__EV_ALT_NAMED,      /* an alternate setting's name arrived */
    DFS__EV_ALTS_FINAL,     /* no more names will come (end of capture, or the instance
                             * is forgotten): for each interface */
    /* requests (dfu_state.c, dfuse.c) */
    DFS__EV_REQUEST,        /* a DFU request, before its effect (t->state_before set) */
    DFS__EV_BLOCK,          /* a DNLOAD or UPLOAD block number */
    DFS__EV_ACCESS,         /* a DfuSe memory access at an address */
    DFS__EV_POLL,           /* a GETSTATUS while the device was busy */
    DFS__EV_STATUS,         /* a GETSTATUS reply, decoded into t */
    DFS__EV_EXECUTED,       /* the pending operation ended: done or refused */
    DFS__EV_ERASED,         /* ... and it was an erase (after its memory operation) */
    DFS__EV_LEAVE_ANSWERED, /* a DfuSe leave was answered: the device is about to jump */
    DFS__EV_STATE_REPORTED, /* the state a GETSTATUS reply reported, after its effects */
    DFS__EV_RUNTIME_STALL,  /* a run-time interface stalled GETSTATUS */
    DFS__EV_STATUS_FAILED,  /* a GETSTATUS failed: perhaps the device went away */
    DFS__EV_NO_DEVICE,      /* a GETSTATUS failed because the device is gone */
    DFS__EV_GETSTATE,       /* a GETSTATE reply, decoded into t */
    DFS__EV_CLEARED,        /* CLRSTATUS or ABORT acknowledged: back to dfuIDLE */
    /* the device (dfu.c) */
    DFS__EV_TRAFFIC,        /* a control transfer of the device completed normally */
    DFS__EV_DEVICE,         /* the device instance changed */
    DFS__EV_END,            /* the end of the capture, for each device */
    DFS__EV_COUNT
};

/* A request that failed, or a leave that was answered: what the device
 * was asked to do, for the device-lost rules. */
struct dfs__failure {
    enum dfs__lost_kind kind;
    const struct dfs_control *ctl;
    const struct dfs__pending *pd;
    uint8_t ifnum, state, alt;
    uint8_t last_req;       /* the request before, and its frame */
    uint64_t last_req_frame;
    bool busy_op;           /* a stalled GETSTATUS, with an erase, a command or a write
                             * kept pending: the device may have been busy */
};

struct dfs__dfu_event {
    enum dfs__ev kind;
    struct dfs__device *dev;
    struct dfs__dfu_dev *dd;      /* its DFU state: alternate settings, the rules' memory */
    struct dfs__if_rules *rules;  /* what the rules remember about the interface, or NULL */
    const struct dfs_dfu_txn *t;  /* requests: the transaction so far */
    uint64_t frame;               /* the frame it happens at */
    uint8_t cfg;                  /* descriptor events: the configuration's descriptor index */
    uint8_t config;               /* ... and its bConfigurationValue for a finding to name, 0
                                   * when the device has one configuration (set by raise) */
    union {
        /* DESC_PROBLEM: walk_stopped, the rest of the configuration cannot be walked */
        struct {
            const struct dfs_desc_problem *pr;
            bool walk_stopped;
        } problem;
        /* DFU_INTERFACE */
        const struct dfs_desc_interface *iface;
        /* ALTS_FINAL: the interface */
        uint8_t ifnum;
        /* FUNCTIONAL */
        struct {
            uint8_t ifnum;
            const struct dfs_desc_dfu_functional *desc;
        } functional;
        /* ALT_NAMED: parsed, the name was taken for a DfuSe layout */
        struct {
            const struct dfs__alt *alt;
            bool parsed;
        } named;
        /* REQUEST: allowed by the state diagram; reached, the request
         * may have reached the device (not when it completed with -ENODEV
         * or -ESHUTDOWN, or never completed: no finding about the device
         * or the protocol comes from such a request); transfer_size of the
         * functional descriptor (0: none); wait_us, how long the request
         * waited (-1: unknown) */
        struct {
            bool allowed, reached;
            uint16_t transfer_size;
            int64_t wait_us;
            uint64_t submit_frame, complete_frame;
        } request;
        /* BLOCK: in_sequence, a sequence of blocks is under way (last is its
         * last block; retry, the last DNLOAD failed); dfuse_low, DfuSe data
         * in block 0 or 1 */
        struct {
            bool upload, in_sequence, retry, dfuse_low;
            uint16_t block, last;
        } block;
        /* ACCESS: need, what the access needs (DFS_MEM_READABLE for a read,
         * ..._WRITABLE, ..._ERASABLE); in_use, the alternate setting in use
         * when its layout parsed; ob, the option-byte area a write falls in;
         * refused, the device STALLed the request (len is what was asked) */
        struct {
            bool refused;
            uint8_t need, ifnum;
            uint32_t addr, len;
            const struct dfs__alt *in_use;
            const struct dfs__ob_ref *ob;
            uint64_t ptr_frame;
        } access;
        /* POLL: early, before the last dfuDNBUSY reply's bwPollTimeout */
        struct {
            bool early;
            uint64_t busy_frame;
        } poll;
        /* STATUS */
        struct {
            bool reply_allowed;   /* the state diagram leads from t->state_before to bState */
            bool stall_pending;   /* a request was stalled: dfuERROR is due */
            uint8_t stall_req, last_req;
            uint64_t stall_frame, last_req_frame;
        } status;
        /* EXECUTED, ERASED */
        struct {
            const struct dfs__pending *pd;
            bool failed;
        } exec;
        /* STATUS_FAILED, LEAVE_ANSWERED */
        struct dfs__failure failure;
        /* TRAFFIC */
        const struct dfs_control *ctl;
        /* DEVICE */
        enum dfs_device_change change;
    } u;
};

/* rules.c: hand an event to the rules that consume it. */
void dfs__rules_raise(dfs_decoder *d, const struct dfs__dfu_event *ev);

/* rules_lost.c: is a failure of this device waiting for what comes next? */
bool dfs__lost_pending(const struct dfs__dfu_dev *dd);

/* The rules, by family, for rules.c's table. */
#define DFS__RULE(name) void name(dfs_decoder *d, const struct dfs__dfu_event *ev)
/* rules_desc.c */
DFS__RULE(dfs__rule_desc_problem);
DFS__RULE(dfs__rule_dfu_protocol);
DFS__RULE(dfs__rule_dfu_version);
DFS__RULE(dfs__rule_functional_transfer_size);
DFS__RULE(dfs__rule_functional_missing);
DFS__RULE(dfs__rule_layout_invalid);
DFS__RULE(dfs__rule_duplicate_layouts);
DFS__RULE(dfs__rule_duplicate_layouts_final);
/* rules_state.c */
DFS__RULE(dfs__rule_request_state);
DFS__RULE(dfs__rule_transfer_size);
DFS__RULE(dfs__rule_block_sequence);
DFS__RULE(dfs__rule_status_values);
DFS__RULE(dfs__rule_reply_state);
DFS__RULE(dfs__rule_manifest_tolerance);
DFS__RULE(dfs__rule_getstate_value);
/* rules_poll.c */
DFS__RULE(dfs__rule_request_timeout);
DFS__RULE(dfs__rule_poll_early);
DFS__RULE(dfs__rule_busy);
DFS__RULE(dfs__rule_erase_instant);
/* rules_fail.c */
DFS__RULE(dfs__rule_stall_pairing);
DFS__RULE(dfs__rule_operation_failed);
DFS__RULE(dfs__rule_clrstatus_seen);
DFS__RULE(dfs__rule_dnload_stall);
DFS__RULE(dfs__rule_error_state);
DFS__RULE(dfs__rule_error_cleared);
DFS__RULE(dfs__rule_fw_request);
DFS__RULE(dfs__rule_fw_end);
DFS__RULE(dfs__rule_runtime_stall);
/* rules_lost.c */
DFS__RULE(dfs__rule_lost_traffic);
DFS__RULE(dfs__rule_lost_leave);
DFS__RULE(dfs__rule_lost_failure);
DFS__RULE(dfs__rule_lost_status);
DFS__RULE(dfs__rule_lost_no_device);
DFS__RULE(dfs__rule_lost_device);
DFS__RULE(dfs__rule_lost_end);
/* rules_host.c */
DFS__RULE(dfs__rule_enumeration_missing);
DFS__RULE(dfs__rule_never_opened);
/* rules_layout.c */
DFS__RULE(dfs__rule_outside_layout);
DFS__RULE(dfs__rule_ob_offset_write);

#endif
