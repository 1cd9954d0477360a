/* dfuscope: firmware files, the one public header of library dfs_firmware.
 *
 * Reads the files a DFU host downloads: raw binaries with or without a DFU
 * 1.1 suffix (.bin, .dfu), ST DfuSe files (UM0391: prefix "DfuSe", targets
 * per alternate setting, elements with an address and a size), Intel HEX and
 * Motorola S-records. Then checks them
 *   - against themselves: suffix CRC and lengths, DfuSe sizes and headers,
 *     record checksums, overlaps, data beyond 4 GiB, stray linker sections;
 *   - against a device (its VID:PID, DFU or DfuSe, the memory layout of each
 *     alternate setting): targets without an alternate setting, data
 *     outside the layout or in memory that is not writable, pages an erase
 *     wipes beyond the data, option bytes and OTP written, size against
 *     the memory;
 *   - against what a captured session wrote (the decoder's memory
 *     operations): ranges missing, extra or different, and where the
 *     session stopped.
 * And writes DFU suffix and DfuSe files (dfs_fw_build_dfu, _dfuse).
 *
 *   dfs_fw_file *f;
 *   struct dfs_fw_options o;  dfs_fw_options_init(&o);
 *   if (dfs_fw_read(buf, len, &o, &f) != DFS_OK) ...     (DFS_E_NOMEM, DFS_E_INVAL)
 *   dfs_fw_check_device(f, &device);                      (optional)
 *   dfs_fw_check_session(f, session);                     (optional)
 *   for (size_t i = 0; i < dfs_fw_finding_count(f); i++) ... dfs_fw_finding(f, i)
 *   dfs_fw_free(f);
 *
 * libc only, like the decoder: no file access (the caller reads the file,
 * which may be mapped: a raw binary is not copied), every length and
 * address from the file is checked before use, a damaged file is findings
 * (file.* in include/dfuscope/findings.h), never an API error. Each finding
 * names its evidence: byte offsets in the file, line numbers of text files,
 * or frames of a capture.
 */
#ifndef DFUSCOPE_FIRMWARE_H
#define DFUSCOPE_FIRMWARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "dfuse.h"
#include "events.h"
#include "findings.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading a file -------------------------------------------------------------- */

enum dfs_fw_format {
    DFS_FW_AUTO = 0, /* (options only) detect from the content */
    DFS_FW_BINARY,   /* raw bytes, with or without a DFU suffix */
    DFS_FW_DFUSE,    /* ST DfuSe (UM0391) */
    DFS_FW_IHEX,     /* Intel HEX */
    DFS_FW_SREC,     /* Motorola S-records */
};
/* "auto", "binary", "dfuse", "ihex", "srec" */
DFS_API const char *dfs_fw_format_name(enum dfs_fw_format f);

#define DFS_FW_SUFFIX_LEN 16
#define DFS_FW_DFUSE_PREFIX_LEN 11
#define DFS_FW_DFUSE_TARGET_LEN 274
#define DFS_FW_DFUSE_ELEMENT_LEN 8
#define DFS_FW_WILDCARD 0xFFFF /* a suffix's VID, PID or bcdDevice that matches any */

/* The DFU suffix (DFU 1.1 appendix B): the last 16 bytes, little-endian
 * bcdDevice, idProduct, idVendor, bcdDFU, "UFD", bLength, dwCRC. */
struct dfs_fw_suffix {
    bool present;          /* "UFD" at its place: the file means to have one */
    bool crc_ok;           /* dwCRC matches (dfu-util uses the suffix only then) */
    bool length_ok;        /* 16 <= bLength <= the file's length */
    uint16_t bcdDevice, idProduct, idVendor, bcdDFU;
    uint8_t bLength;
    uint32_t dwCRC;        /* as stored */
    uint32_t crc;          /* computed over every byte before dwCRC */
    size_t offset;         /* first byte of the suffix (file length - bLength,
                              or - 16 when bLength is unusable) */
};

/* The DFU CRC (DFU 1.1 appendix B): CRC-32 with the reflected polynomial
 * 0xEDB88320, initial value 0xFFFFFFFF and no final XOR (so the bitwise NOT
 * of zlib's crc32). Continue a running value by passing it as crc; start
 * with DFS_FW_CRC_INIT. */
#define DFS_FW_CRC_INIT 0xFFFFFFFFu
DFS_API uint32_t dfs_fw_crc(uint32_t crc, const uint8_t *p, size_t n);

/* The DfuSe prefix (UM0391). */
struct dfs_fw_dfuse_prefix {
    bool present;          /* the file starts with "DfuSe" */
    uint8_t version;       /* bVersion (1) */
    uint32_t image_size;   /* DFUImageSize as stored */
    uint8_t n_targets;     /* bTargets as stored */
};

