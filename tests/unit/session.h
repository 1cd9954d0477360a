/* Test helper: script a USB/DFU session as usbmon records (submit and
 * completion of each control transfer, with a virtual clock; or as USBPcap or
 * USB_DARWIN records when linktype says so) and feed them to a decoder that
 * records every event. */
#ifndef DFS_TEST_SESSION_H
#define DFS_TEST_SESSION_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "dfuscope/dfuscope.h"

#define SESS_MAX_FINDINGS 256
#define SESS_MAX_TXNS 4096
#define SESS_MAX_MEM 1024

struct sess_mem {
    struct dfs_mem_op op;
    uint8_t data[4096];
};

struct sess {
    dfs_decoder *d;
    int linktype;
    uint64_t frame;
    struct dfs_time now;
    uint64_t next_id;
    uint16_t bus;
    uint8_t dev;
    uint8_t ifnum;
    int32_t last_status;
    struct dfs_finding findings[SESS_MAX_FINDINGS];
    int n_findings;
    struct dfs_dfu_txn txns[SESS_MAX_TXNS];
    int n_txns;
    struct sess_mem *mem;
    int n_mem;
    struct dfs_device_event devev[64];
    int n_devev;
    bool verbose;
    dfs_capwriter *writer; /* when set, every record is also written here */
    int64_t reply_us;      /* the next control transfer's completion comes this
                            * long after its submit (0: 100 us) */
};

static inline int sess_on_finding(void *u, const struct dfs_finding *f)
{
    struct sess *s = u;
    if (s->verbose)
        fprintf(stderr, "  finding %s frame %llu: %s\n", f->id, (unsigned long long)f->frame,
                f->explanation);
    if (s->n_findings < SESS_MAX_FINDINGS)
        s->findings[s->n_findings++] = *f;
    return 0;
}

static inline int sess_on_dfu(void *u, const struct dfs_dfu_txn *t)
{
    struct sess *s = u;
    if (s->n_txns < SESS_MAX_TXNS) {
        s->txns[s->n_txns] = *t;
        s->txns[s->n_txns].data = NULL;
        s->n_txns++;
    }
    return 0;
}

static inline int sess_on_mem(void *u, const struct dfs_mem_op *op)
{
    struct sess *s = u;
    if (s->n_mem < SESS_MAX_MEM) {
        struct sess_mem *m = &s->mem[s->n_mem++];
        m->op = *op;
        uint32_t n = op->data_len < sizeof m->data ? op->data_len : (uint32_t)sizeof m->data;
        if (n)
            memcpy(m->data, op->data, n);
        m->op.data = m->data;
        m->op.data_len = n;
    }
    return 0;
}

static inline int sess_on_device(void *u, const struct dfs_device_event *ev)
{
    struct sess *s = u;
    if (s->n_devev < 64)
        s->devev[s->n_devev++] = *ev;
    return 0;
}

static inline void sess_init(struct sess *s, uint16_t bus, uint8_t dev)
{
    memset(s, 0, sizeof *s);
    s->linktype = DFS_LINKTYPE_USB_LINUX_MMAPPED;
    s->now.sec = 1700000000;
    s->next_id = 0xffff888000100000ull;
    s->bus = bus;
    s->dev = dev;
    s->mem = calloc(SESS_MAX_MEM, sizeof *s->mem);
    s->verbose = getenv("DFS_TEST_VERBOSE") != NULL;
    struct dfs_options o;
    dfs_options_init(&o);
    struct dfs_sink sink = {.user = s,
                            .on_finding = sess_on_finding,
                            .on_dfu = sess_on_dfu,
                            .on_mem = sess_on_mem,
                            .on_device = sess_on_device};
    if (dfs_decoder_new(&o, &sink, &s->d) != DFS_OK)
        abort();
}

static inline void sess_free(struct sess *s)
{
    dfs_decoder_free(s->d);
    free(s->mem);
}

static inline void sess_advance_us(struct sess *s, int64_t us)
{
    int64_t ns = (int64_t)s->now.nsec + us * 1000;
    s->now.sec += ns / 1000000000;
    s->now.nsec = (uint32_t)(ns % 1000000000);
}

static inline void sess_feed(struct sess *s, const struct dfs_urb *u)
{
    static uint8_t buf[70000];
    struct dfs_record r;
    memset(&r, 0, sizeof r);
    r.frame = ++s->frame;
    r.ts = s->now;
    r.linktype = s->linktype;
    if (s->linktype == DFS_LINKTYPE_USBPCAP)
        r.caplen = (uint32_t)dfs_usbpcap_encode(u, buf, sizeof buf);
    else if (s->linktype == DFS_LINKTYPE_USB_DARWIN)
        r.caplen = (uint32_t)dfs_darwin_encode(u, buf, sizeof buf);
    else
        r.caplen = (uint32_t)dfs_usbmon_encode(u, s->linktype, DFS_ORDER_HOST, buf, sizeof buf);
    r.origlen = r.caplen;
    r.data = buf;
    if (s->writer && dfs_capwriter_write(s->writer, r.ts, buf, r.caplen, r.origlen) != DFS_OK)
        abort();
    if (dfs_decoder_feed(s->d, &r) != DFS_OK)
        abort();
}

