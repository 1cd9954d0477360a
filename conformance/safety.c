/* Which requests need which --allow flag (the rule is documented in
 * include/dfuscope/runner.h at dfs_script_needs and in docs/conformance.md).
 * The same classification is used before a run (on the whole script) and
 * at run time (on every DNLOAD the runner is about to send). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define ALLOW_X(name, bit, opt, what) {bit, opt, what},
static const struct {
    unsigned bit;
    const char *opt, *what;
} allow_table[] = {DFS_ALLOW_MAP(ALLOW_X)};
#undef ALLOW_X

const char *dfs_allow_option(unsigned bit)
{
    for (size_t i = 0; i < sizeof allow_table / sizeof allow_table[0]; i++)
        if (allow_table[i].bit == bit)
            return allow_table[i].opt;
    return NULL;
}

size_t dfs_allow_str(unsigned mask, char *buf, size_t size)
{
    if (!buf || !size)
        return 0;
    buf[0] = '\0';
    size_t n = 0;
    for (size_t i = 0; i < sizeof allow_table / sizeof allow_table[0]; i++)
        if (mask & allow_table[i].bit)
            n = dfs_run__catf(buf, size, "%s%s", buf[0] ? " " : "", allow_table[i].opt);
    return n;
}

void dfs_device_facts_init(struct dfs_device_facts *f)
{
    if (!f)
        return;
    memset(f, 0, sizeof *f);
    f->dfuse = -1;
}

/* OTP areas of ST system-bootloader parts. 0x1FFF7800 is also the option
 * byte base of STM32G0/G4/L4 (dfs_ob_area_find): there the static rule
 * asks for --allow-option-bytes, and --allow-otp as well once the device's
 * own layout names OTP at that address (F2/F4 bootloaders do). */
static const struct dfs_run__otp_area otp_areas[] = {
    {0x1FFF7000, 0x1FFF7400, "STM32G0/G4/L4/WB OTP area (RM0444, RM0440, RM0351)"},
    {0x1FFF7880, 0x1FFF7A10, "STM32F2/F4 OTP area (RM0090)"},
    {0x1FF0F000, 0x1FF0F420, "STM32F7 OTP area (RM0385)"},
    {0x1FF07800, 0x1FF07A10, "STM32F72x/F73x OTP area (RM0431)"},
};

const struct dfs_run__otp_area *dfs_run__otp_area_find(uint32_t addr, uint32_t len)
{
    uint64_t end = (uint64_t)addr + (len ? len : 1);
    for (size_t i = 0; i < sizeof otp_areas / sizeof otp_areas[0]; i++)
        if (addr < otp_areas[i].end && end > otp_areas[i].start)
            return &otp_areas[i];
    return NULL;
}

/* The known option-byte area that [addr, end) touches. Every area is at
 * least 16 bytes, so probing the ends and every 16th byte finds it. */
static const struct dfs_ob_area *ob_touch(uint32_t addr, uint64_t end)
{
    const struct dfs_ob_area *a = dfs_ob_area_find(addr);
    if (a)
        return a;
    if (end > addr && (a = dfs_ob_area_find((uint32_t)(end - 1))) != NULL)
        return a;
    for (uint64_t p = ((uint64_t)addr + 16) & ~(uint64_t)15; p < end; p += 16)
        if ((a = dfs_ob_area_find((uint32_t)p)) != NULL)
            return a;
    return NULL;
}

static bool name_has(const char *name, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = name; *p; p++) {
        size_t i = 0;
        while (i < n && p[i] && tolower((unsigned char)p[i]) == word[i])
            i++;
        if (i == n)
            return true;
    }
    return false;
}

static bool layout_is_ob(const struct dfs_layout *l) { return name_has(l->name, "option"); }
static bool layout_is_otp(const struct dfs_layout *l)
{
    return name_has(l->name, "otp") || name_has(l->name, "one-time") ||
           name_has(l->name, "one time");
}

