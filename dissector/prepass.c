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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wiretap/wtap.h>
#include <wsutil/buffer.h>

#define MAX_CANDIDATES 64

int dfs__encap_linktype(int encap)
{
    switch (encap) {
    case WTAP_ENCAP_USB_LINUX: return DFS_LINKTYPE_USB_LINUX;
    case WTAP_ENCAP_USB_LINUX_MMAPPED: return DFS_LINKTYPE_USB_LINUX_MMAPPED;
    case WTAP_ENCAP_USBPCAP: return DFS_LINKTYPE_USBPCAP;
    case WTAP_ENCAP_USB_DARWIN: return DFS_LINKTYPE_USB_DARWIN;
    default: return 0;
    }
}

uint32_t dfs__frame_digest(const uint8_t *data, uint32_t caplen, uint32_t len, bool has_ts,
                           int64_t ts_sec, int32_t ts_nsec)
{
    /* Every frame is digested twice (here and when shown): 8 bytes per step,
     * each word multiplied into the state (a multiply-xorshift mix), then
     * folded to 32 bits. Not cryptographic: it tells a changed file. */
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = 0xcbf29ce484222325ull ^ ((uint64_t)caplen << 32 | len);
    h = (h ^ (has_ts ? (uint64_t)ts_sec : 0)) * k;
    h = (h ^ (has_ts ? (uint32_t)ts_nsec : 0) ^ (has_ts ? 1ull << 40 : 0)) * k;
    uint32_t i = 0;
    for (; i + 8 <= caplen; i += 8) {
        uint64_t w;
        memcpy(&w, data + i, 8);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t tail = 0;
    for (uint32_t j = 0; i < caplen; i++, j++)
        tail |= (uint64_t)data[i] << (8 * j);
    h = (h ^ tail ^ ((uint64_t)(caplen & 7) << 56)) * k;
    h ^= h >> 32;
    return (uint32_t)h;
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

struct candidate {
    int fd;
    dev_t dev;
    ino_t ino;
};

static size_t list_candidates(struct candidate *c, size_t max)
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

/* Read one file: false when it is not the capture whose frame 1 is `first`. */
static bool decode_file(const char *path, const struct dfs__first_frame *first,
                        struct dfs__res *res, struct dfs__prepass *out)
{
    int err = 0;
    gchar *err_info = NULL;
    wtap *wth = wtap_open_offline(path, WTAP_TYPE_AUTO, &err, &err_info, FALSE);
    g_free(err_info);
    err_info = NULL;
    if (!wth)
        return false;

    wtap_rec rec;
    Buffer buf;
    wtap_rec_init(&rec);
    ws_buffer_init(&buf, 2048);
    gint64 offset;
    bool ours = false;
    dfs_decoder *dec = NULL;
    size_t cap = 0;

    if (!wtap_read(wth, &rec, &buf, &err, &err_info, &offset) ||
        !same_as_first(&rec, ws_buffer_start_ptr(&buf), first))
        goto done;
    ours = true;

    struct dfs_options opt;
    dfs_options_init(&opt);
    struct dfs_sink sink;
    dfs__res_clear(res);
    dfs__res_sink(res, &sink);
    if (dfs_decoder_new(&opt, &sink, &dec) != DFS_OK) {
        snprintf(out->error, sizeof out->error, "out of memory");
        out->read_error = true;
        goto done;
    }
    dfs__res_bind(res, dec);
    do {
        const uint8_t *data = ws_buffer_start_ptr(&buf);
        uint64_t frame = out->frames + 1;
        uint32_t digest = 0;
        if (rec.rec_type == REC_TYPE_PACKET) {
            const wtap_packet_header *ph = &rec.rec_header.packet_header;
            bool has_ts = (rec.presence_flags & WTAP_HAS_TS) != 0;
            digest = dfs__frame_digest(data, ph->caplen, ph->len, has_ts, (int64_t)rec.ts.secs,
                                       (int32_t)rec.ts.nsecs);
            int lt = dfs__encap_linktype(ph->pkt_encap);
            if (lt) {
                struct dfs_record r = {
                    .frame = frame,
                    .ts = {.sec = (int64_t)rec.ts.secs, .nsec = (uint32_t)rec.ts.nsecs},
                    .linktype = lt,
                    .order = DFS_ORDER_HOST, /* wiretap swaps usbmon headers to host order */
                    .caplen = ph->caplen,
                    .origlen = ph->len,
                    .data = data,
                };
                dfs__res_at(res, frame);
                dfs_result rc = dfs_decoder_feed(dec, &r);
                if (rc != DFS_OK && rc != DFS_E_LINKTYPE)
                    out->decoder_result = rc;
            }
        }
        if (!push_digest(out, &cap, digest)) {
            snprintf(out->error, sizeof out->error, "out of memory at frame %llu",
                     (unsigned long long)frame);
            out->read_error = true;
            break;
        }
        wtap_rec_reset(&rec);
    } while (wtap_read(wth, &rec, &buf, &err, &err_info, &offset));

    if (err != 0 && !out->read_error) {
        snprintf(out->error, sizeof out->error, "%s after frame %llu%s%s",
                 wtap_strerror(err), (unsigned long long)out->frames, err_info ? ": " : "",
                 err_info ? err_info : "");
        out->read_error = true;
    }
    dfs__res_at(res, DFS__KNOWN_AT_END);
    /* the capture may have gone on after its last record */
    struct dfs_time end;
    if (isb_end_time(wth, &end))
        dfs_decoder_capture_end(dec, end);
    dfs_result rc = dfs_decoder_finish(dec);
    if (rc != DFS_OK)
        out->decoder_result = rc;

done:
    g_free(err_info);
    if (dec) {
        dfs__res_bind(res, NULL);
        dfs_decoder_free(dec);
    }
    wtap_rec_cleanup(&rec);
    ws_buffer_free(&buf);
    wtap_close(wth);
    return ours;
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

bool dfs__prepass_run(const struct dfs__first_frame *first, struct dfs__res *res,
                      struct dfs__prepass *out)
{
    dfs__prepass_clear(out);
    struct candidate c[MAX_CANDIDATES];
    size_t n = list_candidates(c, MAX_CANDIDATES);
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
            out->done = true;
            return true;
        }
        dfs__prepass_clear(out);
    }
    return false;
}