/* One control transfer on address `dev`: submit, 100 us, completion.
 * status < 0 fails it; `in` is the IN data returned. Returns the submit frame. */
static inline uint64_t sess_ctl_at(struct sess *s, uint8_t dev, const uint8_t setup[8],
                                   const uint8_t *out, uint32_t out_len, int32_t status,
                                   const uint8_t *in, uint32_t in_len)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = s->next_id;
    s->next_id += 0x40;
    u.type = 'S';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = (setup[0] & 0x80) ? 0x80 : 0x00;
    u.devnum = dev;
    u.bus = s->bus;
    u.flag_setup = 0;
    u.has_setup = true;
    u.status = -115;
    u.length = (uint32_t)(setup[6] | (setup[7] << 8));
    memcpy(u.setup, setup, 8);
    if (out_len) {
        u.flag_data = 0;
        u.data = out;
        u.data_len = u.len_cap = out_len;
    } else {
        u.flag_data = (setup[0] & 0x80) ? '<' : '>';
    }
    sess_feed(s, &u);
    uint64_t submit = s->frame;
    sess_advance_us(s, s->reply_us ? s->reply_us : 100);
    s->reply_us = 0;
    struct dfs_urb c;
    memset(&c, 0, sizeof c);
    c.id = u.id;
    c.type = 'C';
    c.xfer_type = DFS_XFER_CONTROL;
    c.endpoint = u.endpoint;
    c.devnum = dev;
    c.bus = s->bus;
    c.flag_setup = '-';
    c.status = status;
    if (status == 0 && (setup[0] & 0x80)) {
        c.length = in_len;
        c.flag_data = in_len ? 0 : '>';
        c.data = in;
        c.data_len = c.len_cap = in_len;
    } else {
        c.flag_data = '>';
        c.length = status == 0 ? out_len : 0;
    }
    sess_feed(s, &c);
    sess_advance_us(s, 100);
    s->last_status = status;
    return submit;
}

static inline uint64_t sess_ctl(struct sess *s, const uint8_t setup[8], const uint8_t *out,
                                uint32_t out_len, int32_t status, const uint8_t *in,
                                uint32_t in_len)
{
    return sess_ctl_at(s, s->dev, setup, out, out_len, status, in, in_len);
}

/* The completion of the last sess_submit_only(), with this status. */
static inline void sess_complete_only(struct sess *s, const uint8_t setup[8], int32_t status)
{
    struct dfs_urb c;
    memset(&c, 0, sizeof c);
    c.id = s->next_id - 0x40;
    c.type = 'C';
    c.xfer_type = DFS_XFER_CONTROL;
    c.endpoint = (setup[0] & 0x80) ? 0x80 : 0x00;
    c.devnum = s->dev;
    c.bus = s->bus;
    c.flag_setup = '-';
    c.flag_data = '>';
    c.status = status;
    sess_feed(s, &c);
    sess_advance_us(s, 100);
    s->last_status = status;
}

/* A submit that is never completed (host gave up / capture ends). */
static inline uint64_t sess_submit_only(struct sess *s, const uint8_t setup[8])
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = s->next_id;
    s->next_id += 0x40;
    u.type = 'S';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = (setup[0] & 0x80) ? 0x80 : 0x00;
    u.devnum = s->dev;
    u.bus = s->bus;
    u.status = -115;
    u.length = (uint32_t)(setup[6] | (setup[7] << 8));
    u.flag_data = (setup[0] & 0x80) ? '<' : '>';
    memcpy(u.setup, setup, 8);
    sess_feed(s, &u);
    return s->frame;
}

static inline void setup8(uint8_t *b, uint8_t rt, uint8_t req, uint16_t val, uint16_t idx,
                          uint16_t len)
{
    b[0] = rt;
    b[1] = req;
    b[2] = (uint8_t)val;
    b[3] = (uint8_t)(val >> 8);
    b[4] = (uint8_t)idx;
    b[5] = (uint8_t)(idx >> 8);
    b[6] = (uint8_t)len;
    b[7] = (uint8_t)(len >> 8);
}

/* ---- descriptors ------------------------------------------------------------- */

