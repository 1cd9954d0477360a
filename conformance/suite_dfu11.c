/* The dfu11 suite (docs/conformance.md): the DFU 1.1 state machine in DFU
 * mode, uploads, and bwPollTimeout. Read-only, except where a check says
 * it needs a flag (on a plain DFU device the busy checks download the
 * device's own first block, with --allow-write). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

/* X(ENUM, function, per_alt, id, clause, title, needs) */
#define DFU11_CHECKS(X)                                                                            \
    X(F_GETSTATUS_IDLE, getstatus_idle, false, "dfu11.getstatus-idle", "DFU 1.1 6.1.2",           \
      "GETSTATUS in dfuIDLE answers 6 bytes: status OK, state dfuIDLE", 0)                         \
    X(F_GETSTATE_IDLE, getstate_idle, false, "dfu11.getstate-idle", "DFU 1.1 6.1.4",              \
      "GETSTATE in dfuIDLE answers 1 byte: dfuIDLE", 0)                                            \
    X(F_ABORT_IDLE, abort_idle, false, "dfu11.abort-idle", "DFU 1.1 6.1.5, A.2.3",                \
      "ABORT in dfuIDLE is accepted and the device stays in dfuIDLE", 0)                           \
    X(F_CLRSTATUS_IDLE, clrstatus_idle, false, "dfu11.clrstatus-idle",                            \
      "DFU 1.1 A.2.3; dfu-quirks R15",                                                             \
      "CLRSTATUS outside dfuERROR is refused with a STALL, not accepted into dfuERROR", 0)         \
    X(F_INVALID_STALLS, invalid_stalls, false, "dfu11.invalid-request-stalls",                    \
      "DFU 1.1 A.2.3, A.2.6, A.2.11",                                                              \
      "A request invalid in the state STALLs and leads to dfuERROR with errSTALLEDPKT", 0)         \
    X(F_CLRSTATUS_ERROR, clrstatus_error, false, "dfu11.clrstatus-error",                         \
      "DFU 1.1 6.1.3, A.2.11",                                                                     \
      "CLRSTATUS in dfuERROR returns the device to dfuIDLE with status OK", 0)                     \
    X(F_UPLOAD_XFER, upload_xfer, false, "dfu11.upload-transfer-size",                            \
      "DFU 1.1 4.1.3 (wTransferSize), 6.2",                                                        \
      "An UPLOAD of wTransferSize bytes is answered, not STALLed", 0)                              \
    X(F_UPLOAD_SHORT, upload_short, false, "dfu11.upload-short-end", "DFU 1.1 6.2, A.2.10",       \
      "UPLOAD ends with a short packet, and the device is then in dfuIDLE", 0)                     \
    X(F_ABORT_UPLOAD, abort_upload, false, "dfu11.abort-upload-idle", "DFU 1.1 6.1.5, A.2.10",    \
      "ABORT in dfuUPLOAD-IDLE returns the device to dfuIDLE", 0)                                  \
    X(F_ABORT_DNLOAD, abort_dnload, false, "dfu11.abort-dnload-idle", "DFU 1.1 6.1.5, A.2.6",     \
      "ABORT in dfuDNLOAD-IDLE returns the device to dfuIDLE", 0)                                  \
    X(F_POLL_SUFFICIENT, poll_sufficient, false, "dfu11.poll-timeout-sufficient",                 \
      "DFU 1.1 6.1.2 (bwPollTimeout)",                                                             \
      "A GETSTATUS sent once the announced bwPollTimeout has passed does not STALL", 0)            \
    X(F_BUSY_POLL, busy_poll, false, "dfu11.busy-poll-timeout", "DFU 1.1 6.1.2; dfu-quirks R4",   \
      "A dfuDNBUSY reply does not announce bwPollTimeout 0 while the device stays busy", 0)        \
    X(F_GETSTATUS_EARLY, getstatus_early, false, "dfu11.getstatus-early",                         \
      "DFU 1.1 6.1.2; dfu-quirks R2",                                                              \
      "A GETSTATUS sent before bwPollTimeout is answered (or STALLed) and the device recovers",     \
      DFS_ALLOW_TIMING_ABUSE)

enum { DFU11_CHECKS(DFS_RUN__CHECK_ENUM) F__COUNT };
DFU11_CHECKS(DFS_RUN__CHECK_DECL)

/* What the checks learn for the checks after them. */
struct dfu11_state {
    uint32_t xfer;        /* wTransferSize, 0 when unknown */
    uint32_t chunk;       /* the UPLOAD size the device takes */
    /* The status of the request the suite last looked at: upload_xfer
     * reads the one left by the checks before it when it sends nothing
     * itself (as the suite always has). */
    enum dfs_xfer_status st;
    bool in_error;        /* invalid_stalls left the device in dfuERROR */
    uint8_t *image;       /* plain DFU: the first block uploaded, for the busy checks */
    uint32_t image_len;
    /* poll_sufficient measures both bwPollTimeout checks; busy_poll records
     * its verdict */
    bool busy_started;
    enum dfs_verdict v_busy;
    char m_busy[300];
    /* the flags without which the busy checks could not make the device
     * really busy (an erase, a download): not checked, not passed */
    unsigned busy_needs;
};

