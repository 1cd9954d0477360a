/* Classic pcap files: microsecond or nanosecond time stamps, either byte
 * order. A damaged record header is resynchronised on: the reader scans
 * byte by byte for the next plausible record header (sane lengths and time,
 * and a plausible start of a record of the file's link type). libc only. */
#include <stdio.h>

#include "cap_internal.h"

#define PCAP_MAGIC_USEC 0xa1b2c3d4u
#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HDR 24
#define REC DFS_CAP__PCAP_HDR
#define WEEK (86400 * 7)
/* bytes looked at when judging a candidate record: its header and the
 * longest link-type header (usbmon's 64 bytes) */
#define JUDGE_WINDOW (REC + 64)

bool dfs_cap__pcap_magic(uint32_t magic)
{
    return magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC ||
           dfs_cap__swap32(magic) == PCAP_MAGIC_USEC || dfs_cap__swap32(magic) == PCAP_MAGIC_NSEC;
}

dfs_result dfs_cap__pcap_open(dfs_capreader *r, uint32_t magic, char *err, size_t err_size)
{
    r->format = DFS_CAPFMT_PCAP;
    r->swapped = !(magic == PCAP_MAGIC_USEC || magic == PCAP_MAGIC_NSEC);
    r->nsec = (r->swapped ? dfs_cap__swap32(magic) : magic) == PCAP_MAGIC_NSEC;
    if (dfs_cap__ensure(r, PCAP_FILE_HDR) < PCAP_FILE_HDR) {
        snprintf(err, err_size, "%s: pcap file header truncated (%zu of 24 bytes)", r->name,
                 r->end - r->start);
        return DFS_E_FORMAT;
    }
    struct dfs_cap__cursor c = dfs_cap__cursor_over(dfs_cap__at(r, 0), PCAP_FILE_HDR, r->swapped);
    uint32_t magic_again = 0, zone = 0, sigfigs = 0, snaplen = 0, linktype = 0;
    uint16_t major = 0, minor = 0;
    dfs_cap__get32(&c, &magic_again);
    dfs_cap__get16(&c, &major);
    dfs_cap__get16(&c, &minor);
    dfs_cap__get32(&c, &zone);
    dfs_cap__get32(&c, &sigfigs);
    dfs_cap__get32(&c, &snaplen);
    dfs_cap__get32(&c, &linktype);
    if (major != 2) {
        snprintf(err, err_size, "%s: pcap version %u.%u is not supported (only 2.x)", r->name,
                 major, minor);
        return DFS_E_FORMAT;
    }
    r->snaplen = snaplen;
    r->linktype = (int)(linktype & 0x03FFFFFF); /* the upper bits: FCS length */
    r->order = (dfs_cap__host_little() != r->swapped) ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
    dfs_cap__consume(r, PCAP_FILE_HDR);
    return DFS_OK;
}

struct rec_header {
    uint32_t sec, frac, caplen, len;
};

static struct rec_header rec_header(const dfs_capreader *r, const uint8_t *h)
{
    struct dfs_cap__cursor c = dfs_cap__cursor_over(h, REC, r->swapped);
    struct rec_header x = {0, 0, 0, 0};
    dfs_cap__get32(&c, &x.sec);
    dfs_cap__get32(&c, &x.frac);
    dfs_cap__get32(&c, &x.caplen);
    dfs_cap__get32(&c, &x.len);
    return x;
}

static uint32_t frac_limit(const dfs_capreader *r) { return r->nsec ? 1000000000u : 1000000u; }

/* Is there a plausible record header at buf[start + off] (avail bytes from
 * buf[start] are there)? */
static bool plausible(dfs_capreader *r, size_t off, size_t avail)
{
    if (off + REC > avail)
        return false;
    struct rec_header h = rec_header(r, dfs_cap__at(r, off));
    if (h.frac >= frac_limit(r))
        return false;
    if (h.caplen > h.len || h.caplen > r->opt.max_record || (r->snaplen && h.caplen > r->snaplen))
        return false;
    if (r->last_ts_valid && (int64_t)h.sec + WEEK < r->last_ts_sec)
        return false;
    if (r->last_ts_valid && (int64_t)h.sec > r->last_ts_sec + WEEK)
        return false;
    return dfs_cap__linktype_plausible(r->linktype, dfs_cap__at(r, off + REC),
                                       avail - off - REC, h.caplen);
}

/* Scan for the next plausible record. DFS_CAP_RECORD: one starts at
 * buf[start]; DFS_CAP_AGAIN (follow mode): out of data, resume later. */
