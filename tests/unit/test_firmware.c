/* The firmware library (include/dfuscope/firmware.h): readers, file checks,
 * device checks, session comparison and writers.
 *
 * Inputs are built byte by byte from the formats' specifications (DFU 1.1
 * appendix B, UM0391, Intel's HEX specification, srec(5)), with a bitwise
 * CRC written here from the definition, not the library's table; each is
 * handed to the library in a heap buffer of exactly its size, so that
 * AddressSanitizer catches a read one byte past the end. Files made by the
 * real tools (dfu-suffix, dfuse-pack, srec_cat, dfu-util) are checked by
 * tests/integration/test_check_file.py. The rig is fw_rig.h; the checks
 * against a device and a session and the writers are in
 * test_firmware_device.c, in this executable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dfuscope/firmware.h"
#include "fw_internal.h"
#include "fw_rig.h"

/* One case of the table: an input, how to read it, what must come out. */
struct rcase {
    const char *name;
    void (*make)(struct buf *b);
    enum dfs_fw_format hint;      /* DFS_FW_AUTO */
    bool expect_suffix;
    uint64_t stray_gap, max_binary; /* 0: default */
    enum dfs_fw_format format;
    size_t segments;
    uint64_t data_bytes;
    const char *ids[6];
    const char *at_id;            /* when set: its first evidence */
    enum dfs_fw_where at_kind;
    uint64_t at_value;
};

/* binaries and suffixes (mk_bin and mk_bin_suffix in fw_rig.c) */
static void mk_bin_bad_crc(struct buf *b)
{
    mk_bin_suffix(b);
    b->p[10] ^= 0x40;
}
static void mk_bin_short_blength(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x0100, 8);
}
static void mk_bin_long_blength(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x0100, 200);
}
static void mk_bin_longer_suffix(struct buf *b)
{
    putpat(b, 100, 1);
    putfill(b, 0xAB, 4); /* 4 extra suffix bytes before the standard 16 */
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x0100, 20);
}
static void mk_empty(struct buf *b) { (void)b; }
static void mk_short(struct buf *b) { putpat(b, 10, 3); }
static void mk_suffix_only(struct buf *b) { suffix(b, 0xffff, 0xffff, 0xffff, 0x0100, 16); }
static void mk_bin_dfuse_bcd(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x011a, 16);
}
static void mk_bin_zero_gap(struct buf *b)
{
    putpat(b, 100, 1);
    putfill(b, 0x00, 300);
    putpat(b, 10, 9);
}
static void mk_bin_ff_tail(struct buf *b)
{
    putpat(b, 100, 1);
    putfill(b, 0xFF, 300); /* padding at the end is not a gap */
}

