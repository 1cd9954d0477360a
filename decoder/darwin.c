/* The record parser of macOS captures, link type 266 (USB_DARWIN;
 * reference/capture-formats.md; Wireshark's packet-usb.c,
 * dissect_darwin_buffer_packet_header).
 *
 * The header is little-endian whatever the capture file's byte order:
 *   0 bcdVersion u16 (0x0100, 0x0101) | 2 header length u8 | 3 request type
 *   u8 (0 submit, 1 complete) | 4 I/O length u32 | 8 I/O status u32
 *   (IOReturn) | 12 isochronous frame count u32 | 16 I/O id u64 (pairs a
 *   submit with its completion) | 24 location id u32 (the bus in the top
 *   byte, then one nibble per hub port) | 28 speed u8 | 29 device address u8
 *   | 30 endpoint address u8 | 31 endpoint type u8 (0 control, 1
 *   isochronous, 2 bulk, 3 interrupt)
 * The header length is followed, not assumed: version 1.1 adds fields after
 * these 32 bytes, which are skipped.
 *
 * Each record stands alone as a URB event: a submit of a control transfer
 * holds the setup packet (and any OUT data after it), a completion the data
 * that moved: IN data, and for bulk OUT transfers the data sent. The I/O
 * length is the length asked for on a submit and moved on a completion.
 * Statuses are IOReturn codes, mapped to the Linux errno that means the same
 * (dfs_ioreturn_errno); the code itself stays in os_status. */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"
#include "link.h"
#include "urb.h"

enum {
    DW_VERSION = 0,
    DW_HDR_LEN = 2,
    DW_REQUEST = 3,
    DW_IO_LEN = 4,
    DW_STATUS = 8,
    DW_FRAMES = 12,
    DW_IO_ID = 16,
    DW_LOCATION = 24,
    DW_SPEED = 28,
    DW_DEVICE = 29,
    DW_ENDPOINT = 30,
    DW_EP_TYPE = 31,
};

/* macOS's endpoint types in usbmon's numbering */
static const uint8_t xfer_of[4] = {DFS_XFER_CONTROL, DFS_XFER_ISO, DFS_XFER_BULK,
                                   DFS_XFER_INTERRUPT};

enum dfs__parse_status dfs__darwin_parse(const uint8_t *buf, uint32_t caplen, struct dfs_urb *u,
                                         char *msg, size_t msg_size)
{
    if (msg_size)
        msg[0] = '\0';
    memset(u, 0, sizeof *u);
    u->linktype = DFS_LINKTYPE_USB_DARWIN;
    u->stage = DFS_USBPCAP_STAGE_NONE;
    if (caplen < DFS_DARWIN_HDR_LEN) {
        snprintf(msg, msg_size, "record of %u bytes is shorter than the %d-byte USB_DARWIN "
                 "header", caplen, DFS_DARWIN_HDR_LEN);
        return DFS__PARSE_SHORT;
    }
    u->version = dfs__le16(buf + DW_VERSION);
    u->hdr_len = buf[DW_HDR_LEN];
    uint8_t req = buf[DW_REQUEST];
    u->io_len = dfs__le32(buf + DW_IO_LEN);
    u->os_status = dfs__le32(buf + DW_STATUS);
    u->frame_count = dfs__le32(buf + DW_FRAMES);
    u->id = (uint64_t)dfs__le32(buf + DW_IO_ID) | ((uint64_t)dfs__le32(buf + DW_IO_ID + 4) << 32);
    u->location = dfs__le32(buf + DW_LOCATION);
    u->bus = (uint16_t)(u->location >> 24);
    u->speed = buf[DW_SPEED];
    u->devnum = buf[DW_DEVICE];
    u->endpoint = buf[DW_ENDPOINT];
    u->os_xfer_type = buf[DW_EP_TYPE];
    u->status = dfs_ioreturn_errno(u->os_status);
    u->length = u->io_len;
    if (u->hdr_len < DFS_DARWIN_HDR_LEN) {
        snprintf(msg, msg_size, "USB_DARWIN header length %u is shorter than the %d-byte header",
                 u->hdr_len, DFS_DARWIN_HDR_LEN);
        return DFS__PARSE_BAD;
    }
    if (u->hdr_len > caplen) {
        snprintf(msg, msg_size, "USB_DARWIN header length %u is longer than the record (%u "
                 "bytes)", u->hdr_len, caplen);
        return DFS__PARSE_SHORT;
    }
    if (req > 1) {
        snprintf(msg, msg_size, "USB_DARWIN request type %u is neither submit (0) nor complete "
                 "(1)", req);
        return DFS__PARSE_BAD;
    }
    if (u->os_xfer_type > 3) {
        snprintf(msg, msg_size, "USB_DARWIN endpoint type %u is none of control (0), "
                 "isochronous (1), bulk (2), interrupt (3)", u->os_xfer_type);
        return DFS__PARSE_BAD;
    }
    u->type = req ? DFS_URB_COMPLETE : DFS_URB_SUBMIT;
    u->xfer_type = xfer_of[u->os_xfer_type];
    u->data = buf + u->hdr_len;
    u->data_len = caplen - u->hdr_len;
    u->len_cap = u->data_len;
    u->flag_setup = '-';
    if (u->type == DFS_URB_SUBMIT && u->xfer_type == DFS_XFER_CONTROL) {
        if (u->data_len < 8) {
            snprintf(msg, msg_size, "USB_DARWIN control submit holds %u bytes, not the 8 of a "
                     "setup packet", u->data_len);
            return DFS__PARSE_BAD;
        }
        u->has_setup = true;
        u->flag_setup = 0;
        memcpy(u->setup, u->data, 8);
        u->data += 8;
        u->data_len -= 8;
        u->len_cap = u->data_len;
    }
    /* a transfer moves at most its I/O length: more bytes than that cannot
     * be its data */
    if (u->xfer_type != DFS_XFER_ISO && u->data_len > u->io_len) {
        snprintf(msg, msg_size, "USB_DARWIN I/O length %u but the record holds %u data bytes; "
                 "the rest is ignored", u->io_len, u->data_len);
        u->data_len = u->io_len;
        u->len_cap = u->io_len;
        return DFS__PARSE_DAMAGED;
    }
    return DFS__PARSE_OK;
}

