/* The rig of the runner's tests (runner_rig.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "runner_rig.h"

/* ---- helpers ---------------------------------------------------------------------------------- */

void rec_record(void *user, struct dfs_time ts, const uint8_t *rec, size_t len)
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

void rec_step(void *user, const dfs_report *rep, size_t i)
{
    struct recorder *r = user;
    const struct dfs_step_info *s = dfs_report_step(rep, i);
    if (r->stop && r->stop_after_text && strcmp(s->text, r->stop_after_text) == 0)
        *r->stop = 1;
}

size_t n_opts(const struct device *d)
{
    size_t n = 0;
    while (n < 4 && d->opts[n])
        n++;
    return n;
}

unsigned dfu_requests(const struct run *r, uint8_t bRequest) { return r->seen.dfu[bRequest]; }
bool present(const struct run *r) { return dfs_emu_transport_address(&r->emu) != 0; }

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

void run_setup(struct run *r, const struct device *dv, unsigned allow)
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

void run_free(struct run *r)
{
    dfs_report_free(r->rep);
    dfs_emu_transport_free(&r->emu);
    dfs_emu_device_free(&r->dev);
    free(r->rec.buf);
}

void run_suites(struct run *r, unsigned suites)
{
    assert_int_equal(dfs_run_suites(suites, &r->o, &r->tp, &r->rep), DFS_OK);
}

dfs_script *parse(const char *text)
{
    dfs_script *s = NULL;
    struct dfs_script_error e;
    if (dfs_script_parse(text, strlen(text), "s.dfu", NULL, &s, &e) != DFS_OK)
        fail_msg("parse: %u:%u: %s", e.line, e.column, e.msg);
    return s;
}

void run_script(struct run *r, const char *text)
{
    dfs_script *s = parse(text);
    assert_int_equal(dfs_run_script(s, &r->o, &r->tp, &r->rep), DFS_OK);
    dfs_script_free(s);
}

void failed_ids(const dfs_report *rep, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < dfs_report_check_count(rep); i++) {
        const struct dfs_check_result *c = dfs_report_check(rep, i);
        if (c->verdict == DFS_VERDICT_FAIL || c->verdict == DFS_VERDICT_ERROR)
            dfs_run__catf(buf, size, "%s%s", buf[0] ? "," : "", c->id);
    }
}

void dump(const dfs_report *rep)
{
    dfs_report_write_text(rep, stderr, DFS_TEXT_ALL);
}

void expect_failed(const dfs_report *rep, const char *want, const char *what)
{
    char got[2000];
    failed_ids(rep, got, sizeof got);
    if (strcmp(got, want) != 0) {
        dump(rep);
        fail_msg("%s: failed checks '%s', expected '%s'", what, got, want);
    }
}

const struct dfs_check_result *find_check(const dfs_report *rep, const char *id)
{
    for (size_t i = 0; i < dfs_report_check_count(rep); i++)
        if (strcmp(dfs_report_check(rep, i)->id, id) == 0)
            return dfs_report_check(rep, i);
    return NULL;
}

/* ---- scripts ------------------------------------------------------------------------------------------ */

const char ob_write[] =
    "# the seed: SEC_SIZE option byte of an STM32G0C1 over DfuSe\n"
    "set-interface 0\n"
    "read 68 at 0x1FFF7800 expect length=68\n"
    "read 4 at 0x1FFF7870 expect length=4\n"
    "write hex:10000000 at 0x1FFF7870 expect disconnect\n";
