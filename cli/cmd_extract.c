/* dfuscope extract: rebuild the memory a DFU session wrote (or read), as a
 * binary, Intel HEX or Motorola S-record file, and report gaps and overlaps. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "extract_cpio.h"
#include "extract_fw.h"
#include "port.h"

#define PAGE 4096u

struct page {
    uint32_t base;
    uint8_t data[PAGE];
    uint8_t valid[PAGE / 8];
};

struct image {
    struct page **pages; /* sorted by base */
    size_t n, cap;
    uint64_t bytes;       /* distinct valid bytes */
    uint64_t limit;
    uint64_t overlap_bytes, overlap_diff;
    uint64_t first_overlap_frame;
    bool full;
    /* --format dfu|dfuse: the same operations, as the firmware library
     * collects them to write DFU and DfuSe files */
    dfs_fw_session *fw;
    uint8_t *fw_file;
};

static struct page *page_get(struct image *im, uint32_t base, bool create)
{
    size_t lo = 0, hi = im->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (im->pages[mid]->base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < im->n && im->pages[lo]->base == base)
        return im->pages[lo];
    if (!create)
        return NULL;
    if ((uint64_t)(im->n + 1) * PAGE > im->limit + PAGE) {
        im->full = true;
        return NULL;
    }
    if (im->n == im->cap) {
        size_t ncap = im->cap ? im->cap * 2 : 64;
        struct page **np = realloc(im->pages, ncap * sizeof *np);
        if (!np)
            return NULL;
        im->pages = np;
        im->cap = ncap;
    }
    struct page *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->base = base;
    memmove(&im->pages[lo + 1], &im->pages[lo], (im->n - lo) * sizeof *im->pages);
    im->pages[lo] = p;
    im->n++;
    return p;
}

static bool image_write(struct image *im, uint32_t addr, const uint8_t *data, uint32_t len,
                        uint64_t frame)
{
    for (uint32_t i = 0; i < len; i++) {
        uint64_t a = (uint64_t)addr + i;
        if (a > UINT32_MAX)
            return false;
        struct page *p = page_get(im, (uint32_t)a & ~(PAGE - 1), true);
        if (!p)
            return false;
        uint32_t off = (uint32_t)a & (PAGE - 1);
        uint8_t bit = (uint8_t)(1u << (off & 7));
        if (p->valid[off / 8] & bit) {
            im->overlap_bytes++;
            if (p->data[off] != data[i])
                im->overlap_diff++;
            if (!im->first_overlap_frame)
                im->first_overlap_frame = frame;
        } else {
            p->valid[off / 8] |= bit;
            im->bytes++;
        }
        p->data[off] = data[i];
    }
    return true;
}

static bool byte_at(const struct image *im, size_t pi, uint32_t off, uint8_t *v)
{
    const struct page *p = im->pages[pi];
    if (!(p->valid[off / 8] & (1u << (off & 7))))
        return false;
    *v = p->data[off];
    return true;
}

/* Iterate contiguous runs of valid bytes. */
struct run_iter {
    const struct image *im;
    size_t pi;
    uint32_t off;
};

static bool next_run(struct run_iter *it, uint32_t *start, uint64_t *len)
{
    const struct image *im = it->im;
    uint8_t v;
    /* find the next valid byte */
    for (;;) {
        if (it->pi >= im->n)
            return false;
        if (it->off >= PAGE) {
            it->pi++;
            it->off = 0;
            continue;
        }
        if (byte_at(im, it->pi, it->off, &v))
            break;
        it->off++;
    }
    *start = im->pages[it->pi]->base + it->off;
    uint64_t n = 0;
    uint64_t expect = *start;
    for (;;) {
        if (it->pi >= im->n)
            break;
        if (it->off >= PAGE) {
            it->pi++;
            it->off = 0;
            continue;
        }
        if ((uint64_t)im->pages[it->pi]->base + it->off != expect ||
            !byte_at(im, it->pi, it->off, &v))
            break;
        n++;
        expect++;
        it->off++;
    }
    *len = n;
    return true;
}

static uint8_t get_byte(const struct image *im, uint32_t addr)
{
    struct page *p = page_get((struct image *)im, addr & ~(PAGE - 1), false);
    return p ? p->data[addr & (PAGE - 1)] : 0;
}

