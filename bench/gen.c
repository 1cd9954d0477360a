/* Generator of large, realistic usbmon captures for the benchmark.
 *
 *   bench/gen SIZE_MB OUT.pcap|OUT.pcapng [usb2|usbpcap|darwin]
 *
 * Writes link type 220 records until the file holds SIZE_MB MiB (with
 * "usb2", the same traffic rendered by dfs_usb2_render as the USB 2.0
 * packets an analyzer records, link type 288, until the usbmon form would
 * hold about SIZE_MB MiB; the file is larger; with "usbpcap" or "darwin",
 * the same URB events as Windows USBPcap records, link type 249, or macOS
 * USB_DARWIN records, link type 266, by dfs_usbpcap_encode and
 * dfs_darwin_encode, until the file holds SIZE_MB MiB):
 *   - bus 1: an STM32 system bootloader (0483:df11, DfuSe) flashed again
 *     and again the way dfu-util does it: enumeration (device,
 *     configuration with three alternate settings and a DFU functional
 *     descriptor, strings with the layouts), SET_INTERFACE, GETSTATUS, page
 *     erases, for each 2 KiB block a set-address command and the block, each
 *     followed by GETSTATUS polls (busy, then idle, after bwPollTimeout),
 *     then the leave request; the chip resets and enumerates again at the
 *     next address for the next session;
 *   - bus 1: a mouse, interrupt IN every 8 ms;
 *   - bus 2: a USB flash drive reading 4 KiB blocks (bulk-only transport:
 *     command, data, status).
 * Every record is built with dfs_usbmon_encode() and written with
 * dfs_capwriter, the way a capture tool would write it. Deterministic: the
 * same size gives the same file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dfuscope/capture.h"
#include "dfuscope/dfuscope.h"

#define FW_BYTES (128u * 1024u) /* firmware flashed per session */
#define BLOCK 2048u
#define PAGE 2048u
#define FLASH_BASE 0x08000000u
#define MSC_BLOCK 4096u

struct gen {
    dfs_capwriter *w;
    dfs_usb2_render *usb2; /* "usb2": the URBs rendered as USB 2.0 packets */
    int linktype;          /* of the records written (not with usb2) */
    struct dfs_time now;
    uint64_t written, limit;
    uint32_t rnd;
    uint64_t urb_seq;
    uint8_t rec[MSC_BLOCK + 256];
    /* background devices */
    uint64_t next_mouse_us, next_msc_us, now_us;
    uint32_t msc_lba;
    uint8_t dfu_addr;
};

static uint32_t rnd(struct gen *g)
{
    g->rnd = g->rnd * 1664525u + 1013904223u;
    return g->rnd >> 8;
}

static void advance(struct gen *g, uint32_t us)
{
    g->now_us += us;
    g->now.sec = 1700000000 + (int64_t)(g->now_us / 1000000);
    g->now.nsec = (uint32_t)(g->now_us % 1000000) * 1000u;
}

static void emit(struct gen *g, struct dfs_urb *u)
{
    u->urb_ts_sec = g->now.sec;
    u->urb_ts_usec = (int32_t)(g->now.nsec / 1000);
    u->ts = g->now;
    if (g->usb2) {
        if (dfs_usb2_render_urb(g->usb2, u) != DFS_OK) {
            fprintf(stderr, "gen: write error\n");
            exit(1);
        }
        /* the packets of a transfer take about this much room: a packet
         * per 64 data bytes, tokens and handshakes, 16 bytes of pcap
         * header each */
        g->written += 16 + u->data_len + (u->data_len / 64 + 3) * 3 * 20;
        return;
    }
    size_t n = g->linktype == DFS_LINKTYPE_USBPCAP ? dfs_usbpcap_encode(u, g->rec, sizeof g->rec)
               : g->linktype == DFS_LINKTYPE_USB_DARWIN
                   ? dfs_darwin_encode(u, g->rec, sizeof g->rec)
                   : dfs_usbmon_encode(u, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, g->rec,
                                       sizeof g->rec);
    if (!n) {
        fprintf(stderr, "gen: record does not encode\n");
        exit(1);
    }
    if (dfs_capwriter_write(g->w, g->now, g->rec, (uint32_t)n, (uint32_t)n) != DFS_OK) {
        fprintf(stderr, "gen: write error\n");
        exit(1);
    }
    g->written += 16 + n;
}

/* A kernel-like URB address: URBs are reused from a small pool. */
static uint64_t urb_id(struct gen *g, unsigned pool)
{
    return 0xffff888100000000ull + ((uint64_t)pool << 20) + (g->urb_seq++ % 32) * 0x200;
}

