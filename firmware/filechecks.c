/* Checks of a file against itself, after reading: data beyond 4 GiB,
 * overlapping parts, stray linker sections, binaries larger than any flash,
 * no data at all. */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"
#include "texts.h"

static int seg_alt(const dfs_fw_file *f, const struct dfs_fw_segment *s)
{
    return s->target >= 0 ? f->targets[s->target].alt : 0;
}

/* Segment order for the sweeps: by alternate setting (DfuSe), then
 * address, then file order. */
struct key {
    int alt;
    uint32_t address;
    size_t i;
};

static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->alt != y->alt)
        return x->alt < y->alt ? -1 : 1;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Segment indices sorted by (alt, address); NULL when empty or out of memory. */
static size_t *sorted_segments(dfs_fw_file *f)
{
    if (!f->n_seg)
        return NULL;
    struct key *k = malloc(f->n_seg * sizeof *k);
    size_t *ix = malloc(f->n_seg * sizeof *ix);
    if (!k || !ix) {
        free(k);
        free(ix);
        f->nomem = true;
        return NULL;
    }
    for (size_t i = 0; i < f->n_seg; i++)
        k[i] = (struct key){seg_alt(f, &f->seg[i]), f->seg[i].address, i};
    qsort(k, f->n_seg, sizeof *k, cmp_key);
    for (size_t i = 0; i < f->n_seg; i++)
        ix[i] = k[i].i;
    free(k);
    return ix;
}

static void check_overflow(dfs_fw_file *f)
{
    if (f->format == DFS_FW_IHEX || f->format == DFS_FW_SREC)
        return; /* clipped and reported line by line while reading */
    for (size_t i = 0; i < f->n_seg; i++) {
        const struct dfs_fw_segment *s = &f->seg[i];
        uint64_t end = (uint64_t)s->address + s->length;
        if (end <= DFS_FW__4G)
            continue;
        char name[160];
        dfs_fw__seg_name(f, s, name, sizeof name);
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, s->target >= 0 ? s->header_offset : 0};
        dfs_fw__emit(f, DFS_F_FILE_ADDRESS_OVERFLOW, &at, 1, TX_OVERFLOW, name, s->address,
                     (unsigned long long)s->length, (unsigned long long)end,
                     (unsigned long long)(end - DFS_FW__4G));
    }
}

/* Do two segments give different bytes for [a, b)? */
static bool differ(const struct dfs_fw_segment *x, const struct dfs_fw_segment *y, uint64_t a,
                   uint64_t b)
{
    return memcmp(x->data + (a - x->address), y->data + (a - y->address), (size_t)(b - a)) != 0;
}

/* Overlaps between segments of one alternate setting. In DfuSe every
 * overlap counts (dfu-util erases the pages of each element before writing
 * it, wiping what an earlier element wrote there); in text files only an
 * overlap with different data (tools keep the last, or stop). */