static enum dfs_capnext resync_go(dfs_capreader *r)
{
    size_t judge = REC + dfs_cap__linktype_judge_len(r->linktype);
    for (;;) {
        size_t avail = dfs_cap__ensure(r, JUDGE_WINDOW);
        if (r->opt.follow && avail < judge)
            return DFS_CAP_AGAIN; /* too little to judge yet */
        if (avail < REC) {
            r->resyncing = false;
            r->skipped += r->rs_skipped + avail;
            dfs_cap__warn(r, r->rs_frame,
                          "%s at offset %llu; no further record found before the end of the "
                          "file (%zu bytes skipped)",
                          r->rs_why, (unsigned long long)r->rs_bad_at, r->rs_skipped + avail);
            dfs_cap__consume(r, avail);
            return DFS_CAP_EOF;
        }
        if (plausible(r, 0, avail)) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            r->damaged++;
            dfs_cap__warn(r, r->rs_frame,
                          "%s at offset %llu; resuming at the next plausible record, offset %llu "
                          "(%zu bytes skipped)",
                          r->rs_why, (unsigned long long)r->rs_bad_at,
                          (unsigned long long)dfs_cap__offset(r), r->rs_skipped);
            return DFS_CAP_RECORD;
        }
        dfs_cap__consume(r, 1);
        if (++r->rs_skipped > DFS_CAP__RESYNC_LIMIT) {
            r->resyncing = false;
            r->skipped += r->rs_skipped;
            return dfs_cap__fail(r,
                                 "%s: frame %llu: %s at offset %llu, and no plausible record in "
                                 "the next %u bytes; giving up",
                                 r->name, (unsigned long long)r->rs_frame, r->rs_why,
                                 (unsigned long long)r->rs_bad_at, DFS_CAP__RESYNC_LIMIT);
        }
    }
}

static enum dfs_capnext resync(dfs_capreader *r, uint64_t frame, const char *why)
{
    dfs_cap__resync_begin(r, frame, why);
    dfs_cap__consume(r, 1);
    r->rs_skipped = 1;
    return resync_go(r);
}

/* A whole record is there: check what its header says against the file. */
static void check_record(dfs_capreader *r, uint64_t frame, const struct rec_header *h)
{
    if (r->snaplen && h->caplen > r->snaplen) {
        r->damaged++;
        dfs_cap__warn(r, frame, "captured length %u exceeds the file's snapshot length %u",
                      h->caplen, r->snaplen);
    }
    if (h->caplen > h->len) {
        r->damaged++;
        dfs_cap__warn(r, frame, "captured length %u exceeds the original length %u", h->caplen,
                      h->len);
    }
    if (h->frac >= frac_limit(r)) {
        r->damaged++;
        dfs_cap__warn(r, frame, "time stamp fraction %u out of range", h->frac);
    }
}

enum dfs_capnext dfs_cap__pcap_next(dfs_capreader *r, struct dfs_record *rec)
{
    for (;;) {
        if (r->resyncing) {
            enum dfs_capnext n = resync_go(r);
            if (n != DFS_CAP_RECORD)
                return n;
        }
        size_t avail = dfs_cap__ensure(r, REC);
        if (avail == 0)
            return r->opt.follow ? DFS_CAP_AGAIN : DFS_CAP_EOF;
        uint64_t frame = r->frame + 1;
        if (avail < REC) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            dfs_cap__warn(r, frame, "file ends inside the record header (%zu of 16 bytes)", avail);
            r->damaged++;
            dfs_cap__consume(r, avail);
            return DFS_CAP_EOF;
        }
        struct rec_header h = rec_header(r, dfs_cap__at(r, 0));
        if (h.caplen > r->opt.max_record) {
            char why[160];
            snprintf(why, sizeof why,
                     "record header claims %u captured bytes (more than the %u accepted): "
                     "damaged record header",
                     h.caplen, r->opt.max_record);
            enum dfs_capnext n = resync(r, frame, why);
            if (n != DFS_CAP_RECORD)
                return n;
            continue;
        }
        size_t need = REC + (size_t)h.caplen;
        avail = dfs_cap__ensure(r, need);
        if (avail < need) {
            if (r->opt.follow)
                return DFS_CAP_AGAIN;
            r->frame = frame;
            r->damaged++;
            dfs_cap__warn(r, frame,
                          "file ends inside the record: %u captured bytes announced, %zu present",
                          h.caplen, avail - REC);
            rec->caplen = (uint32_t)(avail - REC);
        } else {
            r->frame = frame;
            rec->caplen = h.caplen;
            check_record(r, frame, &h);
        }
        rec->frame = frame;
        rec->ts.sec = h.sec;
        /* a fraction out of range was reported by check_record() */
        uint32_t limit = frac_limit(r);
        uint32_t frac = h.frac < limit ? h.frac : h.frac % limit;
        rec->ts.nsec = r->nsec ? frac : frac * 1000u;
        rec->linktype = r->linktype;
        rec->order = r->order;
        rec->origlen = h.len;
        /* ensure() may have moved the buffer: take the address now */
        rec->data = dfs_cap__at(r, REC);
        r->last_ts_valid = true;
        r->last_ts_sec = h.sec;
        dfs_cap__consume(r, avail < need ? avail : need);
        /* data stays valid: consume() only moves indexes, the buffer is
         * compacted by the next ensure() */
        return DFS_CAP_RECORD;
    }
}
