/* Session primitives of a run: the clock, the usbmon records of every
 * exchange, steps and checks in the report, one control transfer (refused
 * when the flags do not allow it, recorded, and the DFU state tracked from
 * the reply) and the DFU requests built on it. Used by the script
 * interpreter (interp.c), the suites and the run entry points (run.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/decoder.h"
#include "session.h"

/* ---- time ---------------------------------------------------------------------------------- */

uint64_t dfs_run__now(struct dfs_run__sess *s)
{
    uint64_t n = s->clk->now_us(s->clk->ctx);
    return n >= s->t0 ? n - s->t0 : 0;
}

void dfs_run__sleep_ms(struct dfs_run__sess *s, uint32_t ms)
{
    if (ms)
        s->clk->sleep_us(s->clk->ctx, (uint64_t)ms * 1000);
}

static void sleep_until(struct dfs_run__sess *s, uint64_t t_us)
{
    uint64_t now = dfs_run__now(s);
    if (t_us > now)
        s->clk->sleep_us(s->clk->ctx, t_us - now);
}

static struct dfs_time wall_at(const struct dfs_run__sess *s, uint64_t rel_us)
{
    struct dfs_time t = s->wall0;
    uint64_t ns = (uint64_t)t.nsec + (rel_us % 1000000) * 1000;
    t.sec += (int64_t)(rel_us / 1000000) + (int64_t)(ns / 1000000000);
    t.nsec = (uint32_t)(ns % 1000000000);
    return t;
}

void dfs_run__note(struct dfs_run__sess *s, const char *fmt, ...)
{
    if (!s->o->on_note)
        return;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->o->on_note(s->o->user, msg);
}

/* ---- usbmon records ------------------------------------------------------------------------ */

static int32_t usbmon_status(enum dfs_xfer_status st)
{
    switch (st) {
    case DFS_XFER_OK: return 0;
    case DFS_XFER_STALL: return -DFS_LINUX_EPIPE;
    case DFS_XFER_TIMEOUT: return -DFS_LINUX_ECONNRESET; /* the host unlinked it */
    case DFS_XFER_NO_DEVICE: return -DFS_LINUX_ESHUTDOWN;
    case DFS_XFER_IO: return -DFS_LINUX_EPROTO;
    case DFS_XFER_OVERFLOW: return -DFS_LINUX_EOVERFLOW;
    case DFS_XFER_REFUSED: break;
    }
    return -DFS_LINUX_EIO;
}

static void record(struct dfs_run__sess *s, char type, const struct dfs_setup *su, uint64_t id,
                   uint64_t t_us, int32_t status, uint32_t length, const uint8_t *data,
                   uint32_t data_len)
{
    if (!s->o->on_record)
        return;
    bool in = su->bmRequestType & DFS_REQTYPE_DIR_IN;
    struct dfs_urb u;
    memset(&u, 0, sizeof u);
    u.id = id;
    u.type = type;
    u.xfer_type = DFS_XFER_CONTROL;
    u.endpoint = in ? DFS_ENDPOINT_DIR_IN : 0;
    u.devnum = s->id.devnum;
    u.bus = s->id.bus;
    struct dfs_time ts = wall_at(s, t_us);
    u.urb_ts_sec = ts.sec;
    u.urb_ts_usec = (int32_t)(ts.nsec / 1000);
    u.status = status;
    u.length = length;
    u.data = data;
    u.data_len = data_len;
    u.len_cap = data_len;
    u.flag_data = data_len ? 0 : (in ? '<' : '>');
    if (type == DFS_URB_SUBMIT) {
        u.flag_setup = 0;
        u.has_setup = true;
        u.setup[0] = su->bmRequestType;
        u.setup[1] = su->bRequest;
        u.setup[2] = (uint8_t)su->wValue;
        u.setup[3] = (uint8_t)(su->wValue >> 8);
        u.setup[4] = (uint8_t)su->wIndex;
        u.setup[5] = (uint8_t)(su->wIndex >> 8);
        u.setup[6] = (uint8_t)su->wLength;
        u.setup[7] = (uint8_t)(su->wLength >> 8);
    } else {
        u.flag_setup = '-';
    }
    u.mmapped = true;
    u.xfer_flags = in ? 0x200 : 0; /* URB_DIR_IN */
    size_t need = DFS_USBMON_MMAPPED_HDR_LEN + (size_t)data_len;
    uint8_t stackbuf[DFS_USBMON_MMAPPED_HDR_LEN + 1100];
    uint8_t *buf = need <= sizeof stackbuf ? stackbuf : malloc(need);
    if (!buf)
        return;
    size_t n = dfs_usbmon_encode(&u, DFS_LINKTYPE_USB_LINUX_MMAPPED, DFS_ORDER_HOST, buf, need);
    if (n)
        s->o->on_record(s->o->user, ts, buf, n);
    if (buf != stackbuf)
        free(buf);
}

