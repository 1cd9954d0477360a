/* The diagnosis printer. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "host.h"
#include "outcome.h"

#define MAX_KEPT 2000

/* A finding kept for the listing: struct dfs_finding with its two texts
 * copied at their length rather than in 1 KiB arrays each (a long capture
 * keeps dozens of findings; this is most of diagnose's own memory). */
struct kept {
    enum dfs_finding_code code;
    const char *id;
    enum dfs_severity severity;
    enum dfs_group group;
    const char *title;
    uint32_t device;
    uint64_t frame;
    uint64_t frames[DFS_FINDING_MAX_FRAMES];
    unsigned n_frames;
    char *explanation; /* one allocation: explanation, then remedy */
    const char *remedy;
    bool likely;       /* a log's finding a capture would prove: "most likely" */
};

struct diag {
    FILE *out;
    bool json, live;
    struct color color;
    struct kept *f;
    size_t n, cap;
    uint64_t dropped;
    uint64_t sev[3];                     /* every finding, kept or not */
    struct finding_repeats like[DFS_F__COUNT]; /* by finding code */
    uint64_t txns;
    bool have_base;
    struct dfs_time base;
    const struct dev_filter *filter;
    const dfs_log *log; /* the input is this text log: lines instead of frames */
    bool log_pass;      /* adding the log's own findings: filtered by their VID:PID */
    struct outcome oc;  /* the session's outcome, from the evidence */
    struct host host;   /* which host program drove it (host.h) */
};

void diag_set_log(struct diag *d, const dfs_log *log)
{
    d->log = log;
}

void diag_set_filter(struct diag *d, const struct dev_filter *filter)
{
    d->filter = filter;
}

struct diag *diag_new(FILE *out, bool json, const char *color_mode, bool live)
{
    struct diag *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->out = out;
    d->json = json;
    d->live = live && !json;
    host_init(&d->host);
    color_init(&d->color, out, color_mode);
    return d;
}

void diag_free(struct diag *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->f[i].explanation);
    free(d->f);
    free(d);
}

static const char *outcome_name(enum dfs_dfu_outcome o)
{
    switch (o) {
    case DFS_DFU_ACK: return "ack";
    case DFS_DFU_STALLED: return "stall";
    case DFS_DFU_BUS_ERROR: return "bus-error";
    case DFS_DFU_CANCELLED: return "cancelled";
    case DFS_DFU_NO_DEVICE: return "no-device";
    case DFS_DFU_NO_REPLY: return "no-reply";
    }
    return "?";
}

static void json_state(FILE *f, const char *key, uint8_t st)
{
    fprintf(f, ",\"%s\":", key);
    const char *n = st == DFS_STATE_UNKNOWN ? NULL : dfs_dfu_state_name(st);
    json_str(f, n);
}

void dfu_txn_json(FILE *f, const struct dfs_dfu_txn *t)
{
    char ts[40];
    fmt_abstime(ts, sizeof ts, t->ts);
    fprintf(f, "{\"frame\":%" PRIu64 ",\"reply_frame\":%" PRIu64 ",\"time\":%s,\"bus\":%u,"
               "\"device\":%u,\"instance\":%u,\"lane\":%u,\"interface\":%u,\"alt\":%u,"
               "\"request\":",
            t->frame, t->reply_frame, ts, t->bus, t->devnum, t->device, t->lane, t->interface,
            t->alt);
    json_str(f, dfs_dfu_request_name(t->request));
    fprintf(f, ",\"block\":%u,\"wLength\":%u,\"length\":%u,\"usb_status\":%d,\"outcome\":\"%s\","
               "\"dfuse\":%s",
            t->wValue, t->wLength, t->length, (int)t->usb_status, outcome_name(t->outcome),
            t->dfuse ? "true" : "false");
    fputs(",\"command\":", f);
    if (t->cmd >= 0)
        json_str(f, t->mass_erase ? "MASS_ERASE" : dfs_dfuse_cmd_name((uint8_t)t->cmd));
    else
        fputs("null", f);
    fputs(",\"address\":", f);
    if (t->has_address)
        fprintf(f, "%u", t->address);
    else
        fputs("null", f);
    fprintf(f, ",\"leave\":%s", t->leave ? "true" : "false");
    if (t->flip) {
        fputs(",\"flip\":{\"command\":", f);
        if (t->flip_cmd >= 0) {
            json_str(f, dfs_flip_cmd_name(t->flip_cmd));
            fprintf(f, ",\"start\":%u,\"end\":%u}", t->flip_start, t->flip_end);
        } else {
            fputs("null}", f);
        }
    }
    if (t->has_status) {
        fprintf(f, ",\"bStatus\":%u,\"status\":", t->bStatus);
        json_str(f, dfs_dfu_status_name(t->bStatus));
        fprintf(f, ",\"poll_timeout\":%u", t->poll_timeout_ms);
    } else {
        fputs(",\"bStatus\":null,\"status\":null,\"poll_timeout\":null", f);
    }
    if (t->has_state) {
        fprintf(f, ",\"bState\":%u", t->bState);
        json_state(f, "state", t->bState);
    } else {
        fputs(",\"bState\":null,\"state\":null", f);
    }
    json_state(f, "state_before", t->state_before);
    json_state(f, "state_after", t->state_after);
    if (t->poll_wait_us >= 0)
        fprintf(f, ",\"poll_wait_ms\":%.3f,\"poll_asked_ms\":%u", (double)t->poll_wait_us / 1000.0,
                t->poll_asked_ms);
    if (t->naks)
        fprintf(f, ",\"naks\":%u,\"nak_ms\":%.3f", t->naks, (double)t->nak_us / 1000.0);
    fputs(",\"data\":", f);
    json_hex(f, t->data, t->data_len > 64 ? 64 : t->data_len);
    fprintf(f, ",\"data_length\":%u}", t->data_len);
}