static void image_free(struct image *im)
{
    for (size_t i = 0; i < im->n; i++)
        free(im->pages[i]);
    free(im->pages);
    dfs_fw_session_free(im->fw);
    free(im->fw_file);
}

/* ---- output formats ---------------------------------------------------------- */

static void ihex_record(FILE *f, uint8_t type, uint16_t addr, const uint8_t *d, uint8_t n)
{
    uint8_t sum = (uint8_t)(n + (addr >> 8) + (addr & 0xff) + type);
    fprintf(f, ":%02X%04X%02X", n, addr, type);
    for (uint8_t i = 0; i < n; i++) {
        fprintf(f, "%02X", d[i]);
        sum = (uint8_t)(sum + d[i]);
    }
    fprintf(f, "%02X\n", (uint8_t)(0x100 - sum) & 0xff);
}

static void write_ihex(FILE *f, const struct image *im)
{
    struct run_iter it = {im, 0, 0};
    uint32_t start;
    uint64_t len;
    int32_t upper = -1;
    while (next_run(&it, &start, &len)) {
        uint64_t a = start;
        while (a < (uint64_t)start + len) {
            uint32_t ua = (uint32_t)(a >> 16);
            if ((int32_t)ua != upper) {
                uint8_t ext[2] = {(uint8_t)(ua >> 8), (uint8_t)ua};
                ihex_record(f, 4, 0, ext, 2);
                upper = (int32_t)ua;
            }
            uint8_t buf[16];
            uint8_t n = 0;
            /* up to 16 bytes, not crossing a 64 KiB boundary */
            while (n < 16 && a + n < (uint64_t)start + len && ((a + n) >> 16) == ua) {
                buf[n] = get_byte(im, (uint32_t)(a + n));
                n++;
            }
            ihex_record(f, 0, (uint16_t)a, buf, n);
            a += n;
        }
    }
    ihex_record(f, 1, 0, NULL, 0);
}

static void srec_record(FILE *f, char type, uint32_t addr, int addr_bytes, const uint8_t *d,
                        uint8_t n)
{
    uint8_t count = (uint8_t)(addr_bytes + n + 1);
    uint8_t sum = count;
    fprintf(f, "S%c%02X", type, count);
    for (int i = addr_bytes - 1; i >= 0; i--) {
        uint8_t b = (uint8_t)(addr >> (8 * i));
        fprintf(f, "%02X", b);
        sum = (uint8_t)(sum + b);
    }
    for (uint8_t i = 0; i < n; i++) {
        fprintf(f, "%02X", d[i]);
        sum = (uint8_t)(sum + d[i]);
    }
    fprintf(f, "%02X\n", (uint8_t)~sum);
}

static void write_srec(FILE *f, const struct image *im)
{
    static const uint8_t hdr[] = "dfuscope";
    srec_record(f, '0', 0, 2, hdr, (uint8_t)(sizeof hdr - 1));
    struct run_iter it = {im, 0, 0};
    uint32_t start;
    uint64_t len, records = 0;
    while (next_run(&it, &start, &len)) {
        for (uint64_t a = start; a < (uint64_t)start + len;) {
            uint8_t buf[16];
            uint8_t n = 0;
            while (n < 16 && a + n < (uint64_t)start + len) {
                buf[n] = get_byte(im, (uint32_t)(a + n));
                n++;
            }
            srec_record(f, '3', (uint32_t)a, 4, buf, n);
            a += n;
            records++;
        }
    }
    if (records <= 0xffff) {
        uint8_t cnt[2] = {(uint8_t)(records >> 8), (uint8_t)records};
        fprintf(f, "S503%02X%02X%02X\n", cnt[0], cnt[1], (uint8_t)~(3 + cnt[0] + cnt[1]));
    }
    srec_record(f, '7', 0, 4, NULL, 0);
}

/* ---- collecting memory operations ----------------------------------------------- */

enum fmt { FMT_BIN, FMT_IHEX, FMT_SREC, FMT_DFU, FMT_DFUSE };

struct extract_ctx {
    struct image im;
    bool upload;
    int alt;                  /* -1: any */
    struct dev_filter filter;
    uint64_t used_ops, failed_ops, failed_first_frame;
    uint64_t missing_bytes;   /* bytes of an operation not in the capture */
    uint64_t erased;
    bool any_dfuse, any_plain;
    uint32_t groups[8][2];    /* (lane, alt) of the operations used */
    unsigned n_groups;
    bool too_big;
};

