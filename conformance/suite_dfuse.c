/* The dfuse suite (docs/conformance.md): ST's DfuSe commands, the memory
 * each alternate setting's layout names, the option bytes, and an address
 * outside every layout. Read-only. */
#include <stdio.h>
#include <string.h>

#include "suite.h"

/* X(ENUM, function, per_alt, id, clause, title, needs) */
#define DFUSE_CHECKS(X)                                                                            \
    X(S_COMMANDS, commands, false, "dfuse.commands", "ST AN3156 (Get command)",                   \
      "UPLOAD of block 0 in dfuIDLE lists the commands: 0x00 first, 0x21 and 0x41 among them", 0) \
    X(S_SET_ADDRESS, set_address, true, "dfuse.set-address", "ST AN3156 (Set Address Pointer)",   \
      "Set Address Pointer to the start of the alternate setting's memory: dfuDNBUSY, then "       \
      "dfuDNLOAD-IDLE with status OK",                                                             \
      0)                                                                                           \
    X(S_READ_REGION, read_region, true, "dfuse.read-region",                                      \
      "ST AN3156 (Read memory), UM0424",                                                           \
      "Reading the start of each readable region of the layout returns the bytes asked for", 0)    \
    X(S_READ_OB, read_option_bytes, false, "dfuse.read-option-bytes",                             \
      "ST AN3156 (Read memory); RM0444 option bytes", "The option bytes can be read (read only)",  \
      0)                                                                                           \
    X(S_OUTSIDE, address_outside, false, "dfuse.address-outside",                                 \
      "ST AN3156 (Set Address Pointer: errTARGET; Read memory: errADDRESS)",                       \
      "An address outside every advertised region is refused (dfuERROR with errTARGET or "         \
      "errADDRESS, or a STALL), not answered with data",                                           \
      0)

enum { DFUSE_CHECKS(DFS_RUN__CHECK_ENUM) S__COUNT };
DFUSE_CHECKS(DFS_RUN__CHECK_DECL)

/* Known option-byte bases of STM32 system bootloaders; each is checked
 * against dfs_ob_area_find so that this list cannot name an area the
 * decoder's table does not know. */
static const uint32_t ob_bases[] = {0x1FFF7800, 0x1FFFC000, 0x1FFF0000, 0x1FFFF800, 0x1FF80000};

struct dfuse_state {
    uint32_t rd;         /* read sizes the device surely takes */
    uint8_t buf[256];
    uint8_t first_alt;   /* the alternate setting before the suite */
};

static struct dfuse_state *state(struct dfs_run__suite_ctx *c) { return c->state; }

static bool in_any_layout(const struct dfs_run__sess *s, uint32_t addr)
{
    for (unsigned i = 0; i < s->n_alts; i++)
        if (s->alts[i].layout_ok && dfs_layout_find(&s->alts[i].layout, addr))
            return true;
    return false;
}

/* Read len bytes at addr on the current alt; returns the bytes read, or
 * -1 when the set-address was refused (gs says how), -2 when the UPLOAD
 * failed. */
static long read_at(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci, uint32_t addr,
                    uint32_t len, uint8_t *buf, enum dfs_xfer_status *stp,
                    struct dfs_run__getstatus *gs)
{
    uint32_t floor = c->s->o->busy_floor_ms;
    *stp = dfs_run__set_address(c, ci, addr, floor, gs);
    if (*stp != DFS_XFER_OK || gs->bState != DFS_STATE_DNLOAD_IDLE ||
        gs->bStatus != DFS_STATUS_OK)
        return -1;
    *stp = dfs_run__out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort");
    if (*stp != DFS_XFER_OK)
        return -1;
    uint32_t got = 0;
    char t[40];
    dfs_run__fmt(t, sizeof t, "upload 2 %u", (unsigned)len);
    *stp = dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, 2, buf, (uint16_t)len, &got, t);
    if (*stp != DFS_XFER_OK)
        return -2;
    return (long)got;
}

/* A check's end: stop the suite when the device left or the user stopped
 * it, else bring the device to dfuIDLE for the next check. */
static enum dfs_run__next next(struct dfs_run__suite_ctx *c)
{
    if (dfs_run__device_lost(c))
        return DFS_RUN__STOP;
    dfs_run__to_idle(c, NULL);
    return DFS_RUN__NEXT;
}

