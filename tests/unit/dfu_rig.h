/* The rig of the DFU layer's tests (test_dfu.c, test_dfu_capture.c,
 * test_dfu_sessions.c), on
 * top of session.h: the frames of an enumeration, what a scenario expects
 * and how the findings are checked against it, the clean sessions and the
 * seed's write. */
#ifndef DFS_TEST_DFU_RIG_H
#define DFS_TEST_DFU_RIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

/* A block of data to write, filled by fill_block(seed). */
extern uint8_t block[4096];
void fill_block(uint32_t seed);

/* The completion of the control transfer submitted at frame `submit`. */
#define DONE(submit) ((submit) + 1)

/* Frames of the enumeration sess_enumerate() records. */
struct enum_frames {
    uint64_t first;       /* its first record (the device appearing) */
    uint64_t config;      /* completion of GET_DESCRIPTOR(CONFIGURATION), the whole set */
    uint64_t alt_name[8]; /* completion of each alternate setting's string (a DfuSe layout) */
};

/* Enumerate dd in s, checking the frames sess_enumerate() took. */
struct enum_frames enumerate(struct sess *s, const struct sess_dev_desc *dd);
/* A new session (device 1.6): dd enumerated, alternate setting alt selected,
 * the device in dfuIDLE. */
struct enum_frames begin(struct sess *s, const struct sess_dev_desc *dd, uint8_t alt);

/* ---- what a scenario expects ------------------------------------------------------ */

struct want {
    const char *id;
    uint64_t frame;
    uint64_t frames[DFS_FINDING_MAX_FRAMES];
    unsigned n_frames;
};

struct expect {
    struct want w[8];
    int n;
};

void want_add(struct expect *e, const char *id, uint64_t frame, const uint64_t *frames,
              size_t n);

/* WANT(e, id, frame, evidence frames...): the finding `id` at `frame`,
 * citing exactly these frames, in this order. */
#define WANT(e, id, frame, ...)                                                                    \
    want_add(e, id, frame, (const uint64_t[]){__VA_ARGS__},                                        \
             sizeof((const uint64_t[]){__VA_ARGS__}) / sizeof(uint64_t))

/* Every finding expected fires once, with exactly its frames; nothing else
 * fires at warning or error severity, and no other finding of an expected id
 * (notes of other ids may come along). */
void check_findings(const struct sess *s, const struct expect *e);
void assert_no_warnings(const struct sess *s);

/* A scenario that proves the finding `id` (test_dfu.c runs each). */
struct scenario {
    const char *id;
    void (*run)(struct sess *s, struct expect *e);
};

/* The scenarios of the capture.* and usb.* findings (test_dfu_capture.c). */
extern const struct scenario capture_scenarios[];
extern const size_t n_capture_scenarios;

/* ---- clean sessions ------------------------------------------------------------- */

/* Faultless sessions, finished: DfuSe (device 1.6, GOOD_DFUSE) and DFU 1.1
 * (GOOD_DFU11, a download and its upload). */
void clean_dfuse(struct sess *s);
void clean_dfu11(struct sess *s);

/* ---- the seed: STM32CubeProgrammer writing SEC_SIZE at 0x1FFF7870 ------------- */

/* The frames of the seed session that its findings cite. */
struct seed_frames {
    struct enum_frames en;
    uint64_t upload;      /* UPLOAD of the option bytes at 0x1FFF7800 */
    uint64_t set_address; /* SET_ADDRESS 0x1FFF7870, in the option bytes */
    uint64_t dnload;      /* the 4-byte write there */
    uint64_t fail;        /* the GETSTATUS that executes it, stalled */
};

/* The seed up to the failure; nothing is recorded after it. */
void seed_write(struct sess *s, struct seed_frames *sf);
/* What the seed's device and accesses raise whatever happens after the
 * failure, and the reset during the write. */
void want_seed_common(struct expect *e, const struct seed_frames *sf);
void want_seed_reset(struct expect *e, const struct seed_frames *sf);

/* t moved by us microseconds (either way). */
struct dfs_time later(struct dfs_time t, int64_t us);

#endif