/* ---- collecting ------------------------------------------------------------------ */

static void print_finding_line(struct diag *d, const struct dfs_finding *f)
{
    const struct color *c = &d->color;
    const char *col = f->severity == DFS_SEV_ERROR     ? c_red(c)
                      : f->severity == DFS_SEV_WARNING ? c_yellow(c)
                                                       : c_cyan(c);
    char safe[DFS_FINDING_TEXT_SIZE + 64];
    text_safe(safe, sizeof safe, f->explanation);
    fprintf(d->out, "%s>> %s %s%s: %s\n", col, dfs_severity_name(f->severity), f->id, c_off(c),
            safe);
    fflush(d->out);
}

static int keep(struct diag *d, const struct dfs_finding *f, bool likely);

/* A decoder finding on records made from a log: the lines behind its frames */
static int on_log_finding(struct diag *d, const struct dfs_finding *f)
{
    struct dfs_finding *g = malloc(sizeof *g);
    if (!g) {
        d->dropped++;
        return 0;
    }
    *g = *f;
    g->n_frames = 0;
    unsigned nf = f->n_frames < DFS_FINDING_MAX_FRAMES ? f->n_frames : DFS_FINDING_MAX_FRAMES;
    for (unsigned i = 0; i <= nf; i++) {
        uint64_t lines[2];
        size_t n = dfs_log_frame_lines(d->log, i < nf ? f->frames[i] : f->frame, lines, 2);
        for (size_t k = 0; k < n; k++) {
            unsigned at = 0;
            while (at < g->n_frames && g->frames[at] < lines[k])
                at++;
            if ((at < g->n_frames && g->frames[at] == lines[k]) ||
                g->n_frames == DFS_FINDING_MAX_FRAMES)
                continue;
            memmove(&g->frames[at + 1], &g->frames[at], (g->n_frames - at) * sizeof g->frames[0]);
            g->frames[at] = lines[k];
            g->n_frames++;
        }
    }
    g->frame = g->n_frames ? g->frames[0] : 0;
    int rc = keep(d, g, false);
    free(g);
    return rc;
}

void diag_add_log_findings(struct diag *d)
{
    d->log_pass = true;
    for (size_t i = 0; d->log && i < dfs_log_finding_count(d->log); i++) {
        const struct dfs_log_finding *lf = dfs_log_finding(d->log, i);
        if (!log_finding_for_device(d->filter, lf))
            continue;
        struct dfs_finding *g = malloc(sizeof *g);
        if (!g) {
            d->dropped++;
            continue;
        }
        *g = lf->f;
        g->n_frames = lf->n_lines;
        memcpy(g->frames, lf->lines, lf->n_lines * sizeof lf->lines[0]);
        g->frame = lf->n_lines ? lf->lines[0] : 0;
        keep(d, g, lf->likely);
        free(g);
    }
    d->log_pass = false;
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    struct diag *d = user;
    if (d->log)
        return on_log_finding(d, f);
    return keep(d, f, false);
}