static enum dfs_run__next commands(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfuse_state *d = state(c);
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (!dfs_run__to_idle(c, ci)) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the device could not be brought to dfuIDLE");
        return next(c);
    }
    const uint8_t *buf = d->buf;
    enum dfs_xfer_status st =
        dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, 0, d->buf, (uint16_t)d->rd, &got, "upload 0");
    bool has21 = false, has41 = false, has92 = false;
    for (uint32_t i = 1; st == DFS_XFER_OK && i < got; i++) {
        has21 |= buf[i] == DFS_DFUSE_SET_ADDRESS;
        has41 |= buf[i] == DFS_DFUSE_ERASE;
        has92 |= buf[i] == DFS_DFUSE_READ_UNPROTECT;
    }
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block 0: %s",
                           dfs_xfer_status_name(st));
    else if (got < 1 || buf[0] != DFS_DFUSE_GET_COMMANDS)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the list does not start with 0x00 (%u bytes)",
                           (unsigned)got);
    else if (!has21 || !has41)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the list lacks %s%s%s",
                           has21 ? "" : "0x21 (set address)", !has21 && !has41 ? " and " : "",
                           has41 ? "" : "0x41 (erase)");
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "0x00 0x21 0x41%s", has92 ? " 0x92" : "");
    return next(c);
}

/* ---- per alternate setting: set-address and a read of each region start -------------------- */

static enum dfs_run__next set_address(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    const struct dfs_run__alt *a = c->alt;
    struct dfs_run__getstatus gs;
    char inst[40];
    dfs_run__fmt(inst, sizeof inst, "alt %u", a->alt);
    if (!a->layout_ok) {
        dfs_run__record_check(s, c->suite, ci, inst, DFS_VERDICT_SKIP, true,
                              "no layout string that parses (see desc.dfuse.layout-parse)");
        return DFS_RUN__NEXT_ALT;
    }
    dfs_run__check_begin(s, c->suite, ci, inst);
    dfs_run__suite_step(c, ci, "set-interface %u", a->alt);
    enum dfs_xfer_status st = dfs_run__set_alt(s, a->alt);
    dfs_run__suite_step_done(c, st, 0);
    if (st != DFS_XFER_OK) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "SET_INTERFACE %u: %s", a->alt,
                           dfs_xfer_status_name(st));
        return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT_ALT;
    }
    dfs_run__to_idle(c, ci);
    uint32_t start = a->layout.regions[0].start;
    st = dfs_run__set_address(c, ci, start, s->o->busy_floor_ms, &gs);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x: %s", (unsigned)start,
                           dfs_xfer_status_name(st));
    else if (gs.bState != DFS_STATE_DNLOAD_IDLE || gs.bStatus != DFS_STATUS_OK) {
        char g[120];
        dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x: %s", (unsigned)start, g);
    } else
        dfs_run__check_end(s, DFS_VERDICT_PASS, "0x%08x", (unsigned)start);
    return next(c);
}

/* One region of the current alternate setting. */
static void read_one_region(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                            const struct dfs_layout_region *rg, const char *inst)
{
    struct dfs_run__sess *s = c->s;
    struct dfuse_state *d = state(c);
    struct dfs_run__getstatus gs;
    enum dfs_xfer_status st;
    dfs_run__check_begin(s, c->suite, ci, inst);
    uint64_t rlen = rg->end - rg->start;
    uint32_t want = rlen < d->rd ? (uint32_t)rlen : d->rd;
    long n = read_at(c, ci, rg->start, want, d->buf, &st, &gs);
    if (n == -1) {
        char g[120] = "";
        if (st == DFS_XFER_OK)
            dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "set-address 0x%08x refused: %s",
                           (unsigned)rg->start, st == DFS_XFER_OK ? g : dfs_xfer_status_name(st));
    } else if (n < 0) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD at 0x%08x: %s", (unsigned)rg->start,
                           dfs_xfer_status_name(st));
    } else if ((uint32_t)n != want) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%ld bytes returned of %u asked for", n,
                           (unsigned)want);
    } else {
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes", (unsigned)want);
    }
}

static enum dfs_run__next read_region(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci)
{
    const struct dfs_run__alt *a = c->alt;
    unsigned nreg = a->layout.n_regions < 16 ? a->layout.n_regions : 16;
    for (unsigned r = 0; r < nreg; r++) {
        const struct dfs_layout_region *rg = &a->layout.regions[r];
        char ri[60];
        dfs_run__fmt(ri, sizeof ri, "alt %u 0x%08x", a->alt, (unsigned)rg->start);
        if (!(rg->flags & DFS_MEM_READABLE)) {
            dfs_run__record_check(c->s, c->suite, ci, ri, DFS_VERDICT_SKIP, true,
                                  "type '%c': not readable by its layout", rg->type);
            continue;
        }
        read_one_region(c, ci, rg, ri);
        if (next(c) == DFS_RUN__STOP)
            return DFS_RUN__STOP;
    }
    return DFS_RUN__NEXT;
}

