/* Capture file reader: the public side of dfs_capreader. It recognises the
 * format from the file's first bytes and hands each call on to the reader
 * of that format (pcap_file.c, pcapng_file.c); what is common to both (the
 * time stamp high-water mark, the statistics) is kept here. libc only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cap_internal.h"
#include "port.h"

static dfs_result open_common(dfs_capreader *r, char *err, size_t err_size)
{
    size_t have = dfs_cap__ensure(r, 4);
    if (have < 4) {
        snprintf(err, err_size, "%s: %s", r->name,
                 have == 0 ? "empty file, not a capture"
                           : "file of fewer than 4 bytes, not a capture");
        return DFS_E_FORMAT;
    }
    uint32_t magic;
    memcpy(&magic, dfs_cap__at(r, 0), 4);
    if (dfs_cap__pcap_magic(magic))
        return dfs_cap__pcap_open(r, magic, err, err_size);
    if (dfs_cap__pcapng_magic(magic)) {
        r->format = DFS_CAPFMT_PCAPNG;
        r->linktype = -1;
        return DFS_OK; /* the SHB is read as the first block */
    }
    const uint8_t *m = dfs_cap__at(r, 0);
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
    if (own && !r->opt.follow)
        r->size_known = dfs_port_file_size(fp, &r->size_at_open) == 0;
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
    FILE *fp = dfs_port_fopen(path, "rb");
    if (!fp) {
        snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return DFS_E_IO;
    }
    /* Read straight into the reader's own buffer: through a stdio buffer
     * each large read became two read(2) calls, one of them a copy of 4 KiB
     * more. Following, the reader asks for a record at a time, which the
     * stdio buffer gathers into fewer calls. */
    if (!(opt && opt->follow))
        setvbuf(fp, NULL, _IONBF, 0);
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
uint64_t dfs_capreader_offset(const dfs_capreader *r) { return dfs_cap__offset(r); }

int dfs_capreader_linktype(const dfs_capreader *r)
{
    if (r->format == DFS_CAPFMT_PCAPNG && r->linktype < 0 && r->n_ifaces)
        return r->ifaces[0].linktype;
    return r->linktype;
}

void dfs_capreader_capture_end(const dfs_capreader *r, struct dfs_capture_end *out)
{
    memset(out, 0, sizeof *out);
    if (!r)
        return;
    *out = r->isb;
    /* an end followed by later records (a block in the middle of the file)
     * is not the end */
    if (out->has_end && r->max_ts_valid && dfs_cap__time_cmp(out->end, r->max_ts) < 0)
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

enum dfs_capnext dfs_capreader_next(dfs_capreader *r, struct dfs_record *rec)
{
    if (!r || !rec)
        return DFS_CAP_ERROR;
    if (r->err[0])
        return DFS_CAP_ERROR;
    enum dfs_capnext n = r->format == DFS_CAPFMT_PCAP ? dfs_cap__pcap_next(r, rec)
                                                 : dfs_cap__pcapng_next(r, rec);
    /* The end came before the bytes the file had when it was opened: it
     * was cut short while read (what was read before stays good). */
    if (n == DFS_CAP_EOF && r->size_known && !r->opt.follow && r->at_eof &&
        r->base + r->end < r->size_at_open)
        return dfs_cap__fail(r,
                             "%s: the file shrank while it was read: it had %llu bytes when "
                             "opened and ended after %llu, at frame %llu; the frames before "
                             "were read",
                             r->name, (unsigned long long)r->size_at_open,
                             (unsigned long long)(r->base + r->end),
                             (unsigned long long)r->frame);
    if (n == DFS_CAP_RECORD && (!r->max_ts_valid || dfs_cap__time_cmp(rec->ts, r->max_ts) >= 0)) {
        r->max_ts_valid = true;
        r->max_ts = rec->ts;
        r->max_ts_frame = rec->frame;
    }
    return n;
}
