/* URB events rendered as the packets a hardware analyzer would record on the
 * wire (link type 288, USB 2.0 sections 8.3-8.5): what `dfuscope emulate
 * --link-type usb2` writes. libc only.
 *
 * A submit is held until its completion says how the device answered; then
 * the whole transfer is written, its packets spread between the two time
 * stamps:
 *
 *   control   SETUP, DATA0 (the 8 setup bytes), ACK at the submit's time;
 *             the OUT data stage (DATA1/DATA0 toggling, 64-byte packets)
 *             right after it; while the device takes its time, the host's
 *             IN tokens answered by NAK (at most one a millisecond, at most
 *             DFS_USB2_MAX_NAKS); at the completion's time the IN data stage
 *             and the status stage (a zero-length packet the other way), or
 *             a STALL handshake (-EPIPE)
 *   bulk, interrupt  the data in packets of 64 bytes, each ACKed, at the
 *             completion's time
 *
 * A completion with another error is a token nothing answered (the device
 * was gone or did not respond); a cancelled URB (-ENOENT, -ECONNRESET) puts
 * nothing on the wire after its submit. Before the first request to address
 * 0 of each enumeration a pcapng file gets a bus reset event (Packetry's
 * event block), as the host resets a port before it addresses the device. */
#include <stdlib.h>
#include <string.h>

#include "cap_internal.h"
#include "dfuscope/usb.h"

#define MAX_HELD 64     /* submits held until their completion */
#define MAX_PACKET 64   /* full-speed endpoint 0 */
#define MAX_NAKS 100    /* NAKed tokens rendered while a device is busy */
#define MAX_DATA 65536  /* data kept for a held submit */

enum {
    PID_OUT = 0xE1, PID_IN = 0x69, PID_SETUP = 0x2D, PID_DATA0 = 0xC3, PID_DATA1 = 0x4B,
    PID_ACK = 0xD2, PID_NAK = 0x5A, PID_STALL = 0x1E,
};

struct held {
    bool used;
    uint64_t id;
    uint16_t bus;
    struct dfs_time ts;
    uint8_t xfer, endpoint, devnum;
    bool has_setup;
    uint8_t setup[8];
    uint32_t len;
    uint8_t *data; /* OUT data */
};

struct dfs_usb2_render {
    dfs_capwriter *w;
    bool pcapng;
    struct held held[MAX_HELD];
    uint8_t toggle[128][16][2]; /* next data PID per address, endpoint, direction (0: DATA0) */
    bool addressed;             /* a request to a non-zero address came since the last reset */
    bool any;                   /* a request was written */
    struct dfs_time last;       /* time of the last packet written */
    dfs_result err;
};

/* ---- packets ------------------------------------------------------------------ */

static struct dfs_time later(struct dfs_usb2_render *r, struct dfs_time t)
{
    /* packets in order: never before the last one, 100 ns apart at least */
    struct dfs_time min = r->last;
    min.nsec += 100;
    if (min.nsec >= 1000000000u) {
        min.sec++;
        min.nsec -= 1000000000u;
    }
    if (t.sec < min.sec || (t.sec == min.sec && t.nsec < min.nsec))
        t = min;
    r->last = t;
    return t;
}

static void put_packet(struct dfs_usb2_render *r, struct dfs_time t, const uint8_t *p, uint32_t n)
{
    if (r->err)
        return;
    r->err = dfs_capwriter_write(r->w, later(r, t), p, n, n);
}

static void token(struct dfs_usb2_render *r, struct dfs_time t, uint8_t pid, uint8_t addr,
                  uint8_t ep)
{
    uint16_t v = (uint16_t)((addr & 0x7F) | (ep & 0x0F) << 7);
    v |= (uint16_t)(dfs_usb_crc5(v, 11) << 11);
    uint8_t p[3] = {pid, (uint8_t)v, (uint8_t)(v >> 8)};
    put_packet(r, t, p, 3);
}

static void data(struct dfs_usb2_render *r, struct dfs_time t, uint8_t pid, const uint8_t *d,
                 uint32_t n)
{
    uint8_t p[3 + MAX_PACKET];
    p[0] = pid;
    if (n)
        memcpy(p + 1, d, n);
    uint16_t crc = dfs_usb_crc16(d, n);
    p[1 + n] = (uint8_t)crc;
    p[2 + n] = (uint8_t)(crc >> 8);
    put_packet(r, t, p, n + 3);
}

