/* dfuscope: capture files (pcap and pcapng) in and out.
 *
 * The reader is dfuscope's own: bounded (no record over max_record bytes is
 * ever allocated), it takes the byte order and time resolution from each
 * file/section/interface, handles pcapng files whose interfaces have
 * different link types, and when a record or block is damaged it says so,
 * naming the frame, and resynchronises on the next plausible record instead
 * of giving up on the rest of the file. Live capture uses libpcap (live.h).
 */
#ifndef DFUSCOPE_CAPTURE_H
#define DFUSCOPE_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "decoder.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dfs_capreader dfs_capreader;

enum dfs_capformat { DFS_CAPFMT_PCAP = 1, DFS_CAPFMT_PCAPNG = 2 };

/* Called for each problem found in the file; frame is the frame the problem
 * is about (0 for the file header). */
typedef void (*dfs_capreader_warn_fn)(void *user, uint64_t frame, const char *msg);

struct dfs_capreader_options {
    uint32_t max_record;   /* largest record accepted (default 16 MiB) */
    bool follow;           /* a growing file or pipe: EOF in a record is AGAIN, not truncation */
    dfs_capreader_warn_fn warn;
    void *warn_user;
};

enum dfs_capnext {
    DFS_CAP_RECORD = 1, /* *rec is filled; valid until the next call */
    DFS_CAP_EOF = 0,    /* clean end of file */
    DFS_CAP_AGAIN = -1, /* follow mode: no complete record yet, try later */
    DFS_CAP_ERROR = -2, /* cannot go on; dfs_capreader_error() says why */
};

/* Open a file ("-" for standard input). On failure returns DFS_E_IO or
 * DFS_E_FORMAT and writes a message naming the file into err. */
DFS_API dfs_result dfs_capreader_open(const char *path, const struct dfs_capreader_options *opt,
                                      dfs_capreader **out, char *err, size_t err_size);
/* Same over an open stream; name is used in messages. The stream is not closed. */
DFS_API dfs_result dfs_capreader_open_stream(FILE *fp, const char *name,
                                             const struct dfs_capreader_options *opt,
                                             dfs_capreader **out, char *err, size_t err_size);
DFS_API enum dfs_capnext dfs_capreader_next(dfs_capreader *r, struct dfs_record *rec);
/* Switch follow mode on or off on an open reader. When the program writing a
 * pipe or a growing file has finished, switching it off makes the next call
 * report a partial last record as truncated instead of waiting for the rest. */
DFS_API void dfs_capreader_set_follow(dfs_capreader *r, bool follow);
DFS_API const char *dfs_capreader_error(const dfs_capreader *r);
DFS_API enum dfs_capformat dfs_capreader_format(const dfs_capreader *r);
/* Link type of the first interface (pcapng) or of the file (pcap). */
DFS_API int dfs_capreader_linktype(const dfs_capreader *r);
/* Records with problems the reader recovered from, and bytes skipped. */
DFS_API uint64_t dfs_capreader_damaged(const dfs_capreader *r);
DFS_API uint64_t dfs_capreader_skipped_bytes(const dfs_capreader *r);
/* Bytes of the file read so far: the offset of the next record (for
 * showing progress against the file's size). */
DFS_API uint64_t dfs_capreader_offset(const dfs_capreader *r);

/* What a capture says about itself beyond its records: pcapng interface
 * statistics blocks (isb_starttime, isb_endtime, isb_ifrecv, isb_ifdrop).
 * The capture may have run past its last record: a host waiting for a
 * device that never comes back puts nothing on the bus, but the capture
 * still saw that nothing happened until `end`. */
struct dfs_capture_end {
    bool has_end;
    struct dfs_time end;      /* when capturing stopped */
    bool has_start;
    struct dfs_time start;    /* when it started */
    bool has_received;
    uint64_t received;        /* records the interface received (isb_ifrecv) */
    bool has_dropped;
    uint64_t dropped;         /* records lost: buffer full, ... (isb_ifdrop) */
};

