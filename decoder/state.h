/* The decoder's own state. Internal. */
#ifndef DFS_DECODER_STATE_H
#define DFS_DECODER_STATE_H

#include "internal.h"
#include "urb.h"

#define DFS__MAX_STRINGS 64     /* string descriptors kept per device */
#define DFS__MAX_BUSES 64
#define DFS__MAX_CONFIG 65535   /* wTotalLength is 16 bits */
#define DFS__MAX_IFACES 32
#define DFS__RATE_LIMIT 20      /* individual reports of one capture.* code */
#define DFS__MAX_LINKS 8        /* rows of the record-parser table (link.c) */

struct dfs__string {
    uint8_t index;
    uint16_t langid;
    uint8_t len;
    uint8_t bytes[255];
};

struct dfs__dfu_dev; /* the DFU layer's (dfu_layer.h) */

struct dfs__device {
    uint32_t id, lane, previous, successor;
    uint32_t link_candidate; /* an earlier instance this may continue, pending its serial */
    bool last_failed;        /* its last control transfer completed with an error */
    uint16_t bus;
    uint8_t devnum;
    bool mapped;            /* reachable through its bus/devnum */
    uint64_t first_frame, last_frame;
    struct dfs_time first_ts, last_ts;
    bool gone;
    uint64_t gone_frame;
    struct dfs_time gone_ts;
    uint8_t devdesc[DFS_DEVICE_DESC_LEN];
    uint8_t devdesc_len;
    bool identified;        /* VID:PID known */
    uint16_t vid, pid;
    uint8_t *config;
    size_t config_len;
    bool config_partial;
    uint8_t *bos;
    size_t bos_len;
    uint8_t qual[DFS_QUALIFIER_DESC_LEN];
    uint8_t qual_len;
    bool qual_stalled;
    struct dfs__string *strings; /* grown as needed, up to DFS__MAX_STRINGS */
    uint16_t n_strings, cap_strings;
    uint16_t langid;
    uint8_t configuration;
    uint8_t alt[DFS__MAX_IFACES];
    struct dfs__dfu_dev *dfu;
};

struct dfs__bus {
    uint16_t bus;
    bool used;
    struct dfs__device *by_addr[256];
    uint64_t first_paired_frame; /* 0 until a submit/complete pair was seen */
};

struct dfs__limited {
    uint64_t count;      /* occurrences */
    uint64_t first_frame, last_frame;
};

/* How a stage hands on what happens in the middle of its own work without
 * naming the stage after it: the dispatcher (dispatch.c) wires these when
 * the decoder is created. */
struct dfs__ports {
    /* record parsers: one URB event of a record (to pairing) */
    void (*urb)(dfs_decoder *d, struct dfs_urb *u);
    /* device stage: an instance changed (the stages above, then the sink) */
    void (*device_changed)(dfs_decoder *d, struct dfs__device *dev,
                           enum dfs_device_change change, uint64_t frame);
    /* device stage: does a stage above still wait on this instance? */
    bool (*device_held)(const struct dfs__device *dev);
    /* device stage: the instance is about to be forgotten; retire: it
     * re-enumerated and goes before the end of the capture, so the end
     * checks of the stages above run on it now */
    void (*device_dropped)(dfs_decoder *d, struct dfs__device *dev, bool retire);
};

struct dfs_decoder {
    struct dfs_options opt;
    struct dfs__ports ports;
    void *link_state[DFS__MAX_LINKS]; /* what each record parser keeps (link.c) */
    struct dfs_sink sink;
    struct dfs_stats stats;
    dfs_result error;
    char errmsg[256];
    bool finished;
    struct dfs__urb_table urbs;
    size_t payload_used;
    struct dfs__device **devs; /* oldest first */
    uint32_t n_devs, next_dev_id;
    struct dfs__bus buses[DFS__MAX_BUSES];
    uint32_t last_bus;
    struct dfs__limited limited[DFS_F__COUNT];
    /* completions without submit, for capture.starts-mid-transfer */
    struct dfs__frames unmatched_frames;
    uint64_t unmatched_at_start, unmatched_later;
    uint64_t cur_frame;
    struct dfs_time cur_ts;
    bool has_end;            /* dfs_decoder_capture_end() was called */
    struct dfs_time end_ts;
    bool retired_pending; /* a re-enumeration was linked: look for instances to forget */
};

/* Whether the end time given to the decoder (dfs_decoder_capture_end) is
 * later than the last record; and when the capture ended: that end time
 * if so, else the last record's time. */
