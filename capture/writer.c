/* Capture file writer: pcap (nanosecond) or pcapng, in host byte order or
 * the one asked for. libc only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_internal.h"
#include "port.h"

struct dfs_capwriter {
    FILE *fp;
    bool own;
    enum dfs_capformat format;
    bool swap; /* file order differs from host order */
    bool failed;
};

static void put(dfs_capwriter *w, const void *p, size_t n)
{
    if (!w->failed && n && fwrite(p, 1, n, w->fp) != n)
        w->failed = true;
}

static void put32(dfs_capwriter *w, uint32_t v)
{
    if (w->swap)
        v = dfs_cap__swap32(v);
    put(w, &v, 4);
}

static void put16(dfs_capwriter *w, uint16_t v)
{
    if (w->swap)
        v = dfs_cap__swap16(v);
    put(w, &v, 2);
}

static void write_header(dfs_capwriter *w, int linktype)
{
    if (w->format == DFS_CAPFMT_PCAP) {
        put32(w, 0xa1b23c4du); /* nanosecond pcap */
        put16(w, 2);
        put16(w, 4);
        put32(w, 0);
        put32(w, 0);
        put32(w, 262144);
        put32(w, (uint32_t)linktype);
        return;
    }
    static const char app[] = "dfuscope " "0.1.0";
    uint32_t app_pad = (uint32_t)((sizeof app - 1 + 3) & ~3u);
    uint32_t shb_len = 28 + 4 + app_pad + 4;
    put32(w, 0x0A0D0D0Au);
    put32(w, shb_len);
    put32(w, 0x1A2B3C4Du);
    put16(w, 1);
    put16(w, 0);
    put32(w, 0xffffffffu); /* section length unknown */
    put32(w, 0xffffffffu);
    put16(w, 4); /* shb_userappl */
    put16(w, (uint16_t)(sizeof app - 1));
    char pad[64] = {0};
    memcpy(pad, app, sizeof app - 1);
    put(w, pad, app_pad);
    put32(w, 0); /* opt_endofopt */
    put32(w, shb_len);
    /* IDB with if_tsresol = 9 (nanoseconds) */
    uint32_t idb_len = 20 + 8 + 4;
    put32(w, 1);
    put32(w, idb_len);
    put16(w, (uint16_t)linktype);
    put16(w, 0);
    put32(w, 262144);
    put16(w, 9);
    put16(w, 1);
    uint8_t res[4] = {9, 0, 0, 0};
    put(w, res, 4);
    put32(w, 0);
    put32(w, idb_len);
}

dfs_result dfs_capwriter_open_stream(FILE *fp, enum dfs_capformat format, int linktype,
                                     dfs_capwriter **out)
{
    return dfs_capwriter_open_stream_order(fp, format, linktype, DFS_ORDER_HOST, out);
}

dfs_result dfs_capwriter_open_stream_order(FILE *fp, enum dfs_capformat format, int linktype,
                                           enum dfs_byte_order order, dfs_capwriter **out)
{
    if (!fp || !out || (format != DFS_CAPFMT_PCAP && format != DFS_CAPFMT_PCAPNG) ||
        (order != DFS_ORDER_HOST && order != DFS_ORDER_LITTLE && order != DFS_ORDER_BIG))
        return DFS_E_INVAL;
    dfs_capwriter *w = calloc(1, sizeof *w);
    if (!w)
        return DFS_E_NOMEM;
    w->fp = fp;
    w->format = format;
    w->swap = (order == DFS_ORDER_LITTLE && !dfs_cap__host_little()) ||
              (order == DFS_ORDER_BIG && dfs_cap__host_little());
    write_header(w, linktype);
    if (w->failed) {
        free(w);
        return DFS_E_IO;
    }
    *out = w;
    return DFS_OK;
}

dfs_result dfs_capwriter_open(const char *path, int linktype, dfs_capwriter **out, char *err,
                              size_t err_size)
{
    if (!path || !out)
        return DFS_E_INVAL;
    FILE *fp;
    enum dfs_capformat fmt = DFS_CAPFMT_PCAP;
    bool own = true;
    if (strcmp(path, "-") == 0) {
        fp = stdout;
        own = false;
    } else {
        size_t n = strlen(path);
        if (n >= 7 && strcmp(path + n - 7, ".pcapng") == 0)
            fmt = DFS_CAPFMT_PCAPNG;
        fp = dfs_port_fopen(path, "wb");
        if (!fp) {
            if (err)
                snprintf(err, err_size, "%s: cannot create: %s", path, strerror(errno));
            return DFS_E_IO;
        }
    }
    dfs_result r = dfs_capwriter_open_stream(fp, fmt, linktype, out);
    if (r != DFS_OK) {
        if (err)
            snprintf(err, err_size, "%s: cannot write: %s", path, strerror(errno));
        if (own)
            fclose(fp);
        return r;
    }
    (*out)->own = own;
    return DFS_OK;
}

