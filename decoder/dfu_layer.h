/* The DFU layer's state: per device instance, its DFU interfaces (each
 * with its DFU state machine), their alternate settings with their names
 * and memory layouts, and what the rules remember. Internal. */
#ifndef DFS_DECODER_DFU_LAYER_H
#define DFS_DECODER_DFU_LAYER_H

#include "dfuscope/dfuse.h"
#include "state.h"

#define DFS__MAX_DFU_IFS 4  /* DFU interfaces tracked per device */
#define DFS__MAX_ALTS DFS_DFU_MAX_ALTS /* alternate settings kept per device */
#define DFS__MAX_OUTSIDE 16   /* distinct out-of-layout accesses reported per interface */

struct dfs__alt {
    uint8_t ifnum, alt, proto, iInterface;
    bool named;
    char name[256];
    uint64_t name_frame;
    bool layout_ok;
    bool layout_tried;
    struct dfs_layout layout;
    char why[128];
};

enum dfs__pend_kind { DFS__PEND_NONE, DFS__PEND_CMD, DFS__PEND_WRITE, DFS__PEND_LEAVE, DFS__PEND_MANIFEST };

/* An option-byte area: from the table of known chips, or an alternate
 * setting whose layout is named "Option Bytes". */
struct dfs__ob_ref {
    bool is;
    uint32_t start;
    uint64_t end;
    char what[DFS_LAYOUT_NAME_SIZE + 32]; /* "\"NAME\" of alternate setting N" */
};

struct dfs__pending {
    enum dfs__pend_kind kind;
    uint8_t cmd;
    bool mass;
    bool has_addr;
    uint32_t addr, len;
    uint16_t block;
    uint8_t alt;
    uint64_t frame, done_frame; /* the request's submit and completion */
    struct dfs_time ts;
    uint8_t *data;
    uint32_t data_len;
    bool busy_seen;
    struct dfs__ob_ref ob;       /* set when the block writes option bytes */
};

struct dfs__dfu_if {
    bool used;
    uint8_t ifnum;
    bool from_desc, runtime, confirmed;
    bool has_func;
    struct dfs_desc_dfu_functional func;
    uint32_t xfer;
    bool xfer_inferred;
    bool dfuse, dfuse_known;
    uint8_t state;
    bool ptr_valid;
    uint32_t ptr;
    uint64_t ptr_frame;      /* the SET_ADDRESS command that set it */
    struct dfs__pending pend;
    /* busy replies */
    bool busy;
    struct dfs_time busy_ts;
    uint32_t busy_poll;
    uint64_t busy_frame;
    uint32_t zero_polls;
    uint64_t zero_first_frame;
    bool zero_reported;
    bool episode;
    uint64_t episode_frame;
    struct dfs_time episode_ts;
    uint32_t episode_polls, episode_max_poll;
    bool episode_ignored;
    unsigned ignored_reports;
    /* sequences */
    bool dl_seq, ul_seq;
    uint16_t dl_last, ul_last;
    bool dl_last_ok;
    uint32_t dl_offset, ul_offset;
    /* last request */
    uint8_t last_req;
    uint64_t last_req_frame;
    /* stall pairing */
    bool stall_pending;
    uint64_t stall_frame;
    uint8_t stall_req;
    bool error_reported;
    bool size_reported;
    bool proto_reported;
    uint32_t outside[DFS__MAX_OUTSIDE];
    uint8_t outside_need[DFS__MAX_OUTSIDE];
    unsigned n_outside;
};

enum dfs__lost_kind { DFS__LOST_NONE, DFS__LOST_OB, DFS__LOST_LEAVE, DFS__LOST_OTHER };

struct dfs__lost {
    enum dfs__lost_kind kind;
    bool left;               /* the device left (or went silent) */
    uint64_t req_frame, req_done_frame, fail_frame, fail_submit_frame, gone_frame;
    struct dfs_time fail_ts;
    int32_t status;          /* failing status; 0 = answered (leave) */
    uint32_t addr, len;
    uint8_t ifnum, alt, state;
    uint8_t req;
    uint8_t prev_req;        /* the request before the failing GETSTATUS */
    uint64_t prev_frame;
    struct dfs__ob_ref ob;
    uint8_t reply_state;     /* for an answered leave */
    bool answered;
    uint32_t back_id;        /* the device instance that appeared afterwards */
    uint64_t back_frame;
};

struct dfs__dfu_dev {
    struct dfs__dfu_if ifs[DFS__MAX_DFU_IFS];
    struct dfs__alt *alts;          /* grown as the configuration needs, up to DFS__MAX_ALTS */
    unsigned n_alts, cap_alts;
    bool config_parsed;
    bool dup_reported[DFS__MAX_DFU_IFS];
    struct dfs__lost lost;
};

#endif
