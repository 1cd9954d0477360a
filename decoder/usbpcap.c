/* The record parser of Windows USBPcap captures, link type 249
 * (reference/capture-formats.md; USBPcap's USBPcap.h and USBPcapURB.c;
 * Wireshark's packet-usb.c).
 *
 * The pseudo header is packed and little-endian whatever the capture file's
 * byte order:
 *   0 headerLen u16 | 2 irpId u64 | 10 status u32 (USBD_STATUS) |
 *   14 function u16 (URB function) | 16 info u8 (bit 0: PDO to FDO, on the
 *   way back) | 17 bus u16 | 19 device u16 | 21 endpoint u8 |
 *   22 transfer u8 (0 iso, 1 interrupt, 2 control, 3 bulk, 0xFE IRP_INFO) |
 *   23 dataLength u32 | 27 stage u8 (control only)
 * headerLen is followed, not assumed: isochronous records carry their packet
 * descriptors in a longer header, later versions may add fields.
 *
 * Each record becomes one URB event, so that every front end sees every
 * record in its own frame. A control transfer comes in one of two forms,
 * both keyed by the IRP id:
 *   USBPcap 1.5 and later: SETUP (the submit: 8 setup bytes, then any OUT
 *   data), COMPLETE (the completion: any IN data, the final status);
 *   before: SETUP, a DATA record with the OUT data (on the way down), a DATA
 *   record with the IN data (on the way back), then STATUS.
 * The SETUP is the submit ('S'), the first record on the way back is the
 * completion ('C'); a DATA record with OUT data after its SETUP and a STATUS
 * record after the IN data are parts ('P') of the transfer the other
 * records make, and the OUT data joins the submit. IRP_INFO records (an IRP
 * USBPcap could not tell more of, such as a pipe reset) are parts too, and
 * so are the bulk and interrupt records of USBPcap before 1.5, which wrote
 * only the direction that carries data (classify_data).
 *
 * USBPcap says nothing of the length a transfer asked for or moved besides
 * the data it holds: the length of a control completion is the data on the
 * way back for IN, the setup's wLength for an OUT transfer that succeeded;
 * the parser remembers the setup of the control transfers in flight for it.
 * Statuses are USBD_STATUS codes, mapped to the Linux errno that means the
 * same (dfs_usbd_status_errno); the code itself stays in os_status. */
#include <stdio.h>
#include <string.h>

#include "finding_text.h"
#include "link.h"
#include "urb.h"

enum {
    UP_HDR_LEN = 0,
    UP_IRP = 2,
    UP_STATUS = 10,
    UP_FUNCTION = 14,
    UP_INFO = 16,
    UP_BUS = 17,
    UP_DEVICE = 19,
    UP_ENDPOINT = 21,
    UP_TRANSFER = 22,
    UP_DATA_LEN = 23,
    UP_STAGE = 27,
};

#define UP_INFO_PDO_TO_FDO 0x01
#define INFLIGHT DFS__USBPCAP_INFLIGHT
typedef struct dfs__usbpcap_inflight inflight_t;

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)dfs__le32(p) | ((uint64_t)dfs__le32(p + 4) << 32);
}

/* ---- parsing the header ----------------------------------------------------------- */

