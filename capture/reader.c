/* Capture file reader: pcap (microsecond or nanosecond, either byte order)
 * and pcapng (any number of sections and interfaces), bounded and
 * resynchronising. libc only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "dfuscope/usb.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du
#define PCAPNG_IDB 1u
#define PCAPNG_OPB 2u
#define PCAPNG_SPB 3u
#define PCAPNG_NRB 4u
#define PCAPNG_ISB 5u
#define PCAPNG_EPB 6u
#define PCAPNG_DSB 0x0Au
#define PCAPNG_MAX_IFACES 256
#define RESYNC_LIMIT (64u << 20) /* bytes scanned for the next good record */
#define BLOCK_SLACK (256u << 10) /* room for options besides the packet data */

struct iface {
    int linktype;
    uint32_t snaplen;
    uint64_t units_per_sec; /* if_tsresol as a power of ten, or 0 */
    unsigned pow2;          /* if_tsresol as a power of two (when units_per_sec == 0) */
    int64_t tsoffset;
    /* counters of its latest interface statistics block */
    bool has_recv, has_drop;
    uint64_t recv, drop;
};

struct dfs_capreader {
    FILE *fp;
    bool own;
    char *name;
    struct dfs_capreader_options opt;
    enum dfs_capformat format;
    uint8_t *buf;
    size_t cap, start, end;
    uint64_t base;  /* file offset of buf[0] */
    bool at_eof;
    uint64_t frame;
    bool swapped;   /* file order differs from host */
    enum dfs_byte_order order;
    /* pcap */
    bool nsec;
    uint32_t snaplen;
    int linktype;
    /* pcapng */
    struct iface *ifaces;
    unsigned n_ifaces;
    bool in_section;
    char err[512];
    uint64_t damaged, skipped;
    bool last_ts_valid;
    int64_t last_ts_sec;
    /* the latest record time stamp so far, and what interface statistics
     * blocks said (counters of the sections already left in *_done) */
    bool max_ts_valid;
    struct dfs_time max_ts;
    uint64_t max_ts_frame;
    struct dfs_capture_end isb;
    bool recv_done_valid, drop_done_valid;
    uint64_t recv_done, drop_done;
    /* Resynchronisation after a damaged record or block. In follow mode it
     * can run out of data half way; it then resumes on the next call. */
    bool resyncing;
    uint64_t rs_frame, rs_bad_at;
    size_t rs_skipped;
    char rs_why[200];
};

static bool host_little(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static uint16_t sw16(uint16_t v) { return (uint16_t)((v >> 8) | (v << 8)); }
static uint32_t sw32(uint32_t v)
{
    return ((v >> 24) & 0xff) | ((v >> 8) & 0xff00) | ((v << 8) & 0xff0000) | (v << 24);
}

static uint16_t g16(const dfs_capreader *r, const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, 2);
    return r->swapped ? sw16(v) : v;
}

static uint32_t g32(const dfs_capreader *r, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return r->swapped ? sw32(v) : v;
}

