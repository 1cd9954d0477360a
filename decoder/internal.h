/* Internal declarations shared by the decoder's source files.
 * Not installed; tests and fuzz targets may include it. */
#ifndef DFS_DECODER_INTERNAL_H
#define DFS_DECODER_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/decoder.h"
#include "dfuscope/dfu.h"
#include "dfuscope/usb.h"

/* ---- little-endian readers over bounded buffers ------------------------- */
static inline uint16_t dfs__le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t dfs__le24(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16);
}
static inline uint32_t dfs__le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

/* Bounded formatting (format.c): appends to buf at *pos, never past size, always
 * NUL-terminated. Returns the new position (clamped to size - 1). */
size_t dfs__appendf(char *buf, size_t size, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
size_t dfs__vappendf(char *buf, size_t size, size_t pos, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* ---- usbmon header ------------------------------------------------------- */
enum dfs__parse_status {
    DFS__PARSE_OK = 0,
    DFS__PARSE_SHORT,     /* shorter than the header: record unusable */
    DFS__PARSE_DAMAGED,   /* header usable, data missing or inconsistent */
    DFS__PARSE_BAD,       /* header field out of range: record unusable */
};

/* Parse one usbmon record into *u (frame and ts are left to the caller).
 * msg receives a reason when the status is not OK. */
enum dfs__parse_status dfs__usbmon_parse(const uint8_t *buf, uint32_t caplen, int linktype,
                                         enum dfs_byte_order order, struct dfs_urb *u,
                                         char *msg, size_t msg_size);

/* Parse one USBPcap record into *u (frame, ts and the URB event type are
 * left to the caller; usbpcap.c). */
enum dfs__parse_status dfs__usbpcap_parse(const uint8_t *buf, uint32_t caplen,
                                          struct dfs_urb *u, char *msg, size_t msg_size);

/* Parse one USB_DARWIN record into *u (frame and ts are left to the
 * caller; darwin.c). */
enum dfs__parse_status dfs__darwin_parse(const uint8_t *buf, uint32_t caplen, struct dfs_urb *u,
                                         char *msg, size_t msg_size);

/* ---- allocation (alloc.c) ------------------------------------------------ */
/* With the caller's allocator, or libc's when a is NULL (the decoder itself
 * is allocated so, before it exists). */
void *dfs__alloc_with(const struct dfs_allocator *a, size_t size);
/* The same, zeroed. */
void *dfs__zalloc_with(const struct dfs_allocator *a, size_t size);
void dfs__free_with(const struct dfs_allocator *a, void *p);
void *dfs__malloc(dfs_decoder *d, size_t size);
void *dfs__calloc(dfs_decoder *d, size_t n, size_t size);
void *dfs__realloc(dfs_decoder *d, void *p, size_t size);
void dfs__free(dfs_decoder *d, void *p);
/* An allocation failed: make DFS_E_NOMEM the decoder's sticky error, with a
 * message naming the frame and what could not be stored. Never dropped
 * silently: every feed/finish after this returns DFS_E_NOMEM. */
void dfs__nomem(dfs_decoder *d, const char *what);

/* ---- findings (finding.c) -------------------------------------------------- */
struct dfs__frames {
    uint64_t v[DFS_FINDING_MAX_FRAMES];
    unsigned n;
};
void dfs__frames_add(struct dfs__frames *f, uint64_t frame);
/* The frames of a finding that two frames prove (either may be 0: none). */
struct dfs__frames dfs__frame_pair(uint64_t a, uint64_t b);

/* Build and emit a finding. remedy may be NULL. Returns 0 or the callback's
 * non-zero stop request (also recorded in the decoder). */
int dfs__emit_finding(dfs_decoder *d, enum dfs_finding_code code, uint32_t device,
                      uint64_t frame, const struct dfs__frames *frames, const char *remedy,
                      const char *fmt, ...) __attribute__((format(printf, 7, 8)));
/* The same, for a finding whose rule saw what some quirks need to explain it:
 * `context`, a DFS__QUIRK_BIT per quirk (quirks.c names the quirks that
 * explain a finding only so). */
int dfs__emit_finding_in(dfs_decoder *d, enum dfs_finding_code code, uint32_t context,
                         uint32_t device, uint64_t frame, const struct dfs__frames *frames,
                         const char *remedy, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* ---- known quirks (quirks.c) ---------------------------------------------- */
/* quirk `id` (1..DFS_QUIRK_MAX) in a set of quirks */
#define DFS__QUIRK_BIT(id) (UINT32_C(1) << ((id) - 1))
struct dfs_quirk_family;
/* The quirk that explains a finding on a device of family `f`, or 0: the
 * first the family shows among those that can explain the finding, when it
 * needs no context or is in `context` (what the rule saw). */
unsigned dfs__quirk_for_finding(const struct dfs_quirk_family *f, enum dfs_finding_code code,
                                uint32_t context);
/* Record a callback's stop request. Returns the same value. */
int dfs__stop(dfs_decoder *d, int rc);
/* Count a rate-limited finding; true when it should be reported now. */
bool dfs__limited(dfs_decoder *d, enum dfs_finding_code code, uint64_t frame);

/* ---- time ---------------------------------------------------------------- */
#define dfs__time_diff_us dfs_time_diff_us

#endif
