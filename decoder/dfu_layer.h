/* The DFU layer: the last stage of the pipeline, fed by the dispatcher with
 * each control transfer and each device change. Internal.
 *
 *   dfu.c        entry points: per-device state, what to do with a control
 *                transfer or a device change, the end of the capture,
 *                dfs_decoder_dfu_info
 *   dfu_dev.c    the DFU state of a device: interfaces, alternate settings,
 *                what is pending
 *   dfu_class.c  which interfaces are DFU, and which flavour (DfuSe)
 *   dfu_desc.c   the functional descriptor and the alternate settings'
 *                names and DfuSe memory layouts
 *   dfu_state.c  the DFU 1.1 state machine: each request with its reply
 *   dfuse.c      DfuSe commands, addresses and memory operations
 *   rules*.c     the diagnosis, fed with typed events (rules.h)
 *
 * Later files never call earlier ones back: the rules are last, and read
 * only what their events hand them. */
#ifndef DFS_DECODER_DFU_LAYER_H
#define DFS_DECODER_DFU_LAYER_H

#include "dfuscope/dfuse.h"
#include "state.h"

#define DFS__MAX_DFU_IFS 4             /* DFU interfaces tracked per device */
#define DFS__MAX_ALTS DFS_DFU_MAX_ALTS /* alternate settings kept per device */
#define DFS__MAX_OUTSIDE 16            /* distinct out-of-layout accesses reported per interface */

/* One alternate setting of a DFU interface, with its name and layout. */
struct dfs__alt {
    uint8_t cfg;            /* the configuration it is in (descriptor index) */
    uint8_t ifnum, alt, proto, iInterface;
    bool named;
    char name[256];
    uint64_t name_frame;
    bool layout_ok;
    struct dfs_layout layout;
    char why[128];
};

enum dfs__pend_kind {
    DFS__PEND_NONE,
    DFS__PEND_CMD,      /* a DfuSe command (DNLOAD block 0) */
    DFS__PEND_WRITE,    /* a data block */
    DFS__PEND_LEAVE,    /* a DfuSe zero-length DNLOAD: jump to the address pointer */
    DFS__PEND_MANIFEST, /* a DFU 1.1 zero-length DNLOAD: manifestation */
};

/* An option-byte area: from the table of known chips, or an alternate
 * setting whose layout is named "Option Bytes". */
struct dfs__ob_ref {
    bool is;
    uint32_t start;
    uint64_t end;
    const char *families;              /* a known area: its chips (static) */
    char layout[DFS_LAYOUT_NAME_SIZE]; /* else: the layout's name ... */
    uint8_t alt;                       /* ... and its alternate setting */
};

/* What an acknowledged DNLOAD asked for; the next GETSTATUS executes it. */
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
    bool poll_stalled;           /* a GETSTATUS stalled while it was pending: perhaps
                                  * still busy (a later reply tells) */
    struct dfs__ob_ref ob;       /* set when the block writes option bytes */
};

/* What the rules remember about one interface (rules*.c). */
struct dfs__if_rules {
    uint8_t proto_reported, dup_reported;        /* rules_desc.c, a bit per configuration */
    bool size_reported, manifest_reported;       /* rules_state.c */
    bool error_reported;                         /* rules_fail.c */
    /* rules_fail.c: the last request that reached the device was a CLRSTATUS
     * it acknowledged outside a known dfuERROR (clr_last), and so was the
     * one before the current request (clr_before): its frame and the state
     * before it (a bState no DFU state when the GETSTATUS reply just before
     * reported one: the device did not say dfuERROR); shown_undefined, the
     * last request was a GETSTATUS whose reply reported no DFU state,
     * shown_state; shown_frame, the last GETSTATUS answered */
    bool clr_last, clr_before, shown_undefined;
    uint8_t clr_state, shown_state;
    uint64_t clr_frame, shown_frame;
    /* rules_state.c: the last request that reached the device was STALLed
     * (the dfuERROR assumed after it is not confirmed by a GETSTATUS yet) */
    bool stall_unchecked;
    /* rules_fail.c: the session opened in dfuERROR/errFIRMWARE; a note if the
     * host clears it with CLRSTATUS, dfu.error-state if anything else comes */
    bool fw_pending;
    struct dfs_dfu_txn fw_t;                     /* its GETSTATUS (data not kept) */
    /* rules_poll.c: dfuDNBUSY replies in a row with bwPollTimeout 0, and the
     * busy episode (from the first dfuDNBUSY reply to the first other one) */
    uint32_t zero_polls;
    uint64_t zero_first_frame;
    bool zero_reported;
    bool episode;
    uint64_t episode_frame;
    struct dfs_time episode_ts;
    uint32_t episode_polls, episode_max_poll;
    bool episode_ignored;
    bool episode_erase;  /* the episode began with a DfuSe erase pending */
    /* the GETSTATUS polls after the first dfuDNBUSY reply that the device
     * held (rules_poll.c), how long beyond what a host adds, and what the
     * capture shows of it: the NAKs and their time on a packet-level
     * capture, the time from submit to completion on the others */
    uint32_t episode_held;
    int64_t episode_held_us;
    uint32_t episode_naks;
    int64_t episode_wait_us;
    unsigned ignored_reports;
    /* rules_layout.c: the accesses outside the layout already reported */
    uint32_t outside[DFS__MAX_OUTSIDE];
    uint8_t outside_need[DFS__MAX_OUTSIDE];
    unsigned n_outside;
};

