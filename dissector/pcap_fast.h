/* dfuscope Wireshark plugin: a direct reader for the common case of the
 * read-ahead pass, a classic pcap file of usbmon records in this machine's
 * byte order. It gives each record exactly as wiretap gives it to Wireshark
 * (the same bytes, lengths and time), without wiretap's per-record work;
 * anything it does not handle exactly as wiretap does makes it stop and say
 * so, and the caller reads the file through wiretap instead.
 *
 * Plain C (libc), so it is tested without Wireshark.
 */
#ifndef DFS_DISSECTOR_PCAP_FAST_H
#define DFS_DISSECTOR_PCAP_FAST_H

#include <stdbool.h>
#include <stdint.h>

/* A record as wiretap shows it: caplen and len of the packet header, the
 * time stamp (ts_nsec as wiretap computes it, which may exceed a second in
 * a damaged file), the link type (DFS_LINKTYPE_USB_LINUX or _MMAPPED). */
struct dfs__fast_rec {
    uint64_t frame; /* 1-based */
    int64_t ts_sec;
    int32_t ts_nsec;
    uint32_t caplen, len;
    int linktype;
    const uint8_t *data;
};

/* Called for every record in order; false stops the reading. */
typedef bool (*dfs__fast_fn)(void *user, const struct dfs__fast_rec *r);

enum dfs__fast_result {
    DFS__FAST_DONE = 0, /* every record of the file was given, to its end */
    DFS__FAST_WIRETAP,  /* not read to the end: read it through wiretap (the
                           records given so far are to be discarded) */
    DFS__FAST_STOPPED,  /* the callback returned false */
};

/* Is this the header of a file the direct reader takes: pcap 2.4 in this
 * machine's byte order (micro- or nanosecond), link type 189 or 220? */
bool dfs__fast_pcap_header(const uint8_t *hdr, uint32_t n, bool *nsec, int *linktype);

/* Read the open file `fd` from its start (with pread: the descriptor's
 * offset is left alone). The caller has checked, through wiretap, that the
 * file is a standard pcap (not one of the variants sharing its magic). */
enum dfs__fast_result dfs__fast_pcap_read(int fd, dfs__fast_fn fn, void *user);

#endif
