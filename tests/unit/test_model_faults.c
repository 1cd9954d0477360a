/* The faulty variants of the models that are not a part of one model's
 * story in test_models.c: descriptors, uploads, errors, strings, the
 * qualifier, addresses outside the memory map, vendor requests
 * (dfu-quirks.md, docs/emulation.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "model_rig.h"

static const uint8_t *functional(struct rig *r)
{
    assert_int_equal(req(r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, NULL), DFS_EMU_ACK);
    for (uint32_t off = 0; off + 2 <= r->rp.len && r->in[off] >= 2; off += r->in[off])
        if (r->in[off + 1] == DFS_DT_DFU_FUNCTIONAL)
            return r->in + off;
    return NULL;
}

static void descriptor_faults(void **state)
{
    (void)state;
    static const char *const none[] = {"no-functional-descriptor=1"};
    static const char *const seven[] = {"short-functional-descriptor"};
    static const char *const big[] = {"oversized-transfer-size=yes"};
    const char *models[] = {"stm32g0c1-bootloader", "dfuse-device", "dfu11-device"};
    for (int m = 0; m < 3; m++) {
        struct rig r;
        rig_new(&r, models[m], none, 1);
        assert_null(functional(&r));
        uint16_t total = (uint16_t)(r.in[2] | r.in[3] << 8);
        assert_int_equal(total, r.rp.len);
        rig_free(&r);
        rig_new(&r, models[m], seven, 1);
        const uint8_t *f = functional(&r);
        assert_non_null(f);
        assert_int_equal(f[0], 7);
        rig_free(&r);
        rig_new(&r, models[m], big, 1);
        f = functional(&r);
        assert_non_null(f);
        uint16_t announced = (uint16_t)(f[5] | f[6] << 8);
        uint16_t real = core(&r)->transfer_size;
        assert_int_equal(announced, 2 * real);
        uint8_t buf[4096] = {0};
        if (m < 2)
            dfuse_set_address(&r, 0x08000000);
        assert_int_equal(dnload(&r, 2, buf, announced), DFS_EMU_STALL);
        assert_int_equal(core(&r)->state, DFS_STATE_ERROR);
        rig_free(&r);
    }
}

static void upload_never_short(void **state)
{
    (void)state;
    static const char *const o[] = {"upload-never-short=1", "image-size=1500"};
    struct rig r;
    rig_new(&r, "dfu11-device", o, 2);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(upload(&r, (uint16_t)i, 1024), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 1024);
        assert_int_equal(core(&r)->state, DFS_STATE_UPLOAD_IDLE);
    }
    assert_int_equal(r.in[1023], 0xff); /* padding past the image */
    rig_free(&r);
}

static void no_error_after_stall(void **state)
{
    (void)state;
    static const char *const o[] = {"no-error-after-stall=1"};
    struct rig r;
    rig_new(&r, "dfu11-device", o, 1);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_DETACH, 0, 0, 0, NULL), DFS_EMU_STALL);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
    assert_int_equal(r.in[0], DFS_STATUS_OK);
    rig_free(&r);
}

static void clrstatus_idle_error(void **state)
{
    (void)state;
    static const char *const o[] = {"clrstatus-idle-error=1"};
    struct rig r;
    rig_new(&r, "dfuse-device", o, 1);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_ERROR);
    assert_int_equal(r.in[0], DFS_STATUS_ERR_UNKNOWN);
    assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_CLRSTATUS, 0, 0, 0, NULL), DFS_EMU_ACK);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
    rig_free(&r);
}

/* stm32l4-bootloader (dfu-quirks R2): the erase announces 10 ms and takes
 * 22; the GETSTATUS at 10 ms STALLs and leaves the state alone, the next
 * one says dfuDNBUSY/OK with the time left, then dfuDNLOAD-IDLE. Only once
 * per erase, and not with busy-stall=0. */
static void stm32l4_busy_stall(void **state)
{
    (void)state;
    for (int on = 1; on >= 0; on--) {
        static const char *const off[] = {"busy-stall=0"};
        struct rig r;
        rig_new(&r, "stm32l4-bootloader", on ? NULL : off, on ? 0 : 1);
        for (int page = 0; page < 2; page++) {
            assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_ERASE, 0x08000000u + 2048u * (uint32_t)page),
                             DFS_EMU_ACK);
            assert_int_equal(getstatus(&r), DFS_EMU_ACK);
            assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
            assert_int_equal(poll_ms(&r), 10);
            r.now += 10000;
            if (on) {
                assert_int_equal(getstatus(&r), DFS_EMU_STALL);
                assert_int_equal(core(&r)->state, DFS_STATE_DNBUSY);
            }
            assert_int_equal(getstatus(&r), DFS_EMU_ACK);
            assert_int_equal(r.in[0], DFS_STATUS_OK);
            assert_int_equal(r.in[4], DFS_STATE_DNBUSY);
            assert_int_equal(poll_ms(&r), 12);
            r.now += 12000;
            assert_int_equal(getstatus(&r), DFS_EMU_ACK);
            assert_int_equal(r.in[4], DFS_STATE_DNLOAD_IDLE);
        }
        rig_free(&r);
    }
}