static int keep(struct diag *d, const struct dfs_finding *f, bool likely)
{
    if (d->filter && d->filter->active && !d->log_pass &&
        !dev_filter_match_instance(d->filter, f->device))
        return 0;
    if (d->live)
        print_finding_line(d, f);
    d->sev[f->severity <= DFS_SEV_ERROR ? f->severity : DFS_SEV_ERROR]++;
    struct finding_repeats *ml = (unsigned)f->code < DFS_F__COUNT ? &d->like[f->code] : NULL;
    if (ml && ml->kept >= FINDINGS_PER_ID) {
        finding_repeats_more(ml, f->frame);
        return 0;
    }
    if (d->n == d->cap) {
        if (d->cap >= MAX_KEPT) {
            d->dropped++;
            return 0;
        }
        size_t ncap = d->cap ? d->cap * 2 : 32;
        struct kept *n = realloc(d->f, ncap * sizeof *n);
        if (!n) {
            d->dropped++;
            return 0;
        }
        d->f = n;
        d->cap = ncap;
    }
    size_t le = strnlen(f->explanation, sizeof f->explanation);
    size_t lr = strnlen(f->remedy, sizeof f->remedy);
    char *text = malloc(le + lr + 2);
    if (!text) {
        d->dropped++;
        return 0;
    }
    memcpy(text, f->explanation, le);
    text[le] = '\0';
    memcpy(text + le + 1, f->remedy, lr);
    text[le + 1 + lr] = '\0';
    struct kept *k = &d->f[d->n++];
    *k = (struct kept){.code = f->code, .id = f->id, .severity = f->severity,
                       .group = f->group, .title = f->title, .device = f->device,
                       .frame = f->frame, .n_frames = f->n_frames, .explanation = text,
                       .remedy = text + le + 1, .likely = likely};
    unsigned nf = f->n_frames < DFS_FINDING_MAX_FRAMES ? f->n_frames : DFS_FINDING_MAX_FRAMES;
    k->n_frames = nf;
    memcpy(k->frames, f->frames, nf * sizeof f->frames[0]);
    if (ml)
        ml->kept++;
    return 0;
}

static int on_dfu(void *user, const struct dfs_dfu_txn *t)
{
    struct diag *d = user;
    if (d->filter && !dev_filter_match(d->filter, t->bus, t->devnum, t->device))
        return 0;
    d->txns++;
    outcome_on_dfu(&d->oc, t);
    host_on_dfu(&d->host, t);
    if (!d->have_base) {
        d->base = t->ts;
        d->have_base = true;
    }
    if (d->live) {
        char req[128], rep[160], rel[32];
        dfs_dfu_txn_request_str(t, req, sizeof req);
        dfs_dfu_txn_reply_str(t, rep, sizeof rep);
        fmt_reltime(rel, sizeof rel, t->ts, d->base);
        fprintf(d->out, "%7" PRIu64 " %11s %3u.%-3u %-40s %s\n", t->frame, rel, t->bus,
                t->devnum, req, rep);
        fflush(d->out);
    }
    return 0;
}

static int on_mem(void *user, const struct dfs_mem_op *op)
{
    struct diag *d = user;
    if (!d->filter || dev_filter_match_instance(d->filter, op->device))
        outcome_on_mem(&d->oc, op);
    return 0;
}

static int on_control(void *user, const struct dfs_control *c)
{
    struct diag *d = user;
    if (!d->filter || dev_filter_match(d->filter, c->bus, c->devnum, c->device))
        host_on_control(&d->host, c);
    return 0;
}

void diag_sink(struct diag *d, struct dfs_sink *sink)
{
    sink->user = d;
    sink->on_control = on_control;
    sink->on_finding = on_finding;
    sink->on_dfu = on_dfu;
    sink->on_mem = on_mem;
}

/* ---- the diagnosis ------------------------------------------------------------------- */

static int cmp_finding(const void *a, const void *b)
{
    const struct kept *x = a, *y = b;
    if (x->severity != y->severity)
        return x->severity > y->severity ? -1 : 1;
    uint64_t fx = x->n_frames ? x->frames[0] : x->frame, fy = y->n_frames ? y->frames[0] : y->frame;
    if (fx != fy)
        return fx < fy ? -1 : 1;
    return (int)x->code - (int)y->code;
}

static void device_strings(dfs_decoder *dec, const struct dfs_device_info *info, uint8_t idx,
                           char *out, size_t size)
{
    out[0] = '\0';
    const uint8_t *raw;
    size_t len;
    if (!idx || dfs_decoder_device_string(dec, info->id, idx, info->langid, &raw, &len) != DFS_OK)
        return;
    char u[256];
    if (dfs_desc_string_utf8(raw, len, u, sizeof u, NULL) == DFS_OK)
        text_safe(out, size, u);
}

/* Do the alternate settings come from more than one configuration? Then
 * each says which (bConfigurationValue). */
