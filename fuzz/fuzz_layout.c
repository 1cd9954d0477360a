/* Fuzz target: the DfuSe memory layout string parser (dfs_layout_parse,
 * include/dfuscope/dfuse.h) and the lookups over its result.
 *
 * Input: the string, as the iInterface string descriptor gives it (not
 * NUL-terminated), in a heap buffer of exactly its size.
 *
 * Properties checked: the result is DFS_OK, DFS_E_FORMAT or DFS_E_LIMIT,
 * the same with and without a reason buffer; on failure the reason is
 * non-empty and terminated and *out is untouched; on success every region
 * is non-empty, ends where start + count * size says, inside the 32-bit
 * address space, has the flags its type letter means, and is found by
 * dfs_layout_find; dfs_layout_allows agrees with the regions' flags.
 */
#include "fuzz.h"

#include "dfuscope/dfuse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = (char *)fuzz_dup(data, size);
    const char *str = s ? s : "";
    struct dfs_layout out, before;
    memset(&out, 0xA5, sizeof out);
    before = out;
    char why[128];
    memset(why, 'x', sizeof why);
    dfs_result r = dfs_layout_parse(str, size, &out, why, sizeof why);
    FUZZ_CHECK(r == DFS_OK || r == DFS_E_FORMAT || r == DFS_E_LIMIT);
    struct dfs_layout again;
    FUZZ_CHECK(dfs_layout_parse(str, size, &again, NULL, 0) == r);
    FUZZ_CHECK(fuzz_terminated(why, sizeof why));
    if (r != DFS_OK) {
        FUZZ_CHECK(why[0] != '\0');
        FUZZ_CHECK(memcmp(&out, &before, sizeof out) == 0);
        free(s);
        return 0;
    }
    FUZZ_CHECK(why[0] == '\0');
    FUZZ_CHECK(memcmp(&out, &again, sizeof out) == 0);
    FUZZ_CHECK(fuzz_terminated(out.name, sizeof out.name));
    FUZZ_CHECK(out.n_regions >= 1 && out.n_regions <= DFS_LAYOUT_MAX_REGIONS);
    for (unsigned i = 0; i < out.n_regions; i++) {
        const struct dfs_layout_region *g = &out.regions[i];
        FUZZ_CHECK(g->count >= 1 && g->size >= 1);
        FUZZ_CHECK(g->end == (uint64_t)g->start + (uint64_t)g->count * g->size);
        FUZZ_CHECK(g->end <= 0x100000000ull);
        FUZZ_CHECK(g->type >= 'a' && g->type <= 'g');
        FUZZ_CHECK(g->flags == ((g->type - 'a' + 1) & 7));
        const struct dfs_layout_region *f = dfs_layout_find(&out, g->start);
        FUZZ_CHECK(f && g->start >= f->start && g->start < f->end);
        FUZZ_CHECK(dfs_layout_allows(&out, g->start, 0, f->flags));
        uint32_t last = (uint32_t)(g->end - 1);
        f = dfs_layout_find(&out, last);
        FUZZ_CHECK(f && last >= f->start && last < f->end);
    }
    free(s);
    return 0;
}
