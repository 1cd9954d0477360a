/* The DFU layer's sessions as a whole: clean DfuSe and DFU 1.1 sessions
 * raise no warning or error, the capture's end time counts as silence after
 * the last record, a second board of one model is not a re-enumeration, and
 * image offsets saturate (dfu-facts.md 1-4). The findings each have their
 * scenario in test_dfu.c; both use the rig of dfu_rig.h and only the
 * decoder's public API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dfu_rig.h"
#include "dfuscope/usb.h"

/* ---- clean sessions ------------------------------------------------------------- */

static void clean_dfuse_session(void **state)
{
    (void)state;
    struct sess s;
    clean_dfuse(&s);
    assert_no_warnings(&s);
    /* memory operations: 2 erases, 2 writes, 2 reads with their addresses */
    int erases = 0, writes = 0, reads = 0;
    for (int i = 0; i < s.n_mem; i++) {
        const struct dfs_mem_op *op = &s.mem[i].op;
        assert_true(op->ok);
        assert_true(op->dfuse);
        if (op->kind == DFS_MEM_OP_ERASE) {
            assert_int_equal(op->address, erases ? 0x08000800 : 0x08000000);
            assert_int_equal(op->length, 2048);
            erases++;
        } else if (op->kind == DFS_MEM_OP_WRITE) {
            assert_int_equal(op->address, writes ? 0x08000800 : 0x08000000);
            assert_int_equal(op->length, writes ? 1000 : 2048);
            fill_block(writes ? 2 : 1);
            assert_memory_equal(op->data, block, op->length);
            assert_true(op->exec_frame > op->frame);
            writes++;
        } else if (op->kind == DFS_MEM_OP_READ) {
            assert_int_equal(op->address, reads ? 0x08000800 : 0x08000000);
            reads++;
        }
    }
    assert_int_equal(erases, 2);
    assert_int_equal(writes, 2);
    assert_int_equal(reads, 2);
    /* transactions carry the DfuSe decoding */
    int set_address = 0;
    for (int i = 0; i < s.n_txns; i++)
        if (s.txns[i].cmd == DFS_DFUSE_SET_ADDRESS) {
            assert_true(s.txns[i].has_address);
            assert_int_equal(s.txns[i].address, 0x08000000);
            set_address++;
        }
    assert_int_equal(set_address, 2);
    struct dfs_dfu_info info;
    assert_int_equal(dfs_decoder_dfu_info(s.d, 1, &info), DFS_OK);
    assert_true(info.present);
    assert_true(info.dfuse);
    assert_int_equal(info.transfer_size, 2048);
    assert_int_equal(info.n_alts, 3);
    assert_true(info.alts[1].layout_parsed);
    assert_int_equal(info.alts[1].layout.regions[0].start, 0x1FFF7800);
    sess_free(&s);
}

static void clean_dfu11_session(void **state)
{
    (void)state;
    struct sess s;
    clean_dfu11(&s);
    assert_no_warnings(&s);
    int writes = 0, reads = 0;
    uint32_t off = 0, roff = 0;
    for (int i = 0; i < s.n_mem; i++) {
        const struct dfs_mem_op *op = &s.mem[i].op;
        assert_false(op->dfuse);
        if (op->kind == DFS_MEM_OP_WRITE) {
            assert_int_equal(op->address, off);
            off += op->length;
            writes++;
        } else if (op->kind == DFS_MEM_OP_READ) {
            assert_int_equal(op->address, roff);
            roff += op->length;
            reads++;
        }
    }
    assert_int_equal(writes, 4);
    assert_int_equal(reads, 4);
    assert_int_equal(off, 868);
    assert_int_equal(roff, 868);
    /* the tracked state went through the manifestation */
    bool saw_manifest = false;
    for (int i = 0; i < s.n_txns; i++)
        saw_manifest |= s.txns[i].has_state && s.txns[i].bState == DFS_STATE_MANIFEST;
    assert_true(saw_manifest);
    sess_free(&s);
}

/* ---- the capture's end time: silence after the last record counts ---------- */

/* The seed with nothing recorded after the failure, the capture stopping
 * end_us after its last record (no end time given when end_us is 0). */
