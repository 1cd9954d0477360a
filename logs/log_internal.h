/* What the files of the log library share (prefix dfs_log__). */
#ifndef DFS_LOG_INTERNAL_H
#define DFS_LOG_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/logs.h"
#include "dfuscope/usb.h"

#define DFS_LOG__MAX_ALTS 16
#define DFS_LOG__NAME_SIZE 256
#define DFS_LOG__MAX_STRINGS 32
#define DFS_LOG__MAX_CONFIG 4096

/* One record made from the log and the lines behind it */
struct dfs_log__rec {
    uint8_t *data;
    uint32_t len;
    uint64_t line_a, line_b; /* line_b 0: one line */
};

/* What the log says of the DFU device in use: the alternate settings'
 * names, from lsusb's iInterface lines or dfu-util's "Found DFU" lines */
struct dfs_log__alts {
    bool have[DFS_LOG__MAX_ALTS];
    char name[DFS_LOG__MAX_ALTS][DFS_LOG__NAME_SIZE];
    uint64_t line[DFS_LOG__MAX_ALTS];
};

/* An lsusb -v device block being read */
struct dfs_log__lsusb {
    bool open;
    uint16_t bus;
    uint8_t devnum;
    uint64_t line_bus, line_dev, line_cfg;
    enum { LS_NONE, LS_DEVICE, LS_CONFIG, LS_IFACE, LS_ENDPOINT, LS_DFU, LS_OTHER } sect;
    uint8_t dev[18];
    bool have_dev;
    bool dev_sent;      /* handed to the decoder (before the first configuration) */
    uint8_t cfg[DFS_LOG__MAX_CONFIG];
    size_t cfg_len;
    size_t cur;       /* offset of the descriptor being filled in cfg */
    bool have_cfg;
    uint8_t cfg_index;  /* of the configuration being read: 0 for the first */
    uint64_t last_line; /* the last line of the block understood */
    bool whole;         /* ended by its "Device Status:" line */
    bool skipped;       /* descriptors in the configuration not rebuilt */
    struct {
        uint8_t idx;
        uint64_t line;
        char text[DFS_LOG__NAME_SIZE];
    } str[DFS_LOG__MAX_STRINGS];
    unsigned n_str;
    int last_alt;     /* the alternate setting of the interface being read */
};

struct dfs_log__dfu_util {
    bool active;
    char version[16];
    int alt;             /* -a, or "Setting Alternate ... #N" */
    uint64_t alt_line;
    bool leave;          /* -s ...:leave, or "Submitting leave request" */
    bool done;           /* 100% or "Download done" / "File downloaded successfully" */
    uint64_t done_line;
    bool upload, download;
    uint64_t cmd_line;
    char iface_name[DFS_LOG__NAME_SIZE];
    uint32_t addr;       /* the address of the last DfuSe download (-v lines) */
    bool have_addr;
    uint64_t addr_line;
    unsigned stalls;     /* "Device stalled USB pipe, reusing last poll timeout" */
    uint64_t stall_lines[4];
    unsigned poll_ms;    /* the last "Poll timeout N ms" */
    uint64_t poll_line;
    uint64_t op_line;    /* the last download block, erase or address command */
    uint64_t failed_line; /* " failed!" */
    char op_what[64];
};

/* libusb's debug log (LIBUSB_DEBUG=4 or the log-level option): the status
 * of each control transfer as usbfs reaped it */
struct dfs_log__libusb {
    uint64_t transfers, stalls, gone;
    int32_t last_status; /* of the last control URB reaped */
    uint64_t last_line;
    /* the transfers submitted, in order: control ones once reaped */
    struct dfs_log_transfer *x;
    size_t n_x, cap_x;
    size_t pend;         /* the first not yet reaped */
    uint16_t bus;        /* of the last "open B.D" */
    uint8_t devnum;
};

