/* An in-process DFU device for the runner's tests: a plain DFU 1.1 device,
 * a well-formed DfuSe device and the STM32G0C1 system bootloader of the
 * seed report (three alternate settings with one layout, an option-byte
 * write that resets the chip), each with optional faults named as the
 * emulated devices name them (fixtures/, `dfuscope emulate --option`).
 * Time is virtual: the transport's clock only moves when the runner waits
 * or a request takes time, so timing rules are exact and tests are fast. */
#ifndef DFS_TESTS_FAKEDEV_H
#define DFS_TESTS_FAKEDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "dfuscope/runner.h"

enum fake_model { FAKE_DFUSE, FAKE_DFU11, FAKE_G0C1 };

enum fake_fault {
    FAULT_ZERO_POLL = 1u << 0,       /* zero-poll-timeout */
    FAULT_SHORT_POLL = 1u << 1,      /* short-poll-timeout */
    FAULT_OVERSIZED_XFER = 1u << 2,  /* oversized-transfer-size */
    FAULT_NO_FUNCTIONAL = 1u << 3,   /* no-functional-descriptor */
    FAULT_FUNCTIONAL_7 = 1u << 4,    /* short-functional-descriptor */
    FAULT_NO_ERROR_AFTER_STALL = 1u << 5, /* no-error-after-stall */
    FAULT_UPLOAD_NEVER_SHORT = 1u << 6,   /* upload-never-short */
    FAULT_CLRSTATUS_IDLE = 1u << 7,       /* clrstatus-idle-error */
    FAULT_ODD_STRING = 1u << 8,           /* a string descriptor of odd length */
    FAULT_QUALIFIER_ANSWERED = 1u << 9,   /* a full-speed device answers DEVICE_QUALIFIER */
    FAULT_SILENT_OUTSIDE = 1u << 10,      /* reads outside memory return zeros */
};

enum fake_after_reset { FAKE_GONE, FAKE_BACK_DFU };

struct fake_opts {
    enum fake_model model;
    unsigned faults;
    enum fake_after_reset after_reset; /* G0C1 option-byte write, DfuSe leave */
    uint32_t reset_ms, return_ms;
    enum dfs_usb_speed speed;
    bool vanish_after;        /* leave the bus after vanish_after_requests requests */
    unsigned vanish_after_requests;
};

void fake_opts_init(struct fake_opts *o, enum fake_model m);

struct fake;

/* A device and a transport + clock reaching it. */
struct fake *fake_new(const struct fake_opts *o);
void fake_free(struct fake *f);
void fake_transport(struct fake *f, struct dfs_transport *t);
void fake_clock(struct fake *f, struct dfs_clock *c);
uint64_t fake_now_us(const struct fake *f);

/* What the device saw: requests by bRequest of DFU class requests, DNLOADs
 * with data, and memory. */
unsigned fake_dfu_requests(const struct fake *f, uint8_t bRequest);
unsigned fake_requests(const struct fake *f);
unsigned fake_data_dnloads(const struct fake *f);
bool fake_present(const struct fake *f);
unsigned fake_enumerations(const struct fake *f);
const uint8_t *fake_mem(const struct fake *f, uint32_t addr, uint32_t len);
uint8_t fake_devnum(const struct fake *f);

#endif
