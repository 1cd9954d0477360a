/* The pipeline of `dfuscope capture` and `dfuscope follow`: a record source
 * (live usbmon, a file, a pipe, a growing file), the device follower, the
 * capture writer, and the decoder with the diagnosis printer, all fed from
 * one loop (run_capture() in common.c) through tap_next() below. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "cli.h"
#include "diag.h"
#include "dfuscope/live.h"

#define POLL_MS 200          /* longest wait for a record before looking around */
#define STATUS_EVERY_MS 250  /* progress line refresh */
#define FLUSH_EVERY_MS 500   /* the written file is flushed at least this often */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C ends the program at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct tap {
    const struct capture_cfg *cfg;
    dfs_source *src;
    dfs_follower *fol;
    dfs_capwriter *w;
    const char *out_name;
    int out_linktype;
    bool w_opened;
    /* state */
    bool have_direct;        /* no follower: the record read, not yet handed on */
    struct dfs_record direct;
    bool ended;              /* no more input will be read */
    const char *end_reason;
    bool failed;             /* the source or the writer failed */
    uint64_t written;
    uint64_t skipped_lt;     /* records not usbmon, or not of the file's link type */
    uint8_t *swap_buf;       /* a record rewritten into this host's byte order */
    size_t swap_cap;
    double start, last_record, last_status, last_flush;
    struct dfs_time start_rt, end_rt; /* wall clock, as usbmon stamps records */
    bool have_end_rt;
    struct dfs_time last_ts;          /* latest record handed on */
    /* progress line */
    bool tty;
    bool status_shown;
    uint8_t dfu_state;
    uint64_t findings[3];
};

/* Everything printed on stderr goes through here, so that the progress
 * line is cleared first. */
static void say(struct tap *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct tap *t, const char *fmt, ...)
{
    if (t->status_shown) {
        fputs("\r\033[K", stderr);
        t->status_shown = false;
    }
    char msg[1024], safe[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    text_safe(safe, sizeof safe, msg);
    fprintf(stderr, "%s %s: %s\n", cli_prog, t->cfg->cmd, safe);
}

static void clear_status(struct tap *t)
{
    if (t->status_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        t->status_shown = false;
    }
}

static void show_status(struct tap *t, double now)
{
    if (!t->tty || now - t->last_status < STATUS_EVERY_MS / 1000.0)
        return;
    t->last_status = now;
    struct dfs_source_stats ss;
    dfs_source_stats(t->src, &ss);
    char line[300];
    int n = snprintf(line, sizeof line, "%s: %" PRIu64 " records", dfs_source_name(t->src),
                     ss.records);
    size_t pos = n < 0 ? 0 : (size_t)n;
    if (t->fol && pos < sizeof line) {
        struct dfs_follower_stats fs;
        dfs_follower_stats(t->fol, &fs);
        if (!fs.found)
            n = snprintf(line + pos, sizeof line - pos, ", waiting for %s", t->cfg->device);
        else if (fs.vid || fs.pid)
            n = snprintf(line + pos, sizeof line - pos, ", device %u.%u %04x:%04x%s", fs.bus,
                         fs.devnum, fs.vid, fs.pid, fs.present ? "" : " (gone)");
        else
            n = snprintf(line + pos, sizeof line - pos, ", device %u.%u%s", fs.bus, fs.devnum,
                         fs.present ? "" : " (gone)");
        pos += n < 0 ? 0 : (size_t)n;
    }
    if (t->w && pos < sizeof line) {
        n = snprintf(line + pos, sizeof line - pos, ", %" PRIu64 " written", t->written);
        pos += n < 0 ? 0 : (size_t)n;
    }
    if (ss.have_kernel && pos < sizeof line) {
        n = snprintf(line + pos, sizeof line - pos, ", %" PRIu64 " dropped by the kernel",
                     ss.kernel_dropped);
        pos += n < 0 ? 0 : (size_t)n;
    }
    const char *state = dfs_dfu_state_name(t->dfu_state);
    if (state && pos < sizeof line) {
        n = snprintf(line + pos, sizeof line - pos, ", %s", state);
        pos += n < 0 ? 0 : (size_t)n;
    }
    if ((t->findings[DFS_SEV_ERROR] || t->findings[DFS_SEV_WARNING]) && pos < sizeof line)
        snprintf(line + pos, sizeof line - pos, ", %" PRIu64 " error%s, %" PRIu64 " warning%s",
                 t->findings[DFS_SEV_ERROR], t->findings[DFS_SEV_ERROR] == 1 ? "" : "s",
                 t->findings[DFS_SEV_WARNING], t->findings[DFS_SEV_WARNING] == 1 ? "" : "s");
    fprintf(stderr, "\r\033[K%s", line);
    fflush(stderr);
    t->status_shown = true;
}

static void flush_output(struct tap *t, double now, bool force)
{
    if (!t->w || (!force && now - t->last_flush < FLUSH_EVERY_MS / 1000.0))
        return;
    t->last_flush = now;
    if (dfs_capwriter_flush(t->w) != DFS_OK && !t->failed) {
        say(t, "%s: cannot write: %s", t->out_name, strerror(errno));
        t->failed = true;
        t->ended = true;
    }
}

static bool open_writer(struct tap *t, int linktype)
{
    if (t->w || !t->cfg->write_path)
        return true;
    char err[600];
    if (dfs_capwriter_open(t->cfg->write_path, linktype, &t->w, err, sizeof err) != DFS_OK) {
        say(t, "%s", err);
        t->failed = true;
        return false;
    }
    t->out_linktype = linktype;
    t->w_opened = true;
    return true;
}

static struct dfs_time wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (struct dfs_time){.sec = (int64_t)ts.tv_sec, .nsec = (uint32_t)ts.tv_nsec};
}