/* gd32vf103-bootloader (dfu-quirks R31): the serial string's bytes as they
 * are, and a leave that takes the device away at the zero-length DNLOAD;
 * with utf8-serial=0 the serial is UTF-16LE. */
static void gd32vf103(void **state)
{
    (void)state;
    struct rig r;
    rig_new(&r, "gd32vf103-bootloader", NULL, 0);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0303, 0x0409, 255, NULL),
                     DFS_EMU_ACK);
    static const uint8_t raw[] = {6, DFS_DT_STRING, '3', 'C', 'B', 'J'};
    assert_int_equal(r.rp.len, sizeof raw);
    assert_memory_equal(r.in, raw, sizeof raw);
    dfuse_set_address(&r, 0x08000000u);
    assert_int_equal(dnload(&r, 2, NULL, 0), DFS_EMU_ACK);
    assert_true(r.rp.leave_at_us > 0);
    assert_true(core(&r)->resetting);
    rig_free(&r);
    static const char *const o[] = {"utf8-serial=0"};
    rig_new(&r, "gd32vf103-bootloader", o, 1);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0303, 0x0409, 255, NULL),
                     DFS_EMU_ACK);
    assert_int_equal(r.in[0], 10);
    assert_int_equal(r.in[3], 0);
    rig_free(&r);
}

/* tinyusb-dfu (dfu-quirks R14, TinyUSB PR #754 as merged): the functional
 * descriptor says manifestation tolerant, yet after the manifestation the
 * device waits in dfuMANIFEST-WAIT-RESET; with manifestation-bug=0 it is
 * back in dfuIDLE as DFU 1.1 says. */
static void tinyusb_manifestation(void **state)
{
    (void)state;
    for (int bug = 1; bug >= 0; bug--) {
        static const char *const off[] = {"manifestation-bug=0"};
        struct rig r;
        rig_new(&r, "tinyusb-dfu", bug ? NULL : off, bug ? 0 : 1);
        const uint8_t *f = NULL;
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0200, 0, 255, NULL),
                         DFS_EMU_ACK);
        for (uint32_t o = 0; o + 2 <= r.rp.len && r.in[o] >= 2; o += r.in[o])
            if (r.in[o + 1] == DFS_DT_DFU_FUNCTIONAL)
                f = r.in + o;
        assert_non_null(f);
        assert_true(f[2] & DFS_DFU_ATTR_MANIFEST_TOLERANT);
        assert_int_equal(f[5] | f[6] << 8, 64);
        uint8_t block[64] = {1, 2, 3};
        assert_int_equal(dnload(&r, 0, block, sizeof block), DFS_EMU_ACK);
        settle(&r);
        assert_int_equal(dnload(&r, 1, NULL, 0), DFS_EMU_ACK);
        settle(&r);
        if (r.in[4] == DFS_STATE_MANIFEST_SYNC) /* tolerant: one more GETSTATUS */
            assert_int_equal(getstatus(&r), DFS_EMU_ACK);
        assert_int_equal(r.in[4], bug ? DFS_STATE_MANIFEST_WAIT_RESET : DFS_STATE_DFU_IDLE);
        if (bug)
            assert_int_equal(req(&r, DFS_DFU_REQTYPE_OUT, DFS_DFU_ABORT, 0, 0, 0, NULL),
                             DFS_EMU_STALL);
        rig_free(&r);
    }
}

/* upload-never-short on a DfuSe device: the command list is padded too. */
static void upload_never_short_dfuse(void **state)
{
    (void)state;
    static const char *const o[] = {"upload-never-short=1"};
    struct rig r;
    rig_new(&r, "dfuse-device", o, 1);
    assert_int_equal(upload(&r, 0, 64), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 64);
    static const uint8_t cmds[4] = {0x00, 0x21, 0x41, 0x92};
    assert_memory_equal(r.in, cmds, 4);
    assert_int_equal(r.in[63], 0xff);
    assert_int_equal(core(&r)->state, DFS_STATE_UPLOAD_IDLE);
    rig_free(&r);
    /* without it the list ends short */
    rig_new(&r, "dfuse-device", NULL, 0);
    assert_int_equal(upload(&r, 0, 64), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 4);
    assert_int_equal(core(&r)->state, DFS_STATE_DFU_IDLE);
    rig_free(&r);
}