static void warnf(dfs_capreader *r, uint64_t frame, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warnf(dfs_capreader *r, uint64_t frame, const char *fmt, ...)
{
    if (!r->opt.warn)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    r->opt.warn(r->opt.warn_user, frame, msg);
}

static enum dfs_capnext fail(dfs_capreader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum dfs_capnext fail(dfs_capreader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    return DFS_CAP_ERROR;
}

/* Make at least n bytes available at buf[start]; returns how many are. */
static size_t ensure(dfs_capreader *r, size_t n)
{
    size_t have = r->end - r->start;
    if (have >= n)
        return have;
    if (r->start > 0 && (r->start + n > r->cap || r->start > r->cap / 2)) {
        memmove(r->buf, r->buf + r->start, have);
        r->base += r->start;
        r->end = have;
        r->start = 0;
    }
    if (r->start + n > r->cap) {
        size_t ncap = r->cap ? r->cap : 65536;
        while (ncap < r->start + n)
            ncap *= 2;
        uint8_t *nb = realloc(r->buf, ncap);
        if (!nb)
            return have;
        r->buf = nb;
        r->cap = ncap;
    }
    while (r->end - r->start < n) {
        /* Following a pipe or a growing file, ask only for the bytes needed:
         * fread() waits until it has all it was asked for, and a record must
         * be handed on as soon as it is complete. */
        size_t want = r->opt.follow ? r->start + n - r->end : r->cap - r->end;
        size_t got = fread(r->buf + r->end, 1, want, r->fp);
        r->end += got;
        if (got == 0) {
            if (ferror(r->fp) && errno == EINTR) {
                clearerr(r->fp);
                if (r->opt.follow)
                    break; /* a signal: the caller gets AGAIN and may stop */
                continue;
            }
            r->at_eof = true;
            if (r->opt.follow)
                clearerr(r->fp); /* more may come */
            break;
        }
    }
    return r->end - r->start;
}

static uint64_t offset_now(const dfs_capreader *r) { return r->base + r->start; }

static void consume(dfs_capreader *r, size_t n)
{
    r->start += n;
    if (r->start == r->end) {
        r->base += r->start;
        r->start = r->end = 0;
    }
}

const char *dfs_linktype_name(int lt)
{
    switch (lt) {
    case 0: return "NULL";
    case 1: return "ETHERNET";
    case 101: return "RAW";
    case 113: return "LINUX_SLL";
    case 127: return "IEEE802_11_RADIOTAP";
    case 186: return "USB_FREEBSD";
    case 187: return "BLUETOOTH_HCI_H4";
    case DFS_LINKTYPE_USB_LINUX: return "USB_LINUX";
    case DFS_LINKTYPE_USB_LINUX_MMAPPED: return "USB_LINUX_MMAPPED";
    case 249: return "USBPCAP";
    case 266: return "USB_DARWIN";
    case 276: return "LINUX_SLL2";
    case 288: return "USB_2_0";
    default: return NULL;
    }
}

static dfs_result open_common(dfs_capreader *r, char *err, size_t err_size)
{
    size_t have = ensure(r, 4);
    if (have < 4) {
        snprintf(err, err_size, "%s: %s", r->name,
                 have == 0 ? "empty file, not a capture"
                           : "file of fewer than 4 bytes, not a capture");
        return DFS_E_FORMAT;
    }
    uint32_t magic;
    memcpy(&magic, r->buf + r->start, 4);
    bool hl = host_little();
    if (magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC || sw32(magic) == PCAP_MAGIC_USEC ||
        sw32(magic) == PCAP_MAGIC_NSEC) {
        r->format = DFS_CAPFMT_PCAP;
        r->swapped = !(magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC);
        r->nsec = (r->swapped ? sw32(magic) : magic) == PCAP_MAGIC_NSEC;
        if (ensure(r, 24) < 24) {
            snprintf(err, err_size, "%s: pcap file header truncated (%zu of 24 bytes)", r->name,
                     r->end - r->start);
            return DFS_E_FORMAT;
        }
        const uint8_t *h = r->buf + r->start;
        uint16_t major = g16(r, h + 4), minor = g16(r, h + 6);
        if (major != 2) {
            snprintf(err, err_size, "%s: pcap version %u.%u is not supported (only 2.x)",
                     r->name, major, minor);
            return DFS_E_FORMAT;
        }
        r->snaplen = g32(r, h + 16);
        r->linktype = (int)(g32(r, h + 20) & 0x03FFFFFF);
        r->order = (hl != r->swapped) ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
        consume(r, 24);
        return DFS_OK;
    }
    if (magic == PCAPNG_SHB) {
        r->format = DFS_CAPFMT_PCAPNG;
        r->linktype = -1;
        return DFS_OK; /* the SHB is read as the first block */
    }
    const uint8_t *m = r->buf + r->start;
    snprintf(err, err_size,
             "%s: not a pcap or pcapng capture (starts with bytes %02x %02x %02x %02x)", r->name,
             m[0], m[1], m[2], m[3]);
    return DFS_E_FORMAT;
}

static dfs_result make_reader(FILE *fp, bool own, const char *name,
                              const struct dfs_capreader_options *opt, dfs_capreader **out,
                              char *err, size_t err_size)
{
    dfs_capreader *r = calloc(1, sizeof *r);
    if (!r) {
        if (own)
            fclose(fp);
        snprintf(err, err_size, "%s: out of memory", name);
        return DFS_E_NOMEM;
    }
    r->fp = fp;
    r->own = own;
    r->name = strdup(name);
    if (opt)
        r->opt = *opt;
    if (!r->opt.max_record)
        r->opt.max_record = 16u << 20;
    if (!r->name) {
        dfs_capreader_close(r);
        snprintf(err, err_size, "%s: out of memory", name);
        return DFS_E_NOMEM;
    }
    /* In follow mode the header may not be there yet: wait for it. */
    dfs_result res = open_common(r, err, err_size);
    if (res != DFS_OK) {
        dfs_capreader_close(r);
        return res;
    }
    *out = r;
    return DFS_OK;
}

dfs_result dfs_capreader_open(const char *path, const struct dfs_capreader_options *opt,
                              dfs_capreader **out, char *err, size_t err_size)
{
    if (!path || !out || !err)
        return DFS_E_INVAL;
    if (strcmp(path, "-") == 0)
        return make_reader(stdin, false, "<stdin>", opt, out, err, err_size);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return DFS_E_IO;
    }
    return make_reader(fp, true, path, opt, out, err, err_size);
}

dfs_result dfs_capreader_open_stream(FILE *fp, const char *name,
                                     const struct dfs_capreader_options *opt, dfs_capreader **out,
                                     char *err, size_t err_size)
{
    if (!fp || !name || !out || !err)
        return DFS_E_INVAL;
    return make_reader(fp, false, name, opt, out, err, err_size);
}

void dfs_capreader_close(dfs_capreader *r)
{
    if (!r)
        return;
    if (r->own && r->fp)
        fclose(r->fp);
    free(r->buf);
    free(r->ifaces);
    free(r->name);
    free(r);
}

void dfs_capreader_set_follow(dfs_capreader *r, bool follow)
{
    if (r)
        r->opt.follow = follow;
}

const char *dfs_capreader_error(const dfs_capreader *r) { return r ? r->err : "no reader"; }
enum dfs_capformat dfs_capreader_format(const dfs_capreader *r) { return r->format; }
uint64_t dfs_capreader_damaged(const dfs_capreader *r) { return r->damaged; }
uint64_t dfs_capreader_skipped_bytes(const dfs_capreader *r) { return r->skipped; }
uint64_t dfs_capreader_offset(const dfs_capreader *r) { return offset_now(r); }

int dfs_capreader_linktype(const dfs_capreader *r)
{
    if (r->format == DFS_CAPFMT_PCAPNG && r->linktype < 0 && r->n_ifaces)
        return r->ifaces[0].linktype;
    return r->linktype;
}

/* ---- pcap -------------------------------------------------------------------- */

/* Is there a plausible pcap record header at buf[start + off]? */
static bool pcap_plausible(dfs_capreader *r, size_t off, size_t avail)
{
    if (off + 16 > avail)
        return false;
    const uint8_t *h = r->buf + r->start + off;
    uint32_t sec = g32(r, h), frac = g32(r, h + 4), caplen = g32(r, h + 8), len = g32(r, h + 12);
    if (frac >= (r->nsec ? 1000000000u : 1000000u))
        return false;
    if (caplen > len || caplen > r->opt.max_record || (r->snaplen && caplen > r->snaplen))
        return false;
    if (r->last_ts_valid && (int64_t)sec + 86400 * 7 < r->last_ts_sec)
        return false;
    if (r->last_ts_valid && (int64_t)sec > r->last_ts_sec + 86400 * 7)
        return false;
    if ((r->linktype == DFS_LINKTYPE_USB_LINUX || r->linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED)) {
        if (caplen < DFS_USBMON_HDR_LEN || off + 16 + 10 > avail)
            return false;
        uint8_t t = h[16 + 8], x = h[16 + 9];
        if ((t != 'S' && t != 'C' && t != 'E') || x > 3)
            return false;
    }
    return true;
}

static void resync_begin(dfs_capreader *r, uint64_t frame, const char *why)
{
    r->resyncing = true;
    r->rs_frame = frame;
    r->rs_bad_at = offset_now(r);
    r->rs_skipped = 0;
    snprintf(r->rs_why, sizeof r->rs_why, "%s", why);
}

/* Scan for the next plausible pcap record. DFS_CAP_RECORD: one starts at
 * buf[start]; DFS_CAP_AGAIN (follow mode): out of data, resume later. */
static enum dfs_capnext pcap_resync_go(dfs_capreader *r)
{
    bool usbmon = r->linktype == DFS_LINKTYPE_USB_LINUX ||
                  r->linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED;
    for (;;) {
        size_t avail = ensure(r, 16 + 64);
        if (r->opt.follow && avail < (usbmon ? 16u + 10u : 16u))
            return DFS_CAP_AGAIN; /* too little to judge yet */
        if (avail < 16) {
            r->resyncing = false;
            r->skipped += r->rs_skipped + avail;
            warnf(r, r->rs_frame,
                  "%s at offset %llu; no further record found before the end of the file "
                  "(%zu bytes skipped)",
                  r->rs_why, (unsigned long long)r->rs_bad_at, r->rs_skipped + avail);
            consume(r, avail);
            return DFS_CAP_EOF;
        }
        if (pcap_plausible(r, 0, avail)) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            r->damaged++;
            warnf(r, r->rs_frame,
                  "%s at offset %llu; resuming at the next plausible record, offset %llu "
                  "(%zu bytes skipped)",
                  r->rs_why, (unsigned long long)r->rs_bad_at,
                  (unsigned long long)offset_now(r), r->rs_skipped);
            return DFS_CAP_RECORD;
        }
        consume(r, 1);
        if (++r->rs_skipped > RESYNC_LIMIT) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            return fail(r, "%s: frame %llu: %s at offset %llu, and no plausible record in the "
                           "next %u bytes; giving up",
                        r->name, (unsigned long long)r->rs_frame, r->rs_why,
                        (unsigned long long)r->rs_bad_at, RESYNC_LIMIT);
        }
    }
}