void dfs__darwin_feed(dfs_decoder *d, void *state, const struct dfs_record *rec)
{
    (void)state; /* records stand alone; the I/O id pairs them */
    struct dfs_urb u;
    char msg[200];
    enum dfs__parse_status ps = dfs__darwin_parse(rec->data, rec->caplen, &u, msg, sizeof msg);
    if (dfs__urb_record_usable(d, rec, ps, msg))
        dfs__urb_hand_off(d, rec, &u);
}

/* ---- rendering a usbmon URB event as a USB_DARWIN record ---------------------------- */

static uint32_t ioreturn_of(const struct dfs_urb *u)
{
    if (u->type == DFS_URB_SUBMIT)
        return 0;
    switch (-(int64_t)u->status) {
    case 0: return 0;
    case DFS_LINUX_EPIPE: return 0xE0005000u;       /* kUSBHostReturnPipeStalled */
    case DFS_LINUX_ENOENT: case DFS_LINUX_ECONNRESET: return 0xE00002EBu; /* kIOReturnAborted */
    case DFS_LINUX_ENODEV: case DFS_LINUX_ESHUTDOWN: return 0xE00002C0u;  /* kIOReturnNoDevice */
    case DFS_LINUX_ETIMEDOUT: return 0xE00002D6u;   /* kIOReturnTimeout */
    case DFS_LINUX_EOVERFLOW: return 0xE00002E8u;   /* kIOReturnOverrun */
    case DFS_LINUX_EREMOTEIO: return 0xE00002E7u;   /* kIOReturnUnderrun */
    case DFS_LINUX_EINVAL: return 0xE00002C2u;      /* kIOReturnBadArgument */
    case DFS_LINUX_EPROTO: case DFS_LINUX_EILSEQ: case DFS_LINUX_ETIME:
        return 0xE00002EDu;                         /* kIOReturnNotResponding */
    default: return 0xE00002BCu;                    /* kIOReturnError */
    }
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

size_t dfs_darwin_encode(const struct dfs_urb *u, uint8_t *out, size_t out_size)
{
    static const uint8_t ep_type_of[4] = {1, 3, 0, 2}; /* usbmon's numbering to macOS's */
    if (!u || !out || u->xfer_type > DFS_XFER_BULK || u->bus > 255 ||
        (u->data_len && !u->data))
        return 0;
    bool setup = u->xfer_type == DFS_XFER_CONTROL && u->type == DFS_URB_SUBMIT && u->has_setup;
    size_t body = (setup ? 8 : 0) + (size_t)u->data_len;
    if (DFS_DARWIN_HDR_LEN + body > out_size)
        return 0;
    memset(out, 0, DFS_DARWIN_HDR_LEN);
    out[DW_VERSION] = 0x00;
    out[DW_VERSION + 1] = 0x01;
    out[DW_HDR_LEN] = DFS_DARWIN_HDR_LEN;
    out[DW_REQUEST] = u->type == DFS_URB_SUBMIT ? 0 : 1;
    /* the I/O length: asked for, or moved; never fewer than the data held */
    put32(out + DW_IO_LEN, u->length > u->data_len ? u->length : u->data_len);
    put32(out + DW_STATUS, ioreturn_of(u));
    put32(out + DW_IO_ID, (uint32_t)u->id);
    put32(out + DW_IO_ID + 4, (uint32_t)(u->id >> 32));
    put32(out + DW_LOCATION, (uint32_t)u->bus << 24);
    out[DW_DEVICE] = u->devnum;
    out[DW_ENDPOINT] = u->endpoint;
    out[DW_EP_TYPE] = ep_type_of[u->xfer_type];
    if (setup)
        memcpy(out + DFS_DARWIN_HDR_LEN, u->setup, 8);
    if (u->data_len)
        memcpy(out + DFS_DARWIN_HDR_LEN + (setup ? 8 : 0), u->data, u->data_len);
    return DFS_DARWIN_HDR_LEN + body;
}