/* One DFU interface and its state machine. */
struct dfs__dfu_if {
    bool used;
    uint8_t ifnum;
    bool from_desc, runtime, confirmed;
    bool has_func;
    uint8_t desc_cfgs, func_cfgs; /* the configurations (a bit per descriptor index) that
                                   * have it as a DFU interface, and give it a functional
                                   * descriptor */
    struct dfs_desc_dfu_functional func;
    uint32_t xfer;
    bool xfer_inferred;
    bool dfuse, dfuse_known;
    /* Atmel FLIP protocol 1 (flip.c): the 64 KiB page selected, a start
     * command waiting for its zero-length DNLOAD, the range a read command
     * asked the next UPLOAD for */
    bool flip;
    uint8_t flip_page;
    bool flip_exit, flip_read;
    uint32_t flip_addr;
    uint8_t state;
    /* DfuSe address pointer */
    bool ptr_valid;
    uint32_t ptr;
    uint64_t ptr_frame;      /* the SET_ADDRESS command that set it */
    struct dfs__pending pend;
    /* the last dfuDNBUSY reply */
    bool busy;
    struct dfs_time busy_ts;
    uint32_t busy_poll;
    uint64_t busy_frame;
    /* block sequences, and the offsets of a DFU 1.1 image */
    bool dl_seq, ul_seq;
    uint16_t dl_last, ul_last;
    bool dl_last_ok;
    uint32_t dl_offset, ul_offset;
    /* the last request other than GETSTATUS and GETSTATE */
    uint8_t last_req;
    uint64_t last_req_frame;
    /* a stalled request: the next GETSTATUS should report dfuERROR */
    bool stall_pending;
    uint64_t stall_frame;
    uint8_t stall_req;
    struct dfs__if_rules rules;
};

enum dfs__lost_kind { DFS__LOST_NONE, DFS__LOST_OB, DFS__LOST_LEAVE, DFS__LOST_OTHER };

/* A request that failed while nothing yet shows whether the device stayed
 * (rules_lost.c): kept until later traffic, a disconnect, a return, or the
 * end of the capture says more. */
struct dfs__lost {
    enum dfs__lost_kind kind;
    bool left;               /* the device left (or went silent) */
    uint64_t req_frame, req_done_frame, fail_frame, fail_submit_frame, gone_frame;
    struct dfs_time fail_ts;
    int32_t status;          /* failing status; 1 = no answer */
    int linktype;            /* the failing completion's link type and */
    uint32_t os_status;      /* status as its system wrote it (struct dfs_control) */
    uint32_t addr, len;
    uint8_t ifnum, alt, state;
    uint8_t req;
    uint8_t prev_req;        /* the request before the failing GETSTATUS */
    uint64_t prev_frame;
    struct dfs__ob_ref ob;
    uint8_t reply_state;     /* for an answered leave */
    bool answered;
    bool busy_op;            /* a GETSTATUS stalled while an erase, a command or a
                              * write was pending: kept, the next reply may show it
                              * was busy (dfu-quirks.md R2) */
    uint32_t back_id;        /* the device instance that appeared afterwards */
    uint64_t back_frame;
    uint64_t stall_frame;    /* a later request the device STALLed: its own answer,
                              * so it was still there */
};

