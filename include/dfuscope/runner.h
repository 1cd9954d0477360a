/* dfuscope: the conformance runner (library dfs_conform; the libusb
 * transport is dfs_conform_usb, the transport to the emulated devices
 * dfs_conform_emu).
 *
 * A run sends control requests to one USB device through a transport and
 * checks the replies: either a script (plain text, docs/scripts.md) or the
 * built-in suites (docs/conformance.md). Everything here but the libusb
 * transport (dfs_usb_transport_*) is libc only: time comes from an
 * injectable clock, requests go through a transport interface, and files
 * are read through a loader callback, so the parser and the runner can be
 * driven by tests and fuzzers without hardware (dfs_emu_transport_* runs
 * them against the emulated devices of dfuscope/emulator.h).
 *
 *   dfs_script *s;  struct dfs_script_error e;
 *   if (dfs_script_parse(text, len, "seq.dfu", &loader, &s, &e) != DFS_OK)
 *       fprintf(stderr, "%s:%u:%u: %s\n", e.file, e.line, e.column, e.msg);
 *   struct dfs_run_options o;  dfs_run_options_init(&o);
 *   o.allow = DFS_ALLOW_WRITE;  o.device.vid = 0x0483; ...
 *   dfs_report *r;
 *   dfs_run_script(s, &o, &transport, &r);
 *   dfs_report_write_text(r, stdout, false);
 *   exit(dfs_report_exit_code(r));
 *
 * Safety: nothing that writes, erases or changes protection is sent unless
 * the matching DFS_ALLOW_* flag is given, and a script that needs a flag it
 * was not given is refused before any of its requests is sent. The rule
 * that decides which requests need which flag is dfs_script_needs().
 */
#ifndef DFUSCOPE_RUNNER_H
#define DFUSCOPE_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "decoder.h"
#include "dfuse.h"
#include "events.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- permissions ----------------------------------------------------------------- */

/* X(name, bit, option, what it allows) */
#define DFS_ALLOW_MAP(X)                                                                       \
    X(WRITE, 0x01, "--allow-write", "download data (program memory or firmware)")               \
    X(ERASE, 0x02, "--allow-erase", "erase pages or the whole memory")                          \
    X(OPTION_BYTES, 0x04, "--allow-option-bytes", "write or erase the option bytes")            \
    X(UNPROTECT, 0x08, "--allow-unprotect", "read-unprotect (mass-erases the chip)")            \
    X(OTP, 0x10, "--allow-otp", "write one-time-programmable memory")                           \
    X(TIMING_ABUSE, 0x20, "--allow-timing-abuse", "send GETSTATUS before bwPollTimeout")      \
    X(VENDOR_REQUEST, 0x40, "--allow-vendor-request",                                          \
      "send a vendor request the device does not define (what one does is its maker's)")

enum dfs_allow {
#define DFS_ALLOW_ENUM(name, bit, opt, what) DFS_ALLOW_##name = bit,
    DFS_ALLOW_MAP(DFS_ALLOW_ENUM)
#undef DFS_ALLOW_ENUM
};

/* "--allow-write" for DFS_ALLOW_WRITE; NULL for anything but one known bit. */
DFS_API const char *dfs_allow_option(unsigned bit);
/* "--allow-write --allow-option-bytes" for a mask, into buf (NUL-terminated). */
DFS_API size_t dfs_allow_str(unsigned mask, char *buf, size_t size);

/* ---- scripts ------------------------------------------------------------------------ */

typedef struct dfs_script dfs_script;

struct dfs_script_error {
    char file[256];
    unsigned line, column; /* 1-based; 0 when not about a position */
    char msg[512];
};

/* Reads an included script or a data file named in a script. path is as
 * written; from is the name of the script that names it (to resolve a
 * relative path). On success *buf (malloc'd, freed by the parser with
 * free()) and *len are set and resolved receives the name to use in
 * messages; on failure err says why. */
struct dfs_script_loader {
    dfs_result (*load)(void *user, const char *from, const char *path, char **buf, size_t *len,
                       char *resolved, size_t resolved_size, char *err, size_t err_size);
    void *user;
};