static void handshake(struct dfs_usb2_render *r, struct dfs_time t, uint8_t pid)
{
    put_packet(r, t, &pid, 1);
}

static uint8_t *toggle_of(struct dfs_usb2_render *r, uint8_t addr, uint8_t ep, bool in)
{
    return &r->toggle[addr & 0x7F][ep & 0x0F][in];
}

/* One transaction with data: token, data packet, ACK (from the receiver);
 * the toggle flips. */
static void data_txn(struct dfs_usb2_render *r, struct dfs_time t, bool in, uint8_t addr,
                     uint8_t ep, const uint8_t *d, uint32_t n)
{
    uint8_t *tg = toggle_of(r, addr, ep, in);
    token(r, t, in ? PID_IN : PID_OUT, addr, ep);
    data(r, t, *tg ? PID_DATA1 : PID_DATA0, d, n);
    handshake(r, t, PID_ACK);
    *tg ^= 1;
}

/* A data stage: packets of MAX_PACKET bytes, a zero-length one after a last
 * full packet when fewer bytes came than were asked for. */
static void data_stage(struct dfs_usb2_render *r, struct dfs_time t, bool in, uint8_t addr,
                       uint8_t ep, const uint8_t *d, uint32_t n, uint32_t asked)
{
    uint32_t off = 0;
    do {
        uint32_t k = n - off < MAX_PACKET ? n - off : MAX_PACKET;
        data_txn(r, t, in, addr, ep, d ? d + off : NULL, k);
        off += k;
        if (k < MAX_PACKET)
            return;
    } while (off < n);
    if (n < asked)
        data_txn(r, t, in, addr, ep, NULL, 0);
}

/* The host's tokens answered by NAK while the device is busy, spread over
 * the time between from and to. */
static void naks(struct dfs_usb2_render *r, struct dfs_time from, struct dfs_time to, bool in,
                 uint8_t addr, uint8_t ep)
{
    int64_t us = dfs_time_diff_us(to, from);
    if (us < 1000)
        return;
    int64_t n = us / 1000 < MAX_NAKS ? us / 1000 : MAX_NAKS;
    for (int64_t i = 1; i <= n; i++) {
        int64_t at = us * i / (n + 1);
        struct dfs_time t = {from.sec + (from.nsec / 1000 + at) / 1000000,
                             (uint32_t)(((from.nsec / 1000 + at) % 1000000) * 1000)};
        token(r, t, in ? PID_IN : PID_OUT, addr, ep);
        handshake(r, t, PID_NAK);
    }
}

/* ---- transfers ----------------------------------------------------------------------- */

static void bus_reset(struct dfs_usb2_render *r, struct dfs_time t)
{
    if (r->pcapng && !r->err)
        r->err = dfs_capwriter_write_usb_event(r->w, later(r, t), DFS_USB_EVENT_BUS_RESET);
    memset(r->toggle, 0, sizeof r->toggle);
    r->addressed = false;
}

/* A control transfer whose completion came. */
static void control(struct dfs_usb2_render *r, const struct held *h, const struct dfs_urb *c)
{
    uint8_t a = h->devnum, ep = h->endpoint & 0x0F;
    bool in = (h->setup[0] & 0x80) != 0;
    uint16_t wlen = (uint16_t)(h->setup[6] | h->setup[7] << 8);
    if (a == 0 && (r->addressed || !r->any))
        bus_reset(r, h->ts);
    r->any = true;
    if (a)
        r->addressed = true;
    /* setup stage: DATA0 always; the data stage starts with DATA1 */
    token(r, h->ts, PID_SETUP, a, ep);
    data(r, h->ts, PID_DATA0, h->setup, 8);
    handshake(r, h->ts, PID_ACK);
    *toggle_of(r, a, ep, true) = 1;
    *toggle_of(r, a, ep, false) = 1;
    if (!in && wlen && h->len)
        data_stage(r, h->ts, false, a, ep, h->data, h->len, h->len);
    if (c->status == -DFS_LINUX_ENOENT || c->status == -DFS_LINUX_ECONNRESET)
        return; /* the host gave up: nothing more on the wire */
    naks(r, h->ts, c->ts, true, a, ep);
    if (c->status == -DFS_LINUX_EPIPE) {
        token(r, c->ts, PID_IN, a, ep);
        handshake(r, c->ts, PID_STALL);
        return;
    }
    if (c->status != 0) {
        token(r, c->ts, PID_IN, a, ep); /* nothing answers */
        return;
    }
    if (in && wlen) {
        uint32_t n = c->data_len < wlen ? c->data_len : wlen;
        data_stage(r, c->ts, true, a, ep, c->data, n, wlen);
    }
    /* status stage: a zero-length DATA1 the other way */
    bool st_in = !(in && wlen);
    *toggle_of(r, a, ep, st_in) = 1;
    data_txn(r, c->ts, st_in, a, ep, NULL, 0);
}

