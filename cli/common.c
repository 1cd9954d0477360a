/* Shared helpers of the dfuscope command line. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dfuscope/logs.h"
#include "port.h"
#include "progress.h"

const char *cli_prog = "dfuscope";

void cli_err(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    progress_hide();
    if (cmd)
        fprintf(stderr, "%s %s: ", cli_prog, cmd);
    else
        fprintf(stderr, "%s: ", cli_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- output ----------------------------------------------------------------- */

void json_strn(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (c < 0x20 || c == 0x7f)
                fprintf(f, "\\u%04x", c);
            else
                fputc(c, f);
        }
    }
    fputc('"', f);
}

void json_str(FILE *f, const char *s)
{
    if (!s)
        fputs("null", f);
    else
        json_strn(f, s, strlen(s));
}

void json_hex(FILE *f, const uint8_t *p, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        fputc(hx[p[i] >> 4], f);
        fputc(hx[p[i] & 15], f);
    }
    fputc('"', f);
}

void text_safe(char *out, size_t size, const char *s)
{
    size_t o = 0;
    if (!size)
        return;
    for (; *s && o + 1 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f) {
            if (o + 5 >= size)
                break;
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
}

const char *status_str(int32_t status, char *buf, size_t size)
{
    if (status == 0)
        snprintf(buf, size, "OK");
    else if (status == -32)
        snprintf(buf, size, "STALL (-32 EPIPE)");
    else if (dfs_errno_name(status))
        snprintf(buf, size, "%d %s", (int)status, dfs_errno_name(status));
    else
        snprintf(buf, size, "%d", (int)status);
    return buf;
}

void color_init(struct color *c, FILE *f, const char *mode)
{
    if (mode && strcmp(mode, "always") == 0)
        c->on = true;
    else if (mode && strcmp(mode, "never") == 0)
        c->on = false;
    else
        c->on = dfs_port_color_terminal(f) && !getenv("NO_COLOR") &&
                !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
}
const char *c_red(const struct color *c) { return c->on ? "\033[1;31m" : ""; }
const char *c_yellow(const struct color *c) { return c->on ? "\033[1;33m" : ""; }
const char *c_cyan(const struct color *c) { return c->on ? "\033[36m" : ""; }
const char *c_bold(const struct color *c) { return c->on ? "\033[1m" : ""; }
const char *c_dim(const struct color *c) { return c->on ? "\033[2m" : ""; }
const char *c_off(const struct color *c) { return c->on ? "\033[0m" : ""; }

/* ---- device filter ------------------------------------------------------------ */

bool dev_filter_parse(struct dev_filter *f, const char *arg, char *err, size_t err_size)
{
    memset(f, 0, sizeof *f);
    unsigned a, b;
    char tail;
    if (sscanf(arg, "%x:%x%c", &a, &b, &tail) == 2 && strchr(arg, ':') && a <= 0xffff &&
        b <= 0xffff) {
        f->active = true;
        f->vid = (uint16_t)a;
        f->pid = (uint16_t)b;
        return true;
    }
    if (sscanf(arg, "%u.%u%c", &a, &b, &tail) == 2 && strchr(arg, '.') && a <= 0xffff &&
        b <= 255) {
        f->active = true;
        f->by_addr = true;
        f->bus = (uint16_t)a;
        f->devnum = (uint8_t)b;
        return true;
    }
    snprintf(err, err_size,
             "--device '%s': expected BUS.DEV (decimal, e.g. 1.6) or VID:PID (hex, e.g. "
             "0483:df11)",
             arg);
    return false;
}

bool log_finding_for_device(const struct dev_filter *f, const struct dfs_log_finding *lf)
{
    if (!f || !f->active)
        return true;
    /* a finding whose log does not name the device is kept: dropping it
     * would hide evidence */
    if (f->by_addr)
        return (!lf->bus && !lf->devnum) || (lf->bus == f->bus && lf->devnum == f->devnum);
    if (!lf->vid && !lf->pid)
        return true;
    return lf->vid == f->vid && lf->pid == f->pid;
}

bool dev_filter_match_instance(const struct dev_filter *f, uint32_t device)
{
    if (!f || !f->active)
        return true;
    for (size_t i = 0; i < f->n_ids; i++)
        if (f->ids[i] == device)
            return true;
    return false;
}

bool dev_filter_match(const struct dev_filter *f, uint16_t bus, uint8_t devnum, uint32_t device)
{
    if (!f || !f->active)
        return true;
    if (f->by_addr && f->bus == bus && f->devnum == devnum)
        return true;
    return dev_filter_match_instance(f, device);
}

void dev_filter_free(struct dev_filter *f)
{
    free(f->ids);
    f->ids = NULL;
    f->n_ids = 0;
}

/* ---- running a capture ----------------------------------------------------------- */

struct reader_ctx {
    const char *path;
};

static void reader_warn(void *user, uint64_t frame, const char *msg)
{
    const struct reader_ctx *rc = user;
    char safe[600];
    text_safe(safe, sizeof safe, msg);
    progress_hide();
    if (frame)
        fprintf(stderr, "%s: frame %" PRIu64 ": %s\n", rc->path, frame, safe);
    else
        fprintf(stderr, "%s: %s\n", rc->path, safe);
}

void print_capture_finding(const char *path, const struct dfs_finding *f)
{
    char safe[DFS_FINDING_TEXT_SIZE + 64];
    text_safe(safe, sizeof safe, f->explanation);
    progress_hide();
    fprintf(stderr, "%s: %s [%s]\n", path, safe, f->id);
}

struct tee {
    const struct dfs_sink *inner;
    const struct run_opts *ro;
    uint64_t findings; /* for the progress line */
};

static int tee_finding(void *user, const struct dfs_finding *f)
{
    struct tee *t = user;
    t->findings++;
    /* damaged records and limits reached: what the output itself cannot show */
    if (!t->ro->quiet_capture_findings && f->severity >= DFS_SEV_WARNING &&
        strncmp(f->id, "capture.", 8) == 0)
        print_capture_finding(t->ro->path, f);
    return t->inner->on_finding ? t->inner->on_finding(t->inner->user, f) : 0;
}
static int tee_urb(void *u, const struct dfs_urb *x)
{
    struct tee *t = u;
    return t->inner->on_urb(t->inner->user, x);
}
static int tee_control(void *u, const struct dfs_control *x)
{
    struct tee *t = u;
    return t->inner->on_control(t->inner->user, x);
}
static void filter_learn(struct dev_filter *f, const struct dfs_device_event *ev)
{
    if (!f || !f->active)
        return;
    if (f->by_addr ? (ev->bus != f->bus || ev->devnum != f->devnum)
                   : (ev->change != DFS_DEV_IDENTIFIED || ev->vid != f->vid ||
                      ev->pid != f->pid))
        return;
    for (size_t i = 0; i < f->n_ids; i++)
        if (f->ids[i] == ev->device)
            return;
    uint32_t *n = realloc(f->ids, (f->n_ids + 1) * sizeof *n);
    if (n) {
        f->ids = n;
        f->ids[f->n_ids++] = ev->device;
    }
}

static int tee_device(void *u, const struct dfs_device_event *x)
{
    struct tee *t = u;
    filter_learn(t->ro->filter, x);
    return t->inner->on_device ? t->inner->on_device(t->inner->user, x) : 0;
}
static int tee_dfu(void *u, const struct dfs_dfu_txn *x)
{
    struct tee *t = u;
    return t->inner->on_dfu(t->inner->user, x);
}
static int tee_mem(void *u, const struct dfs_mem_op *x)
{
    struct tee *t = u;
    return t->inner->on_mem(t->inner->user, x);
}


static bool is_regular_file(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ---- progress while a large file is read ---------------------------------------------- */

/* Work between two looks at the clock, in records (each counting one more
 * per 4 KiB it carries, so that large records do not stretch the time):
 * a few hundred microseconds of decoding, so that the line is on time while
 * the loop pays only a subtraction. */
#define PROGRESS_EVERY 2048

struct feed_progress {
    bool on;
    int countdown;
    const char *cmd, *name;
    uint64_t size;
    unsigned pass;           /* 0: one pass; 1 or 2 of two */
    struct timespec t0;
};

static bool feed_progress_start(struct feed_progress *p, const struct run_opts *ro,
                                const dfs_capreader *r, unsigned pass)
{
    memset(p, 0, sizeof *p);
    struct stat st;
    if (!ro->progress || !r || ro->follow || strcmp(ro->path, "-") == 0 ||
        stat(ro->path, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size <= PROGRESS_MIN_FILE_BYTES || !progress_start())
        return false;
    const char *slash = strrchr(ro->path, '/');
    p->name = slash && slash[1] ? slash + 1 : ro->path;
    p->cmd = ro->cmd;
    p->size = (uint64_t)st.st_size;
    p->pass = pass;
    p->countdown = PROGRESS_EVERY;
    clock_gettime(CLOCK_MONOTONIC, &p->t0);
    p->on = true;
    return true;
}

/* "1234", "523k", "1.23M" */
static void fmt_rate(char *buf, size_t size, double v)
{
    if (v < 10000)
        snprintf(buf, size, "%.0f", v);
    else if (v < 1e6)
        snprintf(buf, size, "%.0fk", v / 1e3);
    else
        snprintf(buf, size, "%.2fM", v / 1e6);
}

static void feed_progress_tick(struct feed_progress *p, const dfs_capreader *r, uint64_t records,
                               uint64_t findings)
{
    p->countdown = PROGRESS_EVERY;
    if (!progress_due())
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - p->t0.tv_sec) + (double)(now.tv_nsec - p->t0.tv_nsec) / 1e9;
    uint64_t at = dfs_capreader_offset(r);
    unsigned pct = at >= p->size ? 100u : (unsigned)(at * 100 / p->size);
    char rate[32], found[48] = "", pass[24] = "", line[600];
    fmt_rate(rate, sizeof rate, secs > 0 ? (double)records / secs : 0);
    if (p->pass)
        snprintf(pass, sizeof pass, " (pass %u of 2)", p->pass);
    if (p->pass != 1) /* the first pass only looks for the device */
        snprintf(found, sizeof found, ", %" PRIu64 " finding%s", findings,
                 findings == 1 ? "" : "s");
    snprintf(line, sizeof line, "%s %s: %u%%%s, %s records/s%s - %s", cli_prog, p->cmd, pct, pass,
             rate, found, p->name);
    progress_show(line);
}

static int feed_all(const struct run_opts *ro, const struct dfs_sink *sink, dfs_decoder **out,
                    struct run_result *res, bool quiet, unsigned pass)
{
    struct reader_ctx rc = {.path = ro->path};
    struct dfs_capreader_options copt = {.follow = ro->follow,
                                         .warn = quiet ? NULL : reader_warn,
                                         .warn_user = &rc};
    char err[600];
    dfs_capreader *r = NULL;
    if (ro->next) {
        res->linktype = -1;
    } else if ((ro->stream ? dfs_capreader_open_stream(ro->stream, ro->path, &copt, &r, err,
                                                       sizeof err)
                           : dfs_capreader_open(ro->path, &copt, &r, err, sizeof err)) != DFS_OK) {
        char safe[700];
        text_safe(safe, sizeof safe, err);
        fprintf(stderr, "%s %s: %s\n", cli_prog, ro->cmd, safe);
        return EXIT_USAGE;
    }
    int lt = r ? dfs_capreader_linktype(r) : -1;
    if (r)
        res->linktype = lt;
    if (r && dfs_capreader_format(r) == DFS_CAPFMT_PCAP && !dfs_decoder_reads_linktype(lt)) {
        const char *name = dfs_linktype_name(lt);
        fprintf(stderr,
                "%s %s: %s: link type %d%s%s%s is not a USB capture dfuscope reads; it reads "
                "link types 189 (USB_LINUX), 220 (USB_LINUX_MMAPPED), 249 (USBPCAP) and 266 "
                "(USB_DARWIN)\n",
                cli_prog, ro->cmd, ro->path, lt, name ? " (" : "", name ? name : "",
                name ? ")" : "");
        dfs_capreader_close(r);
        return EXIT_USAGE;
    }
    dfs_decoder *d = NULL;
    struct tee t = {.inner = sink, .ro = ro};
    struct dfs_sink ts = {
        .user = &t,
        .on_urb = sink->on_urb ? tee_urb : NULL,
        .on_control = sink->on_control ? tee_control : NULL,
        .on_device = tee_device,
        .on_dfu = sink->on_dfu ? tee_dfu : NULL,
        .on_mem = sink->on_mem ? tee_mem : NULL,
        .on_finding = tee_finding,
    };
    if (quiet)
        ts.on_finding = sink->on_finding ? tee_finding : NULL;
    dfs_result dr = dfs_decoder_new(&ro->dopt, &ts, &d);
    if (dr != DFS_OK) {
        cli_err(ro->cmd, "cannot create the decoder: %s", dfs_result_str(dr));
        dfs_capreader_close(r);
        return EXIT_USAGE;
    }
    int warned_lt[32] = {0}; /* link types already warned about */
    size_t n_warned = 0;
    struct feed_progress prog;
    feed_progress_start(&prog, ro, r, pass);
    struct dfs_record rec;
    for (;;) {
        enum dfs_capnext n = r ? dfs_capreader_next(r, &rec) : ro->next(ro->next_user, &rec);
        if (n == DFS_CAP_AGAIN && !r)
            continue; /* the source waits by itself */
        if (n == DFS_CAP_AGAIN) {
            struct timespec ts_sleep = {0, 50 * 1000 * 1000};
            nanosleep(&ts_sleep, NULL);
            continue;
        }
        if (n == DFS_CAP_EOF)
            break;
        if (n == DFS_CAP_ERROR) {
            res->read_error = true;
            if (!r)
                break;
            snprintf(res->error, sizeof res->error, "%s", dfs_capreader_error(r));
            if (!quiet) {
                progress_hide();
                fprintf(stderr, "%s\n", res->error);
            }
            break;
        }
        res->records++;
        if (prog.on && (prog.countdown -= 1 + (int)(rec.caplen >> 12)) <= 0)
            feed_progress_tick(&prog, r, res->records, t.findings);
        if (res->linktype < 0)
            res->linktype = rec.linktype;
        dr = dfs_decoder_feed(d, &rec);
        if (dr == DFS_E_LINKTYPE) {
            res->linktype_skipped++;
            /* once per link type; past 32 of them, no more warnings (the
             * summary still counts the records skipped) */
            bool seen = n_warned == sizeof warned_lt / sizeof warned_lt[0];
            for (size_t i = 0; i < n_warned; i++)
                seen |= warned_lt[i] == rec.linktype;
            if (!seen && !quiet) {
                warned_lt[n_warned++] = rec.linktype;
                const char *name = dfs_linktype_name(rec.linktype);
                progress_hide();
                fprintf(stderr,
                        "%s: frame %" PRIu64 ": link type %d%s%s%s is not a USB capture "
                        "dfuscope reads; records of this link type are skipped\n",
                        ro->path, rec.frame, rec.linktype, name ? " (" : "", name ? name : "",
                        name ? ")" : "");
            }
            continue;
        }
        if (dr == DFS_E_ABORTED) {
            res->aborted = true;
            break;
        }
        if (dr != DFS_OK) {
            const char *msg;
            dfs_decoder_error(d, &msg);
            cli_err(ro->cmd, "%s: frame %" PRIu64 ": %s%s%s", ro->path, rec.frame,
                    dfs_result_str(dr), *msg ? ": " : "", msg);
            res->read_error = true;
            break;
        }
    }
    if (prog.on)
        progress_stop();
    /* when the capture stopped, which may be long after its last record */
    if (r)
        dfs_capreader_capture_end(r, &res->end);
    else if (ro->end)
        ro->end(ro->next_user, &res->end);
    if (res->end.has_end)
        dfs_decoder_capture_end(d, res->end.end);
    if (r && !quiet && res->end.has_dropped && res->end.dropped)
        fprintf(stderr,
                "%s: the capture's interface statistics count %" PRIu64 " record%s dropped "
                "(isb_ifdrop): the capture has gaps\n",
                ro->path, res->end.dropped, res->end.dropped == 1 ? "" : "s");
    if (!res->aborted) {
        dr = dfs_decoder_finish(d);
        if (dr == DFS_E_ABORTED)
            res->aborted = true;
    }
    if (r) {
        res->reader_damaged = dfs_capreader_damaged(r);
        res->skipped_bytes = dfs_capreader_skipped_bytes(r);
        dfs_capreader_close(r);
    }
    if (out)
        *out = d;
    else
        dfs_decoder_free(d);
    return 0;
}

int run_capture(const struct run_opts *ro, const struct dfs_sink *sink, dfs_decoder **out,
                struct run_result *res)
{
    memset(res, 0, sizeof *res);
    unsigned pass = 0; /* of two, for the progress line */
    if (!ro->next && ro->filter && ro->filter->active && !ro->filter->by_addr && !ro->filter->learnt) {
        if (is_regular_file(ro->path)) {
            /* first pass: which device instances carry the VID:PID, so that
             * their records before the device descriptor match too */
            struct dfs_sink none = {0};
            struct run_result tmp;
            memset(&tmp, 0, sizeof tmp);
            int rc = feed_all(ro, &none, NULL, &tmp, true, 1);
            if (rc)
                return rc;
            pass = 2;
        } else {
            fprintf(stderr,
                    "%s %s: note: reading a stream, so --device VID:PID matches a device only "
                    "from the moment its device descriptor is seen\n",
                    cli_prog, ro->cmd);
        }
        ro->filter->learnt = true;
    }
    return feed_all(ro, sink, out, res, false, pass);
}

bool parse_limit(struct dfs_options *o, enum limit_kind kind, const char *arg, const char *cmd)
{
    static const char *const names[] = {"max-urbs", "max-payload", "max-devices"};
    static const unsigned long long max[] = {1u << 24, ~0ull, 65536};
    unsigned k = (unsigned)kind - LIMIT_URBS;
    if (k >= sizeof names / sizeof names[0])
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || !v || v > max[k]) {
        if (kind == LIMIT_PAYLOAD)
            cli_err(cmd, "--%s '%s': expected a positive number of bytes", names[k], arg);
        else
            cli_err(cmd, "--%s '%s': expected a positive number up to %llu", names[k], arg,
                    max[k]);
        return false;
    }
    if (kind == LIMIT_URBS)
        o->max_urbs = (uint32_t)v;
    else if (kind == LIMIT_PAYLOAD)
        o->max_payload = (size_t)v;
    else
        o->max_devices = (uint32_t)v;
    return true;
}

bool parse_device_option(struct dev_filter *f, const char *arg, const char *cmd)
{
    char err[300];
    if (dev_filter_parse(f, arg, err, sizeof err))
        return true;
    cli_err(cmd, "%s", err);
    return false;
}

const char *capture_argument(int argc, char **argv, const char *cmd)
{
    if (optind == argc - 1)
        return argv[optind];
    cli_err(cmd, optind >= argc ? "no capture file given (use - for standard input)"
                                 : "only one capture file at a time");
    return NULL;
}

const struct option *cli_find_option(const struct cli_options *opts, const char *arg,
                                     const char **value)
{
    *value = NULL;
    if (arg[0] == '-' && arg[1] == '-' && arg[2]) {
        const char *eq = strchr(arg + 2, '=');
        size_t n = eq ? (size_t)(eq - (arg + 2)) : strlen(arg + 2);
        for (const struct option *o = opts->longopts; o->name; o++) {
            if (strlen(o->name) != n || strncmp(o->name, arg + 2, n) != 0)
                continue;
            if (eq && o->has_arg == no_argument)
                return NULL;
            *value = eq ? eq + 1 : NULL;
            return o;
        }
        return NULL;
    }
    if (arg[0] == '-' && arg[1] && arg[1] != ':' && arg[1] != '+' && !arg[2] &&
        strchr(opts->shortopts, arg[1]))
        for (const struct option *o = opts->longopts; o->name; o++)
            if (o->val == arg[1])
                return o;
    return NULL;
}

void finding_repeats_more(struct finding_repeats *r, uint64_t frame)
{
    if (!r->more++)
        r->first_frame = frame;
    r->last_frame = frame;
}

/* ---- files installed beside the program ----------------------------------------- */

/* dir (absolute, no "." or ".." components) joined with rel, whose ".."
 * components remove the last component: "/p/bin" + "../libexec/x" gives
 * "/p/libexec/x". False when it does not fit. */
static bool join_path(const char *dir, const char *rel, char *out, size_t size)
{
    size_t n = strlen(dir);
    if (n >= size)
        return false;
    memcpy(out, dir, n + 1);
    while (*rel) {
        const char *slash = strchr(rel, '/');
        size_t len = slash ? (size_t)(slash - rel) : strlen(rel);
        if (len == 2 && rel[0] == '.' && rel[1] == '.') {
            char *last = strrchr(out, '/');
            if (last)
                *(last == out ? last + 1 : last) = '\0';
            n = strlen(out);
        } else if (len > 0 && !(len == 1 && rel[0] == '.')) {
            bool root = n == 1 && out[0] == '/';
            if (n + (root ? 0 : 1) + len >= size)
                return false;
            if (!root)
                out[n++] = '/';
            memcpy(out + n, rel, len);
            n += len;
            out[n] = '\0';
        }
        rel += len;
        if (*rel == '/')
            rel++;
    }
    return true;
}

bool cli_path_from_self(const char *rel, char *out, size_t size, char *err, size_t err_size)
{
    char self[PATH_MAX];
    if (!dfs_port_self(self, sizeof self, err, err_size))
        return false;
    char *slash = strrchr(self, '/');
    if (!slash) {
        snprintf(err, err_size, "/proc/self/exe is not an absolute path: %s", self);
        return false;
    }
    *(slash == self ? slash + 1 : slash) = '\0';
    if (!join_path(self, rel, out, size)) {
        snprintf(err, err_size, "path too long: %s/%s", self, rel);
        return false;
    }
    return true;
}

/* ---- sorting ---------------------------------------------------------------------- */

/* Merge the sorted runs [a, a + na) and [b, b + nb) (b follows a) into out. */
static void merge_runs(unsigned char *out, const unsigned char *a, size_t na,
                       const unsigned char *b, size_t nb, size_t size,
                       int (*cmp)(const void *, const void *))
{
    while (na && nb) {
        /* the left run first on equal keys: stable */
        if (cmp(b, a) < 0) {
            memcpy(out, b, size);
            b += size;
            nb--;
        } else {
            memcpy(out, a, size);
            a += size;
            na--;
        }
        out += size;
    }
    memcpy(out, na ? a : b, (na ? na : nb) * size);
}

void cli_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    if (n < 2 || size == 0 || n > SIZE_MAX / size)
        return;
    unsigned char *tmp = malloc(n * size);
    if (!tmp) {
        /* no memory for a merge sort: insertion sort in place, by swapping
         * neighbours byte by byte (slow, stable, needs nothing) */
        unsigned char *p = base;
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && cmp(p + j * size, p + (j - 1) * size) < 0; j--)
                for (size_t k = 0; k < size; k++) {
                    unsigned char t = p[j * size + k];
                    p[j * size + k] = p[(j - 1) * size + k];
                    p[(j - 1) * size + k] = t;
                }
        return;
    }
    /* bottom-up merge sort: runs of width 1, 2, 4, ... from src into dst */
    unsigned char *src = base, *dst = tmp;
    for (size_t width = 1; width < n; width = width > n / 2 ? n : width * 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t na = n - lo < width ? n - lo : width;
            size_t nb = n - lo - na < width ? n - lo - na : width;
            merge_runs(dst + lo * size, src + lo * size, na, src + (lo + na) * size, nb, size,
                       cmp);
        }
        unsigned char *t = src;
        src = dst;
        dst = t;
    }
    if (src != base)
        memcpy(base, src, n * size);
    free(tmp);
}
