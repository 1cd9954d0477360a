/* dfuscope Wireshark plugin: decode the whole capture file before its first
 * frame is shown, so that one pass (tshark without -2) shows everything two
 * passes show, including what is only known at the end of the capture.
 *
 * Wireshark 4.0 does not tell a dissector which file it is reading. The
 * reader has it open, though: among the regular files this process has open,
 * the one whose first record (read through wiretap, exactly as Wireshark
 * reads it) equals frame 1 is the capture. It is opened again under its
 * /proc/self/fd name (a new file description: Wireshark's own offsets are
 * untouched) and read to its end. Each frame's digest is kept so that the
 * dissector can check, frame by frame, that it shows results of the frames
 * Wireshark is showing.
 */
#include "prepass.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#include "digest.h"
#include "pcap_fast.h"

#define MAX_CANDIDATES 64

int dfs__encap_linktype(int encap)
{
    switch (encap) {
    case WTAP_ENCAP_USB_LINUX: return DFS_LINKTYPE_USB_LINUX;
    case WTAP_ENCAP_USB_LINUX_MMAPPED: return DFS_LINKTYPE_USB_LINUX_MMAPPED;
    case WTAP_ENCAP_USBPCAP: return DFS_LINKTYPE_USBPCAP;
    case WTAP_ENCAP_USB_DARWIN: return DFS_LINKTYPE_USB_DARWIN;
    case WTAP_ENCAP_USB_2_0: return DFS_LINKTYPE_USB_2_0;
    case WTAP_ENCAP_USB_2_0_LOW_SPEED: return DFS_LINKTYPE_USB_2_0_LOW_SPEED;
    case WTAP_ENCAP_USB_2_0_FULL_SPEED: return DFS_LINKTYPE_USB_2_0_FULL_SPEED;
    case WTAP_ENCAP_USB_2_0_HIGH_SPEED: return DFS_LINKTYPE_USB_2_0_HIGH_SPEED;
    default: return 0;
    }
}

/* Packetry writes each bus event as a pcapng custom block (Private
 * Enterprise Number 62392, Great Scott Gadgets); Wireshark shows it as a
 * frame whose data follows the PEN: one little-endian word with the format
 * id 0x3343, its version 0 and the event code in its low byte, then the
 * interface id and a time stamp (capture/pcapng_file.c reads the same). */
#define GSG_PEN 62392u
#define GSG_EVENT_FORMAT 0x334300u

bool dfs__packetry_event(uint32_t pen, const uint8_t *data, uint32_t len, uint8_t *code)
{
    if (pen != GSG_PEN || !data || len < 16)
        return false;
    uint32_t word = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                    (uint32_t)data[3] << 24;
    if ((word >> 8) != GSG_EVENT_FORMAT)
        return false;
    *code = (uint8_t)word;
    return true;
}

void dfs__prepass_clear(struct dfs__prepass *p)
{
    free(p->digest);
    memset(p, 0, sizeof *p);
}

/* Could this file be a capture? pcap (both byte orders, micro- and
 * nanosecond), pcapng, or gzip-compressed (wiretap reads those too). */
