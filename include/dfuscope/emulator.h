/* dfuscope: the emulator (library dfs_fixtures, libc only): DFU device
 * models, and the emulated bus that enumerates them and carries a host's
 * requests to them on a virtual clock.
 *
 * Models. Every device model implements one interface: it is handed a
 * control request (setup packet and OUT data) together with the virtual time
 * at which the request reaches it, and answers with IN data, an ACK, a
 * STALL, no answer at all (the host times out), or an error on the bus. Time
 * is an input: a model never reads a clock and never sleeps, so its timing
 * rules (bwPollTimeout, busy periods, the reset after an option-byte write)
 * are exact and testable. A model may also ask to leave the bus at a given
 * time and to come back (re-enumerate with a new device number) after a
 * delay.
 *
 * Models have named options (`--option NAME=VALUE` on the command line),
 * described by a table so that `dfuscope emulate --list` and the parser
 * share one source. The faulty variants are options of the models.
 *
 * The bus. What the Linux kernel does between a host program's usbfs calls
 * and a device: it enumerates the device when it is plugged in (and again
 * each time it comes back), passes the host's control URBs to it one at a
 * time, cancels them, kills them when the file is closed, fails them when
 * the device leaves, and shows all of it to usbmon. The bus keeps a virtual
 * clock, so that what it records does not depend on how fast the machine
 * running the emulation is. The umockdev bridge (fixtures/bridge) turns
 * usbfs ioctls into calls of this interface; unit tests call it directly.
 *
 * The device hangs on port 1 of an OHCI root hub (device 1): the records
 * also show the hub's status-change URB and its port requests (GET_STATUS,
 * CLEAR_FEATURE C_PORT_CONNECTION, SET_FEATURE PORT_RESET ...) around every
 * connect, reset and disconnect, as a capture of the whole bus does.
 *
 * Virtual time (docs/emulation.md, "Time"):
 *  - kernel enumeration: fixed steps;
 *  - a control transfer takes 60 us plus 90 us per 64-byte packet, plus the
 *    time the device says it is busy (reply busy_us);
 *  - the first host request after an enumeration comes DFS_EMU_FIRST_US
 *    after it;
 *  - any other host request comes after the previous completion by:
 *      the bwPollTimeout of that completion (reply wait_ms), when the host
 *      really waited at least that long, else nothing; plus
 *      DFS_EMU_THINK_US; plus whatever real time the host took beyond that
 *      when it is DFS_EMU_LONG_GAP_US or more, rounded to 100 ms (a
 *      deliberate sleep), else nothing (scheduling noise);
 *  - a cancelled URB completes after its real age rounded to 10 ms (under
 *    1 s) or to 100 ms.
 * Only host request gaps and cancellation ages read the real clock, and
 * both are quantised so that the same host run gives the same bytes.
 */
#ifndef DFUSCOPE_EMULATOR_H
#define DFUSCOPE_EMULATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decoder.h"
#include "events.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- device models: requests and answers ----------------------------------- */

enum dfs_emu_answer {
    DFS_EMU_ACK = 0,   /* status stage completes; IN data (maybe short) in the reply */
    DFS_EMU_STALL,     /* STALL handshake: the host sees -EPIPE */
    DFS_EMU_NO_ANSWER, /* the device NAKs until the host gives up */
    DFS_EMU_BUS_ERROR, /* no handshake at all (device resetting): -EPROTO */
};

struct dfs_emu_request {
    struct dfs_setup setup;
    const uint8_t *data; /* OUT data stage, setup.wLength bytes; NULL for IN */
    uint64_t now_us;     /* virtual time at which the setup packet arrives */
};

#define DFS_EMU_NEVER (-1)

struct dfs_emu_reply {
    enum dfs_emu_answer answer;
    uint8_t *data;   /* IN data stage buffer of setup.wLength bytes (caller's) */
    uint32_t len;    /* IN bytes the device returns, <= setup.wLength */
    uint32_t busy_us; /* extra time the device NAKs before it completes */
    /* A hint for the bus clock: the device told the host to wait this long
     * before its next request (the bwPollTimeout of a GETSTATUS reply). */
    uint32_t wait_ms;
    /* The device leaves the bus at this virtual time (DFS_EMU_NEVER: it
     * stays), and comes back that much later (DFS_EMU_NEVER: it does not). */
    int64_t leave_at_us;
    int64_t return_after_us;
};

/* ---- options --------------------------------------------------------------- */

enum dfs_emu_opt_kind {
    DFS_EMU_OPT_BOOL,   /* 0/1, no/yes, off/on, false/true */
    DFS_EMU_OPT_UINT,   /* decimal or 0x hex, within [min, max] */
    DFS_EMU_OPT_CHOICE, /* one of the '|'-separated words in choices */
    DFS_EMU_OPT_TEXT,   /* printable ASCII, at most max characters */
};

