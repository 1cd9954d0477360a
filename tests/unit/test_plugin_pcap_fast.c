/* The Wireshark plugin's direct pcap reader (dissector/pcap_fast.c): on a
 * real usbmon capture it gives the records tshark shows (count, lengths and
 * times from tshark, bytes from dfuscope's own capture reader), and every
 * file or record it does not read exactly as wiretap does is left to
 * wiretap: the other byte order, isochronous records of link type 220, a
 * truncated record, a record over wiretap's limit, a partial header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <cmocka.h>

#include "dfuscope/capture.h"
#include "pcap_fast.h"

struct got {
    uint64_t n;
    struct dfs__fast_rec first[2];
    uint32_t first_len[2];
    dfs_capreader *ref; /* when set: each record compared with it */
    uint64_t stop_at;   /* return false at this frame */
};

static bool collect(void *user, const struct dfs__fast_rec *r)
{
    struct got *g = user;
    g->n++;
    assert_int_equal(r->frame, g->n);
    if (g->n <= 2) {
        g->first[g->n - 1] = *r;
        g->first_len[g->n - 1] = r->caplen;
    }
    if (g->ref) {
        struct dfs_record rec;
        assert_int_equal(dfs_capreader_next(g->ref, &rec), DFS_CAP_RECORD);
        assert_int_equal(rec.caplen, r->caplen);
        assert_int_equal(rec.origlen, r->len);
        assert_int_equal(rec.linktype, r->linktype);
        assert_int_equal(rec.ts.sec, r->ts_sec);
        assert_int_equal(rec.ts.nsec, (uint32_t)r->ts_nsec);
        assert_memory_equal(rec.data, r->data, r->caplen);
    }
    return g->n != g->stop_at;
}

static char *data_path(const char *name)
{
    const char *root = getenv("DFS_TEST_DATA");
    static char path[1024];
    snprintf(path, sizeof path, "%s/real/%s", root ? root : "tests/data", name);
    return path;
}

static enum dfs__fast_result read_path(const char *path, struct got *g)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    enum dfs__fast_result r = dfs__fast_pcap_read(fd, collect, g);
    close(fd);
    return r;
}

/* usbrevue-mouse.pcap: little-endian pcap, link type 220; tshark shows 970
 * frames, the first two 64 and 90 bytes at 1311646757.009714 and .017559 */
static bool little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void real_capture(void **state)
{
    (void)state;
    if (!little_endian())
        skip(); /* the capture is little-endian: wiretap's on this machine */
    const char *path = data_path("usbrevue-mouse.pcap");
    char err[256];
    dfs_capreader *ref;
    assert_int_equal(dfs_capreader_open(path, NULL, &ref, err, sizeof err), DFS_OK);
    struct got g = {.ref = ref};
    assert_int_equal(read_path(path, &g), DFS__FAST_DONE);
    struct dfs_record rec;
    assert_int_equal(dfs_capreader_next(ref, &rec), DFS_CAP_EOF);
    dfs_capreader_close(ref);
    assert_int_equal(g.n, 970);
    assert_int_equal(g.first[0].linktype, 220);
    assert_int_equal(g.first[0].caplen, 64);
    assert_int_equal(g.first[0].len, 64);
    assert_int_equal(g.first[0].ts_sec, 1311646757);
    assert_int_equal(g.first[0].ts_nsec, 9714000);
    assert_int_equal(g.first[1].caplen, 90);
    assert_int_equal(g.first[1].ts_nsec, 17559000);
}

/* a file in the other byte order: stm32_dfu_install.pcap is big-endian,
 * usbrevue-mouse.pcap little-endian */
static void other_byte_order(void **state)
{
    (void)state;
    struct got g = {0};
    const char *name = little_endian() ? "stm32_dfu_install.pcap" : "usbrevue-mouse.pcap";
    assert_int_equal(read_path(data_path(name), &g), DFS__FAST_WIRETAP);
    assert_int_equal(g.n, 0);
}

/* usbrevue-handset.pcap has isochronous records (tshark: 1446 of 4298) */
static void isochronous(void **state)
{
    (void)state;
    struct got g = {0};
    assert_int_equal(read_path(data_path("usbrevue-handset.pcap"), &g), DFS__FAST_WIRETAP);
    assert_true(g.n < 4298);
}

static void stopped(void **state)
{
    (void)state;
    struct got g = {.stop_at = 3};
    assert_int_equal(read_path(data_path("usbrevue-mouse.pcap"), &g), DFS__FAST_STOPPED);
    assert_int_equal(g.n, 3);
}

/* ---- files written here, per the pcap format (host byte order) ---- */

