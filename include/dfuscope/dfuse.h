/* dfuscope: DfuSe memory layout strings (dfu-facts.md section 2, ST UM0424).
 *
 *   "@Internal Flash /0x08000000/04*016Kg,01*064Kg,07*128Kg"
 *   "@Option Bytes /0x1FFF7800/01*128 e"
 *
 * After '@' comes a name, then one or more segments "/0xSTART/GROUPS" where
 * GROUPS is a comma-separated list of COUNT*SIZE<unit><type>: unit ' ' (bytes),
 * 'K' or 'M' ('B' for bytes is accepted too, as dfu-util does); type a letter 'a'..'g' whose value (letter - 'a' + 1) has bit 0
 * readable, bit 1 erasable, bit 2 writable. A string that does not follow
 * this gets a reason, never a guess.
 */
#ifndef DFUSCOPE_DFUSE_H
#define DFUSCOPE_DFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFS_LAYOUT_MAX_REGIONS 32
#define DFS_LAYOUT_NAME_SIZE 64

#define DFS_MEM_READABLE 0x1
#define DFS_MEM_ERASABLE 0x2
#define DFS_MEM_WRITABLE 0x4

struct dfs_layout_region {
    uint32_t start;     /* first address */
    uint32_t count;     /* number of sectors */
    uint32_t size;      /* bytes per sector */
    uint64_t end;       /* start + count * size (exclusive; may be 2^32) */
    uint8_t flags;      /* DFS_MEM_* */
    char type;          /* the type letter as written */
};

struct dfs_layout {
    char name[DFS_LAYOUT_NAME_SIZE]; /* "Internal Flash" (trimmed) */
    unsigned n_regions;
    struct dfs_layout_region regions[DFS_LAYOUT_MAX_REGIONS];
};

/* Parse a layout string (UTF-8, not necessarily NUL-terminated).
 * Returns DFS_OK, DFS_E_FORMAT with the reason in why (e.g. "sector count
 * missing at offset 24"), DFS_E_LIMIT (more than DFS_LAYOUT_MAX_REGIONS
 * groups) or DFS_E_INVAL. *out is written only on DFS_OK. */
DFS_API dfs_result dfs_layout_parse(const char *s, size_t len, struct dfs_layout *out, char *why,
                                    size_t why_size);

/* The region holding addr, or NULL. */
DFS_API const struct dfs_layout_region *dfs_layout_find(const struct dfs_layout *l,
                                                        uint32_t addr);

/* Does [addr, addr + len) lie in regions that all have every flag in
 * `need`? len 0 checks the one address. */
DFS_API bool dfs_layout_allows(const struct dfs_layout *l, uint32_t addr, uint32_t len,
                               uint8_t need);

/* Known option-byte areas of ST system bootloaders (RM0444 and the other
 * STM32 reference manuals), for devices whose layout strings do not name
 * them. */
struct dfs_ob_area {
    uint32_t start, end; /* [start, end) */
    const char *families;
};
/* The known option-byte area holding addr, or NULL. */
DFS_API const struct dfs_ob_area *dfs_ob_area_find(uint32_t addr);

#ifdef __cplusplus
}
#endif
#endif