static void end_input(struct tap *t, const char *why)
{
    if (t->ended)
        return;
    t->ended = true;
    t->end_rt = wall_now();
    t->have_end_rt = true;
    t->end_reason = why;
    if (t->fol && dfs_follower_finish(t->fol) != DFS_OK)
        say(t, "following the device: %s", "the tracking decoder failed");
}

static void fol_note(void *user, const char *msg)
{
    say(user, "%s", msg);
}

static void warn_record(void *user, uint64_t frame, const char *msg)
{
    struct tap *t = user;
    if (frame)
        say(t, "%s: frame %" PRIu64 ": %s", dfs_source_name(t->src), frame, msg);
    else
        say(t, "%s: %s", dfs_source_name(t->src), msg);
}

/* Hand one kept record on: number it, write it, return it to the decoder.
 * AGAIN: the record is not usbmon (or not of the written file's link type)
 * and is skipped, so that the decoder's frame numbers stay the file's. */
static enum dfs_capnext emit(struct tap *t, struct dfs_record *rec)
{
    bool usbmon = dfs_decoder_reads_linktype(rec->linktype);
    if (!usbmon || (t->w && rec->linktype != t->out_linktype)) {
        if (!t->skipped_lt++) {
            const char *name = dfs_linktype_name(rec->linktype);
            say(t, "%s: frame %" PRIu64 ": link type %d%s%s%s is %s; such records are skipped",
                dfs_source_name(t->src), rec->frame, rec->linktype, name ? " (" : "",
                name ? name : "", name ? ")" : "",
                usbmon ? "not the written file's" : "not one dfuscope reads (189, 220, 249, 266)");
        }
        return DFS_CAP_AGAIN;
    }
    if (t->cfg->write_path && !t->w && !open_writer(t, rec->linktype)) {
        end_input(t, NULL);
        return DFS_CAP_EOF;
    }
    if (t->w && rec->order != DFS_ORDER_HOST) {
        /* written in this host's order: the usbmon header must be too */
        if (rec->caplen > t->swap_cap) {
            uint8_t *nb = realloc(t->swap_buf, rec->caplen);
            if (!nb) {
                say(t, "out of memory");
                t->failed = true;
                end_input(t, NULL);
                return DFS_CAP_EOF;
            }
            t->swap_buf = nb;
            t->swap_cap = rec->caplen;
        }
        dfs_usbmon_host_order(rec, t->swap_buf, t->swap_cap);
        rec->data = t->swap_buf;
        rec->order = DFS_ORDER_HOST;
    }
    if (t->w && dfs_capwriter_write(t->w, rec->ts, rec->data, rec->caplen, rec->origlen) !=
                    DFS_OK) {
        say(t, "%s: cannot write: %s", t->out_name, strerror(errno));
        t->failed = true;
        end_input(t, NULL);
        return DFS_CAP_EOF;
    }
    rec->frame = ++t->written;
    if (dfs_time_diff_us(rec->ts, t->last_ts) > 0)
        t->last_ts = rec->ts;
    return DFS_CAP_RECORD;
}

