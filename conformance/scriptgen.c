/* Capture to script: the host side of a captured session as script steps,
 * the device's replies as their expectations, so that a failure seen in
 * the field becomes a test that can be run again (docs/scripts.md,
 * "From a capture"). Fed by the decoder's events. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct gen_ctl {
    uint32_t device;
    uint16_t bus;
    uint8_t devnum;
    uint64_t frame, complete_frame;
    struct dfs_time submit_ts, complete_ts;
    bool has_submit;
    struct dfs_setup setup;
    enum dfs_ctl_end end;
    int32_t status;
    uint32_t actual;
    uint8_t *data;
    uint32_t data_len;
    bool data_partial;
    bool dfu;
};

struct gen_dev {
    uint32_t id, lane;
    uint16_t bus;
    uint8_t devnum;
    bool identified;
    uint16_t vid, pid;
    bool gone;
    uint64_t gone_frame;
};

struct dfs_scriptgen {
    struct dfs_scriptgen_options o;
    char source[512];
    struct gen_ctl *ctls;
    size_t n_ctls, cap_ctls;
    struct gen_dev *devs;
    size_t n_devs, cap_devs;
    uint32_t *reset_devs; /* devices the decoder found reset (option bytes, leave) */
    size_t n_reset, cap_reset;
    bool have_dfu;
    uint32_t dfu_lane;
    uint8_t dfu_iface;
    int dfuse; /* -1 unknown */
    bool flip; /* the decoder read DNLOADs as FLIP command blocks (R25) */
    bool nomem;
    size_t bytes;
};

#define GEN_MAX_BYTES (256u << 20)

static struct gen_dev *dev_get(dfs_scriptgen *g, uint32_t id)
{
    for (size_t i = 0; i < g->n_devs; i++)
        if (g->devs[i].id == id)
            return &g->devs[i];
    if (g->n_devs == g->cap_devs) {
        size_t cap = g->cap_devs ? g->cap_devs * 2 : 16;
        struct gen_dev *n = realloc(g->devs, cap * sizeof *n);
        if (!n) {
            g->nomem = true;
            return NULL;
        }
        g->devs = n;
        g->cap_devs = cap;
    }
    struct gen_dev *d = &g->devs[g->n_devs++];
    memset(d, 0, sizeof *d);
    d->id = id;
    d->lane = id;
    return d;
}

static int on_device(void *user, const struct dfs_device_event *ev)
{
    dfs_scriptgen *g = user;
    struct gen_dev *d = dev_get(g, ev->device);
    if (!d)
        return 0;
    d->lane = ev->lane;
    d->bus = ev->bus;
    d->devnum = ev->devnum;
    if (ev->vid || ev->pid) {
        d->identified = true;
        d->vid = ev->vid;
        d->pid = ev->pid;
    }
    if (ev->change == DFS_DEV_GONE) {
        d->gone = true;
        d->gone_frame = ev->frame;
    }
    return 0;
}

static int on_control(void *user, const struct dfs_control *c)
{
    dfs_scriptgen *g = user;
    if (!c->has_setup)
        return 0;
    if (g->n_ctls == g->cap_ctls) {
        size_t cap = g->cap_ctls ? g->cap_ctls * 2 : 256;
        struct gen_ctl *n = realloc(g->ctls, cap * sizeof *n);
        if (!n) {
            g->nomem = true;
            return 0;
        }
        g->ctls = n;
        g->cap_ctls = cap;
    }
    struct gen_ctl *x = &g->ctls[g->n_ctls];
    memset(x, 0, sizeof *x);
    x->device = c->device;
    x->bus = c->bus;
    x->devnum = c->devnum;
    x->frame = c->submit_frame ? c->submit_frame : c->complete_frame;
    x->complete_frame = c->complete_frame;
    x->submit_ts = c->submit_ts;
    x->complete_ts = c->complete_ts;
    x->has_submit = c->submit_frame != 0;
    x->setup = c->setup;
    x->end = c->end;
    x->status = c->status;
    x->actual = c->actual_length;
    x->data_partial = c->data_partial;
    x->dfu = c->dfu;
    if (c->data_len && c->data) {
        if (g->bytes + c->data_len > GEN_MAX_BYTES) {
            g->nomem = true;
            return 0;
        }
        x->data = malloc(c->data_len);
        if (!x->data) {
            g->nomem = true;
            return 0;
        }
        memcpy(x->data, c->data, c->data_len);
        x->data_len = c->data_len;
        g->bytes += c->data_len;
    }
    g->n_ctls++;
    dev_get(g, c->device);
    return 0;
}

