/* Option bytes, OTP and read protection: which addresses they are at.
 *
 * A layout that names its memory ("@Option Bytes /0x1FFF7800/01*128 e",
 * "@OTP Memory /0x1FFF7000/01*1024 e") decides. Otherwise the known areas
 * of ST system bootloaders: option bytes from the decoder's table
 * (dfs_ob_area_find, include/dfuscope/dfuse.h), OTP from the table below.
 * Some addresses mean different things on different families
 * (0x1FFF7800: option bytes of STM32G0/G4/L4, OTP of STM32F2/F4), so both
 * can match; the texts name the families. */
#include <stdio.h>
#include <string.h>

#include "fw_internal.h"

/* OTP areas of ST parts, from their reference manuals (the same facts as
 * the conformance runner's safety rule, conformance/safety.c). */
static const struct {
    uint32_t start, end;
    const char *what;
} otp_areas[] = {
    {0x1FFF7000, 0x1FFF7400, "the OTP area of STM32G0/G4/L4/WB (RM0444, RM0440, RM0351)"},
    {0x1FFF7800, 0x1FFF7A10, "the OTP area of STM32F2/F4 (RM0090)"},
    {0x1FF0F000, 0x1FF0F420, "the OTP area of STM32F7 (RM0385)"},
    {0x1FF07800, 0x1FF07A10, "the OTP area of STM32F72x/F73x (RM0431)"},
};

/* The option-byte areas dfs_ob_area_find knows all lie in the STM32
 * system-memory block; only that window is probed. */
#define OB_WINDOW_START 0x1FF00000u
#define OB_WINDOW_END 0x20000000u

static bool has_word(const char *name, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && (p[i] | 0x20) == (word[i] | 0x20))
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool layout_is_ob(const struct dfs_layout *l)
{
    return l && has_word(l->name, "option");
}

static bool layout_is_otp(const struct dfs_layout *l)
{
    return l && (has_word(l->name, "otp") || has_word(l->name, "one-time") ||
                 has_word(l->name, "one time"));
}

/* The first region of l overlapping [a, a + len). */
static bool layout_overlap(const struct dfs_layout *l, uint64_t a, uint64_t len,
                           struct dfs_fw__area *out, const char *what)
{
    for (unsigned i = 0; i < l->n_regions; i++) {
        const struct dfs_layout_region *r = &l->regions[i];
        if (a < r->end && a + len > r->start) {
            out->start = r->start;
            out->end = r->end > UINT32_MAX ? UINT32_MAX : (uint32_t)r->end;
            snprintf(out->what, sizeof out->what, "%s", what);
            return true;
        }
    }
    return false;
}

bool dfs_fw__ob_overlap(const struct dfs_layout *l, uint64_t a, uint64_t len,
                        struct dfs_fw__area *out)
{
    if (!len)
        return false;
    if (layout_is_ob(l))
        return layout_overlap(l, a, len, out, "the option bytes the layout names");
    if (layout_is_otp(l))
        return false;
    uint64_t lo = a > OB_WINDOW_START ? a : OB_WINDOW_START;
    uint64_t hi = a + len < OB_WINDOW_END ? a + len : OB_WINDOW_END;
    for (uint64_t x = lo; x < hi; x++) {
        const struct dfs_ob_area *ob = dfs_ob_area_find((uint32_t)x);
        if (ob) {
            out->start = ob->start;
            out->end = ob->end;
            snprintf(out->what, sizeof out->what, "the option-byte area of %s", ob->families);
            return true;
        }
    }
    return false;
}

bool dfs_fw__otp_overlap(const struct dfs_layout *l, uint64_t a, uint64_t len,
                         struct dfs_fw__area *out)
{
    if (!len)
        return false;
    if (layout_is_otp(l))
        return layout_overlap(l, a, len, out, "the one-time-programmable memory the layout names");
    if (layout_is_ob(l))
        return false;
    for (size_t i = 0; i < sizeof otp_areas / sizeof otp_areas[0]; i++)
        if (a < otp_areas[i].end && a + len > otp_areas[i].start) {
            out->start = otp_areas[i].start;
            out->end = otp_areas[i].end;
            snprintf(out->what, sizeof out->what, "%s", otp_areas[i].what);
            return true;
        }
    return false;
}

/* The read-protection byte (RDP): 0xAA level 0, 0xCC level 2, anything else
 * level 1. STM32G0/G4/L4: FLASH_OPTR bits 7:0 at 0x1FFF7800 (RM0444
 * "FLASH option register"); STM32F2/F4: bits 15:8 of the option bytes at
 * 0x1FFFC000, the byte at 0x1FFFC001 (RM0090 "Option bytes"). */
static const struct {
    uint32_t addr;
    const char *family;
} rdp_bytes[] = {
    {0x1FFF7800, "STM32G0/G4/L4 (FLASH_OPTR, RM0444)"},
    {0x1FFFC001, "STM32F2/F4 (RM0090)"},
};

int dfs_fw__rdp_level(uint64_t a, const uint8_t *data, uint64_t len, uint8_t *rdp_value,
                      uint32_t *rdp_addr, const char **family)
{
    for (size_t i = 0; i < sizeof rdp_bytes / sizeof rdp_bytes[0]; i++) {
        uint32_t r = rdp_bytes[i].addr;
        if (r < a || r - a >= len)
            continue;
        uint8_t v = data[r - a];
        *rdp_value = v;
        *rdp_addr = r;
        *family = rdp_bytes[i].family;
        return v == 0xAA ? 0 : v == 0xCC ? 2 : 1;
    }
    return -1;
}