static enum dfs_capnext pcap_resync(dfs_capreader *r, uint64_t frame, const char *why)
{
    resync_begin(r, frame, why);
    consume(r, 1);
    r->rs_skipped = 1;
    return pcap_resync_go(r);
}

static enum dfs_capnext pcap_next(dfs_capreader *r, struct dfs_record *rec)
{
    for (;;) {
        if (r->resyncing) {
            enum dfs_capnext n = pcap_resync_go(r);
            if (n != DFS_CAP_RECORD)
                return n;
        }
        size_t avail = ensure(r, 16);
        if (avail == 0)
            return r->opt.follow ? DFS_CAP_AGAIN : DFS_CAP_EOF;
        uint64_t frame = r->frame + 1;
        if (avail < 16) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            warnf(r, frame, "file ends inside the record header (%zu of 16 bytes)", avail);
            r->damaged++;
            consume(r, avail);
            return DFS_CAP_EOF;
        }
        const uint8_t *h = r->buf + r->start;
        uint32_t sec = g32(r, h), frac = g32(r, h + 4), caplen = g32(r, h + 8),
                 len = g32(r, h + 12);
        if (caplen > r->opt.max_record) {
            char why[160];
            snprintf(why, sizeof why,
                     "record header claims %u captured bytes (more than the %u accepted): "
                     "damaged record header",
                     caplen, r->opt.max_record);
            enum dfs_capnext n = pcap_resync(r, frame, why);
            if (n != DFS_CAP_RECORD)
                return n;
            continue;
        }
        size_t need = 16 + (size_t)caplen;
        avail = ensure(r, need);
        h = r->buf + r->start; /* ensure() may have moved the buffer */
        if (avail < need) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->frame = frame;
            r->damaged++;
            warnf(r, frame,
                  "file ends inside the record: %u captured bytes announced, %zu present",
                  caplen, avail - 16);
            rec->caplen = (uint32_t)(avail - 16);
        } else {
            r->frame = frame;
            rec->caplen = caplen;
            if (r->snaplen && caplen > r->snaplen) {
                r->damaged++;
                warnf(r, frame, "captured length %u exceeds the file's snapshot length %u",
                      caplen, r->snaplen);
            }
            if (caplen > len) {
                r->damaged++;
                warnf(r, frame, "captured length %u exceeds the original length %u", caplen, len);
            }
            if (frac >= (r->nsec ? 1000000000u : 1000000u)) {
                r->damaged++;
                warnf(r, frame, "time stamp fraction %u out of range", frac);
            }
        }
        rec->frame = frame;
        rec->ts.sec = sec;
        rec->ts.nsec = r->nsec ? frac % 1000000000u : (frac % 1000000u) * 1000u;
        rec->linktype = r->linktype;
        rec->order = r->order;
        rec->origlen = len;
        rec->data = h + 16;
        r->last_ts_valid = true;
        r->last_ts_sec = sec;
        consume(r, avail < need ? avail : need);
        /* data stays valid: consume() only moves indexes, the buffer is
         * compacted by the next ensure() */
        return DFS_CAP_RECORD;
    }
}

