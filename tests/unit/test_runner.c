/* The runner against the emulated devices (the models of fixtures/models on
 * the emulated bus, through dfs_emu_transport on its virtual clock): each
 * suite on each model, each fault failing exactly its check, scripts with
 * their expectations, the safety refusals (nothing sent), Ctrl-C, a device
 * that vanishes, the usbmon records a run writes (decoded again by the
 * decoder, which must see the option-byte reset), and capture-to-script
 * round trips (the last two, and the report writers, in
 * test_runner_records.c; the rig is runner_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runner_rig.h"

/* ---- suites on the models ------------------------------------------------------------------------ */

static void test_clean_models(void **state)
{
    (void)state;
    static const struct {
        const char *model;
        unsigned allow;
        const char *failed;
    } cases[] = {
        {DFUSE, 0, ""},
        {DFUSE, DFS_ALLOW_TIMING_ABUSE, ""},
        {DFU11, 0, ""},
        {DFU11, DFS_ALLOW_WRITE | DFS_ALLOW_TIMING_ABUSE, ""},
        /* the seed's bootloader: three alternate settings, one layout (a
         * known quirk of the STM32 ROM bootloaders, R10: no failure) */
        {G0C1, 0, ""},
        {"stm32l4-bootloader", DFS_ALLOW_ERASE | DFS_ALLOW_TIMING_ABUSE, ""},
        {"tinyusb-dfu", DFS_ALLOW_WRITE | DFS_ALLOW_TIMING_ABUSE, ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct device dv = {cases[i].model, {NULL}, 0};
        struct run r;
        run_setup(&r, &dv, cases[i].allow);
        run_suites(&r, ALL_SUITES);
        assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_COMPLETE);
        char what[64];
        snprintf(what, sizeof what, "%s allow 0x%x", cases[i].model, cases[i].allow);
        expect_failed(r.rep, cases[i].failed, what);
        assert_int_equal(dfs_report_exit_code(r.rep), cases[i].failed[0] ? 1 : 0);
        /* read-only: nothing was written */
        if (!(cases[i].allow & DFS_ALLOW_WRITE) && strcmp(cases[i].model, DFU11) == 0)
            assert_int_equal(r.watch.seen.data_dnloads, 0);
        run_free(&r);
    }
}

/* A known quirk of the device's family: its own verdict, naming the quirk
 * and the family, not a failure (the quirk table says which families show
 * which quirk; dfu-quirks R2, R8, R10). */
static void expect_quirk(const dfs_report *rep, const char *id, unsigned quirk,
                         const char *family)
{
    const struct dfs_check_result *c = find_check(rep, id);
    if (!c || c->verdict != DFS_VERDICT_QUIRK || c->quirk != quirk ||
        !strstr(c->quirk_family, family)) {
        dump(rep);
        fail_msg("%s: expected known quirk R%u of %s", id, quirk, family);
    }
    char label[16];
    snprintf(label, sizeof label, "known quirk R%u", quirk);
    assert_non_null(strstr(c->msg, label));
    assert_non_null(strstr(c->msg, "source: "));
}

