/* Internal declarations of the capture library (reader and writer, public
 * header dfuscope/capture.h). Internal names carry the dfs_cap__ prefix.
 * Not installed; the library's own files and its tests include it.
 *
 * The reader is built in layers, each file calling only the ones below it:
 *
 *   reader.c        the public reader: open, next, statistics, close
 *   pcap_file.c     classic pcap: file header, record headers, resync
 *   pcapng_file.c   pcapng: block framing, one function per block type
 *                   (a table), options through the bounded cursor, resync
 *   linktype.c      what the reader knows of each link type: its name and
 *                   what a plausible record of it looks like (resync)
 *   input.c         the input buffer, warnings and errors, resync bookkeeping
 *
 * and this header holds the bounded cursor and the byte-order helpers. */
#ifndef DFS_CAPTURE_INTERNAL_H
#define DFS_CAPTURE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dfuscope/capture.h"

/* ---- byte order ------------------------------------------------------------ */
static inline bool dfs_cap__host_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static inline uint16_t dfs_cap__swap16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }

static inline uint32_t dfs_cap__swap32(uint32_t v)
{
    return ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static inline uint64_t dfs_cap__swap64(uint64_t v)
{
    return ((uint64_t)dfs_cap__swap32((uint32_t)v) << 32) | dfs_cap__swap32((uint32_t)(v >> 32));
}

/* Values of a file in its own byte order: swapped says it differs from the
 * host's. p must hold the bytes read (the cursor below checks that). */
static inline uint16_t dfs_cap__u16(bool swapped, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return swapped ? dfs_cap__swap16(v) : v;
}

static inline uint32_t dfs_cap__u32(bool swapped, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return swapped ? dfs_cap__swap32(v) : v;
}

static inline uint64_t dfs_cap__u64(bool swapped, const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return swapped ? dfs_cap__swap64(v) : v;
}

/* ---- the bounded cursor ---------------------------------------------------- */
/* A cursor over bytes already in memory (a whole block), after libpcap's
 * block_cursor: every read goes through dfs_cap__take(), which refuses to
 * go past the end and then leaves the cursor where it was. */
struct dfs_cap__cursor {
    const uint8_t *p;
    size_t left;
    bool swapped; /* the file's byte order differs from the host's */
};

static inline struct dfs_cap__cursor dfs_cap__cursor_over(const uint8_t *p, size_t len,
                                                          bool swapped)
{
    return (struct dfs_cap__cursor){p, len, swapped};
}

/* The next n bytes, or NULL (nothing consumed) when fewer are left. */
static inline const uint8_t *dfs_cap__take(struct dfs_cap__cursor *c, size_t n)
{
    if (n > c->left)
        return NULL;
    const uint8_t *q = c->p;
    c->p += n;
    c->left -= n;
    return q;
}

static inline bool dfs_cap__get16(struct dfs_cap__cursor *c, uint16_t *v)
{
    const uint8_t *q = dfs_cap__take(c, 2);
    if (q)
        *v = dfs_cap__u16(c->swapped, q);
    return q != NULL;
}

static inline bool dfs_cap__get32(struct dfs_cap__cursor *c, uint32_t *v)
{
    const uint8_t *q = dfs_cap__take(c, 4);
    if (q)
        *v = dfs_cap__u32(c->swapped, q);
    return q != NULL;
}

/* A 64-bit value in the file's order (pcapng counters, if_tsoffset). */
static inline bool dfs_cap__get64(struct dfs_cap__cursor *c, uint64_t *v)
{
    const uint8_t *q = dfs_cap__take(c, 8);
    if (q)
        *v = dfs_cap__u64(c->swapped, q);
    return q != NULL;
}

/* A pcapng time stamp: two 32-bit words, the high one first. */
static inline bool dfs_cap__get_ts(struct dfs_cap__cursor *c, uint64_t *v)
{
    const uint8_t *q = dfs_cap__take(c, 8);
    if (q)
        *v = ((uint64_t)dfs_cap__u32(c->swapped, q) << 32) | dfs_cap__u32(c->swapped, q + 4);
    return q != NULL;
}

static inline int dfs_cap__time_cmp(struct dfs_time a, struct dfs_time b)
{
    if (a.sec != b.sec)
        return a.sec < b.sec ? -1 : 1;
    return a.nsec < b.nsec ? -1 : a.nsec > b.nsec;
}

/* ---- the reader's state ------------------------------------------------------ */
#define DFS_CAP__MAX_IFACES 256
#define DFS_CAP__RESYNC_LIMIT (64u << 20) /* bytes scanned for the next good record */
#define DFS_CAP__PCAP_HDR 16              /* pcap record header */

/* A pcapng interface (IDB) of the current section. */
struct dfs_cap__iface {
    int linktype;
    uint32_t snaplen;
    uint64_t units_per_sec; /* if_tsresol as a power of ten, or 0 */
    unsigned pow2;          /* if_tsresol as a power of two (when units_per_sec == 0) */
    int64_t tsoffset;
    /* counters of its latest interface statistics block */
    bool has_recv, has_drop;
    uint64_t recv, drop;
};

struct dfs_capreader {
    FILE *fp;
    bool own;
    char *name;
    struct dfs_capreader_options opt;
    enum dfs_capformat format;
    uint8_t event_code; /* the data of a DFS_RECORD_USB_EVENT record */
    uint8_t *buf;
    size_t cap, start, end;
    uint64_t base;  /* file offset of buf[0] */
    bool at_eof;
    /* a file opened by name and not followed: its size when opened, to
     * tell a file cut short while it was read from one that ends */
    bool size_known;
    uint64_t size_at_open;
    uint64_t frame;
    bool swapped;   /* file order differs from host */
    enum dfs_byte_order order;
    /* pcap */
    bool nsec;
    uint32_t snaplen;
    int linktype;
    /* pcapng */
    struct dfs_cap__iface *ifaces;
    unsigned n_ifaces;
    bool in_section;
    char err[512];
    uint64_t damaged, skipped;
    bool last_ts_valid;
    int64_t last_ts_sec;
    /* the latest record time stamp so far, and what interface statistics
     * blocks said (counters of the sections already left in *_done) */
    bool max_ts_valid;
    struct dfs_time max_ts;
    uint64_t max_ts_frame;
    struct dfs_capture_end isb;
    bool recv_done_valid, drop_done_valid;
    uint64_t recv_done, drop_done;
    /* Resynchronisation after a damaged record or block. In follow mode it
     * can run out of data half way; it then resumes on the next call. */
    bool resyncing;
    uint64_t rs_frame, rs_bad_at;
    size_t rs_skipped;
    char rs_why[200];
};

/* ---- input.c: the input buffer --------------------------------------------- */
/* Make at least n bytes available at buf[start]; returns how many are (fewer
 * at the end of the input, or, in follow mode, until more arrive). */
size_t dfs_cap__fill(dfs_capreader *r, size_t n);
static inline size_t dfs_cap__ensure(dfs_capreader *r, size_t n)
{
    size_t have = r->end - r->start;
    return have >= n ? have : dfs_cap__fill(r, n); /* mostly there already */
}
/* Drop n bytes from the front (they stay in place until the next ensure()). */
void dfs_cap__consume(dfs_capreader *r, size_t n);
/* File offset of buf[start]. */
uint64_t dfs_cap__offset(const dfs_capreader *r);
static inline const uint8_t *dfs_cap__at(const dfs_capreader *r, size_t off)
{
    return r->buf + r->start + off;
}

/* A problem the reader recovers from, through the warn callback. */
void dfs_cap__warn(dfs_capreader *r, uint64_t frame, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A problem it cannot go on after: sets the error, returns DFS_CAP_ERROR. */
enum dfs_capnext dfs_cap__fail(dfs_capreader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Remember where and why a resynchronisation starts. */
void dfs_cap__resync_begin(dfs_capreader *r, uint64_t frame, const char *why);

/* ---- linktype.c ------------------------------------------------------------- */
/* Bytes of a record's own header needed to judge whether it is plausible
 * (0: nothing to judge for this link type). */
size_t dfs_cap__linktype_judge_len(int linktype);
/* Is data (avail bytes of a record of caplen bytes) plausibly a record of
 * this link type? Link types the reader knows nothing about always are. */
bool dfs_cap__linktype_plausible(int linktype, const uint8_t *data, size_t avail,
                                 uint32_t caplen);

/* ---- pcap_file.c ------------------------------------------------------------- */
/* The file header, magic at buf[start] already recognised. */
dfs_result dfs_cap__pcap_open(dfs_capreader *r, uint32_t magic, char *err, size_t err_size);
bool dfs_cap__pcap_magic(uint32_t magic);
enum dfs_capnext dfs_cap__pcap_next(dfs_capreader *r, struct dfs_record *rec);

/* ---- pcapng_file.c ----------------------------------------------------------- */
bool dfs_cap__pcapng_magic(uint32_t magic);
enum dfs_capnext dfs_cap__pcapng_next(dfs_capreader *r, struct dfs_record *rec);

#endif
