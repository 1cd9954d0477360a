/* The firmware library (include/dfuscope/firmware.h): readers, file checks,
 * device checks, session comparison and writers.
 *
 * Inputs are built byte by byte from the formats' specifications (DFU 1.1
 * appendix B, UM0391, Intel's HEX specification, srec(5)), with a bitwise
 * CRC written here from the definition, not the library's table; each is
 * handed to the library in a heap buffer of exactly its size, so that
 * AddressSanitizer catches a read one byte past the end. Files made by the
 * real tools (dfu-suffix, dfuse-pack, srec_cat, dfu-util) are checked by
 * tests/integration/test_check_file.py. */
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

/* ---- building inputs --------------------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
static void put8(struct buf *b, uint8_t v) { put(b, &v, 1); }
static void put16(struct buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}
static void put32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}
static void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }
static void putfill(struct buf *b, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, v);
}
static void putpat(struct buf *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        put8(b, (uint8_t)(seed + i * 7));
}

/* CRC-32 bit by bit from its definition (reflected 0xEDB88320, init
 * 0xFFFFFFFF, no final XOR): the oracle for the library's table. */
static uint32_t crc_bitwise(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return c;
}

/* The DFU suffix over everything so far. */
static void suffix(struct buf *b, uint16_t vid, uint16_t pid, uint16_t bcdDevice,
                   uint16_t bcdDFU, uint8_t bLength)
{
    put16(b, bcdDevice);
    put16(b, pid);
    put16(b, vid);
    put16(b, bcdDFU);
    puts_(b, "UFD");
    put8(b, bLength);
    put32(b, crc_bitwise(b->p, b->n));
}

static void dfuse_prefix(struct buf *b, uint8_t version, uint32_t size, uint8_t targets)
{
    puts_(b, "DfuSe");
    put8(b, version);
    put32(b, size);
    put8(b, targets);
}

static void dfuse_target(struct buf *b, uint8_t alt, const char *name, uint32_t size,
                         uint32_t elements)
{
    puts_(b, "Target");
    put8(b, alt);
    put32(b, name ? 1 : 0);
    uint8_t nm[255] = {0};
    if (name)
        memcpy(nm, name, strlen(name));
    put(b, nm, sizeof nm);
    put32(b, size);
    put32(b, elements);
}

static void dfuse_element(struct buf *b, uint32_t addr, uint32_t size, uint8_t seed)
{
    put32(b, addr);
    put32(b, size);
    putpat(b, size, seed);
}

/* A DfuSe file of the elements {alt, address, size}, sizes all right. */
struct el {
    uint8_t alt;
    uint32_t addr, size;
};
static void dfuse_file(struct buf *b, const struct el *el, size_t n)
{
    /* targets in order of first appearance of their alternate setting */
    uint8_t alts[256];
    size_t na = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < na; k++)
            seen |= alts[k] == el[i].alt;
        if (!seen)
            alts[na++] = el[i].alt;
    }
    size_t total = 11 + 16;
    for (size_t k = 0; k < na; k++)
        total += 274;
    for (size_t i = 0; i < n; i++)
        total += 8 + el[i].size;
    dfuse_prefix(b, 1, (uint32_t)total, (uint8_t)na);
    for (size_t k = 0; k < na; k++) {
        uint32_t size = 0, count = 0;
        for (size_t i = 0; i < n; i++)
            if (el[i].alt == alts[k]) {
                size += 8 + el[i].size;
                count++;
            }
        dfuse_target(b, alts[k], "ST...", size, count);
        for (size_t i = 0; i < n; i++)
            if (el[i].alt == alts[k])
                dfuse_element(b, el[i].addr, el[i].size, (uint8_t)i);
    }
    suffix(b, 0x0483, 0xdf11, 0x0000, 0x011a, 16);
}

