/* The runner: opens the device through a transport, refuses what the flags
 * do not allow, sends each request, records it (report and usbmon), tracks
 * the DFU state from the replies and judges each step. Scripts are
 * interpreted here; the built-in suites are in suites.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/descriptors.h"
#include "dfuscope/decoder.h"
#include "session.h"

#define DEFAULT_TIMEOUT_MS 5000
#define DEFAULT_DISCONNECT_MS 3000
#define DEFAULT_REENUM_MS 5000
#define MAX_POLLS 1000
#define URB_ID_BASE 0xffff8881c2a4e000ull

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

void dfs_run_options_init(struct dfs_run_options *o)
{
    if (!o)
        return;
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->alt = -1;
    o->interface = -1;
    o->timeout_ms = DEFAULT_TIMEOUT_MS;
    o->disconnect_ms = DEFAULT_DISCONNECT_MS;
    o->upload_limit = 1u << 20;
    o->busy_floor_ms = 50;
}

/* ---- time ---------------------------------------------------------------------------------- */

uint64_t dfs__now(struct dfs__sess *s)
{
    uint64_t n = s->clk->now_us(s->clk->ctx);
    return n >= s->t0 ? n - s->t0 : 0;
}

void dfs__sleep_ms(struct dfs__sess *s, uint32_t ms)
{
    if (ms)
        s->clk->sleep_us(s->clk->ctx, (uint64_t)ms * 1000);
}

static void sleep_until(struct dfs__sess *s, uint64_t t_us)
{
    uint64_t now = dfs__now(s);
    if (t_us > now)
        s->clk->sleep_us(s->clk->ctx, t_us - now);
}

static struct dfs_time wall_at(const struct dfs__sess *s, uint64_t rel_us)
{
    struct dfs_time t = s->wall0;
    uint64_t ns = (uint64_t)t.nsec + (rel_us % 1000000) * 1000;
    t.sec += (int64_t)(rel_us / 1000000) + (int64_t)(ns / 1000000000);
    t.nsec = (uint32_t)(ns % 1000000000);
    return t;
}

static void note(struct dfs__sess *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct dfs__sess *s, const char *fmt, ...)
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

static void record(struct dfs__sess *s, char type, const struct dfs_setup *su, uint64_t id,
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

void dfs__step_begin(struct dfs__sess *s, const char *origin, const char *fmt, ...)
{
    char text[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    s->step = dfs__report_add_step(s->rep, origin, text, s->check, dfs__now(s));
    if (s->step != SIZE_MAX && s->o->on_step_begin)
        s->o->on_step_begin(s->o->user, s->rep, s->step);
}

static struct dfs_step_info *cur_step(struct dfs__sess *s)
{
    return s->step == SIZE_MAX ? NULL : dfs__report_step_mut(s->rep, s->step);
}

void dfs__step_expect(struct dfs__sess *s, const char *fmt, ...)
{
    struct dfs_step_info *st = cur_step(s);
    if (!st)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->expect, sizeof st->expect, fmt, ap);
    va_end(ap);
}

void dfs__step_reply(struct dfs__sess *s, const char *fmt, ...)
{
    struct dfs_step_info *st = cur_step(s);
    if (!st)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->reply, sizeof st->reply, fmt, ap);
    va_end(ap);
}

void dfs__step_end(struct dfs__sess *s, enum dfs_verdict v, const char *fmt, ...)
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

long dfs__check_begin(struct dfs__sess *s, const char *suite, const struct dfs_check_info *ci,
                      const char *instance)
{
    char id[300];
    if (instance && instance[0])
        dfs__fmt(id, sizeof id, "%s[%s]", ci->id, instance);
    else
        dfs__fmt(id, sizeof id, "%s", ci->id);
    s->check = dfs__report_add_check(s->rep, suite, id, ci->clause, ci->title);
    return s->check;
}

