/* Split invariance: the same capture, delivered differently, gives the
 * same decoder events, over every reference capture.
 *   - re-chunked: the file reaches the reader a few bytes at a time (follow
 *     mode over a stream that runs dry at every chunk boundary, as a file
 *     still being written does), for several chunk sizes;
 *   - byte-swapped: every usbmon header re-encoded in the other byte order;
 *   - converted between link types 189 and 220 (48- and 64-byte headers);
 *   - both, written out with the capture writer (pcap and pcapng) and read
 *     back.
 * Events are compared as text (evlog.h, portable mode: the fields only the
 * 64-byte header has are left out, as a 48-byte header cannot carry them). */
#define _GNU_SOURCE /* fopencookie */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "capload.h"
#include "evlog.h"
#include "internal.h"

static const char *const captures[] = {
    "real/stm32_dfu_install.pcap", "real/nuttx-adb.pcapng",  "real/umockdev-usbkbd.pcapng",
    "real/usbmon-tools-test1.pcap", "real/usbrevue-handset.pcap", "real/usbrevue-mouse.pcap",
};

static char *data_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("DFS_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", root ? root : "tests/data", rel);
    return buf;
}

/* ---- decoding a record list ------------------------------------------------ */

static void decode_records(const struct dfs_record *recs, size_t n, struct evlog *log)
{
    struct dfs_sink sink = evlog_sink(log);
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(NULL, &sink, &d), DFS_OK);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(dfs_decoder_feed(d, &recs[i]), DFS_OK);
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    dfs_decoder_free(d);
}

