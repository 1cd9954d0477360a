/* dfuscope Wireshark plugin: what the decoder said about each frame.
 *
 * A decoder sink that keeps, per frame number, the DFU transactions, DfuSe
 * layouts, device events and findings the decoder reported, so that the
 * dissector can show them on any later pass, in any order. A transaction is
 * kept on its request frame and on its reply frame; a finding on every frame
 * it names. Each item remembers the frame the decoder was reading when it was
 * reported (`known_at`), which is what a single-pass reader can show.
 *
 * Plain C (libc and the decoder library), so it is tested without Wireshark.
 */
#ifndef DFS_DISSECTOR_RESULTS_H
#define DFS_DISSECTOR_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/dfuscope.h"

#define DFS__KNOWN_AT_END UINT64_MAX /* reported by dfs_decoder_finish() */
#define DFS__LAYOUT_TEXT_SIZE 256

enum dfs__item_kind {
    DFS__ITEM_TXN = 0,   /* a DFU/DfuSe transaction (request or reply frame) */
    DFS__ITEM_LAYOUT,    /* a DfuSe layout string of a DFU alternate setting */
    DFS__ITEM_MEM,       /* a memory operation the device executed */
    DFS__ITEM_DEVICE,    /* a device event of a DFU device */
    DFS__ITEM_FINDING,   /* a finding naming this frame */
};

struct dfs__txn {
    struct dfs_dfu_txn t; /* t.data is NULL: the bytes are in the frame */
};

struct dfs__layout {
    uint32_t device;
    uint64_t frame;                /* string descriptor reply */
    uint8_t interface, alt, string_index;
    char text[DFS__LAYOUT_TEXT_SIZE]; /* the string, UTF-8 */
    bool parsed;                   /* text is a DfuSe layout that parsed */
    struct dfs_layout layout;
    char error[128];               /* why it did not parse (text starts with '@') */
};

struct dfs__mem {
    struct dfs_mem_op op;          /* op.data is NULL */
};

struct dfs__device_ev {
    struct dfs_device_event ev;
};

struct dfs__finding {
    enum dfs_finding_code code;
    const char *id, *title;        /* static, from the findings table */
    enum dfs_severity severity;
    enum dfs_group group;
    uint32_t device;
    uint64_t frame;                /* the frame it is reported on */
    uint64_t frames[DFS_FINDING_MAX_FRAMES];
    unsigned n_frames;
    char *explanation, *remedy;    /* owned; remedy may be "" */
};

/* One entry of a frame's list. `index` points into the array of its kind. */
struct dfs__item {
    enum dfs__item_kind kind;
    bool reply;                    /* TXN: this frame is the reply (completion) */
    uint32_t index;
    uint64_t known_at;
    uint32_t next;                 /* next item of the same frame, or DFS__NONE_ITEM */
};

#define DFS__NONE_ITEM UINT32_MAX

struct dfs__res;

/* NULL on allocation failure. */
struct dfs__res *dfs__res_new(void);
void dfs__res_free(struct dfs__res *r);
/* Forget everything (a new capture). */
void dfs__res_clear(struct dfs__res *r);

/* A sink that fills the store; set `decoder` with dfs__res_bind() once the
 * decoder exists (layouts and DFU devices are looked up through it). */
void dfs__res_sink(struct dfs__res *r, struct dfs_sink *sink);
void dfs__res_bind(struct dfs__res *r, const dfs_decoder *d);
/* The frame about to be fed (known_at of what the decoder reports next);
 * DFS__KNOWN_AT_END before dfs_decoder_finish(). */
void dfs__res_at(struct dfs__res *r, uint64_t frame);

/* The items of a frame: first, then next until NULL. Pointers stay valid
 * until the store changes (the next feed). Order: transactions, layouts,
 * device events, findings, each in the order reported. */
const struct dfs__item *dfs__res_first(const struct dfs__res *r, uint64_t frame);
const struct dfs__item *dfs__res_next(const struct dfs__res *r, const struct dfs__item *it);

const struct dfs__txn *dfs__res_txn(const struct dfs__res *r, const struct dfs__item *it);
const struct dfs__layout *dfs__res_layout(const struct dfs__res *r, const struct dfs__item *it);
const struct dfs__mem *dfs__res_mem(const struct dfs__res *r, const struct dfs__item *it);
const struct dfs__device_ev *dfs__res_device(const struct dfs__res *r,
                                             const struct dfs__item *it);
const struct dfs__finding *dfs__res_finding(const struct dfs__res *r,
                                            const struct dfs__item *it);

/* Does this capture have DFU traffic or a DFU interface (so far)? */
bool dfs__res_has_dfu(const struct dfs__res *r);
/* Is device instance `device` (or an instance of its re-enumeration chain) a
 * DFU device, so far? */
bool dfs__res_dfu_device(const struct dfs__res *r, uint32_t device);
/* Is a finding about DFU: about a DFU device, or about the capture as a
 * whole (device 0) when the capture has DFU traffic. The dissector shows
 * only these, so that captures without DFU get no dfuscope fields. */
bool dfs__res_finding_relevant(const struct dfs__res *r, const struct dfs__finding *f);
/* Counts, for tests and summaries. */
size_t dfs__res_n_txns(const struct dfs__res *r);
size_t dfs__res_n_findings(const struct dfs__res *r);
/* Something could not be stored (out of memory): results are incomplete. */
bool dfs__res_failed(const struct dfs__res *r);

#endif