static bool several_configs(const struct dfs_dfu_info *dfu)
{
    for (unsigned a = 1; a < dfu->n_alts; a++)
        if (dfu->alts[a].configuration != dfu->alts[0].configuration)
            return true;
    return false;
}

static void print_devices_text(struct diag *d, dfs_decoder *dec)
{
    size_t n = dfs_decoder_device_count(dec);
    bool header = false;
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    if (!dfu)
        return;
    for (size_t i = 0; i < n; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK)
            continue;
        if (dfs_decoder_dfu_info(dec, info.id, dfu) != DFS_OK || !dfu->present)
            continue;
        if (!header) {
            fprintf(d->out, "%sDFU devices%s\n", c_bold(&d->color), c_off(&d->color));
            header = true;
        }
        char prod[200] = "";
        if (info.has_device_desc)
            device_strings(dec, &info, info.desc.iProduct, prod, sizeof prod);
        fprintf(d->out, "  %u.%u", info.bus, info.devnum);
        if (info.has_device_desc && info.device_desc_complete)
            fprintf(d->out, " %04x:%04x", info.desc.idVendor, info.desc.idProduct);
        if (*prod)
            fprintf(d->out, " \"%s\"", prod);
        fprintf(d->out, ": %s%s interface %u",
                dfu->flip ? "Atmel FLIP" : dfu->dfuse ? "DfuSe" : "DFU 1.1",
                dfu->runtime ? " run-time" : "", dfu->interface);
        if (dfu->transfer_size)
            fprintf(d->out, ", wTransferSize %u%s", dfu->transfer_size,
                    dfu->transfer_size_inferred ? " (inferred from the blocks)" : "");
        if (!d->log)
            fprintf(d->out, ", frames %" PRIu64 "-%" PRIu64, info.first_frame,
                    info.last_frame);
        if (info.previous)
            fprintf(d->out, ", re-enumerated (instance %u before)", info.previous);
        if (info.gone)
            fprintf(d->out, ", left the bus at frame %" PRIu64, info.gone_frame);
        fputc('\n', d->out);
        bool several = several_configs(dfu);
        for (unsigned a = 0; a < dfu->n_alts; a++) {
            const struct dfs_dfu_alt_info *al = &dfu->alts[a];
            char nm[300], cf[32] = "";
            text_safe(nm, sizeof nm, al->name);
            if (several)
                snprintf(cf, sizeof cf, " (configuration %u)", al->configuration);
            fprintf(d->out, "    alt %u%s: %s%s%s\n", al->alt, cf, al->has_name ? "\"" : "",
                    al->has_name ? nm : "(name not in the capture)", al->has_name ? "\"" : "");
        }
    }
    if (header)
        fputc('\n', d->out);
    free(dfu);
}

/* what usbfs's URB status means (libusb's handle_control_completion) */
static const char *urb_result(const struct dfs_log_transfer *x)
{
    if (!x->reap_line)
        return "not reaped";
    switch (x->status) {
    case 0: return "completed";
    case -32: return "stall";
    case -19:
    case -108: return "device gone";
    case -2: return "cancelled";
    case -75: return "overflow";
    case -62:
    case -71:
    case -84:
    case -70:
    case -63: return "bus error";
    default: return "error";
    }
}

/* "transfers": libusb's control transfers, when the log has them */
static void json_log_transfers(FILE *o, const dfs_log *log)
{
    size_t n = dfs_log_transfer_count(log);
    if (!n)
        return;
    fputs(",\"transfers\":[", o);
    for (size_t i = 0; i < n; i++) {
        const struct dfs_log_transfer *x = dfs_log_transfer(log, i);
        fprintf(o, "%s{\"lines\":[%" PRIu64, i ? "," : "", x->submit_line);
        if (x->reap_line)
            fprintf(o, ",%" PRIu64, x->reap_line);
        fputs("],\"device\":", o);
        if (x->bus)
            fprintf(o, "\"%u.%u\"", (unsigned)x->bus, (unsigned)x->devnum);
        else
            fputs("null", o);
        fputs(",\"timeout_ms\":", o);
        if (x->timeout_ms)
            fprintf(o, "%u", (unsigned)x->timeout_ms);
        else
            fputs("null", o);
        fputs(",\"status\":", o);
        if (x->reap_line)
            fprintf(o, "%d,\"length\":%u", (int)x->status, (unsigned)x->length);
        else
            fputs("null,\"length\":null", o);
        fputs(",\"result\":", o);
        json_str(o, urb_result(x));
        fputs(",\"request\":", o);
        json_str(o, dfs_log_request_name(x->request));
        if (x->request_line)
            fprintf(o, ",\"request_line\":%" PRIu64 "}", x->request_line);
        else
            fputs(",\"request_line\":null}", o);
    }
    fputc(']', o);
}