static int on_dfu(void *user, const struct dfs_dfu_txn *t)
{
    dfs_scriptgen *g = user;
    bool match = true;
    if (g->o.by_addr)
        match = false; /* decided by lane at the end */
    if (!g->have_dfu && match) {
        g->have_dfu = true;
        g->dfu_lane = t->lane;
        g->dfu_iface = t->interface;
    }
    if (t->flip)
        g->flip = true;
    if (t->dfuse)
        g->dfuse = 1;
    else if (g->dfuse < 0)
        g->dfuse = 0;
    return 0;
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    dfs_scriptgen *g = user;
    /* only findings that say the device reset; dfu.device-lost is also
     * given when a capture merely ends, which is no proof */
    if (f->code != DFS_F_DFUSE_OPTION_BYTES_RESET && f->code != DFS_F_DFUSE_LEAVE_RESET)
        return 0;
    if (g->n_reset == g->cap_reset) {
        size_t cap = g->cap_reset ? g->cap_reset * 2 : 8;
        uint32_t *n = realloc(g->reset_devs, cap * sizeof *n);
        if (!n) {
            g->nomem = true;
            return 0;
        }
        g->reset_devs = n;
        g->cap_reset = cap;
    }
    g->reset_devs[g->n_reset++] = f->device;
    return 0;
}

dfs_result dfs_scriptgen_new(const struct dfs_scriptgen_options *o, dfs_scriptgen **out)
{
    if (!o || !out)
        return DFS_E_INVAL;
    dfs_scriptgen *g = calloc(1, sizeof *g);
    if (!g)
        return DFS_E_NOMEM;
    g->o = *o;
    dfs_run__fmt(g->source, sizeof g->source, "%s", o->source ? o->source : "capture");
    g->o.source = g->source;
    g->dfuse = -1;
    *out = g;
    return DFS_OK;
}

void dfs_scriptgen_sink(dfs_scriptgen *g, struct dfs_sink *sink)
{
    memset(sink, 0, sizeof *sink);
    sink->user = g;
    sink->on_control = on_control;
    sink->on_device = on_device;
    sink->on_dfu = on_dfu;
    sink->on_finding = on_finding;
}

void dfs_scriptgen_free(dfs_scriptgen *g)
{
    if (!g)
        return;
    for (size_t i = 0; i < g->n_ctls; i++)
        free(g->ctls[i].data);
    free(g->ctls);
    free(g->devs);
    free(g->reset_devs);
    free(g);
}

/* ---- writing -------------------------------------------------------------------------------- */

static const struct gen_dev *dev_find(const dfs_scriptgen *g, uint32_t id)
{
    for (size_t i = 0; i < g->n_devs; i++)
        if (g->devs[i].id == id)
            return &g->devs[i];
    return NULL;
}

static uint32_t lane_of(const dfs_scriptgen *g, uint32_t id)
{
    const struct gen_dev *d = dev_find(g, id);
    return d ? d->lane : id;
}

static void put_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        fputc(hx[p[i] >> 4], f);
        fputc(hx[p[i] & 15], f);
    }
}

static bool device_reset(const dfs_scriptgen *g, uint32_t device)
{
    for (size_t i = 0; i < g->n_reset; i++)
        if (g->reset_devs[i] == device)
            return true;
    return false;
}

