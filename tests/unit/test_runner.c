/* The runner against the emulated devices (the models of fixtures/models on
 * the emulated bus, through dfs_emu_transport on its virtual clock): each
 * suite on each model, each fault failing exactly its check, scripts with
 * their expectations, the safety refusals (nothing sent), Ctrl-C, a device
 * that vanishes, the usbmon records a run writes (decoded again by the
 * decoder, which must see the option-byte reset), and capture-to-script
 * round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "dfuscope/capture.h"
#include "dfuscope/decoder.h"
#include "dfuscope/emulator.h"
#include "internal.h"

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

static void rec_record(void *user, struct dfs_time ts, const uint8_t *rec, size_t len)
{
    struct recorder *r = user;
    /* records with their time stamp and length in front */
    size_t hdr = sizeof ts + 4;
    if (r->len + len + hdr > r->cap) {
        r->cap = (r->len + len + hdr) * 2;
        r->buf = realloc(r->buf, r->cap);
    }
    uint32_t n = (uint32_t)len;
    memcpy(r->buf + r->len, &ts, sizeof ts);
    memcpy(r->buf + r->len + sizeof ts, &n, 4);
    memcpy(r->buf + r->len + hdr, rec, len);
    r->len += len + hdr;
    r->records++;
}

static void rec_step(void *user, const dfs_report *rep, size_t i)
{
    struct recorder *r = user;
    const struct dfs_step_info *s = dfs_report_step(rep, i);
    if (r->stop && r->stop_after_text && strcmp(s->text, r->stop_after_text) == 0)
        *r->stop = 1;
}

/* A device: a model, its options, and whether it vanishes from the bus at
 * the runner's request after vanish_after (0: never). */
struct device {
    const char *model;
    const char *opts[4];
    unsigned vanish_after;
};

static size_t n_opts(const struct device *d)
{
    size_t n = 0;
    while (n < 4 && d->opts[n])
        n++;
    return n;
}

/* What reached the device: requests (not those that found it gone), DFU
 * class requests by bRequest, DNLOADs with data. */
struct seen_by_device {
    unsigned requests, dfu[8], data_dnloads;
};

struct run {
    struct dfs_emu_device dev;
    struct dfs_transport emu; /* the emulated device */
    struct dfs_transport tp;  /* what the runner talks to: emu, watched */
    struct seen_by_device seen;
    unsigned vanish_after;
    dfs_report *rep;
    struct recorder rec;
    struct dfs_clock clock;
    struct dfs_run_options o;
    volatile sig_atomic_t stop;
};

/* The transport the runner gets: the emulated one, with what reaches the
 * device counted, and the device pulled off the bus at the request after
 * vanish_after of them. */
static dfs_result w_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    struct run *r = ctx;
    return r->emu.ops->open(r->emu.ctx, sel, id, msg, size);
}
static dfs_result w_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct run *r = ctx;
    return r->emu.ops->cached_descriptors(r->emu.ctx, dev, cfg, cfg_size, cfg_len);
}
static dfs_result w_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    struct run *r = ctx;
    return r->emu.ops->claim(r->emu.ctx, iface, msg, size);
}
static void w_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct run *r = ctx;
    if (r->vanish_after && r->seen.requests == r->vanish_after)
        dfs_emu_transport_unplug(&r->emu, DFS_EMU_NEVER);
    r->emu.ops->control(r->emu.ctx, su, data, timeout_ms, reply);
    if (reply->status == DFS_XFER_NO_DEVICE)
        return;
    r->seen.requests++;
    bool dfu = su->bmRequestType == DFS_DFU_REQTYPE_IN || su->bmRequestType == DFS_DFU_REQTYPE_OUT;
    if (dfu && su->bRequest < 8)
        r->seen.dfu[su->bRequest]++;
    if (dfu && su->bRequest == DFS_DFU_DNLOAD && su->wLength)
        r->seen.data_dnloads++;
}
static bool w_present(void *ctx)
{
    struct run *r = ctx;
    return r->emu.ops->present(r->emu.ctx);
}
static dfs_result w_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct run *r = ctx;
    return r->emu.ops->reopen(r->emu.ctx, sel, within_ms, id, msg, size);
}
static void w_close(void *ctx)
{
    struct run *r = ctx;
    r->emu.ops->close(r->emu.ctx);
}
static const struct dfs_transport_ops watched = {w_open,    w_cached,  w_claim, w_control,
                                                 w_present, w_reopen, w_close};

static unsigned dfu_requests(const struct run *r, uint8_t bRequest) { return r->seen.dfu[bRequest]; }
static bool present(const struct run *r) { return dfs_emu_transport_address(&r->emu) != 0; }

