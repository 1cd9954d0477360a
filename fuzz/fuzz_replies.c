/* Fuzz target: the conformance runner's handling of device replies
 * (conformance/: dfs_run_suites, dfs_run_script).
 *
 * The runner talks to the transport the tests use, the emulated devices of
 * fixtures/models on the emulated bus (dfs_emu_transport, on the bus's
 * virtual clock), with a transport in front of it that lets the fuzz input
 * decide, request by request, whether the model's answer goes through as it
 * is or is replaced: a STALL, a timeout, a bus error, the device leaving
 * for good, the device leaving and coming back (re-enumeration), an
 * overflow, a length longer than asked, bytes of the input, or the model's
 * reply with one byte changed or cut short. The clock never runs in real
 * time, so a run never sleeps.
 *
 * Input:
 *   byte 0  bits 0-1 model (0 stm32g0c1-bootloader, 1 dfuse-device,
 *           2 dfu11-device, 3 stm32g0c1-bootloader coming back in DFU
 *           mode after an option-byte write); bits 2-4 what runs (0 all
 *           suites, 1-3 one suite, 4-7 one of the scripts below); bit 5
 *           every --allow flag (else none); bit 6 --keep-going; bit 7 the
 *           user presses Ctrl-C after byte 2 steps
 *   byte 1  a fault option of the model (0 none, 1-8 in table order)
 *   byte 2  Ctrl-C after this many steps (with bit 7)
 *   byte 3  the descriptors the host holds: 0 as the device gives them,
 *           else byte 3 of the configuration set (mod its length) xored
 *           with byte 4
 *   then per request one byte: low 4 bits the outcome (0-7 the model's
 *   answer, 8 STALL, 9 timeout, 10 bus error, 11 gone, 12 the model's
 *   answer then a re-enumeration after (next byte * 20) ms, 13 overflow
 *   with a length of wLength + 1 + next byte, 14 a reply of next byte
 *   bytes taken from the input, 15 the model's answer with byte (next
 *   byte) xored with the one after, or cut there when that is 0), high 4
 *   bits extra time the request takes (n * n ms). When the input runs out
 *   the model answers alone.
 * A run is bounded: after 4000 requests or 2 hours of virtual time the
 * device is gone.
 *
 * Properties checked: a report is made and its exit code is 0, 1 or 2;
 * every check has a verdict; the text, JSON and JUnit writers work and the
 * JSON is well-formed; without --allow flags nothing but a DfuSe
 * set-address is downloaded; between an option-byte write (or erase, or
 * read-unprotect) and the GETSTATUS that ends it the runner sends nothing
 * but GETSTATUS (no ABORT, CLRSTATUS, DETACH, DNLOAD, SET_INTERFACE or
 * SET_CONFIGURATION), even when the user presses Ctrl-C; the runner sends
 * requests only to a device it has open, never waits a day; no leak.
 */
#include "fuzz.h"

#include "dfuscope/dfu.h"
#include "dfuscope/dfuse.h"
#include "dfuscope/emulator.h"
#include "dfuscope/runner.h"
#include "dfuscope/usb.h"

#define MAX_REQUESTS 4000
#define MAX_VIRTUAL_US (2ll * 3600 * 1000000)

struct fz {
    const uint8_t *p;
    size_t len, pos;
    struct dfs_emu_device dev;
    struct dfs_transport emu; /* the emulated device */
    struct dfs_clock clock;   /* its clock */
    int64_t start;            /* virtual time at the start */
    uint8_t cfg_xor_at, cfg_xor;
    unsigned requests;
    bool opened;
};

static int next_byte(struct fz *f)
{
    return f->pos < f->len ? f->p[f->pos++] : -1;
}

static void pass_time(struct fz *f, uint64_t us) { f->clock.sleep_us(f->clock.ctx, us); }

