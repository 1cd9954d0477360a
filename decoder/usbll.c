/* Packet-level USB 2.0 records (link types 288, 293-295): each record is one
 * packet from its PID byte on, without SYNC and EOP (USB 2.0 section 8.3,
 * 8.4; tcpdump.org LINKTYPE_USB_2_0). This file checks each packet and puts
 * the packets of one transaction together; usbll_ctl.c rebuilds control
 * transfers from the transactions.
 *
 *   token      PID, 7-bit address and 4-bit endpoint, CRC5 (3 bytes)
 *   SOF        PID, 11-bit frame number, CRC5 (3 bytes): counted, skipped
 *   SPLIT      PID, hub address, SC, port, S, E, ET, CRC5 (4 bytes)
 *   data       PID, 0-1024 bytes, CRC16 (little-endian)
 *   handshake  PID alone
 *
 * A packet with a bad PID check nibble, a wrong length or a bad CRC is a
 * capture.bad-packet finding naming its frame and is left out; a data
 * packet or handshake that belongs to no transaction is a
 * capture.half-transaction finding. Decoding goes on with the next packet. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "finding_text.h"
#include "usbll.h"

/* ---- CRCs (USB 2.0 section 8.3.5) ---------------------------------------- */

uint8_t dfs_usb_crc5(uint32_t bits, unsigned nbits)
{
    uint8_t crc = 0x1F;
    for (unsigned i = 0; i < nbits; i++) {
        unsigned b = (bits >> i) & 1u;
        crc = ((crc ^ b) & 1u) ? (uint8_t)((crc >> 1) ^ 0x14) : (uint8_t)(crc >> 1);
    }
    return (uint8_t)(crc ^ 0x1F);
}

/* CRC16 x^16 + x^15 + x^2 + 1, bits least significant first (0xA001
 * reflected), a byte at a time: entry i is the CRC register after shifting
 * the byte i through it */
static const uint16_t CRC16_TABLE[256] = {
    0x0000, 0xC0C1, 0xC181, 0x0140, 0xC301, 0x03C0, 0x0280, 0xC241,
    0xC601, 0x06C0, 0x0780, 0xC741, 0x0500, 0xC5C1, 0xC481, 0x0440,
    0xCC01, 0x0CC0, 0x0D80, 0xCD41, 0x0F00, 0xCFC1, 0xCE81, 0x0E40,
    0x0A00, 0xCAC1, 0xCB81, 0x0B40, 0xC901, 0x09C0, 0x0880, 0xC841,
    0xD801, 0x18C0, 0x1980, 0xD941, 0x1B00, 0xDBC1, 0xDA81, 0x1A40,
    0x1E00, 0xDEC1, 0xDF81, 0x1F40, 0xDD01, 0x1DC0, 0x1C80, 0xDC41,
    0x1400, 0xD4C1, 0xD581, 0x1540, 0xD701, 0x17C0, 0x1680, 0xD641,
    0xD201, 0x12C0, 0x1380, 0xD341, 0x1100, 0xD1C1, 0xD081, 0x1040,
    0xF001, 0x30C0, 0x3180, 0xF141, 0x3300, 0xF3C1, 0xF281, 0x3240,
    0x3600, 0xF6C1, 0xF781, 0x3740, 0xF501, 0x35C0, 0x3480, 0xF441,
    0x3C00, 0xFCC1, 0xFD81, 0x3D40, 0xFF01, 0x3FC0, 0x3E80, 0xFE41,
    0xFA01, 0x3AC0, 0x3B80, 0xFB41, 0x3900, 0xF9C1, 0xF881, 0x3840,
    0x2800, 0xE8C1, 0xE981, 0x2940, 0xEB01, 0x2BC0, 0x2A80, 0xEA41,
    0xEE01, 0x2EC0, 0x2F80, 0xEF41, 0x2D00, 0xEDC1, 0xEC81, 0x2C40,
    0xE401, 0x24C0, 0x2580, 0xE541, 0x2700, 0xE7C1, 0xE681, 0x2640,
    0x2200, 0xE2C1, 0xE381, 0x2340, 0xE101, 0x21C0, 0x2080, 0xE041,
    0xA001, 0x60C0, 0x6180, 0xA141, 0x6300, 0xA3C1, 0xA281, 0x6240,
    0x6600, 0xA6C1, 0xA781, 0x6740, 0xA501, 0x65C0, 0x6480, 0xA441,
    0x6C00, 0xACC1, 0xAD81, 0x6D40, 0xAF01, 0x6FC0, 0x6E80, 0xAE41,
    0xAA01, 0x6AC0, 0x6B80, 0xAB41, 0x6900, 0xA9C1, 0xA881, 0x6840,
    0x7800, 0xB8C1, 0xB981, 0x7940, 0xBB01, 0x7BC0, 0x7A80, 0xBA41,
    0xBE01, 0x7EC0, 0x7F80, 0xBF41, 0x7D00, 0xBDC1, 0xBC81, 0x7C40,
    0xB401, 0x74C0, 0x7580, 0xB541, 0x7700, 0xB7C1, 0xB681, 0x7640,
    0x7200, 0xB2C1, 0xB381, 0x7340, 0xB101, 0x71C0, 0x7080, 0xB041,
    0x5000, 0x90C1, 0x9181, 0x5140, 0x9301, 0x53C0, 0x5280, 0x9241,
    0x9601, 0x56C0, 0x5780, 0x9741, 0x5500, 0x95C1, 0x9481, 0x5440,
    0x9C01, 0x5CC0, 0x5D80, 0x9D41, 0x5F00, 0x9FC1, 0x9E81, 0x5E40,
    0x5A00, 0x9AC1, 0x9B81, 0x5B40, 0x9901, 0x59C0, 0x5880, 0x9841,
    0x8801, 0x48C0, 0x4980, 0x8941, 0x4B00, 0x8BC1, 0x8A81, 0x4A40,
    0x4E00, 0x8EC1, 0x8F81, 0x4F40, 0x8D01, 0x4DC0, 0x4C80, 0x8C41,
    0x4400, 0x84C1, 0x8581, 0x4540, 0x8701, 0x47C0, 0x4680, 0x8641,
    0x8201, 0x42C0, 0x4380, 0x8341, 0x4100, 0x81C1, 0x8081, 0x4040,
};

