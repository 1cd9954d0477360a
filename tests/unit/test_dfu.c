/* The DFU/DfuSe layer and every diagnosis finding: each finding id fires in
 * a scenario built for it, and clean DfuSe and DFU 1.1 sessions raise no
 * warning or error (dfu-facts.md 1-4, dfu-quirks.md).
 *
 * A scenario builds its records one control transfer at a time (session.h:
 * each transfer is a submit and, one frame later, its completion; the
 * helpers return the submit's frame) and keeps the frames of the records
 * that prove its finding. It then names each finding it expects with the
 * exact frames the finding must cite, as docs/findings/<id>.md describes
 * them ("How dfuscope decides"), and no other warning or error may fire.
 * Only the decoder's public API is used. The rig is dfu_rig.h; the
 * scenarios of the capture.* and usb.* findings are in test_dfu_capture.c
 * (this executable runs them too); the clean sessions in detail, the
 * capture's end time and several devices are in test_dfu_sessions.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "dfu_rig.h"
#include "truth_scenarios.h"

/* ---- the seed: STM32CubeProgrammer writing SEC_SIZE at 0x1FFF7870 ------------- */

static void seed_session(struct sess *s, struct seed_frames *sf)
{
    seed_write(s, sf);
    /* the capture goes on for 10 s: the root hub's port status polls */
    sess_advance_us(s, 10 * 1000000);
    uint8_t st[8], ps[4] = {0x00, 0x01, 0x00, 0x00};
    setup8(st, 0xA3, 0, 0, 1, 4);
    sess_ctl_at(s, 1, st, NULL, 0, 0, ps, 4);
}

static void seed_never_came_back(void **state)
{
    (void)state;
    struct sess s;
    struct seed_frames sf;
    seed_session(&s, &sf);
    sess_finish(&s);
    struct expect e = {.n = 0};
    want_seed_common(&e, &sf);
    want_seed_reset(&e, &sf);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfuse.option-bytes-reset");
    assert_non_null(f);
    assert_int_equal(f->severity, DFS_SEV_ERROR);
    assert_non_null(strstr(f->explanation, "0x1fff7870"));
    assert_non_null(strstr(f->explanation, "LIBUSB_ERROR_PIPE"));
    assert_non_null(strstr(f->explanation, "did not come back"));
    assert_non_null(strstr(f->remedy, ":force:will-reset"));
    const struct dfs_finding *dup = sess_find(&s, "desc.duplicate-alt-layouts");
    assert_non_null(strstr(dup->explanation, "0, 1, 2"));
    sess_free(&s);
}

/* The seed, and then the chip enumerating again on a new address: the
 * reset is proven by the re-enumeration's first record. */
static void seed_came_back(struct sess *s, const struct sess_dev_desc *dd, struct expect *e)
{
    struct seed_frames sf;
    seed_session(s, &sf);
    s->dev = 7;
    struct enum_frames back = enumerate(s, dd);
    sess_finish(s);
    want_seed_common(e, &sf);
    WANT(e, "dfuse.option-bytes-reset", DONE(sf.fail), sf.dnload, DONE(sf.dnload), sf.fail,
         DONE(sf.fail), back.first);
    if (dd->alt_names[2] && !strcmp(dd->alt_names[0], dd->alt_names[2]))
        WANT(e, "desc.duplicate-alt-layouts", back.alt_name[2], back.alt_name[0],
             back.alt_name[1], back.alt_name[2]);
}

static void seed_came_back_in_dfu_mode(void **state)
{
    (void)state;
    struct sess s;
    struct expect e = {.n = 0};
    seed_came_back(&s, &SEED_DEVICE, &e);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfuse.option-bytes-reset");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "in DFU mode again"));
    assert_non_null(strstr(f->explanation, "device 1.7"));
    assert_non_null(strstr(f->remedy, "most likely took effect"));
    assert_int_equal(sess_count(&s, "dfuse.option-bytes-reset"), 1);
    sess_free(&s);
}

static void seed_came_back_as_something_else(void **state)
{
    (void)state;
    struct sess s;
    struct sess_dev_desc app = GOOD_DFU11;
    app.vid = 0x1234;
    app.pid = 0x0001;
    app.proto = 1; /* run-time DFU interface: the application */
    struct expect e = {.n = 0};
    seed_came_back(&s, &app, &e);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfuse.option-bytes-reset");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "running its application"));
    assert_non_null(strstr(f->remedy, "boots from flash"));
    sess_free(&s);
}

