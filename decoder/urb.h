/* The URB stage: the table of outstanding URBs (urb.c) and URB pairing
 * (pair.c). Internal.
 *
 * Bounded table of outstanding URBs, keyed by (bus, URB id). O(1) insert,
 * lookup and removal; the oldest entry can be evicted when the table holds
 * cap URBs, so memory is bounded by capacity, never by capture size. The
 * table starts small and grows (doubling) as more URBs are outstanding at
 * once, up to cap: a decoder that sees few URBs in flight, as most do,
 * neither allocates nor clears room for cap of them. */
#ifndef DFS_DECODER_URB_H
#define DFS_DECODER_URB_H

#include "internal.h"

#define DFS__NONE UINT32_MAX

struct dfs__urb_slot {
    uint64_t id;
    uint32_t hash;     /* of (bus, id): where its index entry starts looking */
    uint16_t bus;
    bool used;
    uint8_t xfer_type, endpoint, devnum;
    bool has_setup;
    uint8_t setup[8];
    uint64_t frame;
    struct dfs_time ts;
    uint32_t length;   /* requested length */
    uint32_t device;
    uint8_t *payload;  /* OUT data of a control submit, or NULL */
    uint32_t payload_len;
    bool payload_partial;
    uint32_t older, newer; /* age list; free list uses `newer` */
};

struct dfs__urb_table {
    struct dfs__urb_slot *slots; /* slots_alloc of them, at most cap */
    uint32_t cap, count, slots_alloc;
    uint32_t *index;   /* hash -> slot, DFS__NONE when empty */
    /* the part of index in use: index_mask + 1 entries, doubled (and the
     * URBs held placed again) when half full, up to index_max; a small
     * index stays in the processor's nearest cache when few URBs are
     * outstanding, as they mostly are. index_alloc entries are allocated. */
    uint32_t index_mask, index_max, index_alloc;
    uint32_t free_head, oldest, newest;
    /* slots [fresh, cap) were never used: they are taken in order once the
     * free list of used and removed slots is empty (the slots array grows
     * when fresh reaches slots_alloc), so that the memory a table takes
     * follows the most URBs outstanding, not cap */
    uint32_t fresh;
};

dfs_result dfs__urb_table_init(dfs_decoder *d, struct dfs__urb_table *t, uint32_t cap);
void dfs__urb_table_free(dfs_decoder *d, struct dfs__urb_table *t);
void dfs__urb_table_clear(dfs_decoder *d, struct dfs__urb_table *t);
uint32_t dfs__urb_find(const struct dfs__urb_table *t, uint16_t bus, uint64_t id);
/* Caller ensures there is room (count < cap) and the key is not present.
 * DFS__NONE, the table unchanged, when the table had to grow and could not
 * (out of memory; the caller reports it). */
uint32_t dfs__urb_insert(dfs_decoder *d, struct dfs__urb_table *t, uint16_t bus, uint64_t id);
/* Frees the payload too. */
void dfs__urb_remove(dfs_decoder *d, struct dfs__urb_table *t, uint32_t slot);

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
/* A record with more OUT data of the control submit in the slot (USBPcap's
 * separate DATA stage): kept after what the submit brought, within
 * max_payload. */
void dfs__pair_more_payload(dfs_decoder *d, const struct dfs_urb *u, uint32_t slot);
/* End of capture: capture.starts-mid-transfer when completions went unpaired. */
void dfs__pair_report_unmatched(dfs_decoder *d);

/* The hand-off from the record parsers (usbmon.c, usbpcap.c, darwin.c) to
 * this stage. dfs__urb_record_usable, after rec was parsed (ps, msg): a
 * record that could not be read (SHORT, BAD) is counted as skipped and
 * reported, and is not usable; a DAMAGED one is counted and reported, and
 * what was read is usable unless the report stopped the decoder.
 * dfs__urb_hand_off: the URB read from rec, with rec's frame and time, to
 * URB pairing (through the dispatcher's port). */
bool dfs__urb_record_usable(dfs_decoder *d, const struct dfs_record *rec,
                            enum dfs__parse_status ps, const char *msg);
void dfs__urb_hand_off(dfs_decoder *d, const struct dfs_record *rec, struct dfs_urb *u);

#endif
