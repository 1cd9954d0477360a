/* Fuzz target: the Wireshark plugin's direct reader of classic usbmon pcap
 * files (dissector/pcap_fast.c), plain C, without Wireshark.
 *
 * Input: a capture file, as is. It is put in an in-memory file (memfd;
 * elsewhere a temporary file) and read with dfs__fast_pcap_read, as the
 * plugin reads the file Wireshark opened.
 *
 * Properties checked: the reader returns one of its three results; a file
 * whose header it does not take (dfs__fast_pcap_header) goes back to
 * wiretap before any record; every record it gives is numbered from 1 in
 * order, has caplen bytes that are exactly the file's bytes after its
 * 16-byte header (read in full here, so a record past the reader's buffer
 * is an AddressSanitizer report), the link type of the file, and agrees
 * with dfuscope's own capture reader (capture/reader.c, through fmemopen)
 * on the same record: frame, captured and original length, data, seconds,
 * and the nanoseconds when the fraction is in range (the two readers part
 * there on purpose: the plugin computes what wiretap does, the capture
 * reader reports the damage); when it read the file to its end
 * (DFS__FAST_DONE), the capture reader has no further record and no
 * error; a callback that says stop ends the reading there
 * (DFS__FAST_STOPPED).
 */
#ifdef __linux__
#define _GNU_SOURCE /* memfd_create */
#include <sys/mman.h>
#endif
#include <unistd.h>

#include "fuzz.h"
#include "pcap_fast.h"

#include "dfuscope/capture.h"

#define NAME "fuzz.pcap"

struct fast_ctx {
    const uint8_t *file;
    size_t size, off; /* where the next record header is in the file */
    dfs_capreader *cap;
    bool nsec;
    int linktype;
    uint64_t records, stop_at; /* stop_at: return false at this record (0 never) */
};

static uint32_t host32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static bool on_record(void *user, const struct dfs__fast_rec *r)
{
    struct fast_ctx *c = user;
    c->records++;
    FUZZ_CHECK(r->frame == c->records);
    FUZZ_CHECK(r->linktype == c->linktype);
    FUZZ_CHECK(c->off + 16 <= c->size && r->caplen <= c->size - c->off - 16);
    const uint8_t *h = c->file + c->off;
    FUZZ_CHECK(r->caplen == host32(h + 8) && r->len == host32(h + 12));
    FUZZ_CHECK(r->ts_sec == (int64_t)host32(h));
    FUZZ_CHECK(r->caplen == 0 || memcmp(r->data, h + 16, r->caplen) == 0);
    c->off += 16 + (size_t)r->caplen;
    if (c->cap) {
        struct dfs_record rec;
        FUZZ_CHECK(dfs_capreader_next(c->cap, &rec) == DFS_CAP_RECORD);
        FUZZ_CHECK(rec.frame == r->frame && rec.caplen == r->caplen && rec.origlen == r->len);
        FUZZ_CHECK(rec.linktype == r->linktype && rec.ts.sec == r->ts_sec);
        uint32_t frac = host32(h + 4);
        if (frac < (c->nsec ? 1000000000u : 1000000u))
            FUZZ_CHECK((int64_t)rec.ts.nsec == (int64_t)r->ts_nsec);
        FUZZ_CHECK(memcmp(rec.data, r->data, r->caplen) == 0);
    }
    return r->frame != c->stop_at;
}

static void on_warn(void *user, uint64_t frame, const char *msg)
{
    (void)user;
    (void)frame;
    FUZZ_CHECK(msg && msg[0]);
}

/* The input as a file the reader can pread, or -1. */
static int file_of(const uint8_t *data, size_t size)
{
    int fd = -1;
#ifdef __linux__
    fd = memfd_create("fuzz-pcap", 0);
#endif
    if (fd < 0) {
        FILE *t = tmpfile();
        if (!t)
            return -1;
        fd = dup(fileno(t));
        fclose(t);
        if (fd < 0)
            return -1;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n <= 0) {
            close(fd);
            return -1;
        }
        done += (size_t)n;
    }
    return fd;
}

static enum dfs__fast_result read_fast(int fd, struct fast_ctx *c, FILE **fp, uint8_t *copy)
{
    c->off = 24;
    c->records = 0;
    c->cap = NULL;
    *fp = copy ? fmemopen(copy, c->size, "rb") : NULL;
    if (*fp) {
        struct dfs_capreader_options opt = {.warn = on_warn};
        char err[300];
        if (dfs_capreader_open_stream(*fp, NAME, &opt, &c->cap, err, sizeof err) != DFS_OK)
            c->cap = NULL;
    }
    enum dfs__fast_result res = dfs__fast_pcap_read(fd, on_record, c);
    FUZZ_CHECK(res == DFS__FAST_DONE || res == DFS__FAST_WIRETAP || res == DFS__FAST_STOPPED);
    return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = fuzz_dup(data, size);
    int fd = file_of(data, size);
    if (fd < 0)
        abort();
    struct fast_ctx c = {.file = copy, .size = size};
    bool taken = dfs__fast_pcap_header(copy, (uint32_t)(size < 24 ? size : 24), &c.nsec,
                                       &c.linktype);
    FILE *fp = NULL;
    enum dfs__fast_result res = read_fast(fd, &c, &fp, copy);
    if (!taken) {
        FUZZ_CHECK(res == DFS__FAST_WIRETAP && c.records == 0);
    } else {
        /* a file the direct reader takes is one the capture reader opens */
        FUZZ_CHECK(c.cap != NULL);
        FUZZ_CHECK(res != DFS__FAST_STOPPED);
        if (res == DFS__FAST_DONE) {
            struct dfs_record rec;
            FUZZ_CHECK(c.off == size);
            FUZZ_CHECK(dfs_capreader_next(c.cap, &rec) == DFS_CAP_EOF);
        }
    }
    dfs_capreader_close(c.cap);
    if (fp)
        fclose(fp);
    /* stopped half way: nothing after the record that said stop */
    if (taken && c.records) {
        uint64_t given = c.records;
        c.stop_at = given / 2 + 1;
        res = read_fast(fd, &c, &fp, NULL);
        FUZZ_CHECK(res == DFS__FAST_STOPPED && c.records == given / 2 + 1);
    }
    close(fd);
    free(copy);
    return 0;
}
