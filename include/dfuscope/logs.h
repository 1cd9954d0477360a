/* dfuscope: tool logs as evidence (library dfs_logs, libc only).
 *
 * Reads the text users paste into bug reports: lsusb -v blocks, dfu-util
 * output (0.7 to 0.11), STM32CubeProgrammer logs, alone or mixed with prose.
 * What a log shows of the bus becomes usbmon records (descriptors as lsusb
 * printed them), fed to the decoder like a capture, so the same rules judge
 * them; what only a tool's message shows becomes a finding of its own, from
 * the table of known messages (logs/messages.c). Every finding cites the
 * lines of the log that prove it.
 *
 * Memory is bounded: a line is cut at DFS_LOG_MAX_LINE bytes, and the
 * records, findings and devices kept have fixed limits. Binary bytes,
 * terminal escape sequences and control characters are dropped and counted.
 */
#ifndef DFUSCOPE_LOGS_H
#define DFUSCOPE_LOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "findings.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFS_LOG_MAX_LINE 4096      /* longer lines are cut (and counted) */
#define DFS_LOG_MAX_RECORDS 200000 /* records made from one log */
#define DFS_LOG_MAX_FINDINGS 200   /* findings of the log's own kept */

typedef struct dfs_log dfs_log;

/* A finding a log shows by a tool's message, with the lines that prove it
 * (ascending, 1-based). The finding's frames are empty. */
struct dfs_log_finding {
    struct dfs_finding f;
    uint64_t lines[DFS_FINDING_MAX_FRAMES];
    unsigned n_lines;
    bool likely; /* a log cannot prove it as a capture would: "most likely" */
    /* the device the tool spoke to when it printed the lines (dfu-util's
     * "Found DFU: [0483:df11]" or "Device ID 0483:df11", fwupd's instance
     * ids); 0:0 when the log does not say */
    uint16_t vid, pid;
    /* its bus address where the log names it (lsusb's "Bus 001 Device 004",
     * dfu-util's devnum= with the bus of its path=, libusb's "open 1.4");
     * 0.0 when the log does not say */
    uint16_t bus;
    uint8_t devnum;
};

struct dfs_log_stats {
    uint64_t lines;          /* lines read */
    uint64_t recognised;     /* lines a parser understood */
    uint64_t long_lines;     /* cut at DFS_LOG_MAX_LINE */
    uint64_t binary_lines;   /* skipped: mostly bytes no tool prints */
    uint64_t escapes;        /* terminal escape sequences dropped */
    uint64_t records;        /* usbmon records made */
    uint64_t records_dropped; /* past DFS_LOG_MAX_RECORDS */
    uint64_t findings_dropped; /* past DFS_LOG_MAX_FINDINGS */
    unsigned lsusb_devices;  /* lsusb -v device blocks */
    unsigned dfu_util_runs;  /* dfu-util banners or command lines */
    unsigned cube_runs;      /* STM32CubeProgrammer sessions */
    uint64_t transfers_dropped; /* libusb's control transfers past DFS_LOG_MAX_TRANSFERS */
};

/* Is this the start of a text log rather than a capture? (No pcap or
 * pcapng magic, and mostly printable.) */
DFS_API bool dfs_log_sniff(const uint8_t *data, size_t len);

DFS_API dfs_result dfs_log_new(dfs_log **out);
/* Feed the next bytes of the log, in pieces of any size. */
DFS_API dfs_result dfs_log_feed(dfs_log *l, const uint8_t *data, size_t len);
/* The end of the log: the last line, the open blocks. */
DFS_API dfs_result dfs_log_finish(dfs_log *l);
DFS_API void dfs_log_free(dfs_log *l);

DFS_API const struct dfs_log_stats *dfs_log_stats(const dfs_log *l);
/* The tools seen, in words ("lsusb -v, dfu-util 0.9, STM32CubeProgrammer
 * v2.17.0"); "" when none. */
DFS_API const char *dfs_log_tools(const dfs_log *l);

/* The records made from the log, in order (frames 1, 2, ...); valid until
 * dfs_log_free. Returns false past the last. */
DFS_API bool dfs_log_record(const dfs_log *l, size_t i, struct dfs_record *out);
/* The log lines behind a record's frame: up to max of them, ascending.
 * Returns how many. */
DFS_API size_t dfs_log_frame_lines(const dfs_log *l, uint64_t frame, uint64_t *lines,
                                   size_t max);

/* A control transfer of a libusb debug log (LIBUSB_DEBUG=4, libusb 1.0.19
 * to 1.0.30 on Linux), or a transfer of unknown type never reaped in the
 * log (reap_line 0): what libusb logs of it, from its submission
 * ("[libusb_submit_transfer] transfer 0x...") to usbfs's reap ("urb type=2
 * status=-32 transferred=0"). libusb logs no setup packet and no data: the
 * request is named only where the tool's own next line says what it read
 * (dfu-util's "DFU state(2) = dfuIDLE, ..." after a GETSTATUS). */
enum dfs_log_request {
    DFS_LOG_REQ_UNKNOWN = 0,
    DFS_LOG_REQ_GETSTATUS, /* the tool printed the state it read, or its failure */
};
struct dfs_log_transfer {
    uint64_t submit_line, reap_line; /* reap_line 0: never reaped in the log */
    uint64_t request_line;           /* the tool's line that names the request, 0: none */
    uint32_t timeout_ms;             /* 0: not logged */
    int32_t status;                  /* usbfs's URB status: 0, -32 (stall), -19 and -108
                                        (device gone), -71 (protocol error), ... */
    uint32_t length;                 /* bytes of the data stage transferred */
    uint16_t bus;                    /* of the last "open B.D", 0.0 unknown */
    uint8_t devnum;
    enum dfs_log_request request;
};
#define DFS_LOG_MAX_TRANSFERS 100000 /* kept; the rest are counted (stats) */
DFS_API size_t dfs_log_transfer_count(const dfs_log *l);
DFS_API const struct dfs_log_transfer *dfs_log_transfer(const dfs_log *l, size_t i);
DFS_API const char *dfs_log_request_name(enum dfs_log_request r);

DFS_API size_t dfs_log_finding_count(const dfs_log *l);
DFS_API const struct dfs_log_finding *dfs_log_finding(const dfs_log *l, size_t i);

#ifdef __cplusplus
}
#endif
#endif
