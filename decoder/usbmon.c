/* The record parser of Linux usbmon captures, link types 189 (48-byte
 * header) and 220 (64-byte header): dfu-facts.md section 5; Linux
 * Documentation/usb/usbmon.rst, "binary interface".
 *
 * The one place the usbmon header is spelled out: its layout (the offsets
 * below) and its byte swapping serve the parser, the encoder
 * (dfs_usbmon_encode) and the rewriting of a record into this host's order
 * (dfs_usbmon_host_order). The multi-byte header fields are in the
 * capturing host's byte order, which the caller says; the 8 setup bytes are
 * USB wire order (little-endian) and never swapped. All swapping happens
 * here, once, right after reading or right before writing.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "finding_text.h"
#include "link.h"
#include "urb.h"

/* ---- the header ------------------------------------------------------------ */

enum {
    UM_ID = 0,              /* u64 URB id (kernel address) */
    UM_TYPE = 8,            /* 'S', 'C', 'E' */
    UM_XFER_TYPE = 9,       /* iso 0, interrupt 1, control 2, bulk 3 */
    UM_EPNUM = 10,          /* with the direction bit 0x80 */
    UM_DEVNUM = 11,
    UM_BUSNUM = 12,         /* u16 */
    UM_FLAG_SETUP = 14,     /* 0: setup bytes follow at UM_SETUP */
    UM_FLAG_DATA = 15,      /* 0: data follows the header */
    UM_TS_SEC = 16,         /* s64 */
    UM_TS_USEC = 24,        /* s32 */
    UM_STATUS = 28,         /* s32, negative errno */
    UM_LENGTH = 32,         /* u32 */
    UM_LEN_CAP = 36,        /* u32: bytes after the header (iso descriptors, then data) */
    UM_SETUP = 40,          /* 8 setup bytes, wire order; or, without setup: */
    UM_ISO_ERROR_COUNT = 40, /* s32 */
    UM_ISO_NUMDESC = 44,    /* s32 */
    /* the 64-byte form only */
    UM_INTERVAL = 48,       /* s32 */
    UM_START_FRAME = 52,    /* s32 */
    UM_XFER_FLAGS = 56,     /* u32 */
    UM_NDESC = 60,          /* u32: iso descriptors before the data */
};

/* The 48-byte header has no ndesc field, yet usbmon puts the isochronous
 * descriptors before the data there too (its 48-byte read interface copies
 * the same buffer, and len_cap counts them): one per packet, at most
 * ISODESC_MAX (128, drivers/usb/mon/mon_bin.c). Wireshark reads them the
 * same way. Only records with the iso fields (no setup) have them. */
#define ISODESC_MAX 128

static bool host_is_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

enum dfs_byte_order dfs_host_byte_order(void)
{
    return host_is_little() ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
}

/* Are header fields in this order swapped relative to this host? */
static bool swaps(enum dfs_byte_order order)
{
    bool little = host_is_little();
    return (order == DFS_ORDER_LITTLE && !little) || (order == DFS_ORDER_BIG && little);
}

