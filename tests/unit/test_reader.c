/* The capture reader on valid files of every form it supports: pcap with
 * microsecond and nanosecond time stamps in both byte orders; pcapng with
 * several sections of different byte orders, several interfaces of
 * different link types, if_tsresol as a power of ten or of two, if_tsoffset,
 * enhanced packet blocks with padding and options, simple and obsolete
 * packet blocks, blocks of other types (skipped); standard input; the
 * interface statistics blocks that say when a capture stopped, damaged ones
 * included (each is named by its offset and ignored); and the damage the
 * pcapng reader finds inside a block whose framing is sound (short fields,
 * options running past the block, out-of-range values, too many
 * interfaces), each with its exact message. Files are built here byte by
 * byte (pcap: tcpdump.org "libpcap file format"; pcapng:
 * draft-ietf-opsawg-pcapng). Damaged framing belongs to the fuzzing and
 * malformed-input tests (tests/malformed). */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dfuscope/capture.h"
#include "records.h"

/* ---- building files ----------------------------------------------------------- */

struct out {
    uint8_t *p;
    size_t n, cap;
    bool big; /* byte order of what put16/32/64 write */
};

static void put(struct out *o, const void *p, size_t n)
{
    if (o->n + n > o->cap) {
        o->cap = (o->n + n) * 2 + 64;
        o->p = realloc(o->p, o->cap);
        assert_non_null(o->p);
    }
    memcpy(o->p + o->n, p, n);
    o->n += n;
}

static void put8(struct out *o, uint8_t v) { put(o, &v, 1); }

static void put16(struct out *o, uint16_t v)
{
    uint8_t b[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    if (o->big) {
        b[0] = (uint8_t)(v >> 8);
        b[1] = (uint8_t)v;
    }
    put(o, b, 2);
}

static void put32(struct out *o, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[o->big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
    put(o, b, 4);
}

static void put64(struct out *o, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[o->big ? 7 - i : i] = (uint8_t)(v >> (8 * i));
    put(o, b, 8);
}

static void pad4(struct out *o)
{
    while (o->n % 4)
        put8(o, 0);
}

/* set the 32-bit value at off (a block length filled in afterwards) */
static void set32(struct out *o, size_t off, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        o->p[off + (o->big ? 3 - (size_t)i : (size_t)i)] = (uint8_t)(v >> (8 * i));
}

/* A usbmon record (control submit, GET_DESCRIPTOR) whose URB id is `id`,
 * in the given link type and byte order. */
static size_t usbmon(uint8_t *buf, size_t size, uint64_t id, int lt, bool big)
{
    static const uint8_t setup[8] = {0x80, 6, 0, 1, 0, 0, 18, 0};
    struct dfs_urb u = urb_ctl_submit(id, 3, 7, setup, NULL, 0);
    size_t n = dfs_usbmon_encode(&u, lt, big ? DFS_ORDER_BIG : DFS_ORDER_LITTLE, buf, size);
    assert_true(n > 0);
    return n;
}

static void pcap_header(struct out *o, bool nsec, uint32_t snaplen, uint32_t lt)
{
    put32(o, nsec ? 0xa1b23c4d : 0xa1b2c3d4);
    put16(o, 2);
    put16(o, 4);
    put32(o, 0);
    put32(o, 0);
    put32(o, snaplen);
    put32(o, lt);
}

static void pcap_record(struct out *o, uint32_t sec, uint32_t frac, const uint8_t *data,
                        uint32_t caplen, uint32_t origlen)
{
    put32(o, sec);
    put32(o, frac);
    put32(o, caplen);
    put32(o, origlen);
    put(o, data, caplen);
}

static size_t block_start(struct out *o, uint32_t type)
{
    put32(o, type);
    size_t at = o->n;
    put32(o, 0); /* length, set by block_end */
    return at - 4;
}

static void block_end(struct out *o, size_t start)
{
    pad4(o);
    uint32_t len = (uint32_t)(o->n - start + 4);
    set32(o, start + 4, len);
    put32(o, len);
}

static void option(struct out *o, uint16_t code, const void *v, uint16_t len)
{
    put16(o, code);
    put16(o, len);
    put(o, v, len);
    pad4(o);
}

static void shb(struct out *o, bool big)
{
    o->big = big;
    size_t b = block_start(o, 0x0A0D0D0A);
    put32(o, 0x1A2B3C4D);
    put16(o, 1);
    put16(o, 0);
    put64(o, UINT64_MAX); /* section length unknown */
    const char app[] = "test_reader";
    option(o, 4, app, sizeof app - 1); /* shb_userappl */
    put32(o, 0);                        /* opt_endofopt */
    block_end(o, b);
}

/* IDB; tsresol < 0 means no if_tsresol option; tsoffset 0 means none */
static void idb(struct out *o, uint16_t lt, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
    size_t b = block_start(o, 1);
    put16(o, lt);
    put16(o, 0);
    put32(o, snaplen);
    const char name[] = "usbmon3";
    option(o, 2, name, sizeof name - 1); /* if_name, 7 bytes: padded */
    if (tsresol >= 0) {
        uint8_t r = (uint8_t)tsresol;
        option(o, 9, &r, 1);
    }
    if (tsoffset) {
        put16(o, 14);
        put16(o, 8);
        put64(o, (uint64_t)tsoffset);
    }
    put32(o, 0);
    block_end(o, b);
}

static void epb(struct out *o, uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen,
                uint32_t origlen, bool options)
{
    size_t b = block_start(o, 6);
    put32(o, ifid);
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    put32(o, caplen);
    put32(o, origlen);
    put(o, data, caplen);
    pad4(o);
    if (options) {
        const char c[] = "a comment";
        option(o, 1, c, sizeof c - 1);
        put16(o, 2); /* epb_flags: inbound */
        put16(o, 4);
        put32(o, 1);
        put32(o, 0);
    }
    block_end(o, b);
}

static void spb(struct out *o, const uint8_t *data, uint32_t caplen, uint32_t origlen)
{
    size_t b = block_start(o, 3);
    put32(o, origlen);
    put(o, data, caplen);
    block_end(o, b);
}

static void opb(struct out *o, uint16_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen)
{
    size_t b = block_start(o, 2);
    put16(o, ifid);
    put16(o, 0); /* drops */
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    put32(o, caplen);
    put32(o, caplen);
    put(o, data, caplen);
    block_end(o, b);
}

static void other_block(struct out *o, uint32_t type, size_t body)
{
    size_t b = block_start(o, type);
    for (size_t i = 0; i < body; i++)
        put8(o, (uint8_t)(0x40 + i));
    block_end(o, b);
}

#define NONE INT64_MIN

/* ISB for interface ifid, time stamp ts; options whose value is NONE are left out. */
static void isb(struct out *o, uint32_t ifid, uint64_t ts, int64_t start, int64_t end,
                int64_t recv, int64_t drop)
{
    size_t b = block_start(o, 5);
    put32(o, ifid);
    put32(o, (uint32_t)(ts >> 32));
    put32(o, (uint32_t)ts);
    const char c[] = "stats";
    option(o, 1, c, sizeof c - 1); /* opt_comment: skipped */
    const int64_t v[4] = {start, end, recv, drop};
    for (int i = 0; i < 4; i++) {
        if (v[i] == NONE)
            continue;
        put16(o, (uint16_t)(2 + i));
        put16(o, 8);
        if (i < 2) { /* time stamps: high word, then low word */
            put32(o, (uint32_t)((uint64_t)v[i] >> 32));
            put32(o, (uint32_t)v[i]);
        } else {
            put64(o, (uint64_t)v[i]);
        }
    }
    put32(o, 0);
    block_end(o, b);
}

/* ---- reading ------------------------------------------------------------------------ */

struct got {
    struct dfs_record rec[16];
    uint8_t data[16][128];
    uint64_t offset[16]; /* dfs_capreader_offset() after each record */
    uint64_t end_offset; /* and at the end */
    int n;
    int warnings;
    char last_warning[512];
    uint64_t damaged, skipped;
    enum dfs_capformat format;
    int linktype;
};

static void on_warn(void *user, uint64_t frame, const char *msg)
{
    struct got *g = user;
    (void)frame;
    g->warnings++;
    snprintf(g->last_warning, sizeof g->last_warning, "%s", msg);
}

static void read_all_from(dfs_capreader *r, struct got *g)
{
    struct dfs_record rec;
    enum dfs_capnext n;
    while ((n = dfs_capreader_next(r, &rec)) == DFS_CAP_RECORD) {
        assert_true(g->n < 16);
        g->rec[g->n] = rec;
        assert_true(rec.caplen <= sizeof g->data[0]);
        memcpy(g->data[g->n], rec.data, rec.caplen);
        g->rec[g->n].data = g->data[g->n];
        g->offset[g->n] = dfs_capreader_offset(r);
        g->n++;
    }
    assert_int_equal(n, DFS_CAP_EOF);
    g->end_offset = dfs_capreader_offset(r);
    g->damaged = dfs_capreader_damaged(r);
    g->skipped = dfs_capreader_skipped_bytes(r);
    g->format = dfs_capreader_format(r);
    g->linktype = dfs_capreader_linktype(r);
}

static void read_all(const struct out *o, struct got *g)
{
    memset(g, 0, sizeof *g);
    FILE *fp = fmemopen(o->p, o->n, "rb");
    assert_non_null(fp);
    struct dfs_capreader_options opt = {.warn = on_warn, .warn_user = g};
    dfs_capreader *r = NULL;
    char err[256];
    assert_int_equal(dfs_capreader_open_stream(fp, "built", &opt, &r, err, sizeof err), DFS_OK);
    read_all_from(r, g);
    dfs_capreader_close(r);
    fclose(fp);
    if (g->warnings)
        print_error("warning: %s\n", g->last_warning);
    assert_int_equal(g->warnings, 0);
    assert_int_equal(g->damaged, 0);
    assert_int_equal(g->skipped, 0);
}

static int on_urb_seen(void *user, const struct dfs_urb *u)
{
    *(struct dfs_urb *)user = *u;
    return 0;
}

static int on_finding_seen(void *user, const struct dfs_finding *f)
{
    (void)user;
    fail_msg("the record decodes with a finding: %s: %s", f->id, f->explanation);
    return 0;
}

/* The record decodes to URB id `id` when read in its stated byte order
 * (through the decoder's public API). */
static void assert_urb_id(const struct dfs_record *rec, uint64_t id)
{
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    struct dfs_options o;
    dfs_options_init(&o);
    struct dfs_sink sink = {.user = &u, .on_urb = on_urb_seen, .on_finding = on_finding_seen};
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&o, &sink, &d), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, rec), DFS_OK);
    dfs_decoder_free(d);
    assert_true(u.id == id);
    assert_int_equal(u.bus, 3);
}

