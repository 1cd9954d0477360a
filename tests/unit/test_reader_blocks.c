/* The capture reader's pcapng blocks beyond the packets: the interface
 * statistics blocks that say when a capture stopped, written and read,
 * damaged ones included (each is named by its offset and ignored); and the
 * damage the pcapng reader finds inside a block whose framing is sound
 * (short fields, options running past the block, out-of-range values, too
 * many interfaces), each with its exact message. Files are built byte by
 * byte (reader_rig.h). */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(isb_writer_round_trip),
        cmocka_unit_test(isb_reader_values),
        cmocka_unit_test(isb_malformed),
        cmocka_unit_test(pcapng_damage_inside_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