static struct dfu11_state *state(struct dfs_run__suite_ctx *c) { return c->state; }

/* A FLIP bootloader (dfu-quirks R25, found through the quirk table) reads
 * every DNLOAD as a command block (program, erase, start the application,
 * and the read commands) and answers an UPLOAD from dfuIDLE with what its
 * last read command prepared. The checks that need a DFU 1.1 download, an
 * invalid DNLOAD or a DFU 1.1 upload do not apply to it: why, or NULL when
 * the device is not one. */
static const char *flip_not_for(const struct dfs_run__sess *s, const char *what)
{
    return s->dfu_quirk == 25 ? what : NULL;
}

#define FLIP_NO_DNLOAD                                                                             \
    "a FLIP bootloader (known quirk R25) takes each DNLOAD as a command block: its busy time "    \
    "comes from program and erase commands, which change the device, and a zero-length DNLOAD " \
    "after a start command runs the application; the suite sends none"
#define FLIP_NO_UPLOAD                                                                             \
    "a FLIP bootloader (known quirk R25) answers an UPLOAD in dfuIDLE with the reply to its "     \
    "last read command, not with firmware; its memory is read through a display command block " \
    "(a DNLOAD)"

static bool can_upload(const struct dfs_run__sess *s)
{
    return !s->has_func || (s->func.bmAttributes & DFS_DFU_ATTR_CAN_UPLOAD);
}

/* A check's end: stop the suite when the device left or the user stopped
 * it, else bring the device to dfuIDLE for the next check (when idle). */
static enum dfs_run__next next(struct dfs_run__suite_ctx *c, bool idle)
{
    if (dfs_run__device_lost(c))
        return DFS_RUN__STOP;
    if (idle)
        dfs_run__to_idle(c, NULL);
    return DFS_RUN__NEXT;
}

/* ---- DfuSe helpers -------------------------------------------------------------------------- */

/* DfuSe: set the address pointer to the first readable region of the
 * current alternate setting (or any) and reach dfuDNLOAD-IDLE. len, when
 * given, gets the region's size. */
static bool address_readable(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                             uint32_t *len)
{
    struct dfs_run__sess *s = c->s;
    struct dfs_run__getstatus gs;
    uint32_t addr, l;
    if (!dfs_run__first_readable(s, s->alt_known ? s->alt : 0, &addr, &l))
        return false;
    if (len)
        *len = l;
    return dfs_run__set_address(c, ci, addr, s->o->busy_floor_ms, &gs) == DFS_XFER_OK &&
           gs.bState == DFS_STATE_DNLOAD_IDLE;
}

/* DfuSe: as address_readable, then ABORT to dfuIDLE, so that UPLOAD block 2
 * on reads from there. */
static bool point_at_readable(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                              uint32_t *len)
{
    return address_readable(c, ci, len) &&
           dfs_run__out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort") == DFS_XFER_OK;
}

/* The end of an ABORT check: ABORT in `in_state`, then GETSTATUS; the
 * device must accept it and be in dfuIDLE. */
static void abort_to_idle(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                          const char *in_state)
{
    struct dfs_run__getstatus gs;
    enum dfs_xfer_status st = dfs_run__out_step(c, ci, DFS_DFU_ABORT, 0, NULL, 0, "abort");
    enum dfs_xfer_status st2 = dfs_run__gs_step(c, ci, false, &gs);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(c->s, DFS_VERDICT_FAIL, "ABORT in %s: %s", in_state,
                           dfs_xfer_status_name(st));
    else if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE)
        dfs_run__check_end(c->s, DFS_VERDICT_FAIL, "after ABORT: %s, state %s",
                           dfs_xfer_status_name(st2),
                           st2 == DFS_XFER_OK ? dfs_run__state_text(gs.bState) : "?");
    else
        dfs_run__check_end(c->s, DFS_VERDICT_PASS, NULL);
}

/* DfuSe real work for a timing check: erase the last page of the first
 * erasable region of the current alternate setting (a set-address may take
 * no time at all). 1 sent, 0 nothing to erase, -1 the DNLOAD failed. */
static int erase_for_timing(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    const struct dfs_run__alt *a = dfs_run__alt_info(s, s->alt_known ? s->alt : 0);
    for (unsigned r = 0; a && a->layout_ok && r < a->layout.n_regions; r++) {
        const struct dfs_layout_region *rg = &a->layout.regions[r];
        if ((rg->flags & (DFS_MEM_ERASABLE | DFS_MEM_WRITABLE)) !=
            (DFS_MEM_ERASABLE | DFS_MEM_WRITABLE))
            continue;
        uint32_t page = (uint32_t)(rg->end - rg->size);
        if (dfs_run__area_needs(&s->facts, page, rg->size, NULL, 0) & ~s->o->allow)
            continue; /* option bytes or OTP: not for a timing check */
        return dfs_run__dfuse_command(c, ci, DFS_DFUSE_ERASE, page,
                                      " (the region's last page)") == DFS_XFER_OK
                   ? 1
                   : -1;
    }
    return 0;
}