struct sess_dev_desc {
    uint16_t vid, pid, bcd_dfu, xfer;
    uint8_t attrs;
    uint8_t proto;            /* 2 DFU mode, 1 run-time */
    const char *alt_names[8]; /* NULL-terminated */
    bool no_functional;
    uint8_t functional_len;   /* 9 (default) or 7 */
    const char *serial;       /* read as string 3 when set */
    const char *product;      /* string 2; "DFU in FS Mode" when NULL */
};

static inline size_t sess_string(uint8_t *out, const char *s)
{
    size_t n = strlen(s);
    out[0] = (uint8_t)(2 + 2 * n);
    out[1] = 3;
    for (size_t i = 0; i < n; i++) {
        out[2 + 2 * i] = (uint8_t)s[i];
        out[3 + 2 * i] = 0;
    }
    return 2 + 2 * n;
}

/* Enumerate like the Linux kernel (on address 0, then SET_ADDRESS), read
 * the configuration and the alternate setting names, SET_CONFIGURATION. */
static inline void sess_enumerate(struct sess *s, const struct sess_dev_desc *dd)
{
    uint8_t st[8], buf[512];
    uint8_t devd[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, (uint8_t)dd->vid, (uint8_t)(dd->vid >> 8),
                        (uint8_t)dd->pid, (uint8_t)(dd->pid >> 8), 0x00, 0x02, 1, 2, 3, 1};
    unsigned nalt = 0;
    while (nalt < 8 && dd->alt_names[nalt])
        nalt++;
    size_t flen = dd->no_functional ? 0 : (dd->functional_len ? dd->functional_len : 9);
    size_t total = 9 + 9 * nalt + flen;
    uint8_t cfg[256];
    size_t p = 0;
    uint8_t c9[9] = {9, 2, (uint8_t)total, (uint8_t)(total >> 8), 1, 1, 2, 0xc0, 50};
    memcpy(cfg, c9, 9);
    p = 9;
    for (unsigned a = 0; a < nalt; a++) {
        uint8_t i9[9] = {9, 4, 0, (uint8_t)a, 0, 0xfe, 0x01, dd->proto,
                         (uint8_t)(6 + a)};
        memcpy(cfg + p, i9, 9);
        p += 9;
    }
    if (flen) {
        uint8_t f9[9] = {(uint8_t)flen, 0x21, dd->attrs, 0xff, 0x00, (uint8_t)dd->xfer,
                         (uint8_t)(dd->xfer >> 8), (uint8_t)dd->bcd_dfu,
                         (uint8_t)(dd->bcd_dfu >> 8)};
        memcpy(cfg + p, f9, flen);
        p += flen;
    }
    /* kernel enumeration on address 0 */
    setup8(st, 0x80, 6, 0x0100, 0, 64);
    sess_ctl_at(s, 0, st, NULL, 0, 0, devd, 18);
    setup8(st, 0x00, 5, s->dev, 0, 0);
    sess_ctl_at(s, 0, st, NULL, 0, 0, NULL, 0);
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    sess_ctl(s, st, NULL, 0, 0, devd, 18);
    setup8(st, 0x80, 6, 0x0200, 0, 9);
    sess_ctl(s, st, NULL, 0, 0, cfg, 9);
    setup8(st, 0x80, 6, 0x0200, 0, (uint16_t)total);
    sess_ctl(s, st, NULL, 0, 0, cfg, (uint32_t)total);
    uint8_t lang[4] = {4, 3, 0x09, 0x04};
    setup8(st, 0x80, 6, 0x0300, 0, 255);
    sess_ctl(s, st, NULL, 0, 0, lang, 4);
    size_t n = sess_string(buf, dd->product ? dd->product : "DFU in FS Mode");
    setup8(st, 0x80, 6, 0x0302, 0x0409, 255);
    sess_ctl(s, st, NULL, 0, 0, buf, (uint32_t)n);
    if (dd->serial) {
        n = sess_string(buf, dd->serial);
        setup8(st, 0x80, 6, 0x0303, 0x0409, 255);
        sess_ctl(s, st, NULL, 0, 0, buf, (uint32_t)n);
    }
    setup8(st, 0x00, 9, 1, 0, 0);
    sess_ctl(s, st, NULL, 0, 0, NULL, 0);
    for (unsigned a = 0; a < nalt; a++) {
        n = sess_string(buf, dd->alt_names[a]);
        setup8(st, 0x80, 6, (uint16_t)(0x0300 | (6 + a)), 0x0409, 255);
        sess_ctl(s, st, NULL, 0, 0, buf, (uint32_t)n);
    }
}

static inline void sess_set_alt(struct sess *s, uint8_t alt)
{
    uint8_t st[8];
    setup8(st, 0x01, 11, alt, s->ifnum, 0);
    sess_ctl(s, st, NULL, 0, 0, NULL, 0);
}

/* ---- DFU requests ---------------------------------------------------------------- */