static enum dfs_capnext tap_next(void *user, struct dfs_record *rec)
{
    struct tap *t = user;
    const struct capture_cfg *c = t->cfg;
    for (;;) {
        if (c->count && t->written >= c->count) {
            end_input(t, "--count reached");
            return DFS_CAP_EOF;
        }
        bool have = t->fol ? dfs_follower_pop(t->fol, rec) : t->have_direct;
        if (have) {
            if (!t->fol) {
                t->have_direct = false;
                *rec = t->direct;
            }
            enum dfs_capnext n = emit(t, rec);
            if (n == DFS_CAP_AGAIN)
                continue;
            return n;
        }
        if (t->ended)
            return DFS_CAP_EOF;
        double now = now_s();
        if (stop_signal) {
            end_input(t, stop_signal == SIGINT ? "interrupted" : "stopped by a signal");
            continue;
        }
        if (c->duration > 0 && now - t->start >= c->duration) {
            end_input(t, "--duration reached");
            continue;
        }
        if (c->idle > 0 && now - t->last_record >= c->idle) {
            end_input(t, "--idle reached");
            continue;
        }
        int wait = POLL_MS;
        if (c->duration > 0 && (c->duration - (now - t->start)) * 1000 < wait)
            wait = (int)((c->duration - (now - t->start)) * 1000) + 1;
        struct dfs_record in;
        enum dfs_capnext n = dfs_source_next(t->src, &in, wait);
        now = now_s();
        show_status(t, now);
        if (n == DFS_CAP_AGAIN) {
            flush_output(t, now, false);
            continue;
        }
        if (n == DFS_CAP_EOF) {
            end_input(t, "end of input");
            continue;
        }
        if (n == DFS_CAP_ERROR) {
            say(t, "%s", dfs_source_error(t->src));
            t->failed = true;
            end_input(t, NULL);
            continue;
        }
        t->last_record = now;
        if (!t->fol) {
            t->direct = in;
            t->have_direct = true;
            continue;
        }
        dfs_result r = dfs_follower_push(t->fol, &in);
        if (r != DFS_OK) {
            say(t, "following the device: %s", dfs_result_str(r));
            t->failed = true;
            end_input(t, NULL);
        }
    }
}

/* When the capture stopped. Live: when input ended (Ctrl-C, --duration,
 * --count, --idle), with the kernel's counters; a file: what the file says
 * (pcapng interface statistics), nothing for classic pcap. */
static void tap_end(struct tap *t, struct dfs_capture_end *out)
{
    memset(out, 0, sizeof *out);
    struct dfs_source_stats ss;
    dfs_source_stats(t->src, &ss);
    if (!dfs_source_is_live(t->src)) {
        out->has_end = ss.file_end.has_end;
        out->end = ss.file_end.end;
        out->has_start = ss.file_end.has_start;
        out->start = ss.file_end.start;
        return;
    }
    if (!t->have_end_rt)
        return;
    out->has_end = true;
    /* the kernel's time stamps and this clock may differ by a little: the
     * end is never before the last record */
    out->end = dfs_time_diff_us(t->end_rt, t->last_ts) >= 0 ? t->end_rt : t->last_ts;
    out->has_start = true;
    out->start = t->start_rt;
    if (ss.have_kernel) {
        out->has_received = out->has_dropped = true;
        out->received = ss.kernel_queued;
        out->dropped = ss.kernel_dropped;
    }
}

static void tap_end_cb(void *user, struct dfs_capture_end *out) { tap_end(user, out); }

/* ---- the decoder's sink: progress line bookkeeping around the printer ---- */

struct watch {
    struct tap *t;
    struct dfs_sink inner;
};

static int w_dfu(void *user, const struct dfs_dfu_txn *txn)
{
    struct watch *w = user;
    uint8_t st = txn->has_state ? txn->bState : txn->state_after;
    if (st != DFS_STATE_UNKNOWN)
        w->t->dfu_state = st;
    clear_status(w->t);
    return w->inner.on_dfu ? w->inner.on_dfu(w->inner.user, txn) : 0;
}