static void test_known_quirks(void **state)
{
    (void)state;
    struct device dv = {"stm32l4-bootloader", {NULL}, 0};
    struct run r;
    /* the busy stall of the STM32L4 ROM: one STALLed GETSTATUS during an
     * erase, then dfuDNBUSY and done */
    run_setup(&r, &dv, DFS_ALLOW_ERASE | DFS_ALLOW_TIMING_ABUSE);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    expect_quirk(r.rep, "dfu11.poll-timeout-sufficient", 2, "STM32 system bootloader");
    expect_quirk(r.rep, "dfu11.getstatus-early", 2, "STM32 system bootloader");
    unsigned n[DFS_VERDICT__COUNT];
    dfs_report_counts(r.rep, n);
    assert_int_equal(n[DFS_VERDICT_QUIRK], 2);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    run_free(&r);
    /* without it (busy-stall=0) the same checks pass */
    struct device calm = {"stm32l4-bootloader", {"busy-stall=0", NULL}, 0};
    run_setup(&r, &calm, DFS_ALLOW_ERASE);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    assert_int_equal(find_check(r.rep, "dfu11.poll-timeout-sufficient")->verdict,
                     DFS_VERDICT_PASS);
    run_free(&r);
    /* a stall on every early poll is no STM32L4 busy stall: a failure */
    struct device l4s = {"stm32l4-bootloader", {"short-poll-timeout=1", NULL}, 0};
    run_setup(&r, &l4s, DFS_ALLOW_ERASE);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    expect_failed(r.rep, "dfu11.poll-timeout-sufficient", "stm32l4 short-poll-timeout");
    run_free(&r);
    /* TinyUSB announces bcdDFUVersion 0x0101 */
    struct device tu = {"tinyusb-dfu", {NULL}, 0};
    run_setup(&r, &tu, 0);
    run_suites(&r, 1u << DFS_SUITE_DESCRIPTORS);
    expect_quirk(r.rep, "desc.dfu.functional-values", 8, "TinyUSB");
    run_free(&r);
    /* the STM32G0 ROM names its three alternate settings alike */
    struct device g0 = {G0C1, {NULL}, 0};
    run_setup(&r, &g0, 0);
    run_suites(&r, 1u << DFS_SUITE_DESCRIPTORS);
    expect_quirk(r.rep, "desc.dfuse.layout-unique", 10, "STM32 system bootloader");
    run_free(&r);
    /* the same deviations on a device no family of the table matches fail */
    struct device d11 = {DFU11, {"short-poll-timeout=1", NULL}, 0};
    run_setup(&r, &d11, DFS_ALLOW_WRITE);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    expect_failed(r.rep, "dfu11.poll-timeout-sufficient", "dfu11 short-poll-timeout");
    run_free(&r);
}

/* An Atmel FLIP bootloader (dfu-quirks R25): the runner finds its class
 * 0/0/0 interface through the quirk table, names the deviations its family
 * is known for as known quirks, runs the requests FLIP answers, and sends
 * no DNLOAD at all, whatever the flags: its DNLOADs are command blocks
 * (program, erase), which no suite check needs. */
static void test_flip(void **state)
{
    (void)state;
    static const unsigned allows[] = {0, DFS_ALLOW_WRITE | DFS_ALLOW_ERASE |
                                             DFS_ALLOW_TIMING_ABUSE | DFS_ALLOW_VENDOR_REQUEST};
    for (size_t i = 0; i < sizeof allows / sizeof allows[0]; i++) {
        struct device dv = {"atmel-flip", {NULL}, 0};
        struct run r;
        run_setup(&r, &dv, allows[i]);
        run_suites(&r, ALL_SUITES);
        assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_COMPLETE);
        expect_failed(r.rep, "", "atmel-flip");
        expect_quirk(r.rep, "desc.dfu.interface", 25, "FLIP");
        expect_quirk(r.rep, "desc.dfu.functional-present", 25, "FLIP");
        unsigned n[DFS_VERDICT__COUNT];
        dfs_report_counts(r.rep, n);
        assert_int_equal(n[DFS_VERDICT_QUIRK], 2);
        assert_int_equal(dfs_report_exit_code(r.rep), 0);
        static const char *const ran[] = {"dfu11.getstatus-idle", "dfu11.getstate-idle",
                                          "dfu11.abort-idle", "desc.string.lengths"};
        for (size_t k = 0; k < sizeof ran / sizeof ran[0]; k++)
            assert_int_equal(find_check(r.rep, ran[k])->verdict, DFS_VERDICT_PASS);
        /* what FLIP does not answer as DFU 1.1 says why it was not run */
        static const char *const skipped[] = {"dfu11.invalid-request-stalls",
                                              "dfu11.upload-short-end",
                                              "dfu11.poll-timeout-sufficient",
                                              "dfu11.busy-poll-timeout",
                                              "dfu11.abort-dnload-idle"};
        for (size_t k = 0; k < sizeof skipped / sizeof skipped[0]; k++) {
            const struct dfs_check_result *c = find_check(r.rep, skipped[k]);
            assert_int_equal(c->verdict, DFS_VERDICT_SKIP);
            assert_non_null(strstr(c->msg, "FLIP bootloader (known quirk R25)"));
        }
        assert_int_equal(find_check(r.rep, "dfuse.commands")->verdict, DFS_VERDICT_SKIP);
        assert_int_equal(r.watch.seen.dfu[DFS_DFU_DNLOAD], 0);
        assert_true(r.watch.seen.dfu[DFS_DFU_GETSTATUS] > 0);
        run_free(&r);
    }
    /* a script's chip erase is an erase: refused with --allow-write alone,
     * before anything is sent */
    struct device dv = {"atmel-flip", {"flash=app", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE);
    run_script(&r, "getstatus\ndnload 0 hex:0400ff\n");
    assert_int_not_equal(dfs_report_exit_code(r.rep), 0);
    assert_int_equal(r.watch.seen.dfu[DFS_DFU_DNLOAD], 0);
    run_free(&r);
}