/* After 4000 requests or 2 hours the device is gone for good. */
static void bound(struct fz *f)
{
    int64_t now = (int64_t)f->clock.now_us(f->clock.ctx);
    if (f->requests >= MAX_REQUESTS || now - f->start >= MAX_VIRTUAL_US)
        dfs_emu_transport_unplug(&f->emu, DFS_EMU_NEVER);
}

static dfs_result t_open(void *ctx, const struct dfs_device_sel *sel, struct dfs_usb_ident *id,
                         char *msg, size_t size)
{
    struct fz *f = ctx;
    bound(f);
    dfs_result r = f->emu.ops->open(f->emu.ctx, sel, id, msg, size);
    f->opened = r == DFS_OK;
    return r;
}

/* What the host holds, with the byte the input says changed. */
static dfs_result t_cached(void *ctx, uint8_t dev[18], uint8_t *cfg, size_t cfg_size,
                           size_t *cfg_len)
{
    struct fz *f = ctx;
    dfs_result r = f->emu.ops->cached_descriptors(f->emu.ctx, dev, cfg, cfg_size, cfg_len);
    if (r == DFS_OK && f->cfg_xor_at && *cfg_len)
        cfg[f->cfg_xor_at % *cfg_len] ^= f->cfg_xor;
    return r;
}

static dfs_result t_claim(void *ctx, uint8_t iface, char *msg, size_t size)
{
    struct fz *f = ctx;
    bound(f);
    return f->emu.ops->claim(f->emu.ctx, iface, msg, size);
}

/* An answer the input makes up instead of the device's: true when it did. */
static bool made_up(struct fz *f, int op, const struct dfs_setup *su, uint8_t *data,
                    uint32_t timeout_ms, struct dfs_xfer_reply *reply)
{
    bool in = su->bmRequestType & DFS_REQTYPE_DIR_IN;
    switch (op) {
    case 8: reply->status = DFS_XFER_STALL; break;
    case 9:
        pass_time(f, (uint64_t)timeout_ms * 1000);
        reply->status = DFS_XFER_TIMEOUT;
        break;
    case 10: reply->status = DFS_XFER_IO; break;
    case 11:
        dfs_emu_transport_unplug(&f->emu, DFS_EMU_NEVER);
        reply->status = DFS_XFER_NO_DEVICE;
        break;
    case 13: {
        int n = next_byte(f);
        reply->status = DFS_XFER_OVERFLOW;
        reply->length = (uint32_t)su->wLength + 1 + (uint32_t)(n < 0 ? 0 : n);
        if (in && su->wLength)
            memset(data, 0xee, su->wLength);
        break;
    }
    case 14: {
        int n = next_byte(f);
        uint32_t k = n < 0 ? 0 : (uint32_t)n;
        reply->status = DFS_XFER_OK;
        reply->length = k; /* may be more than asked: the runner must cut it */
        if (in) {
            uint32_t w = k < su->wLength ? k : su->wLength;
            for (uint32_t i = 0; i < w; i++) {
                int b = next_byte(f);
                data[i] = (uint8_t)(b < 0 ? 0 : b);
            }
        }
        break;
    }
    default:
        return false;
    }
    pass_time(f, 100); /* a control transfer takes a little while */
    return true;
}

static void t_control(void *ctx, const struct dfs_setup *su, uint8_t *data, uint32_t timeout_ms,
                      struct dfs_xfer_reply *reply)
{
    struct fz *f = ctx;
    bool in = su->bmRequestType & DFS_REQTYPE_DIR_IN;
    FUZZ_CHECK(f->opened);
    FUZZ_CHECK(timeout_ms > 0);
    FUZZ_CHECK(data != NULL || su->wLength == 0);
    reply->length = 0;
    f->requests++;
    bound(f);
    if (!f->emu.ops->present(f->emu.ctx)) {
        f->emu.ops->control(f->emu.ctx, su, data, timeout_ms, reply); /* no device */
        return;
    }
    int c = next_byte(f);
    if (c < 0)
        c = 0;
    pass_time(f, (uint64_t)((c >> 4) * (c >> 4)) * 1000);
    int op = c & 15;
    if (made_up(f, op, su, data, timeout_ms, reply))
        return;
    /* the model answers */
    f->emu.ops->control(f->emu.ctx, su, data, timeout_ms, reply);
    if (op == 12) {
        int n = next_byte(f);
        dfs_emu_transport_unplug(&f->emu, (int64_t)(n < 0 ? 0 : n) * 20000);
    } else if (op == 15) {
        int i = next_byte(f), x = next_byte(f);
        if (in && reply->status == DFS_XFER_OK && reply->length && i >= 0) {
            uint32_t at = (uint32_t)i % reply->length;
            if (x > 0)
                data[at] ^= (uint8_t)x;
            else
                reply->length = at;
        }
    }
}

