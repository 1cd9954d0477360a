/* The atmel-flip model against the FLIP protocol 1 of Atmel doc7618 as
 * dfu-programmer 0.6.1 (src/atmel.c) speaks it: the command blocks are
 * built here by hand from the datasheet's layout, not by the model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model_rig.h"

/* 0x01 program start: a 32-byte block [01 mem start end], the data, a
 * 16-byte trailer */
static enum dfs_emu_answer program(struct rig *r, uint8_t mem, uint16_t start, const uint8_t *p,
                                   uint16_t n)
{
    static uint8_t msg[32 + 0x400 + 16];
    memset(msg, 0, sizeof msg);
    uint16_t end = (uint16_t)(start + n - 1);
    const uint8_t hdr[6] = {0x01, mem, (uint8_t)(start >> 8), (uint8_t)start,
                            (uint8_t)(end >> 8), (uint8_t)end};
    memcpy(msg, hdr, sizeof hdr);
    memcpy(msg + 32, p, n);
    memcpy(msg + 32 + n + 4, "\x10" "DFU", 4);
    return dnload(r, 0, msg, (uint16_t)(32 + n + 16));
}

static enum dfs_emu_answer cmd(struct rig *r, const uint8_t *p, uint16_t n)
{
    return dnload(r, 0, p, n);
}

static void expect_status(struct rig *r, uint8_t status, uint8_t state)
{
    assert_int_equal(getstatus(r), DFS_EMU_ACK);
    assert_int_equal(r->in[0], status);
    assert_int_equal(poll_ms(r), 0);
    assert_int_equal(r->in[4], state);
}

/* one interface of class 0/0/0 and no functional descriptor (R25) */
static void descriptors(void **state)
{
    (void)state;
    static const char *const o[] = {"part=at90usb1287"};
    for (int p = 0; p < 2; p++) {
        struct rig r;
        rig_new(&r, "atmel-flip", p ? o : NULL, p ? 1 : 0);
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0100, 0, 18, NULL),
                         DFS_EMU_ACK);
        assert_int_equal(r.in[8] | r.in[9] << 8, 0x03eb);
        assert_int_equal(r.in[10] | r.in[11] << 8, p ? 0x2ffb : 0x2ff4);
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, NULL),
                         DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 18);
        assert_int_equal(r.in[9 + 1], DFS_DT_INTERFACE);
        assert_int_equal(r.in[9 + 5], 0); /* bInterfaceClass */
        assert_int_equal(r.in[9 + 6], 0);
        assert_int_equal(r.in[9 + 7], 0);
        rig_free(&r);
    }
}

/* chip erase, program, read back; a blank check before and after */
static void erase_program_read(void **state)
{
    (void)state;
    static const char *const o[] = {"flash=app"};
    struct rig r;
    rig_new(&r, "atmel-flip", o, 1);
    static const uint8_t blank[6] = {0x03, 0x01, 0x00, 0x00, 0x6f, 0xff};
    assert_int_equal(cmd(&r, blank, 6), DFS_EMU_ACK);
    expect_status(&r, DFS_STATUS_ERR_CHECK_ERASED, DFS_STATE_ERROR);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                     DFS_EMU_ACK);
    static const uint8_t erase[3] = {0x04, 0x00, 0xff};
    assert_int_equal(cmd(&r, erase, 3), DFS_EMU_ACK);
    assert_true(r.rp.busy_us > 0);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);
    assert_int_equal(cmd(&r, blank, 6), DFS_EMU_ACK);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);

    uint8_t data[0x400];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(program(&r, 0, 0x0400, data, sizeof data), DFS_EMU_ACK);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DNLOAD_IDLE);
    static const uint8_t show[6] = {0x03, 0x00, 0x04, 0x00, 0x07, 0xff};
    assert_int_equal(cmd(&r, show, 6), DFS_EMU_ACK);
    assert_int_equal(upload(&r, 1, 0x400), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 0x400);
    assert_memory_equal(r.in, data, sizeof data);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);

    /* programming clears bits only: over the same bytes, a zero stays zero */
    uint8_t ones[4] = {0xff, 0xff, 0xff, 0xff};
    assert_int_equal(program(&r, 0, 0x0400, ones, 4), DFS_EMU_ACK);
    static const uint8_t show4[6] = {0x03, 0x00, 0x04, 0x00, 0x04, 0x03};
    assert_int_equal(cmd(&r, show4, 6), DFS_EMU_ACK);
    assert_int_equal(upload(&r, 2, 4), DFS_EMU_ACK);
    assert_memory_equal(r.in, data, 4);
    rig_free(&r);
}

/* read commands answer one byte in an UPLOAD from dfuIDLE */
static void signature(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "atmel-flip", NULL, 0);
    static const uint8_t want[3] = {0x1e, 0x95, 0x87};
    static const uint8_t which[3] = {0x30, 0x31, 0x60};
    for (int i = 0; i < 3; i++) {
        const uint8_t c[3] = {0x05, 0x01, which[i]};
        assert_int_equal(cmd(&r, c, 3), DFS_EMU_ACK);
        expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);
        assert_int_equal(upload(&r, 0, 1), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 1);
        assert_int_equal(r.in[0], want[i]);
    }
    rig_free(&r);
}