static void background(struct gen *g);

/* One control transfer on bus 1: submit, then after `us` the completion. */
static void control(struct gen *g, uint8_t dev, const uint8_t setup[8], const uint8_t *out,
                    uint32_t out_len, const uint8_t *in, uint32_t in_len, int32_t status,
                    uint32_t us)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = urb_id(g, 1);
    u.type = 'S';
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = (setup[0] & 0x80) ? 0x80 : 0x00;
    u.devnum = dev;
    u.bus = 1;
    u.flag_setup = 0;
    u.has_setup = true;
    u.flag_data = out_len ? 0 : ((setup[0] & 0x80) ? '<' : '>');
    u.status = -115;
    u.length = (uint32_t)(setup[6] | (setup[7] << 8));
    memcpy(u.setup, setup, 8);
    u.data = out;
    u.data_len = u.len_cap = out_len;
    u.xfer_flags = (setup[0] & 0x80) ? 0x200 : 0;
    emit(g, &u);
    advance(g, us);
    background(g);
    u.type = 'C';
    u.flag_setup = '-';
    u.has_setup = false;
    u.flag_data = in_len ? 0 : ((setup[0] & 0x80) ? '<' : '>');
    u.status = status;
    u.length = in_len ? in_len : out_len;
    u.data = in;
    u.data_len = u.len_cap = in_len;
    emit(g, &u);
    advance(g, 20);
}

static void setup8(uint8_t s[8], uint8_t rt, uint8_t req, uint16_t val, uint16_t idx, uint16_t len)
{
    s[0] = rt;
    s[1] = req;
    s[2] = (uint8_t)val;
    s[3] = (uint8_t)(val >> 8);
    s[4] = (uint8_t)idx;
    s[5] = (uint8_t)(idx >> 8);
    s[6] = (uint8_t)len;
    s[7] = (uint8_t)(len >> 8);
}

/* ---- unrelated devices ------------------------------------------------------ */

static void mouse_event(struct gen *g)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = 0xffff888200001000ull;
    u.type = 'C';
    u.xfer_type = DFS_XFER_INTERRUPT;
    u.endpoint = 0x81;
    u.devnum = 3;
    u.bus = 1;
    u.flag_setup = '-';
    u.interval = 8;
    uint8_t rep[4] = {0, (uint8_t)(rnd(g) % 5), (uint8_t)(rnd(g) % 5), 0};
    u.data = rep;
    u.data_len = u.len_cap = u.length = 4;
    emit(g, &u);
    u.type = 'S';
    u.flag_data = '<';
    u.status = -115;
    u.data_len = u.len_cap = 0;
    emit(g, &u);
}

static void bulk(struct gen *g, uint8_t ep, const uint8_t *data, uint32_t len, bool in)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = urb_id(g, 2);
    u.type = 'S';
    u.xfer_type = DFS_XFER_BULK;
    u.endpoint = ep;
    u.devnum = 4;
    u.bus = 2;
    u.flag_setup = '-';
    u.status = -115;
    u.length = len;
    u.flag_data = in ? '<' : 0;
    u.data = in ? NULL : data;
    u.data_len = u.len_cap = in ? 0 : len;
    emit(g, &u);
    u.type = 'C';
    u.status = 0;
    u.flag_data = in ? 0 : '>';
    u.data = in ? data : NULL;
    u.data_len = u.len_cap = in ? len : 0;
    emit(g, &u);
}

static void msc_read(struct gen *g)
{
    uint8_t cbw[31] = {'U', 'S', 'B', 'C'};
    uint32_t tag = (uint32_t)g->urb_seq;
    memcpy(cbw + 4, &tag, 4);
    uint32_t xfer = MSC_BLOCK;
    memcpy(cbw + 8, &xfer, 4);
    cbw[12] = 0x80;
    cbw[14] = 10;
    cbw[15] = 0x28; /* READ(10) */
    cbw[17] = (uint8_t)(g->msc_lba >> 24);
    cbw[18] = (uint8_t)(g->msc_lba >> 16);
    cbw[19] = (uint8_t)(g->msc_lba >> 8);
    cbw[20] = (uint8_t)g->msc_lba;
    cbw[23] = MSC_BLOCK / 512;
    g->msc_lba += MSC_BLOCK / 512;
    bulk(g, 0x02, cbw, sizeof cbw, false);
    static uint8_t data[MSC_BLOCK];
    for (uint32_t i = 0; i < MSC_BLOCK; i += 4) {
        uint32_t v = rnd(g);
        memcpy(data + i, &v, 4);
    }
    bulk(g, 0x81, data, MSC_BLOCK, true);
    uint8_t csw[13] = {'U', 'S', 'B', 'S'};
    memcpy(csw + 4, &tag, 4);
    bulk(g, 0x81, csw, sizeof csw, true);
}