/* fwupd's and fwupdtool's verbose output (fwupd.c) */
struct dfs_log__fwupd {
    bool active;
    bool dfu_tool;        /* dfu-tool's log (fwupd 1.x), GLib's own line format */
    uint64_t first_line;
    bool in_dfu_dump;     /* in a dump of the dfu plugin's device */
    bool have_dev;
    uint16_t vid, pid;
    uint64_t dev_line;
    char pend_name[DFS_LOG__NAME_SIZE]; /* a target's LogicalId, until its AltIdx */
    uint64_t pend_line;
    int pend_alt;
    bool pend;
    unsigned xfer;        /* the transfer size fwupd uses */
    uint64_t xfer_line;
    int state;            /* the last state fwupd read, -1: none */
    uint64_t state_line, manifest_line;
    unsigned poll_ms;     /* "sleeping for N ms" */
    uint64_t poll_line;
    uint64_t stall_line;  /* the last "Pipe error" */
    uint64_t last_op_line; /* the last write, erase, address or read */
    uint32_t up_start, up_size; /* "starting upload from 0x%08x (0x%04x)" */
    uint64_t up_line;
    uint32_t chunk_addr, chunk_size; /* the last "got #N chunk @0x... of size N" */
    bool have_chunk, chunk_after_manifest;
    uint64_t chunk_line;
    bool busy_reported;
    bool failed;          /* the update's error, printed again at the end */
    char failed_chain[200];
    size_t failed_len, failed_finding;
};

/* What the logs said of the DFU state: dfuERROR reported once until the
 * device leaves it */
struct dfs_log__state {
    bool seen;            /* a state was read in this run */
    bool in_error;
};

struct dfs_log__cube {
    bool active;
    char version[24];
    uint32_t addr;
    bool have_addr;
    uint64_t addr_line;
    bool ob_phase;        /* "PROGRAMMING OPTION BYTES AREA" */
    uint64_t ob_line;
    bool sending;         /* "sending packet nbr" since the address */
    uint64_t send_line;
    bool failed;          /* get status error after sending */
    uint64_t fail_line;
    bool reported;
};

struct dfs_log {
    struct dfs_log_stats st;
    char *line;        /* DFS_LOG_MAX_LINE + 1 */
    size_t line_len;
    bool line_cut;
    uint64_t lineno;
    struct dfs_log__rec *rec;
    size_t n_rec, cap_rec;
    uint64_t urb_id;
    struct dfs_log_finding *f;
    size_t n_f, cap_f;
    unsigned kept[DFS_F__COUNT];
    char tools[256];
    struct dfs_log__alts alts;
    struct dfs_log__lsusb ls;
    struct dfs_log__dfu_util du;
    struct dfs_log__cube cube;
    struct dfs_log__libusb usb;
    struct dfs_log__fwupd fw;
    struct dfs_log__state dstate;
    uint16_t cur_vid, cur_pid; /* the device the tool in hand speaks to, 0:0 unknown */
    uint16_t cur_bus;          /* and its bus address, 0.0 unknown */
    uint8_t cur_devnum;
    /* the bus addresses the log gives each VID:PID (lsusb, dfu-util -l), for
     * the findings of a run that names only the VID:PID */
    struct {
        uint16_t vid, pid, bus;
        uint8_t devnum;
        bool ambiguous; /* two addresses: re-enumerated, or two devices */
    } addr[16];
    unsigned n_addr;
    bool nomem;
    uint64_t bad_lines[DFS_FINDING_MAX_FRAMES]; /* the first lines not read */
    unsigned n_bad;
};

/* One line, sanitised (no control bytes), 1-based number, with the
 * prefixes tools and forums add stripped */
struct dfs_log__line {
    const char *s;
    size_t len;
    uint64_t no;
};

