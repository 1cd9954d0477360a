/* dfuscope report: the pieces of the HTML report (`dfuscope report`).
 *
 * model.c collects what the decoder says into bounded structures: a table of
 * rows (the first and last transactions and those around anything notable),
 * time buckets per device lane, merged memory extents, device events and
 * findings. Nothing here grows with the size of the capture beyond the
 * limits below.
 *
 * The page is written in one direction: page.c composes it (head, verdict,
 * devices, footer) and calls each section's writer in turn: timeline.c
 * (with the close-up; its time axis in axis.c), memmap.c, findings.c,
 * descriptors.c and table.c. Sections do not call each other or page.c;
 * they take the model and write their section, with the shared helpers of
 * the leaves below them: html.c (escaping, frame links), words.c (names and
 * numbers), style.c (style sheet, SVG patterns), markdown.c. */
#ifndef DFS_CLI_REPORT_H
#define DFS_CLI_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../cli.h"
#include "../host.h"
#include "../outcome.h"

/* ---- html.c --------------------------------------------------------------------- */
/* Escaped text, for element content and quoted attribute values alike. */
void html_text(FILE *f, const char *s);
void html_textn(FILE *f, const char *s, size_t n);
void html_fmt(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s reduced to [a-z0-9-], for id attributes */
void html_id(FILE *f, const char *s);

/* ---- limits ---------------------------------------------------------------------- */
#define RP_HEAD_ROWS 1000    /* first rows of the table, always kept */
#define RP_TAIL_ROWS 1000    /* last rows, kept in a ring */
#define RP_KEPT_ROWS 2000    /* notable rows and their context */
#define RP_CONTEXT_ROWS 3    /* rows kept before and after a notable one */
#define RP_MAX_LANES 16      /* device lanes drawn on the timeline */
#define RP_BUCKETS 2048      /* time buckets per lane */
#define RP_MAX_FINDINGS 1000
#define RP_MAX_DEVEVENTS 1024
#define RP_TIME_INDEX 8192   /* frame -> time samples */
#define RP_MAX_EXT_LISTS 128 /* (lane, alt, kind, status) combinations */
#define RP_MAX_EXTENTS 512   /* merged extents per list */
#define RP_EXACT_TXNS 2000   /* above this the timeline aggregates into buckets */

/* ---- the model --------------------------------------------------------------------- */
enum rp_row_kind { RP_ROW_DFU = 0, RP_ROW_USB = 1 };

struct rp_row {
    uint64_t seq;          /* arrival order */
    uint8_t kind;
    bool notable;
    struct dfs_dfu_txn t;  /* USB rows use frame, reply_frame, ts, device, lane, bus,
                              devnum, usb_status and outcome; data is never kept */
    char req[96], rep[72]; /* USB rows: request and reply in words */
};

enum { RP_STATE_UNKNOWN = 11, RP_NSTATES = 12 };
enum rp_req_kind { RP_REQ_DNLOAD, RP_REQ_UPLOAD, RP_REQ_GETSTATUS, RP_REQ_OTHER, RP_NREQ };

struct rp_bucket {
    uint32_t n[RP_NREQ];
    uint32_t failed, early;
    uint64_t first_frame, last_frame;
    float state_s[RP_NSTATES]; /* seconds spent in each DFU state */
};

struct rp_lane {
    uint32_t lane;
    uint64_t n_txns, n_failed;
    struct rp_bucket *b;
    bool have_prev;
    double prev_t;
    uint8_t prev_state;
    uint32_t prev_device;
    double first_t, last_t;
};

enum rp_ext_kind { RP_EXT_ERASE, RP_EXT_WRITE, RP_EXT_READ, RP_NEXT_KINDS };
enum rp_ext_status { RP_EXT_OK, RP_EXT_FAILED, RP_EXT_UNCONFIRMED, RP_NEXT_STATUS };

struct rp_extent {
    uint64_t start, end; /* [start, end) */
    uint64_t first_frame;
    uint32_t ops;
};

struct rp_ext_list {
    uint32_t lane;
    uint8_t alt;
    bool dfuse;
    uint8_t kind, status;
    bool mass_erase;
    uint64_t mass_frame;
    struct rp_extent *e;
    size_t n, cap;
    uint64_t ops, bytes;
    bool coarse; /* neighbours were merged to stay within RP_MAX_EXTENTS */
};

struct rp_devev {
    struct dfs_device_event ev;
    double t;
};

/* a DNLOAD the device acknowledged, not yet executed by a GETSTATUS */
struct rp_pending {
    bool used;
    uint32_t device, lane;
    uint8_t alt;
    uint8_t kind;
    bool dfuse;
    uint32_t addr, len;
    uint64_t frame;
};

struct rp_time_sample {
    uint64_t frame;
    double t;
};

struct rp_model {
    struct dev_filter *filter;
    struct outcome oc;          /* the session's outcome, from the evidence (outcome.h) */
    struct host host;           /* which host program drove it (host.h) */
    /* the capture */
    bool have_start;
    struct dfs_time start;
    double end_t;
    uint64_t records, last_frame;
    struct rp_time_sample *ti;
    size_t ti_n;
    uint64_t ti_stride;
    /* rows */
    uint64_t seq, n_dfu, n_usb;
    struct rp_row *head;
    size_t n_head;
    struct rp_row *tail;
    size_t n_tail, tail_pos;
    struct rp_row *kept;
    size_t n_kept;
    uint64_t kept_missed;
    uint64_t last_kept_seq;
    unsigned after;
    /* lanes */
    double bw;
    struct rp_lane lanes[RP_MAX_LANES];
    size_t n_lanes;
    uint64_t txns_without_lane;
    uint32_t *dev_lane;
    size_t dev_lane_cap;
    struct rp_devev *devev;
    size_t n_devev;
    uint64_t devev_missed;
    /* findings */
    struct dfs_finding *f;
    size_t n_f;
    uint64_t f_missed;
    /* by finding code: listed, and counted beyond FINDINGS_PER_ID (errors
     * are all listed) or the table */
    struct finding_repeats f_more[DFS_F__COUNT];
    uint64_t sev[3];
    /* memory */
    struct rp_ext_list ext[RP_MAX_EXT_LISTS];
    size_t n_ext;
    uint64_t ext_missed;
    struct rp_pending pend[8];
    bool oom;
    bool closed;
};

struct rp_model *rp_model_new(struct dev_filter *filter);
void rp_model_free(struct rp_model *m);
void rp_model_sink(struct rp_model *m, struct dfs_sink *sink);
/* After the decoder finished: flush what is pending, sort the findings. */
void rp_model_close(struct rp_model *m);

/* seconds since the first record of a frame (interpolated when not sampled) */
double rp_frame_time(const struct rp_model *m, uint64_t frame);
double rp_time(const struct rp_model *m, struct dfs_time ts);
uint32_t rp_lane_of(const struct rp_model *m, uint32_t device);
const struct rp_lane *rp_lane_find(const struct rp_model *m, uint32_t lane);
/* The rows kept, in arrival order, without duplicates (caller frees). */
const struct rp_row **rp_rows(const struct rp_model *m, size_t *n);
/* Everything was kept: the rows are the whole session. */
bool rp_rows_complete(const struct rp_model *m);
bool rp_row_is_early_poll(const struct dfs_dfu_txn *t);
enum rp_req_kind rp_req_kind(uint8_t request);
/* The device lane a finding, when it says the device was lost (reset or gone
 * in the middle of an operation): the frame and time it was lost. */
bool rp_finding_is_loss(const struct dfs_finding *f);

/* ---- writing the page ------------------------------------------------------------------ */
struct rp_page {
    FILE *out;
    const struct rp_model *m;
    dfs_decoder *dec;
    const char *path;          /* capture file name, as given */
    const struct run_result *res;
    const char *docs_base;     /* prefix of the finding doc links, or NULL */
    bool all_docs;             /* append the page of every finding, not only those found */
    /* row index, for frame links */
    const struct rp_row **rows;
    size_t n_rows;
    bool log;                  /* the input was a text log: findings cite lines */
};

/* page.c: the whole page */
void rp_write_page(struct rp_page *p);

/* the sections, in the order of the page */
void rp_write_timeline(struct rp_page *p);    /* timeline.c, with the close-up */
void rp_write_memmap(struct rp_page *p);      /* memmap.c */
void rp_write_findings(struct rp_page *p);    /* findings.c */
void rp_write_descriptors(struct rp_page *p); /* descriptors.c */
void rp_write_table(struct rp_page *p);       /* table.c */
void rp_write_docs(struct rp_page *p);        /* findings.c: the doc pages */

/* ---- html.c: frame links ------------------------------------------------------------------ */
/* writes the href target ("f12" or "gap3"), false if none */
bool rp_frame_anchor(const struct rp_page *p, uint64_t frame, char *buf, size_t size);
/* the frame number, linked to its row when there is one */
void rp_frame_link(const struct rp_page *p, uint64_t frame);

/* ---- style.c ---------------------------------------------------------------------------------- */
void rp_write_style(FILE *o); /* the style sheet (inside <style>) */
void rp_write_defs(FILE *o);  /* the SVG patterns every figure uses */

/* ---- markdown.c: Markdown (the finding doc pages) as HTML ------------------------------------- */
void rp_markdown(FILE *o, const char *md);

/* ---- words.c: names and numbers shared by the writers --------------------------------------- */
const char *rp_state_short(uint8_t state);   /* "IDLE", "BUSY" ... "?" */
const char *rp_state_class(uint8_t state);   /* "st-idle" ... */
void rp_device_label(dfs_decoder *dec, uint32_t device, char *buf, size_t size);
/* String descriptor idx of a device as UTF-8 ("" when not in the capture). */
void rp_dev_string(dfs_decoder *dec, const struct dfs_device_info *info, uint8_t idx, char *out,
                   size_t size);
/* "0x1fff7870" style, 64-bit aware */
void rp_addr(char *buf, size_t size, uint64_t a);
void rp_bytes(char *buf, size_t size, uint64_t n);
void rp_secs(char *buf, size_t size, double s);

/* The little floating-point the drawing needs, without libm (numbers.c):
 * linking libm costs every dfuscope command about 400 KiB of memory. */
/* log2(x) for x >= 1, within 1e-15 of the exact value */
double rp_log2(double x);
/* the smallest integer >= x (x itself when it has no fraction or is huge) */
double rp_ceil(double x);
/* 10^floor(log10(x)) for x > 0: the power of ten at or below x */
double rp_pow10_below(double x);

#endif