dfs_result dfs_capwriter_write(dfs_capwriter *w, struct dfs_time ts, const uint8_t *data,
                               uint32_t caplen, uint32_t origlen)
{
    if (!w || (!data && caplen))
        return DFS_E_INVAL;
    if (w->format == DFS_CAPFMT_PCAP) {
        put32(w, (uint32_t)ts.sec);
        put32(w, ts.nsec);
        put32(w, caplen);
        put32(w, origlen);
        put(w, data, caplen);
    } else {
        uint32_t pad = (4 - caplen % 4) % 4;
        uint32_t len = 28 + caplen + pad + 4;
        uint64_t t = (uint64_t)ts.sec * 1000000000ull + ts.nsec;
        put32(w, 6);
        put32(w, len);
        put32(w, 0);
        put32(w, (uint32_t)(t >> 32));
        put32(w, (uint32_t)t);
        put32(w, caplen);
        put32(w, origlen);
        put(w, data, caplen);
        static const uint8_t zeros[4] = {0};
        put(w, zeros, pad);
        put32(w, len);
    }
    return w->failed ? DFS_E_IO : DFS_OK;
}

dfs_result dfs_capwriter_write_usb_event(dfs_capwriter *w, struct dfs_time ts, uint8_t code)
{
    if (!w)
        return DFS_E_INVAL;
    if (w->format == DFS_CAPFMT_PCAP)
        return w->failed ? DFS_E_IO : DFS_OK;
    uint64_t t = (uint64_t)ts.sec * 1000000000ull + ts.nsec;
    put32(w, 0x40000BADu); /* custom block, not to be copied */
    put32(w, 32);
    put32(w, 62392);                     /* Great Scott Gadgets' PEN */
    put32(w, 0x33430000u | code);        /* format id, version 0, event code */
    put32(w, 0);                         /* interface */
    put32(w, (uint32_t)(t >> 32));
    put32(w, (uint32_t)t);
    put32(w, 32);
    return w->failed ? DFS_E_IO : DFS_OK;
}

dfs_result dfs_capwriter_flush(dfs_capwriter *w)
{
    if (!w)
        return DFS_E_INVAL;
    if (fflush(w->fp) != 0)
        w->failed = true;
    return w->failed ? DFS_E_IO : DFS_OK;
}

static bool time_ok(struct dfs_time t) { return t.sec >= 0 && t.nsec < 1000000000u; }

static uint64_t time_ns(struct dfs_time t)
{
    return (uint64_t)t.sec * 1000000000ull + t.nsec;
}

/* An 8-byte option: a time stamp as two 32-bit words (high, low), as the
 * packet blocks carry it, or a 64-bit counter in the section's order. */
static void put_opt_time(dfs_capwriter *w, uint16_t code, uint64_t t)
{
    put16(w, code);
    put16(w, 8);
    put32(w, (uint32_t)(t >> 32));
    put32(w, (uint32_t)t);
}

static void put_opt_u64(dfs_capwriter *w, uint16_t code, uint64_t v)
{
    put16(w, code);
    put16(w, 8);
    uint64_t x = w->swap ? dfs_cap__swap64(v) : v;
    put(w, &x, 8);
}

/* Interface statistics block (pcapng block type 5) for interface 0. */
static void write_isb(dfs_capwriter *w, const struct dfs_capture_end *e)
{
    uint32_t len = 12 + 12 + 12 /* isb_endtime */ + 4 /* opt_endofopt */;
    if (e->has_start)
        len += 12;
    if (e->has_received)
        len += 12;
    if (e->has_dropped)
        len += 12;
    uint64_t end = time_ns(e->end);
    put32(w, 5);
    put32(w, len);
    put32(w, 0); /* interface id */
    put32(w, (uint32_t)(end >> 32));
    put32(w, (uint32_t)end);
    if (e->has_start)
        put_opt_time(w, 2, time_ns(e->start)); /* isb_starttime */
    put_opt_time(w, 3, end);                   /* isb_endtime */
    if (e->has_received)
        put_opt_u64(w, 4, e->received); /* isb_ifrecv */
    if (e->has_dropped)
        put_opt_u64(w, 5, e->dropped); /* isb_ifdrop */
    put32(w, 0);                       /* opt_endofopt */
    put32(w, len);
}

dfs_result dfs_capwriter_close_end(dfs_capwriter *w, const struct dfs_capture_end *end)
{
    if (!w)
        return DFS_E_INVAL;
    bool bad = false;
    if (end && end->has_end && w->format == DFS_CAPFMT_PCAPNG) {
        bad = !time_ok(end->end) || (end->has_start && !time_ok(end->start));
        if (!bad)
            write_isb(w, end);
    }
    dfs_result r = dfs_capwriter_close(w);
    return r != DFS_OK ? r : bad ? DFS_E_INVAL : DFS_OK;
}

dfs_result dfs_capwriter_close(dfs_capwriter *w)
{
    if (!w)
        return DFS_E_INVAL;
    if (fflush(w->fp) != 0)
        w->failed = true;
    if (w->own && fclose(w->fp) != 0)
        w->failed = true;
    bool failed = w->failed;
    free(w);
    return failed ? DFS_E_IO : DFS_OK;
}