static bool capture_magic(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    uint8_t m[4];
    size_t n = fread(m, 1, sizeof m, f);
    fclose(f);
    if (n < sizeof m)
        return false;
    static const uint8_t magics[][4] = {
        {0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, {0x4d, 0x3c, 0xb2, 0xa1},
        {0xa1, 0xb2, 0x3c, 0x4d}, {0x0a, 0x0d, 0x0d, 0x0a},
    };
    for (size_t i = 0; i < sizeof magics / sizeof magics[0]; i++)
        if (memcmp(m, magics[i], 4) == 0)
            return true;
    return m[0] == 0x1f && m[1] == 0x8b;
}

/* The regular files this process has open (a file open twice once), of at
 * least the size of a pcap header. */
static size_t list_candidates(struct dfs__file_id *c, size_t max)
{
    DIR *dir = opendir("/proc/self/fd");
    if (!dir)
        return 0;
    size_t n = 0;
    int self = dirfd(dir);
    struct dirent *e;
    while ((e = readdir(dir)) != NULL && n < max) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (*end || fd < 0 || fd == self)
            continue;
        struct stat st;
        if (fstat((int)fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 24)
            continue;
        bool dup = false;
        for (size_t i = 0; i < n; i++)
            dup = dup || (c[i].dev == st.st_dev && c[i].ino == st.st_ino);
        if (dup)
            continue;
        c[n].fd = (int)fd;
        c[n].dev = st.st_dev;
        c[n].ino = st.st_ino;
        c[n].size = st.st_size;
        c[n].mtime_sec = (int64_t)st.st_mtim.tv_sec;
        c[n].mtime_nsec = st.st_mtim.tv_nsec;
        n++;
    }
    closedir(dir);
    return n;
}

static bool same_as_first(const wtap_rec *rec, const uint8_t *data,
                          const struct dfs__first_frame *first)
{
    if (rec->rec_type != REC_TYPE_PACKET)
        return false;
    const wtap_packet_header *ph = &rec->rec_header.packet_header;
    bool has_ts = (rec->presence_flags & WTAP_HAS_TS) != 0;
    return ph->caplen == first->caplen && ph->len == first->len &&
           ph->pkt_encap == first->encap && has_ts == first->has_ts &&
           (!has_ts || ((int64_t)rec->ts.secs == first->ts_sec &&
                        (int32_t)rec->ts.nsecs == first->ts_nsec)) &&
           memcmp(data, first->data, first->caplen) == 0;
}

static bool push_digest(struct dfs__prepass *p, size_t *cap, uint32_t d)
{
    if (p->frames >= *cap) {
        size_t ncap = *cap ? *cap * 2 : 4096;
        uint32_t *v = realloc(p->digest, ncap * sizeof *v);
        if (!v)
            return false;
        p->digest = v;
        *cap = ncap;
    }
    p->digest[p->frames++] = d;
    return true;
}

/* When the capture stopped, from the pcapng interface statistics blocks
 * wiretap has read (isb_endtime, in units of the interface's resolution):
 * the latest. False when the file has none (classic pcap, or no block). */
static bool isb_end_time(wtap *wth, struct dfs_time *out)
{
    wtapng_iface_descriptions_t *idb = wtap_file_get_idb_info(wth);
    if (!idb)
        return false;
    bool found = false;
    for (guint i = 0; idb->interface_data && i < idb->interface_data->len; i++) {
        wtap_block_t ifb = g_array_index(idb->interface_data, wtap_block_t, i);
        const wtapng_if_descr_mandatory_t *m = wtap_block_get_mandatory_data(ifb);
        if (!m || !m->interface_statistics || !m->time_units_per_second)
            continue;
        guint64 units = m->time_units_per_second;
        for (guint k = 0; k < m->interface_statistics->len; k++) {
            wtap_block_t isb = g_array_index(m->interface_statistics, wtap_block_t, k);
            guint64 v;
            if (wtap_block_get_uint64_option_value(isb, OPT_ISB_ENDTIME, &v) !=
                WTAP_OPTTYPE_SUCCESS)
                continue;
            guint64 frac = v % units;
            struct dfs_time t = {
                .sec = (int64_t)(v / units),
                .nsec = units <= 1000000000u && 1000000000u % units == 0
                            ? (uint32_t)(frac * (1000000000u / units))
                            : (uint32_t)((double)frac * 1e9 / (double)units),
            };
            if (t.nsec >= 1000000000u)
                t.nsec = 999999999u;
            if (!found || dfs_time_diff_us(t, *out) > 0)
                *out = t;
            found = true;
        }
    }
    g_free(idb);
    return found;
}

/* The digest of a record as Wireshark shows it (0: not a packet). */
static uint32_t rec_digest(const wtap_rec *rec, const uint8_t *data)
{
    if (rec->rec_type != REC_TYPE_PACKET)
        return 0;
    const wtap_packet_header *ph = &rec->rec_header.packet_header;
    bool has_ts = (rec->presence_flags & WTAP_HAS_TS) != 0;
    return dfs__frame_digest(data, ph->caplen, ph->len, has_ts, (int64_t)rec->ts.secs,
                             (int32_t)rec->ts.nsecs);
}

/* Feed a USB record (others are skipped) as frame `frame`; a decoder error
 * is left in *result. A Packetry bus event (a custom block, whose time
 * wiretap does not give) takes the time of the packet before it, *last. */
static void rec_feed(dfs_decoder *dec, struct dfs__res *res, const wtap_rec *rec,
                     const uint8_t *data, uint64_t frame, int *result, struct dfs_time *last)
{
    uint8_t code;
    if (rec->rec_type == REC_TYPE_CUSTOM_BLOCK &&
        dfs__packetry_event(rec->rec_header.custom_block_header.pen, data,
                            rec->rec_header.custom_block_header.length, &code)) {
        struct dfs_record ev = {.frame = frame, .ts = *last, .linktype = DFS_RECORD_USB_EVENT,
                                .order = DFS_ORDER_HOST, .caplen = 1, .origlen = 1,
                                .data = &code};
        dfs__res_at(res, frame);
        dfs_result rc = dfs_decoder_feed(dec, &ev);
        if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
            *result = rc;
        return;
    }
    if (rec->rec_type != REC_TYPE_PACKET)
        return;
    const wtap_packet_header *ph = &rec->rec_header.packet_header;
    int lt = dfs__encap_linktype(ph->pkt_encap);
    if (!lt)
        return;
    *last = (struct dfs_time){.sec = (int64_t)rec->ts.secs, .nsec = (uint32_t)rec->ts.nsecs};
    struct dfs_record r = {
        .frame = frame,
        .ts = {.sec = (int64_t)rec->ts.secs, .nsec = (uint32_t)rec->ts.nsecs},
        .linktype = lt,
        .order = DFS_ORDER_HOST, /* wiretap swaps usbmon headers to host order */
        .caplen = ph->caplen,
        .origlen = ph->len,
        .data = data,
    };
    dfs__res_at(res, frame);
    dfs_result rc = dfs_decoder_feed(dec, &r);
    if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
        *result = rc;
}

/* A file opened through wiretap, with its first record read. */
struct reader {
    wtap *wth;
    wtap_rec rec;
    Buffer buf;
    int err;
    gchar *err_info;
};

/* Open `path` and read its first record: false when it cannot be read or
 * its first record is not `first` (NULL: any). Close it in both cases. */
static bool reader_open(struct reader *rd, const char *path, const struct dfs__first_frame *first)
{
    memset(rd, 0, sizeof *rd);
    rd->wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &rd->err, &rd->err_info, FALSE);
    g_free(rd->err_info);
    rd->err_info = NULL;
    wtap_rec_init(&rd->rec);
    ws_buffer_init(&rd->buf, 2048);
    gint64 offset;
    return rd->wth && wtap_read(rd->wth, &rd->rec, &rd->buf, &rd->err, &rd->err_info, &offset) &&
           (!first || same_as_first(&rd->rec, ws_buffer_start_ptr(&rd->buf), first));
}