unsigned dfs_run__area_needs(const struct dfs_device_facts *f, uint32_t addr, uint32_t len,
                             char *area, size_t area_size)
{
    unsigned need = 0;
    uint64_t end = (uint64_t)addr + (len ? len : 1);
    if (area && area_size)
        area[0] = '\0';
    const struct dfs_ob_area *ob = ob_touch(addr, end);
    if (ob) {
        need |= DFS_ALLOW_OPTION_BYTES;
        if (area)
            dfs_run__catf(area, area_size, "%sthe option bytes 0x%08x-0x%08x of the %s",
                          area[0] ? ", " : "", (unsigned)ob->start, (unsigned)(ob->end - 1),
                          ob->families);
    }
    const struct dfs_run__otp_area *otp = dfs_run__otp_area_find(addr, (uint32_t)(end - addr));
    if (otp) {
        need |= DFS_ALLOW_OTP;
        if (area)
            dfs_run__catf(area, area_size, "%sOTP 0x%08x-0x%08x, the %s", area[0] ? ", " : "",
                          (unsigned)otp->start, (unsigned)(otp->end - 1), otp->families);
    }
    if (f) {
        for (unsigned i = 0; i < f->n_layouts && i < DFS_FACTS_MAX_LAYOUTS; i++) {
            const struct dfs_layout *l = &f->layouts[i];
            unsigned flag = layout_is_ob(l) ? DFS_ALLOW_OPTION_BYTES
                            : layout_is_otp(l) ? DFS_ALLOW_OTP
                                               : 0;
            if (!flag || (need & flag))
                continue;
            for (unsigned k = 0; k < l->n_regions; k++) {
                const struct dfs_layout_region *r = &l->regions[k];
                if (addr < r->end && end > r->start) {
                    need |= flag;
                    if (area)
                        dfs_run__catf(area, area_size,
                                      "%s\"%s\" 0x%08x-0x%08llx in the device's "
                                      "layout",
                                      area[0] ? ", " : "", l->name, (unsigned)r->start,
                                      (unsigned long long)(r->end - 1));
                    break;
                }
            }
        }
    }
    return need;
}

enum dfs_run__dfuse_cmd_kind dfs_run__dfuse_cmd(const uint8_t *d, uint32_t len, uint32_t *addr)
{
    if (len == 0)
        return DFS_RUN__CMD_NONE;
    uint32_t a = len >= 5 ? (uint32_t)d[1] | (uint32_t)d[2] << 8 | (uint32_t)d[3] << 16 |
                                (uint32_t)d[4] << 24
                          : 0;
    if (addr)
        *addr = a;
    switch (d[0]) {
    case DFS_DFUSE_GET_COMMANDS: return len == 1 ? DFS_RUN__CMD_GET_COMMANDS : DFS_RUN__CMD_UNKNOWN;
    case DFS_DFUSE_SET_ADDRESS: return len == 5 ? DFS_RUN__CMD_SET_ADDRESS : DFS_RUN__CMD_UNKNOWN;
    case DFS_DFUSE_ERASE:
        return len == 5   ? DFS_RUN__CMD_ERASE
               : len == 1 ? DFS_RUN__CMD_MASS_ERASE
                          : DFS_RUN__CMD_UNKNOWN;
    case DFS_DFUSE_READ_UNPROTECT:
        return len == 1 ? DFS_RUN__CMD_READ_UNPROTECT : DFS_RUN__CMD_UNKNOWN;
    default: return DFS_RUN__CMD_UNKNOWN;
    }
}

/* Page size at addr from the layouts, 0 when unknown. */
static uint32_t page_at(const struct dfs_device_facts *f, uint32_t addr)
{
    if (!f)
        return 0;
    for (unsigned i = 0; i < f->n_layouts && i < DFS_FACTS_MAX_LAYOUTS; i++) {
        const struct dfs_layout_region *r = dfs_layout_find(&f->layouts[i], addr);
        if (r)
            return r->size;
    }
    return 0;
}