/* An Intel HEX record. */
static void ihex(struct buf *b, uint8_t type, uint16_t addr, const uint8_t *d, uint8_t n)
{
    char line[600];
    uint8_t sum = (uint8_t)(n + (addr >> 8) + addr + type);
    int k = snprintf(line, sizeof line, ":%02X%04X%02X", n, addr, type);
    for (uint8_t i = 0; i < n; i++) {
        k += snprintf(line + k, sizeof line - (size_t)k, "%02X", d[i]);
        sum = (uint8_t)(sum + d[i]);
    }
    snprintf(line + k, sizeof line - (size_t)k, "%02X\n", (uint8_t)(0x100 - sum));
    puts_(b, line);
}
static void ihex_ela(struct buf *b, uint16_t upper)
{
    uint8_t d[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
    ihex(b, 4, 0, d, 2);
}
static void ihex_data(struct buf *b, uint16_t addr, uint8_t n, uint8_t seed)
{
    uint8_t d[255];
    for (uint8_t i = 0; i < n; i++)
        d[i] = (uint8_t)(seed + i * 7);
    ihex(b, 0, addr, d, n);
}

/* An S-record with an address of alen bytes. */
static void srec(struct buf *b, int type, int alen, uint32_t addr, const uint8_t *d, uint8_t n)
{
    char line[600];
    uint8_t count = (uint8_t)(alen + n + 1), sum = count;
    int k = snprintf(line, sizeof line, "S%d%02X", type, count);
    for (int i = alen - 1; i >= 0; i--) {
        uint8_t v = (uint8_t)(addr >> (8 * i));
        k += snprintf(line + k, sizeof line - (size_t)k, "%02X", v);
        sum = (uint8_t)(sum + v);
    }
    for (uint8_t i = 0; i < n; i++) {
        k += snprintf(line + k, sizeof line - (size_t)k, "%02X", d[i]);
        sum = (uint8_t)(sum + d[i]);
    }
    snprintf(line + k, sizeof line - (size_t)k, "%02X\n", (uint8_t)~sum);
    puts_(b, line);
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* ids fired by any test, to check that every file.* id has a case */
static bool fired[DFS_F__COUNT];

static dfs_fw_file *read_opts(const struct buf *b, const struct dfs_fw_options *o, uint8_t **copy)
{
    *copy = b->n ? malloc(b->n) : NULL; /* exactly the input's size */
    if (b->n)
        memcpy(*copy, b->p, b->n);
    dfs_fw_file *f = NULL;
    assert_int_equal(dfs_fw_read(*copy, b->n, o, &f), DFS_OK);
    return f;
}

static void note_fired(const dfs_fw_file *f)
{
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        fired[dfs_fw_finding(f, i)->code] = true;
}

static size_t count_id(const dfs_fw_file *f, const char *id)
{
    size_t n = 0;
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++) {
        const struct dfs_fw_finding *fd = dfs_fw_finding(f, i);
        assert_true(fd->explanation[0] != '\0');
        assert_non_null(memchr(fd->explanation, '\0', sizeof fd->explanation));
        n += strcmp(fd->id, id) == 0;
    }
    return n;
}

static const struct dfs_fw_finding *find_id(const dfs_fw_file *f, const char *id)
{
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        if (strcmp(dfs_fw_finding(f, i)->id, id) == 0)
            return dfs_fw_finding(f, i);
    fail_msg("no finding %s", id);
    return NULL;
}

/* The findings are exactly these ids (in any order; "" ends the list). */
static void expect_ids(const dfs_fw_file *f, const char *const *ids)
{
    size_t want = 0;
    for (; ids[want] && ids[want][0]; want++)
        if (!count_id(f, ids[want])) {
            for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
                print_message("  got %s: %s\n", dfs_fw_finding(f, i)->id,
                              dfs_fw_finding(f, i)->explanation);
            fail_msg("expected finding %s", ids[want]);
        }
    size_t got = 0;
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++) {
        bool listed = false;
        for (size_t k = 0; k < want; k++)
            listed |= strcmp(ids[k], dfs_fw_finding(f, i)->id) == 0;
        if (!listed)
            fail_msg("unexpected finding %s: %s", dfs_fw_finding(f, i)->id,
                     dfs_fw_finding(f, i)->explanation);
        got++;
    }
    (void)got;
    note_fired(f);
}