/* Start something that makes the device busy: a DfuSe set-address, or on a
 * plain DFU device a download of its own first block (needs WRITE). The
 * DNLOAD only; the caller sends the GETSTATUS. *needs gets the flags that
 * were missing for the real work: WRITE when nothing could be started on a
 * plain DFU device, ERASE when a DfuSe device was given a set-address
 * instead of an erase (which may take it no time). */
static bool start_busy(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                       bool real_work, char *why, size_t why_size, unsigned *needs)
{
    struct dfs_run__sess *s = c->s;
    const struct dfu11_state *d = state(c);
    *needs = 0;
    const char *flip = flip_not_for(s, FLIP_NO_DNLOAD);
    if (flip) {
        dfs_run__fmt(why, why_size, "%s", flip);
        return false;
    }
    if (s->facts.dfuse == 1 && real_work && !(s->o->allow & DFS_ALLOW_ERASE))
        *needs = DFS_ALLOW_ERASE;
    if (s->facts.dfuse == 1 && real_work && (s->o->allow & DFS_ALLOW_ERASE)) {
        int erased = erase_for_timing(c, ci);
        if (erased < 0)
            dfs_run__fmt(why, why_size, "the erase DNLOAD failed");
        if (erased)
            return erased > 0;
    }
    if (s->facts.dfuse == 1) {
        uint32_t addr, len;
        if (!dfs_run__first_readable(s, s->alt_known ? s->alt : 0, &addr, &len)) {
            dfs_run__fmt(why, why_size, "no region in the layout to point the address at");
            return false;
        }
        if (dfs_run__dfuse_command(c, ci, DFS_DFUSE_SET_ADDRESS, addr, "") != DFS_XFER_OK) {
            dfs_run__fmt(why, why_size, "the set-address DNLOAD failed");
            return false;
        }
        return true;
    }
    if (!(s->o->allow & DFS_ALLOW_WRITE)) {
        *needs = DFS_ALLOW_WRITE;
        dfs_run__fmt(why, why_size,
                     "needs --allow-write: a plain DFU 1.1 device is only busy while "
                     "it takes a download (the check downloads the device's own first block and "
                     "aborts)");
        return false;
    }
    if (!d->image || !d->image_len) {
        dfs_run__fmt(why, why_size, "no image was uploaded to download back");
        return false;
    }
    if (dfs_run__out_step(c, ci, DFS_DFU_DNLOAD, 0, d->image, (uint16_t)d->image_len,
                          "dnload 0 (the device's own first block)") != DFS_XFER_OK) {
        dfs_run__fmt(why, why_size, "the DNLOAD failed");
        return false;
    }
    return true;
}

/* ---- states ------------------------------------------------------------------------------- */

static enum dfs_run__next getstatus_idle(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    struct dfs_run__getstatus gs;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    bool idle = dfs_run__to_idle(c, ci);
    enum dfs_xfer_status st = d->st = dfs_run__gs_step(c, ci, false, &gs);
    if (dfs_run__device_lost(c))
        return DFS_RUN__STOP;
    if (!idle && st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "GETSTATUS failed (%s) and the device could not be "
                           "brought to dfuIDLE",
                           dfs_xfer_status_name(st));
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATUS: %s", dfs_xfer_status_name(st));
    else if (gs.bState != DFS_STATE_DFU_IDLE || gs.bStatus != DFS_STATUS_OK) {
        char g[120];
        dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s, after the device was brought to dfuIDLE", g);
    } else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    if (!idle) {
        dfs_run__rest_not_run(c, F_GETSTATE_IDLE, F__COUNT, DFS_VERDICT_SKIP,
                              "not run: the device could not be brought to dfuIDLE");
        return DFS_RUN__STOP;
    }
    return DFS_RUN__NEXT;
}

static enum dfs_run__next getstate_idle(struct dfs_run__suite_ctx *c,
                                        const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    uint8_t b[8];
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    enum dfs_xfer_status st = d->st =
        dfs_run__in_step(c, ci, DFS_DFU_GETSTATE, 0, b, 1, &got, "getstate");
    if (st != DFS_XFER_OK || got != 1)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATE: %s, %u bytes", dfs_xfer_status_name(st),
                           (unsigned)got);
    else if (b[0] != DFS_STATE_DFU_IDLE)
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "GETSTATE says %s (%u) right after GETSTATUS said "
                           "dfuIDLE",
                           dfs_run__state_text(b[0]), b[0]);
    else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return next(c, false);
}

static enum dfs_run__next abort_idle(struct dfs_run__suite_ctx *c,
                                     const struct dfs_check_info *ci)
{
    dfs_run__check_begin(c->s, c->suite, ci, NULL);
    abort_to_idle(c, ci, "dfuIDLE");
    return next(c, true);
}