struct dfs_emu_option {
    const char *name;
    enum dfs_emu_opt_kind kind;
    const char *def; /* default, as text */
    const char *choices;
    uint32_t min, max;
    bool fault;      /* switches on a faulty variant */
    const char *help;
};

#define DFS_EMU_MAX_OPTIONS 40
#define DFS_EMU_OPT_VALUE_MAX 64

/* The values of one model's options: defaults, then what the user set. */
struct dfs_emu_optset {
    const struct dfs_emu_option *table; /* terminated by a NULL name */
    size_t n;
    char values[DFS_EMU_MAX_OPTIONS][DFS_EMU_OPT_VALUE_MAX];
};

/* Fill set with the defaults of table. DFS_E_LIMIT if the table is too big. */
DFS_API dfs_result dfs_emu_optset_init(struct dfs_emu_optset *set,
                                       const struct dfs_emu_option *table);
/* Set one option from "NAME=VALUE" (or "NAME" alone for a boolean: true).
 * DFS_E_NOTFOUND for an unknown name, DFS_E_INVAL for a bad value; err
 * then says which and what would be accepted. */
DFS_API dfs_result dfs_emu_optset_parse(struct dfs_emu_optset *set, const char *assignment,
                                        char *err, size_t err_size);
/* Typed reads. The name must be in the table (a programming error
 * otherwise: the read returns false/0/-1/""). */
DFS_API bool dfs_emu_opt_bool(const struct dfs_emu_optset *set, const char *name);
DFS_API uint32_t dfs_emu_opt_uint(const struct dfs_emu_optset *set, const char *name);
DFS_API int dfs_emu_opt_choice(const struct dfs_emu_optset *set, const char *name);
DFS_API const char *dfs_emu_opt_text(const struct dfs_emu_optset *set, const char *name);

/* ---- models ---------------------------------------------------------------- */

struct dfs_emu_model {
    const char *name;
    const char *summary;
    const struct dfs_emu_option *options;
    uint8_t address; /* device number of the first enumeration */
    /* Build an instance from option values. On failure err says why. */
    dfs_result (*create)(const struct dfs_emu_optset *opts, void **state, char *err,
                         size_t err_size);
    void (*destroy)(void *state);
    /* Power-on: the device is plugged in (first time, and every return). */
    void (*attach)(void *state, uint64_t now_us);
    /* USB bus reset of the attached device. */
    void (*bus_reset)(void *state, uint64_t now_us);
    /* One control request on endpoint 0. The reply arrives zeroed except
     * for data (the IN buffer) and leave_at_us/return_after_us (NEVER). */
    void (*control)(void *state, const struct dfs_emu_request *rq, struct dfs_emu_reply *rp);
};

/* All models, in the order --list shows them. */
DFS_API const struct dfs_emu_model *const *dfs_emu_models(size_t *count);
DFS_API const struct dfs_emu_model *dfs_emu_model_find(const char *name);

/* A model instance. */
struct dfs_emu_device {
    const struct dfs_emu_model *model;
    void *state;
};

/* Create an instance of model with the given "NAME=VALUE" options. On
 * failure err names the bad option or value. */
DFS_API dfs_result dfs_emu_device_new(const struct dfs_emu_model *model,
                                      const char *const *assignments, size_t n_assignments,
                                      struct dfs_emu_device *out, char *err, size_t err_size);
DFS_API void dfs_emu_device_free(struct dfs_emu_device *dev);

/* Run one request through dev->model->control with a zeroed reply. */
DFS_API void dfs_emu_device_control(struct dfs_emu_device *dev, const struct dfs_emu_request *rq,
                                    struct dfs_emu_reply *rp);

/* Write the option table of a model as text (for --list). */
DFS_API void dfs_emu_model_describe(const struct dfs_emu_model *m, char *buf, size_t size);

/* ---- a twin of a captured device ------------------------------------------ */

/* A model made of what a capture shows of one device: its descriptors and
 * strings, DfuSe layouts and functional descriptor; the states, statuses
 * and poll timeouts it answered; its failures keyed by the kind of DFU
 * request, the state it came in and the memory it concerned; leaving the
 * bus and coming back as the next device it became; the memory it
 * uploaded, and what a host writes to it. What the capture never showed is
 * answered as a conforming DFU device would (strict: refused, STALL), and
 * listed. It is built from decoder events, so any capture the decoder reads
 * gives one:
 *   dfs_emu_twin_new(&cfg, &t);  dfs_emu_twin_sink(t, &sink);
 *   decoder with that sink: feed every record, finish;
 *   dfs_emu_twin_build(t, err, sizeof err);  dfs_emu_twin_device(t, &dev);
 *   ... the bus drives dev ...;  dfs_emu_twin_made_up(t, buf, size);
 *   dfs_emu_twin_free(t);  (after the bus) */
