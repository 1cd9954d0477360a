/* The model tests' rig: one model instance, its requests sent one by one
 * on virtual time, each answer in `rp`/`in` (test_models.c,
 * test_model_faults.c). */
#ifndef DFS_TEST_MODEL_RIG_H
#define DFS_TEST_MODEL_RIG_H

#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "dfuscope/emulator.h"

struct rig {
    struct dfs_emu_device dev;
    uint64_t now;
    struct dfs_emu_reply rp;
    uint8_t in[4096];
};

/* A model by name with options, attached, reset, addressed and configured
 * at 1 s; rig_free releases it. */
void rig_new(struct rig *r, const char *model, const char *const *opts, size_t n);
void rig_free(struct rig *r);
/* Every model's state starts with its struct dfs_emu__dev. */
struct dfs_emu__dev *core(struct rig *r);
/* One control request at r->now; the answer's data lands in r->in. */
enum dfs_emu_answer req(struct rig *r, uint8_t type, uint8_t bRequest, uint16_t wValue,
                        uint16_t wIndex, uint16_t wLength, const uint8_t *out);

/* DFU requests */
enum dfs_emu_answer getstatus(struct rig *r);
uint32_t poll_ms(const struct rig *r); /* bwPollTimeout of the last GETSTATUS */
enum dfs_emu_answer dnload(struct rig *r, uint16_t block, const uint8_t *p, uint16_t n);
enum dfs_emu_answer upload(struct rig *r, uint16_t block, uint16_t n);
enum dfs_emu_answer dfuse_cmd(struct rig *r, uint8_t cmd, uint32_t addr);
/* GETSTATUS until not busy, waiting bwPollTimeout each time (virtual). */
void settle(struct rig *r);
/* A DfuSe SET_ADDRESS that must succeed (dfuDNLOAD-IDLE after it). */
void dfuse_set_address(struct rig *r, uint32_t addr);
void abort_req(struct rig *r);

#endif