static bool reader_next(struct reader *rd)
{
    gint64 offset;
    wtap_rec_reset(&rd->rec);
    return wtap_read(rd->wth, &rd->rec, &rd->buf, &rd->err, &rd->err_info, &offset);
}

static void reader_close(struct reader *rd)
{
    g_free(rd->err_info);
    wtap_rec_cleanup(&rd->rec);
    ws_buffer_free(&rd->buf);
    if (rd->wth)
        wtap_close(rd->wth);
    memset(rd, 0, sizeof *rd);
}

/* A new decoder whose sink fills `res` (cleared); false when out of memory. */
static bool decoder_start(struct dfs__res *res, dfs_decoder **dec)
{
    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink;
    dfs__res_clear(res);
    dfs__res_sink(res, &sink);
    *dec = NULL;
    if (dfs_decoder_new(&opt, &sink, dec) != DFS_OK) {
        *dec = NULL;
        return false;
    }
    dfs__res_bind(res, *dec);
    return true;
}

/* The read-ahead pass through the direct pcap reader (pcap_fast.h). */
struct fast_pass {
    dfs_decoder *dec;
    struct dfs__res *res;
    struct dfs__prepass *out;
    size_t *cap;
};

static bool fast_record(void *user, const struct dfs__fast_rec *r)
{
    struct fast_pass *f = user;
    struct dfs_record rec = {
        .frame = r->frame,
        .ts = {.sec = r->ts_sec, .nsec = (uint32_t)r->ts_nsec},
        .linktype = r->linktype,
        .order = DFS_ORDER_HOST, /* the file is in this machine's byte order */
        .caplen = r->caplen,
        .origlen = r->len,
        .data = r->data,
    };
    dfs__res_at(f->res, r->frame);
    dfs_result rc = dfs_decoder_feed(f->dec, &rec);
    if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
        f->out->decoder_result = rc;
    if (!push_digest(f->out, f->cap,
                     dfs__frame_digest(r->data, r->caplen, r->len, true, r->ts_sec, r->ts_nsec))) {
        snprintf(f->out->error, sizeof f->out->error, "out of memory at frame %llu",
                 (unsigned long long)r->frame);
        f->out->read_error = true;
        return false;
    }
    return true;
}