static uint32_t swap32(uint32_t v)
{
    return ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static void wr16(uint8_t *p, uint16_t v, bool swap)
{
    if (swap)
        v = (uint16_t)((v >> 8) | (v << 8));
    memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v, bool swap)
{
    if (swap)
        v = swap32(v);
    memcpy(p, &v, 4);
}

static void wr64(uint8_t *p, uint64_t v, bool swap)
{
    if (swap) {
        wr32(p, (uint32_t)(v >> 32), true);
        wr32(p + 4, (uint32_t)v, true);
    } else {
        memcpy(p, &v, 8);
    }
}

static uint32_t iso_desc_count_48(const struct dfs_urb *u)
{
    if (u->xfer_type != DFS_XFER_ISO || u->flag_setup == 0 || u->iso_numdesc <= 0)
        return 0;
    return u->iso_numdesc > ISODESC_MAX ? ISODESC_MAX : (uint32_t)u->iso_numdesc;
}

/* ---- parsing ---------------------------------------------------------------- */

/* The header's fields as stored (the setup bytes and the iso fields share
 * their place; both are read, as the record's flag_setup decides which one
 * means something). */
static void read_header(const uint8_t *buf, bool mmapped, struct dfs_urb *u)
{
    memcpy(&u->id, buf + UM_ID, 8);
    u->type = (char)buf[UM_TYPE];
    u->xfer_type = buf[UM_XFER_TYPE];
    u->endpoint = buf[UM_EPNUM];
    u->devnum = buf[UM_DEVNUM];
    memcpy(&u->bus, buf + UM_BUSNUM, 2);
    u->flag_setup = (char)buf[UM_FLAG_SETUP];
    u->flag_data = (char)buf[UM_FLAG_DATA];
    memcpy(&u->urb_ts_sec, buf + UM_TS_SEC, 8);
    memcpy(&u->urb_ts_usec, buf + UM_TS_USEC, 4);
    memcpy(&u->status, buf + UM_STATUS, 4);
    memcpy(&u->length, buf + UM_LENGTH, 4);
    memcpy(&u->len_cap, buf + UM_LEN_CAP, 4);
    u->has_setup = u->flag_setup == 0;
    memcpy(u->setup, buf + UM_SETUP, 8);
    memcpy(&u->iso_error_count, buf + UM_ISO_ERROR_COUNT, 4);
    memcpy(&u->iso_numdesc, buf + UM_ISO_NUMDESC, 4);
    u->mmapped = mmapped;
    if (mmapped) {
        memcpy(&u->interval, buf + UM_INTERVAL, 4);
        memcpy(&u->start_frame, buf + UM_START_FRAME, 4);
        memcpy(&u->xfer_flags, buf + UM_XFER_FLAGS, 4);
        memcpy(&u->ndesc, buf + UM_NDESC, 4);
    } else {
        u->interval = u->start_frame = 0;
        u->xfer_flags = u->ndesc = 0;
    }
}

static uint64_t swap64(uint64_t v)
{
    return ((uint64_t)swap32((uint32_t)v) << 32) | swap32((uint32_t)(v >> 32));
}

/* A header written by a host of the other byte order: its multi-byte fields
 * into this host's order (the setup bytes are wire order: never swapped). */
static void swap_header(struct dfs_urb *u)
{
    u->id = swap64(u->id);
    u->bus = (uint16_t)((u->bus >> 8) | (u->bus << 8));
    u->urb_ts_sec = (int64_t)swap64((uint64_t)u->urb_ts_sec);
    u->urb_ts_usec = (int32_t)swap32((uint32_t)u->urb_ts_usec);
    u->status = (int32_t)swap32((uint32_t)u->status);
    u->length = swap32(u->length);
    u->len_cap = swap32(u->len_cap);
    u->iso_error_count = (int32_t)swap32((uint32_t)u->iso_error_count);
    u->iso_numdesc = (int32_t)swap32((uint32_t)u->iso_numdesc);
    u->interval = (int32_t)swap32((uint32_t)u->interval);
    u->start_frame = (int32_t)swap32((uint32_t)u->start_frame);
    u->xfer_flags = swap32(u->xfer_flags);
    u->ndesc = swap32(u->ndesc);
}

enum dfs__parse_status dfs__usbmon_parse(const uint8_t *buf, uint32_t caplen, int linktype,
                                         enum dfs_byte_order order, struct dfs_urb *u,
                                         char *msg, size_t msg_size)
{
    size_t hdrlen = linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED ? DFS_USBMON_MMAPPED_HDR_LEN
                                                                : DFS_USBMON_HDR_LEN;
    if (msg_size)
        msg[0] = '\0';
    if (caplen < hdrlen) {
        snprintf(msg, msg_size, "record of %u bytes is shorter than the %zu-byte usbmon header",
                 caplen, hdrlen);
        return DFS__PARSE_SHORT;
    }
    read_header(buf, hdrlen == DFS_USBMON_MMAPPED_HDR_LEN, u);
    if (swaps(order))
        swap_header(u);
    u->data = NULL;
    u->data_len = 0;

    if (u->type != DFS_URB_SUBMIT && u->type != DFS_URB_COMPLETE && u->type != DFS_URB_ERROR) {
        snprintf(msg, msg_size, "usbmon event type 0x%02x is none of 'S', 'C', 'E'",
                 (unsigned)(uint8_t)u->type);
        return DFS__PARSE_BAD;
    }
    if (u->xfer_type > DFS_XFER_BULK) {
        snprintf(msg, msg_size, "usbmon transfer type %u is none of iso (0), interrupt (1), "
                 "control (2), bulk (3)", u->xfer_type);
        return DFS__PARSE_BAD;
    }

    /* len_cap counts every byte after the header: the isochronous
     * descriptors come first, then the data. */
    if (!u->mmapped)
        u->ndesc = iso_desc_count_48(u);
    size_t avail = caplen - hdrlen;
    uint32_t desc_bytes = 0;
    if (u->ndesc) {
        uint64_t want = (uint64_t)u->ndesc * DFS_USBMON_ISODESC_LEN;
        if (want > u->len_cap || want > avail) {
            if (u->mmapped)
                snprintf(msg, msg_size, "ndesc %u", u->ndesc);
            else
                snprintf(msg, msg_size, "iso_numdesc %d", (int)u->iso_numdesc);
            dfs__appendf(msg, msg_size, strlen(msg),
                         " announces %llu bytes of isochronous descriptors but len_cap is %u "
                         "and %zu bytes follow the header",
                         (unsigned long long)want, u->len_cap, avail);
            u->data = buf + hdrlen;
            return DFS__PARSE_DAMAGED; /* header fields are still good */
        }
        desc_bytes = (uint32_t)want;
    }
    u->data = buf + hdrlen + desc_bytes;
    uint32_t want_data = u->len_cap - desc_bytes;
    if (u->flag_data != 0 && want_data != 0) {
        /* usbmon captures no data when flag_data says so */
        snprintf(msg, msg_size, "len_cap %u although the data flag '%c' says no data follows",
                 u->len_cap, (u->flag_data > 0x20 && u->flag_data < 0x7f) ? u->flag_data : '?');
        return DFS__PARSE_DAMAGED;
    }
    if (u->len_cap > avail) {
        u->data_len = avail > desc_bytes ? (uint32_t)(avail - desc_bytes) : 0;
        snprintf(msg, msg_size,
                 "usbmon header announces %u data bytes (len_cap) but the record holds %zu",
                 u->len_cap, avail);
        return DFS__PARSE_DAMAGED;
    }
    u->data_len = want_data;
    return DFS__PARSE_OK;
}

void dfs__usbmon_feed(dfs_decoder *d, void *state, const struct dfs_record *rec)
{
    (void)state; /* usbmon records stand alone */
    struct dfs_urb u;
    /* The parser sets every usbmon field, the hand-off the frame, time and
     * link, pairing the device: what other formats have (from linktype on)
     * stays 0. Not the whole struct: this runs for every record. */
    memset(&u.linktype, 0, sizeof u - offsetof(struct dfs_urb, linktype));
    char msg[200];
    enum dfs__parse_status ps =
        dfs__usbmon_parse(rec->data, rec->caplen, rec->linktype, rec->order, &u, msg, sizeof msg);
    if (ps == DFS__PARSE_OK || dfs__urb_record_usable(d, rec, ps, msg))
        dfs__urb_hand_off(d, rec, &u);
}

/* ---- encoding ------------------------------------------------------------------ */

size_t dfs_usbmon_encode(const struct dfs_urb *u, int linktype, enum dfs_byte_order order,
                         uint8_t *out, size_t out_size)
{
    if (!u || !out)
        return 0;
    size_t hdr;
    if (linktype == DFS_LINKTYPE_USB_LINUX)
        hdr = DFS_USBMON_HDR_LEN;
    else if (linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED)
        hdr = DFS_USBMON_MMAPPED_HDR_LEN;
    else
        return 0;
    uint32_t ndesc = linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED ? u->ndesc : iso_desc_count_48(u);
    uint64_t total = hdr + (uint64_t)ndesc * DFS_USBMON_ISODESC_LEN + u->data_len;
    /* len_cap counts the iso descriptors too. Keep a truncated record's
     * claim of data bytes: len_cap without the descriptors of the record it
     * came from, whose number may differ from what this form carries. */
    uint64_t desc_in = (uint64_t)u->ndesc * DFS_USBMON_ISODESC_LEN;
    uint64_t claim = u->len_cap > desc_in ? u->len_cap - desc_in : 0;
    if (claim < u->data_len)
        claim = u->data_len;
    uint64_t len_cap = (uint64_t)ndesc * DFS_USBMON_ISODESC_LEN + claim;
    if (len_cap > UINT32_MAX)
        return 0;
    if (total > out_size || (u->data_len && !u->data))
        return 0;
    bool swap = swaps(order);
    memset(out, 0, hdr);
    wr64(out + UM_ID, u->id, swap);
    out[UM_TYPE] = (uint8_t)u->type;
    out[UM_XFER_TYPE] = u->xfer_type;
    out[UM_EPNUM] = u->endpoint;
    out[UM_DEVNUM] = u->devnum;
    wr16(out + UM_BUSNUM, u->bus, swap);
    out[UM_FLAG_SETUP] = (uint8_t)u->flag_setup;
    out[UM_FLAG_DATA] = (uint8_t)u->flag_data;
    wr64(out + UM_TS_SEC, (uint64_t)u->urb_ts_sec, swap);
    wr32(out + UM_TS_USEC, (uint32_t)u->urb_ts_usec, swap);
    wr32(out + UM_STATUS, (uint32_t)u->status, swap);
    wr32(out + UM_LENGTH, u->length, swap);
    wr32(out + UM_LEN_CAP, (uint32_t)len_cap, swap);
    if (u->flag_setup == 0) {
        memcpy(out + UM_SETUP, u->setup, 8);
    } else {
        wr32(out + UM_ISO_ERROR_COUNT, (uint32_t)u->iso_error_count, swap);
        wr32(out + UM_ISO_NUMDESC, (uint32_t)u->iso_numdesc, swap);
    }
    if (hdr == DFS_USBMON_MMAPPED_HDR_LEN) {
        wr32(out + UM_INTERVAL, (uint32_t)u->interval, swap);
        wr32(out + UM_START_FRAME, (uint32_t)u->start_frame, swap);
        wr32(out + UM_XFER_FLAGS, u->xfer_flags, swap);
        wr32(out + UM_NDESC, ndesc, swap);
    }
    memset(out + hdr, 0, (size_t)ndesc * DFS_USBMON_ISODESC_LEN);
    if (u->data_len)
        memcpy(out + hdr + (size_t)ndesc * DFS_USBMON_ISODESC_LEN, u->data, u->data_len);
    return (size_t)total;
}

/* ---- rewriting into this host's order ---------------------------------------------- */

/* Reverse n bytes at p + off when they are all inside len. */
static void swap_at(uint8_t *p, size_t len, size_t off, size_t n)
{
    if (off + n > len)
        return;
    for (size_t i = 0; i < n / 2; i++) {
        uint8_t t = p[off + i];
        p[off + i] = p[off + n - 1 - i];
        p[off + n - 1 - i] = t;
    }
}

/* The usbmon header is in the capture file's order by convention (libpcap
 * swaps it when reading a file of the other order), so records read from a
 * capture made on a host of the other byte order are rewritten before they
 * are written into a file of this host's order. */
size_t dfs_usbmon_host_order(const struct dfs_record *rec, uint8_t *out, size_t out_size)
{
    if (!rec || !out || rec->caplen > out_size || (!rec->data && rec->caplen))
        return 0;
    size_t len = rec->caplen;
    if (len)
        memcpy(out, rec->data, len);
    bool mmapped = rec->linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED;
    if (!swaps(rec->order) || (!mmapped && rec->linktype != DFS_LINKTYPE_USB_LINUX))
        return len;
    swap_at(out, len, UM_ID, 8);
    swap_at(out, len, UM_BUSNUM, 2);
    swap_at(out, len, UM_TS_SEC, 8);
    swap_at(out, len, UM_TS_USEC, 4);
    swap_at(out, len, UM_STATUS, 4);
    swap_at(out, len, UM_LENGTH, 4);
    swap_at(out, len, UM_LEN_CAP, 4);
    /* The iso fields share their place with the setup bytes: they are there
     * when flag_setup says no setup follows, as the parser reads them (setup
     * bytes are in wire order and never swapped). */
    bool iso = len > UM_FLAG_SETUP && out[UM_XFER_TYPE] == DFS_XFER_ISO &&
               out[UM_FLAG_SETUP] != 0;
    if (iso) {
        swap_at(out, len, UM_ISO_ERROR_COUNT, 4);
        swap_at(out, len, UM_ISO_NUMDESC, 4);
    }
    size_t off = DFS_USBMON_HDR_LEN;
    if (mmapped) {
        swap_at(out, len, UM_INTERVAL, 4);
        swap_at(out, len, UM_START_FRAME, 4);
        swap_at(out, len, UM_XFER_FLAGS, 4);
        swap_at(out, len, UM_NDESC, 4);
        off = DFS_USBMON_MMAPPED_HDR_LEN;
    }
    if (!iso || len < off)
        return len;
    /* the descriptors before the data: ndesc of them in the 64-byte form;
     * in the 48-byte form one per packet (numdesc), at most ISODESC_MAX, as
     * the parser counts them */
    uint32_t ndesc;
    if (mmapped) {
        memcpy(&ndesc, out + UM_NDESC, 4); /* now in host order */
    } else {
        int32_t numdesc;
        memcpy(&numdesc, out + UM_ISO_NUMDESC, 4);
        ndesc = numdesc <= 0 ? 0 : numdesc > ISODESC_MAX ? ISODESC_MAX : (uint32_t)numdesc;
    }
    for (uint32_t i = 0; i < ndesc && off + DFS_USBMON_ISODESC_LEN <= len; i++) {
        for (size_t k = 0; k < DFS_USBMON_ISODESC_LEN; k += 4)
            swap_at(out, len, off + k, 4); /* status, offset, length, padding */
        off += DFS_USBMON_ISODESC_LEN;
    }
    return len;
}