static void test_plain_dfu_skips_without_write(void **state)
{
    (void)state;
    struct device dv = {DFU11, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    const struct dfs_check_result *c = find_check(r.rep, "dfu11.poll-timeout-sufficient");
    assert_non_null(c);
    assert_int_equal(c->verdict, DFS_VERDICT_NOT_CHECKED);
    assert_int_equal(c->needs, DFS_ALLOW_WRITE);
    assert_non_null(strstr(c->msg, "needs --allow-write"));
    c = find_check(r.rep, "dfu11.busy-poll-timeout");
    assert_int_equal(c->verdict, DFS_VERDICT_NOT_CHECKED);
    assert_int_equal(c->needs, DFS_ALLOW_WRITE);
    c = find_check(r.rep, "dfu11.getstatus-early");
    assert_int_equal(c->verdict, DFS_VERDICT_NOT_CHECKED);
    assert_int_equal(c->needs, DFS_ALLOW_TIMING_ABUSE);
    assert_non_null(strstr(c->msg, "--allow-timing-abuse"));
    /* not checked is not passed: the text says so and names the flags */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_text(r.rep, f, DFS_TEXT_ALL), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "not-checked dfu11.poll-timeout-sufficient"));
    assert_non_null(strstr(buf, "4 not checked"));
    assert_non_null(strstr(buf, "not checked without --allow-write, --allow-timing-abuse"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_json(r.rep, f), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"not_checked\":4"));
    assert_non_null(strstr(buf, "\"verdict\":\"not-checked\""));
    assert_non_null(strstr(buf, "\"needs\":[\"--allow-write\"]"));
    free(buf);
    run_free(&r);
    /* a DfuSe device read only: a set-address is no erase */
    struct device ds = {DFUSE, {NULL}, 0};
    run_setup(&r, &ds, 0);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    c = find_check(r.rep, "dfu11.poll-timeout-sufficient");
    assert_int_equal(c->verdict, DFS_VERDICT_NOT_CHECKED);
    assert_int_equal(c->needs, DFS_ALLOW_ERASE);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    run_free(&r);
    run_setup(&r, &dv, 0);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    /* the dfuse suite does not apply */
    run_free(&r);
    run_setup(&r, &dv, 0);
    run_suites(&r, 1u << DFS_SUITE_DFUSE);
    for (size_t i = 0; i < dfs_report_check_count(r.rep); i++)
        assert_int_equal(dfs_report_check(r.rep, i)->verdict, DFS_VERDICT_SKIP);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    run_free(&r);
}