/* DfuSe */
static void mk_dfuse(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 300}, {0, 0x08001000, 20}, {1, 0x1FFF7800, 16}};
    dfuse_file(b, el, 3);
}
static void mk_dfuse_size_no_suffix(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    /* DFUImageSize without the suffix (some writers), CRC made again */
    b->n -= 16;
    uint32_t sz = (uint32_t)b->n;
    memcpy(b->p + 6, &(uint8_t[4]){(uint8_t)sz, (uint8_t)(sz >> 8), 0, 0}, 4);
    suffix(b, 0x0483, 0xdf11, 0x0000, 0x011a, 16);
}
static void mk_dfuse_bad_image_size(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    b->n -= 16;
    b->p[6] = 0x10;
    suffix(b, 0x0483, 0xdf11, 0x0000, 0x011a, 16);
}
static void mk_dfuse_0_targets(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 16, 0);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_255_declared(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 4 + 16, 255);
    dfuse_target(b, 0, NULL, 12, 1);
    dfuse_element(b, 0x08000000, 4, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_255_targets(struct buf *b)
{
    struct el el[255];
    for (unsigned i = 0; i < 255; i++)
        el[i] = (struct el){(uint8_t)i, 0x08000000 + i * 0x100, 1};
    dfuse_file(b, el, 255);
}
static void mk_dfuse_element_lies(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 40 + 16, 1);
    dfuse_target(b, 0, NULL, 8 + 40, 1);
    put32(b, 0x08000000);
    put32(b, 1000000); /* says 1000000, 40 follow */
    putpat(b, 40, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_count_lies(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 40 + 16, 1);
    dfuse_target(b, 0, NULL, 8 + 40, 0xFFFFFFFF);
    dfuse_element(b, 0x08000000, 40, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_overflow(struct buf *b)
{
    struct el el[] = {{0, 0xFFFFFF00, 0x200}};
    dfuse_file(b, el, 1);
}
static void mk_dfuse_version2(struct buf *b)
{
    dfuse_prefix(b, 2, 11 + 16, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_bad_signature(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    b->n -= 16;
    b->p[11] = 'X';
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_leftover(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    b->n -= 16;
    putfill(b, 0xEE, 5);
    uint32_t sz = (uint32_t)b->n + 16;
    b->p[6] = (uint8_t)sz;
    b->p[7] = (uint8_t)(sz >> 8);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_target_size(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    b->n -= 16;
    b->p[11 + 266] = 99;
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_no_suffix(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 30}};
    dfuse_file(b, el, 1);
    b->n -= 16;
}
static void mk_dfuse_prefix_short(struct buf *b)
{
    puts_(b, "DfuSe");
    put8(b, 1);
    put16(b, 0);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_dfuse_overlap(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 300}, {0, 0x08000100, 300}};
    dfuse_file(b, el, 2);
}
static void mk_dfuse_empty_elements(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 0}};
    dfuse_file(b, el, 1);
}
static void mk_dfuse_huge_element(struct buf *b)
{
    /* a 600-byte element against a 512-byte "largest flash" (the option) */
    struct el el[] = {{0, 0x08000000, 600}};
    dfuse_file(b, el, 1);
}

/* Intel HEX */
static void mk_ihex(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0x0000, 16, 1);
    ihex_data(b, 0x0010, 16, 2);
    ihex_data(b, 0x0100, 8, 3);
    ihex(b, 5, 0, (const uint8_t[]){0x08, 0, 0, 0}, 4);
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_crlf(struct buf *b)
{
    struct buf t = {0};
    mk_ihex(&t);
    for (size_t i = 0; i < t.n; i++) {
        if (t.p[i] == '\n')
            put8(b, '\r');
        put8(b, t.p[i]);
    }
    free(t.p);
}
static void mk_ihex_segment_wrap(struct buf *b)
{
    ihex(b, 2, 0, (const uint8_t[]){0x10, 0x00}, 2); /* base 0x10000 */
    ihex_data(b, 0xFFF8, 16, 1);                      /* 8 at 0x1FFF8, 8 wrap to 0x10000 */
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_checksum(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
    b->p[b->n - 2] = b->p[b->n - 2] == '0' ? '1' : '0'; /* the last checksum digit */
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_bad_char(struct buf *b)
{
    ihex_ela(b, 0x0800);
    puts_(b, ":10000000ZZ\n");
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_no_eof(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
}
static void mk_ihex_after_eof(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
    ihex(b, 1, 0, NULL, 0);
    ihex_data(b, 0x10, 16, 2);
}
static void mk_ihex_beyond_4g(struct buf *b)
{
    ihex_ela(b, 0xFFFF);
    ihex_data(b, 0xFFF0, 32, 1); /* 16 bytes fit, 16 pass 4 GiB */
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_only_eof(struct buf *b) { ihex(b, 1, 0, NULL, 0); }
static void mk_ihex_overlap_diff(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
    ihex_data(b, 8, 16, 9);
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_overlap_same(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
    ihex_data(b, 0, 16, 1);
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_stray(struct buf *b)
{
    ihex_ela(b, 0x0800);
    ihex_data(b, 0, 16, 1);
    ihex_ela(b, 0x2000);
    ihex_data(b, 0, 4, 2);
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_bad_count(struct buf *b)
{
    puts_(b, ":1000000001020304FF\n");
    ihex(b, 1, 0, NULL, 0);
}
static void mk_ihex_bad_type(struct buf *b)
{
    ihex(b, 7, 0, (const uint8_t[]){1}, 1);
    ihex(b, 1, 0, NULL, 0);
}

/* S-records */
static void mk_srec(struct buf *b)
{
    srec(b, 0, 2, 0, (const uint8_t *)"hdr", 3);
    uint8_t d[16];
    for (int i = 0; i < 16; i++)
        d[i] = (uint8_t)i;
    srec(b, 1, 2, 0x1000, d, 16);
    srec(b, 2, 3, 0x010000, d, 16);
    srec(b, 3, 4, 0x00020000, d, 16);
    srec(b, 3, 4, 0x00020010, d, 16);
    srec(b, 5, 2, 4, NULL, 0);
    srec(b, 7, 4, 0x08000000, NULL, 0);
}
static void mk_srec_no_end(struct buf *b)
{
    uint8_t d[4] = {1, 2, 3, 4};
    srec(b, 3, 4, 0x08000000, d, 4);
}
static void mk_srec_checksum(struct buf *b)
{
    uint8_t d[4] = {1, 2, 3, 4};
    srec(b, 3, 4, 0x08000000, d, 4);
    b->p[b->n - 2] = b->p[b->n - 2] == '0' ? '1' : '0';
}
static void mk_srec_count(struct buf *b)
{
    uint8_t d[4] = {1, 2, 3, 4};
    srec(b, 3, 4, 0x08000000, d, 4);
    srec(b, 5, 2, 7, NULL, 0);
}
static void mk_srec_s4(struct buf *b)
{
    uint8_t d[4] = {1, 2, 3, 4};
    srec(b, 3, 4, 0, d, 4);
    puts_(b, "S4030000FC\n");
}
static void mk_srec_beyond_4g(struct buf *b)
{
    uint8_t d[32] = {0};
    srec(b, 3, 4, 0xFFFFFFF0, d, 32);
}

static const struct rcase rcases[] = {
    {"binary", mk_bin, 0, false, 0, 0, DFS_FW_BINARY, 1, 1000, {""}, NULL, 0, 0},
    {"binary with suffix", mk_bin_suffix, 0, true, 0, 0, DFS_FW_BINARY, 1, 1000, {""}, NULL, 0, 0},
    {"suffix CRC wrong", mk_bin_bad_crc, 0, true, 0, 0, DFS_FW_BINARY, 1, 1000,
     {"file.suffix-crc", ""}, "file.suffix-crc", DFS_FW_AT_BYTE, 1012},
    {"suffix bLength 8", mk_bin_short_blength, 0, false, 0, 0, DFS_FW_BINARY, 1, 100,
     {"file.suffix-length", ""}, "file.suffix-length", DFS_FW_AT_BYTE, 111},
    {"suffix bLength past the file", mk_bin_long_blength, 0, false, 0, 0, DFS_FW_BINARY, 1, 100,
     {"file.suffix-length", ""}, "file.suffix-length", DFS_FW_AT_BYTE, 111},
    {"suffix of 20 bytes", mk_bin_longer_suffix, 0, true, 0, 0, DFS_FW_BINARY, 1, 100, {""},
     NULL, 0, 0},
    {".dfu without suffix", mk_bin, 0, true, 0, 0, DFS_FW_BINARY, 1, 1000,
     {"file.suffix-missing", ""}, "file.suffix-missing", DFS_FW_AT_BYTE, 992},
    {".dfu of 10 bytes", mk_short, 0, true, 0, 0, DFS_FW_BINARY, 1, 10,
     {"file.suffix-missing", ""}, NULL, 0, 0},
    {"empty file", mk_empty, 0, false, 0, 0, DFS_FW_BINARY, 0, 0, {"file.empty", ""}, NULL, 0, 0},
    {"suffix only", mk_suffix_only, 0, true, 0, 0, DFS_FW_BINARY, 0, 0, {"file.empty", ""}, NULL,
     0, 0},
    {"raw with bcdDFU 0x011A", mk_bin_dfuse_bcd, 0, true, 0, 0, DFS_FW_BINARY, 1, 100,
     {"file.dfuse-version", ""}, "file.dfuse-version", DFS_FW_AT_BYTE, 106},
    {"binary with a zero gap", mk_bin_zero_gap, 0, false, 256, 0, DFS_FW_BINARY, 1, 410,
     {"file.stray-section", ""}, "file.stray-section", DFS_FW_AT_BYTE, 400},
    {"binary with 0xFF padding", mk_bin_ff_tail, 0, false, 256, 0, DFS_FW_BINARY, 1, 400, {""},
     NULL, 0, 0},
    {"binary larger than any flash", mk_bin, 0, false, 0, 512, DFS_FW_BINARY, 1, 1000,
     {"file.huge-binary", ""}, "file.huge-binary", DFS_FW_AT_BYTE, 999},
    {"DfuSe", mk_dfuse, 0, true, 0, 0, DFS_FW_DFUSE, 3, 336, {""}, NULL, 0, 0},
    {"DfuSe, DFUImageSize without suffix", mk_dfuse_size_no_suffix, 0, true, 0, 0, DFS_FW_DFUSE, 1,
     30, {""}, NULL, 0, 0},
    {"DfuSe, DFUImageSize wrong", mk_dfuse_bad_image_size, 0, true, 0, 0, DFS_FW_DFUSE, 1, 30,
     {"file.dfuse-size", ""}, "file.dfuse-size", DFS_FW_AT_BYTE, 6},
    {"DfuSe, 0 targets", mk_dfuse_0_targets, 0, true, 0, 0, DFS_FW_DFUSE, 0, 0,
     {"file.dfuse-no-targets", ""}, "file.dfuse-no-targets", DFS_FW_AT_BYTE, 10},
    {"DfuSe, 255 targets said, 1 there", mk_dfuse_255_declared, 0, true, 0, 0, DFS_FW_DFUSE, 1, 4,
     {"file.truncated", ""}, "file.truncated", DFS_FW_AT_BYTE, 10},
    {"DfuSe, 255 targets", mk_dfuse_255_targets, 0, true, 0, 0, DFS_FW_DFUSE, 255, 255, {""}, NULL,
     0, 0},
    {"DfuSe, element size lies", mk_dfuse_element_lies, 0, true, 0, 0, DFS_FW_DFUSE, 0, 0,
     {"file.dfuse-size", ""}, "file.dfuse-size", DFS_FW_AT_BYTE, 11 + 274 + 4},
    {"DfuSe, element count lies", mk_dfuse_count_lies, 0, true, 0, 0, DFS_FW_DFUSE, 1, 40,
     {"file.truncated", ""}, "file.truncated", DFS_FW_AT_BYTE, 11 + 270},
    {"DfuSe, element past 4 GiB", mk_dfuse_overflow, 0, true, 0, 0, DFS_FW_DFUSE, 1, 0x200,
     {"file.address-overflow", ""}, "file.address-overflow", DFS_FW_AT_BYTE, 285},
    {"DfuSe, bVersion 2", mk_dfuse_version2, 0, true, 0, 0, DFS_FW_DFUSE, 0, 0,
     {"file.dfuse-header", ""}, "file.dfuse-header", DFS_FW_AT_BYTE, 5},
    {"DfuSe, target signature", mk_dfuse_bad_signature, 0, true, 0, 0, DFS_FW_DFUSE, 0, 0,
     {"file.dfuse-header", ""}, "file.dfuse-header", DFS_FW_AT_BYTE, 11},
    {"DfuSe, bytes left over", mk_dfuse_leftover, 0, true, 0, 0, DFS_FW_DFUSE, 1, 30,
     {"file.dfuse-size", ""}, "file.dfuse-size", DFS_FW_AT_BYTE, 11 + 274 + 38},
    {"DfuSe, dwTargetSize wrong", mk_dfuse_target_size, 0, true, 0, 0, DFS_FW_DFUSE, 1, 30,
     {"file.dfuse-size", ""}, "file.dfuse-size", DFS_FW_AT_BYTE, 11 + 266},
    {"DfuSe without suffix", mk_dfuse_no_suffix, 0, true, 0, 0, DFS_FW_DFUSE, 1, 30,
     {"file.dfuse-version", "file.suffix-missing", "file.dfuse-size", ""}, "file.dfuse-version",
     DFS_FW_AT_BYTE, 0},
    {"DfuSe prefix cut", mk_dfuse_prefix_short, 0, true, 0, 0, DFS_FW_DFUSE, 0, 0,
     {"file.truncated", ""}, "file.truncated", DFS_FW_AT_BYTE, 0},
    {"DfuSe, elements overlap", mk_dfuse_overlap, 0, true, 0, 0, DFS_FW_DFUSE, 2, 600,
     {"file.overlap", ""}, "file.overlap", DFS_FW_AT_BYTE, 11 + 274 + 308},
    {"DfuSe, elements without bytes", mk_dfuse_empty_elements, 0, true, 0, 0, DFS_FW_DFUSE, 1, 0,
     {"file.empty", ""}, NULL, 0, 0},
    {"DfuSe, element larger than any flash", mk_dfuse_huge_element, 0, true, 0, 512,
     DFS_FW_DFUSE, 1, 600, {"file.huge-binary", ""}, "file.huge-binary", DFS_FW_AT_BYTE, 289},
    {"Intel HEX", mk_ihex, 0, false, 0, 0, DFS_FW_IHEX, 2, 40, {""}, NULL, 0, 0},
    {"Intel HEX, CR LF", mk_ihex_crlf, 0, false, 0, 0, DFS_FW_IHEX, 2, 40, {""}, NULL, 0, 0},
    {"Intel HEX, segment wrap", mk_ihex_segment_wrap, 0, false, 0, 0, DFS_FW_IHEX, 2, 16, {""},
     NULL, 0, 0},
    {"Intel HEX, checksum", mk_ihex_checksum, 0, false, 0, 0, DFS_FW_IHEX, 1, 16,
     {"file.record-checksum", ""}, "file.record-checksum", DFS_FW_AT_LINE, 2},
    {"Intel HEX, not hex", mk_ihex_bad_char, 0, false, 0, 0, DFS_FW_IHEX, 0, 0,
     {"file.record-invalid", ""}, "file.record-invalid", DFS_FW_AT_LINE, 2},
    {"Intel HEX, no end record", mk_ihex_no_eof, 0, false, 0, 0, DFS_FW_IHEX, 1, 16,
     {"file.no-end-record", ""}, "file.no-end-record", DFS_FW_AT_LINE, 2},
    {"Intel HEX, data after the end", mk_ihex_after_eof, 0, false, 0, 0, DFS_FW_IHEX, 1, 16,
     {"file.record-invalid", ""}, "file.record-invalid", DFS_FW_AT_LINE, 4},
    {"Intel HEX, past 4 GiB", mk_ihex_beyond_4g, 0, false, 0, 0, DFS_FW_IHEX, 1, 16,
     {"file.address-overflow", ""}, "file.address-overflow", DFS_FW_AT_LINE, 2},
    {"Intel HEX, no data", mk_ihex_only_eof, 0, false, 0, 0, DFS_FW_IHEX, 0, 0, {"file.empty", ""},
     NULL, 0, 0},
    {"Intel HEX, contradicting overlap", mk_ihex_overlap_diff, 0, false, 0, 0, DFS_FW_IHEX, 2, 32,
     {"file.overlap", ""}, "file.overlap", DFS_FW_AT_LINE, 3},
    {"Intel HEX, same bytes twice", mk_ihex_overlap_same, 0, false, 0, 0, DFS_FW_IHEX, 2, 32, {""},
     NULL, 0, 0},
    {"Intel HEX, stray section", mk_ihex_stray, 0, false, 0, 0, DFS_FW_IHEX, 2, 20,
     {"file.stray-section", ""}, "file.stray-section", DFS_FW_AT_LINE, 4},
    {"Intel HEX, stray gap not reached", mk_ihex_stray, 0, false, 0x20000000, 0, DFS_FW_IHEX, 2, 20,
     {""}, NULL, 0, 0},
    {"Intel HEX, byte count wrong", mk_ihex_bad_count, 0, false, 0, 0, DFS_FW_IHEX, 0, 0,
     {"file.record-invalid", ""}, "file.record-invalid", DFS_FW_AT_LINE, 1},
    {"Intel HEX, type 07", mk_ihex_bad_type, 0, false, 0, 0, DFS_FW_IHEX, 0, 0,
     {"file.record-invalid", ""}, "file.record-invalid", DFS_FW_AT_LINE, 1},
    {"S-records", mk_srec, 0, false, 0, 0, DFS_FW_SREC, 3, 64, {""}, NULL, 0, 0},
    {"S-records without S7-S9", mk_srec_no_end, 0, false, 0, 0, DFS_FW_SREC, 1, 4, {""}, NULL, 0,
     0},
    {"S-records, checksum", mk_srec_checksum, 0, false, 0, 0, DFS_FW_SREC, 1, 4,
     {"file.record-checksum", ""}, "file.record-checksum", DFS_FW_AT_LINE, 1},
    {"S-records, S5 count", mk_srec_count, 0, false, 0, 0, DFS_FW_SREC, 1, 4,
     {"file.record-invalid", ""}, "file.record-invalid", DFS_FW_AT_LINE, 2},
    {"S-records, S4", mk_srec_s4, 0, false, 0, 0, DFS_FW_SREC, 1, 4, {"file.record-invalid", ""},
     "file.record-invalid", DFS_FW_AT_LINE, 2},
    {"S-records, past 4 GiB", mk_srec_beyond_4g, 0, false, 0, 0, DFS_FW_SREC, 1, 16,
     {"file.address-overflow", ""}, "file.address-overflow", DFS_FW_AT_LINE, 1},
    {"Intel HEX read as binary", mk_ihex, DFS_FW_BINARY, false, 0, 0, DFS_FW_BINARY, 1, 0, {""},
     NULL, 0, 0},
};

static void run_rcase(void **state)
{
    const struct rcase *c = *state;
    struct buf b = {0};
    c->make(&b);
    struct dfs_fw_options o;
    dfs_fw_options_init(&o);
    o.format = c->hint;
    o.expect_suffix = c->expect_suffix;
    if (c->stray_gap)
        o.stray_gap = c->stray_gap;
    if (c->max_binary)
        o.max_binary = c->max_binary;
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, &o, &copy);
    assert_int_equal(dfs_fw_format(f), c->format);
    assert_int_equal(dfs_fw_segment_count(f), c->segments);
    if (c->data_bytes || c->hint == DFS_FW_AUTO)
        assert_int_equal(dfs_fw_data_bytes(f), c->data_bytes);
    expect_ids(f, c->ids);
    if (c->at_id)
        expect_at(f, c->at_id, c->at_kind, c->at_value);
    /* the same again gives the same */
    dfs_fw_file *g = NULL;
    assert_int_equal(dfs_fw_read(copy, b.n, &o, &g), DFS_OK);
    assert_int_equal(dfs_fw_finding_count(g), dfs_fw_finding_count(f));
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        assert_string_equal(dfs_fw_finding(f, i)->explanation, dfs_fw_finding(g, i)->explanation);
    dfs_fw_free(g);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* Fields of a suffix and of DfuSe targets and elements. */
static void fields(void **state)
{
    (void)state;
    struct buf b = {0};
    mk_bin_suffix(&b);
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    const struct dfs_fw_suffix *sx = dfs_fw_suffix(f);
    assert_true(sx->present && sx->crc_ok && sx->length_ok);
    assert_int_equal(sx->idVendor, 0x0483);
    assert_int_equal(sx->idProduct, 0xdf11);
    assert_int_equal(sx->bcdDevice, 0x0200);
    assert_int_equal(sx->bcdDFU, 0x0100);
    assert_int_equal(sx->dwCRC, crc_bitwise(b.p, b.n - 4));
    assert_int_equal(sx->offset, 1000);
    assert_int_equal(dfs_fw_segment(f, 0)->length, 1000);
    dfs_fw_free(f);
    free(copy);
    b.n = 0;
    mk_dfuse(&b);
    f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_target_count(f), 2);
    const struct dfs_fw_target *t0 = dfs_fw_target(f, 0), *t1 = dfs_fw_target(f, 1);
    assert_int_equal(t0->alt, 0);
    assert_true(t0->named);
    assert_string_equal(t0->name, "ST...");
    assert_int_equal(t0->n_elements, 2);
    assert_int_equal(t0->n_segments, 2);
    assert_int_equal(t0->offset, 11);
    assert_int_equal(t1->alt, 1);
    assert_int_equal(t1->first_segment, 2);
    const struct dfs_fw_segment *s = dfs_fw_segment(f, 1);
    assert_int_equal(s->address, 0x08001000);
    assert_int_equal(s->length, 20);
    assert_int_equal(s->target, 0);
    assert_int_equal(s->element, 1);
    assert_int_equal(s->header_offset, 11 + 274 + 308);
    assert_int_equal(s->offset, 11 + 274 + 316);
    assert_memory_equal(s->data, copy + s->offset, 20);
    assert_int_equal(dfs_fw_dfuse_prefix(f)->image_size, b.n);
    dfs_fw_free(f);
    free(copy);
    /* Intel HEX addresses, lines and bytes; the segment wrap */
    b.n = 0;
    mk_ihex_segment_wrap(&b);
    f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_segment(f, 0)->address, 0x1FFF8);
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x10000);
    assert_int_equal(dfs_fw_segment(f, 1)->data[0], (uint8_t)(1 + 8 * 7));
    assert_int_equal(dfs_fw_segment(f, 0)->line, 2);
    dfs_fw_free(f);
    free(copy);
    b.n = 0;
    mk_srec(&b);
    f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_segment(f, 0)->address, 0x1000);
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x010000);
    assert_int_equal(dfs_fw_segment(f, 2)->address, 0x00020000);
    assert_int_equal(dfs_fw_segment(f, 2)->length, 32);
    assert_int_equal(dfs_fw_segment(f, 2)->line, 4);
    assert_int_equal(dfs_fw_segment(f, 2)->last_line, 5);
    assert_int_equal(dfs_fw_segment(f, 2)->data[17], 1);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* The CRC against its definition and the catalogue's check value: the
 * CRC-32 of "123456789" is 0xCBF43926, so without the final XOR it is
 * 0x340BC6D9. */
static void crc(void **state)
{
    (void)state;
    assert_int_equal(dfs_fw_crc(DFS_FW_CRC_INIT, (const uint8_t *)"123456789", 9), 0x340BC6D9u);
    uint8_t d[1000];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)(i * 31 + 7);
    for (size_t n = 0; n <= sizeof d; n += 37)
        assert_int_equal(dfs_fw_crc(DFS_FW_CRC_INIT, d, n), crc_bitwise(d, n));
    /* in two parts */
    assert_int_equal(dfs_fw_crc(dfs_fw_crc(DFS_FW_CRC_INIT, d, 400), d + 400, 600),
                     crc_bitwise(d, 1000));
}

/* ---- the extent map ------------------------------------------------------------------------------- */

static void extents(void **state)
{
    (void)state;
    static const uint8_t a[100] = {1}, b[100] = {2};
    struct dfs_fw__map m = {0};
    struct dfs_fw__ext x = {10, 60, a, 0, 0, 0};
    assert_true(dfs_fw__map_put(&m, &x));
    struct dfs_fw__ext y = {20, 30, b, 0, 0, 1}; /* splits it */
    assert_true(dfs_fw__map_put(&m, &y));
    assert_int_equal(m.n, 3);
    assert_int_equal(m.bytes, 50);
    assert_int_equal(m.e[0].start, 10);
    assert_int_equal(m.e[0].end, 20);
    assert_int_equal(m.e[1].src, 1);
    assert_int_equal(m.e[2].start, 30);
    assert_ptr_equal(m.e[2].data, a + 20);
    struct dfs_fw__ext z = {0, 100, b, 0, 0, 2}; /* covers everything */
    assert_true(dfs_fw__map_put(&m, &z));
    assert_int_equal(m.n, 1);
    assert_int_equal(m.bytes, 100);
    struct dfs_fw__ext w = {200, 210, a, 0, 0, 3};
    assert_true(dfs_fw__map_put(&m, &w));
    assert_int_equal(dfs_fw__map_find(&m, 150), 1);
    assert_int_equal(dfs_fw__map_find(&m, 99), 0);
    assert_int_equal(dfs_fw__map_find(&m, 210), 2);
    dfs_fw__map_free(&m);
}

/* Every file.* finding of the table fires in a case above. */
static void every_file_finding_has_a_case(void **state)
{
    (void)state;
    for (int c = 0; c < DFS_F__COUNT; c++) {
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
        if (strncmp(fi->id, "file.", 5) == 0 && !fired[c])
            fail_msg("finding %s has no case that fires it", fi->id);
    }
}

int main(void)
{
    enum { NR = sizeof rcases / sizeof rcases[0] };
    size_t nd = fw_device_tests(NULL);
    struct CMUnitTest *tests = calloc(NR + nd + 4, sizeof *tests);
    assert_non_null(tests);
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(crc);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(fields);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(extents);
    for (size_t i = 0; i < NR; i++)
        tests[n++] = (struct CMUnitTest){rcases[i].name, run_rcase, NULL, NULL,
                                         (void *)&rcases[i]};
    n += fw_device_tests(tests + n);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(every_file_finding_has_a_case);
    int failed = _cmocka_run_group_tests("firmware", tests, n, NULL, NULL);
    free(tests);
    return failed;
}