void dfs__check_end(struct dfs__sess *s, enum dfs_verdict v, const char *fmt, ...)
{
    struct dfs_check_result *c = dfs__report_check_mut(s->rep, s->check);
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

void dfs__check_skip(struct dfs__sess *s, const char *suite, const struct dfs_check_info *ci,
                     const char *fmt, ...)
{
    s->check = dfs__report_add_check(s->rep, suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *c = dfs__report_check_mut(s->rep, s->check);
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

/* ---- transfers ---------------------------------------------------------------------------------- */

static bool is_dfu_req(const struct dfs__sess *s, const struct dfs_setup *su)
{
    return (su->bmRequestType == DFS_DFU_REQTYPE_IN || su->bmRequestType == DFS_DFU_REQTYPE_OUT) &&
           su->bRequest <= DFS_DFU_ABORT && s->have_dfu && su->wIndex == s->iface;
}

static bool state_is_busy(uint8_t state)
{
    return state == DFS_STATE_DNBUSY || state == DFS_STATE_MANIFEST;
}

void dfs__wait_poll(struct dfs__sess *s, uint32_t floor_ms)
{
    if (!s->busy)
        return;
    uint32_t ms = s->busy_poll_ms > floor_ms ? s->busy_poll_ms : floor_ms;
    sleep_until(s, s->busy_at_us + (uint64_t)ms * 1000);
}

/* Track the DFU state from one exchange. */
static void track(struct dfs__sess *s, const struct dfs_setup *su, const uint8_t *out,
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
    switch (su->bRequest) {
    case DFS_DFU_GETSTATUS:
        if (got >= DFS_GETSTATUS_LEN) {
            s->status = in[0];
            s->state = in[4];
            s->state_known = true;
            s->busy = state_is_busy(in[4]);
            s->busy_at_us = dfs__now(s);
            s->busy_poll_ms = (uint32_t)in[1] | (uint32_t)in[2] << 8 | (uint32_t)in[3] << 16;
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

enum dfs_xfer_status dfs__xfer(struct dfs__sess *s, const struct dfs_setup *su,
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
        dfs__wait_poll(s, 0);
    /* last line of defence: every DNLOAD is classified again with what is
     * known now, whoever built it */
    bool ob_change = false;
    if (dfu && su->bRequest == DFS_DFU_DNLOAD) {
        char why[600];
        struct dfs__ptr_state ptr = s->ptr;
        unsigned need = dfs__dnload_needs(&s->facts, s->facts.dfuse < 0 ? -2 : s->facts.dfuse,
                                          &ptr, su->wValue, out, su->wLength, why, sizeof why);
        unsigned miss = need & ~s->o->allow;
        if (miss) {
            char flags[160];
            dfs_allow_str(miss, flags, sizeof flags);
            struct dfs_step_info *st = cur_step(s);
            if (st)
                dfs__fmt(st->msg, sizeof st->msg, "refused: this DNLOAD %s and needs %s", why,
                         flags);
            dfs__report_set_outcome(s->rep, DFS_RUN_ABORTED,
                                    "refused to send a DNLOAD that %s: it needs %s", why, flags);
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
            dfs__report_set_outcome(s->rep, DFS_RUN_ABORTED, "out of memory");
            s->fatal = true;
            return DFS_XFER_REFUSED;
        }
    }
    uint64_t id = s->urb_id;
    s->urb_id += 0x140;
    uint64_t t_start = dfs__now(s);
    record(s, DFS_URB_SUBMIT, su, id, t_start, -115, su->wLength, in_dir ? NULL : out,
           in_dir ? 0 : su->wLength);
    struct dfs_xfer_reply rp = {DFS_XFER_IO, 0};
    s->t->ops->control(s->t->ctx, su, in_dir ? inbuf : (uint8_t *)(uintptr_t)out,
                       timeout_ms ? timeout_ms : s->o->timeout_ms, &rp);
    if (rp.length > su->wLength)
        rp.length = su->wLength;
    if (in_dir && rp.status != DFS_XFER_OK)
        rp.length = rp.status == DFS_XFER_OVERFLOW ? rp.length : 0;
    uint64_t t_end = dfs__now(s);
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
    dfs__report_add_exchange(s->rep, &x);
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

enum dfs_xfer_status dfs__dfu_out(struct dfs__sess *s, uint8_t req, uint16_t wValue,
                                  const uint8_t *data, uint16_t len, bool nowait)
{
    struct dfs_setup su = {DFS_DFU_REQTYPE_OUT, req, wValue, s->iface, len};
    return dfs__xfer(s, &su, data, NULL, 0, nowait, NULL);
}

enum dfs_xfer_status dfs__dfu_in(struct dfs__sess *s, uint8_t req, uint16_t wValue, uint8_t *buf,
                                 uint16_t len, bool nowait, uint32_t *got)
{
    struct dfs_setup su = {DFS_DFU_REQTYPE_IN, req, wValue, s->iface, len};
    return dfs__xfer(s, &su, NULL, buf, 0, nowait, got);
}

enum dfs_xfer_status dfs__getstatus(struct dfs__sess *s, bool nowait, struct dfs__getstatus *gs,
                                    bool *short_reply)
{
    uint8_t b[DFS_GETSTATUS_LEN];
    uint32_t got = 0;
    enum dfs_xfer_status st =
        dfs__dfu_in(s, DFS_DFU_GETSTATUS, 0, b, DFS_GETSTATUS_LEN, nowait, &got);
    if (short_reply)
        *short_reply = st == DFS_XFER_OK && got < DFS_GETSTATUS_LEN;
    if (st == DFS_XFER_OK && got < DFS_GETSTATUS_LEN)
        return DFS_XFER_IO; /* not a usable reply */
    if (st == DFS_XFER_OK && gs) {
        gs->bStatus = b[0];
        gs->poll_ms = (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16;
        gs->bState = b[4];
        gs->iString = b[5];
    }
    return st;
}

enum dfs_xfer_status dfs__poll_idle(struct dfs__sess *s, uint32_t max_polls, uint32_t floor_ms,
                                    struct dfs__getstatus *gs)
{
    enum dfs_xfer_status st = DFS_XFER_OK;
    struct dfs__getstatus g = {0, 0, 0, 0};
    for (uint32_t i = 0; i < max_polls; i++) {
        dfs__wait_poll(s, floor_ms);
        st = dfs__getstatus(s, true, &g, NULL);
        if (st != DFS_XFER_OK || !state_is_busy(g.bState))
            break;
    }
    if (gs)
        *gs = g;
    return st;
}

bool dfs__ensure_idle(struct dfs__sess *s, uint32_t floor_ms)
{
    struct dfs__getstatus gs;
    unsigned failures = 0;
    for (int round = 0; round < 8; round++) {
        enum dfs_xfer_status st = dfs__poll_idle(s, MAX_POLLS, floor_ms, &gs);
        if (st == DFS_XFER_STALL || st == DFS_XFER_IO) {
            /* a device still at work may refuse GETSTATUS (the STM32L4
             * does, dfu-quirks R2): give it time, as dfu-util does */
            if (++failures > 4 || s->gone)
                return false;
            s->busy = false;
            dfs__sleep_ms(s, 500);
            continue;
        }
        if (st != DFS_XFER_OK)
            return false;
        switch (gs.bState) {
        case DFS_STATE_DFU_IDLE:
            if (gs.bStatus == DFS_STATUS_OK)
                return true;
            /* dfuIDLE with a status: clear it */
            if (dfs__dfu_out(s, DFS_DFU_CLRSTATUS, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        case DFS_STATE_ERROR:
            if (dfs__dfu_out(s, DFS_DFU_CLRSTATUS, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        case DFS_STATE_DNLOAD_IDLE:
        case DFS_STATE_UPLOAD_IDLE:
            if (dfs__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false) != DFS_XFER_OK)
                return false;
            break;
        default:
            return false; /* appIDLE, manifestation: nothing to do from here */
        }
    }
    return false;
}

enum dfs_xfer_status dfs__get_descriptor(struct dfs__sess *s, uint8_t type, uint8_t index,
                                         uint16_t lang, uint16_t len, uint8_t *buf,
                                         uint32_t *got)
{
    struct dfs_setup su = {DFS_REQTYPE_DIR_IN, DFS_REQ_GET_DESCRIPTOR,
                           (uint16_t)(type << 8 | index), lang, len};
    return dfs__xfer(s, &su, NULL, buf, 0, false, got);
}

enum dfs_xfer_status dfs__set_alt(struct dfs__sess *s, uint8_t alt)
{
    struct dfs_setup su = {DFS_REQTYPE_RECIP_INTERFACE, DFS_REQ_SET_INTERFACE, alt, s->iface, 0};
    enum dfs_xfer_status st = dfs__xfer(s, &su, NULL, NULL, 0, false, NULL);
    if (st == DFS_XFER_OK) {
        s->alt = alt;
        s->alt_known = true;
    }
    return st;
}

bool dfs__wait_gone(struct dfs__sess *s, uint32_t ms)
{
    if (s->gone)
        return true;
    uint64_t deadline = dfs__now(s) + (uint64_t)ms * 1000;
    for (;;) {
        if (!s->t->ops->present(s->t->ctx)) {
            s->gone = true;
            s->ob_pending = false;
            return true;
        }
        uint64_t now = dfs__now(s);
        if (now >= deadline)
            return false;
        uint64_t step = deadline - now < 10000 ? deadline - now : 10000;
        s->clk->sleep_us(s->clk->ctx, step);
    }
}

const struct dfs__alt *dfs__alt_info(const struct dfs__sess *s, uint8_t alt)
{
    for (unsigned i = 0; i < s->n_alts; i++)
        if (s->alts[i].alt == alt)
            return &s->alts[i];
    return NULL;
}

bool dfs__interrupted(struct dfs__sess *s)
{
    if (s->stopping)
        return true;
    if (!s->o->stop || !*s->o->stop)
        return false;
    if (s->ob_pending) {
        if (!s->ob_noted)
            note(s, "an option-byte change is being executed: it is not interrupted (RM0444: an "
                    "interrupted option-byte write can lock the chip); stopping once it is done");
        s->ob_noted = true;
        return false;
    }
    s->stopping = true;
    return true;
}

/* ---- opening and identifying the device ------------------------------------------------------- */

static void parse_cached(struct dfs__sess *s)
{
    struct dfs_desc_problem pb;
    bool complete;
    dfs_desc_parse_device(s->devdesc, sizeof s->devdesc, &s->dev, &complete, &pb);
    struct dfs_desc_walker w;
    struct dfs_desc_item it;
    dfs_desc_walk_init(&w, s->cfg, s->cfg_len);
    int found_iface = -1;
    s->n_alts = 0;
    s->has_func = false;
    while (dfs_desc_walk_next(&w, &it, &pb) == 1) {
        if (it.kind == DFS_DK_INTERFACE) {
            const struct dfs_desc_interface *i = &it.u.interface;
            bool dfu = i->bInterfaceClass == DFS_DFU_CLASS &&
                       i->bInterfaceSubClass == DFS_DFU_SUBCLASS;
            if (!dfu)
                continue;
            if (s->o->interface >= 0 && i->bInterfaceNumber != s->o->interface)
                continue;
            if (found_iface < 0)
                found_iface = i->bInterfaceNumber;
            if (i->bInterfaceNumber != found_iface || s->n_alts >= DFS__MAX_ALTS)
                continue;
            struct dfs__alt *a = &s->alts[s->n_alts++];
            memset(a, 0, sizeof *a);
            a->alt = i->bAlternateSetting;
            a->iInterface = i->iInterface;
            a->protocol = i->bInterfaceProtocol;
            s->protocol = i->bInterfaceProtocol;
        } else if (it.bDescriptorType == DFS_DT_DFU_FUNCTIONAL && it.in_interface &&
                   found_iface >= 0 && it.iface.bInterfaceNumber == found_iface && !s->has_func) {
            if (it.kind == DFS_DK_DFU_FUNCTIONAL) {
                s->func = it.u.dfu;
                s->has_func = true;
            } else if (it.bLength >= DFS_DFU_FUNC_DESC_LEN_1_0) {
                /* a short (DFU 1.0) descriptor still gives wTransferSize */
                memset(&s->func, 0, sizeof s->func);
                s->func.bLength = it.bLength;
                s->func.bDescriptorType = it.bDescriptorType;
                s->func.bmAttributes = it.raw[2];
                s->func.wDetachTimeOut = le16(it.raw + 3);
                s->func.wTransferSize = le16(it.raw + 5);
                s->has_func = true;
            }
        }
    }
    s->have_dfu = found_iface >= 0;
    s->iface = found_iface >= 0 ? (uint8_t)found_iface : 0;
    dfs_device_facts_init(&s->facts);
    if (s->has_func) {
        s->facts.transfer_size = s->func.wTransferSize;
        if (s->func.has_version)
            s->facts.dfuse = s->func.bcdDFUVersion == DFS_DFU_VERSION_DFUSE ? 1 : 0;
    }
}

/* Decide DfuSe from the layout strings when the functional descriptor did not. */
static void facts_from_layouts(struct dfs__sess *s)
{
    s->facts.n_layouts = 0;
    bool any_at = false, all_ok = true;
    for (unsigned i = 0; i < s->n_alts; i++) {
        struct dfs__alt *a = &s->alts[i];
        if (!a->name_read || a->name[0] != '@')
            continue;
        any_at = true;
        all_ok &= a->layout_ok;
        if (a->layout_ok && s->facts.n_layouts < DFS_FACTS_MAX_LAYOUTS)
            s->facts.layouts[s->facts.n_layouts++] = a->layout;
    }
    if (s->facts.dfuse < 0 && any_at && all_ok)
        s->facts.dfuse = 1;
}

static bool open_device(struct dfs__sess *s)
{
    char msg[1024];
    msg[0] = '\0';
    dfs_result r = s->t->ops->open(s->t->ctx, &s->o->device, &s->id, msg, sizeof msg);
    if (r != DFS_OK) {
        dfs__report_set_outcome(s->rep, DFS_RUN_NOT_MADE, "%s",
                                msg[0] ? msg : "cannot open the device");
        return false;
    }
    s->open = true;
    dfs__report_set_device(s->rep, &s->id);
    s->sel.by_id = true;
    s->sel.vid = s->id.vid;
    s->sel.pid = s->id.pid;
    dfs__fmt(s->sel.serial, sizeof s->sel.serial, "%s", s->o->device.serial);
    if (s->t->ops->cached_descriptors(s->t->ctx, s->devdesc, s->cfg, sizeof s->cfg,
                                      &s->cfg_len) != DFS_OK) {
        dfs__report_set_outcome(s->rep, DFS_RUN_NOT_MADE,
                                "cannot read the descriptors of %04x:%04x from the host",
                                s->id.vid, s->id.pid);
        return false;
    }
    parse_cached(s);
    return true;
}

static void read_string(struct dfs__sess *s, uint8_t index, char *out, size_t size, bool *ok)
{
    uint8_t buf[255];
    uint32_t got = 0;
    *ok = false;
    out[0] = '\0';
    if (dfs__get_descriptor(s, DFS_DT_STRING, index, s->langid, sizeof buf, buf, &got) !=
        DFS_XFER_OK)
        return;
    struct dfs_desc_problem pb;
    if (dfs_desc_string_utf8(buf, got, out, size, &pb) == DFS_OK)
        *ok = true;
}

/* Read what the host does not hold: the LANGIDs and the alternate
 * settings' names (DfuSe layouts). Also puts the device and configuration
 * descriptors into the capture, so that it can be decoded on its own. */
static void identify(struct dfs__sess *s)
{
    dfs__step_begin(s, "setup", "read the device's descriptors and alternate-setting names");
    uint8_t buf[DFS__CFG_MAX];
    uint32_t got = 0;
    dfs__get_descriptor(s, DFS_DT_DEVICE, 0, 0, DFS_DEVICE_DESC_LEN, buf, &got);
    if (dfs__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0, DFS_CONFIG_DESC_LEN, buf, &got) ==
            DFS_XFER_OK &&
        got >= 4) {
        uint16_t total = le16(buf + 2);
        if (total > DFS_CONFIG_DESC_LEN)
            dfs__get_descriptor(s, DFS_DT_CONFIGURATION, 0, 0,
                                total < sizeof buf ? total : (uint16_t)sizeof buf, buf, &got);
    }
    s->langid = 0x0409;
    if (dfs__get_descriptor(s, DFS_DT_STRING, 0, 0, 255, buf, &got) == DFS_XFER_OK && got >= 4 &&
        buf[1] == DFS_DT_STRING)
        s->langid = le16(buf + 2);
    unsigned names = 0;
    for (unsigned i = 0; i < s->n_alts; i++) {
        struct dfs__alt *a = &s->alts[i];
        if (!a->iInterface)
            continue;
        /* alternate settings often share a string: read each index once */
        const struct dfs__alt *same = NULL;
        for (unsigned k = 0; k < i; k++)
            if (s->alts[k].iInterface == a->iInterface && s->alts[k].name_read)
                same = &s->alts[k];
        if (same) {
            memcpy(a->name, same->name, sizeof a->name);
            a->name_read = true;
        } else {
            read_string(s, a->iInterface, a->name, sizeof a->name, &a->name_read);
        }
        if (!a->name_read)
            continue;
        names++;
        if (a->name[0] == '@') {
            char why[160];
            a->layout_ok = dfs_layout_parse(a->name, strlen(a->name), &a->layout, why,
                                            sizeof why) == DFS_OK;
            if (!a->layout_ok)
                dfs__fmt(a->layout_err, sizeof a->layout_err, "%s", why);
        }
    }
    facts_from_layouts(s);
    dfs__step_reply(s, "%s; %u alternate setting%s, %u name%s read%s", s->have_dfu
                    ? (s->facts.dfuse == 1 ? "DfuSe" : s->facts.dfuse == 0 ? "DFU 1.1"
                                                                             : "DFU")
                    : "no DFU interface",
                    s->n_alts, s->n_alts == 1 ? "" : "s", names, names == 1 ? "" : "s",
                    s->has_func ? "" : ", no DFU functional descriptor");
    dfs__step_end(s, DFS_VERDICT_NONE, NULL);
}

static bool claim_msg(struct dfs__sess *s, char *msg, size_t size)
{
    if (!s->have_dfu || s->claimed)
        return true;
    msg[0] = '\0';
    if (s->t->ops->claim(s->t->ctx, s->iface, msg, size) != DFS_OK) {
        if (!msg[0])
            dfs__fmt(msg, size, "cannot claim the DFU interface %u", s->iface);
        return false;
    }
    s->claimed = true;
    return true;
}

static bool claim(struct dfs__sess *s)
{
    char msg[1024];
    if (claim_msg(s, msg, sizeof msg))
        return true;
    dfs__report_set_outcome(s->rep, DFS_RUN_NOT_MADE, "%s", msg);
    return false;
}

static bool select_alt(struct dfs__sess *s)
{
    if (s->o->alt < 0)
        return true;
    if (!dfs__alt_info(s, (uint8_t)s->o->alt)) {
        char list[100] = "";
        for (unsigned i = 0; i < s->n_alts; i++)
            dfs__catf(list, sizeof list, "%s%u", i ? ", " : "", s->alts[i].alt);
        dfs__report_set_outcome(s->rep, DFS_RUN_NOT_MADE,
                                "--alt %d: the DFU interface %u has no such alternate setting "
                                "(it has %s)",
                                s->o->alt, s->iface, list[0] ? list : "none");
        return false;
    }
    dfs__step_begin(s, "setup", "set-interface %d", s->o->alt);
    enum dfs_xfer_status st = dfs__set_alt(s, (uint8_t)s->o->alt);
    dfs__step_reply(s, "%s", dfs_xfer_status_name(st));
    dfs__step_end(s, st == DFS_XFER_OK ? DFS_VERDICT_NONE : DFS_VERDICT_ERROR, NULL);
    if (st != DFS_XFER_OK) {
        dfs__report_set_outcome(s->rep, st == DFS_XFER_NO_DEVICE ? DFS_RUN_DEVICE_LOST
                                                                 : DFS_RUN_NOT_MADE,
                                "SET_INTERFACE to alternate setting %d failed: %s", s->o->alt,
                                dfs_xfer_status_name(st));
        return false;
    }
    return true;
}

/* After a re-enumeration: the device is new, and so is its state. */
static bool reopen(struct dfs__sess *s, uint16_t vid, uint16_t pid, uint32_t within_ms,
                   char *msg, size_t msg_size)
{
    struct dfs_device_sel sel = s->sel;
    sel.by_id = true;
    sel.vid = vid;
    sel.pid = pid;
    sel.path[0] = '\0';
    uint64_t t = dfs__now(s);
    note(s, "waiting up to %u ms for %04x:%04x to come back", (unsigned)within_ms, vid, pid);
    struct dfs_usb_ident id;
    char m[600];
    m[0] = '\0';
    if (s->t->ops->reopen(s->t->ctx, &sel, within_ms, &id, m, sizeof m) != DFS_OK) {
        dfs__fmt(msg, msg_size, "%s", m[0] ? m : "the device did not come back");
        return false;
    }
    uint64_t after = dfs__now(s) - t;
    s->id = id;
    s->open = true;
    s->gone = false;
    s->claimed = false;
    s->state_known = false;
    s->busy = false;
    s->alt_known = false;
    s->ptr.known = false;
    s->ob_pending = false;
    dfs__report_set_device(s->rep, &id);
    if (s->t->ops->cached_descriptors(s->t->ctx, s->devdesc, s->cfg, sizeof s->cfg,
                                      &s->cfg_len) == DFS_OK) {
        struct dfs__alt keep[DFS__MAX_ALTS];
        unsigned n_keep = s->n_alts;
        memcpy(keep, s->alts, sizeof keep);
        struct dfs_device_facts facts = s->facts;
        parse_cached(s);
        /* names are not read again; keep them when the same alts came back */
        if (s->n_alts == n_keep) {
            memcpy(s->alts, keep, sizeof keep);
            s->facts.n_layouts = facts.n_layouts;
            memcpy(s->facts.layouts, facts.layouts, sizeof facts.layouts);
            if (s->facts.dfuse < 0)
                s->facts.dfuse = facts.dfuse;
        }
    }
    /* a device descriptor read makes the capture show who came back */
    uint8_t d[DFS_DEVICE_DESC_LEN];
    dfs__get_descriptor(s, DFS_DT_DEVICE, 0, 0, sizeof d, d, NULL);
    if (!claim_msg(s, msg, msg_size))
        return false;
    if (s->o->alt >= 0)
        dfs__set_alt(s, (uint8_t)s->o->alt);
    dfs__fmt(msg, msg_size, "back as %04x:%04x, bus %u device %u, after %.0f ms", id.vid, id.pid,
             id.bus, id.devnum, (double)after / 1000.0);
    return true;
}

/* ---- the script interpreter ---------------------------------------------------------------------- */

struct step_result {
    enum dfs_xfer_status st;   /* of the decisive request */
    bool has_gs;
    struct dfs__getstatus gs;
    bool has_state;
    uint8_t state;
    uint8_t *data;             /* reply data */
    uint32_t len;
    bool sent;                 /* at least one request went out */
};

static void describe_gs(char *buf, size_t size, const struct dfs__getstatus *gs)
{
    const char *sn = dfs_dfu_status_name(gs->bStatus), *tn = dfs_dfu_state_name(gs->bState);
    dfs__catf(buf, size, "status %s, state %s, poll %u ms", sn ? sn : "?", tn ? tn : "?",
              (unsigned)gs->poll_ms);
    if (!sn)
        dfs__catf(buf, size, " (status 0x%02x undefined)", gs->bStatus);
    if (!tn)
        dfs__catf(buf, size, " (state %u undefined)", gs->bState);
}

/* A DfuSe command: DNLOAD block 0 then GETSTATUS until not busy. */
static void dfuse_command(struct dfs__sess *s, const uint8_t *cmd, uint16_t len, uint16_t block,
                          bool nowait, struct step_result *r)
{
    r->st = dfs__dfu_out(s, DFS_DFU_DNLOAD, block, cmd, len, nowait);
    r->sent = r->st != DFS_XFER_REFUSED;
    if (r->st != DFS_XFER_OK)
        return;
    r->st = dfs__poll_idle(s, MAX_POLLS, 0, &r->gs);
    r->has_gs = r->st == DFS_XFER_OK;
}

/* A DfuSe command with an address (set-address or erase). */
static void dfuse_address_command(struct dfs__sess *s, uint8_t command, uint32_t addr, bool nowait,
                                  struct step_result *r)
{
    uint8_t cmd[5] = {command, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
                      (uint8_t)(addr >> 24)};
    dfuse_command(s, cmd, 5, 0, nowait, r);
}

/* DfuSe read and write: set the address pointer to st->addr. False when the
 * request failed (r says how) or the device refused the address (msg says
 * how). */
static bool set_address_for(struct dfs__sess *s, const struct dfs__step *st, struct step_result *r,
                            char *msg, size_t msg_size)
{
    dfuse_address_command(s, DFS_DFUSE_SET_ADDRESS, st->addr, st->nowait, r);
    if (r->st != DFS_XFER_OK)
        return false;
    if (r->gs.bState != DFS_STATE_DNLOAD_IDLE || r->gs.bStatus != DFS_STATUS_OK) {
        char g[120] = "";
        describe_gs(g, sizeof g, &r->gs);
        dfs__fmt(msg, msg_size, "set-address 0x%08x was refused: %s", (unsigned)st->addr, g);
        return false;
    }
    return true;
}

static uint32_t xfer_size(const struct dfs__sess *s)
{
    uint32_t x = s->facts.transfer_size;
    return x ? x : 1024;
}

static bool wants_dfuse(enum dfs__step_kind k)
{
    return k == DFS__SK_SET_ADDRESS || k == DFS__SK_ERASE || k == DFS__SK_MASS_ERASE ||
           k == DFS__SK_READ_UNPROTECT || k == DFS__SK_LEAVE || k == DFS__SK_READ ||
           k == DFS__SK_WRITE;
}

static void exec_step(struct dfs__sess *s, const dfs_script *sc, const struct dfs__step *st,
                      struct step_result *r, char *msg, size_t msg_size)
{
    struct dfs_setup su = st->setup;
    if (st->setup_iface)
        su.wIndex = s->iface;
    const uint8_t *data = st->data_len ? dfs__script_data(sc, st->data_off) : NULL;
    uint8_t cmd[1];
    switch (st->kind) {
    DFS__SK_REQUEST_CASES: {
        bool in = su.bmRequestType & DFS_REQTYPE_DIR_IN;
        if (in && su.wLength) {
            r->data = malloc(su.wLength);
            if (!r->data) {
                r->st = DFS_XFER_REFUSED;
                dfs__fmt(msg, msg_size, "out of memory");
                return;
            }
        }
        r->st = dfs__xfer(s, &su, in ? NULL : data, r->data, st->timeout_ms, st->nowait, &r->len);
        r->sent = r->st != DFS_XFER_REFUSED;
        if (r->st == DFS_XFER_OK && st->kind == DFS__SK_GETSTATUS) {
            if (r->len >= DFS_GETSTATUS_LEN) {
                r->has_gs = true;
                r->gs.bStatus = r->data[0];
                r->gs.poll_ms = (uint32_t)r->data[1] | (uint32_t)r->data[2] << 8 |
                                (uint32_t)r->data[3] << 16;
                r->gs.bState = r->data[4];
                r->gs.iString = r->data[5];
            }
        }
        if (r->st == DFS_XFER_OK && st->kind == DFS__SK_GETSTATE && r->len >= 1) {
            r->has_state = true;
            r->state = r->data[0];
        }
        if (r->st == DFS_XFER_OK && st->kind == DFS__SK_SET_INTERFACE && su.wIndex == s->iface) {
            s->alt = (uint8_t)su.wValue;
            s->alt_known = true;
        }
        return;
    }
    case DFS__SK_POLL:
        r->st = DFS_XFER_OK;
        for (uint32_t i = 0; i < st->addr; i++) {
            if (!st->nowait)
                dfs__wait_poll(s, 0);
            r->st = dfs__getstatus(s, true, &r->gs, NULL);
            r->sent = true;
            if (r->st != DFS_XFER_OK)
                break;
            r->has_gs = true;
            if (!state_is_busy(r->gs.bState))
                break;
        }
        return;
    case DFS__SK_SET_ADDRESS:
    case DFS__SK_ERASE:
        dfuse_address_command(s, st->kind == DFS__SK_SET_ADDRESS ? DFS_DFUSE_SET_ADDRESS
                                                                 : DFS_DFUSE_ERASE,
                              st->addr, st->nowait, r);
        return;
    case DFS__SK_MASS_ERASE:
        cmd[0] = DFS_DFUSE_ERASE;
        dfuse_command(s, cmd, 1, 0, st->nowait, r);
        return;
    case DFS__SK_READ_UNPROTECT:
        cmd[0] = DFS_DFUSE_READ_UNPROTECT;
        dfuse_command(s, cmd, 1, 0, st->nowait, r);
        return;
    case DFS__SK_LEAVE:
        /* zero-length DNLOAD (as dfu-util sends it, block 2), then GETSTATUS */
        dfuse_command(s, NULL, 0, 2, st->nowait, r);
        return;
    case DFS__SK_READ: {
        if (!set_address_for(s, st, r, msg, msg_size))
            return;
        r->has_gs = false;
        r->st = dfs__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false);
        if (r->st != DFS_XFER_OK)
            return;
        r->data = malloc(st->length);
        if (!r->data) {
            r->st = DFS_XFER_REFUSED;
            dfs__fmt(msg, msg_size, "out of memory");
            return;
        }
        uint32_t chunk = xfer_size(s);
        uint32_t block = 2;
        while (r->len < st->length) {
            uint32_t want = st->length - r->len < chunk ? st->length - r->len : chunk;
            uint32_t got = 0;
            if (block > 0xffff)
                break;
            r->st = dfs__dfu_in(s, DFS_DFU_UPLOAD, (uint16_t)block, r->data + r->len,
                                (uint16_t)want, false, &got);
            if (r->st != DFS_XFER_OK)
                return;
            r->len += got;
            block++;
            if (got < want)
                break; /* short: the device has no more */
        }
        /* back to dfuIDLE: ABORT is allowed in dfuUPLOAD-IDLE and dfuIDLE */
        if (dfs__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, false) != DFS_XFER_OK)
            dfs__fmt(msg, msg_size, "the ABORT after the read failed");
        return;
    }
    case DFS__SK_WRITE: {
        if (!set_address_for(s, st, r, msg, msg_size))
            return;
        uint32_t chunk = xfer_size(s);
        uint32_t done = 0, block = 2;
        while (done < st->data_len) {
            uint32_t n = st->data_len - done < chunk ? st->data_len - done : chunk;
            if (block > 0xffff) {
                dfs__fmt(msg, msg_size, "more than 65533 blocks: split the write");
                r->st = DFS_XFER_REFUSED;
                return;
            }
            dfuse_command(s, data + done, (uint16_t)n, (uint16_t)block, false, r);
            if (r->st != DFS_XFER_OK)
                return;
            if (r->gs.bState != DFS_STATE_DNLOAD_IDLE || r->gs.bStatus != DFS_STATUS_OK)
                return; /* judged against the expectation */
            done += n;
            block++;
        }
        return;
    }
    case DFS__SK_WAIT:
        dfs__sleep_ms(s, st->addr);
        r->st = DFS_XFER_OK;
        return;
    case DFS__SK_WAIT_POLL:
        dfs__wait_poll(s, 0);
        r->st = DFS_XFER_OK;
        return;
    case DFS__SK_CHECK:
        return;
    }
}

static const char *outcome_exp_str(enum dfs__outcome_exp o)
{
    switch (o) {
    case DFS__EX_STALL: return "stall";
    case DFS__EX_TIMEOUT: return "timeout";
    case DFS__EX_FAIL: return "fail";
    case DFS__EX_ANY: return "any";
    case DFS__EX_DEFAULT:
    case DFS__EX_OK: break;
    }
    return "ok";
}

static void expect_text(const dfs_script *sc, const struct dfs__expect *ex, char *buf, size_t size)
{
    buf[0] = '\0';
    dfs__catf(buf, size, "%s", outcome_exp_str(ex->outcome));
    if (ex->has_status) {
        const char *n = dfs_dfu_status_name(ex->status);
        if (n)
            dfs__catf(buf, size, " status=%s", n);
        else
            dfs__catf(buf, size, " status=%u", ex->status);
    }
    if (ex->has_state) {
        const char *n = dfs_dfu_state_name(ex->state);
        if (n)
            dfs__catf(buf, size, " state=%s", n);
        else
            dfs__catf(buf, size, " state=%u", ex->state);
    }
    if (ex->has_length)
        dfs__catf(buf, size, " length%s%u", dfs__cmp_str(ex->length_op), (unsigned)ex->length);
    if (ex->has_poll)
        dfs__catf(buf, size, " poll%s%u", dfs__cmp_str(ex->poll_op), (unsigned)ex->poll);
    if (ex->has_data) {
        char p[120];
        dfs__pattern_str(dfs__script_data(sc, ex->data_off), dfs__script_data(sc, ex->mask_off),
                         ex->data_len, ex->data_prefix, p, sizeof p);
        dfs__catf(buf, size, " data=%s", p);
    }
    if (ex->reenum)
        dfs__catf(buf, size, " reenumerate %04x:%04x within %ums", ex->vid, ex->pid,
                  (unsigned)(ex->reenum_ms ? ex->reenum_ms : DEFAULT_REENUM_MS));
    else if (ex->disconnect)
        dfs__catf(buf, size, " disconnect%s", "");
}

/* Judge a step; returns its verdict, msg says why it failed. */
static enum dfs_verdict judge(struct dfs__sess *s, const dfs_script *sc, const struct dfs__step *st,
                              const struct step_result *r, char *msg, size_t msg_size)
{
    const struct dfs__expect *ex = &st->ex;
    enum dfs__outcome_exp want = ex->given ? ex->outcome : DFS__EX_OK;
    if (st->kind == DFS__SK_LEAVE && !ex->given)
        want = DFS__EX_ANY; /* the device may be gone before it answers */
    if (r->st == DFS_XFER_REFUSED)
        return DFS_VERDICT_ERROR;
    bool ok;
    switch (want) {
    case DFS__EX_STALL: ok = r->st == DFS_XFER_STALL; break;
    case DFS__EX_TIMEOUT: ok = r->st == DFS_XFER_TIMEOUT; break;
    case DFS__EX_FAIL: ok = r->st != DFS_XFER_OK; break;
    case DFS__EX_ANY: ok = true; break;
    default: ok = r->st == DFS_XFER_OK; break;
    }
    if (!ok) {
        if (!msg[0])
            dfs__fmt(msg, msg_size, "expected %s, got %s", outcome_exp_str(want),
                     dfs_xfer_status_name(r->st));
        return DFS_VERDICT_FAIL;
    }
    if (msg[0])
        return DFS_VERDICT_FAIL; /* the step itself found a problem */
    bool reply = r->st == DFS_XFER_OK;
    if (reply && ex->has_status) {
        if (!r->has_gs) {
            dfs__fmt(msg, msg_size, "no GETSTATUS reply to check status= against");
            return DFS_VERDICT_FAIL;
        }
        if (r->gs.bStatus != ex->status) {
            const char *a = dfs_dfu_status_name(r->gs.bStatus), *b = dfs_dfu_status_name(ex->status);
            dfs__fmt(msg, msg_size, "status %s (0x%02x), expected %s (0x%02x)", a ? a : "?",
                     r->gs.bStatus, b ? b : "?", ex->status);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_state) {
        bool have = r->has_gs || r->has_state;
        uint8_t state = r->has_gs ? r->gs.bState : r->state;
        if (!have) {
            dfs__fmt(msg, msg_size, "no GETSTATUS or GETSTATE reply to check state= against");
            return DFS_VERDICT_FAIL;
        }
        if (state != ex->state) {
            const char *a = dfs_dfu_state_name(state), *b = dfs_dfu_state_name(ex->state);
            dfs__fmt(msg, msg_size, "state %s (%u), expected %s (%u)", a ? a : "?", state,
                     b ? b : "?", ex->state);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_poll) {
        if (!r->has_gs) {
            dfs__fmt(msg, msg_size, "no GETSTATUS reply to check poll= against");
            return DFS_VERDICT_FAIL;
        }
        if (!dfs__cmp_ok(ex->poll_op, r->gs.poll_ms, ex->poll)) {
            dfs__fmt(msg, msg_size, "bwPollTimeout %u ms, expected %s%u", (unsigned)r->gs.poll_ms,
                     dfs__cmp_str(ex->poll_op), (unsigned)ex->poll);
            return DFS_VERDICT_FAIL;
        }
    }
    if (reply && ex->has_length && !dfs__cmp_ok(ex->length_op, r->len, ex->length)) {
        dfs__fmt(msg, msg_size, "reply of %u bytes, expected %s%u", (unsigned)r->len,
                 dfs__cmp_str(ex->length_op), (unsigned)ex->length);
        return DFS_VERDICT_FAIL;
    }
    if (reply && ex->has_data) {
        const uint8_t *pat = dfs__script_data(sc, ex->data_off);
        const uint8_t *mask = dfs__script_data(sc, ex->mask_off);
        if (!dfs__data_match(pat, mask, ex->data_len, ex->data_prefix, r->data, r->len)) {
            char got[100], p[100];
            dfs__hex_str(r->data, r->len, got, sizeof got);
            dfs__pattern_str(pat, mask, ex->data_len, ex->data_prefix, p, sizeof p);
            /* name the first differing byte */
            uint32_t k = 0;
            while (k < ex->data_len && k < r->len &&
                   (r->data[k] & mask[k]) == (pat[k] & mask[k]))
                k++;
            dfs__fmt(msg, msg_size, "reply %s (%u bytes) does not match %s (first difference at "
                     "byte %u)", got[0] ? got : "(empty)", (unsigned)r->len, p, (unsigned)k);
            return DFS_VERDICT_FAIL;
        }
    }
    if (ex->disconnect) {
        uint32_t ms = ex->disconnect_ms ? ex->disconnect_ms : s->o->disconnect_ms;
        if (!dfs__wait_gone(s, ms)) {
            dfs__fmt(msg, msg_size, "the device did not leave the bus within %u ms", (unsigned)ms);
            return DFS_VERDICT_FAIL;
        }
        if (ex->reenum) {
            char m[600];
            uint32_t within = ex->reenum_ms ? ex->reenum_ms : DEFAULT_REENUM_MS;
            if (!reopen(s, ex->vid, ex->pid, within, m, sizeof m)) {
                dfs__fmt(msg, msg_size, "left the bus, but %04x:%04x did not come back within "
                         "%u ms: %s", ex->vid, ex->pid, (unsigned)within, m);
                return DFS_VERDICT_FAIL;
            }
            dfs__fmt(msg, msg_size, "left the bus and came %s", m);
            return DFS_VERDICT_PASS;
        }
        dfs__fmt(msg, msg_size, "the device left the bus, as expected");
    }
    return DFS_VERDICT_PASS;
}

static void reply_text(const struct step_result *r, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!r->sent && r->st == DFS_XFER_REFUSED) {
        dfs__catf(buf, size, "not sent");
        return;
    }
    dfs__catf(buf, size, "%s", dfs_xfer_status_name(r->st));
    if (r->has_gs) {
        dfs__catf(buf, size, ": ");
        describe_gs(buf, size, &r->gs);
    } else if (r->has_state) {
        const char *n = dfs_dfu_state_name(r->state);
        dfs__catf(buf, size, ": state %s", n ? n : "?");
    } else if (r->len && r->data) {
        char h[60];
        dfs__hex_str(r->data, r->len, h, sizeof h);
        dfs__catf(buf, size, ": %u bytes %s", (unsigned)r->len, h);
    }
}

static bool sends_request(enum dfs__step_kind k)
{
    return k != DFS__SK_WAIT && k != DFS__SK_WAIT_POLL && k != DFS__SK_CHECK;
}

static void close_group(struct dfs__sess *s, long group, enum dfs_verdict v, const char *msg)
{
    struct dfs_check_result *c = dfs__report_check_mut(s->rep, group);
    if (!c)
        return;
    c->verdict = v == DFS_VERDICT_NONE ? DFS_VERDICT_PASS : v;
    if (msg && msg[0])
        dfs__fmt(c->msg, sizeof c->msg, "%s", msg);
    if (s->o->on_check)
        s->o->on_check(s->o->user, s->rep, (size_t)group);
}

static void run_script_steps(struct dfs__sess *s, const dfs_script *sc, const char *suite)
{
    long group = -1;
    enum dfs_verdict group_v = DFS_VERDICT_NONE;
    char group_msg[600] = "";
    size_t i = 0;
    char stop_reason[700] = "";
    for (; i < sc->n_steps; i++) {
        const struct dfs__step *st = &sc->steps[i];
        if (s->fatal)
            break;
        if (dfs__interrupted(s)) {
            dfs__fmt(stop_reason, sizeof stop_reason, "stopped by the user");
            break;
        }
        char origin[300];
        dfs__fmt(origin, sizeof origin, "%s:%u", dfs__step_file(sc, st), st->line);
        if (st->kind == DFS__SK_CHECK) {
            if (group >= 0)
                close_group(s, group, group_v, group_msg);
            const char *clause = st->clause_off ? dfs__script_str(sc, st->clause_off - 1) : "";
            const char *title = st->title_off ? dfs__script_str(sc, st->title_off - 1) : "";
            group = dfs__report_add_check(s->rep, suite, dfs__script_str(sc, st->check_id_off),
                                          clause, title[0] ? title : st->text);
            group_v = DFS_VERDICT_NONE;
            group_msg[0] = '\0';
            continue;
        }
        bool req = sends_request(st->kind);
        long chk = -1;
        if (req)
            chk = group >= 0 ? group : dfs__report_add_check(s->rep, suite, origin, "", st->text);
        s->check = chk;
        dfs__step_begin(s, origin, "%s", st->text);
        char exp[200] = "";
        if (req) {
            if (st->ex.given)
                expect_text(sc, &st->ex, exp, sizeof exp);
            else
                dfs__fmt(exp, sizeof exp, "%s", st->kind == DFS__SK_LEAVE ? "any" : "ok");
            dfs__step_expect(s, "%s", exp);
        }
        struct step_result r;
        memset(&r, 0, sizeof r);
        char msg[600] = "";
        if (wants_dfuse(st->kind) && s->facts.dfuse == 0) {
            dfs__fmt(msg, sizeof msg, "'%s' is a DfuSe command; this device is plain DFU 1.1",
                     st->text);
            r.st = DFS_XFER_REFUSED;
        } else if (req && st->setup_iface && !s->have_dfu) {
            dfs__fmt(msg, sizeof msg, "the device has no DFU interface");
            r.st = DFS_XFER_REFUSED;
        } else {
            exec_step(s, sc, st, &r, msg, sizeof msg);
        }
        enum dfs_verdict v = DFS_VERDICT_NONE;
        if (req) {
            v = judge(s, sc, st, &r, msg, sizeof msg);
            char rt[200];
            reply_text(&r, rt, sizeof rt);
            dfs__step_reply(s, "%s", rt);
        }
        /* the device left when nothing said it would */
        bool lost = false;
        if (req && !st->ex.disconnect && st->kind != DFS__SK_LEAVE && !s->fatal &&
            (r.st == DFS_XFER_NO_DEVICE ||
             (r.st != DFS_XFER_OK && r.st != DFS_XFER_REFUSED && !s->t->ops->present(s->t->ctx)))) {
            s->gone = true;
            lost = true;
            v = DFS_VERDICT_FAIL;
            dfs__fmt(msg, sizeof msg, "the device left the bus (%s); no step expected it",
                     dfs_xfer_status_name(r.st));
        }
        free(r.data);
        dfs__step_end(s, v, "%s", msg);
        if (req) {
            if (group >= 0) {
                group_v = dfs__verdict_worst(group_v, v);
                if ((v == DFS_VERDICT_FAIL || v == DFS_VERDICT_ERROR) && !group_msg[0])
                    dfs__fmt(group_msg, sizeof group_msg, "%s: %s", origin, msg);
            } else {
                close_group(s, chk, v, msg);
            }
        }
        s->check = -1;
        if (lost) {
            dfs__report_set_outcome(s->rep, DFS_RUN_DEVICE_LOST,
                                    "%s: the device %04x:%04x left the bus during '%s' (%s); the "
                                    "steps after it were not run",
                                    origin, s->id.vid, s->id.pid, st->text,
                                    dfs_xfer_status_name(r.st));
            s->fatal = true;
            dfs__fmt(stop_reason, sizeof stop_reason, "the device left the bus at %s", origin);
            i++;
            break;
        }
        if (s->fatal) {
            dfs__fmt(stop_reason, sizeof stop_reason, "%s", dfs_report_message(s->rep));
            i++;
            break;
        }
        if ((v == DFS_VERDICT_FAIL || v == DFS_VERDICT_ERROR) && !s->o->keep_going) {
            dfs__fmt(stop_reason, sizeof stop_reason,
                     "an earlier step failed (%s); use --keep-going to run on", origin);
            i++;
            break;
        }
    }
    if (group >= 0)
        close_group(s, group, group_v, group_msg);
    /* what was not run is still listed */
    long last_group = -1;
    for (; i < sc->n_steps; i++) {
        const struct dfs__step *st = &sc->steps[i];
        char origin[300];
        dfs__fmt(origin, sizeof origin, "%s:%u", dfs__step_file(sc, st), st->line);
        long c = -1;
        if (st->kind == DFS__SK_CHECK) {
            const char *clause = st->clause_off ? dfs__script_str(sc, st->clause_off - 1) : "";
            const char *title = st->title_off ? dfs__script_str(sc, st->title_off - 1) : "";
            last_group = dfs__report_add_check(s->rep, suite, dfs__script_str(sc, st->check_id_off),
                                               clause, title[0] ? title : st->text);
            c = last_group;
        } else if (sends_request(st->kind) && last_group < 0) {
            c = dfs__report_add_check(s->rep, suite, origin, "", st->text);
        }
        struct dfs_check_result *cr = dfs__report_check_mut(s->rep, c);
        if (cr) {
            cr->verdict = DFS_VERDICT_SKIP;
            dfs__fmt(cr->msg, sizeof cr->msg, "not run: %s", stop_reason);
        }
    }
}

/* ---- the run ------------------------------------------------------------------------------------- */

static bool valid_options(const struct dfs_run_options *o, const struct dfs_transport *t)
{
    return o && o->size >= sizeof *o && o->clock && o->clock->now_us && o->clock->sleep_us && t &&
           t->ops && t->ops->open && t->ops->cached_descriptors && t->ops->claim &&
           t->ops->control && t->ops->present && t->ops->reopen && t->ops->close;
}

static void sess_init(struct dfs__sess *s, const struct dfs_run_options *o,
                      const struct dfs_transport *t, dfs_report *rep)
{
    memset(s, 0, sizeof *s);
    s->o = o;
    s->t = t;
    s->clk = o->clock;
    s->rep = rep;
    s->t0 = o->clock->now_us(o->clock->ctx);
    if (o->clock->wall)
        s->wall0 = o->clock->wall(o->clock->ctx);
    s->urb_id = URB_ID_BASE;
    s->step = SIZE_MAX;
    s->check = -1;
    dfs_device_facts_init(&s->facts);
}

/* After the steps: ABORT when the user stopped the run and the state allows
 * it (DFU 1.1 A.2: dfuIDLE, dfuDNLOAD-IDLE, dfuUPLOAD-IDLE), then close. */
static void finish(struct dfs__sess *s, const char *where)
{
    if (s->stopping) {
        if (s->open && !s->gone && s->have_dfu && s->state_known &&
            (s->state == DFS_STATE_DFU_IDLE || s->state == DFS_STATE_DNLOAD_IDLE ||
             s->state == DFS_STATE_UPLOAD_IDLE)) {
            s->check = -1;
            dfs__step_begin(s, "interrupt", "abort");
            enum dfs_xfer_status st = dfs__dfu_out(s, DFS_DFU_ABORT, 0, NULL, 0, true);
            dfs__step_reply(s, "%s", dfs_xfer_status_name(st));
            dfs__step_end(s, DFS_VERDICT_NONE, "sent because the run was interrupted");
        } else if (s->open && !s->gone && s->have_dfu) {
            const char *n = s->state_known ? dfs_dfu_state_name(s->state) : NULL;
            note(s, "not sending ABORT: the device is in %s, where DFU 1.1 does not allow it",
                 n ? n : "an unknown state");
        }
        dfs__report_set_outcome(s->rep, DFS_RUN_INTERRUPTED, "stopped by the user%s%s%s",
                                where ? " during the " : "", where ? where : "",
                                where ? " suite" : "");
    }
    if (s->open)
        s->t->ops->close(s->t->ctx);
    s->open = false;
    dfs__report_set_duration(s->rep, dfs__now(s));
}

static bool prepare(struct dfs__sess *s)
{
    if (!open_device(s))
        return false;
    return true;
}

dfs_result dfs_run_script(const dfs_script *sc, const struct dfs_run_options *o,
                          const struct dfs_transport *t, dfs_report **out)
{
    if (!sc || !out || !valid_options(o, t))
        return DFS_E_INVAL;
    const char *name = sc->n_files ? sc->files[0] : "script";
    dfs_report *rep = dfs__report_new("script", name, o->allow);
    if (!rep)
        return DFS_E_NOMEM;
    struct dfs__sess *s = malloc(sizeof *s);
    if (!s) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    sess_init(s, o, t, rep);
    char why[1200];
    /* 1. before the device is opened: what the script needs in any case */
    unsigned miss = dfs_script_needs(sc, NULL, o->allow, why, sizeof why);
    if (miss) {
        dfs__report_set_outcome(rep, DFS_RUN_NOT_MADE,
                                "refused before sending anything: %s. Add the flag%s if this is "
                                "what you mean to do.",
                                why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    if (!prepare(s))
        goto done;
    /* 2. with the descriptors the host holds: DfuSe or not, wTransferSize */
    miss = dfs_script_needs(sc, &s->facts, o->allow, why, sizeof why);
    if (miss) {
        dfs__report_set_outcome(rep, DFS_RUN_NOT_MADE,
                                "refused before sending anything: %s. Add the flag%s if this is "
                                "what you mean to do.",
                                why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    identify(s);
    if (s->gone) {
        dfs__report_set_outcome(rep, DFS_RUN_DEVICE_LOST,
                                "the device left the bus while its descriptors were read");
        goto done;
    }
    /* 3. with the layout strings: option-byte and OTP regions they name */
    miss = dfs_script_needs(sc, &s->facts, o->allow, why, sizeof why);
    if (miss) {
        dfs__report_set_outcome(rep, DFS_RUN_NOT_MADE,
                                "refused before any request of the script was sent (only "
                                "descriptors were read): %s. Add the flag%s if this is what you "
                                "mean to do.",
                                why, (miss & (miss - 1)) ? "s" : "");
        goto done;
    }
    if (!claim(s) || !select_alt(s))
        goto done;
    run_script_steps(s, sc, name);
done:
    if (dfs_report_outcome(rep) != DFS_RUN_COMPLETE && dfs_report_check_count(rep) == 0) {
        /* every step is still listed, as not run */
        for (size_t i = 0; i < sc->n_steps; i++) {
            const struct dfs__step *st = &sc->steps[i];
            if (!sends_request(st->kind) && st->kind != DFS__SK_CHECK)
                continue;
            char origin[300];
            dfs__fmt(origin, sizeof origin, "%s:%u", dfs__step_file(sc, st), st->line);
            long c = dfs__report_add_check(rep, name,
                                           st->kind == DFS__SK_CHECK
                                               ? dfs__script_str(sc, st->check_id_off)
                                               : origin,
                                           "", st->text);
            struct dfs_check_result *cr = dfs__report_check_mut(rep, c);
            if (cr) {
                cr->verdict = DFS_VERDICT_ERROR;
                dfs__fmt(cr->msg, sizeof cr->msg, "not run: %s", dfs_report_message(rep));
            }
        }
    }
    finish(s, NULL);
    free(s);
    if (dfs__report_nomem(rep)) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    *out = rep;
    return DFS_OK;
}

dfs_result dfs_run_suites(unsigned suites, const struct dfs_run_options *o,
                          const struct dfs_transport *t, dfs_report **out)
{
    if (!out || !valid_options(o, t) || !suites || suites >= (1u << DFS_SUITE__COUNT))
        return DFS_E_INVAL;
    char name[80] = "";
    for (int k = 0; k < DFS_SUITE__COUNT; k++)
        if (suites & (1u << k))
            dfs__catf(name, sizeof name, "%s%s", name[0] ? "," : "",
                      dfs_suite_name((enum dfs_suite)k));
    dfs_report *rep = dfs__report_new("suites", name, o->allow);
    if (!rep)
        return DFS_E_NOMEM;
    struct dfs__sess *s = malloc(sizeof *s);
    if (!s) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    sess_init(s, o, t, rep);
    const char *where = NULL;
    if (prepare(s)) {
        identify(s);
        if (s->gone)
            dfs__report_set_outcome(rep, DFS_RUN_DEVICE_LOST,
                                    "the device left the bus while its descriptors were read");
        else if (claim(s) && select_alt(s)) {
            for (int k = 0; k < DFS_SUITE__COUNT; k++) {
                if (!(suites & (1u << k)))
                    continue;
                if (s->fatal || s->stopping) {
                    dfs__suite_list_not_run(s, (enum dfs_suite)k,
                                            s->stopping ? "the run was interrupted"
                                                        : dfs_report_message(rep));
                    continue;
                }
                if (!s->stopping)
                    where = dfs_suite_name((enum dfs_suite)k);
                dfs__suite_run(s, (enum dfs_suite)k);
            }
        }
    }
    if (dfs_report_outcome(rep) != DFS_RUN_COMPLETE && dfs_report_check_count(rep) == 0)
        for (int k = 0; k < DFS_SUITE__COUNT; k++)
            if (suites & (1u << k))
                dfs__suite_list_not_run(s, (enum dfs_suite)k, dfs_report_message(rep));
    finish(s, s->stopping ? where : NULL);
    free(s);
    if (dfs__report_nomem(rep)) {
        dfs_report_free(rep);
        return DFS_E_NOMEM;
    }
    *out = rep;
    return DFS_OK;
}