enum dfs__parse_status dfs__usbpcap_parse(const uint8_t *buf, uint32_t caplen,
                                          struct dfs_urb *u, char *msg, size_t msg_size)
{
    if (msg_size)
        msg[0] = '\0';
    memset(u, 0, sizeof *u);
    u->linktype = DFS_LINKTYPE_USBPCAP;
    u->stage = DFS_USBPCAP_STAGE_NONE;
    if (caplen < DFS_USBPCAP_HDR_LEN) {
        snprintf(msg, msg_size, "record of %u bytes is shorter than the %d-byte USBPcap header",
                 caplen, DFS_USBPCAP_HDR_LEN);
        return DFS__PARSE_SHORT;
    }
    uint16_t hdr = dfs__le16(buf + UP_HDR_LEN);
    u->hdr_len = hdr;
    u->id = le64(buf + UP_IRP);
    u->os_status = dfs__le32(buf + UP_STATUS);
    u->function = dfs__le16(buf + UP_FUNCTION);
    u->info = buf[UP_INFO];
    u->bus = dfs__le16(buf + UP_BUS);
    uint16_t dev = dfs__le16(buf + UP_DEVICE);
    u->devnum = (uint8_t)dev;
    u->endpoint = buf[UP_ENDPOINT];
    u->xfer_type = buf[UP_TRANSFER];
    uint32_t dlen = dfs__le32(buf + UP_DATA_LEN);
    u->status = dfs_usbd_status_errno(u->os_status);
    if (hdr < DFS_USBPCAP_HDR_LEN) {
        snprintf(msg, msg_size, "USBPcap headerLen %u is shorter than the %d-byte header", hdr,
                 DFS_USBPCAP_HDR_LEN);
        return DFS__PARSE_BAD;
    }
    if (hdr > caplen) {
        snprintf(msg, msg_size, "USBPcap headerLen %u is longer than the record (%u bytes)", hdr,
                 caplen);
        return DFS__PARSE_SHORT;
    }
    if (dev > 255) {
        snprintf(msg, msg_size, "USBPcap device address %u is over 255", dev);
        return DFS__PARSE_BAD;
    }
    if (u->xfer_type > DFS_XFER_BULK && u->xfer_type != DFS_USBPCAP_XFER_IRP_INFO) {
        snprintf(msg, msg_size, "USBPcap transfer type 0x%02x is none of iso (0), interrupt "
                 "(1), control (2), bulk (3), IRP_INFO (0xfe)", u->xfer_type);
        return DFS__PARSE_BAD;
    }
    if (u->xfer_type == DFS_XFER_CONTROL) {
        if (hdr < DFS_USBPCAP_CONTROL_HDR_LEN) {
            snprintf(msg, msg_size, "USBPcap control record with headerLen %u has no stage "
                     "byte (control records have %d bytes)", hdr, DFS_USBPCAP_CONTROL_HDR_LEN);
            return DFS__PARSE_BAD;
        }
        u->stage = buf[UP_STAGE];
        if (u->stage > DFS_USBPCAP_STAGE_COMPLETE) {
            snprintf(msg, msg_size, "USBPcap control stage %u is none of SETUP (0), DATA (1), "
                     "STATUS (2), COMPLETE (3)", u->stage);
            return DFS__PARSE_BAD;
        }
    }
    u->data = buf + hdr;
    u->len_cap = dlen;
    size_t avail = caplen - hdr;
    enum dfs__parse_status ps = DFS__PARSE_OK;
    if (dlen > avail) {
        snprintf(msg, msg_size, "USBPcap dataLength %u but the record holds %zu bytes after "
                 "the header", dlen, avail);
        u->data_len = (uint32_t)avail;
        ps = DFS__PARSE_DAMAGED;
    } else {
        if (dlen < avail)
            snprintf(msg, msg_size, "USBPcap dataLength %u but %zu bytes follow the header; "
                     "the rest is ignored", dlen, avail);
        u->data_len = dlen;
        ps = dlen < avail ? DFS__PARSE_DAMAGED : DFS__PARSE_OK;
    }
    if (u->stage == DFS_USBPCAP_STAGE_SETUP) {
        if (u->data_len < 8) {
            snprintf(msg, msg_size, "USBPcap SETUP record holds %u bytes, not the 8 of a "
                     "setup packet", u->data_len);
            return DFS__PARSE_BAD;
        }
        u->has_setup = true;
        memcpy(u->setup, u->data, 8);
        u->data += 8;
        u->data_len -= 8;
        u->len_cap = dlen >= 8 ? dlen - 8 : 0;
    }
    u->flag_setup = u->has_setup ? 0 : '-';
    u->flag_data = 0;
    return ps;
}

/* ---- records to URB events --------------------------------------------------------- */

static inflight_t *inflight_find(struct dfs__usbpcap_state *s, uint16_t bus, uint64_t irp)
{
    for (size_t i = 0; i < INFLIGHT; i++)
        if (s->fl[i].used && s->fl[i].irp == irp && s->fl[i].bus == bus)
            return &s->fl[i];
    return NULL;
}