static void test_faults(void **state)
{
    (void)state;
    /* the bwPollTimeout faults show on work longer than 1 ms: a DfuSe erase
     * (--allow-erase) or a plain DFU download (--allow-write) */
    static const struct {
        const char *model, *fault;
        unsigned allow;
        const char *failed;
    } cases[] = {
        {DFUSE, "zero-poll-timeout=1", 0, "dfu11.busy-poll-timeout"},
        {DFU11, "zero-poll-timeout=1", DFS_ALLOW_WRITE, "dfu11.busy-poll-timeout"},
        {DFUSE, "short-poll-timeout=1", DFS_ALLOW_ERASE, "dfu11.poll-timeout-sufficient"},
        {DFUSE, "short-poll-timeout=1", DFS_ALLOW_ERASE | DFS_ALLOW_TIMING_ABUSE,
         "dfu11.poll-timeout-sufficient"},
        {DFU11, "short-poll-timeout=1", DFS_ALLOW_WRITE, "dfu11.poll-timeout-sufficient"},
        {DFUSE, "oversized-transfer-size=1", 0, "dfu11.upload-transfer-size"},
        {DFU11, "oversized-transfer-size=1", 0, "dfu11.upload-transfer-size"},
        {DFUSE, "no-functional-descriptor=1", 0, "desc.dfu.functional-present"},
        {DFU11, "no-functional-descriptor=1", 0, "desc.dfu.functional-present"},
        {DFUSE, "short-functional-descriptor=1", 0, "desc.dfu.functional-length"},
        {DFU11, "short-functional-descriptor=1", 0, "desc.dfu.functional-length"},
        {DFUSE, "no-error-after-stall=1", 0, "dfu11.invalid-request-stalls"},
        {DFU11, "no-error-after-stall=1", 0, "dfu11.invalid-request-stalls"},
        {DFUSE, "upload-never-short=1", 0, "dfu11.upload-short-end"},
        {DFU11, "upload-never-short=1", 0, "dfu11.upload-short-end"},
        {DFUSE, "clrstatus-idle-error=1", 0, "dfu11.clrstatus-idle"},
        {DFU11, "clrstatus-idle-error=1", 0, "dfu11.clrstatus-idle"},
        {DFUSE, "odd-string=1", 0, "desc.string.lengths"},
        {DFUSE, "qualifier-answered=1", 0, "desc.qualifier"},
        {DFUSE, "silent-outside=1", 0, "dfuse.address-outside"},
        {G0C1, "silent-outside=1", 0, "dfuse.address-outside"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct device dv = {cases[i].model, {cases[i].fault, NULL}, 0};
        struct run r;
        run_setup(&r, &dv, cases[i].allow);
        run_suites(&r, ALL_SUITES);
        char what[120];
        snprintf(what, sizeof what, "case %zu (%s, %s)", i, cases[i].model, cases[i].fault);
        assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_COMPLETE);
        expect_failed(r.rep, cases[i].failed, what);
        assert_int_equal(dfs_report_exit_code(r.rep), 1);
        run_free(&r);
    }
}

