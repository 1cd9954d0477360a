/* Record sources: capture files (finished, growing, or a pipe) through
 * dfuscope's own reader, and live usbmon capture through libpcap. This is
 * the only file that includes <pcap.h>. */
#define _DEFAULT_SOURCE /* pcap.h uses u_char and u_int */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "dfuscope/live.h"
#include "dfuscope/usb.h"

#define DEFAULT_SNAPLEN 262144
/* usbmon's binary ring holds at most 1200 KiB (drivers/usb/mon/mon_bin.c,
 * BUFF_MAX); a full-speed bus moves at most about 1.2 MB/s, so 1 MiB holds
 * close to a second of a saturated full-speed bus and far more of DFU
 * control traffic. */
#define DEFAULT_BUFFER (1 << 20)
#define FILE_POLL_MS 100       /* a growing file is looked at this often */
#define PCAP_MIN_HEADER 24     /* pcap file header; a pcapng SHB is longer */

struct dfs_source {
    bool live;
    char *name;
    char err[600];
    uint64_t records;
    /* file */
    char *path;
    FILE *fp;
    bool own;
    bool follow;
    bool regular;
    bool waiting_noted;
    dfs_capreader *r;
    dfs_capreader_warn_fn warn;
    void *warn_user;
    /* live */
    pcap_t *p;
    int fd;
    int linktype;
};

