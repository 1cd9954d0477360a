/* Findings that need the device's own answer to be true (issue 15): a read
 * past the layout the device refused, a string descriptor in 8-bit text, and
 * the cases where the same request or bytes prove nothing. The frames and values come from the layouts and the DFU
 * 1.1 / DfuSe rules (dfu-facts.md 1-2), not from the decoder's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "truth_scenarios.h"

#define EPIPE_STALL (-32)

static uint64_t upload_stalled(struct sess *s, uint16_t blk, uint16_t wLength)
{
    uint8_t st[8];
    setup8(st, 0xA1, 2, blk, s->ifnum, wLength);
    return sess_ctl(s, st, NULL, 0, EPIPE_STALL, NULL, 0);
}

/* GOOD_DFUSE's alt 0 holds 256 pages of 2 KiB from 0x08000000: its last
 * page is at 0x0807F800, and block 3 after SET_ADDRESS 0x0807F800 asks for
 * 0x08080000, the first byte past it. */
static void last_page_then_past(struct sess *s, struct enum_frames *en, uint64_t *past,
                                int32_t status)
{
    *en = begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x0807F800, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
    fill_block(7);
    sess_upload(s, 2, 2048, block, 2048);
    if (status)
        *past = upload_stalled(s, 3, 2048);
    else
        *past = sess_upload(s, 3, 2048, block, 2048);
}

/* fwupd's dump: one block past the layout, STALLed by the device */
static void refused_read_past_layout(void **state)
{
    (void)state;
    struct sess s;
    struct enum_frames en;
    uint64_t past;
    last_page_then_past(&s, &en, &past, EPIPE_STALL);
    sess_finish(&s); /* the host stops there, as fwupd does */
    struct expect e = {.n = 0};
    WANT(&e, "dfuse.address-outside-layout", past, en.alt_name[0], past);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfuse.address-outside-layout");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "2048 bytes at 0x08080000"));
    assert_non_null(strstr(f->explanation, "STALLed"));
    /* the device refused it: no advice to force the read through */
    assert_null(strstr(f->remedy, ":force"));
    sess_free(&s);
}

/* the same read answered: the device served memory its layout does not
 * advertise, the finding of sc_address_outside_layout */
static void answered_read_past_layout(void **state)
{
    (void)state;
    struct sess s;
    struct enum_frames en;
    uint64_t past;
    last_page_then_past(&s, &en, &past, 0);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "dfuse.address-outside-layout");
    assert_non_null(f);
    assert_int_equal(f->frame, past);
    assert_null(strstr(f->explanation, "STALLed"));
    assert_non_null(strstr(f->remedy, ":force"));
    sess_free(&s);
}

/* a STALLed read inside the layout says nothing about the layout */
static void refused_read_inside_layout(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(&s, 5);
    sess_simple(&s, DFS_DFU_ABORT, 0);
    upload_stalled(&s, 2, 2048);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "dfuse.address-outside-layout"), 0);
    sess_free(&s);
}

/* a read that never completed reached no device: no finding about it */
static void unanswered_read_past_layout(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08080000, true);
    sess_execute(&s, 5);
    sess_simple(&s, DFS_DFU_ABORT, 0);
    uint8_t st[8];
    setup8(st, 0xA1, 2, 2, s.ifnum, 2048);
    sess_ctl(&s, st, NULL, 0, -19 /* -ENODEV */, NULL, 0);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "dfuse.address-outside-layout"), 0);
    sess_free(&s);
}

/* ---- desc.string-not-utf16 -------------------------------------------------------- */

static void string_not_utf16(void **state)
{
    (void)state;
    struct sess s;
    struct expect e = {.n = 0};
    sc_string_not_utf16(&s, &e);
    check_findings(&s, &e);
    sess_free(&s);
}

/* bLength odd: no UTF-16LE string has one */
static void string_odd_length(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GD32_DEVICE, 0);
    static const uint8_t serial[] = {7, 3, '3', 'C', 'B', 'J', '5'};
    uint64_t at = read_raw_string(&s, 3, serial, sizeof serial);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "desc.string-not-utf16");
    assert_non_null(f);
    assert_int_equal(f->frame, DONE(at));
    assert_non_null(strstr(f->explanation, "\"3CBJ5\""));
    assert_non_null(strstr(f->explanation, "bLength 7 is odd"));
    sess_free(&s);
}