static bool t_present(void *ctx)
{
    struct fz *f = ctx;
    bound(f);
    return f->emu.ops->present(f->emu.ctx);
}

static dfs_result t_reopen(void *ctx, const struct dfs_device_sel *sel, uint32_t within_ms,
                           struct dfs_usb_ident *id, char *msg, size_t size)
{
    struct fz *f = ctx;
    f->opened = false;
    bound(f);
    dfs_result r = f->emu.ops->reopen(f->emu.ctx, sel, within_ms, id, msg, size);
    f->opened = r == DFS_OK;
    return r;
}

static void t_close(void *ctx)
{
    struct fz *f = ctx;
    f->opened = false;
    f->emu.ops->close(f->emu.ctx);
}

static const struct dfs_transport_ops fz_ops = {
    t_open, t_cached, t_claim, t_control, t_present, t_reopen, t_close,
};

static uint64_t c_now(void *ctx)
{
    struct fz *f = ctx;
    return f->clock.now_us(f->clock.ctx);
}

static void c_sleep(void *ctx, uint64_t us)
{
    FUZZ_CHECK(us < 24ull * 3600 * 1000000); /* no wait of a day */
    pass_time(ctx, us);
}

/* ---- a JSON checker (not instrumented for coverage: FUZZ_ORACLE) ------------------------ */

struct js {
    const char *p, *end;
    int depth;
};

FUZZ_ORACLE static void js_ws(struct js *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

FUZZ_ORACLE static bool js_lit(struct js *j, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0)
        return false;
    j->p += n;
    return true;
}

FUZZ_ORACLE static bool js_string(struct js *j)
{
    if (j->p >= j->end || *j->p != '"')
        return false;
    j->p++;
    while (j->p < j->end && *j->p != '"') {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            j->p++;
            if (j->p >= j->end)
                return false;
            if (*j->p == 'u') {
                for (int i = 0; i < 4; i++) {
                    j->p++;
                    if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p))
                        return false;
                }
            } else if (!strchr("\"\\/bfnrt", *j->p)) {
                return false;
            }
        }
        j->p++;
    }
    if (j->p >= j->end)
        return false;
    j->p++;
    return true;
}

static bool js_value(struct js *j);

FUZZ_ORACLE static bool js_number(struct js *j)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    while (j->p < j->end && strchr("0123456789.eE+-", *j->p))
        j->p++;
    return j->p > s && (j->p[-1] >= '0' && j->p[-1] <= '9');
}

FUZZ_ORACLE static bool js_value(struct js *j)
{
    js_ws(j);
    if (j->p >= j->end || ++j->depth > 64)
        return false;
    bool ok;
    char c = *j->p;
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        j->p++;
        js_ws(j);
        if (j->p < j->end && *j->p == close) {
            j->p++;
            j->depth--;
            return true;
        }
        for (;;) {
            if (c == '{') {
                js_ws(j);
                if (!js_string(j))
                    return false;
                js_ws(j);
                if (j->p >= j->end || *j->p++ != ':')
                    return false;
            }
            if (!js_value(j))
                return false;
            js_ws(j);
            if (j->p >= j->end)
                return false;
            if (*j->p == ',') {
                j->p++;
                continue;
            }
            if (*j->p++ != close)
                return false;
            break;
        }
        ok = true;
    } else if (c == '"') {
        ok = js_string(j);
    } else if (c == 't') {
        ok = js_lit(j, "true");
    } else if (c == 'f') {
        ok = js_lit(j, "false");
    } else if (c == 'n') {
        ok = js_lit(j, "null");
    } else {
        ok = js_number(j);
    }
    j->depth--;
    return ok;
}