/* ---- pcap ------------------------------------------------------------------------------ */

static void pcap_both_orders_both_resolutions(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        for (int nsec = 0; nsec < 2; nsec++) {
            struct out o = {.big = big};
            pcap_header(&o, nsec, 262144, DFS_LINKTYPE_USB_LINUX_MMAPPED);
            uint8_t rec[128];
            size_t n = usbmon(rec, sizeof rec, 0x1111, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
            pcap_record(&o, 1737511279, nsec ? 259851123 : 259851, rec, (uint32_t)n,
                        (uint32_t)n);
            n = usbmon(rec, sizeof rec, 0x2222, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
            pcap_record(&o, 1737511280, nsec ? 999999999 : 999999, rec, (uint32_t)n - 8,
                        (uint32_t)n);
            struct got g;
            read_all(&o, &g);
            assert_int_equal(g.format, DFS_CAPFMT_PCAP);
            assert_int_equal(g.linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED);
            assert_int_equal(g.n, 2);
            for (int i = 0; i < 2; i++) {
                assert_int_equal(g.rec[i].frame, i + 1);
                assert_int_equal(g.rec[i].linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED);
                assert_int_equal(g.rec[i].order, big ? DFS_ORDER_BIG : DFS_ORDER_LITTLE);
            }
            assert_true(g.rec[0].ts.sec == 1737511279);
            assert_int_equal(g.rec[0].ts.nsec, nsec ? 259851123 : 259851000);
            assert_int_equal(g.rec[1].ts.nsec, 999999999 - (nsec ? 0 : 999));
            assert_int_equal(g.rec[0].caplen, 64);
            assert_int_equal(g.rec[1].caplen, 56); /* cut by the snapshot */
            assert_int_equal(g.rec[1].origlen, 64);
            /* file header 24, record headers 16 */
            assert_int_equal(g.offset[0], 24 + 16 + 64);
            assert_int_equal(g.offset[1], 24 + 16 + 64 + 16 + 56);
            assert_int_equal(g.end_offset, o.n);
            assert_urb_id(&g.rec[0], 0x1111);
            free(o.p);
        }
    }
}

/* link type 189, no snapshot length given, an empty record */
static void pcap_189_and_empty_record(void **state)
{
    (void)state;
    struct out o = {.big = false};
    pcap_header(&o, false, 0, DFS_LINKTYPE_USB_LINUX);
    uint8_t rec[128];
    size_t n = usbmon(rec, sizeof rec, 0x3333, DFS_LINKTYPE_USB_LINUX, false);
    pcap_record(&o, 5, 1, rec, (uint32_t)n, (uint32_t)n);
    pcap_record(&o, 6, 2, rec, 0, 0);
    struct got g;
    read_all(&o, &g);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.rec[0].caplen, 48);
    assert_int_equal(g.rec[0].linktype, DFS_LINKTYPE_USB_LINUX);
    assert_urb_id(&g.rec[0], 0x3333);
    assert_int_equal(g.rec[1].caplen, 0);
    assert_int_equal(g.rec[1].frame, 2);
    free(o.p);
}