static void run_setup(struct run *r, const struct device *dv, unsigned allow)
{
    memset(r, 0, sizeof *r);
    char err[600];
    if (dfs_emu_device_new(dfs_emu_model_find(dv->model), dv->opts, n_opts(dv), &r->dev, err,
                           sizeof err) != DFS_OK)
        fail_msg("%s", err);
    if (dfs_emu_transport_new(&r->dev, &r->emu, &r->clock, err, sizeof err) != DFS_OK)
        fail_msg("%s", err);
    r->tp.ops = &watched;
    r->tp.ctx = r;
    r->vanish_after = dv->vanish_after;
    dfs_run_options_init(&r->o);
    r->o.allow = allow;
    r->o.clock = &r->clock;
    r->o.on_record = rec_record;
    r->o.on_step = rec_step;
    r->o.user = &r->rec;
    r->o.stop = &r->stop;
    r->rec.stop = &r->stop;
}

static void run_free(struct run *r)
{
    dfs_report_free(r->rep);
    dfs_emu_transport_free(&r->emu);
    dfs_emu_device_free(&r->dev);
    free(r->rec.buf);
}

static void run_suites(struct run *r, unsigned suites)
{
    assert_int_equal(dfs_run_suites(suites, &r->o, &r->tp, &r->rep), DFS_OK);
}

static dfs_script *parse(const char *text)
{
    dfs_script *s = NULL;
    struct dfs_script_error e;
    if (dfs_script_parse(text, strlen(text), "s.dfu", NULL, &s, &e) != DFS_OK)
        fail_msg("parse: %u:%u: %s", e.line, e.column, e.msg);
    return s;
}

static void run_script(struct run *r, const char *text)
{
    dfs_script *s = parse(text);
    assert_int_equal(dfs_run_script(s, &r->o, &r->tp, &r->rep), DFS_OK);
    dfs_script_free(s);
}

/* "id,id" of the checks that failed (FAIL or ERROR), in report order. */
static void failed_ids(const dfs_report *rep, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < dfs_report_check_count(rep); i++) {
        const struct dfs_check_result *c = dfs_report_check(rep, i);
        if (c->verdict == DFS_VERDICT_FAIL || c->verdict == DFS_VERDICT_ERROR)
            dfs_run__catf(buf, size, "%s%s", buf[0] ? "," : "", c->id);
    }
}

static void dump(const dfs_report *rep)
{
    dfs_report_write_text(rep, stderr, DFS_TEXT_ALL);
}

static void expect_failed(const dfs_report *rep, const char *want, const char *what)
{
    char got[2000];
    failed_ids(rep, got, sizeof got);
    if (strcmp(got, want) != 0) {
        dump(rep);
        fail_msg("%s: failed checks '%s', expected '%s'", what, got, want);
    }
}

static const struct dfs_check_result *find_check(const dfs_report *rep, const char *id)
{
    for (size_t i = 0; i < dfs_report_check_count(rep); i++)
        if (strcmp(dfs_report_check(rep, i)->id, id) == 0)
            return dfs_report_check(rep, i);
    return NULL;
}

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
            assert_int_equal(r.seen.data_dnloads, 0);
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

static const char ob_write[] =
    "# the seed: SEC_SIZE option byte of an STM32G0C1 over DfuSe\n"
    "set-interface 0\n"
    "read 68 at 0x1FFF7800 expect length=68\n"
    "read 4 at 0x1FFF7870 expect length=4\n"
    "write hex:10000000 at 0x1FFF7870 expect disconnect\n";

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
        assert_int_equal(r.seen.requests, 0);
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
    assert_true(r.seen.requests > 0); /* the descriptor reads */
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
    assert_int_equal(r.seen.data_dnloads, 0);
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

/* ---- the capture a run writes ------------------------------------------------------------------------ */

struct seen {
    unsigned controls, stalls, dfu, ob_reset, findings_err;
};

static int s_control(void *u, const struct dfs_control *c)
{
    struct seen *s = u;
    s->controls++;
    s->stalls += c->status == -32;
    return 0;
}
static int s_dfu(void *u, const struct dfs_dfu_txn *t)
{
    (void)t;
    ((struct seen *)u)->dfu++;
    return 0;
}
static int s_finding(void *u, const struct dfs_finding *f)
{
    struct seen *s = u;
    s->ob_reset += f->code == DFS_F_DFUSE_OPTION_BYTES_RESET;
    s->findings_err += f->severity == DFS_SEV_ERROR;
    return 0;
}

