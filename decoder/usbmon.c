/* usbmon record header parsing (dfu-facts.md section 5; Linux
 * Documentation/usb/usbmon.rst, "binary interface").
 *
 * The multi-byte header fields are in the capturing host's byte order; the
 * caller says which. The 8 setup bytes are USB wire order (little-endian).
 * All swapping happens here, once, right after reading.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool host_is_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

struct reader {
    const uint8_t *p;
    bool swap;
};

static uint16_t rd16(const struct reader *r, size_t off)
{
    uint16_t v;
    memcpy(&v, r->p + off, 2);
    return r->swap ? (uint16_t)((v >> 8) | (v << 8)) : v;
}

static uint32_t rd32(const struct reader *r, size_t off)
{
    uint32_t v;
    memcpy(&v, r->p + off, 4);
    if (r->swap)
        v = ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
    return v;
}

static uint64_t rd64(const struct reader *r, size_t off)
{
    if (r->swap) /* foreign order: the first four bytes hold the high half */
        return ((uint64_t)rd32(r, off) << 32) | rd32(r, off + 4);
    /* host order: reassemble as stored */
    uint64_t v;
    memcpy(&v, r->p + off, 8);
    return v;
}

/* The 48-byte header has no ndesc field, yet usbmon puts the isochronous
 * descriptors before the data there too (its 48-byte read interface copies
 * the same buffer, and len_cap counts them): one per packet, at most
 * ISODESC_MAX (128, drivers/usb/mon/mon_bin.c). Wireshark reads them the
 * same way. Only records with the iso fields (no setup) have them. */
#define ISODESC_MAX 128

static uint32_t iso_desc_count_48(const struct dfs_urb *u)
{
    if (u->xfer_type != DFS_XFER_ISO || u->flag_setup == 0 || u->iso_numdesc <= 0)
        return 0;
    return u->iso_numdesc > ISODESC_MAX ? ISODESC_MAX : (uint32_t)u->iso_numdesc;
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
    bool little = host_is_little();
    struct reader r = {
        .p = buf,
        .swap = (order == DFS_ORDER_LITTLE && !little) || (order == DFS_ORDER_BIG && little),
    };
    u->id = rd64(&r, 0);
    u->type = (char)buf[8];
    u->xfer_type = buf[9];
    u->endpoint = buf[10];
    u->devnum = buf[11];
    u->bus = rd16(&r, 12);
    u->flag_setup = (char)buf[14];
    u->flag_data = (char)buf[15];
    u->urb_ts_sec = (int64_t)rd64(&r, 16);
    u->urb_ts_usec = (int32_t)rd32(&r, 24);
    u->status = (int32_t)rd32(&r, 28);
    u->length = rd32(&r, 32);
    u->len_cap = rd32(&r, 36);
    u->has_setup = u->flag_setup == 0;
    memcpy(u->setup, buf + 40, 8);
    u->iso_error_count = (int32_t)rd32(&r, 40);
    u->iso_numdesc = (int32_t)rd32(&r, 44);
    u->mmapped = hdrlen == DFS_USBMON_MMAPPED_HDR_LEN;
    if (u->mmapped) {
        u->interval = (int32_t)rd32(&r, 48);
        u->start_frame = (int32_t)rd32(&r, 52);
        u->xfer_flags = rd32(&r, 56);
        u->ndesc = rd32(&r, 60);
    } else {
        u->interval = u->start_frame = 0;
        u->xfer_flags = u->ndesc = 0;
    }
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

static void wr16(uint8_t *p, uint16_t v, bool swap)
{
    if (swap)
        v = (uint16_t)((v >> 8) | (v << 8));
    memcpy(p, &v, 2);
}

static void wr32(uint8_t *p, uint32_t v, bool swap)
{
    if (swap)
        v = ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
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
    /* len_cap counts the iso descriptors too */
    uint64_t len_cap = (uint64_t)ndesc * DFS_USBMON_ISODESC_LEN + u->data_len;
    if (u->len_cap > len_cap)
        len_cap = u->len_cap; /* keep a truncated record's claim */
    if (len_cap > UINT32_MAX)
        return 0;
    if (total > out_size || (u->data_len && !u->data))
        return 0;
    bool little = host_is_little();
    bool swap = (order == DFS_ORDER_LITTLE && !little) || (order == DFS_ORDER_BIG && little);
    memset(out, 0, hdr);
    wr64(out, u->id, swap);
    out[8] = (uint8_t)u->type;
    out[9] = u->xfer_type;
    out[10] = u->endpoint;
    out[11] = u->devnum;
    wr16(out + 12, u->bus, swap);
    out[14] = (uint8_t)u->flag_setup;
    out[15] = (uint8_t)u->flag_data;
    wr64(out + 16, (uint64_t)u->urb_ts_sec, swap);
    wr32(out + 24, (uint32_t)u->urb_ts_usec, swap);
    wr32(out + 28, (uint32_t)u->status, swap);
    wr32(out + 32, u->length, swap);
    wr32(out + 36, (uint32_t)len_cap, swap);
    if (u->flag_setup == 0) {
        memcpy(out + 40, u->setup, 8);
    } else {
        wr32(out + 40, (uint32_t)u->iso_error_count, swap);
        wr32(out + 44, (uint32_t)u->iso_numdesc, swap);
    }
    if (hdr == DFS_USBMON_MMAPPED_HDR_LEN) {
        wr32(out + 48, (uint32_t)u->interval, swap);
        wr32(out + 52, (uint32_t)u->start_frame, swap);
        wr32(out + 56, u->xfer_flags, swap);
        wr32(out + 60, ndesc, swap);
    }
    memset(out + hdr, 0, (size_t)ndesc * DFS_USBMON_ISODESC_LEN);
    if (u->data_len)
        memcpy(out + hdr + (size_t)ndesc * DFS_USBMON_ISODESC_LEN, u->data, u->data_len);
    return (size_t)total;
}