static void sleep_ms(int ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static dfs_source *source_alloc(const char *name)
{
    dfs_source *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->name = strdup(name);
    if (!s->name) {
        free(s);
        return NULL;
    }
    s->fd = -1;
    s->linktype = -1;
    return s;
}

/* ---- files ------------------------------------------------------------------ */

/* Does the directory a file would be created in exist (a file to follow may
 * not exist yet; its directory must)? */
static bool dir_exists(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return true; /* the current directory */
    size_t n = (size_t)(slash - path);
    char dir[4096];
    if (n >= sizeof dir)
        return false;
    memcpy(dir, path, n);
    dir[n ? n : 1] = '\0';
    if (!n)
        dir[0] = '/';
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

dfs_result dfs_source_open_file(const char *path, bool follow, dfs_capreader_warn_fn warn,
                                void *warn_user, dfs_source **out, char *err, size_t err_size)
{
    if (!path || !out || !err)
        return DFS_E_INVAL;
    bool is_stdin = strcmp(path, "-") == 0;
    dfs_source *s = source_alloc(is_stdin ? "<stdin>" : path);
    if (!s || !(s->path = strdup(path))) {
        dfs_source_close(s);
        snprintf(err, err_size, "%s: out of memory", path);
        return DFS_E_NOMEM;
    }
    s->follow = follow;
    s->warn = warn;
    s->warn_user = warn_user;
    if (is_stdin) {
        s->fp = stdin;
    } else {
        s->fp = fopen(path, "rb");
        if (!s->fp && !(follow && errno == ENOENT && dir_exists(path))) {
            snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
            dfs_source_close(s);
            return DFS_E_IO;
        }
        s->own = true;
    }
    struct stat st;
    s->regular = s->fp ? fstat(fileno(s->fp), &st) == 0 && S_ISREG(st.st_mode) : true;
    /* A pipe is always read record by record, so that each one is handed on
     * (and a signal noticed) without waiting for a buffer to fill. */
    if (!s->regular)
        s->follow = true;
    *out = s;
    return DFS_OK;
}

/* Open the reader once there is something to read. */
static enum dfs_capnext file_start(dfs_source *s, int timeout_ms)
{
    if (!s->fp) { /* follow: waiting for the file to appear */
        s->fp = fopen(s->path, "rb");
        if (!s->fp) {
            if (errno != ENOENT) {
                snprintf(s->err, sizeof s->err, "%s: cannot open: %s", s->path,
                         strerror(errno));
                return DFS_CAP_ERROR;
            }
            sleep_ms(timeout_ms < FILE_POLL_MS ? timeout_ms : FILE_POLL_MS);
            return DFS_CAP_AGAIN;
        }
    }
    if (s->follow && s->regular) {
        struct stat st;
        if (fstat(fileno(s->fp), &st) == 0 && st.st_size < PCAP_MIN_HEADER) {
            sleep_ms(timeout_ms < FILE_POLL_MS ? timeout_ms : FILE_POLL_MS);
            return DFS_CAP_AGAIN; /* the writer has not written its header yet */
        }
    }
    struct dfs_capreader_options copt = {.follow = s->follow,
                                         .warn = s->warn,
                                         .warn_user = s->warn_user};
    errno = 0;
    dfs_result r = dfs_capreader_open_stream(s->fp, s->name, &copt, &s->r, s->err, sizeof s->err);
    if (r != DFS_OK) {
        if (errno == EINTR)
            return DFS_CAP_AGAIN; /* a signal while waiting for the header */
        return DFS_CAP_ERROR;
    }
    s->linktype = dfs_capreader_linktype(s->r);
    return DFS_CAP_RECORD;
}

static enum dfs_capnext file_next(dfs_source *s, struct dfs_record *rec, int timeout_ms)
{
    if (!s->r) {
        enum dfs_capnext n = file_start(s, timeout_ms);
        if (n != DFS_CAP_RECORD)
            return n;
    }
    errno = 0;
    enum dfs_capnext n = dfs_capreader_next(s->r, rec);
    if (n == DFS_CAP_AGAIN) {
        if (s->regular) {
            sleep_ms(timeout_ms < FILE_POLL_MS ? timeout_ms : FILE_POLL_MS);
            return DFS_CAP_AGAIN;
        }
        /* A pipe is read with blocking reads: coming back empty-handed means
         * a signal arrived, or the writer closed it. */
        if (errno == EINTR)
            return DFS_CAP_AGAIN;
        dfs_capreader_set_follow(s->r, false);
        n = dfs_capreader_next(s->r, rec);
    }
    if (n == DFS_CAP_ERROR)
        snprintf(s->err, sizeof s->err, "%s", dfs_capreader_error(s->r));
    if (s->r && dfs_capreader_linktype(s->r) >= 0)
        s->linktype = dfs_capreader_linktype(s->r);
    return n;
}

/* ---- live ------------------------------------------------------------------- */

dfs_result dfs_source_open_live(const struct dfs_live_options *opt, dfs_source **out,
                                char *err, size_t err_size)
{
    if (!opt || !opt->interface || !out || !err)
        return DFS_E_INVAL;
    dfs_source *s = source_alloc(opt->interface);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return DFS_E_NOMEM;
    }
    s->live = true;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    s->p = pcap_create(opt->interface, ebuf);
    if (!s->p) {
        snprintf(err, err_size, "%s: cannot create a capture handle: %s", opt->interface, ebuf);
        dfs_source_close(s);
        return DFS_E_IO;
    }
    pcap_set_snaplen(s->p, opt->snaplen > 0 ? opt->snaplen : DEFAULT_SNAPLEN);
    pcap_set_buffer_size(s->p, opt->buffer_size > 0 ? opt->buffer_size : DEFAULT_BUFFER);
    pcap_set_immediate_mode(s->p, 1);
    int rc = pcap_activate(s->p);
    if (rc < 0) {
        dfs_result res = DFS_E_IO;
        const char *detail = pcap_geterr(s->p);
        switch (rc) {
        case PCAP_ERROR_NO_SUCH_DEVICE:
            snprintf(err, err_size,
                     "%s: no such capture interface (%s): is usbmon loaded? 'sudo modprobe "
                     "usbmon'",
                     opt->interface, detail && *detail ? detail : "not found");
            res = DFS_E_NOTFOUND;
            break;
        case PCAP_ERROR_PERM_DENIED:
            snprintf(err, err_size,
                     "%s: permission denied (%s): run as root (sudo), or give your user read "
                     "access to /dev/%s",
                     opt->interface, detail && *detail ? detail : pcap_statustostr(rc),
                     opt->interface);
            res = DFS_E_UNSUPPORTED;
            break;
        default:
            snprintf(err, err_size, "%s: cannot start capturing: %s (%s)", opt->interface,
                     pcap_statustostr(rc), detail ? detail : "");
            break;
        }
        dfs_source_close(s);
        return res;
    }
    if (pcap_setnonblock(s->p, 1, ebuf) != 0) {
        snprintf(err, err_size, "%s: cannot switch to non-blocking reads: %s", opt->interface,
                 ebuf);
        dfs_source_close(s);
        return DFS_E_IO;
    }
    s->fd = pcap_get_selectable_fd(s->p);
    s->linktype = pcap_datalink(s->p);
    if (s->linktype != DFS_LINKTYPE_USB_LINUX && s->linktype != DFS_LINKTYPE_USB_LINUX_MMAPPED) {
        snprintf(err, err_size, "%s: link type %d is not Linux usbmon (189 or 220)",
                 opt->interface, s->linktype);
        dfs_source_close(s);
        return DFS_E_LINKTYPE;
    }
    *out = s;
    return DFS_OK;
}

static enum dfs_capnext live_next(dfs_source *s, struct dfs_record *rec, int timeout_ms)
{
    struct pcap_pkthdr *h;
    const u_char *data;
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = pcap_next_ex(s->p, &h, &data);
        if (rc == 1) {
            rec->frame = s->records + 1;
            rec->ts.sec = h->ts.tv_sec;
            rec->ts.nsec = (uint32_t)(h->ts.tv_usec % 1000000) * 1000u;
            rec->linktype = s->linktype;
            rec->order = DFS_ORDER_HOST;
            rec->caplen = h->caplen;
            rec->origlen = h->len;
            rec->data = data;
            return DFS_CAP_RECORD;
        }
        if (rc == PCAP_ERROR_BREAK)
            return DFS_CAP_EOF;
        if (rc < 0) {
            snprintf(s->err, sizeof s->err, "%s: capture failed: %s", s->name,
                     pcap_geterr(s->p));
            return DFS_CAP_ERROR;
        }
        if (attempt || timeout_ms <= 0)
            break;
        if (s->fd >= 0) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
            if (poll(&pfd, 1, timeout_ms) <= 0)
                break; /* timeout, or a signal */
        } else {
            sleep_ms(timeout_ms < FILE_POLL_MS ? timeout_ms : FILE_POLL_MS);
        }
    }
    return DFS_CAP_AGAIN;
}