static void json_devices(struct diag *d, dfs_decoder *dec)
{
    FILE *f = d->out;
    size_t n = dfs_decoder_device_count(dec);
    struct dfs_dfu_info *dfu = malloc(sizeof *dfu);
    fputs("[", f);
    bool first = true;
    for (size_t i = 0; i < n && dfu; i++) {
        struct dfs_device_info info;
        if (dfs_decoder_device_info(dec, i, &info) != DFS_OK)
            continue;
        fprintf(f, "%s{\"instance\":%u,\"lane\":%u,\"previous\":", first ? "" : ",", info.id,
                info.lane);
        first = false;
        if (info.previous)
            fprintf(f, "%u", info.previous);
        else
            fputs("null", f);
        fprintf(f, ",\"bus\":%u,\"device\":%u,\"first_frame\":%" PRIu64 ",\"last_frame\":%" PRIu64
                   ",\"gone_frame\":",
                info.bus, info.devnum, info.first_frame, info.last_frame);
        if (info.gone)
            fprintf(f, "%" PRIu64, info.gone_frame);
        else
            fputs("null", f);
        if (info.has_device_desc && info.device_desc_complete) {
            char s[200];
            fprintf(f, ",\"vid\":%u,\"pid\":%u,\"bcdDevice\":%u", info.desc.idVendor,
                    info.desc.idProduct, info.desc.bcdDevice);
            device_strings(dec, &info, info.desc.iManufacturer, s, sizeof s);
            fputs(",\"manufacturer\":", f);
            json_str(f, *s ? s : NULL);
            device_strings(dec, &info, info.desc.iProduct, s, sizeof s);
            fputs(",\"product\":", f);
            json_str(f, *s ? s : NULL);
            device_strings(dec, &info, info.desc.iSerialNumber, s, sizeof s);
            fputs(",\"serial\":", f);
            json_str(f, *s ? s : NULL);
        } else {
            fputs(",\"vid\":null,\"pid\":null", f);
        }
        fputs(",\"dfu\":", f);
        if (dfs_decoder_dfu_info(dec, info.id, dfu) != DFS_OK || !dfu->present) {
            fputs("null}", f);
            continue;
        }
        fprintf(f, "{\"interface\":%u,\"from_descriptor\":%s,\"runtime\":%s,\"dfuse\":%s,",
                dfu->interface, dfu->from_descriptor ? "true" : "false",
                dfu->runtime ? "true" : "false", dfu->dfuse ? "true" : "false");
        if (dfu->flip)
            fputs("\"flip\":true,", f);
        fputs("\"transfer_size\":", f);
        if (dfu->transfer_size)
            fprintf(f, "%u", dfu->transfer_size);
        else
            fputs("null", f);
        fprintf(f, ",\"transfer_size_inferred\":%s,\"functional\":",
                dfu->transfer_size_inferred ? "true" : "false");
        if (dfu->has_functional) {
            fprintf(f, "{\"bLength\":%u,\"bmAttributes\":%u,\"wDetachTimeOut\":%u,"
                       "\"wTransferSize\":%u,\"bcdDFUVersion\":",
                    dfu->functional.bLength, dfu->functional.bmAttributes,
                    dfu->functional.wDetachTimeOut, dfu->functional.wTransferSize);
            if (dfu->functional.has_version)
                fprintf(f, "%u}", dfu->functional.bcdDFUVersion);
            else
                fputs("null}", f);
        } else {
            fputs("null", f);
        }
        json_state(f, "state", dfu->state);
        fputs(",\"alts\":[", f);
        for (unsigned a = 0; a < dfu->n_alts; a++) {
            const struct dfs_dfu_alt_info *al = &dfu->alts[a];
            fprintf(f, "%s{\"alt\":%u,\"iInterface\":%u,", a ? "," : "", al->alt,
                    al->iInterface);
            if (several_configs(dfu))
                fprintf(f, "\"configuration\":%u,", al->configuration);
            fputs("\"name\":", f);
            json_str(f, al->has_name ? al->name : NULL);
            fputs(",\"layout\":", f);
            if (al->layout_parsed) {
                fputs("{\"name\":", f);
                json_str(f, al->layout.name);
                fputs(",\"regions\":[", f);
                for (unsigned r = 0; r < al->layout.n_regions; r++) {
                    const struct dfs_layout_region *rg = &al->layout.regions[r];
                    fprintf(f, "%s{\"start\":%u,\"end\":%llu,\"count\":%u,\"size\":%u,"
                               "\"readable\":%s,\"erasable\":%s,\"writable\":%s}",
                            r ? "," : "", rg->start, (unsigned long long)rg->end, rg->count,
                            rg->size, (rg->flags & DFS_MEM_READABLE) ? "true" : "false",
                            (rg->flags & DFS_MEM_ERASABLE) ? "true" : "false",
                            (rg->flags & DFS_MEM_WRITABLE) ? "true" : "false");
                }
                fputs("]}", f);
            } else {
                fputs("null", f);
            }
            fputs(",\"layout_error\":", f);
            json_str(f, al->layout_error[0] ? al->layout_error : NULL);
            fputc('}', f);
        }
        fputs("]}}", f);
    }
    fputs("]", f);
    free(dfu);
}