static void expect_same(const char *what, const char *capture, const struct evlog *ref,
                        const struct evlog *got)
{
    unsigned long line = evlog_first_diff(ref->buf, got->buf ? got->buf : "");
    if (!line)
        return;
    /* show the two differing lines */
    const char *a = ref->buf, *b = got->buf ? got->buf : "";
    for (unsigned long i = 1; i < line; i++) {
        a = strchr(a, '\n') + 1;
        b = strchr(b, '\n') + 1;
    }
    fail_msg("%s, %s: event %lu differs\n  expected: %.*s\n  got:      %.*s", capture, what,
             line, (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

static void baseline(const char *capture, struct capload *cap, struct evlog *ref)
{
    assert_int_equal(capload_read(capture, cap), 0);
    assert_true(cap->n > 0);
    assert_int_equal(cap->damaged, 0);
    ref->portable = true;
    decode_records(cap->recs, cap->n, ref);
    assert_true(ref->lines >= cap->n); /* at least one event per record */
}

/* ---- re-chunked ------------------------------------------------------------------ */

struct dribble {
    const uint8_t *data;
    size_t size, pos, limit; /* bytes up to limit are "written" so far */
};

static ssize_t dribble_read(void *cookie, char *buf, size_t n)
{
    struct dribble *s = cookie;
    size_t avail = s->limit - s->pos;
    if (n > avail)
        n = avail;
    memcpy(buf, s->data + s->pos, n);
    s->pos += n;
    return (ssize_t)n;
}

static uint8_t *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    uint8_t *p = malloc((size_t)n);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return p;
}

/* Read the file through the reader in follow mode, `chunk` more bytes
 * becoming available each time the reader says DFS_CAP_AGAIN (chunk 0:
 * a pseudo-random size from 1 to 300 each time). */
static void read_chunked(const uint8_t *file, size_t size, size_t chunk, struct evlog *log)
{
    struct dribble s = {.data = file, .size = size};
    uint32_t rnd = 12345;
#define NEXT_CHUNK() (chunk ? chunk : (size_t)((rnd = rnd * 1103515245u + 12345u) >> 16) % 300 + 1)
    s.limit = NEXT_CHUNK();
    if (s.limit < 24)
        s.limit = 24; /* the reader needs the file header to open */
    if (s.limit > size)
        s.limit = size;
    size_t first = s.limit;
    cookie_io_functions_t io = {.read = dribble_read};
    FILE *fp = fopencookie(&s, "rb", io);
    assert_non_null(fp);
    setvbuf(fp, NULL, _IONBF, 0); /* no read-ahead past what the reader asks */
    struct dfs_capreader_options opt = {.follow = true};
    dfs_capreader *r;
    char err[600];
    assert_int_equal(dfs_capreader_open_stream(fp, "chunked", &opt, &r, err, sizeof err),
                     DFS_OK);
    struct dfs_sink sink = evlog_sink(log);
    dfs_decoder *d;
    assert_int_equal(dfs_decoder_new(NULL, &sink, &d), DFS_OK);
    unsigned long agains = 0;
    for (;;) {
        struct dfs_record rec;
        enum dfs_capnext n = dfs_capreader_next(r, &rec);
        if (n == DFS_CAP_AGAIN) {
            if (s.limit == size)
                break; /* all written and all read */
            agains++;
            s.limit += NEXT_CHUNK();
            if (s.limit > size)
                s.limit = size;
            continue;
        }
        assert_int_equal(n, DFS_CAP_RECORD);
        assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
    }
#undef NEXT_CHUNK
    assert_int_equal(dfs_capreader_damaged(r), 0);
    assert_int_equal(dfs_decoder_finish(d), DFS_OK);
    dfs_decoder_free(d);
    dfs_capreader_close(r);
    fclose(fp);
    assert_true(agains > 0 || first == size); /* the reader did wait for data */
}

static void rechunked(void **state)
{
    const char *capture = *state;
    struct capload cap;
    struct evlog ref = {0}, got = {.portable = true};
    baseline(capture, &cap, &ref);
    size_t size;
    uint8_t *file = slurp(data_path(capture), &size);
    static const size_t chunks[] = {1, 7, 16, 63, 1000, 65537, 0};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        if (chunks[i] == 1 && size > 100000)
            continue; /* one byte at a time is slow on the big files; 7 covers them */
        evlog_clear(&got);
        read_chunked(file, size, chunks[i], &got);
        char what[64];
        snprintf(what, sizeof what, "read in chunks of %zu bytes", chunks[i]);
        expect_same(chunks[i] ? what : "read in chunks of random sizes", capture, &ref, &got);
    }
    free(file);
    evlog_free(&got);
    evlog_free(&ref);
    capload_free(&cap);
}

/* ---- re-encoded ------------------------------------------------------------------- */

static enum dfs_byte_order other_order(enum dfs_byte_order o)
{
    if (o == DFS_ORDER_HOST) {
        const uint16_t one = 1;
        uint8_t b;
        memcpy(&b, &one, 1);
        o = b ? DFS_ORDER_LITTLE : DFS_ORDER_BIG;
    }
    return o == DFS_ORDER_LITTLE ? DFS_ORDER_BIG : DFS_ORDER_LITTLE;
}

static int other_linktype(int lt)
{
    return lt == DFS_LINKTYPE_USB_LINUX ? DFS_LINKTYPE_USB_LINUX_MMAPPED
                                        : DFS_LINKTYPE_USB_LINUX;
}

/* Copy of the records with every usbmon header re-encoded (swap: in the
 * other byte order; convert: as the other link type). Records that do
 * not parse cleanly are kept as they are. */
static struct dfs_record *reencode(const struct capload *cap, bool swap, bool convert,
                                   bool host_order, size_t *converted)
{
    struct dfs_record *out = calloc(cap->n, sizeof *out);
    assert_non_null(out);
    *converted = 0;
    for (size_t i = 0; i < cap->n; i++) {
        const struct dfs_record *in = &cap->recs[i];
        out[i] = *in;
        struct dfs_urb u;
        char msg[200];
        uint8_t *copy;
        if (dfs__usbmon_parse(in->data, in->caplen, in->linktype, in->order, &u, msg,
                              sizeof msg) == DFS__PARSE_OK) {
            int lt = convert ? other_linktype(in->linktype) : in->linktype;
            enum dfs_byte_order order = host_order ? DFS_ORDER_HOST
                                        : swap     ? other_order(in->order)
                                                   : in->order;
            size_t size = DFS_USBMON_MMAPPED_HDR_LEN + (size_t)u.ndesc * 16 + u.data_len;
            copy = malloc(size);
            assert_non_null(copy);
            size_t n = dfs_usbmon_encode(&u, lt, order, copy, size);
            assert_true(n > 0);
            out[i].caplen = (uint32_t)n;
            out[i].origlen = (uint32_t)n + (in->origlen - in->caplen);
            out[i].linktype = lt;
            out[i].order = order;
            (*converted)++;
        } else {
            copy = malloc(in->caplen ? in->caplen : 1);
            assert_non_null(copy);
            memcpy(copy, in->data, in->caplen);
        }
        out[i].data = copy;
    }
    return out;
}

static void free_records(struct dfs_record *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)r[i].data);
    free(r);
}