/* The first evidence of the finding id. */
static void expect_at(const dfs_fw_file *f, const char *id, enum dfs_fw_where kind, uint64_t v)
{
    const struct dfs_fw_finding *fd = find_id(f, id);
    assert_true(fd->n_at >= 1);
    assert_int_equal(fd->at[0].kind, kind);
    assert_int_equal(fd->at[0].value, v);
}

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

/* binaries and suffixes */
static void mk_bin(struct buf *b) { putpat(b, 1000, 1); }
static void mk_bin_suffix(struct buf *b)
{
    putpat(b, 1000, 1);
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x0100, 16);
}
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

/* ---- against a device -------------------------------------------------------------------------- */

static void layout_alt(struct dfs_fw_device *d, uint8_t alt, const char *s)
{
    struct dfs_fw_alt *a = &d->alts[d->n_alts++];
    a->alt = alt;
    a->has_name = true;
    snprintf(a->name, sizeof a->name, "%s", s);
    assert_int_equal(dfs_layout_parse(s, strlen(s), &a->layout, NULL, 0), DFS_OK);
    a->has_layout = true;
}

/* The dfuse-device model's layouts (docs/emulation.md). */
static void device_dfuse(struct dfs_fw_device *d)
{
    dfs_fw_device_init(d);
    snprintf(d->what, sizeof d->what, "the test device");
    d->has_id = true;
    d->vid = 0x0483;
    d->pid = 0xdf11;
    d->dfuse = 1;
    d->alts_known = true;
    layout_alt(d, 0, "@Internal Flash  /0x08000000/128*002Kg");
    layout_alt(d, 1, "@Option Bytes  /0x1FFF7800/01*128 e");
    layout_alt(d, 2, "@OTP Memory /0x1FFF7000/01*1024 e");
    layout_alt(d, 3, "@Device Feature/0xFFFF0000/01*004 e");
}

struct dcase {
    const char *name;
    void (*make)(struct buf *b);
    bool has_base;
    uint32_t base;
    int device;                /* 0 dfuse-device, 1 a DFU 1.1 device, 2 no device, 3 layouts only */
    const char *ids[6];
    const char *at_id;
    enum dfs_fw_where at_kind;
    uint64_t at_value;
    const char *text;          /* in at_id's explanation */
};

static void mk_d_ok(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 4096}};
    dfuse_file(b, el, 1);
}
static void mk_d_outside(struct buf *b)
{
    struct el el[] = {{0, 0x0803FF00, 0x200}};
    dfuse_file(b, el, 1);
}
static void mk_d_ram(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 2048}, {0, 0x20000000, 16}};
    dfuse_file(b, el, 2);
}
static void mk_d_too_big(struct buf *b)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 300000 + 16, 1);
    dfuse_target(b, 0, NULL, 8 + 300000, 1);
    dfuse_element(b, 0x08000000, 300000, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_d_erase(struct buf *b)
{
    struct el el[] = {{0, 0x08000100, 0x100}};
    dfuse_file(b, el, 1);
}
static void mk_d_ob(struct buf *b, uint8_t rdp)
{
    dfuse_prefix(b, 1, 11 + 274 + 8 + 128 + 274 + 8 + 2048 + 16, 2);
    /* option bytes first: what follows is cut by the reset */
    dfuse_target(b, 1, "Option Bytes", 8 + 128, 1);
    put32(b, 0x1FFF7800);
    put32(b, 128);
    put8(b, rdp);
    putfill(b, 0xFF, 127);
    dfuse_target(b, 0, "Internal Flash", 8 + 2048, 1);
    dfuse_element(b, 0x08000000, 2048, 1);
    suffix(b, 0x0483, 0xdf11, 0, 0x011a, 16);
}
static void mk_d_ob_level0(struct buf *b) { mk_d_ob(b, 0xAA); }
static void mk_d_ob_level1(struct buf *b) { mk_d_ob(b, 0xBB); }
static void mk_d_ob_level2(struct buf *b) { mk_d_ob(b, 0xCC); }
static void mk_d_otp(struct buf *b)
{
    struct el el[] = {{2, 0x1FFF7000, 32}};
    dfuse_file(b, el, 1);
}
static void mk_d_alt_missing(struct buf *b)
{
    struct el el[] = {{0, 0x08000000, 16}, {7, 0x08000100, 16}};
    dfuse_file(b, el, 2);
}
static void mk_d_readonly(struct buf *b)
{
    /* the Device Feature region is type 'e' (readable, writable) on alt 3,
     * 'a' (read-only) in the layout of case "read-only" */
    struct el el[] = {{0, 0x08000000, 16}};
    dfuse_file(b, el, 1);
}
static void mk_d_other_id(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0x1209, 0x0001, 0xffff, 0x0100, 16);
}
static void mk_d_wildcard(struct buf *b)
{
    putpat(b, 100, 1);
    suffix(b, 0xffff, 0xffff, 0xffff, 0x0100, 16);
}
static void mk_d_hex_ob(struct buf *b)
{
    ihex_ela(b, 0x1FFF);
    uint8_t d[16] = {0xCC};
    ihex(b, 0, 0x7800, d, 16);
    ihex(b, 1, 0, NULL, 0);
}

