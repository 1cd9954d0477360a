/* Fuzz target: the capture file reader (capture/reader.c: pcap and pcapng,
 * either byte order, resynchronisation after damage) and, behind it, the
 * decoder, the way `dfuscope decode` uses them.
 *
 * Input: a capture file, as is (so a crash input can be handed straight to
 * dfuscope). It is read twice through fmemopen over an exact-size copy:
 * with the default options, then in follow mode with a 4 KiB record limit.
 *
 * Properties checked: open and next return only the documented codes, with
 * a message naming the file when they fail; records come in increasing
 * frame order, never larger than the limit, and the reader always ends;
 * the decoder accepts every record and nothing leaks.
 */
#include "fuzz.h"

#include "dfuscope/capture.h"

#define NAME "fuzz.pcap"

struct warn_ctx {
    unsigned long count;
};

static void on_warn(void *user, uint64_t frame, const char *msg)
{
    struct warn_ctx *w = user;
    (void)frame;
    FUZZ_CHECK(msg && msg[0] && strlen(msg) < 1024);
    w->count++;
}

static int on_finding(void *user, const struct dfs_finding *f)
{
    (void)user;
    FUZZ_CHECK(fuzz_terminated(f->explanation, sizeof f->explanation));
    return 0;
}

static void read_all(const uint8_t *data, size_t size, bool follow, uint32_t max_record)
{
    uint8_t *copy = fuzz_dup(data, size);
    FILE *fp = fmemopen(copy, size, "rb");
    if (!fp) {
        free(copy);
        return;
    }
    struct warn_ctx w = {0};
    struct dfs_capreader_options opt = {.max_record = max_record, .follow = follow,
                                        .warn = on_warn, .warn_user = &w};
    dfs_capreader *r = NULL;
    char err[300];
    err[0] = '\0';
    dfs_result res = dfs_capreader_open_stream(fp, NAME, &opt, &r, err, sizeof err);
    if (res != DFS_OK) {
        FUZZ_CHECK(res == DFS_E_FORMAT || res == DFS_E_IO);
        FUZZ_CHECK(fuzz_terminated(err, sizeof err) && strncmp(err, NAME ": ", 11) == 0);
        fclose(fp);
        free(copy);
        return;
    }

    struct fuzz_alloc fa = {0};
    struct dfs_allocator al = fuzz_allocator(&fa);
    struct dfs_options dopt;
    dfs_options_init(&dopt);
    dopt.alloc = &al;
    struct dfs_sink sink = {.on_finding = on_finding};
    dfs_decoder *d = NULL;
    FUZZ_CHECK(dfs_decoder_new(&dopt, &sink, &d) == DFS_OK);

    uint64_t last_frame = 0, records = 0;
    unsigned long sum = 0;
    enum dfs_capnext n;
    for (;;) {
        struct dfs_record rec;
        n = dfs_capreader_next(r, &rec);
        if (n != DFS_CAP_RECORD)
            break;
        FUZZ_CHECK(rec.frame > last_frame);
        last_frame = rec.frame;
        FUZZ_CHECK(rec.caplen <= (max_record ? max_record : 16u << 20));
        FUZZ_CHECK(!rec.caplen || rec.data);
        for (uint32_t i = 0; i < rec.caplen; i++)
            sum += rec.data[i];
        FUZZ_CHECK(++records <= size); /* every record consumes input */
        dfs_result fr = dfs_decoder_feed(d, &rec);
        FUZZ_CHECK(fr == DFS_OK || fr == DFS_E_LINKTYPE);
    }
    if (n == DFS_CAP_ERROR) {
        const char *msg = dfs_capreader_error(r);
        FUZZ_CHECK(msg && strncmp(msg, NAME ": ", 11) == 0);
        struct dfs_record rec;
        FUZZ_CHECK(dfs_capreader_next(r, &rec) == DFS_CAP_ERROR);
    } else if (n == DFS_CAP_EOF) {
        struct dfs_record rec;
        FUZZ_CHECK(dfs_capreader_next(r, &rec) == DFS_CAP_EOF);
    } else {
        FUZZ_CHECK(n == DFS_CAP_AGAIN && follow);
    }
    FUZZ_CHECK(dfs_decoder_finish(d) == DFS_OK);
    dfs_decoder_free(d);
    FUZZ_CHECK(fa.live == 0);
    (void)dfs_capreader_damaged(r);
    (void)dfs_capreader_skipped_bytes(r);
    (void)dfs_capreader_linktype(r);
    dfs_capreader_close(r);
    fclose(fp);
    free(copy);
    (void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0; /* fmemopen refuses an empty buffer; tests/malformed covers it */
    read_all(data, size, false, 0);
    read_all(data, size, true, 4096);
    return 0;
}
