/* The rig of the firmware library's tests (fw_rig.h): inputs built byte by
 * byte from the formats' specifications, and the checks of what a file's
 * reading found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fw_rig.h"

/* ---- building inputs --------------------------------------------------------------------- */

void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}
void put8(struct buf *b, uint8_t v) { put(b, &v, 1); }
void put16(struct buf *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}
void put32(struct buf *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}
void puts_(struct buf *b, const char *s) { put(b, s, strlen(s)); }
void putfill(struct buf *b, uint8_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put8(b, v);
}
void putpat(struct buf *b, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        put8(b, (uint8_t)(seed + i * 7));
}

/* CRC-32 bit by bit from its definition (reflected 0xEDB88320, init
 * 0xFFFFFFFF, no final XOR): the oracle for the library's table. */
uint32_t crc_bitwise(const uint8_t *p, size_t n)
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
void suffix(struct buf *b, uint16_t vid, uint16_t pid, uint16_t bcdDevice, uint16_t bcdDFU,
            uint8_t bLength)
{
    put16(b, bcdDevice);
    put16(b, pid);
    put16(b, vid);
    put16(b, bcdDFU);
    puts_(b, "UFD");
    put8(b, bLength);
    put32(b, crc_bitwise(b->p, b->n));
}

void dfuse_prefix(struct buf *b, uint8_t version, uint32_t size, uint8_t targets)
{
    puts_(b, "DfuSe");
    put8(b, version);
    put32(b, size);
    put8(b, targets);
}

void dfuse_target(struct buf *b, uint8_t alt, const char *name, uint32_t size,
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

void dfuse_element(struct buf *b, uint32_t addr, uint32_t size, uint8_t seed)
{
    put32(b, addr);
    put32(b, size);
    putpat(b, size, seed);
}

/* A DfuSe file of the elements {alt, address, size}, sizes all right. */
void dfuse_file(struct buf *b, const struct el *el, size_t n)
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
void ihex(struct buf *b, uint8_t type, uint16_t addr, const uint8_t *d, uint8_t n)
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
void ihex_ela(struct buf *b, uint16_t upper)
{
    uint8_t d[2] = {(uint8_t)(upper >> 8), (uint8_t)upper};
    ihex(b, 4, 0, d, 2);
}
void ihex_data(struct buf *b, uint16_t addr, uint8_t n, uint8_t seed)
{
    uint8_t d[255];
    for (uint8_t i = 0; i < n; i++)
        d[i] = (uint8_t)(seed + i * 7);
    ihex(b, 0, addr, d, n);
}

/* An S-record with an address of alen bytes. */
void srec(struct buf *b, int type, int alen, uint32_t addr, const uint8_t *d, uint8_t n)
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

void mk_bin(struct buf *b) { putpat(b, 1000, 1); }
void mk_bin_suffix(struct buf *b)
{
    putpat(b, 1000, 1);
    suffix(b, 0x0483, 0xdf11, 0x0200, 0x0100, 16);
}

/* ---- reading ---------------------------------------------------------------------------------- */

/* ids fired by any test, to check that every file.* id has a case */
bool fired[DFS_F__COUNT];

dfs_fw_file *read_opts(const struct buf *b, const struct dfs_fw_options *o, uint8_t **copy)
{
    *copy = b->n ? malloc(b->n) : NULL; /* exactly the input's size */
    if (b->n)
        memcpy(*copy, b->p, b->n);
    dfs_fw_file *f = NULL;
    assert_int_equal(dfs_fw_read(*copy, b->n, o, &f), DFS_OK);
    return f;
}

void note_fired(const dfs_fw_file *f)
{
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        fired[dfs_fw_finding(f, i)->code] = true;
}

size_t count_id(const dfs_fw_file *f, const char *id)
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

const struct dfs_fw_finding *find_id(const dfs_fw_file *f, const char *id)
{
    for (size_t i = 0; i < dfs_fw_finding_count(f); i++)
        if (strcmp(dfs_fw_finding(f, i)->id, id) == 0)
            return dfs_fw_finding(f, i);
    fail_msg("no finding %s", id);
    return NULL;
}

/* The findings are exactly these ids (in any order; "" ends the list). */
void expect_ids(const dfs_fw_file *f, const char *const *ids)
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
void expect_at(const dfs_fw_file *f, const char *id, enum dfs_fw_where kind, uint64_t v)
{
    const struct dfs_fw_finding *fd = find_id(f, id);
    assert_true(fd->n_at >= 1);
    assert_int_equal(fd->at[0].kind, kind);
    assert_int_equal(fd->at[0].value, v);
}