static const struct dcase dcases[] = {
    {"fits", mk_d_ok, false, 0, 0, {""}, NULL, 0, 0, NULL},
    {"past the flash", mk_d_outside, false, 0, 0, {"file.outside-layout", "file.erase-beyond", ""},
     "file.outside-layout", DFS_FW_AT_BYTE, 285, "Last page at 0x080400ff is not writeable"},
    {"an element in RAM", mk_d_ram, false, 0, 0, {"file.outside-layout", ""},
     "file.outside-layout", DFS_FW_AT_BYTE, 11 + 274 + 8 + 2048, "0x20000000"},
    {"larger than the flash", mk_d_too_big, false, 0, 0, {"file.larger-than-memory", ""},
     "file.larger-than-memory", DFS_FW_AT_BYTE, 285, "256 KiB (262144 bytes) writable"},
    {"erase around the element", mk_d_erase, false, 0, 0, {"file.erase-beyond", ""},
     "file.erase-beyond", DFS_FW_AT_BYTE, 285,
     "0x08000000-0x080000ff (256 bytes), 0x08000200-0x080007ff (1536 bytes)"},
    {"option bytes, level 0", mk_d_ob_level0, false, 0, 0, {"file.option-bytes", ""},
     "file.option-bytes", DFS_FW_AT_BYTE, 285, "level 0"},
    {"option bytes, level 1", mk_d_ob_level1, false, 0, 0, {"file.option-bytes", ""},
     "file.option-bytes", DFS_FW_AT_BYTE, 285, "2048 bytes come after it"},
    {"option bytes, level 2", mk_d_ob_level2, false, 0, 0,
     {"file.option-bytes", "file.option-bytes-lock", ""}, "file.option-bytes-lock",
     DFS_FW_AT_BYTE, 285, "0xcc: level 2"},
    {"OTP", mk_d_otp, false, 0, 0, {"file.otp", ""}, "file.otp", DFS_FW_AT_BYTE, 285,
     "the one-time-programmable memory the layout names"},
    {"a target for alternate setting 7", mk_d_alt_missing, false, 0, 0,
     {"file.target-alt-missing", "file.erase-beyond", ""}, "file.target-alt-missing",
     DFS_FW_AT_BYTE,
     11 + 274 + 24 + 6, "No alternate setting 7"},
    {"a target for alternate setting 7, layouts given", mk_d_alt_missing, false, 0, 3,
     {"file.erase-beyond", ""}, NULL, 0, 0, NULL},
    {"read-only memory", mk_d_readonly, false, 0, 4, {"file.not-writable", ""},
     "file.not-writable", DFS_FW_AT_BYTE, 285, "type 'a'"},
    {"suffix for another device", mk_d_other_id, true, 0x08000000, 0,
     {"file.id-mismatch", "file.raw-for-dfuse", "file.erase-beyond", ""}, "file.id-mismatch",
     DFS_FW_AT_BYTE, 104,
     "1209:0001"},
    {"suffix wildcard", mk_d_wildcard, true, 0x08000000, 0,
     {"file.raw-for-dfuse", "file.erase-beyond", ""},
     "file.raw-for-dfuse", DFS_FW_AT_BYTE, 0, "--dfuse-address"},
    {"raw binary placed at the layout's start", mk_bin, false, 0, 0,
     {"file.raw-for-dfuse", "file.erase-beyond", ""}, "file.erase-beyond", DFS_FW_AT_BYTE, 0,
     "0x080003e8-0x080007ff"},
    {"raw binary at --address past the flash", mk_bin, true, 0x0803FF00, 0,
     {"file.raw-for-dfuse", "file.outside-layout", "file.erase-beyond", ""}, "file.outside-layout",
     DFS_FW_AT_BYTE,
     256, "0x08040000"},
    {"DfuSe file for a DFU 1.1 device", mk_d_ok, false, 0, 1, {"file.dfuse-for-dfu11", ""},
     "file.dfuse-for-dfu11", DFS_FW_AT_BYTE, 0, "plain DFU 1.1"},
    {"binary for a DFU 1.1 device", mk_bin_suffix, false, 0, 1, {""}, NULL, 0, 0, NULL},
    {"option bytes in a hex, no device", mk_d_hex_ob, false, 0, 2,
     {"file.option-bytes", "file.option-bytes-lock", "file.otp", ""}, "file.option-bytes-lock",
     DFS_FW_AT_LINE, 2, "STM32G0/G4/L4"},
};