/* ---- pcapng ------------------------------------------------------------------------------ */

/* Two sections of different byte orders: interfaces are per section, frame
 * numbers run on. */
static void pcapng_sections_of_both_orders(void **state)
{
    (void)state;
    struct out o = {0};
    uint8_t rec[128];
    shb(&o, false);
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, -1, 0); /* default 10^-6 */
    size_t n = usbmon(rec, sizeof rec, 0xaaaa, DFS_LINKTYPE_USB_LINUX_MMAPPED, false);
    epb(&o, 0, 1737511279259851ull, rec, (uint32_t)n, (uint32_t)n, false);
    size_t end_of_first = o.n;
    shb(&o, true);
    idb(&o, DFS_LINKTYPE_USB_LINUX, 262144, 9, 0);
    n = usbmon(rec, sizeof rec, 0xbbbb, DFS_LINKTYPE_USB_LINUX, true);
    epb(&o, 0, 1737511280123456789ull, rec, (uint32_t)n, (uint32_t)n, false);
    size_t end_of_second = o.n;
    shb(&o, false);
    idb(&o, DFS_LINKTYPE_USB_LINUX, 0, 6, 0);
    n = usbmon(rec, sizeof rec, 0xcccc, DFS_LINKTYPE_USB_LINUX, false);
    epb(&o, 0, 3000001ull, rec, (uint32_t)n, (uint32_t)n, false);
    struct got g;
    read_all(&o, &g);
    assert_int_equal(g.format, DFS_CAPFMT_PCAPNG);
    assert_int_equal(g.linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED); /* the first interface */
    assert_int_equal(g.n, 3);
    assert_int_equal(g.rec[0].frame, 1);
    assert_int_equal(g.rec[0].order, DFS_ORDER_LITTLE);
    assert_int_equal(g.rec[0].linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED);
    assert_true(g.rec[0].ts.sec == 1737511279);
    assert_int_equal(g.rec[0].ts.nsec, 259851000);
    assert_urb_id(&g.rec[0], 0xaaaa);
    assert_int_equal(g.rec[1].frame, 2);
    assert_int_equal(g.rec[1].order, DFS_ORDER_BIG);
    assert_int_equal(g.rec[1].linktype, DFS_LINKTYPE_USB_LINUX);
    assert_true(g.rec[1].ts.sec == 1737511280);
    assert_int_equal(g.rec[1].ts.nsec, 123456789);
    assert_urb_id(&g.rec[1], 0xbbbb);
    assert_int_equal(g.rec[2].frame, 3);
    assert_int_equal(g.rec[2].order, DFS_ORDER_LITTLE);
    assert_true(g.rec[2].ts.sec == 3);
    assert_int_equal(g.rec[2].ts.nsec, 1000);
    assert_urb_id(&g.rec[2], 0xcccc);
    /* the offset after each record: the end of its block */
    assert_int_equal(g.offset[0], end_of_first);
    assert_int_equal(g.offset[1], end_of_second);
    assert_int_equal(g.offset[2], o.n);
    assert_int_equal(g.end_offset, o.n);
    free(o.p);
}

/* Interfaces of different link types in one section; the non-usbmon one's
 * records reach the decoder with their link type, which refuses them
 * without stopping. */
static void pcapng_interfaces_of_different_link_types(void **state)
{
    (void)state;
    struct out o = {0};
    uint8_t rec[128];
    shb(&o, false);
    idb(&o, 1, 0, -1, 0); /* Ethernet first */
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 9, 0);
    idb(&o, DFS_LINKTYPE_USB_LINUX, 0, 6, 0);
    uint8_t eth[60];
    memset(eth, 0xff, sizeof eth);
    epb(&o, 0, 1, eth, 60, 60, false);
    size_t n = usbmon(rec, sizeof rec, 0x1, DFS_LINKTYPE_USB_LINUX_MMAPPED, false);
    epb(&o, 1, 2000000000ull, rec, (uint32_t)n, (uint32_t)n, false);
    n = usbmon(rec, sizeof rec, 0x2, DFS_LINKTYPE_USB_LINUX, false);
    epb(&o, 2, 3000000ull, rec, (uint32_t)n, (uint32_t)n, false);
    epb(&o, 0, 4, eth, 60, 60, false);
    struct got g;
    read_all(&o, &g);
    assert_int_equal(g.linktype, 1);
    assert_int_equal(g.n, 4);
    assert_int_equal(g.rec[0].linktype, 1);
    assert_int_equal(g.rec[1].linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED);
    assert_true(g.rec[1].ts.sec == 2);
    assert_int_equal(g.rec[2].linktype, DFS_LINKTYPE_USB_LINUX);
    assert_true(g.rec[2].ts.sec == 3);
    assert_int_equal(g.rec[3].linktype, 1);
    assert_int_equal(g.rec[3].frame, 4);

    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(NULL, NULL, &d), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, &g.rec[0]), DFS_E_LINKTYPE);
    assert_int_equal(dfs_decoder_feed(d, &g.rec[1]), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, &g.rec[2]), DFS_OK);
    assert_int_equal(dfs_decoder_feed(d, &g.rec[3]), DFS_E_LINKTYPE);
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(d);
    assert_int_equal(st->records, 4);
    assert_int_equal(st->records_skipped, 2);
    assert_int_equal(st->urbs_open, 2);
    dfs_decoder_free(d);
    free(o.p);
}