#define DFS_SCRIPT_MAX_LINE 262144     /* bytes per line (long hex data) */
#define DFS_SCRIPT_MAX_STEPS 1000000
#define DFS_SCRIPT_MAX_INCLUDE_DEPTH 16
#define DFS_SCRIPT_MAX_DATA (64u << 20) /* bytes of data in one script */
/* files read for one script, counting every include and data file each
 * time it is named (includes of includes multiply) */
#define DFS_SCRIPT_MAX_LOADS 4096

/* Parse a script of len bytes named name. loader may be NULL: then include
 * and data files are errors. Returns DFS_OK and *out, DFS_E_FORMAT with
 * err filled (file:line:column and what was expected there), DFS_E_LIMIT,
 * DFS_E_NOMEM or DFS_E_INVAL. */
DFS_API dfs_result dfs_script_parse(const char *buf, size_t len, const char *name,
                                    const struct dfs_script_loader *loader, dfs_script **out,
                                    struct dfs_script_error *err);
DFS_API void dfs_script_free(dfs_script *s);
DFS_API size_t dfs_script_step_count(const dfs_script *s);

/* "file:line:column: message" */
DFS_API size_t dfs_script_error_str(const struct dfs_script_error *e, char *buf, size_t size);

/* What is known about the device when deciding which flags a script needs.
 * Before a device is opened nothing is (dfuse -1, transfer_size 0). */
#define DFS_FACTS_MAX_LAYOUTS 16
struct dfs_device_facts {
    int dfuse;              /* 1 DfuSe, 0 plain DFU 1.1, -1 unknown */
    uint32_t transfer_size; /* wTransferSize, 0 when unknown */
    unsigned n_layouts;
    struct dfs_layout layouts[DFS_FACTS_MAX_LAYOUTS]; /* parsed alt-setting layouts */
    /* each DNLOAD is an Atmel FLIP command block (a family with dfu-quirks
     * R25 in the quirk table, dfs_quirk_find_dfu) */
    bool flip;
};
DFS_API void dfs_device_facts_init(struct dfs_device_facts *f);

/* The flags the script needs that are not in `allow`, given what is known
 * of the device (facts may be NULL). Returns 0 when none is missing; else
 * the missing mask, and why names the first step that needs one
 * ("seq.dfu:12: write of 4 bytes at 0x1fff7870 (option bytes: ...)").
 * The rule (docs/conformance.md, "Safety"):
 *   - a DfuSe data block or `write` needs WRITE; an erase or mass erase
 *     ERASE; read-unprotect ERASE and UNPROTECT;
 *   - a write or erase that touches an option-byte area (dfs_ob_area_find,
 *     or a layout region whose name says "Option") also needs
 *     OPTION_BYTES; one that touches an OTP area (known areas, or a layout
 *     region named OTP) also needs OTP;
 *   - a data block at an address the script never set needs WRITE,
 *     OPTION_BYTES and OTP (it could be anywhere);
 *   - a plain DFU 1.1 DNLOAD with data needs WRITE (it programs firmware);
 *   - on a FLIP bootloader (facts->flip) the command block decides: program
 *     (01) WRITE, chip erase (04 00) ERASE, configuration and fuse bits (04
 *     01, 04 02) WRITE and OPTION_BYTES, an unknown command WRITE; reads
 *     (03, 05), page or memory selection (06 03) and start application (04
 *     03) nothing;
 *   - an unknown DfuSe command byte, and any vendor or class OUT request
 *     that is not a known DFU request, needs WRITE;
 *   - reads, GETSTATUS, set-address, ABORT, DETACH and the other requests
 *     need nothing.
 * When the device kind is unknown, only what is certain either way is
 * counted; the run checks again once the device is known, before its first
 * request. */
DFS_API unsigned dfs_script_needs(const dfs_script *s, const struct dfs_device_facts *facts,
                                  unsigned allow, char *why, size_t why_size);

/* Print the requests the script would send, one line each, with the step's
 * file:line, and the flags it needs (the --dry-run output). */