/* ---- option bytes ----------------------------------------------------------------------------- */

/* From the layout region named "Option...": true when one names them (the
 * check then ended). */
static bool option_bytes_by_layout(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfuse_state *d = state(c);
    struct dfs_run__getstatus gs;
    for (unsigned i = 0; i < s->n_alts; i++) {
        const struct dfs_run__alt *a = &s->alts[i];
        if (!a->layout_ok)
            continue;
        bool ob = false;
        for (const char *p = a->layout.name; *p && !ob; p++)
            ob = (p[0] | 0x20) == 'o' && strncmp(p + 1, "ption", 5) == 0;
        if (!ob)
            continue;
        const struct dfs_layout_region *rg = &a->layout.regions[0];
        uint64_t rlen = rg->end - rg->start;
        uint32_t want = rlen < d->rd ? (uint32_t)rlen : d->rd;
        dfs_run__suite_step(c, ci, "set-interface %u", a->alt);
        enum dfs_xfer_status st = dfs_run__set_alt(s, a->alt);
        dfs_run__suite_step_done(c, st, 0);
        long n = st == DFS_XFER_OK ? read_at(c, ci, rg->start, want, d->buf, &st, &gs) : -2;
        if (n < 0)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "alt %u \"%s\": reading 0x%08x failed (%s)",
                               a->alt, a->layout.name, (unsigned)rg->start,
                               dfs_xfer_status_name(st));
        else if (n == 0)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "alt %u: 0 bytes at 0x%08x", a->alt,
                               (unsigned)rg->start);
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "%ld bytes at 0x%08x (alt %u, \"%s\")", n,
                               (unsigned)rg->start, a->alt, a->layout.name);
        dfs_run__to_idle(c, NULL);
        return true;
    }
    return false;
}

/* Else the known STM32 areas, on each alternate setting: 1 one was read
 * (the check ended), 0 none, -1 the suite stops (the check is open). */
static int option_bytes_known(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfuse_state *d = state(c);
    struct dfs_run__getstatus gs;
    for (unsigned i = 0; i < s->n_alts; i++) {
        const struct dfs_run__alt *a = &s->alts[i];
        dfs_run__suite_step(c, ci, "set-interface %u", a->alt);
        enum dfs_xfer_status st = dfs_run__set_alt(s, a->alt);
        dfs_run__suite_step_done(c, st, 0);
        if (st != DFS_XFER_OK)
            return 0;
        for (size_t k = 0; k < sizeof ob_bases / sizeof ob_bases[0]; k++) {
            const struct dfs_ob_area *area = dfs_ob_area_find(ob_bases[k]);
            if (!area)
                continue;
            uint32_t want = area->end - area->start;
            if (want > d->rd)
                want = d->rd;
            dfs_run__to_idle(c, NULL);
            long n = read_at(c, ci, area->start, want, d->buf, &st, &gs);
            if (n > 0)
                dfs_run__check_end(s, DFS_VERDICT_PASS,
                                   "%ld bytes at 0x%08x (%s) on alt %u, "
                                   "although no layout string names them",
                                   n, (unsigned)area->start, area->families, a->alt);
            if (dfs_run__device_lost(c))
                return -1;
            if (n > 0)
                return 1;
        }
    }
    return 0;
}

static enum dfs_run__next read_option_bytes(struct dfs_run__suite_ctx *c,
                                            const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    bool done = option_bytes_by_layout(c, ci);
    if (!done) {
        int known = option_bytes_known(c, ci);
        if (known < 0)
            return DFS_RUN__STOP;
        done = known > 0;
    }
    if (!done)
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "no layout names option bytes and none of the "
                           "known STM32 option-byte areas could be read");
    dfs_run__to_idle(c, NULL);
    return dfs_run__device_lost(c) ? DFS_RUN__STOP : DFS_RUN__NEXT;
}

/* ---- an address outside the layout -------------------------------------------------------------- */

/* An address just past a layout that is outside every other one and every
 * known area, and the alternate setting whose layout it follows. */
static bool outside_address(const struct dfs_run__sess *s, uint32_t *addr, uint8_t *alt)
{
    for (unsigned i = 0; i < s->n_alts; i++) {
        const struct dfs_run__alt *a = &s->alts[i];
        if (!a->layout_ok)
            continue;
        uint64_t end = 0;
        for (unsigned r = 0; r < a->layout.n_regions; r++)
            if (a->layout.regions[r].end > end)
                end = a->layout.regions[r].end;
        if (end >= 0x100000000ull)
            continue;
        uint32_t cand = (uint32_t)end;
        if (in_any_layout(s, cand) || dfs_ob_area_find(cand) || dfs_run__otp_area_find(cand, 1))
            continue;
        *addr = cand;
        *alt = a->alt;
        return true;
    }
    return false;
}