static void print_text(struct diag *d, dfs_decoder *dec, const char *path,
                       const struct run_result *res, const uint64_t sev[3])
{
    const struct color *c = &d->color;
    const struct dfs_stats *st = dfs_decoder_stats(dec);
    FILE *o = d->out;
    if (d->live)
        fputc('\n', o);
    char safe[DFS_FINDING_TEXT_SIZE + 64];
    struct host_result hr;
    host_finish(&d->host, &hr);
    if (!d->log) { /* a tool's log shows no DFU transfer the outcome could come from */
        struct outcome_result oc;
        outcome_finish(&d->oc, dec, &oc);
        text_safe(safe, sizeof safe, oc.text);
        fprintf(o, "%s%s%s: %soutcome:%s %s\n", c_bold(c), path, c_off(c), c_bold(c), c_off(c),
                safe);
        text_safe(safe, sizeof safe, hr.text);
        fprintf(o, "%s%s%s: %shost:%s %s\n", c_bold(c), path, c_off(c), c_bold(c), c_off(c),
                safe);
    }
    fprintf(o, "%s%s%s: ", c_bold(c), path, c_off(c));
    if (d->n) {
        const struct kept *top = &d->f[0];
        fprintf(o, "%s: %s (%s at %s %" PRIu64 ")", dfs_severity_name(top->severity),
                top->title, top->id, d->log ? "line" : "frame", top->frame);
    } else {
        fprintf(o, "no findings");
    }
    fprintf(o, "\n  %" PRIu64 " error%s, %" PRIu64 " warning%s, %" PRIu64 " note%s in ",
            sev[2], sev[2] == 1 ? "" : "s", sev[1], sev[1] == 1 ? "" : "s", sev[0],
            sev[0] == 1 ? "" : "s");
    if (d->log) {
        const struct dfs_log_stats *ls = dfs_log_stats(d->log);
        char tools[300];
        text_safe(tools, sizeof tools, dfs_log_tools(d->log));
        fprintf(o, "a log of %" PRIu64 " lines (%s; %" PRIu64 " lines understood", ls->lines,
                tools, ls->recognised);
        size_t nx = dfs_log_transfer_count(d->log), reaped = 0, stalled = 0, failed = 0;
        size_t named = 0;
        for (size_t i = 0; i < nx; i++) {
            const struct dfs_log_transfer *x = dfs_log_transfer(d->log, i);
            reaped += x->reap_line != 0;
            stalled += x->reap_line && x->status == -32;
            failed += x->reap_line && x->status && x->status != -32;
            named += x->request != DFS_LOG_REQ_UNKNOWN;
        }
        if (nx)
            fprintf(o, "; libusb: %zu control transfer%s, %zu stalled, %zu failed otherwise, "
                       "%zu named by the tool's lines",
                    reaped, reaped == 1 ? "" : "s", stalled, failed, named);
        if (nx > reaped)
            fprintf(o, ", %zu transfer%s never reaped", nx - reaped, nx - reaped == 1 ? "" : "s");
        fputc(')', o);
    } else {
        fprintf(o, "%" PRIu64 " records (%" PRIu64 " DFU transactions, %u devices)", st->records,
                st->dfu_txns, st->devices);
    }
    if (!d->log && (st->records_skipped || st->records_damaged + res->reader_damaged))
        fprintf(o, "; %" PRIu64 " records skipped, %" PRIu64 " damaged",
                st->records_skipped,
                st->records_damaged + res->reader_damaged);
    uint64_t more = 0;
    for (int k = 0; k < DFS_F__COUNT; k++)
        more += d->like[k].more;
    if (more)
        fprintf(o, "\n  %" PRIu64 " repeated finding%s counted but not listed (the first %d of "
                   "each kind are)",
                more, more == 1 ? "" : "s", FINDINGS_PER_ID);
    if (st->devices_forgotten)
        fprintf(o, "\n  %u earlier device instance%s that re-enumerated %s forgotten (the "
                   "latest %d are kept)",
                st->devices_forgotten, st->devices_forgotten == 1 ? "" : "s",
                st->devices_forgotten == 1 ? "was" : "were", DFS_DECODER_KEEP_RETIRED);
    fputs("\n\n", o);
    unsigned shown[DFS_F__COUNT] = {0};
    for (size_t i = 0; i < d->n; i++) {
        const struct kept *f = &d->f[i];
        const char *col = f->severity == DFS_SEV_ERROR     ? c_red(c)
                          : f->severity == DFS_SEV_WARNING ? c_yellow(c)
                                                           : c_cyan(c);
        fprintf(o, "%s%-7s%s %s%s%s  %s\n", col, dfs_severity_name(f->severity), c_off(c),
                c_bold(c), f->id, c_off(c), f->title);
        fprintf(o, "        %s%s", c_dim(c),
                d->log ? (f->n_frames == 1 ? "line" : "lines") : "frames");
        for (unsigned k = 0; k < f->n_frames; k++)
            fprintf(o, "%s %" PRIu64, k ? "," : "", f->frames[k]);
        if (f->likely)
            fputs(" (most likely: a log cannot prove it as a capture would)", o);
        fprintf(o, "%s\n", c_off(c));
        text_safe(safe, sizeof safe, f->explanation);
        fprintf(o, "        %s\n", safe);
        if (f->remedy[0]) {
            text_safe(safe, sizeof safe, f->remedy);
            fprintf(o, "        %sWhat to do:%s %s\n", c_bold(c), c_off(c), safe);
        }
        const char *note = d->log ? NULL : host_note(&hr, f->id, f->severity, f->frames, f->n_frames, f->remedy);
        if (note)
            fprintf(o, "        %sThis host:%s %s\n", c_bold(c), c_off(c), note);
        fprintf(o, "        %sdocs/findings/%s.md%s\n\n", c_dim(c), f->id, c_off(c));
        /* after the last one kept of its id: how many more there were */
        const struct finding_repeats *ml = (unsigned)f->code < DFS_F__COUNT ? &d->like[f->code] : NULL;
        if (ml && ++shown[f->code] == ml->kept && ml->more)
            fprintf(o, "        %s... and %" PRIu64 " more like this (%s), %s %" PRIu64
                       " to %" PRIu64 "%s\n\n",
                    c_dim(c), ml->more, f->id, d->log ? "lines" : "frames", ml->first_frame,
                    ml->last_frame, c_off(c));
    }
    if (d->dropped)
        fprintf(o, "(%" PRIu64 " more findings not kept)\n\n", d->dropped);
    print_devices_text(d, dec);
}