/* Did the device leave after control i, a failure, with no other request
 * to it after that one? (When several requests fail before it is gone, the
 * last of them is the one that expects the disconnect.) */
static bool left_after(const dfs_scriptgen *g, size_t i)
{
    const struct gen_ctl *x = &g->ctls[i];
    if (x->status == -DFS_LINUX_ENODEV || x->status == -DFS_LINUX_ESHUTDOWN)
        return true;
    for (size_t k = i + 1; k < g->n_ctls; k++)
        if (g->ctls[k].device == x->device && g->ctls[k].devnum != 0 &&
            g->ctls[k].end != DFS_CTL_NO_SUBMIT)
            return false;
    const struct gen_dev *d = dev_find(g, x->device);
    return (d && d->gone) || device_reset(g, x->device);
}

/* The first instance after `device` in its lane, with the time of its first request. */
static const struct gen_ctl *came_back(const dfs_scriptgen *g, size_t i, const struct gen_dev **dv)
{
    const struct gen_ctl *x = &g->ctls[i];
    uint32_t lane = lane_of(g, x->device);
    for (size_t k = i + 1; k < g->n_ctls; k++) {
        const struct gen_ctl *y = &g->ctls[k];
        if (y->device != x->device && lane_of(g, y->device) == lane) {
            const struct gen_dev *d = dev_find(g, y->device);
            if (d && d->identified) {
                *dv = d;
                return y;
            }
        }
    }
    return NULL;
}

static const char *desc_type_word(uint8_t t)
{
    switch (t) {
    case DFS_DT_DEVICE: return "device";
    case DFS_DT_CONFIGURATION: return "config";
    case DFS_DT_STRING: return "string";
    case DFS_DT_DEVICE_QUALIFIER: return "qualifier";
    case DFS_DT_OTHER_SPEED_CONFIGURATION: return "other-speed";
    case DFS_DT_BOS: return "bos";
    case DFS_DT_DEBUG: return "debug";
    default: return NULL;
    }
}