static unsigned write_needs(const struct dfs_device_facts *f, uint32_t addr, uint32_t len,
                            const char *verb, char *why, size_t why_size)
{
    char area[400];
    unsigned need = DFS_ALLOW_WRITE | dfs_run__area_needs(f, addr, len, area, sizeof area);
    dfs_run__fmt(why, why_size, "%s %u byte%s at 0x%08x%s%s", verb, (unsigned)len,
                 len == 1 ? "" : "s", (unsigned)addr, area[0] ? " in " : "", area);
    return need;
}

static unsigned erase_needs(const struct dfs_device_facts *f, uint32_t addr, char *why,
                            size_t why_size)
{
    char area[400];
    uint32_t page = page_at(f, addr);
    unsigned need = DFS_ALLOW_ERASE | dfs_run__area_needs(f, addr, page, area, sizeof area);
    dfs_run__fmt(why, why_size, "erases the page at 0x%08x%s%s", (unsigned)addr,
                 area[0] ? " in " : "", area);
    return need;
}

/* An Atmel FLIP command block (doc7618; the groups dfu-programmer's
 * atmel.c sends to the AVR, XMEGA and UC3 bootloaders alike): what it
 * needs. */
static unsigned flip_needs(const uint8_t *d, uint32_t len, char *why, size_t why_size)
{
    uint8_t sub = len > 1 ? d[1] : 0xff;
    switch (d[0]) {
    case 0x01:
        dfs_run__fmt(why, why_size, "is a FLIP program command (writes %s)",
                     sub == 0x01 ? "the EEPROM" : "memory");
        return DFS_ALLOW_WRITE;
    case 0x03:
        if (sub > 0x02)
            break;
        dfs_run__fmt(why, why_size, "is a FLIP %s command (reads)",
                     sub == 0x01 ? "blank check" : "display data");
        return 0;
    case 0x04:
        if (sub == 0x00) {
            dfs_run__fmt(why, why_size, "is a FLIP erase command (erases the flash)");
            return DFS_ALLOW_ERASE;
        }
        if (sub == 0x03) {
            dfs_run__fmt(why, why_size, "is a FLIP start-application command");
            return 0;
        }
        dfs_run__fmt(why, why_size,
                     "is a FLIP write command (configuration or fuse bits, like option bytes)");
        return DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES;
    case 0x05:
        dfs_run__fmt(why, why_size, "is a FLIP read command (bootloader and chip IDs)");
        return 0;
    case 0x06:
        if (sub != 0x03)
            break;
        dfs_run__fmt(why, why_size, "is a FLIP select command (page or memory)");
        return 0;
    default:
        break;
    }
    dfs_run__fmt(why, why_size, "is a FLIP command 0x%02x 0x%02x dfuscope does not know", d[0],
                 sub);
    return DFS_ALLOW_WRITE;
}

