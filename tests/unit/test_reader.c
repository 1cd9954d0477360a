/* The capture reader on valid files of every form it supports: pcap with
 * microsecond and nanosecond time stamps in both byte orders; pcapng with
 * several sections of different byte orders, several interfaces of
 * different link types, if_tsresol as a power of ten or of two, if_tsoffset,
 * enhanced packet blocks with padding and options, simple and obsolete
 * packet blocks, blocks of other types (skipped); the writer; standard
 * input; the errors of opening. Files are built byte by byte (reader_rig.h).
 * The interface statistics blocks and the damage inside sound blocks are
 * in test_reader_blocks.c; damaged framing belongs to the fuzzing and
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
#include "reader_rig.h"
#include "records.h"

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

/* ---- standard input and opening --------------------------------------------------- */

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
        cmocka_unit_test(standard_input),
        cmocka_unit_test(file_cut_short_while_read),
        cmocka_unit_test(open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