/* The parsers: each looks at every line; true when it understood it. */
bool dfs_log__lsusb_line(dfs_log *l, const struct dfs_log__line *ln);
void dfs_log__lsusb_end(dfs_log *l);
bool dfs_log__dfu_util_line(dfs_log *l, const struct dfs_log__line *ln);
bool dfs_log__cube_line(dfs_log *l, const struct dfs_log__line *ln);
bool dfs_log__libusb_line(dfs_log *l, const struct dfs_log__line *ln);
bool dfs_log__fwupd_line(dfs_log *l, const struct dfs_log__line *ln);
void dfs_log__dfu_util_end(dfs_log *l);
/* The tool's line names the request of libusb's last transfer, if that was
 * reaped just before with a result that fits: 6 bytes and status 0 for a
 * state read, a failure for a failed one */
void dfs_log__libusb_request(dfs_log *l, enum dfs_log_request r, uint64_t line, bool failed);
void dfs_log__cube_end(dfs_log *l);

/* A known message of a tool: its finding, causes and remedy, and where the
 * message comes from (messages.c). */
enum dfs_log__tool { DFS_LOG__DFU_UTIL, DFS_LOG__CUBE, DFS_LOG__FWUPD };
struct dfs_log__msg {
    enum dfs_log__tool tool;
    const char *pattern; /* printf-style: each %... matches some text */
    int code;            /* enum dfs_finding_code, or -1: recognised, no finding */
    const char *cause;
    const char *remedy;
    const char *source;
};
const struct dfs_log__msg *dfs_log__msg_find(enum dfs_log__tool tool, const char *s, size_t len);
/* Does s match the printf-style pattern? */
bool dfs_log__match(const char *pattern, const char *s, size_t len);

/* Records: a control transfer on bus.devnum as its submit and completion */
void dfs_log__control(dfs_log *l, uint16_t bus, uint8_t devnum, const uint8_t setup[8],
                      const uint8_t *data, uint32_t len, int32_t status, uint64_t line_a,
                      uint64_t line_b);

/* A finding of the log's own; lines 0 are left out. NULL when not kept. */
struct dfs_log_finding *dfs_log__emit(dfs_log *l, enum dfs_finding_code code, bool likely,
                                      const uint64_t *lines, unsigned n_lines, const char *remedy,
                                      const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 7, 8)))
#endif
    ;
void dfs_log__tool_seen(dfs_log *l, const char *name);
/* The log gives vid:pid the bus address bus.devnum */
void dfs_log__addr_seen(dfs_log *l, uint16_t vid, uint16_t pid, uint16_t bus, uint8_t devnum);
/* At the end: a finding that names a VID:PID and no address gets the one
 * address the log gives that VID:PID, if it gives exactly one */
void dfs_log__addr_fill(dfs_log *l);
/* Add a line to finding i (no-op if i is out of range) */
void dfs_log__cite(dfs_log *l, size_t i, uint64_t line);

/* A DFU state and status a tool read with GETSTATUS (state.c): dfuERROR
 * gives dfu.error-state, once until the device leaves it, unless a stall
 * the tool reported before (stall_line, 0: none) explains errSTALLEDPKT. A
 * new run of a tool starts over with dfs_log__state_reset. */
struct dfs_log__op {
    const char *what;     /* "the download" */
    uint64_t line;        /* the line of the request, 0: none pending */
    bool have_addr;       /* DfuSe: the address it wrote */
    uint32_t addr;
};
void dfs_log__dfu_error_state(dfs_log *l, const char *tool, int state, int status,
                              const char *status_words, uint64_t line, uint64_t stall_line,
                              const struct dfs_log__op *op);
void dfs_log__state_reset(dfs_log *l);

/* Text helpers */
bool dfs_log__starts(const struct dfs_log__line *ln, const char *prefix);
/* The first token after prefix, parsed as a number (0x.. hex); false if none */
bool dfs_log__num(const char *s, size_t len, unsigned long *out);
/* Copy at most size-1 bytes of s[0..len) */
void dfs_log__copy(char *dst, size_t size, const char *s, size_t len);
const char *dfs_log__find(const char *s, size_t len, const char *needle);

#endif
