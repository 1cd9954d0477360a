/* extract --unpack: the ESP32-S2/S3 ROM DFU payload, a "newc" CPIO archive
 * whose first file, dfuinfo0.dat, lists each other file's flash address and
 * MD5 (esp-idf tools/mkdfu.py, `idf.py dfu`), unpacked into a directory
 * with each file's MD5 checked (extract_cpio.c). */
#ifndef DFS_CLI_EXTRACT_CPIO_H
#define DFS_CLI_EXTRACT_CPIO_H

#include <stddef.h>
#include <stdint.h>

/* The MD5 digest of n bytes (RFC 1321). */
void extract_md5(const uint8_t *p, size_t n, uint8_t out[16]);

/* Unpack the archive buf[0..len) (from the capture `path`) into dir,
 * creating dir when it does not exist; say on standard output what each
 * file is and whether its MD5 matches dfuinfo0.dat, on standard error what
 * is wrong. Returns 0 when every file was written and matches, 1
 * (EXIT_FINDINGS) when an MD5 differs, a listed file is missing or a file
 * is not listed, 2 (EXIT_USAGE) when the data is no such archive, is
 * damaged (the files before the damage are still written) or a file cannot
 * be written. */
int extract_cpio_unpack(const uint8_t *buf, size_t len, const char *dir, const char *path);

#endif