/* CLRSTATUS outside dfuERROR */
static enum dfs_run__next clrstatus_idle(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    struct dfs_run__getstatus gs;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    enum dfs_xfer_status st = d->st =
        dfs_run__out_step(c, ci, DFS_DFU_CLRSTATUS, 0, NULL, 0, "clrstatus");
    enum dfs_xfer_status st2 = dfs_run__gs_step(c, ci, false, &gs);
    if (st == DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_PASS, "STALL");
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "CLRSTATUS in dfuIDLE: %s",
                           dfs_xfer_status_name(st));
    else if (st2 == DFS_XFER_OK && gs.bState == DFS_STATE_DFU_IDLE && gs.bStatus == DFS_STATUS_OK)
        dfs_run__check_end(s, DFS_VERDICT_WARN,
                           "accepted and ignored; DFU 1.1 allows CLRSTATUS in "
                           "dfuERROR only, so a STALL is expected");
    else {
        char g[120] = "no reply";
        if (st2 == DFS_XFER_OK)
            dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(
            s, DFS_VERDICT_FAIL,
            "CLRSTATUS in dfuIDLE was accepted and then: %s "
            "(dfu-quirks R15: a host that sends CLRSTATUS first is left in an error)",
            g);
    }
    return next(c, true);
}

/* An invalid request: DfuSe UPLOAD in dfuDNLOAD-IDLE (a zero-length DNLOAD
 * in dfuIDLE would be a DfuSe leave), plain DFU a zero-length DNLOAD in
 * dfuIDLE. */
static enum dfs_run__next invalid_stalls(struct dfs_run__suite_ctx *c,
                                         const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    struct dfs_run__getstatus gs;
    uint8_t b[8];
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    d->in_error = false;
    const char *flip = flip_not_for(s, FLIP_NO_DNLOAD);
    if (flip) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", flip);
        return next(c, false);
    }
    const char *what;
    bool sent = true;
    if (s->facts.dfuse == 1) {
        what = "UPLOAD in dfuDNLOAD-IDLE";
        sent = address_readable(c, ci, NULL);
        if (sent)
            d->st = dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, 2, b, 8, &got, "upload 2 8");
    } else {
        what = "zero-length DNLOAD in dfuIDLE";
        d->st = dfs_run__out_step(c, ci, DFS_DFU_DNLOAD, 0, NULL, 0, "dnload 0");
    }
    enum dfs_xfer_status st = d->st;
    if (!sent) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "could not reach dfuDNLOAD-IDLE with a "
                           "set-address");
        return next(c, false);
    }
    enum dfs_xfer_status st2 = dfs_run__gs_step(c, ci, false, &gs);
    if (st != DFS_XFER_STALL)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "%s was answered with %s, not a STALL", what,
                           dfs_xfer_status_name(st));
    else if (st2 != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "GETSTATUS after the STALL: %s",
                           dfs_xfer_status_name(st2));
    else if (gs.bState != DFS_STATE_ERROR || gs.bStatus != DFS_STATUS_ERR_STALLEDPKT) {
        char g[120];
        dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "%s STALLed, but then: %s; expected dfuERROR "
                           "with errSTALLEDPKT (dfu-quirks R18)",
                           what, g);
    } else {
        d->in_error = true;
        dfs_run__check_end(s, DFS_VERDICT_PASS, "%s: STALL, then dfuERROR/errSTALLEDPKT", what);
    }
    return next(c, false);
}

static enum dfs_run__next clrstatus_error(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    struct dfs_run__getstatus gs;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (!d->in_error) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "the device was not in dfuERROR (see "
                           "dfu11.invalid-request-stalls)");
        return next(c, true);
    }
    enum dfs_xfer_status st = d->st =
        dfs_run__out_step(c, ci, DFS_DFU_CLRSTATUS, 0, NULL, 0, "clrstatus");
    enum dfs_xfer_status st2 = dfs_run__gs_step(c, ci, false, &gs);
    if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "CLRSTATUS in dfuERROR: %s",
                           dfs_xfer_status_name(st));
    else if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE ||
             gs.bStatus != DFS_STATUS_OK) {
        char g[120] = "no reply";
        if (st2 == DFS_XFER_OK)
            dfs_run__gs_text(g, sizeof g, &gs);
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "after CLRSTATUS: %s", g);
    } else
        dfs_run__check_end(s, DFS_VERDICT_PASS, NULL);
    return next(c, true);
}

/* ---- uploads ------------------------------------------------------------------------------- */

/* An UPLOAD of wTransferSize into buf (xfer bytes, NULL when out of
 * memory); on a plain DFU device the block is kept as the image. */
static void upload_xfer_block(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci,
                              uint8_t **buf)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    uint32_t got = 0;
    bool ready = *buf != NULL;
    uint16_t block = 0;
    uint32_t want = d->xfer;
    if (ready && s->facts.dfuse == 1) {
        uint32_t len = 0;
        ready = point_at_readable(c, ci, &len);
        block = 2;
        if (len < want)
            want = len;
    }
    if (!ready) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           *buf ? "could not point the device at readable "
                                  "memory"
                                : "out of memory");
        return;
    }
    char t[40];
    dfs_run__fmt(t, sizeof t, "upload %u %u", block, (unsigned)want);
    enum dfs_xfer_status st = d->st =
        dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, block, *buf, (uint16_t)want, &got, t);
    if (st != DFS_XFER_OK) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL,
                           "UPLOAD of wTransferSize (%u) bytes: %s; the "
                           "functional descriptor promises more than the device takes "
                           "(dfu-quirks R9)",
                           (unsigned)d->xfer, dfs_xfer_status_name(st));
        return;
    }
    dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes returned", (unsigned)got);
    d->chunk = d->xfer;
    if (s->facts.dfuse != 1) {
        d->image = *buf;
        d->image_len = got;
        *buf = NULL;
    }
}