/* One DfuSe target (image for one alternate setting). */
struct dfs_fw_target {
    size_t offset;               /* of its "Target" header */
    uint8_t alt;                 /* bAlternateSetting */
    bool named;                  /* bTargetNamed */
    char name[256];              /* szTargetName up to its first NUL */
    uint32_t size;               /* dwTargetSize as stored */
    uint32_t n_elements;         /* dwNbElements as stored */
    size_t first_segment;        /* its elements: segments first_segment.. */
    size_t n_segments;           /* ... as many as could be read */
};

/* A run of bytes the file puts at one address: a DfuSe element, a contiguous
 * run of Intel HEX / S-record data, or the whole payload of a binary. */
struct dfs_fw_segment {
    uint32_t address;      /* of the first byte (binary: the base, 0 unless given) */
    uint64_t length;       /* bytes; address + length may pass 2^32 only when the
                              file says so (a file.address-overflow finding) */
    const uint8_t *data;   /* length bytes: into the caller's buffer (binary,
                              DfuSe) or owned by the file (text formats) */
    size_t offset;         /* byte offset of the data in the file (binary, DfuSe) */
    unsigned line, last_line; /* text formats: first and last line, 1-based; else 0 */
    int target, element;   /* DfuSe: indices of its target and of the element in it; else -1 */
    size_t header_offset;  /* DfuSe: offset of its element header */
};

/* Where a finding's evidence is. */
enum dfs_fw_where {
    DFS_FW_AT_BYTE = 0,   /* a byte offset in the file */
    DFS_FW_AT_LINE,       /* a line of a text file, 1-based */
    DFS_FW_AT_FRAME,      /* a frame of the capture */
};
/* "byte", "line", "frame" */
DFS_API const char *dfs_fw_where_name(enum dfs_fw_where w);

struct dfs_fw_evidence {
    enum dfs_fw_where kind;
    uint64_t value;
};

#define DFS_FW_MAX_EVIDENCE 8
struct dfs_fw_finding {
    enum dfs_finding_code code;   /* a DFS_F_FILE_* code */
    const char *id;               /* "file.suffix-crc" (static) */
    enum dfs_severity severity;
    enum dfs_group group;
    const char *title;            /* static */
    struct dfs_fw_evidence at[DFS_FW_MAX_EVIDENCE]; /* the decisive one first */
    unsigned n_at;
    char explanation[DFS_FINDING_TEXT_SIZE];        /* with the values seen */
    char remedy[DFS_FINDING_TEXT_SIZE];             /* what to do */
};

typedef struct dfs_fw_file dfs_fw_file;

struct dfs_fw_options {
    size_t size;                /* sizeof, set by init */
    enum dfs_fw_format format;  /* DFS_FW_AUTO (default): from the content */
    bool expect_suffix;         /* the file is meant to be a .dfu: no suffix is a finding */
    bool has_base;              /* a raw binary goes to base (dfu-util -s ADDRESS) */
    uint32_t base;
    /* Intel HEX / S-record: a gap between data this large or larger is a
     * stray section (default 16 MiB); a raw binary this long of 0x00 or
     * 0xFF followed by data likewise */
    uint64_t stray_gap;
    /* a raw binary larger than this cannot be a flash image (default
     * 256 MiB, the largest memory-mapped flash window of STM32 parts) */
    uint64_t max_binary;
};
DFS_API void dfs_fw_options_init(struct dfs_fw_options *o);

/* Read a file of len bytes. The structure and the file-only checks (suffix,
 * DfuSe sizes, records, overlaps, address space, stray sections) are done
 * here and their findings kept in the file. buf must stay valid and
 * unchanged until dfs_fw_free (a binary's data is not copied).
 * Returns DFS_OK and *out (also for a damaged or empty file), DFS_E_INVAL
 * (NULL arguments, bad options) or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_read(const uint8_t *buf, size_t len, const struct dfs_fw_options *o,
                               dfs_fw_file **out);
DFS_API void dfs_fw_free(dfs_fw_file *f);

/* What was read. Pointers stay valid until dfs_fw_free. */
DFS_API enum dfs_fw_format dfs_fw_format(const dfs_fw_file *f);
DFS_API size_t dfs_fw_length(const dfs_fw_file *f);
DFS_API const struct dfs_fw_suffix *dfs_fw_suffix(const dfs_fw_file *f);
DFS_API const struct dfs_fw_dfuse_prefix *dfs_fw_dfuse_prefix(const dfs_fw_file *f);
DFS_API size_t dfs_fw_target_count(const dfs_fw_file *f);
DFS_API const struct dfs_fw_target *dfs_fw_target(const dfs_fw_file *f, size_t i);
/* Segments in file order (DfuSe: target by target, element by element). */
DFS_API size_t dfs_fw_segment_count(const dfs_fw_file *f);
DFS_API const struct dfs_fw_segment *dfs_fw_segment(const dfs_fw_file *f, size_t i);
/* Sum of the segments' lengths. */
DFS_API uint64_t dfs_fw_data_bytes(const dfs_fw_file *f);
/* Does a raw binary's base come from the options (true), or is it 0 and
 * to be assumed by the checks (false)? Always true for other formats. */