/* Whatever the other devices did up to now. */
static void background(struct gen *g)
{
    while (g->next_mouse_us <= g->now_us) {
        mouse_event(g);
        g->next_mouse_us += 8000;
    }
    while (g->next_msc_us <= g->now_us) {
        msc_read(g);
        g->next_msc_us += 20000;
    }
}

/* ---- the DfuSe device ---------------------------------------------------------- */

static const char *const layouts[3] = {
    "@Internal Flash  /0x08000000/256*02Kg",
    "@Option Bytes  /0x1FFF7800/01*128 e",
    "@OTP Memory /0x1FFF7000/01*1Ke",
};

static uint32_t string_desc(const char *s, uint8_t *out)
{
    uint32_t n = 2;
    for (; *s && n < 254; s++) {
        out[n++] = (uint8_t)*s;
        out[n++] = 0;
    }
    out[0] = (uint8_t)n;
    out[1] = DFS_DT_STRING;
    return n;
}

static void enumerate(struct gen *g, uint8_t addr)
{
    static const uint8_t devdesc[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x83, 0x04,
                                        0x11, 0xdf, 0x00, 0x22, 1, 2, 3, 1};
    uint8_t cfg[45] = {9, 2, 45, 0, 1, 1, 0, 0xc0, 50};
    for (int a = 0; a < 3; a++) {
        uint8_t *p = cfg + 9 + a * 9;
        uint8_t intf[9] = {9, 4, 0, (uint8_t)a, 0, 0xFE, 0x01, 0x02, (uint8_t)(4 + a)};
        memcpy(p, intf, 9);
    }
    static const uint8_t func[9] = {9, 0x21, 0x0B, 0xff, 0x00, 0x00, 0x08, 0x1a, 0x01};
    memcpy(cfg + 36, func, 9);
    uint8_t s[8];
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 64);
    control(g, 0, s, NULL, 0, devdesc, 18, 0, 120);
    setup8(s, 0x00, DFS_REQ_SET_ADDRESS, addr, 0, 0);
    control(g, 0, s, NULL, 0, NULL, 0, 0, 100);
    advance(g, 2000);
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 18);
    control(g, addr, s, NULL, 0, devdesc, 18, 0, 120);
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 9);
    control(g, addr, s, NULL, 0, cfg, 9, 0, 120);
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 45);
    control(g, addr, s, NULL, 0, cfg, 45, 0, 150);
    uint8_t str[256];
    static const uint8_t langs[4] = {4, 3, 0x09, 0x04};
    setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0300, 0, 255);
    control(g, addr, s, NULL, 0, langs, 4, 0, 100);
    static const char *const names[3] = {"STMicroelectronics", "DFU in FS Mode", "2059356B5748"};
    for (int i = 0; i < 3; i++) {
        uint32_t n = string_desc(names[i], str);
        setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, (uint16_t)(0x0300 | (i + 1)), 0x0409, 255);
        control(g, addr, s, NULL, 0, str, n, 0, 150);
    }
    setup8(s, 0x00, DFS_REQ_SET_CONFIGURATION, 1, 0, 0);
    control(g, addr, s, NULL, 0, NULL, 0, 0, 100);
    for (int a = 0; a < 3; a++) {
        uint32_t n = string_desc(layouts[a], str);
        setup8(s, 0x80, DFS_REQ_GET_DESCRIPTOR, (uint16_t)(0x0300 | (4 + a)), 0x0409, 255);
        control(g, addr, s, NULL, 0, str, n, 0, 200);
    }
}

/* GETSTATUS: busy (after `exec_us`), then idle after the poll timeout. */
static void getstatus(struct gen *g, uint8_t addr, uint8_t state, uint32_t poll_ms)
{
    uint8_t s[8], st[6] = {0, (uint8_t)poll_ms, (uint8_t)(poll_ms >> 8), 0, state, 0};
    setup8(s, DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATUS, 0, 0, 6);
    control(g, addr, s, NULL, 0, st, 6, 0, 150);
}

static void dnload(struct gen *g, uint8_t addr, uint16_t block, const uint8_t *data,
                   uint32_t len)
{
    uint8_t s[8];
    setup8(s, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, block, 0, (uint16_t)len);
    control(g, addr, s, data, len, NULL, 0, 0, 100 + len / 2);
}