/* The statistics read so far (complete once next() has returned EOF): the
 * latest isb_endtime not earlier than the last record read, the earliest
 * isb_starttime, and the counters of each interface's latest block, summed
 * over the interfaces. An isb_endtime earlier than the last record read
 * before it is reported through warn and ignored. Classic pcap has no such
 * blocks: everything is false. */
DFS_API void dfs_capreader_capture_end(const dfs_capreader *r, struct dfs_capture_end *out);
DFS_API void dfs_capreader_close(dfs_capreader *r);

/* Name of a link type ("USB_LINUX_MMAPPED", "ETHERNET"), or NULL. */
DFS_API const char *dfs_linktype_name(int linktype);

/* ---- writer ---------------------------------------------------------------- */
typedef struct dfs_capwriter dfs_capwriter;

/* Open path for writing (pcapng when it ends in ".pcapng", else pcap with
 * nanosecond time stamps), or "-" for standard output (pcap). */
DFS_API dfs_result dfs_capwriter_open(const char *path, int linktype, dfs_capwriter **out,
                                      char *err, size_t err_size);
DFS_API dfs_result dfs_capwriter_open_stream(FILE *fp, enum dfs_capformat format, int linktype,
                                             dfs_capwriter **out);
/* Same in a chosen byte order (DFS_ORDER_HOST, _LITTLE or _BIG). Readers
 * take the usbmon headers to be in the file's order, so records written here
 * should be encoded in the same one (dfs_usbmon_encode). */
DFS_API dfs_result dfs_capwriter_open_stream_order(FILE *fp, enum dfs_capformat format,
                                                   int linktype, enum dfs_byte_order order,
                                                   dfs_capwriter **out);
DFS_API dfs_result dfs_capwriter_write(dfs_capwriter *w, struct dfs_time ts, const uint8_t *data,
                                       uint32_t caplen, uint32_t origlen);
DFS_API dfs_result dfs_capwriter_flush(dfs_capwriter *w);
/* Flushes and closes; returns DFS_E_IO if anything failed on the way. The
 * file says nothing about when the capture stopped. */
DFS_API dfs_result dfs_capwriter_close(dfs_capwriter *w);
/* Same, after writing when the capture stopped: in pcapng an interface
 * statistics block for the interface, time-stamped with end->end, with the
 * options end->has_* say are known (isb_starttime, isb_endtime, isb_ifrecv,
 * isb_ifdrop). Classic pcap has no place for it: nothing is added; nor when
 * end is NULL or has_end is false. Returns DFS_OK, DFS_E_IO, or DFS_E_INVAL
 * (w NULL; or a time before 1970 or with nsec out of range: the file is
 * then closed without the block). */
DFS_API dfs_result dfs_capwriter_close_end(dfs_capwriter *w, const struct dfs_capture_end *end);

/* Write a bus event (enum dfs_usb_event) of a packet-level capture as
 * Packetry writes it: a pcapng custom block (Private Enterprise Number 62392,
 * format 0x3343) that Packetry, dfuscope and Wireshark read as a frame of its
 * own. Classic pcap has no place for it: nothing is written. */
DFS_API dfs_result dfs_capwriter_write_usb_event(dfs_capwriter *w, struct dfs_time ts,
                                                 uint8_t code);

/* ---- packet-level rendering ------------------------------------------------ */
/* URB events (as usbmon gives them) rendered as the USB 2.0 packets an
 * analyzer would record on the wire, written to a writer opened with link
 * type 288 (capture/usb2_render.c says how each transfer looks). pcapng: the
 * writer's format is pcapng, so bus resets are written as events. */
typedef struct dfs_usb2_render dfs_usb2_render;
DFS_API dfs_result dfs_usb2_render_new(dfs_capwriter *w, bool pcapng, dfs_usb2_render **out);
DFS_API dfs_result dfs_usb2_render_urb(dfs_usb2_render *r, const struct dfs_urb *u);
/* Writes what was submitted and never completed, frees; the writer stays open.
 * last (may be NULL): the time stamp of the last packet written, which may be
 * a little after the last URB's (packets are at least 100 ns apart), for the
 * end time the writer records. */
DFS_API dfs_result dfs_usb2_render_free(dfs_usb2_render *r, struct dfs_time *last);

#ifdef __cplusplus
}
#endif
#endif