FUZZ_ORACLE static bool json_ok(const char *p, size_t n)
{
    struct js j = {p, p + n, 0};
    if (!js_value(&j))
        return false;
    js_ws(&j);
    return j.p == j.end;
}

/* ---- running --------------------------------------------------------------------------- */

static const char *const scripts[4] = {
    /* the seed report's option-byte write */
    "set-interface 0\n"
    "read 68 at 0x1FFF7800 expect length=68\n"
    "read 4 at 0x1FFF7870 expect length=4\n"
    "write hex:10000000 at 0x1FFF7870 expect disconnect\n",
    /* DFU 1.1 requests one by one */
    "getstatus expect status=OK state=dfuIDLE\n"
    "dnload 0 hex:00112233445566778899aabbccddeeff\n"
    "poll\n"
    "dnload 1\n"
    "poll max=20 expect any\n"
    "upload 0 64 expect any\n"
    "abort\n"
    "clrstatus expect any\n"
    "getstate\n"
    "detach 100 expect any\n",
    /* DfuSe commands */
    "set-interface 0\n"
    "set-address 0x08000000\n"
    "erase 0x08000000\n"
    "write hex:0011223344556677 at 0x08000000\n"
    "read 8 at 0x08000000 expect data=0011223344556677\n"
    "mass-erase expect any\n"
    "wait poll\n"
    "leave\n",
    /* standard requests, a re-enumeration, read-unprotect */
    "get-descriptor device\n"
    "get-descriptor config length=255\n"
    "get-descriptor string 0\n"
    "get-descriptor string 6 expect any\n"
    "get-status\n"
    "control 0xc0 1 0 0 8 expect any\n"
    "check ob.write clause=\"RM0444\"\n"
    "write hex:10000000 at 0x1FFF7870 expect reenumerate 0483:df11 within 2s\n"
    "getstatus expect any\n"
    "read-unprotect expect disconnect within 1s\n",
};

static const char *const models[4] = {"stm32g0c1-bootloader", "dfuse-device", "dfu11-device",
                                      "stm32g0c1-bootloader"};
static const char *const faults[9] = {
    NULL,
    "zero-poll-timeout",
    "short-poll-timeout",
    "oversized-transfer-size",
    "no-functional-descriptor",
    "short-functional-descriptor",
    "no-error-after-stall",
    "upload-never-short",
    "clrstatus-idle-error",
};

struct run_ctx {
    volatile sig_atomic_t stop;
    unsigned steps, stop_after;
    bool do_stop;
};

static void on_step(void *user, const dfs_report *r, size_t step)
{
    struct run_ctx *rc = user;
    (void)r;
    (void)step;
    if (rc->do_stop && ++rc->steps >= rc->stop_after)
        rc->stop = 1;
}

static bool is_dfu(const struct dfs_setup *su, uint8_t req, bool in)
{
    return su->bmRequestType == (in ? DFS_DFU_REQTYPE_IN : DFS_DFU_REQTYPE_OUT) &&
           su->bRequest == req;
}

/* Without flags only DfuSe set-address commands are downloaded. */
static void check_read_only(const dfs_report *r)
{
    for (size_t i = 0; i < dfs_report_exchange_count(r); i++) {
        const struct dfs_exchange *x = dfs_report_exchange(r, i);
        if (!is_dfu(&x->setup, DFS_DFU_DNLOAD, false) || x->setup.wLength == 0)
            continue;
        FUZZ_CHECK(x->setup.wValue == 0 && x->setup.wLength == 5 && x->out &&
                   x->out[0] == DFS_DFUSE_SET_ADDRESS);
    }
}