/* ---- steps and checks ---------------------------------------------------------------------------- */

void dfs_run__step_begin(struct dfs_run__sess *s, const char *origin, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s->step = dfs_run__report_add_step(s->rep, origin, text, s->check, dfs_run__now(s));
    if (s->step != SIZE_MAX && s->o->on_step_begin)
        s->o->on_step_begin(s->o->user, s->rep, s->step);
}

static struct dfs_step_info *cur_step(struct dfs_run__sess *s)
{
    return s->step == SIZE_MAX ? NULL : dfs_run__report_step_mut(s->rep, s->step);
}

void dfs_run__step_expect(struct dfs_run__sess *s, const char *fmt, ...)
{
    struct dfs_step_info *st = cur_step(s);
    if (!st)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->expect, sizeof st->expect, fmt, ap);
    va_end(ap);
}

void dfs_run__step_reply(struct dfs_run__sess *s, const char *fmt, ...)
{
    struct dfs_step_info *st = cur_step(s);
    if (!st)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->reply, sizeof st->reply, fmt, ap);
    va_end(ap);
}

void dfs_run__step_end(struct dfs_run__sess *s, enum dfs_verdict v, const char *fmt, ...)
{
    struct dfs_step_info *st = cur_step(s);
    if (st) {
        st->verdict = v;
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(st->msg, sizeof st->msg, fmt, ap);
            va_end(ap);
        }
        if (s->o->on_step)
            s->o->on_step(s->o->user, s->rep, s->step);
    }
    s->step = SIZE_MAX;
}

long dfs_run__check_begin(struct dfs_run__sess *s, const char *suite,
                          const struct dfs_check_info *ci, const char *instance)
{
    char id[300];
    if (instance && instance[0])
        dfs_run__fmt(id, sizeof id, "%s[%s]", ci->id, instance);
    else
        dfs_run__fmt(id, sizeof id, "%s", ci->id);
    s->check = dfs_run__report_add_check(s->rep, suite, id, ci->clause, ci->title);
    return s->check;
}

void dfs_run__check_end(struct dfs_run__sess *s, enum dfs_verdict v, const char *fmt, ...)
{
    struct dfs_check_result *c = dfs_run__report_check_mut(s->rep, s->check);
    if (c) {
        c->verdict = v;
        if (fmt) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(c->msg, sizeof c->msg, fmt, ap);
            va_end(ap);
        }
        if (s->o->on_check)
            s->o->on_check(s->o->user, s->rep, (size_t)s->check);
    }
    s->check = -1;
}

void dfs_run__check_skip(struct dfs_run__sess *s, const char *suite,
                         const struct dfs_check_info *ci, const char *fmt, ...)
{
    s->check = dfs_run__report_add_check(s->rep, suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *c = dfs_run__report_check_mut(s->rep, s->check);
    if (c) {
        c->verdict = DFS_VERDICT_SKIP;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg, sizeof c->msg, fmt, ap);
        va_end(ap);
        if (s->o->on_check)
            s->o->on_check(s->o->user, s->rep, (size_t)s->check);
    }
    s->check = -1;
}