/* UTF-16LE strings stay silent: ASCII with zero high bytes, and Chinese
 * whose bytes happen to be printable ASCII (U+4E2D U+6587, "-N" "ge") */
static void string_utf16_silent(void **state)
{
    (void)state;
    struct sess s;
    struct sess_dev_desc dd = GD32_DEVICE;
    dd.serial = "3CBJ";
    begin(&s, &dd, 0);
    static const uint8_t chinese[] = {6, 3, 0x2d, 0x4e, 0x87, 0x65};
    static const uint8_t chinese_ascii[] = {6, 3, 0x2d, 0x4e, 0x67, 0x65};
    read_raw_string(&s, 4, chinese, sizeof chinese);
    read_raw_string(&s, 5, chinese_ascii, sizeof chinese_ascii);
    /* a single byte of text proves nothing */
    static const uint8_t one[] = {3, 3, 'A'};
    read_raw_string(&s, 9, one, sizeof one);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "desc.string-not-utf16"), 0);
    sess_free(&s);
}

/* ---- dfu.dnload-stall -------------------------------------------------------------- */

static void dnload_stall_scenarios(void **state)
{
    (void)state;
    void (*const sc[])(struct sess *, struct expect *) = {sc_dnload_stall,
                                                          sc_dnload_stall_after_clrstatus};
    for (size_t i = 0; i < sizeof sc / sizeof sc[0]; i++) {
        struct sess s;
        struct expect e = {.n = 0};
        sc[i](&s, &e);
        check_findings(&s, &e);
        sess_free(&s);
    }
}

/* a block longer than wTransferSize is dfu.transfer-size-exceeded's; a
 * STALL that never reached the device, or in a state no one knows, says
 * nothing about the device */
static void dnload_stall_silent(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFU11, 0);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    fill_block(4);
    sess_dnload(&s, 0, block, 512, EPIPE_STALL); /* wTransferSize 256 */
    sess_getstatus(&s, DFS_STATUS_ERR_STALLEDPKT, 0, DFS_STATE_ERROR);
    sess_simple(&s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_dnload(&s, 0, block, 256, -19 /* -ENODEV */);
    sess_getstatus_fail(&s, -71); /* the state is unknown from here */
    sess_dnload(&s, 0, block, 256, EPIPE_STALL);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "dfu.dnload-stall"), 0);
    assert_int_equal(sess_count(&s, "dfu.transfer-size-exceeded"), 1);
    sess_free(&s);
}

/* a CLRSTATUS from a dfuERROR the device reported leads to dfuIDLE: a
 * STALL after it is refused in a known state, and R15 is not named */
static void dnload_stall_after_checked_clrstatus(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFUSE, 0);
    sess_getstatus(&s, DFS_STATUS_ERR_ADDRESS, 0, DFS_STATE_ERROR);
    sess_simple(&s, DFS_DFU_CLRSTATUS, 0);
    uint64_t erase = erase_stalled(&s, 0x08000000);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "dfu.dnload-stall");
    assert_non_null(f);
    assert_int_equal(f->frame, erase);
    assert_int_equal(f->n_frames, 1);
    assert_non_null(strstr(f->explanation, "STALLed in dfuIDLE"));
    assert_null(strstr(f->explanation, "R15"));
    sess_free(&s);
}

/* after an unchecked CLRSTATUS on a VID:PID the quirk table does not know,
 * R15 is named as what such devices do, not as this device's known quirk */
static void dnload_stall_after_clrstatus_unknown_family(void **state)
{
    (void)state;
    struct sess s;
    struct sess_dev_desc other = GOOD_DFUSE;
    other.vid = 0x1209;
    other.pid = 0x0002;
    begin(&s, &other, 0);
    uint64_t clr = sess_simple(&s, DFS_DFU_CLRSTATUS, 0);
    uint64_t erase = erase_stalled(&s, 0x08000000);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "dfu.dnload-stall");
    assert_non_null(f);
    assert_int_equal(f->frame, erase);
    assert_true(finding_has_frame(f, clr));
    assert_null(strstr(f->explanation, "known quirk R15"));
    assert_non_null(strstr(f->explanation, "dfu-quirks R15"));
    sess_free(&s);
}