static const struct dfs_finding *seed_silent(struct sess *s, int64_t end_us)
{
    struct seed_frames sf;
    seed_write(s, &sf);
    if (end_us)
        assert_int_equal(dfs_decoder_capture_end(s->d, later(s->now, end_us)), DFS_OK);
    sess_finish(s);
    struct expect e = {.n = 0};
    want_seed_common(&e, &sf);
    want_seed_reset(&e, &sf);
    check_findings(s, &e);
    return sess_find(s, "dfuse.option-bytes-reset");
}

static void end_time_says_never_came_back(void **state)
{
    (void)state;
    struct sess s;
    const struct dfs_finding *f = seed_silent(&s, 10 * 1000000);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation,
                           "The capture went on for 10.0 s after the failure without the "
                           "device coming back (a reset and re-enumeration take about a "
                           "second): the last record is 0.0 s after the failure, and nothing "
                           "was recorded from then until capturing stopped."));
    assert_null(strstr(f->explanation, "too soon"));
    assert_non_null(strstr(f->remedy, "did not re-enumerate in DFU mode within 10 s"));
    assert_non_null(strstr(f->remedy, "no longer select the system bootloader"));
    assert_non_null(strstr(f->remedy, ":force:will-reset"));
    struct dfs_time end;
    assert_int_equal(dfs_decoder_end_time(s.d, &end), DFS_OK);
    assert_true(dfs_time_diff_us(end, s.now) == 10 * 1000000);
    sess_free(&s);
}

static void end_time_absent_or_too_close(void **state)
{
    (void)state;
    /* no end time: the last record is all there is */
    struct sess s;
    const struct dfs_finding *f = seed_silent(&s, 0);
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "The capture ends 0.0 s after the failure, too soon "
                                           "to see whether it comes back"));
    assert_non_null(strstr(f->remedy, "Reset or power-cycle the board"));
    struct dfs_time end;
    assert_int_equal(dfs_decoder_end_time(s.d, &end), DFS_E_NOTFOUND);
    sess_free(&s);
    /* an end 1.5 s later is still too soon to tell */
    f = seed_silent(&s, 1500000);
    assert_non_null(strstr(f->explanation, "The capture ends 1.5 s after the failure, too soon"));
    assert_non_null(strstr(f->remedy, "Reset or power-cycle the board"));
    sess_free(&s);
    /* an end before the last record is not used */
    f = seed_silent(&s, -3 * 1000000);
    assert_non_null(strstr(f->explanation, "The capture ends 0.0 s after the failure, too soon"));
    assert_int_equal(dfs_decoder_end_time(s.d, &end), DFS_E_NOTFOUND);
    sess_free(&s);
}

static void end_time_device_lost(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFUSE, 0);
    sess_dfuse_cmd(&s, DFS_DFUSE_SET_ADDRESS, 0x08000000, true);
    sess_execute(&s, 5);
    fill_block(4);
    uint64_t dn = sess_dnload(&s, 2, block, 2048, 0);
    uint64_t fail = sess_getstatus_fail(&s, -71);
    assert_int_equal(dfs_decoder_capture_end(s.d, later(s.now, 4200000)), DFS_OK);
    sess_finish(&s);
    /* nothing after the failure: the DNLOAD, its acknowledgement, the
     * GETSTATUS and its failure are all the evidence */
    struct expect e = {.n = 0};
    WANT(&e, "dfu.device-lost", DONE(fail), dn, DONE(dn), fail, DONE(fail));
    check_findings(&s, &e);
    const struct dfs_finding *f = sess_find(&s, "dfu.device-lost");
    assert_non_null(f);
    assert_non_null(strstr(f->explanation, "The capture went on for 4.2 s after the failure "
                                           "without the device coming back"));
    sess_free(&s);
}

static void end_time_api(void **state)
{
    (void)state;
    struct sess s;
    sess_init(&s, 1, 6);
    struct dfs_time t = {1700000000, 1000000000u};
    assert_int_equal(dfs_decoder_capture_end(NULL, s.now), DFS_E_INVAL);
    assert_int_equal(dfs_decoder_capture_end(s.d, t), DFS_E_INVAL);
    assert_int_equal(dfs_decoder_end_time(s.d, NULL), DFS_E_INVAL);
    /* nothing fed: any end counts */
    assert_int_equal(dfs_decoder_capture_end(s.d, s.now), DFS_OK);
    assert_int_equal(dfs_decoder_end_time(s.d, &t), DFS_OK);
    assert_true(t.sec == s.now.sec && t.nsec == s.now.nsec);
    sess_finish(&s);
    assert_int_equal(dfs_decoder_capture_end(s.d, s.now), DFS_E_STATE);
    /* reset forgets it */
    dfs_decoder_reset(s.d);
    assert_int_equal(dfs_decoder_end_time(s.d, &t), DFS_E_NOTFOUND);
    sess_free(&s);
}