static void pcapng_time_resolutions_and_offset(void **state)
{
    (void)state;
    static const struct {
        int tsresol;
        int64_t tsoffset;
        uint64_t ts;
        int64_t sec;
        uint32_t nsec;
    } cases[] = {
        {-1, 0, 5123456ull, 5, 123456000},              /* default: microseconds */
        {6, 0, 5123456ull, 5, 123456000},
        {9, 0, 5123456789ull, 5, 123456789},
        {3, 0, 5123ull, 5, 123000000},                  /* milliseconds */
        {0, 0, 7ull, 7, 0},                             /* seconds */
        {12, 0, 5123456789012ull, 5, 123456789},        /* picoseconds: truncated */
        {0x80 | 20, 0, (5ull << 20) | (1u << 19), 5, 500000000}, /* 2^-20 */
        {0x80 | 10, 0, (3ull << 10) | 256, 3, 250000000},        /* 2^-10 */
        {0x80 | 0, 0, 9ull, 9, 0},                               /* 2^0 */
        /* the finest resolutions a 7-bit exponent gives: whole seconds are 0 */
        {0x80 | 63, 0, 1ull << 62, 0, 500000000},                /* 2^-63 */
        {0x80 | 64, 0, 1ull << 63, 0, 500000000},                /* 2^-64 */
        {0x80 | 100, 0, UINT64_MAX, 0, 0},                       /* 2^-100 */
        {0x80 | 127, 0, UINT64_MAX, 0, 0},                       /* 2^-127 */
        {6, 1000, 5123456ull, 1005, 123456000},         /* if_tsoffset in seconds */
        {9, -5, 5123456789ull, 0, 123456789},
    };
    for (int big = 0; big < 2; big++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            struct out o = {0};
            uint8_t rec[128];
            shb(&o, big);
            idb(&o, DFS_LINKTYPE_USB_LINUX, 0, cases[i].tsresol, cases[i].tsoffset);
            size_t n = usbmon(rec, sizeof rec, 0x10 + i, DFS_LINKTYPE_USB_LINUX, big);
            epb(&o, 0, cases[i].ts, rec, (uint32_t)n, (uint32_t)n, false);
            struct got g;
            read_all(&o, &g);
            assert_int_equal(g.n, 1);
            if (g.rec[0].ts.sec != cases[i].sec || g.rec[0].ts.nsec != cases[i].nsec)
                print_error("case %zu (%s): %lld.%09u\n", i, big ? "big" : "little",
                            (long long)g.rec[0].ts.sec, g.rec[0].ts.nsec);
            assert_true(g.rec[0].ts.sec == cases[i].sec);
            assert_int_equal(g.rec[0].ts.nsec, cases[i].nsec);
            assert_urb_id(&g.rec[0], 0x10 + i);
            free(o.p);
        }
    }
}

/* EPB data padded to 32 bits and followed by options; SPB; OPB; blocks of
 * other types in between are skipped without a word (a custom block takes a
 * frame number, as Wireshark shows it as a frame). */