static void test_early_getstatus_warns(void **state)
{
    (void)state;
    struct device dv = {DFU11, {"short-poll-timeout=1", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_TIMING_ABUSE);
    run_suites(&r, 1u << DFS_SUITE_DFU11);
    const struct dfs_check_result *c = find_check(r.rep, "dfu11.getstatus-early");
    assert_non_null(c);
    assert_int_equal(c->verdict, DFS_VERDICT_WARN);
    run_free(&r);
}

/* ---- scripts ------------------------------------------------------------------------------------------ */

static void test_ob_write_allowed(void **state)
{
    (void)state;
    struct device dv = {G0C1, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    run_script(&r, ob_write);
    if (dfs_report_exit_code(r.rep) != 0)
        dump(r.rep);
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_COMPLETE);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    assert_false(present(&r));
    assert_int_equal(dfs_report_check_count(r.rep), 4);
    run_free(&r);
}

static void test_ob_write_refused(void **state)
{
    (void)state;
    static const struct {
        unsigned allow;
        const char *names;
    } cases[] = {
        {0, "--allow-write --allow-option-bytes"},
        {DFS_ALLOW_WRITE, "--allow-option-bytes"},
        {DFS_ALLOW_OPTION_BYTES, "--allow-write"},
        {DFS_ALLOW_WRITE | DFS_ALLOW_OTP | DFS_ALLOW_ERASE, "--allow-option-bytes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct device dv = {G0C1, {NULL}, 0};
        struct run r;
        run_setup(&r, &dv, cases[i].allow);
        run_script(&r, ob_write);
        assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
        assert_int_equal(dfs_report_exit_code(r.rep), 2);
        const char *m = dfs_report_message(r.rep);
        if (!strstr(m, cases[i].names) || !strstr(m, "s.dfu:5"))
            fail_msg("message '%s' lacks '%s' or the step", m, cases[i].names);
        assert_non_null(strstr(m, "refused before sending anything"));
        /* nothing at all reached the device, nothing was recorded */
        assert_int_equal(r.watch.seen.requests, 0);
        assert_int_equal(r.rec.records, 0);
        /* every step is still listed, as not run */
        assert_int_equal(dfs_report_check_count(r.rep), 4);
        run_free(&r);
    }
}

/* The device's own layout names OTP at an address the static rule takes for
 * option bytes (STM32F4: OTP at 0x1FFF7800, where the G0/G4/L4 keep their
 * option bytes): refused once the layout is known, with only descriptor
 * requests sent. */
static void test_refused_by_layout(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {"memory-map=f4", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    run_script(&r, "write hex:00 at 0x1FFF7800\n");
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
    assert_non_null(strstr(dfs_report_message(r.rep), "--allow-otp"));
    assert_non_null(strstr(dfs_report_message(r.rep), "OTP Memory"));
    for (uint8_t q = 0; q < 8; q++)
        assert_int_equal(dfu_requests(&r, q), 0);
    assert_true(r.watch.seen.requests > 0); /* the descriptor reads */
    run_free(&r);
}

/* A device that says neither DfuSe nor plain DFU (no functional descriptor,
 * no layouts): a DNLOAD that is a set-address for DfuSe could program
 * firmware, so it needs --allow-write. */
static void test_unknown_kind_taken_at_worst(void **state)
{
    (void)state;
    struct device dv = {DFU11, {"no-functional-descriptor=1", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_script(&r, "dnload 0 hex:2100000008\ngetstatus\n");
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
    assert_non_null(strstr(dfs_report_message(r.rep), "needs --allow-write"));
    assert_int_equal(r.watch.seen.data_dnloads, 0);
    for (uint8_t q = 0; q < 8; q++)
        assert_int_equal(dfu_requests(&r, q), 0);
    run_free(&r);
}

static void test_reenumerate(void **state)
{
    (void)state;
    struct device dv = {G0C1, {"after-ob-reset=dfu", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    uint8_t before = dfs_emu_transport_address(&r.emu);
    run_script(&r, "write hex:10000000 at 0x1FFF7870 expect reenumerate 0483:df11 within 5s\n"
                   "getstatus expect status=OK state=dfuIDLE\n"
                   "read 4 at 0x1FFF7870 expect data=10000000\n");
    if (dfs_report_exit_code(r.rep) != 0)
        dump(r.rep);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    assert_int_equal(dfs_emu_transport_address(&r.emu), before + 1);
    struct dfs_usb_ident id;
    assert_true(dfs_report_device(r.rep, &id));
    assert_int_equal(id.devnum, before + 1);
    const struct dfs_step_info *st = dfs_report_step(r.rep, 1);
    assert_non_null(strstr(st->msg, "came back as 0483:df11"));
    run_free(&r);

    /* it does not come back: the expectation fails */
    struct device gone = {G0C1, {NULL}, 0};
    run_setup(&r, &gone, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    run_script(&r, "write hex:10000000 at 0x1FFF7870 expect reenumerate 0483:df11 within 2s\n");
    assert_int_equal(dfs_report_exit_code(r.rep), 1);
    assert_non_null(strstr(dfs_report_check(r.rep, 0)->msg, "did not come back within 2000 ms"));
    run_free(&r);
}

static void test_expectations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int exit;
        const char *msg; /* in the failing check */
    } cases[] = {
        {"getstatus expect ok status=OK state=dfuIDLE poll=0 length=6\n", 0, NULL},
        {"getstatus expect state=dfuERROR\n", 1, "state dfuIDLE (2), expected dfuERROR (10)"},
        {"getstatus expect status=errADDRESS\n", 1, "status OK (0x00), expected errADDRESS"},
        {"getstate expect state=dfuIDLE data=02\n", 0, NULL},
        {"upload 0 256 expect ok length=4 data=00214192\n", 0, NULL},
        {"upload 0 256 expect data=002141\n", 1, "does not match 002141"},
        {"upload 0 256 expect data=002141*\n", 0, NULL},
        {"upload 0 256 expect data=00??41??\n", 0, NULL},
        {"upload 0 256 expect length>4\n", 1, "reply of 4 bytes, expected >4"},
        {"clrstatus expect stall\ngetstatus expect status=errSTALLEDPKT state=dfuERROR\n"
         "clrstatus\ngetstatus expect state=dfuIDLE\n",
         0, NULL},
        {"clrstatus\n", 1, "expected ok, got STALL"},
        {"clrstatus expect fail\n", 0, NULL},
        {"control 0xc0 0xee 0 0 4 timeout=100ms expect timeout\n", 0, NULL},
        {"control 0xc0 0xee 0 0 4 timeout=100ms\n", 1, "expected ok, got timeout"},
        {"get-descriptor string 0 expect data=04030904\n", 0, NULL},
        {"get-descriptor qualifier expect stall\n", 0, NULL},
        {"set-address 0x08000000 expect status=OK state=dfuDNLOAD-IDLE\nabort\n", 0, NULL},
        {"set-address 0x30000000 expect status=errTARGET state=dfuERROR\n", 0, NULL},
        {"set-address 0x30000000\n", 0, NULL}, /* the transfers completed: ok */
        {"read 8 at 0x08000000 expect data=ffffffffffffffff\n", 0, NULL},
        {"getstatus expect disconnect within 100ms\n", 1, "did not leave the bus within 100 ms"},
        {"check group.one clause=\"DFU 1.1 6.1.2\"\ngetstatus\ngetstate expect state=dfuERROR\n",
         1, "s.dfu:3: state dfuIDLE"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        /* (a device that never answers vendor requests, for the timeouts) */
        struct device dv = {DFUSE, {"vendor-no-answer=1", NULL}, 0};
        struct run r;
        run_setup(&r, &dv, 0);
        run_script(&r, cases[i].text);
        int ex = dfs_report_exit_code(r.rep);
        if (ex != cases[i].exit) {
            dump(r.rep);
            fail_msg("case %zu: exit %d, expected %d", i, ex, cases[i].exit);
        }
        if (cases[i].msg) {
            bool found = false;
            for (size_t k = 0; k < dfs_report_check_count(r.rep); k++) {
                const struct dfs_check_result *c = dfs_report_check(r.rep, k);
                found |= c->verdict == DFS_VERDICT_FAIL && strstr(c->msg, cases[i].msg) != NULL;
            }
            if (!found) {
                dump(r.rep);
                fail_msg("case %zu: no failed check says '%s'", i, cases[i].msg);
            }
        }
        run_free(&r);
    }
}

static void test_stop_at_first_failure(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_script(&r, "getstatus\nclrstatus\ngetstatus\ngetstate\n");
    assert_int_equal(dfs_report_check_count(r.rep), 4);
    assert_int_equal(dfs_report_check(r.rep, 1)->verdict, DFS_VERDICT_FAIL);
    assert_int_equal(dfs_report_check(r.rep, 2)->verdict, DFS_VERDICT_SKIP);
    assert_non_null(strstr(dfs_report_check(r.rep, 2)->msg, "an earlier step failed (s.dfu:2)"));
    assert_int_equal(dfu_requests(&r, DFS_DFU_GETSTATE), 0);
    run_free(&r);

    run_setup(&r, &dv, 0);
    r.o.keep_going = true;
    run_script(&r, "getstatus\nclrstatus\ngetstatus\ngetstate\n");
    assert_int_equal(dfs_report_check(r.rep, 3)->verdict, DFS_VERDICT_PASS);
    run_free(&r);
}

static void test_poll_timeout_honoured(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    /* the first GETSTATUS answers dfuDNBUSY with 1 ms; the second must wait */
    run_script(&r, "dnload 0 hex:2100000008\n"
                   "getstatus expect state=dfuDNBUSY poll=1\n"
                   "getstatus expect state=dfuDNLOAD-IDLE\n");
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    const struct dfs_exchange *a = dfs_report_exchange(r.rep, dfs_report_exchange_count(r.rep) - 2);
    const struct dfs_exchange *b = dfs_report_exchange(r.rep, dfs_report_exchange_count(r.rep) - 1);
    assert_true(b->t_us >= a->t_us + a->dur_us + 1000);
    run_free(&r);

    /* nowait: sent at once, the device still busy */
    run_setup(&r, &dv, 0);
    run_script(&r, "dnload 0 hex:2100000008\ngetstatus expect state=dfuDNBUSY\n"
                   "getstatus nowait expect state=dfuDNBUSY\npoll expect state=dfuDNLOAD-IDLE\n");
    if (dfs_report_exit_code(r.rep) != 0)
        dump(r.rep);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    run_free(&r);
}

/* ---- failures of the run itself ------------------------------------------------------------------- */

static void test_no_device(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    dfs_device_sel_parse_id(&r.o.device, "1234:5678");
    run_suites(&r, ALL_SUITES);
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
    assert_int_equal(dfs_report_exit_code(r.rep), 2);
    assert_non_null(strstr(dfs_report_message(r.rep), "no 1234:5678 is connected"));
    /* every check of every suite is listed, as an error */
    size_t n = 0, k;
    for (int s = 0; s < DFS_SUITE__COUNT; s++) {
        dfs_suite_checks((enum dfs_suite)s, &k);
        n += k;
    }
    assert_int_equal(dfs_report_check_count(r.rep), n);
    assert_int_equal(dfs_report_check(r.rep, 0)->verdict, DFS_VERDICT_ERROR);
    run_free(&r);
}

static void test_device_vanishes(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 12};
    struct run r;
    run_setup(&r, &dv, 0);
    run_script(&r, "getstatus\ngetstatus\ngetstatus\ngetstatus\ngetstatus\ngetstatus\n"
                   "getstatus\ngetstatus\ngetstatus\ngetstatus\n");
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_DEVICE_LOST);
    assert_int_equal(dfs_report_exit_code(r.rep), 2);
    assert_non_null(strstr(dfs_report_message(r.rep), "left the bus during 'getstatus'"));
    run_free(&r);

    /* in a suite */
    dv.vanish_after = 30;
    run_setup(&r, &dv, 0);
    run_suites(&r, ALL_SUITES);
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_DEVICE_LOST);
    assert_int_equal(dfs_report_exit_code(r.rep), 2);
    const struct dfs_check_result *c = find_check(r.rep, "dfuse.commands");
    assert_non_null(c);
    assert_int_equal(c->verdict, DFS_VERDICT_ERROR);
    run_free(&r);
}

static void test_interrupt(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    /* Ctrl-C after an UPLOAD left the device in dfuUPLOAD-IDLE: ABORT */
    r.rec.stop_after_text = "upload 2 16";
    run_script(&r, "set-address 0x08000000\nabort\nupload 2 16\ngetstatus\ngetstatus\n");
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_INTERRUPTED);
    assert_int_equal(dfs_report_exit_code(r.rep), 2);
    assert_int_equal(dfu_requests(&r, DFS_DFU_ABORT), 2);
    /* the two of the set-address; none of the script's after the stop */
    assert_int_equal(dfu_requests(&r, DFS_DFU_GETSTATUS), 2);
    const struct dfs_step_info *last = dfs_report_step(r.rep, dfs_report_step_count(r.rep) - 1);
    assert_string_equal(last->text, "abort");
    assert_string_equal(last->origin, "interrupt");
    run_free(&r);

    /* Ctrl-C right after the option-byte DNLOAD: the write is executed (the
     * GETSTATUS after the DNLOAD, which the chip answers by resetting) and
     * no ABORT is sent in the middle of it */
    struct device g0 = {G0C1, {NULL}, 0};
    run_setup(&r, &g0, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    r.rec.stop_after_text = "dnload 2 hex:10000000";
    run_script(&r, "set-address 0x1FFF7870\ndnload 2 hex:10000000\n"
                   "getstatus expect disconnect\nget-descriptor device\n");
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_INTERRUPTED);
    assert_int_equal(dfu_requests(&r, DFS_DFU_ABORT), 0);
    /* two of the set-address, then the one that executes the write */
    assert_int_equal(dfu_requests(&r, DFS_DFU_GETSTATUS), 3);
    assert_false(present(&r));
    const struct dfs_check_result *c = dfs_report_check(r.rep, 2);
    assert_int_equal(c->verdict, DFS_VERDICT_PASS); /* expect disconnect */
    c = dfs_report_check(r.rep, 3);
    assert_int_equal(c->verdict, DFS_VERDICT_SKIP); /* not run after the stop */
    assert_non_null(strstr(c->msg, "stopped by the user"));
    run_free(&r);
}

static void test_interrupt_suite(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    /* Ctrl-C during the dfu11 suite, right after an UPLOAD of a full block */
    r.rec.stop_after_text = "upload 2 2048";
    run_suites(&r, ALL_SUITES);
    assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_INTERRUPTED);
    assert_int_equal(dfs_report_exit_code(r.rep), 2);
    assert_non_null(strstr(dfs_report_message(r.rep), "during the dfu11 suite"));
    /* every check is listed; those after the stop as not run; no check is
     * left without a verdict */
    size_t n = 0, k;
    for (int su = 0; su < DFS_SUITE__COUNT; su++) {
        dfs_suite_checks((enum dfs_suite)su, &k);
        n += k;
    }
    assert_true(dfs_report_check_count(r.rep) >= n);
    for (size_t i = 0; i < dfs_report_check_count(r.rep); i++)
        assert_int_not_equal(dfs_report_check(r.rep, i)->verdict, DFS_VERDICT_NONE);
    const struct dfs_check_result *c = find_check(r.rep, "dfuse.commands");
    assert_non_null(c);
    assert_int_equal(c->verdict, DFS_VERDICT_ERROR);
    assert_non_null(strstr(c->msg, "interrupted"));
    /* the device was left in dfuUPLOAD-IDLE: the run ended with an ABORT */
    const struct dfs_step_info *last = dfs_report_step(r.rep, dfs_report_step_count(r.rep) - 1);
    assert_string_equal(last->origin, "interrupt");
    assert_string_equal(last->text, "abort");
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_models),
        cmocka_unit_test(test_plain_dfu_skips_without_write),
        cmocka_unit_test(test_known_quirks),
        cmocka_unit_test(test_flip),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_early_getstatus_warns),
        cmocka_unit_test(test_ob_write_allowed),
        cmocka_unit_test(test_ob_write_refused),
        cmocka_unit_test(test_refused_by_layout),
        cmocka_unit_test(test_unknown_kind_taken_at_worst),
        cmocka_unit_test(test_reenumerate),
        cmocka_unit_test(test_expectations),
        cmocka_unit_test(test_stop_at_first_failure),
        cmocka_unit_test(test_poll_timeout_honoured),
        cmocka_unit_test(test_no_device),
        cmocka_unit_test(test_device_vanishes),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_interrupt_suite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