/* The seed with the device still answering after the STALL: a rejection,
 * proven by the CLRSTATUS that completes normally. */
static void seed_stays(struct sess *s, struct expect *e)
{
    struct seed_frames sf;
    seed_session(s, &sf);
    uint64_t clr = sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    want_seed_common(e, &sf);
    WANT(e, "dfu.getstatus-stall", DONE(sf.fail), sf.dnload, sf.fail, DONE(sf.fail), DONE(clr));
}

static void seed_stall_but_device_stays(void **state)
{
    (void)state;
    struct sess s;
    struct expect e = {.n = 0};
    seed_stays(&s, &e);
    check_findings(&s, &e);
    assert_int_equal(sess_count(&s, "dfuse.option-bytes-reset"), 0);
    const struct dfs_finding *f = sess_find(&s, "dfu.getstatus-stall");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "real rejection"));
    sess_free(&s);
}

/* ---- the capture's end time: silence after the last record counts ---------- */

static void end_time_with_records_after_it(void **state)
{
    (void)state;
    /* records later than the end time given: they decide, as without one */
    struct sess s;
    struct seed_frames sf;
    seed_session(&s, &sf);
    assert_int_equal(dfs_decoder_capture_end(s.d, later(s.now, -5 * 1000000)), DFS_OK);
    sess_finish(&s);
    struct expect e = {.n = 0};
    want_seed_common(&e, &sf);
    want_seed_reset(&e, &sf);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfuse.option-bytes-reset");
    assert_non_null(strstr(f->explanation, "It did not come back within the capture, which "
                                           "ends 10.0 s after the failure"));
    sess_free(&s);
    /* a device that came back: the end time changes nothing */
    seed_session(&s, &sf);
    s.dev = 7;
    sess_enumerate(&s, &SEED_DEVICE);
    assert_int_equal(dfs_decoder_capture_end(s.d, later(s.now, 30 * 1000000)), DFS_OK);
    sess_finish(&s);
    f = sess_find(&s, "dfuse.option-bytes-reset");
    assert_non_null(strstr(f->explanation, "in DFU mode again"));
    assert_non_null(strstr(f->remedy, "most likely took effect"));
    sess_free(&s);
}

/* ---- a failure before any other DFU request ------------------------------------ */

/* Only GETSTATUS came before: the findings name no request before it and no
 * frame 0 (a capture's frames count from 1; request code 0 is DETACH's). */
static void failure_before_any_request(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFU11, 0);
    uint64_t fail = sess_getstatus_fail(&s, -32);
    sess_getstatus_fail(&s, -32);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "dfu.getstatus-stall");
    assert_non_null(f);
    assert_int_equal(f->frame, DONE(fail));
    assert_non_null(strstr(f->explanation, "(in dfuIDLE, with no other DFU request before it)"));
    assert_null(strstr(f->explanation, "DETACH"));
    assert_null(strstr(f->explanation, "frame 0"));
    sess_free(&s);

    /* dfuERROR/errSTALLEDPKT with nothing but GETSTATUS before it: the
     * request the device stalled is not a DFU request of this interface
     * (DFU 1.1: "device stalled an unexpected request", any request), so no
     * STALL is shown missing; the dfuERROR is reported as it is */
    begin(&s, &GOOD_DFU11, 0);
    uint64_t err = sess_getstatus(&s, DFS_STATUS_ERR_STALLEDPKT, 0, DFS_STATE_ERROR);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "dfu.stall-without-error-state"), 0);
    f = sess_find(&s, "dfu.error-state");
    assert_non_null(f);
    assert_int_equal(f->frame, err);
    assert_non_null(strstr(f->explanation, "errSTALLEDPKT"));
    sess_free(&s);
}

/* dfu.stall-without-error-state needs an acknowledged DFU request since the
 * device last reported its state: a DNLOAD acknowledged before a GETSTATUS
 * that found the device idle is not "the request before" a later
 * dfuERROR/errSTALLEDPKT; one acknowledged just before it is */