/* A bulk or interrupt transfer whose completion came. */
static void bulk(struct dfs_usb2_render *r, const struct held *h, const struct dfs_urb *c)
{
    bool in = (h->endpoint & 0x80) != 0;
    uint8_t a = h->devnum, ep = h->endpoint & 0x0F;
    if (c->status == -DFS_LINUX_EPIPE) {
        token(r, c->ts, in ? PID_IN : PID_OUT, a, ep);
        if (!in)
            data(r, c->ts, *toggle_of(r, a, ep, false) ? PID_DATA1 : PID_DATA0, NULL, 0);
        handshake(r, c->ts, PID_STALL);
        return;
    }
    if (c->status != 0)
        return;
    if (in)
        data_stage(r, c->ts, true, a, ep, c->data, c->data_len, c->length);
    else
        data_stage(r, h->ts, false, a, ep, h->data, h->len, h->len);
}

static struct held *find_held(struct dfs_usb2_render *r, uint16_t bus, uint64_t id)
{
    for (unsigned i = 0; i < MAX_HELD; i++)
        if (r->held[i].used && r->held[i].id == id && r->held[i].bus == bus)
            return &r->held[i];
    return NULL;
}

static void drop(struct held *h)
{
    free(h->data);
    memset(h, 0, sizeof *h);
}

dfs_result dfs_usb2_render_new(dfs_capwriter *w, bool pcapng, dfs_usb2_render **out)
{
    if (!w || !out)
        return DFS_E_INVAL;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return DFS_E_NOMEM;
    (*out)->w = w;
    (*out)->pcapng = pcapng;
    return DFS_OK;
}

dfs_result dfs_usb2_render_urb(dfs_usb2_render *r, const struct dfs_urb *u)
{
    if (!r || !u)
        return DFS_E_INVAL;
    if (u->xfer_type == DFS_XFER_ISO)
        return r->err; /* isochronous traffic is not rendered */
    if (u->type == DFS_URB_SUBMIT) {
        struct held *h = find_held(r, u->bus, u->id);
        if (!h)
            for (unsigned i = 0; i < MAX_HELD && !h; i++)
                if (!r->held[i].used)
                    h = &r->held[i];
        if (!h)
            return r->err; /* more outstanding than held: left out */
        drop(h);
        *h = (struct held){.used = true, .id = u->id, .bus = u->bus, .ts = u->ts,
                           .xfer = u->xfer_type, .endpoint = u->endpoint, .devnum = u->devnum,
                           .has_setup = u->has_setup || u->flag_setup == 0};
        memcpy(h->setup, u->setup, 8);
        uint32_t n = u->data_len < MAX_DATA ? u->data_len : MAX_DATA;
        if (n && u->data && (h->data = malloc(n)) != NULL) {
            memcpy(h->data, u->data, n);
            h->len = n;
        }
        return r->err;
    }
    struct held *h = find_held(r, u->bus, u->id);
    if (!h)
        return r->err; /* its submit is not in the capture */
    if (h->xfer == DFS_XFER_CONTROL && h->has_setup)
        control(r, h, u);
    else if (h->xfer != DFS_XFER_CONTROL)
        bulk(r, h, u);
    drop(h);
    return r->err;
}

dfs_result dfs_usb2_render_free(dfs_usb2_render *r, struct dfs_time *last)
{
    if (!r)
        return DFS_E_INVAL;
    /* submits never completed: the setup stage of a control transfer went
     * out; nothing answered after it */
    for (unsigned i = 0; i < MAX_HELD; i++) {
        struct held *h = &r->held[i];
        if (h->used && h->xfer == DFS_XFER_CONTROL && h->has_setup) {
            uint8_t a = h->devnum, ep = h->endpoint & 0x0F;
            token(r, h->ts, PID_SETUP, a, ep);
            data(r, h->ts, PID_DATA0, h->setup, 8);
            handshake(r, h->ts, PID_ACK);
        }
        drop(h);
    }
    dfs_result e = r->err;
    if (last)
        *last = r->last;
    free(r);
    return e;
}