/* Between a DfuSe option-byte change and the GETSTATUS reply that ends it
 * (not busy, or failed), nothing but GETSTATUS. */
static void check_ob_writes(const dfs_report *r)
{
    bool ptr_known = false, pending = false;
    uint32_t ptr = 0;
    for (size_t i = 0; i < dfs_report_exchange_count(r); i++) {
        const struct dfs_exchange *x = dfs_report_exchange(r, i);
        const struct dfs_setup *su = &x->setup;
        if (pending) {
            if (is_dfu(su, DFS_DFU_GETSTATUS, true)) {
                if (x->status != DFS_XFER_OK || x->in_len < DFS_GETSTATUS_LEN ||
                    (x->in[4] != DFS_STATE_DNBUSY && x->in[4] != DFS_STATE_MANIFEST))
                    pending = false;
                continue;
            }
            bool harmful =
                is_dfu(su, DFS_DFU_ABORT, false) || is_dfu(su, DFS_DFU_CLRSTATUS, false) ||
                is_dfu(su, DFS_DFU_DETACH, false) || is_dfu(su, DFS_DFU_DNLOAD, false) ||
                (su->bmRequestType == 0x01 && su->bRequest == DFS_REQ_SET_INTERFACE) ||
                (su->bmRequestType == 0x00 && su->bRequest == DFS_REQ_SET_CONFIGURATION);
            FUZZ_CHECK(!harmful);
        }
        if (!is_dfu(su, DFS_DFU_DNLOAD, false) || x->status != DFS_XFER_OK || !x->out)
            continue;
        bool ob = false;
        if (su->wValue == 0 && su->wLength == 5 && x->out[0] == DFS_DFUSE_SET_ADDRESS) {
            ptr = (uint32_t)x->out[1] | (uint32_t)x->out[2] << 8 | (uint32_t)x->out[3] << 16 |
                  (uint32_t)x->out[4] << 24;
            ptr_known = true;
        } else if (su->wValue == 0 && su->wLength == 5 && x->out[0] == DFS_DFUSE_ERASE) {
            uint32_t a = (uint32_t)x->out[1] | (uint32_t)x->out[2] << 8 |
                         (uint32_t)x->out[3] << 16 | (uint32_t)x->out[4] << 24;
            ob = dfs_ob_area_find(a) != NULL;
        } else if (su->wValue == 0 && su->wLength == 1 &&
                   x->out[0] == DFS_DFUSE_READ_UNPROTECT) {
            ob = true;
        } else if (su->wValue == 2 && su->wLength > 0 && ptr_known) {
            ob = dfs_ob_area_find(ptr) != NULL;
        }
        if (ob)
            pending = true;
    }
}