static void print_json(struct diag *d, dfs_decoder *dec, const char *path,
                       const struct run_result *res, const uint64_t sev[3])
{
    FILE *o = d->out;
    const struct dfs_stats *st = dfs_decoder_stats(dec);
    uint64_t repeated = 0;
    for (int k = 0; k < DFS_F__COUNT; k++)
        repeated += d->like[k].more;
    struct host_result hr;
    host_finish(&d->host, &hr);
    fputs("{\"file\":", o);
    json_str(o, path);
    fputs(",\"findings\":[", o);
    for (size_t i = 0; i < d->n; i++) {
        const struct kept *f = &d->f[i];
        fprintf(o, "%s{\"id\":", i ? "," : "");
        json_str(o, f->id);
        fprintf(o, ",\"severity\":\"%s\",\"group\":\"%s\",\"title\":",
                dfs_severity_name(f->severity), dfs_group_name(f->group));
        json_str(o, f->title);
        if (d->log) {
            /* a log has lines, no frames */
            fprintf(o, ",\"frame\":null,\"frames\":[],\"line\":%" PRIu64 ",\"likely\":%s"
                       ",\"lines\":[",
                    f->frame, f->likely ? "true" : "false");
        } else {
            fprintf(o, ",\"frame\":%" PRIu64 ",\"frames\":[", f->frame);
        }
        for (unsigned k = 0; k < f->n_frames; k++)
            fprintf(o, "%s%" PRIu64, k ? "," : "", f->frames[k]);
        fprintf(o, "],\"device\":%u,\"explanation\":", f->device);
        json_str(o, f->explanation);
        fputs(",\"remedy\":", o);
        json_str(o, f->remedy);
        const char *note = d->log ? NULL : host_note(&hr, f->id, f->severity, f->frames, f->n_frames, f->remedy);
        if (note) {
            fputs(",\"host_note\":", o);
            json_str(o, note);
        }
        fprintf(o, ",\"doc\":\"docs/findings/%s.md\"}", f->id);
    }
    fputs("],\"findings_more\":[", o);
    bool first = true;
    for (int k = 0; k < DFS_F__COUNT; k++) {
        const struct finding_repeats *ml = &d->like[k];
        if (!ml->more)
            continue;
        const struct dfs_finding_info *fi = dfs_finding_info((enum dfs_finding_code)k);
        fprintf(o, "%s{\"id\":", first ? "" : ",");
        first = false;
        json_str(o, fi ? fi->id : NULL);
        fprintf(o, ",\"kept\":%u,\"more\":%" PRIu64 ",\"first_frame\":%" PRIu64
                   ",\"last_frame\":%" PRIu64 "}",
                ml->kept, ml->more, ml->first_frame, ml->last_frame);
    }
    fputs("],\"devices\":", o);
    json_devices(d, dec);
    if (d->log) {
        const struct dfs_log_stats *ls = dfs_log_stats(d->log);
        fprintf(o, ",\"log\":{\"lines\":%" PRIu64 ",\"understood\":%" PRIu64
                   ",\"long_lines\":%" PRIu64 ",\"binary_lines\":%" PRIu64
                   ",\"escapes\":%" PRIu64 ",\"records\":%" PRIu64 ",\"tools\":",
                ls->lines, ls->recognised, ls->long_lines, ls->binary_lines, ls->escapes,
                ls->records);
        json_str(o, dfs_log_tools(d->log));
        json_log_transfers(o, d->log);
        fputc('}', o);
    }
    fprintf(o, ",\"summary\":{\"records\":%" PRIu64 ",\"records_skipped\":%" PRIu64
               ",\"records_damaged\":%" PRIu64 ",\"control_transfers\":%" PRIu64
               ",\"dfu_transactions\":%" PRIu64 ",\"devices\":%u,\"errors\":%" PRIu64
               ",\"warnings\":%" PRIu64 ",\"notes\":%" PRIu64 ",\"findings_not_kept\":%" PRIu64
               ",\"findings_repeated\":%" PRIu64 ",\"devices_forgotten\":%u,\"verdict\":",
            st->records, st->records_skipped,
            st->records_damaged + res->reader_damaged, st->controls, st->dfu_txns, st->devices,
            sev[2], sev[1], sev[0], d->dropped, repeated, st->devices_forgotten);
    if (d->n) {
        char v[300];
        snprintf(v, sizeof v, "%s: %s (%s at %s %" PRIu64 ")",
                 dfs_severity_name(d->f[0].severity), d->f[0].title, d->f[0].id,
                 d->log ? "line" : "frame", d->f[0].frame);
        json_str(o, v);
    } else {
        json_str(o, "no findings");
    }
    struct dfs_time end;
    if (dfs_decoder_end_time(dec, &end) == DFS_OK && end.sec >= 0)
        fprintf(o, ",\"capture_end\":%lld.%09u", (long long)end.sec, end.nsec);
    else if (dfs_decoder_end_time(dec, &end) == DFS_OK) /* before 1970 */
        fprintf(o, ",\"capture_end\":-%lld.%09u",
                (long long)(end.nsec ? -(end.sec + 1) : -end.sec),
                end.nsec ? 1000000000u - end.nsec : 0u);
    else
        fputs(",\"capture_end\":null", o);
    fputs(",\"complete\":", o);
    fputs(res->read_error || res->aborted ? "false" : "true", o);
    fputs(",\"outcome\":", o);
    if (d->log) {
        fputs("null", o);
    } else {
        struct outcome_result oc;
        outcome_finish(&d->oc, dec, &oc);
        outcome_json(o, &d->oc, &oc);
    }
    fputs(",\"host\":", o);
    if (d->log)
        fputs("null", o);
    else
        host_json(o, &hr);
    fputs("}}\n", o);
}

int diag_finish(struct diag *d, dfs_decoder *dec, const char *path, const struct run_result *res)
{
    if (d->n)
        cli_sort(d->f, d->n, sizeof *d->f, cmp_finding);
    /* counted as they came: also the findings not kept */
    const uint64_t *sev = d->sev;
    if (d->json)
        print_json(d, dec, path, res, sev);
    else
        print_text(d, dec, path, res, sev);
    fflush(d->out);
    return sev[DFS_SEV_ERROR] ? EXIT_FINDINGS : 0;
}