static inline bool dfs__end_extends(const dfs_decoder *d)
{
    return d->has_end && d->stats.records && dfs__time_diff_us(d->end_ts, d->cur_ts) > 0;
}

static inline struct dfs_time dfs__capture_end_ts(const dfs_decoder *d)
{
    return dfs__end_extends(d) ? d->end_ts : d->cur_ts;
}

/* dispatch.c: wire the ports */
void dfs__dispatch_init(dfs_decoder *d);

/* pair.c: URB pairing. A submit: the slot of an outstanding URB with the
 * same id (reported; it will never complete), then the slot of the oldest
 * URB when the table is full (reported; dropped), each DFS__NONE when there
 * is none; then the submit is kept. A completion: the slot of its submit
 * (DFS__NONE for a submit or when not held), then matched or unmatched.
 * Release a slot when its URB is done with. */
uint32_t dfs__pair_reused(dfs_decoder *d, const struct dfs_urb *u);
uint32_t dfs__pair_evict(dfs_decoder *d, const struct dfs_urb *u);
void dfs__pair_submit(dfs_decoder *d, const struct dfs_urb *u);
uint32_t dfs__pair_find(const dfs_decoder *d, const struct dfs_urb *u);
void dfs__pair_matched(dfs_decoder *d, struct dfs_urb *u, uint32_t slot);
void dfs__pair_unmatched(dfs_decoder *d, const struct dfs_urb *u, bool bus_paired_before);
void dfs__pair_release(dfs_decoder *d, uint32_t slot);
/* End of capture: capture.starts-mid-transfer when completions went unpaired. */
void dfs__pair_report_unmatched(dfs_decoder *d);

/* device.c */
/* The first complete submit/completion pair of a bus (for
 * capture.starts-mid-transfer): note it; was there one? */
void dfs__bus_note_paired(dfs_decoder *d, uint16_t bus, uint64_t frame);
bool dfs__bus_paired_before(dfs_decoder *d, uint16_t bus);
/* The instance a URB belongs to: its submit's when paired, else the one at
 * its bus/devnum, or a new one (dfs__device_arrive) when there is none or
 * the one there has left and this submit starts an enumeration. NULL when
 * none can be tracked. */
struct dfs__device *dfs__device_of_urb(dfs_decoder *d, const struct dfs_urb *u, bool paired,
                                       uint32_t submit_device);
/* A control transfer completed (or failed to submit): remember whether it failed. */
void dfs__device_note_outcome(struct dfs__device *dev, const struct dfs_control *ctl);
/* A completion whose status says the device is gone (-ENODEV, -ESHUTDOWN). */
void dfs__device_check_gone(dfs_decoder *d, struct dfs__device *dev, const struct dfs_urb *u);
struct dfs__device *dfs__device_get(dfs_decoder *d, uint16_t bus, uint8_t devnum,
                                    bool create);
struct dfs__device *dfs__device_by_id(dfs_decoder *d, uint32_t id);
void dfs__device_touch(struct dfs__device *dev, uint64_t frame, struct dfs_time ts);
/* Mark a device as having left the bus; `why` says what shows it
 * (finding_text.h), for the usb.device-disconnected note. */
struct dfs__gone;
void dfs__device_mark_gone(dfs_decoder *d, struct dfs__device *dev, uint64_t frame,
                           struct dfs_time ts, const struct dfs__gone *why);
/* Standard-request bookkeeping for one completed control transfer. */
void dfs__device_on_control(dfs_decoder *d, const struct dfs_control *ctl);
void dfs__device_link(dfs_decoder *d, struct dfs__device *newer, struct dfs__device *older,
                      uint64_t frame);
void dfs__devices_free(dfs_decoder *d);
/* Forget the instances that left the bus and were linked to their
 * re-enumeration, beyond the DFS_DECODER_KEEP_RETIRED latest. Called
 * between records, when no device pointer is held. */
void dfs__devices_forget_retired(dfs_decoder *d);
/* A fresh instance at bus/devnum (the old one there, if any, is unmapped). */
struct dfs__device *dfs__device_new_at(dfs_decoder *d, uint16_t bus, uint8_t devnum);
/* The instance for a device first seen at bus/devnum: the one enumerating on
 * address 0 when this first record asks for the device descriptor (the
 * address was given without a SET_ADDRESS in the capture), else a new one. */
struct dfs__device *dfs__device_arrive(dfs_decoder *d, uint16_t bus, uint8_t devnum,
                                       bool reads_device_descriptor);
const uint8_t *dfs__device_string(const struct dfs__device *dev, uint8_t index, uint16_t langid,
                                  size_t *len);

#endif