static void error_without_stall_needs_a_request(void **state)
{
    (void)state;
    for (int just_before = 0; just_before < 2; just_before++) {
        struct sess s;
        begin(&s, &GOOD_DFU11, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
        fill_block(5);
        uint64_t dn = 0;
        if (!just_before) {
            sess_dnload(&s, 0, block, 64, 0);
            sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
            sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
        } else {
            sess_dnload(&s, 0, block, 64, 0);
            sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
            dn = sess_dnload(&s, 1, block, 64, 0);
        }
        uint64_t err = sess_getstatus(&s, DFS_STATUS_ERR_STALLEDPKT, 0, DFS_STATE_ERROR);
        sess_finish(&s);
        const struct dfs_finding *f = sess_find(&s, "dfu.stall-without-error-state");
        if (!just_before) {
            assert_null(f);
            assert_non_null(sess_find(&s, "dfu.error-state"));
        } else {
            assert_non_null(f);
            assert_int_equal(f->frame, err);
            assert_true(finding_has_frame(f, dn));
            assert_non_null(strstr(f->explanation, "was acknowledged, not stalled"));
        }
        sess_free(&s);
    }
}

/* ---- one scenario per finding ---------------------------------------------------- */
/* Each scenario records a session and says which findings it proves, with
 * their frames. Frames are named after the records the scenario made. */

static void sc_option_bytes_rejected(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 1);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x1FFF7800, true);
    sess_execute(s, 5);
    fill_block(3);
    uint64_t dn = sess_dnload(s, 2, block, 128, 0);
    sess_getstatus(s, 0, 50, DFS_STATE_DNBUSY);
    sess_advance_us(s, 50000);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_WRITE, 0, DFS_STATE_ERROR);
    sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    /* the write to the option bytes, and the GETSTATUS answering errWRITE */
    WANT(e, "dfuse.option-bytes-rejected", err, dn, err);
}

static void sc_device_lost(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    fill_block(4);
    uint64_t dn = sess_dnload(s, 2, block, 2048, 0);
    uint64_t fail = sess_getstatus_fail(s, -71);
    uint64_t gone = sess_getstatus_fail(s, -108);
    sess_finish(s);
    /* the DNLOAD and its acknowledgement, the failed GETSTATUS, and the
     * completion saying the device is gone (-ESHUTDOWN) */
    WANT(e, "dfu.device-lost", DONE(fail), dn, DONE(dn), fail, DONE(fail), DONE(gone));
}

static void sc_getstatus_failed(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t erase = sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint64_t fail = sess_getstatus_fail(s, -71);
    uint64_t ok = sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    /* the request before, the failed GETSTATUS, and the next completion
     * that shows the device stayed */
    WANT(e, "dfu.getstatus-failed", DONE(fail), erase, fail, DONE(fail), DONE(ok));
}

/* R2/R3: every later GETSTATUS STALLs too (device-lost would be unexpected) */
static void sc_getstatus_stall_streak(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t erase = sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_getstatus(s, 0, 1, DFS_STATE_DNBUSY);
    sess_advance_us(s, 1300);
    uint64_t fail = sess_getstatus_fail(s, -32), again = sess_getstatus_fail(s, -32);
    sess_getstatus_fail(s, -32);
    sess_finish(s);
    WANT(e, "dfu.getstatus-stall", DONE(fail), erase, fail, DONE(fail), DONE(again));
}

static void sc_poll_ignored(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint64_t busy = sess_getstatus(s, 0, 100, DFS_STATE_DNBUSY);
    sess_advance_us(s, 10000);
    uint64_t early = sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    /* the dfuDNBUSY reply asking for 100 ms, and the GETSTATUS sent 10 ms later */
    WANT(e, "dfu.poll-timeout-ignored", early, DONE(busy), early);
}

static void sc_poll_too_short(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint64_t first = 0;
    for (int i = 0; i < 6; i++) {
        uint64_t poll = sess_getstatus(s, 0, 50, DFS_STATE_DNBUSY);
        if (!i)
            first = poll;
        sess_advance_us(s, 50000);
    }
    uint64_t done = sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    /* the busy episode: its first dfuDNBUSY poll and the poll that ends it */
    WANT(e, "dfu.poll-timeout-too-short", done, first, done);
}

static void sc_zero_poll(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint64_t polls[4];
    for (int i = 0; i < 4; i++)
        polls[i] = sess_getstatus(s, 0, 0, DFS_STATE_DNBUSY);
    sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    /* three in a row make it, reported once: the first and the third */
    WANT(e, "dfu.zero-poll-timeout", polls[2], polls[0], polls[2]);
}