static void run_dcase(void **state)
{
    const struct dcase *c = *state;
    struct buf b = {0};
    c->make(&b);
    struct dfs_fw_options o;
    dfs_fw_options_init(&o);
    o.has_base = c->has_base;
    o.base = c->base;
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, &o, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    struct dfs_fw_device *d = calloc(1, sizeof *d);
    assert_non_null(d);
    device_dfuse(d);
    if (c->device == 1) {
        dfs_fw_device_init(d);
        d->has_id = true;
        d->vid = 0x0483;
        d->pid = 0xdf11;
        d->dfuse = 0;
        d->alts_known = true;
        d->n_alts = 1;
    } else if (c->device == 3) {
        d->alts_known = false;
    } else if (c->device == 4) {
        dfs_fw_device_init(d);
        d->dfuse = 1;
        layout_alt(d, 0, "@Internal Flash  /0x08000000/1*4Ka");
    }
    assert_int_equal(dfs_fw_check_device(f, c->device == 2 ? NULL : d), DFS_OK);
    expect_ids(f, c->ids);
    if (c->at_id) {
        expect_at(f, c->at_id, c->at_kind, c->at_value);
        const char *e = find_id(f, c->at_id)->explanation;
        if (!strstr(e, c->text))
            fail_msg("\"%s\" not in: %s", c->text, e);
    }
    free(d);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* ---- against a session ---------------------------------------------------------------------------- */

static struct dfs_mem_op wop(uint32_t addr, const uint8_t *data, uint32_t n, uint64_t frame,
                             bool ok)
{
    struct dfs_mem_op op = {0};
    op.kind = DFS_MEM_OP_WRITE;
    op.dfuse = true;
    op.address = addr;
    op.length = n;
    op.data = data;
    op.data_len = n;
    op.ok = ok;
    op.bStatus = ok ? 0 : 0x03;
    op.frame = frame;
    op.exec_frame = frame + 2;
    op.lane = op.device = 1;
    return op;
}

/* The session writes what the file holds, block by block, with changes. */
static void session_compare(void **state)
{
    (void)state;
    struct buf b = {0};
    struct el el[] = {{0, 0x08000000, 4096}};
    dfuse_file(&b, el, 1);
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    const uint8_t *img = dfs_fw_segment(f, 0)->data;
    struct {
        const char *name;
        int variant;
        const char *ids[4];
        uint64_t same, missing, different, extra;
        const char *text;
        uint64_t at_frame; /* the first evidence frame of the first id */
    } cases[] = {
        {"identical", 0, {""}, 4096, 0, 0, 0, NULL, 0},
        {"stopped after 2 blocks", 1, {"file.session-missing", ""}, 2048, 2048, 0, 0,
         "0x08000800-0x08000fff (2 KiB (2048 bytes), file byte 2341)", 0},
        {"a failed block", 2, {"file.session-missing", ""}, 3072, 1024, 0, 0,
         "the first at frame 30 (1024 bytes at 0x08000800): the device answered errWRITE", 0},
        {"other data", 3, {"file.session-mismatch", ""}, 4095, 0, 1, 0,
         "at 0x08000c05: the file has 0x", 40},
        {"more memory", 4, {"file.session-extra", ""}, 4096, 0, 0, 16,
         "0x20000000-0x2000000f (16 bytes, frame 50)", 50},
        {"a later write repairs", 5, {""}, 4096, 0, 0, 0, NULL, 0},
    };
    uint8_t changed[1024];
    memcpy(changed, img + 3072, 1024);
    changed[5] ^= 0xFF;
    uint8_t ram[16] = {0};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        dfs_fw_file *g = NULL;
        assert_int_equal(dfs_fw_read(copy, b.n, NULL, &g), DFS_OK);
        dfs_fw_session *s = NULL;
        assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
        int v = cases[k].variant;
        for (uint32_t blk = 0; blk < 4; blk++) {
            if (v == 1 && blk >= 2)
                break;
            bool ok = !(v == 2 && blk == 2);
            const uint8_t *d = v == 3 && blk == 3 ? changed : img + blk * 1024;
            if (v == 5 && blk == 1)
                d = changed;
            struct dfs_mem_op op = wop(0x08000000 + blk * 1024, d, 1024, 10 + blk * 10, ok);
            assert_int_equal(dfs_fw_session_on_mem(s, &op), 0);
        }
        if (v == 4) {
            struct dfs_mem_op op = wop(0x20000000, ram, 16, 50, true);
            dfs_fw_session_on_mem(s, &op);
        }
        if (v == 5) {
            struct dfs_mem_op op = wop(0x08000400, img + 1024, 1024, 60, true);
            dfs_fw_session_on_mem(s, &op);
        }
        struct dfs_fw_compare m;
        assert_int_equal(dfs_fw_check_session(g, s, &m), DFS_OK);
        expect_ids(g, cases[k].ids);
        assert_int_equal(m.same, cases[k].same);
        assert_int_equal(m.missing, cases[k].missing);
        assert_int_equal(m.different, cases[k].different);
        assert_int_equal(m.extra, cases[k].extra);
        if (cases[k].text) {
            const char *e = find_id(g, cases[k].ids[0])->explanation;
            if (!strstr(e, cases[k].text))
                fail_msg("%s: \"%s\" not in: %s", cases[k].name, cases[k].text, e);
        }
        if (cases[k].at_frame) {
            const struct dfs_fw_finding *fd = find_id(g, cases[k].ids[0]);
            assert_int_equal(fd->at[0].kind, DFS_FW_AT_FRAME);
            assert_int_equal(fd->at[0].value, cases[k].at_frame);
        }
        dfs_fw_session_free(s);
        dfs_fw_free(g);
    }
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* A DFU 1.1 session compares image offsets; a raw binary without an
 * address goes to the session's lowest address. */
static void session_offsets(void **state)
{
    (void)state;
    struct buf b = {0};
    mk_bin_suffix(&b);
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    dfs_fw_session *s = NULL;
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    struct dfs_mem_op op = wop(0, copy, 1000, 5, true);
    op.dfuse = false;
    dfs_fw_session_on_mem(s, &op);
    struct dfs_fw_compare m;
    assert_int_equal(dfs_fw_check_session(f, s, &m), DFS_OK);
    assert_true(m.offsets);
    assert_int_equal(m.same, 1000);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    dfs_fw_session_free(s);
    dfs_fw_free(f);
    /* DfuSe session: the binary placed at its lowest address */
    f = NULL;
    assert_int_equal(dfs_fw_read(copy, b.n, NULL, &f), DFS_OK);
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    op = wop(0x08004000, copy, 1000, 5, true);
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_check_session(f, s, &m), DFS_OK);
    assert_true(m.base_assumed);
    assert_int_equal(m.base, 0x08004000);
    assert_int_equal(m.same, 1000);
    struct dfs_fw_session_info info;
    dfs_fw_session_get_info(s, &info);
    assert_true(info.dfuse);
    assert_int_equal(info.bytes, 1000);
    assert_int_equal(info.low, 0x08004000);
    dfs_fw_session_free(s);
    dfs_fw_free(f);
    free(copy);
    free(b.p);
}