static enum dfs_run__next upload_xfer(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (flip_not_for(s, FLIP_NO_UPLOAD)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", FLIP_NO_UPLOAD);
    } else if (!can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "bitCanUpload is 0");
    } else if (!d->xfer) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "wTransferSize is unknown (no usable DFU functional "
                           "descriptor)");
    } else {
        uint8_t *buf = malloc(d->xfer);
        upload_xfer_block(c, ci, &buf);
        if (d->st != DFS_XFER_OK && d->xfer > 256)
            d->chunk = 256; /* go on with transfers the device takes */
        free(buf);
    }
    return next(c, true); /* (the image of the first upload may be held) */
}

/* Plain DFU: UPLOAD blocks until a short one, as one step. */
static void upload_until_short(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    struct dfs_run__getstatus gs;
    uint32_t chunk = d->chunk, got = 0;
    uint8_t *buf = malloc(chunk);
    uint32_t total = 0;
    bool ended = false;
    enum dfs_xfer_status st = DFS_XFER_OK;
    uint32_t block = 0;
    dfs_run__suite_step(c, ci, "upload blocks of %u bytes until a short one (at most %u bytes)",
                        (unsigned)chunk, (unsigned)s->o->upload_limit);
    while (buf && total < s->o->upload_limit && block <= 0xffff) {
        st = dfs_run__dfu_in(s, DFS_DFU_UPLOAD, (uint16_t)block, buf, (uint16_t)chunk, false,
                             &got);
        if (st != DFS_XFER_OK)
            break;
        total += got;
        block++;
        if (got < chunk) {
            ended = true;
            break;
        }
        if (dfs_run__interrupted(s))
            break;
    }
    dfs_run__step_reply(s, "%s: %u bytes in %u blocks%s", dfs_xfer_status_name(st),
                        (unsigned)total, (unsigned)block, ended ? ", the last one short" : "");
    dfs_run__step_end(s, DFS_VERDICT_NONE, NULL);
    bool oom = !buf;
    free(buf);
    if (oom)
        dfs_run__check_end(s, DFS_VERDICT_ERROR, "out of memory");
    else if (st != DFS_XFER_OK)
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block %u: %s", (unsigned)block,
                           dfs_xfer_status_name(st));
    else if (!ended)
        dfs_run__check_end(s, s->stopping ? DFS_VERDICT_ERROR : DFS_VERDICT_FAIL,
                           "%u bytes read in full blocks and no short packet%s", (unsigned)total,
                           s->stopping ? " (interrupted)" : " (the device never ends the upload)");
    else {
        enum dfs_xfer_status st2 = dfs_run__gs_step(c, ci, false, &gs);
        if (st2 != DFS_XFER_OK || gs.bState != DFS_STATE_DFU_IDLE)
            dfs_run__check_end(s, DFS_VERDICT_FAIL, "after the short packet: %s, state %s",
                               dfs_xfer_status_name(st2),
                               st2 == DFS_XFER_OK ? dfs_run__state_text(gs.bState) : "?");
        else
            dfs_run__check_end(s, DFS_VERDICT_PASS, "%u bytes, then dfuIDLE", (unsigned)total);
    }
}

static enum dfs_run__next upload_short(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    uint32_t chunk = state(c)->chunk, got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (flip_not_for(s, FLIP_NO_UPLOAD)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", FLIP_NO_UPLOAD);
    } else if (!can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "bitCanUpload is 0");
    } else if (s->facts.dfuse != 1) {
        upload_until_short(c, ci);
    } else {
        /* DfuSe: the command list (UPLOAD block 0) is the upload that ends */
        uint8_t *buf = malloc(chunk);
        if (!buf) {
            dfs_run__check_end(s, DFS_VERDICT_ERROR, "out of memory");
        } else {
            char t[40];
            dfs_run__fmt(t, sizeof t, "upload 0 %u", (unsigned)chunk);
            enum dfs_xfer_status st =
                dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, 0, buf, (uint16_t)chunk, &got, t);
            if (st != DFS_XFER_OK)
                dfs_run__check_end(s, DFS_VERDICT_FAIL, "UPLOAD of block 0: %s",
                                   dfs_xfer_status_name(st));
            else if (got >= chunk)
                dfs_run__check_end(s, DFS_VERDICT_FAIL,
                                   "UPLOAD of block 0 (the command list) "
                                   "returned all %u bytes asked for: no short packet ends it",
                                   (unsigned)got);
            else
                dfs_run__check_end(s, DFS_VERDICT_PASS, "the command list, %u bytes",
                                   (unsigned)got);
            free(buf);
        }
    }
    return next(c, true);
}