/* a session that opens in dfuERROR for another reason than errFIRMWARE */
static void sc_error_state(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFUSE);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_VENDOR, 0, DFS_STATE_ERROR);
    sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    WANT(e, "dfu.error-state", err, err);
}

/* errFIRMWARE in the middle of a session is a failure, not the bootloader's
 * opening state */
static void sc_error_state_firmware_later(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFUSE);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_FIRMWARE, 0, DFS_STATE_ERROR);
    sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_finish(s);
    WANT(e, "dfu.error-state", err, err);
}

/* an opening errFIRMWARE nobody clears before the capture ends */
static void sc_error_state_firmware_kept(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFUSE);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_FIRMWARE, 0, DFS_STATE_ERROR);
    sess_getstatus(s, DFS_STATUS_ERR_FIRMWARE, 0, DFS_STATE_ERROR);
    sess_finish(s);
    WANT(e, "dfu.error-state", err, err);
}

/* ... or a CLRSTATUS that the device stalls: it stays in dfuERROR */
static void sc_error_state_firmware_clear_fails(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFUSE);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_FIRMWARE, 0, DFS_STATE_ERROR);
    uint64_t clr = sess_simple(s, DFS_DFU_CLRSTATUS, -32);
    uint64_t gs = sess_getstatus(s, DFS_STATUS_ERR_STALLEDPKT, 0, DFS_STATE_ERROR);
    sess_finish(s);
    (void)clr;
    (void)gs;
    WANT(e, "dfu.error-state", err, err);
}

/* the bootloader of an empty chip: errFIRMWARE, cleared, then a session */
static void sc_no_valid_application(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFUSE);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_FIRMWARE, 0, DFS_STATE_ERROR);
    uint64_t clr = sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    WANT(e, "dfu.no-valid-application", clr, err, clr);
}

static void sc_operation_failed(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t erase = sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_getstatus(s, 0, 20, DFS_STATE_DNBUSY);
    sess_advance_us(s, 20000);
    uint64_t err = sess_getstatus(s, DFS_STATUS_ERR_ERASE, 0, DFS_STATE_ERROR);
    sess_finish(s);
    /* the erase, and the GETSTATUS answering errERASE */
    WANT(e, "dfu.operation-failed", err, erase, err);
}

static void sc_state_violation(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    /* UPLOAD in dfuDNLOAD-IDLE, without the ABORT that returns to dfuIDLE */
    fill_block(5);
    uint64_t up = sess_upload(s, 2, 2048, block, 2048);
    sess_finish(s);
    WANT(e, "dfu.state-violation", up, up);
}

static void sc_stall_without_error(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    fill_block(6);
    uint64_t dn = sess_dnload(s, 2, block, 2048, -32);
    uint64_t gs = sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    /* the stalled DNLOAD, and the GETSTATUS reporting dfuIDLE */
    WANT(e, "dfu.stall-without-error-state", gs, dn, gs);
    WANT(e, "dfu.dnload-stall", dn, dn); /* in dfuIDLE, within wTransferSize */
}

static void sc_clrstatus_outside_error(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t clr = sess_simple(s, DFS_DFU_CLRSTATUS, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_finish(s);
    WANT(e, "dfu.clrstatus-outside-error", clr, clr);
}

static void sc_bad_state_value(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t gs = sess_getstatus(s, 0, 0, 15);
    sess_finish(s);
    WANT(e, "dfu.bad-state-value", gs, gs);
}

static void sc_transfer_size_exceeded(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    fill_block(7);
    uint64_t dn = sess_dnload(s, 2, block, 4096, 0);
    sess_execute(s, 40);
    sess_finish(s);
    WANT(e, "dfu.transfer-size-exceeded", dn, dn);
}

static void sc_block_sequence(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFU11, 0);
    uint16_t blocks[3] = {0, 1, 3};
    uint64_t dn[3];
    for (int i = 0; i < 3; i++) {
        fill_block(blocks[i]);
        dn[i] = sess_dnload(s, blocks[i], block, 256, 0);
        sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    }
    sess_finish(s);
    /* block 3 after block 1 */
    WANT(e, "dfu.block-sequence", dn[2], dn[2]);
}