/* odd-string: the product string (iProduct 2) has an odd bLength and sends
 * that many bytes; the other strings are whole. */
static void odd_string(void **state)
{
    (void)state;
    static const char *const o[] = {"odd-string=1"};
    const char *models[] = {"stm32g0c1-bootloader", "dfuse-device", "dfu11-device"};
    for (int m = 0; m < 3; m++) {
        struct rig r;
        rig_new(&r, models[m], o, 1);
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0302, 0x0409, 255, NULL),
                         DFS_EMU_ACK);
        assert_true(r.in[0] & 1);
        assert_int_equal(r.rp.len, r.in[0]);
        assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0301, 0x0409, 255, NULL),
                         DFS_EMU_ACK);
        assert_false(r.in[0] & 1);
        assert_int_equal(r.rp.len, r.in[0]);
        rig_free(&r);
    }
}

/* qualifier-answered: a DEVICE_QUALIFIER from a full-speed-only device. */
static void qualifier_answered(void **state)
{
    (void)state;
    static const char *const o[] = {"qualifier-answered=1"};
    struct rig r;
    rig_new(&r, "dfuse-device", o, 1);
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0600, 0, 10, NULL), DFS_EMU_ACK);
    assert_int_equal(r.rp.len, 10);
    static const uint8_t q[10] = {10, 6, 0x00, 0x02, 0, 0, 0, 64, 1, 0};
    assert_memory_equal(r.in, q, 10);
    /* still no BOS */
    assert_int_equal(req(&r, 0x80, DFS_REQ_GET_DESCRIPTOR, 0x0f00, 0, 5, NULL), DFS_EMU_STALL);
    rig_free(&r);
}

/* silent-outside: a set-address nowhere is accepted and reads zeros. */
static void silent_outside(void **state)
{
    (void)state;
    static const char *const o[] = {"silent-outside=1"};
    const char *models[] = {"stm32g0c1-bootloader", "dfuse-device"};
    for (int m = 0; m < 2; m++) {
        struct rig r;
        rig_new(&r, models[m], o, 1);
        dfuse_set_address(&r, 0x30000000);
        assert_int_equal(r.in[0], DFS_STATUS_OK);
        abort_req(&r);
        assert_int_equal(upload(&r, 2, 64), DFS_EMU_ACK);
        assert_int_equal(r.rp.len, 64);
        for (int i = 0; i < 64; i++)
            assert_int_equal(r.in[i], 0);
        assert_int_equal(core(&r)->state, DFS_STATE_UPLOAD_IDLE);
        rig_free(&r);
        /* a correct device: dfuERROR/errTARGET */
        rig_new(&r, models[m], NULL, 0);
        assert_int_equal(dfuse_cmd(&r, DFS_DFUSE_SET_ADDRESS, 0x30000000), DFS_EMU_ACK);
        settle(&r);
        assert_int_equal(r.in[4], DFS_STATE_ERROR);
        assert_int_equal(r.in[0], DFS_STATUS_ERR_TARGET);
        rig_free(&r);
    }
}

/* vendor-no-answer: vendor requests time out instead of a STALL; the device
 * goes on answering everything else. */
static void vendor_no_answer(void **state)
{
    (void)state;
    static const char *const o[] = {"vendor-no-answer=1"};
    struct rig r;
    rig_new(&r, "dfu11-device", o, 1);
    assert_int_equal(req(&r, 0xc0, 0xee, 0, 0, 4, NULL), DFS_EMU_NO_ANSWER);
    assert_int_equal(req(&r, 0x40, 0x01, 0, 0, 0, NULL), DFS_EMU_NO_ANSWER);
    assert_int_equal(getstatus(&r), DFS_EMU_ACK);
    assert_int_equal(r.in[4], DFS_STATE_DFU_IDLE);
    rig_free(&r);
    rig_new(&r, "dfu11-device", NULL, 0);
    assert_int_equal(req(&r, 0xc0, 0xee, 0, 0, 4, NULL), DFS_EMU_STALL);
    rig_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptor_faults),
        cmocka_unit_test(upload_never_short),
        cmocka_unit_test(no_error_after_stall),
        cmocka_unit_test(clrstatus_idle_error),
        cmocka_unit_test(upload_never_short_dfuse),
        cmocka_unit_test(odd_string),
        cmocka_unit_test(qualifier_answered),
        cmocka_unit_test(silent_outside),
        cmocka_unit_test(vendor_no_answer),
        cmocka_unit_test(stm32l4_busy_stall),
        cmocka_unit_test(gd32vf103),
        cmocka_unit_test(tinyusb_manifestation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