/* ABORT from dfuUPLOAD-IDLE */
static enum dfs_run__next abort_upload(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    uint8_t b[8];
    uint32_t got = 0;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    if (flip_not_for(s, FLIP_NO_UPLOAD) || !can_upload(s)) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s",
                           flip_not_for(s, FLIP_NO_UPLOAD) ? FLIP_NO_UPLOAD : "bitCanUpload is 0");
        return next(c, true);
    }
    bool ready = true;
    uint16_t block = 0;
    if (s->facts.dfuse == 1) {
        ready = point_at_readable(c, ci, NULL);
        block = 2;
    }
    if (!ready) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "could not point the device at readable memory");
        return next(c, true);
    }
    char t[40];
    dfs_run__fmt(t, sizeof t, "upload %u 8", block);
    enum dfs_xfer_status st = dfs_run__in_step(c, ci, DFS_DFU_UPLOAD, block, b, 8, &got, t);
    if (st != DFS_XFER_OK || got < 8)
        dfs_run__check_end(s, DFS_VERDICT_SKIP,
                           "an UPLOAD of 8 bytes did not fill (%s, %u "
                           "bytes): dfuUPLOAD-IDLE not reached",
                           dfs_xfer_status_name(st), (unsigned)got);
    else
        abort_to_idle(c, ci, "dfuUPLOAD-IDLE");
    return next(c, true);
}

/* ---- bwPollTimeout -------------------------------------------------------------------------- */

/* ABORT from dfuDNLOAD-IDLE */
static enum dfs_run__next abort_dnload(struct dfs_run__suite_ctx *c,
                                       const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfs_run__getstatus gs;
    dfs_run__check_begin(s, c->suite, ci, NULL);
    char why[300] = "";
    unsigned needs;
    if (!start_busy(c, ci, false, why, sizeof why, &needs)) {
        if (needs)
            dfs_run__check_not_checked(s, c->suite, ci, needs, "%s", why);
        else
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
        return next(c, true);
    }
    dfs_run__suite_step(c, ci, "poll");
    enum dfs_xfer_status st =
        dfs_run__poll_idle(s, DFS_RUN__MAX_POLLS, s->o->busy_floor_ms, &gs);
    dfs_run__step_reply(s, "%s", dfs_xfer_status_name(st));
    dfs_run__step_end(s, DFS_VERDICT_NONE, NULL);
    if (st != DFS_XFER_OK || gs.bState != DFS_STATE_DNLOAD_IDLE)
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "dfuDNLOAD-IDLE not reached (%s)",
                           dfs_xfer_status_name(st));
    else
        abort_to_idle(c, ci, "dfuDNLOAD-IDLE");
    return next(c, true);
}

/* Poll the busy device exactly as often as it asks: the verdict of
 * poll_sufficient (returned, with its message) and of busy_poll (in the
 * state). */
static enum dfs_verdict poll_as_asked(struct dfs_run__suite_ctx *c,
                                      const struct dfs_check_info *ci, char *m_suff,
                                      size_t m_size, unsigned *busy_replies,
                                      struct dfs_run__getstatus *gs)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    enum dfs_verdict v_suff = DFS_VERDICT_PASS;
    unsigned polls = 0, stalls = 0;
    bool prev_zero_busy = false;
    char stalled[200] = "";
    uint64_t started = dfs_run__now(s);
    for (;;) {
        enum dfs_xfer_status st = dfs_run__gs_step(c, ci, true, gs);
        polls++;
        if (st == DFS_XFER_STALL && polls > 1) {
            if (stalls++ == 0) {
                /* once: does the device answer the next one, still busy
                 * or done, as the STM32L4 does (R2)? */
                dfs_run__fmt(stalled, sizeof stalled,
                             "GETSTATUS %u, sent %u ms after a dfuDNBUSY reply that asked for "
                             "%u ms, STALLed",
                             polls, (unsigned)((dfs_run__now(s) - s->busy_at_us) / 1000),
                             (unsigned)s->busy_poll_ms);
                continue;
            }
            v_suff = DFS_VERDICT_FAIL;
            dfs_run__fmt(m_suff, m_size,
                         "%s, and GETSTATUS %u STALLed again: the announced time is too "
                         "short (dfu-quirks R2/R3)",
                         stalled, polls);
            break;
        }
        if (st != DFS_XFER_OK) {
            v_suff = DFS_VERDICT_FAIL;
            dfs_run__fmt(m_suff, m_size, "GETSTATUS %u: %s", polls, dfs_xfer_status_name(st));
            break;
        }
        if (gs->bState != DFS_STATE_DNBUSY)
            break;
        (*busy_replies)++;
        if (prev_zero_busy && d->v_busy == DFS_VERDICT_PASS) {
            d->v_busy = DFS_VERDICT_FAIL;
            dfs_run__fmt(d->m_busy, sizeof d->m_busy,
                         "a dfuDNBUSY reply asked for 0 ms, and the "
                         "GETSTATUS sent right after it found the device still busy "
                         "(dfu-quirks R4)");
        }
        prev_zero_busy = gs->poll_ms == 0;
        if (polls >= 2000 || dfs_run__now(s) - started > 60000000u) {
            v_suff = DFS_VERDICT_FAIL;
            dfs_run__fmt(m_suff, m_size, "still dfuDNBUSY after %u GETSTATUS and %.1f s", polls,
                         (double)(dfs_run__now(s) - started) / 1e6);
            break;
        }
        dfs_run__wait_poll(s, 0); /* exactly the time asked for */
    }
    if (v_suff == DFS_VERDICT_PASS && stalls &&
        (gs->bStatus != DFS_STATUS_OK || gs->bState == DFS_STATE_ERROR)) {
        v_suff = DFS_VERDICT_FAIL;
        dfs_run__fmt(m_suff, m_size, "%s, and the device ended in %s: the announced time is "
                                     "too short (dfu-quirks R2/R3)",
                     stalled, dfs_run__state_text(gs->bState));
    } else if (v_suff == DFS_VERDICT_PASS && stalls) {
        /* one stall, then the answers went on with status OK */
        v_suff = DFS_VERDICT_QUIRK;
        dfs_run__fmt(m_suff, m_size, "%s; the next one was answered and the device went on to "
                                     "%s with status OK",
                     stalled, dfs_run__state_text(gs->bState));
    } else if (v_suff == DFS_VERDICT_PASS) {
        dfs_run__fmt(m_suff, m_size, "%u GETSTATUS, %u busy repl%s, then %s", polls,
                     *busy_replies, *busy_replies == 1 ? "y" : "ies",
                     dfs_run__state_text(gs->bState));
    }
    return v_suff;
}