static void sc_request_timeout(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    /* the host gives up after 5 s: the URB completes with -ENOENT */
    uint8_t st[8];
    setup8(st, 0xA1, 3, 0, 0, 6);
    uint64_t gs = sess_submit_only(s, st);
    sess_advance_us(s, 5000000);
    sess_complete_only(s, st, -2);
    sess_finish(s);
    WANT(e, "dfu.request-timeout", gs, gs, gs + 1);
}

/* The same GETSTATUS without a completion when the capture ends never
 * reached the device as far as anyone can tell: no finding about it. */
static void request_unanswered_says_nothing(void **state)
{
    (void)state;
    struct sess s;
    struct expect e = {.n = 0};
    begin(&s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(&s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint8_t st[8];
    setup8(st, 0xA1, 3, 0, 0, 6);
    sess_submit_only(&s, st);
    sess_advance_us(&s, 5000000);
    sess_finish(&s);
    check_findings(&s, &e);
    assert_int_equal(sess_count(&s, "dfu.request-timeout"), 0);
    sess_free(&s);
}

/* An STM32L4-style busy stall (dfu-quirks R2): the first GETSTATUS after an
 * erase STALLs, the next says dfuDNBUSY with status OK, then dfuDNLOAD-IDLE.
 * A warning naming the quirk, not a rejection and no state violation. */
static void sc_busy_stall(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t erase = sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    uint64_t fail = sess_getstatus_fail(s, -32);
    sess_advance_us(s, 20000);
    uint64_t busy = sess_getstatus(s, 0, 25, DFS_STATE_DNBUSY);
    sess_advance_us(s, 25000);
    sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    /* the erase, the stalled GETSTATUS, and the reply that shows the device busy */
    WANT(e, "dfu.getstatus-busy-stall", DONE(fail), erase, fail, DONE(fail), busy, DONE(busy));
}

/* TinyUSB's manifestation bug (dfu-quirks R14): the functional descriptor
 * says bitManifestationTolerant (GOOD_DFU11: bmAttributes 0x07), yet after
 * the manifestation the device reports dfuMANIFEST-WAIT-RESET. */
static void manifest_then(struct sess *s, const struct sess_dev_desc *dd)
{
    begin(s, dd, 0);
    fill_block(0);
    sess_dnload(s, 0, block, 256, 0);
    sess_getstatus(s, 0, 10, DFS_STATE_DNBUSY);
    sess_advance_us(s, 10000);
    sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_dnload(s, 1, NULL, 0, 0);
    sess_getstatus(s, 0, 20, DFS_STATE_MANIFEST);
    sess_advance_us(s, 20000);
}

static void sc_manifest_wait_reset(struct sess *s, struct expect *e)
{
    manifest_then(s, &GOOD_DFU11);
    uint64_t gs = sess_getstatus(s, 0, 0, DFS_STATE_MANIFEST_WAIT_RESET);
    sess_finish(s);
    WANT(e, "dfu.manifest-wait-reset", gs, gs);
}

/* The same reply from a device that says it is not tolerant is what DFU
 * 1.1 asks of it: nothing to say. */
static void manifest_wait_reset_not_tolerant(void **state)
{
    (void)state;
    struct sess s;
    struct expect e = {.n = 0};
    struct sess_dev_desc nt = GOOD_DFU11;
    nt.attrs = 0x03; /* can download and upload, not manifestation tolerant */
    manifest_then(&s, &nt);
    sess_getstatus(&s, 0, 0, DFS_STATE_MANIFEST_WAIT_RESET);
    sess_finish(&s);
    check_findings(&s, &e);
    assert_int_equal(sess_count(&s, "dfu.manifest-wait-reset"), 0);
    sess_free(&s);
}

static void sc_runtime_stall(struct sess *s, struct expect *e)
{
    struct sess_dev_desc rt = GOOD_DFU11;
    rt.proto = 1;
    sess_init(s, 1, 6);
    enumerate(s, &rt);
    uint64_t gs = sess_getstatus_fail(s, -32);
    sess_simple(s, DFS_DFU_DETACH, 0);
    sess_finish(s);
    WANT(e, "dfu.runtime-getstatus-stall", gs, gs);
}

static void sc_address_outside_layout(struct sess *s, struct expect *e)
{
    struct enum_frames en = begin(s, &SEED_DEVICE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x1FFF75E0, true);
    sess_execute(s, 5);
    sess_simple(s, DFS_DFU_ABORT, 0);
    static const uint8_t fs[4] = {0x00, 0x02, 0xff, 0xff};
    uint64_t up = sess_upload(s, 2, 4, fs, 4);
    sess_finish(s);
    /* the layout of alternate setting 0 (its string), and the read */
    WANT(e, "dfuse.address-outside-layout", up, en.alt_name[0], up);
    /* the seed's device advertises one layout on its three alternate settings */
    WANT(e, "desc.duplicate-alt-layouts", en.alt_name[2], en.alt_name[0], en.alt_name[1],
         en.alt_name[2]);
}

static void sc_leave_reset(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(s, 5);
    uint64_t leave = sess_dnload(s, 2, NULL, 0, 0);
    uint64_t gs = sess_getstatus(s, 0, 0, DFS_STATE_MANIFEST);
    sess_advance_us(s, 500000);
    s->dev = 7;
    struct sess_dev_desc app = GOOD_DFU11;
    app.vid = 0x1234;
    app.proto = 1;
    struct enum_frames back = enumerate(s, &app);
    sess_finish(s);
    /* the zero-length DNLOAD and its acknowledgement, its GETSTATUS and
     * answer, and the device appearing again (the first record of its
     * enumeration) */
    WANT(e, "dfuse.leave-reset", DONE(gs), leave, DONE(leave), gs, DONE(gs), back.first);
}

/* fwupd's DfuSe leave from dfuIDLE: ST's USB device middleware takes it, no violation */
static void sc_leave_reset_from_idle(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    uint64_t leave = sess_dnload(s, 2, NULL, 0, 0);
    uint64_t gs = sess_getstatus(s, 0, 0, DFS_STATE_MANIFEST);
    sess_finish(s);
    WANT(e, "dfuse.leave-reset", DONE(gs), leave, DONE(leave), gs, DONE(gs));
}

static void sc_erase_instant(struct sess *s, struct expect *e)
{
    begin(s, &GOOD_DFUSE, 0);
    uint64_t erase = sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0, false); /* mass erase */
    uint64_t gs = sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
    WANT(e, "dfuse.erase-instant", gs, erase, gs);
}

static void sc_layout_invalid(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFUSE;
    bad.alt_names[0] = "@Internal Flash /0x08000000/256*02K";
    struct enum_frames en = begin(s, &bad, 0);
    sess_finish(s);
    /* the string descriptor that carries the layout */
    WANT(e, "desc.layout-invalid", en.alt_name[0], en.alt_name[0]);
}

/* The functional descriptor's findings cite the configuration descriptor
 * set it is read from. */
static void sc_functional(struct sess *s, struct expect *e, const struct sess_dev_desc *bad,
                          const char *id)
{
    struct enum_frames en = begin(s, bad, 0);
    sess_finish(s);
    WANT(e, id, en.config, en.config);
}

static void sc_functional_missing(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFU11;
    bad.no_functional = true;
    sc_functional(s, e, &bad, "desc.functional-missing");
}

static void sc_functional_short(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFU11;
    bad.functional_len = 7;
    sc_functional(s, e, &bad, "desc.functional-short");
}

static void sc_transfer_size_invalid(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFU11;
    bad.xfer = 0;
    sc_functional(s, e, &bad, "desc.transfer-size-invalid");
}

static void sc_protocol_invalid(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFU11;
    bad.proto = 0;
    sc_functional(s, e, &bad, "desc.dfu-protocol-invalid");
}

static void sc_version_unknown(struct sess *s, struct expect *e)
{
    struct sess_dev_desc bad = GOOD_DFU11;
    bad.bcd_dfu = 0x0200;
    sc_functional(s, e, &bad, "desc.dfu-version-unknown");
}

static void sc_invalid_length(struct sess *s, struct expect *e)
{
    sess_init(s, 1, 6);
    uint8_t st[8];
    uint8_t devd[18] = {18, 1, 0, 2, 0, 0, 0, 64, 0x83, 0x04, 0x11, 0xdf, 0, 2, 1, 2, 3, 1};
    /* an interface descriptor claiming 40 bytes in a 27-byte configuration */
    uint8_t cfg[27] = {9, 2, 27, 0, 1, 1, 0, 0xc0, 50, 40, 4, 0, 0, 0, 0xfe, 1, 2, 0,
                       9, 0x21, 0x0b, 0xff, 0, 0, 4, 0x1a, 1};
    setup8(st, 0x80, 6, 0x0100, 0, 18);
    sess_ctl(s, st, NULL, 0, 0, devd, 18);
    setup8(st, 0x80, 6, 0x0200, 0, 27);
    uint64_t get = sess_ctl(s, st, NULL, 0, 0, cfg, 27);
    sess_finish(s);
    WANT(e, "desc.invalid-length", DONE(get), DONE(get));
}

/* A DFU-mode device enumerated, then 2 s of nothing until the capture's end. */
static void never_opened_session(struct sess *s, int64_t quiet_us, bool used)
{
    sess_init(s, 1, 6);
    enumerate(s, &GOOD_DFU11);
    if (used) {
        uint8_t st[8]; /* a vendor request: some driver uses the device */
        setup8(st, 0xc0, 0x01, 0, 4, 16);
        sess_ctl(s, st, NULL, 0, 0, block, 16);
    }
    sess_advance_us(s, quiet_us);
    assert_int_equal(dfs_decoder_capture_end(s->d, s->now), DFS_OK);
    sess_finish(s);
}

static void sc_never_opened(struct sess *s, struct expect *e)
{
    never_opened_session(s, 2000000, false);
    uint64_t first = 1, last = s->frame;
    WANT(e, "dfu.never-opened", first, first, last);
}

/* Less than a second of silence, or a device some driver uses: no finding. */
static void never_opened_needs_silence(void **state)
{
    (void)state;
    struct sess s;
    never_opened_session(&s, 900000, false);
    assert_int_equal(sess_count(&s, "dfu.never-opened"), 0);
    sess_free(&s);
    never_opened_session(&s, 5000000, true);
    assert_int_equal(sess_count(&s, "dfu.never-opened"), 0);
    sess_free(&s);
}

static void sc_seed(struct sess *s, struct expect *e)
{
    struct seed_frames sf;
    seed_session(s, &sf);
    sess_finish(s);
    want_seed_common(e, &sf);
    want_seed_reset(e, &sf);
}

static void sc_seed_stays(struct sess *s, struct expect *e) { seed_stays(s, e); }

static const struct scenario scenarios[] = {
    {"dfuse.option-bytes-reset", sc_seed},
    {"dfuse.option-bytes-offset-write", sc_seed},
    {"desc.duplicate-alt-layouts", sc_seed},
    {"dfu.getstatus-stall", sc_seed_stays},
    {"dfu.getstatus-stall", sc_getstatus_stall_streak},
    {"dfuse.option-bytes-rejected", sc_option_bytes_rejected},
    {"dfu.device-lost", sc_device_lost},
    {"dfu.getstatus-failed", sc_getstatus_failed},
    {"dfu.getstatus-busy-stall", sc_busy_stall},
    {"dfu.manifest-wait-reset", sc_manifest_wait_reset},
    {"dfu.poll-timeout-ignored", sc_poll_ignored},
    {"dfu.poll-timeout-too-short", sc_poll_too_short},
    {"dfu.zero-poll-timeout", sc_zero_poll},
    {"dfu.error-state", sc_error_state},
    {"dfu.error-state", sc_error_state_firmware_later},
    {"dfu.error-state", sc_error_state_firmware_kept},
    {"dfu.error-state", sc_error_state_firmware_clear_fails},
    {"dfu.no-valid-application", sc_no_valid_application},
    {"dfu.operation-failed", sc_operation_failed},
    {"dfu.state-violation", sc_state_violation},
    {"dfu.stall-without-error-state", sc_stall_without_error},
    {"dfu.clrstatus-outside-error", sc_clrstatus_outside_error},
    {"dfu.bad-state-value", sc_bad_state_value},
    {"dfu.transfer-size-exceeded", sc_transfer_size_exceeded},
    {"dfu.block-sequence", sc_block_sequence},
    {"dfu.request-timeout", sc_request_timeout},
    {"dfu.runtime-getstatus-stall", sc_runtime_stall},
    {"dfuse.address-outside-layout", sc_address_outside_layout},
    {"desc.string-not-utf16", sc_string_not_utf16},
    {"dfu.dnload-stall", sc_dnload_stall},
    {"dfu.dnload-stall", sc_dnload_stall_after_clrstatus},
    {"dfuse.leave-reset", sc_leave_reset},
    {"dfuse.leave-reset", sc_leave_reset_from_idle},
    {"dfuse.erase-instant", sc_erase_instant},
    {"desc.layout-invalid", sc_layout_invalid},
    {"desc.functional-missing", sc_functional_missing},
    {"desc.functional-short", sc_functional_short},
    {"desc.transfer-size-invalid", sc_transfer_size_invalid},
    {"desc.dfu-protocol-invalid", sc_protocol_invalid},
    {"desc.dfu-version-unknown", sc_version_unknown},
    {"desc.invalid-length", sc_invalid_length},
    {"dfu.never-opened", sc_never_opened},
};

static void run_scenario(void **state)
{
    const struct scenario *sc = *state;
    struct sess s;
    struct expect e = {.n = 0};
    sc->run(&s, &e);
    /* the scenario proves the finding it is named after */
    bool named = false;
    for (int k = 0; k < e.n; k++)
        named |= strcmp(e.w[k].id, sc->id) == 0;
    assert_true(named);
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, sc->id);
    assert_non_null(f);
    assert_true(f->explanation[0] != '\0');
    assert_true(dfs_finding_lookup(sc->id) != NULL);
    sess_free(&s);
}