static void put32(FILE *f, uint32_t v)
{
    assert_int_equal(fwrite(&v, 4, 1, f), 1);
}

static void put16(FILE *f, uint16_t v)
{
    assert_int_equal(fwrite(&v, 2, 1, f), 1);
}

static FILE *pcap_file(char *path, uint32_t magic, uint32_t network)
{
    strcpy(path, "/tmp/dfs-fastpcap-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    put32(f, magic);
    put16(f, 2);
    put16(f, 4);
    put32(f, 0);
    put32(f, 0);
    put32(f, 65535);
    put32(f, network);
    return f;
}

/* a record of `incl` bytes whose usbmon transfer type is `type` */
static void record(FILE *f, uint32_t sec, uint32_t frac, uint32_t incl, uint32_t orig,
                   uint8_t type)
{
    put32(f, sec);
    put32(f, frac);
    put32(f, incl);
    put32(f, orig);
    for (uint32_t i = 0; i < incl; i++) {
        int c = i == 9 ? type : (int)(i & 0xff);
        assert_int_equal(fputc(c, f), c);
    }
}

static enum dfs__fast_result finish(FILE *f, char *path, struct got *g)
{
    assert_int_equal(fclose(f), 0);
    enum dfs__fast_result r = read_path(path, g);
    unlink(path);
    return r;
}

static void written_files(void **state)
{
    (void)state;
    char path[64];
    struct got g = {0};
    /* no record: read to its end */
    FILE *f = pcap_file(path, 0xa1b2c3d4u, 220);
    assert_int_equal(finish(f, path, &g), DFS__FAST_DONE);
    assert_int_equal(g.n, 0);
    /* microseconds times 1000 in 32 bits, as wiretap computes them */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 7, 999999, 64, 100, 2);
    record(f, 8, 5000000, 64, 64, 3); /* a damaged fraction: 5e9 wraps */
    assert_int_equal(finish(f, path, &g), DFS__FAST_DONE);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.first[0].ts_nsec, 999999000);
    assert_int_equal(g.first[0].len, 100);
    assert_int_equal((uint32_t)g.first[1].ts_nsec, (uint32_t)(5000000u * 1000u));
    /* nanosecond file, link type 189 */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b23c4du, 189);
    record(f, 1, 123456789, 48, 48, 0);
    assert_int_equal(finish(f, path, &g), DFS__FAST_DONE);
    assert_int_equal(g.first[0].ts_nsec, 123456789);
    assert_int_equal(g.first[0].linktype, 189);
    /* isochronous record of link type 220 */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 1, 0, 64, 64, 2);
    record(f, 1, 1, 64, 64, 0);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    assert_int_equal(g.n, 1);
    /* a truncated last record; a partial record header */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 1, 0, 64, 64, 2);
    put32(f, 1);
    put32(f, 0);
    put32(f, 80);
    put32(f, 80);
    assert_int_equal(fwrite("short", 5, 1, f), 1);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 1, 0, 64, 64, 2);
    put32(f, 1);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    /* over wiretap's 262144 bytes; shorter than the usbmon header */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 1, 0, 262145, 262145, 2);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    assert_int_equal(g.n, 0);
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    record(f, 1, 0, 63, 63, 2);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    /* a record of 262144 bytes is read (it spans the reader's buffer refills) */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 220);
    for (int i = 0; i < 9; i++)
        record(f, 1, (uint32_t)i, 262144, 262144, 3);
    assert_int_equal(finish(f, path, &g), DFS__FAST_DONE);
    assert_int_equal(g.n, 9);
    /* another link type, another version */
    memset(&g, 0, sizeof g);
    f = pcap_file(path, 0xa1b2c3d4u, 1);
    assert_int_equal(finish(f, path, &g), DFS__FAST_WIRETAP);
    uint8_t hdr[24] = {0};
    uint32_t m = 0xa1b2c3d4u, lt = 220;
    uint16_t major = 2, minor = 3;
    memcpy(hdr, &m, 4);
    memcpy(hdr + 4, &major, 2);
    memcpy(hdr + 6, &minor, 2);
    memcpy(hdr + 20, &lt, 4);
    bool nsec;
    int linktype;
    assert_false(dfs__fast_pcap_header(hdr, sizeof hdr, &nsec, &linktype));
    minor = 4;
    memcpy(hdr + 6, &minor, 2);
    assert_true(dfs__fast_pcap_header(hdr, sizeof hdr, &nsec, &linktype));
    assert_false(dfs__fast_pcap_header(hdr, 23, &nsec, &linktype));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(real_capture),    cmocka_unit_test(other_byte_order),
        cmocka_unit_test(isochronous),     cmocka_unit_test(stopped),
        cmocka_unit_test(written_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