/* bwPollTimeout: honoured exactly here. The check after it (busy_poll) is
 * judged from the same polls. */
static enum dfs_run__next poll_sufficient(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    dfs_run__check_begin(s, c->suite, ci, NULL);
    char why[300] = "";
    d->v_busy = DFS_VERDICT_SKIP;
    if (!start_busy(c, ci, true, why, sizeof why, &d->busy_needs)) {
        if (d->busy_needs) {
            d->v_busy = DFS_VERDICT_NOT_CHECKED;
            dfs_run__check_not_checked(s, c->suite, ci, d->busy_needs, "%s", why);
        } else {
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
        }
        dfs_run__fmt(d->m_busy, sizeof d->m_busy, "%s", why);
        return DFS_RUN__NEXT;
    }
    struct dfs_run__getstatus gs;
    char m_suff[300] = "";
    unsigned busy_replies = 0;
    d->v_busy = DFS_VERDICT_PASS;
    d->m_busy[0] = '\0';
    enum dfs_verdict v_suff = poll_as_asked(c, ci, m_suff, sizeof m_suff, &busy_replies, &gs);
    if (v_suff == DFS_VERDICT_QUIRK && !dfs_run__check_end_quirk(s, 2, "%s", m_suff)) {
        /* a stall no known quirk of the device's family explains */
        v_suff = DFS_VERDICT_FAIL;
        size_t l = strlen(m_suff);
        dfs_run__fmt(m_suff + l, sizeof m_suff - l,
                     ": the announced time is too short (dfu-quirks R2/R3)");
    }
    if (v_suff == DFS_VERDICT_PASS && d->busy_needs)
        dfs_run__check_not_checked(s, c->suite, ci, d->busy_needs,
                                   "a set-address was timed (%s); the erase that bwPollTimeout "
                                   "matters for needs --allow-erase",
                                   m_suff);
    else if (v_suff != DFS_VERDICT_QUIRK)
        dfs_run__check_end(s, v_suff, "%s", m_suff);
    if (d->v_busy == DFS_VERDICT_PASS && v_suff == DFS_VERDICT_FAIL && busy_replies == 0)
        d->v_busy = DFS_VERDICT_SKIP;
    if (d->v_busy == DFS_VERDICT_SKIP)
        dfs_run__fmt(d->m_busy, sizeof d->m_busy, "no dfuDNBUSY reply to judge");
    return DFS_RUN__NEXT;
}

static enum dfs_run__next busy_poll(struct dfs_run__suite_ctx *c, const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfu11_state *d = state(c);
    long chk = dfs_run__report_add_check(s->rep, c->suite, ci->id, ci->clause, ci->title);
    struct dfs_check_result *cb = dfs_run__report_check_mut(s->rep, chk);
    if (cb) {
        cb->verdict = d->v_busy;
        dfs_run__fmt(cb->msg, sizeof cb->msg, "%s", d->m_busy);
        if (d->busy_needs && (d->v_busy == DFS_VERDICT_PASS ||
                              d->v_busy == DFS_VERDICT_NOT_CHECKED)) {
            /* the busy replies of a set-address only, or none at all */
            cb->verdict = DFS_VERDICT_NOT_CHECKED;
            cb->needs = d->busy_needs;
            if (d->v_busy == DFS_VERDICT_PASS)
                dfs_run__fmt(cb->msg, sizeof cb->msg,
                             "the busy replies of a set-address were judged; those of an "
                             "erase need --allow-erase");
        }
    }
    if (s->o->on_check)
        s->o->on_check(s->o->user, s->rep, (size_t)chk);
    return next(c, true);
}