static void check_report(const dfs_report *r)
{
    int ex = dfs_report_exit_code(r);
    FUZZ_CHECK(ex >= 0 && ex <= 2);
    for (size_t i = 0; i < dfs_report_check_count(r); i++) {
        const struct dfs_check_result *c = dfs_report_check(r, i);
        FUZZ_CHECK(c->verdict != DFS_VERDICT_NONE);
        FUZZ_CHECK(fuzz_terminated(c->msg, sizeof c->msg) &&
                   fuzz_terminated(c->id, sizeof c->id));
    }
    for (size_t i = 0; i < dfs_report_step_count(r); i++) {
        const struct dfs_step_info *st = dfs_report_step(r, i);
        FUZZ_CHECK(st->first_exchange + st->n_exchanges <= dfs_report_exchange_count(r));
    }
    for (size_t i = 0; i < dfs_report_exchange_count(r); i++) {
        const struct dfs_exchange *x = dfs_report_exchange(r, i);
        bool in = x->setup.bmRequestType & DFS_REQTYPE_DIR_IN;
        FUZZ_CHECK(x->in_len <= x->setup.wLength);
        FUZZ_CHECK(!in || x->out_len == 0);
    }
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m)
        abort();
    FUZZ_CHECK(dfs_report_write_json(r, m) == DFS_OK);
    fclose(m);
    FUZZ_CHECK(json_ok(buf, n));
    free(buf);
    m = open_memstream(&buf, &n);
    if (!m)
        abort();
    FUZZ_CHECK(dfs_report_write_text(r, m, DFS_TEXT_ALL | DFS_TEXT_EXCHANGES) == DFS_OK);
    FUZZ_CHECK(dfs_report_write_junit(r, m, "fuzz") == DFS_OK);
    /* (the text above wrote every step with its exchanges through
     * dfs_report_write_step: here only what it does not do) */
    size_t steps = dfs_report_step_count(r);
    if (steps)
        FUZZ_CHECK(dfs_report_write_step(r, steps - 1, m, false) == DFS_OK);
    FUZZ_CHECK(dfs_report_write_step(r, steps, m, true) == DFS_E_INVAL);
    fclose(m);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint8_t *in = fuzz_dup(data, size);
    uint8_t cfg = in[0], fault = in[1], stop_after = in[2], cfg_at = in[3];
    struct fz f;
    memset(&f, 0, sizeof f);
    f.p = in;
    f.len = size;
    f.pos = 4;
    if (cfg_at && f.pos < f.len) {
        f.cfg_xor_at = cfg_at;
        f.cfg_xor = in[f.pos++];
    }
    const char *assign[2];
    size_t n_assign = 0;
    unsigned model = cfg & 3;
    if (model == 3)
        assign[n_assign++] = "after-ob-reset=dfu";
    if (fault % 9)
        assign[n_assign++] = faults[fault % 9];
    char err[300];
    if (dfs_emu_device_new(dfs_emu_model_find(models[model]), assign, n_assign, &f.dev, err,
                           sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    if (dfs_emu_transport_new(&f.dev, &f.emu, &f.clock, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
    f.start = (int64_t)f.clock.now_us(f.clock.ctx);

    struct dfs_transport tp = {&fz_ops, &f};
    struct dfs_clock clock = {c_now, c_sleep, NULL, &f};
    struct run_ctx rc;
    memset(&rc, 0, sizeof rc);
    rc.do_stop = cfg & 0x80;
    rc.stop_after = stop_after;
    struct dfs_run_options o;
    dfs_run_options_init(&o);
    unsigned all = DFS_ALLOW_WRITE | DFS_ALLOW_ERASE | DFS_ALLOW_OPTION_BYTES |
                   DFS_ALLOW_UNPROTECT | DFS_ALLOW_OTP | DFS_ALLOW_TIMING_ABUSE;
    o.allow = (cfg & 0x20) ? all : 0;
    o.keep_going = cfg & 0x40;
    o.clock = &clock;
    o.upload_limit = 16384;
    o.stop = &rc.stop;
    o.on_step = on_step;
    o.user = &rc;

    unsigned what = (cfg >> 2) & 7;
    dfs_report *r = NULL;
    dfs_script *s = NULL;
    dfs_result res;
    if (what < 4) {
        unsigned suites = what == 0 ? (1u << DFS_SUITE__COUNT) - 1 : 1u << (what - 1);
        res = dfs_run_suites(suites, &o, &tp, &r);
    } else {
        const char *text = scripts[what - 4];
        struct dfs_script_error e;
        FUZZ_CHECK(dfs_script_parse(text, strlen(text), "fuzz.dfu", NULL, &s, &e) == DFS_OK);
        res = dfs_run_script(s, &o, &tp, &r);
    }
    FUZZ_CHECK(res == DFS_OK && r != NULL);
    if (getenv("DFS_FUZZ_VERBOSE")) /* to see what a corpus input does */
        dfs_report_write_text(r, stderr, DFS_TEXT_ALL | DFS_TEXT_EXCHANGES);
    check_report(r);
    if (!o.allow)
        check_read_only(r);
    check_ob_writes(r);
    dfs_report_free(r);
    dfs_script_free(s);
    dfs_emu_transport_free(&f.emu);
    dfs_emu_device_free(&f.dev);
    free(in);
    return 0;
}