/* ---- common ----------------------------------------------------------------- */

enum dfs_capnext dfs_source_next(dfs_source *s, struct dfs_record *rec, int timeout_ms)
{
    if (!s || !rec)
        return DFS_CAP_ERROR;
    enum dfs_capnext n = s->live ? live_next(s, rec, timeout_ms) : file_next(s, rec, timeout_ms);
    if (n == DFS_CAP_RECORD)
        s->records++;
    return n;
}

const char *dfs_source_error(const dfs_source *s) { return s ? s->err : "no source"; }
const char *dfs_source_name(const dfs_source *s) { return s ? s->name : ""; }
int dfs_source_linktype(const dfs_source *s) { return s ? s->linktype : -1; }
bool dfs_source_is_live(const dfs_source *s) { return s && s->live; }

void dfs_source_stats(dfs_source *s, struct dfs_source_stats *st)
{
    if (!s || !st)
        return;
    memset(st, 0, sizeof *st);
    st->records = s->records;
    if (s->live) {
        struct pcap_stat ps;
        if (pcap_stats(s->p, &ps) == 0) {
            st->have_kernel = true;
            st->kernel_dropped = ps.ps_drop;
            st->kernel_queued = ps.ps_recv;
        }
    } else if (s->r) {
        st->damaged = dfs_capreader_damaged(s->r);
        st->skipped_bytes = dfs_capreader_skipped_bytes(s->r);
        dfs_capreader_capture_end(s->r, &st->file_end);
    }
}

void dfs_source_close(dfs_source *s)
{
    if (!s)
        return;
    if (s->p)
        pcap_close(s->p);
    dfs_capreader_close(s->r);
    if (s->own && s->fp)
        fclose(s->fp);
    free(s->path);
    free(s->name);
    free(s);
}
