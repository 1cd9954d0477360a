/* dfs_firmware internals: shared between the files of firmware/ (and the
 * unit tests), never installed. Internal names start with dfs_fw__. */
#ifndef DFS_FW_INTERNAL_H
#define DFS_FW_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/dfu.h"
#include "dfuscope/firmware.h"

#define DFS_FW__PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Little-endian reads; the caller has checked that the bytes are there. */
static inline uint16_t dfs_fw__le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t dfs_fw__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void dfs_fw__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void dfs_fw__put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

#define DFS_FW__4G 0x100000000ull

/* A record of a text file: where its data went, for naming the line of
 * an address. */
struct dfs_fw__rec {
    uint64_t address;
    uint32_t length;
    unsigned line;
};

struct dfs_fw_file {
    const uint8_t *buf;
    size_t len;
    struct dfs_fw_options opt;
    enum dfs_fw_format format;
    struct dfs_fw_suffix suffix;
    size_t payload_end;          /* first byte after the content (the suffix's, or len) */
    struct dfs_fw_dfuse_prefix prefix;
    struct dfs_fw_target *targets;
    size_t n_targets, cap_targets;
    struct dfs_fw_segment *seg;
    size_t n_seg, cap_seg;
    uint8_t **own;               /* own[i]: the buffer of segment i, text formats */
    size_t *own_cap;
    struct dfs_fw__rec *recs;    /* text formats, in file order */
    size_t n_recs, cap_recs;
    bool recs_sorted;
    bool has_addresses;
    struct dfs_fw_finding *f;
    size_t n_f, cap_f;
    unsigned kept[DFS_F__COUNT];
    uint64_t more[DFS_F__COUNT];
    uint64_t sev[3];
    bool nomem;                  /* an allocation failed: the API returns DFS_E_NOMEM */
};

/* ---- findings (findings.c) ---- */
/* Add a finding with its evidence and explanation; the remedy is the
 * default one of the code (texts.c). Returns it, or NULL when it is only
 * counted (DFS_FW_PER_ID reached) or memory ran out (f->nomem). */
struct dfs_fw_finding *dfs_fw__emit(dfs_fw_file *f, enum dfs_finding_code code,
                                    const struct dfs_fw_evidence *at, unsigned n_at,
                                    const char *fmt, ...) DFS_FW__PRINTF(5, 6);
/* Replace a finding's remedy. */
void dfs_fw__remedy(struct dfs_fw_finding *fd, const char *fmt, ...) DFS_FW__PRINTF(2, 3);
/* Evidence lists built up to DFS_FW_MAX_EVIDENCE (the rest dropped). */
struct dfs_fw__ev {
    struct dfs_fw_evidence at[DFS_FW_MAX_EVIDENCE];
    unsigned n;
};
void dfs_fw__ev_add(struct dfs_fw__ev *e, enum dfs_fw_where kind, uint64_t value);

/* The default remedy of a file.* code (texts.c), "" for others. */
const char *dfs_fw__remedy_text(enum dfs_finding_code code);

/* ---- text helpers (texts.c) ---- */
/* Append to a NUL-terminated buffer; never overflows. */
void dfs_fw__catf(char *buf, size_t size, const char *fmt, ...) DFS_FW__PRINTF(3, 4);
/* "3000 bytes", "2 KiB (2048 bytes)", "384 MiB (402653184 bytes)" */
void dfs_fw__fmt_size(char *buf, size_t size, uint64_t n);

/* ---- reading (read.c, dfuse.c, text.c) ---- */
bool dfs_fw__add_segment(dfs_fw_file *f, const struct dfs_fw_segment *s);
void dfs_fw__read_dfuse(dfs_fw_file *f);
void dfs_fw__read_ihex(dfs_fw_file *f);
void dfs_fw__read_srec(dfs_fw_file *f);
/* The file-only checks after reading (filechecks.c). */
void dfs_fw__check_file(dfs_fw_file *f);

/* Evidence for an address of the file: the byte offset (binary, DfuSe) or
 * the line (text formats) that holds it; false when no segment does. */
bool dfs_fw__where(dfs_fw_file *f, uint64_t address, struct dfs_fw_evidence *out);
/* "target 0 (alt 0) element 1", "lines 12-40", "bytes 293-3292": the
 * segment in words. */
void dfs_fw__seg_name(const dfs_fw_file *f, const struct dfs_fw_segment *s, char *buf,
                      size_t size);

/* ---- extents (extents.c): a map from addresses to bytes where a later
 * write replaces an earlier one ---- */
struct dfs_fw__ext {
    uint64_t start, end;   /* [start, end) */
    const uint8_t *data;   /* end - start bytes */
    uint64_t frame;        /* session: the request that wrote it */
    uint8_t alt;
    uint32_t src;          /* file: the segment index; session: the op index */
};
struct dfs_fw__map {
    struct dfs_fw__ext *e; /* sorted by start, not overlapping */
    size_t n, cap;
    uint64_t bytes;
};
/* Put [start, start + len) over what is there. false: out of memory. */
bool dfs_fw__map_put(struct dfs_fw__map *m, const struct dfs_fw__ext *x);
void dfs_fw__map_free(struct dfs_fw__map *m);
/* Index of the first extent ending after addr (n when none). */
size_t dfs_fw__map_find(const struct dfs_fw__map *m, uint64_t addr);

/* ---- known areas (areas.c) ---- */
struct dfs_fw__area {
    uint32_t start, end;       /* [start, end) */
    char what[128];            /* "the option-byte area of STM32G0/G4/L4" */
};
/* The option-byte area (from dfs_ob_area_find or a layout region whose
 * name says so) overlapping [a, a + len), or NULL. layout may be NULL. */
bool dfs_fw__ob_overlap(const struct dfs_layout *l, uint64_t a, uint64_t len,
                        struct dfs_fw__area *out);
bool dfs_fw__otp_overlap(const struct dfs_layout *l, uint64_t a, uint64_t len,
                         struct dfs_fw__area *out);
/* The read-protection level the bytes [a, a + len) of data set, when they
 * cover a known RDP byte: 0, 1 or 2 (*rdp_value, *rdp_addr, *family set);
 * -1 otherwise. */
int dfs_fw__rdp_level(uint64_t a, const uint8_t *data, uint64_t len, uint8_t *rdp_value,
                      uint32_t *rdp_addr, const char **family);

#endif