/* ---- pcapng ---------------------------------------------------------------- */

static bool ng_known_type(uint32_t t)
{
    return t == PCAPNG_SHB || t == PCAPNG_IDB || t == PCAPNG_OPB || t == PCAPNG_SPB ||
           t == PCAPNG_NRB || t == PCAPNG_ISB || t == PCAPNG_EPB || t == PCAPNG_DSB ||
           t == 0x00000BADu || t == 0x40000BADu;
}

static uint32_t ng_limit(const dfs_capreader *r) { return r->opt.max_record + BLOCK_SLACK; }

/* Plausible block at buf[start + off]: known type, sane length and the
 * trailing copy of the length matches. Returns 1 (plausible), 0 (not), or
 * -1 when the header looks right but the block is not all there yet. */
static int ng_plausible(dfs_capreader *r, size_t off)
{
    size_t avail = ensure(r, off + 12);
    if (avail < off + 12)
        return -1;
    const uint8_t *b = r->buf + r->start + off;
    uint32_t type = g32(r, b), len = g32(r, b + 4);
    if (type == PCAPNG_SHB) {
        uint32_t bom;
        memcpy(&bom, b + 8, 4);
        bool sw = bom != PCAPNG_BOM;
        if (sw && sw32(bom) != PCAPNG_BOM)
            return 0;
        memcpy(&len, b + 4, 4);
        if (sw)
            len = sw32(len);
        if (len < 28 || len % 4 || len > ng_limit(r))
            return 0;
        avail = ensure(r, off + len);
        if (avail < off + len)
            return -1;
        uint32_t trail;
        memcpy(&trail, r->buf + r->start + off + len - 4, 4);
        return (sw ? sw32(trail) : trail) == len;
    }
    if (!ng_known_type(type) || len < 12 || len % 4 || len > ng_limit(r))
        return 0;
    avail = ensure(r, off + len);
    if (avail < off + len)
        return -1;
    return g32(r, r->buf + r->start + off + len - 4) == len;
}