static void check_overlaps(dfs_fw_file *f, const size_t *ix)
{
    bool any = f->format == DFS_FW_DFUSE;
    size_t far = ix[0]; /* the segment reaching furthest so far */
    for (size_t k = 1; k < f->n_seg; k++) {
        const struct dfs_fw_segment *a = &f->seg[far], *b = &f->seg[ix[k]];
        uint64_t a_end = (uint64_t)a->address + a->length;
        uint64_t b_end = (uint64_t)b->address + b->length;
        if (seg_alt(f, a) == seg_alt(f, b) && b->address < a_end && b->length) {
            uint64_t lo = b->address, hi = a_end < b_end ? a_end : b_end;
            if (hi > DFS_FW__4G)
                hi = DFS_FW__4G;
            if (lo < hi && (any || differ(a, b, lo, hi))) {
                char na[160], nb[160];
                dfs_fw__seg_name(f, a, na, sizeof na);
                dfs_fw__seg_name(f, b, nb, sizeof nb);
                struct dfs_fw__ev ev = {0};
                struct dfs_fw_evidence w;
                if (b->line)
                    dfs_fw__ev_add(&ev, DFS_FW_AT_LINE, b->line);
                else
                    dfs_fw__ev_add(&ev, DFS_FW_AT_BYTE, b->target >= 0 ? b->header_offset : b->offset);
                if (a->line)
                    dfs_fw__ev_add(&ev, DFS_FW_AT_LINE, a->line);
                else if (dfs_fw__where(f, lo, &w))
                    dfs_fw__ev_add(&ev, w.kind, w.value);
                struct dfs_fw_finding *fd = dfs_fw__emit(
                    f, DFS_F_FILE_OVERLAP, ev.at, ev.n, TX_OVERLAP, nb, b->address,
                    (unsigned)(b_end - 1 > UINT32_MAX ? UINT32_MAX : b_end - 1), na, a->address,
                    (unsigned)(a_end - 1 > UINT32_MAX ? UINT32_MAX : a_end - 1),
                    (unsigned)lo, (unsigned)(hi - 1), (unsigned long long)(hi - lo),
                    !any ? TX_OVERLAP_TEXT
                    : differ(a, b, lo, hi) ? TX_OVERLAP_DFUSE_DIFF
                                           : TX_OVERLAP_DFUSE_SAME);
                if (fd && !any)
                    dfs_fw__remedy(fd, TX_OVERLAP_TEXT_REMEDY);
            }
        }
        if (seg_alt(f, a) != seg_alt(f, b) || b_end > a_end)
            far = ix[k];
    }
}

/* Intel HEX / S-records: the largest gap between data, when it is at
 * least stray_gap. */
static void check_stray_text(dfs_fw_file *f, const size_t *ix)
{
    uint64_t best = 0, end = 0;
    size_t before = 0, after = 0, gaps = 0;
    uint64_t lo = f->seg[ix[0]].address;
    end = lo + f->seg[ix[0]].length;
    size_t last = ix[0];
    for (size_t k = 1; k < f->n_seg; k++) {
        const struct dfs_fw_segment *s = &f->seg[ix[k]];
        if (s->address > end) {
            uint64_t gap = s->address - end;
            if (gap >= f->opt.stray_gap)
                gaps++;
            if (gap > best) {
                best = gap;
                before = last;
                after = ix[k];
            }
        }
        if ((uint64_t)s->address + s->length > end) {
            end = (uint64_t)s->address + s->length;
            last = ix[k];
        }
    }
    if (best < f->opt.stray_gap)
        return;
    const struct dfs_fw_segment *a = &f->seg[before], *b = &f->seg[after];
    char gap[64], span[64], na[64], nb[64];
    dfs_fw__fmt_size(gap, sizeof gap, best);
    dfs_fw__fmt_size(span, sizeof span, end - lo);
    dfs_fw__seg_name(f, a, na, sizeof na);
    dfs_fw__seg_name(f, b, nb, sizeof nb);
    /* the data below and above the gap */
    uint64_t below = 0, above = 0;
    for (size_t i = 0; i < f->n_seg; i++)
        if (f->seg[i].address < b->address)
            below += f->seg[i].length;
        else
            above += f->seg[i].length;
    struct dfs_fw_evidence at[2] = {{DFS_FW_AT_LINE, b->line}, {DFS_FW_AT_LINE, a->last_line}};
    uint64_t a_end = (uint64_t)a->address + a->length;
    dfs_fw__emit(f, DFS_F_FILE_STRAY_SECTION, at, 2, TX_STRAY_TEXT, (unsigned)lo,
                 (unsigned long long)(end - 1), span, (unsigned long long)below,
                 (unsigned)(a_end - 1), na, gap, b->address, nb, (unsigned long long)above,
                 (unsigned long long)(end - lo), gaps > 1 ? TX_STRAY_MORE_GAPS : "");
}

/* The longest run of 0x00 or 0xFF in p[0, n) that data follows, at least
 * min bytes long. */