uint16_t dfs_usb_crc16(const uint8_t *p, size_t n)
{
    uint16_t crc = 0xFFFF;
    for (size_t i = 0; i < n; i++)
        crc = (uint16_t)((crc >> 8) ^ CRC16_TABLE[(crc ^ p[i]) & 0xFF]);
    return (uint16_t)~crc;
}

/* ---- PIDs ------------------------------------------------------------------ */

enum kind { K_TOKEN, K_SOF, K_SPLIT, K_DATA, K_HANDSHAKE, K_PRE_ERR, K_EXT };

static const struct pid_row {
    uint8_t pid;
    enum kind kind;
    const char *name;
} PIDS[] = {
    {DFS__PID_OUT, K_TOKEN, "OUT"},        {DFS__PID_IN, K_TOKEN, "IN"},
    {DFS__PID_SOF, K_SOF, "SOF"},          {DFS__PID_SETUP, K_TOKEN, "SETUP"},
    {DFS__PID_DATA0, K_DATA, "DATA0"},     {DFS__PID_DATA1, K_DATA, "DATA1"},
    {DFS__PID_DATA2, K_DATA, "DATA2"},     {DFS__PID_MDATA, K_DATA, "MDATA"},
    {DFS__PID_ACK, K_HANDSHAKE, "ACK"},    {DFS__PID_NAK, K_HANDSHAKE, "NAK"},
    {DFS__PID_STALL, K_HANDSHAKE, "STALL"}, {DFS__PID_NYET, K_HANDSHAKE, "NYET"},
    {DFS__PID_PRE_ERR, K_PRE_ERR, "PRE/ERR"}, {DFS__PID_SPLIT, K_SPLIT, "SPLIT"},
    {DFS__PID_PING, K_TOKEN, "PING"},      {DFS__PID_EXT, K_EXT, "EXT"},
};