static void pcapng_packet_block_kinds(void **state)
{
    (void)state;
    for (int big = 0; big < 2; big++) {
        struct out o = {0};
        uint8_t rec[128];
        shb(&o, big);
        other_block(&o, 0x00000BAD, 9);   /* custom block */
        idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 1000, 9, 0);
        other_block(&o, 4, 12);           /* name resolution */
        size_t n = usbmon(rec, sizeof rec, 0x51, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
        rec[n] = 0x5a;                    /* one more byte: padding follows */
        rec[n + 1] = 0;
        epb(&o, 0, 1000000001ull, rec, (uint32_t)n + 1, (uint32_t)n + 100, true);
        other_block(&o, 0x12345678, 0);   /* unknown, empty */
        n = usbmon(rec, sizeof rec, 0x52, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
        spb(&o, rec, (uint32_t)n, (uint32_t)n);
        isb(&o, 0, 5, NONE, NONE, 3, NONE); /* interface statistics, no end time */
        other_block(&o, 0x0A, 4);         /* decryption secrets */
        n = usbmon(rec, sizeof rec, 0x53, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
        opb(&o, 0, 2000000002ull, rec, (uint32_t)n);
        /* an SPB whose packet was longer than what was kept */
        n = usbmon(rec, sizeof rec, 0x54, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
        spb(&o, rec, (uint32_t)n, (uint32_t)n + 3000);
        struct got g;
        read_all(&o, &g);
        assert_int_equal(g.n, 4);
        /* the custom block is a frame of its own, as in Wireshark */
        assert_int_equal(g.rec[0].frame, 2);
        assert_int_equal(g.rec[0].caplen, 65);
        assert_int_equal(g.rec[0].origlen, 164);
        assert_int_equal(g.data[0][64], 0x5a);
        assert_true(g.rec[0].ts.sec == 1);
        assert_int_equal(g.rec[0].ts.nsec, 1);
        assert_urb_id(&g.rec[0], 0x51);
        /* SPB: no time stamp, interface 0 */
        assert_int_equal(g.rec[1].frame, 3);
        assert_int_equal(g.rec[1].caplen, 64);
        assert_int_equal(g.rec[1].origlen, 64);
        assert_int_equal(g.rec[1].linktype, DFS_LINKTYPE_USB_LINUX_MMAPPED);
        assert_true(g.rec[1].ts.sec == 0 && g.rec[1].ts.nsec == 0);
        assert_urb_id(&g.rec[1], 0x52);
        /* OPB */
        assert_int_equal(g.rec[2].frame, 4);
        assert_true(g.rec[2].ts.sec == 2);
        assert_int_equal(g.rec[2].ts.nsec, 2);
        assert_urb_id(&g.rec[2], 0x53);
        /* SPB of a longer packet: what the block holds */
        assert_int_equal(g.rec[3].caplen, 64);
        assert_int_equal(g.rec[3].origlen, 64 + 3000);
        assert_urb_id(&g.rec[3], 0x54);
        free(o.p);
    }
}

/* What dfs_capwriter writes, dfs_capreader reads back, in both orders. */
static void writer_round_trip(void **state)
{
    (void)state;
    const enum dfs_byte_order orders[] = {DFS_ORDER_HOST, DFS_ORDER_LITTLE, DFS_ORDER_BIG};
    const enum dfs_capformat formats[] = {DFS_CAPFMT_PCAP, DFS_CAPFMT_PCAPNG};
    for (int f = 0; f < 2; f++) {
        for (int oi = 0; oi < 3; oi++) {
            char *mem = NULL;
            size_t len = 0;
            FILE *fp = open_memstream(&mem, &len);
            assert_non_null(fp);
            dfs_capwriter *w;
            assert_int_equal(dfs_capwriter_open_stream_order(fp, formats[f], 220, orders[oi], &w),
                             DFS_OK);
            uint8_t rec[128];
            bool big = orders[oi] == DFS_ORDER_BIG ||
                       (orders[oi] == DFS_ORDER_HOST && *(const uint8_t *)&(uint16_t){1} == 0);
            size_t n = usbmon(rec, sizeof rec, 0x77, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
            struct dfs_time ts = {1737511279, 259851123};
            assert_int_equal(dfs_capwriter_write(w, ts, rec, (uint32_t)n, (uint32_t)n + 5),
                             DFS_OK);
            assert_int_equal(dfs_capwriter_write(w, ts, rec, 0, 0), DFS_OK);
            assert_int_equal(dfs_capwriter_close(w), DFS_OK);
            fclose(fp);
            struct out o = {.p = (uint8_t *)mem, .n = len};
            struct got g;
            read_all(&o, &g);
            assert_int_equal(g.format, formats[f]);
            assert_int_equal(g.n, 2);
            assert_int_equal(g.rec[0].order, big ? DFS_ORDER_BIG : DFS_ORDER_LITTLE);
            assert_true(g.rec[0].ts.sec == 1737511279);
            assert_int_equal(g.rec[0].ts.nsec, 259851123);
            assert_int_equal(g.rec[0].caplen, n);
            assert_int_equal(g.rec[0].origlen, n + 5);
            assert_urb_id(&g.rec[0], 0x77);
            assert_int_equal(g.rec[1].caplen, 0);
            free(mem);
        }
    }
    dfs_capwriter *w;
    assert_int_equal(dfs_capwriter_open_stream_order(stdout, DFS_CAPFMT_PCAP, 220, 7, &w),
                     DFS_E_INVAL);
    assert_int_equal(dfs_capwriter_open_stream_order(stdout, 3, 220, DFS_ORDER_HOST, &w),
                     DFS_E_INVAL);
}

/* ---- interface statistics: when the capture stopped ------------------------------- */

struct isb_got {
    struct got g;
    struct dfs_capture_end ce;
    char warn[4][512];
    int n_warn;
};

static void on_isb_warn(void *user, uint64_t frame, const char *msg)
{
    struct isb_got *ig = user;
    assert_int_equal(frame, 0); /* blocks are named by their offset, not by a frame */
    if (ig->n_warn < 4)
        snprintf(ig->warn[ig->n_warn], sizeof ig->warn[0], "%s", msg);
    ig->n_warn++;
}

static void read_isb(const struct out *o, struct isb_got *ig)
{
    memset(ig, 0, sizeof *ig);
    FILE *fp = fmemopen(o->p, o->n, "rb");
    assert_non_null(fp);
    struct dfs_capreader_options opt = {.warn = on_isb_warn, .warn_user = ig};
    dfs_capreader *r = NULL;
    char err[256];
    assert_int_equal(dfs_capreader_open_stream(fp, "built", &opt, &r, err, sizeof err), DFS_OK);
    read_all_from(r, &ig->g);
    dfs_capreader_capture_end(r, &ig->ce);
    dfs_capreader_close(r);
    fclose(fp);
}

static bool time_is(struct dfs_time t, int64_t sec, uint32_t nsec)
{
    return t.sec == sec && t.nsec == nsec;
}

/* What dfs_capwriter_close_end writes, the reader gives back, in both byte
 * orders; classic pcap has no place for it and stays as without it. */
static void isb_writer_round_trip(void **state)
{
    (void)state;
    const enum dfs_byte_order orders[] = {DFS_ORDER_HOST, DFS_ORDER_LITTLE, DFS_ORDER_BIG};
    const enum dfs_capformat formats[] = {DFS_CAPFMT_PCAP, DFS_CAPFMT_PCAPNG};
    const struct dfs_capture_end end = {
        .has_end = true, .end = {1737511289, 5},
        .has_start = true, .start = {1737511270, 999999999},
        .has_received = true, .received = 0x1122334455667788ull,
        .has_dropped = true, .dropped = 3,
    };
    for (int f = 0; f < 2; f++) {
        for (int oi = 0; oi < 3; oi++) {
            /* the same records closed three ways: plain, with the end, with a bad end */
            char *mem[3] = {NULL, NULL, NULL};
            size_t len[3] = {0, 0, 0};
            bool big = orders[oi] == DFS_ORDER_BIG ||
                       (orders[oi] == DFS_ORDER_HOST && *(const uint8_t *)&(uint16_t){1} == 0);
            for (int k = 0; k < 3; k++) {
                FILE *fp = open_memstream(&mem[k], &len[k]);
                assert_non_null(fp);
                dfs_capwriter *w;
                assert_int_equal(
                    dfs_capwriter_open_stream_order(fp, formats[f], 220, orders[oi], &w), DFS_OK);
                uint8_t rec[128];
                size_t n = usbmon(rec, sizeof rec, 0x77, DFS_LINKTYPE_USB_LINUX_MMAPPED, big);
                struct dfs_time ts = {1737511279, 259851123};
                assert_int_equal(dfs_capwriter_write(w, ts, rec, (uint32_t)n, (uint32_t)n),
                                 DFS_OK);
                if (k == 0) {
                    assert_int_equal(dfs_capwriter_close(w), DFS_OK);
                } else if (k == 1) {
                    assert_int_equal(dfs_capwriter_close_end(w, &end), DFS_OK);
                } else {
                    struct dfs_capture_end bad = end;
                    bad.end.nsec = 1000000000u;
                    assert_int_equal(dfs_capwriter_close_end(w, &bad),
                                     f == 1 ? DFS_E_INVAL : DFS_OK);
                }
                fclose(fp);
            }
            /* a bad end adds nothing; pcap never gets anything */
            assert_int_equal(len[2], len[0]);
            assert_memory_equal(mem[2], mem[0], len[0]);
            if (f == 0) {
                assert_int_equal(len[1], len[0]);
                assert_memory_equal(mem[1], mem[0], len[0]);
            } else {
                /* the same bytes, then one interface statistics block of
                 * 12 + 12 + 4 * 12 + 4 bytes */
                assert_int_equal(len[1], len[0] + 76);
                assert_memory_equal(mem[1], mem[0], len[0]);
            }
            struct out o = {.p = (uint8_t *)mem[1], .n = len[1]};
            struct isb_got ig;
            read_isb(&o, &ig);
            assert_int_equal(ig.n_warn, 0);
            assert_int_equal(ig.g.n, 1);
            assert_int_equal(ig.ce.has_end, f == 1);
            assert_int_equal(ig.ce.has_start, f == 1);
            assert_int_equal(ig.ce.has_received, f == 1);
            assert_int_equal(ig.ce.has_dropped, f == 1);
            if (f == 1) {
                assert_true(time_is(ig.ce.end, 1737511289, 5));
                assert_true(time_is(ig.ce.start, 1737511270, 999999999));
                assert_true(ig.ce.received == 0x1122334455667788ull);
                assert_true(ig.ce.dropped == 3);
            }
            for (int k = 0; k < 3; k++)
                free(mem[k]);
        }
    }
    /* no end given: no block */
    char *m = NULL;
    size_t n = 0;
    FILE *fp = open_memstream(&m, &n);
    dfs_capwriter *w;
    assert_int_equal(dfs_capwriter_open_stream(fp, DFS_CAPFMT_PCAPNG, 220, &w), DFS_OK);
    assert_int_equal(dfs_capwriter_close_end(w, NULL), DFS_OK);
    fclose(fp);
    struct out o = {.p = (uint8_t *)m, .n = n};
    struct isb_got ig;
    read_isb(&o, &ig);
    assert_false(ig.ce.has_end);
    free(m);
    assert_int_equal(dfs_capwriter_close_end(NULL, NULL), DFS_E_INVAL);
}

/* Several interfaces, blocks and sections; time stamps in the interface's
 * own resolution; an end followed by later records is not the end. */
static void isb_reader_values(void **state)
{
    (void)state;
    struct out o = {0};
    uint8_t rec[128];
    size_t n = usbmon(rec, sizeof rec, 0x10, DFS_LINKTYPE_USB_LINUX_MMAPPED, true);
    shb(&o, true);
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 6, 0); /* microseconds */
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 9, 0); /* nanoseconds */
    epb(&o, 0, 1000000ull * 100 + 5, rec, (uint32_t)n, (uint32_t)n, false);
    /* statistics taken in the middle: superseded */
    isb(&o, 0, 1000000ull * 101, 1000000ull * 99, 1000000ull * 101, 10, 1);
    epb(&o, 1, 1000000000ull * 102, rec, (uint32_t)n, (uint32_t)n, false);
    isb(&o, 0, 1000000ull * 110, 1000000ull * 99, 1000000ull * 110 + 250, 40, 2);
    isb(&o, 1, 1000000000ull * 109, 1000000000ull * 98 + 7, NONE, 5, NONE);
    struct isb_got ig;
    read_isb(&o, &ig);
    assert_int_equal(ig.n_warn, 0);
    assert_int_equal(ig.g.n, 2);
    assert_true(ig.ce.has_end);
    assert_true(time_is(ig.ce.end, 110, 250000));
    assert_true(ig.ce.has_start);
    assert_true(time_is(ig.ce.start, 98, 7));
    assert_true(ig.ce.has_received && ig.ce.received == 45);
    assert_true(ig.ce.has_dropped && ig.ce.dropped == 2);
    /* a second section, little-endian: its counters add to the first's */
    shb(&o, false);
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 9, 0);
    n = usbmon(rec, sizeof rec, 0x11, DFS_LINKTYPE_USB_LINUX_MMAPPED, false);
    epb(&o, 0, 1000000000ull * 120, rec, (uint32_t)n, (uint32_t)n, false);
    isb(&o, 0, 1000000000ull * 130, NONE, 1000000000ull * 130, 7, 0);
    read_isb(&o, &ig);
    assert_int_equal(ig.n_warn, 0);
    assert_int_equal(ig.g.n, 3);
    assert_true(time_is(ig.ce.end, 130, 0));
    assert_true(ig.ce.received == 52);
    assert_true(ig.ce.dropped == 2);
    /* records after the last end time: no end */
    epb(&o, 0, 1000000000ull * 131, rec, (uint32_t)n, (uint32_t)n, false);
    read_isb(&o, &ig);
    assert_int_equal(ig.n_warn, 0);
    assert_false(ig.ce.has_end);
    free(o.p);
}

/* Damaged blocks: each named by its offset, ignored, the records around it
 * read as ever. */
static void isb_malformed(void **state)
{
    (void)state;
    uint8_t rec[128];
    size_t n = usbmon(rec, sizeof rec, 0x20, DFS_LINKTYPE_USB_LINUX_MMAPPED, false);
    struct out base = {0};
    shb(&base, false);
    idb(&base, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 9, 0);
    epb(&base, 0, 1000000000ull * 100, rec, (uint32_t)n, (uint32_t)n, false);
    epb(&base, 0, 1000000000ull * 101, rec, (uint32_t)n, (uint32_t)n, false);
    const size_t at = base.n; /* where the statistics block goes */
    char want[512];
    struct isb_got ig;

    /* too short for interface id and time stamp */
    struct out o = base;
    o.p = malloc(base.n);
    memcpy(o.p, base.p, base.n);
    o.cap = base.n;
    size_t b = block_start(&o, 5);
    put32(&o, 0);
    put32(&o, 0);
    block_end(&o, b);
    epb(&o, 0, 1000000000ull * 102, rec, (uint32_t)n, (uint32_t)n, false);
    read_isb(&o, &ig);
    snprintf(want, sizeof want,
             "interface statistics block at offset %zu: 20 bytes, too short for its fields "
             "(24 minimum); block ignored",
             at);
    assert_int_equal(ig.n_warn, 1);
    assert_string_equal(ig.warn[0], want);
    assert_int_equal(ig.g.n, 3);
    assert_int_equal(ig.g.damaged, 1);
    free(o.p);

    /* an interface the section does not describe */
    o = base;
    o.p = malloc(base.n);
    memcpy(o.p, base.p, base.n);
    o.cap = base.n;
    isb(&o, 3, 1000000000ull * 200, NONE, 1000000000ull * 200, 9, 9);
    read_isb(&o, &ig);
    snprintf(want, sizeof want,
             "interface statistics block at offset %zu refers to interface 3, but the section "
             "describes 1; block ignored",
             at);
    assert_int_equal(ig.n_warn, 1);
    assert_string_equal(ig.warn[0], want);
    assert_false(ig.ce.has_end);
    assert_false(ig.ce.has_received);
    assert_int_equal(ig.g.n, 2);
    free(o.p);

    /* an option running past the end of the block: nothing of it is used,
     * not even the options before */
    o = base;
    o.p = malloc(base.n);
    memcpy(o.p, base.p, base.n);
    o.cap = base.n;
    b = block_start(&o, 5);
    put32(&o, 0);
    put32(&o, 0);
    put32(&o, 0);
    put16(&o, 4); /* isb_ifrecv = 5 */
    put16(&o, 8);
    put64(&o, 5);
    put16(&o, 3); /* isb_endtime claiming 200 bytes */
    put16(&o, 200);
    put32(&o, 0);
    put32(&o, 0);
    block_end(&o, b);
    epb(&o, 0, 1000000000ull * 102, rec, (uint32_t)n, (uint32_t)n, false);
    read_isb(&o, &ig);
    snprintf(want, sizeof want,
             "interface statistics block at offset %zu: option 3 (200 bytes) runs past the end "
             "of the block; block ignored",
             at);
    assert_int_equal(ig.n_warn, 1);
    assert_string_equal(ig.warn[0], want);
    assert_false(ig.ce.has_end);
    assert_false(ig.ce.has_received);
    assert_int_equal(ig.g.n, 3);
    free(o.p);

    /* an option of the wrong length: that option is left out, the rest used */
    o = base;
    o.p = malloc(base.n);
    memcpy(o.p, base.p, base.n);
    o.cap = base.n;
    b = block_start(&o, 5);
    put32(&o, 0);
    put32(&o, 0);
    put32(&o, 0);
    put16(&o, 3); /* isb_endtime of 4 bytes */
    put16(&o, 4);
    put32(&o, 7);
    put16(&o, 4);
    put16(&o, 8);
    put64(&o, 12);
    put32(&o, 0);
    block_end(&o, b);
    read_isb(&o, &ig);
    snprintf(want, sizeof want,
             "interface statistics block at offset %zu: option isb_endtime has 4 bytes, not 8; "
             "option ignored",
             at);
    assert_int_equal(ig.n_warn, 1);
    assert_string_equal(ig.warn[0], want);
    assert_false(ig.ce.has_end);
    assert_true(ig.ce.has_received && ig.ce.received == 12);
    free(o.p);

    /* an end before the last record: a note, and no end */
    o = base;
    o.p = malloc(base.n);
    memcpy(o.p, base.p, base.n);
    o.cap = base.n;
    isb(&o, 0, 1000000000ull * 101, NONE, 1000000000ull * 100 + 500000000, 2, 0);
    read_isb(&o, &ig);
    snprintf(want, sizeof want,
             "interface statistics block at offset %zu: isb_endtime is 0.500000 s before the "
             "last record (frame 2); end time ignored",
             at);
    assert_int_equal(ig.n_warn, 1);
    assert_string_equal(ig.warn[0], want);
    assert_false(ig.ce.has_end);
    assert_true(ig.ce.has_received && ig.ce.received == 2);
    assert_int_equal(ig.g.damaged, 0);
    free(o.p);
    free(base.p);
}

/* "-" reads standard input. */
static void standard_input(void **state)
{
    (void)state;
    struct out o = {0};
    uint8_t rec[128];
    shb(&o, true);
    idb(&o, DFS_LINKTYPE_USB_LINUX_MMAPPED, 0, 9, 0);
    size_t n = usbmon(rec, sizeof rec, 0x99, DFS_LINKTYPE_USB_LINUX_MMAPPED, true);
    epb(&o, 0, 42, rec, (uint32_t)n, (uint32_t)n, false);
    char path[] = "/tmp/dfs_test_reader_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, o.p, o.n), (ssize_t)o.n);
    close(fd);
    assert_non_null(freopen(path, "rb", stdin));
    dfs_capreader *r;
    char err[256];
    struct got g;
    memset(&g, 0, sizeof g);
    assert_int_equal(dfs_capreader_open("-", NULL, &r, err, sizeof err), DFS_OK);
    read_all_from(r, &g);
    dfs_capreader_close(r);
    unlink(path);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.rec[0].ts.nsec, 42);
    assert_int_equal(g.rec[0].order, DFS_ORDER_BIG);
    assert_urb_id(&g.rec[0], 0x99);
    free(o.p);
}