typedef struct dfs_emu_twin dfs_emu_twin;

struct dfs_emu_twin_config {
    const char *source; /* the capture's name, for messages */
    const char *device; /* "BUS.DEV" or "VID:PID"; NULL: the first DFU device */
    bool strict;        /* refuse what the capture never showed */
    size_t max_memory;  /* device memory kept, bytes (0: 64 MiB) */
};

DFS_API dfs_result dfs_emu_twin_new(const struct dfs_emu_twin_config *cfg, dfs_emu_twin **out);
/* The decoder sink that collects the capture (fills every callback it needs). */
DFS_API void dfs_emu_twin_sink(dfs_emu_twin *t, struct dfs_sink *sink);
/* After the decoder finished: choose the device and build the model.
 * DFS_E_NOTFOUND (err lists the devices of the capture), DFS_E_NOMEM. */
DFS_API dfs_result dfs_emu_twin_build(dfs_emu_twin *t, char *err, size_t err_size);
/* The model instance (owned by t: never dfs_emu_device_free it). Its
 * model's address is the captured device number. */
DFS_API void dfs_emu_twin_device(dfs_emu_twin *t, struct dfs_emu_device *out);
/* The devices of the twin, one a line. Returns the length written. */
DFS_API size_t dfs_emu_twin_describe(const dfs_emu_twin *t, char *buf, size_t size);
/* What the builder left out or made up (descriptors), one a line; "" if nothing. */
DFS_API const char *dfs_emu_twin_notes(const dfs_emu_twin *t);
/* The answers the twin had to make up (or refused), one a line with a
 * count. Returns how many distinct ones there were. */
DFS_API size_t dfs_emu_twin_made_up(const dfs_emu_twin *t, char *buf, size_t size);
DFS_API void dfs_emu_twin_free(dfs_emu_twin *t);

/* ---- the emulated bus --------------------------------------------------------- */

#define DFS_EMU_THINK_US 150
#define DFS_EMU_FIRST_US 50000
#define DFS_EMU_LONG_GAP_US 500000
#define DFS_EMU_MAX_URBS 32
/* Device work this long or longer also delays the completion in real time. */
#define DFS_EMU_REAL_DELAY_US 20000
/* Kernel control requests (usb_control_msg) give up after this long. */
#define DFS_EMU_KERNEL_TIMEOUT_MS 5000
/* 2025-09-15 15:07:50 UTC, the day of the seed report */
#define DFS_EMU_DEFAULT_START_US (1757948870LL * 1000000LL)

typedef struct dfs_emu_bus dfs_emu_bus;

/* The device as the kernel sees it after an enumeration: what sysfs shows. */
struct dfs_emu_attach {
    uint16_t bus;
    uint8_t address;
    const uint8_t *descriptors; /* device descriptor, then the configuration */
    size_t descriptors_len;
    const char *manufacturer, *product, *serial; /* NULL when unreadable */
    uint8_t configuration;                       /* 0 if SET_CONFIGURATION failed */
    /* strings of the configuration and of interface 0, alternate setting 0,
     * which the kernel reads after SET_CONFIGURATION (sysfs "configuration"
     * and "interface"); NULL when absent */
    const char *config_string, *interface_string;
    uint8_t n_alts; /* alternate settings of interface 0 */
    const uint8_t *interface0; /* its descriptor in alternate setting 0, or NULL */
};

struct dfs_emu_bus_ops {
    /* One usbmon record, in time order. */
    void (*record)(void *user, const struct dfs_urb *u);
    /* A host URB finished: status is 0 or a negative errno; len is the
     * actual length; data the IN data (NULL for OUT). */
    void (*complete)(void *user, uint64_t token, int32_t status, const uint8_t *data,
                     uint32_t len);
    /* The device was enumerated / left the bus. */
    void (*attached)(void *user, const struct dfs_emu_attach *a);
    void (*detached)(void *user, uint8_t address);
    void *user;
};

struct dfs_emu_bus_config {
    uint16_t bus;     /* bus number (0: 1) */
    uint8_t address;  /* device number of the first enumeration (0: the model's) */
    int64_t start_us; /* virtual time of the first plug-in, us since the epoch (0: default) */
    bool no_hub;      /* leave out the root hub's port traffic (device 1) */
    /* The host runs on the bus's virtual clock too (a transport for the
     * conformance runner, tests): real_us arguments are virtual times,
     * starting at dfs_emu_bus_start_us(), and a host request reaches the
     * device at the time the host makes it (none of the rules above about
     * real gaps and the first request). */
    bool virtual_host;
};