/* ---- several devices ------------------------------------------------------------ */

/* Two boards of one model: a second one enumerating while the first is quiet
 * is not a re-enumeration of the first, unless its serial number matches. */
static int reenumerations(const struct sess *s)
{
    int n = 0;
    for (int i = 0; i < s->n_devev; i++)
        n += s->devev[i].change == DFS_DEV_REENUMERATED;
    return n;
}

static void second_board_is_not_a_reenumeration(void **state)
{
    (void)state;
    struct sess_dev_desc a = GOOD_DFUSE, b = GOOD_DFUSE;
    a.serial = "205A37865931";
    b.serial = "3387385B3034";
    struct sess s;
    begin(&s, &a, 0);
    s.dev = 7;
    sess_enumerate(&s, &b);
    sess_finish(&s);
    assert_int_equal(reenumerations(&s), 0);
    assert_int_equal(sess_count(&s, "usb.device-disconnected"), 0);
    sess_free(&s);

    b.serial = a.serial; /* the same board again */
    begin(&s, &a, 0);
    s.dev = 7;
    sess_enumerate(&s, &b);
    sess_finish(&s);
    assert_int_equal(reenumerations(&s), 1);
    sess_free(&s);
}

/* ---- image offsets ------------------------------------------------------------------ */

/* DFU 1.1 image offsets stop at 4 GiB - 1 instead of wrapping to 0: a
 * capture may claim blocks without their data, and 65538 DNLOADs of 65535
 * bytes pass 4 GiB */
static void image_offset_saturates(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFU11, 0);
    uint32_t last = 0;
    bool wrapped = false;
    int writes = 0;
    for (uint32_t b = 0; b < 65540; b++) {
        uint8_t st[8];
        setup8(st, 0x21, 1, (uint16_t)b, s.ifnum, 65535);
        sess_ctl(&s, st, NULL, 0, 0, NULL, 0);
        sess_getstatus(&s, 0, 0, DFS_STATE_DNLOAD_IDLE);
        for (int i = 0; i < s.n_mem; i++) {
            const struct dfs_mem_op *op = &s.mem[i].op;
            if (op->kind != DFS_MEM_OP_WRITE)
                continue;
            wrapped |= op->address < last;
            last = op->address;
            writes++;
        }
        s.n_mem = 0;
        s.n_txns = 0;
    }
    sess_finish(&s);
    assert_int_equal(writes, 65540);
    assert_false(wrapped);
    assert_true(last == UINT32_MAX);
    sess_free(&s);
}

/* A zero-length DNLOAD in dfuIDLE on a DFU 1.1 interface (on DfuSe it is
 * the leave, test_dfu.c sc_leave_reset_from_idle): DFU 1.1
 * allows it only in dfuDNLOAD-IDLE (the end of a download). */
static void dfu11_zero_dnload_in_idle_is_a_violation(void **state)
{
    (void)state;
    struct sess s;
    begin(&s, &GOOD_DFU11, 0);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    uint64_t zero = sess_dnload(&s, 0, NULL, 0, 0);
    sess_finish(&s);
    const struct dfs_finding *f = sess_find(&s, "dfu.state-violation");
    assert_non_null(f);
    assert_int_equal(f->frame, zero);
    sess_free(&s);
}

/* ---- a GETSTATUS the device held, in each URB-level format ------------------------ */

/* An erase; the device answers dfuDNBUSY announcing `announced` ms, the host
 * polls again after `wait_us` and the device answers that poll `hold_us`
 * after it was sent (its controller retried the NAKs), in a capture of link
 * type `linktype`. frames[0]: the dfuDNBUSY poll, frames[1]: the held one. */