/* Scan (in steps of 4 bytes, blocks are 4-aligned) for the next valid
 * block; returns as pcap_resync_go() does. */
static enum dfs_capnext ng_resync_go(dfs_capreader *r)
{
    for (;;) {
        size_t avail = ensure(r, 12);
        if (avail < 12) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->resyncing = false;
            r->skipped += r->rs_skipped + avail;
            warnf(r, r->rs_frame,
                  "%s at offset %llu; no further block before the end of the file (%zu bytes "
                  "skipped)",
                  r->rs_why, (unsigned long long)r->rs_bad_at, r->rs_skipped + avail);
            consume(r, avail);
            return DFS_CAP_EOF;
        }
        int p = ng_plausible(r, 0);
        if (p < 0 && r->opt.follow)
            return DFS_CAP_AGAIN; /* may be a block still being written */
        if (p > 0) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            r->damaged++;
            warnf(r, r->rs_frame,
                  "%s at offset %llu; resuming at the next valid block, offset %llu (%zu bytes "
                  "skipped)",
                  r->rs_why, (unsigned long long)r->rs_bad_at,
                  (unsigned long long)offset_now(r), r->rs_skipped);
            return DFS_CAP_RECORD;
        }
        consume(r, 4);
        r->rs_skipped += 4;
        if (r->rs_skipped > RESYNC_LIMIT) {
            r->resyncing = false;
            return fail(r, "%s: frame %llu: %s at offset %llu, and no valid block in the next %u "
                           "bytes; giving up",
                        r->name, (unsigned long long)r->rs_frame, r->rs_why,
                        (unsigned long long)r->rs_bad_at, RESYNC_LIMIT);
        }
    }
}

static enum dfs_capnext ng_resync(dfs_capreader *r, uint64_t frame, const char *why)
{
    resync_begin(r, frame, why);
    consume(r, 4);
    r->rs_skipped = 4;
    return ng_resync_go(r);
}

static void ng_ts(const struct iface *ifc, uint64_t t, struct dfs_time *out)
{
    if (ifc->units_per_sec) {
        uint64_t u = ifc->units_per_sec;
        out->sec = (int64_t)(t / u);
        uint64_t frac = t % u;
        /* scale the fraction to nanoseconds without overflow */
        if (u <= 1000000000u)
            out->nsec = (uint32_t)(frac * (1000000000u / u));
        else
            out->nsec = (uint32_t)(frac / (u / 1000000000u));
    } else {
        unsigned k = ifc->pow2;
        out->sec = (int64_t)(k >= 64 ? 0 : t >> k);
        uint64_t frac = k >= 64 ? t : t & ((1ull << k) - 1);
        if (k > 34) {
            frac >>= (k - 34);
            k = 34;
        }
        out->nsec = (uint32_t)((frac * 1000000000ull) >> k);
    }
    out->sec += ifc->tsoffset;
}

static int time_cmp(struct dfs_time a, struct dfs_time b)
{
    if (a.sec != b.sec)
        return a.sec < b.sec ? -1 : 1;
    return a.nsec < b.nsec ? -1 : a.nsec > b.nsec;
}

static const char *isb_option_name(uint16_t code)
{
    switch (code) {
    case 2: return "isb_starttime";
    case 3: return "isb_endtime";
    case 4: return "isb_ifrecv";
    case 5: return "isb_ifdrop";
    default: return "?";
    }
}

/* Interface statistics block: interface id, time stamp, options. Only
 * isb_starttime (2), isb_endtime (3), isb_ifrecv (4) and isb_ifdrop (5) are
 * used; a block whose structure is broken is ignored as a whole. */