/* ---- known quirks named only in their context ---------------------------------------- */

/* The explanation of the one finding `id` of a session. */
static const char *only(const struct sess *s, const char *id)
{
    assert_int_equal(sess_count(s, id), 1);
    return sess_find(s, id)->explanation;
}

/* R15 (ST's middleware: CLRSTATUS outside dfuERROR leads to dfuERROR/
 * errUNKNOWN) explains a dfuERROR right after a CLRSTATUS the device took in
 * dfuIDLE (0483:df11 is a VID:PID ST's middleware keeps) */
static void error_state_r15_after_clrstatus(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFUSE, 0);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_simple(&s, DFS_DFU_CLRSTATUS, 0);
    uint64_t err = sess_getstatus(&s, DFS_STATUS_ERR_UNKNOWN, 0, DFS_STATE_ERROR);
    sess_finish(&s);
    assert_int_equal(sess_find(&s, "dfu.error-state")->frame, err);
    assert_non_null(strstr(only(&s, "dfu.error-state"), "known quirk R15"));
    sess_free(&s);
}

/* the same dfuERROR/errUNKNOWN after a STALLed erase, or after a CLRSTATUS
 * from a dfuERROR the device reported: R15 has nothing to do with it */
static void error_state_not_r15(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        struct sess s;
        begin(&s, &GOOD_DFUSE, 0);
        if (c == 0) {
            sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
            erase_stalled(&s, 0x08000000);
        } else {
            sess_getstatus(&s, DFS_STATUS_ERR_ADDRESS, 0, DFS_STATE_ERROR);
            sess_simple(&s, DFS_DFU_CLRSTATUS, 0);
        }
        sess_getstatus(&s, DFS_STATUS_ERR_UNKNOWN, 0, DFS_STATE_ERROR);
        sess_finish(&s);
        for (int i = 0; i < s.n_findings; i++)
            if (!strcmp(s.findings[i].id, "dfu.error-state"))
                assert_null(strstr(s.findings[i].explanation, "R15"));
        assert_true(sess_count(&s, "dfu.error-state") >= 1);
        sess_free(&s);
    }
}

/* R16 is errSTALLEDPKT (15) put into bState after an UPLOAD; another
 * undefined state after a DNLOAD is not it */
static void bad_state_r16_only_after_upload(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        struct sess s;
        begin(&s, &GOOD_DFUSE, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        if (c == 0) {
            sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
            sess_execute(&s, 5);
            sess_simple(&s, DFS_DFU_ABORT, 0);
            fill_block(1);
            sess_upload(&s, 2, 2048, block, 2048);
            sess_getstatus(&s, DFS_STATUS_ERR_STALLEDPKT, 0, 15);
        } else {
            sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
            sess_getstatus(&s, 0, 0, 0x42);
        }
        sess_finish(&s);
        const char *ex = only(&s, "dfu.bad-state-value");
        if (c == 0)
            assert_non_null(strstr(ex, "known quirk R16"));
        else
            assert_null(strstr(ex, "R16"));
        sess_free(&s);
    }
}

/* R17 is a mass erase ST's middleware acknowledges without doing it; an
 * instant page erase is not it */