/* ---- writing ------------------------------------------------------------------------------------- */

/* What dfs_fw_build_dfuse writes reads back as the same elements, without
 * findings, and as the byte layout of UM0391. */
static void build_roundtrip(void **state)
{
    (void)state;
    uint8_t a[300], c[40];
    for (size_t i = 0; i < sizeof a; i++)
        a[i] = (uint8_t)(i * 3);
    memset(c, 0x5A, sizeof c);
    struct dfs_fw_element_in el[] = {
        {0, 0x08000000, a, sizeof a, "Internal Flash"},
        {1, 0x1FFF7800, c, 16, NULL},
        {0, 0x08001000, c, sizeof c, NULL},
    };
    struct dfs_fw_ids ids = {0x0483, 0xdf11, 0x2200};
    uint8_t *out;
    size_t n;
    assert_int_equal(dfs_fw_build_dfuse(el, 3, &ids, &out, &n), DFS_OK);
    assert_int_equal(n, 11 + 2 * 274 + 3 * 8 + 300 + 16 + 40 + 16);
    assert_memory_equal(out, "DfuSe\x01", 6);
    assert_int_equal(out[10], 2);
    assert_int_equal(out[11 + 6], 0);                          /* alt of target 0 */
    assert_string_equal((const char *)out + 11 + 11, "Internal Flash");
    assert_int_equal(out[n - 5], 16);                           /* bLength */
    assert_int_equal(crc_bitwise(out, n - 4),
                     (uint32_t)out[n - 4] | (uint32_t)out[n - 3] << 8 |
                         (uint32_t)out[n - 2] << 16 | (uint32_t)out[n - 1] << 24);
    struct buf b = {out, n, n};
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    assert_int_equal(dfs_fw_segment_count(f), 3);
    /* targets by alternate setting: alt 0's two elements, then alt 1's */
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x08001000);
    assert_memory_equal(dfs_fw_segment(f, 1)->data, c, sizeof c);
    assert_int_equal(dfs_fw_segment(f, 2)->address, 0x1FFF7800);
    assert_int_equal(dfs_fw_suffix(f)->bcdDevice, 0x2200);
    assert_int_equal(dfs_fw_suffix(f)->bcdDFU, 0x011a);
    dfs_fw_free(f);
    free(copy);
    free(out);
    /* refused */
    struct dfs_fw_element_in zero = {0, 0x08000000, a, 0, NULL};
    assert_int_equal(dfs_fw_build_dfuse(&zero, 1, &ids, &out, &n), DFS_E_INVAL);
    struct dfs_fw_element_in past = {0, 0xFFFFFF00, a, 0x101, NULL};
    assert_int_equal(dfs_fw_build_dfuse(&past, 1, &ids, &out, &n), DFS_E_INVAL);
    struct dfs_fw_element_in *many = calloc(256, sizeof *many);
    for (unsigned i = 0; i < 256; i++)
        many[i] = (struct dfs_fw_element_in){(uint8_t)i, i * 16, a, 1, NULL};
    assert_int_equal(dfs_fw_build_dfuse(many, 256, &ids, &out, &n), DFS_E_LIMIT);
    assert_int_equal(dfs_fw_build_dfuse(many, 255, &ids, &out, &n), DFS_OK);
    free(out);
    free(many);
    /* a DFU file */
    assert_int_equal(dfs_fw_build_dfu(a, sizeof a, &ids, 0x0100, &out, &n), DFS_OK);
    b = (struct buf){out, n, n};
    f = read_opts(&b, NULL, &copy);
    assert_true(dfs_fw_suffix(f)->crc_ok);
    assert_int_equal(dfs_fw_suffix(f)->idVendor, 0x0483);
    assert_int_equal(dfs_fw_data_bytes(f), sizeof a);
    dfs_fw_free(f);
    free(copy);
    free(out);
}