static void dfuse_cmd(struct gen *g, uint8_t addr, uint8_t cmd, uint32_t arg, uint32_t busy_ms)
{
    uint8_t c[5] = {cmd, (uint8_t)arg, (uint8_t)(arg >> 8), (uint8_t)(arg >> 16),
                    (uint8_t)(arg >> 24)};
    dnload(g, addr, 0, c, 5);
    getstatus(g, addr, DFS_STATE_DNBUSY, busy_ms);
    advance(g, busy_ms * 1000);
    background(g);
    getstatus(g, addr, DFS_STATE_DNLOAD_IDLE, 0);
}

static void session(struct gen *g)
{
    uint8_t addr = g->dfu_addr;
    g->dfu_addr = (uint8_t)(g->dfu_addr % 120 + 5);
    enumerate(g, addr);
    uint8_t s[8];
    setup8(s, 0x01, DFS_REQ_SET_INTERFACE, 0, 0, 0);
    control(g, addr, s, NULL, 0, NULL, 0, 0, 100);
    getstatus(g, addr, DFS_STATE_DFU_IDLE, 0);
    for (uint32_t a = 0; a < FW_BYTES; a += PAGE)
        dfuse_cmd(g, addr, DFS_DFUSE_ERASE, FLASH_BASE + a, 25);
    static uint8_t block[BLOCK];
    for (uint32_t a = 0; a < FW_BYTES; a += BLOCK) {
        dfuse_cmd(g, addr, DFS_DFUSE_SET_ADDRESS, FLASH_BASE + a, 1);
        for (uint32_t i = 0; i < BLOCK; i += 4) {
            uint32_t v = rnd(g);
            memcpy(block + i, &v, 4);
        }
        dnload(g, addr, 2, block, BLOCK);
        getstatus(g, addr, DFS_STATE_DNBUSY, 40);
        advance(g, 40000);
        background(g);
        getstatus(g, addr, DFS_STATE_DNLOAD_IDLE, 0);
    }
    /* leave: jump to the application; the chip resets */
    dfuse_cmd(g, addr, DFS_DFUSE_SET_ADDRESS, FLASH_BASE, 1);
    dnload(g, addr, 2, NULL, 0);
    getstatus(g, addr, DFS_STATE_MANIFEST, 0);
    advance(g, 300000);
    background(g);
}

int main(int argc, char **argv)
{
    const char *form = argc == 4 ? argv[3] : "usbmon";
    bool usb2 = !strcmp(form, "usb2");
    int linktype = usb2                        ? DFS_LINKTYPE_USB_2_0
                   : !strcmp(form, "usbpcap")  ? DFS_LINKTYPE_USBPCAP
                   : !strcmp(form, "darwin")   ? DFS_LINKTYPE_USB_DARWIN
                   : !strcmp(form, "usbmon")   ? DFS_LINKTYPE_USB_LINUX_MMAPPED
                                               : 0;
    if (argc < 3 || argc > 4 || atof(argv[1]) <= 0 || !linktype) {
        fprintf(stderr, "usage: %s SIZE_MB OUT.pcap|OUT.pcapng [usb2|usbpcap|darwin]\n", argv[0]);
        return 2;
    }
    struct gen g;
    memset(&g, 0, sizeof g);
    g.linktype = linktype;
    g.limit = (uint64_t)(atof(argv[1]) * 1024 * 1024);
    g.rnd = 12345;
    g.dfu_addr = 5;
    char err[300];
    if (dfs_capwriter_open(argv[2], linktype, &g.w, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    size_t len = strlen(argv[2]);
    if (usb2 && dfs_usb2_render_new(g.w, len > 7 && !strcmp(argv[2] + len - 7, ".pcapng"),
                                    &g.usb2) != DFS_OK)
        return 1;
    advance(&g, 0);
    unsigned sessions = 0;
    while (g.written < g.limit) {
        session(&g);
        sessions++;
    }
    if ((g.usb2 && dfs_usb2_render_free(g.usb2, NULL) != DFS_OK) || dfs_capwriter_close(g.w) != DFS_OK) {
        fprintf(stderr, "%s: write error\n", argv[2]);
        return 1;
    }
    struct stat st;
    stat(argv[2], &st);
    printf("%s: %.1f MiB, %u DfuSe sessions of %u KiB, %.0f s of bus time\n", argv[2],
           (double)st.st_size / (1024 * 1024), sessions, FW_BYTES / 1024,
           (double)g.now_us / 1e6);
    return 0;
}