DFS_API dfs_result dfs_script_print_plan(const dfs_script *s, const struct dfs_device_facts *f,
                                         FILE *out);

/* ---- transport ------------------------------------------------------------------------ */

enum dfs_xfer_status {
    DFS_XFER_OK = 0,
    DFS_XFER_STALL,     /* STALL handshake (usbmon -EPIPE, LIBUSB_ERROR_PIPE) */
    DFS_XFER_TIMEOUT,   /* no answer within the timeout (the host cancelled it) */
    DFS_XFER_NO_DEVICE, /* the device is gone (-ENODEV, -ESHUTDOWN) */
    DFS_XFER_IO,        /* bus error, no handshake (-EPROTO, -EILSEQ, -ETIME) */
    DFS_XFER_OVERFLOW,  /* the device sent more than asked (-EOVERFLOW) */
    DFS_XFER_REFUSED,   /* not sent: the runner refused it (safety) */
};
/* "ok", "STALL", "timeout", "no device", "bus error", "overflow", "refused" */
DFS_API const char *dfs_xfer_status_name(enum dfs_xfer_status st);

struct dfs_xfer_reply {
    enum dfs_xfer_status status;
    uint32_t length; /* IN: bytes received; OUT: bytes sent */
};

enum dfs_usb_speed {
    DFS_SPEED_UNKNOWN = 0,
    DFS_SPEED_LOW,
    DFS_SPEED_FULL,
    DFS_SPEED_HIGH,
    DFS_SPEED_SUPER,
};

/* Which device to use. Every criterion given must match. */
struct dfs_device_sel {
    bool by_id;
    uint16_t vid, pid;
    char path[32];    /* "1-4.2" (bus-port.port...), "" for any */
    char serial[128]; /* "" for any */
};
/* Parse "VID:PID" (hex). false when it is not one. */
DFS_API bool dfs_device_sel_parse_id(struct dfs_device_sel *sel, const char *arg);

/* A device as the transport found it. */
struct dfs_usb_ident {
    uint16_t vid, pid;
    uint16_t bus;
    uint8_t devnum;
    char path[32];
    char serial[128];
    enum dfs_usb_speed speed;
};

/* What a run needs from a way of reaching a device. Every function gets
 * ctx. Messages are complete sentences for the user ("no device 0483:df11
 * is connected; ..."); a function that fails writes one into msg. */
struct dfs_transport_ops {
    /* Find and open the device. DFS_E_NOTFOUND (no such device, or several
     * match), DFS_E_IO (cannot open: msg says how to fix permissions). */
    dfs_result (*open)(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                       char *msg, size_t msg_size);
    /* The descriptors the host holds already, without bus traffic: the
     * device descriptor (18 bytes) and the active configuration set. */
    dfs_result (*cached_descriptors)(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                                     size_t *cfg_len);
    /* Claim an interface for the requests to it. */
    dfs_result (*claim)(void *ctx, uint8_t interface, char *msg, size_t msg_size);
    /* One control transfer on endpoint 0. data holds the OUT data stage or
     * receives the IN data stage (setup->wLength bytes). */
    void (*control)(void *ctx, const struct dfs_setup *setup, uint8_t *data, uint32_t timeout_ms,
                    struct dfs_xfer_reply *reply);
    /* Is the opened device still on the bus (no bus traffic)? */
    bool (*present)(void *ctx);
    /* The device left; wait up to within_ms (of the run's clock) for a
     * device matching sel to appear, and open it. DFS_E_NOTFOUND when none
     * came. */
    dfs_result (*reopen)(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                         struct dfs_usb_ident *id, char *msg, size_t msg_size);
    void (*close)(void *ctx);
};

struct dfs_transport {
    const struct dfs_transport_ops *ops;
    void *ctx;
};

/* Time for a run: a monotonic microsecond clock, a way to wait, and
 * (optional) the wall-clock time for capture time stamps. */
struct dfs_clock {
    uint64_t (*now_us)(void *ctx);
    void (*sleep_us)(void *ctx, uint64_t us);
    struct dfs_time (*wall)(void *ctx); /* NULL: time stamps count from 0 */
    void *ctx;
};