/* The bus drives dev (which stays the caller's). */
DFS_API dfs_result dfs_emu_bus_new(const struct dfs_emu_bus_config *cfg, struct dfs_emu_device *dev,
                                   const struct dfs_emu_bus_ops *ops, dfs_emu_bus **out);
DFS_API void dfs_emu_bus_free(dfs_emu_bus *b);

/* Plug the device in: power-on, port reset, enumeration. DFS_E_IO when
 * the kernel could not enumerate it (the capture shows why). */
DFS_API dfs_result dfs_emu_bus_plug(dfs_emu_bus *b, int64_t real_us);

/* The host submits a control URB (usbfs SUBMITURB) to device `address`.
 * token identifies it in complete(). Returns DFS_OK, DFS_E_NOTFOUND when
 * that device is not on the bus (ENODEV), DFS_E_INVAL for a bad setup or
 * length, DFS_E_LIMIT when too many URBs are pending. */
DFS_API dfs_result dfs_emu_bus_submit(dfs_emu_bus *b, int64_t real_us, uint64_t token,
                                      uint8_t address, const uint8_t setup[8], const uint8_t *out,
                                      uint32_t out_len);
/* The host cancels an URB (DISCARDURB): it completes with -ECONNRESET.
 * DFS_E_NOTFOUND when the URB is not pending (EINVAL). */
DFS_API dfs_result dfs_emu_bus_discard(dfs_emu_bus *b, int64_t real_us, uint64_t token);
/* The host closed the device file: its pending URB is killed (-ENOENT),
 * without a complete() call. */
DFS_API void dfs_emu_bus_kill(dfs_emu_bus *b, int64_t real_us, uint64_t token);

/* A control request the kernel makes for the host (SET_INTERFACE,
 * SET_CONFIGURATION, CLEAR_FEATURE, USBDEVFS_CONTROL): synchronous. data
 * holds the OUT data or receives the IN data (setup wLength bytes).
 * Returns the bytes transferred, or -EPIPE, -EPROTO, -ETIMEDOUT, -ENODEV. */
DFS_API int32_t dfs_emu_bus_sync_control(dfs_emu_bus *b, int64_t real_us, uint8_t address,
                                         const uint8_t setup[8], uint8_t *data,
                                         uint32_t timeout_ms);

/* USBDEVFS_RESET: port reset and the kernel's re-enumeration at the same
 * address. Returns 0 or -ENODEV. */
DFS_API int32_t dfs_emu_bus_port_reset(dfs_emu_bus *b, int64_t real_us, uint8_t address);

/* The device is pulled off the bus now (the host's URBs to it end with
 * -ESHUTDOWN), and plugged back in return_after_us later (DFS_EMU_NEVER:
 * it stays out): what a loose cable or a device resetting on its own does.
 * DFS_E_NOTFOUND when it is not on the bus. */
DFS_API dfs_result dfs_emu_bus_unplug(dfs_emu_bus *b, int64_t real_us, int64_t return_after_us);

/* Run what is due by real time (delayed completions, leaving, coming back).
 * Returns the real time of the next thing due, or -1. */
DFS_API int64_t dfs_emu_bus_poll(dfs_emu_bus *b, int64_t real_us);

/* The host program has ended: let everything already scheduled happen
 * (a device that leaves the bus, comes back and is enumerated), in
 * virtual time order, whatever the real clock says. */
DFS_API void dfs_emu_bus_finish(dfs_emu_bus *b, int64_t real_us);

/* Virtual time at which the host program ended, given the real time it
 * ended at: the last completion the host saw plus the real time since then
 * in whole seconds (a host that waits 10 s for a device to come back ends
 * 10 s later; less than a second is start-up and exit noise), and never
 * before the last record. The capture's end time (docs/emulation.md). */
DFS_API int64_t dfs_emu_bus_end_us(const dfs_emu_bus *b, int64_t real_us);
/* Virtual time of the first plug-in: when the capture starts. */
DFS_API int64_t dfs_emu_bus_start_us(const dfs_emu_bus *b);

/* Device number on the bus, 0 while the device is off it. */
DFS_API uint8_t dfs_emu_bus_address(const dfs_emu_bus *b);
/* Virtual time of the last record. */
DFS_API int64_t dfs_emu_bus_now(const dfs_emu_bus *b);

/* The clock rule for a host request (see the top of this file), exposed
 * for tests: virtual gap after the previous completion, given the real gap,
 * the bwPollTimeout that completion carried and whether it is the first
 * request after an enumeration. */
DFS_API int64_t dfs_emu_host_gap_us(int64_t real_gap_us, uint32_t wait_ms, bool first);
/* Virtual age of a cancelled URB from its real age. */
DFS_API int64_t dfs_emu_cancel_age_us(int64_t real_age_us);

#ifdef __cplusplus
}
#endif
#endif