static void ng_parse_isb(dfs_capreader *r, const uint8_t *b, uint32_t len, uint64_t at)
{
    if (len < 24) {
        r->damaged++;
        warnf(r, 0, "interface statistics block at offset %llu: %u bytes, too short for its "
                    "fields (24 minimum); block ignored",
              (unsigned long long)at, len);
        return;
    }
    uint32_t ifid = g32(r, b + 8);
    if (ifid >= r->n_ifaces) {
        r->damaged++;
        warnf(r, 0, "interface statistics block at offset %llu refers to interface %u, but the "
                    "section describes %u; block ignored",
              (unsigned long long)at, ifid, r->n_ifaces);
        return;
    }
    struct iface *ifc = &r->ifaces[ifid];
    /* first pass: the options must fit the block */
    size_t off = 20, end = len - 4;
    while (off + 4 <= end) {
        uint16_t code = g16(r, b + off), olen = g16(r, b + off + 2);
        if (code == 0)
            break;
        if (off + 4 + olen > end) {
            r->damaged++;
            warnf(r, 0, "interface statistics block at offset %llu: option %u (%u bytes) runs "
                        "past the end of the block; block ignored",
                  (unsigned long long)at, code, olen);
            return;
        }
        off += 4 + (((size_t)olen + 3) & ~(size_t)3);
    }
    off = 20;
    while (off + 4 <= end) {
        uint16_t code = g16(r, b + off), olen = g16(r, b + off + 2);
        if (code == 0)
            break;
        const uint8_t *v = b + off + 4;
        off += 4 + (((size_t)olen + 3) & ~(size_t)3);
        if (code < 2 || code > 5)
            continue; /* comments, filter counters, custom options */
        if (olen != 8) {
            r->damaged++;
            warnf(r, 0, "interface statistics block at offset %llu: option %s has %u bytes, "
                        "not 8; option ignored",
                  (unsigned long long)at, isb_option_name(code), olen);
            continue;
        }
        if (code == 2 || code == 3) {
            struct dfs_time t;
            ng_ts(ifc, ((uint64_t)g32(r, v) << 32) | g32(r, v + 4), &t);
            if (code == 2) {
                if (!r->isb.has_start || time_cmp(t, r->isb.start) < 0) {
                    r->isb.has_start = true;
                    r->isb.start = t;
                }
                continue;
            }
            if (r->max_ts_valid && time_cmp(t, r->max_ts) < 0) {
                int64_t us = dfs_time_diff_us(r->max_ts, t);
                warnf(r, 0, "interface statistics block at offset %llu: isb_endtime is %lld.%06lld "
                            "s before the last record (frame %llu); end time ignored",
                      (unsigned long long)at, (long long)(us / 1000000),
                      (long long)(us % 1000000), (unsigned long long)r->max_ts_frame);
                continue;
            }
            if (!r->isb.has_end || time_cmp(t, r->isb.end) > 0) {
                r->isb.has_end = true;
                r->isb.end = t;
            }
            continue;
        }
        uint64_t x;
        memcpy(&x, v, 8);
        if (r->swapped) {
            uint64_t y = 0;
            for (int i = 0; i < 8; i++)
                y = (y << 8) | ((x >> (8 * i)) & 0xff);
            x = y;
        }
        if (code == 4) {
            ifc->has_recv = true;
            ifc->recv = x;
        } else {
            ifc->has_drop = true;
            ifc->drop = x;
        }
    }
}

/* A new section: its interfaces are new; keep the counters of the old ones. */
static void ng_section_done(dfs_capreader *r)
{
    for (unsigned i = 0; i < r->n_ifaces; i++) {
        if (r->ifaces[i].has_recv) {
            r->recv_done_valid = true;
            r->recv_done += r->ifaces[i].recv;
        }
        if (r->ifaces[i].has_drop) {
            r->drop_done_valid = true;
            r->drop_done += r->ifaces[i].drop;
        }
    }
    r->n_ifaces = 0;
}

void dfs_capreader_capture_end(const dfs_capreader *r, struct dfs_capture_end *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    *out = r->isb;
    /* an end followed by later records (a block in the middle of the file)
     * is not the end */
    if (out->has_end && r->max_ts_valid && time_cmp(out->end, r->max_ts) < 0)
        out->has_end = false;
    out->has_received = r->recv_done_valid;
    out->received = r->recv_done;
    out->has_dropped = r->drop_done_valid;
    out->dropped = r->drop_done;
    for (unsigned i = 0; i < r->n_ifaces; i++) {
        if (r->ifaces[i].has_recv) {
            out->has_received = true;
            out->received += r->ifaces[i].recv;
        }
        if (r->ifaces[i].has_drop) {
            out->has_dropped = true;
            out->dropped += r->ifaces[i].drop;
        }
    }
}