unsigned dfs_run__dnload_needs(const struct dfs_device_facts *f, int dfuse,
                               struct dfs_run__ptr_state *ps, uint16_t block, const uint8_t *data,
                               uint32_t len, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    if (len == 0) {
        dfs_run__fmt(why, why_size,
                     "zero-length DNLOAD (ends a download; DfuSe: leave; FLIP: runs the "
                     "application after a start command)");
        return 0;
    }
    if (f && f->flip && data)
        return flip_needs(data, len, why, why_size);
    if (dfuse == 0) {
        dfs_run__fmt(why, why_size, "downloads %u bytes of firmware (block %u)", (unsigned)len,
                     (unsigned)block);
        return DFS_ALLOW_WRITE;
    }
    if (dfuse < 0) {
        /* -1, before the device is opened: what is certain either way;
         * -2, a device that says neither: what either reading needs */
        char w2[300];
        unsigned d = dfs_run__dnload_needs(f, 1, ps, block, data, len, w2, sizeof w2);
        unsigned need = dfuse == -1 ? d & DFS_ALLOW_WRITE : d | DFS_ALLOW_WRITE;
        if (d & DFS_ALLOW_WRITE)
            dfs_run__fmt(why, why_size, "%s (or, on a plain DFU device, downloads firmware)", w2);
        else
            dfs_run__fmt(why, why_size,
                         "%s; on a plain DFU 1.1 device this DNLOAD would program "
                         "firmware and need --allow-write",
                         w2);
        return need;
    }
    if (block == 0) {
        uint32_t a = 0;
        switch (dfs_run__dfuse_cmd(data, len, &a)) {
        case DFS_RUN__CMD_SET_ADDRESS:
            ps->known = true;
            ps->addr = a;
            dfs_run__fmt(why, why_size, "sets the address pointer to 0x%08x", (unsigned)a);
            return 0;
        case DFS_RUN__CMD_GET_COMMANDS: dfs_run__fmt(why, why_size, "DfuSe get-commands"); return 0;
        case DFS_RUN__CMD_ERASE: return erase_needs(f, a, why, why_size);
        case DFS_RUN__CMD_MASS_ERASE:
            dfs_run__fmt(why, why_size, "mass-erases the memory");
            return DFS_ALLOW_ERASE;
        case DFS_RUN__CMD_READ_UNPROTECT:
            dfs_run__fmt(why, why_size, "read-unprotect (the chip mass-erases its flash)");
            return DFS_ALLOW_ERASE | DFS_ALLOW_UNPROTECT;
        case DFS_RUN__CMD_NONE: return 0;
        case DFS_RUN__CMD_UNKNOWN: break;
        }
        dfs_run__fmt(why, why_size,
                     "unknown DfuSe command 0x%02x with %u byte%s: its effect is not "
                     "known",
                     data[0], (unsigned)len, len == 1 ? "" : "s");
        return DFS_ALLOW_WRITE;
    }
    if (block == 1) {
        dfs_run__fmt(why, why_size, "DNLOAD block 1, which DfuSe does not define");
        return DFS_ALLOW_WRITE;
    }
    if (!ps->known) {
        dfs_run__fmt(why, why_size,
                     "writes %u bytes (block %u) at an address no set-address before "
                     "it chose, so it could be anywhere (option bytes and OTP included)",
                     (unsigned)len, (unsigned)block);
        return DFS_ALLOW_WRITE | DFS_ALLOW_OPTION_BYTES | DFS_ALLOW_OTP;
    }
    uint64_t off_lo, off_hi;
    if (f && f->transfer_size) {
        off_lo = off_hi = (uint64_t)(block - 2) * f->transfer_size;
    } else {
        /* wTransferSize not known yet: every size it could be */
        off_lo = (uint64_t)(block - 2) * 1;
        off_hi = (uint64_t)(block - 2) * 0xffff;
    }
    uint64_t start = ps->addr + off_lo, end = ps->addr + off_hi + len;
    if (end > 0x100000000ull)
        end = 0x100000000ull;
    if (start >= end)
        start = end - 1;
    return write_needs(f, (uint32_t)start, (uint32_t)(end - start), "writes", why, why_size);
}