/* GETSTATUS before the time: only when asked for */
static enum dfs_run__next getstatus_early(struct dfs_run__suite_ctx *c,
                                          const struct dfs_check_info *ci)
{
    struct dfs_run__sess *s = c->s;
    struct dfs_run__getstatus gs;
    if (!(s->o->allow & DFS_ALLOW_TIMING_ABUSE)) {
        dfs_run__check_not_checked(s, c->suite, ci, DFS_ALLOW_TIMING_ABUSE,
                                   "needs --allow-timing-abuse (some devices misbehave when "
                                   "polled early)");
        return DFS_RUN__NEXT;
    }
    dfs_run__check_begin(s, c->suite, ci, NULL);
    char why[300] = "";
    unsigned needs;
    if (!start_busy(c, ci, true, why, sizeof why, &needs)) {
        if (needs)
            dfs_run__check_not_checked(s, c->suite, ci, needs, "%s", why);
        else
            dfs_run__check_end(s, DFS_VERDICT_SKIP, "%s", why);
        return next(c, false);
    }
    enum dfs_xfer_status st = dfs_run__gs_step(c, ci, true, &gs);
    if (st != DFS_XFER_OK) {
        dfs_run__check_end(s, DFS_VERDICT_FAIL, "the first GETSTATUS failed: %s",
                           dfs_xfer_status_name(st));
    } else if ((gs.bState != DFS_STATE_DNBUSY || gs.poll_ms == 0) && needs) {
        dfs_run__check_not_checked(s, c->suite, ci, needs,
                                   "a set-address asked for no wait (%s, %u ms); an erase needs "
                                   "--allow-erase",
                                   dfs_run__state_text(gs.bState), (unsigned)gs.poll_ms);
    } else if (gs.bState != DFS_STATE_DNBUSY || gs.poll_ms == 0) {
        dfs_run__check_end(s, DFS_VERDICT_SKIP, "the device asked for no wait (%s, %u ms)",
                           dfs_run__state_text(gs.bState), (unsigned)gs.poll_ms);
    } else {
        uint32_t asked = gs.poll_ms;
        st = dfs_run__gs_step(c, ci, true, &gs);
        if (st == DFS_XFER_OK)
            dfs_run__check_end(s, DFS_VERDICT_PASS,
                               "answered %s although %u ms were asked "
                               "for",
                               dfs_run__state_text(gs.bState), (unsigned)asked);
        else if (dfs_run__to_idle(c, ci)) {
            if (!dfs_run__check_end_quirk(s, 2, "an early GETSTATUS was answered with %s; the "
                                                "device recovered",
                                          dfs_xfer_status_name(st)))
                dfs_run__check_end(s, DFS_VERDICT_WARN,
                                   "an early GETSTATUS was answered with "
                                   "%s (as the STM32L4 does, dfu-quirks R2); the device "
                                   "recovered",
                                   dfs_xfer_status_name(st));
        }
        else
            dfs_run__check_end(s, DFS_VERDICT_FAIL,
                               "an early GETSTATUS was answered "
                               "with %s and the device did not recover",
                               dfs_xfer_status_name(st));
    }
    return next(c, false);
}

/* ---- the suite -------------------------------------------------------------------------------- */

static const struct dfs_check_info info[] = {DFU11_CHECKS(DFS_RUN__CHECK_INFO)};
static const struct dfs_run__check checks[] = {DFU11_CHECKS(DFS_RUN__CHECK_RUN)};
/* The bwPollTimeout checks run before the ABORT in dfuDNLOAD-IDLE (they
 * are listed after it). */
static const uint8_t order[F__COUNT] = {
    F_GETSTATUS_IDLE,  F_GETSTATE_IDLE,   F_ABORT_IDLE,   F_CLRSTATUS_IDLE, F_INVALID_STALLS,
    F_CLRSTATUS_ERROR, F_UPLOAD_XFER,     F_UPLOAD_SHORT, F_ABORT_UPLOAD,   F_POLL_SUFFICIENT,
    F_BUSY_POLL,       F_ABORT_DNLOAD,    F_GETSTATUS_EARLY,
};

static void run(struct dfs_run__suite_ctx *c)
{
    struct dfs_run__sess *s = c->s;
    if (!s->have_dfu) {
        dfs_run__rest_not_run(c, 0, F__COUNT, DFS_VERDICT_SKIP, "the device has no DFU interface");
        return;
    }
    if (s->protocol != DFS_DFU_PROTO_DFU) {
        dfs_run__rest_not_run(c, 0, F__COUNT, DFS_VERDICT_SKIP,
                              "the device is in run-time mode (bInterfaceProtocol 1); this suite "
                              "tests DFU mode: switch with a `detach` script or dfu-util -e "
                              "first");
        return;
    }
    struct dfu11_state d;
    memset(&d, 0, sizeof d);
    d.xfer = s->has_func && s->func.wTransferSize ? s->func.wTransferSize : 0;
    d.chunk = d.xfer ? d.xfer : 256; /* until the transfer-size check says */
    c->state = &d;
    if (dfs_run__suite_walk(c))
        dfs_run__to_idle(c, NULL);
    free(d.image);
    c->state = NULL;
}

const struct dfs_run__suite dfs_run__suite_dfu11 = {
    "dfu11", info, checks, F__COUNT, order, run,
};
