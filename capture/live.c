/* Live usbmon capture through libpcap: the live record source of
 * dfuscope/live.h. This is the only file that includes <pcap.h>, and only
 * the capture helper dfuscope-capture links it (source_internal.h). */
#define _DEFAULT_SOURCE /* pcap.h uses u_char and u_int */
#include <poll.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "source_internal.h"
#include "dfuscope/usb.h"

#define DEFAULT_SNAPLEN 262144
/* usbmon's binary ring holds at most 1200 KiB (drivers/usb/mon/mon_bin.c,
 * BUFF_MAX); a full-speed bus moves at most about 1.2 MB/s, so 1 MiB holds
 * close to a second of a saturated full-speed bus and far more of DFU
 * control traffic. */
#define DEFAULT_BUFFER (1 << 20)

static pcap_t *handle(const dfs_source *s) { return s->handle; }

static enum dfs_capnext live_next(dfs_source *s, struct dfs_record *rec, int timeout_ms);

static void live_stats(dfs_source *s, struct dfs_source_stats *st)
{
    struct pcap_stat ps;
    if (handle(s) && pcap_stats(handle(s), &ps) == 0) {
        st->have_kernel = true;
        st->kernel_dropped = ps.ps_drop;
        st->kernel_queued = ps.ps_recv;
    }
}

static void live_close(dfs_source *s)
{
    if (handle(s))
        pcap_close(handle(s));
    s->handle = NULL;
}

static const struct dfs_source_live_ops live_ops = {live_next, live_stats, live_close};

dfs_result dfs_source_open_live(const struct dfs_live_options *opt, dfs_source **out,
                                char *err, size_t err_size)
{
    if (!opt || !opt->interface || !out || !err)
        return DFS_E_INVAL;
    dfs_source *s = dfs_live__source_alloc(opt->interface);
    if (!s) {
        snprintf(err, err_size, "out of memory");
        return DFS_E_NOMEM;
    }
    s->live = true;
    s->ops = &live_ops;
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_create(opt->interface, ebuf);
    s->handle = p;
    if (!p) {
        snprintf(err, err_size, "%s: cannot create a capture handle: %s", opt->interface, ebuf);
        dfs_source_close(s);
        return DFS_E_IO;
    }
    pcap_set_snaplen(p, opt->snaplen > 0 ? opt->snaplen : DEFAULT_SNAPLEN);
    pcap_set_buffer_size(p, opt->buffer_size > 0 ? opt->buffer_size : DEFAULT_BUFFER);
    pcap_set_immediate_mode(p, 1);
    int rc = pcap_activate(p);
    if (rc < 0) {
        dfs_result res = DFS_E_IO;
        const char *detail = pcap_geterr(p);
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
    if (pcap_setnonblock(p, 1, ebuf) != 0) {
        snprintf(err, err_size, "%s: cannot switch to non-blocking reads: %s", opt->interface,
                 ebuf);
        dfs_source_close(s);
        return DFS_E_IO;
    }
    s->fd = pcap_get_selectable_fd(p);
    s->linktype = pcap_datalink(p);
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
    pcap_t *p = handle(s);
    struct pcap_pkthdr *h;
    const u_char *data;
    for (int attempt = 0; attempt < 2; attempt++) {
        int rc = pcap_next_ex(p, &h, &data);
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
                     pcap_geterr(p));
            return DFS_CAP_ERROR;
        }
        if (attempt || timeout_ms <= 0)
            break;
        if (s->fd >= 0) {
            struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
            if (poll(&pfd, 1, timeout_ms) <= 0)
                break; /* timeout, or a signal */
        } else {
            dfs_live__sleep_ms(timeout_ms < DFS_SOURCE_POLL_MS ? timeout_ms : DFS_SOURCE_POLL_MS);
        }
    }
    return DFS_CAP_AGAIN;
}