static int w_finding(void *user, const struct dfs_finding *f)
{
    struct watch *w = user;
    if (f->severity <= DFS_SEV_ERROR)
        w->t->findings[f->severity]++;
    clear_status(w->t);
    return w->inner.on_finding ? w->inner.on_finding(w->inner.user, f) : 0;
}

static int w_urb(void *user, const struct dfs_urb *u)
{
    struct watch *w = user;
    return w->inner.on_urb(w->inner.user, u);
}

static int w_control(void *user, const struct dfs_control *ctl)
{
    struct watch *w = user;
    return w->inner.on_control(w->inner.user, ctl);
}

static int w_device(void *user, const struct dfs_device_event *ev)
{
    struct watch *w = user;
    return w->inner.on_device(w->inner.user, ev);
}

/* erases, writes and reads: the closing diagnosis's outcome needs them */
static int w_mem(void *user, const struct dfs_mem_op *op)
{
    struct watch *w = user;
    return w->inner.on_mem(w->inner.user, op);
}

/* ---- setting up ---------------------------------------------------------------- */

static const char *sysroot(void)
{
    const char *r = getenv("DFUSCOPE_SYSROOT");
    return r && *r ? r : NULL;
}

/* "usbmon3" -> 3 */
static bool parse_iface(const char *s, unsigned *bus)
{
    if (strncmp(s, "usbmon", 6) != 0 || !s[6])
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s + 6, &end, 10);
    if (errno || *end || v > 65535 || s[6] == '-' || s[6] == '+')
        return false;
    *bus = (unsigned)v;
    return true;
}

/* Live: find the device in sysfs, choose and check the usbmon interface,
 * open it. Returns 0 or EXIT_USAGE (message printed). */
static int open_live(struct tap *t, struct dfs_follow_target *target, bool have_target,
                     const struct dev_filter *df)
{
    const struct capture_cfg *c = t->cfg;
    const char *root = sysroot();
    char err[1200];
    struct dfs_sysfs_device dev;
    if (have_target) {
        dfs_result r = dfs_sysfs_find(root, !df->by_addr, df->by_addr ? df->bus : df->vid,
                                      df->by_addr ? df->devnum : df->pid, &dev, err, sizeof err);
        if (r != DFS_OK) {
            say(t, "%s", err);
            return EXIT_USAGE;
        }
        target->by_addr = true;
        target->bus = dev.bus;
        target->devnum = dev.devnum;
        target->by_id = true;
        target->vid = dev.vid;
        target->pid = dev.pid;
        snprintf(target->serial, sizeof target->serial, "%s", dev.serial);
        target->dfu = dev.dfu_mode || dev.dfu_runtime;
    }
    unsigned bus = 0;
    char iface[32];
    if (!c->iface || strcmp(c->iface, "auto") == 0) {
        bus = have_target ? dev.bus : 0;
    } else if (!parse_iface(c->iface, &bus)) {
        say(t, "-i '%s': expected usbmonN (a bus number, usbmon0 for every bus) or auto",
            c->iface);
        return EXIT_USAGE;
    } else if (have_target && bus != 0 && bus != dev.bus) {
        say(t,
            "device %u.%u (%04x:%04x) is on bus %u, not on bus %u: capture with -i usbmon%u "
            "(or -i auto, or -i usbmon0 for every bus)",
            dev.bus, dev.devnum, dev.vid, dev.pid, dev.bus, bus, dev.bus);
        return EXIT_USAGE;
    }
    snprintf(iface, sizeof iface, "usbmon%u", bus);
    enum dfs_usbmon_status us = dfs_usbmon_check(root, bus, err, sizeof err);
    if (us != DFS_USBMON_OK) {
        say(t, "%s", err);
        return EXIT_USAGE;
    }
    struct dfs_live_options lo = {.interface = iface, .buffer_size = c->buffer_size};
    if (!c->open_live) { /* capture_launch runs live capture in the helper */
        say(t, "live capture is made by the helper program dfuscope-capture, not here");
        return EXIT_USAGE;
    }
    if (c->open_live(&lo, &t->src, err, sizeof err) != DFS_OK) {
        say(t, "%s", err);
        return EXIT_USAGE;
    }
    if (have_target)
        say(t, "capturing on %s: device %u.%u %04x:%04x%s%s%s%s%s", iface, dev.bus, dev.devnum,
            dev.vid, dev.pid, dev.product[0] ? " \"" : "", dev.product,
            dev.product[0] ? "\"" : "", dev.serial[0] ? ", serial " : "", dev.serial);
    return 0;
}