/* Every finding of the table has a scenario above or in
 * test_dfu_capture.c, but the file.* ones: they are about firmware files,
 * and tests/unit/test_firmware.c has a case for each (and the log.* ones,
 * of the log library). */
static void every_finding_has_a_scenario(void **state)
{
    (void)state;
    for (int c = 0; c < DFS_F__COUNT; c++) {
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
        if (strncmp(fi->id, "file.", 5) == 0 || strncmp(fi->id, "log.", 4) == 0)
            continue; /* the firmware and log libraries' own findings */
        bool found = false;
        for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
            found |= strcmp(scenarios[i].id, fi->id) == 0;
        for (size_t i = 0; i < n_capture_scenarios; i++)
            found |= strcmp(capture_scenarios[i].id, fi->id) == 0;
        if (!found)
            fail_msg("finding %s has no scenario that fires it", fi->id);
    }
}

/* The clean sessions stay silent for every warning and error id. */
static void clean_sessions_are_silent(void **state)
{
    (void)state;
    struct sess a, b;
    clean_dfuse(&a);
    clean_dfu11(&b);
    for (int c = 0; c < DFS_F__COUNT; c++) {
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)c);
        if (fi->severity < DFS_SEV_WARNING)
            continue;
        assert_int_equal(sess_count(&a, fi->id), 0);
        assert_int_equal(sess_count(&b, fi->id), 0);
    }
    sess_free(&a);
    sess_free(&b);
}

