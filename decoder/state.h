/* The decoder's own state (struct dfs_decoder), the ports through which a
 * stage hands on what happens in the middle of its work, and the capture's
 * end. Internal; tests may include it. */
#ifndef DFS_DECODER_STATE_H
#define DFS_DECODER_STATE_H

#include "devices.h"
#include "internal.h"
#include "urb.h"

#define DFS__RATE_LIMIT 20 /* individual reports of one capture.* code */
#define DFS__MAX_LINKS 10   /* rows of the record-parser table (link.c) */
#define DFS__RULE_KINDS 32  /* room for the kinds of DFU-layer events (rules.h) */
#define DFS__RULE_ROWS 64   /* room for the rows of the rule table (rules.c) */
#define DFS__DEV_CACHE 8    /* device instances remembered by id (device.c) */

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
    /* device stage: the VID:PID and bcdDevice (-1: unknown) of an instance,
     * for the known-quirk notes of findings (finding.c); false when the
     * instance is not known or not identified */
    bool (*device_ids)(dfs_decoder *d, uint32_t id, uint16_t *vid, uint16_t *pid, int32_t *bcd);
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
    /* the instances last looked up by id, at id % DFS__DEV_CACHE: most
     * records are completions whose submit names its instance by id (a
     * mouse, a drive and a DFU device take turns); emptied when the
     * instance is destroyed (device.c) */
    struct dfs__device *dev_cache[DFS__DEV_CACHE];
    struct dfs__bus *buses[DFS__MAX_BUSES]; /* NULL until a record of the bus came */
    uint32_t last_bus;
    struct dfs__limited limited[DFS_F__COUNT];
    /* completions without submit, for capture.starts-mid-transfer */
    struct dfs__frames unmatched_frames;
    uint64_t unmatched_at_start, unmatched_later;
    uint64_t cur_frame;
    struct dfs_time cur_ts;
    int linktype;            /* of the last record: the system the capture comes from */
    size_t link_row;         /* its row in the record-parser table (link.c) */
    bool has_end;            /* dfs_decoder_capture_end() was called */
    struct dfs_time end_ts;
    bool retired_pending; /* a re-enumeration was linked: look for instances to forget */
    /* the rule table by event kind (rules.c, made at the first event): the
     * rows of kind k are rule_row[rule_at[k]] up to rule_row[rule_at[k + 1]] */
    bool rules_indexed;
    uint8_t rule_at[DFS__RULE_KINDS + 1];
    uint8_t rule_row[DFS__RULE_ROWS];
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

#endif
