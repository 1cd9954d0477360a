/* The rig of the runner's tests (test_runner.c, test_runner_records.c): a
 * run of the runner against an emulated device (fixtures/models through
 * dfs_emu_transport on its virtual clock), with what reached the device
 * counted, the device pulled off the bus on request, and the usbmon records
 * the run writes kept. */
#ifndef DFS_TEST_RUNNER_RIG_H
#define DFS_TEST_RUNNER_RIG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfuscope/capture.h"
#include "dfuscope/decoder.h"
#include "dfuscope/emulator.h"
#include "internal.h"
#include "watched.h"

#define G0C1 "stm32g0c1-bootloader"
#define DFUSE "dfuse-device"
#define DFU11 "dfu11-device"
#define ALL_SUITES ((1u << DFS_SUITE__COUNT) - 1)

/* ---- helpers ---------------------------------------------------------------------------------- */

struct recorder {
    uint8_t *buf;
    size_t len, cap;
    unsigned records;
    volatile sig_atomic_t *stop;
    const char *stop_after_text; /* set the stop flag when a step with this text ends */
};

void rec_record(void *user, struct dfs_time ts, const uint8_t *rec, size_t len);
void rec_step(void *user, const dfs_report *rep, size_t i);

/* A device: a model, its options, and whether it vanishes from the bus at
 * the runner's request after vanish_after (0: never). */
struct device {
    const char *model;
    const char *opts[4];
    unsigned vanish_after;
};

size_t n_opts(const struct device *d);

struct run {
    struct dfs_emu_device dev;
    struct dfs_transport emu; /* the emulated device */
    struct dfs_transport tp;  /* what the runner talks to: emu, watched */
    struct watched watch;     /* in front of emu: counts, pulls the device */
    dfs_report *rep;
    struct recorder rec;
    struct dfs_clock clock;
    struct dfs_run_options o;
    volatile sig_atomic_t stop;
};

/* DFU class requests of that bRequest that reached the device; whether it
 * is on the bus. */
unsigned dfu_requests(const struct run *r, uint8_t bRequest);
bool present(const struct run *r);
/* A run on a new instance of dv's model, the runner talking to it through
 * a transport that counts what reaches the device and pulls the device off
 * the bus at the request after dv->vanish_after of them. */
void run_setup(struct run *r, const struct device *dv, unsigned allow);
void run_free(struct run *r);
void run_suites(struct run *r, unsigned suites);
dfs_script *parse(const char *text);
void run_script(struct run *r, const char *text);

/* "id,id" of the checks that failed (FAIL or ERROR), in report order. */
void failed_ids(const dfs_report *rep, char *buf, size_t size);
void dump(const dfs_report *rep);
void expect_failed(const dfs_report *rep, const char *want, const char *what);
const struct dfs_check_result *find_check(const dfs_report *rep, const char *id);

/* the seed: SEC_SIZE option byte of an STM32G0C1 over DfuSe */
extern const char ob_write[];

#endif