static const struct pid_row *pid_row(uint8_t pid)
{
    if ((pid >> 4) != (~pid & 0x0F))
        return NULL;
    /* the low nibble names the PID once the check bits are right */
    static const int8_t by_nibble[16] = {15, 0, 8, 4, 14, 2, 11, 6,
                                         13, 1, 9, 5, 12, 3, 10, 7};
    const struct pid_row *r = &PIDS[by_nibble[pid & 0x0F]];
    return r->pid == pid ? r : NULL;
}

const char *dfs__usb_pid_name(uint8_t pid)
{
    const struct pid_row *r = pid_row(pid);
    return r ? r->name : NULL;
}

/* ---- findings ------------------------------------------------------------- */

static void bad_packet(dfs_decoder *d, const struct dfs_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad_packet(dfs_decoder *d, const struct dfs_record *rec, const char *fmt, ...)
{
    d->stats.records_skipped++;
    if (!dfs__limited(d, DFS_F_CAPTURE_BAD_PACKET, rec->frame))
        return;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dfs__say_record_problem(d, DFS_F_CAPTURE_BAD_PACKET, rec->frame, msg, true);
}

static void half_transaction(dfs_decoder *d, uint64_t frame, const char *what)
{
    if (dfs__limited(d, DFS_F_CAPTURE_HALF_TRANSACTION, frame))
        dfs__say_record_problem(d, DFS_F_CAPTURE_HALF_TRANSACTION, frame, what, false);
}

/* ---- transactions ------------------------------------------------------------ */

/* The open transaction is over (its handshake came, or the next token or
 * SOF shows that none will): hand it on. */
static void close_txn(dfs_decoder *d, struct dfs__usbll_state *s)
{
    if (!s->open)
        return;
    s->open = false;
    s->transactions++;
    s->t.data = s->data;
    if (!s->t.has_data && !s->t.handshake && !s->t.data_lost) {
        char what[120];
        snprintf(what, sizeof what, "%s token to %u.%u that nothing answered",
                 dfs__usb_pid_name(s->t.token), s->t.addr, s->t.ep);
        half_transaction(d, s->t.last_frame, what);
        if (d->error)
            return;
    }
    if (s->on_txn)
        s->on_txn(s->on_txn_user, &s->t);
    dfs__usbll_ctl_txn(d, s, &s->t);
}

static void add_frame(struct dfs__usbll_txn *t, const struct dfs_record *rec)
{
    t->last_frame = rec->frame;
    t->last_ts = rec->ts;
}

static void on_token(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec)
{
    close_txn(d, s);
    if (d->error)
        return;
    uint16_t v = dfs__le16(rec->data + 1);
    struct dfs__usbll_txn *t = &s->t;
    bool split = s->pending_split;
    struct dfs__usbll_txn keep = *t; /* the SPLIT's fields */
    memset(t, 0, sizeof *t);
    if (split) {
        t->split = true;
        t->split_complete = keep.split_complete;
        t->split_hub = keep.split_hub;
        t->split_port = keep.split_port;
        t->split_et = keep.split_et;
        t->split_low_speed = keep.split_low_speed;
        t->first_frame = keep.first_frame;
        t->first_ts = keep.first_ts;
    } else {
        t->first_frame = rec->frame;
        t->first_ts = rec->ts;
    }
    s->pending_split = false;
    t->token = rec->data[0];
    t->addr = (uint8_t)(v & 0x7F);
    t->ep = (uint8_t)((v >> 7) & 0x0F);
    add_frame(t, rec);
    s->open = true;
}

static void on_split(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec)
{
    close_txn(d, s);
    if (d->error)
        return;
    const uint8_t *p = rec->data;
    struct dfs__usbll_txn *t = &s->t;
    memset(t, 0, sizeof *t);
    t->split_hub = p[1] & 0x7F;
    t->split_complete = (p[1] & 0x80) != 0;
    t->split_port = p[2] & 0x7F;
    t->split_low_speed = (p[2] & 0x80) != 0; /* S: low speed for control and interrupt */
    t->split_et = (uint8_t)((p[3] >> 1) & 0x03);
    t->first_frame = rec->frame;
    t->first_ts = rec->ts;
    s->pending_split = true;
}

static void on_data(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec,
                    const char *name)
{
    struct dfs__usbll_txn *t = &s->t;
    if (!s->open || t->has_data || t->token == DFS__PID_PING) {
        char what[120];
        snprintf(what, sizeof what, "%s packet outside a transaction (%s); left out", name,
                 !s->open ? "no token before it" : t->has_data ? "a second data packet"
                                                               : "PING takes no data");
        half_transaction(d, rec->frame, what);
        return;
    }
    uint32_t n = rec->caplen - 3;
    t->has_data = true;
    t->data_pid = rec->data[0];
    t->data_len = (uint16_t)n;
    memcpy(s->data, rec->data + 1, n);
    add_frame(t, rec);
}

static void on_handshake(dfs_decoder *d, struct dfs__usbll_state *s,
                         const struct dfs_record *rec, const char *name)
{
    if (!s->open) {
        char what[120];
        snprintf(what, sizeof what, "%s handshake with no token before it; left out", name);
        half_transaction(d, rec->frame, what);
        return;
    }
    s->t.handshake = rec->data[0];
    add_frame(&s->t, rec);
    close_txn(d, s);
}

/* ---- one packet ------------------------------------------------------------------- */

/* A data packet left out as bad: the open transaction remembers it, so that
 * a handshake saying it went through marks the transfer's data as lost.
 * len: its data bytes, 0 when not known. */
static void data_packet_lost(struct dfs__usbll_state *s, const struct dfs_record *rec,
                             uint32_t len)
{
    if (!s->open || s->t.has_data || s->t.data_lost)
        return;
    s->t.data_lost = true;
    s->t.lost_len = len;
    s->t.lost_frame = rec->frame;
}

/* The packet's length and CRC against its kind: false (reported) when bad. */
static bool packet_ok(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec,
                      const struct pid_row *r)
{
    const uint8_t *p = rec->data;
    uint32_t n = rec->caplen;
    switch (r->kind) {
    case K_TOKEN:
    case K_SOF:
    case K_SPLIT: {
        uint32_t want = r->kind == K_SPLIT ? 4 : 3;
        if (n != want) {
            bad_packet(d, rec, "%s packet of %u bytes where %s has %u", r->name, n,
                       r->kind == K_SPLIT ? "a SPLIT" : "a token", want);
            return false;
        }
        uint32_t v = r->kind == K_SPLIT ? (uint32_t)p[1] | (uint32_t)p[2] << 8 |
                                              (uint32_t)p[3] << 16
                                        : dfs__le16(p + 1);
        unsigned bits = r->kind == K_SPLIT ? 19 : 11;
        uint8_t crc = (uint8_t)(v >> bits), due = dfs_usb_crc5(v & ((1u << bits) - 1), bits);
        if (crc != due) {
            bad_packet(d, rec, "%s packet with CRC5 0x%02X where 0x%02X is due", r->name, crc,
                       due);
            return false;
        }
        return true;
    }
    case K_DATA: {
        if (n < 3 || n - 3 > DFS__USBLL_MAX_DATA) {
            bad_packet(d, rec, "%s packet of %u bytes; a data packet has 3 to %u", r->name, n,
                       DFS__USBLL_MAX_DATA + 3);
            data_packet_lost(s, rec, 0);
            return false;
        }
        uint16_t crc = dfs__le16(p + n - 2), due = dfs_usb_crc16(p + 1, n - 3);
        if (crc != due) {
            bad_packet(d, rec, "%s packet of %u data bytes with CRC16 0x%04X where 0x%04X is due",
                       r->name, n - 3, crc, due);
            data_packet_lost(s, rec, n - 3);
            return false;
        }
        return true;
    }
    default:
        if (n != 1) {
            bad_packet(d, rec, "%s packet of %u bytes; a handshake is the PID alone", r->name, n);
            return false;
        }
        return true;
    }
}

static void on_event(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec);

void dfs__usbll_feed(dfs_decoder *d, void *state, const struct dfs_record *rec)
{
    struct dfs__usbll_state *s = state; /* one state for every speed and the events */
    if (rec->linktype == DFS_RECORD_USB_EVENT) {
        on_event(d, s, rec);
        return;
    }
    if (!s->ctl_data) {
        s->ctl_data = dfs__malloc(d, (size_t)DFS__USBLL_CTL_SLOTS * DFS__USBLL_CTL_DATA);
        if (!s->ctl_data) {
            dfs__nomem(d, "cannot keep the data stages of control transfers");
            return;
        }
    }
    s->packets++;
    if (rec->caplen == 0) {
        bad_packet(d, rec, "empty record: a packet starts with its PID byte");
        return;
    }
    if (rec->caplen < rec->origlen) {
        bad_packet(d, rec, "packet of %u bytes captured with only %u", rec->origlen,
                   rec->caplen);
        const struct pid_row *cut = pid_row(rec->data[0]);
        if (cut && cut->kind == K_DATA)
            data_packet_lost(s, rec, rec->origlen >= 3 && rec->origlen - 3 <= DFS__USBLL_MAX_DATA
                                         ? rec->origlen - 3 : 0);
        return;
    }
    const struct pid_row *r = pid_row(rec->data[0]);
    if (!r) {
        bad_packet(d, rec, "PID byte 0x%02X is no USB 2.0 PID (%s)", rec->data[0],
                   (rec->data[0] >> 4) != (~rec->data[0] & 0x0F) ? "its check bits are wrong"
                                                                 : "reserved");
        return;
    }
    if (!packet_ok(d, s, rec, r))
        return;
    switch (r->kind) {
    case K_SOF:
        s->sofs++;
        close_txn(d, s); /* a transaction never spans a SOF */
        break;
    case K_TOKEN:
        on_token(d, s, rec);
        break;
    case K_SPLIT:
        on_split(d, s, rec);
        break;
    case K_DATA:
        on_data(d, s, rec, r->name);
        break;
    case K_HANDSHAKE:
        on_handshake(d, s, rec, r->name);
        break;
    case K_PRE_ERR: /* ERR answers a split transaction; PRE precedes a low-speed token */
        if (s->open && s->t.split)
            on_handshake(d, s, rec, r->name);
        break;
    case K_EXT: /* link power management: a token of its own, no transfer */
        close_txn(d, s);
        break;
    }
}

void dfs__usbll_finish(dfs_decoder *d, void *state)
{
    struct dfs__usbll_state *s = state;
    close_txn(d, s);
    if (!d->error)
        dfs__usbll_ctl_finish(d, s);
}

void dfs__usbll_release(dfs_decoder *d, void *state)
{
    struct dfs__usbll_state *s = state;
    dfs__free(d, s->ctl_data);
    s->ctl_data = NULL;
}

/* ---- bus events ------------------------------------------------------------------ */

static void remember_bus_event(struct dfs__usbll_state *s, uint64_t frame, uint8_t code)
{
    if (s->n_bus_events == DFS__USBLL_BUS_EVENTS) {
        memmove(s->bus_events, s->bus_events + 1,
                (DFS__USBLL_BUS_EVENTS - 1) * sizeof s->bus_events[0]);
        s->n_bus_events--;
    }
    s->bus_events[s->n_bus_events].frame = frame;
    s->bus_events[s->n_bus_events].code = code;
    s->n_bus_events++;
}

/* One of Packetry's bus events (DFS_RECORD_USB_EVENT). */
static void on_event(dfs_decoder *d, struct dfs__usbll_state *s, const struct dfs_record *rec)
{
    if (rec->caplen < 1)
        return;
    s->events++;
    uint8_t code = rec->data[0];
    if (code != DFS_USB_EVENT_BUS_RESET && code != DFS_USB_EVENT_VBUS_INVALID)
        return; /* speeds, line states, keep-alives, suspend: nothing to rebuild */
    /* the transaction and the control transfers in progress end here: the
     * device forgets them, its address and its configuration */
    remember_bus_event(s, rec->frame, code);
    close_txn(d, s);
    if (!d->error && s->ctl_data)
        dfs__usbll_ctl_finish(d, s);
}

uint64_t dfs__usbll_bus_event_after(const struct dfs__usbll_state *s, uint64_t after,
                                    uint64_t before, int *code)
{
    if (!s)
        return 0;
    for (unsigned i = 0; i < s->n_bus_events; i++)
        if (s->bus_events[i].frame > after && s->bus_events[i].frame < before) {
            if (code)
                *code = s->bus_events[i].code;
            return s->bus_events[i].frame;
        }
    return 0;
}