/* A file cut short while it is read (a capture still being rotated, a copy
 * overwritten): the records read before are handed on, then a clear error
 * names the file, its size when opened and where it ended, even when the
 * cut falls between two records, where the end would otherwise look like
 * the file's own. Larger than the reader's first buffer, so that the cut
 * comes after the first read. */
static void file_cut_short_while_read(void **state)
{
    (void)state;
    struct out o = {0};
    pcap_header(&o, false, 0, DFS_LINKTYPE_USB_LINUX);
    uint8_t rec[128];
    size_t n = usbmon(rec, sizeof rec, 0x77, DFS_LINKTYPE_USB_LINUX, false);
    const unsigned total = 4000, kept = 2000;
    for (unsigned i = 0; i < total; i++)
        pcap_record(&o, 100 + i, 0, rec, (uint32_t)n, (uint32_t)n);
    char path[] = "/tmp/dfs_test_reader_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, o.p, o.n), (ssize_t)o.n);
    close(fd);
    dfs_capreader *r;
    char err[256];
    assert_int_equal(dfs_capreader_open(path, NULL, &r, err, sizeof err), DFS_OK);
    struct dfs_record x;
    assert_int_equal(dfs_capreader_next(r, &x), DFS_CAP_RECORD);
    off_t cut = (off_t)(24 + kept * (16 + n));
    assert_int_equal(truncate(path, cut), 0);
    unsigned got = 1;
    enum dfs_capnext k;
    while ((k = dfs_capreader_next(r, &x)) == DFS_CAP_RECORD)
        got++;
    assert_int_equal(k, DFS_CAP_ERROR);
    assert_int_equal(got, kept);
    char want[200];
    snprintf(want, sizeof want,
             "the file shrank while it was read: it had %zu bytes when opened and ended after "
             "%lld, at frame %u",
             o.n, (long long)cut, kept);
    assert_non_null(strstr(dfs_capreader_error(r), path));
    assert_non_null(strstr(dfs_capreader_error(r), want));
    dfs_capreader_close(r);

    /* the same file, whole: its end is no error */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, o.p, o.n), (ssize_t)o.n);
    close(fd);
    assert_int_equal(dfs_capreader_open(path, NULL, &r, err, sizeof err), DFS_OK);
    got = 0;
    while ((k = dfs_capreader_next(r, &x)) == DFS_CAP_RECORD)
        got++;
    assert_int_equal(k, DFS_CAP_EOF);
    assert_int_equal(got, total);
    dfs_capreader_close(r);
    unlink(path);
    free(o.p);
}