/* Writes one control; returns false when it was left out (with a comment). */
static void write_ctl(const dfs_scriptgen *g, FILE *f, size_t i, int64_t *busy_until_ns,
                      size_t *n_steps)
{
    const struct gen_ctl *x = &g->ctls[i];
    const struct dfs_setup *su = &x->setup;
    bool in = su->bmRequestType & DFS_REQTYPE_DIR_IN;
    unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
    unsigned recip = su->bmRequestType & DFS_REQTYPE_RECIP_MASK;
    bool dfu_req = type == DFS_REQTYPE_CLASS && recip == DFS_REQTYPE_RECIP_INTERFACE &&
                   su->wIndex == g->dfu_iface && su->bRequest <= DFS_DFU_ABORT &&
                   (su->bmRequestType == DFS_DFU_REQTYPE_IN ||
                    su->bmRequestType == DFS_DFU_REQTYPE_OUT);
    if (x->end == DFS_CTL_NEVER_COMPLETED || x->end == DFS_CTL_NO_SUBMIT) {
        fprintf(f, "# frame %" PRIu64 ": a request with %s in the capture; not replayed\n",
                x->frame, x->end == DFS_CTL_NO_SUBMIT ? "no submit" : "no completion");
        return;
    }
    if (x->end == DFS_CTL_SUBMIT_ERROR) {
        fprintf(f, "# frame %" PRIu64 ": the host could not submit this request (%d); not "
                   "replayed\n",
                x->frame, (int)x->status);
        return;
    }
    if (x->devnum == 0)
        return; /* enumeration at the default address: the kernel's, not the session's */
    /* what to send */
    bool standard = type == DFS_REQTYPE_STANDARD;
    if (standard && su->bRequest == DFS_REQ_SET_ADDRESS)
        return;
    bool is_set_iface = standard && su->bRequest == DFS_REQ_SET_INTERFACE &&
                        recip == DFS_REQTYPE_RECIP_INTERFACE;
    if (standard && !is_set_iface && !g->o.standard)
        return;
    char req[200];
    if (dfu_req) {
        switch (su->bRequest) {
        case DFS_DFU_DETACH: dfs_run__fmt(req, sizeof req, "detach %u", su->wValue); break;
        case DFS_DFU_DNLOAD: dfs_run__fmt(req, sizeof req, "dnload %u", su->wValue); break;
        case DFS_DFU_UPLOAD:
            dfs_run__fmt(req, sizeof req, "upload %u %u", su->wValue, su->wLength);
            break;
        case DFS_DFU_GETSTATUS: dfs_run__fmt(req, sizeof req, "getstatus"); break;
        case DFS_DFU_CLRSTATUS: dfs_run__fmt(req, sizeof req, "clrstatus"); break;
        case DFS_DFU_GETSTATE: dfs_run__fmt(req, sizeof req, "getstate"); break;
        default: dfs_run__fmt(req, sizeof req, "abort"); break;
        }
    } else if (is_set_iface) {
        if (su->wIndex == g->dfu_iface)
            dfs_run__fmt(req, sizeof req, "set-interface %u", su->wValue);
        else
            dfs_run__fmt(req, sizeof req, "set-interface %u interface=%u", su->wValue, su->wIndex);
    } else if (standard && su->bRequest == DFS_REQ_GET_DESCRIPTOR &&
               recip == DFS_REQTYPE_RECIP_DEVICE && desc_type_word((uint8_t)(su->wValue >> 8))) {
        uint8_t t = (uint8_t)(su->wValue >> 8);
        dfs_run__fmt(req, sizeof req, "get-descriptor %s %u", desc_type_word(t), su->wValue & 0xff);
        if (su->wIndex)
            dfs_run__catf(req, sizeof req, " lang=0x%04x", su->wIndex);
        else if (t == DFS_DT_STRING && (su->wValue & 0xff))
            dfs_run__catf(req, sizeof req, " lang=0");
        dfs_run__catf(req, sizeof req, " length=%u", su->wLength);
    } else if (standard && su->bRequest == DFS_REQ_SET_CONFIGURATION) {
        dfs_run__fmt(req, sizeof req, "set-configuration %u", su->wValue);
    } else {
        dfs_run__fmt(req, sizeof req, "control 0x%02x 0x%02x 0x%04x 0x%04x", su->bmRequestType,
                     su->bRequest, su->wValue, su->wIndex);
        if (in)
            dfs_run__catf(req, sizeof req, " %u", su->wLength);
    }
    fputs(req, f);
    if (!in && su->wLength) {
        if (x->data_len < su->wLength) {
            fprintf(f, "\n# frame %" PRIu64 ": the capture holds %u of the %u bytes sent; "
                       "not replayed\n",
                    x->frame, (unsigned)x->data_len, su->wLength);
            return;
        }
        fputs(dfu_req || is_set_iface ? " hex:" : " hex:", f);
        put_hex(f, x->data, su->wLength);
    } else if (!in && !dfu_req && !standard && !is_set_iface) {
        fputs(" hex:", f);
    }
    /* the original host polled before bwPollTimeout: so does the replay */
    int64_t sub_ns = dfs_time_ns(x->submit_ts);
    if (dfu_req && x->has_submit && *busy_until_ns && sub_ns < *busy_until_ns)
        fputs(" nowait", f);
    /* the reply */
    fputs(" expect", f);
    bool failed = x->status != 0;
    if (failed && left_after(g, i)) {
        const struct gen_dev *back = NULL;
        const struct gen_ctl *y = came_back(g, i, &back);
        if (y && back) {
            int64_t gap_ms = dfs_time_diff_us(y->submit_ts, x->complete_ts) / 1000;
            int64_t within = gap_ms * 2 + 2000;
            if (within < 5000)
                within = 5000;
            fprintf(f, " reenumerate %04x:%04x within %" PRId64 "ms", back->vid, back->pid,
                    within);
        } else {
            fputs(" disconnect", f);
        }
        fprintf(f, "   # frame %" PRIu64 ": %d %s, then the device left\n", x->frame,
                (int)x->status, dfs_errno_name(x->status) ? dfs_errno_name(x->status) : "");
        (*n_steps)++;
        *busy_until_ns = 0;
        return;
    }
    if (x->status == -DFS_LINUX_EPIPE) {
        fputs(" stall", f);
    } else if (x->status == -DFS_LINUX_ENOENT || x->status == -DFS_LINUX_ECONNRESET) {
        fputs(" timeout", f);
    } else if (failed) {
        fputs(" fail", f);
    } else {
        fputs(" ok", f);
        bool full = x->data_len >= x->actual && !x->data_partial;
        struct dfs_run__getstatus gs;
        if (dfu_req && su->bRequest == DFS_DFU_GETSTATUS &&
            dfs_run__getstatus_parse(x->data, x->data_len, &gs)) {
            const char *sn = dfs_dfu_status_name(gs.bStatus);
            const char *tn = dfs_dfu_state_name(gs.bState);
            if (sn)
                fprintf(f, " status=%s", sn);
            else
                fprintf(f, " status=%u", gs.bStatus);
            if (tn)
                fprintf(f, " state=%s", tn);
            else
                fprintf(f, " state=%u", gs.bState);
            int64_t done_ns = dfs_time_ns(x->complete_ts);
            *busy_until_ns = (gs.bState == DFS_STATE_DNBUSY || gs.bState == DFS_STATE_MANIFEST)
                                 ? dfs_sat_add_i64(done_ns, (int64_t)gs.poll_ms * 1000000)
                                 : 0;
        } else if (dfu_req && su->bRequest == DFS_DFU_GETSTATE && x->data_len >= 1) {
            const char *tn = dfs_dfu_state_name(x->data[0]);
            if (tn)
                fprintf(f, " state=%s", tn);
            else
                fprintf(f, " state=%u", x->data[0]);
        } else if (in) {
            fprintf(f, " length=%u", (unsigned)x->actual);
            if (full && x->actual) {
                fputs(" data=", f);
                put_hex(f, x->data, x->actual);
            }
        }
    }
    fputc('\n', f);
    (*n_steps)++;
}