static void ng_parse_idb(dfs_capreader *r, const uint8_t *b, uint32_t len, uint64_t frame)
{
    if (len < 20) {
        r->damaged++;
        warnf(r, frame, "interface description block of %u bytes is too short (20 minimum); "
                        "interface %u will be unknown",
              len, r->n_ifaces);
        return;
    }
    if (r->n_ifaces >= PCAPNG_MAX_IFACES) {
        r->damaged++;
        warnf(r, frame, "more than %d interfaces in one section; ignoring the rest",
              PCAPNG_MAX_IFACES);
        return;
    }
    struct iface *n = realloc(r->ifaces, (r->n_ifaces + 1) * sizeof *n);
    if (!n)
        return;
    r->ifaces = n;
    struct iface *ifc = &r->ifaces[r->n_ifaces++];
    *ifc = (struct iface){.linktype = g16(r, b + 8), .snaplen = g32(r, b + 12),
                          .units_per_sec = 1000000};
    if (r->linktype < 0)
        r->linktype = ifc->linktype;
    /* options */
    size_t off = 16, end = len - 4;
    while (off + 4 <= end) {
        uint16_t code = g16(r, b + off), olen = g16(r, b + off + 2);
        if (code == 0)
            break;
        if (off + 4 + olen > end) {
            r->damaged++;
            warnf(r, frame, "interface %u: option %u runs past the end of its block",
                  r->n_ifaces - 1, code);
            break;
        }
        const uint8_t *v = b + off + 4;
        if (code == 9 && olen >= 1) { /* if_tsresol */
            uint8_t res = v[0];
            if (res & 0x80) {
                ifc->units_per_sec = 0;
                ifc->pow2 = res & 0x7f;
            } else if (res <= 19) {
                uint64_t u = 1;
                for (uint8_t i = 0; i < res; i++)
                    u *= 10;
                ifc->units_per_sec = u;
            } else {
                r->damaged++;
                warnf(r, frame, "interface %u: time stamp resolution 10^-%u is out of range",
                      r->n_ifaces - 1, res);
            }
        } else if (code == 14 && olen >= 8) { /* if_tsoffset */
            uint64_t o = ((uint64_t)g32(r, v + (r->swapped == host_little() ? 0 : 4)) << 32);
            o |= g32(r, v + (r->swapped == host_little() ? 4 : 0));
            ifc->tsoffset = (int64_t)o;
        }
        off += 4 + (((size_t)olen + 3) & ~(size_t)3);
    }
}