/* ---- damage inside sound blocks -------------------------------------------------------- */

struct warned {
    int n;
    uint64_t frame[8];
    char msg[8][256];
};

static void on_warn_all(void *user, uint64_t frame, const char *msg)
{
    struct warned *w = user;
    if (w->n < 8) {
        w->frame[w->n] = frame;
        snprintf(w->msg[w->n], sizeof w->msg[0], "%s", msg);
    }
    w->n++;
}

/* Read o; the records (their URB ids), and every warning with its frame. */
static void read_warned(const struct out *o, struct got *g, struct warned *w)
{
    memset(g, 0, sizeof *g);
    memset(w, 0, sizeof *w);
    FILE *fp = fmemopen(o->p, o->n, "rb");
    assert_non_null(fp);
    struct dfs_capreader_options opt = {.warn = on_warn_all, .warn_user = w};
    dfs_capreader *r = NULL;
    char err[256];
    assert_int_equal(dfs_capreader_open_stream(fp, "built", &opt, &r, err, sizeof err), DFS_OK);
    read_all_from(r, g);
    dfs_capreader_close(r);
    fclose(fp);
}

static void assert_warned(const struct warned *w, int i, uint64_t frame, const char *msg)
{
    assert_true(i < w->n);
    assert_int_equal(w->frame[i], frame);
    assert_string_equal(w->msg[i], msg);
}

/* An IDB whose fields and options are written here as they come. */
static size_t idb_start(struct out *o, uint16_t lt)
{
    size_t b = block_start(o, 1);
    put16(o, lt);
    put16(o, 0);
    put32(o, 0);
    return b;
}