void dfs_run__check_not_checked(struct dfs_run__sess *s, const char *suite,
                                const struct dfs_check_info *ci, unsigned needs,
                                const char *fmt, ...)
{
    if (s->check < 0)
        s->check = dfs_run__report_add_check(s->rep, suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *c = dfs_run__report_check_mut(s->rep, s->check);
    if (c) {
        c->verdict = DFS_VERDICT_NOT_CHECKED;
        c->needs = needs;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->msg, sizeof c->msg, fmt, ap);
        va_end(ap);
        if (s->o->on_check)
            s->o->on_check(s->o->user, s->rep, (size_t)s->check);
    }
    s->check = -1;
}

const struct dfs_quirk_family *dfs_run__quirk_family(const struct dfs_run__sess *s,
                                                     unsigned quirk)
{
    const struct dfs_quirk_family *fam[8];
    size_t n = dfs_quirk_match(s->dev.idVendor, s->dev.idProduct, s->dev.bcdDevice, fam,
                               sizeof fam / sizeof fam[0]);
    for (size_t i = 0; i < n && i < sizeof fam / sizeof fam[0]; i++)
        if (dfs_quirk_family_has(fam[i], quirk))
            return fam[i];
    return NULL;
}

bool dfs_run__check_end_quirk(struct dfs_run__sess *s, unsigned quirk, const char *fmt, ...)
{
    const struct dfs_quirk_family *f = dfs_run__quirk_family(s, quirk);
    const struct dfs_quirk_info *q = dfs_quirk_info(quirk);
    struct dfs_check_result *c = dfs_run__report_check_mut(s->rep, s->check);
    if (!f || !q || !c)
        return false;
    char what[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->quirk = quirk;
    dfs_run__fmt(c->quirk_family, sizeof c->quirk_family, "%s", f->name);
    if (f->recognised)
        dfs_run__check_end(s, DFS_VERDICT_QUIRK,
                           "%s: among the devices with VID:PID %04x:%04x, the %s shows this as "
                           "known quirk %s (%s); hosts: %s; source: %s",
                           what, s->dev.idVendor, s->dev.idProduct, f->name, q->label, q->title,
                           q->workaround, f->source);
    else
        dfs_run__check_end(s, DFS_VERDICT_QUIRK,
                           "%s: known quirk %s of the %s (%s); hosts: %s; source: %s", what,
                           q->label, f->name, q->title, q->workaround, f->source);
    return true;
}

/* ---- transfers ---------------------------------------------------------------------------------- */

static bool is_dfu_req(const struct dfs_run__sess *s, const struct dfs_setup *su)
{
    return (su->bmRequestType == DFS_DFU_REQTYPE_IN || su->bmRequestType == DFS_DFU_REQTYPE_OUT) &&
           su->bRequest <= DFS_DFU_ABORT && s->have_dfu && su->wIndex == s->iface;
}


void dfs_run__wait_poll(struct dfs_run__sess *s, uint32_t floor_ms)
{
    if (!s->busy)
        return;
    uint32_t ms = s->busy_poll_ms > floor_ms ? s->busy_poll_ms : floor_ms;
    sleep_until(s, s->busy_at_us + (uint64_t)ms * 1000);
}

/* Track the DFU state from one exchange. */
static void track(struct dfs_run__sess *s, const struct dfs_setup *su, const uint8_t *out,
                  const uint8_t *in, enum dfs_xfer_status st, uint32_t got)
{
    if (st == DFS_XFER_NO_DEVICE) {
        s->gone = true;
        s->ob_pending = false;
        s->state_known = false;
        s->busy = false;
        return;
    }
    if (!is_dfu_req(s, su))
        return;
    if (st != DFS_XFER_OK) {
        if (s->ob_pending) {
            /* the option-byte change is done: the chip is resetting */
            s->ob_pending = false;
        }
        s->busy = false;
        if (st == DFS_XFER_STALL) {
            /* DFU 1.1 A.2: a STALLed request moves the device to dfuERROR */
            s->state_known = true;
            s->state = DFS_STATE_ERROR;
        } else {
            s->state_known = false;
        }
        return;
    }
    struct dfs_run__getstatus gs;
    switch (su->bRequest) {
    case DFS_DFU_GETSTATUS:
        if (dfs_run__getstatus_parse(in, got, &gs)) {
            s->status = gs.bStatus;
            s->state = gs.bState;
            s->state_known = true;
            s->busy = dfs_run__state_busy(gs.bState);
            s->busy_at_us = dfs_run__now(s);
            s->busy_poll_ms = gs.poll_ms;
            if (!s->busy)
                s->ob_pending = false;
        } else {
            s->state_known = false;
            s->busy = false;
        }
        break;
    case DFS_DFU_GETSTATE:
        if (got >= 1) {
            s->state = in[0];
            s->state_known = true;
        }
        break;
    case DFS_DFU_DNLOAD:
        s->state = su->wLength ? DFS_STATE_DNLOAD_SYNC : DFS_STATE_MANIFEST_SYNC;
        s->state_known = true;
        s->busy = false;
        break;
    case DFS_DFU_UPLOAD:
        s->state = got < su->wLength ? DFS_STATE_DFU_IDLE : DFS_STATE_UPLOAD_IDLE;
        s->state_known = true;
        break;
    case DFS_DFU_ABORT:
    case DFS_DFU_CLRSTATUS:
        s->state = DFS_STATE_DFU_IDLE;
        s->state_known = true;
        s->busy = false;
        break;
    case DFS_DFU_DETACH:
        s->state_known = false;
        break;
    default:
        break;
    }
    (void)out;
}

enum dfs_xfer_status dfs_run__xfer(struct dfs_run__sess *s, const struct dfs_setup *su,
                                   const uint8_t *out, uint8_t *in, uint32_t timeout_ms,
                                   bool nowait, uint32_t *got)
{
    uint32_t dummy;
    if (!got)
        got = &dummy;
    *got = 0;
    if (s->fatal)
        return DFS_XFER_REFUSED;
    if (s->gone || !s->open) {
        s->gone = true;
        return DFS_XFER_NO_DEVICE;
    }
    bool dfu = is_dfu_req(s, su);
    bool in_dir = su->bmRequestType & DFS_REQTYPE_DIR_IN;
    if (dfu && !nowait)
        dfs_run__wait_poll(s, 0);
    /* last line of defence: every DNLOAD is classified again with what is
     * known now, whoever built it */
    bool ob_change = false;
    if (dfu && su->bRequest == DFS_DFU_DNLOAD) {
        char why[600];
        struct dfs_run__ptr_state ptr = s->ptr;
        unsigned need = dfs_run__dnload_needs(&s->facts, s->facts.dfuse < 0 ? -2 : s->facts.dfuse,
                                              &ptr, su->wValue, out, su->wLength, why, sizeof why);
        unsigned miss = need & ~s->o->allow;
        if (miss) {
            char flags[160];
            dfs_allow_str(miss, flags, sizeof flags);
            struct dfs_step_info *st = cur_step(s);
            if (st)
                dfs_run__fmt(st->msg, sizeof st->msg, "refused: this DNLOAD %s and needs %s", why,
                             flags);
            dfs_run__report_set_outcome(s->rep, DFS_RUN_ABORTED,
                                        "refused to send a DNLOAD that %s: it needs %s", why,
                                        flags);
            s->fatal = true;
            return DFS_XFER_REFUSED;
        }
        s->ptr = ptr;
        ob_change = (need & (DFS_ALLOW_OPTION_BYTES | DFS_ALLOW_UNPROTECT)) != 0;
    }
    uint8_t *inbuf = in, *owned = NULL;
    uint8_t scratch[8];
    if (in_dir && !inbuf) {
        /* the caller does not want the data; the device may still send it */
        inbuf = su->wLength <= sizeof scratch ? scratch : (owned = malloc(su->wLength));
        if (!inbuf) {
            dfs_run__report_set_outcome(s->rep, DFS_RUN_ABORTED, "out of memory");
            s->fatal = true;
            return DFS_XFER_REFUSED;
        }
    }
    uint64_t id = s->urb_id;
    s->urb_id += 0x140;
    uint64_t t_start = dfs_run__now(s);
    record(s, DFS_URB_SUBMIT, su, id, t_start, -115, su->wLength, in_dir ? NULL : out,
           in_dir ? 0 : su->wLength);
    struct dfs_xfer_reply rp = {DFS_XFER_IO, 0};
    s->t->ops->control(s->t->ctx, su, in_dir ? inbuf : (uint8_t *)(uintptr_t)out,
                       timeout_ms ? timeout_ms : s->o->timeout_ms, &rp);
    if (rp.length > su->wLength)
        rp.length = su->wLength;
    if (in_dir && rp.status != DFS_XFER_OK)
        rp.length = rp.status == DFS_XFER_OVERFLOW ? rp.length : 0;
    uint64_t t_end = dfs_run__now(s);
    if (t_end < t_start)
        t_end = t_start;
    record(s, DFS_URB_COMPLETE, su, id, t_end, usbmon_status(rp.status),
           rp.status == DFS_XFER_OK ? rp.length : 0, in_dir ? inbuf : NULL,
           in_dir && rp.status == DFS_XFER_OK ? rp.length : 0);
    struct dfs_exchange x;
    memset(&x, 0, sizeof x);
    x.setup = *su;
    x.out = in_dir ? NULL : out;
    x.out_len = in_dir ? 0 : su->wLength;
    x.status = rp.status;
    x.in = in_dir ? inbuf : NULL;
    x.in_len = in_dir && rp.status == DFS_XFER_OK ? rp.length : 0;
    x.t_us = t_start;
    x.dur_us = t_end - t_start;
    x.bus = s->id.bus;
    x.devnum = s->id.devnum;
    dfs_run__report_add_exchange(s->rep, &x);
    *got = rp.length;
    if (ob_change && rp.status == DFS_XFER_OK && su->wLength) {
        s->ob_pending = true;
        s->ob_noted = false;
    }
    track(s, su, out, inbuf, rp.status, rp.length);
    free(owned);
    return rp.status;
}

/* ---- DFU helpers -------------------------------------------------------------------------------- */

enum dfs_xfer_status dfs_run__dfu_out(struct dfs_run__sess *s, uint8_t req, uint16_t wValue,
                                      const uint8_t *data, uint16_t len, bool nowait)
{
    struct dfs_setup su = {DFS_DFU_REQTYPE_OUT, req, wValue, s->iface, len};
    return dfs_run__xfer(s, &su, data, NULL, 0, nowait, NULL);
}

enum dfs_xfer_status dfs_run__dfu_in(struct dfs_run__sess *s, uint8_t req, uint16_t wValue,
                                     uint8_t *buf, uint16_t len, bool nowait, uint32_t *got)
{
    struct dfs_setup su = {DFS_DFU_REQTYPE_IN, req, wValue, s->iface, len};
    return dfs_run__xfer(s, &su, NULL, buf, 0, nowait, got);
}

enum dfs_xfer_status dfs_run__getstatus(struct dfs_run__sess *s, bool nowait,
                                        struct dfs_run__getstatus *gs, bool *short_reply)
{
    uint8_t b[DFS_GETSTATUS_LEN];
    uint32_t got = 0;
    enum dfs_xfer_status st =
        dfs_run__dfu_in(s, DFS_DFU_GETSTATUS, 0, b, DFS_GETSTATUS_LEN, nowait, &got);
    if (short_reply)
        *short_reply = st == DFS_XFER_OK && got < DFS_GETSTATUS_LEN;
    if (st == DFS_XFER_OK && got < DFS_GETSTATUS_LEN)
        return DFS_XFER_IO; /* not a usable reply */
    if (st == DFS_XFER_OK && gs)
        dfs_run__getstatus_parse(b, got, gs);
    return st;
}

enum dfs_xfer_status dfs_run__poll_idle(struct dfs_run__sess *s, uint32_t max_polls,
                                        uint32_t floor_ms, struct dfs_run__getstatus *gs)
{
    enum dfs_xfer_status st = DFS_XFER_OK;
    struct dfs_run__getstatus g = {0, 0, 0, 0};
    for (uint32_t i = 0; i < max_polls; i++) {
        dfs_run__wait_poll(s, floor_ms);
        st = dfs_run__getstatus(s, true, &g, NULL);
        if (st != DFS_XFER_OK || !dfs_run__state_busy(g.bState))
            break;
    }
    if (gs)
        *gs = g;
    return st;
}

bool dfs_run__ensure_idle(struct dfs_run__sess *s, uint32_t floor_ms)
{
    struct dfs_run__getstatus gs;
    unsigned failures = 0;
    for (int round = 0; round < 8; round++) {
        enum dfs_xfer_status st = dfs_run__poll_idle(s, DFS_RUN__MAX_POLLS, floor_ms, &gs);
        if (st == DFS_XFER_STALL || st == DFS_XFER_IO) {
            /* a device still at work may refuse GETSTATUS (the STM32L4
             * does, dfu-quirks R2): give it time, as dfu-util does */
            if (++failures > 4 || s->gone)
                return false;
            s->busy = false;
            dfs_run__sleep_ms(s, 500);
            continue;
        }
        if (st != DFS_XFER_OK)
            return false;
        switch (gs.bState) {
        case DFS_STATE_DFU_IDLE:
            if (gs.bStatus == DFS_STATUS_OK)
                return true;
            /* dfuIDLE with a status: clear it */
            if (dfs_run__dfu_out(s, DFS_DFU_CLRSTATUS, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        case DFS_STATE_ERROR:
            if (dfs_run__dfu_out(s, DFS_DFU_CLRSTATUS, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        case DFS_STATE_DNLOAD_IDLE:
        case DFS_STATE_UPLOAD_IDLE:
            if (dfs_run__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        default:
            return false; /* appIDLE, manifestation: nothing to do from here */
        }
    }
    return false;
}

enum dfs_xfer_status dfs_run__get_descriptor(struct dfs_run__sess *s, uint8_t type, uint8_t index,
                                             uint16_t lang, uint16_t len, uint8_t *buf,
                                             uint32_t *got)
{
    struct dfs_setup su = {DFS_REQTYPE_DIR_IN, DFS_REQ_GET_DESCRIPTOR,
                           (uint16_t)(type << 8 | index), lang, len};
    return dfs_run__xfer(s, &su, NULL, buf, 0, false, got);
}

enum dfs_xfer_status dfs_run__set_alt(struct dfs_run__sess *s, uint8_t alt)
{
    struct dfs_setup su = {DFS_REQTYPE_RECIP_INTERFACE, DFS_REQ_SET_INTERFACE, alt, s->iface, 0};
    enum dfs_xfer_status st = dfs_run__xfer(s, &su, NULL, NULL, 0, false, NULL);
    if (st == DFS_XFER_OK) {
        s->alt = alt;
        s->alt_known = true;
    }
    return st;
}

bool dfs_run__wait_gone(struct dfs_run__sess *s, uint32_t ms)
{
    if (s->gone)
        return true;
    uint64_t deadline = dfs_run__now(s) + (uint64_t)ms * 1000;
    for (;;) {
        if (!s->t->ops->present(s->t->ctx)) {
            s->gone = true;
            s->ob_pending = false;
            return true;
        }
        uint64_t now = dfs_run__now(s);
        if (now >= deadline)
            return false;
        uint64_t step = deadline - now < 10000 ? deadline - now : 10000;
        s->clk->sleep_us(s->clk->ctx, step);
    }
}

const struct dfs_run__alt *dfs_run__alt_info(const struct dfs_run__sess *s, uint8_t alt)
{
    for (unsigned i = 0; i < s->n_alts; i++)
        if (s->alts[i].alt == alt)
            return &s->alts[i];
    return NULL;
}

bool dfs_run__interrupted(struct dfs_run__sess *s)
{
    if (s->stopping)
        return true;
    if (!s->o->stop || !*s->o->stop)
        return false;
    if (s->ob_pending) {
        if (!s->ob_noted)
            dfs_run__note(
                s, "an option-byte change is being executed: it is not interrupted (RM0444: an "
                   "interrupted option-byte write can lock the chip); stopping once it is done");
        s->ob_noted = true;
        return false;
    }
    s->stopping = true;
    return true;
}