static enum dfs_capnext ng_next(dfs_capreader *r, struct dfs_record *rec)
{
    for (;;) {
        if (r->resyncing) {
            enum dfs_capnext n = ng_resync_go(r);
            if (n != DFS_CAP_RECORD)
                return n;
        }
        size_t avail = ensure(r, 12);
        if (avail == 0)
            return r->opt.follow ? DFS_CAP_AGAIN : DFS_CAP_EOF;
        uint64_t frame = r->frame + 1;
        if (avail < 12) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->damaged++;
            warnf(r, frame, "file ends inside a block header (%zu of 12 bytes)", avail);
            consume(r, avail);
            return DFS_CAP_EOF;
        }
        const uint8_t *b = r->buf + r->start;
        uint32_t type;
        memcpy(&type, b, 4);
        if (type == PCAPNG_SHB) {
            uint32_t bom;
            memcpy(&bom, b + 8, 4);
            if (bom != PCAPNG_BOM && sw32(bom) != PCAPNG_BOM) {
                enum dfs_capnext n =
                    ng_resync(r, frame, "section header block with an invalid byte-order mark");
                if (n != DFS_CAP_RECORD)
                    return n;
                continue;
            }
            r->swapped = bom != PCAPNG_BOM;
            r->order = (host_little() != r->swapped) ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
            ng_section_done(r); /* interfaces are per section */
            r->in_section = true;
        } else {
            type = g32(r, b);
            if (!r->in_section)
                return fail(r, "%s: pcapng file does not start with a section header block",
                            r->name);
        }
        uint32_t len = g32(r, b + 4);
        bool packet = type == PCAPNG_EPB || type == PCAPNG_SPB || type == PCAPNG_OPB;
        if (len < 12 || len % 4 || len > ng_limit(r) || (type == PCAPNG_SHB && len < 28)) {
            char why[200];
            snprintf(why, sizeof why, "%s block of type 0x%08x has an invalid total length %u",
                     packet ? "packet" : "pcapng", type, len);
            if (packet)
                r->frame = frame;
            enum dfs_capnext n = ng_resync(r, frame, why);
            if (n != DFS_CAP_RECORD)
                return n;
            continue;
        }
        avail = ensure(r, len);
        if (avail < len) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->damaged++;
            if (packet)
                r->frame = frame;
            warnf(r, frame, "file ends inside a block of type 0x%08x (%zu of %u bytes)", type,
                  avail, len);
            consume(r, avail);
            return DFS_CAP_EOF;
        }
        b = r->buf + r->start;
        if (g32(r, b + len - 4) != len) {
            char why[200];
            snprintf(why, sizeof why,
                     "block of type 0x%08x: total length %u at its start but %u at its end",
                     type, len, g32(r, b + len - 4));
            if (packet)
                r->frame = frame;
            enum dfs_capnext n = ng_resync(r, frame, why);
            if (n != DFS_CAP_RECORD)
                return n;
            continue;
        }
        if (type == PCAPNG_IDB) {
            ng_parse_idb(r, b, len, frame);
            consume(r, len);
            continue;
        }
        if (type == PCAPNG_ISB) {
            ng_parse_isb(r, b, len, offset_now(r));
            consume(r, len);
            continue;
        }
        if (!packet) {
            consume(r, len);
            continue;
        }
        r->frame = frame;
        uint32_t ifid = 0, caplen, origlen, body = len - 12;
        uint64_t ts = 0;
        size_t data_off;
        if (type == PCAPNG_EPB || type == PCAPNG_OPB) {
            if (body < 20) {
                r->damaged++;
                warnf(r, frame, "packet block of %u bytes is too short for its fields", len);
                consume(r, len);
                continue;
            }
            if (type == PCAPNG_EPB) {
                ifid = g32(r, b + 8);
            } else {
                ifid = g16(r, b + 8);
            }
            ts = ((uint64_t)g32(r, b + 12) << 32) | g32(r, b + 16);
            caplen = g32(r, b + 20);
            origlen = g32(r, b + 24);
            data_off = 28;
            if (caplen > body - 20) {
                r->damaged++;
                warnf(r, frame,
                      "packet block claims %u captured bytes but has room for %u; using %u",
                      caplen, body - 20, body - 20);
                caplen = body - 20;
            }
        } else { /* SPB */
            if (body < 4) {
                r->damaged++;
                warnf(r, frame, "simple packet block of %u bytes is too short", len);
                consume(r, len);
                continue;
            }
            origlen = g32(r, b + 8);
            data_off = 12;
            caplen = origlen < body - 4 ? origlen : body - 4;
            if (r->n_ifaces && r->ifaces[0].snaplen && caplen > r->ifaces[0].snaplen)
                caplen = r->ifaces[0].snaplen;
        }
        if (ifid >= r->n_ifaces) {
            r->damaged++;
            warnf(r, frame, "packet block refers to interface %u, but the section describes %u; "
                            "record skipped",
                  ifid, r->n_ifaces);
            consume(r, len);
            continue;
        }
        const struct iface *ifc = &r->ifaces[ifid];
        if (ifc->snaplen && caplen > ifc->snaplen) {
            r->damaged++;
            warnf(r, frame, "captured length %u exceeds interface %u's snapshot length %u",
                  caplen, ifid, ifc->snaplen);
        }
        if (caplen > origlen) {
            r->damaged++;
            warnf(r, frame, "captured length %u exceeds the original length %u", caplen,
                  origlen);
        }
        rec->frame = frame;
        if (type == PCAPNG_SPB)
            rec->ts = (struct dfs_time){0, 0};
        else
            ng_ts(ifc, ts, &rec->ts);
        rec->linktype = ifc->linktype;
        rec->order = r->order;
        rec->caplen = caplen;
        rec->origlen = origlen;
        rec->data = b + data_off;
        consume(r, len);
        return DFS_CAP_RECORD;
    }
}

enum dfs_capnext dfs_capreader_next(dfs_capreader *r, struct dfs_record *rec)
{
    if (!r || !rec)
        return DFS_CAP_ERROR;
    if (r->err[0])
        return DFS_CAP_ERROR;
    enum dfs_capnext n = r->format == DFS_CAPFMT_PCAP ? pcap_next(r, rec) : ng_next(r, rec);
    if (n == DFS_CAP_RECORD && (!r->max_ts_valid || time_cmp(rec->ts, r->max_ts) >= 0)) {
        r->max_ts_valid = true;
        r->max_ts = rec->ts;
        r->max_ts_frame = rec->frame;
    }
    return n;
}