/* The libusb-1.0 transport (library dfs_conform_usb) and the system clock.
 * clock is used while waiting for a device to come back. */
DFS_API dfs_result dfs_usb_transport_new(const struct dfs_clock *clock, struct dfs_transport *out,
                                         char *msg, size_t msg_size);
DFS_API void dfs_usb_transport_free(struct dfs_transport *t);
DFS_API void dfs_system_clock(struct dfs_clock *out);

/* A transport to an emulated device (library dfs_conform_emu): a model of
 * the emulator (dfuscope/emulator.h, which stays the caller's) plugged into
 * an emulated bus at once, with the clock to run with it: the bus's
 * virtual clock, which moves only when the runner waits or a request takes
 * time, so that a run takes no real time and its timing is exact. The bus
 * enumerates the device (the first device number is the model's), passes
 * each request to it when it is made, and takes it off the bus and
 * enumerates it again (with a new number) when it resets. msg says why it
 * could not be made. */
struct dfs_emu_device;
DFS_API dfs_result dfs_emu_transport_new(struct dfs_emu_device *dev, struct dfs_transport *out,
                                         struct dfs_clock *clock, char *msg, size_t msg_size);
DFS_API void dfs_emu_transport_free(struct dfs_transport *t);
/* The device number of the emulated device on its bus, 0 while it is off. */
DFS_API uint8_t dfs_emu_transport_address(const struct dfs_transport *t);
/* Pull the emulated device off the bus now (a loose cable) and plug it back
 * in return_after_us later (< 0: never). DFS_E_NOTFOUND when it is off. */
DFS_API dfs_result dfs_emu_transport_unplug(const struct dfs_transport *t,
                                            int64_t return_after_us);


/* ---- suites ------------------------------------------------------------------------------ */

enum dfs_suite {
    DFS_SUITE_DESCRIPTORS = 0,
    DFS_SUITE_DFU11,
    DFS_SUITE_DFUSE,
    DFS_SUITE__COUNT
};

struct dfs_check_info {
    const char *id;     /* "desc.config.total-length" */
    const char *clause; /* "USB 2.0 9.6.3" */
    const char *title;  /* "wTotalLength is the size of the configuration set" */
    unsigned needs;     /* DFS_ALLOW_* without which the check is skipped */
};

/* "descriptors", "dfu11", "dfuse" */
DFS_API const char *dfs_suite_name(enum dfs_suite s);
/* DFS_OK and *out, or DFS_E_NOTFOUND. */
DFS_API dfs_result dfs_suite_find(const char *name, enum dfs_suite *out);
DFS_API const struct dfs_check_info *dfs_suite_checks(enum dfs_suite s, size_t *count);

/* ---- running ------------------------------------------------------------------------------- */

enum dfs_verdict {
    DFS_VERDICT_NONE = 0, /* a step that checks nothing */
    DFS_VERDICT_PASS,
    DFS_VERDICT_WARN,     /* passed, with a remark (not a failure) */
    DFS_VERDICT_SKIP,     /* not applicable, or needs a flag not given */
    DFS_VERDICT_FAIL,
    DFS_VERDICT_ERROR,    /* could not be run (device gone, refused, interrupted) */
    /* The deviation a known quirk of the device's family explains (the
     * quirk table, include/dfuscope/quirks.h): named, neither hidden nor a
     * failure. The check's quirk says which. */
    DFS_VERDICT_QUIRK,
    /* Could not be checked without a flag the run was not given (the
     * check's needs say which): not a pass. */
    DFS_VERDICT_NOT_CHECKED,
    DFS_VERDICT__COUNT
};
/* "-", "pass", "warn", "skip", "FAIL", "ERROR", "known-quirk", "not-checked" */
DFS_API const char *dfs_verdict_name(enum dfs_verdict v);

typedef struct dfs_report dfs_report;