static int on_mem(void *user, const struct dfs_mem_op *op)
{
    struct extract_ctx *c = user;
    if (!dev_filter_match_instance(&c->filter, op->device))
        return 0;
    if (c->alt >= 0 && op->alt != c->alt)
        return 0;
    if (op->kind == DFS_MEM_OP_ERASE || op->kind == DFS_MEM_OP_MASS_ERASE) {
        c->erased++;
        return 0;
    }
    if ((op->kind == DFS_MEM_OP_READ) != c->upload)
        return 0;
    if (!op->ok) {
        if (!c->failed_ops)
            c->failed_first_frame = op->frame;
        c->failed_ops++;
        return 0;
    }
    bool known = false;
    for (unsigned i = 0; i < c->n_groups; i++)
        known |= c->groups[i][0] == op->lane && c->groups[i][1] == op->alt;
    if (!known && c->n_groups < 8) {
        c->groups[c->n_groups][0] = op->lane;
        c->groups[c->n_groups][1] = op->alt;
        c->n_groups++;
    }
    if (op->dfuse)
        c->any_dfuse = true;
    else
        c->any_plain = true;
    if (op->data_len < op->length)
        c->missing_bytes += op->length - op->data_len;
    if (!image_write(&c->im, op->address, op->data, op->data_len, op->frame))
        c->too_big = true;
    c->used_ops++;
    if (c->im.fw && dfs_fw_session_on_mem(c->im.fw, op))
        c->too_big = true;
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: %s extract [OPTIONS] FILE|- -o OUT\n"
            "       %s extract [OPTIONS] FILE|- --unpack DIR\n"
            "\n"
            "Rebuild the memory a DFU / DfuSe session wrote (or, with --direction upload,\n"
            "read) from its capture. DfuSe sessions give memory addresses; plain DFU 1.1\n"
            "sessions give offsets in the firmware image. Gaps and overlaps are reported on\n"
            "standard error.\n"
            "\n"
            "Options:\n"
            "  -o, --output OUT        the file to write (required)\n"
            "  --format bin|ihex|srec|dfu|dfuse\n"
            "                          default from OUT's extension (.hex/.ihex, .srec/.s19/\n"
            "                          .s28/.s37/.mot), else bin; dfu: a binary with a DFU\n"
            "                          suffix naming the device; dfuse: a DfuSe file, one\n"
            "                          element per extent (docs/firmware.md)\n"
            "  --unpack DIR            the image is an ESP32-S2/S3 DFU archive (a CPIO\n"
            "                          archive made by idf.py dfu): write its files into DIR\n"
            "                          and check each one's MD5 against dfuinfo0.dat\n"
            "  --direction download|upload\n"
            "                          what the host wrote (default) or read\n"
            "  --device BUS.DEV|VID:PID  only this device\n"
            "  --alt N                 only this alternate setting\n"
            "  --fill BYTE             gap filler of a binary image (default 0xff)\n"
            "  --max-image BYTES       refuse images larger than this (default 256 MiB)\n"
            "  -q, --quiet             no progress line (shown on standard error when it is\n"
            "                          a terminal and FILE is larger than 64 MiB)\n"
            "  -h, --help              this help\n"
            "\n"
            "A binary starts at the lowest address written. Only writes the device\n"
            "confirmed (GETSTATUS without error) are used.\n"
            "\n"
            "Exit status: 0 written, 1 nothing to extract (--unpack: or an MD5 that differs,\n"
            "a file missing or not listed), 2 unusable input or usage error.\n",
            cli_prog, cli_prog);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* What the command line asks for. */
struct extract_args {
    const char *out;
    const char *unpack; /* --unpack DIR */
    int fmt; /* enum fmt, or -1: from the output file's name */
    int fill;
    bool quiet;
};

enum { OPT_FORMAT = 256, OPT_DIR, OPT_DEVICE, OPT_ALT, OPT_FILL, OPT_MAXIMAGE, OPT_UNPACK };
static const struct option longopts[] = {
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"direction", required_argument, NULL, OPT_DIR},
    {"device", required_argument, NULL, OPT_DEVICE},
    {"alt", required_argument, NULL, OPT_ALT},
    {"fill", required_argument, NULL, OPT_FILL},
    {"max-image", required_argument, NULL, OPT_MAXIMAGE},
    {"unpack", required_argument, NULL, OPT_UNPACK},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
