/* dfuscope: the table of known device quirks, in one place.
 *
 * The deviations from DFU 1.1 / DfuSe that real devices are known to show,
 * numbered R1-R32 as in the reference list (docs/quirks.md), and the device
 * families known to show them, keyed by VID:PID (a range of PIDs, or any PID
 * of a VID, where a whole family shares them) and, where the sources say so,
 * bcdDevice. Each family names its source: dfu-util's src/quirks.c and
 * src/dfuse.c, fwupd's plugins/dfu/dfu.quirk, the chip vendors' documents,
 * the issue threads of the reference list.
 *
 * The diagnosis uses it to say when a known quirk explains a finding (with
 * the host's workaround); `dfuscope quirks` lists it; the conformance suites
 * use it to report an expected deviation as a known quirk.
 */
#ifndef DFUSCOPE_QUIRKS_H
#define DFUSCOPE_QUIRKS_H

#include <stddef.h>
#include <stdint.h>
#include "descriptors.h"
#include "findings.h"
#include "result.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DFS_QUIRK_MAX 32   /* quirk numbers are 1..DFS_QUIRK_MAX */
#define DFS_QUIRK_ANY_PID 0xffffffffu

/* One quirk: what a capture or the device shows, and what hosts do about it. */
struct dfs_quirk_info {
    unsigned id;             /* 1..DFS_QUIRK_MAX */
    const char *label;       /* "R2" */
    const char *title;       /* one line */
    const char *workaround;  /* what a host does about it */
};

/* One device family. A device matches when its VID is `vid` and its PID is
 * within pid_first..pid_last, and bcdDevice is `bcd_device` (when that is
 * >= 0). `recognised` says how the family is told apart when the VID:PID is
 * shared or only a default (NULL when the VID:PID is enough). */
struct dfs_quirk_family {
    const char *name;        /* "STM32 system bootloader (DfuSe, ROM)" */
    uint16_t vid;
    uint16_t pid_first, pid_last;
    int32_t bcd_device;      /* -1: any */
    const char *recognised;
    const unsigned char *quirks; /* quirk numbers, ascending */
    unsigned n_quirks;
    const char *workaround;  /* what hosts do for this family */
    const char *source;      /* where the facts come from */
};

/* The quirk numbered `id` (1..DFS_QUIRK_MAX), or NULL. */
DFS_API const struct dfs_quirk_info *dfs_quirk_info(unsigned id);
/* The families: count, and one by index (NULL past the end). */
DFS_API size_t dfs_quirk_family_count(void);
DFS_API const struct dfs_quirk_family *dfs_quirk_family(size_t i);
/* Does the family list quirk `id`? */
DFS_API int dfs_quirk_family_has(const struct dfs_quirk_family *f, unsigned id);
/* The families a device matches, in table order: up to `max` into `out`;
 * returns how many match (which may exceed max). bcd_device < 0: unknown
 * (families keyed by bcdDevice then do not match). */
DFS_API size_t dfs_quirk_match(uint16_t vid, uint16_t pid, int32_t bcd_device,
                               const struct dfs_quirk_family **out, size_t max);
/* The quirk that explains a finding on a device of family `f`, or 0: the
 * first quirk the family lists among those the finding can be. Quirks that
 * explain a finding only in a context its rule sees (R15 for a dfuERROR,
 * right after a CLRSTATUS outside dfuERROR) are not returned: the decoder
 * names them on a finding when its rule saw that context. */
DFS_API unsigned dfs_quirk_for_finding(const struct dfs_quirk_family *f,
                                       enum dfs_finding_code code);

/* The DFU interfaces of a device's configuration set, as its family is
 * known to present them. Those of class 0xFE, subclass 0x01
 * (dfs_desc_find_dfu) when there are any; otherwise, for a family whose
 * DFU is on an interface of another class (R25, the Atmel FLIP
 * bootloaders: class 0/0/0, no functional descriptor), the alternate
 * settings of the first interface, as dfu-programmer takes them. Writes up
 * to max into out and returns how many there are; *quirk (when given) gets
 * the quirk by which they were taken (25), or 0. */
DFS_API size_t dfs_quirk_find_dfu(uint16_t vid, uint16_t pid, int32_t bcd_device,
                                  const uint8_t *config, size_t len,
                                  struct dfs_dfu_interface *out, size_t max, unsigned *quirk);

#ifdef __cplusplus
}
#endif
#endif