struct dfs_run_options {
    size_t size;                /* sizeof, set by init */
    unsigned allow;             /* DFS_ALLOW_* */
    struct dfs_device_sel device;
    int alt;                    /* alternate setting to select first, -1: none */
    int interface;              /* DFU interface, -1: from the descriptors */
    uint32_t timeout_ms;        /* per request unless a step says (default 5000) */
    uint32_t disconnect_ms;     /* `expect disconnect` without a time (default 3000) */
    uint32_t upload_limit;      /* dfu11: bytes read before giving up on a short
                                   packet (default 1 MiB) */
    uint32_t busy_floor_ms;     /* suites, outside the timing checks: least wait
                                   between busy GETSTATUS (default 50) */
    bool keep_going;            /* scripts: go on after a failed step (default: stop) */
    const struct dfs_clock *clock; /* NULL: not allowed (the CLI passes the system clock) */
    /* Set from a signal handler: stop after the current step (never inside
     * an option-byte write), then ABORT when the state allows it. */
    volatile sig_atomic_t *stop;
    /* Each exchange as usbmon records (link type 220), e.g. for --pcap. */
    void (*on_record)(void *user, struct dfs_time ts, const uint8_t *rec, size_t len);
    /* Progress, as steps and checks end (e.g. to print them as they happen). */
    void (*on_step)(void *user, const dfs_report *r, size_t step);
    void (*on_check)(void *user, const dfs_report *r, size_t check);
    /* Notes for the user while running ("waiting for 0483:df11 to come back"). */
    void (*on_note)(void *user, const char *msg);
    void *user;
    /* A step begins: its origin (check id or script line) and text are set,
     * its outcome not yet (e.g. to show what the run is waiting for). */
    void (*on_step_begin)(void *user, const dfs_report *r, size_t step);
};
DFS_API void dfs_run_options_init(struct dfs_run_options *o);

/* Run a script / suites against the device the transport reaches.
 * Return DFS_OK when a report was made (*out, even when the run could not
 * be made: dfs_report_outcome says so), DFS_E_INVAL or DFS_E_NOMEM. */
DFS_API dfs_result dfs_run_script(const dfs_script *s, const struct dfs_run_options *o,
                                  const struct dfs_transport *t, dfs_report **out);
/* suites: bit (1 << DFS_SUITE_x) per suite, run in enum order. */
DFS_API dfs_result dfs_run_suites(unsigned suites, const struct dfs_run_options *o,
                                  const struct dfs_transport *t, dfs_report **out);

/* ---- reports ----------------------------------------------------------------------------------- */

enum dfs_run_outcome {
    DFS_RUN_COMPLETE = 0,  /* every step ran */
    DFS_RUN_NOT_MADE,      /* nothing was checked: no device, missing flag, ... */
    DFS_RUN_DEVICE_LOST,   /* the device left the bus when no step expected it */
    DFS_RUN_INTERRUPTED,   /* stopped by the user */
    DFS_RUN_ABORTED,       /* a step could not be sent (refused, transport failure) */
};

/* One request and its reply. */
struct dfs_exchange {
    struct dfs_setup setup;
    const uint8_t *out;       /* OUT data stage, out_len bytes */
    uint32_t out_len;
    enum dfs_xfer_status status;
    const uint8_t *in;        /* IN data received */
    uint32_t in_len;
    uint64_t t_us, dur_us;    /* since the start of the run */
    uint16_t bus;
    uint8_t devnum;
};

struct dfs_step_info {
    char origin[300];   /* "seq.dfu:12" or the check id */
    char text[200];     /* "set-address 0x08000000" */
    char expect[200];   /* what was expected, "" for none */
    char reply[200];    /* what came back, in short ("STALL", "status OK, state dfuIDLE") */
    enum dfs_verdict verdict;
    char msg[600];      /* why it failed, what was seen */
    size_t first_exchange, n_exchanges;
    long check;         /* index of its check, -1 */
    uint64_t t_us;
};

struct dfs_check_result {
    char suite[64];     /* "descriptors", or the script's name */
    char id[300];
    char clause[96];
    char title[200];
    enum dfs_verdict verdict;
    char msg[800];
    unsigned quirk;     /* DFS_VERDICT_QUIRK: the quirk's number (2 for R2), else 0 */
    char quirk_family[96]; /* and the family of the quirk table that shows it */
    unsigned needs;     /* DFS_VERDICT_NOT_CHECKED: the DFS_ALLOW_* flags that would let
                           it be checked, else 0 */
};