static void reencoded(void **state)
{
    const char *capture = *state;
    struct capload cap;
    struct evlog ref = {0}, got = {.portable = true};
    baseline(capture, &cap, &ref);
    static const struct {
        const char *what;
        bool swap, convert;
    } variants[] = {
        {"byte-swapped", true, false},
        {"converted to the other link type", false, true},
        {"byte-swapped and converted", true, true},
    };
    for (size_t v = 0; v < sizeof variants / sizeof variants[0]; v++) {
        size_t converted;
        struct dfs_record *recs =
            reencode(&cap, variants[v].swap, variants[v].convert, false, &converted);
        assert_int_equal(converted, cap.n); /* real captures: every record */
        evlog_clear(&got);
        decode_records(recs, cap.n, &got);
        expect_same(variants[v].what, capture, &ref, &got);
        free_records(recs, cap.n);
    }
    evlog_free(&got);
    evlog_free(&ref);
    capload_free(&cap);
}

/* converted, written with the capture writer, read back */
static void written_and_read_back(void **state)
{
    const char *capture = *state;
    struct capload cap;
    struct evlog ref = {0}, got = {.portable = true};
    baseline(capture, &cap, &ref);
    size_t converted;
    struct dfs_record *recs = reencode(&cap, false, true, true, &converted);
    int lt = recs[0].linktype;
    for (int fmt = DFS_CAPFMT_PCAP; fmt <= DFS_CAPFMT_PCAPNG; fmt++) {
        FILE *fp = tmpfile();
        assert_non_null(fp);
        dfs_capwriter *w;
        assert_int_equal(dfs_capwriter_open_stream(fp, (enum dfs_capformat)fmt, lt, &w), DFS_OK);
        for (size_t i = 0; i < cap.n; i++)
            assert_int_equal(dfs_capwriter_write(w, recs[i].ts, recs[i].data, recs[i].caplen,
                                                 recs[i].origlen),
                             DFS_OK);
        assert_int_equal(dfs_capwriter_close(w), DFS_OK);
        rewind(fp);
        dfs_capreader *r;
        char err[600];
        assert_int_equal(dfs_capreader_open_stream(fp, "written", NULL, &r, err, sizeof err),
                         DFS_OK);
        struct dfs_sink sink = evlog_sink(&got);
        evlog_clear(&got);
        dfs_decoder *d;
        assert_int_equal(dfs_decoder_new(NULL, &sink, &d), DFS_OK);
        struct dfs_record rec;
        size_t n = 0;
        while (dfs_capreader_next(r, &rec) == DFS_CAP_RECORD) {
            assert_int_equal(dfs_decoder_feed(d, &rec), DFS_OK);
            n++;
        }
        assert_int_equal(n, cap.n);
        assert_int_equal(dfs_capreader_damaged(r), 0);
        assert_int_equal(dfs_decoder_finish(d), DFS_OK);
        dfs_decoder_free(d);
        dfs_capreader_close(r);
        fclose(fp);
        expect_same(fmt == DFS_CAPFMT_PCAP ? "converted, written as pcap and read back"
                                           : "converted, written as pcapng and read back",
                    capture, &ref, &got);
    }
    free_records(recs, cap.n);
    evlog_free(&got);
    evlog_free(&ref);
    capload_free(&cap);
}

int main(void)
{
    enum { NCAP = sizeof captures / sizeof captures[0] };
    static char names[NCAP][3][96];
    struct CMUnitTest tests[3 * NCAP];
    size_t n = 0;
    for (size_t i = 0; i < NCAP; i++) {
        snprintf(names[i][0], sizeof names[i][0], "rechunked %s", captures[i]);
        snprintf(names[i][1], sizeof names[i][1], "reencoded %s", captures[i]);
        snprintf(names[i][2], sizeof names[i][2], "written_and_read_back %s", captures[i]);
        tests[n++] = (struct CMUnitTest){names[i][0], rechunked, NULL, NULL, (void *)captures[i]};
        tests[n++] = (struct CMUnitTest){names[i][1], reencoded, NULL, NULL, (void *)captures[i]};
        tests[n++] = (struct CMUnitTest){names[i][2], written_and_read_back, NULL, NULL,
                                         (void *)captures[i]};
    }
    return _cmocka_run_group_tests("test_split", tests, n, NULL, NULL);
}