/* A submit: remembered in place of the same IRP's, a free slot, or the oldest. */
static void inflight_add(struct dfs__usbpcap_state *s, const struct dfs_urb *u)
{
    inflight_t *f = inflight_find(s, u->bus, u->id);
    for (size_t i = 0; !f && i < INFLIGHT; i++)
        if (!s->fl[i].used)
            f = &s->fl[i];
    if (!f) { /* all in use: the oldest goes */
        f = &s->fl[0];
        for (size_t i = 1; i < INFLIGHT; i++)
            if (s->fl[i].seq < f->seq)
                f = &s->fl[i];
    }
    bool ctl = u->xfer_type == DFS_XFER_CONTROL;
    *f = (inflight_t){.irp = u->id, .bus = u->bus, .seq = ++s->seq, .used = true,
                      .control = ctl, .endpoint = u->endpoint,
                      .in = ctl ? (u->setup[0] & DFS_REQTYPE_DIR_IN) != 0
                                : (u->endpoint & DFS_ENDPOINT_DIR_IN) != 0,
                      .wLength = ctl ? dfs__le16(u->setup + 6) : 0};
}

static bool follows_last(const struct dfs__usbpcap_state *s, const struct dfs_urb *u,
                         uint8_t stage, bool up)
{
    return s->last_valid && s->last_irp == u->id && s->last_bus == u->bus &&
           s->last_stage == stage && ((s->last_info & UP_INFO_PDO_TO_FDO) != 0) == up;
}

/* Bulk, interrupt and isochronous records. USBPcap before 1.5 wrote one
 * record per transfer, in the direction that carries the data (an OUT
 * submit, an IN completion): such a record stands alone, a part that is
 * never paired. Later versions write both; the first IN submit or OUT
 * completion shows it, and from then on a submit waits for its completion
 * (the same IRP on the same endpoint). */
static void classify_data(struct dfs__usbpcap_state *s, struct dfs_urb *u, bool up)
{
    bool in = (u->endpoint & DFS_ENDPOINT_DIR_IN) != 0;
    u->length = u->len_cap;
    if (!up) {
        if (in)
            s->both_ways = true;
        u->type = s->both_ways ? DFS_URB_SUBMIT : DFS_URB_PART;
        if (u->type == DFS_URB_SUBMIT)
            inflight_add(s, u);
        return;
    }
    if (!in)
        s->both_ways = true;
    inflight_t *f = inflight_find(s, u->bus, u->id);
    if (f && !f->control && f->endpoint == u->endpoint) {
        u->type = DFS_URB_COMPLETE;
        f->used = false;
    } else {
        u->type = DFS_URB_PART;
    }
}

/* Which URB event a good record is, and the lengths usbmon would give it. */
static void classify(struct dfs__usbpcap_state *s, struct dfs_urb *u)
{
    bool up = (u->info & UP_INFO_PDO_TO_FDO) != 0;
    if (u->xfer_type == DFS_USBPCAP_XFER_IRP_INFO) {
        u->type = DFS_URB_PART;
        return;
    }
    if (u->xfer_type != DFS_XFER_CONTROL) {
        classify_data(s, u, up);
        return;
    }
    switch (u->stage) {
    case DFS_USBPCAP_STAGE_SETUP:
        u->type = DFS_URB_SUBMIT;
        u->length = dfs__le16(u->setup + 6);
        inflight_add(s, u);
        return;
    case DFS_USBPCAP_STAGE_DATA:
        if (!up) { /* the OUT data of the old form */
            u->type = DFS_URB_PART;
            return;
        }
        break;
    case DFS_USBPCAP_STAGE_STATUS:
        if (follows_last(s, u, DFS_USBPCAP_STAGE_DATA, true)) {
            u->type = DFS_URB_PART; /* the end of a completion its DATA record began */
            return;
        }
        break;
    default:
        break;
    }
    u->type = DFS_URB_COMPLETE;
    inflight_t *f = inflight_find(s, u->bus, u->id);
    if (f && !f->control)
        f = NULL;
    if (f && !f->in)
        u->length = u->status == 0 ? f->wLength : 0;
    else
        u->length = u->len_cap;
    if (f)
        f->used = false;
}