static bool longest_fill(const uint8_t *p, size_t n, uint64_t min, size_t *start, size_t *len,
                         uint8_t *val)
{
    size_t i = 0, best = 0;
    while (i < n) {
        uint8_t v = p[i];
        if (v != 0x00 && v != 0xFF) {
            i++;
            continue;
        }
        size_t s = i;
        uint64_t word = v ? ~(uint64_t)0 : 0, w;
        while (i + 8 <= n) {
            memcpy(&w, p + i, 8);
            if (w != word)
                break;
            i += 8;
        }
        while (i < n && p[i] == v)
            i++;
        if (i < n && i - s >= min && i - s > best) {
            best = i - s;
            *start = s;
            *len = best;
            *val = v;
        }
    }
    return best > 0;
}

static void check_binary(dfs_fw_file *f)
{
    if (!f->n_seg)
        return;
    const struct dfs_fw_segment *s = &f->seg[0];
    char size[64], max[64];
    dfs_fw__fmt_size(size, sizeof size, s->length);
    dfs_fw__fmt_size(max, sizeof max, f->opt.max_binary);
    if (s->length > f->opt.max_binary) {
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, s->length - 1};
        dfs_fw__emit(f, DFS_F_FILE_HUGE_BINARY, &at, 1, TX_HUGE_BINARY, size, max);
    }
    size_t start, len;
    uint8_t v;
    if (s->length >= f->opt.stray_gap &&
        longest_fill(s->data, (size_t)s->length, f->opt.stray_gap, &start, &len, &v)) {
        char run[64];
        dfs_fw__fmt_size(run, sizeof run, len);
        struct dfs_fw_evidence at[2] = {{DFS_FW_AT_BYTE, start + len}, {DFS_FW_AT_BYTE, start}};
        dfs_fw__emit(f, DFS_F_FILE_STRAY_SECTION, at, 2, TX_STRAY_BINARY, start,
                     start + len - 1, v, run, start + len, size);
    }
}

/* Each DfuSe element (or a binary's payload, checked above) larger than
 * any flash. */
static void check_huge_elements(dfs_fw_file *f)
{
    for (size_t i = 0; i < f->n_seg; i++) {
        const struct dfs_fw_segment *s = &f->seg[i];
        if (s->length <= f->opt.max_binary)
            continue;
        char name[160], size[64], max[64];
        dfs_fw__seg_name(f, s, name, sizeof name);
        dfs_fw__fmt_size(size, sizeof size, s->length);
        dfs_fw__fmt_size(max, sizeof max, f->opt.max_binary);
        struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, s->header_offset + 4};
        dfs_fw__emit(f, DFS_F_FILE_HUGE_BINARY, &at, 1, TX_HUGE_ELEMENT, name, size, max);
    }
}

/* No data at all, when nothing else already says why. */
static void check_empty(dfs_fw_file *f)
{
    static const enum dfs_finding_code why[] = {
        DFS_F_FILE_EMPTY,       DFS_F_FILE_TRUNCATED,       DFS_F_FILE_DFUSE_HEADER,
        DFS_F_FILE_DFUSE_SIZE,  DFS_F_FILE_DFUSE_NO_TARGETS, DFS_F_FILE_RECORD_INVALID,
    };
    if (f->format != DFS_FW_DFUSE || dfs_fw_data_bytes(f))
        return;
    for (size_t i = 0; i < sizeof why / sizeof why[0]; i++)
        if (f->kept[why[i]] || f->more[why[i]])
            return;
    struct dfs_fw_evidence at = {DFS_FW_AT_BYTE, f->n_seg ? f->seg[0].header_offset + 4 : 10};
    dfs_fw__emit(f, DFS_F_FILE_EMPTY, &at, 1, TX_EMPTY_DFUSE, f->n_targets,
                 (unsigned long long)f->n_seg);
}

void dfs_fw__check_file(dfs_fw_file *f)
{
    check_empty(f);
    check_overflow(f);
    if (f->format == DFS_FW_BINARY)
        check_binary(f);
    else if (f->format == DFS_FW_DFUSE)
        check_huge_elements(f);
    size_t *ix = sorted_segments(f);
    if (!ix)
        return;
    check_overlaps(f, ix);
    if (f->format == DFS_FW_IHEX || f->format == DFS_FW_SREC)
        check_stray_text(f, ix);
    free(ix);
}
