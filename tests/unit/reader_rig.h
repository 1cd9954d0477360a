/* The rig of the capture reader's tests (test_reader.c,
 * test_reader_blocks.c): pcap files (tcpdump.org "libpcap file format") and
 * pcapng files (draft-ietf-opsawg-pcapng) built byte by byte, in either
 * byte order, and reading them back through the public API. */
#ifndef DFS_TEST_READER_RIG_H
#define DFS_TEST_READER_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/capture.h"
#include "dfuscope/decoder.h"

/* ---- building files ----------------------------------------------------------- */

struct out {
    uint8_t *p;
    size_t n, cap;
    bool big; /* byte order of what put16/32/64 write */
};

void put(struct out *o, const void *p, size_t n);
void put8(struct out *o, uint8_t v);
void put16(struct out *o, uint16_t v);
void put32(struct out *o, uint32_t v);
void put64(struct out *o, uint64_t v);
void pad4(struct out *o);

/* set the 32-bit value at off (a block length filled in afterwards) */
void set32(struct out *o, size_t off, uint32_t v);

/* A usbmon record (control submit, GET_DESCRIPTOR) whose URB id is `id`,
 * in the given link type and byte order. */
size_t usbmon(uint8_t *buf, size_t size, uint64_t id, int lt, bool big);
void pcap_header(struct out *o, bool nsec, uint32_t snaplen, uint32_t lt);
void pcap_record(struct out *o, uint32_t sec, uint32_t frac, const uint8_t *data,
                 uint32_t caplen, uint32_t origlen);
size_t block_start(struct out *o, uint32_t type);
void block_end(struct out *o, size_t start);
void option(struct out *o, uint16_t code, const void *v, uint16_t len);
void shb(struct out *o, bool big);

/* IDB; tsresol < 0 means no if_tsresol option; tsoffset 0 means none */
void idb(struct out *o, uint16_t lt, uint32_t snaplen, int tsresol, int64_t tsoffset);
void epb(struct out *o, uint32_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen,
         uint32_t origlen, bool options);
void spb(struct out *o, const uint8_t *data, uint32_t caplen, uint32_t origlen);
void opb(struct out *o, uint16_t ifid, uint64_t ts, const uint8_t *data, uint32_t caplen);
void other_block(struct out *o, uint32_t type, size_t body);

#define NONE INT64_MIN

/* ISB for interface ifid, time stamp ts; options whose value is NONE are left out. */
void isb(struct out *o, uint32_t ifid, uint64_t ts, int64_t start, int64_t end,
         int64_t recv, int64_t drop);

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

void on_warn(void *user, uint64_t frame, const char *msg);
void read_all_from(dfs_capreader *r, struct got *g);
void read_all(const struct out *o, struct got *g);
int on_urb_seen(void *user, const struct dfs_urb *u);
int on_finding_seen(void *user, const struct dfs_finding *f);

/* The record decodes to URB id `id` when read in its stated byte order
 * (through the decoder's public API). */
void assert_urb_id(const struct dfs_record *rec, uint64_t id);

#endif