DFS_API bool dfs_fw_has_addresses(const dfs_fw_file *f);

/* Findings so far (reading and checks), in the order they were made. At
 * most DFS_FW_PER_ID of one id are kept; the others are counted. */
#define DFS_FW_PER_ID 20
DFS_API size_t dfs_fw_finding_count(const dfs_fw_file *f);
DFS_API const struct dfs_fw_finding *dfs_fw_finding(const dfs_fw_file *f, size_t i);
DFS_API uint64_t dfs_fw_finding_more(const dfs_fw_file *f, enum dfs_finding_code code);
/* Counts by severity (kept and counted). */
DFS_API void dfs_fw_severity_counts(const dfs_fw_file *f, uint64_t counts[3]);

/* ---- checking against a device ------------------------------------------------------ */

#define DFS_FW_MAX_ALTS 32
struct dfs_fw_alt {
    uint8_t alt;
    bool has_name;
    char name[256];           /* iInterface string (UTF-8) */
    bool has_layout;          /* name is a DfuSe layout that parsed */
    struct dfs_layout layout;
};

/* What is known of the device a file is meant for. */
struct dfs_fw_device {
    char what[160];           /* how the texts name it: "device 0483:df11 at 1-1",
                                 "the layout given", "device 1.6 of the capture" */
    bool has_id;
    uint16_t vid, pid, bcdDevice;
    int dfuse;                /* 1 DfuSe (bcdDFUVersion 0x011A or a layout given),
                                 0 plain DFU 1.1, -1 not known */
    bool runtime;             /* only a DFU run-time interface was seen */
    uint32_t transfer_size;   /* wTransferSize, 0 when not known */
    bool alts_known;          /* alts[] is every alternate setting of the DFU
                                 interface (else only the ones given) */
    int alt;                  /* the alternate setting a raw image goes to;
                                 -1: the first with a layout */
    unsigned n_alts;
    struct dfs_fw_alt alts[DFS_FW_MAX_ALTS];
};
DFS_API void dfs_fw_device_init(struct dfs_fw_device *d);

/* Check the file against the device: the suffix's VID:PID, DfuSe file or
 * raw image against the kind of device, targets against alternate settings,
 * each segment against the layout of its alternate setting (inside a
 * region, writable, erased pages, option bytes, OTP, size). d NULL checks
 * only what needs no device: option bytes and OTP at the known areas of ST
 * parts. Call it once per file. Adds findings. Returns DFS_OK, DFS_E_INVAL
 * or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_check_device(dfs_fw_file *f, const struct dfs_fw_device *d);

/* ---- what a session wrote -------------------------------------------------------------- */

typedef struct dfs_fw_session dfs_fw_session;

struct dfs_fw_session_options {
    size_t size;             /* sizeof, set by init */
    bool reads;              /* collect what was read (UPLOAD) instead of written */
    int alt;                 /* only this alternate setting, -1 (default) any */
    uint64_t max_bytes;      /* distinct bytes kept (default 256 MiB); beyond: full */
};
DFS_API void dfs_fw_session_options_init(struct dfs_fw_session_options *o);

/* Returns DFS_OK and *out, DFS_E_INVAL or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_session_new(const struct dfs_fw_session_options *o,
                                      dfs_fw_session **out);
DFS_API void dfs_fw_session_free(dfs_fw_session *s);
/* Decoder callbacks (user = the session); dfs_fw_session_sink fills all
 * three into a sink. A later write of the same byte replaces an earlier
 * one, as in the device's memory. Returns 0 (go on), or non-zero when
 * memory ran out (the decoder then stops: DFS_E_ABORTED). */
DFS_API int dfs_fw_session_on_mem(void *session, const struct dfs_mem_op *op);
DFS_API int dfs_fw_session_on_device(void *session, const struct dfs_device_event *ev);
DFS_API int dfs_fw_session_on_finding(void *session, const struct dfs_finding *f);
DFS_API void dfs_fw_session_sink(dfs_fw_session *s, struct dfs_sink *sink);
/* After the decoder finished: learn the identity, kind and layouts of the
 * device that wrote (from dfs_decoder_device_info and _dfu_info). */