void dfs__usbpcap_feed(dfs_decoder *d, void *state, const struct dfs_record *rec)
{
    struct dfs__usbpcap_state *s = state;
    struct dfs_urb u;
    char msg[200];
    enum dfs__parse_status ps = dfs__usbpcap_parse(rec->data, rec->caplen, &u, msg, sizeof msg);
    if (!dfs__urb_record_usable(d, rec, ps, msg)) {
        if (ps == DFS__PARSE_SHORT || ps == DFS__PARSE_BAD)
            s->last_valid = false;
        return;
    }
    classify(s, &u);
    s->last_valid = true;
    s->last_irp = u.id;
    s->last_bus = u.bus;
    s->last_stage = u.stage;
    s->last_info = u.info;
    dfs__urb_hand_off(d, rec, &u);
}

/* ---- rendering a usbmon URB event as a USBPcap record ----------------------------- */

static uint32_t usbd_status_of(const struct dfs_urb *u)
{
    if (u->type == DFS_URB_SUBMIT)
        return 0;
    switch (-(int64_t)u->status) {
    case 0: return 0;
    case DFS_LINUX_EPIPE: return 0xC0000004u;                   /* STALL_PID */
    case DFS_LINUX_ENOENT: case DFS_LINUX_ECONNRESET: return 0xC0010000u; /* CANCELED */
    case DFS_LINUX_ENODEV: case DFS_LINUX_ESHUTDOWN: return 0xC0007000u;  /* DEVICE_GONE */
    case DFS_LINUX_ETIMEDOUT: return 0xC0006000u;               /* TIMEOUT */
    case DFS_LINUX_EILSEQ: return 0xC0000001u;                  /* CRC */
    case DFS_LINUX_EOVERFLOW: return 0xC0000012u;               /* BABBLE_DETECTED */
    case DFS_LINUX_EREMOTEIO: return 0xC0000009u;               /* DATA_UNDERRUN */
    case DFS_LINUX_EINVAL: return 0x80000300u;                  /* INVALID_PARAMETER */
    default: return 0xC0000011u;                                /* XACT_ERROR */
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

size_t dfs_usbpcap_encode(const struct dfs_urb *u, uint8_t *out, size_t out_size)
{
    if (!u || !out || u->xfer_type > DFS_XFER_BULK || (u->data_len && !u->data))
        return 0;
    bool ctl = u->xfer_type == DFS_XFER_CONTROL;
    bool setup = ctl && u->type == DFS_URB_SUBMIT && u->has_setup;
    size_t hdr = ctl ? DFS_USBPCAP_CONTROL_HDR_LEN : DFS_USBPCAP_HDR_LEN;
    size_t body = (setup ? 8 : 0) + (size_t)u->data_len;
    if (hdr + body > out_size || body > UINT32_MAX)
        return 0;
    memset(out, 0, hdr);
    put16(out + UP_HDR_LEN, (uint16_t)hdr);
    put32(out + UP_IRP, (uint32_t)u->id);
    put32(out + UP_IRP + 4, (uint32_t)(u->id >> 32));
    put32(out + UP_STATUS, usbd_status_of(u));
    put16(out + UP_FUNCTION, ctl ? 0x0008 : u->xfer_type == DFS_XFER_ISO ? 0x000A : 0x0009);
    out[UP_INFO] = u->type == DFS_URB_SUBMIT ? 0 : UP_INFO_PDO_TO_FDO;
    put16(out + UP_BUS, u->bus);
    put16(out + UP_DEVICE, u->devnum);
    out[UP_ENDPOINT] = u->endpoint;
    out[UP_TRANSFER] = u->xfer_type;
    put32(out + UP_DATA_LEN, (uint32_t)body);
    if (ctl)
        out[UP_STAGE] = setup ? DFS_USBPCAP_STAGE_SETUP : DFS_USBPCAP_STAGE_COMPLETE;
    if (setup)
        memcpy(out + hdr, u->setup, 8);
    if (u->data_len)
        memcpy(out + hdr + (setup ? 8 : 0), u->data, u->data_len);
    return hdr + body;
}