static int drop_privileges(struct tap *t)
{
    struct dfs_privdrop plan;
    char err[300];
    if (dfs_privdrop_plan(geteuid(), getenv("SUDO_UID"), getenv("SUDO_GID"), &plan, err,
                          sizeof err) != DFS_OK ||
        dfs_privdrop_apply(&plan, err, sizeof err) != DFS_OK) {
        say(t, "%s", err);
        return EXIT_USAGE;
    }
    if (plan.drop)
        say(t, "running as uid %u, gid %u from now on (root privileges dropped)",
            (unsigned)plan.uid, (unsigned)plan.gid);
    return 0;
}

static void summary(struct tap *t)
{
    struct dfs_source_stats ss;
    dfs_source_stats(t->src, &ss);
    char what[200] = "";
    if (t->fol) {
        struct dfs_follower_stats fs;
        dfs_follower_stats(t->fol, &fs);
        if (!fs.found)
            snprintf(what, sizeof what, "; device %s never seen", t->cfg->device);
        else
            snprintf(what, sizeof what, "; %" PRIu64 " of the device (%u instance%s), %" PRIu64
                                        " of other devices left out",
                     fs.kept, fs.instances, fs.instances == 1 ? "" : "s",
                     fs.dropped + fs.unattributed);
    }
    char kernel[96] = "";
    if (ss.have_kernel)
        snprintf(kernel, sizeof kernel, "; %" PRIu64 " dropped by the kernel%s",
                 ss.kernel_dropped,
                 ss.kernel_dropped ? " (the capture has gaps: raise --buffer-size)" : "");
    char out[700] = "";
    if (t->cfg->write_path && t->w_opened)
        snprintf(out, sizeof out, "; %" PRIu64 " written to %s", t->written, t->out_name);
    else if (t->cfg->write_path)
        snprintf(out, sizeof out, "; nothing written");
    say(t, "%" PRIu64 " records from %s%s%s%s (%s)", ss.records, dfs_source_name(t->src), what,
        out, kernel, t->end_reason ? t->end_reason : "stopped on an error");
}