static inline uint64_t sess_getstatus(struct sess *s, uint8_t status, uint32_t poll_ms,
                                      uint8_t state)
{
    uint8_t st[8], r[6] = {status, (uint8_t)poll_ms, (uint8_t)(poll_ms >> 8),
                           (uint8_t)(poll_ms >> 16), state, 0};
    setup8(st, 0xA1, 3, 0, s->ifnum, 6);
    return sess_ctl(s, st, NULL, 0, 0, r, 6);
}

static inline uint64_t sess_getstatus_fail(struct sess *s, int32_t usb_status)
{
    uint8_t st[8];
    setup8(st, 0xA1, 3, 0, s->ifnum, 6);
    return sess_ctl(s, st, NULL, 0, usb_status, NULL, 0);
}

static inline uint64_t sess_simple(struct sess *s, uint8_t req, int32_t usb_status)
{
    uint8_t st[8];
    setup8(st, 0x21, req, 0, s->ifnum, 0);
    return sess_ctl(s, st, NULL, 0, usb_status, NULL, 0);
}

static inline uint64_t sess_getstate(struct sess *s, uint8_t state)
{
    uint8_t st[8];
    setup8(st, 0xA1, 5, 0, s->ifnum, 1);
    return sess_ctl(s, st, NULL, 0, 0, &state, 1);
}

static inline uint64_t sess_dnload(struct sess *s, uint16_t block, const uint8_t *data,
                                   uint32_t len, int32_t usb_status)
{
    uint8_t st[8];
    setup8(st, 0x21, 1, block, s->ifnum, (uint16_t)len);
    return sess_ctl(s, st, data, len, usb_status, NULL, 0);
}

static inline uint64_t sess_upload(struct sess *s, uint16_t block, uint16_t wLength,
                                   const uint8_t *reply, uint32_t len)
{
    uint8_t st[8];
    setup8(st, 0xA1, 2, block, s->ifnum, wLength);
    return sess_ctl(s, st, NULL, 0, 0, reply, len);
}

/* GETSTATUS polls that execute a DfuSe command or block: dfuDNBUSY with
 * `poll` ms, wait exactly that, then dfuDNLOAD-IDLE. */
static inline void sess_execute(struct sess *s, uint32_t poll)
{
    sess_getstatus(s, 0, poll, DFS_STATE_DNBUSY);
    sess_advance_us(s, (int64_t)poll * 1000);
    sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
}

static inline uint64_t sess_dfuse_cmd(struct sess *s, uint8_t cmd, uint32_t addr, bool with_addr)
{
    uint8_t b[5] = {cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                    (uint8_t)(addr >> 24)};
    return sess_dnload(s, 0, b, with_addr ? 5 : 1, 0);
}

static inline void sess_finish(struct sess *s)
{
    if (dfs_decoder_finish(s->d) != DFS_OK)
        abort();
}

static inline int sess_count(const struct sess *s, const char *id)
{
    int n = 0;
    for (int i = 0; i < s->n_findings; i++)
        n += strcmp(s->findings[i].id, id) == 0;
    return n;
}

static inline const struct dfs_finding *sess_find(const struct sess *s, const char *id)
{
    for (int i = 0; i < s->n_findings; i++)
        if (strcmp(s->findings[i].id, id) == 0)
            return &s->findings[i];
    return NULL;
}

static inline bool finding_has_frame(const struct dfs_finding *f, uint64_t frame)
{
    for (unsigned i = 0; i < f->n_frames; i++)
        if (f->frames[i] == frame)
            return true;
    return false;
}

/* The STM32G0C1 system bootloader's identity, as the seed report shows it. */
static const struct sess_dev_desc SEED_DEVICE = {
    .vid = 0x0483, .pid = 0xdf11, .bcd_dfu = 0x011a, .xfer = 1024, .attrs = 0x0b, .proto = 2,
    .alt_names = {"@Internal Flash /0x08000000/256*02Kg", "@Internal Flash /0x08000000/256*02Kg",
                  "@Internal Flash /0x08000000/256*02Kg", NULL},
};

/* A well-formed DfuSe device. */
static const struct sess_dev_desc GOOD_DFUSE = {
    .vid = 0x0483, .pid = 0xdf11, .bcd_dfu = 0x011a, .xfer = 2048, .attrs = 0x0b, .proto = 2,
    .alt_names = {"@Internal Flash /0x08000000/256*02Kg", "@Option Bytes /0x1FFF7800/01*128 e",
                  "@OTP Memory /0x1FFF7000/01*1Ke", NULL},
};

/* A plain DFU 1.1 device. */
static const struct sess_dev_desc GOOD_DFU11 = {
    .vid = 0x1d50, .pid = 0x6089, .bcd_dfu = 0x0110, .xfer = 256, .attrs = 0x07, .proto = 2,
    .alt_names = {"firmware", NULL},
};

#endif