/* The DFU side of one device instance (struct dfs__device.dfu). */
struct dfs__dfu_dev {
    struct dfs__dfu_if ifs[DFS__MAX_DFU_IFS];
    struct dfs__alt *alts;          /* grown as the configuration needs, up to DFS__MAX_ALTS */
    unsigned n_alts, cap_alts;
    struct dfs__lost lost;          /* rules_lost.c */
    bool requested;                 /* a DFU class request was sent to it */
    uint64_t first_request_frame;
};

/* ---- entry points (dfu.c), for the dispatcher and the device stage ------------ */

void dfs__dfu_free(dfs_decoder *d);
/* Is this control transfer a DFU class request (to a DFU interface)? */
bool dfs__dfu_classify(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl);
void dfs__dfu_on_control(dfs_decoder *d, struct dfs__device *dev, const struct dfs_control *ctl);
void dfs__dfu_on_device(dfs_decoder *d, struct dfs__device *dev, enum dfs_device_change change,
                        uint64_t frame);
void dfs__dfu_finish(dfs_decoder *d);
void dfs__dfu_device_free(dfs_decoder *d, struct dfs__device *dev);
/* Does the DFU layer still wait on this instance (a failure whose outcome
 * depends on what comes back)? */
bool dfs__dfu_device_busy(const struct dfs__device *dev);
/* The instance is about to be forgotten: run its end-of-capture checks now. */
void dfs__dfu_device_retire(dfs_decoder *d, struct dfs__device *dev);

/* ---- the DFU state of a device (dfu_dev.c) ------------------------------------- */

struct dfs__dfu_dev *dfs__dfu_dev_get(dfs_decoder *d, struct dfs__device *dev, bool create);
void dfs__dfu_dev_free(dfs_decoder *d, struct dfs__device *dev);
/* The interface ifnum (a new one with create, while fewer than
 * DFS__MAX_DFU_IFS are tracked), or NULL. */
struct dfs__dfu_if *dfs__dfu_if_find(struct dfs__dfu_dev *dd, uint8_t ifnum, bool create);
/* Alternate setting alt of interface ifnum in configuration cfg (descriptor
 * index); with cfg DFS__ANY_CONFIG, in the first configuration that has it. */
#define DFS__ANY_CONFIG 0xff
struct dfs__alt *dfs__dfu_alt_find(const struct dfs__dfu_dev *dd, uint8_t cfg, uint8_t ifnum,
                                   uint8_t alt);
/* A new alternate setting (zeroed), or NULL: DFS__MAX_ALTS reached, or no
 * memory (then the decoder's error is DFS_E_NOMEM). */
struct dfs__alt *dfs__dfu_alt_add(dfs_decoder *d, struct dfs__dfu_dev *dd);
/* The alternate setting selected on interface ifnum (SET_INTERFACE), 0 when unknown. */
uint8_t dfs__dfu_cur_alt(const struct dfs__device *dev, uint8_t ifnum);
/* The alternate setting in use on interface ifnum when its layout parsed, else NULL. */
const struct dfs__alt *dfs__dfu_layout_alt(const struct dfs__dfu_dev *dd,
                                           const struct dfs__device *dev, uint8_t ifnum);
void dfs__dfu_pend_clear(dfs_decoder *d, struct dfs__dfu_if *f);

/* ---- interface classification (dfu_class.c) ------------------------------------- */

/* Is this setup packet shaped like a DFU class request (type, recipient,
 * direction, request number)? */
bool dfs__dfu_request_shape(const struct dfs_setup *s);
/* Does this GETSTATUS or GETSTATE get a reply only DFU gives? */
bool dfs__dfu_reply_pattern(const struct dfs_control *ctl);
/* What a configuration is: a DFU-mode interface, only other DFU interfaces
 * (run-time, or the protocol 0 some devices use), or none. */
enum dfs__dfu_config_kind { DFS__CONFIG_DFU_MODE, DFS__CONFIG_DFU_RUNTIME, DFS__CONFIG_NO_DFU };
enum dfs__dfu_config_kind dfs__dfu_config_kind(dfs_decoder *d, const uint8_t *config, size_t len);
/* The same for a device over its complete configurations: DFU mode when
 * one of them has a DFU-mode interface, and so on. */
enum dfs__dfu_config_kind dfs__dfu_device_kind(dfs_decoder *d, const struct dfs__device *dev);
/* Is interface ifnum a DFU interface of the configuration in use (when the
 * capture shows SET_CONFIGURATION), else of any complete configuration?
 * The configurations are searched once (dev->dfu_ifs), not per request.
 * Call only when dfs__device_config_in_use(dev) is not NULL. */