/* the AT90USB1287's second 64 KiB page; no third page */
static void select_page(void **state)
{
    (void)state;
    static const char *const o[] = {"part=at90usb1287"};
    struct rig r;
    rig_new(&r, "atmel-flip", o, 1);
    static const uint8_t page1[4] = {0x06, 0x03, 0x00, 0x01};
    assert_int_equal(cmd(&r, page1, 4), DFS_EMU_ACK);
    uint8_t data[16] = "second page....";
    assert_int_equal(program(&r, 0, 0x0010, data, 16), DFS_EMU_ACK);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DNLOAD_IDLE);
    static const uint8_t show[6] = {0x03, 0x00, 0x00, 0x10, 0x00, 0x1f};
    assert_int_equal(cmd(&r, show, 6), DFS_EMU_ACK);
    assert_int_equal(upload(&r, 0, 16), DFS_EMU_ACK);
    assert_memory_equal(r.in, data, 16);
    static const uint8_t page0[4] = {0x06, 0x03, 0x00, 0x00};
    assert_int_equal(cmd(&r, page0, 4), DFS_EMU_ACK);
    assert_int_equal(cmd(&r, show, 6), DFS_EMU_ACK);
    assert_int_equal(upload(&r, 0, 16), DFS_EMU_ACK);
    assert_int_equal(r.in[0], 0xff);
    static const uint8_t page2[4] = {0x06, 0x03, 0x00, 0x02};
    assert_int_equal(cmd(&r, page2, 4), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_ADDRESS, DFS_STATE_ERROR);
    rig_free(&r);
}

/* bad command blocks: STALL and dfuERROR with a status that says why */
static void bad_blocks(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "atmel-flip", NULL, 0);
    uint8_t data[4] = {1, 2, 3, 4};
    /* into the bootloader's own 4 KiB at 0x7000 */
    assert_int_equal(program(&r, 0, 0x7000, data, 4), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_ADDRESS, DFS_STATE_ERROR);
    abort_req(&r);
    /* end before start */
    static const uint8_t back[32 + 16] = {0x01, 0x00, 0x00, 0x10, 0x00, 0x0f};
    assert_int_equal(cmd(&r, back, sizeof back), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_ADDRESS, DFS_STATE_ERROR);
    abort_req(&r);
    /* a range longer than the data that came */
    static const uint8_t shortmsg[32 + 16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0xff};
    assert_int_equal(cmd(&r, shortmsg, sizeof shortmsg), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_FILE, DFS_STATE_ERROR);
    abort_req(&r);
    /* a lone command byte, an unknown command */
    static const uint8_t lone[1] = {0x01}, unknown[3] = {0x42, 0, 0};
    assert_int_equal(cmd(&r, lone, 1), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_STALLEDPKT, DFS_STATE_ERROR);
    abort_req(&r);
    assert_int_equal(cmd(&r, unknown, 3), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_STALLEDPKT, DFS_STATE_ERROR);
    rig_free(&r);
}

/* security bit: writes refused until a chip erase */
static void secure(void **state)
{
    (void)state;
    static const char *const o[] = {"secure=1"};
    struct rig r;
    rig_new(&r, "atmel-flip", o, 1);
    uint8_t data[4] = {1, 2, 3, 4};
    assert_int_equal(program(&r, 0, 0, data, 4), DFS_EMU_STALL);
    expect_status(&r, DFS_STATUS_ERR_WRITE, DFS_STATE_ERROR);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL),
                     DFS_EMU_ACK);
    static const uint8_t erase[3] = {0x04, 0x00, 0xff};
    assert_int_equal(cmd(&r, erase, 3), DFS_EMU_ACK);
    assert_int_equal(program(&r, 0, 0, data, 4), DFS_EMU_ACK);
    expect_status(&r, DFS_STATUS_OK, DFS_STATE_DNLOAD_IDLE);
    rig_free(&r);
}

/* start application: armed by 04 03 00, done at the zero-length DNLOAD */
static void start_app(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "atmel-flip", NULL, 0);
    static const uint8_t start[3] = {0x04, 0x03, 0x00};
    assert_int_equal(cmd(&r, start, 3), DFS_EMU_ACK);
    assert_int_equal(r.rp.leave_at_us, DFS_EMU_NEVER);
    assert_int_equal(dnload(&r, 0, NULL, 0), DFS_EMU_ACK);
    assert_true(r.rp.leave_at_us > 0);
    assert_int_equal(r.rp.return_after_us, DFS_EMU_NEVER);
    assert_true(core(&r)->resetting);
    rig_free(&r);
}

/* CLRSTATUS in dfuIDLE: ignored (the model's FLIP answer); with the faulty
 * variant clrstatus-idle-error it drives the device to dfuERROR/errUNKNOWN,
 * as ST's middleware does (R15), and CLRSTATUS then clears it */
static void clrstatus_idle(void **state)
{
    (void)state;
    static const char *const o[] = {"clrstatus-idle-error=1"};
    for (int f = 0; f < 2; f++) {
        struct rig r;
        rig_new(&r, "atmel-flip", f ? o : NULL, f ? 1 : 0);
        assert_int_equal(req(&r, 0x21, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
        if (f)
            expect_status(&r, DFS_STATUS_ERR_UNKNOWN, DFS_STATE_ERROR);
        else
            expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);
        assert_int_equal(req(&r, 0x21, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
        expect_status(&r, DFS_STATUS_OK, DFS_STATE_DFU_IDLE);
        rig_free(&r);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptors), cmocka_unit_test(erase_program_read),
        cmocka_unit_test(signature),   cmocka_unit_test(select_page),
        cmocka_unit_test(bad_blocks),  cmocka_unit_test(secure),
        cmocka_unit_test(start_app),   cmocka_unit_test(clrstatus_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