const struct cli_options cmd_extract_options = {"ho:q", longopts};

/* The options into *a and *c. Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct extract_args *a, struct extract_ctx *c)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, cmd_extract_options.shortopts, longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'o': a->out = optarg; break;
        case OPT_UNPACK: a->unpack = optarg; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "bin"))
                a->fmt = FMT_BIN;
            else if (!strcmp(optarg, "ihex") || !strcmp(optarg, "hex"))
                a->fmt = FMT_IHEX;
            else if (!strcmp(optarg, "srec"))
                a->fmt = FMT_SREC;
            else if (!strcmp(optarg, "dfu"))
                a->fmt = FMT_DFU;
            else if (!strcmp(optarg, "dfuse"))
                a->fmt = FMT_DFUSE;
            else {
                cli_err("extract", "--format '%s': expected bin, ihex, srec, dfu or dfuse", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_DIR:
            if (!strcmp(optarg, "download"))
                c->upload = false;
            else if (!strcmp(optarg, "upload"))
                c->upload = true;
            else {
                cli_err("extract", "--direction '%s': expected download or upload", optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_DEVICE:
            if (!parse_device_option(&c->filter, optarg, "extract"))
                return EXIT_USAGE;
            break;
        case OPT_ALT: {
            errno = 0;
            long v = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || v < 0 || v > 255) {
                cli_err("extract", "--alt '%s': expected a number 0-255", optarg);
                return EXIT_USAGE;
            }
            c->alt = (int)v;
            break;
        }
        case OPT_FILL: {
            errno = 0;
            long v = strtol(optarg, &end, 0);
            if (errno || *end || end == optarg || v < 0 || v > 255) {
                cli_err("extract", "--fill '%s': expected a byte value (0-255 or 0x00-0xff)",
                        optarg);
                return EXIT_USAGE;
            }
            a->fill = (int)v;
            break;
        }
        case OPT_MAXIMAGE: {
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || !v) {
                cli_err("extract", "--max-image '%s': expected a positive number of bytes",
                        optarg);
                return EXIT_USAGE;
            }
            c->im.limit = v;
            break;
        }
        case 'q': a->quiet = true; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc - 1 || !(a->out || a->unpack) || (a->out && a->unpack)) {
        cli_err("extract", a->out && a->unpack ? "give either -o OUT or --unpack DIR, not both"
                           : !a->out && !a->unpack ? "no output file given (-o OUT or --unpack DIR)"
                                     : "expected one capture file (or - for standard input)");
        usage(stderr);
        return EXIT_USAGE;
    }
    if (a->unpack) {
        if (a->fmt >= 0 && a->fmt != FMT_BIN) {
            cli_err("extract", "--unpack takes the image as it is: no --format");
            return EXIT_USAGE;
        }
        a->out = a->unpack;
        a->fmt = FMT_BIN;
        return -1;
    }
    if (a->fmt < 0)
        a->fmt = ends_with(a->out, ".hex") || ends_with(a->out, ".ihex") ||
                         ends_with(a->out, ".ihx")
                     ? FMT_IHEX
                 : ends_with(a->out, ".srec") || ends_with(a->out, ".s19") ||
                         ends_with(a->out, ".s28") || ends_with(a->out, ".s37") ||
                         ends_with(a->out, ".mot")
                     ? FMT_SREC
                     : FMT_BIN;
    return -1;
}

/* Is there one image to write? Returns -1 if so, else the exit status
 * (having said why). */