/* A session as a file: DfuSe elements per extent and alternate setting,
 * DFU with the gaps filled. */
static void session_build(void **state)
{
    (void)state;
    uint8_t d[64];
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (uint8_t)i;
    dfs_fw_session *s = NULL;
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    uint8_t *out;
    size_t n;
    char why[200];
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_E_NOTFOUND);
    struct dfs_mem_op op = wop(0x08000000, d, 32, 1, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000020, d + 32, 32, 2, true); /* continues the first */
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000100, d, 16, 3, true);      /* a gap before it */
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x1FFF7800, d, 8, 4, true);
    op.alt = 1;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_OK);
    struct buf b = {out, n, n};
    uint8_t *copy;
    dfs_fw_file *f = read_opts(&b, NULL, &copy);
    assert_int_equal(dfs_fw_finding_count(f), 0);
    assert_int_equal(dfs_fw_target_count(f), 2);
    assert_int_equal(dfs_fw_segment_count(f), 3);
    assert_int_equal(dfs_fw_segment(f, 0)->length, 64);
    assert_memory_equal(dfs_fw_segment(f, 0)->data, d, 64);
    assert_int_equal(dfs_fw_segment(f, 1)->address, 0x08000100);
    assert_int_equal(dfs_fw_target(f, 1)->alt, 1);
    assert_int_equal(dfs_fw_suffix(f)->idVendor, 0xffff); /* device not learnt */
    dfs_fw_free(f);
    free(copy);
    free(out);
    /* as one image: only alt 0, gap filled */
    dfs_fw_session_free(s);
    struct dfs_fw_session_options so;
    dfs_fw_session_options_init(&so);
    so.alt = 0;
    assert_int_equal(dfs_fw_session_new(&so, &s), DFS_OK);
    op = wop(0x08000000, d, 32, 1, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x08000100, d, 16, 3, true);
    dfs_fw_session_on_mem(s, &op);
    op = wop(0x1FFF7800, d, 8, 4, true);
    op.alt = 1;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFU, 0xEE, 0, &out, &n, why, sizeof why),
                     DFS_OK);
    assert_int_equal(n, 0x110 + 16);
    assert_int_equal(out[0x20], 0xEE);
    assert_memory_equal(out + 0x100, d, 16);
    free(out);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFU, 0xEE, 0x100, &out, &n, why, sizeof why),
                     DFS_E_LIMIT);
    dfs_fw_session_free(s);
    /* a DFU 1.1 session has no addresses for a DfuSe file */
    assert_int_equal(dfs_fw_session_new(NULL, &s), DFS_OK);
    op = wop(0, d, 32, 1, true);
    op.dfuse = false;
    dfs_fw_session_on_mem(s, &op);
    assert_int_equal(dfs_fw_session_build(s, DFS_FW_OUT_DFUSE, 0xff, 0, &out, &n, why, sizeof why),
                     DFS_E_INVAL);
    assert_non_null(strstr(why, "--format dfu"));
    dfs_fw_session_free(s);
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
    enum { NR = sizeof rcases / sizeof rcases[0], ND = sizeof dcases / sizeof dcases[0] };
    struct CMUnitTest tests[NR + ND + 16];
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(crc);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(fields);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(extents);
    for (size_t i = 0; i < NR; i++)
        tests[n++] = (struct CMUnitTest){rcases[i].name, run_rcase, NULL, NULL,
                                         (void *)&rcases[i]};
    for (size_t i = 0; i < ND; i++)
        tests[n++] = (struct CMUnitTest){dcases[i].name, run_dcase, NULL, NULL,
                                         (void *)&dcases[i]};
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(session_compare);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(session_offsets);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(build_roundtrip);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(session_build);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(every_file_finding_has_a_case);
    return _cmocka_run_group_tests("firmware", tests, n, NULL, NULL);
}