int capture_run(const struct capture_cfg *c)
{
    struct tap t = {.cfg = c, .dfu_state = DFS_STATE_UNKNOWN};
    t.tty = c->status && isatty(STDERR_FILENO);
    t.out_name = c->write_path && strcmp(c->write_path, "-") == 0 ? "<stdout>" : c->write_path;
    struct dev_filter df = {0};
    char err[600];
    if (c->device && !dev_filter_parse(&df, c->device, err, sizeof err)) {
        say(&t, "%s", err);
        return EXIT_USAGE;
    }
    if (c->write_path && strcmp(c->write_path, "-") == 0 && c->diagnose) {
        say(&t, "-w - writes the capture to standard output, where the diagnosis goes too: "
                "write the capture to a file, or leave out --diagnose");
        return EXIT_USAGE;
    }
    if (!c->write_path && !c->diagnose) {
        say(&t, "nothing to do: give -w FILE to save the capture, --diagnose to diagnose it, "
                "or both");
        return EXIT_USAGE;
    }
    struct dfs_follow_target target = {0};
    int rc;
    install_signals();
    if (!c->read_path) {
        rc = open_live(&t, &target, c->device != NULL, &df);
    } else {
        rc = 0;
        if (dfs_source_open_file(c->read_path, c->follow, warn_record, &t, &t.src, err,
                                 sizeof err) != DFS_OK) {
            say(&t, "%s", err);
            rc = EXIT_USAGE;
        } else if (c->follow && strcmp(c->read_path, "-") != 0 &&
                   access(c->read_path, F_OK) != 0) {
            say(&t, "waiting for %s to be created", c->read_path);
        }
        if (c->device) {
            target.by_addr = df.by_addr;
            target.bus = df.bus;
            target.devnum = df.devnum;
            target.by_id = !df.by_addr;
            target.vid = df.vid;
            target.pid = df.pid;
        }
    }
    /* The capture handle is open: leave root behind before reading anything. */
    if (!rc)
        rc = drop_privileges(&t);
    if (!rc && c->device) {
        struct dfs_follower_options fo;
        dfs_follower_options_init(&fo);
        if (c->max_held)
            fo.max_held = c->max_held;
        dfs_result r = dfs_follower_new(&target, &fo, fol_note, &t, &t.fol);
        if (r != DFS_OK) {
            say(&t, "cannot follow the device: %s", dfs_result_str(r));
            rc = EXIT_USAGE;
        }
    }
    if (!rc && dfs_source_is_live(t.src) && !open_writer(&t, dfs_source_linktype(t.src)))
        rc = EXIT_USAGE;
    if (rc) {
        dfs_follower_free(t.fol);
        dfs_source_close(t.src);
        return rc;
    }

    t.start = t.last_record = t.last_status = t.last_flush = now_s();
    t.start_rt = wall_now();
    struct run_opts ro = {.cmd = c->cmd,
                          .path = dfs_source_name(t.src),
                          .next = tap_next,
                          .next_user = &t,
                          .end = tap_end_cb};
    dfs_options_init(&ro.dopt);
    struct watch wt = {.t = &t};
    struct dfs_sink sink = {0};
    struct diag *dg = NULL;
    if (c->diagnose) {
        dg = diag_new(stdout, c->json, c->color, true);
        if (!dg) {
            say(&t, "out of memory");
            dfs_follower_free(t.fol);
            dfs_source_close(t.src);
            return EXIT_USAGE;
        }
        diag_sink(dg, &sink);
    }
    wt.inner = sink;
    struct dfs_sink outer = {.user = &wt,
                             .on_dfu = w_dfu,
                             .on_finding = w_finding,
                             .on_urb = wt.inner.on_urb ? w_urb : NULL,
                             .on_control = wt.inner.on_control ? w_control : NULL,
                             .on_device = wt.inner.on_device ? w_device : NULL,
                             .on_mem = wt.inner.on_mem ? w_mem : NULL};
    struct run_result res;
    dfs_decoder *dec = NULL;
    rc = run_capture(&ro, &outer, &dec, &res);
    clear_status(&t);
    struct dfs_source_stats ss;
    dfs_source_stats(t.src, &ss);
    res.reader_damaged = ss.damaged; /* as diagnose counts them on a file */
    res.skipped_bytes = ss.skipped_bytes;
    if (!rc && !t.written && t.skipped_lt) {
        say(&t, "%s: not a USB capture dfuscope reads: it reads link types 189 (USB_LINUX), "
                "220 (USB_LINUX_MMAPPED), 249 (USBPCAP) and 266 (USB_DARWIN)",
            dfs_source_name(t.src));
        t.failed = true;
    }
    /* a file that held no record still gets a valid (empty) capture */
    int lt = dfs_source_linktype(t.src);
    if (!rc && !t.failed && c->write_path && !t.w &&
        dfs_decoder_reads_linktype(lt))
        open_writer(&t, lt);
    /* the file says when the capture stopped, which may be long after its
     * last record */
    struct dfs_capture_end ce;
    tap_end(&t, &ce);
    if (ce.end.sec < 0 || ce.start.sec < 0) /* before 1970: a damaged input's, not written */
        ce.has_end = ce.has_start = false;
    if (t.w && dfs_capwriter_close_end(t.w, &ce) != DFS_OK) {
        say(&t, "%s: cannot write: %s", t.out_name, strerror(errno));
        t.failed = true;
    }
    t.w = NULL;
    fflush(stdout);
    if (!rc)
        summary(&t);
    int exit_code = rc;
    if (!rc && dg && !(t.failed && !res.records)) { /* not when nothing could be read */
        /* frame numbers are those of the kept records: of the written file */
        exit_code = diag_finish(dg, dec, c->write_path && t.w_opened ? t.out_name
                                                                     : dfs_source_name(t.src),
                                &res);
        if (ferror(stdout)) {
            say(&t, "error writing the output");
            exit_code = EXIT_USAGE;
        }
    }
    diag_free(dg);
    if (t.failed)
        exit_code = EXIT_USAGE;
    dfs_decoder_free(dec);
    free(t.swap_buf);
    dfs_follower_free(t.fol);
    dfs_source_close(t.src);
    return exit_code;
}