static void decode_records(const struct recorder *rec, const struct dfs_sink *sink)
{
    struct dfs_options opt;
    dfs_options_init(&opt);
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(&opt, sink, &d), DFS_OK);
    size_t off = 0;
    uint64_t frame = 0;
    size_t hdr = sizeof(struct dfs_time) + 4;
    while (off + hdr <= rec->len) {
        uint32_t n;
        struct dfs_time ts;
        memcpy(&ts, rec->buf + off, sizeof ts);
        memcpy(&n, rec->buf + off + sizeof ts, 4);
        struct dfs_record r = {++frame, ts, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, n, n,
                               rec->buf + off + hdr};
        assert_int_equal(dfs_decoder_feed(d, &r), DFS_OK);
        off += hdr + n;
    }
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    const struct dfs_stats *st = dfs_decoder_stats(d);
    assert_int_equal(st->records_skipped, 0);
    assert_int_equal(st->records_damaged, 0);
    assert_int_equal(st->urbs_unmatched, 0);
    dfs_decoder_free(d);
}

static void test_records_decode(void **state)
{
    (void)state;
    struct device dv = {G0C1, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES);
    run_script(&r, ob_write);
    assert_int_equal(dfs_report_exit_code(r.rep), 0);
    assert_int_equal(r.rec.records, 2 * dfs_report_exchange_count(r.rep));
    struct seen s = {0};
    struct dfs_sink sink = {.user = &s, .on_control = s_control, .on_dfu = s_dfu,
                            .on_finding = s_finding};
    decode_records(&r.rec, &sink);
    assert_int_equal(s.controls, dfs_report_exchange_count(r.rep));
    assert_int_equal(s.stalls, 1);
    assert_true(s.dfu > 10);
    /* the decoder reads the run as dfuscope diagnose would: the write reset the chip */
    assert_int_equal(s.ob_reset, 1);
    run_free(&r);
}

/* ---- capture to script --------------------------------------------------------------------------------- */

static char *script_from_records(const struct recorder *rec, bool standard)
{
    struct dfs_scriptgen_options go = {.standard = standard, .source = "run.pcap"};
    dfs_scriptgen *g;
    assert_int_equal(dfs_scriptgen_new(&go, &g), DFS_OK);
    struct dfs_sink sink;
    dfs_scriptgen_sink(g, &sink);
    decode_records(rec, &sink);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    char msg[300];
    dfs_result res = dfs_scriptgen_finish(g, f, msg, sizeof msg);
    fclose(f);
    if (res != DFS_OK)
        fail_msg("scriptgen: %s", msg);
    dfs_scriptgen_free(g);
    return buf;
}