/* Decode a standard pcap file of usbmon records directly: true when it was
 * read (to its end, or until out of memory); false when it is to be read
 * through wiretap, with `dec` and `res` made anew. */
static bool fast_decode(const char *path, wtap *wth, dfs_decoder **dec, struct dfs__res *res,
                        struct dfs__prepass *out, size_t *cap)
{
    int subtype = wtap_file_type_subtype(wth);
    int encap = wtap_file_encap(wth);
    if ((subtype != wtap_pcap_file_type_subtype() &&
         subtype != wtap_pcap_nsec_file_type_subtype()) ||
        (encap != WTAP_ENCAP_USB_LINUX && encap != WTAP_ENCAP_USB_LINUX_MMAPPED))
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct fast_pass f = {.dec = *dec, .res = res, .out = out, .cap = cap};
    enum dfs__fast_result r = dfs__fast_pcap_read(fd, fast_record, &f);
    close(fd);
    if (r != DFS__FAST_WIRETAP)
        return true;
    /* start again through wiretap */
    dfs__res_bind(res, NULL);
    dfs_decoder_free(*dec);
    out->frames = 0;
    out->decoder_result = DFS_OK;
    if (!decoder_start(res, dec)) {
        snprintf(out->error, sizeof out->error, "out of memory");
        out->read_error = true;
        return true;
    }
    return false;
}

/* Read one file: false when it is not the capture whose frame 1 is `first`. */
static bool decode_file(const char *path, const struct dfs__first_frame *first,
                        struct dfs__res *res, struct dfs__prepass *out)
{
    struct reader rd;
    if (!reader_open(&rd, path, first)) {
        reader_close(&rd);
        return false;
    }
    dfs_decoder *dec = NULL;
    size_t cap = 0;
    if (!decoder_start(res, &dec)) {
        snprintf(out->error, sizeof out->error, "out of memory");
        out->read_error = true;
        reader_close(&rd);
        return true;
    }
    struct dfs_time last = {0, 0};
    if (!fast_decode(path, rd.wth, &dec, res, out, &cap)) {
        do {
            const uint8_t *data = ws_buffer_start_ptr(&rd.buf);
            uint64_t frame = out->frames + 1;
            rec_feed(dec, res, &rd.rec, data, frame, &out->decoder_result, &last);
            if (!push_digest(out, &cap, rec_digest(&rd.rec, data))) {
                snprintf(out->error, sizeof out->error, "out of memory at frame %llu",
                         (unsigned long long)frame);
                out->read_error = true;
                break;
            }
        } while (reader_next(&rd));
    }
    if (!dec) {
        reader_close(&rd);
        return true;
    }

    if (rd.err != 0 && !out->read_error) {
        snprintf(out->error, sizeof out->error, "%s after frame %llu%s%s",
                 wtap_strerror(rd.err), (unsigned long long)out->frames,
                 rd.err_info ? ": " : "", rd.err_info ? rd.err_info : "");
        out->read_error = true;
    }
    dfs__res_at(res, DFS__KNOWN_AT_END);
    /* the capture may have gone on after its last record */
    struct dfs_time end;
    if (isb_end_time(rd.wth, &end))
        dfs_decoder_capture_end(dec, end);
    dfs_result rc = dfs_decoder_finish(dec);
    if (rc != DFS_OK)
        out->decoder_result = rc;
    dfs__res_bind(res, NULL);
    dfs_decoder_free(dec);
    reader_close(&rd);
    return true;
}