static void held_poll(struct sess *s, int linktype, uint32_t announced, int64_t wait_us,
                      int64_t hold_us, uint64_t frames[2])
{
    sess_init(s, 1, 6);
    s->linktype = linktype;
    enumerate(s, &GOOD_DFUSE);
    sess_set_alt(s, 0);
    sess_getstatus(s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_dfuse_cmd(s, DFS_DFUSE_ERASE, 0x08000000, true);
    frames[0] = sess_getstatus(s, 0, announced, DFS_STATE_DNBUSY);
    sess_advance_us(s, wait_us);
    s->reply_us = hold_us;
    frames[1] = sess_getstatus(s, 0, 0, DFS_STATE_DNLOAD_IDLE);
    sess_finish(s);
}

/* usbmon, USBPcap and macOS: a poll answered 20 ms after it was sent, past
 * the 1 ms announced, is the device at work: dfu.poll-timeout-too-short,
 * naming the dfuDNBUSY poll and the held one, with the time */
static void held_poll_in_each_format(void **state)
{
    (void)state;
    const int lts[] = {DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_LINKTYPE_USBPCAP,
                       DFS_LINKTYPE_USB_DARWIN};
    for (size_t i = 0; i < sizeof lts / sizeof lts[0]; i++) {
        struct sess s;
        uint64_t fr[2];
        held_poll(&s, lts[i], 1, 1000, 20000, fr);
        assert_int_equal(sess_count(&s, "dfu.poll-timeout-too-short"), 1);
        const struct dfs_finding *f = sess_find(&s, "dfu.poll-timeout-too-short");
        assert_int_equal(f->severity, DFS_SEV_WARNING);
        assert_int_equal(f->frame, fr[1]);
        assert_int_equal(f->n_frames, 2);
        assert_int_equal(f->frames[0], fr[0]);
        assert_int_equal(f->frames[1], fr[1]);
        assert_non_null(strstr(f->explanation, "over 1 poll (frames"));
        assert_non_null(strstr(f->explanation, "The device answered the GETSTATUS poll 20.0 ms "
                                               "after it was sent"));
        assert_null(strstr(f->explanation, "NAKs for"));
        sess_free(&s);
    }
}

/* What a host adds is no hold: a poll answered 4 ms after it was sent, past
 * the 2 ms announced, after a host that slept 30 ms (busy 34 ms, more than
 * 3 times 2 ms) raises nothing; nor does a poll the device never answered
 * (-ENODEV: it left; the request proves nothing about its work time). */
static void held_poll_not_from_jitter_or_failure(void **state)
{
    (void)state;
    struct sess s;
    uint64_t fr[2];
    held_poll(&s, DFS_LINKTYPE_USB_LINUX_MMAPPED, 2, 30000, 4000, fr);
    assert_int_equal(sess_count(&s, "dfu.poll-timeout-too-short"), 0);
    sess_free(&s);
    sess_init(&s, 1, 6);
    enumerate(&s, &GOOD_DFUSE);
    sess_set_alt(&s, 0);
    sess_getstatus(&s, 0, 0, DFS_STATE_DFU_IDLE);
    sess_dfuse_cmd(&s, DFS_DFUSE_ERASE, 0x08000000, true);
    sess_getstatus(&s, 0, 1, DFS_STATE_DNBUSY);
    sess_advance_us(&s, 1000);
    s.reply_us = 50000;
    sess_getstatus_fail(&s, -19);
    sess_finish(&s);
    assert_int_equal(sess_count(&s, "dfu.poll-timeout-too-short"), 0);
    sess_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(image_offset_saturates),
        cmocka_unit_test(clean_dfuse_session),
        cmocka_unit_test(clean_dfu11_session),
        cmocka_unit_test(end_time_says_never_came_back),
        cmocka_unit_test(end_time_absent_or_too_close),
        cmocka_unit_test(end_time_device_lost),
        cmocka_unit_test(end_time_api),
        cmocka_unit_test(second_board_is_not_a_reenumeration),
        cmocka_unit_test(dfu11_zero_dnload_in_idle_is_a_violation),
        cmocka_unit_test(held_poll_in_each_format),
        cmocka_unit_test(held_poll_not_from_jitter_or_failure),
    };
    return cmocka_run_group_tests_name("dfu_sessions", tests, NULL, NULL);
}
