/* The model tests' rig (model_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "model_rig.h"

struct dfs_emu__dev *core(struct rig *r) { return (struct dfs_emu__dev *)r->dev.state; }

enum dfs_emu_answer req(struct rig *r, uint8_t type, uint8_t bRequest, uint16_t wValue,
                        uint16_t wIndex, uint16_t wLength, const uint8_t *out)
{
    struct dfs_emu_request rq = {
        .setup = {type, bRequest, wValue, wIndex, wLength},
        .data = out,
        .now_us = r->now,
    };
    r->rp.data = r->in;
    dfs_emu_device_control(&r->dev, &rq, &r->rp);
    return r->rp.answer;
}

void rig_new(struct rig *r, const char *model, const char *const *opts, size_t n)
{
    memset(r, 0, sizeof *r);
    r->now = 1000000;
    char err[300];
    const struct dfs_emu_model *m = dfs_emu_model_find(model);
    assert_non_null(m);
    if (dfs_emu_device_new(m, opts, n, &r->dev, err, sizeof err) != DFS_OK)
        fail_msg("%s", err);
    m->attach(r->dev.state, r->now);
    m->bus_reset(r->dev.state, r->now);
    assert_int_equal(req(r, 0x00, DFS_REQ_SET_ADDRESS, 6, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(req(r, 0x00, DFS_REQ_SET_CONFIGURATION, 1, 0, 0, NULL), DFS_EMU_ACK);
}

void rig_free(struct rig *r) { dfs_emu_device_free(&r->dev); }

enum dfs_emu_answer getstatus(struct rig *r)
{
    return req(r, DFS_DFU_REQTYPE_IN, DFS_DFU_GETSTATUS, 0, 0, DFS_GETSTATUS_LEN, NULL);
}
uint32_t poll_ms(const struct rig *r)
{
    return (uint32_t)r->in[1] | (uint32_t)r->in[2] << 8 | (uint32_t)r->in[3] << 16;
}
enum dfs_emu_answer dnload(struct rig *r, uint16_t block, const uint8_t *p, uint16_t n)
{
    return req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DNLOAD, block, 0, n, p);
}
enum dfs_emu_answer upload(struct rig *r, uint16_t block, uint16_t n)
{
    return req(r, DFS_DFU_REQTYPE_IN, DFS_DFU_UPLOAD, block, 0, n, NULL);
}
enum dfs_emu_answer dfuse_cmd(struct rig *r, uint8_t cmd, uint32_t addr)
{
    uint8_t b[5] = {cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                    (uint8_t)(addr >> 24)};
    return dnload(r, 0, b, 5);
}
void settle(struct rig *r)
{
    for (int i = 0; i < 100; i++) {
        assert_int_equal(getstatus(r), DFS_EMU_ACK);
        if (r->in[4] != DFS_STATE_DNBUSY && r->in[4] != DFS_STATE_MANIFEST)
            return;
        r->now += (uint64_t)poll_ms(r) * 1000 + 100;
    }
    fail_msg("device stays busy");
}
void dfuse_set_address(struct rig *r, uint32_t addr)
{
    assert_int_equal(dfuse_cmd(r, DFS_DFUSE_SET_ADDRESS, addr), DFS_EMU_ACK);
    settle(r);
    assert_int_equal(r->in[4], DFS_STATE_DNLOAD_IDLE);
}
void abort_req(struct rig *r)
{
    assert_int_equal(req(r, DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, 0, NULL), DFS_EMU_ACK);
}