static void judge_outside(struct dfs_run__sess *s, uint32_t addr, long n, enum dfs_xfer_status st,
                          const struct dfs_run__getstatus *gs)
{
    bool refused_gs = n == -1 && st == DFS_XFER_OK && gs->bState == DFS_STATE_ERROR;
    const char *status = refused_gs ? dfs_dfu_status_name(gs->bStatus) : NULL;
    if (n == -1 && st == DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_PASS, "set-address 0x%08x: STALL", (unsigned)addr);
    else if (refused_gs &&
             (gs->bStatus == DFS_STATUS_ERR_TARGET || gs->bStatus == DFS_STATUS_ERR_ADDRESS))
        dfs_run__check_end(s, DFS_VERDICT_PASS, "set-address 0x%08x: dfuERROR/%s",
                           (unsigned)addr, status);
    else if (refused_gs)
        dfs_run__check_end(s, DFS_VERDICT_WARN,
                           "set-address 0x%08x refused with %s rather "
                           "than errTARGET",
                           (unsigned)addr, status ? status : "an undefined status");
    else if (n == -2 && st == DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_PASS, "the UPLOAD at 0x%08x STALLed", (unsigned)addr);
    else if (n == 0)
        dfs_run__check_end(s, DFS_VERDICT_PASS, "the UPLOAD at 0x%08x returned no data",
                           (unsigned)addr);
    else if (n > 0)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "0x%08x is outside every layout, yet the "
                           "device returned %ld bytes from it without an error",
                           (unsigned)addr, n);
    else
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "unexpected answer at 0x%08x: %s",
                           (unsigned)addr, dfs_xfer_status_name(st));
}

static enum dfs_run__next address_outside(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfuse_state *d = state(c);
    struct dfs_run__getstatus gs;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    uint32_t addr = 0;
    uint8_t alt = d->first_alt;
    if (!outside_address(s, &addr, &alt)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "no address just past a layout is outside every "
                           "other one");
        return DFS_RUN__NEXT;
    }
    dfs_run__suite_step(c, ci, "set-interface %u", alt);
    enum dfs_xfer_status st = dfs_run__set_alt(s, alt);
    dfs_run__suite_step_done(c, st, 0);
    dfs_run__to_idle(c, NULL);
    long n = read_at(c, ci, addr, 64, d->buf, &st, &gs);
    judge_outside(s, addr, n, st, &gs);
    return next(c);
}

/* ---- the suite -------------------------------------------------------------------------------- */

static const struct dfs_check_info info[] = {DFUSE_CHECKS(DFS_RUN__CHECK_INFO)};
static const struct dfs_run__check checks[] = {DFUSE_CHECKS(DFS_RUN__CHECK_RUN)};

static void run(struct dfs_run__suite_ctx *c)
{
    struct dfs_run__sess *s = c->s;
    if (!s->have_dfu || s->facts.dfuse != 1) {
        dfs_run__rest_not_run(c, 0, S__COUNT, DFS_VERDICT_SKIP,
                              s->have_dfu ? "not a DfuSe device (bcdDFUVersion is not 0x011A and "
                                            "the alternate settings name no layouts)"
                                          : "the device has no DFU interface");
        return;
    }
    if (s->protocol != DFS_DFU_PROTO_DFU) {
        dfs_run__rest_not_run(c, 0, S__COUNT, DFS_VERDICT_SKIP,
                              "the device is in run-time mode (bInterfaceProtocol 1)");
        return;
    }
    struct dfuse_state d;
    memset(&d, 0, sizeof d);
    uint32_t xfer = s->facts.transfer_size ? s->facts.transfer_size : 256;
    d.rd = xfer < 256 ? xfer : 256;
    d.first_alt = s->alt_known ? s->alt : 0;
    c->state = &d;
    if (dfs_run__suite_walk(c)) {
        /* leave the alternate setting as it was */
        if (!s->gone && (!s->alt_known || s->alt != d.first_alt)) {
            dfs_run__suite_step(c, NULL, "set-interface %u", d.first_alt);
            enum dfs_xfer_status st = dfs_run__set_alt(s, d.first_alt);
            dfs_run__suite_step_done(c, st, 0);
        }
        dfs_run__device_lost(c);
    }
    c->state = NULL;
}

const struct dfs_run__suite dfs_run__suite_dfuse = {
    "dfuse", info, checks, S__COUNT, NULL, run,
};