static int check_extracted(const struct extract_ctx *c, const char *path, const char *what)
{
    if (c->too_big) {
        cli_err("extract", "%s: the image is larger than --max-image %" PRIu64
                           " bytes (or out of memory); nothing written",
                path, c->im.limit);
        return EXIT_USAGE;
    }
    if (c->any_plain && (c->any_dfuse || c->n_groups > 1)) {
        cli_err("extract",
                "%s: the capture holds DFU 1.1 images of several devices or alternate settings "
                "(their offsets overlap); choose one with --device and --alt",
                path);
        return EXIT_USAGE;
    }
    if (!c->im.bytes) {
        fprintf(stderr, "%s: no memory %s in this capture%s", path, what,
                c->failed_ops ? "" : "\n");
        if (c->failed_ops)
            fprintf(stderr, " (%" PRIu64 " operation%s failed, the first at frame %" PRIu64 ")\n",
                    c->failed_ops, c->failed_ops == 1 ? "" : "s", c->failed_first_frame);
        return EXIT_FINDINGS;
    }
    return -1;
}

/* The extents of the image, and the span [lo, hi) a binary covers. */
struct span {
    uint32_t lo;
    uint64_t hi;
    unsigned runs;
    uint64_t gap_bytes;
};

/* Say on standard error what the image holds: its extents and gaps,
 * overlaps, failed operations, bytes not captured. */
static struct span report_extents(const struct extract_ctx *c, const char *path, const char *what)
{
    struct span s = {0, 0, 0, 0};
    struct run_iter it = {&c->im, 0, 0};
    uint32_t start;
    uint64_t len, prev_end = 0;
    bool first = true;
    while (next_run(&it, &start, &len)) {
        if (first)
            s.lo = start;
        else
            s.gap_bytes += start - prev_end;
        if (!first)
            fprintf(stderr, "%s: gap      0x%08" PRIx64 "-0x%08x (%" PRIu64 " bytes, not %s)\n",
                    path, prev_end, start - 1, start - prev_end, what);
        fprintf(stderr, "%s: %s 0x%08x-0x%08" PRIx64 " (%" PRIu64 " bytes)\n", path,
                c->upload ? "read   " : "written", start, (uint64_t)start + len - 1, len);
        prev_end = (uint64_t)start + len;
        s.hi = prev_end;
        first = false;
        s.runs++;
    }
    if (c->im.overlap_bytes)
        fprintf(stderr,
                "%s: %" PRIu64 " bytes were %s more than once (%" PRIu64
                " with different data; the later data is kept), the first at frame %" PRIu64 "\n",
                path, c->im.overlap_bytes, what, c->im.overlap_diff, c->im.first_overlap_frame);
    if (c->failed_ops)
        fprintf(stderr,
                "%s: %" PRIu64 " operation%s failed and %s left out, the first at frame %" PRIu64
                "\n",
                path, c->failed_ops, c->failed_ops == 1 ? "" : "s",
                c->failed_ops == 1 ? "is" : "are", c->failed_first_frame);
    if (c->missing_bytes)
        fprintf(stderr, "%s: %" PRIu64 " bytes were transferred but not captured (snapshot "
                        "length too small?); they are missing from the image\n",
                path, c->missing_bytes);
    return s;
}

/* Write the image to a->out in its format (a DFU or DfuSe file: the fw_len
 * bytes built at im->fw_file). False: it could not be (said). */
static bool write_image(const struct extract_args *a, struct image *im, const struct span *s,
                        size_t fw_len)
{
    FILE *f = strcmp(a->out, "-") == 0 ? stdout
                                       : dfs_port_fopen(a->out, "wb");
    if (!f) {
        cli_err("extract", "%s: cannot create: %s", a->out, strerror(errno));
        return false;
    }
    if (a->fmt == FMT_BIN) {
        for (uint64_t x = s->lo; x < s->hi; x++) {
            struct page *p = page_get(im, (uint32_t)x & ~(PAGE - 1), false);
            uint32_t off = (uint32_t)x & (PAGE - 1);
            int v = p && (p->valid[off / 8] & (1u << (off & 7))) ? p->data[off] : a->fill;
            fputc(v, f);
        }
    } else if (im->fw_file) {
        fwrite(im->fw_file, 1, fw_len, f);
    } else if (a->fmt == FMT_IHEX) {
        write_ihex(f, im);
    } else {
        write_srec(f, im);
    }
    bool werr = ferror(f) != 0;
    if (f != stdout)
        werr |= fclose(f) != 0;
    else
        werr |= fflush(f) != 0;
    if (werr) {
        cli_err("extract", "%s: write error", a->out);
        return false;
    }
    return true;
}