static void pcapng_damage_inside_blocks(void **state)
{
    (void)state;
    const int lt = DFS_LINKTYPE_USB_LINUX_MMAPPED;
    uint8_t rec[128];
    struct got g;
    struct warned w;
    char want[256];

    for (int big = 0; big < 2; big++) {
        size_t n = usbmon(rec, sizeof rec, 0x30, lt, big);

        /* an IDB option whose value (40 bytes) runs past the block: the
         * options before it count, the interface is there */
        struct out o = {0};
        shb(&o, big);
        size_t b = idb_start(&o, (uint16_t)lt);
        uint8_t res = 9;
        option(&o, 9, &res, 1); /* if_tsresol: nanoseconds */
        put16(&o, 2);           /* if_name, claiming 40 bytes of which 4 are there */
        put16(&o, 40);
        put32(&o, 0x41424344);
        block_end(&o, b);
        epb(&o, 0, 1500, rec, (uint32_t)n, (uint32_t)n, false);
        read_warned(&o, &g, &w);
        assert_int_equal(w.n, 1);
        assert_warned(&w, 0, 1, "interface 0: option 2 runs past the end of its block");
        assert_int_equal(g.n, 1);
        assert_int_equal(g.rec[0].ts.nsec, 1500); /* if_tsresol was taken */
        assert_int_equal(g.damaged, 1);
        assert_urb_id(&g.rec[0], 0x30);
        free(o.p);

        /* if_tsresol 10^-20: out of range, microseconds stay */
        memset(&o, 0, sizeof o);
        shb(&o, big);
        idb(&o, (uint16_t)lt, 0, 20, 0);
        epb(&o, 0, 3000001, rec, (uint32_t)n, (uint32_t)n, false);
        read_warned(&o, &g, &w);
        assert_int_equal(w.n, 1);
        assert_warned(&w, 0, 1, "interface 0: time stamp resolution 10^-20 is out of range");
        assert_int_equal(g.n, 1);
        assert_true(g.rec[0].ts.sec == 3 && g.rec[0].ts.nsec == 1000);
        free(o.p);

        /* an IDB of 16 bytes (no snapshot length): the interface is unknown,
         * and so the packet block that names it */
        memset(&o, 0, sizeof o);
        shb(&o, big);
        b = block_start(&o, 1);
        put16(&o, (uint16_t)lt);
        put16(&o, 0);
        block_end(&o, b);
        epb(&o, 0, 1, rec, (uint32_t)n, (uint32_t)n, false);
        read_warned(&o, &g, &w);
        assert_int_equal(w.n, 2);
        assert_warned(&w, 0, 1, "interface description block of 16 bytes is too short (20 "
                                "minimum); interface 0 will be unknown");
        assert_warned(&w, 1, 1, "packet block refers to interface 0, but the section "
                                "describes 0; record skipped");
        assert_int_equal(g.n, 0);
        free(o.p);

        /* packet blocks too short for their fields: an EPB of 28 bytes (16
         * of the 20 bytes of fields), an OPB of 12 and an SPB of 12 (no
         * original length); each is a frame, and the one after is frame 4 */
        memset(&o, 0, sizeof o);
        shb(&o, big);
        idb(&o, (uint16_t)lt, 0, 6, 0);
        b = block_start(&o, 6);
        for (int i = 0; i < 4; i++)
            put32(&o, 0);
        block_end(&o, b);
        b = block_start(&o, 2);
        block_end(&o, b);
        b = block_start(&o, 3);
        block_end(&o, b);
        epb(&o, 0, 7, rec, (uint32_t)n, (uint32_t)n, false);
        read_warned(&o, &g, &w);
        assert_int_equal(w.n, 3);
        assert_warned(&w, 0, 1, "packet block of 28 bytes is too short for its fields");
        assert_warned(&w, 1, 2, "packet block of 12 bytes is too short for its fields");
        assert_warned(&w, 2, 3, "simple packet block of 12 bytes is too short");
        assert_int_equal(g.n, 1);
        assert_int_equal(g.rec[0].frame, 4);
        assert_int_equal(g.damaged, 3);
        free(o.p);

        /* 257 interfaces in one section: the last one is ignored, a packet
         * of interface 255 is read */
        memset(&o, 0, sizeof o);
        shb(&o, big);
        for (int i = 0; i < 257; i++)
            idb(&o, (uint16_t)lt, 0, 6, 0);
        epb(&o, 255, 9, rec, (uint32_t)n, (uint32_t)n, false);
        read_warned(&o, &g, &w);
        assert_int_equal(w.n, 1);
        snprintf(want, sizeof want, "more than %d interfaces in one section; ignoring the rest",
                 256);
        assert_warned(&w, 0, 1, want);
        assert_int_equal(g.n, 1);
        assert_urb_id(&g.rec[0], 0x30);
        free(o.p);
    }
}

static void open_errors(void **state)
{
    (void)state;
    dfs_capreader *r = NULL;
    char err[256];
    assert_int_equal(dfs_capreader_open("/nonexistent/capture.pcap", NULL, &r, err, sizeof err),
                     DFS_E_IO);
    assert_string_equal(err, "/nonexistent/capture.pcap: cannot open: No such file or directory");
    assert_null(r);
    assert_int_equal(dfs_capreader_open(NULL, NULL, &r, err, sizeof err), DFS_E_INVAL);
    assert_int_equal(dfs_capreader_open_stream(NULL, "x", NULL, &r, err, sizeof err),
                     DFS_E_INVAL);
    FILE *fp = fmemopen((void *)"", 1, "rb");
    assert_int_equal(dfs_capreader_open_stream(fp, "one byte", NULL, &r, err, sizeof err),
                     DFS_E_FORMAT);
    assert_string_equal(err, "one byte: file of fewer than 4 bytes, not a capture");
    fclose(fp);
    static char text[] = "hello, world";
    fp = fmemopen(text, sizeof text - 1, "rb");
    assert_int_equal(dfs_capreader_open_stream(fp, "text", NULL, &r, err, sizeof err),
                     DFS_E_FORMAT);
    assert_string_equal(err, "text: not a pcap or pcapng capture (starts with bytes 68 65 6c 6c)");
    fclose(fp);
    assert_int_equal(dfs_capreader_next(NULL, NULL), DFS_CAP_ERROR);
    assert_string_equal(dfs_linktype_name(220), "USB_LINUX_MMAPPED");
    assert_string_equal(dfs_linktype_name(189), "USB_LINUX");
    assert_string_equal(dfs_linktype_name(249), "USBPCAP");
    assert_null(dfs_linktype_name(12345));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pcap_both_orders_both_resolutions),
        cmocka_unit_test(pcap_189_and_empty_record),
        cmocka_unit_test(pcapng_sections_of_both_orders),
        cmocka_unit_test(pcapng_interfaces_of_different_link_types),
        cmocka_unit_test(pcapng_time_resolutions_and_offset),
        cmocka_unit_test(pcapng_packet_block_kinds),
        cmocka_unit_test(writer_round_trip),
        cmocka_unit_test(isb_writer_round_trip),
        cmocka_unit_test(isb_reader_values),
        cmocka_unit_test(isb_malformed),
        cmocka_unit_test(standard_input),
        cmocka_unit_test(file_cut_short_while_read),
        cmocka_unit_test(pcapng_damage_inside_blocks),
        cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
