/* The rig of the firmware library's tests (test_firmware.c,
 * test_firmware_device.c): inputs built byte by byte from the formats'
 * specifications (DFU 1.1 appendix B, UM0391, Intel's HEX specification,
 * srec(5)), and the checks of what reading a file found. */
#ifndef DFS_TEST_FW_RIG_H
#define DFS_TEST_FW_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/firmware.h"

/* ---- building inputs --------------------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

void put(struct buf *b, const void *p, size_t n);
void put8(struct buf *b, uint8_t v);
void put16(struct buf *b, uint16_t v); /* little-endian */
void put32(struct buf *b, uint32_t v);
void puts_(struct buf *b, const char *s);
void putfill(struct buf *b, uint8_t v, size_t n);
/* n bytes of a pattern that depends on seed */
void putpat(struct buf *b, size_t n, uint8_t seed);

/* CRC-32 bit by bit from its definition (reflected 0xEDB88320, init
 * 0xFFFFFFFF, no final XOR): the oracle for the library's table. */
uint32_t crc_bitwise(const uint8_t *p, size_t n);
/* The DFU suffix over everything so far. */
void suffix(struct buf *b, uint16_t vid, uint16_t pid, uint16_t bcdDevice, uint16_t bcdDFU,
            uint8_t bLength);

/* DfuSe (UM0391): the prefix, a target prefix, an element of size bytes of
 * putpat(seed). */
void dfuse_prefix(struct buf *b, uint8_t version, uint32_t size, uint8_t targets);
void dfuse_target(struct buf *b, uint8_t alt, const char *name, uint32_t size,
                  uint32_t elements);
void dfuse_element(struct buf *b, uint32_t addr, uint32_t size, uint8_t seed);

/* A DfuSe file of the elements {alt, address, size}, sizes all right. */
struct el {
    uint8_t alt;
    uint32_t addr, size;
};
void dfuse_file(struct buf *b, const struct el *el, size_t n);

/* An Intel HEX record; an extended linear address record; a data record of
 * n bytes of a pattern. */
void ihex(struct buf *b, uint8_t type, uint16_t addr, const uint8_t *d, uint8_t n);
void ihex_ela(struct buf *b, uint16_t upper);
void ihex_data(struct buf *b, uint16_t addr, uint8_t n, uint8_t seed);
/* An S-record with an address of alen bytes. */
void srec(struct buf *b, int type, int alen, uint32_t addr, const uint8_t *d, uint8_t n);

/* 1000 bytes of putpat(1); the same with a DFU suffix (0483:df11,
 * bcdDevice 0x0200, DFU 1.0). */
void mk_bin(struct buf *b);
void mk_bin_suffix(struct buf *b);

/* ---- reading ---------------------------------------------------------------------------------- */

/* ids fired by any test, to check that every file.* id has a case */
extern bool fired[DFS_F__COUNT];

/* Read a heap copy of exactly b's size (*copy, to free after the file). */
dfs_fw_file *read_opts(const struct buf *b, const struct dfs_fw_options *o, uint8_t **copy);
void note_fired(const dfs_fw_file *f);
/* How many findings of id (checking every explanation on the way). */
size_t count_id(const dfs_fw_file *f, const char *id);
/* The first finding of id; fails without one. */
const struct dfs_fw_finding *find_id(const dfs_fw_file *f, const char *id);
/* The findings are exactly these ids (in any order; "" ends the list). */
void expect_ids(const dfs_fw_file *f, const char *const *ids);
/* The first evidence of the finding id. */
void expect_at(const dfs_fw_file *f, const char *id, enum dfs_fw_where kind, uint64_t v);

/* ---- the cases of test_firmware_device.c --------------------------------------------------- */

struct CMUnitTest;
/* Append its cases to out (when not NULL); returns how many there are. */
size_t fw_device_tests(struct CMUnitTest *out);

#endif