/* --unpack: the binary image, as an ESP32 DFU archive, into a->unpack. */
static int unpack_image(struct extract_ctx *c, const struct extract_args *a, const struct span *s,
                        const char *path)
{
    size_t n = (size_t)(s->hi - s->lo);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) {
        cli_err("extract", "out of memory");
        return EXIT_USAGE;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t x = s->lo + (uint32_t)i;
        struct page *p = page_get(&c->im, x & ~(PAGE - 1), false);
        uint32_t off = x & (PAGE - 1);
        buf[i] = p && (p->valid[off / 8] & (1u << (off & 7))) ? p->data[off] : (uint8_t)a->fill;
    }
    if (s->gap_bytes)
        fprintf(stderr, "%s: the image has gaps (filled with 0x%02x); the archive may be "
                        "damaged there\n", path, a->fill);
    int rc = extract_cpio_unpack(buf, n, a->unpack, path);
    free(buf);
    return rc;
}

/* After the capture was read: check, describe and write the image. */
static int extract_image(struct extract_ctx *c, const struct extract_args *a, const char *path)
{
    const char *what = c->upload ? "read" : "written";
    int rc = check_extracted(c, path, what);
    if (rc >= 0)
        return rc;
    char unit[24];
    snprintf(unit, sizeof unit, "%s", c->any_dfuse ? "address" : "offset");
    struct span s = report_extents(c, path, what);
    if (a->fmt == FMT_BIN && s.hi - s.lo > c->im.limit) {
        cli_err("extract",
                "%s: a binary from 0x%08x to 0x%08" PRIx64 " would be %" PRIu64
                " bytes, more than --max-image; use --format ihex or srec, which keep the gaps",
                path, s.lo, s.hi - 1, s.hi - s.lo);
        return EXIT_USAGE;
    }
    if (a->unpack)
        return unpack_image(c, a, &s, path);
    size_t fw_len = 0;
    if (c->im.fw && extract_fw_build(c->im.fw, a->fmt == FMT_DFUSE, a->fill, c->im.limit, path,
                                     &c->im.fw_file, &fw_len))
        return EXIT_USAGE;
    if (!write_image(a, &c->im, &s, fw_len))
        return EXIT_USAGE;
    fprintf(stderr, "%s: %" PRIu64 " bytes %s in %u extent%s (%s 0x%08x-0x%08" PRIx64 ")%s -> %s (%s)\n",
            path, c->im.bytes, what, s.runs, s.runs == 1 ? "" : "s", unit, s.lo, s.hi - 1,
            s.gap_bytes && (a->fmt == FMT_BIN || a->fmt == FMT_DFU) ? ", gaps filled" : "", a->out,
            a->fmt == FMT_BIN    ? "binary"
            : a->fmt == FMT_IHEX ? "Intel HEX"
            : a->fmt == FMT_SREC ? "S-record"
            : a->fmt == FMT_DFU  ? "DFU file"
                                 : "DfuSe file");
    return 0;
}

int cmd_extract(int argc, char **argv)
{
    struct extract_ctx c = {.alt = -1};
    c.im.limit = 256u << 20;
    struct extract_args a = {.out = NULL, .fmt = -1, .fill = 0xff};
    int rc = parse_args(argc, argv, &a, &c);
    if (rc >= 0) {
        dev_filter_free(&c.filter);
        return rc;
    }
    if ((a.fmt == FMT_DFU || a.fmt == FMT_DFUSE) &&
        extract_fw_new(&c.im.fw, c.upload, c.alt, c.im.limit)) {
        dev_filter_free(&c.filter);
        return EXIT_USAGE;
    }
    struct run_opts ro = {.cmd = "extract"};
    dfs_options_init(&ro.dopt);
    ro.path = argv[optind];
    ro.filter = &c.filter;
    ro.progress = !a.quiet;
    struct dfs_sink sink = {.user = &c, .on_mem = on_mem};
    struct run_result res;
    dfs_decoder *dec = NULL;
    rc = run_capture(&ro, &sink, &dec, &res);
    if (rc) {
        image_free(&c.im);
        dev_filter_free(&c.filter);
        return rc;
    }
    if (c.im.fw)
        dfs_fw_session_finish(c.im.fw, dec);
    dfs_decoder_free(dec);
    dev_filter_free(&c.filter);
    rc = extract_image(&c, &a, ro.path);
    image_free(&c.im);
    return rc;
}