DFS_API enum dfs_run_outcome dfs_report_outcome(const dfs_report *r);
/* Why the run could not be made or was cut short ("" when complete). */
DFS_API const char *dfs_report_message(const dfs_report *r);
DFS_API size_t dfs_report_step_count(const dfs_report *r);
DFS_API const struct dfs_step_info *dfs_report_step(const dfs_report *r, size_t i);
DFS_API size_t dfs_report_exchange_count(const dfs_report *r);
DFS_API const struct dfs_exchange *dfs_report_exchange(const dfs_report *r, size_t i);
DFS_API size_t dfs_report_check_count(const dfs_report *r);
DFS_API const struct dfs_check_result *dfs_report_check(const dfs_report *r, size_t i);
/* The device the run used (valid when it was opened). */
DFS_API bool dfs_report_device(const dfs_report *r, struct dfs_usb_ident *id);
/* Counts per verdict of the checks. */
DFS_API void dfs_report_counts(const dfs_report *r, unsigned counts[DFS_VERDICT__COUNT]);
/* 0 no check failed (checks passed, skipped as not applicable, explained by
 * a known quirk, or not checked for want of a flag: the report lists those),
 * 1 a check failed, 2 the run could not be made or was cut short. */
DFS_API int dfs_report_exit_code(const dfs_report *r);
DFS_API void dfs_report_free(dfs_report *r);

/* Writers. Text: one line per step, one per check, then a summary
 * (DFS_TEXT_EXCHANGES: every request under its step). JSON: one object
 * (docs/scripts.md). JUnit: one <testcase> per check. Return DFS_E_IO
 * when writing failed. */
#define DFS_TEXT_STEPS 0x1u
#define DFS_TEXT_CHECKS 0x2u
#define DFS_TEXT_SUMMARY 0x4u
#define DFS_TEXT_EXCHANGES 0x8u
#define DFS_TEXT_ALL (DFS_TEXT_STEPS | DFS_TEXT_CHECKS | DFS_TEXT_SUMMARY)
DFS_API dfs_result dfs_report_write_text(const dfs_report *r, FILE *f, unsigned what);
/* One step's line (and, with exchanges, its requests), e.g. from on_step. */
DFS_API dfs_result dfs_report_write_step(const dfs_report *r, size_t i, FILE *f, bool exchanges);
DFS_API dfs_result dfs_report_write_json(const dfs_report *r, FILE *f);
DFS_API dfs_result dfs_report_write_junit(const dfs_report *r, FILE *f, const char *suite_name);

/* ---- capture to script ------------------------------------------------------------------------- */

typedef struct dfs_scriptgen dfs_scriptgen;

struct dfs_scriptgen_options {
    bool by_id;              /* only the device with this VID:PID (and what it re-enumerates as) */
    uint16_t vid, pid;
    bool by_addr;            /* only BUS.DEV */
    uint16_t bus;
    uint8_t devnum;
    bool standard;           /* also replay standard requests (GET_DESCRIPTOR, ...) */
    const char *source;      /* capture name, for the header comment */
};

/* A generator is fed decoder events (dfs_scriptgen_sink) and writes the
 * script at finish: the host side of the session, the device's replies as
 * expectations. */
DFS_API dfs_result dfs_scriptgen_new(const struct dfs_scriptgen_options *o, dfs_scriptgen **out);
/* Fills a decoder sink (on_control, on_device, on_dfu) for this generator. */
DFS_API void dfs_scriptgen_sink(dfs_scriptgen *g, struct dfs_sink *sink);
/* Write the script. DFS_E_NOTFOUND when the capture has no matching
 * device with requests (msg says what was seen), DFS_E_IO on write error. */
DFS_API dfs_result dfs_scriptgen_finish(dfs_scriptgen *g, FILE *out, char *msg, size_t msg_size);
DFS_API void dfs_scriptgen_free(dfs_scriptgen *g);

#ifdef __cplusplus
}
#endif
#endif
