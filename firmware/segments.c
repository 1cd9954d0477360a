/* The segments of a firmware file: adding them, and naming the place in
 * the file of an address or a segment (for the findings' evidence and
 * texts). */
#include <stdlib.h>

#include "fw_internal.h"

bool dfs_fw__add_segment(dfs_fw_file *f, const struct dfs_fw_segment *s)
{
    if (f->n_seg == f->cap_seg) {
        size_t ncap = f->cap_seg ? f->cap_seg * 2 : 8;
        struct dfs_fw_segment *n = realloc(f->seg, ncap * sizeof *n);
        if (!n) {
            f->nomem = true;
            return false;
        }
        f->seg = n;
        uint8_t **no = realloc(f->own, ncap * sizeof *no);
        if (!no) {
            f->nomem = true;
            return false;
        }
        f->own = no;
        size_t *nc = realloc(f->own_cap, ncap * sizeof *nc);
        if (!nc) {
            f->nomem = true;
            return false;
        }
        f->own_cap = nc;
        f->cap_seg = ncap;
    }
    f->own[f->n_seg] = NULL;
    f->own_cap[f->n_seg] = 0;
    f->seg[f->n_seg++] = *s;
    return true;
}

uint64_t dfs_fw_data_bytes(const dfs_fw_file *f)
{
    uint64_t n = 0;
    for (size_t i = 0; f && i < f->n_seg; i++)
        n += f->seg[i].length;
    return n;
}

static int cmp_rec(const void *a, const void *b)
{
    const struct dfs_fw__rec *x = a, *y = b;
    if (x->address != y->address)
        return x->address < y->address ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

bool dfs_fw__where(dfs_fw_file *f, uint64_t address, struct dfs_fw_evidence *out)
{
    if (f->format == DFS_FW_IHEX || f->format == DFS_FW_SREC) {
        if (!f->recs_sorted) {
            if (f->n_recs)
                qsort(f->recs, f->n_recs, sizeof *f->recs, cmp_rec);
            f->recs_sorted = true;
        }
        /* the last record starting at or before address */
        size_t lo = 0, hi = f->n_recs;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (f->recs[mid].address <= address)
                lo = mid + 1;
            else
                hi = mid;
        }
        /* records may overlap: look back a little for one that holds it */
        for (size_t k = lo, tries = 0; k > 0 && tries < 64; k--, tries++) {
            const struct dfs_fw__rec *r = &f->recs[k - 1];
            if (address < r->address + r->length) {
                out->kind = DFS_FW_AT_LINE;
                out->value = r->line;
                return true;
            }
        }
        return false;
    }
    for (size_t i = 0; i < f->n_seg; i++) {
        const struct dfs_fw_segment *s = &f->seg[i];
        if (address >= s->address && address - s->address < s->length) {
            out->kind = DFS_FW_AT_BYTE;
            out->value = s->offset + (address - s->address);
            return true;
        }
    }
    return false;
}

void dfs_fw__seg_name(const dfs_fw_file *f, const struct dfs_fw_segment *s, char *buf,
                      size_t size)
{
    buf[0] = '\0';
    if (s->target >= 0 && (size_t)s->target < f->n_targets)
        dfs_fw__catf(buf, size, "element %d of target %d (alternate setting %u, data at byte %zu)",
                     s->element, s->target, f->targets[s->target].alt, s->offset);
    else if (s->line && s->last_line > s->line)
        dfs_fw__catf(buf, size, "lines %u-%u", s->line, s->last_line);
    else if (s->line)
        dfs_fw__catf(buf, size, "line %u", s->line);
    else if (s->length)
        dfs_fw__catf(buf, size, "bytes %zu-%llu", s->offset,
                     (unsigned long long)(s->offset + s->length - 1));
    else
        dfs_fw__catf(buf, size, "byte %zu", s->offset);
}