int main(void)
{
    const size_t n_own = sizeof scenarios / sizeof scenarios[0];
    struct CMUnitTest *tests = calloc(16 + n_own + n_capture_scenarios, sizeof *tests);
    if (!tests)
        return 1;
    size_t n = 0;
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(clean_sessions_are_silent);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(every_finding_has_a_scenario);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(never_opened_needs_silence);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(seed_never_came_back);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(seed_came_back_in_dfu_mode);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(seed_came_back_as_something_else);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(seed_stall_but_device_stays);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(request_unanswered_says_nothing);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(manifest_wait_reset_not_tolerant);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(end_time_with_records_after_it);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(failure_before_any_request);
    tests[n++] = (struct CMUnitTest)cmocka_unit_test(error_without_stall_needs_a_request);
    for (size_t i = 0; i < n_own; i++) {
        tests[n] = (struct CMUnitTest){.name = scenarios[i].id,
                                       .test_func = run_scenario,
                                       .initial_state = (void *)&scenarios[i]};
        n++;
    }
    for (size_t i = 0; i < n_capture_scenarios; i++) {
        tests[n] = (struct CMUnitTest){.name = capture_scenarios[i].id,
                                       .test_func = run_scenario,
                                       .initial_state = (void *)&capture_scenarios[i]};
        n++;
    }
    int failed = _cmocka_run_group_tests("dfu", tests, n, NULL, NULL);
    free(tests);
    return failed;
}