/* The temporary file of a live capture (dumpcap writes "wireshark_*" files
 * in the temporary folder while Wireshark or tshark reads them): it is still
 * growing, so its end is not the end of the capture. */
static bool live_capture_file(const char *real)
{
    const char *base = strrchr(real, '/');
    if (!base)
        return false;
    char dir[512];
    size_t dn = (size_t)(base - real);
    if (dn >= sizeof dir)
        return false;
    memcpy(dir, real, dn);
    dir[dn] = '\0';
    const char *tmp = g_get_tmp_dir();
    return strncmp(base + 1, "wireshark_", 10) == 0 && tmp && strcmp(dir, tmp) == 0;
}

static bool same_file(const struct dfs__file_id *c, const struct dfs__file_id *p)
{
    return c->dev == p->dev && c->ino == p->ino && c->size == p->size &&
           c->mtime_sec == p->mtime_sec && c->mtime_nsec == p->mtime_nsec;
}

/* Is the file read ahead still open, unchanged, with `first` as frame 1? */
static bool still_open(const struct dfs__file_id *c, size_t n,
                       const struct dfs__first_frame *first, struct dfs__prepass *p)
{
    for (size_t i = 0; i < n; i++) {
        if (!same_file(&c[i], &p->file))
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", c[i].fd);
        struct reader rd;
        bool ok = reader_open(&rd, path, first);
        reader_close(&rd);
        if (ok) {
            p->file.fd = c[i].fd;
            return true;
        }
    }
    return false;
}

bool dfs__prepass_run(const struct dfs__first_frame *first, struct dfs__res *res,
                      struct dfs__prepass *out, bool *reused)
{
    *reused = false;
    struct dfs__file_id c[MAX_CANDIDATES];
    size_t n = list_candidates(c, MAX_CANDIDATES);
    if (out->done && still_open(c, n, first, out)) {
        *reused = true;
        return true;
    }
    dfs__prepass_clear(out);
    for (size_t i = 0; i < n; i++) {
        char path[64], real[512];
        snprintf(path, sizeof path, "/proc/self/fd/%d", c[i].fd);
        ssize_t rl = readlink(path, real, sizeof real - 1);
        if (rl <= 0)
            continue;
        real[rl] = '\0';
        if (live_capture_file(real) || !capture_magic(path))
            continue;
        if (decode_file(path, first, res, out)) {
            snprintf(out->path, sizeof out->path, "%s", real);
            out->file = c[i];
            out->done = true;
            return true;
        }
        dfs__prepass_clear(out);
    }
    return false;
}

uint64_t dfs__prepass_replay(const struct dfs__prepass *p, uint64_t upto, dfs_decoder *dec,
                             struct dfs__res *res, int *decoder_result,
                             uint64_t *error_frame)
{
    if (!p->done || upto == 0)
        return 0;
    if (upto > p->frames)
        upto = p->frames;
    /* the descriptor it was found under if it still names the same file
     * (Wireshark's own), else the file by its name */
    char path[sizeof p->path];
    struct stat st;
    if (fstat(p->file.fd, &st) == 0 && st.st_dev == p->file.dev && st.st_ino == p->file.ino)
        snprintf(path, sizeof path, "/proc/self/fd/%d", p->file.fd);
    else
        snprintf(path, sizeof path, "%s", p->path);
    struct reader rd;
    uint64_t fed = 0;
    struct dfs_time last = {0, 0};
    if (reader_open(&rd, path, NULL)) {
        do {
            const uint8_t *data = ws_buffer_start_ptr(&rd.buf);
            if (rec_digest(&rd.rec, data) != p->digest[fed])
                break;
            int rc = DFS_OK;
            rec_feed(dec, res, &rd.rec, data, fed + 1, &rc, &last);
            fed++;
            if (rc != DFS_OK) {
                *decoder_result = rc;
                *error_frame = fed;
                break;
            }
        } while (fed < upto && reader_next(&rd));
    }
    reader_close(&rd);
    return fed;
}