DFS_API dfs_result dfs_fw_session_finish(dfs_fw_session *s, const dfs_decoder *dec);

struct dfs_fw_session_info {
    bool dfuse;              /* memory addresses (else DFU 1.1 image offsets) */
    bool mixed;              /* both kinds, or DFU 1.1 images of several devices or
                                alternate settings (their offsets overlap) */
    bool full;               /* max_bytes was reached: some data was left out */
    uint64_t bytes;          /* distinct bytes kept */
    uint64_t ops, failed_ops;
    uint64_t first_frame, last_frame;   /* of the operations kept */
    uint32_t low, high;      /* lowest address and one past the highest, when bytes */
    uint64_t high_end;       /* one past the highest (may be 2^32) */
};
DFS_API void dfs_fw_session_get_info(const dfs_fw_session *s, struct dfs_fw_session_info *out);
/* The device that wrote, as learnt by dfs_fw_session_finish: DFS_OK, or
 * DFS_E_NOTFOUND when nothing was written or the device is not known. */
DFS_API dfs_result dfs_fw_session_device(const dfs_fw_session *s, struct dfs_fw_device *out);

/* What a comparison found, in bytes and ranges. */
struct dfs_fw_compare {
    bool offsets;            /* a DFU 1.1 session: compared as offsets in the image
                                (the file's lowest address is offset 0) */
    bool base_assumed;       /* a raw binary without a base was placed at base,
                                the lowest address the session wrote */
    uint32_t base;
    uint64_t same, missing, different, extra;
    unsigned missing_ranges, different_ranges, extra_ranges;
};

/* Compare the file with what the session wrote: ranges of the file the
 * session did not write (and where it stopped), ranges written with other
 * data, ranges written that the file does not hold. Adds findings and, when
 * out is not NULL, the counts. Returns DFS_OK, DFS_E_INVAL or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_check_session(dfs_fw_file *f, const dfs_fw_session *s,
                                        struct dfs_fw_compare *out);

/* ---- writing ----------------------------------------------------------------------------- */

struct dfs_fw_ids {
    uint16_t vid, pid, bcdDevice; /* DFS_FW_WILDCARD for any */
};

/* A raw image with a DFU suffix (bcdDFU: 0x0100 for DFU 1.0/1.1 as
 * dfu-suffix writes, 0x011A for DfuSe). *out is malloc'd. Returns DFS_OK,
 * DFS_E_INVAL or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_build_dfu(const uint8_t *image, size_t len, const struct dfs_fw_ids *ids,
                                    uint16_t bcdDFU, uint8_t **out, size_t *out_len);

/* One element of a DfuSe file to build. */
struct dfs_fw_element_in {
    uint8_t alt;
    uint32_t address;
    const uint8_t *data;
    uint32_t length;
    const char *target_name; /* the name of its target (the first element of an
                                alternate setting decides), NULL: unnamed */
};
/* A DfuSe file (UM0391) with one target per alternate setting, in the
 * order the settings first appear, elements in the order given, and a
 * suffix with bcdDFU 0x011A. DFUImageSize is the whole file's length, as
 * dfuse-pack writes it. *out is malloc'd. Returns DFS_OK, DFS_E_INVAL
 * (no elements, an element past 4 GiB), DFS_E_LIMIT (the file would pass
 * 4 GiB) or DFS_E_NOMEM. */
DFS_API dfs_result dfs_fw_build_dfuse(const struct dfs_fw_element_in *el, size_t n,
                                      const struct dfs_fw_ids *ids, uint8_t **out,
                                      size_t *out_len);

enum dfs_fw_out {
    DFS_FW_OUT_DFU,   /* the bytes from the lowest address (gaps filled) with a suffix */
    DFS_FW_OUT_DFUSE, /* one element per contiguous run, one target per alternate setting */
};
/* What the session wrote (or read), as a file; the suffix names the device
 * learnt by dfs_fw_session_finish (else the wildcard). fill fills gaps of
 * DFS_FW_OUT_DFU. why says what is wrong on DFS_E_NOTFOUND (nothing
 * collected), DFS_E_INVAL (a DfuSe file of a DFU 1.1 session, or a session
 * that mixes images) or DFS_E_LIMIT (larger than max_image bytes). */
DFS_API dfs_result dfs_fw_session_build(const dfs_fw_session *s, enum dfs_fw_out kind,
                                        uint8_t fill, uint64_t max_image, uint8_t **out,
                                        size_t *out_len, char *why, size_t why_size);

#ifdef __cplusplus
}
#endif
#endif