/* The needs of one script step; updates the pointer state. */
static unsigned step_needs(const dfs_script *s, const struct dfs_run__step *st,
                           const struct dfs_device_facts *f, int dfuse,
                           struct dfs_run__ptr_state *ps, char *why, size_t why_size)
{
    why[0] = '\0';
    const uint8_t *data = st->data_len ? dfs_run__script_data(s, st->data_off) : NULL;
    switch (st->kind) {
    case DFS_RUN__SK_SET_ADDRESS:
    case DFS_RUN__SK_READ:
        ps->known = true;
        ps->addr = st->addr;
        return 0;
    case DFS_RUN__SK_ERASE: return erase_needs(f, st->addr, why, why_size);
    case DFS_RUN__SK_MASS_ERASE:
        dfs_run__fmt(why, why_size, "mass-erases the memory");
        return DFS_ALLOW_ERASE;
    case DFS_RUN__SK_READ_UNPROTECT:
        dfs_run__fmt(why, why_size, "read-unprotect (the chip mass-erases its flash)");
        return DFS_ALLOW_ERASE | DFS_ALLOW_UNPROTECT;
    case DFS_RUN__SK_WRITE:
        ps->known = true;
        ps->addr = st->addr;
        return write_needs(f, st->addr, st->data_len, "writes", why, why_size);
    case DFS_RUN__SK_DNLOAD:
        return dfs_run__dnload_needs(f, dfuse, ps, st->setup.wValue, data, st->data_len, why,
                                     why_size);
    case DFS_RUN__SK_CONTROL: {
        const struct dfs_setup *su = &st->setup;
        if (su->bmRequestType & DFS_REQTYPE_DIR_IN)
            return 0;
        unsigned type = su->bmRequestType & DFS_REQTYPE_TYPE_MASK;
        unsigned recip = su->bmRequestType & DFS_REQTYPE_RECIP_MASK;
        if (type == DFS_REQTYPE_CLASS && recip == DFS_REQTYPE_RECIP_INTERFACE) {
            if (su->bRequest == DFS_DFU_DNLOAD)
                return dfs_run__dnload_needs(f, dfuse, ps, su->wValue, data, st->data_len, why,
                                             why_size);
            if (su->bRequest == DFS_DFU_DETACH || su->bRequest == DFS_DFU_CLRSTATUS ||
                su->bRequest == DFS_DFU_ABORT)
                return 0;
        }
        if (type == DFS_REQTYPE_STANDARD) {
            if (su->bRequest == DFS_REQ_SET_ADDRESS || su->bRequest == DFS_REQ_SET_DESCRIPTOR) {
                dfs_run__fmt(why, why_size, "standard %s changes the device",
                             dfs_std_request_name(su->bRequest));
                return DFS_ALLOW_WRITE;
            }
            return 0;
        }
        dfs_run__fmt(why, why_size, "%s OUT request 0x%02x whose effect is not known",
                     type == DFS_REQTYPE_VENDOR ? "vendor" : "class", su->bRequest);
        return DFS_ALLOW_WRITE;
    }
    default:
        return 0;
    }
}

unsigned dfs_script_needs(const dfs_script *s, const struct dfs_device_facts *facts,
                          unsigned allow, char *why, size_t why_size)
{
    if (why && why_size)
        why[0] = '\0';
    if (!s)
        return 0;
    /* no facts: before the device is opened; facts without a kind: a device
     * that says neither DfuSe nor plain DFU, taken at its worst */
    int dfuse = !facts ? -1 : facts->dfuse < 0 ? -2 : facts->dfuse;
    struct dfs_run__ptr_state ps = {false, 0};
    unsigned missing = 0;
    for (size_t i = 0; i < s->n_steps; i++) {
        const struct dfs_run__step *st = &s->steps[i];
        char w[600];
        struct dfs_run__ptr_state before = ps;
        unsigned need = step_needs(s, st, facts, dfuse, &ps, w, sizeof w);
        unsigned miss = need & ~allow;
        if (miss && !missing && why && why_size) {
            char flags[160], more[160] = "";
            dfs_allow_str(miss, flags, sizeof flags);
            if (dfuse == -1) {
                /* say now what a DfuSe device will need as well */
                char w2[600];
                unsigned d = step_needs(s, st, facts, 1, &before, w2, sizeof w2);
                dfs_allow_str(d & ~need & ~allow, more, sizeof more);
            }
            dfs_run__fmt(why, why_size, "%s:%u: '%s' %s: needs %s%s%s%s", dfs_run__step_file(s, st),
                         st->line, st->text, w, flags, more[0] ? " (on a DfuSe device also " : "",
                         more, more[0] ? ")" : "");
        }
        missing |= miss;
    }
    return missing;
}

unsigned dfs_run__step_needs(const dfs_script *s, size_t i, const struct dfs_device_facts *f,
                             struct dfs_run__ptr_state *ps, char *why, size_t why_size)
{
    return step_needs(s, &s->steps[i], f, !f ? -1 : f->dfuse < 0 ? -2 : f->dfuse, ps, why,
                      why_size);
}