static void erase_instant_r17_only_mass(void **state)
{
    (void)state;
    for (int mass = 0; mass < 2; mass++) {
        struct sess s;
        begin(&s, &GOOD_DFUSE, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        sess_dfuse_cmd(&s, DFS_DFUSE_ERASE, 0x08000000, !mass);
        sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
        sess_finish(&s);
        const char *ex = only(&s, "dfuse.erase-instant");
        if (mass)
            assert_non_null(strstr(ex, "known quirk R17"));
        else
            assert_null(strstr(ex, "R17"));
        sess_free(&s);
    }
}

/* R18 (a STALL that keeps the state) explains a request "sent in dfuERROR"
 * when that dfuERROR was only assumed after a STALL; a DNLOAD the host
 * sent in dfuUPLOAD-IDLE is the host's own violation */
static void state_violation_r18_only_after_stall(void **state)
{
    (void)state;
    for (int c = 0; c < 2; c++) {
        struct sess s;
        struct sess_dev_desc stm = GOOD_DFUSE;
        stm.xfer = 1024;
        begin(&s, &stm, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        fill_block(2);
        if (c == 0) {
            sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
            sess_execute(&s, 5);
            sess_dnload(&s, 2, block, 16, EPIPE_STALL);
            sess_dnload(&s, 3, block, 16, 0);
        } else {
            sess_upload(&s, 2, 1024, block, 1024);
            sess_dnload(&s, 2, block, 16, EPIPE_STALL);
        }
        sess_finish(&s);
        const char *ex = only(&s, "dfu.state-violation");
        if (c == 0)
            assert_non_null(strstr(ex, "known quirk R18"));
        else
            assert_null(strstr(ex, "R18"));
        sess_free(&s);
    }
}

/* R3 (a bwPollTimeout much shorter than the erase takes) is about erases:
 * a write busy for longer than announced on the same device is not it */
static void poll_timeout_r3_only_erase(void **state)
{
    (void)state;
    for (int erase = 0; erase < 2; erase++) {
        struct sess s;
        begin(&s, &GOOD_DFUSE, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
        sess_execute(&s, 5);
        if (erase) {
            sess_dfuse_cmd(&s, DFS_DFUSE_ERASE, 0x08000000, true);
        } else {
            fill_block(6);
            sess_dnload(&s, 2, block, 64, 0);
        }
        for (int i = 0; i < 4; i++) { /* 4 polls 50 ms apart, each announcing 10 ms */
            sess_getstatus(&s, 0, 10, DFS_STATE_DNBUSY);
            sess_advance_us(&s, 50000);
        }
        sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
        sess_finish(&s);
        const char *ex = only(&s, "dfu.poll-timeout-too-short");
        if (erase)
            assert_non_null(strstr(ex, "known quirk R3"));
        else
            assert_null(strstr(ex, "R3"));
        sess_free(&s);
    }
}

/* R29 (Zephyr with MCUboot: downloads only to alt 1, errWRITE on alt 0):
 * the same errWRITE on alt 1 is not it */
static void operation_failed_r29_only_alt0(void **state)
{
    (void)state;
    static const struct sess_dev_desc zephyr = {
        .vid = 0x2fe3, .pid = 0x0100, .bcd_dfu = 0x0110, .xfer = 64, .attrs = 0x07,
        .proto = 2, .alt_names = {"image-0", "image-1", NULL},
    };
    for (uint8_t alt = 0; alt < 2; alt++) {
        struct sess s;
        begin(&s, &zephyr, alt);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        fill_block(7);
        sess_dnload(&s, 0, block, 64, 0);
        sess_getstatus(&s, DFS_STATUS_ERR_WRITE, 0, DFS_STATE_ERROR);
        sess_finish(&s);
        const char *ex = only(&s, "dfu.operation-failed");
        if (alt == 0)
            assert_non_null(strstr(ex, "known quirk R29"));
        else
            assert_null(strstr(ex, "R29"));
        sess_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_read_past_layout),
        cmocka_unit_test(answered_read_past_layout),
        cmocka_unit_test(refused_read_inside_layout),
        cmocka_unit_test(unanswered_read_past_layout),
        cmocka_unit_test(string_not_utf16),
        cmocka_unit_test(string_odd_length),
        cmocka_unit_test(string_utf16_silent),
        cmocka_unit_test(dnload_stall_scenarios),
        cmocka_unit_test(dnload_stall_silent),
        cmocka_unit_test(dnload_stall_after_checked_clrstatus),
        cmocka_unit_test(dnload_stall_after_clrstatus_unknown_family),
        cmocka_unit_test(error_state_r15_after_clrstatus),
        cmocka_unit_test(error_state_not_r15),
        cmocka_unit_test(bad_state_r16_only_after_upload),
        cmocka_unit_test(erase_instant_r17_only_mass),
        cmocka_unit_test(state_violation_r18_only_after_stall),
        cmocka_unit_test(poll_timeout_r3_only_erase),
        cmocka_unit_test(operation_failed_r29_only_alt0),
    };
    return cmocka_run_group_tests_name("dfu_truth", tests, NULL, NULL);
}