bool dfs__dfu_device_has_interface(dfs_decoder *d, struct dfs__device *dev, uint8_t ifnum);
/* The DFU interfaces of a configuration (dfs_desc_find_dfu): in buf when
 * they fit, else in an array allocated for them. v is NULL after an
 * allocation failure (the decoder's error is then DFS_E_NOMEM). */
struct dfs__dfu_list {
    struct dfs_dfu_interface *v;
    size_t n;
    struct dfs_dfu_interface buf[16];
};
void dfs__dfu_list_get(dfs_decoder *d, struct dfs__dfu_list *l, const uint8_t *config,
                       size_t len);
void dfs__dfu_list_free(dfs_decoder *d, struct dfs__dfu_list *l);
/* ST's DfuSe bootloader (0483:df11) speaks DfuSe whatever it announces. */
bool dfs__dfu_is_st_bootloader(const struct dfs__device *dev);
/* A DNLOAD of block 0 carrying a DfuSe command: the requests show DfuSe. */
bool dfs__dfu_looks_dfuse(const struct dfs_control *ctl);

/* ---- descriptors and layouts (dfu_desc.c) -------------------------------------- */

/* Configuration descriptor set `index` is complete: its DFU interfaces,
 * functional descriptors and alternate settings (and the names read before it). */
void dfs__dfu_parse_config(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                           uint8_t index, uint64_t frame);
/* A string descriptor arrived: the names (and DfuSe layouts) of the
 * alternate settings it names. */
void dfs__dfu_name_alts(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        const struct dfs_control *ctl);

/* ---- the DFU 1.1 state machine (dfu_state.c) ------------------------------------- */

/* One DFU class request with its reply, on interface f. */
void dfs__dfu_request(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                      struct dfs__dfu_if *f, const struct dfs_control *ctl);

/* ---- Atmel FLIP protocol 1 (flip.c) --------------------------------------------- */

/* A megaAVR FLIP bootloader (03eb and a product id of dfu-programmer's AVR
 * targets): DFU on its class 0/0/0 interface, command blocks in DNLOAD. */
bool dfs__flip_device(const struct dfs__device *dev);
/* A DNLOAD on a FLIP interface: its command block in t (flip_cmd, range). */
void dfs__flip_decode(const struct dfs__dfu_if *f, const struct dfs_control *ctl,
                      struct dfs_dfu_txn *t);
/* An acknowledged FLIP DNLOAD: what it changes of the interface (page,
 * start, read range), and the state after it from st, the state before. */
uint8_t dfs__flip_effect(struct dfs__dfu_if *f, struct dfs_dfu_txn *t, uint8_t st);
/* A FLIP UPLOAD: the memory it reads in t; the state after it. */
uint8_t dfs__flip_upload(struct dfs__dfu_if *f, struct dfs_dfu_txn *t, uint8_t st);

/* ---- DfuSe commands and memory operations (dfuse.c) ------------------------------ */

/* A DNLOAD: its DfuSe command or block address in t. Returns whether it
 * carries data (not a command). */
bool dfs__dfuse_dnload(const struct dfs__dfu_if *f, const struct dfs_control *ctl,
                       struct dfs_dfu_txn *t);
/* An UPLOAD: its DfuSe block address or GET_COMMANDS in t. */
void dfs__dfuse_upload(const struct dfs__dfu_if *f, struct dfs_dfu_txn *t);
/* An acknowledged DfuSe command: check where it points. */
void dfs__dfuse_command(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                        struct dfs__dfu_if *f, const struct dfs_dfu_txn *t);
/* An acknowledged data block at a DfuSe address: check where it writes,
 * and whether that is an option-byte area (pd->ob). */
void dfs__dfuse_write(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                      struct dfs__dfu_if *f, const struct dfs_dfu_txn *t);
/* An UPLOAD answered: the memory it read. */
void dfs__dfu_read(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                   struct dfs__dfu_if *f, const struct dfs_dfu_txn *t);
/* A DfuSe UPLOAD at a known address that the device STALLed: the read it
 * refused, checked against the layout. */
void dfs__dfuse_read_refused(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                             struct dfs__dfu_if *f, const struct dfs_dfu_txn *t);
/* The pending operation was executed (GETSTATUS): the address pointer, the
 * memory written or erased. */
void dfs__dfu_executed(dfs_decoder *d, struct dfs__device *dev, struct dfs__dfu_dev *dd,
                       struct dfs__dfu_if *f, const struct dfs_dfu_txn *t, bool failed);

#endif
