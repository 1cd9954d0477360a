/* Builds the seed corpora of the fuzz targets from real captures:
 *   make_seeds OUTDIR CAPTURE...
 * writes OUTDIR/decoder/seed-NAME-*     windows of records in the decoder
 *                                       target's input format (fuzz_decoder.c)
 *        OUTDIR/descriptors/seed-NAME-* every distinct descriptor a device
 *                                       returned to GET_DESCRIPTOR
 *        OUTDIR/capture/seed-NAME       the capture file, cut to 64 KiB
 *        OUTDIR/follow/seed-NAME-*      the first window, following the
 *                                       first device identified
 * Run by fuzz/make_seeds.sh; the output is committed under fuzz/corpus/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dfuscope/capture.h"
#include "dfuscope/dfuscope.h"

#define WINDOW 48       /* records per decoder seed */
#define MAX_WINDOWS 6   /* decoder seeds per capture */
#define CAPTURE_HEAD (64u << 10)

struct rec {
    uint8_t *data;
    uint32_t caplen, origlen;
    struct dfs_time ts;
    int linktype;
    enum dfs_byte_order order;
};

static int write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
        fprintf(stderr, "%s: cannot write: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static const char *base_name(const char *path, char *out, size_t size)
{
    const char *s = strrchr(path, '/');
    s = s ? s + 1 : path;
    snprintf(out, size, "%s", s);
    char *dot = strchr(out, '.');
    if (dot)
        *dot = '\0';
    return out;
}

/* ---- decoder seeds ----------------------------------------------------------- */

struct buf {
    uint8_t *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np)
            exit(1);
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* The follow target (fuzz_follow.c) takes 6 more bytes naming the device. */
struct follow_hdr {
    bool on;
    uint8_t b[6];
};

static int window_seed(const char *path, const struct rec *r, size_t n, uint8_t mode,
                       uint8_t arg, const struct follow_hdr *fh)
{
    struct buf b = {0};
    if (r[0].linktype == DFS_LINKTYPE_USB_LINUX_MMAPPED)
        mode |= 0x01;
    mode |= r[0].order == DFS_ORDER_BIG ? 0x04 : 0x02;
    put(&b, &mode, 1);
    put(&b, &arg, 1);
    if (fh && fh->on)
        put(&b, fh->b, sizeof fh->b);
    for (size_t i = 0; i < n; i++) {
        uint32_t len = r[i].caplen > 0xffff ? 0xffff : r[i].caplen;
        int64_t dt_us = i ? dfs_time_diff_us(r[i].ts, r[i - 1].ts) : 0;
        uint8_t hdr[4] = {(uint8_t)len, (uint8_t)(len >> 8), 0, 0};
        if (dt_us < 0)
            dt_us = 0;
        if (dt_us < 256000) {
            hdr[2] = (uint8_t)(dt_us / 1000);
        } else {
            hdr[2] = (uint8_t)(dt_us / 1000000 > 255 ? 255 : dt_us / 1000000);
            hdr[3] |= 0x04;
        }
        if (r[i].origlen > r[i].caplen)
            hdr[3] |= 0x02;
        if (r[i].linktype != r[0].linktype)
            hdr[3] |= 0x01;
        put(&b, hdr, 4);
        put(&b, r[i].data, len);
    }
    int rc = write_file(path, b.p, b.n);
    free(b.p);
    return rc;
}

/* ---- descriptor seeds --------------------------------------------------------- */

struct desc_ctx {
    const char *dir, *name;
    uint64_t seen[512];
    size_t n_seen;
    int rc;
    struct follow_hdr follow; /* the first device identified */
};

static int on_device(void *user, const struct dfs_device_event *ev)
{
    struct desc_ctx *x = user;
    if (ev->change != DFS_DEV_IDENTIFIED || x->follow.on)
        return 0;
    x->follow.on = true;
    x->follow.b[0] = (uint8_t)(0x03 | (ev->bus << 4)); /* by address and by VID:PID */
    x->follow.b[1] = ev->devnum;
    x->follow.b[2] = (uint8_t)ev->vid;
    x->follow.b[3] = (uint8_t)(ev->vid >> 8);
    x->follow.b[4] = (uint8_t)ev->pid;
    x->follow.b[5] = (uint8_t)(ev->pid >> 8);
    return 0;
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

static int on_control(void *user, const struct dfs_control *c)
{
    struct desc_ctx *x = user;
    if (!c->has_setup || c->setup.bmRequestType != 0x80 ||
        c->setup.bRequest != DFS_REQ_GET_DESCRIPTOR || c->end != DFS_CTL_COMPLETED ||
        c->status != 0 || c->data_len < 2)
        return 0;
    uint64_t h = fnv1a(c->data, c->data_len);
    for (size_t i = 0; i < x->n_seen; i++)
        if (x->seen[i] == h)
            return 0;
    if (x->n_seen == sizeof x->seen / sizeof x->seen[0])
        return 0;
    x->seen[x->n_seen++] = h;
    const char *type = dfs_desc_type_name((uint8_t)(c->setup.wValue >> 8));
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%s-%s-%08llx", x->dir, x->name,
             type ? type : "other", (unsigned long long)(h & 0xffffffffu));
    for (char *p = path + strlen(x->dir); *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    if (write_file(path, c->data, c->data_len))
        x->rc = 1;
    return 0;
}

/* ---- per capture ---------------------------------------------------------------- */

static int one_capture(const char *out, const char *capture)
{
    char name[256], path[4096];
    base_name(capture, name, sizeof name);

    /* capture target: the file itself, cut to CAPTURE_HEAD */
    FILE *f = fopen(capture, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", capture, strerror(errno));
        return 1;
    }
    uint8_t *head = malloc(CAPTURE_HEAD);
    size_t got = head ? fread(head, 1, CAPTURE_HEAD, f) : 0;
    fclose(f);
    snprintf(path, sizeof path, "%s/capture/seed-%s", out, name);
    if (!head || write_file(path, head, got)) {
        free(head);
        return 1;
    }
    free(head);

    /* records */
    char err[600];
    dfs_capreader *r;
    if (dfs_capreader_open(capture, NULL, &r, err, sizeof err) != DFS_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    struct rec *recs = NULL;
    size_t n = 0, cap = 0;
    struct dfs_record rec;
    while (dfs_capreader_next(r, &rec) == DFS_CAP_RECORD) {
        if (n == cap) {
            struct rec *nr = realloc(recs, (cap = cap ? cap * 2 : 256) * sizeof *nr);
            if (!nr)
                return 1;
            recs = nr;
        }
        recs[n] = (struct rec){.caplen = rec.caplen, .origlen = rec.origlen, .ts = rec.ts,
                               .linktype = rec.linktype, .order = rec.order};
        recs[n].data = malloc(rec.caplen ? rec.caplen : 1);
        if (!recs[n].data)
            return 1;
        memcpy(recs[n].data, rec.data, rec.caplen);
        n++;
    }
    dfs_capreader_close(r);
    int rc = 0;
    if (n) {
        size_t windows = (n + WINDOW - 1) / WINDOW;
        if (windows > MAX_WINDOWS)
            windows = MAX_WINDOWS;
        size_t w = n < WINDOW ? n : WINDOW;
        for (size_t i = 0; i < windows && !rc; i++) {
            size_t start = windows > 1 ? i * (n - w) / (windows - 1) : 0;
            snprintf(path, sizeof path, "%s/decoder/seed-%s-%zu", out, name, start + 1);
            rc = window_seed(path, recs + start, w, 0, 0, NULL);
        }
        /* the first window again with the option bits set */
        static const struct { const char *what; uint8_t mode, arg; } variants[] = {
            {"small-limits", 0x08, 0x09}, {"oom", 0x10, 7}, {"stop", 0x20, 40},
            {"reset", 0x40, 0},
        };
        for (size_t i = 0; i < sizeof variants / sizeof variants[0] && !rc; i++) {
            snprintf(path, sizeof path, "%s/decoder/seed-%s-1-%s", out, name, variants[i].what);
            rc = window_seed(path, recs, w, variants[i].mode, variants[i].arg, NULL);
        }
    }

    /* descriptors */
    snprintf(path, sizeof path, "%s/descriptors", out);
    struct desc_ctx x = {.dir = path, .name = name};
    struct dfs_sink sink = {.user = &x, .on_control = on_control, .on_device = on_device};
    dfs_decoder *d;
    if (dfs_decoder_new(NULL, &sink, &d) != DFS_OK)
        return 1;
    for (size_t i = 0; i < n; i++) {
        struct dfs_record fr = {.frame = i + 1, .ts = recs[i].ts, .linktype = recs[i].linktype,
                                .order = recs[i].order, .caplen = recs[i].caplen,
                                .origlen = recs[i].origlen, .data = recs[i].data};
        dfs_decoder_feed(d, &fr);
    }
    dfs_decoder_finish(d);
    dfs_decoder_free(d);

    /* follow: the first window, following the first device identified (or
     * device 1.1 when none is), and the same with small hold-back limits */
    if (n && !rc) {
        if (!x.follow.on)
            x.follow = (struct follow_hdr){true, {0x11, 1, 0, 0, 0, 0}};
        size_t w = n < WINDOW ? n : WINDOW;
        snprintf(path, sizeof path, "%s/follow/seed-%s-1", out, name);
        rc = window_seed(path, recs, w, 0, 0, &x.follow);
        snprintf(path, sizeof path, "%s/follow/seed-%s-1-small-limits", out, name);
        if (!rc)
            rc = window_seed(path, recs, w, 0x08, 0x13, &x.follow);
    }
    for (size_t i = 0; i < n; i++)
        free(recs[i].data);
    free(recs);
    printf("%s: %zu records, %zu descriptors\n", capture, n, x.n_seen);
    return rc | x.rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s OUTDIR CAPTURE...\n", argv[0]);
        return 2;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++)
        rc |= one_capture(argv[1], argv[i]);
    return rc;
}
