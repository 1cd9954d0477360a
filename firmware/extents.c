/* A map from 64-bit addresses to bytes where a later put replaces what it
 * covers, as writes do in a device's memory: sorted, non-overlapping
 * extents that point at their bytes (owned elsewhere). */
#include <stdlib.h>
#include <string.h>

#include "fw_internal.h"

size_t dfs_fw__map_find(const struct dfs_fw__map *m, uint64_t addr)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool dfs_fw__map_put(struct dfs_fw__map *m, const struct dfs_fw__ext *x)
{
    if (x->end <= x->start)
        return true;
    size_t i = dfs_fw__map_find(m, x->start), j = i;
    uint64_t covered = 0;
    while (j < m->n && m->e[j].start < x->end) {
        uint64_t lo = m->e[j].start > x->start ? m->e[j].start : x->start;
        uint64_t hi = m->e[j].end < x->end ? m->e[j].end : x->end;
        covered += hi - lo;
        j++;
    }
    struct dfs_fw__ext left = {0}, right = {0};
    bool has_left = i < j && m->e[i].start < x->start;
    bool has_right = i < j && m->e[j - 1].end > x->end;
    if (has_left) {
        left = m->e[i];
        left.end = x->start;
    }
    if (has_right) {
        right = m->e[j - 1];
        if (right.data) /* (maps of places only have no bytes) */
            right.data += x->end - right.start;
        right.start = x->end;
    }
    size_t add = 1 + (size_t)has_left + (size_t)has_right, old = j - i;
    size_t n = m->n - old + add;
    if (n > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 16;
        while (ncap < n)
            ncap *= 2;
        struct dfs_fw__ext *ne = realloc(m->e, ncap * sizeof *ne);
        if (!ne)
            return false;
        m->e = ne;
        m->cap = ncap;
    }
    memmove(&m->e[i + add], &m->e[j], (m->n - j) * sizeof *m->e);
    size_t k = i;
    if (has_left)
        m->e[k++] = left;
    m->e[k++] = *x;
    if (has_right)
        m->e[k++] = right;
    m->n = n;
    m->bytes += (x->end - x->start) - covered;
    return true;
}

void dfs_fw__map_free(struct dfs_fw__map *m)
{
    free(m->e);
    memset(m, 0, sizeof *m);
}