static void test_script_from_roundtrip(void **state)
{
    (void)state;
    static const struct {
        struct device dv;
        unsigned allow;
        const char *script;
        bool standard;
        const char *contains;
    } cases[] = {
        {{G0C1, {NULL}, 0}, DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES, ob_write, false,
         "expect disconnect"},
        {{DFUSE, {"memory-map=f4", NULL}, 0}, 0,
         "set-interface 1\nread 16 at 0x1FFFC000\nclrstatus expect stall\n"
         "getstatus\nclrstatus\n",
         true, "get-descriptor string 0"},
        {{DFU11, {NULL}, 0}, DFS_ALLOW_WRITE,
         "upload 0 1024\nabort\ndnload 0 hex:00112233\n"
         "getstatus\npoll\ndnload 1\npoll\n",
         false, "dnload 0 hex:00112233"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r;
        run_setup(&r, &cases[i].dv, cases[i].allow);
        run_script(&r, cases[i].script);
        if (dfs_report_exit_code(r.rep) != 0)
            dump(r.rep);
        assert_int_equal(dfs_report_exit_code(r.rep), 0);
        char *gen = script_from_records(&r.rec, cases[i].standard);
        if (!strstr(gen, cases[i].contains))
            fail_msg("case %zu: the script lacks '%s':\n%s", i, cases[i].contains, gen);
        run_free(&r);
        /* replayed against the same model: passes */
        run_setup(&r, &cases[i].dv, cases[i].allow);
        run_script(&r, gen);
        if (dfs_report_exit_code(r.rep) != 0) {
            fprintf(stderr, "%s", gen);
            dump(r.rep);
            fail_msg("case %zu: the replay failed", i);
        }
        run_free(&r);
        /* and without the flags it needs, it is refused */
        if (cases[i].allow) {
            run_setup(&r, &cases[i].dv, 0);
            run_script(&r, gen);
            assert_int_equal(dfs_report_outcome(r.rep), DFS_RUN_NOT_MADE);
            assert_int_equal(r.seen.data_dnloads, 0);
            run_free(&r);
        }
        free(gen);
    }
}

/* The replay fails where the device behaves otherwise than in the capture. */
static void test_script_from_detects_change(void **state)
{
    (void)state;
    struct device dv = {DFUSE, {NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_script(&r, "getstatus\nclrstatus expect stall\ngetstatus\nclrstatus\n");
    char *gen = script_from_records(&r.rec, false);
    run_free(&r);
    struct device faulty = {DFUSE, {"no-error-after-stall=1", NULL}, 0};
    run_setup(&r, &faulty, 0);
    run_script(&r, gen);
    assert_int_equal(dfs_report_exit_code(r.rep), 1);
    run_free(&r);
    free(gen);
}

/* ---- report writers ------------------------------------------------------------------------------------- */

/* on_step_begin: every step is announced once, before it ends, with its
 * origin and text already set and no verdict yet; a script's steps name
 * their line. */
struct begin_log {
    size_t begun, ended;
    long open;        /* the step begun and not yet ended, -1 */
    bool bad;
    char first_script_origin[sizeof ((struct dfs_step_info *)0)->origin];
};

static void log_begin(void *user, const dfs_report *rep, size_t i)
{
    struct begin_log *b = user;
    const struct dfs_step_info *s = dfs_report_step(rep, i);
    if (b->open != -1 || i != b->begun || !s || !s->origin[0] || !s->text[0] ||
        s->verdict != DFS_VERDICT_NONE)
        b->bad = true;
    if (s && !b->first_script_origin[0] && strncmp(s->origin, "s.dfu:", 6) == 0)
        snprintf(b->first_script_origin, sizeof b->first_script_origin, "%s", s->origin);
    b->open = (long)i;
    b->begun++;
}

static void log_end(void *user, const dfs_report *rep, size_t i)
{
    struct begin_log *b = user;
    (void)rep;
    if (b->open != (long)i)
        b->bad = true;
    b->open = -1;
    b->ended++;
}

static void test_step_begin(void **state)
{
    (void)state;
    for (int script = 0; script < 2; script++) {
        struct device dv = {DFUSE, {NULL}, 0};
        struct run r;
        run_setup(&r, &dv, 0);
        struct begin_log b = {.open = -1};
        r.o.on_step_begin = log_begin;
        r.o.on_step = log_end;
        r.o.on_record = NULL; /* its user is the recorder */
        r.o.user = &b;
        if (script)
            run_script(&r, "getstatus\ngetstate expect state=dfuIDLE\n");
        else
            run_suites(&r, ALL_SUITES);
        size_t steps = dfs_report_step_count(r.rep);
        assert_true(steps > (script ? 1u : 10u));
        assert_false(b.bad);
        assert_int_equal(b.begun, steps);
        assert_int_equal(b.ended, steps);
        assert_int_equal(b.open, -1);
        if (script)
            assert_string_equal(b.first_script_origin, "s.dfu:1");
        run_free(&r);
    }
}

static void test_writers(void **state)
{
    (void)state;
    struct device dv = {G0C1, {"qualifier-answered=1", NULL}, 0};
    struct run r;
    run_setup(&r, &dv, 0);
    run_suites(&r, 1u << DFS_SUITE_DESCRIPTORS);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_text(r.rep, f, DFS_TEXT_ALL), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "device 0483:df11 on bus 1 device 6"));
    assert_non_null(strstr(buf, "FAIL  desc.qualifier [USB 2.0 9.6.2]"));
    assert_non_null(strstr(buf, "known-quirk desc.dfuse.layout-unique [ST AN3156"));
    assert_non_null(strstr(buf, "several alternate settings advertise"));
    assert_non_null(strstr(buf, "known quirk R10 "));
    assert_non_null(
        strstr(buf, "summary: 17 checks: 14 passed, 1 failed, 1 known quirk, 1 not checked, 0 skipped, 0 errors"));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_json(r.rep, f), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "\"id\":\"desc.dfuse.layout-unique\""));
    assert_non_null(strstr(buf, "\"verdict\":\"known-quirk\""));
    assert_non_null(strstr(buf, "\"quirk\":{\"id\":\"R10\""));
    assert_non_null(strstr(buf, "\"known_quirks\":1,\"not_checked\":1"));
    assert_non_null(strstr(buf, "\"exit_code\":1"));
    assert_non_null(strstr(buf, "\"request\":\"GET_DESCRIPTOR DEVICE_QUALIFIER 0\""));
    free(buf);
    f = open_memstream(&buf, &len);
    assert_int_equal(dfs_report_write_junit(r.rep, f, "dfuscope"), DFS_OK);
    fclose(f);
    assert_non_null(strstr(buf, "<testsuite name=\"descriptors\" tests=\"17\" failures=\"1\""));
    assert_non_null(strstr(buf, "<failure message=\"a full-speed-only device must STALL"));
    free(buf);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_models),
        cmocka_unit_test(test_plain_dfu_skips_without_write),
        cmocka_unit_test(test_known_quirks),
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
        cmocka_unit_test(test_records_decode),
        cmocka_unit_test(test_script_from_roundtrip),
        cmocka_unit_test(test_script_from_detects_change),
        cmocka_unit_test(test_writers),
        cmocka_unit_test(test_step_begin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