dfs_result dfs_scriptgen_finish(dfs_scriptgen *g, FILE *out, char *msg, size_t msg_size)
{
    if (!g || !out)
        return DFS_E_INVAL;
    if (msg && msg_size)
        msg[0] = '\0';
    if (g->nomem) {
        dfs_run__fmt(msg, msg_size, "out of memory (or more than %u MiB of data)",
                     GEN_MAX_BYTES >> 20);
        return DFS_E_NOMEM;
    }
    /* which device */
    bool found = false;
    uint32_t lane = 0;
    if (g->o.by_id || g->o.by_addr) {
        for (size_t i = 0; i < g->n_devs && !found; i++) {
            const struct gen_dev *d = &g->devs[i];
            if ((g->o.by_id && d->identified && d->vid == g->o.vid && d->pid == g->o.pid) ||
                (g->o.by_addr && d->bus == g->o.bus && d->devnum == g->o.devnum)) {
                found = true;
                lane = d->lane;
            }
        }
        if (!found) {
            if (g->o.by_id)
                dfs_run__fmt(msg, msg_size, "no device %04x:%04x in the capture", g->o.vid,
                             g->o.pid);
            else
                dfs_run__fmt(msg, msg_size, "no device %u.%u in the capture", g->o.bus,
                             g->o.devnum);
            return DFS_E_NOTFOUND;
        }
        /* its DFU interface */
        for (size_t i = 0; i < g->n_ctls; i++)
            if (lane_of(g, g->ctls[i].device) == lane && g->ctls[i].dfu) {
                g->dfu_iface = (uint8_t)g->ctls[i].setup.wIndex;
                g->have_dfu = true;
                break;
            }
    } else {
        if (!g->have_dfu) {
            dfs_run__fmt(msg, msg_size,
                         "the capture has no DFU requests (%zu control transfers); "
                         "choose a device with --device to replay its requests anyway",
                         g->n_ctls);
            return DFS_E_NOTFOUND;
        }
        found = true;
        lane = g->dfu_lane;
    }
    /* the steps, into memory first: the header says what they need */
    char *body = NULL;
    size_t body_len = 0;
    FILE *mem = open_memstream(&body, &body_len);
    if (!mem)
        return DFS_E_NOMEM;
    size_t n_steps = 0, first = 0, last = 0;
    int64_t busy_until = 0;
    const struct gen_dev *dev = NULL;
    for (size_t i = 0; i < g->n_ctls; i++) {
        if (lane_of(g, g->ctls[i].device) != lane)
            continue;
        if (!dev)
            dev = dev_find(g, g->ctls[i].device);
        if (!first)
            first = (size_t)g->ctls[i].frame;
        last = (size_t)g->ctls[i].frame;
        write_ctl(g, mem, i, &busy_until, &n_steps);
    }
    if (fclose(mem) != 0) {
        free(body);
        return DFS_E_NOMEM;
    }
    if (!n_steps) {
        free(body);
        dfs_run__fmt(msg, msg_size, "the device's session has no request to replay%s",
                     g->o.standard ? "" : " (standard requests are left out unless --standard)");
        return DFS_E_NOTFOUND;
    }
    /* what the replay needs */
    dfs_script *sc = NULL;
    struct dfs_script_error err;
    char flags[200] = "";
    char why[600] = "";
    dfs_result pr = dfs_script_parse(body, body_len, "generated", NULL, &sc, &err);
    if (pr == DFS_OK) {
        struct dfs_device_facts facts;
        dfs_device_facts_init(&facts);
        facts.dfuse = g->dfuse;
        facts.flip = g->flip;
        unsigned need = dfs_script_needs(sc, &facts, 0, why, sizeof why);
        dfs_allow_str(need, flags, sizeof flags);
        dfs_script_free(sc);
    }
    fprintf(out, "# dfuscope script replaying the host side of %s\n", g->source);
    if (dev && dev->identified)
        fprintf(out, "# device %04x:%04x (bus %u device %u), %zu steps from frames %zu to %zu\n",
                dev->vid, dev->pid, dev->bus, dev->devnum, n_steps, first, last);
    else
        fprintf(out, "# %zu steps from frames %zu to %zu\n", n_steps, first, last);
    fputs("# The device's replies in the capture are the expectations. GETSTATUS waits for "
          "bwPollTimeout\n# unless marked nowait (the captured host did not wait either).\n",
          out);
    if (pr != DFS_OK) {
        char e[700];
        dfs_script_error_str(&err, e, sizeof e);
        fprintf(out, "# warning: the generated steps do not parse: %s\n", e);
    }
    char devarg[32];
    if (dev && dev->identified)
        dfs_run__fmt(devarg, sizeof devarg, "%04x:%04x", dev->vid, dev->pid);
    else
        dfs_run__fmt(devarg, sizeof devarg, "VID:PID");
    fprintf(out, "# replay: dfuscope run SCRIPT --device %s %s\n", devarg,
            flags[0] ? flags : "(read-only)");
    if (!(dev && dev->identified))
        fputs("# (the capture does not show the device descriptor, so VID:PID is not known)\n",
              out);
    fwrite(body, 1, body_len, out);
    free(body);
    if (fflush(out) != 0 || ferror(out)) {
        dfs_run__fmt(msg, msg_size, "error writing the script");
        return DFS_E_IO;
    }
    return DFS_OK;
}
